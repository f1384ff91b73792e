/* Elevated mode and the risky host actions it unlocks, like sudo: starting and
 * stopping the SSH service of an ESXi host and entering or leaving maintenance mode.
 *
 * GET /elevate shows the password form (alone for HTMX, inside the layout
 * otherwise). POST /elevate checks the password with a fresh login to one of the
 * session's vCenters as the session's user, logged out at once, and on success sets
 * elevated_until = now + web.elevate_timeout in the session record; a refusal counts
 * in the login throttle. POST /elevate/drop ends elevated mode. POST /ops/host runs
 * one host action with the user's own vCenter session (vCenter's permissions apply),
 * only while elevated and only on a host of the session's vCenters. Every attempt is
 * audited; the password is wiped after the check and never logged, rendered or
 * stored. docs/security.md "Elevated mode". */
#include "audit.h"
#include "cfg.h"
#include "layout.h"
#include "log.h"
#include "req.h"
#include "resp.h"
#include "router.h"
#include "scope.h"
#include "server.h"
#include "session.h"
#include "uservc.h"
#include "vc.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>

#define ELEVATE_TRIES 3              /* vCenters asked when the first ones do not answer */
#define ELEVATE_SSH_SERVICE "TSM-SSH" /* HostService key of the ESXi SSH daemon */

static const struct param_spec page_elevate_params[] = {
	{ .name = "password", .kind = PARAM_STRING, .max = VC_PASSWORD_MAX - 1 },
	{ .name = "back", .kind = PARAM_STRING, .max = 512 },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

static const struct param_spec page_elevate_drop_params[] = {
	{ .name = "back", .kind = PARAM_STRING, .max = 512 },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

static const char *const host_ops[] = {
	"ssh_start", "ssh_stop", "maintenance_enter", "maintenance_exit", NULL,
};

static const struct param_spec page_ops_host_params[] = {
	{ .name = "target", .kind = PARAM_STRING, .max = 100 },
	{ .name = "op", .kind = PARAM_ENUM, .choices = host_ops },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

/* Where to return once elevated or dropped: the form's back field, else the page the
 * request came from (resp_redirect() keeps either local). */
static const char *back_of(const struct req *r)
{
	const char *b = req_str(r, "back");

	/* a local path only: "//host" and "/\host" lead off the site (resp_redirect()
	 * refuses them too, but the form's Cancel link shows the value as it is) */
	if (b && b[0] == '/' && b[1] != '/' && b[1] != '\\')
		return b;
	return r->back && strncmp(r->back, "/elevate", 8) ? r->back : "/";
}

/* The password form answered with status and an optional message. */
static int elevate_form(struct req *r, int status, const char *error)
{
	int t = r->app->cfg->web.elevate_timeout;
	char duration[32];

	if (t % 60)
		snprintf(duration, sizeof(duration), "%d seconds", t);
	else
		snprintf(duration, sizeof(duration), "%d minute%s", t / 60, t == 60 ? "" : "s");
	return page_render_status(r, status, "page-elevate",
	                          json_pack("{s:s, s:o, s:s}", "back", back_of(r),
	                                    "error", error ? json_string(error) : json_null(),
	                                    "duration", duration),
	                          "Unlock host actions");
}

/* Asks the session's vCenters in order until one answers (accepts or refuses) or
 * ELEVATE_TRIES did not; vcenter receives the last one asked. 0 when accepted, else
 * -1 with *code. */
static int check_password(struct req *r, const char *pw, char vcenter[CFG_ID_MAX + 1],
                          enum vc_err *code)
{
	char err[VC_ERRSTR_MAX];
	int tries = 0;
	json_t *v;
	size_t i;

	*code = VC_EINVAL;
	json_array_foreach(session_vcenters(r->sess), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (!id || !cfg_vcenter_find(r->app->cfg, id))
			continue;
		snprintf(vcenter, CFG_ID_MAX + 1, "%s", id);
		if (uservc_check_password(r, id, r->sess->user, pw, code, err, sizeof(err)) == 0)
			return 0;
		log_info("elevate.vcenter_failed", "vcenter=%s ip=%s code=%d error=%s", log_q(id),
		         log_q(r->client_ip), (int)*code, log_q(err));
		if (*code == VC_EFAULT_LOGIN || *code == VC_EFAULT_PERM || ++tries >= ELEVATE_TRIES)
			break;
	}
	return -1;
}

static int elevate_ok(struct req *r, const char *vcenter)
{
	session_set_elevated(r->sess, r->now + r->app->cfg->web.elevate_timeout);
	if (session_save(r) < 0)
		return router_store_down(r);
	throttle_clear(r, r->sess->user);
	audit(r, NULL, "elevate", vcenter, "ok", NULL);
	resp_redirect(r, back_of(r));
	return 0;
}

static int elevate_check(struct req *r, const char *pw)
{
	const char *user = r->sess->user;
	char vcenter[CFG_ID_MAX + 1] = "";
	enum vc_err code;
	int locked;

	if (!pw || !*pw)
		return elevate_form(r, 400, "Enter your password to unlock host actions.");
	locked = throttle_locked(r, user);
	if (locked < 0)
		return router_store_down(r);
	if (locked) {
		audit(r, NULL, "elevate", NULL, "denied", "throttled after repeated failures");
		resp_header(r, "Retry-After", "300");
		return elevate_form(r, 429, "Too many failed attempts. Wait 5 minutes, then try again.");
	}
	if (check_password(r, pw, vcenter, &code) == 0)
		return elevate_ok(r, vcenter);
	if (code == VC_EFAULT_LOGIN || code == VC_EFAULT_PERM) {
		/* Counted like a failed sign-in, so a stolen session cannot guess at leisure. */
		throttle_fail(r, user);
		audit(r, NULL, "elevate", vcenter, "denied", "password refused by vCenter");
		return elevate_form(r, 403, "vCenter did not accept this password. Host actions stay locked.");
	}
	audit(r, NULL, "elevate", vcenter[0] ? vcenter : NULL, "failed", "no vCenter of the session answered");
	return elevate_form(r, 503, "None of your vCenters answered, so the password could not be "
	                            "checked. Try again in a minute.");
}

/* The password's parsed copy is wiped whatever the outcome (the raw body already is,
 * server.c). */
static int elevate_post(struct req *r)
{
	const char *pw = req_str(r, "password");
	int rc = elevate_check(r, pw);

	if (pw)
		sodium_memzero((char *)pw, strlen(pw));
	return rc;
}

static int page_elevate(struct req *r)
{
	return r->method == REQ_POST ? elevate_post(r) : elevate_form(r, 200, NULL);
}

static int page_elevate_drop(struct req *r)
{
	int was = session_elevated_left(r->sess, r->now) > 0;

	session_set_elevated(r->sess, 0);
	if (session_save(r) < 0)
		return router_store_down(r);
	audit(r, NULL, "elevate_drop", NULL, "ok", was ? NULL : "was not elevated");
	resp_redirect(r, back_of(r));
	return 0;
}

/* The vim25 request of op on host moref into b; returns its method, or NULL with a
 * message in err. SSH goes to the host's HostServiceSystem, which is read with the
 * user's own session s. */
static const char *host_request(struct vc_session *s, const char *op, const char *moref,
                                struct buf *b, char *err, size_t errlen)
{
	static const char *const paths[] = { "configManager.serviceSystem" };
	json_t *host = NULL;
	const char *svc;
	int found;

	if (strncmp(op, "ssh_", 4)) {
		buf_adds(b, "<_this type=\"HostSystem\">");
		buf_add_xml(b, moref);
		/* timeout 0: no limit of ours; the task tells how it went */
		buf_adds(b, "</_this><timeout>0</timeout>");
		return strcmp(op, "maintenance_enter") ? "ExitMaintenanceMode_Task" : "EnterMaintenanceMode_Task";
	}
	if (vc_retrieve_one(s, "HostSystem", moref, paths, 1, &host)) {
		snprintf(err, errlen, "%s", uservc_explain(s));
		return NULL;
	}
	svc = inv_mor_value(json_object_get(host, paths[0]));
	found = svc != NULL;
	if (found) {
		buf_adds(b, "<_this type=\"HostServiceSystem\">");
		buf_add_xml(b, svc);
		buf_adds(b, "</_this><id>" ELEVATE_SSH_SERVICE "</id>");
	} else {
		snprintf(err, errlen, "vCenter shows no service system for this host to your account "
		                      "(configManager.serviceSystem)");
	}
	json_decref(host);
	return !found ? NULL : strcmp(op, "ssh_start") ? "StopService" : "StartService";
}

/* Runs op on host moref of vcenter with the user's own session; the result row. */
static json_t *host_run(struct req *r, const char *target, const char *vcenter,
                        const char *moref, const char *op)
{
	char err[VC_ERRSTR_MAX] = "";
	struct vc_session *s = uservc_open(r, vcenter, err, sizeof(err));
	struct buf body = BUF_INIT;
	const char *method = s ? host_request(s, op, moref, &body, err, sizeof(err)) : NULL;
	const char *task = NULL;
	json_t *res = NULL, *row;
	int ok = 0;

	if (method && vc_call(s, method, buf_str(&body), &res) == 0) {
		ok = 1;
		task = inv_mor_value(res);   /* the maintenance tasks; the SSH calls return nothing */
	} else if (method) {
		snprintf(err, sizeof(err), "%s", uservc_explain(s));
	}
	row = json_pack("{s:s, s:s, s:s, s:b, s:s}", "target", target, "vcenter", vcenter,
	                "moref", moref, "ok", ok, "message", ok ? (task ? "started" : "done") : err);
	if (task)
		json_object_set_new(row, "task", json_string(task));
	audit(r, NULL, op, target, ok ? "ok" : vc_errcode_is_perm(s) ? "denied" : "failed", ok ? NULL : err);
	json_decref(res);
	vc_session_free(s);
	buf_free(&body);
	return row;
}

static int page_ops_host(struct req *r)
{
	const char *target = req_str(r, "target"), *op = req_str(r, "op"), *moref;
	char vcenter[CFG_ID_MAX + 1];
	int store_err = 0, ok;
	struct scope sc;
	json_t *row;

	if (!target || !op)
		return resp_error(r, 400, "Nothing to do", "Choose a host action.");
	if (session_elevated_left(r->sess, r->now) <= 0) {
		audit(r, NULL, op, target, "denied", "not elevated");
		return resp_error(r, 403, "Host actions are locked",
		                  "Starting or stopping SSH and maintenance mode need elevated mode: "
		                  "choose the action again and enter your password to unlock host "
		                  "actions for a few minutes.");
	}
	if (scope_load(r, &sc))
		return router_store_down(r);
	if (uservc_target(&sc, target, vcenter, &moref) ||
	    !scope_lookup(&sc, vcenter, "host", moref, &store_err)) {
		if (store_err)
			return router_store_down(r);
		audit(r, NULL, op, target, "denied", "not a host of this session's vCenters");
		return resp_error(r, 403, "Not allowed", "This host is not in the vCenters of your session.");
	}
	row = host_run(r, target, vcenter, moref, op);
	ok = json_is_true(json_object_get(row, "ok"));
	resp_header(r, "HX-Trigger", ok ? "ops-started" : "ops-failed");
	return page_render(r, "page-ops-result", json_pack("{s:s, s:[o], s:i, s:i}", "op", op,
	                   "results", row, "failed", !ok, "succeeded", ok), "Host action");
}

const struct route elevate_routes[] = {
	{ "/elevate", REQ_GET | REQ_POST, page_elevate, ROUTE_LOGIN, page_elevate_params },
	{ "/elevate/drop", REQ_POST, page_elevate_drop, ROUTE_LOGIN, page_elevate_drop_params },
	{ "/ops/host", REQ_POST, page_ops_host, ROUTE_LOGIN, page_ops_host_params },
	{ NULL, 0, NULL, 0, NULL },
};
