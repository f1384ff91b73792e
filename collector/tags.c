/* The vAPI REST tagging client (see tags.h): a session login with basic auth, a few
 * GETs and one association query, all on one libcurl easy handle. Requests are
 * bounded by the poll's deadline and stopped by its abort flag like SOAP requests.
 * With a certificate pin every request opens a fresh connection whose leaf
 * certificate is checked before anything (the password included) is sent. */
#include "tags.h"
#include "buf.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "/rest/com/vmware/cis"
#define CONNECT_MS 10000L
#define REQUEST_MS 60000L

struct rest {
	CURL *curl;
	struct curl_slist *headers;
	const struct tags_endpoint *ep;
	char base[512];               /* https://host[:port] */
	uint8_t pin[32];
	bool has_pin, pin_failed;
	struct buf body;              /* answer of the current request */
	long status;
	char *err;
	size_t errlen;
};

static int fail(struct rest *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct rest *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
	struct rest *r = ud;

	if (r->body.len + size * n > TAGS_MAX_RESPONSE)
		return 0;
	buf_add(&r->body, data, size * n);
	return size * n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const struct rest *r = ud;

	(void)a, (void)b, (void)c, (void)d;
	return r->ep->abort && atomic_load(r->ep->abort) ? 1 : 0;
}

/* SHA-256 of the DER of the leaf certificate of this connection, from certinfo. */
static int leaf_sha256(CURL *curl, uint8_t out[32])
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	struct curl_certinfo *ci = NULL;
	unsigned char der[16384];
	const char *b64, *end;
	size_t len;

	if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &ci) || !ci || ci->num_of_certs < 1)
		return -1;
	for (struct curl_slist *f = ci->certinfo[0]; f; f = f->next) {
		if (strncmp(f->data, "Cert:", 5) || !(b64 = strstr(f->data, begin)))
			continue;
		b64 += sizeof(begin) - 1;
		if (sodium_base642bin(der, sizeof(der), b64, strlen(b64), " \t\r\n", &len, &end,
		                      sodium_base64_VARIANT_ORIGINAL) || strncmp(end, "-----END", 8))
			return -1;
		crypto_hash_sha256(out, der, len);
		return 0;
	}
	return -1;
}

static int on_prereq(void *ud, char *ip, char *local_ip, int port, int local_port)
{
	struct rest *r = ud;
	uint8_t seen[32];

	(void)ip, (void)local_ip, (void)port, (void)local_port;
	if (!r->has_pin)
		return CURL_PREREQFUNC_OK;
	if (leaf_sha256(r->curl, seen) == 0 && sodium_memcmp(seen, r->pin, 32) == 0)
		return CURL_PREREQFUNC_OK;
	r->pin_failed = true;
	return CURL_PREREQFUNC_ABORT;
}

static int set_tls(struct rest *r)
{
	CURL *c = r->curl;
	const struct tags_endpoint *ep = r->ep;

	if (ep->fingerprint && *ep->fingerprint) {
		if (vc_parse_fingerprint(ep->fingerprint, r->pin))
			return fail(r, "'fingerprint' is not a SHA-256 fingerprint");
		r->has_pin = true;
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
		curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_prereq);
		curl_easy_setopt(c, CURLOPT_PREREQDATA, r);
	} else if (!ep->verify_tls) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (ep->ca_file && *ep->ca_file) {
		curl_easy_setopt(c, CURLOPT_CAINFO, ep->ca_file);
	}
	return 0;
}

/* scheme://host[:port] of the SDK URL. */
static int set_base(struct rest *r)
{
	const char *u = r->ep->sdk_url, *host = u ? strstr(u, "://") : NULL;
	size_t n;

	if (!host)
		return fail(r, "'url' must be https://host/sdk");
	host += 3;
	n = (size_t)(host - u) + strcspn(host, "/");
	if (n >= sizeof(r->base))
		return fail(r, "'url' is too long");
	memcpy(r->base, u, n);
	r->base[n] = '\0';
	return 0;
}

static int rest_open(struct rest *r)
{
	if (set_base(r))
		return -1;
	r->curl = curl_easy_init();
	if (!r->curl)
		return fail(r, "cannot start libcurl");
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(r->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(r->curl, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
	curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR, "https,http");
	r->headers = curl_slist_append(NULL, "Accept: application/json");
	r->headers = curl_slist_append(r->headers, "Content-Type: application/json");
	return set_tls(r);
}

static void rest_close(struct rest *r)
{
	curl_easy_cleanup(r->curl);
	curl_slist_free_all(r->headers);
	buf_free(&r->body);
}

static long time_left(const struct rest *r)
{
	int64_t left;

	if (!r->ep->deadline_ms)
		return REQUEST_MS;
	left = r->ep->deadline_ms - vc_now_ms();
	return left < REQUEST_MS ? (long)left : REQUEST_MS;
}

/* One request; the answer's "value" member is returned as a new reference in *value
 * (when value is not NULL). method is GET, POST or DELETE; body may be NULL. */
static int rest_do(struct rest *r, const char *method, const char *path, const char *body,
                   json_t **value)
{
	char url[1024];
	json_t *doc;
	CURLcode rc;
	long left = time_left(r);

	if (left <= 0)
		return fail(r, "the poll deadline passed before %s %s", method, path);
	snprintf(url, sizeof(url), "%s%s", r->base, path);
	buf_reset(&r->body);
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(r->curl, CURLOPT_CUSTOMREQUEST, strcmp(method, "GET") ? method : NULL);
	curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
	if (body)
		curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(r->curl);
	if (rc == CURLE_ABORTED_BY_CALLBACK && r->pin_failed)
		return fail(r, "certificate fingerprint mismatch on the vAPI endpoint");
	if (rc != CURLE_OK)
		return fail(r, "%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status != 200)
		return fail(r, "%s %s: HTTP %ld%s", method, path, r->status,
		            r->status == 404 ? " (no vAPI REST endpoint on this server)" : "");
	if (!value)
		return 0;
	doc = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
	*value = json_incref(json_object_get(doc, "value"));
	json_decref(doc);
	return *value ? 0 : fail(r, "%s %s: the answer is not vAPI JSON", method, path);
}

/* POST session with basic auth; the password lives in a stack buffer wiped after. */
static int rest_login(struct rest *r)
{
	char pw[VC_PASSWORD_MAX], hdr[160];
	json_t *id = NULL;
	int rc;

	if (!r->ep->password_fn || r->ep->password_fn(r->ep->password_ctx, pw, sizeof(pw)))
		return fail(r, "cannot read the password for the vAPI login");
	curl_easy_setopt(r->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(r->curl, CURLOPT_USERNAME, r->ep->user ? r->ep->user : "");
	curl_easy_setopt(r->curl, CURLOPT_PASSWORD, pw);
	rc = rest_do(r, "POST", API "/session", "", &id);
	sodium_memzero(pw, sizeof(pw));
	curl_easy_setopt(r->curl, CURLOPT_PASSWORD, "");
	curl_easy_setopt(r->curl, CURLOPT_HTTPAUTH, CURLAUTH_NONE);
	if (rc == 0 && (!json_is_string(id) || strlen(json_string_value(id)) > 100))
		rc = fail(r, "vAPI login: no session id in the answer");
	if (rc == 0) {
		snprintf(hdr, sizeof(hdr), "vmware-api-session-id: %s", json_string_value(id));
		r->headers = curl_slist_append(r->headers, hdr);
		sodium_memzero(hdr, sizeof(hdr));
	}
	json_decref(id);
	return rc;
}

/* GET a list of ids, then each one ("value" objects collected into *out). */
static int rest_get_all(struct rest *r, const char *path, json_t **out)
{
	json_t *ids = NULL, *id;
	char one[512];
	size_t i;
	int rc;

	if (rest_do(r, "GET", path, NULL, &ids))
		return -1;
	*out = json_array();
	json_array_foreach(ids, i, id) {
		json_t *obj = NULL;
		char *esc = curl_easy_escape(r->curl, json_string_value(id) ? json_string_value(id) : "", 0);
		snprintf(one, sizeof(one), "%s/id:%s", path, esc ? esc : "");
		curl_free(esc);
		if (rest_do(r, "GET", one, NULL, &obj))
			break;
		json_array_append_new(*out, obj);
	}
	rc = i == json_array_size(ids) ? 0 : -1;
	json_decref(ids);
	return rc;
}

/* Which objects carry which tag: one query for all tags. */
static int rest_attached(struct rest *r, const json_t *tags, json_t **out)
{
	json_t *req = json_object(), *ids = json_array(), *t;
	char *body;
	size_t i;
	int rc;

	json_array_foreach(tags, i, t)
		json_array_append(ids, json_object_get(t, "id"));
	json_object_set_new(req, "tag_ids", ids);
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	rc = rest_do(r, "POST", API "/tagging/tag-association?~action=list-attached-objects-on-tags",
	             body, out);
	free(body);
	return rc;
}

int tags_fetch(const struct tags_endpoint *ep, json_t **out, char *err, size_t errlen)
{
	struct rest r = { .ep = ep, .err = err, .errlen = errlen };
	json_t *cats = NULL, *tags = NULL, *attached = NULL;
	int rc = -1, logged_in = 0;

	*out = NULL;
	if (rest_open(&r) || rest_login(&r))
		goto done;
	logged_in = 1;
	if (rest_get_all(&r, API "/tagging/category", &cats) ||
	    rest_get_all(&r, API "/tagging/tag", &tags) || rest_attached(&r, tags, &attached))
		goto done;
	*out = tags_build(cats, tags, attached);
	rc = 0;
done:
	if (logged_in) {
		char keep[256];
		r.err = keep;               /* a failed logout must not hide the real error */
		r.errlen = sizeof(keep);
		rest_do(&r, "DELETE", API "/session", NULL, NULL);
	}
	json_decref(cats);
	json_decref(tags);
	json_decref(attached);
	rest_close(&r);
	return rc;
}

static int cmp_tag(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	const char *xc = json_string_value(json_object_get(x, "category"));
	const char *yc = json_string_value(json_object_get(y, "category"));
	int c = strcmp(xc ? xc : "", yc ? yc : "");
	const char *xn = json_string_value(json_object_get(x, "name"));
	const char *yn = json_string_value(json_object_get(y, "name"));

	return c ? c : strcmp(xn ? xn : "", yn ? yn : "");
}

/* Sorts an array of tags in place (category, then name). */
static void sort_tags(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	qsort(v, n, sizeof(*v), cmp_tag);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, v[i]);
	free(v);
}

/* tag id -> {"id", "name", "category", "category_id", "description"}. */
static json_t *index_tags(const json_t *categories, const json_t *tags)
{
	json_t *cat_names = json_object(), *by_id = json_object(), *c, *t;
	size_t i;

	json_array_foreach(categories, i, c)
		if (json_is_string(json_object_get(c, "id")))
			json_object_set(cat_names, json_string_value(json_object_get(c, "id")),
			                json_object_get(c, "name"));
	json_array_foreach(tags, i, t) {
		const char *id = json_string_value(json_object_get(t, "id"));
		const char *cid = json_string_value(json_object_get(t, "category_id"));
		json_t *rec = json_object(), *cname = cid ? json_object_get(cat_names, cid) : NULL;
		if (!id) {
			json_decref(rec);
			continue;
		}
		json_object_set_new(rec, "id", json_string(id));
		json_object_set(rec, "name", json_object_get(t, "name"));
		json_object_set_new(rec, "category", cname ? json_incref(cname) : json_null());
		json_object_set_new(rec, "category_id", cid ? json_string(cid) : json_null());
		json_object_set(rec, "description", json_object_get(t, "description"));
		json_object_set_new(rec, "object_count", json_integer(0));
		json_object_set_new(by_id, id, rec);
	}
	json_decref(cat_names);
	return by_id;
}

static void attach(json_t *objects, json_t *tag, const json_t *object_ids)
{
	json_t *o, *entry = json_object();
	size_t i, n = 0;

	json_object_set(entry, "category", json_object_get(tag, "category"));
	json_object_set(entry, "name", json_object_get(tag, "name"));
	json_array_foreach(object_ids, i, o) {
		const char *moref = json_string_value(json_object_get(o, "id"));
		json_t *list;
		if (!moref)
			continue;
		list = json_object_get(objects, moref);
		if (!list)
			json_object_set_new(objects, moref, list = json_array());
		json_array_append(list, entry);
		n++;
	}
	json_object_set_new(tag, "object_count", json_integer((json_int_t)n));
	json_decref(entry);
}

json_t *tags_build(const json_t *categories, const json_t *tags, const json_t *attached)
{
	json_t *by_id = index_tags(categories, tags), *out = json_object();
	json_t *objects = json_object(), *list = json_array(), *a, *t;
	const char *id;
	size_t i;

	json_array_foreach(attached, i, a) {
		t = json_object_get(by_id, json_string_value(json_object_get(a, "tag_id")) ?
		                    json_string_value(json_object_get(a, "tag_id")) : "");
		if (t)
			attach(objects, t, json_object_get(a, "object_ids"));
	}
	json_object_foreach(by_id, id, t)
		json_array_append(list, t);
	json_object_foreach(objects, id, a)
		sort_tags(a);
	sort_tags(list);
	json_object_set_new(out, "tags", list);
	json_object_set_new(out, "objects", objects);
	json_decref(by_id);
	return out;
}
