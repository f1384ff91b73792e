/* Topology views. GET /storage: datastore clusters with their member datastores,
 * capacity bars, local vs shared, a host x datastore access matrix and totals per
 * vCenter. GET /network-topology: each distributed switch with its portgroups,
 * VLANs and hosts; standard switches per host; VMkernel adapters with services;
 * and a VLAN index (which portgroups carry VLAN N, across all vCenters). */
#include "scope.h"
#include "view.h"
#include "layout.h"
#include "resp.h"
#include "router.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MATRIX_MAX_HOSTS 40
#define MATRIX_MAX_DS 40

struct topo {
	struct req *r;
	struct scope sc;
	int store_err;
};

static const json_t *recs(struct topo *t, size_t v, const char *type)
{
	struct view_entry *e = scope_entry(&t->sc, v, type);

	if (!e) {
		t->store_err = 1;
		return NULL;
	}
	return e->records;
}

static json_t *ds_json(struct topo *t, size_t v, const json_t *ds)
{
	char href[512], cap[48], fr[48];

	inv_detail_href(href, sizeof(href), "datastore", t->sc.ids[v], tbl_str(ds, "moref"));
	tbl_fmt_bytes(tbl_num(ds, "capacity_bytes"), cap, sizeof(cap));
	tbl_fmt_bytes(tbl_num(ds, "free_bytes"), fr, sizeof(fr));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:b,s:I}", "name", tbl_str(ds, "name"), "href", href,
	                 "type", tbl_str(ds, "type"), "capacity", cap, "free", fr,
	                 "pct", (int)tbl_num(ds, "used_pct"), "shared", json_is_true(json_object_get(ds, "shared")),
	                 "hosts", (json_int_t)tbl_num(ds, "host_count"));
}

static bool has_name(const json_t *arr, const char *name)
{
	const json_t *x;
	size_t i;

	json_array_foreach(arr, i, x)
		if (json_is_string(x) && !strcmp(json_string_value(x), name))
			return true;
	return false;
}

/* Host x datastore matrix of one vCenter (capped so the page stays readable). */
static json_t *matrix(struct topo *t, size_t v, const json_t *dss)
{
	const json_t *hosts = recs(t, v, "host"), *h, *d;
	json_t *cols = json_array(), *rows = json_array();
	size_t i, k;

	json_array_foreach(dss, k, d) {
		if (k >= MATRIX_MAX_DS)
			break;
		json_array_append_new(cols, json_pack("{s:s}", "name", tbl_str(d, "name")));
	}
	json_array_foreach(hosts, i, h) {
		json_t *cells;
		if (i >= MATRIX_MAX_HOSTS)
			break;
		cells = json_array();
		json_array_foreach(dss, k, d) {
			if (k >= MATRIX_MAX_DS)
				break;
			json_array_append_new(cells, json_pack("{s:b}", "on", has_name(json_object_get(d, "hosts"),
			                                                              tbl_str(h, "name"))));
		}
		json_array_append_new(rows, json_pack("{s:s,s:o}", "host", tbl_str(h, "name"), "cells", cells));
	}
	return json_pack("{s:o,s:o,s:b}", "cols", cols, "rows", rows,
	                 "cut", json_array_size(hosts) > MATRIX_MAX_HOSTS || json_array_size(dss) > MATRIX_MAX_DS);
}

static json_t *storage_vcenter(struct topo *t, size_t v)
{
	const json_t *pods = recs(t, v, "pod"), *dss = recs(t, v, "datastore"), *p, *d;
	json_t *podl = json_array(), *loose = json_array();
	double cap = 0, fr = 0;
	size_t i, nshared = 0;
	char s1[48], s2[48];

	json_array_foreach(pods, i, p) {
		json_t *members = json_array();
		size_t k;
		json_array_foreach(dss, k, d)
			if (!strcmp(tbl_str(d, "pod"), tbl_str(p, "moref")))
				json_array_append_new(members, ds_json(t, v, d));
		tbl_fmt_bytes(tbl_num(p, "capacity_bytes"), s1, sizeof(s1));
		tbl_fmt_bytes(tbl_num(p, "free_bytes"), s2, sizeof(s2));
		json_array_append_new(podl, json_pack("{s:s,s:s,s:s,s:i,s:o}", "name", tbl_str(p, "name"),
		                      "capacity", s1, "free", s2,
		                      "pct", tbl_pct(tbl_num(p, "capacity_bytes") - tbl_num(p, "free_bytes"),
		                                     tbl_num(p, "capacity_bytes")), "members", members));
	}
	json_array_foreach(dss, i, d) {
		cap += tbl_num(d, "capacity_bytes");
		fr += tbl_num(d, "free_bytes");
		nshared += json_is_true(json_object_get(d, "shared"));
		if (!*tbl_str(d, "pod"))
			json_array_append_new(loose, ds_json(t, v, d));
	}
	tbl_fmt_bytes(cap, s1, sizeof(s1));
	tbl_fmt_bytes(fr, s2, sizeof(s2));
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:i,s:I,s:I,s:I}", "id", t->sc.ids[v], "name", t->sc.names[v],
	                 "pods", podl, "datastores", loose, "matrix", matrix(t, v, dss),
	                 "capacity", s1, "free", s2, "pct", tbl_pct(cap - fr, cap),
	                 "count", (json_int_t)json_array_size(dss), "shared", (json_int_t)nshared,
	                 "local", (json_int_t)(json_array_size(dss) - nshared));
}

int page_storage(struct req *r)
{
	struct topo t = { .r = r };
	json_t *list = json_array();

	if (scope_load(r, &t.sc) < 0)
		return router_store_down(r);
	for (size_t v = 0; v < t.sc.n; v++)
		if (t.sc.selected[v])
			json_array_append_new(list, storage_vcenter(&t, v));
	if (t.store_err) {
		json_decref(list);
		return router_store_down(r);
	}
	return page_render(r, "page-storage", json_pack("{s:o}", "vcenters", list), "Storage");
}

/* ---- network ---- */

static const char *vlan_text(const json_t *pg, char *out, size_t n)
{
	const char *type = tbl_str(pg, "vlan_type");

	if (!strcmp(type, "trunk"))
		snprintf(out, n, "trunk %s", *tbl_str(pg, "trunk") ? tbl_str(pg, "trunk") : "0-4094");
	else if (!strcmp(type, "pvlan"))
		snprintf(out, n, "PVLAN %.0f", tbl_num(pg, "vlan"));
	else if (!strcmp(type, "vlan"))
		snprintf(out, n, "%.0f", tbl_num(pg, "vlan"));
	else
		snprintf(out, n, "none");
	return out;
}

static json_t *dvs_list(struct topo *t, size_t v)
{
	const json_t *dvss = recs(t, v, "dvs"), *pgs = recs(t, v, "portgroup"), *s, *p;
	json_t *out = json_array();
	size_t i, k;
	char vl[300];

	json_array_foreach(dvss, i, s) {
		json_t *list = json_array();
		json_array_foreach(pgs, k, p)
			if (!strcmp(tbl_str(p, "dvs"), tbl_str(s, "moref")))
				json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:I}", "name", tbl_str(p, "name"),
				                      "vlan", vlan_text(p, vl, sizeof(vl)),
				                      "uplink", json_is_true(json_object_get(p, "uplink")),
				                      "ports", (json_int_t)tbl_num(p, "ports")));
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:I,s:O,s:o}", "name", tbl_str(s, "name"),
		                      "vcenter_name", t->sc.names[v], "version", tbl_str(s, "version"),
		                      "mtu", (json_int_t)tbl_num(s, "mtu"),
		                      "hosts", json_object_get(s, "hosts") ? json_object_get(s, "hosts") : json_null(),
		                      "portgroups", list));
	}
	return out;
}

/* Standard switches and VMkernel adapters, grouped per host. */
static json_t *host_list(struct topo *t, size_t v)
{
	const json_t *hosts = recs(t, v, "host"), *sws = recs(t, v, "vswitch"), *pgs = recs(t, v, "portgroup");
	const json_t *vmks = recs(t, v, "vmk"), *h, *x, *p;
	json_t *out = json_array();
	size_t i, k, m;
	char vl[300], href[512];

	json_array_foreach(hosts, i, h) {
		const char *hm = tbl_str(h, "moref");
		json_t *swl = json_array(), *vml = json_array();
		json_array_foreach(sws, k, x) {
			json_t *pl;
			if (strcmp(tbl_str(x, "host"), hm))
				continue;
			pl = json_array();
			json_array_foreach(pgs, m, p)
				if (!strcmp(tbl_str(p, "host"), hm) && !strcmp(tbl_str(p, "switch"), tbl_str(x, "name")))
					json_array_append_new(pl, json_pack("{s:s,s:s}", "name", tbl_str(p, "name"),
					                                    "vlan", vlan_text(p, vl, sizeof(vl))));
			json_array_append_new(swl, json_pack("{s:s,s:O,s:o}", "name", tbl_str(x, "name"),
			                      "pnics", json_object_get(x, "pnics") ? json_object_get(x, "pnics") : json_null(),
			                      "portgroups", pl));
		}
		json_array_foreach(vmks, k, x)
			if (!strcmp(tbl_str(x, "host"), hm))
				json_array_append_new(vml, json_pack("{s:s,s:s,s:s,s:s,s:O}", "name", tbl_str(x, "name"),
				                      "ip", tbl_str(x, "ip"), "netmask", tbl_str(x, "netmask"),
				                      "portgroup", *tbl_str(x, "portgroup") ? tbl_str(x, "portgroup") : tbl_str(x, "dv_portgroup"),
				                      "services", json_object_get(x, "services") ? json_object_get(x, "services") : json_null()));
		inv_detail_href(href, sizeof(href), "host", t->sc.ids[v], hm);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:o,s:o}", "name", tbl_str(h, "name"), "href", href,
		                      "vcenter_name", t->sc.names[v], "switches", swl, "vmks", vml));
	}
	return out;
}

/* VLAN -> portgroups carrying it, across the scope (distributed portgroups once,
 * standard portgroups once per name and switch per vCenter). */
static json_t *vlan_index(struct topo *t, const char *only)
{
	json_t *by = json_object(), *out = json_array(), *seen = json_object();
	const char *key;
	json_t *list;
	size_t i;

	for (size_t v = 0; v < t->sc.n; v++) {
		const json_t *pgs = recs(t, v, "portgroup"), *p;
		json_array_foreach(pgs, i, p) {
			char k[32], dedup[600];
			if (strcmp(tbl_str(p, "vlan_type"), "vlan") || json_is_true(json_object_get(p, "uplink")))
				continue;
			snprintf(k, sizeof(k), "%04d", (int)tbl_num(p, "vlan"));
			if (only && *only && atoi(only) != (int)tbl_num(p, "vlan"))
				continue;
			snprintf(dedup, sizeof(dedup), "%s|%s|%s|%s", t->sc.ids[v], k, tbl_str(p, "switch"), tbl_str(p, "name"));
			if (json_object_get(seen, dedup))
				continue;
			json_object_set_new(seen, dedup, json_true());
			if (!(list = json_object_get(by, k)))
				json_object_set_new(by, k, list = json_array());
			json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:b}", "name", tbl_str(p, "name"),
			                      "switch", tbl_str(p, "switch"), "vcenter_name", t->sc.names[v],
			                      "distributed", !strcmp(tbl_str(p, "kind"), "distributed")));
		}
	}
	json_object_foreach(by, key, list)
		json_array_append_new(out, json_pack("{s:i,s:O}", "vlan", atoi(key), "portgroups", list));
	json_decref(by);
	json_decref(seen);
	return out;   /* keys are zero-padded and jansson keeps insertion order: sorted below */
}

static int by_vlan(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "vlan"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "vlan"));

	return (x > y) - (x < y);
}

static json_t *sorted_vlans(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	if (n)
		qsort(v, n, sizeof(*v), by_vlan);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

int page_network_topology(struct req *r)
{
	struct topo t = { .r = r };
	json_t *dvs = json_array(), *hosts = json_array(), *d;
	const char *q = req_str(r, "q");

	if (scope_load(r, &t.sc) < 0)
		return router_store_down(r);
	for (size_t v = 0; v < t.sc.n; v++) {
		if (!t.sc.selected[v])
			continue;
		json_t *a = dvs_list(&t, v), *b = host_list(&t, v);
		json_array_extend(dvs, a);
		json_array_extend(hosts, b);
		json_decref(a);
		json_decref(b);
	}
	d = json_pack("{s:o,s:o,s:o,s:s}", "dvs", dvs, "hosts", hosts,
	              "vlans", sorted_vlans(vlan_index(&t, q)), "q", q ? q : "");
	if (t.store_err) {
		json_decref(d);
		return router_store_down(r);
	}
	return page_render(r, "page-network-topology", d, "Network view");
}
