/* The inventory a request may see: the vCenters of the user's session (those the
 * configuration still knows), with their generations read in one round trip, and
 * the per-entry memo that inventory pages hang their derived indexes on.
 *
 * Rule (DESIGN.md "Users and rights"): a page reads only vCenters of its scope;
 * an object of any other vCenter does not exist for this user (404). */
#ifndef VC_SCOPE_H
#define VC_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct req;
struct view_entry;

#define SCOPE_MAX 64

struct scope {
	size_t n;
	const char *ids[SCOPE_MAX];      /* borrowed from the configuration */
	const char *names[SCOPE_MAX];    /* display names, borrowed */
	int intervals[SCOPE_MAX];
	long long gens[SCOPE_MAX];
	bool selected[SCOPE_MAX];        /* the request's vcenter= filter (all when absent) */
	struct req *r;
};

/* Fills sc from r's session and one MGET of generations; applies the request's
 * validated `vcenter` parameter (if the route declares it) as a selection: an id
 * outside the session selects nothing. Returns 0, or -1 when Redis failed (the
 * caller answers router_store_down()). */
int scope_load(struct req *r, struct scope *sc);
/* The same for a page with the layout: the status records of the scope's vCenters
 * come in the generations' round trip and are kept for the layout (scope_status),
 * which then does not read them again. */
int scope_load_page(struct req *r, struct scope *sc);
/* The status record of vCenter id as scope_load_page() read it (raw JSON in the
 * request's arena; *data NULL when missing): false when it was not read. */
bool scope_status(const struct req *r, const char *id, const char **data, size_t *len);
/* Index of vcenter in the scope, or -1 (not in this session). */
int scope_find(const struct scope *sc, const char *vcenter);
/* The entry of (vcenter #i, type): NULL when Redis failed. */
struct view_entry *scope_entry(const struct scope *sc, size_t i, const char *type);
/* True when any vcenter= parameter narrowed the selection. */
bool scope_filtered(const struct scope *sc);

/* Derived data memoised on a view entry, rebuilt when its generation changes. Each
 * consumer (table, search, dashboard) owns one slot. */
enum scope_slot { SLOT_TABLE, SLOT_TABLE2, SLOT_TABLE3, SLOT_SEARCH, SLOT_STATS, SLOT_BYID, SLOT_N };
typedef void *(*scope_build_fn)(const json_t *records, const void *arg);
/* The slot's value for entry e, built with build(records, arg) on first use
 * (owned by the entry, freed with free_fn when the entry reloads). */
void *scope_memo(struct view_entry *e, enum scope_slot slot, scope_build_fn build,
                 void (*free_fn)(void *), const void *arg);

/* The record of (type, vcenter, moref) when vcenter is in scope, else NULL
 * (borrowed from the entry). *store_err is set when Redis failed. */
const json_t *scope_lookup(const struct scope *sc, const char *vcenter, const char *type,
                           const char *moref, int *store_err);

#endif

/* ---- what the inventory pages share (page_tables.c, page_detail.c, page_search.c,
 * page_dashboard.c, page_topology.c, api_v1.c; routes in routes_inventory.c) ---- */

#include "table.h"
#include "req.h"

/* One list page's table run: its definition, the query read from the request's
 * validated parameters, and the page of rows. */
struct inv_listing {
	const char *name;               /* "vms", "hosts", ... */
	const struct tbl_def *def;
	struct tbl_query q;
	struct tbl_result res;
};

/* Runs list `name` ("vms", "hosts", "datastores", "clusters", "portgroups", "dvs",
 * "vswitches") for r over sc. Returns 0, -1 when Redis failed. Free with
 * inv_listing_free(). */
int inv_list(struct req *r, const struct scope *sc, const char *name, struct inv_listing *out);
void inv_listing_free(struct inv_listing *l);
/* The list behind /networks?view= (portgroups by default). */
const char *inv_network_view(const struct req *r);

/* The table parameters every list route and its JSON twin declare. */
extern const struct param_spec inv_table_params[];
extern const struct param_spec inv_search_params[];
extern const struct param_spec inv_dashboard_params[];
extern const struct param_spec inv_refresh_params[];

/* Handlers. */
int page_vms(struct req *r);
int page_hosts(struct req *r);
int page_datastores(struct req *r);
int page_networks(struct req *r);
int page_clusters(struct req *r);
int page_detail(struct req *r);            /* /vms/ /hosts/ /datastores/ /clusters/ + {vc}/{moref} */
int page_search(struct req *r);
int page_search_suggest(struct req *r);
int page_dashboard(struct req *r);
int page_refresh(struct req *r);
int page_storage(struct req *r);
int page_network_topology(struct req *r);
int api_v1(struct req *r);                 /* /api/v1/ prefix */

/* Search over the scope (page_search.c), for the page, the suggestions and the API:
 * fills hits (up to max, best first) and returns how many matched in all. */
struct inv_hit {
	const char *kind;       /* "vm", "host", "datastore", "network" */
	const char *vcenter;
	const char *vcenter_name;
	const char *name;
	const char *moref;      /* the object the hit leads to (a vmk hit leads to its host) */
	const char *ip;         /* the address that matched or the primary one, may be NULL */
	const char *sub;        /* a short second line: guest OS, host, type; may be NULL */
	const char *why;        /* "name", "prefix", "ip", "dns", "fuzzy", ... */
	int score;
	unsigned src, pos;      /* vCenter and record position: the tie-break */
};
int inv_search(const struct scope *sc, const char *q, struct inv_hit *hits, size_t max,
               size_t *n_hits, size_t *total);   /* 0, or -1 when Redis failed */
/* Where a hit leads: a detail page, or the networks list filtered by name. */
void inv_hit_href(const struct inv_hit *h, char *out, size_t n);

/* Splits "{vc}/{moref}" (the rest of a detail or /api/v1/perf path, which arrives
 * percent-decoded once; the moref carries inv_detail_href's second layer) into
 * arena copies. Returns 0, or -1 when a part is missing. */
int inv_object_path(struct req *r, const char *rest, const char **vc, const char **moref);
/* The chart range of a performance panel (?range=), declared by the detail routes
 * and /api/v1/perf (page_detail.c). */
extern const struct param_spec inv_perf_params[];
int api_v1_perf(struct req *r);            /* /api/v1/perf/{vm|host|datastore}/{vc}/{moref} */
/* The dashboard's capacity trends per cluster and datastore (api_trends.c). */
extern const struct param_spec api_trends_params[];
int api_v1_charts_trends(struct req *r);   /* /api/v1/charts/trends?range= */

/* "/vms/{vc}/{moref}" style link of a record of kind into out (URL-escaped). */
void inv_detail_href(char *out, size_t n, const char *kind, const char *vcenter, const char *moref);
/* Appends "?key=val" or "&key=val" (val URL-escaped) to a URL being built in b;
 * nothing when val is NULL or empty. */
void inv_url_param(struct buf *b, const char *key, const char *val);

/* Capacity figures for the charts (page_dashboard.c): per cluster and per vCenter
 * CPU, memory and storage use; new reference, NULL when Redis failed. */
json_t *inv_capacity_charts(const struct scope *sc);
/* Handlers of the JSON twins (api_v1.c). */
int api_v1_list(struct req *r);
int api_v1_search(struct req *r);
int api_v1_charts(struct req *r);
