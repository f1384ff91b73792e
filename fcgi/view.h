/* The web tier's read side of the inventory: decoded vc:{id}:<type> records,
 * memoised per worker process and keyed by each vCenter's generation counter, so a
 * request costs one MGET of generations plus the decoding of only what changed.
 * Pages and exports build their own indexes (sorted rows, search keys) on top and
 * hang them on the entry, so those are rebuilt exactly when the data changes.
 * Owner: one process-wide cache per worker (workers are single-threaded). */
#ifndef VC_VIEW_H
#define VC_VIEW_H

#include <jansson.h>
#include <stddef.h>

struct store;

struct view_entry {
	char vcenter[40];
	char type[24];
	long long gen;            /* generation the records were read at; -1: never */
	json_t *records;          /* array (empty when the key is missing or tampered) */
	void *index;              /* a page's derived data, freed with index_free */
	void (*index_free)(void *);
	int tampered;             /* the value failed to open: records empty */
};

/* The worker's cache (created on first use, freed by view_cache_reset()). */
void view_cache_reset(void);

/* Generations of n vCenters in one round trip (0 for one never written).
 * Returns 0, or -1 when Redis failed. */
int view_gens(struct store *s, const char *const *vcenters, size_t n, long long *gens);
/* The same, and in the same round trip their status records (opened), each handed
 * to fn (i: the vCenter's position; data NULL when missing or tampered). */
int view_gens_status(struct store *s, const char *const *vcenters, size_t n, long long *gens,
                     void (*fn)(void *ctx, size_t i, const char *data, size_t len), void *ctx);

/* The entry for (vcenter, type) at generation gen, reloaded when its generation
 * differs (its index is freed then). Borrowed; valid until the next view_* call that
 * reloads this entry. NULL when Redis failed. */
struct view_entry *view_get(struct store *s, const char *vcenter, long long gen, const char *type);

/* Records of type across vCenters, in the given order: a new array holding new
 * references (the caller json_decref()s it). NULL when Redis failed. */
json_t *view_merge(struct store *s, const char *const *vcenters, size_t n, const char *type);

/* A vCenter's poll status record (new reference) or NULL when absent. */
json_t *view_status(struct store *s, const char *vcenter);

#endif
