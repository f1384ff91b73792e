/* Key rotation over the values in Redis (see rekey.h). */
#include "rekey.h"
#include "log.h"

#include <hiredis/hiredis.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REKEY_SCAN_COUNT "500"

static int fail(struct store *s, enum store_err e, const char *msg)
{
	s->err = e;
	snprintf(s->errstr, sizeof(s->errstr), "%s", msg);
	return -1;
}

/* Set between WATCH and the end of its transaction: commands are not retried on a
 * fresh connection then (store_command_once). One store per thread: thread-local. */
static _Thread_local int in_tx;

/* One command whose reply is wanted; an error reply is turned into s->err. */
static redisReply *run(struct store *s, int argc, const char **argv, const size_t *lens)
{
	redisReply *r = in_tx ? store_command_once(s, argc, argv, lens) : store_command(s, argc, argv, lens);

	if (r && r->type == REDIS_REPLY_ERROR) {
		fail(s, strncmp(r->str, "NOPERM", 6) ? STORE_EPROTO : STORE_EPERM, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

static int run_ok(struct store *s, int argc, const char **argv, const size_t *lens)
{
	redisReply *r = run(s, argc, argv, lens);

	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

int rekey_first_id(const struct store *s)
{
	return s->ring && s->ring->n > 0 ? s->ring->keys[0].id : -1;
}

static void count(struct rekey_census *c, const char *v, size_t len)
{
	int id = seal_key_id(v, len);

	if (id < 0)
		c->plain++;
	else
		c->by_id[id]++;
}

/* TYPE key: 's' string, 'l' list, 0 anything else (missing, other types); -1 error. */
static int type_of(struct store *s, const char *key)
{
	const char *argv[2] = { "TYPE", key };
	redisReply *r = run(s, 2, argv, NULL);
	int t;

	if (!r)
		return -1;
	t = r->type != REDIS_REPLY_STATUS ? 0 : !strcmp(r->str, "string") ? 's' : !strcmp(r->str, "list") ? 'l' : 0;
	freeReplyObject(r);
	return t;
}

static redisReply *lrange_all(struct store *s, const char *key)
{
	const char *argv[4] = { "LRANGE", key, "0", "-1" };
	redisReply *r = run(s, 4, argv, NULL);

	if (r && r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		fail(s, STORE_EPROTO, "LRANGE: not an array");
		return NULL;
	}
	return r;
}

/* The first two bytes of a string value (the seal header) into h; their count. */
static int head_of(struct store *s, const char *key, char h[2])
{
	const char *argv[4] = { "GETRANGE", key, "0", "1" };
	redisReply *r = run(s, 4, argv, NULL);
	int n;

	if (!r)
		return -1;
	n = r->type == REDIS_REPLY_STRING ? (int)(r->len < 2 ? r->len : 2) : 0;
	if (n)
		memcpy(h, r->str, (size_t)n);
	freeReplyObject(r);
	return n;
}

static int census_key(struct store *s, const char *key, struct rekey_census *c)
{
	int t = type_of(s, key);
	char h[2];
	int n;

	if (t < 0)
		return -1;
	c->keys++;
	if (t == 's') {
		if ((n = head_of(s, key, h)) < 0)
			return -1;
		count(c, h, (size_t)n);
	} else if (t == 'l') {
		redisReply *r = lrange_all(s, key);
		if (!r)
			return -1;
		for (size_t i = 0; i < r->elements; i++)
			count(c, r->element[i]->str, r->element[i]->len);
		freeReplyObject(r);
	}
	return 0;
}

/* Calls fn for every key matching pattern; stops at the first error. */
static int scan(struct store *s, const char *pattern, int (*fn)(struct store *, const char *, void *),
                void *ctx)
{
	char cursor[32] = "0";

	do {
		const char *argv[6] = { "SCAN", cursor, "MATCH", pattern, "COUNT", REKEY_SCAN_COUNT };
		redisReply *r = run(s, 6, argv, NULL);
		const redisReply *keys;
		if (!r)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			return fail(s, STORE_EPROTO, "SCAN: unexpected reply");
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		keys = r->element[1];
		for (size_t i = 0; keys->type == REDIS_REPLY_ARRAY && i < keys->elements; i++) {
			if (fn(s, keys->element[i]->str, ctx)) {
				freeReplyObject(r);
				return -1;
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0"));
	return 0;
}

static int census_cb(struct store *s, const char *key, void *ctx)
{
	return census_key(s, key, ctx);
}

int rekey_census(struct store *s, const char *pattern, struct rekey_census *c)
{
	return scan(s, pattern, census_cb, c);
}

unsigned long rekey_census_stale(const struct rekey_census *c, int first)
{
	unsigned long n = 0;

	for (int id = 0; id < 256; id++)
		if (id != first)
			n += c->by_id[id];
	return n;
}

/* v sealed with the first key (a fresh malloc'd copy in *out, *outlen), in its own
 * version (a packed value stays packed), or NULL when it needs nothing (plain,
 * current) or cannot be opened (left as it is). */
static uint8_t *reseal(struct store *s, const char *key, const char *v, size_t len, size_t *outlen)
{
	int id = seal_key_id(v, len), version = 0;
	uint8_t *out = NULL;
	char *plain;
	size_t n;

	if (id < 0 || id == rekey_first_id(s))
		return NULL;
	if (!seal_open_alloc(s->ring, key, (const uint8_t *)v, len, SEAL_MAX_PLAIN, &plain, &n,
	                     &version)) {
		out = version == SEAL_VERSION_ZSTD ? seal_packed(s->ring, key, plain, n, outlen)
		                                   : seal_alloc(s->ring, key, plain, n, outlen);
		sodium_memzero(plain, n);
		free(plain);
	}
	if (!out)
		log_warn("rekey.unopened", "key=%s hint=%s", log_q(key),
		         log_q("sealed with a key that is not in the ring, or tampered: left as it is"));
	return out;
}

static void unwatch(struct store *s)
{
	const char *argv[1] = { "UNWATCH" };

	run_ok(s, 1, argv, NULL);
}

/* MULTI, the queued commands, EXEC: 1 done, 0 aborted (the key changed, or the
 * connection was replaced since WATCH), -1 error. */
static int transact(struct store *s, unsigned long conn, int ncmd, int argcs[], const char **argvs[],
                    size_t *lenss[])
{
	const char *multi[1] = { "MULTI" }, *exec[1] = { "EXEC" }, *discard[1] = { "DISCARD" };
	redisReply *r;
	int rc;

	if (s->connects != conn || run_ok(s, 1, multi, NULL))
		return s->connects != conn ? 0 : -1;
	for (int i = 0; i < ncmd; i++) {
		if (run_ok(s, argcs[i], argvs[i], lenss[i]) || s->connects != conn) {
			if (s->connects == conn)
				run_ok(s, 1, discard, NULL);
			return s->connects != conn ? 0 : -1;
		}
	}
	if (!(r = run(s, 1, exec, NULL)))
		return -1;
	rc = r->type == REDIS_REPLY_ARRAY ? 1 : 0;   /* nil: a watched key changed */
	freeReplyObject(r);
	return rc;
}

static int reseal_string(struct store *s, const char *key, unsigned long conn)
{
	const char *get[2] = { "GET", key };
	char h[2];
	int n = head_of(s, key, h), rc;
	redisReply *r;
	uint8_t *out;
	size_t outlen;

	if (n < 0)
		return -1;
	if (seal_key_id(h, (size_t)n) < 0 || seal_key_id(h, (size_t)n) == rekey_first_id(s))
		return 0;
	if (!(r = run(s, 2, get, NULL)))
		return -1;
	out = r->type == REDIS_REPLY_STRING ? reseal(s, key, r->str, r->len, &outlen) : NULL;
	freeReplyObject(r);
	if (!out)
		return 0;
	{
		const char *set[4] = { "SET", key, (const char *)out, "KEEPTTL" };
		size_t lens[4] = { 3, strlen(key), outlen, 7 };
		int argcs[1] = { 4 };
		const char **argvs[1] = { set };
		size_t *lenss[1] = { lens };
		rc = transact(s, conn, 1, argcs, argvs, lenss);
	}
	free(out);
	return rc;
}

static int reseal_list(struct store *s, const char *key, unsigned long conn)
{
	redisReply *r = lrange_all(s, key), *ttl;
	const char *pttl[2] = { "PTTL", key };
	size_t n, changed = 0;
	const char **argv;
	size_t *lens;
	uint8_t **fresh;
	char ms[32] = "";
	int rc;

	if (!r)
		return -1;
	n = r->elements;
	argv = calloc(n + 2, sizeof(*argv));
	lens = calloc(n + 2, sizeof(*lens));
	fresh = calloc(n + 1, sizeof(*fresh));
	if (!argv || !lens || !fresh)
		abort();
	argv[0] = "RPUSH", lens[0] = 5;
	argv[1] = key, lens[1] = strlen(key);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		fresh[i] = reseal(s, key, r->element[i]->str, r->element[i]->len, &len);
		changed += fresh[i] != NULL;
		argv[i + 2] = fresh[i] ? (const char *)fresh[i] : r->element[i]->str;
		lens[i + 2] = fresh[i] ? len : r->element[i]->len;
	}
	rc = 0;
	if (changed && (ttl = run(s, 2, pttl, NULL))) {
		const char *del[2] = { "DEL", key }, *expire[3] = { "PEXPIRE", key, ms };
		int argcs[3] = { 2, (int)n + 2, 3 };
		const char **argvs[3] = { del, argv, expire };
		size_t *lenss[3] = { NULL, lens, NULL };
		if (ttl->type == REDIS_REPLY_INTEGER && ttl->integer > 0)
			snprintf(ms, sizeof(ms), "%lld", ttl->integer);
		freeReplyObject(ttl);
		rc = transact(s, conn, ms[0] ? 3 : 2, argcs, argvs, lenss);
	} else if (changed) {
		rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(fresh[i]);
	free(fresh);
	free(lens);
	free(argv);
	freeReplyObject(r);
	return rc;
}

int rekey_value(struct store *s, const char *key)
{
	const char *watch[2] = { "WATCH", key };
	unsigned long conn;
	int t, rc;

	if (rekey_first_id(s) < 0)
		return fail(s, STORE_ECONFIG, "no data key to seal with");
	if (run_ok(s, 2, watch, NULL))
		return -1;
	conn = s->connects;
	in_tx = 1;
	t = type_of(s, key);
	rc = t == 's' ? reseal_string(s, key, conn) : t == 'l' ? reseal_list(s, key, conn) : t < 0 ? -1 : 0;
	if (rc <= 0 && s->connects == conn)
		unwatch(s);
	in_tx = 0;
	return rc;
}

struct all_ctx {
	unsigned long done;
};

static int all_cb(struct store *s, const char *key, void *ctx)
{
	int rc = rekey_value(s, key);

	if (rc > 0)
		((struct all_ctx *)ctx)->done++;
	return rc < 0 ? -1 : 0;
}

int rekey_all(struct store *s, const char *pattern, unsigned long *done)
{
	struct all_ctx c = { 0 };
	int rc = scan(s, pattern, all_cb, &c);

	if (done)
		*done += c.done;
	return rc;
}

int rekey_web(struct store *s, unsigned long *done)
{
	static const char *const patterns[] = { "cfg:*", "sess:*", "pref:*", "audit:*", "cmd:*" };

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (rekey_all(s, patterns[i], done))
			return -1;
	return store_incr(s, REKEY_RESEAL_KEY, 0) < 0 ? -1 : 0;
}
