/* Global search across every vCenter of the session: GET /search?q= (the page),
 * /search/suggest?q= (the as-you-type dropdown, an HTML fragment) and inv_search(),
 * which /api/v1/search shares. The engine (keys, candidates, scoring) is search.c;
 * here each view entry (vCenter, type, generation) memoises its search index and
 * the hits of all of them meet in one heap of the best. */
#include "scope.h"
#include "search.h"
#include "view.h"
#include "arena.h"
#include "layout.h"
#include "resp.h"
#include "router.h"
#include "server.h"
#include "tpl.h"
#include "buf.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_PAGE_HITS 100
#define SEARCH_SUGGEST_HITS 8

static void *index_build(const json_t *records, const void *arg)
{
	return search_index_build(records, arg);
}

static void index_free(void *p)
{
	search_index_free(p);
}

int inv_search(const struct scope *sc, const char *q, struct inv_hit *hits, size_t max,
               size_t *n_hits, size_t *total)
{
	struct search_query sq;
	struct search_top top = { .hits = hits, .max = max };

	*n_hits = *total = 0;
	search_query_init(&sq, q ? q : "");
	if (!sq.len || !max)
		return 0;
	for (size_t v = 0; v < sc->n; v++) {
		for (size_t t = 0; t < search_n_kinds; t++) {
			struct view_entry *e = scope_entry(sc, v, search_kinds[t].type);
			if (!e)
				return -1;
			search_run(scope_memo(e, SLOT_SEARCH, index_build, index_free, &search_kinds[t]),
			           &sq, (unsigned)v, false, &top);
		}
	}
	search_top_sort(&top);
	for (size_t i = 0; i < top.n; i++) {
		hits[i].vcenter = sc->ids[hits[i].src];
		hits[i].vcenter_name = sc->names[hits[i].src];
	}
	*n_hits = top.n;
	*total = top.total;
	return 0;
}

void inv_hit_href(const struct inv_hit *h, char *out, size_t n)
{
	struct buf b = BUF_INIT;

	if (strcmp(h->kind, "network")) {
		inv_detail_href(out, n, h->kind, h->vcenter, h->moref);
		return;
	}
	buf_adds(&b, "/networks?view=portgroups&q=");
	buf_add_url(&b, h->name ? h->name : "");
	buf_adds(&b, "&vcenter=");
	buf_add_url(&b, h->vcenter);
	snprintf(out, n, "%s", buf_str(&b));
	buf_free(&b);
}

/* ---- pages ---- */

const struct param_spec inv_search_params[] = {
	{ .name = "q", .kind = PARAM_STRING, .max = 200 },
	{ .name = "per_page", .kind = PARAM_INT, .min = 1, .max = 250 },
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = NULL },
};

static const char *kind_label(const char *kind)
{
	return !strcmp(kind, "vm") ? "VM" : !strcmp(kind, "host") ? "Host"
	     : !strcmp(kind, "datastore") ? "Datastore" : "Network";
}

static const char *kind_icon(const char *kind)
{
	return !strcmp(kind, "vm") ? "monitor" : !strcmp(kind, "host") ? "server"
	     : !strcmp(kind, "datastore") ? "database" : "network";
}

static json_t *hits_json(const struct inv_hit *hits, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		char href[512];
		inv_hit_href(&hits[i], href, sizeof(href));
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s,s:i}",
		                      "href", href, "kind", hits[i].kind,
		                      "kind_label", kind_label(hits[i].kind), "icon", kind_icon(hits[i].kind),
		                      "name", hits[i].name ? hits[i].name : "",
		                      "vcenter", hits[i].vcenter, "vcenter_name", hits[i].vcenter_name,
		                      "ip", hits[i].ip, "sub", hits[i].sub && *hits[i].sub ? hits[i].sub : NULL,
		                      "match", hits[i].why, "score", hits[i].score));
	}
	return a;
}

static struct inv_hit search_hits[SEARCH_PAGE_HITS];

int page_search(struct req *r)
{
	const char *q = req_str(r, "q");
	size_t n = 0, total = 0;
	struct scope sc;
	char stotal[32];
	json_t *d;

	if (scope_load(r, &sc) < 0 ||
	    inv_search(&sc, q ? q : "", search_hits, SEARCH_PAGE_HITS, &n, &total) < 0)
		return router_store_down(r);
	tbl_fmt_int((long long)total, stotal, sizeof(stotal));
	d = json_pack("{s:s,s:b,s:o,s:s,s:I,s:b,s:b}", "q", q ? q : "", "asked", q && *q,
	              "hits", hits_json(search_hits, n), "total_text", stotal,
	              "total", (json_int_t)total, "more", total > n, "none", q && *q && !total);
	return page_render(r, "page-search", d, "Search");
}

int page_search_suggest(struct req *r)
{
	const char *q = req_str(r, "q");
	size_t n = 0, total = 0;
	struct scope sc;
	struct buf out = BUF_INIT;
	char err[256];
	json_t *d;
	int rc = 0;

	if (scope_load(r, &sc) < 0 ||
	    inv_search(&sc, q ? q : "", search_hits, SEARCH_SUGGEST_HITS, &n, &total) < 0)
		return router_store_down(r);
	if (!q || !*q) {
		resp_body(r, 200, "text/html; charset=utf-8", "", 0);
		return 0;
	}
	d = json_pack("{s:s,s:o,s:I,s:b}", "q", q, "hits", hits_json(search_hits, n),
	              "total", (json_int_t)total, "more", total > n);
	if (!r->app->tpl || tpl_render_json(r->app->tpl, "part-table-suggest", d, &out, err, sizeof(err)) < 0) {
		log_error("search.suggest", "error=%s", log_q(err));
		rc = -1;
	} else {
		resp_body(r, 200, "text/html; charset=utf-8", buf_str(&out), out.len);
	}
	json_decref(d);
	buf_free(&out);
	return rc;
}
