/* WaitForUpdatesEx-based incremental inventory (see incr.h). Requests are built here
 * as plain vim25 XML and sent through vc_call(); the UpdateSet comes back converted to
 * JSON by the client's parser and is applied to the raw model without further I/O. */
#include "incr.h"
#include "buf.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void add_mor(struct buf *b, const char *tag, const char *type, const char *value)
{
	buf_printf(b, "<%s type=\"", tag);
	buf_add_xml(b, type);
	buf_adds(b, "\">");
	buf_add_xml(b, value);
	buf_printf(b, "</%s>", tag);
}

/* Calls method and copies the MOR it returns into out. */
static int call_mor(struct vc_session *s, const char *method, const struct buf *inner,
                    char *out, size_t n)
{
	json_t *res = NULL;
	const char *v;

	if (vc_call(s, method, buf_str(inner), &res))
		return -1;
	v = inv_mor(res);
	snprintf(out, n, "%s", v ? v : "");
	json_decref(res);
	return v ? 0 : -1;
}

static int create_collector(struct incr *in, struct vc_session *s)
{
	const struct vc_service_content *sc = vc_service_content(s);
	struct buf b = BUF_INIT;
	int rc;

	add_mor(&b, "_this", "PropertyCollector", sc->property_collector);
	rc = call_mor(s, "CreatePropertyCollector", &b, in->pc, sizeof(in->pc));
	buf_free(&b);
	return rc;
}

static int create_view(struct vc_session *s, const char *type, char *out, size_t n)
{
	const struct vc_service_content *sc = vc_service_content(s);
	struct buf b = BUF_INIT;
	int rc;

	add_mor(&b, "_this", "ViewManager", sc->view_manager);
	add_mor(&b, "container", "Folder", sc->root_folder);
	buf_adds(&b, "<type>");
	buf_add_xml(&b, type);
	buf_adds(&b, "</type><recursive>true</recursive>");
	rc = call_mor(s, "CreateContainerView", &b, out, n);
	buf_free(&b);
	return rc;
}

static int create_filter(struct incr *in, struct vc_session *s, const struct inv_spec *sp,
                         const char *view, char *out, size_t n)
{
	struct buf b = BUF_INIT;
	int rc;

	add_mor(&b, "_this", "PropertyCollector", in->pc);
	buf_adds(&b, "<spec><propSet><type>");
	buf_add_xml(&b, sp->vim_type);
	buf_adds(&b, "</type><all>false</all>");
	for (size_t i = 0; i < sp->npaths; i++) {
		buf_adds(&b, "<pathSet>");
		buf_add_xml(&b, sp->paths[i]);
		buf_adds(&b, "</pathSet>");
	}
	buf_adds(&b, "</propSet><objectSet>");
	add_mor(&b, "obj", "ContainerView", view);
	buf_adds(&b, "<skip>true</skip><selectSet xsi:type=\"TraversalSpec\"><name>view</name>"
	             "<type>ContainerView</type><path>view</path><skip>false</skip></selectSet>"
	             "</objectSet></spec><partialUpdates>false</partialUpdates>");
	rc = call_mor(s, "CreateFilter", &b, out, n);
	buf_free(&b);
	return rc;
}

int incr_start(struct incr *in, struct vc_session *s, struct inv_raw *raw, size_t page_size)
{
	memset(in, 0, sizeof(*in));
	in->page_size = page_size ? page_size : 1000;
	if (create_collector(in, s))
		return -1;
	for (size_t i = 0; i < inv_nspecs && i < INCR_MAX_FILTERS; i++) {
		if (create_view(s, inv_specs[i].vim_type, in->views[i], sizeof(in->views[i])) ||
		    create_filter(in, s, &inv_specs[i], in->views[i], in->filters[i], sizeof(in->filters[i]))) {
			in->n = i + 1;
			incr_stop(in, s);
			return -1;
		}
		in->n = i + 1;
	}
	in->version = strdup("");
	in->active = 1;
	if (incr_poll(in, s, raw, NULL, 0) < 0) {
		incr_stop(in, s);
		return -1;
	}
	return 0;
}

void incr_stop(struct incr *in, struct vc_session *s)
{
	struct buf b = BUF_INIT;
	json_t *res = NULL;

	for (size_t i = 0; s && i < in->n; i++) {
		if (!in->views[i][0])
			continue;
		buf_reset(&b);
		add_mor(&b, "_this", "ContainerView", in->views[i]);
		if (vc_call(s, "DestroyView", buf_str(&b), &res) == 0)
			json_decref(res);
		res = NULL;
	}
	if (s && in->pc[0]) {
		buf_reset(&b);
		add_mor(&b, "_this", "PropertyCollector", in->pc);
		if (vc_call(s, "DestroyPropertyCollector", buf_str(&b), &res) == 0)
			json_decref(res);
	}
	buf_free(&b);
	free(in->version);
	json_decref(in->changed_vms);
	json_decref(in->changed_refs);
	memset(in, 0, sizeof(*in));
}

void incr_take_changes(struct incr *in, json_t **changed_vms, json_t **changed_refs)
{
	*changed_vms = in->changed_vms;
	*changed_refs = in->changed_refs;
	in->changed_vms = in->changed_refs = NULL;
}

/* Properties of other objects that VM records derive fields from: names (host,
 * cluster, folder... names), parents (the cluster and datacenter are ancestors) and
 * a distributed portgroup's key (NICs name their portgroup by it). */
static int names_something(const json_t *changes)
{
	for (size_t i = 0; i < inv_count(changes); i++) {
		const char *name = inv_str(inv_at(changes, i), "name");
		if (name && (!strcmp(name, "name") || !strcmp(name, "parent") || !strcmp(name, "key")))
			return 1;
	}
	return 0;
}

/* Records an object update for incr_take_changes(); kind "enter", "modify", "leave". */
static void note_change(struct incr *in, const char *bucket, const char *moref, const char *kind,
                        const json_t *changes)
{
	json_t **set = !strcmp(bucket, "vm") ? &in->changed_vms : &in->changed_refs;

	if (set == &in->changed_refs && !strcmp(kind, "modify") && !names_something(changes))
		return;
	if (!*set)
		*set = json_object();
	json_object_set_new(*set, moref, set == &in->changed_vms ? json_true() : json_string(bucket));
}

/* The bucket a filter's updates belong to. */
static const char *filter_bucket(const struct incr *in, const char *filter)
{
	for (size_t i = 0; filter && i < in->n; i++)
		if (!strcmp(in->filters[i], filter))
			return inv_specs[i].bucket;
	return NULL;
}

static void add_event(json_t *events, const char *kind, const char *bucket, const char *moref,
                      const char *name, const json_t *from, const json_t *to)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *e;

	if (!events)
		return;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	e = json_pack("{s:s, s:s, s:s, s:s}", "time", when, "kind", kind, "type", bucket, "moref", moref);
	inv_set_str(e, "name", name);
	json_object_set_new(e, "from", from ? json_deep_copy(from) : json_null());
	json_object_set_new(e, "to", to ? json_deep_copy(to) : json_null());
	json_array_append_new(events, e);
}

/* Properties whose changes are events, per bucket. */
static const char *event_kind(const char *bucket, const char *prop)
{
	static const char *const map[][3] = {
		{ "vm", "name", "vm.renamed" },
		{ "vm", "runtime.powerState", "vm.power" },
		{ "vm", "runtime.host", "vm.moved" },
		{ "host", "runtime.connectionState", "host.connection" },
		{ "host", "runtime.inMaintenanceMode", "host.maintenance" },
		{ "host", "name", "host.renamed" },
		{ "datastore", "name", "datastore.renamed" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], bucket) && !strcmp(map[i][1], prop))
			return map[i][2];
	return NULL;
}

/* Datastore use levels that make an event when crossed either way: vCenter's default
 * "Datastore usage on disk" alarm warns at 75 % and turns red at 85 %. */
static const int ds_levels[] = { 75, 85 };

/* The datastore's use level: how many of ds_levels its use (1 - free/capacity) has
 * reached; -1 without a capacity. *pct gets the use in whole percent. */
static int ds_level(const json_t *props, int *pct)
{
	json_int_t cap = inv_int(props, "summary.capacity", 0), free_ = inv_int(props, "summary.freeSpace", 0);
	int level = 0;

	if (cap <= 0 || free_ < 0 || free_ > cap)
		return -1;
	*pct = (int)((cap - free_) * 100 / cap);
	for (size_t i = 0; i < sizeof(ds_levels) / sizeof(ds_levels[0]); i++)
		level += *pct >= ds_levels[i];
	return level;
}

static void apply_changes(json_t *props, const json_t *changes, const char *bucket,
                          const char *moref, json_t *events, int *refetch)
{
	for (size_t i = 0; i < inv_count(changes); i++) {
		const json_t *c = inv_at(changes, i);
		const char *name = inv_str(c, "name"), *op = inv_str(c, "op");
		const char *kind;
		json_t *val = json_object_get(c, "val");
		if (!name || !op)
			continue;
		if (strchr(name, '[')) {        /* an element of an array property */
			*refetch = 1;
			continue;
		}
		kind = event_kind(bucket, name);
		if (kind && events && !json_equal(json_object_get(props, name), val))
			add_event(events, kind, bucket, moref, inv_str(props, "name"),
			          json_object_get(props, name), val);
		if (!strcmp(op, "assign") || !strcmp(op, "add"))
			json_object_set(props, name, val ? val : json_null());
		else
			json_object_del(props, name);
	}
}

static int apply_object(struct incr *in, const json_t *ou, const char *bucket, struct inv_raw *raw,
                        json_t *events, int initial, int *refetch)
{
	const char *kind = inv_str(ou, "kind"), *moref = inv_mor(json_object_get(ou, "obj"));
	json_t *b = json_object_get(raw->buckets, bucket), *props;

	if (!kind || !moref)
		return 0;
	if (!initial)
		note_change(in, bucket, moref, kind, json_object_get(ou, "changeSet"));
	props = b ? json_object_get(b, moref) : NULL;
	if (!strcmp(kind, "leave")) {
		if (props && !strcmp(bucket, "vm"))
			add_event(events, "vm.removed", bucket, moref, inv_str(props, "name"), NULL, NULL);
		if (b)
			json_object_del(b, moref);
		return 1;
	}
	if (!props) {
		props = json_object();
		inv_raw_add(raw, bucket, moref, props);
		json_decref(props);
		apply_changes(props, json_object_get(ou, "changeSet"), bucket, moref, NULL, refetch);
		if (!initial && !strcmp(bucket, "vm"))
			add_event(events, "vm.created", bucket, moref, inv_str(props, "name"), NULL, NULL);
		return 1;
	}
	if (!initial && events && !strcmp(bucket, "datastore")) {
		int before_pct = 0, after_pct = 0;
		int before = ds_level(props, &before_pct), after;
		apply_changes(props, json_object_get(ou, "changeSet"), bucket, moref, events, refetch);
		after = ds_level(props, &after_pct);
		if (before >= 0 && after >= 0 && before != after) {
			json_t *from = json_integer(before_pct), *to = json_integer(after_pct);
			add_event(events, "datastore.usage", bucket, moref, inv_str(props, "name"), from, to);
			json_decref(from);
			json_decref(to);
		}
		return 1;
	}
	apply_changes(props, json_object_get(ou, "changeSet"), bucket, moref, initial ? NULL : events, refetch);
	return 1;
}

int incr_apply(struct incr *in, const json_t *update_set, struct inv_raw *raw, json_t *events,
               int initial, int *refetch)
{
	const json_t *fs = json_object_get(update_set, "filterSet");
	int changed = 0;

	for (size_t i = 0; i < inv_count(fs); i++) {
		const json_t *f = inv_at(fs, i), *objs = json_object_get(f, "objectSet");
		const char *bucket = filter_bucket(in, inv_mor(json_object_get(f, "filter")));
		for (size_t k = 0; bucket && k < inv_count(objs); k++)
			changed += apply_object(in, inv_at(objs, k), bucket, raw, events, initial, refetch);
	}
	return changed;
}

static int wait_once(struct incr *in, struct vc_session *s, int wait_s, json_t **res)
{
	const char *pc = in->pc;
	struct buf b = BUF_INIT;
	int rc;

	add_mor(&b, "_this", "PropertyCollector", pc);
	buf_adds(&b, "<version>");
	buf_add_xml(&b, in->version);
	buf_printf(&b, "</version><options><maxWaitSeconds>%d</maxWaitSeconds>"
	               "<maxObjectUpdates>%zu</maxObjectUpdates></options>", wait_s, in->page_size);
	rc = vc_call(s, "WaitForUpdatesEx", buf_str(&b), res);
	buf_free(&b);
	return rc;
}

int incr_poll(struct incr *in, struct vc_session *s, struct inv_raw *raw, json_t *events,
              int wait_s)
{
	int total = 0, initial = in->version && !in->version[0];

	for (int round = 0; round < 100000; round++) {
		json_t *res = NULL;
		int refetch = 0, truncated;
		if (!in->active || wait_once(in, s, wait_s, &res))
			return -1;
		if (!json_is_object(res)) {     /* null: nothing changed within the wait */
			json_decref(res);
			return total;
		}
		total += incr_apply(in, res, raw, events, initial, &refetch);
		free(in->version);
		in->version = strdup(inv_str(res, "version") ? inv_str(res, "version") : "");
		truncated = inv_bool(res, "truncated") == 1;
		json_decref(res);
		if (refetch) {
			log_warn("incr.refetch", "reason=%s", log_q("array element change; full retrieval follows"));
			return -1;
		}
		if (!truncated)
			break;
		wait_s = 0;
	}
	in->updates += (unsigned long)total;
	return total;
}
