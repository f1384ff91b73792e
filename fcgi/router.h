/* The dispatch table: every route of the web tier with its methods, handler,
 * access rules and declared parameters, and router_dispatch(), which applies the
 * rules in one place (404, 405, login, admin, CSRF, parameter validation) before
 * a handler runs. Handlers live one file per page or route group (page_*.c). */
#ifndef VC_ROUTER_H
#define VC_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include "req.h"

enum route_flags {
	ROUTE_PREFIX = 1,      /* path matches itself and anything below it ("/api/v1/") */
	ROUTE_LOGIN = 2,       /* needs a session: otherwise redirect to /login (401 under /api/) */
	ROUTE_ADMIN = 4,       /* needs the admin role: otherwise 403 */
	ROUTE_NO_SESSION = 8,  /* never touches Redis sessions (health checks) */
	ROUTE_OWN_CSRF = 16,   /* the handler checks CSRF itself (the login form) */
};

struct route {
	const char *path;
	unsigned methods;                  /* REQ_GET | REQ_POST ...; HEAD follows GET */
	int (*handler)(struct req *r);     /* returns 0, or -1 for a 500 page */
	unsigned flags;
	const struct param_spec *params;   /* what the handler may read; ends with {NULL} */
};

/* The route for path (exact first, then the longest prefix), or NULL. */
const struct route *router_find(const char *path);
/* Runs the request through the table; always leaves a response in r. */
void router_dispatch(struct req *r);
/* Answers 503 "Redis down" (used by handlers that meet a store error). */
int router_store_down(struct req *r);

/* Route tables kept with their pages (listed in router.c's tables[]). */
extern const struct route inventory_routes[];   /* routes_inventory.c */
extern const struct route live_routes[];        /* page_live.c: /live, /events */
extern const struct route ops_routes[];         /* page_ops.c: /ops/vm, /tasks, /audit */
extern const struct route snapshot_routes[];    /* page_snapshots.c: /snapshots... */
extern const struct route settings_routes[];    /* page_settings.c: /settings... */
extern const struct route elevate_routes[];     /* page_elevate.c: /elevate, /ops/host */

/* Objects one POST /ops/vm may name (page_ops.c); the snapshot previews
 * (page_snapshots.c) offer no more. */
#define OPS_MAX_TARGETS 100

/* Handlers (page_*.c). */
int page_health(struct req *r);
int page_login_get(struct req *r);
int page_login_post(struct req *r);
int page_logout(struct req *r);
int page_prefs_get(struct req *r);
int page_prefs_post(struct req *r);

/* Declared parameters of those handlers. */
extern const struct param_spec page_login_params[];
extern const struct param_spec page_prefs_params[];

#endif
