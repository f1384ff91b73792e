/* The runtime vCenter registry and app settings in Redis (see registry.h for the
 * keys and docs/settings.md for the flow). Validation mirrors the configuration
 * parser (cfg.c): the same id rule, interval and session limits, URL schemes and
 * fingerprint shape, so data that reaches the collector from Redis is held to the
 * same standard as data from the file. */
#include "registry.h"
#include "store.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const registry_themes[] = { "light", "dark", NULL };
const char *const registry_accents[] = { "blue", "purple", "green", "orange", "red", NULL };
const int registry_page_sizes[] = { 25, 50, 100, 250, 0 };

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void registry_password_key(char *out, size_t n, const char *id)
{
	snprintf(out, n, "cfg:vc:{%s}:password", id);
}

static bool in_list(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(v, *list))
			return true;
	return false;
}

/* Text without control characters, at most REGISTRY_STR_MAX bytes. */
static bool clean_text(const char *s, size_t len)
{
	if (len > REGISTRY_STR_MAX || strlen(s) != len)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Optional string field: *out stays NULL when absent, null or "" (unless keep_empty). */
static int opt_str(json_t *o, const char *key, char **out, bool required, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v))) {
		if (required)
			return fail(err, errlen, "%s: missing; this field is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, errlen, "%s: expected a string", key);
	if (!clean_text(json_string_value(v), json_string_length(v)))
		return fail(err, errlen, "%s: too long or holds control characters", key);
	*out = strdup(json_string_value(v));
	return *out ? 0 : fail(err, errlen, "out of memory");
}

static int parse_tags(json_t *o, struct cfg_vcenter *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, "tags"), *e;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > 64)
		return fail(err, errlen, "tags: expected an array of at most 64 strings");
	out->tags = calloc(json_array_size(v) + 1, sizeof(char *));
	if (!out->tags)
		return fail(err, errlen, "out of memory");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || !json_string_length(e) ||
		    !clean_text(json_string_value(e), json_string_length(e)))
			return fail(err, errlen, "tags[%zu]: expected a non-empty string", i);
		out->tags[out->n_tags++] = strdup(json_string_value(e));
	}
	return 0;
}

static int check_fields(json_t *o, char *err, size_t errlen)
{
	static const char *const keys[] = { "id", "name", "url", "verify_tls", "ca_file",
		"fingerprint", "interval", "user", "password_file", "tags", "source", NULL };
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return fail(err, errlen, "expected a vCenter object");
	json_object_foreach(o, key, v)
		if (!in_list(key, keys))
			return fail(err, errlen, "%s: unknown field", key);
	return 0;
}

static int parse_scalars(json_t *o, int def_interval, struct cfg_vcenter *out,
                         char *err, size_t errlen)
{
	json_t *v;

	v = json_object_get(o, "verify_tls");
	if (v && !json_is_null(v) && !json_is_boolean(v))
		return fail(err, errlen, "verify_tls: expected true or false");
	out->verify_tls = !v || json_is_null(v) || json_is_true(v);
	v = json_object_get(o, "interval");
	out->interval = def_interval;
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < CFG_INTERVAL_MIN ||
		    json_integer_value(v) > CFG_INTERVAL_MAX)
			return fail(err, errlen, "interval: use a whole number of seconds from %d to %d",
			            CFG_INTERVAL_MIN, CFG_INTERVAL_MAX);
		out->interval = (int)json_integer_value(v);
	}
	return 0;
}

int registry_vcenter_parse(json_t *o, int def_interval, struct cfg_vcenter *out,
                           const char **source, char *err, size_t errlen)
{
	const char *id, *src = "file";
	json_t *s;

	memset(out, 0, sizeof(*out));
	if (check_fields(o, err, errlen))
		return -1;
	id = json_string_value(json_object_get(o, "id"));
	if (!id || !cfg_valid_id(id))
		return fail(err, errlen, "id: use 1 to %d characters of a-z, 0-9, '_' or '-'", CFG_ID_MAX);
	memcpy(out->id, id, strlen(id) + 1);
	s = json_object_get(o, "source");
	if (s && !json_is_null(s)) {
		if (!json_is_string(s) || (strcmp(json_string_value(s), "file") &&
		                           strcmp(json_string_value(s), "ui")))
			goto err_source;
		src = json_string_value(s);
	}
	if (opt_str(o, "name", &out->name, false, err, errlen) ||
	    opt_str(o, "url", &out->url, true, err, errlen) ||
	    opt_str(o, "ca_file", &out->ca_file, false, err, errlen) ||
	    opt_str(o, "fingerprint", &out->fingerprint, false, err, errlen) ||
	    opt_str(o, "user", &out->user, true, err, errlen) ||
	    opt_str(o, "password_file", &out->password_file, false, err, errlen) ||
	    parse_tags(o, out, err, errlen) || parse_scalars(o, def_interval, out, err, errlen))
		goto err;
	if (!out->name && !(out->name = strdup(out->id)))
		goto err;
	if (strncmp(out->url, "https://", 8) && strncmp(out->url, "http://", 7)) {
		fail(err, errlen, "url: use an https:// URL such as https://vc.example.com/sdk");
		goto err;
	}
	if (out->fingerprint && !cfg_valid_fingerprint(out->fingerprint)) {
		fail(err, errlen, "fingerprint: give the certificate's SHA-256 as 64 hex digits (colons allowed)");
		goto err;
	}
	if (source)
		*source = !strcmp(src, "ui") ? "ui" : "file";
	return 0;
err_source:
	fail(err, errlen, "source: use \"file\" or \"ui\"");
err:
	registry_vcenter_clear(out);
	return -1;
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *registry_vcenter_json(const struct cfg_vcenter *v, const char *source)
{
	json_t *tags = json_array();

	for (size_t i = 0; i < v->n_tags; i++)
		json_array_append_new(tags, json_string(v->tags[i]));
	return json_pack("{s:s,s:s,s:s,s:b,s:o,s:o,s:i,s:s,s:o,s:o,s:s}",
	                 "id", v->id, "name", v->name ? v->name : v->id, "url", v->url ? v->url : "",
	                 "verify_tls", v->verify_tls, "ca_file", str_or_null(v->ca_file),
	                 "fingerprint", str_or_null(v->fingerprint), "interval", v->interval,
	                 "user", v->user ? v->user : "", "password_file", str_or_null(v->password_file),
	                 "tags", tags, "source", source && !strcmp(source, "ui") ? "ui" : "file");
}

int registry_vcenters_check(json_t *arr, char *err, size_t errlen)
{
	struct cfg_vcenter v;
	json_t *o;
	size_t i;
	char e[256];

	if (!json_is_array(arr))
		return fail(err, errlen, "expected an array of vCenter objects");
	if (json_array_size(arr) > REGISTRY_MAX_VCENTERS)
		return fail(err, errlen, "more than %d vCenters", REGISTRY_MAX_VCENTERS);
	json_array_foreach(arr, i, o) {
		if (registry_vcenter_parse(o, 120, &v, NULL, e, sizeof(e)))
			return fail(err, errlen, "vcenters[%zu]: %s", i, e);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(json_string_value(json_object_get(json_array_get(arr, j), "id")), v.id)) {
				fail(err, errlen, "vcenters[%zu].id: \"%s\" is used twice", i, v.id);
				registry_vcenter_clear(&v);
				return -1;
			}
		}
		registry_vcenter_clear(&v);
	}
	return 0;
}

static char *dup_or_null(const char *s, int *bad)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*bad = 1;
	return d;
}

int registry_vcenter_copy(struct cfg_vcenter *dst, const struct cfg_vcenter *src)
{
	int bad = 0;

	memset(dst, 0, sizeof(*dst));
	memcpy(dst->id, src->id, sizeof(dst->id));
	dst->verify_tls = src->verify_tls;
	dst->interval = src->interval;
	dst->name = dup_or_null(src->name, &bad);
	dst->url = dup_or_null(src->url, &bad);
	dst->ca_file = dup_or_null(src->ca_file, &bad);
	dst->fingerprint = dup_or_null(src->fingerprint, &bad);
	dst->user = dup_or_null(src->user, &bad);
	dst->password_file = dup_or_null(src->password_file, &bad);
	dst->tags = calloc(src->n_tags + 1, sizeof(char *));
	bad |= !dst->tags;
	for (size_t i = 0; dst->tags && i < src->n_tags; i++)
		dst->tags[dst->n_tags++] = dup_or_null(src->tags[i], &bad);
	if (bad)
		registry_vcenter_clear(dst);
	return bad ? -1 : 0;
}

void registry_vcenter_clear(struct cfg_vcenter *v)
{
	free(v->name);
	free(v->url);
	free(v->ca_file);
	free(v->fingerprint);
	free(v->user);
	free(v->password_file);
	for (size_t i = 0; i < v->n_tags; i++)
		free(v->tags[i]);
	free(v->tags);
	memset(v, 0, sizeof(*v));
}

void registry_vcenters_free(struct cfg_vcenter *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		registry_vcenter_clear(&v[i]);
	free(v);
}

void registry_app_defaults(struct registry_app *a, const struct cfg *cfg)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->theme, sizeof(a->theme), "light");
	snprintf(a->accent, sizeof(a->accent), "blue");
	a->session_timeout = cfg && cfg->web.session_timeout ? cfg->web.session_timeout : 1800;
	a->page_size = 50;
}

static bool valid_page_size(json_int_t n)
{
	for (const int *p = registry_page_sizes; *p; p++)
		if (n == *p)
			return true;
	return false;
}

int registry_app_parse(json_t *o, struct registry_app *out, char *err, size_t errlen)
{
	static const char *const keys[] = { "theme", "accent", "session_timeout", "page_size", NULL };
	const char *key, *theme, *accent;
	json_t *v, *st, *ps;

	if (!json_is_object(o))
		return fail(err, errlen, "app: expected an object");
	json_object_foreach(o, key, v)
		if (!in_list(key, keys))
			return fail(err, errlen, "app.%s: unknown field", key);
	theme = json_string_value(json_object_get(o, "theme"));
	accent = json_string_value(json_object_get(o, "accent"));
	st = json_object_get(o, "session_timeout");
	ps = json_object_get(o, "page_size");
	if (!theme || !in_list(theme, registry_themes))
		return fail(err, errlen, "app.theme: use light or dark");
	if (!accent || !in_list(accent, registry_accents))
		return fail(err, errlen, "app.accent: use blue, purple, green, orange or red");
	if (!json_is_integer(st) || json_integer_value(st) < CFG_SESSION_MIN ||
	    json_integer_value(st) > CFG_SESSION_MAX)
		return fail(err, errlen, "app.session_timeout: use %d to %d seconds",
		            CFG_SESSION_MIN, CFG_SESSION_MAX);
	if (!json_is_integer(ps) || !valid_page_size(json_integer_value(ps)))
		return fail(err, errlen, "app.page_size: use 25, 50, 100 or 250");
	memset(out, 0, sizeof(*out));
	snprintf(out->theme, sizeof(out->theme), "%s", theme);
	snprintf(out->accent, sizeof(out->accent), "%s", accent);
	out->session_timeout = (int)json_integer_value(st);
	out->page_size = (int)json_integer_value(ps);
	return 0;
}

json_t *registry_app_json(const struct registry_app *a)
{
	return json_pack("{s:s,s:s,s:i,s:i}", "theme", a->theme, "accent", a->accent,
	                 "session_timeout", a->session_timeout, "page_size", a->page_size);
}

/* ---- reading */

/* Reads and parses one sealed JSON value: 1 found, 0 missing, -1 error. */
static int get_json(struct store *s, const char *key, json_t **out, char *err, size_t errlen)
{
	char *val = NULL;
	size_t len;
	int rc = store_get(s, key, &val, &len);

	*out = NULL;
	if (rc < 0)
		return fail(err, errlen, "%s: %s", key, s->errstr);
	if (rc == 0)
		return 0;
	*out = json_loadb(val, len, JSON_REJECT_DUPLICATES, NULL);
	free(val);
	if (!*out)
		return fail(err, errlen, "%s: opened but is not valid JSON", key);
	return 1;
}

int registry_load_json(struct store *s, json_t **out, char *err, size_t errlen)
{
	char e[300];
	int rc = get_json(s, REGISTRY_VCENTERS_KEY, out, err, errlen);

	if (rc <= 0)
		return rc;
	if (registry_vcenters_check(*out, e, sizeof(e))) {
		json_decref(*out);
		*out = NULL;
		return fail(err, errlen, "%s: %s", REGISTRY_VCENTERS_KEY, e);
	}
	return 1;
}

int registry_load_vcenters(struct store *s, struct cfg_vcenter **out, size_t *n,
                           char *err, size_t errlen)
{
	json_t *arr, *o;
	size_t i;
	int rc = registry_load_json(s, &arr, err, errlen);

	*out = NULL;
	*n = 0;
	if (rc <= 0)
		return rc;
	*out = calloc(json_array_size(arr) + 1, sizeof(**out));
	if (!*out) {
		json_decref(arr);
		return fail(err, errlen, "out of memory");
	}
	json_array_foreach(arr, i, o) {
		if (registry_vcenter_parse(o, 120, &(*out)[i], NULL, err, errlen)) {
			registry_vcenters_free(*out, *n);
			*out = NULL;
			*n = 0;
			json_decref(arr);
			return -1;
		}
		*n = i + 1;
	}
	json_decref(arr);
	return 1;
}

int registry_vcenters_merged(struct store *s, const struct cfg *file_cfg,
                             struct cfg_vcenter **out, size_t *n, char *err, size_t errlen)
{
	int rc = registry_load_vcenters(s, out, n, err, errlen);

	if (rc != 0)
		return rc;
	*out = calloc(file_cfg->n_vcenters + 1, sizeof(**out));
	if (!*out)
		return fail(err, errlen, "out of memory");
	for (size_t i = 0; i < file_cfg->n_vcenters; i++) {
		if (registry_vcenter_copy(&(*out)[i], &file_cfg->vcenters[i])) {
			registry_vcenters_free(*out, *n);
			*out = NULL;
			*n = 0;
			return fail(err, errlen, "out of memory");
		}
		*n = i + 1;
	}
	return 0;
}

char *registry_password(struct store *s, const char *id, char *err, size_t errlen)
{
	char key[80], *val = NULL;
	size_t len;
	int rc;

	if (!cfg_valid_id(id))
		return fail(err, errlen, "invalid vCenter id"), NULL;
	registry_password_key(key, sizeof(key), id);
	rc = store_get(s, key, &val, &len);
	if (rc < 0)
		return fail(err, errlen, "%s: %s", key, s->errstr), NULL;
	if (rc == 0)
		return fail(err, errlen, "no password stored for vCenter %s; set it on the Settings page", id), NULL;
	if (strlen(val) != len || len == 0 || len >= REGISTRY_PASSWORD_MAX) {
		sodium_memzero(val, len);
		free(val);
		return fail(err, errlen, "%s: stored password is unusable; set it again", key), NULL;
	}
	return val;
}

int registry_password_into(struct store *s, const char *id, char *buf, size_t buflen,
                           char *err, size_t errlen)
{
	char *pw = registry_password(s, id, err, errlen);
	size_t n;

	if (!pw)
		return -1;
	n = strlen(pw);
	if (n >= buflen) {
		sodium_memzero(pw, n);
		free(pw);
		return fail(err, errlen, "stored password of vCenter %s is too long", id);
	}
	memcpy(buf, pw, n + 1);
	sodium_memzero(pw, n);
	free(pw);
	return 0;
}

int registry_load_app(struct store *s, const struct cfg *cfg, struct registry_app *out,
                      char *err, size_t errlen)
{
	char e[200];
	json_t *o;
	int rc;

	registry_app_defaults(out, cfg);
	rc = get_json(s, REGISTRY_APP_KEY, &o, err, errlen);
	if (rc <= 0)
		return rc;
	if (registry_app_parse(o, out, e, sizeof(e))) {
		registry_app_defaults(out, cfg);
		json_decref(o);
		return fail(err, errlen, "%s: %s", REGISTRY_APP_KEY, e);
	}
	json_decref(o);
	return 1;
}

long long registry_gen(struct store *s)
{
	return store_counter(s, REGISTRY_GEN_KEY);
}

/* ---- writing */

/* Queues the sealed JSON put of key; 0 or -1. */
static int batch_json(struct store_batch *b, const char *key, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT);
	int rc;

	if (!txt)
		return -1;
	rc = store_batch_put(b, key, txt, strlen(txt), 0);
	free(txt);
	return rc;
}

static int batch_password(struct store_batch *b, const char *id, const char *password)
{
	char key[80];

	registry_password_key(key, sizeof(key), id);
	return store_batch_put(b, key, password, strlen(password), 0);
}

static int exec_batch(struct store *s, struct store_batch *b, int queued_ok, char *err, size_t errlen)
{
	if (!queued_ok) {
		store_batch_free(b);
		return fail(err, errlen, "cannot queue the write");
	}
	if (store_batch_exec(b))
		return fail(err, errlen, "cannot write the settings: %s", s->errstr);
	return 0;
}

int registry_seed(struct store *s, const struct cfg *cfg, char *err, size_t errlen)
{
	struct registry_app app;
	struct store_batch *b;
	json_t *arr, *existing = NULL;
	int rc = get_json(s, REGISTRY_VCENTERS_KEY, &existing, err, errlen), ok;

	json_decref(existing);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	arr = json_array();
	for (size_t i = 0; i < cfg->n_vcenters; i++)
		json_array_append_new(arr, registry_vcenter_json(&cfg->vcenters[i], "file"));
	registry_app_defaults(&app, cfg);
	json_t *appj = registry_app_json(&app);
	if (!(b = store_batch_new(s))) {
		json_decref(arr);
		json_decref(appj);
		return fail(err, errlen, "out of memory");
	}
	ok = !batch_json(b, REGISTRY_VCENTERS_KEY, arr) && !batch_json(b, REGISTRY_APP_KEY, appj) &&
	     !store_batch_incr(b, REGISTRY_GEN_KEY);
	json_decref(arr);
	json_decref(appj);
	return exec_batch(s, b, ok, err, errlen) ? -1 : 1;
}

static long find_id(json_t *arr, const char *id)
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "id")), id))
			return (long)i;
	return -1;
}

/* The current registry array (new reference, empty when missing) or NULL on error. */
static json_t *current(struct store *s, char *err, size_t errlen)
{
	json_t *arr;
	int rc = registry_load_json(s, &arr, err, errlen);

	if (rc < 0)
		return NULL;
	return rc ? arr : json_array();
}

static bool has_password(struct store *s, const char *id)
{
	char e[200], *pw = registry_password(s, id, e, sizeof(e));

	if (!pw)
		return false;
	sodium_memzero(pw, strlen(pw));
	free(pw);
	return true;
}

int registry_save_vcenter(struct store *s, const struct cfg_vcenter *v, const char *source,
                          const char *password, char *err, size_t errlen)
{
	struct store_batch *b;
	json_t *arr, *o = registry_vcenter_json(v, source);
	char e[300];
	long at;
	int ok, added;

	json_t *one = json_pack("[O]", o);
	int nomem = !one, bad = nomem || registry_vcenters_check(one, e, sizeof(e)) < 0;

	json_decref(one);
	if (bad) {
		json_decref(o);
		return fail(err, errlen, "%s", nomem ? "out of memory" : e + strlen("vcenters[0]: "));
	}
	if (password && (strlen(password) >= REGISTRY_PASSWORD_MAX))
		return json_decref(o), fail(err, errlen, "password: too long");
	if (!(arr = current(s, err, errlen)))
		return json_decref(o), -1;
	at = find_id(arr, v->id);
	added = at < 0;
	if ((!v->password_file || !*v->password_file) && (!password || !*password) &&
	    !has_password(s, v->id)) {
		json_decref(arr);
		json_decref(o);
		return fail(err, errlen, "password: give the service account's password");
	}
	if (added && json_array_size(arr) >= REGISTRY_MAX_VCENTERS) {
		json_decref(arr);
		json_decref(o);
		return fail(err, errlen, "the registry holds %d vCenters already", REGISTRY_MAX_VCENTERS);
	}
	if (added)
		json_array_append_new(arr, o);
	else
		json_array_set_new(arr, (size_t)at, o);
	if (!(b = store_batch_new(s)))
		return json_decref(arr), fail(err, errlen, "out of memory");
	ok = !batch_json(b, REGISTRY_VCENTERS_KEY, arr) &&
	     (!password || !*password || !batch_password(b, v->id, password)) &&
	     !store_batch_incr(b, REGISTRY_GEN_KEY);
	json_decref(arr);
	if (exec_batch(s, b, ok, err, errlen))
		return -1;
	return added ? 1 : 0;
}

int registry_remove_vcenter(struct store *s, const char *id, char *err, size_t errlen)
{
	struct store_batch *b;
	char key[80];
	json_t *arr;
	long at;
	int ok;

	if (!cfg_valid_id(id))
		return fail(err, errlen, "invalid vCenter id");
	if (!(arr = current(s, err, errlen)))
		return -1;
	if ((at = find_id(arr, id)) < 0)
		return json_decref(arr), 0;
	json_array_remove(arr, (size_t)at);
	registry_password_key(key, sizeof(key), id);
	if (!(b = store_batch_new(s)))
		return json_decref(arr), fail(err, errlen, "out of memory");
	ok = !batch_json(b, REGISTRY_VCENTERS_KEY, arr) && !store_batch_del(b, key) &&
	     !store_batch_incr(b, REGISTRY_GEN_KEY);
	json_decref(arr);
	return exec_batch(s, b, ok, err, errlen) ? -1 : 1;
}

/* Queues the password writes of an import; ids not in arr are refused. */
static int queue_passwords(struct store_batch *b, json_t *arr, json_t *passwords,
                           char *err, size_t errlen)
{
	const char *id;
	json_t *pw;

	if (!passwords)
		return 0;
	json_object_foreach(passwords, id, pw) {
		if (find_id(arr, id) < 0)
			return fail(err, errlen, "password for unknown vCenter \"%s\"", id);
		if (!json_is_string(pw) || !json_string_length(pw) ||
		    json_string_length(pw) >= REGISTRY_PASSWORD_MAX ||
		    strlen(json_string_value(pw)) != json_string_length(pw))
			return fail(err, errlen, "password of vCenter \"%s\" is unusable", id);
		if (batch_password(b, id, json_string_value(pw)))
			return fail(err, errlen, "cannot queue the write");
	}
	return 0;
}

int registry_replace(struct store *s, json_t *arr, json_t *passwords, char *err, size_t errlen)
{
	struct store_batch *b;
	json_t *old;
	char key[80];
	int ok;

	if (registry_vcenters_check(arr, err, errlen))
		return -1;
	if (!(old = current(s, err, errlen)))
		return -1;
	if (!(b = store_batch_new(s)))
		return json_decref(old), fail(err, errlen, "out of memory");
	ok = !batch_json(b, REGISTRY_VCENTERS_KEY, arr);
	for (size_t i = 0; ok && i < json_array_size(old); i++) {
		const char *id = json_string_value(json_object_get(json_array_get(old, i), "id"));
		registry_password_key(key, sizeof(key), id);
		if (find_id(arr, id) < 0)
			ok = !store_batch_del(b, key);
	}
	json_decref(old);
	if (ok && queue_passwords(b, arr, passwords, err, errlen)) {
		store_batch_free(b);
		return -1;
	}
	ok = ok && !store_batch_incr(b, REGISTRY_GEN_KEY);
	return exec_batch(s, b, ok, err, errlen);
}

int registry_save_app(struct store *s, const struct registry_app *a, char *err, size_t errlen)
{
	struct registry_app check;
	struct store_batch *b;
	json_t *o = registry_app_json(a);
	int ok;

	if (!o || registry_app_parse(o, &check, err, errlen))
		return json_decref(o), -1;
	if (!(b = store_batch_new(s)))
		return json_decref(o), fail(err, errlen, "out of memory");
	ok = !batch_json(b, REGISTRY_APP_KEY, o) && !store_batch_incr(b, REGISTRY_GEN_KEY);
	json_decref(o);
	return exec_batch(s, b, ok, err, errlen);
}

/* ---- purge requests */

/* The valid, de-duplicated ids of a request object (new reference). */
static json_t *purge_ids(json_t *req)
{
	json_t *ids = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(req, "ids"), i, v) {
		const char *id = json_string_value(v);
		bool dup = false;
		if (!id || !cfg_valid_id(id))
			continue;
		for (size_t j = 0; j < json_array_size(ids) && !dup; j++)
			dup = !strcmp(json_string_value(json_array_get(ids, j)), id);
		if (!dup && json_array_size(ids) < REGISTRY_MAX_VCENTERS)
			json_array_append_new(ids, json_string(id));
	}
	return ids;
}

int registry_request_purge(struct store *s, const char *const *ids, size_t n, long long now,
                           char *err, size_t errlen)
{
	struct store_batch *b;
	json_t *pending, *req, *clean;
	int ok;

	for (size_t i = 0; i < n; i++)
		if (!cfg_valid_id(ids[i]))
			return fail(err, errlen, "invalid vCenter id");
	if (get_json(s, REGISTRY_PURGE_KEY, &pending, err, errlen) < 0)
		return -1;
	req = json_pack("{s:[],s:I}", "ids", "at", (json_int_t)now);
	if (pending)   /* not yet taken: keep what it asked for too */
		json_array_extend(json_object_get(req, "ids"), json_object_get(pending, "ids"));
	json_decref(pending);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(json_object_get(req, "ids"), json_string(ids[i]));
	clean = purge_ids(req);
	json_object_set_new(req, "ids", clean);
	if (!(b = store_batch_new(s)))
		return json_decref(req), fail(err, errlen, "out of memory");
	ok = !batch_json(b, REGISTRY_PURGE_KEY, req) && !store_batch_incr(b, REGISTRY_PURGE_GEN_KEY);
	json_decref(req);
	return exec_batch(s, b, ok, err, errlen);
}

void registry_ids_free(char **ids, size_t n)
{
	if (!ids)
		return;
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int registry_take_purge(struct store *s, long long *seen, char ***ids, size_t *n,
                        char *err, size_t errlen)
{
	long long gen = store_counter(s, REGISTRY_PURGE_GEN_KEY);
	json_t *req, *clean;
	int rc;

	*ids = NULL;
	*n = 0;
	if (gen < 0)
		return fail(err, errlen, "%s: %s", REGISTRY_PURGE_GEN_KEY, s->errstr);
	if (gen == *seen)
		return 0;
	if ((rc = get_json(s, REGISTRY_PURGE_KEY, &req, err, errlen)) < 0)
		return -1;
	*seen = gen;
	if (rc == 0)
		return 0;
	clean = purge_ids(req);
	json_decref(req);
	/* Deleted before acting: a request written after this point bumps the counter
	 * again and is taken on the next check. */
	if (store_del(s, REGISTRY_PURGE_KEY)) {
		json_decref(clean);
		return fail(err, errlen, "%s: %s", REGISTRY_PURGE_KEY, s->errstr);
	}
	*ids = calloc(json_array_size(clean) + 1, sizeof(char *));
	for (size_t i = 0; *ids && i < json_array_size(clean); i++)
		(*ids)[(*n)++] = strdup(json_string_value(json_array_get(clean, i)));
	json_decref(clean);
	return *ids ? 1 : fail(err, errlen, "out of memory");
}

int registry_purge_vcenter(struct store *s, const char *id)
{
	struct store_batch *b;
	char key[128];
	int ok = 1;

	if (!cfg_valid_id(id) || !(b = store_batch_new(s)))
		return -1;
	for (const char *const *t = store_types; *t && ok; t++) {
		store_key_vc(key, sizeof(key), id, *t);
		ok = !store_batch_del(b, key);
	}
	store_key_gen(key, sizeof(key), id);
	ok = ok && !store_batch_incr(b, key);
	if (!ok) {
		store_batch_free(b);
		return -1;
	}
	return store_batch_exec(b);
}
