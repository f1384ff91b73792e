/* rig: redis */
/* The sealed store against a real redis-server with the project's ACL file: round
 * trips, the ACL users' limits, tampered and moved values, key rotation, counters,
 * atomic batches (large and packed values), vCenter leases and fenced batches, and
 * a Redis restart under a connected client. */
#include "test.h"
#include "lease.h"
#include "rekey.h"
#include "store.h"
#include "seal.h"
#include "cfg.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char key1[128], key2[128];

static struct keyring *ring(const char *lines)
{
	struct keyring *r = keyring_new();
	char err[256];

	if (keyring_parse(r, lines, strlen(lines), err, sizeof(err))) {
		keyring_free(r);
		return NULL;
	}
	return r;
}

static struct store *open_as(const char *user, const char *lines)
{
	const char *file = strcmp(user, "web") ? getenv("RIG_REDIS_COLLECTOR_PASS_FILE")
	                                       : getenv("RIG_REDIS_WEB_PASS_FILE");
	char err[256], *pass = file ? cfg_read_secret(file, err, sizeof(err)) : NULL;
	struct store *s;

	if (!pass)
		return NULL;
	s = store_open_with(getenv("RIG_REDIS_SOCK"), NULL, 0, 2000, user, pass, ring(lines),
	                    err, sizeof(err));
	free(pass);
	return s;
}

static redisContext *admin(void)
{
	redisContext *c = redisConnectUnix(getenv("RIG_REDIS_SOCK"));
	redisReply *r;

	if (!c || c->err)
		return c;
	r = redisCommand(c, "AUTH rigadmin %s", getenv("RIG_REDIS_ADMIN_PASS"));
	freeReplyObject(r);
	return c;
}

/* Runs a raw command as the store's own ACL user; returns the reply's error text
 * or "" when it succeeded. */
static const char *raw(struct store *s, const char *cmd)
{
	static char out[256];
	redisReply *r;

	if (store_ping(s))
		return "store_ping failed";
	r = redisCommand(s->rc, cmd);
	snprintf(out, sizeof(out), "%s", r && r->type == REDIS_REPLY_ERROR ? r->str : "");
	freeReplyObject(r);
	return out;
}

TEST(round_trip_and_acl)
{
	struct store *c = open_as("collector", key1), *w = open_as("web", key1);
	char *val = NULL;
	size_t len = 0;

	ASSERT(c && w);
	ASSERT_EQ(store_put(c, "vc:{a}:vm", "[{\"name\":\"x\"}]", 14, 0), 0);
	ASSERT_EQ(store_get(w, "vc:{a}:vm", &val, &len), 1);
	ASSERT_EQ(len, 14);
	ASSERT_STREQ(val, "[{\"name\":\"x\"}]");
	free(val);
	ASSERT_EQ(store_get(w, "vc:{a}:missing", &val, &len), 0);
	ASSERT(val == NULL);
	/* web may not write inventory, but may write sessions */
	ASSERT_EQ(store_put(w, "vc:{a}:vm", "[]", 2, 0), -1);
	ASSERT_EQ(w->err, STORE_EPERM);
	ASSERT_EQ(store_put(w, "sess:abc", "{}", 2, 60), 0);
	/* collector may not write sessions */
	ASSERT_EQ(store_put(c, "sess:abc", "{}", 2, 60), -1);
	ASSERT_EQ(c->err, STORE_EPERM);
	/* neither runs admin or dangerous commands */
	ASSERT_CONTAINS(raw(c, "FLUSHALL"), "NOPERM");
	ASSERT_CONTAINS(raw(w, "FLUSHALL"), "NOPERM");
	ASSERT_CONTAINS(raw(c, "CONFIG GET dir"), "NOPERM");
	ASSERT_CONTAINS(raw(w, "CONFIG GET dir"), "NOPERM");
	ASSERT_CONTAINS(raw(c, "KEYS *"), "NOPERM");
	ASSERT_CONTAINS(raw(w, "KEYS *"), "NOPERM");
	ASSERT(*raw(w, "DEBUG SLEEP 0"));   /* refused (by ACL or by enable-debug-command) */
	store_free(c);
	store_free(w);
}

TEST(wrong_password)
{
	char err[256];
	struct store *s = store_open_with(getenv("RIG_REDIS_SOCK"), NULL, 0, 2000, "web", "wrong",
	                                  ring(key1), err, sizeof(err));

	ASSERT(s);
	ASSERT_EQ(store_ping(s), -1);
	ASSERT_EQ(s->err, STORE_EAUTH);
	ASSERT_NOT_CONTAINS(s->errstr, "wrong");
	store_free(s);
}

TEST(tampered_and_moved_values)
{
	struct store *c = open_as("collector", key1), *w = open_as("web", key1);
	redisContext *a = admin();
	redisReply *r;
	char *val = NULL;
	size_t len;

	ASSERT(c && w && a && !a->err);
	ASSERT_EQ(store_put(c, "vc:{a}:host", "[1]", 3, 0), 0);
	/* a byte flipped in place */
	r = redisCommand(a, "GET vc:{a}:host");
	ASSERT(r && r->type == REDIS_REPLY_STRING);
	r->str[r->len - 1] ^= 1;
	freeReplyObject(redisCommand(a, "SET vc:{a}:host %b", r->str, r->len));
	r->str[r->len - 1] ^= 1;
	/* the intact value moved under another key name */
	freeReplyObject(redisCommand(a, "SET vc:{b}:host %b", r->str, r->len));
	freeReplyObject(r);
	freeReplyObject(redisCommand(a, "SET vc:{c}:host %s", "plain text, never sealed"));
	ASSERT_EQ(store_get(w, "vc:{a}:host", &val, &len), 0);
	ASSERT_EQ(store_get(w, "vc:{b}:host", &val, &len), 0);
	ASSERT_EQ(store_get(w, "vc:{c}:host", &val, &len), 0);
	ASSERT_EQ(store_get(w, "vc:{a}:host", &val, &len), 0);
	ASSERT(val == NULL);
	ASSERT_EQ(w->tampered, 4);
	redisFree(a);
	store_free(c);
	store_free(w);
}

TEST(rotation)
{
	char both[300];
	struct store *old_c = open_as("collector", key1), *new_c, *old_w;
	char *val = NULL;
	size_t len;

	snprintf(both, sizeof(both), "%s%s", key2, key1);
	new_c = open_as("collector", both);
	old_w = open_as("web", key1);
	ASSERT(old_c && new_c && old_w);
	ASSERT_EQ(store_put(old_c, "vc:{r}:vm", "old", 3, 0), 0);
	ASSERT_EQ(store_get(new_c, "vc:{r}:vm", &val, &len), 1);   /* old key still reads */
	ASSERT_STREQ(val, "old");
	free(val);
	ASSERT_EQ(store_put(new_c, "vc:{r}:vm", "new", 3, 0), 0);  /* new key writes */
	ASSERT_EQ(store_get(old_w, "vc:{r}:vm", &val, &len), 0);   /* not readable without it */
	store_free(old_c);
	store_free(new_c);
	store_free(old_w);
}

static void collect(void *ctx, const char *data, size_t len)
{
	char *out = ctx;

	strncat(out, data, len);
	strcat(out, ",");
}

/* After a rotation: the census sees which key sealed what; re-sealing moves strings
 * and list elements to the first key with their TTL and order, leaves plain
 * counters and values of unknown keys alone; then the old key can go. */
TEST(reseal_after_rotation)
{
	char both[300], key3[128], list[256] = "";
	struct store *old_w = open_as("web", key1), *new_w, *only_new, *other;
	struct rekey_census c;
	unsigned long done = 0;
	redisContext *a = admin();
	redisReply *r;
	char *val = NULL;
	size_t len;

	snprintf(both, sizeof(both), "%s%s", key2, key1);
	keyring_generate_line(3, key3, sizeof(key3));
	new_w = open_as("web", both);
	only_new = open_as("web", key2);
	other = open_as("web", key3);
	ASSERT(old_w && new_w && only_new && other && a);
	ASSERT_EQ(store_put(old_w, "sess:rk1", "{\"user\":\"a\"}", 12, 600), 0);
	ASSERT_EQ(store_put(old_w, "cfg:rk2", "two", 3, 0), 0);
	ASSERT_EQ(store_push(old_w, "audit:rk", "first", 5, 10), 0);
	ASSERT_EQ(store_push(old_w, "audit:rk", "second", 6, 10), 0);
	ASSERT_EQ(store_put(other, "cfg:rk3", "stranger", 8, 0), 0);   /* a key not in the ring */
	ASSERT(store_incr(old_w, "cmd:rk", 0) > 0);                      /* plain */

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(rekey_census(new_w, "*:rk*", &c), 0);
	ASSERT_EQ(c.by_id[1], 4);            /* two strings, two list elements */
	ASSERT_EQ(c.by_id[3], 1);
	ASSERT_EQ(c.plain, 1);
	ASSERT_EQ(rekey_census_stale(&c, rekey_first_id(new_w)), 5);

	ASSERT_EQ(rekey_all(new_w, "*:rk*", &done), 0);
	ASSERT_EQ(done, 3);                   /* sess, cfg, the list; not the stranger */
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(rekey_census(new_w, "*:rk*", &c), 0);
	ASSERT_EQ(c.by_id[1], 0);
	ASSERT_EQ(c.by_id[2], 4);
	ASSERT_EQ(c.by_id[3], 1);
	ASSERT_EQ(rekey_value(new_w, "sess:rk1"), 0);   /* nothing left to do */

	r = redisCommand(a, "TTL sess:rk1");
	ASSERT(r && r->type == REDIS_REPLY_INTEGER && r->integer > 590 && r->integer <= 600);
	freeReplyObject(r);
	r = redisCommand(a, "GET cmd:rk");
	ASSERT(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "1"));
	freeReplyObject(r);
	/* the old key is retired: everything still opens with the new one alone */
	ASSERT_EQ(store_get(only_new, "sess:rk1", &val, &len), 1);
	ASSERT_STREQ(val, "{\"user\":\"a\"}");
	free(val);
	ASSERT_EQ(store_get(only_new, "cfg:rk2", &val, &len), 1);
	ASSERT_STREQ(val, "two");
	free(val);
	ASSERT_EQ(store_list(only_new, "audit:rk", 0, -1, collect, list), 0);
	ASSERT_STREQ(list, "first,second,");
	ASSERT_EQ(store_get(old_w, "cfg:rk2", &val, &len), 0);   /* and no longer with the old */
	/* the web part bumps cmd:reseal for the collector */
	ASSERT_EQ(rekey_web(new_w, NULL), 0);
	ASSERT(store_counter(new_w, REKEY_RESEAL_KEY) >= 1);
	store_free(old_w);
	store_free(new_w);
	store_free(only_new);
	store_free(other);
	redisFree(a);
}

TEST(counters_and_batches)
{
	struct store *c = open_as("collector", key1), *w = open_as("web", key1);
	const char *keys[] = { "vc:{g}:gen", "vc:{none}:gen" };
	long long vals[2] = { -1, -1 };
	struct store_batch *b;
	char *val = NULL;
	size_t len;

	ASSERT(c && w);
	ASSERT_EQ(store_incr(c, "vc:{g}:gen", 0), 1);
	b = store_batch_new(c);
	for (int i = 0; i < 50; i++) {
		char key[64], body[64];
		snprintf(key, sizeof(key), "vc:{g}:t%d", i);
		snprintf(body, sizeof(body), "[%d]", i);
		store_batch_put(b, key, body, strlen(body), 0);
	}
	store_batch_incr(b, "vc:{g}:gen");
	ASSERT_EQ(store_batch_exec(b), 0);
	ASSERT_EQ(store_counters(w, keys, 2, vals), 0);
	ASSERT_EQ(vals[0], 2);
	ASSERT_EQ(vals[1], 0);
	ASSERT_EQ(store_get(w, "vc:{g}:t49", &val, &len), 1);
	ASSERT_STREQ(val, "[49]");
	free(val);
	/* a batch with one forbidden write applies nothing */
	b = store_batch_new(w);
	store_batch_put(b, "sess:ok", "{}", 2, 60);
	store_batch_put(b, "vc:{g}:t1", "[]", 2, 0);
	ASSERT_EQ(store_batch_exec(b), -1);
	ASSERT_EQ(store_get(w, "sess:ok", &val, &len), 0);
	/* throttle counters expire */
	ASSERT_EQ(store_incr(w, "thr:ip:x", 60), 1);
	ASSERT_EQ(store_incr(w, "thr:ip:x", 60), 2);
	store_free(c);
	store_free(w);
}

/* Values of 64 KB and more go to the socket directly, between commands hiredis
 * queues: order, contents, the TTL and the replies all hold. Random bytes, so the
 * sealed values stay that large. */
TEST(large_values_in_a_batch)
{
	struct store *c = open_as("collector", key1), *w = open_as("web", key1);
	const char *keys[] = { "vc:{L}:gen" };
	long long gen = -1;
	size_t sizes[] = { 3u << 20, 64u << 10, 100 }, len;
	struct store_batch *b;
	redisContext *a = admin();
	redisReply *r;
	char *big[3], *val = NULL;

	ASSERT(c && w && a && !a->err);
	b = store_batch_new(c);
	for (int i = 0; i < 3; i++) {
		char key[32];
		big[i] = malloc(sizes[i]);
		ASSERT(big[i]);
		randombytes_buf(big[i], sizes[i]);   /* as large packed as not */
		snprintf(key, sizeof(key), "vc:{L}:t%d", i);
		store_batch_put(b, key, big[i], sizes[i], i == 1 ? 600 : 0);
		store_batch_incr(b, "vc:{L}:gen");
	}
	ASSERT_EQ(store_batch_exec(b), 0);
	for (int i = 0; i < 3; i++) {
		char key[32];
		snprintf(key, sizeof(key), "vc:{L}:t%d", i);
		ASSERT_EQ(store_get(w, key, &val, &len), 1);
		ASSERT_EQ(len, sizes[i]);
		ASSERT(!memcmp(val, big[i], len));
		free(val);
	}
	ASSERT_EQ(store_counters(w, keys, 1, &gen), 0);
	ASSERT_EQ(gen, 3);
	r = redisCommand(a, "TTL vc:{L}:t1");
	ASSERT(r && r->type == REDIS_REPLY_INTEGER && r->integer > 500 && r->integer <= 600);
	freeReplyObject(r);
	r = redisCommand(a, "TTL vc:{L}:t0");
	ASSERT(r && r->type == REDIS_REPLY_INTEGER && r->integer == -1);
	freeReplyObject(r);
	/* a forbidden large write: nothing applied, the error read, the connection usable */
	b = store_batch_new(w);
	store_batch_put(b, "sess:big", big[0], sizes[0], 60);
	store_batch_put(b, "vc:{L}:t0", big[1], sizes[1], 0);
	ASSERT_EQ(store_batch_exec(b), -1);
	ASSERT_EQ(store_get(w, "sess:big", &val, &len), 0);
	ASSERT_EQ(store_get(w, "vc:{L}:t0", &val, &len), 1);
	ASSERT_EQ(len, sizes[0]);
	free(val);
	for (int i = 0; i < 3; i++)
		free(big[i]);
	redisFree(a);
	store_free(c);
	store_free(w);
}

/* A batch packs its large values (version 2, far smaller in Redis) and not its
 * small ones; both open to what was put, and a re-seal keeps a packed value packed. */
TEST(packed_batch_values)
{
	char both[300], *text = malloc(70000), *val = NULL;
	struct store *c_old = open_as("collector", key1), *c_new, *w_new;
	struct store_batch *b;
	struct rekey_census census;
	redisContext *a = admin();
	redisReply *r;
	unsigned long done = 0;
	size_t len = 0;

	snprintf(both, sizeof(both), "%s%s", key2, key1);
	c_new = open_as("collector", both);
	w_new = open_as("web", key2);
	ASSERT(c_old && c_new && w_new && a && !a->err && text);
	for (int i = 0; len < 65536; i++)
		len += (size_t)sprintf(text + len, "{\"moref\":\"vm-%d\",\"power_state\":\"poweredOn\"},", i);
	b = store_batch_new(c_old);
	store_batch_put_packed(b, "vc:{P}:vm", text, len, 0);
	store_batch_put_packed(b, "vc:{P}:status", text, STORE_PACK_MIN - 1, 0);
	store_batch_put(b, "cmd:packtest", text, len, 0);   /* as settings: never packed */
	ASSERT_EQ(store_batch_exec(b), 0);
	r = redisCommand(a, "GET cmd:packtest");
	ASSERT(r && r->type == REDIS_REPLY_STRING);
	ASSERT_EQ(r->str[0], SEAL_VERSION);
	ASSERT_EQ(r->len, len + SEAL_OVERHEAD);
	freeReplyObject(r);
	freeReplyObject(redisCommand(a, "DEL cmd:packtest"));
	r = redisCommand(a, "GET vc:{P}:vm");
	ASSERT(r && r->type == REDIS_REPLY_STRING);
	ASSERT_EQ(r->str[0], SEAL_VERSION_ZSTD);
	ASSERT_MSG(r->len < len / 4, "%zu bytes in Redis for %zu", r->len, len);
	freeReplyObject(r);
	r = redisCommand(a, "GET vc:{P}:status");
	ASSERT(r && r->type == REDIS_REPLY_STRING);
	ASSERT_EQ(r->str[0], SEAL_VERSION);
	ASSERT_EQ(r->len, STORE_PACK_MIN - 1 + SEAL_OVERHEAD);
	freeReplyObject(r);
	memset(&census, 0, sizeof(census));
	ASSERT_EQ(rekey_census(c_new, "vc:{P}:*", &census), 0);
	ASSERT_EQ(census.by_id[1], 2);
	ASSERT_EQ(census.plain, 0);
	ASSERT_EQ(rekey_all(c_new, "vc:{P}:*", &done), 0);
	ASSERT_EQ(done, 2);
	r = redisCommand(a, "GET vc:{P}:vm");
	ASSERT(r && r->type == REDIS_REPLY_STRING && r->len < len / 4);
	ASSERT_EQ(r->str[0], SEAL_VERSION_ZSTD);
	ASSERT_EQ(r->str[1], 2);
	freeReplyObject(r);
	ASSERT_EQ(store_get(w_new, "vc:{P}:vm", &val, &len), 1);   /* the new key alone */
	ASSERT_EQ(len, strlen(text));
	ASSERT(!memcmp(val, text, len));
	free(val);
	ASSERT_EQ(store_get(w_new, "vc:{P}:status", &val, &len), 1);
	ASSERT_EQ(len, STORE_PACK_MIN - 1);
	free(val);
	free(text);
	redisFree(a);
	store_free(c_old);
	store_free(c_new);
	store_free(w_new);
}

TEST(leases)
{
	struct store *c = open_as("collector", key1), *w = open_as("web", key1);
	redisContext *a = admin();
	struct lease one, two;
	char holder[LEASE_VALUE_MAX], owner[LEASE_OWNER_MAX];
	long long token = 0;
	redisReply *r;

	ASSERT(c && w && a && !a->err);
	lease_init(&one, "l");
	lease_init(&two, "l");
	ASSERT_EQ(lease_acquire(c, &one, "host:1:aa", 5000, 1000), 1);
	ASSERT_STREQ(one.value, "host:1:aa:1");
	ASSERT_EQ(one.expires_ms, 6000);
	ASSERT_EQ(one.renew_due_ms, 1000 + 5000 / 3);
	ASSERT_EQ(lease_acquire(c, &two, "host:2:bb", 5000, 1000), 0);   /* held: no */
	ASSERT(!lease_held(&two));
	r = redisCommand(a, "PTTL lease:{l}");
	ASSERT(r && r->type == REDIS_REPLY_INTEGER && r->integer > 4000 && r->integer <= 5000);
	freeReplyObject(r);
	ASSERT_EQ(lease_holder(w, "l", holder, sizeof(holder)), -1);     /* web: no leases */
	ASSERT_EQ(lease_holder(c, "l", holder, sizeof(holder)), 1);
	ASSERT_STREQ(holder, "host:1:aa:1");
	ASSERT_EQ(lease_renew(c, &one, 20000, 2000), 1);
	r = redisCommand(a, "PTTL lease:{l}");
	ASSERT(r && r->type == REDIS_REPLY_INTEGER && r->integer > 15000);
	freeReplyObject(r);
	/* released: the next holder gets a larger fencing token */
	ASSERT_EQ(lease_release(c, &one), 0);
	ASSERT_EQ(lease_holder(c, "l", holder, sizeof(holder)), 0);
	ASSERT_EQ(lease_acquire(c, &two, "host:2:bb", 5000, 1000), 1);
	ASSERT_EQ(two.token, 2);
	/* taken by another: renewal says lost, release leaves the other's value */
	freeReplyObject(redisCommand(a, "SET lease:{l} other:9:cc:77 PX 5000"));
	ASSERT_EQ(lease_renew(c, &two, 5000, 3000), 0);
	ASSERT(!lease_held(&two));
	two.token = 2;
	snprintf(two.value, sizeof(two.value), "host:2:bb:2");
	ASSERT_EQ(lease_release(c, &two), 0);
	ASSERT_EQ(lease_holder(c, "l", holder, sizeof(holder)), 1);
	ASSERT_STREQ(holder, "other:9:cc:77");
	/* the value's two halves */
	ASSERT_EQ(lease_split("h.example:12:0a0b0c0d:42", owner, sizeof(owner), &token), 0);
	ASSERT_STREQ(owner, "h.example:12:0a0b0c0d");
	ASSERT_EQ(token, 42);
	ASSERT_EQ(lease_split("nocolon", owner, sizeof(owner), &token), -1);
	ASSERT_EQ(lease_split("h:1:x:", owner, sizeof(owner), &token), -1);
	ASSERT_EQ(lease_split("h:1:x:0", owner, sizeof(owner), &token), -1);
	ASSERT_EQ(lease_split(":5", owner, sizeof(owner), &token), -1);
	lease_owner_id(owner, sizeof(owner));
	snprintf(holder, sizeof(holder), ":%ld:", (long)getpid());
	ASSERT_CONTAINS(owner, holder);                      /* host:pid:random */
	ASSERT_EQ(strlen(strrchr(owner, ':')), 9);
	redisFree(a);
	store_free(c);
	store_free(w);
}

/* Writes one value and the generation under the fence value; returns the exec rc. */
static int fenced_write(struct store *c, const char *value, const char *body)
{
	struct store_batch *b = store_batch_new(c);

	store_batch_put(b, "vc:{f}:vm", body, strlen(body), 0);
	store_batch_incr(b, "vc:{f}:gen");
	store_batch_fence(b, "lease:{f}", value);
	return store_batch_exec(b);
}

TEST(fenced_batches)
{
	struct store *c = open_as("collector", key1);
	redisContext *a = admin();
	struct store_batch *b;
	struct lease l;
	char *val = NULL;
	size_t len;

	ASSERT(c && a && !a->err);
	lease_init(&l, "f");
	ASSERT_EQ(lease_acquire(c, &l, "me:1:aa", 5000, 0), 1);
	ASSERT_EQ(fenced_write(c, l.value, "[1]"), 0);
	ASSERT_EQ(store_counter(c, "vc:{f}:gen"), 1);
	/* another holder now: nothing is written, the error says why */
	freeReplyObject(redisCommand(a, "SET lease:{f} other:2:bb:9 PX 5000"));
	ASSERT_EQ(fenced_write(c, l.value, "[2]"), -1);
	ASSERT_EQ(c->err, STORE_EFENCED);
	ASSERT_CONTAINS(c->errstr, "another holder");
	ASSERT_EQ(store_counter(c, "vc:{f}:gen"), 1);
	ASSERT_EQ(store_get(c, "vc:{f}:vm", &val, &len), 1);
	ASSERT_STREQ(val, "[1]");
	free(val);
	/* expired: refused too */
	freeReplyObject(redisCommand(a, "DEL lease:{f}"));
	ASSERT_EQ(fenced_write(c, l.value, "[3]"), -1);
	ASSERT_EQ(c->err, STORE_EFENCED);
	ASSERT_CONTAINS(c->errstr, "expired");
	/* the refused batch left no WATCH behind: a later unfenced batch applies even
	 * though the lease key changes again */
	freeReplyObject(redisCommand(a, "SET lease:{f} x:1"));
	b = store_batch_new(c);
	store_batch_incr(b, "vc:{f}:gen");
	ASSERT_EQ(store_batch_exec(b), 0);
	ASSERT_EQ(store_counter(c, "vc:{f}:gen"), 2);
	redisFree(a);
	store_free(c);
}

static pid_t start_redis(void)
{
	char conf[512];
	char *argv[] = { "redis-server", conf, NULL };
	pid_t pid;
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/redis/redis.conf", getenv("RIG_DIR"));
	if (posix_spawnp(&pid, "redis-server", NULL, NULL, argv, environ))
		return -1;
	snprintf(conf, sizeof(conf), "%s/pids", getenv("RIG_DIR"));
	f = fopen(conf, "a");   /* the rig stops it even if this test dies */
	if (f) {
		fprintf(f, "%d redis-restarted\n", (int)pid);
		fclose(f);
	}
	return pid;
}

TEST(redis_restart_under_a_connected_client)
{
	struct store *w = open_as("web", key1), *c = open_as("collector", key1);
	redisContext *a = admin();
	char *val = NULL;
	size_t len;
	pid_t pid;

	ASSERT(w && c && a && !a->err);
	ASSERT_EQ(store_put(c, "vc:{s}:vm", "kept", 4, 0), 0);
	ASSERT_EQ(store_ping(w), 0);
	freeReplyObject(redisCommand(a, "SHUTDOWN"));   /* AOF keeps the data */
	redisFree(a);
	usleep(300000);
	ASSERT_EQ(store_ping(w), -1);                   /* down: a clear error, no crash */
	ASSERT_EQ(w->err, STORE_ECONN);
	pid = start_redis();
	ASSERT(pid > 0);
	for (int i = 0; i < 100 && store_get(w, "vc:{s}:vm", &val, &len) != 1; i++)
		usleep(100000);                             /* reconnects with backoff */
	ASSERT_STREQ(val, "kept");
	free(val);
	ASSERT(w->reconnects >= 1);
	store_free(w);
	store_free(c);
}

TEST_MAIN(T(round_trip_and_acl), T(wrong_password), T(tampered_and_moved_values), T(rotation),
          T(reseal_after_rotation),
          T(counters_and_batches), T(large_values_in_a_batch), T(packed_batch_values), T(leases), T(fenced_batches),
          T(redis_restart_under_a_connected_client))

__attribute__((constructor)) static void make_keys(void)
{
	signal(SIGPIPE, SIG_IGN);   /* as every program using the store does */
	keyring_generate_line(1, key1, sizeof(key1));
	keyring_generate_line(2, key2, sizeof(key2));
}
