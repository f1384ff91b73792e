/* The dashboard (GET /dashboard): totals overall and per vCenter, triggered alarms
 * newest first with severity and period filters (HTMX swaps #alarms-panel), VMs
 * with snapshots oldest first, cluster resources, each vCenter's state with "stale
 * since", and the capacity charts, whose figures come from /api/v1/charts/capacity
 * (inv_capacity_charts, drawn by static/js/pages.js). POST /refresh asks the
 * collector for an immediate poll by bumping the plain counter cmd:refresh. */
#include "scope.h"
#include "view.h"
#include "layout.h"
#include "resp.h"
#include "router.h"
#include "server.h"
#include "store.h"
#include "session.h"
#include "buf.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DASH_MAX_ALARMS 200
#define DASH_MAX_SNAPSHOTS 100
#define DASH_MAX_CLUSTERS 100
#define DASH_MAX_EVENTS 8
#define SNAPSHOT_OLD_DAYS 7

static const char *const periods[] = { "day", "week", "all", NULL };
static const char *const severities[] = { "all", "red", "yellow", NULL };

const struct param_spec inv_dashboard_params[] = {
	{ .name = "period", .kind = PARAM_ENUM, .choices = periods },
	{ .name = "severity", .kind = PARAM_ENUM, .choices = severities },
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = NULL },
};

const struct param_spec inv_refresh_params[] = {
	{ .name = "csrf", .kind = PARAM_CSRF },   /* checked by the router */
	{ .name = NULL },
};

/* Per-entry VM counts, memoised on the vm entry. */
struct vm_stats {
	size_t total, on, off, templates;
};

static void *vm_stats_build(const json_t *records, const void *arg)
{
	struct vm_stats *st = calloc(1, sizeof(*st));
	const json_t *v;
	size_t i;

	(void)arg;
	if (!st)
		abort();
	json_array_foreach(records, i, v) {
		const char *p = tbl_str(v, "power_state");
		if (json_is_true(json_object_get(v, "template"))) {
			st->templates++;
			continue;
		}
		st->total++;
		st->on += !strcmp(p, "poweredOn");
		st->off += strcmp(p, "poweredOn") != 0;
	}
	return st;
}

static void plain_free(void *p)
{
	free(p);
}

struct dash {
	struct req *r;
	struct scope sc;
	json_t *d;
	int store_err;
};

static const json_t *recs(struct dash *ds, size_t v, const char *type)
{
	struct view_entry *e = scope_entry(&ds->sc, v, type);

	if (!e) {
		ds->store_err = 1;
		return NULL;
	}
	return e->records;
}

static void add_num(json_t *o, const char *k, json_int_t n)
{
	json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + n));
}

/* ---- totals ---- */

static json_t *vcenter_totals(struct dash *ds, size_t v, json_t *totals, double *cap, double *free_b)
{
	struct view_entry *e = scope_entry(&ds->sc, v, "vm");
	const json_t *alarms, *dss, *x;
	struct vm_stats *st;
	json_int_t crit = 0, warn = 0;
	json_t *o;
	size_t i;

	if (!e)
		return ds->store_err = 1, json_object();
	st = scope_memo(e, SLOT_STATS, vm_stats_build, plain_free, NULL);
	o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "id", ds->sc.ids[v],
	              "name", ds->sc.names[v], "vms", (json_int_t)st->total, "vms_on", (json_int_t)st->on,
	              "vms_off", (json_int_t)st->off,
	              "hosts", (json_int_t)json_array_size(recs(ds, v, "host")),
	              "clusters", (json_int_t)json_array_size(recs(ds, v, "cluster")),
	              "datastores", (json_int_t)json_array_size(recs(ds, v, "datastore")),
	              "networks", (json_int_t)json_array_size(recs(ds, v, "network")),
	              "snapshots", (json_int_t)json_array_size(recs(ds, v, "snapshot")));
	alarms = recs(ds, v, "alarm");
	json_array_foreach(alarms, i, x) {
		crit += !strcmp(tbl_str(x, "status"), "red");
		warn += !strcmp(tbl_str(x, "status"), "yellow");
	}
	json_object_set_new(o, "alarms_critical", json_integer(crit));
	json_object_set_new(o, "alarms_warning", json_integer(warn));
	dss = recs(ds, v, "datastore");
	json_array_foreach(dss, i, x) {
		*cap += tbl_num(x, "capacity_bytes");
		*free_b += tbl_num(x, "free_bytes");
	}
	for (const char *const *k = (const char *const[]){ "vms", "vms_on", "vms_off", "hosts", "clusters",
	     "datastores", "networks", "snapshots", "alarms_critical", "alarms_warning", NULL }; *k; k++)
		add_num(totals, *k, json_integer_value(json_object_get(o, *k)));
	return o;
}

static void totals(struct dash *ds)
{
	json_t *per = json_array(), *tot = json_object();
	double cap = 0, free_b = 0;
	char s[48];

	for (size_t v = 0; v < ds->sc.n; v++) {
		if (!ds->sc.selected[v])
			continue;
		json_t *o = vcenter_totals(ds, v, tot, &cap, &free_b);
		json_t *state = layout_vcenter_state(ds->r, ds->sc.ids[v], ds->sc.names[v], ds->sc.intervals[v]);
		json_object_update(o, state);
		json_object_set_new(o, "name", json_string(ds->sc.names[v]));
		json_decref(state);
		json_array_append_new(per, o);
	}
	if (cap > 0) {
		tbl_fmt_bytes(free_b, s, sizeof(s));
		json_object_set_new(tot, "storage_free", json_string(s));
		tbl_fmt_bytes(cap, s, sizeof(s));
		json_object_set_new(tot, "storage_capacity", json_string(s));
		json_object_set_new(tot, "storage_pct", json_integer(tbl_pct(cap - free_b, cap)));
	}
	json_object_set_new(ds->d, "totals", tot);
	json_object_set_new(ds->d, "per_vcenter", per);
	json_object_set_new(ds->d, "vcenter_count", json_integer((json_int_t)ds->sc.n));
	json_object_set_new(ds->d, "vcenter_one", json_boolean(ds->sc.n == 1));
}

/* ---- alarms ---- */

struct alarm_ref {
	const json_t *rec;
	long long t;
	size_t v;
};

static int newest_first(const void *pa, const void *pb)
{
	const struct alarm_ref *a = pa, *b = pb;

	return a->t != b->t ? (a->t < b->t ? 1 : -1) : (a->v > b->v) - (a->v < b->v);
}

static json_t *entity_href(struct dash *ds, const char *vc, const char *entity)
{
	static const char *const kinds[][2] = {
		{ "vm-", "vm" }, { "host-", "host" }, { "datastore-", "datastore" }, { "domain-c", "cluster" },
	};
	char href[512];

	(void)ds;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(entity, kinds[i][0], strlen(kinds[i][0]))) {
			inv_detail_href(href, sizeof(href), kinds[i][1], vc, entity);
			return json_string(href);
		}
	return json_null();
}

static void alarms(struct dash *ds)
{
	const char *period = req_str(ds->r, "period"), *sev = req_str(ds->r, "severity");
	long long since = 0;
	struct alarm_ref *refs = NULL;
	size_t n = 0, cap = 0, i;
	json_t *out = json_array();
	const json_t *x;

	period = period ? period : "week";
	sev = sev ? sev : "all";
	since = !strcmp(period, "day") ? ds->r->now - 86400 : !strcmp(period, "week") ? ds->r->now - 7 * 86400 : 0;
	for (size_t v = 0; v < ds->sc.n; v++) {
		if (!ds->sc.selected[v])
			continue;
		json_array_foreach(recs(ds, v, "alarm"), i, x) {
			long long t = tbl_time(tbl_str(x, "time"));
			if ((since && t < since) || (strcmp(sev, "all") && strcmp(tbl_str(x, "status"), sev)))
				continue;
			if (n == cap && !(refs = realloc(refs, (cap = cap ? cap * 2 : 64) * sizeof(*refs))))
				abort();
			refs[n++] = (struct alarm_ref){ x, t, v };
		}
	}
	if (n)
		qsort(refs, n, sizeof(*refs), newest_first);
	for (i = 0; i < n && i < DASH_MAX_ALARMS; i++) {
		const json_t *a = refs[i].rec;
		const char *st = tbl_str(a, "status");
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b}", "name", tbl_str(a, "name"),
		                      "entity", *tbl_str(a, "entity_name") ? tbl_str(a, "entity_name") : tbl_str(a, "entity"),
		                      "vcenter_name", ds->sc.names[refs[i].v], "time", tbl_str(a, "time"),
		                      "severity", st, "critical", !strcmp(st, "red"), "warning", !strcmp(st, "yellow"),
		                      "acknowledged", json_is_true(json_object_get(a, "acknowledged")));
		json_object_set_new(o, "href", entity_href(ds, ds->sc.ids[refs[i].v], tbl_str(a, "entity")));
		json_array_append_new(out, o);
	}
	json_object_set_new(ds->d, "alarms", out);
	json_object_set_new(ds->d, "alarms_count", json_integer((json_int_t)n));
	json_object_set_new(ds->d, "alarms_more", json_boolean(n > DASH_MAX_ALARMS));
	for (const char *const *p = periods; *p; p++) {
		char k[32];
		snprintf(k, sizeof(k), "period_%s", *p);
		json_object_set_new(ds->d, k, json_boolean(!strcmp(period, *p)));
	}
	for (const char *const *p = severities; *p; p++) {
		char k[32];
		snprintf(k, sizeof(k), "severity_%s", *p);
		json_object_set_new(ds->d, k, json_boolean(!strcmp(sev, *p)));
	}
	json_object_set_new(ds->d, "period", json_string(period));
	json_object_set_new(ds->d, "severity", json_string(sev));
	free(refs);
}

/* ---- snapshots ---- */

static int oldest_first(const void *pa, const void *pb)
{
	const struct alarm_ref *a = pa, *b = pb;

	return a->t != b->t ? (a->t > b->t ? 1 : -1) : (a->v > b->v) - (a->v < b->v);
}

static void snapshots(struct dash *ds)
{
	struct alarm_ref *refs = NULL;
	size_t n = 0, cap = 0, i;
	json_t *out = json_array();
	const json_t *x;

	for (size_t v = 0; v < ds->sc.n; v++) {
		if (!ds->sc.selected[v])
			continue;
		json_array_foreach(recs(ds, v, "snapshot"), i, x) {
			if (n == cap && !(refs = realloc(refs, (cap = cap ? cap * 2 : 64) * sizeof(*refs))))
				abort();
			refs[n++] = (struct alarm_ref){ x, tbl_time(tbl_str(x, "created")), v };
		}
	}
	if (n)
		qsort(refs, n, sizeof(*refs), oldest_first);
	for (i = 0; i < n && i < DASH_MAX_SNAPSHOTS; i++) {
		const json_t *s = refs[i].rec;
		long long days = refs[i].t ? (ds->r->now - refs[i].t) / 86400 : 0;
		char href[512];
		json_t *o;
		inv_detail_href(href, sizeof(href), "vm", ds->sc.ids[refs[i].v], tbl_str(s, "vm"));
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "vm", tbl_str(s, "vm_name"), "name", tbl_str(s, "name"),
		              "vcenter_name", ds->sc.names[refs[i].v], "created", tbl_str(s, "created"),
		              "href", href, "age_days", (json_int_t)(days < 0 ? 0 : days),
		              "old", days >= SNAPSHOT_OLD_DAYS);
		json_array_append_new(out, o);
	}
	json_object_set_new(ds->d, "snapshots", out);
	json_object_set_new(ds->d, "snapshots_count", json_integer((json_int_t)n));
	json_object_set_new(ds->d, "snapshot_old_days", json_integer(SNAPSHOT_OLD_DAYS));
	free(refs);
}

/* ---- clusters ---- */

static void clusters(struct dash *ds)
{
	json_t *out = json_array();
	const json_t *c;
	size_t i, n = 0;

	for (size_t v = 0; v < ds->sc.n; v++) {
		if (!ds->sc.selected[v])
			continue;
		json_array_foreach(recs(ds, v, "cluster"), i, c) {
			char href[512], cpu[48], mem[48];
			double mem_total = tbl_num(c, "total_memory_bytes");
			if (n++ >= DASH_MAX_CLUSTERS)
				break;
			inv_detail_href(href, sizeof(href), "cluster", ds->sc.ids[v], tbl_str(c, "moref"));
			tbl_fmt_mhz(tbl_num(c, "total_cpu_mhz"), cpu, sizeof(cpu));
			tbl_fmt_bytes(mem_total, mem, sizeof(mem));
			json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:i,s:i,s:s,s:s}",
			                      "name", tbl_str(c, "name"), "href", href, "vcenter_name", ds->sc.names[v],
			                      "hosts", (json_int_t)tbl_num(c, "host_count"),
			                      "vms", (json_int_t)tbl_num(c, "vm_count"), "vms_on", (json_int_t)tbl_num(c, "vms_on"),
			                      "cpu_pct", tbl_pct(tbl_num(c, "cpu_usage_mhz"), tbl_num(c, "total_cpu_mhz")),
			                      "mem_pct", tbl_pct(tbl_num(c, "mem_usage_mb") * 1048576.0, mem_total),
			                      "cpu_total", cpu, "mem_total", mem));
		}
	}
	json_object_set_new(ds->d, "clusters", out);
}

int page_dashboard(struct req *r)
{
	struct dash ds;

	memset(&ds, 0, sizeof(ds));
	ds.r = r;
	if (scope_load(r, &ds.sc) < 0)
		return router_store_down(r);
	ds.d = json_object();
	totals(&ds);
	alarms(&ds);
	snapshots(&ds);
	clusters(&ds);
	json_object_set_new(ds.d, "events", page_live_events(&ds.sc, DASH_MAX_EVENTS, &ds.store_err));
	json_object_set_new(ds.d, "charts", json_boolean(ds.sc.n > 0));
	if (ds.store_err) {
		json_decref(ds.d);
		return router_store_down(r);
	}
	return page_render(r, "page-dashboard", ds.d, "Dashboard");
}

int page_refresh(struct req *r)
{
	if (store_incr(r->app->store, "cmd:refresh", 0) < 0) {
		log_error("dashboard.refresh", "error=%s", log_q(r->app->store->errstr));
		return router_store_down(r);
	}
	log_info("dashboard.refresh", "user=%s", log_q(r->sess->user));
	if (r->hx) {
		r->status = 204;
		resp_header(r, "HX-Trigger", "{\"vc:toast\":{\"kind\":\"success\",\"text\":"
		                             "\"Refresh requested: the collector polls every vCenter now.\"}}");
		return 0;
	}
	resp_redirect(r, "/dashboard");
	return 0;
}

/* ---- charts ---- */

static json_t *series(const char *name, json_t *data)
{
	return json_pack("{s:s,s:o}", "name", name, "data", data);
}

static void cluster_charts(const struct scope *sc, json_t *out, int *err)
{
	json_t *cats = json_array(), *cpu = json_array(), *mem = json_array(), *c;
	size_t i;

	for (size_t v = 0; v < sc->n; v++) {
		struct view_entry *e = sc->selected[v] ? scope_entry(sc, v, "cluster") : NULL;
		if (!sc->selected[v])
			continue;
		if (!e) {
			*err = 1;
			break;
		}
		json_array_foreach(e->records, i, c) {
			char label[256];
			snprintf(label, sizeof(label), sc->n > 1 ? "%s (%s)" : "%s", tbl_str(c, "name"), sc->names[v]);
			json_array_append_new(cats, json_string(label));
			json_array_append_new(cpu, json_integer(tbl_pct(tbl_num(c, "cpu_usage_mhz"), tbl_num(c, "total_cpu_mhz"))));
			json_array_append_new(mem, json_integer(tbl_pct(tbl_num(c, "mem_usage_mb") * 1048576.0,
			                                                tbl_num(c, "total_memory_bytes"))));
		}
	}
	json_object_set_new(out, "clusters", json_pack("{s:o,s:[o,o],s:s}", "categories", cats,
	                    "series", series("CPU", cpu), series("Memory", mem), "unit", "%"));
}

static void vcenter_charts(const struct scope *sc, json_t *out, int *err)
{
	json_t *cats = json_array(), *cpu = json_array(), *mem = json_array(), *sto = json_array();
	json_t *used = json_array(), *free_s = json_array(), *x;
	size_t i;

	for (size_t v = 0; v < sc->n && !*err; v++) {
		if (!sc->selected[v])
			continue;
		/* Take each entry's records at once: the next view_get may move entries. */
		struct view_entry *e = scope_entry(sc, v, "host");
		const json_t *hosts = e ? e->records : NULL, *dss;
		double cu = 0, ct = 0, mu = 0, mt = 0, cap = 0, fr = 0;
		e = hosts ? scope_entry(sc, v, "datastore") : NULL;
		dss = e ? e->records : NULL;
		if (!hosts || !dss) {
			*err = 1;
			break;
		}
		json_array_foreach(hosts, i, x) {
			cu += tbl_num(x, "cpu_usage_mhz");
			ct += tbl_num(x, "cpu_total_mhz");
			mu += tbl_num(x, "mem_usage_mb") * 1048576.0;
			mt += tbl_num(x, "memory_bytes");
		}
		json_array_foreach(dss, i, x) {
			cap += tbl_num(x, "capacity_bytes");
			fr += tbl_num(x, "free_bytes");
		}
		json_array_append_new(cats, json_string(sc->names[v]));
		json_array_append_new(cpu, json_integer(tbl_pct(cu, ct)));
		json_array_append_new(mem, json_integer(tbl_pct(mu, mt)));
		json_array_append_new(sto, json_integer(tbl_pct(cap - fr, cap)));
		json_array_append_new(used, json_real((double)(long long)((cap - fr) / 1073741824.0 * 10) / 10));
		json_array_append_new(free_s, json_real((double)(long long)(fr / 1073741824.0 * 10) / 10));
	}
	json_object_set_new(out, "vcenters", json_pack("{s:o,s:[o,o,o],s:s}", "categories", json_incref(cats),
	                    "series", series("CPU", cpu), series("Memory", mem), series("Storage", sto), "unit", "%"));
	json_object_set_new(out, "storage", json_pack("{s:o,s:[o,o],s:s}", "categories", cats,
	                    "series", series("Used", used), series("Free", free_s), "unit", " GiB"));
}

json_t *inv_capacity_charts(const struct scope *sc)
{
	json_t *out = json_object();
	int err = 0;

	cluster_charts(sc, out, &err);
	vcenter_charts(sc, out, &err);
	if (err) {
		json_decref(out);
		return NULL;
	}
	return out;
}
