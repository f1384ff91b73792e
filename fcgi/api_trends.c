/* GET /api/v1/charts/trends?range=1h|24h|7d|90d (default 7d): the dashboard's capacity
 * trends from the performance history (redis/series.h), in the shape of
 * /api/v1/perf so pages.js draws them as it draws the detail charts:
 *   {"range", "tier", "step", "t": [epoch s], "series": {key: [% | null]},
 *    "metrics": [{key, label, unit: "%"}], "charts": {"clusters": [keys], "datastores": [keys]}}
 * Clusters: CPU in use as a share of the cluster's capacity — at each slot the sum of
 * its hosts' cpu_mhz over the sum of their total MHz, hosts without a value at that
 * slot counted in neither. Datastores: used space over capacity. The TRENDS_MAX
 * busiest clusters and fullest datastores by their newest value, across the
 * session's selected vCenters (scope.h). */
#include "resp.h"
#include "router.h"
#include "scope.h"
#include "series.h"
#include "server.h"
#include "store.h"
#include "table.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRENDS_MAX 8
#define TRENDS_KEYS_PER_MGET 256

static const char *const trend_ranges[] = { "1h", "24h", "7d", "90d", NULL };

const struct param_spec api_trends_params[] = {
	{ .name = "range", .kind = PARAM_ENUM, .choices = trend_ranges },
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = NULL },
};

/* One line of a chart: sums per slot of the grid. */
struct line {
	char key[160];
	char label[300];
	double *used, *cap;     /* grid slots */
	double last;            /* newest share, for ranking; -1 without any */
};

struct grid {
	enum series_tier tier;
	const struct series_kind *kind;
	int64_t from;           /* first slot time */
	int step, n;
};

struct lines {
	struct line *v;
	size_t n, cap;
};

/* The index of key's line, made when new (an index: ls->v moves as it grows). */
static size_t line_get(struct lines *ls, const struct grid *g, const char *key, const char *label)
{
	for (size_t i = 0; i < ls->n; i++)
		if (!strcmp(ls->v[i].key, key))
			return i;
	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 16;
		if (!(ls->v = realloc(ls->v, ls->cap * sizeof(*ls->v))))
			abort();
	}
	struct line *l = &ls->v[ls->n++];
	memset(l, 0, sizeof(*l));
	snprintf(l->key, sizeof(l->key), "%s", key);
	snprintf(l->label, sizeof(l->label), "%s", label);
	l->used = calloc((size_t)g->n, sizeof(double));
	l->cap = calloc((size_t)g->n, sizeof(double));
	if (!l->used || !l->cap)
		abort();
	l->last = -1;
	return ls->n - 1;
}

static void lines_free(struct lines *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->v[i].used);
		free(ls->v[i].cap);
	}
	free(ls->v);
}

/* What one decoded series adds to its line: metric `used` over metric `cap` (cap_m
 * < 0: the constant capacity cap_fixed). */
struct feed {
	const struct grid *g;
	struct lines *ls;
	const size_t *lines;    /* per key of the MGET: its line's index in ls */
	int used_m, cap_m;
	double *cap_fixed;      /* per key, when cap_m < 0 */
};

static void add_series(void *ctx, size_t i, const char *data, size_t len)
{
	struct feed *f = ctx;
	const struct grid *g = f->g;
	struct series s;

	struct line *l;

	if (!data)
		return;
	if (series_decode(&s, g->tier, g->kind, data, len) < 0) {
		series_free(&s);
		return;
	}
	l = &f->ls->v[f->lines[i]];
	for (int k = 0; k < s.n; k++) {
		int64_t t = s.start + (int64_t)k * s.step, used = s.v[f->used_m * s.cap + k];
		int64_t cap = f->cap_m >= 0 ? s.v[f->cap_m * s.cap + k] : 0;
		double c = f->cap_m >= 0 ? (double)cap : f->cap_fixed[i];
		int slot;
		if (t < g->from || used == SERIES_NONE || (f->cap_m >= 0 && cap == SERIES_NONE) || c <= 0)
			continue;
		slot = (int)((t - g->from) / g->step);
		if (slot >= g->n)
			continue;
		l->used[slot] += (double)used;
		l->cap[slot] += c;
	}
	series_free(&s);
}

/* Reads the series of keys[0..n) into their lines, TRENDS_KEYS_PER_MGET at a time. */
static int feed_all(struct req *r, struct feed *f, char **keys, size_t n)
{
	for (size_t at = 0; at < n; at += TRENDS_KEYS_PER_MGET) {
		size_t k = n - at < TRENDS_KEYS_PER_MGET ? n - at : TRENDS_KEYS_PER_MGET;
		struct feed part = *f;
		part.lines = f->lines + at;
		part.cap_fixed = f->cap_fixed ? f->cap_fixed + at : NULL;
		if (store_get_many(r->app->store, (const char *const *)keys + at, k, add_series, &part))
			return -1;
	}
	return 0;
}

/* The lines of one chart: per record of type, its key and line; the series read. */
static int chart(struct req *r, const struct scope *sc, const struct grid *g, const char *type,
                 struct lines *ls, int *store_err)
{
	size_t cap = 0, n = 0;
	char **keys = NULL;
	size_t *lines = NULL;
	double *fixed = NULL;
	int is_host = !strcmp(type, "host"), rc;

	for (size_t v = 0; v < sc->n; v++) {
		struct view_entry *e;
		const json_t *rec;
		size_t i;
		if (!sc->selected[v])
			continue;
		if (!(e = scope_entry(sc, v, type))) {
			*store_err = 1;
			break;
		}
		json_array_foreach(e->records, i, rec) {
			char key[512], lkey[160], label[300];
			const char *cluster = tbl_str(rec, "cluster");
			if (is_host && !*cluster)
				continue;   /* a standalone host has no cluster line */
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				keys = realloc(keys, cap * sizeof(*keys));
				lines = realloc(lines, cap * sizeof(*lines));
				fixed = realloc(fixed, cap * sizeof(*fixed));
				if (!keys || !lines || !fixed)
					abort();
			}
			series_key(key, sizeof(key), sc->ids[v], g->tier, tbl_str(rec, "moref"));
			snprintf(lkey, sizeof(lkey), "%s:%s", sc->ids[v], is_host ? cluster : tbl_str(rec, "moref"));
			snprintf(label, sizeof(label), "%s (%s)", is_host ? tbl_str(rec, "cluster_name") : tbl_str(rec, "name"),
			         sc->names[v]);
			keys[n] = strdup(key);
			lines[n] = line_get(ls, g, lkey, label);
			fixed[n] = tbl_num(rec, "cpu_total_mhz");
			n++;
		}
	}
	{
		struct feed f = { g, ls, lines, is_host ? 1 : 0, is_host ? -1 : 1, is_host ? fixed : NULL };
		rc = *store_err ? 0 : feed_all(r, &f, keys, n);
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(lines);
	free(fixed);
	return rc;
}

static int by_last_desc(const void *a, const void *b)
{
	double x = ((const struct line *)a)->last, y = ((const struct line *)b)->last;

	return x < y ? 1 : x > y ? -1 : strcmp(((const struct line *)a)->key, ((const struct line *)b)->key);
}

/* The TRENDS_MAX highest lines into out: series[key] = shares in %, metrics entry. */
static json_t *top_lines(struct lines *ls, const struct grid *g, const char *prefix, json_t *series,
                         json_t *metrics)
{
	json_t *keys = json_array();

	for (size_t i = 0; i < ls->n; i++)
		for (int k = 0; k < g->n; k++)
			if (ls->v[i].cap[k] > 0)
				ls->v[i].last = ls->v[i].used[k] * 100.0 / ls->v[i].cap[k];
	qsort(ls->v, ls->n, sizeof(*ls->v), by_last_desc);
	for (size_t i = 0; i < ls->n && i < TRENDS_MAX; i++) {
		struct line *l = &ls->v[i];
		json_t *vals = json_array();
		char key[200];
		if (l->last < 0)
			break;   /* no history for this one (nor the ones after it) */
		for (int k = 0; k < g->n; k++)
			json_array_append_new(vals, l->cap[k] > 0 ? json_real((double)(long)(l->used[k] * 1000.0 / l->cap[k]) / 10.0)
			                                          : json_null());
		snprintf(key, sizeof(key), "%s:%s", prefix, l->key);
		json_object_set_new(series, key, vals);
		json_array_append_new(metrics, json_pack("{s:s,s:s,s:s}", "key", key, "label", l->label, "unit", "%"));
		json_array_append_new(keys, json_string(key));
	}
	return keys;
}

int api_v1_charts_trends(struct req *r)
{
	const char *range = req_str(r, "range") ? req_str(r, "range") : "7d";
	int tier = series_tier_of_range(range), store_err = 0;
	struct grid hg, dg;
	struct lines clusters = { 0 }, datastores = { 0 };
	json_t *t, *series, *metrics, *out, *ckeys, *dkeys;
	struct scope sc;
	int64_t now = (int64_t)time(NULL);

	if (tier < 0)
		return resp_error(r, 400, "Bad range", "Say 1h, 24h, 7d or 90d.");
	if (scope_load(r, &sc) < 0)
		return router_store_down(r);
	hg.tier = (enum series_tier)tier;
	hg.step = series_tiers[tier].step;
	hg.n = series_tiers[tier].keep / hg.step + 1;
	hg.from = (now - series_tiers[tier].keep) / hg.step * hg.step;
	hg.kind = series_kind_find("host");
	dg = hg;
	dg.kind = series_kind_find("datastore");
	if (chart(r, &sc, &hg, "host", &clusters, &store_err) ||
	    chart(r, &sc, &dg, "datastore", &datastores, &store_err) || store_err) {
		lines_free(&clusters);
		lines_free(&datastores);
		return router_store_down(r);
	}
	t = json_array();
	for (int k = 0; k < hg.n; k++)
		json_array_append_new(t, json_integer((json_int_t)(hg.from + (int64_t)k * hg.step)));
	series = json_object();
	metrics = json_array();
	ckeys = top_lines(&clusters, &hg, "cl", series, metrics);
	dkeys = top_lines(&datastores, &dg, "ds", series, metrics);
	out = json_pack("{s:s,s:s,s:i,s:o,s:o,s:o,s:{s:o,s:o}}", "range", range,
	                "tier", series_tiers[tier].name, "step", hg.step, "t", t, "series", series,
	                "metrics", metrics, "charts", "clusters", ckeys, "datastores", dkeys);
	lines_free(&clusters);
	lines_free(&datastores);
	resp_json(r, 200, out);
	json_decref(out);
	return 0;
}
