/* Data key rotation over what Redis holds: a census of the key ids that sealed the
 * values, and re-sealing values with the ring's first key so an old key can be
 * retired. docs/settings.md "Key rotation" has the whole procedure.
 *
 * A value is "sealed" when it starts with a sealed value's version byte (1, or 2 for
 * a packed one, which stays packed) and a key id; plain counters (generations,
 * throttles, leases) are ASCII and never do. Lists (the audit log, event logs) are
 * looked at element by element. Re-sealing runs under WATCH: a writer that changes
 * the key meanwhile wins, and its value is sealed with the current first key anyway.
 * Values that fail to open are left as they are. */
#ifndef VC_REKEY_H
#define VC_REKEY_H

#include "store.h"

#define REKEY_RESEAL_KEY "cmd:reseal"   /* plain counter: the collector re-seals vc:* */

struct rekey_census {
	unsigned long by_id[256];      /* sealed values (strings and list elements) per key id */
	unsigned long plain;           /* values that are not sealed */
	unsigned long keys;            /* keys looked at */
};

/* Adds the values of every key matching pattern (SCAN MATCH) to c. 0 or -1. */
int rekey_census(struct store *s, const char *pattern, struct rekey_census *c);
/* Values in c sealed with a key id other than first. */
unsigned long rekey_census_stale(const struct rekey_census *c, int first);

/* Re-seals key (a string or a list) with the ring's first key when any of its values
 * was sealed with another; the TTL is kept. Returns 1 re-sealed, 0 nothing done
 * (current, plain, missing, changed meanwhile), -1 on error. */
int rekey_value(struct store *s, const char *key);
/* rekey_value() over every key matching pattern; *done counts re-sealed keys. */
int rekey_all(struct store *s, const char *pattern, unsigned long *done);

/* The web tier's part (web ACL user): re-seals cfg:*, sess:*, pref:*, audit:* and
 * cmd:*, then bumps cmd:reseal so the collector re-seals vc:*. 0 or -1. */
int rekey_web(struct store *s, unsigned long *done);

/* The key id the ring seals with. */
int rekey_first_id(const struct store *s);

#endif
