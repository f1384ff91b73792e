/* Incremental inventory through PropertyCollector.WaitForUpdatesEx: a private
 * property collector with one ContainerView and one filter per inventory spec
 * (inv_specs), the version token, and the raw model (struct inv_raw) kept current by
 * applying object enter/modify/leave updates. Change events (VM created, removed,
 * renamed, moved, power changed; host connection and maintenance changes; datastore
 * use crossing 75 % or 85 %, either way, with the percentages as from/to) are
 * derived from the same updates. docs/collector.md explains the cycle. */
#ifndef VC_INCR_H
#define VC_INCR_H

#include "inv.h"
#include "vc.h"

#define INCR_MAX_FILTERS 32

struct incr {
	int active;                        /* filters exist and version is valid */
	char pc[VC_MOREF_MAX];             /* our private PropertyCollector */
	char filters[INCR_MAX_FILTERS][VC_MOREF_MAX];
	char views[INCR_MAX_FILTERS][VC_MOREF_MAX];
	size_t n;
	char *version;                     /* WaitForUpdatesEx version token */
	size_t page_size;                  /* maxObjectUpdates */
	unsigned long updates;             /* objects changed since start (stats) */
	/* What changed since incr_take_changes(), for the built-record cache
	 * (inv_cache.h); not kept for the initial load (everything is rebuilt then). */
	json_t *changed_vms;               /* VM moref -> true: entered, left or modified */
	json_t *changed_refs;              /* moref -> bucket: any other object that entered
	                                    * or left, or whose name, parent or key changed
	                                    * (what VM records look names up by) */
};

/* Creates the collector, views and filters and loads the whole current state into
 * raw (which should be empty). 0, or -1 with the session's error set. */
int incr_start(struct incr *in, struct vc_session *s, struct inv_raw *raw, size_t page_size);
/* One WaitForUpdatesEx round (maxWaitSeconds = wait_s) and every truncated follow-up;
 * applies the updates to raw and appends change events to events (a JSON array; may
 * be NULL). Returns the number of objects that changed (0: nothing), -1 on error
 * (then incr_stop() and a fresh incr_start() are the way back). */
int incr_poll(struct incr *in, struct vc_session *s, struct inv_raw *raw, json_t *events,
              int wait_s);
/* Destroys the private collector (and with it the filters) and the views, best
 * effort, and forgets the version. Safe on an inactive struct. */
void incr_stop(struct incr *in, struct vc_session *s);

/* Hands the changed sets over (new references; either may be NULL when nothing of
 * its kind changed) and starts new ones. */
void incr_take_changes(struct incr *in, json_t **changed_vms, json_t **changed_refs);

/* Applies one converted UpdateSet to raw without I/O (used by incr_poll and tests).
 * Returns the number of changed objects; sets *refetch for changes it cannot apply
 * in place (array element paths), which the caller resolves by full retrieval. */
int incr_apply(struct incr *in, const json_t *update_set, struct inv_raw *raw, json_t *events,
               int initial, int *refetch);

#endif
