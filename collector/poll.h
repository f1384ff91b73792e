/* One vCenter as the collector sees it (a poll target) and one poll of it: log in
 * or reuse the session, collect every inventory type, custom attribute names and
 * vSphere tags, build the records and write them sealed with the status and a new
 * generation in one batch. The retry schedule after a failure (backoff) is decided
 * here too, so the status record can say when the next attempt is due. */
#ifndef VC_POLL_H
#define VC_POLL_H

#include "cfg.h"
#include "lease.h"
#include "store.h"
#include "vc.h"
#include "incr.h"
#include "inv_cache.h"
#include "perf.h"

#include <stdatomic.h>
#include <stdint.h>

struct poll_target {
	struct cfg_vcenter vc;         /* own copy of the configuration */
	int page_size;
	int connections;               /* collector.connections: VM chunks in flight */
	int timeout_s;
	struct vc_session *session;    /* kept between polls (cookie reuse) */
	struct store *store;           /* the polling worker's, set by poll_run (borrowed):
	                                * passwords of vCenters added in Settings */
	atomic_int abort;              /* set on shutdown: stops this target's requests */
	json_t *alarm_names;           /* alarm moref -> name, cached per session */
	char fields_mgr[VC_MOREF_MAX]; /* CustomFieldsManager moref, "" until known */
	json_t *last_counts;           /* counts of the last success, kept in "stale" */
	/* incremental mode (collector.incremental): the model WaitForUpdatesEx keeps
	 * current between full retrievals, and what was last written per record type */
	int incremental;
	int full_interval_s;
	struct incr incr;
	struct inv_raw raw;
	struct inv_cache cache;        /* the model's built VM records (inv_cache.h) */
	int64_t full_due_ms;
	int64_t incr_retry_ms;         /* the vCenter refused the updates filter's initial
	                                * load: plain full retrievals until then */
	json_t *digests;               /* type -> digest of the records last written */
	json_t *events;                /* the change-event log (vc:{id}:events) */
	json_t *pending;               /* events not written yet */
	int was_ok;                    /* last outcome for vcenter.down/up events; -1 unknown */
	unsigned long full_polls, incr_polls;
	unsigned long polls;           /* attempts since the collector started */
	atomic_int resync;             /* set by a purge: next poll retrieves and writes all */
	/* The vCenter's lease (lease.h, docs/collector.md "Leases"). `lease` belongs to
	 * the scheduler thread, which takes and renews it; `fence` is the value a poll's
	 * write is fenced with, copied when the poll is queued (not touched while running). */
	struct lease lease;
	int64_t lease_try_ms;          /* scheduler: next acquisition attempt */
	char fence[LEASE_VALUE_MAX];
	atomic_int taken_over;         /* scheduler -> poll: a new holding; reload what the
	                                * previous holder wrote, write everything */
	atomic_int fenced;             /* poll -> scheduler: a write was refused by the fence */
	atomic_int reseal;             /* scheduler -> worker: after the next poll, seal the
	                                * vCenter's values again with the first key (rekey.h) */
	atomic_int drop_model;         /* scheduler -> worker: the lease is lost; log out and
	                                * drop the model (poll_target_forget) */
	/* performance history (collector.perf): perf.c's state, created on first use */
	int perf_on;
	struct perf_state *perf;
	/* schedule, guarded by the collector's lock */
	int64_t next_due_ms;
	int failures;
	int running;
	int removed;                   /* dropped by a reload while running */
	/* last outcome */
	char last_success[32];         /* ISO 8601 or "" */
	char last_error[256];
	enum vc_err last_code;
};

struct poll_result {
	int ok;
	enum vc_err code;
	char error[256];
	int64_t duration_ms;
	size_t vms, hosts;
	int failures;                  /* consecutive failures including this poll */
	int64_t next_due_ms;           /* vc_now_ms() time of the next attempt */
};

/* Delays after a failure: 10 s doubling up to the interval; after a refused login
 * the interval doubling up to an hour (a wrong password must not lock the service
 * account out). Every delay gets +-10 % jitter so many collectors do not align. */
#define POLL_RETRY_FIRST_MS 10000
#define POLL_RETRY_MAX_MS 3600000

/* When the next poll is due after an outcome with `failures` consecutive failures
 * (0 after a success), from now_ms. */
int64_t poll_next_due(int interval_s, int failures, enum vc_err code, int64_t now_ms);

/* Copies v; NULL on allocation failure. Free with poll_target_free() (logs out
 * within 2 s unless poll_target_logout() already did). */
struct poll_target *poll_target_new(const struct cfg_vcenter *v, const struct cfg *c);
void poll_target_free(struct poll_target *t);
/* True when v describes the same endpoint and account as t (session can be kept). */
int poll_target_same(const struct poll_target *t, const struct cfg_vcenter *v);

/* Polls t once and writes the outcome to Redis through s; t->abort stops it. Fills
 * res, including failures and next_due_ms, which the caller applies to t->failures
 * and t->next_due_ms under its lock. */
void poll_run(struct poll_target *t, struct store *s, struct poll_result *res);

/* After a lost lease (another collector polls this vCenter now): logs out within
 * 2 s, drops the incremental model, pending events and the digests of what was
 * written, so a later holding starts with a full retrieval and writes everything. */
void poll_target_forget(struct poll_target *t);

/* Logs the session out (bounded by deadline_ms) and forgets it. */
void poll_target_logout(struct poll_target *t, int64_t deadline_ms);

/* Loads last_success and the counts from the sealed status in Redis, and the event
 * log when there is one (after a restart, or when another collector held the lease). */
void poll_target_restore(struct poll_target *t, struct store *s);

/* ISO 8601 UTC of a wall-clock time. */
void poll_iso_time(time_t t, char *out, size_t n);

#endif
