/* The admin Settings pages: the vCenter registry (add, edit, remove, test a
 * connection and pin its certificate), the application defaults, and the cache
 * (purge requests to the collector, the data key ids in use). Everything here is
 * admin-only; every change is audited and written through redis/registry.c, which
 * bumps cfg:gen so the collector and other workers follow.
 *
 * POSTs answer htmx with a fragment or HX-Redirect (resp_redirect) and plain forms
 * with a 303, so the pages work without JavaScript. A password typed into a form
 * is never echoed back, logged or audited. */
#include "audit.h"
#include "layout.h"
#include "log.h"
#include "registry.h"
#include "rekey.h"
#include "req.h"
#include "resp.h"
#include "router.h"
#include "seal.h"
#include "server.h"
#include "store.h"
#include "tpl.h"
#include "vc.h"
#include "vc_probe.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTINGS_TEST_TIMEOUT_MS 30000

/* Listed in router.c's tables[] (declared in router.h by the router's owner). */
extern const struct route settings_routes[];

static const char *const modes[] = { "new", "edit", NULL };
static const char *const done_msgs[] = { "added", "saved", "removed", "app", "purge", "resealed", NULL };
static const char *const page_sizes[] = { "25", "50", "100", "250", NULL };

static const struct param_spec settings_params[] = {
	{ .name = "done", .kind = PARAM_ENUM, .choices = done_msgs },
	{ .name = NULL },
};

static const struct param_spec edit_params[] = {
	{ .name = "id", .kind = PARAM_VCENTER },
	{ .name = NULL },
};

/* The vCenter form: save and test share it. */
static const struct param_spec vcenter_params[] = {
	{ .name = "mode", .kind = PARAM_ENUM, .choices = modes },
	{ .name = "id", .kind = PARAM_VCENTER },
	{ .name = "name", .kind = PARAM_STRING, .max = 128 },
	{ .name = "url", .kind = PARAM_STRING, .max = 1024 },
	{ .name = "verify_tls", .kind = PARAM_BOOL },
	{ .name = "ca_file", .kind = PARAM_STRING, .max = 1024 },
	{ .name = "fingerprint", .kind = PARAM_STRING, .max = 128 },
	{ .name = "interval", .kind = PARAM_INT, .min = CFG_INTERVAL_MIN, .max = CFG_INTERVAL_MAX },
	{ .name = "user", .kind = PARAM_STRING, .max = 256 },
	{ .name = "password", .kind = PARAM_STRING, .max = REGISTRY_PASSWORD_MAX - 1 },
	{ .name = "tags", .kind = PARAM_STRING, .max = 1024 },
	{ .name = "pin", .kind = PARAM_STRING, .max = 128 },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

static const struct param_spec remove_params[] = {
	{ .name = "id", .kind = PARAM_VCENTER },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

static const struct param_spec app_params[] = {
	{ .name = "theme", .kind = PARAM_ENUM, .choices = registry_themes },
	{ .name = "accent", .kind = PARAM_ENUM, .choices = registry_accents },
	{ .name = "session_timeout", .kind = PARAM_INT, .min = CFG_SESSION_MIN, .max = CFG_SESSION_MAX },
	{ .name = "page_size", .kind = PARAM_ENUM, .choices = page_sizes },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

static const struct param_spec purge_params[] = {
	{ .name = "id", .kind = PARAM_STRING, .max = CFG_ID_MAX },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

/* ---- helpers */

/* The registry array (new reference), seeded from the file when Redis has none
 * yet (the web tier also seeds at start). NULL on a store error or bad data. */
static json_t *registry_now(struct req *r)
{
	char err[300];
	json_t *arr = NULL;
	int rc = registry_load_json(r->app->store, &arr, err, sizeof(err));

	if (rc == 0 && registry_seed(r->app->store, r->app->cfg, err, sizeof(err)) >= 0)
		rc = registry_load_json(r->app->store, &arr, err, sizeof(err));
	if (rc <= 0) {
		log_error("settings.registry", "error=%s", log_q(rc == 0 ? "registry missing" : err));
		return NULL;
	}
	return arr;
}

static json_t *find_entry(json_t *arr, const char *id)
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o)
		if (!strcmp(json_string_value(json_object_get(o, "id")), id))
			return o;
	return NULL;
}

static const char *const done_text[] = {
	"The vCenter was added; the collector polls it within a minute.",
	"The vCenter was saved; the collector picks up the change within a minute.",
	"The vCenter was removed.",
	"The application settings were saved.",
	"The purge was requested; the collector drops the cached records and polls again.",
	"Sessions, settings and the audit log are sealed with the first key now; the collector re-seals the inventory within seconds.",
};

/* The key ids of this worker's key ring: the first seals, the others only open. */
static json_t *key_ids(struct req *r)
{
	json_t *a = json_array();
	const struct keyring *ring = r->app->store ? r->app->store->ring : NULL;

	for (int i = 0; ring && i < ring->n; i++)
		json_array_append_new(a, json_pack("{s:i,s:s,s:b}", "id", ring->keys[i].id,
		                                   "role", i == 0 ? "writes and reads" : "reads only",
		                                   "first", i == 0));
	return a;
}

static json_t *rows_of(struct req *r, json_t *arr)
{
	json_t *rows = json_array(), *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		json_t *row = json_deep_copy(o);
		const char *id = json_string_value(json_object_get(o, "id"));
		json_t *st = layout_vcenter_state(r, id, json_string_value(json_object_get(o, "name")),
		                                  (int)json_integer_value(json_object_get(o, "interval")));
		json_object_del(row, "password_file");
		json_object_set_new(row, "status", st ? st : json_null());
		json_object_set_new(row, "ui", json_boolean(!strcmp(json_string_value(
		                                   json_object_get(o, "source")), "ui")));
		json_array_append_new(rows, row);
	}
	return rows;
}

/* ---- GET /settings */

static int settings_get(struct req *r)
{
	struct registry_app app;
	json_t *arr = registry_now(r), *d;
	const char *done = req_str(r, "done");
	char err[256];

	if (!arr)
		return router_store_down(r);
	if (registry_load_app(r->app->store, r->app->cfg, &app, err, sizeof(err)) < 0)
		log_warn("settings.app", "error=%s", log_q(err));
	char ps[8];
	snprintf(ps, sizeof(ps), "%d", app.page_size);
	d = json_pack("{s:o,s:o,s:o,s:o,s:i,s:o,s:o,s:b,s:I}",
	              "vcenters", rows_of(r, arr), "themes", layout_choices(registry_themes, app.theme),
	              "accents", layout_choices(registry_accents, app.accent),
	              "page_sizes", layout_choices(page_sizes, ps), "session_timeout", app.session_timeout,
	              "keys", key_ids(r), "done", json_null(), "nav_settings", 1,
	              "gen", (json_int_t)registry_gen(r->app->store));
	json_decref(arr);
	for (size_t i = 0; done && done_msgs[i]; i++)
		if (!strcmp(done, done_msgs[i]))
			json_object_set_new(d, "done", json_string(done_text[i]));
	return page_render(r, "page-settings", d, "Settings");
}

/* ---- the vCenter form */

/* Form data from a registry entry (or an empty new one). */
static json_t *form_from_entry(json_t *e)
{
	json_t *f = json_object(), *tags = json_object_get(e, "tags"), *t;
	struct buf b = BUF_INIT;
	size_t i;

	json_object_update(f, e);
	json_object_del(f, "password_file");
	json_array_foreach(tags, i, t) {
		if (i)
			buf_adds(&b, ", ");
		buf_adds(&b, json_string_value(t));
	}
	json_object_set_new(f, "tags", json_string(buf_str(&b)));
	buf_free(&b);
	return f;
}

static int render_form(struct req *r, int status, const char *mode, json_t *form, json_t *errors,
                       json_t *test, bool has_password)
{
	json_t *d = json_pack("{s:o,s:s,s:b,s:b,s:o,s:o,s:b,s:b,s:i,s:i}",
	                      "form", form, "mode", mode, "editing", !strcmp(mode, "edit"),
	                      "adding", strcmp(mode, "edit") != 0,
	                      "errors", errors ? errors : json_array(), "test", test ? test : json_null(),
	                      "has_password", has_password, "nav_settings", 1,
	                      "interval_min", CFG_INTERVAL_MIN, "interval_max", CFG_INTERVAL_MAX);

	json_object_set_new(d, "has_errors", json_boolean(errors && json_array_size(errors)));
	return page_render_status(r, status, "page-settings-vcenter", d,
	                          strcmp(mode, "edit") ? "Add a vCenter" : "Edit a vCenter");
}

static int vcenter_new(struct req *r)
{
	json_t *f = json_pack("{s:s,s:b,s:i}", "id", "", "verify_tls", 1, "interval",
	                      r->app->cfg->collector.interval);

	return render_form(r, 200, "new", f, NULL, NULL, false);
}

static int vcenter_edit(struct req *r)
{
	const char *id = req_str(r, "id");
	json_t *arr, *e;
	int rc;

	if (!id)
		return resp_error(r, 400, "Bad request", "Say which vCenter to edit (id).");
	if (!(arr = registry_now(r)))
		return router_store_down(r);
	if (!(e = find_entry(arr, id))) {
		json_decref(arr);
		return resp_error(r, 404, "No such vCenter", "That vCenter is not in the registry.");
	}
	rc = render_form(r, 200, "edit", form_from_entry(e), NULL, NULL,
	                 json_string_value(json_object_get(e, "password_file")) == NULL);
	json_decref(arr);
	return rc;
}

/* Splits "a, b ,c" into a JSON array of trimmed, non-empty tags. */
static json_t *split_tags(const char *s)
{
	json_t *a = json_array();

	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t n = end ? (size_t)(end - s) : strlen(s);
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n)
			json_array_append_new(a, json_stringn(s, n));
		s = end ? end + 1 : NULL;
	}
	return a;
}

/* The vCenter object the form describes (without source and password_file). */
static json_t *form_entry(struct req *r)
{
	const char *fp = req_str(r, "fingerprint");

	return json_pack("{s:s,s:s,s:s,s:b,s:s?,s:s?,s:I,s:s,s:o}",
	                 "id", req_str(r, "id") ? req_str(r, "id") : "",
	                 "name", req_str(r, "name") && *req_str(r, "name") ? req_str(r, "name")
	                                                                    : (req_str(r, "id") ? req_str(r, "id") : ""),
	                 "url", req_str(r, "url") ? req_str(r, "url") : "",
	                 "verify_tls", req_bool(r, "verify_tls"),
	                 "ca_file", req_str(r, "ca_file") && *req_str(r, "ca_file") ? req_str(r, "ca_file") : NULL,
	                 "fingerprint", fp && *fp ? fp : NULL,
	                 "interval", (json_int_t)req_int(r, "interval", r->app->cfg->collector.interval),
	                 "user", req_str(r, "user") ? req_str(r, "user") : "",
	                 "tags", split_tags(req_str(r, "tags")));
}

static void add_error(json_t *errors, const char *text)
{
	json_array_append_new(errors, json_string(text));
}

static int vcenter_save(struct req *r)
{
	const char *mode = req_str(r, "mode"), *id = req_str(r, "id"), *pw = req_str(r, "password");
	json_t *arr, *old, *o = form_entry(r), *errors = json_array();
	const char *source = "ui";
	struct cfg_vcenter v;
	char err[300];
	int rc;

	mode = mode ? mode : "new";
	if (!(arr = registry_now(r))) {
		json_decref(o);
		json_decref(errors);
		return router_store_down(r);
	}
	old = id ? find_entry(arr, id) : NULL;
	if (!id)
		add_error(errors, "Id: give a short id (a-z, 0-9, '_' or '-'); it names the vCenter's keys.");
	else if (!strcmp(mode, "new") && old)
		add_error(errors, "Id: a vCenter with this id exists already; choose another id or edit it.");
	else if (!strcmp(mode, "edit") && !old)
		add_error(errors, "Id: this vCenter is no longer in the registry.");
	if (old) {
		source = json_string_value(json_object_get(old, "source"));
		/* A file vCenter keeps its password file until an admin types a password. */
		if (!(pw && *pw) && json_is_string(json_object_get(old, "password_file")))
			json_object_set(o, "password_file", json_object_get(old, "password_file"));
	}
	if (!json_array_size(errors) && registry_vcenter_parse(o, r->app->cfg->collector.interval,
	                                                        &v, NULL, err, sizeof(err)) == 0) {
		rc = registry_save_vcenter(r->app->store, &v, source, pw, err, sizeof(err));
		registry_vcenter_clear(&v);
		if (rc >= 0) {
			audit(r, NULL, rc == 1 ? "settings.vcenter.add" : "settings.vcenter.edit", id, "ok",
			      pw && *pw ? "password changed" : NULL);
			json_decref(arr);
			json_decref(o);
			json_decref(errors);
			resp_redirect(r, rc == 1 ? "/settings?done=added" : "/settings?done=saved");
			return 0;
		}
		if (r->app->store->err != STORE_OK)
			log_error("settings.save", "vcenter=%s error=%s", id, log_q(err));
	}
	if (!json_array_size(errors))
		add_error(errors, err);
	audit(r, NULL, strcmp(mode, "edit") ? "settings.vcenter.add" : "settings.vcenter.edit",
	      id ? id : "", "failed", json_string_value(json_array_get(errors, 0)));
	rc = render_form(r, r->hx ? 200 : 422, mode, form_from_entry(o), errors, NULL,
	                 old && !json_is_string(json_object_get(old, "password_file")));
	json_decref(arr);
	json_decref(o);
	return rc;
}

static int vcenter_remove(struct req *r)
{
	const char *id = req_str(r, "id");
	char err[300];
	int rc;

	if (!id)
		return resp_error(r, 400, "Bad request", "Say which vCenter to remove (id).");
	rc = registry_remove_vcenter(r->app->store, id, err, sizeof(err));
	audit(r, NULL, "settings.vcenter.remove", id, rc > 0 ? "ok" : "failed",
	      rc == 0 ? "not in the registry" : rc < 0 ? err : NULL);
	if (rc < 0)
		return router_store_down(r);
	if (rc == 0)
		return resp_error(r, 404, "No such vCenter", "That vCenter is not in the registry.");
	resp_redirect(r, "/settings?done=removed");
	return 0;
}

/* ---- POST /settings/vcenters/test */

/* The password for a test: the typed one, else the stored one of an existing id
 * (registry secret or its password file). malloc'd; the caller wipes it. */
static char *test_password(struct req *r, char *err, size_t errlen)
{
	const char *pw = req_str(r, "password"), *id = req_str(r, "id");
	const struct cfg_vcenter *fv;
	json_t *arr, *e;
	char *out = NULL;

	if (pw && *pw)
		return strdup(pw);
	if (!id || !(arr = registry_now(r))) {
		snprintf(err, errlen, "type the service account's password to test the login");
		return NULL;
	}
	e = find_entry(arr, id);
	if (e && json_is_string(json_object_get(e, "password_file")))
		out = cfg_read_secret(json_string_value(json_object_get(e, "password_file")), err, errlen);
	else if (e)
		out = registry_password(r->app->store, id, err, errlen);
	else if ((fv = cfg_vcenter_find(r->app->cfg, id)))
		out = cfg_read_secret(fv->password_file, err, errlen);
	else
		snprintf(err, errlen, "type the service account's password to test the login");
	json_decref(arr);
	return out;
}

static bool same_fingerprint(const char *a, const char *b)
{
	while (*a || *b) {
		while (*a == ':')
			a++;
		while (*b == ':')
			b++;
		if ((*a | 0x20) != (*b | 0x20))
			return false;
		if (*a)
			a++;
		if (*b)
			b++;
	}
	return true;
}

/* Login check with the configured trust settings; fills t. */
static void test_login(struct req *r, json_t *t)
{
	const char *fp = req_str(r, "fingerprint"), *ca = req_str(r, "ca_file"), *user = req_str(r, "user");
	struct vc_endpoint ep = {
		.url = req_str(r, "url"), .verify_tls = req_bool(r, "verify_tls"),
		.ca_file = ca && *ca ? ca : NULL, .fingerprint = fp && *fp ? fp : NULL,
		.connect_timeout_ms = 10000, .request_timeout_ms = 20000,
		.deadline_ms = vc_now_ms() + SETTINGS_TEST_TIMEOUT_MS,
	};
	char err[VC_ERRSTR_MAX], *pw;
	struct vc_session *s;
	enum vc_err code;

	if (!(s = vc_session_new_ex(&ep, &code, err, sizeof(err)))) {
		json_object_set_new(t, "connect_error", json_string(err));
		return;
	}
	const struct vc_service_content *sc = vc_service_content(s);
	json_object_set_new(t, "connected", json_true());
	json_object_set_new(t, "product", json_string(sc->about.full_name));
	json_object_set_new(t, "version", json_string(sc->about.version));
	json_object_set_new(t, "build", json_string(sc->about.build));
	if (!user || !*user) {
		json_object_set_new(t, "login_error", json_string("give the service account's user name"));
	} else if (!(pw = test_password(r, err, sizeof(err)))) {
		json_object_set_new(t, "login_error", json_string(err));
	} else {
		if (vc_login(s, user, pw) == 0) {
			json_object_set_new(t, "logged_in", json_true());
			vc_logout(s);
		} else {
			json_object_set_new(t, "login_error", json_string(vc_errstr(s)));
		}
		sodium_memzero(pw, strlen(pw));
		free(pw);
	}
	vc_session_free(s);
}

static int answer_fragment(struct req *r, const char *tpl, json_t *d)
{
	struct buf out = BUF_INIT;
	char err[256];
	int rc = 0;

	if (!r->app->tpl || tpl_render_json(r->app->tpl, tpl, d, &out, err, sizeof(err)) < 0) {
		log_error("settings.render", "template=%s error=%s", tpl, log_q(err));
		rc = -1;
	} else {
		resp_body(r, 200, "text/html; charset=utf-8", buf_str(&out), out.len);
	}
	json_decref(d);
	buf_free(&out);
	return rc;
}

static int vcenter_test(struct req *r)
{
	const char *url = req_str(r, "url"), *pin = req_str(r, "pin"), *fp = req_str(r, "fingerprint");
	const char *mode = req_str(r, "mode") ? req_str(r, "mode") : "new";
	char probe[VC_PROBE_FP_LEN], err[256];
	json_t *t = json_object(), *form;

	if (pin && !cfg_valid_fingerprint(pin))
		pin = NULL;
	if (pin) {
		/* "Pin this certificate": fill the fingerprint field, nothing else. */
		json_object_set_new(t, "pinned", json_string(pin));
		fp = pin;
	} else if (!url || !*url) {
		json_object_set_new(t, "connect_error", json_string("give the vCenter's URL first"));
	} else {
		if (vc_probe_fingerprint(url, probe, err, sizeof(err)) == 0) {
			json_object_set_new(t, "fingerprint", json_string(probe));
			json_object_set_new(t, "fingerprint_matches",
			                    json_boolean(fp && *fp && same_fingerprint(fp, probe)));
		} else {
			json_object_set_new(t, "fingerprint_error", json_string(err));
		}
		test_login(r, t);
	}
	audit(r, NULL, "settings.vcenter.test", req_str(r, "id") ? req_str(r, "id") : "",
	      json_is_true(json_object_get(t, "logged_in")) || pin ? "ok" : "failed",
	      pin ? "pinned certificate" : NULL);
	if (r->hx)
		return answer_fragment(r, "part-settings-test",
		                       json_pack("{s:o,s:s?,s:b}", "test", t, "pin_value", fp, "htmx", 1));
	/* Without JavaScript: the form again, with the results (the password is not echoed). */
	form = form_entry(r);
	json_object_set_new(form, "fingerprint", json_string(fp ? fp : ""));
	json_t *shown = form_from_entry(form);
	json_decref(form);
	return render_form(r, 200, mode, shown, NULL, t, false);
}

/* ---- POST /settings/app and /settings/cache/purge */

static int app_save(struct req *r)
{
	struct registry_app a;
	char err[256], detail[128];

	registry_load_app(r->app->store, r->app->cfg, &a, err, sizeof(err));
	if (req_str(r, "theme"))
		snprintf(a.theme, sizeof(a.theme), "%s", req_str(r, "theme"));
	if (req_str(r, "accent"))
		snprintf(a.accent, sizeof(a.accent), "%s", req_str(r, "accent"));
	a.session_timeout = (int)req_int(r, "session_timeout", a.session_timeout);
	if (req_str(r, "page_size"))
		a.page_size = atoi(req_str(r, "page_size"));
	snprintf(detail, sizeof(detail), "theme=%s accent=%s session_timeout=%d page_size=%d",
	         a.theme, a.accent, a.session_timeout, a.page_size);
	if (registry_save_app(r->app->store, &a, err, sizeof(err)) < 0) {
		audit(r, NULL, "settings.app", "app", "failed", err);
		return router_store_down(r);
	}
	audit(r, NULL, "settings.app", "app", "ok", detail);
	resp_redirect(r, "/settings?done=app");
	return 0;
}

static int cache_purge(struct req *r)
{
	const char *id = req_str(r, "id"), **ids = NULL;
	json_t *arr = NULL;
	char err[300];
	size_t n = 0;
	int rc;

	if (!id || (strcmp(id, "all") && !cfg_valid_id(id)))
		return resp_error(r, 400, "Bad request", "Say which vCenter to purge (id or \"all\").");
	if (!(arr = registry_now(r)))
		return router_store_down(r);
	if (strcmp(id, "all") && !find_entry(arr, id)) {
		json_decref(arr);
		return resp_error(r, 404, "No such vCenter", "That vCenter is not in the registry.");
	}
	ids = arena_alloc(&r->arena, (json_array_size(arr) + 1) * sizeof(*ids));
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *vid = json_string_value(json_object_get(json_array_get(arr, i), "id"));
		if (!strcmp(id, "all") || !strcmp(id, vid))
			ids[n++] = vid;
	}
	rc = registry_request_purge(r->app->store, ids, n, r->now, err, sizeof(err));
	audit(r, NULL, "settings.cache.purge", id, rc ? "failed" : "ok", rc ? err : NULL);
	json_decref(arr);
	if (rc)
		return router_store_down(r);
	resp_redirect(r, "/settings?done=purge");
	return 0;
}

/* ---- data keys: which key sealed what, and re-sealing after a rotation */

/* The patterns the census covers: everything the web user may read. */
static const char *const census_patterns[] = { "vc:*", "cfg:*", "sess:*", "pref:*", "audit:*", "cmd:*" };

static const struct param_spec reseal_params[] = {
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

/* GET /settings/keys: a fragment (loaded by the Settings page) with the values in
 * Redis per key id and whether an old key may be retired. */
static int keys_census(struct req *r)
{
	struct rekey_census c;
	int first = rekey_first_id(r->app->store);
	json_t *ids = json_array();
	unsigned long stale;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < sizeof(census_patterns) / sizeof(census_patterns[0]); i++) {
		if (rekey_census(r->app->store, census_patterns[i], &c)) {
			json_decref(ids);
			return router_store_down(r);
		}
	}
	for (int id = 1; id < 256; id++)
		if (c.by_id[id] || id == first)
			json_array_append_new(ids, json_pack("{s:i,s:I,s:b}", "id", id, "values",
			                                     (json_int_t)c.by_id[id], "first", id == first));
	stale = rekey_census_stale(&c, first);
	return page_render(r, "part-settings-keys", json_pack("{s:o,s:I,s:I,s:I,s:b}", "ids", ids,
	                   "stale", (json_int_t)stale, "plain", (json_int_t)c.plain,
	                   "keys", (json_int_t)c.keys, "retirable", stale == 0), "Data keys");
}

/* POST /settings/keys/reseal: the web tier's values re-sealed now, the collector
 * asked to re-seal the inventory (cmd:reseal). */
static int keys_reseal(struct req *r)
{
	unsigned long done = 0;
	int rc = rekey_web(r->app->store, &done);
	char detail[64];

	snprintf(detail, sizeof(detail), "keys=%lu first=%d", done, rekey_first_id(r->app->store));
	audit(r, NULL, "settings.keys.reseal", "all", rc ? "failed" : "ok", detail);
	if (rc)
		return router_store_down(r);
	resp_redirect(r, "/settings?done=resealed");
	return 0;
}

const struct route settings_routes[] = {
	{ "/settings", REQ_GET, settings_get, ROUTE_LOGIN | ROUTE_ADMIN, settings_params },
	{ "/settings/vcenters/new", REQ_GET, vcenter_new, ROUTE_LOGIN | ROUTE_ADMIN, NULL },
	{ "/settings/vcenters/edit", REQ_GET, vcenter_edit, ROUTE_LOGIN | ROUTE_ADMIN, edit_params },
	{ "/settings/vcenters/save", REQ_POST, vcenter_save, ROUTE_LOGIN | ROUTE_ADMIN, vcenter_params },
	{ "/settings/vcenters/remove", REQ_POST, vcenter_remove, ROUTE_LOGIN | ROUTE_ADMIN, remove_params },
	{ "/settings/vcenters/test", REQ_POST, vcenter_test, ROUTE_LOGIN | ROUTE_ADMIN, vcenter_params },
	{ "/settings/app", REQ_POST, app_save, ROUTE_LOGIN | ROUTE_ADMIN, app_params },
	{ "/settings/cache/purge", REQ_POST, cache_purge, ROUTE_LOGIN | ROUTE_ADMIN, purge_params },
	{ "/settings/keys", REQ_GET, keys_census, ROUTE_LOGIN | ROUTE_ADMIN, NULL },
	{ "/settings/keys/reseal", REQ_POST, keys_reseal, ROUTE_LOGIN | ROUTE_ADMIN, reseal_params },
	{ NULL, 0, NULL, 0, NULL },
};
