/* The inventory list pages: VMs, hosts, datastores, networks (portgroups,
 * distributed switches, standard switches) and clusters. Each is a table
 * definition for the engine in table.c plus one generic handler that reads the
 * declared parameters (q, sort, order, page, per_page, vcenter, cluster, power,
 * type, view), runs the query over the session's vCenters and renders only the
 * page's rows. The filter form and the sortable headers update #tbl over HTMX and
 * push the URL, so the address always carries the state (docs/pages.md). */
#include "scope.h"
#include "view.h"
#include "layout.h"
#include "resp.h"
#include "router.h"
#include "server.h"
#include "buf.h"
#include "arena.h"
#include "tpl.h"
#include "tpl_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cell_fmt {
	F_TEXT, F_NAME, F_POWER, F_STATE, F_INT, F_MB, F_BYTES, F_MHZ, F_PCT, F_BOOL,
	F_SHARED, F_HOST, F_CLUSTER, F_VLAN, F_LIST, F_UPTIME, F_KIND, F_VC,
};

/* ---- computed columns ---- */

static double host_cpu_pct(const json_t *h)
{
	return tbl_pct(tbl_num(h, "cpu_usage_mhz"), tbl_num(h, "cpu_total_mhz"));
}

static double host_mem_pct(const json_t *h)
{
	return tbl_pct(tbl_num(h, "mem_usage_mb") * 1048576.0, tbl_num(h, "memory_bytes"));
}

static double cluster_cpu_pct(const json_t *c)
{
	return tbl_pct(tbl_num(c, "cpu_usage_mhz"), tbl_num(c, "total_cpu_mhz"));
}

static double cluster_mem_pct(const json_t *c)
{
	return tbl_pct(tbl_num(c, "mem_usage_mb") * 1048576.0, tbl_num(c, "total_memory_bytes"));
}

/* Sorting by uptime is sorting by boot time, latest boot first. */
static double boot_rank(const json_t *h)
{
	long long t = tbl_time(tbl_str(h, "boot_time"));

	return t ? -(double)t : -1e18;
}

static double vlan_rank(const json_t *pg)
{
	const char *type = tbl_str(pg, "vlan_type");

	if (!strcmp(type, "trunk"))
		return 5000;
	return tbl_num(pg, "vlan");
}

static const char *first_of_list(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_array_get(json_object_get(rec, key), 0));

	return s ? s : "";
}

static const char *pnics_first(const json_t *rec)
{
	return first_of_list(rec, "pnics");
}

/* ---- the tables ---- */

#define COLS(a) a, sizeof(a) / sizeof((a)[0])

static const struct tbl_col vm_cols[] = {
	{ "name", "Name", TBL_TEXT, true, F_NAME, NULL, NULL, NULL },
	{ "power", "Power", TBL_TEXT, true, F_POWER, NULL, NULL, "power_state" },
	{ "vcenter", "vCenter", TBL_TEXT, true, F_VC, NULL, NULL, "vcenter_name" },
	{ "cluster", "Cluster", TBL_TEXT, true, F_CLUSTER, NULL, NULL, "cluster_name" },
	{ "host", "Host", TBL_TEXT, true, F_HOST, NULL, NULL, "host_name" },
	{ "cpus", "vCPU", TBL_NUM, true, F_INT, NULL, NULL, NULL },
	{ "memory", "Memory", TBL_NUM, true, F_MB, NULL, NULL, "memory_mb" },
	{ "storage", "Provisioned", TBL_NUM, true, F_BYTES, NULL, NULL, "provisioned_bytes" },
	{ "ip", "IP address", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "guest", "Guest OS", TBL_TEXT, true, F_TEXT, NULL, NULL, "guest_os" },
	{ "snapshots", "Snapshots", TBL_NUM, true, F_INT, NULL, NULL, "snapshot_count" },
	{ "tools", "Tools", TBL_TEXT, true, F_TEXT, NULL, NULL, "tools_status" },
};
static const struct tbl_filter vm_filters[] = { { "cluster", "cluster_name" }, { "power", "power_state" } };
static const char *const vm_q[] = { "name", "ip", "ips", "dns_name", "guest_os", "host_name" };
static const struct tbl_def vm_def = { "vm", COLS(vm_cols), COLS(vm_filters), COLS(vm_q), 0, NULL };

static const struct tbl_col host_cols[] = {
	{ "name", "Name", TBL_TEXT, true, F_NAME, NULL, NULL, NULL },
	{ "state", "State", TBL_TEXT, true, F_STATE, NULL, NULL, "connection_state" },
	{ "vcenter", "vCenter", TBL_TEXT, true, F_VC, NULL, NULL, "vcenter_name" },
	{ "cluster", "Cluster", TBL_TEXT, true, F_CLUSTER, NULL, NULL, "cluster_name" },
	{ "version", "Version", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "build", "Build", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "model", "Model", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "cpu", "CPU use", TBL_NUM, true, F_PCT, host_cpu_pct, NULL, NULL },
	{ "mem", "Memory use", TBL_NUM, true, F_PCT, host_mem_pct, NULL, NULL },
	{ "cores", "Cores", TBL_NUM, true, F_INT, NULL, NULL, "cpu_cores" },
	{ "memory", "Memory", TBL_NUM, true, F_BYTES, NULL, NULL, "memory_bytes" },
	{ "vms", "VMs", TBL_NUM, true, F_INT, NULL, NULL, "vm_count" },
	{ "uptime", "Uptime", TBL_NUM, true, F_UPTIME, boot_rank, NULL, NULL },
};
static const struct tbl_filter host_filters[] = { { "cluster", "cluster_name" }, { "power", "power_state" } };
static const char *const host_q[] = { "name", "model", "version", "build", "cpu_model", "vendor" };
static const struct tbl_def host_def = { "host", COLS(host_cols), COLS(host_filters), COLS(host_q), 0, NULL };

static const struct tbl_col ds_cols[] = {
	{ "name", "Name", TBL_TEXT, true, F_NAME, NULL, NULL, NULL },
	{ "vcenter", "vCenter", TBL_TEXT, true, F_VC, NULL, NULL, "vcenter_name" },
	{ "type", "Type", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "used", "Used", TBL_NUM, true, F_PCT, NULL, NULL, "used_pct" },
	{ "capacity", "Capacity", TBL_NUM, true, F_BYTES, NULL, NULL, "capacity_bytes" },
	{ "free", "Free", TBL_NUM, true, F_BYTES, NULL, NULL, "free_bytes" },
	{ "shared", "Access", TBL_NUM, true, F_SHARED, NULL, NULL, NULL },
	{ "hosts", "Hosts", TBL_NUM, true, F_INT, NULL, NULL, "host_count" },
	{ "vms", "VMs", TBL_NUM, true, F_INT, NULL, NULL, "vm_count" },
	{ "cluster", "Datastore cluster", TBL_TEXT, true, F_TEXT, NULL, NULL, "pod_name" },
};
static const struct tbl_filter ds_filters[] = { { "type", "type" } };
static const char *const ds_q[] = { "name", "type", "url", "pod_name", "datacenter" };
static const struct tbl_def ds_def = { "datastore", COLS(ds_cols), COLS(ds_filters), COLS(ds_q), 0, NULL };

static const struct tbl_col cl_cols[] = {
	{ "name", "Name", TBL_TEXT, true, F_NAME, NULL, NULL, NULL },
	{ "vcenter", "vCenter", TBL_TEXT, true, F_VC, NULL, NULL, "vcenter_name" },
	{ "datacenter", "Datacenter", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "hosts", "Hosts", TBL_NUM, true, F_INT, NULL, NULL, "host_count" },
	{ "vms", "VMs", TBL_NUM, true, F_INT, NULL, NULL, "vm_count" },
	{ "vms_on", "On", TBL_NUM, true, F_INT, NULL, NULL, NULL },
	{ "cpu", "CPU use", TBL_NUM, true, F_PCT, cluster_cpu_pct, NULL, NULL },
	{ "mem", "Memory use", TBL_NUM, true, F_PCT, cluster_mem_pct, NULL, NULL },
	{ "cpu_total", "CPU", TBL_NUM, true, F_MHZ, NULL, NULL, "total_cpu_mhz" },
	{ "memory", "Memory", TBL_NUM, true, F_BYTES, NULL, NULL, "total_memory_bytes" },
	{ "ha", "HA", TBL_NUM, true, F_BOOL, NULL, NULL, "ha_enabled" },
	{ "drs", "DRS", TBL_NUM, true, F_BOOL, NULL, NULL, "drs_enabled" },
};
static const char *const cl_q[] = { "name", "datacenter" };
static const struct tbl_def cl_def = { "cluster", COLS(cl_cols), NULL, 0, COLS(cl_q), 0, NULL };

static const struct tbl_col pg_cols[] = {
	{ "name", "Portgroup", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "kind", "Kind", TBL_TEXT, true, F_KIND, NULL, NULL, NULL },
	{ "switch", "Switch", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "vlan", "VLAN", TBL_NUM, true, F_VLAN, vlan_rank, NULL, NULL },
	{ "host", "Host", TBL_TEXT, true, F_HOST, NULL, NULL, "host_name" },
	{ "vcenter", "vCenter", TBL_TEXT, true, F_VC, NULL, NULL, "vcenter_name" },
	{ "ports", "Ports", TBL_NUM, true, F_INT, NULL, NULL, NULL },
};
static const struct tbl_filter pg_filters[] = { { "type", "kind" } };
static const char *const pg_q[] = { "name", "switch", "host_name", "trunk" };
static const struct tbl_def pg_def = { "portgroup", COLS(pg_cols), COLS(pg_filters), COLS(pg_q), 0, NULL };

static const struct tbl_col dvs_cols[] = {
	{ "name", "Distributed switch", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "vcenter", "vCenter", TBL_TEXT, true, F_VC, NULL, NULL, "vcenter_name" },
	{ "datacenter", "Datacenter", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "version", "Version", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "portgroups", "Portgroups", TBL_NUM, true, F_INT, NULL, NULL, "portgroup_count" },
	{ "hosts", "Hosts", TBL_NUM, true, F_INT, NULL, NULL, "host_count" },
	{ "ports", "Ports", TBL_NUM, true, F_INT, NULL, NULL, NULL },
	{ "mtu", "MTU", TBL_NUM, true, F_INT, NULL, NULL, NULL },
};
static const char *const dvs_q[] = { "name", "datacenter", "version" };
static const struct tbl_def dvs_def = { "dvs", COLS(dvs_cols), NULL, 0, COLS(dvs_q), 0, NULL };

static const struct tbl_col vsw_cols[] = {
	{ "name", "Standard switch", TBL_TEXT, true, F_TEXT, NULL, NULL, NULL },
	{ "host", "Host", TBL_TEXT, true, F_HOST, NULL, NULL, "host_name" },
	{ "vcenter", "vCenter", TBL_TEXT, true, F_VC, NULL, NULL, "vcenter_name" },
	{ "uplinks", "Uplinks", TBL_TEXT, true, F_LIST, NULL, pnics_first, "pnics" },
	{ "ports", "Ports", TBL_NUM, true, F_INT, NULL, NULL, NULL },
	{ "mtu", "MTU", TBL_NUM, true, F_INT, NULL, NULL, NULL },
};
static const char *const vsw_q[] = { "name", "host_name", "pnics" };
static const struct tbl_def vsw_def = { "vswitch", COLS(vsw_cols), NULL, 0, COLS(vsw_q), 0, NULL };

/* A list page: its table, where it lives and what its rows link to. */
struct inv_page {
	const char *name;         /* inv_list() name, also the API path */
	const char *path;         /* page URL */
	const char *tpl;
	const char *title;
	const char *detail;       /* kind for detail links of F_NAME cells, NULL: none */
	const struct tbl_def *def;
	enum scope_slot slot;
	bool selectable;          /* rows carry a checkbox "vcenter:moref" for operations */
};

static const struct inv_page pages[] = {
	{ "vms", "/vms", "page-vms", "Virtual machines", "vm", &vm_def, SLOT_TABLE, true },
	{ "hosts", "/hosts", "page-hosts", "Hosts", "host", &host_def, SLOT_TABLE, false },
	{ "datastores", "/datastores", "page-datastores", "Datastores", "datastore", &ds_def, SLOT_TABLE, false },
	{ "clusters", "/clusters", "page-clusters", "Clusters", "cluster", &cl_def, SLOT_TABLE, false },
	{ "portgroups", "/networks", "page-networks", "Networks", NULL, &pg_def, SLOT_TABLE, false },
	{ "dvs", "/networks", "page-networks", "Networks", NULL, &dvs_def, SLOT_TABLE, false },
	{ "vswitches", "/networks", "page-networks", "Networks", NULL, &vsw_def, SLOT_TABLE, false },
};

static const struct inv_page *page_of(const char *name)
{
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (!strcmp(pages[i].name, name))
			return &pages[i];
	return NULL;
}

/* ---- parameters ---- */

static const char *const orders[] = { "asc", "desc", "", NULL };
static const char *const per_pages[] = { "25", "50", "100", "250", NULL };
static const char *const powers[] = { "poweredOn", "poweredOff", "suspended", "standBy", "", NULL };
static const char *const views[] = { "portgroups", "dvs", "vswitches", NULL };

const struct param_spec inv_table_params[] = {
	{ .name = "q", .kind = PARAM_STRING, .max = 200 },
	{ .name = "sort", .kind = PARAM_STRING, .max = 32 },
	{ .name = "order", .kind = PARAM_ENUM, .choices = orders },
	{ .name = "page", .kind = PARAM_INT, .min = 1, .max = 1000000 },
	{ .name = "per_page", .kind = PARAM_ENUM, .choices = per_pages },
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = "cluster", .kind = PARAM_STRING, .max = 200 },
	{ .name = "power", .kind = PARAM_ENUM, .choices = powers },
	{ .name = "type", .kind = PARAM_STRING, .max = 32 },
	{ .name = "view", .kind = PARAM_ENUM, .choices = views },
	{ .name = NULL },
};

const char *inv_network_view(const struct req *r)
{
	const char *v = req_str(r, "view");

	return v ? v : "portgroups";
}

static void *table_build(const json_t *records, const void *def)
{
	return tbl_index_build(def, records);
}

static void table_free(void *ix)
{
	tbl_index_free(ix);
}

static void query_from(const struct req *r, const struct tbl_def *def, struct tbl_query *q)
{
	int col = tbl_col_find(def, req_str(r, "sort"));
	const char *order = req_str(r, "order");

	memset(q, 0, sizeof(*q));
	q->q = req_str(r, "q");
	q->col = col >= 0 ? (size_t)col : def->default_col;
	q->desc = order && !strcmp(order, "desc");
	q->page = (size_t)req_int(r, "page", 1);
	q->per_page = req_str(r, "per_page") ? (size_t)atoi(req_str(r, "per_page"))
	                                      : (size_t)r->app->settings.page_size;
	for (size_t f = 0; f < def->nfilters && f < TBL_MAX_FILTERS; f++) {
		const char *v = req_str(r, def->filters[f].param);
		q->filter[f] = v && *v ? v : NULL;
	}
}

int inv_list(struct req *r, const struct scope *sc, const char *name, struct inv_listing *out)
{
	const struct inv_page *pg = page_of(name);
	struct tbl_index *ix[SCOPE_MAX];
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!pg)
		return -1;
	out->name = pg->name;
	out->def = pg->def;
	query_from(r, pg->def, &out->q);
	for (size_t i = 0; i < sc->n; i++) {
		struct view_entry *e;
		if (!sc->selected[i])
			continue;
		if (!(e = scope_entry(sc, i, pg->def->type)))
			return -1;
		ix[n++] = scope_memo(e, pg->slot, table_build, table_free, pg->def);
	}
	return tbl_run(ix, n, &out->q, &out->res);
}

void inv_listing_free(struct inv_listing *l)
{
	tbl_result_free(&l->res);
}

/* ---- URLs ---- */

/* Appends the detail link to b; once is scratch for the first encoding layer. The
 * moref is percent-encoded twice: nginx decodes the path once and merges slashes
 * before we see it, and some morefs (the simulator's datastores) hold slashes;
 * page_detail.c decodes the second layer. */
static void detail_href_add(struct buf *b, struct buf *once, const char *kind,
                            const char *vcenter, const char *moref)
{
	buf_reset(once);
	buf_add_url(once, moref ? moref : "");
	buf_addc(b, '/');
	buf_adds(b, kind);
	buf_adds(b, "s/");
	buf_add_url(b, vcenter ? vcenter : "");
	buf_addc(b, '/');
	buf_add_url(b, buf_str(once));
}

void inv_detail_href(char *out, size_t n, const char *kind, const char *vcenter, const char *moref)
{
	struct buf b = BUF_INIT, once = BUF_INIT;

	detail_href_add(&b, &once, kind, vcenter, moref);
	snprintf(out, n, "%s", buf_str(&b));
	buf_free(&b);
	buf_free(&once);
}

void inv_url_param(struct buf *b, const char *key, const char *val)
{
	if (!val || !*val)
		return;
	buf_addc(b, strchr(buf_str(b), '?') ? '&' : '?');
	buf_adds(b, key);
	buf_addc(b, '=');
	buf_add_url(b, val);
}

/* The page's URL with the request's state, sort/order/page replaced. */
static char *state_url(const struct req *r, const struct inv_page *pg, const struct tbl_query *q,
                       const char *sort, bool desc, size_t page)
{
	struct buf b = BUF_INIT;
	const char *const *vcs;
	size_t nvc = req_multi(r, "vcenter", &vcs);
	char num[24];

	buf_adds(&b, pg->path);
	if (!strcmp(pg->path, "/networks"))
		inv_url_param(&b, "view", pg->name);
	inv_url_param(&b, "q", q->q);
	for (size_t i = 0; i < nvc; i++)
		inv_url_param(&b, "vcenter", vcs[i]);
	for (size_t f = 0; f < pg->def->nfilters; f++)
		inv_url_param(&b, pg->def->filters[f].param, q->filter[f]);
	inv_url_param(&b, "sort", sort);
	inv_url_param(&b, "order", desc ? "desc" : "asc");
	if (q->per_page != (size_t)r->app->settings.page_size) {
		snprintf(num, sizeof(num), "%zu", q->per_page);
		inv_url_param(&b, "per_page", num);
	}
	if (page > 1) {
		snprintf(num, sizeof(num), "%zu", page);
		inv_url_param(&b, "page", num);
	}
	return buf_steal(&b);
}

/* ---- cells ---- */

static const char *power_badge(const char *s, const char **label)
{
	if (!strcmp(s, "poweredOn"))
		return *label = "On", "is-on";
	if (!strcmp(s, "poweredOff"))
		return *label = "Off", "is-off";
	if (!strcmp(s, "suspended"))
		return *label = "Suspended", "is-suspended";
	if (!strcmp(s, "standBy"))
		return *label = "Standby", "is-suspended";
	return *label = s[0] ? s : "unknown", "is-unknown";
}

static const char *state_badge(const char *s, const char **label)
{
	if (!strcmp(s, "connected"))
		return *label = "Connected", "is-ok";
	if (!strcmp(s, "disconnected"))
		return *label = "Disconnected", "is-error";
	if (!strcmp(s, "notResponding"))
		return *label = "Not responding", "is-error";
	return *label = s[0] ? s : "unknown", "is-unknown";
}

/* ---- rows, rendered straight from the records ----
 *
 * The rows of a page are formatted into row_view / cell_view structs in the
 * request's arena and rendered by part-table-rows through row_ops, without a JSON
 * tree in between. Every value handed to the template engine begins with its kind,
 * so the ops know what a pointer is; strings point into the records (borrowed from
 * the view entry), into the arena, or are constants. */

enum rv_kind { RV_ROOT, RV_LIST, RV_ROW, RV_CELL, RV_TEXT, RV_TRUE };

struct rv_text {
	enum rv_kind kind;          /* RV_TEXT */
	const char *s;              /* NULL: the template sees nothing */
};

struct rv_list {
	enum rv_kind kind;          /* RV_LIST */
	const void *items;          /* n items of size bytes, each starting with its kind */
	size_t n, size;
};

/* One cell: text (plain, with an optional link), a badge (class + text) or a bar. */
struct cell_view {
	enum rv_kind kind;          /* RV_CELL */
	struct rv_text text, href, badge, pct;
	bool plain, num, bar;
};

struct row_view {
	enum rv_kind kind;          /* RV_ROW */
	struct rv_text select, select_label;   /* selectable tables: "vcenter:moref", name */
	struct rv_list cells;
};

struct rv_root {
	enum rv_kind kind;          /* RV_ROOT */
	struct rv_list rows;
};

/* What formatting a page of rows needs: scratch buffers reused for every link,
 * and the arena the cells go to (the request's, or the index's keep arena). */
struct rows_ctx {
	struct req *r;
	const struct inv_page *pg;
	struct buf href, once;
	struct arena *a;
};

static const enum rv_kind rv_true = RV_TRUE;

static const void *rv_text_of(const struct rv_text *t)
{
	return t->s ? t : NULL;
}

/* The lookups below switch on the first byte before comparing: a table page asks
 * for several thousand names, most of them missing at the cell and looked for
 * again in the row and the root (Mustache's context walk). */
static const void *rv_row_lookup(const struct row_view *row, const char *name)
{
	switch (name[0]) {
	case 's':
		if (!strcmp(name, "select"))
			return rv_text_of(&row->select);
		return strcmp(name, "select_label") ? NULL : rv_text_of(&row->select_label);
	case 'c':
		return strcmp(name, "cells") ? NULL : &row->cells;
	default:
		return NULL;
	}
}

static const void *rv_flag(bool on)
{
	return on ? &rv_true : NULL;
}

static const void *rv_cell_lookup(const struct cell_view *c, const char *name)
{
	switch (name[0]) {
	case 't':
		return strcmp(name, "text") ? NULL : rv_text_of(&c->text);
	case 'h':
		return strcmp(name, "href") ? NULL : rv_text_of(&c->href);
	case 'b':
		if (!strcmp(name, "bar"))
			return rv_flag(c->bar);
		return strcmp(name, "badge") ? NULL : rv_text_of(&c->badge);
	case 'p':
		if (!strcmp(name, "plain"))
			return rv_flag(c->plain);
		return strcmp(name, "pct") ? NULL : rv_text_of(&c->pct);
	case 'n':
		return strcmp(name, "num") ? NULL : rv_flag(c->num);
	default:
		return NULL;
	}
}

static const void *rv_lookup(void *closure, const void *v, const char *name)
{
	(void)closure;
	switch (*(const enum rv_kind *)v) {
	case RV_ROOT:
		return strcmp(name, "rows") ? NULL : &((const struct rv_root *)v)->rows;
	case RV_ROW:
		return rv_row_lookup(v, name);
	case RV_CELL:
		return rv_cell_lookup(v, name);
	default:
		return NULL;
	}
}

static int rv_truthy(void *closure, const void *v)
{
	(void)closure;
	if (*(const enum rv_kind *)v == RV_TEXT)
		return ((const struct rv_text *)v)->s[0] != '\0';
	return 1;
}

static int rv_iterate(void *closure, const void *v, size_t index, const void **item)
{
	const struct rv_list *l = v;

	(void)closure;
	if (l->kind != RV_LIST)
		return -1;
	if (index >= l->n)
		return 0;
	*item = (const char *)l->items + index * l->size;
	return 1;
}

static void rv_stringify(void *closure, const void *v, struct buf *out)
{
	(void)closure;
	if (*(const enum rv_kind *)v == RV_TEXT)
		buf_adds(out, ((const struct rv_text *)v)->s);
}

static const struct tpl_data_ops row_ops = { rv_lookup, rv_truthy, rv_iterate, rv_stringify };

static void text_cell(struct cell_view *c, const char *text, const char *href, bool num)
{
	c->plain = true;
	c->num = num;
	c->text.s = text;
	c->href.s = href && *href ? href : NULL;
}

static void badge_cell(struct cell_view *c, const char *cls, const char *text)
{
	c->badge.s = cls;
	c->text.s = text;
}

static void bar_cell(struct rows_ctx *x, struct cell_view *c, int pct)
{
	c->bar = true;
	c->pct.s = arena_printf(x->a, "%d", pct);
}

static void list_cell(struct rows_ctx *x, struct cell_view *c, const json_t *arr)
{
	const json_t *v;
	size_t i;

	buf_reset(&x->href);
	json_array_foreach(arr, i, v) {
		if (i)
			buf_adds(&x->href, ", ");
		buf_adds(&x->href, json_string_value(v) ? json_string_value(v) : "");
	}
	text_cell(c, arena_strndup(x->a, buf_str(&x->href), x->href.len), NULL, false);
}

static void vlan_cell(struct rows_ctx *x, struct cell_view *c, const json_t *pg)
{
	const char *type = tbl_str(pg, "vlan_type");
	struct arena *a = x->a;
	const char *s;

	if (!strcmp(type, "trunk"))
		s = arena_printf(a, "trunk %s", json_is_string(json_object_get(pg, "trunk"))
		                 ? tbl_str(pg, "trunk") : "0-4094");
	else if (!strcmp(type, "pvlan"))
		s = arena_printf(a, "PVLAN %.0f", tbl_num(pg, "vlan"));
	else if (!strcmp(type, "vlan"))
		s = arena_printf(a, "%.0f", tbl_num(pg, "vlan"));
	else
		s = "none";
	text_cell(c, s, NULL, true);
}

/* A detail link of kind for rec's vCenter and moref, in the arena. */
static const char *row_href(struct rows_ctx *x, const json_t *rec, const char *kind,
                            const char *moref)
{
	buf_reset(&x->href);
	detail_href_add(&x->href, &x->once, kind, tbl_str(rec, "vcenter"), moref);
	return arena_strndup(x->a, buf_str(&x->href), x->href.len);
}

static void link_cell(struct rows_ctx *x, struct cell_view *c, const json_t *rec,
                      const char *kind, const char *name_key, const char *ref_key)
{
	const char *ref = tbl_str(rec, ref_key);

	text_cell(c, tbl_str(rec, name_key), *ref ? row_href(x, rec, kind, ref) : NULL, false);
}

/* A formatted number (tbl_fmt_* into s) as a right-aligned text cell. */
static void num_cell(struct rows_ctx *x, struct cell_view *c, const char *s)
{
	text_cell(c, arena_strdup(x->a, s), NULL, true);
}

static void badge_state(struct cell_view *c, const json_t *rec, const json_t *v)
{
	const char *label, *cls = state_badge(json_string_value(v) ? json_string_value(v) : "", &label);

	if (json_is_true(json_object_get(rec, "maintenance")))
		badge_cell(c, "is-warning", "Maintenance");
	else
		badge_cell(c, cls, label);
}

static void uptime_cell(struct rows_ctx *x, struct cell_view *c, const json_t *rec)
{
	long long boot = tbl_time(tbl_str(rec, "boot_time"));
	char s[96];

	if (!boot) {
		text_cell(c, "", NULL, true);
		return;
	}
	tbl_fmt_duration(x->r->now - boot, s, sizeof(s));
	num_cell(x, c, s);
}

static void cell(struct rows_ctx *x, struct cell_view *c, const struct tbl_col *col,
                 const struct tbl_row *row, size_t ci)
{
	const json_t *rec = row->rec, *v = json_object_get(rec, col->field ? col->field : col->key);
	const char *label, *cls;
	char s[96];

	switch ((enum cell_fmt)col->fmt) {
	case F_NAME:
		text_cell(c, tbl_str(rec, "name"), row_href(x, rec, x->pg->detail, tbl_str(rec, "moref")), false);
		return;
	case F_POWER:
		cls = power_badge(json_string_value(v) ? json_string_value(v) : "", &label);
		badge_cell(c, cls, label);
		return;
	case F_STATE:
		badge_state(c, rec, v);
		return;
	case F_INT:
		tbl_fmt_int((long long)row->vals[ci].num, s, sizeof(s));
		num_cell(x, c, s);
		return;
	case F_MB:
		tbl_fmt_bytes(row->vals[ci].num * 1048576.0, s, sizeof(s));
		num_cell(x, c, s);
		return;
	case F_BYTES:
		tbl_fmt_bytes(row->vals[ci].num, s, sizeof(s));
		num_cell(x, c, s);
		return;
	case F_MHZ:
		tbl_fmt_mhz(row->vals[ci].num, s, sizeof(s));
		num_cell(x, c, s);
		return;
	case F_PCT:
		bar_cell(x, c, (int)row->vals[ci].num);
		return;
	case F_BOOL:
		badge_cell(c, json_is_true(v) ? "is-on" : "is-off", json_is_true(v) ? "On" : "Off");
		return;
	case F_SHARED:
		badge_cell(c, json_is_true(v) ? "is-info" : "is-gray", json_is_true(v) ? "Shared" : "Local");
		return;
	case F_KIND:
		if (!strcmp(tbl_str(rec, "kind"), "distributed"))
			badge_cell(c, "is-accent", "Distributed");
		else
			badge_cell(c, "is-gray", "Standard");
		return;
	case F_HOST:
		link_cell(x, c, rec, "host", "host_name", "host");
		return;
	case F_CLUSTER:
		link_cell(x, c, rec, "cluster", "cluster_name", "cluster");
		return;
	case F_VLAN:
		vlan_cell(x, c, rec);
		return;
	case F_LIST:
		list_cell(x, c, v);
		return;
	case F_UPTIME:
		uptime_cell(x, c, rec);
		return;
	case F_VC:
	case F_TEXT:
		break;
	}
	text_cell(c, json_string_value(v) ? json_string_value(v) : "", NULL, false);
}

static void row_format(struct rows_ctx *x, struct row_view *rv, const struct tbl_row *row)
{
	const struct tbl_def *def = x->pg->def;
	struct cell_view *cells = arena_alloc(x->a, def->ncols * sizeof(*cells));

	rv->kind = RV_ROW;
	rv->select = rv->select_label = (struct rv_text){ RV_TEXT, NULL };
	rv->cells = (struct rv_list){ RV_LIST, cells, def->ncols, sizeof(*cells) };
	if (x->pg->selectable) {
		rv->select.s = arena_printf(x->a, "%s:%s", tbl_str(row->rec, "vcenter"),
		                            tbl_str(row->rec, "moref"));
		rv->select_label.s = tbl_str(row->rec, "name");
	}
	for (size_t c = 0; c < def->ncols; c++) {
		cells[c].kind = RV_CELL;
		cells[c].text = cells[c].href = cells[c].badge = cells[c].pct = (struct rv_text){ RV_TEXT, NULL };
		cell(x, &cells[c], &def->cols[c], row, c);
	}
}

/* ---- rows formatted once per generation ----
 *
 * A row's cells depend on its record and the page only, except the uptime (the
 * clock), so each row is formatted once and kept with its table index (freed when
 * the vCenter's generation changes, like the records its strings point into); a
 * page then renders from the kept cells without reading the records through
 * jansson. Uptime cells are formatted again on every request, in a copy. Bounded
 * by KEEP_CAP bytes per index (about 7,000 VM rows); rows past it are formatted
 * per request as before. */

#define KEEP_CAP ((size_t)8 << 20)

struct row_kept {
	const struct inv_page *pg;      /* the page it was formatted for */
	struct row_view rv;             /* cells and strings in the index's keep arena */
};

static bool has_clock_cells(const struct tbl_def *def)
{
	for (size_t c = 0; c < def->ncols; c++)
		if (def->cols[c].fmt == F_UPTIME)
			return true;
	return false;
}

/* rv with its clock cells formatted for this request, in a copy in the request's arena. */
static void clock_cells(struct rows_ctx *x, struct row_view *rv, const struct tbl_row *row)
{
	const struct tbl_def *def = x->pg->def;
	struct cell_view *cells = arena_alloc(x->a, def->ncols * sizeof(*cells));

	memcpy(cells, rv->cells.items, def->ncols * sizeof(*cells));
	rv->cells.items = cells;
	for (size_t c = 0; c < def->ncols; c++)
		if (def->cols[c].fmt == F_UPTIME) {
			cells[c].text = cells[c].href = cells[c].badge = cells[c].pct = (struct rv_text){ RV_TEXT, NULL };
			cell(x, &cells[c], &def->cols[c], row, c);
		}
}

static void row_fill(struct rows_ctx *x, struct row_view *rv, const struct tbl_row *row)
{
	const struct row_kept *k = tbl_row_kept(row);
	struct arena *keep;
	struct row_kept *nk;

	if (!k || k->pg != x->pg) {
		if (!(keep = tbl_row_keep_arena(row, KEEP_CAP))) {
			row_format(x, rv, row);
			return;
		}
		x->a = keep;
		nk = arena_alloc(keep, sizeof(*nk));
		nk->pg = x->pg;
		row_format(x, &nk->rv, row);
		x->a = &x->r->arena;
		tbl_row_keep(row, nk);
		k = nk;
	}
	*rv = k->rv;
	if (has_clock_cells(x->pg->def))
		clock_cells(x, rv, row);
}

/* Formats the page's rows into the arena and points own at them: part-table-rows
 * renders from there (row_ops), inside the page's template. */
static void rows_view(struct req *r, const struct inv_page *pg, const struct tbl_result *res,
                      struct rv_root *root, struct tpl_own_partial *own)
{
	struct rows_ctx x = { r, pg, BUF_INIT, BUF_INIT, &r->arena };
	struct row_view *rows = arena_alloc(&r->arena, (res->n ? res->n : 1) * sizeof(*rows));

	for (size_t i = 0; i < res->n; i++)
		row_fill(&x, &rows[i], res->rows[i]);
	*root = (struct rv_root){ RV_ROOT, { RV_LIST, rows, res->n, sizeof(*rows) } };
	*own = (struct tpl_own_partial){ "part-table-rows", { &row_ops, NULL, root }, NULL };
	buf_free(&x.href);
	buf_free(&x.once);
}

/* ---- the table's chrome: headers, pager, filter form ----
 *
 * Built as arena view values (tpl_view.h) with the keys and values the JSON had,
 * and rendered by part-table-form and part-table-grid as partials of their own,
 * like the rows. URLs are arena strings; names point into the records or the
 * configuration. */

/* The page's URL with the request's state (state_url), in the arena. */
static const char *arena_url(struct req *r, const struct inv_page *pg, const struct tbl_query *q,
                             const char *sort, bool desc, size_t page)
{
	char *url = state_url(r, pg, q, sort, desc, page);
	const char *a = arena_strdup(&r->arena, url);

	free(url);
	return a;
}

static struct tpl_view *cols_view(struct req *r, const struct inv_page *pg, const struct tbl_query *q)
{
	struct tpl_view *cols = tpl_view_list(&r->arena, pg->def->ncols);
	struct arena *a = &r->arena;

	for (size_t c = 0; c < pg->def->ncols; c++) {
		const struct tbl_col *col = &pg->def->cols[c];
		struct tpl_view *o = tpl_view_map(a, 6);
		bool cur = c == q->col;
		tpl_view_sets(a, o, "label", col->label);
		tpl_view_sets(a, o, "key", col->key);
		tpl_view_setb(o, "sortable", col->sortable);
		tpl_view_setb(o, "num", col->kind == TBL_NUM && col->fmt != F_PCT);
		tpl_view_sets(a, o, "aria_sort", !cur ? "none" : q->desc ? "descending" : "ascending");
		/* A click on the current column flips it; on another one sorts ascending,
		 * numbers largest first. */
		tpl_view_sets(a, o, "href", arena_url(r, pg, q, col->key,
		                                      cur ? !q->desc : col->kind == TBL_NUM, 1));
		tpl_view_add(cols, o);
	}
	return cols;
}

static const char *arena_int(struct arena *a, long long v)
{
	char s[32];

	tbl_fmt_int(v, s, sizeof(s));
	return arena_strdup(a, s);
}

static struct tpl_view *pager_view(struct req *r, const struct inv_page *pg, const struct tbl_query *q,
                                   const struct tbl_result *res)
{
	const char *sort = pg->def->cols[q->col].key;
	size_t from = res->total ? (res->page - 1) * q->per_page + 1 : 0;
	struct arena *a = &r->arena;
	struct tpl_view *p = tpl_view_map(a, 10);

	tpl_view_sets(a, p, "total_text", arena_int(a, (long long)res->total));
	tpl_view_sets(a, p, "from", arena_int(a, (long long)from));
	tpl_view_sets(a, p, "to", arena_int(a, (long long)(from ? from + res->n - 1 : 0)));
	tpl_view_set(p, "total", tpl_view_int(a, (long long)res->total));
	tpl_view_set(p, "page", tpl_view_int(a, (long long)res->page));
	tpl_view_set(p, "pages", tpl_view_int(a, (long long)res->pages));
	if (res->page > 1) {
		tpl_view_sets(a, p, "first", arena_url(r, pg, q, sort, q->desc, 1));
		tpl_view_sets(a, p, "prev", arena_url(r, pg, q, sort, q->desc, res->page - 1));
	}
	if (res->page < res->pages) {
		tpl_view_sets(a, p, "next", arena_url(r, pg, q, sort, q->desc, res->page + 1));
		tpl_view_sets(a, p, "last", arena_url(r, pg, q, sort, q->desc, res->pages));
	}
	return p;
}

/* ---- filter form choices ---- */

/* {value, label, selected} of one <option>. */
static struct tpl_view *choice(struct arena *a, const char *value, const char *label, const char *cur)
{
	struct tpl_view *o = tpl_view_map(a, 3);

	tpl_view_sets(a, o, "value", value);
	tpl_view_sets(a, o, "label", label);
	tpl_view_setb(o, "selected", cur && !strcmp(cur, value));
	return o;
}

static struct tpl_view *choice_list(struct arena *a, const char *const *values,
                                    const char *const *labels, const char *cur)
{
	size_t n = 0;
	struct tpl_view *l;

	while (values[n])
		n++;
	l = tpl_view_list(a, n);
	for (size_t i = 0; i < n; i++)
		tpl_view_add(l, choice(a, values[i], labels[i], cur));
	return l;
}

static struct tpl_view *vcenter_choices(struct arena *a, const struct scope *sc)
{
	struct tpl_view *l = tpl_view_list(a, sc->n);
	bool filtered = scope_filtered(sc);

	for (size_t i = 0; i < sc->n; i++) {
		struct tpl_view *o = tpl_view_map(a, 3);
		tpl_view_sets(a, o, "id", sc->ids[i]);
		tpl_view_sets(a, o, "name", sc->names[i]);
		tpl_view_setb(o, "checked", filtered && sc->selected[i]);
		tpl_view_add(l, o);
	}
	return l;
}

/* A set of names in the arena: open addressing over cap (a power of two, at least
 * twice the names put in) slots; the names are borrowed. */
struct name_set {
	const char **slot;
	size_t mask;
};

static void name_set_init(struct arena *a, struct name_set *set, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	set->slot = arena_alloc(a, cap * sizeof(*set->slot));
	set->mask = cap - 1;
}

/* Adds name; false when it was there already. */
static bool name_set_add(struct name_set *set, const char *name)
{
	size_t h = 14695981039346656037u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	for (h &= set->mask; set->slot[h]; h = (h + 1) & set->mask)
		if (!strcmp(set->slot[h], name))
			return false;
	set->slot[h] = name;
	return true;
}

/* Distinct cluster names of the scope, for the cluster filter, in record order.
 * The names are borrowed from the records, which the request holds. */
static struct tpl_view *cluster_choices(struct arena *a, const struct scope *sc, const char *cur,
                                        int *store_err)
{
	struct view_entry *es[SCOPE_MAX] = { NULL };
	struct name_set seen;
	size_t total = 0;
	struct tpl_view *l;

	for (size_t v = 0; v < sc->n; v++) {
		if (sc->selected[v] && !(es[v] = scope_entry(sc, v, "cluster"))) {
			*store_err = 1;
			return tpl_view_list(a, 0);
		}
		total += es[v] ? json_array_size(es[v]->records) : 0;
	}
	l = tpl_view_list(a, total);
	name_set_init(a, &seen, total);
	for (size_t v = 0; v < sc->n; v++) {
		const json_t *rec;
		size_t i;
		json_array_foreach(es[v] ? es[v]->records : NULL, i, rec) {
			const char *name = tbl_str(rec, "name");
			if (*name && name_set_add(&seen, name))
				tpl_view_add(l, choice(a, name, name, cur));
		}
	}
	return l;
}
static struct tpl_view *filters_view(struct req *r, const struct scope *sc, const struct inv_page *pg,
                                     int *store_err)
{
	static const char *const pw_v[] = { "poweredOn", "poweredOff", "suspended", NULL };
	static const char *const pw_l[] = { "On", "Off", "Suspended" };
	static const char *const hpw_v[] = { "poweredOn", "standBy", "poweredOff", NULL };
	static const char *const hpw_l[] = { "On", "Standby", "Off" };
	static const char *const ds_v[] = { "VMFS", "NFS", "NFS41", "vsan", "VVOL", NULL };
	static const char *const ds_l[] = { "VMFS", "NFS 3", "NFS 4.1", "vSAN", "vVols" };
	static const char *const pg_v[] = { "distributed", "standard", NULL };
	static const char *const pg_l[] = { "Distributed", "Standard" };
	static const char *const pp_v[] = { "25", "50", "100", "250", NULL };
	struct arena *a = &r->arena;
	const char *pp = req_str(r, "per_page");
	struct tpl_view *f = tpl_view_map(a, 10), *types = NULL;

	tpl_view_set(f, "vcenters", vcenter_choices(a, sc));
	tpl_view_setb(f, "multi_vcenter", sc->n > 1);
	tpl_view_set(f, "per_page", choice_list(a, pp_v, pp_v,
	                                        pp ? pp : arena_printf(a, "%d", r->app->settings.page_size)));
	if (!strcmp(pg->name, "vms") || !strcmp(pg->name, "hosts")) {
		tpl_view_set(f, "clusters", cluster_choices(a, sc, req_str(r, "cluster"), store_err));
		tpl_view_setb(f, "has_clusters", sc->n > 0);
		tpl_view_setb(f, "has_power", 1);
		tpl_view_set(f, "power", !strcmp(pg->name, "vms")
		             ? choice_list(a, pw_v, pw_l, req_str(r, "power"))
		             : choice_list(a, hpw_v, hpw_l, req_str(r, "power")));
	}
	if (!strcmp(pg->name, "datastores"))
		types = choice_list(a, ds_v, ds_l, req_str(r, "type"));
	if (!strcmp(pg->name, "portgroups"))
		types = choice_list(a, pg_v, pg_l, req_str(r, "type"));
	tpl_view_set(f, "types", types);
	tpl_view_setb(f, "has_types", types != NULL);
	return f;
}

/* ---- the handler ---- */

/* What part-table-form and part-table-grid render from (around the rows). */
static struct tpl_view *chrome_view(struct req *r, const struct scope *sc, const struct inv_page *pg,
                                   const struct inv_listing *l, int *store_err)
{
	struct arena *a = &r->arena;
	struct tpl_view *d = tpl_view_map(a, 12);

	tpl_view_sets(a, d, "path", pg->path);
	tpl_view_sets(a, d, "q", l->q.q ? l->q.q : "");
	if (!strcmp(pg->path, "/networks"))
		tpl_view_sets(a, d, "view", pg->name);
	tpl_view_set(d, "filters", filters_view(r, sc, pg, store_err));
	tpl_view_sets(a, d, "sort", pg->def->cols[l->q.col].key);
	tpl_view_sets(a, d, "order", l->q.desc ? "desc" : "asc");
	tpl_view_setb(d, "selectable", pg->selectable);
	tpl_view_set(d, "cols", cols_view(r, pg, &l->q));
	tpl_view_set(d, "ncols", tpl_view_int(a, (long long)(pg->def->ncols + pg->selectable)));
	tpl_view_setb(d, "empty", l->res.total == 0);
	tpl_view_set(d, "pager", pager_view(r, pg, &l->q, &l->res));
	return d;
}

/* The page's JSON is what its own template uses (list, view_<name>; the layout's
 * keys are merged in by page_render_own); the table comes from structs: the form
 * and the grid from chrome_view, the rows from rows_view. */
static int list_page(struct req *r, const char *name)
{
	const struct inv_page *pg = page_of(name);
	struct tpl_own_partial rows, form, grid;
	struct tpl_view *chrome;
	struct rv_root root;
	struct inv_listing l;
	struct scope sc;
	int store_err = 0;
	char view_key[40];
	json_t *d;

	memset(&l, 0, sizeof(l));
	if (scope_load_page(r, &sc) < 0 || inv_list(r, &sc, name, &l) < 0) {
		inv_listing_free(&l);
		return router_store_down(r);
	}
	chrome = chrome_view(r, &sc, pg, &l, &store_err);
	rows_view(r, pg, &l.res, &root, &rows);
	inv_listing_free(&l);
	if (store_err)
		return router_store_down(r);
	grid = (struct tpl_own_partial){ "part-table-grid", { &tpl_view_ops, &r->arena, chrome }, &rows };
	form = (struct tpl_own_partial){ "part-table-form", { &tpl_view_ops, &r->arena, chrome }, &grid };
	snprintf(view_key, sizeof(view_key), "view_%s", pg->name);
	d = json_pack("{s:s,s:s,s:b}", "path", pg->path, "list", pg->name, view_key, 1);
	/* The rows' strings are borrowed from the view entries' records, which stay
	 * loaded for the rest of the request. */
	return page_render_own(r, pg->tpl, d, pg->title, &form);
}

int page_vms(struct req *r) { return list_page(r, "vms"); }
int page_hosts(struct req *r) { return list_page(r, "hosts"); }
int page_datastores(struct req *r) { return list_page(r, "datastores"); }
int page_clusters(struct req *r) { return list_page(r, "clusters"); }
int page_networks(struct req *r) { return list_page(r, inv_network_view(r)); }
