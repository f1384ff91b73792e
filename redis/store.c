/* The sealed Redis store (see store.h): one hiredis connection as one ACL user,
 * lazily (re)connected with exponential backoff, every value sealed on the way in
 * and opened on the way out. A command that fails on a broken connection is retried
 * once on a fresh one, so a Redis restart costs the caller nothing but latency. */
#include "store.h"
#include "log.h"

#include <hiredis/hiredis.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define TAMPER_SEEN 64

/* Hashes of key names already reported as tampered, so each is logged once. */
struct tamper_seen {
	uint64_t h[TAMPER_SEEN];
	unsigned next;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int set_err(struct store *s, enum store_err e, const char *msg)
{
	s->err = e;
	snprintf(s->errstr, sizeof(s->errstr), "%s", msg);
	return -1;
}

const char *store_strerror(enum store_err e)
{
	switch (e) {
	case STORE_OK: return "ok";
	case STORE_ECONN: return "cannot reach Redis";
	case STORE_EAUTH: return "Redis refused the ACL user or password";
	case STORE_EPERM: return "the Redis ACL user may not do this";
	case STORE_EPROTO: return "unexpected reply from Redis";
	case STORE_ECONFIG: return "store configuration unusable";
	case STORE_EFENCED: return "the vCenter's lease is held by another collector";
	}
	return "unknown error";
}

static void disconnect(struct store *s)
{
	if (s->rc)
		redisFree(s->rc);
	s->rc = NULL;
}

static void schedule_retry(struct store *s)
{
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (s->backoff_ms > BACKOFF_MAX_MS)
		s->backoff_ms = BACKOFF_MAX_MS;
	s->next_try_ms = now_ms() + s->backoff_ms;
}

static int authenticate(struct store *s)
{
	redisReply *r = redisCommand(s->rc, "AUTH %s %s", s->user, s->password);
	int ok = r && r->type == REDIS_REPLY_STATUS;

	if (!ok) {
		set_err(s, r ? STORE_EAUTH : STORE_ECONN,
		        r ? "Redis refused the ACL user or password (check the password file)"
		          : "connection lost during AUTH");
	}
	if (r)
		freeReplyObject(r);
	return ok ? 0 : -1;
}

static int connect_to(struct store *s, const char *socket, const char *host, int port)
{
	struct timeval tv = { s->timeout_ms / 1000, (s->timeout_ms % 1000) * 1000 };

	s->rc = socket ? redisConnectUnixWithTimeout(socket, tv) : redisConnectWithTimeout(host, port, tv);
	if (!s->rc || s->rc->err) {
		char msg[128];
		snprintf(msg, sizeof(msg), "cannot reach Redis at %s: %s",
		         socket ? socket : host, s->rc ? s->rc->errstr : "out of memory");
		disconnect(s);
		return set_err(s, STORE_ECONN, msg);
	}
	redisSetTimeout(s->rc, tv);
	if (authenticate(s)) {
		disconnect(s);
		return -1;
	}
	return 0;
}

/* Asks one sentinel for the master's address (SENTINEL get-master-addr-by-name). */
static int ask_sentinel(struct store *s, const struct cfg_hostport *sn, char *host, size_t n,
                        int *port)
{
	struct timeval tv = { s->timeout_ms / 1000, (s->timeout_ms % 1000) * 1000 };
	redisContext *c = redisConnectWithTimeout(sn->host, sn->port, tv);
	redisReply *r = NULL;
	char msg[128];
	int rc = -1;

	if (c && !c->err) {
		redisSetTimeout(c, tv);
		r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", s->master);
	}
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING) {
		snprintf(host, n, "%s", r->element[0]->str);
		*port = atoi(r->element[1]->str);
		rc = 0;
	} else {
		snprintf(msg, sizeof(msg), "sentinel %s:%d: %s", sn->host, sn->port,
		         !c || c->err ? "unreachable" : !r ? "no answer" :
		         r->type == REDIS_REPLY_NIL ? "does not know the master name" :
		         r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		set_err(s, STORE_ECONN, msg);
	}
	if (r)
		freeReplyObject(r);
	if (c)
		redisFree(c);
	return rc;
}

/* The master's role through HELLO (ROLE needs @admin, which neither ACL user has). */
static int check_master(struct store *s)
{
	redisReply *r = redisCommand(s->rc, "HELLO 2");
	int rc = set_err(s, STORE_ECONN, "the address the sentinel gave is not a master (failover in progress?)");

	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING && !strcmp(r->element[i]->str, "role") &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING && !strcmp(r->element[i + 1]->str, "master"))
			rc = 0;
	if (r)
		freeReplyObject(r);
	if (rc == 0)
		s->err = STORE_OK;
	return rc;
}

/* Asks the sentinels in turn, starting with the last that answered, and connects to
 * the first verified master. */
static int connect_via_sentinels(struct store *s)
{
	char host[64], addr[sizeof(s->master_addr)];
	int port;

	for (size_t i = 0; i < s->n_sentinels; i++) {
		size_t k = (s->sentinel_first + i) % s->n_sentinels;
		if (ask_sentinel(s, &s->sentinels[k], host, sizeof(host), &port) ||
		    connect_to(s, NULL, host, port))
			continue;
		if (check_master(s)) {
			disconnect(s);
			continue;
		}
		s->sentinel_first = k;
		snprintf(addr, sizeof(addr), "%s:%d", host, port);
		if (strcmp(addr, s->master_addr))
			log_info("store.master", "master=%s addr=%s sentinel=%s:%d", log_q(s->master), addr,
			         s->sentinels[k].host, s->sentinels[k].port);
		memcpy(s->master_addr, addr, sizeof(addr));
		return 0;
	}
	return -1;
}

static int connect_now(struct store *s)
{
	if (s->n_sentinels)
		return connect_via_sentinels(s);
	return connect_to(s, s->socket, s->host, s->port);
}

/* Connected, or -1 (without trying) while the backoff since the last failure runs. */
static int ensure(struct store *s)
{
	if (s->rc)
		return 0;
	if (now_ms() < s->next_try_ms)
		return set_err(s, STORE_ECONN, "Redis unreachable; retrying with backoff");
	if (connect_now(s)) {
		schedule_retry(s);
		return -1;
	}
	if (s->backoff_ms)
		s->reconnects++;
	s->connects++;
	s->backoff_ms = 0;
	s->next_try_ms = 0;
	return 0;
}

/* Classifies an error reply; returns -1 always. */
static int reply_err(struct store *s, const redisReply *r)
{
	if (!strncmp(r->str, "NOPERM", 6))
		return set_err(s, STORE_EPERM, r->str);
	if (!strncmp(r->str, "NOAUTH", 6) || !strncmp(r->str, "WRONGPASS", 9))
		return set_err(s, STORE_EAUTH, r->str);
	return set_err(s, STORE_EPROTO, r->str);
}

int store_is_readonly(const struct redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "READONLY", 8);
}

/* Runs one command (argv form) with one retry on a fresh connection. The reply is
 * the caller's; NULL means a connection error (s->err says which). */
static redisReply *command(struct store *s, int argc, const char **argv, const size_t *lens)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		redisReply *r;
		if (ensure(s))
			return NULL;
		r = redisCommandArgv(s->rc, argc, argv, lens);
		if (r && !store_is_readonly(r))
			return r;
		if (r) {
			/* a demoted master (Sentinel failover): find the new one */
			log_warn("store.readonly", "addr=%s", s->master_addr[0] ? s->master_addr : "?");
			freeReplyObject(r);
		} else {
			log_warn("store.disconnected", "error=%s", log_q(s->rc->errstr));
		}
		disconnect(s);
		s->next_try_ms = 0;
	}
	set_err(s, STORE_ECONN, "Redis connection lost");
	return NULL;
}

struct store *store_open_with(const char *socket, const char *host, int port,
                              int timeout_ms, const char *user, const char *password,
                              struct keyring *ring, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s || !ring) {
		snprintf(err, errlen, "store: no key ring");
		free(s);
		keyring_free(ring);
		return NULL;
	}
	s->ring = ring;
	s->socket = socket ? strdup(socket) : NULL;
	s->host = host ? strdup(host) : NULL;
	s->port = port;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
	s->user = strdup(user);
	s->password = strdup(password);
	s->seen = calloc(1, sizeof(*s->seen));
	return s;
}

struct store *store_open(const struct cfg *cfg, enum store_role role, char *err, size_t errlen)
{
	const struct cfg_redis_user *u = role == STORE_COLLECTOR ? &cfg->redis.collector : &cfg->redis.web;
	struct keyring *ring = keyring_new();
	struct store *s;
	char *pass;

	if (!ring || keyring_load(ring, cfg->key_file, err, errlen)) {
		keyring_free(ring);
		return NULL;
	}
	pass = cfg_read_secret(u->password_file, err, errlen);
	if (!pass) {
		keyring_free(ring);
		return NULL;
	}
	s = store_open_with(cfg->redis.socket, cfg->redis.host, cfg->redis.port,
	                    cfg->redis.timeout_ms, u->user, pass, ring, err, errlen);
	sodium_memzero(pass, strlen(pass));
	free(pass);
	if (s)
		s->role = role;
	if (s && cfg->redis.n_sentinels &&
	    store_use_sentinels(s, cfg->redis.sentinels, cfg->redis.n_sentinels, cfg->redis.master)) {
		store_free(s);
		snprintf(err, errlen, "store: out of memory");
		return NULL;
	}
	return s;
}

int store_use_sentinels(struct store *s, const struct cfg_hostport *sentinels, size_t n,
                        const char *master)
{
	s->sentinels = calloc(n, sizeof(*s->sentinels));
	s->master = strdup(master);
	if (!s->sentinels || !s->master)
		return -1;
	for (size_t i = 0; i < n; i++) {
		s->sentinels[i].host = strdup(sentinels[i].host);
		s->sentinels[i].port = sentinels[i].port;
		if (!s->sentinels[i].host)
			return -1;
		s->n_sentinels = i + 1;
	}
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	disconnect(s);
	for (size_t i = 0; i < s->n_sentinels; i++)
		free(s->sentinels[i].host);
	free(s->sentinels);
	free(s->master);
	keyring_free(s->ring);
	if (s->password) {
		sodium_memzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->socket);
	free(s->host);
	free(s->user);
	free(s->seen);
	free(s);
}

int store_ping(struct store *s)
{
	const char *argv[] = { "PING" };
	redisReply *r = command(s, 1, argv, NULL);
	int ok = r && r->type == REDIS_REPLY_STATUS;

	if (r && !ok)
		r->type == REDIS_REPLY_ERROR ? reply_err(s, r) : set_err(s, STORE_EPROTO, "PING");
	if (r)
		freeReplyObject(r);
	return ok ? 0 : -1;
}

/* Runs a command whose success reply is a status or an integer. */
static int simple(struct store *s, int argc, const char **argv, const size_t *lens,
                  long long *integer)
{
	redisReply *r = command(s, argc, argv, lens);
	int rc = -1;

	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_ERROR) {
		reply_err(s, r);
	} else if (r->type == REDIS_REPLY_INTEGER) {
		if (integer)
			*integer = r->integer;
		rc = 0;
	} else if (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_NIL) {
		rc = 0;
	} else {
		set_err(s, STORE_EPROTO, "unexpected reply type");
	}
	freeReplyObject(r);
	return rc;
}

static uint8_t *seal_value(struct store *s, const char *key, const void *data, size_t len)
{
	size_t slen;
	uint8_t *sealed = seal_alloc(s->ring, key, data, len, &slen);

	if (!sealed)
		set_err(s, STORE_ECONFIG, "no data key to seal with");
	return sealed;
}

int store_put(struct store *s, const char *key, const void *data, size_t len, int ttl_s)
{
	uint8_t *sealed = seal_value(s, key, data, len);
	char ttl[24];
	const char *argv[5] = { "SET", key, (const char *)sealed, "EX", ttl };
	size_t lens[5] = { 3, strlen(key), len + SEAL_OVERHEAD, 2, 0 };
	int rc;

	if (!sealed)
		return -1;
	lens[4] = (size_t)snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	rc = simple(s, ttl_s > 0 ? 5 : 3, argv, lens, NULL);
	free(sealed);
	return rc;
}

static uint64_t name_hash(const char *key)
{
	uint64_t h;

	crypto_generichash((uint8_t *)&h, sizeof(h), (const uint8_t *)key, strlen(key), NULL, 0);
	return h;
}

static void note_tampered(struct store *s, const char *key)
{
	uint64_t h = name_hash(key);

	s->tampered++;
	for (unsigned i = 0; i < TAMPER_SEEN; i++)
		if (s->seen->h[i] == h)
			return;
	s->seen->h[s->seen->next++ % TAMPER_SEEN] = h;
	log_error("store.tampered", "key=%s hint=%s", log_q(key),
	          log_q("value failed to open (tampered, moved, or sealed with a retired key); treated as missing"));
}

/* Opens a sealed reply into a fresh NUL-terminated buffer; 1 ok, 0 tampered. */
static int open_reply(struct store *s, const char *key, const redisReply *r, char **out,
                      size_t *outlen)
{
	if (seal_open_alloc(s->ring, key, (const uint8_t *)r->str, r->len, SEAL_MAX_PLAIN, out,
	                    outlen, NULL)) {
		note_tampered(s, key);
		return 0;
	}
	return 1;
}

int store_get(struct store *s, const char *key, char **out, size_t *outlen)
{
	const char *argv[] = { "GET", key };
	redisReply *r = command(s, 2, argv, NULL);
	int rc;

	*out = NULL;
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_NIL)
		rc = 0;
	else if (r->type == REDIS_REPLY_STRING)
		rc = open_reply(s, key, r, out, outlen);
	else
		rc = r->type == REDIS_REPLY_ERROR ? reply_err(s, r) : set_err(s, STORE_EPROTO, "GET");
	freeReplyObject(r);
	return rc;
}

int store_get_plain(struct store *s, const char *key, char *out, size_t n)
{
	const char *argv[] = { "GET", key };
	redisReply *r = command(s, 2, argv, NULL);
	int rc;

	out[0] = '\0';
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		rc = 0;
	} else if (r->type == REDIS_REPLY_STRING) {
		snprintf(out, n, "%.*s", (int)r->len, r->str);
		rc = 1;
	} else {
		rc = r->type == REDIS_REPLY_ERROR ? reply_err(s, r) : set_err(s, STORE_EPROTO, "GET");
	}
	freeReplyObject(r);
	return rc;
}

int store_eval(struct store *s, const char *script, int nkeys, const char *const *keys,
               int nargs, const char *const *args, long long *out)
{
	const char *argv[3 + 16];
	char n[16];

	if (nkeys < 0 || nargs < 0 || nkeys + nargs > 16)
		return set_err(s, STORE_EPROTO, "store_eval: too many keys and arguments");
	snprintf(n, sizeof(n), "%d", nkeys);
	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = n;
	memcpy(argv + 3, keys, (size_t)nkeys * sizeof(*argv));
	memcpy(argv + 3 + nkeys, args, (size_t)nargs * sizeof(*argv));
	*out = 0;
	return simple(s, 3 + nkeys + nargs, argv, NULL, out);
}

/* MGET of n keys: the array reply (caller frees), or NULL with the error set. */
static redisReply *mget(struct store *s, const char *const *keys, size_t n)
{
	const char **argv = calloc(n + 1, sizeof(*argv));
	redisReply *r;

	if (!argv)
		abort();
	argv[0] = "MGET";
	memcpy(argv + 1, keys, n * sizeof(*argv));
	r = command(s, (int)n + 1, argv, NULL);
	free(argv);
	if (r && (r->type != REDIS_REPLY_ARRAY || r->elements != n)) {
		r->type == REDIS_REPLY_ERROR ? reply_err(s, r) : set_err(s, STORE_EPROTO, "MGET");
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* Opens elements from..n of an MGET reply and hands each to fn as element i - from. */
static void open_each(struct store *s, const char *const *keys, const redisReply *r, size_t from,
                      size_t n, void (*fn)(void *ctx, size_t i, const char *data, size_t len),
                      void *ctx)
{
	for (size_t i = from; i < n; i++) {
		char *plain = NULL;
		size_t len = 0;
		if (r->element[i]->type == REDIS_REPLY_STRING)
			open_reply(s, keys[i], r->element[i], &plain, &len);
		fn(ctx, i - from, plain, len);
		free(plain);
	}
}

int store_get_many(struct store *s, const char *const *keys, size_t n,
                   void (*fn)(void *ctx, size_t i, const char *data, size_t len), void *ctx)
{
	redisReply *r;

	if (n == 0)
		return 0;
	if (!(r = mget(s, keys, n)))
		return -1;
	open_each(s, keys, r, 0, n, fn, ctx);
	freeReplyObject(r);
	return 0;
}

int store_del(struct store *s, const char *key)
{
	const char *argv[] = { "DEL", key };

	return simple(s, 2, argv, NULL, NULL);
}

int store_expire(struct store *s, const char *key, int ttl_s)
{
	char ttl[24];
	const char *argv[] = { "EXPIRE", key, ttl };

	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	return simple(s, 3, argv, NULL, NULL);
}

long long store_incr(struct store *s, const char *key, int ttl_s)
{
	const char *argv[] = { "INCR", key };
	long long v = -1;

	if (simple(s, 2, argv, NULL, &v))
		return -1;
	if (ttl_s > 0 && v == 1 && store_expire(s, key, ttl_s))
		return -1;
	return v;
}

int store_counters(struct store *s, const char *const *keys, size_t n, long long *out)
{
	return store_counters_get(s, keys, n, out, n, NULL, NULL);
}

int store_counters_get(struct store *s, const char *const *keys, size_t nc, long long *out,
                       size_t n, void (*fn)(void *ctx, size_t i, const char *data, size_t len),
                       void *ctx)
{
	redisReply *r = mget(s, keys, n);

	if (!r)
		return -1;
	for (size_t i = 0; i < nc; i++)
		out[i] = r->element[i]->type == REDIS_REPLY_STRING ? atoll(r->element[i]->str) : 0;
	if (fn)
		open_each(s, keys, r, nc, n, fn, ctx);
	freeReplyObject(r);
	return 0;
}

long long store_counter(struct store *s, const char *key)
{
	long long v;

	return store_counters(s, &key, 1, &v) ? -1 : v;
}

const char *const store_types[] = {
	"status", "datacenter", "cluster", "host", "vm", "datastore", "pod", "network",
	"dvs", "portgroup", "vswitch", "vmk", "pnic", "snapshot", "alarm", "resourcepool",
	"tag", "events", NULL
};

int store_type_valid(const char *type)
{
	for (const char *const *t = store_types; *t; t++)
		if (!strcmp(*t, type))
			return 1;
	return 0;
}

void store_key_vc(char *out, size_t n, const char *vcenter, const char *type)
{
	snprintf(out, n, "vc:{%s}:%s", vcenter, type);
}

void store_key_gen(char *out, size_t n, const char *vcenter)
{
	store_key_vc(out, n, vcenter, "gen");
}

int store_reload_keys(struct store *s, const char *key_file, char *err, size_t errlen)
{
	struct keyring *ring = keyring_new();

	if (!ring || keyring_load(ring, key_file, err, errlen)) {
		keyring_free(ring);
		return -1;
	}
	keyring_free(s->ring);
	s->ring = ring;
	return 0;
}

redisReply *store_command(struct store *s, int argc, const char **argv, const size_t *lens)
{
	return command(s, argc, argv, lens);
}

redisReply *store_command_once(struct store *s, int argc, const char **argv, const size_t *lens)
{
	redisReply *r;

	if (ensure(s))
		return NULL;
	if (!(r = redisCommandArgv(s->rc, argc, argv, lens))) {
		log_warn("store.disconnected", "error=%s", log_q(s->rc->errstr));
		disconnect(s);
		s->next_try_ms = 0;
		set_err(s, STORE_ECONN, "Redis connection lost");
	}
	return r;
}
