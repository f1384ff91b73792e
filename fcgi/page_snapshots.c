/* The snapshot cockpit: every snapshot of the session's vCenters on one page,
 * removal of many after a preview, and snapshots of many VMs from a pasted list.
 *
 * GET /snapshots lists the collector's flat snapshot records (vc:{id}:snapshot),
 * oldest first unless sorted otherwise, filtered by text and age. The two previews
 * change nothing: POST /snapshots/preview shows the checked snapshots, POST
 * /snapshots/take-preview resolves pasted names against the session's VMs. Each
 * offers one confirm button that posts exactly the targets shown to /ops/vm
 * (page_ops.c), which runs and audits each with the user's own vCenter session.
 * A target this session cannot see is listed as refused and never passed on. */
#include "scope.h"
#include "view.h"
#include "layout.h"
#include "resp.h"
#include "router.h"
#include "cfg.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SNAP_MAX_ROWS 1000    /* rows the cockpit renders; the filters reach the rest */
#define SNAP_OLD_DAYS 7       /* highlighted as old, as on the dashboard */
#define SNAP_TARGET_MAX (CFG_ID_MAX + 72)   /* "vcenter:moref" */

/* Sortable columns: sort= value, header, record field (NULL: creation time). */
static const struct snap_col {
	const char *key, *label, *field;
} snap_cols[] = {
	{ "vm", "VM", "vm_name" },
	{ "vcenter", "vCenter", "vcenter_name" },
	{ "name", "Snapshot", "name" },
	{ "created", "Created", NULL },
};
#define SNAP_NCOLS (sizeof(snap_cols) / sizeof(snap_cols[0]))
#define SNAP_COL_CREATED (&snap_cols[3])

static const char *const sort_keys[] = { "vm", "vcenter", "name", "created", NULL };
static const char *const orders[] = { "asc", "desc", NULL };
/* "Older than" choices in days; "" (the select's "any age") is no filter. */
static const char *const ages[] = { "", "1", "7", "14", "30", "90", "180", "365", NULL };

static const struct param_spec list_params[] = {
	{ .name = "q", .kind = PARAM_STRING, .max = 200 },
	{ .name = "older", .kind = PARAM_ENUM, .choices = ages },
	{ .name = "sort", .kind = PARAM_ENUM, .choices = sort_keys },
	{ .name = "order", .kind = PARAM_ENUM, .choices = orders },
	{ .name = NULL },
};

static const struct param_spec preview_params[] = {
	{ .name = "target", .kind = PARAM_STRING, .max = 100, .flags = PARAM_MULTI },
	{ .name = "csrf", .kind = PARAM_CSRF },   /* checked by the router */
	{ .name = NULL },
};

/* name and description keep the limits of /ops/vm, which receives them next. */
static const struct param_spec take_params[] = {
	{ .name = "names", .kind = PARAM_TEXT, .max = 8000 },
	{ .name = "name", .kind = PARAM_STRING, .max = 80 },
	{ .name = "description", .kind = PARAM_TEXT, .max = 500 },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

/* "vcenter:moref", the target /ops/vm takes, into out (SNAP_TARGET_MAX bytes). */
static void target_of(char *out, const struct scope *sc, size_t v, const char *moref)
{
	snprintf(out, SNAP_TARGET_MAX, "%s:%s", sc->ids[v], moref);
}

/* ---- the cockpit ---- */

struct snap_ref {
	const json_t *rec;    /* borrowed from the view entry */
	long long created;    /* unix seconds, 0 when unknown */
	size_t v;             /* scope index */
	size_t pos;           /* record position: the tie-break */
};

struct snap_sort {
	const struct snap_col *col;
	bool desc;
};

static int cmp_num(long long a, long long b)
{
	return (a > b) - (a < b);
}

/* The chosen column, then (text columns) oldest first, then vCenter and record
 * order, so ties read the same in both directions. */
static int ref_cmp(const void *pa, const void *pb, void *arg)
{
	const struct snap_ref *a = pa, *b = pb;
	const struct snap_sort *s = arg;
	const char *f = s->col->field;
	int c = f ? strcasecmp(tbl_str(a->rec, f), tbl_str(b->rec, f)) : cmp_num(a->created, b->created);

	if (s->desc)
		c = -c;
	if (!c && f)
		c = cmp_num(a->created, b->created);
	if (!c)
		c = a->v != b->v ? cmp_num((long long)a->v, (long long)b->v)
		                 : cmp_num((long long)a->pos, (long long)b->pos);
	return c;
}

/* q, in any case, in the VM name, snapshot name, description or vCenter name. */
static bool text_match(const json_t *s, const char *q)
{
	static const char *const fields[] = { "vm_name", "name", "description", "vcenter_name" };

	if (!q || !*q)
		return true;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcasestr(tbl_str(s, fields[i]), q))
			return true;
	return false;
}

/* The snapshots of the selected vCenters that pass the request's filters, sorted
 * into *out (malloc'd; the caller frees it). Returns 0, or -1 when Redis failed. */
static int collect(struct req *r, const struct scope *sc, const struct snap_sort *order,
                   struct snap_ref **out, size_t *n_out)
{
	const char *q = req_str(r, "q"), *older = req_str(r, "older");
	long long before = older && *older ? r->now - atoll(older) * 86400 : 0;
	struct snap_ref *refs = NULL;
	size_t n = 0, cap = 0;

	for (size_t v = 0; v < sc->n; v++) {
		struct view_entry *e = sc->selected[v] ? scope_entry(sc, v, "snapshot") : NULL;
		const json_t *s;
		size_t i;
		if (sc->selected[v] && !e) {
			free(refs);
			return -1;
		}
		json_array_foreach(e ? e->records : NULL, i, s) {
			long long t = tbl_time(tbl_str(s, "created"));
			if ((before && (!t || t > before)) || !text_match(s, q))
				continue;
			if (n == cap && !(refs = realloc(refs, (cap = cap ? cap * 2 : 64) * sizeof(*refs))))
				abort();
			refs[n++] = (struct snap_ref){ s, t, v, i };
		}
	}
	if (n)
		qsort_r(refs, n, sizeof(*refs), ref_cmp, (void *)order);
	*out = refs;
	*n_out = n;
	return 0;
}

/* One snapshot for the templates: a cockpit row, a removal preview row. created
 * is the vCenter's ISO 8601 time, when the same to the minute for reading. */
static json_t *snap_json(const struct req *r, const struct scope *sc, size_t v, const json_t *s)
{
	long long t = tbl_time(tbl_str(s, "created"));
	char href[512], target[SNAP_TARGET_MAX], age[48] = "", when[32] = "";
	time_t tt = (time_t)t;
	struct tm tm;

	inv_detail_href(href, sizeof(href), "vm", sc->ids[v], tbl_str(s, "vm"));
	target_of(target, sc, v, tbl_str(s, "moref"));
	if (t && gmtime_r(&tt, &tm)) {
		tbl_fmt_duration(r->now - t, age, sizeof(age));
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b}", "target", target,
	                 "vm", tbl_str(s, "vm_name"), "href", href, "vcenter_name", sc->names[v],
	                 "name", tbl_str(s, "name"), "description", tbl_str(s, "description"),
	                 "created", tbl_str(s, "created"), "when", when, "age", age,
	                 "old", t && r->now - t >= SNAP_OLD_DAYS * 86400LL,
	                 "current", json_is_true(json_object_get(s, "current")),
	                 "quiesced", json_is_true(json_object_get(s, "quiesced")));
}

/* The cockpit's URL with its filters and another sort. */
static char *list_url(const struct req *r, const char *sort, bool desc)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "/snapshots");
	inv_url_param(&b, "q", req_str(r, "q"));
	inv_url_param(&b, "older", req_str(r, "older"));
	inv_url_param(&b, "sort", sort);
	inv_url_param(&b, "order", desc ? "desc" : "asc");
	return buf_steal(&b);
}

/* Headers: a click on the current column flips it, on another sorts ascending. */
static json_t *cols_json(const struct req *r, const struct snap_sort *cur)
{
	json_t *cols = json_array();

	for (size_t c = 0; c < SNAP_NCOLS; c++) {
		bool on = &snap_cols[c] == cur->col;
		char *href = list_url(r, snap_cols[c].key, on && !cur->desc);
		json_array_append_new(cols, json_pack("{s:s,s:s,s:s}", "label", snap_cols[c].label,
		                      "href", href,
		                      "aria_sort", !on ? "none" : cur->desc ? "descending" : "ascending"));
		free(href);
	}
	return cols;
}

static json_t *age_choices(const char *cur)
{
	json_t *a = json_array();

	for (const char *const *d = ages + 1; *d; d++) {
		char label[32];
		snprintf(label, sizeof(label), "%s day%s", *d, strcmp(*d, "1") ? "s" : "");
		json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "value", *d, "label", label,
		                                   "selected", cur && !strcmp(cur, *d)));
	}
	return a;
}

static struct snap_sort sort_of(const struct req *r)
{
	const char *key = req_str(r, "sort"), *order = req_str(r, "order");
	struct snap_sort s = { SNAP_COL_CREATED, order && !strcmp(order, "desc") };

	for (size_t c = 0; key && c < SNAP_NCOLS; c++)
		if (!strcmp(snap_cols[c].key, key))
			s.col = &snap_cols[c];
	return s;
}

static int page_snapshots(struct req *r)
{
	const char *q = req_str(r, "q"), *older = req_str(r, "older");
	struct snap_sort so = sort_of(r);
	struct snap_ref *refs = NULL;
	size_t n = 0, shown;
	json_t *rows, *d;
	struct scope sc;

	if (scope_load(r, &sc) < 0 || collect(r, &sc, &so, &refs, &n) < 0)
		return router_store_down(r);
	rows = json_array();
	shown = n < SNAP_MAX_ROWS ? n : SNAP_MAX_ROWS;
	for (size_t i = 0; i < shown; i++)
		json_array_append_new(rows, snap_json(r, &sc, refs[i].v, refs[i].rec));
	free(refs);
	d = json_pack("{s:o,s:o,s:o,s:s,s:s,s:s,s:I,s:I,s:b,s:b,s:b,s:i}", "rows", rows,
	              "cols", cols_json(r, &so), "ages", age_choices(older), "q", q ? q : "",
	              "sort", so.col->key, "order", so.desc ? "desc" : "asc",
	              "total", (json_int_t)n, "shown", (json_int_t)shown, "more", n > shown,
	              "empty", n == 0, "filtered", (q && *q) || (older && *older),
	              "max_targets", OPS_MAX_TARGETS);
	return page_render(r, "page-snapshots", d, "Snapshots");
}

/* ---- removal preview ---- */

/* The snapshot that target "vcenter:moref" names when this session sees it (its
 * scope index in *v), else NULL; *store_err is set when Redis failed. */
static const json_t *snapshot_of(const struct scope *sc, const char *target, size_t *v,
                                 int *store_err)
{
	const char *colon = strchr(target, ':');
	char vcenter[CFG_ID_MAX + 1] = "";
	int i;

	*store_err = 0;
	if (!colon || colon == target || (size_t)(colon - target) > CFG_ID_MAX)
		return NULL;
	memcpy(vcenter, target, (size_t)(colon - target));
	if ((i = scope_find(sc, vcenter)) < 0)
		return NULL;
	*v = (size_t)i;
	return scope_lookup(sc, vcenter, "snapshot", colon + 1, store_err);
}

/* Sorts the targets into items (snapshots this session sees) and refused, each
 * target once. Returns 0, or -1 when Redis failed. */
static int split_targets(struct req *r, const struct scope *sc, const char *const *targets,
                         size_t n, json_t *items, json_t *refused)
{
	json_t *seen = json_object();
	int store_err = 0;
	size_t v = 0;

	for (size_t i = 0; i < n && !store_err; i++) {
		const json_t *s;
		if (json_object_get(seen, targets[i]))
			continue;
		json_object_set_new(seen, targets[i], json_true());
		if ((s = snapshot_of(sc, targets[i], &v, &store_err)))
			json_array_append_new(items, snap_json(r, sc, v, s));
		else if (!store_err)
			json_array_append_new(refused, json_pack("{s:s}", "target", targets[i]));
	}
	json_decref(seen);
	return store_err ? -1 : 0;
}

static int page_snapshots_preview(struct req *r)
{
	const char *const *targets = NULL;
	size_t n = req_multi(r, "target", &targets);
	json_t *items, *refused;
	struct scope sc;

	if (n == 0)
		return resp_error(r, 400, "Nothing selected", "Check at least one snapshot, then preview.");
	if (n > OPS_MAX_TARGETS)
		return resp_error(r, 400, "Too many snapshots", "Select at most 100 snapshots per removal.");
	if (scope_load(r, &sc) < 0)
		return router_store_down(r);
	items = json_array();
	refused = json_array();
	if (split_targets(r, &sc, targets, n, items, refused) < 0) {
		json_decref(items);
		json_decref(refused);
		return router_store_down(r);
	}
	return page_render(r, "page-snapshots-remove", json_pack("{s:I,s:b,s:b,s:o,s:o}",
	                   "count", (json_int_t)json_array_size(items), "any", json_array_size(items) > 0,
	                   "any_refused", json_array_size(refused) > 0, "items", items, "refused", refused),
	                   "Remove snapshots");
}

/* ---- snapshots of many VMs from a pasted list ---- */

/* The distinct names of a pasted list (one a line, or comma separated; blanks
 * around them trimmed), compared without case: an object lowercased name ->
 * {name, matches: []}; order receives the keys as pasted. */
static json_t *pasted_names(struct req *r, const char *text, json_t *order)
{
	json_t *want = json_object();

	for (const char *p = text ? text : ""; *p;) {
		size_t len = strcspn(p, ",\r\n"), n = len;
		const char *s = p;
		char *key;
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		p += len + (p[len] != '\0');
		if (!n)
			continue;
		key = arena_alloc(&r->arena, n + 1);
		tbl_lower(key, s, n);
		if (json_object_get(want, key))
			continue;
		json_object_set_new(want, key, json_pack("{s:s%,s:[]}", "name", s, n, "matches"));
		json_array_append_new(order, json_string(key));
	}
	return want;
}

static json_t *vm_choice(const struct scope *sc, size_t v, const json_t *vm)
{
	char href[512], target[SNAP_TARGET_MAX];

	inv_detail_href(href, sizeof(href), "vm", sc->ids[v], tbl_str(vm, "moref"));
	target_of(target, sc, v, tbl_str(vm, "moref"));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "target", target, "name", tbl_str(vm, "name"),
	                 "href", href, "vcenter_name", sc->names[v], "host", tbl_str(vm, "host_name"),
	                 "snapshots", (json_int_t)tbl_num(vm, "snapshot_count"),
	                 "on", !strcmp(tbl_str(vm, "power_state"), "poweredOn"));
}

/* Adds every VM of the session whose name is wanted to that name's matches; a
 * template only marks the name (it cannot be snapshotted). Returns 0 or -1. */
static int match_vms(const struct scope *sc, json_t *want)
{
	char lower[256];

	for (size_t v = 0; v < sc->n; v++) {
		struct view_entry *e = scope_entry(sc, v, "vm");
		const json_t *vm;
		size_t i;
		if (!e)
			return -1;
		json_array_foreach(e->records, i, vm) {
			const char *name = tbl_str(vm, "name");
			size_t len = strlen(name);
			json_t *w;
			if (len >= sizeof(lower))
				continue;
			tbl_lower(lower, name, len);
			if (!(w = json_object_get(want, lower)))
				continue;
			if (json_is_true(json_object_get(vm, "template")))
				json_object_set_new(w, "template", json_true());
			else
				json_array_append_new(json_object_get(w, "matches"), vm_choice(sc, v, vm));
		}
	}
	return 0;
}

/* Sorts the names into resolved (one VM), ambiguous (several: the candidates)
 * and missing, in pasted order. */
static json_t *take_data(const json_t *want, const json_t *order)
{
	json_t *resolved = json_array(), *missing = json_array(), *ambiguous = json_array(), *k;
	size_t i;

	json_array_foreach(order, i, k) {
		json_t *w = json_object_get(want, json_string_value(k)), *m = json_object_get(w, "matches");
		if (json_array_size(m) == 1)
			json_array_append(resolved, json_array_get(m, 0));
		else if (json_array_size(m) > 1)
			json_array_append_new(ambiguous, json_pack("{s:O,s:O,s:I}", "name", json_object_get(w, "name"),
			                      "candidates", m, "count", (json_int_t)json_array_size(m)));
		else
			json_array_append(missing, w);
	}
	return json_pack("{s:I,s:b,s:b,s:b,s:o,s:o,s:o}", "resolved_count", (json_int_t)json_array_size(resolved),
	                 "can_confirm", json_array_size(resolved) + json_array_size(ambiguous) > 0,
	                 "any_missing", json_array_size(missing) > 0, "any_ambiguous", json_array_size(ambiguous) > 0,
	                 "resolved", resolved, "missing", missing, "ambiguous", ambiguous);
}

static int page_snapshots_take(struct req *r)
{
	const char *name = req_str(r, "name"), *desc = req_str(r, "description");
	json_t *order = json_array(), *want = pasted_names(r, req_str(r, "names"), order), *d = NULL;
	size_t n = json_array_size(order);
	bool too_many = n > OPS_MAX_TARGETS;
	struct scope sc;
	int rc;

	if (!n || !name || !*name) {
		rc = resp_error(r, 400, "Nothing to do", "Paste at least one VM name and name the snapshot.");
	} else if (scope_load(r, &sc) < 0 || (!too_many && match_vms(&sc, want) < 0)) {
		rc = router_store_down(r);
	} else {
		d = too_many ? json_object() : take_data(want, order);
		json_object_set_new(d, "too_many", json_boolean(too_many));
		json_object_set_new(d, "pasted", json_integer((json_int_t)n));
		json_object_set_new(d, "max_targets", json_integer(OPS_MAX_TARGETS));
		json_object_set_new(d, "snap_name", json_string(name));
		json_object_set_new(d, "snap_description", json_string(desc ? desc : ""));
		rc = page_render(r, "page-snapshots-take", d, "Take snapshots");
	}
	json_decref(order);
	json_decref(want);
	return rc;
}

const struct route snapshot_routes[] = {
	/* path                      methods   handler                 flags        params */
	{ "/snapshots",              REQ_GET,  page_snapshots,         ROUTE_LOGIN, list_params },
	{ "/snapshots/preview",      REQ_POST, page_snapshots_preview, ROUTE_LOGIN, preview_params },
	{ "/snapshots/take-preview", REQ_POST, page_snapshots_take,    ROUTE_LOGIN, take_params },
	{ NULL, 0, NULL, 0, NULL },
};
