/* Performance history (issue 6): fixed-step time series of one entity (VM, host,
 * datastore) in four tiers, their rollups, retention and the compact binary value
 * each tier is stored as (sealed like every value) under
 * vc:{id}:perf:<tier>:<moref>. Pure functions, no I/O: the collector (perf.c)
 * writes, the web tier and the CLI read. docs/collector.md "Performance history".
 *
 * Value format (version 1), all integers unsigned LEB128 varints:
 *   byte 0x50 'P', byte version 1,
 *   step (seconds), nbase (averaged metrics), maxm + 1 (0 = no max series),
 *   nmetrics (nbase, or nbase + 1 when a max series is kept),
 *   start / step (slot number of the first slot), n (slots),
 *   then per metric n entries: 0 = no value, else zigzag(v - previous value) + 1,
 *   "previous" starting at 0 for each metric.
 * Timestamps are implicit (start + i * step); a value must end exactly after the
 * last entry, anything else (truncated, trailing bytes, sizes out of range) is
 * refused. */
#ifndef VC_SERIES_H
#define VC_SERIES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SERIES_METRICS_MAX 8
#define SERIES_SLOTS_MAX 4096     /* more slots than any tier keeps: garbled */
#define SERIES_NONE INT64_C(-1)   /* a slot without a value (values are >= 0) */
#define SERIES_VALUE_MAX (INT64_C(1) << 48)

enum series_tier { SERIES_20S, SERIES_5M, SERIES_30M, SERIES_2H, SERIES_NTIERS };

struct series_tier_def {
	const char *name;   /* key part and API "tier": "20s", "5m", "30m", "6h" */
	int step;           /* seconds per slot */
	int keep;           /* seconds kept (retention) */
	const char *range;  /* the chart range it serves: "1h", "24h", "7d", "90d" */
};
extern const struct series_tier_def series_tiers[SERIES_NTIERS];

/* Metrics per entity kind. VMs and hosts: the real-time counters; datastores: space
 * from the inventory. `div` turns a stored integer into the unit shown. */
struct series_metric {
	const char *key, *label, *unit;
	double div;
};
struct series_kind {
	const char *kind;                 /* "vm", "host", "datastore" */
	int nbase;                        /* averaged metrics */
	int maxm;                         /* metric whose maximum rollups keep, or -1 */
	const struct series_metric *metrics;   /* nbase entries, then the max one */
};
#define SERIES_VM_NBASE 6   /* cpu_pct cpu_mhz mem_pct mem_kb disk_kbps net_kbps */
#define SERIES_DS_NBASE 2   /* used_mb capacity_mb */
const struct series_kind *series_kind_find(const char *kind);   /* NULL if unknown */
/* The tier of a chart range ("1h", "24h", "7d", "90d"), or -1. */
int series_tier_of_range(const char *range);

/* One tier of one entity: slots start, start + step, ... (n of them, at most cap);
 * v[m * cap + i] is metric m at slot i, SERIES_NONE when missing. */
struct series {
	int step, cap, nbase, maxm, nmetrics;
	int64_t start;
	int n;
	int64_t *v;
};

/* An empty series for tier of kind (max series kept in rollup tiers only).
 * Returns 0, -1 on a bad argument. Free with series_free(). */
int series_init(struct series *s, enum series_tier tier, const struct series_kind *k);
void series_free(struct series *s);     /* the struct itself is the caller's */
/* Time of the newest slot holding any value, or -1 when none. */
int64_t series_last(const struct series *s);
/* Stores vals (nmetrics values; SERIES_NONE or negative = missing) at the slot of
 * t (rounded down to the step). A slot older than the series' reach (cap slots
 * before its newest) is dropped; a newer one moves the window, dropping the
 * oldest slots. */
void series_set(struct series *s, int64_t t, const int64_t *vals);
/* Drops the slots older than now - keep (retention by age). */
void series_trim(struct series *s, int64_t now, int keep);
/* Recomputes the coarse slots whose whole bucket lies in [from, to) from the fine
 * series: averages of the base metrics, maximum of the max metric (the fine
 * series' max series when it has one, else its raw values). Buckets without a fine
 * value stay unset. */
void series_rollup(const struct series *fine, struct series *coarse, int64_t from, int64_t to);

/* Appends the value format above to out. */
void series_encode(const struct series *s, struct buf *out);
/* Decodes a value into s (initialised here, freed with series_free()); the tier
 * and kind must match what the value says. Returns 0, or -1 for a truncated,
 * garbled or mismatching value (s is then empty and still safe to free). */
int series_decode(struct series *s, enum series_tier tier, const struct series_kind *k,
                  const void *data, size_t len);

/* {"t": [epoch s...], "<metric>": [value or null...]} for the slots at or after
 * from, values divided by each metric's div. New reference. */
json_t *series_json(const struct series *s, const struct series_kind *k, int64_t from);

/* vc:{vcenter}:perf:<tier>:<moref> */
void series_key(char *out, size_t n, const char *vcenter, enum series_tier tier, const char *moref);

#endif
