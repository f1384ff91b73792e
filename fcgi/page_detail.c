/* Detail pages: /vms/{vcenter}/{moref}, /hosts/..., /datastores/..., /clusters/...
 * The vCenter must be one of the session's and the object must exist there:
 * anything else is a 404, the same answer as for an object that never existed, so
 * a user cannot probe other vCenters. The page gets the stored record plus what
 * C works out for humans (sizes, bars, uptime) and the related objects of the
 * same vCenter (a host's VMkernel adapters, switches, portgroups, datastores, VMs). */
#include "scope.h"
#include "view.h"
#include "layout.h"
#include "resp.h"
#include "router.h"
#include "buf.h"
#include "series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETAIL_MAX_RELATED 500   /* VMs listed on a host or datastore page */
#define DETAIL_MAX_EVENTS 25     /* the timeline's newest change events */

struct detail {
	struct req *r;
	struct scope sc;
	int vc;                      /* scope index */
	const char *vcenter, *moref;
	const json_t *rec;
	json_t *d;                   /* page data being built */
	int store_err;
};

static void set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, json_string(v ? v : ""));
}

static void set_bytes(json_t *o, const char *k, double bytes)
{
	char s[48];

	tbl_fmt_bytes(bytes, s, sizeof(s));
	set_str(o, k, s);
}

static void set_mhz(json_t *o, const char *k, double mhz)
{
	char s[48];

	tbl_fmt_mhz(mhz, s, sizeof(s));
	set_str(o, k, s);
}

static void set_href(json_t *o, const char *k, const char *kind, const char *vc, const char *moref)
{
	char href[512];

	if (!moref || !*moref)
		return;
	inv_detail_href(href, sizeof(href), kind, vc, moref);
	set_str(o, k, href);
}

/* o[k] = path?name=value, the value URL-encoded. */
static void set_query_href(json_t *o, const char *k, const char *path, const char *name,
                           const char *value)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s?%s=", path, name);
	buf_add_url(&b, value);
	json_object_set_new(o, k, json_string(buf_str(&b)));
	buf_free(&b);
}

static const json_t *records(struct detail *dt, const char *type)
{
	struct view_entry *e = scope_entry(&dt->sc, (size_t)dt->vc, type);

	if (!e) {
		dt->store_err = 1;
		return NULL;
	}
	return e->records;
}

/* Every scalar field of the record, for the "All fields" table. */
static json_t *all_fields(const json_t *rec)
{
	json_t *a = json_array(), *v;
	const char *k;
	char tmp[64];

	json_object_foreach((json_t *)rec, k, v) {
		const char *s = NULL;
		if (json_is_string(v))
			s = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v)), s = tmp;
		else if (json_is_real(v))
			snprintf(tmp, sizeof(tmp), "%g", json_real_value(v)), s = tmp;
		else if (json_is_boolean(v))
			s = json_is_true(v) ? "true" : "false";
		else if (json_is_array(v) && json_array_size(v) && json_is_string(json_array_get(v, 0))) {
			struct buf b = BUF_INIT;
			json_t *x;
			size_t i;
			json_array_foreach(v, i, x)
				buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(x) ? json_string_value(x) : "");
			json_array_append_new(a, json_pack("{s:s,s:s}", "key", k, "value", buf_str(&b)));
			buf_free(&b);
			continue;
		}
		if (s)
			json_array_append_new(a, json_pack("{s:s,s:s}", "key", k, "value", s));
	}
	return a;
}

/* Triggered alarms on one entity. */
static json_t *alarms_of(struct detail *dt, const char *moref)
{
	const json_t *all = records(dt, "alarm"), *a;
	json_t *out = json_array();
	size_t i;

	json_array_foreach(all, i, a) {
		const char *st = tbl_str(a, "status");
		if (strcmp(tbl_str(a, "entity"), moref))
			continue;
		json_array_append_new(out, json_pack("{s:s,s:s,s:b,s:b,s:b}", "name", tbl_str(a, "name"),
		                      "time", tbl_str(a, "time"), "critical", !strcmp(st, "red"),
		                      "warning", !strcmp(st, "yellow"),
		                      "acknowledged", json_is_true(json_object_get(a, "acknowledged"))));
	}
	return out;
}

static int event_newer(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "time"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "time"));

	return strcmp(y ? y : "", x ? x : "");   /* ISO 8601 UTC: strings sort as times */
}

/* The timeline: the object's change events from the collector's log, newest first. */
static json_t *events_of(struct detail *dt, const char *moref)
{
	const json_t *all = records(dt, "events"), *e;
	json_t *out = json_array(), **hits = calloc(json_array_size(all) + 1, sizeof(*hits));
	size_t i, n = 0;

	if (!hits)
		abort();
	json_array_foreach(all, i, e)
		if (!strcmp(tbl_str(e, "moref"), moref))
			hits[n++] = (json_t *)e;
	qsort(hits, n, sizeof(*hits), event_newer);
	for (i = 0; i < n && i < DETAIL_MAX_EVENTS; i++) {
		json_t *row = json_pack("{s:s,s:s}", "time", tbl_str(hits[i], "time"), "kind", tbl_str(hits[i], "kind"));
		const json_t *from = json_object_get(hits[i], "from"), *to = json_object_get(hits[i], "to");
		/* from/to are strings, numbers (datastore use in %) or null */
		if (json_is_string(from) || json_is_integer(from))
			json_object_set(row, "from", (json_t *)from);
		if (json_is_string(to) || json_is_integer(to))
			json_object_set(row, "to", (json_t *)to);
		json_array_append_new(out, row);
	}
	free(hits);
	return out;
}

/* Records of type whose field equals value (at most max), each decorated by fn. */
static json_t *related(struct detail *dt, const char *type, const char *field, const char *value,
                       size_t max, json_t *(*fn)(struct detail *, const json_t *), size_t *total)
{
	const json_t *all = records(dt, type), *x;
	json_t *out = json_array();
	size_t i, n = 0;

	json_array_foreach(all, i, x) {
		const json_t *f = json_object_get(x, field);
		bool hit = json_is_string(f) ? !strcmp(json_string_value(f), value) : false;
		if (json_is_array(f)) {
			const json_t *y;
			size_t k;
			json_array_foreach(f, k, y)
				hit = hit || (json_is_string(y) && !strcmp(json_string_value(y), value));
		}
		if (!hit)
			continue;
		if (n++ < max)
			json_array_append_new(out, fn(dt, x));
	}
	if (total)
		*total = n;
	return out;
}

/* The moref of the record of type named name in this vCenter, or NULL. */
static const char *moref_by_name(struct detail *dt, const char *type, const char *name)
{
	const json_t *all = records(dt, type), *x;
	size_t i;

	json_array_foreach(all, i, x)
		if (!strcmp(tbl_str(x, "name"), name))
			return tbl_str(x, "moref");
	return NULL;
}

static json_t *power_json(const char *state)
{
	return json_pack("{s:b,s:b,s:b}", "on", !strcmp(state, "poweredOn"),
	                 "off", !strcmp(state, "poweredOff"), "suspended", !strcmp(state, "suspended"));
}

static json_t *vm_row(struct detail *dt, const json_t *vm)
{
	json_t *o = json_pack("{s:s,s:s,s:o,s:I}", "name", tbl_str(vm, "name"), "ip", tbl_str(vm, "ip"),
	                      "power", power_json(tbl_str(vm, "power_state")),
	                      "cpus", (json_int_t)tbl_num(vm, "cpus"));
	set_bytes(o, "memory", tbl_num(vm, "memory_mb") * 1048576.0);
	set_href(o, "href", "vm", dt->vcenter, tbl_str(vm, "moref"));
	return o;
}

static json_t *named_links(struct detail *dt, const json_t *names, const char *kind, const char *type)
{
	json_t *out = json_array(), *n;
	size_t i;

	json_array_foreach(names, i, n) {
		const char *name = json_string_value(n);
		json_t *o;
		if (!name)
			continue;
		o = json_pack("{s:s}", "name", name);
		set_href(o, "href", kind, dt->vcenter, moref_by_name(dt, type, name));
		json_array_append_new(out, o);
	}
	return out;
}

/* ---- VM ---- */

static json_t *disk_json(const json_t *d)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:b}", "label", tbl_str(d, "label"),
	                      "file", tbl_str(d, "file"), "datastore", tbl_str(d, "datastore"),
	                      "mode", tbl_str(d, "mode"), "thin", json_is_true(json_object_get(d, "thin")));
	set_bytes(o, "capacity", tbl_num(d, "capacity_bytes"));
	return o;
}

static json_t *partition_json(const json_t *p)
{
	double cap = tbl_num(p, "capacity_bytes"), free_b = tbl_num(p, "free_bytes");
	json_t *o = json_pack("{s:s,s:i}", "path", tbl_str(p, "path"), "pct", tbl_pct(cap - free_b, cap));

	set_bytes(o, "capacity", cap);
	set_bytes(o, "free", free_b);
	return o;
}

/* One node of the snapshot tree; target ("vcenter:moref") is what /ops/vm takes. */
static json_t *snapshot_json(const json_t *s, const char *vcenter, long long now)
{
	long long t = tbl_time(tbl_str(s, "created"));
	long long depth = (long long)tbl_num(s, "depth");
	char age[48] = "", target[160];

	if (t)
		tbl_fmt_duration(now - t, age, sizeof(age));
	snprintf(target, sizeof(target), "%s:%s", vcenter, tbl_str(s, "moref"));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:b}", "target", target, "name", tbl_str(s, "name"),
	                 "description", tbl_str(s, "description"), "created", tbl_str(s, "created"),
	                 "age", age, "depth", (json_int_t)(depth > 9 ? 9 : depth),
	                 "current", json_is_true(json_object_get(s, "current")),
	                 "quiesced", json_is_true(json_object_get(s, "quiesced")));
}

static json_t *map_array(const json_t *arr, json_t *(*fn)(const json_t *))
{
	json_t *out = json_array(), *x;
	size_t i;

	json_array_foreach(arr, i, x)
		json_array_append_new(out, fn(x));
	return out;
}

static void vm_page(struct detail *dt)
{
	const json_t *vm = dt->rec, *s;
	json_t *d = dt->d, *snaps = json_array();
	size_t i;

	json_object_set_new(d, "power", power_json(tbl_str(vm, "power_state")));
	set_bytes(d, "memory", tbl_num(vm, "memory_mb") * 1048576.0);
	set_bytes(d, "provisioned", tbl_num(vm, "provisioned_bytes"));
	set_bytes(d, "committed", tbl_num(vm, "committed_bytes"));
	set_bytes(d, "uncommitted", tbl_num(vm, "uncommitted_bytes"));
	set_bytes(d, "mem_usage", tbl_num(vm, "mem_usage_mb") * 1048576.0);
	set_mhz(d, "cpu_usage", tbl_num(vm, "cpu_usage_mhz"));
	set_href(d, "host_href", "host", dt->vcenter, tbl_str(vm, "host"));
	set_href(d, "cluster_href", "cluster", dt->vcenter, tbl_str(vm, "cluster"));
	json_object_set_new(d, "disks", map_array(json_object_get(vm, "disks"), disk_json));
	json_object_set_new(d, "partitions", map_array(json_object_get(vm, "partitions"), partition_json));
	json_array_foreach(json_object_get(vm, "snapshots"), i, s)
		json_array_append_new(snaps, snapshot_json(s, dt->vcenter, dt->r->now));
	json_object_set_new(d, "snapshots", snaps);
	json_object_set_new(d, "datastore_links", named_links(dt, json_object_get(vm, "datastores"),
	                                                      "datastore", "datastore"));
	if (*tbl_str(vm, "boot_time") && !strcmp(tbl_str(vm, "power_state"), "poweredOn")) {
		char up[48];
		tbl_fmt_duration(dt->r->now - tbl_time(tbl_str(vm, "boot_time")), up, sizeof(up));
		set_str(d, "uptime", up);
	}
}

/* ---- host ---- */

static json_t *vmk_row(struct detail *dt, const json_t *v)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:O}", "name", tbl_str(v, "name"),
	                      "ip", tbl_str(v, "ip"), "netmask", tbl_str(v, "netmask"),
	                      "mac", tbl_str(v, "mac"),
	                      "portgroup", *tbl_str(v, "portgroup") ? tbl_str(v, "portgroup") : tbl_str(v, "dv_portgroup"),
	                      "mtu", (json_int_t)tbl_num(v, "mtu"),
	                      "dhcp", json_is_true(json_object_get(v, "dhcp")),
	                      "services", json_object_get(v, "services") ? json_object_get(v, "services") : json_null());
	(void)dt;
	return o;
}

static json_t *vswitch_row(struct detail *dt, const json_t *v)
{
	(void)dt;
	return json_pack("{s:s,s:I,s:I,s:O}", "name", tbl_str(v, "name"), "ports", (json_int_t)tbl_num(v, "ports"),
	                 "mtu", (json_int_t)tbl_num(v, "mtu"),
	                 "pnics", json_object_get(v, "pnics") ? json_object_get(v, "pnics") : json_null());
}

static json_t *pg_row(struct detail *dt, const json_t *p)
{
	const char *type = tbl_str(p, "vlan_type");
	char vlan[64];

	(void)dt;
	if (!strcmp(type, "trunk"))
		snprintf(vlan, sizeof(vlan), "trunk");
	else if (!strcmp(type, "vlan"))
		snprintf(vlan, sizeof(vlan), "%.0f", tbl_num(p, "vlan"));
	else
		snprintf(vlan, sizeof(vlan), "none");
	return json_pack("{s:s,s:s,s:s}", "name", tbl_str(p, "name"), "switch", tbl_str(p, "switch"), "vlan", vlan);
}

static json_t *pnic_row(struct detail *dt, const json_t *p)
{
	(void)dt;
	return json_pack("{s:s,s:s,s:s,s:I}", "name", tbl_str(p, "name"), "mac", tbl_str(p, "mac"),
	                 "driver", tbl_str(p, "driver"), "speed_mb", (json_int_t)tbl_num(p, "speed_mb"));
}

static void usage_bars(json_t *d, double cpu_used, double cpu_total, double mem_used_b, double mem_total_b)
{
	json_object_set_new(d, "cpu_pct", json_integer(tbl_pct(cpu_used, cpu_total)));
	json_object_set_new(d, "mem_pct", json_integer(tbl_pct(mem_used_b, mem_total_b)));
	set_mhz(d, "cpu_used", cpu_used);
	set_mhz(d, "cpu_total", cpu_total);
	set_bytes(d, "mem_used", mem_used_b);
	set_bytes(d, "mem_total", mem_total_b);
}

static void host_page(struct detail *dt)
{
	const json_t *h = dt->rec;
	json_t *d = dt->d;
	long long boot = tbl_time(tbl_str(h, "boot_time"));
	size_t nvms = 0;

	usage_bars(d, tbl_num(h, "cpu_usage_mhz"), tbl_num(h, "cpu_total_mhz"),
	           tbl_num(h, "mem_usage_mb") * 1048576.0, tbl_num(h, "memory_bytes"));
	if (boot) {
		char up[48];
		tbl_fmt_duration(dt->r->now - boot, up, sizeof(up));
		set_str(d, "uptime", up);
	}
	set_mhz(d, "cpu_mhz_text", tbl_num(h, "cpu_mhz"));
	set_href(d, "cluster_href", "cluster", dt->vcenter, tbl_str(h, "cluster"));
	json_object_set_new(d, "connected", json_boolean(!strcmp(tbl_str(h, "connection_state"), "connected")));
	/* ssh_running is null when the collector found no TSM-SSH service */
	json_object_set_new(d, "ssh", json_pack("{s:b,s:b,s:b}",
	                    "known", json_is_boolean(json_object_get(h, "ssh_running")),
	                    "running", json_is_true(json_object_get(h, "ssh_running")),
	                    "stopped", json_is_false(json_object_get(h, "ssh_running"))));
	json_object_set_new(d, "vmks", related(dt, "vmk", "host", dt->moref, 64, vmk_row, NULL));
	json_object_set_new(d, "vswitches", related(dt, "vswitch", "host", dt->moref, 64, vswitch_row, NULL));
	json_object_set_new(d, "portgroups", related(dt, "portgroup", "host", dt->moref, 256, pg_row, NULL));
	json_object_set_new(d, "pnics", related(dt, "pnic", "host", dt->moref, 64, pnic_row, NULL));
	json_object_set_new(d, "datastore_links", named_links(dt, json_object_get(h, "datastores"),
	                                                      "datastore", "datastore"));
	json_object_set_new(d, "vms", related(dt, "vm", "host", dt->moref, DETAIL_MAX_RELATED, vm_row, &nvms));
	json_object_set_new(d, "vm_total", json_integer((json_int_t)nvms));
}

/* ---- datastore ---- */

static void datastore_page(struct detail *dt)
{
	const json_t *ds = dt->rec;
	json_t *d = dt->d;
	size_t nvms = 0;

	json_object_set_new(d, "used_pct", json_integer((json_int_t)tbl_num(ds, "used_pct")));
	set_bytes(d, "capacity", tbl_num(ds, "capacity_bytes"));
	set_bytes(d, "free", tbl_num(ds, "free_bytes"));
	set_bytes(d, "used", tbl_num(ds, "used_bytes"));
	set_bytes(d, "uncommitted", tbl_num(ds, "uncommitted_bytes"));
	json_object_set_new(d, "host_links", named_links(dt, json_object_get(ds, "hosts"), "host", "host"));
	json_object_set_new(d, "vms", related(dt, "vm", "datastores", tbl_str(ds, "name"),
	                                      DETAIL_MAX_RELATED, vm_row, &nvms));
	json_object_set_new(d, "vm_total", json_integer((json_int_t)nvms));
}

/* ---- cluster ---- */

static json_t *host_row(struct detail *dt, const json_t *h)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:I}", "name", tbl_str(h, "name"), "version", tbl_str(h, "version"),
	                      "state", tbl_str(h, "connection_state"), "vms", (json_int_t)tbl_num(h, "vm_count"));

	json_object_set_new(o, "cpu_pct", json_integer(tbl_pct(tbl_num(h, "cpu_usage_mhz"), tbl_num(h, "cpu_total_mhz"))));
	json_object_set_new(o, "mem_pct", json_integer(tbl_pct(tbl_num(h, "mem_usage_mb") * 1048576.0,
	                                                       tbl_num(h, "memory_bytes"))));
	set_href(o, "href", "host", dt->vcenter, tbl_str(h, "moref"));
	return o;
}

static void cluster_page(struct detail *dt)
{
	const json_t *c = dt->rec;
	json_t *d = dt->d;
	struct buf b = BUF_INIT;

	usage_bars(d, tbl_num(c, "cpu_usage_mhz"), tbl_num(c, "total_cpu_mhz"),
	           tbl_num(c, "mem_usage_mb") * 1048576.0, tbl_num(c, "total_memory_bytes"));
	json_object_set_new(d, "hosts_list", related(dt, "host", "cluster", dt->moref, 256, host_row, NULL));
	buf_adds(&b, "/vms?cluster=");
	buf_add_url(&b, tbl_str(c, "name"));
	buf_adds(&b, "&vcenter=");
	buf_add_url(&b, dt->vcenter);
	set_str(d, "vms_href", buf_str(&b));
	buf_free(&b);
}

/* ---- the performance panel (VMs, hosts, datastores) ---- */

static const char *const perf_ranges[] = { "1h", "24h", "7d", "90d", NULL };
static const char *const perf_range_labels[] = { "1 h", "24 h", "7 d", "90 d" };

const struct param_spec inv_perf_params[] = {
	{ .name = "range", .kind = PARAM_ENUM, .choices = perf_ranges },
	{ .name = NULL },
};

/* Range tabs are plain links (they work without JavaScript); each chart container
 * names the API URL that pages.js draws it from. */
static void perf_panel(struct detail *dt, const char *kind)
{
	static const char *const parts[][2] = { { "cpu", "CPU" }, { "mem", "Memory" },
		{ "disk", "Disk" }, { "net", "Network" } };
	const char *range = req_str(dt->r, "range") ? req_str(dt->r, "range") : "1h";
	json_t *tabs = json_array(), *charts = json_array();
	char href[512], src[600], tab[600];
	int ds = !strcmp(kind, "datastore");

	inv_detail_href(href, sizeof(href), kind, dt->vcenter, dt->moref);
	snprintf(src, sizeof(src), "/api/v1/perf/%s%s?range=%s", kind, strchr(href + 1, '/'), range);
	for (int i = 0; perf_ranges[i]; i++) {
		snprintf(tab, sizeof(tab), "%s?range=%s#perf", href, perf_ranges[i]);
		json_array_append_new(tabs, json_pack("{s:s,s:s,s:b}", "label", perf_range_labels[i],
		                      "href", tab, "current", !strcmp(range, perf_ranges[i])));
	}
	for (size_t i = 0; i < (ds ? 1 : 4); i++)
		json_array_append_new(charts, json_pack("{s:s,s:s,s:s}", "part", ds ? "space" : parts[i][0],
		                      "title", ds ? "Space used" : parts[i][1], "src", src));
	json_object_set_new(dt->d, "perf", json_pack("{s:o,s:o,s:s}", "ranges", tabs,
	                    "charts", charts, "src", src));
}

/* ---- dispatch ---- */

struct detail_kind {
	const char *prefix;          /* "/vms/" */
	const char *kind, *type, *tpl, *list_title, *list_path;
	void (*fill)(struct detail *);
};

static const struct detail_kind detail_kinds[] = {
	{ "/vms/", "vm", "vm", "page-vm", "Virtual machines", "/vms", vm_page },
	{ "/hosts/", "host", "host", "page-host", "Hosts", "/hosts", host_page },
	{ "/datastores/", "datastore", "datastore", "page-datastore", "Datastores", "/datastores", datastore_page },
	{ "/clusters/", "cluster", "cluster", "page-cluster", "Clusters", "/clusters", cluster_page },
};

static int not_found(struct req *r)
{
	return resp_error(r, 404, "Not found",
	                  "This object is not in the vCenters of your session. It may have been removed "
	                  "since the last refresh; search for it by name.");
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes the second percent layer of a moref (inv_detail_href) in place; NUL
 * bytes and bad escapes are kept as typed, so they simply match nothing. */
static void moref_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		int hi, lo;
		if (*s == '%' && (hi = hexval(s[1])) >= 0 && (lo = hexval(s[2])) >= 0 && (hi || lo)) {
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int inv_object_path(struct req *r, const char *rest, const char **vc, const char **moref)
{
	const char *slash = strchr(rest, '/');
	char *m;

	/* A moref may hold slashes (the simulator's datastores do). */
	if (!slash || slash == rest || !slash[1])
		return -1;
	*vc = arena_strndup(&r->arena, rest, (size_t)(slash - rest));
	*moref = m = arena_strdup(&r->arena, slash + 1);
	moref_decode(m);
	return 0;
}

/* The kind of "/vms/{vc}/{moref}" and its parts. */
static const struct detail_kind *parse(struct req *r, const char **vc, const char **moref)
{
	for (size_t i = 0; i < sizeof(detail_kinds) / sizeof(detail_kinds[0]); i++) {
		const struct detail_kind *k = &detail_kinds[i];
		size_t pl = strlen(k->prefix);
		if (strncmp(r->path, k->prefix, pl))
			continue;
		return inv_object_path(r, r->path + pl, vc, moref) ? NULL : k;
	}
	return NULL;
}

int page_detail(struct req *r)
{
	const struct detail_kind *k;
	struct detail dt;
	char title[300];

	memset(&dt, 0, sizeof(dt));
	dt.r = r;
	if (!(k = parse(r, &dt.vcenter, &dt.moref)))
		return not_found(r);
	if (scope_load(r, &dt.sc) < 0)
		return router_store_down(r);
	dt.vc = scope_find(&dt.sc, dt.vcenter);
	if (dt.vc < 0)
		return not_found(r);
	dt.rec = scope_lookup(&dt.sc, dt.vcenter, k->type, dt.moref, &dt.store_err);
	if (dt.store_err)
		return router_store_down(r);
	if (!dt.rec)
		return not_found(r);
	dt.d = json_pack("{s:O,s:o,s:s,s:s,s:s,s:s}", "rec", dt.rec, "fields", all_fields(dt.rec),
	                 "vcenter", dt.vcenter, "vcenter_name", dt.sc.names[dt.vc],
	                 "list_title", k->list_title, "list_path", k->list_path);
	json_object_set_new(dt.d, "alarms", alarms_of(&dt, dt.moref));
	json_object_set_new(dt.d, "timeline", events_of(&dt, dt.moref));
	set_query_href(dt.d, "events_href", "/events", "q", tbl_str(dt.rec, "name"));
	k->fill(&dt);
	if (series_kind_find(k->kind))
		perf_panel(&dt, k->kind);
	if (dt.store_err) {
		json_decref(dt.d);
		return router_store_down(r);
	}
	snprintf(title, sizeof(title), "%s", tbl_str(dt.rec, "name"));
	return page_render(r, k->tpl, dt.d, title);
}
