/* GET /api/v1/perf/{vm|host|datastore}/{vcenter}/{moref}?range=1h|24h|7d|90d — the
 * performance history of one object (redis/series.h) from the tier that serves the
 * range: {"kind", "vcenter", "moref", "name", "range", "tier", "step", "t": [epoch s],
 * "series": {metric: [value|null]}, "metrics": [{key, label, unit}], "charts":
 * {part: [metric keys]}}. Same rule as the detail pages: an object outside the
 * session's vCenters, or unknown to its inventory, is a 404. */
#include "scope.h"
#include "resp.h"
#include "router.h"
#include "series.h"
#include "store.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int not_found(struct req *r)
{
	return resp_error(r, 404, "Not found", "This object is not in the vCenters of your session.");
}

/* Which metrics each chart of pages.js draws. */
static json_t *charts_of(const struct series_kind *k)
{
	if (!strcmp(k->kind, "datastore"))
		return json_pack("{s:[s,s]}", "space", "used_gb", "capacity_gb");
	return json_pack("{s:[s,s],s:[s],s:[s],s:[s]}", "cpu", "cpu_pct", "cpu_max_pct",
	                 "mem", "mem_pct", "disk", "disk_kbps", "net", "net_kbps");
}

static json_t *metrics_of(const struct series_kind *k, int nmetrics)
{
	json_t *a = json_array();

	for (int m = 0; m < nmetrics; m++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "key", k->metrics[m].key,
		                      "label", k->metrics[m].label, "unit", k->metrics[m].unit));
	return a;
}

/* The tier's series of the object (empty when it has no history yet); -1 when
 * Redis failed. */
static int load(struct req *r, const char *vc, const char *moref, enum series_tier tier,
                const struct series_kind *k, struct series *s)
{
	char key[512], *val = NULL;
	size_t len;
	int rc;

	series_key(key, sizeof(key), vc, tier, moref);
	rc = store_get(r->app->store, key, &val, &len);
	if (rc < 0)
		return -1;
	/* a garbled value decodes to an empty series: shown as no history */
	if (rc == 0)
		series_init(s, tier, k);
	else
		series_decode(s, tier, k, val, len);
	free(val);
	return 0;
}

int api_v1_perf(struct req *r)
{
	const char *rest = r->path + strlen("/api/v1/perf/"), *slash = strchr(rest, '/');
	const char *range = req_str(r, "range") ? req_str(r, "range") : "1h", *vc, *moref;
	const struct series_kind *k;
	enum series_tier tier = (enum series_tier)series_tier_of_range(range);
	struct scope sc;
	struct series s;
	const json_t *rec;
	json_t *out, *data;
	int store_err = 0;

	if (!slash || !(k = series_kind_find(arena_strndup(&r->arena, rest, (size_t)(slash - rest)))) ||
	    inv_object_path(r, slash + 1, &vc, &moref))
		return not_found(r);
	if (scope_load(r, &sc) < 0)
		return router_store_down(r);
	rec = scope_lookup(&sc, vc, k->kind, moref, &store_err);
	if (store_err)
		return router_store_down(r);
	if (!rec)
		return not_found(r);
	if (load(r, vc, moref, tier, k, &s) < 0)
		return router_store_down(r);
	data = series_json(&s, k, (int64_t)time(NULL) - series_tiers[tier].keep);
	out = json_pack("{s:s,s:s,s:s,s:O?,s:s,s:s,s:i,s:O,s:o,s:o,s:o}", "kind", k->kind,
	                "vcenter", vc, "moref", moref, "name", json_object_get(rec, "name"),
	                "range", range, "tier", series_tiers[tier].name, "step", s.step,
	                "t", json_object_get(data, "t"), "series", data,
	                "metrics", metrics_of(k, s.nmetrics), "charts", charts_of(k));
	json_object_del(data, "t");
	series_free(&s);
	resp_json(r, 200, out);
	json_decref(out);
	return 0;
}
