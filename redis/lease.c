/* vCenter leases (see lease.h): Lua compare-and-set scripts over lease:{id}, so a
 * renewal or a release can never touch another collector's holding, and the fencing
 * counter moves only when a lease is really taken. */
#include "lease.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* KEYS: lease, fence counter; ARGV: owner, ttl_ms. Returns the new token or 0. */
static const char ACQUIRE_LUA[] =
	"if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end\n"
	"local t = redis.call('INCR', KEYS[2])\n"
	"redis.call('SET', KEYS[1], ARGV[1] .. ':' .. t, 'KEEPTTL')\n"
	"return t\n";
/* KEYS: lease; ARGV: value, ttl_ms. 1 when renewed, 0 when not ours. */
static const char RENEW_LUA[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n"
	"return 0\n";
/* KEYS: lease; ARGV: value. 1 when deleted, 0 when not ours. */
static const char RELEASE_LUA[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
	"return 0\n";

void lease_owner_id(char *out, size_t n)
{
	char host[64] = "";
	uint32_t r = randombytes_random();

	if (gethostname(host, sizeof(host) - 1) || !host[0])
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, n, "%s:%ld:%08x", host, (long)getpid(), r);
}

void lease_key(char *out, size_t n, const char *vcenter)
{
	snprintf(out, n, "lease:{%s}", vcenter);
}

void lease_init(struct lease *l, const char *vcenter)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->vcenter, sizeof(l->vcenter), "%s", vcenter);
}

void lease_clear(struct lease *l)
{
	l->value[0] = '\0';
	l->token = 0;
	l->expires_ms = l->renew_due_ms = 0;
}

static void stamp(struct lease *l, int ttl_ms, int64_t now_ms)
{
	l->expires_ms = now_ms + ttl_ms;
	l->renew_due_ms = now_ms + ttl_ms / 3;
}

int lease_acquire(struct store *s, struct lease *l, const char *owner, int ttl_ms, int64_t now_ms)
{
	char key[96], fence[96], ttl[16];
	const char *keys[] = { key, fence }, *args[] = { owner, ttl };
	long long token = 0;

	lease_key(key, sizeof(key), l->vcenter);
	snprintf(fence, sizeof(fence), "%s:fence", key);
	snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	if (store_eval(s, ACQUIRE_LUA, 2, keys, 2, args, &token))
		return -1;
	if (token <= 0)
		return 0;
	snprintf(l->value, sizeof(l->value), "%s:%lld", owner, token);
	l->token = token;
	stamp(l, ttl_ms, now_ms);
	return 1;
}

int lease_renew(struct store *s, struct lease *l, int ttl_ms, int64_t now_ms)
{
	char key[96], ttl[16];
	const char *keys[] = { key }, *args[] = { l->value, ttl };
	long long ok = 0;

	if (!lease_held(l))
		return 0;
	lease_key(key, sizeof(key), l->vcenter);
	snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	if (store_eval(s, RENEW_LUA, 1, keys, 2, args, &ok))
		return -1;
	if (ok != 1) {
		lease_clear(l);
		return 0;
	}
	stamp(l, ttl_ms, now_ms);
	return 1;
}

int lease_release(struct store *s, struct lease *l)
{
	char key[96];
	const char *keys[] = { key }, *args[] = { l->value };
	long long ok = 0;
	int rc;

	if (!lease_held(l))
		return 0;
	lease_key(key, sizeof(key), l->vcenter);
	rc = store_eval(s, RELEASE_LUA, 1, keys, 1, args, &ok);
	lease_clear(l);
	return rc;
}

int lease_holder(struct store *s, const char *vcenter, char *out, size_t n)
{
	char key[96];

	lease_key(key, sizeof(key), vcenter);
	return store_get_plain(s, key, out, n);
}

int lease_split(const char *value, char *owner, size_t n, long long *token)
{
	const char *colon = strrchr(value, ':');
	char *end;
	long long t;

	if (!colon || colon == value || colon[1] < '0' || colon[1] > '9')
		return -1;
	t = strtoll(colon + 1, &end, 10);
	if (*end || t <= 0 || (size_t)(colon - value) >= n)
		return -1;
	memcpy(owner, value, (size_t)(colon - value));
	owner[colon - value] = '\0';
	*token = t;
	return 0;
}
