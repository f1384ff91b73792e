/* Configuration file parser (see cfg.h and docs/configuration.md). A small
 * schema walk over jansson: each object's parser names the keys it accepts, so an
 * unknown key, a wrong type or an out-of-range value becomes one message naming the
 * file, the JSON path ($.vcenters[1].interval) and the fix. */
#include "cfg.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct walk {
	const char *file;
	char *err;
	size_t errlen;
	int failed;
};

static int fail(struct walk *w, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct walk *w, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->failed)
		return -1;
	w->failed = 1;
	n = snprintf(w->err, w->errlen, "%s: %s: ", w->file, path);
	if (n < 0 || (size_t)n >= w->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void sub(char *out, size_t n, const char *path, const char *key)
{
	snprintf(out, n, "%s.%s", path, key);
}

static int check_keys(struct walk *w, json_t *obj, const char *path, const char *const *allowed)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return fail(w, path, "expected an object");
	json_object_foreach(obj, key, v) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, key))
			a++;
		if (!*a) {
			char p[256];
			sub(p, sizeof(p), path, key);
			return fail(w, p, "unknown key; remove it or check its spelling (see docs/configuration.md)");
		}
	}
	return 0;
}

/* Optional string: leaves *out NULL (or the default) when absent or null. */
static int get_str(struct walk *w, json_t *obj, const char *path, const char *key,
                   char **out, const char *def, int required)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	sub(p, sizeof(p), path, key);
	if (!v || json_is_null(v)) {
		if (required)
			return fail(w, p, "missing; this key is required");
		*out = def ? strdup(def) : NULL;
		return 0;
	}
	if (!json_is_string(v))
		return fail(w, p, "expected a string");
	if (required && !json_string_length(v))
		return fail(w, p, "must not be empty");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(w, p, "must not contain NUL characters");
	*out = strdup(json_string_value(v));
	return 0;
}

static int get_int(struct walk *w, json_t *obj, const char *path, const char *key,
                   int *out, int def, int min, int max)
{
	json_t *v = json_object_get(obj, key);
	char p[256];
	json_int_t n;

	sub(p, sizeof(p), path, key);
	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v))
		return fail(w, p, "expected an integer between %d and %d", min, max);
	n = json_integer_value(v);
	if (n < min || n > max)
		return fail(w, p, "%lld is out of range; use a value between %d and %d", (long long)n, min, max);
	*out = (int)n;
	return 0;
}

static int get_bool(struct walk *w, json_t *obj, const char *path, const char *key,
                    bool *out, bool def)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	sub(p, sizeof(p), path, key);
	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_boolean(v))
		return fail(w, p, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

static int get_strv(struct walk *w, json_t *obj, const char *path, const char *key,
                    char ***out, size_t *n)
{
	json_t *v = json_object_get(obj, key), *e;
	char p[256];
	size_t i;

	sub(p, sizeof(p), path, key);
	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return fail(w, p, "expected an array of strings");
	*out = calloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			char pe[300];
			snprintf(pe, sizeof(pe), "%s[%zu]", p, i);
			return fail(w, pe, "expected a string");
		}
		(*out)[(*n)++] = strdup(json_string_value(e));
	}
	return 0;
}

bool cfg_valid_id(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++) {
		char c = id[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n >= 1 && n <= CFG_ID_MAX;
}

bool cfg_valid_fingerprint(const char *fp)
{
	int hex = 0;

	for (; *fp; fp++) {
		if ((*fp >= '0' && *fp <= '9') || (*fp >= 'a' && *fp <= 'f') || (*fp >= 'A' && *fp <= 'F'))
			hex++;
		else if (*fp != ':')
			return false;
	}
	return hex == 64;
}

static int parse_redis_user(struct walk *w, json_t *obj, const char *path, const char *key,
                            struct cfg_redis_user *u)
{
	static const char *const keys[] = { "user", "password_file", NULL };
	json_t *v = json_object_get(obj, key);
	char p[256];

	sub(p, sizeof(p), path, key);
	if (!v)
		return fail(w, p, "missing; give the ACL user and its password_file");
	if (check_keys(w, v, p, keys) ||
	    get_str(w, v, p, "user", &u->user, NULL, 1) ||
	    get_str(w, v, p, "password_file", &u->password_file, NULL, 1))
		return -1;
	return 0;
}

int cfg_parse_hostport(const char *text, struct cfg_hostport *out)
{
	const char *colon = strrchr(text, ':'), *host = text, *host_end = colon;
	char *end;
	long port;

	out->host = NULL;
	if (!colon || !colon[1])
		return -1;
	if (text[0] == '[') {   /* [v6addr]:port */
		host = text + 1;
		host_end = colon - 1;
		if (host_end < host || *host_end != ']')
			return -1;
	} else if (memchr(text, ':', (size_t)(colon - text))) {
		return -1;          /* a bare IPv6 address needs brackets */
	}
	port = strtol(colon + 1, &end, 10);
	if (host_end == host || *end || port < 1 || port > 65535 || colon[1] < '0' || colon[1] > '9')
		return -1;
	out->host = strndup(host, (size_t)(host_end - host));
	out->port = (int)port;
	return out->host ? 0 : -1;
}

static bool valid_master_name(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++)
		if (!((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= 'A' && name[n] <= 'Z') ||
		      (name[n] >= '0' && name[n] <= '9') || strchr("._-", name[n])))
			return false;
	return n >= 1 && n <= 64;
}

/* "sentinels": ["host:port", ...] with "master": the name the sentinels monitor. */
static int parse_sentinels(struct walk *w, json_t *r, struct cfg *c)
{
	json_t *list = json_object_get(r, "sentinels"), *e;
	size_t i;

	if (!list || json_is_null(list)) {
		if (c->redis.master)
			return fail(w, "$.redis.master", "only used with \"sentinels\"; remove it or list the sentinels");
		return 0;
	}
	if (!json_is_array(list) || !json_array_size(list))
		return fail(w, "$.redis.sentinels", "expected a non-empty array of \"host:port\" strings");
	if (c->redis.socket || c->redis.host || json_object_get(r, "port"))
		return fail(w, "$.redis", "give either \"sentinels\" or \"socket\"/\"host\"/\"port\", not both");
	if (!c->redis.master)
		return fail(w, "$.redis.master", "missing; give the master name the sentinels monitor");
	if (!valid_master_name(c->redis.master))
		return fail(w, "$.redis.master", "use 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'");
	c->redis.sentinels = calloc(json_array_size(list), sizeof(*c->redis.sentinels));
	json_array_foreach(list, i, e) {
		char p[64];
		snprintf(p, sizeof(p), "$.redis.sentinels[%zu]", i);
		if (!json_is_string(e) || cfg_parse_hostport(json_string_value(e), &c->redis.sentinels[i]))
			return fail(w, p, "expected \"host:port\" (IPv6: \"[addr]:port\"), port 1-65535");
		c->redis.n_sentinels = i + 1;
	}
	return 0;
}

static int parse_redis(struct walk *w, json_t *root, struct cfg *c)
{
	static const char *const keys[] = { "socket", "host", "port", "sentinels", "master",
		"timeout_ms", "collector", "web", NULL };
	json_t *r = json_object_get(root, "redis");

	if (!r)
		return fail(w, "$.redis", "missing; give \"socket\", or \"host\" and \"port\", or \"sentinels\" and \"master\"");
	if (check_keys(w, r, "$.redis", keys) ||
	    get_str(w, r, "$.redis", "socket", &c->redis.socket, NULL, 0) ||
	    get_str(w, r, "$.redis", "host", &c->redis.host, NULL, 0) ||
	    get_int(w, r, "$.redis", "port", &c->redis.port, 6379, 1, 65535) ||
	    get_str(w, r, "$.redis", "master", &c->redis.master, NULL, 0) ||
	    get_int(w, r, "$.redis", "timeout_ms", &c->redis.timeout_ms, 2000, 50, 60000) ||
	    parse_redis_user(w, r, "$.redis", "collector", &c->redis.collector) ||
	    parse_redis_user(w, r, "$.redis", "web", &c->redis.web) ||
	    parse_sentinels(w, r, c))
		return -1;
	if (c->redis.n_sentinels)
		return 0;
	if (!c->redis.socket && !c->redis.host)
		return fail(w, "$.redis", "give \"socket\" (a unix socket path), or \"host\" and \"port\", or \"sentinels\" and \"master\"");
	if (c->redis.socket && c->redis.host)
		return fail(w, "$.redis", "give either \"socket\" or \"host\", not both");
	return 0;
}

static int parse_web(struct walk *w, json_t *root, struct cfg *c)
{
	static const char *const keys[] = { "listen", "workers", "templates", "static_dir",
		"session_timeout", "elevate_timeout", "admins", "max_body", NULL };
	json_t *v = json_object_get(root, "web");

	if (!v)
		v = json_object();
	else
		json_incref(v);
	int rc = check_keys(w, v, "$.web", keys) ||
	    get_str(w, v, "$.web", "listen", &c->web.listen, "unix:/run/vcompanion/web.sock", 0) ||
	    get_int(w, v, "$.web", "workers", &c->web.workers, 4, 1, 256) ||
	    get_str(w, v, "$.web", "templates", &c->web.templates, "/usr/share/vcompanion/templates", 0) ||
	    get_str(w, v, "$.web", "static_dir", &c->web.static_dir, NULL, 0) ||
	    get_int(w, v, "$.web", "session_timeout", &c->web.session_timeout, 1800,
	            CFG_SESSION_MIN, CFG_SESSION_MAX) ||
	    get_int(w, v, "$.web", "elevate_timeout", &c->web.elevate_timeout, 300,
	            CFG_ELEVATE_MIN, CFG_ELEVATE_MAX) ||
	    get_strv(w, v, "$.web", "admins", &c->web.admins, &c->web.n_admins) ||
	    get_int(w, v, "$.web", "max_body", &c->web.max_body, 1 << 20, 1024, 64 << 20);
	json_decref(v);
	return rc ? -1 : 0;
}

static int parse_collector(struct walk *w, json_t *root, struct cfg *c)
{
	static const char *const keys[] = { "concurrency", "interval", "timeout", "page_size",
		"connections", "incremental", "full_interval", "lease_ms", "perf", NULL };
	json_t *v = json_object_get(root, "collector");

	if (!v)
		v = json_object();
	else
		json_incref(v);
	int rc = check_keys(w, v, "$.collector", keys) ||
	    get_int(w, v, "$.collector", "concurrency", &c->collector.concurrency, 16, 1, 256) ||
	    get_int(w, v, "$.collector", "interval", &c->collector.interval, 120,
	            CFG_INTERVAL_MIN, CFG_INTERVAL_MAX) ||
	    get_int(w, v, "$.collector", "timeout", &c->collector.timeout, 30, 5, 3600) ||
	    get_int(w, v, "$.collector", "page_size", &c->collector.page_size, 1000, 10, 10000) ||
	    get_int(w, v, "$.collector", "connections", &c->collector.connections, 2, 1, 4) ||
	    get_bool(w, v, "$.collector", "incremental", &c->collector.incremental, true) ||
	    get_int(w, v, "$.collector", "full_interval", &c->collector.full_interval, 3600, 300, 86400) ||
	    get_int(w, v, "$.collector", "lease_ms", &c->collector.lease_ms, 30000,
	            CFG_LEASE_MIN, CFG_LEASE_MAX) ||
	    get_bool(w, v, "$.collector", "perf", &c->collector.perf, true);
	json_decref(v);
	return rc ? -1 : 0;
}

static int parse_log(struct walk *w, json_t *root, struct cfg *c)
{
	static const char *const keys[] = { "level", NULL };
	json_t *v = json_object_get(root, "log");

	if (!v) {
		c->log.level = strdup("info");
		return 0;
	}
	if (check_keys(w, v, "$.log", keys) ||
	    get_str(w, v, "$.log", "level", &c->log.level, "info", 0))
		return -1;
	if (strcmp(c->log.level, "debug") && strcmp(c->log.level, "info") &&
	    strcmp(c->log.level, "warn") && strcmp(c->log.level, "error"))
		return fail(w, "$.log.level", "use one of debug, info, warn, error");
	return 0;
}

static int parse_vcenter(struct walk *w, json_t *v, const char *p, const struct cfg *c,
                         struct cfg_vcenter *vc)
{
	static const char *const keys[] = { "id", "name", "url", "verify_tls", "ca_file",
		"fingerprint", "interval", "user", "password_file", "tags", NULL };
	char *id = NULL, pk[256];

	if (check_keys(w, v, p, keys) || get_str(w, v, p, "id", &id, NULL, 1))
		return -1;
	sub(pk, sizeof(pk), p, "id");
	if (!cfg_valid_id(id)) {
		free(id);
		return fail(w, pk, "use 1 to %d characters of a-z, 0-9, '_' or '-'", CFG_ID_MAX);
	}
	memcpy(vc->id, id, strlen(id) + 1);
	free(id);
	if (get_str(w, v, p, "name", &vc->name, vc->id, 0) ||
	    get_str(w, v, p, "url", &vc->url, NULL, 1) ||
	    get_bool(w, v, p, "verify_tls", &vc->verify_tls, true) ||
	    get_str(w, v, p, "ca_file", &vc->ca_file, NULL, 0) ||
	    get_str(w, v, p, "fingerprint", &vc->fingerprint, NULL, 0) ||
	    get_int(w, v, p, "interval", &vc->interval, c->collector.interval,
	            CFG_INTERVAL_MIN, CFG_INTERVAL_MAX) ||
	    get_str(w, v, p, "user", &vc->user, NULL, 1) ||
	    get_str(w, v, p, "password_file", &vc->password_file, NULL, 1) ||
	    get_strv(w, v, p, "tags", &vc->tags, &vc->n_tags))
		return -1;
	sub(pk, sizeof(pk), p, "url");
	if (strncmp(vc->url, "https://", 8) && strncmp(vc->url, "http://", 7))
		return fail(w, pk, "use an https:// URL such as https://vc.example.com/sdk");
	sub(pk, sizeof(pk), p, "fingerprint");
	if (vc->fingerprint && !cfg_valid_fingerprint(vc->fingerprint))
		return fail(w, pk, "give the certificate's SHA-256 as 64 hex digits (colons allowed)");
	return 0;
}

static int parse_vcenters(struct walk *w, json_t *root, struct cfg *c)
{
	json_t *arr = json_object_get(root, "vcenters"), *v;
	size_t i;
	char p[64];

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return fail(w, "$.vcenters", "expected an array of vCenter objects");
	c->vcenters = calloc(json_array_size(arr) + 1, sizeof(*c->vcenters));
	json_array_foreach(arr, i, v) {
		snprintf(p, sizeof(p), "$.vcenters[%zu]", i);
		c->n_vcenters = i + 1;
		if (parse_vcenter(w, v, p, c, &c->vcenters[i]))
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(c->vcenters[j].id, c->vcenters[i].id)) {
				char pk[80];
				snprintf(pk, sizeof(pk), "%s.id", p);
				return fail(w, pk, "\"%s\" is used twice; every vCenter needs its own id",
				            c->vcenters[i].id);
			}
		}
	}
	return 0;
}

int cfg_parse(struct cfg *out, const char *json, size_t len, const char *name,
              char *err, size_t errlen)
{
	static const char *const keys[] = { "redis", "key_file", "web", "collector", "log",
		"vcenters", NULL };
	struct walk w = { name, err, errlen, 0 };
	json_error_t jerr;
	json_t *root;

	memset(out, 0, sizeof(*out));
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s: line %d, column %d: %s; fix the JSON syntax",
		         name, jerr.line, jerr.column, jerr.text);
		return -1;
	}
	out->path = strdup(name);
	if (check_keys(&w, root, "$", keys) || parse_redis(&w, root, out) ||
	    get_str(&w, root, "$", "key_file", &out->key_file, NULL, 1) ||
	    parse_web(&w, root, out) || parse_collector(&w, root, out) ||
	    parse_log(&w, root, out) || parse_vcenters(&w, root, out)) {
		json_decref(root);
		cfg_free(out);
		return -1;
	}
	json_decref(root);
	return 0;
}

static char *read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *data;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	data = malloc(max + 1);
	n = fread(data, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(data);
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		return NULL;
	}
	data[n] = '\0';
	*len = n;
	return data;
}

int cfg_load(struct cfg *out, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *data = read_file(path, 4 << 20, &len, err, errlen);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!data)
		return -1;
	rc = cfg_parse(out, data, len, path, err, errlen);
	free(data);
	return rc;
}

char *cfg_read_secret(const char *path, char *err, size_t errlen)
{
	size_t len;
	char *data = read_file(path, 4096, &len, err, errlen);
	char *nl;

	if (!data)
		return NULL;
	nl = memchr(data, '\n', len);
	if (nl) {
		sodium_memzero(nl, len - (size_t)(nl - data));
		len = (size_t)(nl - data);
	}
	if (len && data[len - 1] == '\r')
		data[--len] = '\0';
	if (!len || strlen(data) != len) {
		sodium_memzero(data, len);
		free(data);
		snprintf(err, errlen, "%s: empty or holds a NUL byte; write the secret on its first line", path);
		return NULL;
	}
	return data;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->redis.socket);
	free(c->redis.host);
	for (size_t i = 0; i < c->redis.n_sentinels; i++)
		free(c->redis.sentinels[i].host);
	free(c->redis.sentinels);
	free(c->redis.master);
	free(c->redis.collector.user);
	free(c->redis.collector.password_file);
	free(c->redis.web.user);
	free(c->redis.web.password_file);
	free(c->key_file);
	free(c->web.listen);
	free(c->web.templates);
	free(c->web.static_dir);
	free_strv(c->web.admins, c->web.n_admins);
	free(c->log.level);
	for (size_t i = 0; i < c->n_vcenters; i++) {
		struct cfg_vcenter *v = &c->vcenters[i];
		free(v->name);
		free(v->url);
		free(v->ca_file);
		free(v->fingerprint);
		free(v->user);
		free(v->password_file);
		free_strv(v->tags, v->n_tags);
	}
	free(c->vcenters);
	memset(c, 0, sizeof(*c));
}

const struct cfg_vcenter *cfg_vcenter_find(const struct cfg *c, const char *id)
{
	for (size_t i = 0; i < c->n_vcenters; i++)
		if (!strcmp(c->vcenters[i].id, id))
			return &c->vcenters[i];
	return NULL;
}

bool cfg_is_admin(const struct cfg *c, const char *user)
{
	for (size_t i = 0; i < c->web.n_admins; i++)
		if (!strcasecmp(c->web.admins[i], user))
			return true;
	return false;
}
