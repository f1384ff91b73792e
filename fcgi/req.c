/* Request parsing and validation (see req.h). Everything parsed lives in the
 * request's arena. Limits are enforced while parsing, so a hostile request costs
 * at most web.max_body bytes of arena plus a bounded number of slots. */
#include "req.h"
#include "session.h"
#include "utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void req_init(struct req *r, struct web_app *app)
{
	memset(r, 0, sizeof(*r));
	r->app = app;
	r->content_length = -1;
	r->now = (long long)time(NULL);
}

void req_reset(struct req *r)
{
	struct web_app *app = r->app;
	struct arena arena = r->arena;

	session_free(r->sess);
	buf_free_ex(&r->head, 0);
	buf_free_ex(&r->cookies_out, 1);
	buf_free_ex(&r->body, 1);
	if (r->body_file)
		fclose(r->body_file);
	arena_reset(&arena);
	req_init(r, app);
	r->arena = arena;
}

void req_free(struct req *r)
{
	req_reset(r);
	arena_free(&r->arena);
}

/* ---- UTF-8 and percent-decoding ---- */

bool req_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..len) ('+' is a space) into the arena and checks it is NUL-free
 * UTF-8 of at most max bytes. */
static char *url_decode(struct arena *a, const char *s, size_t len, size_t max,
                        enum req_err *err)
{
	char *out = arena_alloc(a, len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				*err = REQ_EPERCENT;
				return NULL;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0') {
			*err = REQ_ENUL;
			return NULL;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	if (o > max) {
		*err = REQ_ETOOLONG;
		return NULL;
	}
	if (!req_utf8_valid(out, o)) {
		*err = REQ_EUTF8;
		return NULL;
	}
	return out;
}

/* ---- query strings, form bodies, cookies ---- */

static void kvlist_init(struct arena *a, struct req_kvlist *l, size_t cap)
{
	if (!l->v)
		l->v = arena_alloc(a, cap * sizeof(*l->v));
}

static int add_pair(struct arena *a, const char *s, size_t len, struct req_kvlist *out,
                    enum req_err *err)
{
	const char *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;
	const char *key, *val;

	if (out->n >= REQ_MAX_PARAMS) {
		*err = REQ_ETOOMANY;
		return -1;
	}
	key = url_decode(a, s, klen, REQ_MAX_KEY, err);
	if (!key)
		return -1;
	val = eq ? url_decode(a, eq + 1, len - klen - 1, REQ_MAX_VALUE, err) : "";
	if (!val)
		return -1;
	out->v[out->n].key = key;
	out->v[out->n].val = val;
	out->n++;
	return 0;
}

int req_parse_urlencoded(struct arena *a, const char *s, size_t len,
                         struct req_kvlist *out, enum req_err *err)
{
	size_t start = 0;

	kvlist_init(a, out, REQ_MAX_PARAMS);
	*err = REQ_OK;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] == '\0') {
			*err = REQ_ENUL;
			return -1;
		}
		if (i < len && s[i] != '&')
			continue;
		if (i > start && add_pair(a, s + start, i - start, out, err) < 0)
			return -1;
		start = i + 1;
	}
	return 0;
}

static bool cookie_octet(unsigned char c)
{
	/* RFC 6265 cookie-octet, plus '"' which some clients send around values */
	return c == 0x21 || c == '"' || (c >= 0x23 && c <= 0x2b) ||
	       (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e);
}

static void add_cookie(struct arena *a, const char *s, size_t len, struct req_kvlist *out)
{
	const char *eq;
	size_t klen, vlen;

	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	eq = memchr(s, '=', len);
	if (!eq || eq == s || out->n >= REQ_MAX_COOKIES)
		return;
	klen = (size_t)(eq - s);
	vlen = len - klen - 1;
	while (vlen && (eq[vlen] == ' ' || eq[vlen] == '\t'))
		vlen--;
	if (klen > REQ_MAX_KEY || vlen > 4096)
		return;
	for (size_t i = 0; i < klen; i++)
		if (!cookie_octet((unsigned char)s[i]) || s[i] == '"')
			return;
	for (size_t i = 1; i <= vlen; i++)
		if (!cookie_octet((unsigned char)eq[i]))
			return;
	out->v[out->n].key = arena_strndup(a, s, klen);
	out->v[out->n].val = arena_strndup(a, eq + 1, vlen);
	out->n++;
}

void req_parse_cookies(struct arena *a, const char *s, struct req_kvlist *out)
{
	size_t start = 0, len = strlen(s);

	kvlist_init(a, out, REQ_MAX_COOKIES);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ';')
			continue;
		if (i > start)
			add_cookie(a, s + start, i - start, out);
		start = i + 1;
	}
}

/* ---- the CGI environment ---- */

static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static enum req_method method_of(const char *m)
{
	if (!m || !strcmp(m, "GET"))
		return REQ_GET;
	if (!strcmp(m, "HEAD"))
		return REQ_HEAD;
	if (!strcmp(m, "POST"))
		return REQ_POST;
	return REQ_OTHER;
}

static bool ip_chars(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 45)
		return false;
	return strspn(s, "0123456789abcdefABCDEF:.") == n;
}

static bool loopback(const char *ip)
{
	return !strncmp(ip, "127.", 4) || !strcmp(ip, "::1");
}

/* The client address is REMOTE_ADDR as nginx sets it. Only when that is a
 * loopback address (a local proxy in front of nginx) is the last X-Forwarded-For
 * entry used: that one was appended by the proxy; earlier ones are the client's
 * own claims. */
static const char *client_ip(struct req *r, char *const *envp)
{
	const char *ra = env_get(envp, "REMOTE_ADDR");
	const char *xff = env_get(envp, "HTTP_X_FORWARDED_FOR");

	if (!ra || !ip_chars(ra))
		ra = "unknown";
	if (xff && loopback(ra)) {
		const char *last = strrchr(xff, ',');
		char *ip = arena_strdup(&r->arena, last ? last + 1 : xff);
		while (*ip == ' ')
			ip++;
		if (ip_chars(ip))
			return ip;
	}
	return arena_strdup(&r->arena, ra);
}

static const char *request_path(struct req *r, char *const *envp)
{
	const char *p = env_get(envp, "DOCUMENT_URI");
	const char *q;

	if (p && *p)
		return p;
	p = env_get(envp, "REQUEST_URI");
	if (!p || !*p)
		return "/";
	q = strchr(p, '?');
	return q ? arena_strndup(&r->arena, p, (size_t)(q - p)) : p;
}

/* Length of the host part of an authority "host[:port]" or "[v6][:port]". */
static size_t host_len(const char *a, size_t n)
{
	const char *end;

	if (n && a[0] == '[') {
		end = memchr(a, ']', n);
		return end ? (size_t)(end - a) + 1 : n;
	}
	end = memchr(a, ':', n);
	return end ? (size_t)(end - a) : n;
}

/* The path of the Referer when it is this site's own page ("https://HOST[:port]/path";
 * nginx passes HTTP_HOST without the port), so a form posted from any page can
 * return there. */
static const char *same_origin_path(struct req *r, char *const *envp)
{
	const char *ref = env_get(envp, "HTTP_REFERER"), *host = env_get(envp, "HTTP_HOST");
	const char *auth, *path;
	size_t hl, rl;

	if (!ref || !host || strncmp(ref, "https://", 8))
		return NULL;
	auth = ref + 8;
	path = strchr(auth, '/');
	if (!path || path[1] == '/' || strlen(path) > REQ_MAX_PATH || strpbrk(path, "\r\n\\"))
		return NULL;
	rl = host_len(auth, (size_t)(path - auth));
	hl = host_len(host, strlen(host));
	if (!hl || rl != hl || strncasecmp(auth, host, hl))
		return NULL;
	return arena_strdup(&r->arena, path);
}

static int fail(struct req *r, enum req_err e, const char *what)
{
	r->err = e;
	snprintf(r->errstr, sizeof(r->errstr), "%s: %s", what, req_strerror(e));
	return -1;
}

int req_parse_env(struct req *r, char *const *envp)
{
	const char *qs = env_get(envp, "QUERY_STRING");
	const char *cookie = env_get(envp, "HTTP_COOKIE");
	const char *cl = env_get(envp, "CONTENT_LENGTH");
	const char *hx = env_get(envp, "HTTP_HX_REQUEST");
	enum req_err e;

	r->method_name = env_get(envp, "REQUEST_METHOD");
	r->method = method_of(r->method_name);
	r->path = request_path(r, envp);
	r->content_type = env_get(envp, "CONTENT_TYPE");
	r->csrf_header = env_get(envp, "HTTP_X_CSRF_TOKEN");
	r->hx = hx && !strcmp(hx, "true");
	r->client_ip = client_ip(r, envp);
	r->back = same_origin_path(r, envp);
	if (strlen(r->path) > REQ_MAX_PATH)
		return fail(r, REQ_ETOOLONG, "path");
	if (!req_utf8_valid(r->path, strlen(r->path)))
		return fail(r, REQ_EUTF8, "path");
	if (cl && *cl) {
		char *end;
		errno = 0;
		r->content_length = strtoll(cl, &end, 10);
		if (errno || *end || r->content_length < 0)
			return fail(r, REQ_EBODY, "content length");
	}
	req_parse_cookies(&r->arena, cookie ? cookie : "", &r->cookies);
	r->form.v = arena_alloc(&r->arena, REQ_MAX_PARAMS * sizeof(*r->form.v));
	if (req_parse_urlencoded(&r->arena, qs ? qs : "", qs ? strlen(qs) : 0, &r->query, &e) < 0)
		return fail(r, e, "query");
	return 0;
}

static bool form_type(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(want) - 1;

	return ct && !strncasecmp(ct, want, n) && (ct[n] == '\0' || ct[n] == ';');
}

int req_parse_body(struct req *r, const char *body, size_t len)
{
	enum req_err e;

	if (len == 0)
		return 0;
	if (!form_type(r->content_type))
		return fail(r, REQ_ETYPE, "body");
	if (req_parse_urlencoded(&r->arena, body, len, &r->form, &e) < 0)
		return fail(r, e, "form");
	return 0;
}

/* ---- validation ---- */

static bool plain_text(const char *s, size_t max, bool multiline)
{
	size_t n = strlen(s);

	if (n > max || !req_utf8_valid(s, n))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == 0x7f)
			return false;
		if (*p < 0x20 && !(multiline && (*p == '\t' || *p == '\n' || *p == '\r')))
			return false;
	}
	return true;
}

static bool check_int(const struct param_spec *sp, const char *v, long long *num)
{
	char *end;
	long long x;

	if (!*v || strlen(v) > 20 || strspn(v, "-0123456789") != strlen(v))
		return false;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || *end || x < sp->min || x > sp->max)
		return false;
	*num = x;
	return true;
}

static bool check_bool(const char *v, long long *num)
{
	static const char *const yes[] = { "1", "on", "true", "yes", NULL };
	static const char *const no[] = { "0", "off", "false", "no", "", NULL };

	for (int i = 0; yes[i]; i++)
		if (!strcmp(v, yes[i]))
			return (*num = 1), true;
	for (int i = 0; no[i]; i++)
		if (!strcmp(v, no[i]))
			return (*num = 0), true;
	return false;
}

bool param_check(const struct param_spec *sp, const char *v, long long *num)
{
	size_t n = strlen(v);

	switch (sp->kind) {
	case PARAM_STRING:
		return plain_text(v, (size_t)(sp->max > 0 ? sp->max : 256), false);
	case PARAM_TEXT:
		return plain_text(v, (size_t)(sp->max > 0 ? sp->max : REQ_MAX_VALUE), true);
	case PARAM_INT:
		return check_int(sp, v, num);
	case PARAM_ENUM:
		for (const char *const *c = sp->choices; c && *c; c++)
			if (!strcmp(v, *c))
				return true;
		return false;
	case PARAM_VCENTER:
		return n >= 1 && n <= 32 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
	case PARAM_BOOL:
		return check_bool(v, num);
	case PARAM_CSRF:
		return n >= 16 && n <= 160 && strspn(v, "0123456789abcdef.") == n;
	}
	return false;
}

static int validate_one(struct req *r, const struct param_spec *sp, struct param_val *pv)
{
	const struct req_kvlist *lists[2] = { &r->form, &r->query };
	size_t cap = sp->flags & PARAM_MULTI ? REQ_MAX_PARAMS : 1;

	pv->spec = sp;
	pv->strs = arena_alloc(&r->arena, cap * sizeof(*pv->strs));
	for (int l = 0; l < 2 && pv->n == 0; l++) {
		for (size_t i = 0; i < lists[l]->n && pv->n < cap; i++) {
			const char *v = lists[l]->v[i].val;
			if (strcmp(lists[l]->v[i].key, sp->name))
				continue;
			if (!param_check(sp, v, &pv->num)) {
				r->err = REQ_EINVALID;
				snprintf(r->errstr, sizeof(r->errstr), "parameter %.64s: invalid value",
				         sp->name);
				return -1;
			}
			pv->strs[pv->n++] = v;
		}
	}
	return 0;
}

int req_validate(struct req *r, const struct param_spec *specs)
{
	size_t n = 0;

	while (specs && specs[n].name)
		n++;
	r->vals = arena_alloc(&r->arena, (n ? n : 1) * sizeof(*r->vals));
	r->n_vals = 0;
	for (size_t i = 0; i < n; i++) {
		/* Counted only once validated: the error page that follows a failure may
		 * still look parameters up, and must find the validated ones only. */
		if (validate_one(r, &specs[i], &r->vals[i]) < 0)
			return -1;
		r->n_vals = i + 1;
	}
	return 0;
}

static const struct param_val *find_val(const struct req *r, const char *name)
{
	for (size_t i = 0; i < r->n_vals; i++)
		if (!strcmp(r->vals[i].spec->name, name))
			return r->vals[i].n ? &r->vals[i] : NULL;
	return NULL;
}

const char *req_str(const struct req *r, const char *name)
{
	const struct param_val *v = find_val(r, name);

	return v ? v->strs[0] : NULL;
}

long long req_int(const struct req *r, const char *name, long long def)
{
	const struct param_val *v = find_val(r, name);

	return v ? v->num : def;
}

bool req_bool(const struct req *r, const char *name)
{
	return req_int(r, name, 0) != 0;
}

size_t req_multi(const struct req *r, const char *name, const char *const **out)
{
	const struct param_val *v = find_val(r, name);

	*out = v ? v->strs : NULL;
	return v ? v->n : 0;
}

const char *req_cookie(const struct req *r, const char *name)
{
	for (size_t i = 0; i < r->cookies.n; i++)
		if (!strcmp(r->cookies.v[i].key, name))
			return r->cookies.v[i].val;
	return NULL;
}

void req_flash(struct req *r, const char *kind, const char *text)
{
	if (r->n_flash >= REQ_MAX_FLASH)
		return;
	r->flash[r->n_flash].kind = kind;
	r->flash[r->n_flash].text = arena_strdup(&r->arena, text);
	r->n_flash++;
}

int req_err_status(enum req_err e)
{
	switch (e) {
	case REQ_EBODY: return 413;
	case REQ_ETYPE: return 415;
	default: return 400;
	}
}

const char *req_strerror(enum req_err e)
{
	switch (e) {
	case REQ_OK: return "no error";
	case REQ_ETOOMANY: return "too many parameters";
	case REQ_ETOOLONG: return "value too long";
	case REQ_EPERCENT: return "bad percent-encoding";
	case REQ_ENUL: return "embedded NUL byte";
	case REQ_EUTF8: return "invalid UTF-8";
	case REQ_EBODY: return "request body too large";
	case REQ_ETYPE: return "unsupported content type";
	case REQ_EINVALID: return "invalid parameter";
	}
	return "unknown error";
}
