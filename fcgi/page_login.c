/* GET/POST /login and POST /logout. A login checks the user's credentials
 * against every chosen vCenter in parallel (SessionManager.Login, one thread per
 * vCenter, at most LOGIN_PARALLEL at a time, each bounded by LOGIN_TIMEOUT_MS);
 * the session keeps only the vCenters that accepted, with their session cookies.
 * The password is wiped as soon as the checks are done and never logged. */
#include "router.h"
#include "audit.h"
#include "layout.h"
#include "req.h"
#include "resp.h"
#include "server.h"
#include "session.h"
#include "cfg.h"
#include "log.h"
#include "store.h"
#include "tpl.h"
#include "vc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define LOGIN_PARALLEL 16
#define LOGIN_TIMEOUT_MS 15000
#define LOGIN_GENERIC "Sign-in failed. Check your user name, password and the vCenters " \
	"you chose, then try again."

const struct param_spec page_login_params[] = {
	{ .name = "username", .kind = PARAM_STRING, .max = 256 },
	{ .name = "password", .kind = PARAM_STRING, .max = VC_PASSWORD_MAX - 1 },
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

/* One vCenter's part of a login or logout, run on its own thread. */
struct vc_job {
	const struct cfg_vcenter *vc;
	const char *user, *password;     /* login: borrowed from the request */
	char cookie[VC_COOKIE_MAX + 1];  /* in: logout; out: login; wiped after use */
	enum vc_err code;
	char err[VC_ERRSTR_MAX];
	int ok;
};

static struct vc_session *job_session(struct vc_job *j)
{
	struct vc_endpoint ep = {
		.url = j->vc->url, .verify_tls = j->vc->verify_tls, .ca_file = j->vc->ca_file,
		.fingerprint = j->vc->fingerprint, .connect_timeout_ms = 5000,
		.request_timeout_ms = LOGIN_TIMEOUT_MS,
		.deadline_ms = vc_now_ms() + LOGIN_TIMEOUT_MS,
	};
	struct vc_session *s = vc_session_new(&ep, j->err, sizeof(j->err));

	if (!s)
		j->code = VC_ECONNECT;
	return s;
}

static void *login_one(void *arg)
{
	struct vc_job *j = arg;
	struct vc_session *s = job_session(j);
	const char *cookie;

	if (!s)
		return NULL;
	if (vc_login(s, j->user, j->password) == 0 && (cookie = vc_session_cookie(s)) &&
	    strlen(cookie) <= VC_COOKIE_MAX) {
		snprintf(j->cookie, sizeof(j->cookie), "%s", cookie);
		j->ok = 1;
	} else {
		j->code = vc_errcode(s);
		snprintf(j->err, sizeof(j->err), "%s", vc_errstr(s));
	}
	vc_session_free(s);
	return NULL;
}

static void *logout_one(void *arg)
{
	struct vc_job *j = arg;
	struct vc_session *s = job_session(j);

	if (!s)
		return NULL;
	if (vc_session_set_cookie(s, j->cookie) == 0 && vc_logout(s) == 0)
		j->ok = 1;
	else
		snprintf(j->err, sizeof(j->err), "%s", vc_errstr(s));
	vc_session_free(s);
	return NULL;
}

/* Runs fn over jobs, LOGIN_PARALLEL threads at a time (inline if a thread fails). */
static void run_jobs(struct vc_job *jobs, size_t n, void *(*fn)(void *))
{
	pthread_t th[LOGIN_PARALLEL];
	int started[LOGIN_PARALLEL];

	for (size_t base = 0; base < n; base += LOGIN_PARALLEL) {
		size_t m = n - base < LOGIN_PARALLEL ? n - base : LOGIN_PARALLEL;
		for (size_t i = 0; i < m; i++) {
			started[i] = pthread_create(&th[i], NULL, fn, &jobs[base + i]) == 0;
			if (!started[i])
				fn(&jobs[base + i]);
		}
		for (size_t i = 0; i < m; i++)
			if (started[i])
				pthread_join(th[i], NULL);
	}
}

static void wipe_jobs(struct vc_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sodium_memzero(jobs[i].cookie, sizeof(jobs[i].cookie));
}

static void html_attr(struct buf *b, const char *s)
{
	buf_add_html(b, s, strlen(s));
}

/* The login form without templates, so an operator can still sign in while the
 * template folder is broken. Same field names as page-login.mustache. */
static void login_builtin(struct req *r, int status, const json_t *d)
{
	struct buf b = BUF_INIT;
	const char *err = json_string_value(json_object_get(d, "error"));
	json_t *v;
	size_t i;

	buf_adds(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	             "<title>Sign in - vCompanion</title></head><body><main><h1>Sign in</h1>");
	if (err) {
		buf_adds(&b, "<p class=\"error\" role=\"alert\">");
		html_attr(&b, err);
		buf_adds(&b, "</p>");
	}
	buf_adds(&b, "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" value=\"");
	html_attr(&b, json_string_value(json_object_get(d, "csrf")));
	buf_adds(&b, "\"><label>User name <input name=\"username\" autocomplete=\"username\" value=\"");
	html_attr(&b, json_string_value(json_object_get(d, "username")));
	buf_adds(&b, "\"></label><label>Password <input type=\"password\" name=\"password\" "
	             "autocomplete=\"current-password\"></label><fieldset><legend>vCenters</legend>");
	json_array_foreach(json_object_get(d, "vcenters"), i, v) {
		buf_adds(&b, "<label><input type=\"checkbox\" name=\"vcenter\" value=\"");
		html_attr(&b, json_string_value(json_object_get(v, "id")));
		buf_adds(&b, json_is_true(json_object_get(v, "checked")) ? "\" checked> " : "\"> ");
		html_attr(&b, json_string_value(json_object_get(v, "name")));
		buf_adds(&b, " (");
		html_attr(&b, json_string_value(json_object_get(v, "state")));
		buf_adds(&b, ")</label>");
	}
	buf_adds(&b, "</fieldset><button type=\"submit\">Sign in</button></form></main></body></html>\n");
	resp_body(r, status, "text/html; charset=utf-8", buf_str(&b), b.len);
	buf_free(&b);
}

static bool chosen(const char *const *ids, size_t n, const char *id)
{
	if (n == 0)
		return true;   /* first visit: every vCenter ticked */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return true;
	return false;
}

/* Answers the login form with status and an optional error message. */
static int login_form(struct req *r, int status, const char *error)
{
	const struct cfg *cfg = r->app->cfg;
	const char *const *ids;
	size_t n_ids = req_multi(r, "vcenter", &ids);
	const char *user = req_str(r, "username");
	const char *csrf = session_pre_issue(r);
	json_t *d, *list = json_array();

	if (!csrf)
		return router_store_down(r);
	for (size_t i = 0; i < cfg->n_vcenters; i++) {
		const struct cfg_vcenter *vc = &cfg->vcenters[i];
		json_t *v = layout_vcenter_state(r, vc->id, vc->name, vc->interval);
		bool on = chosen(ids, n_ids, vc->id);
		json_object_set_new(v, "checked", json_boolean(on));
		json_object_set_new(v, "unchecked", json_boolean(!on));
		json_array_append_new(list, v);
	}
	d = json_pack("{s:s,s:s,s:o,s:o}", "csrf", csrf, "username", user ? user : "",
	              "error", error ? json_string(error) : json_null(), "vcenters", list);
	if (tpl_set_get(r->app->tpl, "page-login")) {
		if (page_render_doc(r, status, "page-login", d, "Sign in") == 0)
			return 0;
		buf_reset(&r->head);
		resp_header(r, "Cache-Control", "no-store");
		return -1;
	}
	login_builtin(r, status, d);
	json_decref(d);
	return 0;
}

int page_login_get(struct req *r)
{
	if (r->sess) {
		resp_redirect(r, "/");
		return 0;
	}
	/* Say so now rather than after the user typed a password. */
	if (store_ping(r->app->store) < 0)
		return router_store_down(r);
	return login_form(r, 200, NULL);
}

/* The configured vCenters among the chosen ids, without repeats. */
static size_t login_jobs(struct req *r, struct vc_job *jobs, const char *user, const char *pw)
{
	const char *const *ids;
	size_t n_ids = req_multi(r, "vcenter", &ids), n = 0;

	for (size_t i = 0; i < n_ids; i++) {
		const struct cfg_vcenter *vc = cfg_vcenter_find(r->app->cfg, ids[i]);
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= jobs[k].vc == vc;
		if (!vc || dup)
			continue;
		memset(&jobs[n], 0, sizeof(jobs[n]));
		jobs[n].vc = vc;
		jobs[n].user = user;
		jobs[n].password = pw;
		n++;
	}
	return n;
}

/* Collects the accepted vCenters as [{"id","cookie"}]; counts refusals. */
static json_t *login_results(struct req *r, struct vc_job *jobs, size_t n, size_t *refused)
{
	json_t *ok = json_array();

	*refused = 0;
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].ok) {
			json_array_append_new(ok, json_pack("{s:s,s:s}", "id", jobs[i].vc->id,
			                                    "cookie", jobs[i].cookie));
			continue;
		}
		*refused += jobs[i].code == VC_EFAULT_LOGIN || jobs[i].code == VC_EFAULT_PERM;
		log_info("login.vcenter_failed", "vcenter=%s ip=%s code=%d error=%s",
		         log_q(jobs[i].vc->id), log_q(r->client_ip), (int)jobs[i].code,
		         log_q(jobs[i].err));
	}
	return ok;
}

static int login_failed(struct req *r, const char *user, size_t refused)
{
	log_warn("login.failed", "user=%s ip=%s refused=%zu", log_q(user), log_q(r->client_ip),
	         refused);
	/* A wrong password counts against the throttle; vCenters that did not answer
	 * do not, so an outage does not lock users out. */
	if (refused) {
		throttle_fail(r, user);
		audit(r, user, "login", NULL, "denied", "refused by the chosen vCenters");
		return login_form(r, 401, LOGIN_GENERIC);
	}
	audit(r, user, "login", NULL, "failed", "no chosen vCenter answered");
	return login_form(r, 503, "None of the vCenters you chose answered. Try again in a "
	                          "minute, or choose another vCenter.");
}

int page_login_post(struct req *r)
{
	const char *user = req_str(r, "username"), *pw = req_str(r, "password");
	struct vc_job jobs[64];
	size_t n, refused;
	json_t *ok;
	int locked;

	if (!session_pre_check(r, req_str(r, "csrf"))) {
		log_warn("web.csrf_rejected", "path=/login ip=%s", log_q(r->client_ip));
		return resp_error(r, 403, "Form expired",
		                  "The sign-in form has expired. Reload the page and try again.");
	}
	if (!user || !*user || !pw || !*pw)
		return login_form(r, 401, LOGIN_GENERIC);
	locked = throttle_locked(r, user);
	if (locked < 0)
		return router_store_down(r);
	if (locked) {
		log_warn("login.throttled", "user=%s ip=%s", log_q(user), log_q(r->client_ip));
		audit(r, user, "login", NULL, "denied", "throttled after repeated failures");
		resp_header(r, "Retry-After", "300");
		return login_form(r, 429, "Too many failed sign-ins. Wait 5 minutes, then try again.");
	}
	n = login_jobs(r, jobs, user, pw);
	if (n == 0)
		return login_form(r, 401, LOGIN_GENERIC);
	run_jobs(jobs, n, login_one);
	sodium_memzero((char *)pw, strlen(pw));
	ok = login_results(r, jobs, n, &refused);
	wipe_jobs(jobs, n);
	if (json_array_size(ok) == 0) {
		json_decref(ok);
		return login_failed(r, user, refused);
	}
	throttle_clear(r, user);
	log_info("login.ok", "user=%s ip=%s vcenters=%zu", log_q(user), log_q(r->client_ip),
	         json_array_size(ok));
	if (session_create(r, user, ok) < 0)
		return router_store_down(r);
	audit(r, user, "login", NULL, "ok", NULL);
	session_pre_clear(r);
	resp_redirect(r, "/");
	return 0;
}

int page_logout(struct req *r)
{
	struct vc_job jobs[64];
	json_t *v;
	size_t i, n = 0;

	json_array_foreach(session_vcenters(r->sess), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *cookie = json_string_value(json_object_get(v, "cookie"));
		const struct cfg_vcenter *vc = id ? cfg_vcenter_find(r->app->cfg, id) : NULL;
		if (!vc || !cookie || n >= sizeof(jobs) / sizeof(jobs[0]))
			continue;
		memset(&jobs[n], 0, sizeof(jobs[n]));
		jobs[n].vc = vc;
		snprintf(jobs[n].cookie, sizeof(jobs[n].cookie), "%s", cookie);
		n++;
	}
	run_jobs(jobs, n, logout_one);
	for (i = 0; i < n; i++)
		if (!jobs[i].ok)   /* the vCenter session then ends by its own timeout */
			log_warn("logout.vcenter_failed", "vcenter=%s error=%s", log_q(jobs[i].vc->id),
			         log_q(jobs[i].err));
	wipe_jobs(jobs, n);
	log_info("logout", "user=%s vcenters=%zu", log_q(r->sess->user), n);
	audit(r, NULL, "logout", NULL, "ok", NULL);
	if (session_destroy(r) < 0)
		return router_store_down(r);
	resp_redirect(r, "/login");
	return 0;
}
