/* One poll of one vCenter (see poll.h). Everything a poll fetches is bounded by the
 * configured timeout through the session's absolute deadline; a failure keeps the
 * previous records in Redis (readers keep showing them, marked stale by status). */
#include "poll.h"
#include "inv.h"
#include "log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATUS_TTL 0

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
	t->timeout_s = c->collector.timeout;
	t->alarm_names = json_object();
	return t;
}

static void drop_session(struct poll_target *t, int logout)
{
	if (t->session && logout) {
		vc_session_set_deadline(t->session, vc_now_ms() + 2000);
		vc_logout(t->session);
	}
	vc_session_free(t->session);
	t->session = NULL;
	json_object_clear(t->alarm_names);
}

void poll_target_free(struct poll_target *t)
{
	if (!t)
		return;
	drop_session(t, 1);
	json_decref(t->alarm_names);
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
	char *pw = cfg_read_secret(t->vc.password_file, err, sizeof(err));
	size_t n;

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

static int ensure_session(struct poll_target *t, int64_t deadline, const atomic_int *abort,
                          struct poll_result *res)
{
	struct vc_endpoint ep = {
		.url = t->vc.url, .verify_tls = t->vc.verify_tls, .ca_file = t->vc.ca_file,
		.fingerprint = t->vc.fingerprint, .deadline_ms = deadline, .abort = abort,
	};
	char err[256];

	if (t->session) {
		vc_session_set_deadline(t->session, deadline);
		return 0;
	}
	t->session = vc_session_new(&ep, err, sizeof(err));
	if (!t->session) {
		res->code = VC_ECONNECT;
		snprintf(res->error, sizeof(res->error), "%s", err);
		return -1;
	}
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
};

static int on_object(void *ctx, const char *moref, json_t *props)
{
	struct collect_ctx *c = ctx;

	inv_raw_add(c->raw, c->bucket, moref, props);
	return 0;
}

static int collect_all(struct poll_target *t, struct inv_raw *raw, struct poll_result *res)
{
	for (size_t i = 0; i < inv_nspecs; i++) {
		const struct inv_spec *sp = &inv_specs[i];
		struct collect_ctx c = { raw, sp->bucket };
		int64_t t0 = vc_now_ms();
		if (vc_collect(t->session, sp->vim_type, sp->paths, sp->npaths, (size_t)t->page_size,
		               on_object, &c)) {
			res->code = vc_errcode(t->session);
			snprintf(res->error, sizeof(res->error), "collecting %s: %s", sp->vim_type,
			         vc_errstr(t->session));
			return -1;
		}
		log_debug("poll.collected", "vcenter=%s type=%s objects=%zu ms=%lld", t->vc.id,
		          sp->vim_type, json_object_size(json_object_get(raw->buckets, sp->bucket)),
		          (long long)(vc_now_ms() - t0));
	}
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

static json_t *status_json(const struct poll_target *t, const struct poll_result *res,
                           time_t started, const json_t *types)
{
	const struct vc_service_content *sc = t->session ? vc_service_content(t->session) : NULL;
	json_t *st = json_object(), *counts = json_object(), *arr;
	const char *type;
	char when[32];

	poll_iso_time(started, when, sizeof(when));
	json_object_set_new(st, "vcenter", json_string(t->vc.id));
	json_object_set_new(st, "name", json_string(t->vc.name));
	json_object_set_new(st, "url", json_string(t->vc.url));
	json_object_set_new(st, "state", json_string(res->ok ? "ok" : t->last_success[0] ? "stale" : "error"));
	json_object_set_new(st, "last_attempt", json_string(when));
	inv_set_str(st, "last_success", t->last_success[0] ? t->last_success : NULL);
	json_object_set_new(st, "duration_ms", json_integer(res->duration_ms));
	inv_set_str(st, "error", res->ok ? NULL : res->error);
	inv_set_str(st, "error_code", res->ok ? NULL : vc_strerror(res->code));
	json_object_set_new(st, "interval", json_integer(t->vc.interval));
	json_object_foreach((json_t *)types, type, arr)
		json_object_set_new(counts, type, json_integer((json_int_t)json_array_size(arr)));
	json_object_set_new(st, "counts", counts);
	if (sc && sc->about.version[0]) {
		json_object_set_new(st, "version", json_string(sc->about.version));
		json_object_set_new(st, "build", json_string(sc->about.build));
		json_object_set_new(st, "full_name", json_string(sc->about.full_name));
		json_object_set_new(st, "api_type", json_string(sc->about.api_type));
		json_object_set_new(st, "instance_uuid", json_string(sc->about.instance_uuid));
	}
	return st;
}

static int put_json(struct store_batch *b, const char *vcenter, const char *type, json_t *v)
{
	char key[128];
	char *text = json_dumps(v, JSON_COMPACT);
	int rc;

	if (!text)
		return -1;
	store_key_vc(key, sizeof(key), vcenter, type);
	rc = store_batch_put(b, key, text, strlen(text), 0);
	free(text);
	return rc;
}

/* Writes records (NULL after a failure: status only), status and generation. */
static int write_out(struct poll_target *t, struct store *s, json_t *types, json_t *status)
{
	struct store_batch *b = store_batch_new(s);
	const char *type;
	json_t *arr;
	char key[128];

	if (types)
		json_object_foreach(types, type, arr)
			put_json(b, t->vc.id, type, arr);
	put_json(b, t->vc.id, "status", status);
	store_key_gen(key, sizeof(key), t->vc.id);
	store_batch_incr(b, key);
	if (store_batch_exec(b)) {
		log_error("poll.write", "vcenter=%s error=%s", t->vc.id, log_q(s->errstr));
		return -1;
	}
	return 0;
}

static int is_session_error(enum vc_err e)
{
	return e == VC_ECONNECT || e == VC_ETLS || e == VC_EPIN || e == VC_ETIMEOUT ||
	       e == VC_EFAULT_AUTH || e == VC_EFAULT_LOGIN || e == VC_ECANCELED || e == VC_EPARSE;
}

void poll_run(struct poll_target *t, struct store *s, const atomic_int *abort,
              struct poll_result *res)
{
	int64_t t0 = vc_now_ms(), deadline = t0 + (int64_t)t->timeout_s * 1000;
	time_t started = time(NULL);
	struct inv_raw raw;
	json_t *types = NULL, *status;

	memset(res, 0, sizeof(*res));
	inv_raw_init(&raw);
	if (ensure_session(t, deadline, abort, res) == 0 && collect_all(t, &raw, res) == 0) {
		types = inv_build(&raw, t->vc.id, t->vc.name);
		json_object_set_new(types, "alarm", collect_alarms(t, &raw));
		res->ok = 1;
		res->vms = json_array_size(json_object_get(types, "vm"));
		res->hosts = json_array_size(json_object_get(types, "host"));
	}
	res->duration_ms = vc_now_ms() - t0;
	if (res->ok)
		poll_iso_time(started, t->last_success, sizeof(t->last_success));
	else if (t->session && is_session_error(res->code))
		drop_session(t, 0);
	status = status_json(t, res, started, types ? types : json_object());
	if (write_out(t, s, types, status) && res->ok) {
		res->ok = 0;
		res->code = VC_EINVAL;
		snprintf(res->error, sizeof(res->error), "writing to Redis failed: %s", s->errstr);
	}
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
	json_decref(st);
}
