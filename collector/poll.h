/* One vCenter as the collector sees it (a poll target) and one poll of it: log in
 * or reuse the session, collect every inventory type, build the records and write
 * them sealed with the status and a new generation in one batch. */
#ifndef VC_POLL_H
#define VC_POLL_H

#include "cfg.h"
#include "store.h"
#include "vc.h"

#include <stdatomic.h>
#include <stdint.h>

struct poll_target {
	struct cfg_vcenter vc;         /* own copy of the configuration */
	int page_size;
	int timeout_s;
	struct vc_session *session;    /* kept between polls (cookie reuse) */
	json_t *alarm_names;           /* alarm moref -> name, cached per session */
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
};

/* Copies v; NULL on allocation failure. Free with poll_target_free() (logs out). */
struct poll_target *poll_target_new(const struct cfg_vcenter *v, const struct cfg *c);
void poll_target_free(struct poll_target *t);
/* True when v describes the same endpoint and account as t (session can be kept). */
int poll_target_same(const struct poll_target *t, const struct cfg_vcenter *v);

/* Polls t once and writes the outcome to Redis through s. abort may be NULL. */
void poll_run(struct poll_target *t, struct store *s, const atomic_int *abort,
              struct poll_result *res);

/* Loads last_success from the sealed status in Redis (after a collector restart). */
void poll_target_restore(struct poll_target *t, struct store *s);

/* ISO 8601 UTC of a wall-clock time. */
void poll_iso_time(time_t t, char *out, size_t n);

#endif
