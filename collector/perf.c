/* Performance history collection (see perf.h): counter ids per session, QueryPerf
 * requests in batches of PERF_SPECS_PER_QUERY entities, the answer's samples
 * grouped per entity, datastore space from the inventory, then perf_store.c. The
 * index vc:{id}:perf (sealed JSON {"vm": {moref: last sample time}, "host": ...,
 * "datastore": ...}) lists the entities that have history and lets a restarted
 * collector ask only for samples it does not have yet. */
#include "perf.h"
#include "inv.h"
#include "log.h"
#include "poll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

const char *const perf_counter_names[SERIES_VM_NBASE] = {
	"cpu.usage.average", "cpu.usagemhz.average", "mem.usage.average",
	"mem.consumed.average", "disk.usage.average", "net.usage.average",
};

struct perf_state {
	const struct vc_session *counters_of;  /* the session the ids were read in */
	struct perf_counters ctr;
	int nctr;
	json_t *vms, *hosts;   /* morefs to query: powered-on VMs, connected hosts */
	json_t *ds;            /* [[moref, used_mb, capacity_mb], ...] */
	json_t *last;          /* {"vm": {moref: t}, "host": {...}, "datastore": {...}} */
	int restored;
};

struct perf_batch {
	struct perf_pending *e;
	size_t n, cap;
	json_t *index;         /* moref -> position in e */
	const struct series_kind *kind;
};

/* ---- pure parts ---- */

int perf_counters_from(const json_t *infos, struct perf_counters *c)
{
	int found = 0;

	for (int m = 0; m < SERIES_VM_NBASE; m++)
		c->id[m] = -1;
	for (size_t i = 0; i < inv_count(infos); i++) {
		const json_t *pc = inv_at(infos, i);
		char name[160];
		snprintf(name, sizeof(name), "%s.%s.%s", inv_s(inv_path(pc, "groupInfo.key")),
		         inv_s(inv_path(pc, "nameInfo.key")), inv_s(json_object_get(pc, "rollupType")));
		for (int m = 0; m < SERIES_VM_NBASE; m++)
			if (c->id[m] < 0 && !strcmp(name, perf_counter_names[m])) {
				c->id[m] = (int)inv_int(pc, "key", -1);
				found += c->id[m] >= 0;
			}
	}
	return found;
}

int64_t perf_parse_time(const char *iso)
{
	struct tm tm;
	int y, mo, d, h, mi, s, n = 0, oh = 0, om = 0;
	const char *p;

	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19)
		return -1;
	p = iso + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
		oh = *p == '-' ? -oh : oh, om = *p == '-' ? -om : om;
	else if (*p && strcmp(p, "Z"))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) - oh * 3600 - om * 60;
}

void perf_query_xml(struct buf *b, const char *perf_manager, const char *type,
                    const char *const *morefs, const int64_t *starts, size_t n,
                    const struct perf_counters *c)
{
	buf_adds(b, "<_this type=\"PerformanceManager\">");
	buf_add_xml(b, perf_manager);
	buf_adds(b, "</_this>");
	for (size_t i = 0; i < n; i++) {
		char when[32];
		poll_iso_time((time_t)starts[i], when, sizeof(when));
		buf_printf(b, "<querySpec><entity type=\"%s\">", type);
		buf_add_xml(b, morefs[i]);
		buf_printf(b, "</entity><startTime>%s</startTime><maxSample>%d</maxSample>", when,
		           PERF_MAX_SAMPLE);
		for (int m = 0; m < SERIES_VM_NBASE; m++)
			if (c->id[m] >= 0)
				buf_printf(b, "<metricId><counterId>%d</counterId><instance></instance></metricId>",
				           c->id[m]);
		buf_adds(b, "<intervalId>20</intervalId><format>normal</format></querySpec>");
	}
}

static int64_t num_of(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v)) {
		char *end;
		long long n = strtoll(json_string_value(v), &end, 10);
		if (!*end && end != json_string_value(v))
			return n;
	}
	return SERIES_NONE;
}

/* Metric index of a series' counter id (aggregate instance only), or -1. */
static int metric_of(const json_t *series, const struct perf_counters *c)
{
	const json_t *id = json_object_get(series, "id");
	const char *inst = inv_s(json_object_get(id, "instance"));
	int64_t cid = num_of(json_object_get(id, "counterId"));

	if (*inst)
		return -1;
	for (int m = 0; m < SERIES_VM_NBASE; m++)
		if (c->id[m] >= 0 && c->id[m] == cid)
			return m;
	return -1;
}

static size_t parse_entity(const json_t *em, const struct perf_counters *c, perf_sample_fn fn,
                           void *ctx)
{
	const char *moref = inv_mor(json_object_get(em, "entity"));
	const json_t *info = json_object_get(em, "sampleInfo"), *vals = json_object_get(em, "value");
	size_t n = inv_count(info), done = 0;

	if (!moref)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int64_t t = perf_parse_time(inv_str(inv_at(info, i), "timestamp")), v[SERIES_VM_NBASE];
		if (t < 0)
			continue;
		for (int m = 0; m < SERIES_VM_NBASE; m++)
			v[m] = SERIES_NONE;
		for (size_t k = 0; k < inv_count(vals); k++) {
			const json_t *series = inv_at(vals, k), *points = json_object_get(series, "value");
			int m = metric_of(series, c);
			if (m >= 0 && inv_count(points) == n)
				v[m] = num_of(inv_at(points, i));
		}
		fn(ctx, moref, t, v);
		done++;
	}
	return done;
}

size_t perf_parse(const json_t *returnval, const struct perf_counters *c, perf_sample_fn fn,
                  void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < inv_count(returnval); i++)
		n += parse_entity(inv_at(returnval, i), c, fn, ctx);
	return n;
}

/* ---- the pending samples of one cycle ---- */

static struct perf_pending *pending_of(struct perf_batch *b, const char *moref)
{
	json_t *at = json_object_get(b->index, moref);
	struct perf_pending *p;

	if (at)
		return &b->e[json_integer_value(at)];
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->e = realloc(b->e, b->cap * sizeof(*b->e));
		if (!b->e)
			abort();
	}
	p = &b->e[b->n];
	memset(p, 0, sizeof(*p));
	p->moref = strdup(moref);
	p->kind = b->kind;
	json_object_set_new(b->index, moref, json_integer((json_int_t)b->n++));
	return p;
}

/* A vCenter's clock may lie: samples from the future or older than the longest
 * retention are dropped rather than moving a series' window there. */
#define PERF_FUTURE_SLACK_S 60

static void add_sample(void *ctx, const char *moref, int64_t t, const int64_t *vals)
{
	int64_t now = (int64_t)time(NULL);
	struct perf_pending *p;

	if (t > now + PERF_FUTURE_SLACK_S || t < now - series_tiers[SERIES_NTIERS - 1].keep)
		return;
	p = pending_of(ctx, moref);

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->s = realloc(p->s, p->cap * sizeof(*p->s));
		if (!p->s)
			abort();
	}
	p->s[p->n].t = t;
	for (int m = 0; m < SERIES_METRICS_MAX; m++)
		p->s[p->n].v[m] = m < p->kind->nbase ? vals[m] : SERIES_NONE;
	p->n++;
}

static void batch_free(struct perf_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->e[i].moref);
		free(b->e[i].s);
	}
	free(b->e);
	json_decref(b->index);
}

/* ---- state and the cycle ---- */

void perf_state_free(struct perf_state *ps)
{
	if (!ps)
		return;
	json_decref(ps->vms);
	json_decref(ps->hosts);
	json_decref(ps->ds);
	json_decref(ps->last);
	free(ps);
}

static struct perf_state *state_new(void)
{
	struct perf_state *ps = calloc(1, sizeof(*ps));

	if (!ps)
		abort();
	ps->vms = json_array();
	ps->hosts = json_array();
	ps->ds = json_array();
	ps->last = json_pack("{s:{},s:{},s:{}}", "vm", "host", "datastore");
	return ps;
}

/* The entities worth asking about, from the records of a full build. */
static void note_inventory(struct perf_state *ps, const json_t *types)
{
	const json_t *r;
	size_t i;

	if (!json_object_get(types, "vm"))
		return;
	json_array_clear(ps->vms);
	json_array_clear(ps->hosts);
	json_array_clear(ps->ds);
	json_array_foreach(json_object_get(types, "vm"), i, r)
		if (!strcmp(inv_str(r, "power_state") ? inv_str(r, "power_state") : "", "poweredOn"))
			json_array_append_new(ps->vms, json_string(inv_str(r, "moref")));
	json_array_foreach(json_object_get(types, "host"), i, r)
		if (!strcmp(inv_str(r, "connection_state") ? inv_str(r, "connection_state") : "", "connected"))
			json_array_append_new(ps->hosts, json_string(inv_str(r, "moref")));
	json_array_foreach(json_object_get(types, "datastore"), i, r) {
		json_int_t cap = inv_int(r, "capacity_bytes", 0), free_b = inv_int(r, "free_bytes", 0);
		if (inv_str(r, "moref") && cap > 0)
			json_array_append_new(ps->ds, json_pack("[s,I,I]", inv_str(r, "moref"),
			                      (cap - free_b) >> 20, cap >> 20));
	}
}

static int ensure_counters(struct perf_state *ps, struct vc_session *s, const char *vcenter)
{
	static const char *const paths[] = { "perfCounter" };
	json_t *props = NULL;

	if (ps->counters_of == s && ps->nctr > 0)
		return 0;
	if (vc_retrieve_one(s, "PerformanceManager", vc_service_content(s)->perf_manager, paths, 1,
	                    &props)) {
		log_warn("perf.counters", "vcenter=%s error=%s", vcenter, log_q(vc_errstr(s)));
		return -1;
	}
	ps->nctr = perf_counters_from(json_object_get(props, "perfCounter"), &ps->ctr);
	ps->counters_of = s;
	json_decref(props);
	if (ps->nctr == 0)
		log_warn("perf.counters", "vcenter=%s error=%s", vcenter, log_q("none of the counters found"));
	return ps->nctr > 0 ? 0 : -1;
}

/* Where the next query of moref starts: after its last sample, at most an hour
 * back (real-time data lives an hour); a new entity gets two poll intervals. */
static int64_t start_of(const json_t *last, const char *moref, int64_t now, int interval_s)
{
	int64_t t = json_integer_value(json_object_get(last, moref));
	int64_t back = 2 * (int64_t)interval_s < 300 ? 300 : 2 * (int64_t)interval_s;

	if (t <= 0)
		return now - back;
	return t < now - 3540 ? now - 3540 : t;
}

/* Samples of the entities in list (VirtualMachine or HostSystem) into b. */
static int query_kind(struct perf_state *ps, struct vc_session *s, const char *vcenter,
                      const char *type, const json_t *list, const json_t *last,
                      struct perf_batch *b, int interval_s)
{
	const char *morefs[PERF_SPECS_PER_QUERY];
	int64_t starts[PERF_SPECS_PER_QUERY], now = time(NULL);
	size_t total = json_array_size(list);

	for (size_t off = 0; off < total; off += PERF_SPECS_PER_QUERY) {
		size_t n = total - off < PERF_SPECS_PER_QUERY ? total - off : PERF_SPECS_PER_QUERY;
		struct buf xml = BUF_INIT;
		json_t *res = NULL;
		for (size_t i = 0; i < n; i++) {
			morefs[i] = json_string_value(json_array_get(list, off + i));
			starts[i] = start_of(last, morefs[i], now, interval_s);
		}
		perf_query_xml(&xml, vc_service_content(s)->perf_manager, type, morefs, starts, n, &ps->ctr);
		if (vc_call(s, "QueryPerf", buf_str(&xml), &res)) {
			log_warn("perf.query", "vcenter=%s type=%s error=%s", vcenter, type, log_q(vc_errstr(s)));
			buf_free(&xml);
			return -1;
		}
		buf_free(&xml);
		perf_parse(res, &ps->ctr, add_sample, b);
		json_decref(res);
	}
	return 0;
}

static void datastore_samples(struct perf_state *ps, struct perf_batch *b, int64_t now)
{
	const json_t *d;
	size_t i;

	json_array_foreach(ps->ds, i, d) {
		int64_t v[SERIES_VM_NBASE] = { json_integer_value(json_array_get(d, 1)),
		                               json_integer_value(json_array_get(d, 2)) };
		add_sample(b, json_string_value(json_array_get(d, 0)), now, v);
	}
}

/* Restores the last sample times from the index after a restart. */
static void restore_index(struct perf_state *ps, struct store *st, const char *vcenter)
{
	char key[128], *val = NULL;
	size_t len;
	json_t *idx;

	ps->restored = 1;
	store_key_vc(key, sizeof(key), vcenter, "perf");
	if (store_get(st, key, &val, &len) != 1)
		return;
	idx = json_loadb(val, len, 0, NULL);
	free(val);
	if (json_is_object(idx))
		for (const char *const *k = (const char *const[]){ "vm", "host", "datastore", NULL }; *k; k++)
			if (json_is_object(json_object_get(idx, *k)))
				json_object_update(json_object_get(ps->last, *k), json_object_get(idx, *k));
	json_decref(idx);
}

/* Remembers each entity's newest sample and writes the index. */
static void update_index(struct perf_state *ps, struct store *st, const char *vcenter,
                         const struct perf_batch *b)
{
	json_t *last = json_object_get(ps->last, b->kind->kind);
	char key[128], *text;

	for (size_t i = 0; i < b->n; i++) {
		int64_t t = json_integer_value(json_object_get(last, b->e[i].moref));
		for (size_t j = 0; j < b->e[i].n; j++)
			if (b->e[i].s[j].t > t)
				t = b->e[i].s[j].t;
		json_object_set_new(last, b->e[i].moref, json_integer((json_int_t)t));
	}
	if (strcmp(b->kind->kind, "datastore"))
		return;   /* written once, after the last kind */
	store_key_vc(key, sizeof(key), vcenter, "perf");
	text = json_dumps(ps->last, JSON_COMPACT);
	if (text && store_put(st, key, text, strlen(text), 0))
		log_warn("perf.index", "vcenter=%s error=%s", vcenter, log_q(st->errstr));
	free(text);
}

/* One kind: query (VMs and hosts) or take (datastores) the samples, store them. */
static size_t cycle_kind(struct perf_state *ps, struct vc_session *s, struct store *st,
                         const char *vcenter, const char *kind, int interval_s, int ok_counters)
{
	struct perf_batch b = { .index = json_object(), .kind = series_kind_find(kind) };
	int64_t now = time(NULL);
	size_t samples = 0;
	int failed = 0;

	if (!strcmp(kind, "datastore"))
		datastore_samples(ps, &b, now);
	else if (ok_counters)
		failed = query_kind(ps, s, vcenter, !strcmp(kind, "vm") ? "VirtualMachine" : "HostSystem",
		                    !strcmp(kind, "vm") ? ps->vms : ps->hosts,
		                    json_object_get(ps->last, kind), &b, interval_s);
	for (size_t i = 0; i < b.n; i++)
		samples += b.e[i].n;
	if (perf_store_samples(st, vcenter, b.e, b.n, now))
		log_warn("perf.write", "vcenter=%s kind=%s error=%s", vcenter, kind, log_q(st->errstr));
	else if (!failed || b.n)
		update_index(ps, st, vcenter, &b);
	batch_free(&b);
	return samples;
}

/* CPU time of the calling thread (the polling worker) in ms: what a cycle costs
 * the collector, without the simulator's or Redis's share. */
static int64_t thread_cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return 0;
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

void perf_after_poll(struct perf_state **ps, struct vc_session *s, struct store *st,
                     const char *vcenter, const json_t *types, int interval_s, int budget_s)
{
	int64_t t0 = vc_now_ms(), cpu0 = thread_cpu_ms();
	size_t samples = 0;
	int ok;

	if (!*ps)
		*ps = state_new();
	note_inventory(*ps, types);
	if (!(*ps)->restored)
		restore_index(*ps, st, vcenter);
	vc_session_set_deadline(s, t0 + (int64_t)budget_s * 1000);
	ok = ensure_counters(*ps, s, vcenter) == 0;
	samples += cycle_kind(*ps, s, st, vcenter, "vm", interval_s, ok);
	samples += cycle_kind(*ps, s, st, vcenter, "host", interval_s, ok);
	samples += cycle_kind(*ps, s, st, vcenter, "datastore", interval_s, ok);
	log_info("perf.cycle", "vcenter=%s vms=%zu hosts=%zu datastores=%zu samples=%zu ms=%lld cpu_ms=%lld",
	         vcenter, json_array_size((*ps)->vms), json_array_size((*ps)->hosts),
	         json_array_size((*ps)->ds), samples, (long long)(vc_now_ms() - t0),
	         (long long)(thread_cpu_ms() - cpu0));
}
