/* One poll of one vCenter (see poll.h). Everything a poll fetches is bounded by the
 * configured timeout through the session's absolute deadline; a failure keeps the
 * previous records in Redis (readers keep showing them, marked stale by status). */
#include "poll.h"
#include "registry.h"
#include "inv.h"
#include "log.h"
#include "tags.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct poll_target *poll_target_new(const struct cfg_vcenter *v, const struct cfg *c)
{
	struct poll_target *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	memcpy(t->vc.id, v->id, sizeof(t->vc.id));
	t->vc.name = dup_or_null(v->name);
	t->vc.url = dup_or_null(v->url);
	t->vc.verify_tls = v->verify_tls;
	t->vc.ca_file = dup_or_null(v->ca_file);
	t->vc.fingerprint = dup_or_null(v->fingerprint);
	t->vc.interval = v->interval;
	t->vc.user = dup_or_null(v->user);
	t->vc.password_file = dup_or_null(v->password_file);
	t->page_size = c->collector.page_size;
	t->connections = c->collector.connections;
	t->timeout_s = c->collector.timeout;
	t->alarm_names = json_object();
	t->last_counts = json_object();
	t->incremental = c->collector.incremental;
	t->full_interval_s = c->collector.full_interval;
	inv_raw_init(&t->raw);
	inv_cache_init(&t->cache);
	t->digests = json_object();
	t->events = json_array();
	t->pending = json_array();
	t->was_ok = -1;
	lease_init(&t->lease, t->vc.id);
	t->perf_on = c->collector.perf;
	return t;
}

static void drop_session(struct poll_target *t, int logout)
{
	if (t->session && logout) {
		vc_session_set_deadline(t->session, vc_now_ms() + 2000);
		vc_logout(t->session);
	}
	incr_stop(&t->incr, NULL);   /* the filters lived in that session */
	vc_session_free(t->session);
	t->session = NULL;
	t->fields_mgr[0] = '\0';
	json_object_clear(t->alarm_names);
}

void poll_target_forget(struct poll_target *t)
{
	drop_session(t, 1);
	inv_raw_free(&t->raw);
	inv_raw_init(&t->raw);
	inv_cache_free(&t->cache);
	inv_cache_init(&t->cache);
	json_object_clear(t->digests);   /* with the cache: its version restarts */
	json_array_clear(t->pending);
	t->full_due_ms = 0;
	t->was_ok = -1;
}

void poll_target_logout(struct poll_target *t, int64_t deadline_ms)
{
	if (!t->session)
		return;
	vc_session_set_deadline(t->session, deadline_ms);
	if (vc_logout(t->session) == 0)
		log_info("poll.logout", "vcenter=%s", t->vc.id);
	drop_session(t, 0);
}

void poll_target_free(struct poll_target *t)
{
	if (!t)
		return;
	drop_session(t, 1);
	json_decref(t->alarm_names);
	json_decref(t->last_counts);
	inv_raw_free(&t->raw);
	inv_cache_free(&t->cache);
	json_decref(t->digests);
	json_decref(t->events);
	json_decref(t->pending);
	perf_state_free(t->perf);
	free(t->vc.name);
	free(t->vc.url);
	free(t->vc.ca_file);
	free(t->vc.fingerprint);
	free(t->vc.user);
	free(t->vc.password_file);
	free(t);
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int poll_target_same(const struct poll_target *t, const struct cfg_vcenter *v)
{
	return same_str(t->vc.url, v->url) && t->vc.verify_tls == v->verify_tls &&
	       same_str(t->vc.ca_file, v->ca_file) && same_str(t->vc.fingerprint, v->fingerprint) &&
	       same_str(t->vc.user, v->user) && same_str(t->vc.password_file, v->password_file);
}

void poll_iso_time(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* vc_password_fn: re-reads the password file at every login, so a changed password
 * is picked up without a restart and no copy is kept between logins. */
static int read_password(void *ctx, char *buf, size_t buflen)
{
	const struct poll_target *t = ctx;
	char err[256];
	char *pw;
	size_t n;

	if (!t->vc.password_file || !*t->vc.password_file) {
		/* added in Settings: the password is kept sealed in the registry */
		if (!t->store || registry_password_into(t->store, t->vc.id, buf, buflen, err, sizeof(err))) {
			log_error("poll.password", "vcenter=%s error=%s", t->vc.id, log_q(t->store ? err : "no store"));
			return -1;
		}
		return 0;
	}
	pw = cfg_read_secret(t->vc.password_file, err, sizeof(err));

	if (!pw) {
		log_error("poll.password_file", "vcenter=%s error=%s", t->vc.id, log_q(err));
		return -1;
	}
	n = strlen(pw);
	if (n >= buflen) {
		sodium_memzero(pw, n);
		free(pw);
		return -1;
	}
	memcpy(buf, pw, n + 1);
	sodium_memzero(pw, n);
	free(pw);
	return 0;
}

static int ensure_session(struct poll_target *t, int64_t deadline, struct poll_result *res)
{
	struct vc_endpoint ep = {
		.url = t->vc.url, .verify_tls = t->vc.verify_tls, .ca_file = t->vc.ca_file,
		.fingerprint = t->vc.fingerprint, .deadline_ms = deadline, .abort = &t->abort,
	};
	char err[256];

	if (t->session) {
		vc_session_set_deadline(t->session, deadline);
		return 0;
	}
	t->session = vc_session_new_ex(&ep, &res->code, err, sizeof(err));
	if (!t->session) {
		if (res->code == VC_OK)
			res->code = VC_ECONNECT;
		snprintf(res->error, sizeof(res->error), "%s", err);
		return -1;
	}
	vc_session_set_prune(t->session, inv_prune, inv_nprune);
	if (vc_login_cb(t->session, t->vc.user, read_password, t)) {
		res->code = vc_errcode(t->session);
		snprintf(res->error, sizeof(res->error), "%s", vc_errstr(t->session));
		drop_session(t, 0);
		return -1;
	}
	log_info("poll.login", "vcenter=%s version=%s", t->vc.id, log_q(vc_api_version(t->session)));
	return 0;
}

struct collect_ctx {
	struct inv_raw *raw;
	const char *bucket;
	struct inv_vms *vms;           /* set for the VMs: records built on arrival */
};

static int on_object(void *ctx, const char *moref, json_t *props)
{
	struct collect_ctx *c = ctx;

	if (c->vms)
		inv_vms_add(c->vms, c->raw, moref, props);
	else
		inv_raw_add(c->raw, c->bucket, moref, props);
	return 0;
}

static int collect_failed(struct poll_target *t, const char *type, struct poll_result *res)
{
	res->code = vc_errcode(t->session);
	snprintf(res->error, sizeof(res->error), "collecting %s: %s", type, vc_errstr(t->session));
	return -1;
}

static int collect_spec(struct poll_target *t, const struct inv_spec *sp, struct inv_raw *raw,
                        struct poll_result *res)
{
	struct collect_ctx c = { raw, sp->bucket, NULL };
	int64_t t0 = vc_now_ms();

	if (vc_collect(t->session, sp->vim_type, sp->paths, sp->npaths, (size_t)t->page_size,
	               on_object, &c))
		return collect_failed(t, sp->vim_type, res);
	log_debug("poll.collected", "vcenter=%s type=%s objects=%zu ms=%lld", t->vc.id,
	          sp->vim_type, json_object_size(json_object_get(raw->buckets, sp->bucket)),
	          (long long)(vc_now_ms() - t0));
	return 0;
}

/* Every type but the VMs, into raw. */
static int collect_all(struct poll_target *t, struct inv_raw *raw, struct poll_result *res)
{
	for (size_t i = 0; i < inv_nspecs; i++)
		if (strcmp(inv_specs[i].bucket, "vm") && collect_spec(t, &inv_specs[i], raw, res))
			return -1;
	return 0;
}

static const struct inv_spec *vm_spec(void)
{
	for (size_t i = 0; i < inv_nspecs; i++)
		if (!strcmp(inv_specs[i].bucket, "vm"))
			return &inv_specs[i];
	return NULL;
}

/* The VMs: listed, and their first chunks requested, before everything else is
 * fetched, so vCenter computes them meanwhile (docs/collector.md, "One poll").
 * c->vms must be ready before collect_vms_finish(); nothing reaches it earlier. */
static struct vc_bulk *collect_vms_start(struct poll_target *t, struct collect_ctx *c,
                                         struct poll_result *res)
{
	const struct inv_spec *sp = vm_spec();
	struct vc_bulk *b = vc_bulk_start(t->session, sp->vim_type, sp->paths, sp->npaths,
	                                  (size_t)t->page_size, (size_t)t->connections,
	                                  on_object, c);

	if (!b)
		collect_failed(t, sp->vim_type, res);
	return b;
}

/* The VMs' records are built as the chunks arrive (their raw properties are dropped
 * object by object). */
static int collect_vms_finish(struct poll_target *t, struct vc_bulk *b, struct poll_result *res)
{
	int64_t t0 = vc_now_ms();

	if (vc_bulk_finish(b))
		return collect_failed(t, vm_spec()->vim_type, res);
	log_debug("poll.collected", "vcenter=%s type=VirtualMachine ms=%lld", t->vc.id,
	          (long long)(vc_now_ms() - t0));
	return 0;
}

/* Name of an alarm definition, fetched once per session and cached. */
static const char *alarm_name(struct poll_target *t, const char *moref)
{
	static const char *const paths[] = { "info.name" };
	json_t *cached = json_object_get(t->alarm_names, moref), *props = NULL;

	if (cached)
		return json_string_value(cached);
	if (vc_retrieve_one(t->session, "Alarm", moref, paths, 1, &props))
		return NULL;
	json_object_set_new(t->alarm_names, moref, json_string(inv_str(props, "info.name") ? inv_str(props, "info.name") : moref));
	json_decref(props);
	return json_string_value(json_object_get(t->alarm_names, moref));
}

/* Triggered alarms: the root folder's triggeredAlarmState covers its descendants. */
static json_t *collect_alarms(struct poll_target *t, const struct inv_raw *raw)
{
	static const char *const paths[] = { "triggeredAlarmState" };
	const struct vc_service_content *sc = vc_service_content(t->session);
	json_t *props = NULL, *out = json_array(), *states;

	if (vc_retrieve_one(t->session, "Folder", sc->root_folder, paths, 1, &props)) {
		log_warn("poll.alarms", "vcenter=%s error=%s", t->vc.id, log_q(vc_errstr(t->session)));
		return out;
	}
	states = json_object_get(props, "triggeredAlarmState");
	for (size_t i = 0; i < inv_count(states); i++) {
		json_t *a = inv_at(states, i), *rec = json_object();
		const char *entity = inv_mor(json_object_get(a, "entity"));
		const char *alarm = inv_mor(json_object_get(a, "alarm"));
		inv_set_str(rec, "moref", inv_str(a, "key"));
		inv_set_str(rec, "name", alarm ? alarm_name(t, alarm) : NULL);
		inv_set_str(rec, "alarm", alarm);
		inv_set_str(rec, "entity", entity);
		inv_set_str(rec, "entity_name", inv_name_of(raw, entity));
		inv_set_str(rec, "status", inv_str(a, "overallStatus"));
		inv_set_str(rec, "time", inv_str(a, "time"));
		json_object_set_new(rec, "acknowledged", json_boolean(inv_bool(a, "acknowledged") == 1));
		inv_set_str(rec, "acknowledged_by", inv_str(a, "acknowledgedByUser"));
		json_object_set_new(rec, "vcenter", json_string(t->vc.id));
		json_array_append_new(out, rec);
	}
	json_decref(props);
	return out;
}

/* The CustomFieldsManager's moref comes from the full ServiceContent (vc.h keeps
 * only the managers the client itself needs); fetched once per session. */
static const char *fields_manager(struct poll_target *t)
{
	json_t *sc = NULL;

	if (t->fields_mgr[0])
		return t->fields_mgr;
	if (vc_call(t->session, "RetrieveServiceContent",
	            "<_this type=\"ServiceInstance\">ServiceInstance</_this>", &sc))
		return NULL;
	snprintf(t->fields_mgr, sizeof(t->fields_mgr), "%s",
	         inv_mor(json_object_get(sc, "customFieldsManager")) ?
	         inv_mor(json_object_get(sc, "customFieldsManager")) : "");
	json_decref(sc);
	return t->fields_mgr[0] ? t->fields_mgr : NULL;
}

/* Custom attribute names (CustomFieldsManager.field) into raw->fields: key -> name.
 * A failure only costs the names (records then show the numeric keys). */
static void collect_fields(struct poll_target *t, struct inv_raw *raw)
{
	static const char *const paths[] = { "field" };
	const char *mgr = fields_manager(t);
	json_t *props = NULL, *defs;

	if (!mgr || vc_retrieve_one(t->session, "CustomFieldsManager", mgr, paths, 1, &props)) {
		log_warn("poll.custom_fields", "vcenter=%s error=%s", t->vc.id,
		         log_q(mgr ? vc_errstr(t->session) : "no CustomFieldsManager"));
		return;
	}
	defs = json_object_get(props, "field");
	for (size_t i = 0; i < inv_count(defs); i++)
		inv_raw_add_field(raw, inv_int(inv_at(defs, i), "key", -1),
		                  inv_str(inv_at(defs, i), "name"));
	json_decref(props);
}

/* vSphere tags over the vAPI REST endpoints; a vCenter without them (or a failure)
 * leaves the records without tags and says so in the status ("tags_error"). */
static void collect_tags(struct poll_target *t, int64_t deadline, struct inv_raw *raw,
                         char *tags_err, size_t errlen)
{
	struct tags_endpoint ep = {
		.sdk_url = t->vc.url, .verify_tls = t->vc.verify_tls, .ca_file = t->vc.ca_file,
		.fingerprint = t->vc.fingerprint, .user = t->vc.user, .password_fn = read_password,
		.password_ctx = t, .deadline_ms = deadline, .abort = &t->abort,
	};
	json_t *tags = NULL;
	int64_t t0 = vc_now_ms();

	if (tags_fetch(&ep, &tags, tags_err, errlen)) {
		log_warn("poll.tags", "vcenter=%s error=%s", t->vc.id, log_q(tags_err));
		return;
	}
	inv_raw_set_tags(raw, tags);
	log_debug("poll.tags", "vcenter=%s tags=%zu ms=%lld", t->vc.id,
	          json_array_size(json_object_get(tags, "tags")), (long long)(vc_now_ms() - t0));
	json_decref(tags);
}

static void status_about(json_t *st, const struct poll_target *t)
{
	const struct vc_service_content *sc = t->session ? vc_service_content(t->session) : NULL;

	if (!sc || !sc->about.version[0])
		return;
	json_object_set_new(st, "version", json_string(sc->about.version));
	json_object_set_new(st, "build", json_string(sc->about.build));
	json_object_set_new(st, "full_name", json_string(sc->about.full_name));
	json_object_set_new(st, "api_type", json_string(sc->about.api_type));
	json_object_set_new(st, "instance_uuid", json_string(sc->about.instance_uuid));
}

/* Which collector holds the vCenter's lease, and its fencing token. */
static void status_lease(json_t *st, const struct poll_target *t)
{
	char owner[LEASE_OWNER_MAX + 32];
	long long token;

	if (lease_split(t->fence, owner, sizeof(owner), &token))
		return;
	json_object_set_new(st, "owner", json_string(owner));
	json_object_set_new(st, "lease_token", json_integer(token));
}

/* The status record (docs/inventory.md): outcome, times, retry schedule, counts
 * (after a failure: those of the last success, the records readers still see). */
static json_t *status_json(const struct poll_target *t, const struct poll_result *res,
                           time_t started, const char *tags_err)
{
	json_t *st = json_object();
	time_t next = time(NULL) + (time_t)((res->next_due_ms - vc_now_ms() + 500) / 1000);
	char when[32], next_s[32];

	poll_iso_time(started, when, sizeof(when));
	poll_iso_time(next, next_s, sizeof(next_s));
	json_object_set_new(st, "vcenter", json_string(t->vc.id));
	json_object_set_new(st, "name", json_string(t->vc.name));
	json_object_set_new(st, "url", json_string(t->vc.url));
	json_object_set_new(st, "state", json_string(res->ok ? "ok" : t->last_success[0] ? "stale" : "error"));
	json_object_set_new(st, "last_attempt", json_string(when));
	inv_set_str(st, "last_success", t->last_success[0] ? t->last_success : NULL);
	json_object_set_new(st, "duration_ms", json_integer(res->duration_ms));
	inv_set_str(st, "error", res->ok ? NULL : res->error);
	inv_set_str(st, "error_code", res->ok ? NULL : vc_strerror(res->code));
	json_object_set_new(st, "failures", json_integer(res->failures));
	json_object_set_new(st, "next_attempt", json_string(next_s));
	json_object_set_new(st, "retry_in_s", json_integer((res->next_due_ms - vc_now_ms() + 500) / 1000));
	json_object_set_new(st, "interval", json_integer(t->vc.interval));
	inv_set_str(st, "tags_error", tags_err && tags_err[0] ? tags_err : NULL);
	json_object_set(st, "counts", t->last_counts);
	status_lease(st, t);
	status_about(st, t);
	return st;
}

/* v's compact JSON text into out (emptied first), written by jansson's dump callback
 * straight into the buffer: json_dumps() grows a string of its own and copies it
 * once more at the end, for tens of MB per poll. */
static int dump_into(struct buf *out, const json_t *v)
{
	buf_reset(out);
	return inv_dump_append(out, v);
}

static int put_text(struct store_batch *b, const char *vcenter, const char *type,
                    const struct buf *text)
{
	char key[128];

	store_key_vc(key, sizeof(key), vcenter, type);
	return store_batch_put_packed(b, key, buf_str(text), text->len, 0);
}

static int put_json(struct store_batch *b, const char *vcenter, const char *type, json_t *v,
                    struct buf *text)
{
	if (dump_into(text, v))
		return -1;
	return put_text(b, vcenter, type, text);
}

/* Whether the JSON text written for type differs from what was written last (and
 * remembers it). The digest is over the very text stored: records are built in a
 * fixed key order, so the same records give the same text, and one serialisation
 * per type serves both the comparison and the write. */
static int changed_since_written(struct poll_target *t, const char *type, const struct buf *text)
{
	unsigned char d[16];
	char hex[33];
	const char *old;

	crypto_generichash(d, sizeof(d), (const unsigned char *)buf_str(text), text->len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	old = json_string_value(json_object_get(t->digests, type));
	if (old && !strcmp(old, hex))
		return 0;
	json_object_set_new(t->digests, type, json_string(hex));
	return 1;
}

/* The cache's "vm" value, joined from its kept texts, when its version moved since
 * the last write (the digest entry remembers the version). 1 when put. */
static int put_cached_vms(struct poll_target *t, struct store_batch *b, const struct inv_cache *c)
{
	char mark[32], key[128];
	const char *old = json_string_value(json_object_get(t->digests, "vm"));
	size_t len;
	char *text;

	snprintf(mark, sizeof(mark), "cache:%llu", (unsigned long long)c->version);
	if (old && !strcmp(old, mark))
		return 0;
	text = inv_cache_vm_text(c, &len);
	if (!text)
		return 0;
	store_key_vc(key, sizeof(key), t->vc.id, "vm");
	store_batch_put_packed(b, key, text, len, 0);
	free(text);
	json_object_set_new(t->digests, "vm", json_string(mark));
	return 1;
}

#define EVENTS_KEEP 2000

/* Moves pending events into the log, newest last, keeping the last EVENTS_KEEP;
 * managed object references become the referenced object's name. */
static int take_events(struct poll_target *t)
{
	size_t i, n = json_array_size(t->pending);
	json_t *e;

	json_array_foreach(t->pending, i, e) {
		for (int k = 0; k < 2; k++) {
			const char *field = k ? "to" : "from";
			const char *m = inv_mor(json_object_get(e, field));
			if (json_is_object(json_object_get(e, field)))
				inv_set_str(e, field, inv_name_of(&t->raw, m) ? inv_name_of(&t->raw, m) : m);
		}
		json_object_set_new(e, "vcenter", json_string(t->vc.id));
	}
	json_array_extend(t->events, t->pending);
	json_array_clear(t->pending);
	while (json_array_size(t->events) > EVENTS_KEEP)
		json_array_remove(t->events, 0);
	return n > 0;
}

/* Puts the VM records, one zstd frame (inv_vms_take_packed), when the frame differs
 * from what was written last: the same records give the same frame, and hashing it
 * reads 17 times fewer bytes than hashing the text. 1 when put. */
static int put_vm_frame_if_changed(struct poll_target *t, struct store_batch *b,
                                   const struct buf *frame)
{
	char key[128];

	if (!changed_since_written(t, "vm", frame))
		return 0;
	store_key_vc(key, sizeof(key), t->vc.id, "vm");
	store_batch_put_frame(b, key, frame->data, frame->len, 0);
	return 1;
}

/* Puts type's text when it differs from what was written last. 1 when put. */
static int put_if_changed(struct poll_target *t, struct store_batch *b, const char *type,
                          const struct buf *text)
{
	if (!changed_since_written(t, type, text))
		return 0;
	put_text(b, t->vc.id, type, text);
	return 1;
}

/* Writes the record types that changed since the last write, the event log when it
 * grew, the status always; the generation moves only when records or events did,
 * so readers' decoded copies stay valid through quiet cycles. With cache, the VM
 * records in types are the cache's and its kept texts are written; a non-empty
 * vm_frame (a full poll's, inv_vms_take_packed) is written for "vm" instead of types'
 * summaries. */
static int write_out(struct poll_target *t, struct store *s, json_t *types, json_t *status,
                     const struct inv_cache *cache, const struct buf *vm_frame)
{
	struct store_batch *b = store_batch_new(s);
	struct buf text = BUF_INIT;
	const char *type;
	json_t *arr;
	char key[128];
	int changed = 0;

	if (types) {
		json_object_foreach(types, type, arr) {
			if (cache && !strcmp(type, "vm"))
				changed += put_cached_vms(t, b, cache);
			else if (vm_frame->len && !strcmp(type, "vm"))
				changed += put_vm_frame_if_changed(t, b, vm_frame);
			else if (dump_into(&text, arr) == 0)
				changed += put_if_changed(t, b, type, &text);
		}
	}
	if (take_events(t)) {
		put_json(b, t->vc.id, "events", t->events, &text);
		changed++;
	}
	put_json(b, t->vc.id, "status", status, &text);
	buf_free(&text);
	if (changed) {
		store_key_gen(key, sizeof(key), t->vc.id);
		store_batch_incr(b, key);
	}
	if (t->fence[0]) {
		lease_key(key, sizeof(key), t->vc.id);
		store_batch_fence(b, key, t->fence);
	}
	if (store_batch_exec(b)) {
		if (s->err == STORE_EFENCED)
			log_warn("lease.fenced", "vcenter=%s error=%s", t->vc.id, log_q(s->errstr));
		else
			log_error("poll.write", "vcenter=%s error=%s", t->vc.id, log_q(s->errstr));
		json_object_clear(t->digests);   /* unknown state: write everything next time */
		return -1;
	}
	return 0;
}

/* Errors after which the session is not worth keeping. A canceled poll keeps its
 * session: shutdown logs it out. */
static int is_session_error(enum vc_err e)
{
	return e == VC_ECONNECT || e == VC_ETLS || e == VC_EPIN || e == VC_ETIMEOUT ||
	       e == VC_EFAULT_AUTH || e == VC_EFAULT_LOGIN || e == VC_EPARSE || e == VC_EHTTP;
}

static int64_t jitter(int64_t ms)
{
	return ms + (int64_t)(random() % (ms / 5 + 1)) - ms / 10;
}

int64_t poll_next_due(int interval_s, int failures, enum vc_err code, int64_t now_ms)
{
	int64_t interval = (int64_t)interval_s * 1000, delay;
	int shift = failures > 9 ? 9 : failures - 1;

	if (failures <= 0)
		return now_ms + jitter(interval);
	if (code == VC_EFAULT_LOGIN) {
		delay = interval << shift;
	} else {
		delay = (int64_t)POLL_RETRY_FIRST_MS << shift;
		if (delay > interval)
			delay = interval;
	}
	if (delay > POLL_RETRY_MAX_MS)
		delay = POLL_RETRY_MAX_MS;
	return now_ms + jitter(delay);
}

/* The records after an incremental cycle: only the VMs that changed, or that name an
 * object whose name or place changed, are rebuilt (every VM after a full retrieval,
 * which may bring new tags and custom field names); the rest is built from the model. */
static json_t *build_from_cache(struct poll_target *t, int full)
{
	json_t *vms = NULL, *refs = NULL, *types;
	int64_t t0 = vc_now_ms();
	size_t built;

	incr_take_changes(&t->incr, &vms, &refs);
	built = inv_cache_update(&t->cache, &t->raw, vms, refs, full, t->vc.id, t->vc.name);
	json_decref(vms);
	json_decref(refs);
	types = inv_cache_build(&t->cache, &t->raw, t->vc.id, t->vc.name);
	log_debug("poll.built", "vcenter=%s vm_records=%zu ms=%lld", t->vc.id, built,
	          (long long)(vc_now_ms() - t0));
	return types;
}

/* The incremental cycle: a full retrieval through the filters' initial update when
 * none is active or full_interval passed (tags and custom fields are refreshed
 * then), otherwise one WaitForUpdatesEx round. Returns the rebuilt records, or NULL
 * when nothing changed (*failed = 0) or on failure (*failed = 1, res filled). */
static json_t *poll_collect_incr(struct poll_target *t, int64_t deadline, struct poll_result *res,
                                 char *tags_err, size_t errlen, int *failed)
{
	int full = !t->incr.active || vc_now_ms() >= t->full_due_ms, n = 0;

	*failed = 1;
	if (ensure_session(t, deadline, res))
		return NULL;
	if (!full && (n = incr_poll(&t->incr, t->session, &t->raw, t->pending, 0)) < 0) {
		log_warn("poll.incr_failed", "vcenter=%s error=%s fallback=full", t->vc.id,
		         log_q(vc_errstr(t->session)));
		full = 1;
	}
	if (full) {
		incr_stop(&t->incr, t->session);
		inv_raw_free(&t->raw);
		inv_raw_init(&t->raw);
		if (incr_start(&t->incr, t->session, &t->raw, (size_t)t->page_size)) {
			res->code = vc_errcode(t->session);
			snprintf(res->error, sizeof(res->error), "initial update: %s", vc_errstr(t->session));
			if (res->code != VC_EFAULT_AUTH && res->code != VC_EFAULT_LOGIN) {
				/* the vCenter may fail the updates filter itself (the govmomi
				 * simulator does past ~15,000 VMs): poll_run() tries a plain full
				 * retrieval at once, and keeps to them until full_interval passes
				 * if that works */
				t->incr_retry_ms = vc_now_ms() + (int64_t)t->full_interval_s * 1000;
				log_warn("poll.incr_unavailable", "vcenter=%s error=%s fallback=full retry_s=%d",
				         t->vc.id, log_q(vc_errstr(t->session)), t->full_interval_s);
			}
			return NULL;
		}
		collect_fields(t, &t->raw);
		collect_tags(t, deadline, &t->raw, tags_err, errlen);
		t->full_due_ms = vc_now_ms() + (int64_t)t->full_interval_s * 1000;
		t->full_polls++;
	} else {
		t->incr_polls++;
	}
	*failed = 0;
	log_debug("poll.incr", "vcenter=%s full=%d changed=%d", t->vc.id, full, n);
	if (!full && n == 0)
		return NULL;
	return build_from_cache(t, full);
}

/* Collects everything and builds the record arrays; NULL (res filled) on failure.
 * The VMs' chunks are requested first and parsed last: their records are built on
 * arrival and need the other types, custom field names and tags, and are serialised
 * and packed at once into vm_frame (one zstd frame): the "vm" array of the result
 * holds only their summaries (inv.h). */
static json_t *poll_collect(struct poll_target *t, int64_t deadline, struct inv_raw *raw,
                            struct poll_result *res, char *tags_err, size_t errlen,
                            struct buf *vm_frame)
{
	struct inv_vms vms;
	struct collect_ctx c = { raw, "vm", &vms };
	const struct vc_sink *sink;
	struct vc_bulk *bulk;
	json_t *types = NULL;
	void *reader;
	int64_t t0;

	if (ensure_session(t, deadline, res) || !(bulk = collect_vms_start(t, &c, res)))
		return NULL;
	if (collect_all(t, raw, res)) {
		vc_bulk_free(bulk);
		return NULL;
	}
	collect_fields(t, raw);
	collect_tags(t, deadline, raw, tags_err, errlen);
	inv_vms_init(&vms, raw, t->vc.id, t->vc.name);
	inv_vms_pack(&vms);
	sink = inv_vms_sink(&vms, &reader);     /* no VM is built as JSON */
	vc_bulk_set_sink(bulk, sink, reader);
	if (collect_vms_finish(t, bulk, res) == 0) {
		t0 = vc_now_ms();
		types = inv_build_streamed(raw, &vms);
		if (inv_vms_take_packed(&vms, vm_frame)) {
			/* nothing to write for "vm" (its array holds only summaries) */
			res->code = VC_EINVAL;
			snprintf(res->error, sizeof(res->error), "compressing the VM records failed (zstd)");
			json_decref(types);
			inv_vms_free(&vms);
			return NULL;
		}
		log_debug("poll.built", "vcenter=%s ms=%lld", t->vc.id, (long long)(vc_now_ms() - t0));
		json_object_set_new(types, "alarm", collect_alarms(t, raw));
	}
	inv_vms_free(&vms);
	return types;
}

/* The incremental poll: the records when anything changed, else an object holding
 * only the alarms (looked at every cycle: they change without inventory changes);
 * NULL on failure. */
static json_t *poll_incremental(struct poll_target *t, int64_t deadline, struct poll_result *res,
                                char *tags_err, size_t errlen)
{
	int failed;
	json_t *types = poll_collect_incr(t, deadline, res, tags_err, errlen, &failed);

	if (failed)
		return NULL;
	if (!types)
		types = json_object();
	json_object_set_new(types, "alarm", collect_alarms(t, &t->raw));
	return types;
}

/* vcenter.down when a poll fails after a success, vcenter.up on the way back. */
static void note_reachability(struct poll_target *t, const struct poll_result *res)
{
	char when[32];

	if (t->was_ok >= 0 && t->was_ok != res->ok) {
		poll_iso_time(time(NULL), when, sizeof(when));
		json_array_append_new(t->pending, json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:s?}",
		        "time", when, "kind", res->ok ? "vcenter.up" : "vcenter.down", "type", "vcenter",
		        "moref", t->vc.id, "name", t->vc.name ? t->vc.name : t->vc.id, "from",
		        "to", res->ok ? NULL : res->error));
	}
	t->was_ok = res->ok;
}

static void remember_counts(struct poll_target *t, const json_t *types)
{
	const char *type;
	json_t *arr;

	json_object_clear(t->last_counts);
	json_object_foreach((json_t *)types, type, arr)
		json_object_set_new(t->last_counts, type, json_integer((json_int_t)json_array_size(arr)));
}

void poll_run(struct poll_target *t, struct store *s, struct poll_result *res)
{
	int64_t t0 = vc_now_ms(), deadline = t0 + (int64_t)t->timeout_s * 1000;
	time_t started = time(NULL);
	struct inv_raw raw;
	json_t *types, *status;
	char tags_err[256] = "";
	struct buf vm_frame = BUF_INIT;
	int wrote, incremental;

	memset(res, 0, sizeof(*res));
	t->store = s;
	if (atomic_exchange(&t->taken_over, 0)) {
		poll_target_restore(t, s);       /* continue what the previous holder wrote */
		atomic_store(&t->resync, 1);
	}
	if (atomic_exchange(&t->resync, 0)) {
		json_object_clear(t->digests);   /* the records were deleted: write them all */
		t->full_due_ms = 0;
	}
	inv_raw_init(&raw);
	incremental = t->incremental && vc_now_ms() >= t->incr_retry_ms;
	types = incremental ? poll_incremental(t, deadline, res, tags_err, sizeof(tags_err))
	                    : poll_collect(t, deadline, &raw, res, tags_err, sizeof(tags_err),
	                                   &vm_frame);
	if (!types && incremental && vc_now_ms() < t->incr_retry_ms) {
		/* the updates filter was just refused: a full retrieval instead, now; when
		 * that fails too the vCenter is simply unreachable: no fallback period */
		memset(res, 0, sizeof(*res));
		types = poll_collect(t, deadline, &raw, res, tags_err, sizeof(tags_err), &vm_frame);
		incremental = 0;
		if (!types)
			t->incr_retry_ms = 0;
	}
	if (types && !incremental && t->incremental)
		t->full_polls++;
	if (types) {
		res->ok = 1;
		if (json_object_get(types, "vm"))
			remember_counts(t, types);
		else   /* a quiet incremental cycle: only the alarms were looked at */
			json_object_set_new(t->last_counts, "alarm",
			                    json_integer((json_int_t)json_array_size(json_object_get(types, "alarm"))));
		res->vms = (size_t)json_integer_value(json_object_get(t->last_counts, "vm"));
		res->hosts = (size_t)json_integer_value(json_object_get(t->last_counts, "host"));
		poll_iso_time(started, t->last_success, sizeof(t->last_success));
	} else if (t->session && is_session_error(res->code)) {
		drop_session(t, 0);
	}
	res->duration_ms = vc_now_ms() - t0;
	note_reachability(t, res);
	res->failures = res->ok ? 0 : t->failures + 1;
	res->next_due_ms = poll_next_due(t->vc.interval, res->failures, res->code, vc_now_ms());
	status = status_json(t, res, started, tags_err);
	/* Generations move only when records change; these say that a poll happened. */
	json_object_set_new(status, "polls", json_integer((json_int_t)++t->polls));
	json_object_set_new(status, "mode", json_string(incremental ? "incremental" : "full"));
	json_object_set_new(status, "full_retrievals", json_integer((json_int_t)t->full_polls));
	json_object_set_new(status, "incremental_cycles", json_integer((json_int_t)t->incr_polls));
	t0 = vc_now_ms();
	wrote = write_out(t, s, types, status, incremental ? &t->cache : NULL, &vm_frame);
	buf_free(&vm_frame);
	if (wrote && s->err == STORE_EFENCED) {
		/* not a failure of the vCenter: the scheduler gives the target up */
		atomic_store(&t->fenced, 1);
		res->ok = 0;
		res->code = VC_ECANCELED;
		res->failures = t->failures;
		snprintf(res->error, sizeof(res->error), "lease lost: %s", s->errstr);
	} else if (wrote && res->ok) {
		res->ok = 0;
		res->code = VC_EINVAL;
		snprintf(res->error, sizeof(res->error), "writing to Redis failed: %s", s->errstr);
	}
	log_debug("poll.written", "vcenter=%s ms=%lld", t->vc.id, (long long)(vc_now_ms() - t0));
	/* Performance history (perf.c): its own time budget; never changes the outcome. */
	if (res->ok && t->perf_on && t->session)
		perf_after_poll(&t->perf, t->session, s, t->vc.id, types, t->vc.interval, t->timeout_s);
	t->last_code = res->code;
	snprintf(t->last_error, sizeof(t->last_error), "%s", res->error);
	json_decref(status);
	json_decref(types);
	inv_raw_free(&raw);
}

void poll_target_restore(struct poll_target *t, struct store *s)
{
	char key[128], *val = NULL;
	size_t len;
	json_t *st;

	store_key_vc(key, sizeof(key), t->vc.id, "status");
	if (store_get(s, key, &val, &len) != 1)
		return;
	st = json_loadb(val, len, 0, NULL);
	free(val);
	if (json_is_string(json_object_get(st, "last_success")))
		snprintf(t->last_success, sizeof(t->last_success), "%s",
		         json_string_value(json_object_get(st, "last_success")));
	if (json_is_object(json_object_get(st, "counts")))
		json_object_update(t->last_counts, json_object_get(st, "counts"));
	json_decref(st);
	store_key_vc(key, sizeof(key), t->vc.id, "events");
	if (store_get(s, key, &val, &len) != 1)
		return;
	st = json_loadb(val, len, 0, NULL);
	free(val);
	if (json_is_array(st)) {
		json_array_clear(t->events);
		json_array_extend(t->events, st);
	}
	json_decref(st);
}
