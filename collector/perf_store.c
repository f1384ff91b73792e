/* Writing performance samples into the tiered series (perf.h, redis/series.h):
 * read-merge-write per chunk of entities. Only tiers that change are read and
 * written: the 20 s tier every cycle, a coarser tier when one of its buckets
 * completed. A bucket is complete once a sample at or after its end exists, so
 * rollups are computed once, from whole buckets (the newest point of a coarse
 * tier appears when its bucket closes). Nothing is kept in memory between
 * cycles: a restarted collector continues from what Redis holds. */
#include "perf.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define PERF_TTL_EXTRA 86400   /* keys of vanished entities expire a day after their data */

struct chunk_entity {
	struct perf_pending *p;
	struct series ser[SERIES_NTIERS];
	int loaded[SERIES_NTIERS];
	int64_t from[SERIES_NTIERS], to[SERIES_NTIERS];   /* buckets to roll up */
};

struct load_ctx {
	struct chunk_entity *ents;
	size_t *idx;           /* chunk index of each key read */
	enum series_tier tier;
	const char *vcenter;
};

static void on_value(void *ctx, size_t i, const char *data, size_t len)
{
	struct load_ctx *l = ctx;
	struct chunk_entity *ce = &l->ents[l->idx[i]];
	struct series *s = &ce->ser[l->tier];

	if (data && series_decode(s, l->tier, ce->p->kind, data, len) < 0) {
		log_warn("perf.garbled", "vcenter=%s moref=%s tier=%s hint=%s", l->vcenter,
		         log_q(ce->p->moref), series_tiers[l->tier].name, log_q("started afresh"));
		series_free(s);
		data = NULL;
	}
	if (!data)
		series_init(s, l->tier, ce->p->kind);
	ce->loaded[l->tier] = 1;
}

/* Reads tier of the chunk's entities that need it (from < to, or every one for
 * the 20 s tier). */
static int load_tier(struct store *st, const char *vcenter, struct chunk_entity *ents, size_t n,
                     enum series_tier tier)
{
	char (*keys)[256] = calloc(n ? n : 1, sizeof(*keys));
	const char **kp = calloc(n ? n : 1, sizeof(*kp));
	size_t *idx = calloc(n ? n : 1, sizeof(*idx)), k = 0;
	struct load_ctx l = { ents, idx, tier, vcenter };
	int rc;

	if (!keys || !kp || !idx)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (tier != SERIES_20S && ents[i].from[tier] >= ents[i].to[tier])
			continue;
		series_key(keys[k], sizeof(keys[k]), vcenter, tier, ents[i].p->moref);
		kp[k] = keys[k];
		idx[k++] = i;
	}
	rc = store_get_many(st, kp, k, on_value, &l);
	free(keys);
	free(kp);
	free(idx);
	return rc;
}

static int64_t floor_to(int64_t t, int step)
{
	return t - ((t % step) + step) % step;
}

/* Sets the new 20 s slots and works out which coarse buckets completed. */
static void merge_raw(struct chunk_entity *ce, int64_t now)
{
	struct series *raw = &ce->ser[SERIES_20S];
	int64_t old_last = series_last(raw), first = INT64_MAX, p0, h0;

	for (size_t j = 0; j < ce->p->n; j++) {
		series_set(raw, ce->p->s[j].t, ce->p->s[j].v);
		if (ce->p->s[j].t < first)
			first = ce->p->s[j].t;
	}
	series_trim(raw, now, series_tiers[SERIES_20S].keep);
	h0 = series_last(raw) + series_tiers[SERIES_20S].step;
	p0 = old_last >= 0 ? old_last + series_tiers[SERIES_20S].step : floor_to(first, 20);
	for (int k = 1; k < SERIES_NTIERS; k++) {
		ce->from[k] = floor_to(p0, series_tiers[k].step);
		ce->to[k] = floor_to(h0, series_tiers[k].step);
	}
}

static void put_tier(struct store_batch *b, const char *vcenter, struct chunk_entity *ce,
                     enum series_tier tier)
{
	struct buf val = BUF_INIT;
	char key[256];

	series_key(key, sizeof(key), vcenter, tier, ce->p->moref);
	series_encode(&ce->ser[tier], &val);
	store_batch_put_packed(b, key, val.data, val.len, series_tiers[tier].keep + PERF_TTL_EXTRA);
	buf_free(&val);
}

static int store_chunk(struct store *st, const char *vcenter, struct chunk_entity *ents, size_t n,
                       int64_t now)
{
	struct store_batch *b;

	if (load_tier(st, vcenter, ents, n, SERIES_20S))
		return -1;
	for (size_t i = 0; i < n; i++)
		merge_raw(&ents[i], now);
	for (int k = 1; k < SERIES_NTIERS; k++) {
		if (load_tier(st, vcenter, ents, n, (enum series_tier)k))
			return -1;
		for (size_t i = 0; i < n; i++) {
			struct chunk_entity *ce = &ents[i];
			if (!ce->loaded[k])
				continue;
			series_rollup(&ce->ser[k - 1], &ce->ser[k], ce->from[k], ce->to[k]);
			series_trim(&ce->ser[k], now, series_tiers[k].keep);
		}
	}
	b = store_batch_new(st);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < SERIES_NTIERS; k++)
			if (ents[i].loaded[k])
				put_tier(b, vcenter, &ents[i], (enum series_tier)k);
	return store_batch_exec(b);
}

int perf_store_samples(struct store *st, const char *vcenter, struct perf_pending *e, size_t n,
                       int64_t now)
{
	struct chunk_entity *ents = calloc(PERF_CHUNK, sizeof(*ents));
	int rc = 0;

	if (!ents)
		abort();
	for (size_t off = 0; off < n && rc == 0; off += PERF_CHUNK) {
		size_t m = n - off < PERF_CHUNK ? n - off : PERF_CHUNK;
		memset(ents, 0, m * sizeof(*ents));
		for (size_t i = 0; i < m; i++)
			ents[i].p = &e[off + i];
		rc = store_chunk(st, vcenter, ents, m, now);
		for (size_t i = 0; i < m; i++)
			for (int k = 0; k < SERIES_NTIERS; k++)
				series_free(&ents[i].ser[k]);
	}
	free(ents);
	return rc;
}
