/* vCenter leases: several collectors may run against one Redis, and each vCenter is
 * polled by the one collector that holds its lease. docs/collector.md ("Leases")
 * explains the timing.
 *
 * Storage (plain, unsealed: it names no object): `lease:{id}` holds
 * "<owner>:<token>" with a PX expiry, where owner is one collector process
 * ("hostname:pid:random", lease_owner_id) and token comes from INCR
 * `lease:{id}:fence` at each acquisition, so it only grows: the fencing token. The
 * braces are the vCenter's hash tag, as in vc:{id}:*, so a lease, its counter and the
 * vCenter's data share a Redis Cluster slot. Acquire, renew and release are small Lua
 * scripts (atomic compare-and-set); every write of the vCenter's data is fenced by
 * store_batch_fence() on the value held. Not thread-safe: one struct lease is used by
 * one thread at a time, through that thread's store. */
#ifndef VC_LEASE_H
#define VC_LEASE_H

#include "store.h"

#include <stdint.h>

#define LEASE_VALUE_MAX 160
#define LEASE_OWNER_MAX 128

struct lease {
	char vcenter[CFG_ID_MAX + 1];
	char value[LEASE_VALUE_MAX];   /* "<owner>:<token>" while held, "" otherwise */
	long long token;               /* the fencing token of the holding, 0 when none */
	int64_t expires_ms;            /* caller's clock: when it runs out unless renewed */
	int64_t renew_due_ms;          /* caller's clock: next renewal (a third of the time) */
};

/* This process's owner id, "hostname:pid:8 random hex digits", into out (n bytes,
 * LEASE_OWNER_MAX is enough; a long hostname is cut). */
void lease_owner_id(char *out, size_t n);
/* lease:{vcenter} */
void lease_key(char *out, size_t n, const char *vcenter);
/* Starts l for vcenter, not held. */
void lease_init(struct lease *l, const char *vcenter);
static inline int lease_held(const struct lease *l) { return l->value[0] != '\0'; }

/* Takes the lease for ttl_ms when nobody holds it (SET NX PX), with a new fencing
 * token. now_ms is the caller's monotonic clock, used for expires_ms/renew_due_ms.
 * Returns 1 when taken, 0 when another owner holds it, -1 on a Redis error (s->err). */
int lease_acquire(struct store *s, struct lease *l, const char *owner, int ttl_ms, int64_t now_ms);
/* Extends a held lease to ttl_ms from now, only if Redis still holds our value.
 * Returns 1 when renewed, 0 when lost (l is cleared), -1 on a Redis error (l kept:
 * the caller decides when its own expires_ms has passed). */
int lease_renew(struct store *s, struct lease *l, int ttl_ms, int64_t now_ms);
/* Deletes the lease if it is still ours and clears l. 0, or -1 on a Redis error. */
int lease_release(struct store *s, struct lease *l);
/* Forgets a holding locally (lost, or expired by the caller's clock). */
void lease_clear(struct lease *l);

/* Who holds vcenter's lease: 1 and the value in out, 0 when nobody, -1 on error. */
int lease_holder(struct store *s, const char *vcenter, char *out, size_t n);
/* Splits "<owner>:<token>" (the owner may hold colons; the token is after the last
 * one). Returns 0, or -1 when value is not such a pair. Pure. */
int lease_split(const char *value, char *owner, size_t n, long long *token);

#endif
