/* The JSON twins of the inventory pages under /api/v1 (DESIGN.md "Interfaces"):
 * the same parameters as the pages (q, sort, order, page, per_page, vcenter and the
 * page filters) and the same session rules (401 JSON without a session, applied by
 * the router). Lists answer {"total", "page", "pages", "per_page", "items"} where
 * items are the records as the collector stored them (docs/pages.md lists fields). */
#include "scope.h"
#include "resp.h"
#include "router.h"

#include <string.h>

/* /api/v1/<name> -> list name of inv_list(). */
static const char *list_name(const struct req *r)
{
	const char *p = r->path + strlen("/api/v1/");

	if (!strcmp(p, "networks"))
		return inv_network_view(r);
	return p;
}

int api_v1_list(struct req *r)
{
	struct inv_listing l;
	struct scope sc;
	json_t *items, *out;

	memset(&l, 0, sizeof(l));
	if (scope_load(r, &sc) < 0 || inv_list(r, &sc, list_name(r), &l) < 0) {
		inv_listing_free(&l);
		return router_store_down(r);
	}
	items = json_array();
	for (size_t i = 0; i < l.res.n; i++)
		json_array_append(items, (json_t *)l.res.rows[i]->rec);
	out = json_pack("{s:I,s:I,s:I,s:I,s:s,s:s,s:o}", "total", (json_int_t)l.res.total,
	                "page", (json_int_t)l.res.page, "pages", (json_int_t)l.res.pages,
	                "per_page", (json_int_t)l.q.per_page,
	                "sort", l.def->cols[l.q.col].key, "order", l.q.desc ? "desc" : "asc",
	                "items", items);
	inv_listing_free(&l);
	resp_json(r, 200, out);
	json_decref(out);
	return 0;
}

#define API_SEARCH_MAX 250

int api_v1_search(struct req *r)
{
	static struct inv_hit hits[API_SEARCH_MAX];
	const char *q = req_str(r, "q");
	size_t n = 0, total = 0, per = (size_t)req_int(r, "per_page", 50);
	struct scope sc;
	json_t *items = json_array(), *out;

	if (per > API_SEARCH_MAX)
		per = API_SEARCH_MAX;
	if (scope_load(r, &sc) < 0 || inv_search(&sc, q ? q : "", hits, per, &n, &total) < 0) {
		json_decref(items);
		return router_store_down(r);
	}
	for (size_t i = 0; i < n; i++) {
		char href[512];
		inv_hit_href(&hits[i], href, sizeof(href));
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s,s:i,s:s}",
		                      "kind", hits[i].kind, "vcenter", hits[i].vcenter,
		                      "vcenter_name", hits[i].vcenter_name, "moref", hits[i].moref,
		                      "name", hits[i].name, "ip", hits[i].ip, "detail", hits[i].sub,
		                      "match", hits[i].why, "score", hits[i].score, "href", href));
	}
	out = json_pack("{s:I,s:s,s:o}", "total", (json_int_t)total, "q", q ? q : "", "items", items);
	resp_json(r, 200, out);
	json_decref(out);
	return 0;
}

int api_v1_charts(struct req *r)
{
	struct scope sc;
	json_t *out;

	if (scope_load(r, &sc) < 0 || !(out = inv_capacity_charts(&sc)))
		return router_store_down(r);
	resp_json(r, 200, out);
	json_decref(out);
	return 0;
}
