/* Performance history collection (issue 6): after each successful poll of a
 * vCenter, the real-time counters (20 s samples) of its powered-on VMs and
 * connected hosts are fetched with PerformanceManager.QueryPerf, datastore space is
 * taken from the inventory just built, and everything is merged into the sealed
 * tiered series of redis/series.h (rollups, retention) in pipelined batches.
 * A failure is logged and never fails the inventory poll. docs/collector.md
 * "Performance history". */
#ifndef VC_PERF_H
#define VC_PERF_H

#include "series.h"
#include "store.h"
#include "vc.h"

#include <jansson.h>
#include <stdint.h>

#define PERF_SPECS_PER_QUERY 250     /* PerfQuerySpec per QueryPerf request */
#define PERF_MAX_SAMPLE 180          /* one hour of 20 s samples */
#define PERF_CHUNK 128               /* entities per read-merge-write round */

/* The counter ids of one vCenter for the VM/host metrics of series.h, in its
 * order; -1 where the vCenter has no such counter. */
struct perf_counters {
	int id[SERIES_VM_NBASE];
};
/* "cpu.usage.average", ... in the order of the VM/host metrics. */
extern const char *const perf_counter_names[SERIES_VM_NBASE];

/* Fills c from PerformanceManager.perfCounter (an array of PerfCounterInfo as the
 * client converts it). Returns how many of the names were found. */
int perf_counters_from(const json_t *infos, struct perf_counters *c);

/* Seconds since the epoch of an xsd:dateTime ("2026-11-23T10:00:20Z", fractions
 * and +hh:mm offsets allowed), or -1. */
int64_t perf_parse_time(const char *iso);

/* The inner XML of one QueryPerf request: a PerfQuerySpec per entity (type
 * "VirtualMachine" or "HostSystem"), real-time interval, samples after starts[i]. */
void perf_query_xml(struct buf *b, const char *perf_manager, const char *type,
                    const char *const *morefs, const int64_t *starts, size_t n,
                    const struct perf_counters *c);

/* Called per sample: vals has SERIES_VM_NBASE values (SERIES_NONE when absent). */
typedef void (*perf_sample_fn)(void *ctx, const char *moref, int64_t t, const int64_t *vals);
/* Walks QueryPerf's converted returnval (PerfEntityMetric, format normal; one
 * element or an array) and calls fn per sample of the aggregate instance "".
 * Returns the number of samples. */
size_t perf_parse(const json_t *returnval, const struct perf_counters *c, perf_sample_fn fn,
                  void *ctx);

/* Per-vCenter state kept between polls: the counter ids of the current session,
 * the entities to query and the last sample time of each. */
struct perf_state;

/* The hook after a successful poll (poll.c): notes the entities of types (the
 * records just built; a quiet incremental cycle without VM records keeps the
 * previous list), queries the samples since the last ones and writes the series.
 * *ps is created on first use. Bounded by budget_s through the session deadline. */
void perf_after_poll(struct perf_state **ps, struct vc_session *s, struct store *st,
                     const char *vcenter, const json_t *types, int interval_s, int budget_s);
void perf_state_free(struct perf_state *ps);   /* NULL is a no-op */

/* One entity's new samples, as perf_store_samples() takes them. */
struct perf_sample {
	int64_t t;
	int64_t v[SERIES_METRICS_MAX];
};
struct perf_pending {
	char *moref;
	const struct series_kind *kind;
	struct perf_sample *s;
	size_t n, cap;
};

/* Merges the samples of n entities into their tiers in Redis: reads each tier
 * that changes (MGET), sets the new 20 s slots, rolls the completed buckets up
 * into the coarser tiers, trims by age and writes in one MULTI/EXEC per
 * PERF_CHUNK entities. Returns 0, or -1 when Redis failed. */
int perf_store_samples(struct store *st, const char *vcenter, struct perf_pending *e, size_t n,
                       int64_t now);

#endif
