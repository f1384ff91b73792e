/* The inventory a request may see: the vCenters of the user's session (those the
 * configuration still knows), with their generations read in one round trip, and
 * the per-entry memo that inventory pages hang their derived indexes on.
 *
 * Rule (DESIGN.md "Users and rights"): a page reads only vCenters of its scope;
 * an object of any other vCenter does not exist for this user (404). */
#ifndef VC_SCOPE_H
#define VC_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct req;
struct view_entry;

#define SCOPE_MAX 64

struct scope {
	size_t n;
	const char *ids[SCOPE_MAX];      /* borrowed from the configuration */
	const char *names[SCOPE_MAX];    /* display names, borrowed */
	int intervals[SCOPE_MAX];
	long long gens[SCOPE_MAX];
	bool selected[SCOPE_MAX];        /* the request's vcenter= filter (all when absent) */
	struct req *r;
};

/* Fills sc from r's session and one MGET of generations; applies the request's
 * validated `vcenter` parameter (if the route declares it) as a selection: an id
 * outside the session selects nothing. Returns 0, or -1 when Redis failed (the
 * caller answers router_store_down()). */
int scope_load(struct req *r, struct scope *sc);
/* Index of vcenter in the scope, or -1 (not in this session). */
int scope_find(const struct scope *sc, const char *vcenter);
/* The entry of (vcenter #i, type): NULL when Redis failed. */
struct view_entry *scope_entry(const struct scope *sc, size_t i, const char *type);
/* True when any vcenter= parameter narrowed the selection. */
bool scope_filtered(const struct scope *sc);

/* Derived data memoised on a view entry, rebuilt when its generation changes. Each
 * consumer (table, search, dashboard) owns one slot. */
enum scope_slot { SLOT_TABLE, SLOT_TABLE2, SLOT_TABLE3, SLOT_SEARCH, SLOT_STATS, SLOT_BYID, SLOT_N };
typedef void *(*scope_build_fn)(const json_t *records, const void *arg);
/* The slot's value for entry e, built with build(records, arg) on first use
 * (owned by the entry, freed with free_fn when the entry reloads). */
void *scope_memo(struct view_entry *e, enum scope_slot slot, scope_build_fn build,
                 void (*free_fn)(void *), const void *arg);

/* The record of (type, vcenter, moref) when vcenter is in scope, else NULL
 * (borrowed from the entry). *store_err is set when Redis failed. */
const json_t *scope_lookup(const struct scope *sc, const char *vcenter, const char *type,
                           const char *moref, int *store_err);

#endif
