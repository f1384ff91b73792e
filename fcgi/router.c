/* The dispatch table and the rules every request passes before its handler
 * (see router.h). Add a page: write page_<name>.c, declare its handler and
 * parameters in a header, add one line to `routes` below — or, for a group of
 * routes kept with its pages, a table of its own ending with { NULL } listed in
 * `tables`. */
#include "router.h"
#include "resp.h"
#include "session.h"
#include "server.h"
#include "log.h"
#include "report.h"

#include <string.h>

static int page_index(struct req *r);
static int page_login(struct req *r);
static int page_prefs(struct req *r);

static const struct route routes_core[] = {
	/* path           methods              handler      flags                 params */
	{ "/",            REQ_GET,             page_index,  ROUTE_LOGIN,          NULL },
	{ "/healthz",     REQ_GET,             page_health, ROUTE_NO_SESSION,     NULL },
	{ "/login",       REQ_GET | REQ_POST,  page_login,  ROUTE_OWN_CSRF,       page_login_params },
	{ "/logout",      REQ_POST,            page_logout, ROUTE_LOGIN,          NULL },
	{ "/preferences", REQ_GET | REQ_POST,  page_prefs,  ROUTE_LOGIN,          page_prefs_params },
	{ "/reports",     REQ_GET,             page_reports, ROUTE_LOGIN,         page_reports_params },
	{ "/reports/download", REQ_GET,        page_report_download, ROUTE_LOGIN, page_report_download_params },
	{ .path = NULL },
};

/* Every table, searched in order (exact matches before prefixes, see router_find). */
static const struct route *const tables[] = {
	routes_core,
	inventory_routes,   /* routes_inventory.c */
	live_routes,        /* page_live.c */
	ops_routes,         /* page_ops.c */
	snapshot_routes,    /* page_snapshots.c */
	settings_routes,    /* page_settings.c */
	elevate_routes,     /* page_elevate.c */
	NULL,
};

static int page_login(struct req *r)
{
	return r->method == REQ_POST ? page_login_post(r) : page_login_get(r);
}

static int page_prefs(struct req *r)
{
	return r->method == REQ_POST ? page_prefs_post(r) : page_prefs_get(r);
}

/* "/" leads to the dashboard once that page exists, to the preferences until then. */
static int page_index(struct req *r)
{
	const struct route *rt = router_find("/dashboard");

	resp_redirect(r, rt && rt->handler != page_index ? "/dashboard" : "/preferences");
	return 0;
}

const struct route *router_find(const char *path)
{
	const struct route *best = NULL;
	size_t best_len = 0;

	for (const struct route *const *t = tables; *t; t++) {
		for (const struct route *rt = *t; rt->path; rt++) {
			size_t n = strlen(rt->path);
			if (!strcmp(rt->path, path))
				return rt;
			if ((rt->flags & ROUTE_PREFIX) && !strncmp(rt->path, path, n) && n > best_len) {
				best = rt;
				best_len = n;
			}
		}
	}
	return best;
}

int router_store_down(struct req *r)
{
	resp_header(r, "Retry-After", "10");
	return resp_error(r, 503, "Service unavailable",
	                  "The portal cannot reach its cache right now. Try again in a minute; "
	                  "if this persists, tell the administrator.");
}

static int method_ok(const struct route *rt, enum req_method m)
{
	if (m == REQ_HEAD)
		m = REQ_GET;
	return (rt->methods & m) != 0;
}

static int need_login(struct req *r)
{
	if (!strncmp(r->path, "/api/", 5))
		return resp_error(r, 401, "Sign-in required", "Your session has ended. Sign in again.");
	resp_redirect(r, "/login");
	return 0;
}

/* The checks before a handler; returns 1 when the handler may run. */
static int admit(struct req *r, const struct route *rt)
{
	if (!(rt->flags & ROUTE_NO_SESSION) && session_load(r) < 0)
		return router_store_down(r), 0;
	if ((rt->flags & (ROUTE_LOGIN | ROUTE_ADMIN)) && !r->sess)
		return need_login(r), 0;
	if ((rt->flags & ROUTE_ADMIN) && !r->sess->admin)
		return resp_error(r, 403, "Not allowed", "This page is for administrators."), 0;
	if (r->method == REQ_POST && !(rt->flags & ROUTE_OWN_CSRF) &&
	    !session_csrf_ok(r->sess, session_csrf_from(r))) {
		log_warn("web.csrf_rejected", "path=%s ip=%s", log_q(r->path), log_q(r->client_ip));
		return resp_error(r, 403, "Form expired",
		                  "This form has expired. Reload the page and try again."), 0;
	}
	if (req_validate(r, rt->params) < 0) {
		log_info("web.bad_request", "path=%s error=%s", log_q(r->path), log_q(r->errstr));
		return resp_error(r, 400, "Bad request", "The request had an invalid value."), 0;
	}
	return 1;
}

void router_dispatch(struct req *r)
{
	const struct route *rt = router_find(r->path);

	resp_header(r, "Cache-Control", "no-store");
	if (!rt) {
		resp_error(r, 404, "Page not found", "There is no page at this address.");
		return;
	}
	if (!method_ok(rt, r->method)) {
		resp_error(r, 405, "Method not allowed", "This address does not accept that method.");
		resp_header(r, "Allow", rt->methods & REQ_POST ? (rt->methods & REQ_GET ?
		            "GET, HEAD, POST" : "POST") : "GET, HEAD");
		return;
	}
	if (!admit(r, rt))
		return;
	if (rt->handler(r) < 0 || !r->status) {
		log_error("web.handler_failed", "path=%s error=%s", log_q(r->path), log_q(r->errstr));
		resp_error(r, 500, "Something went wrong",
		           "The page could not be built. Try again; the details are in the server log.");
	}
}
