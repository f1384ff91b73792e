/* Live data in the browser and the change-event log.
 *
 * GET /live?since=TAG: the cheap poll behind "the screen follows the infrastructure".
 * TAG is a digest of the generations of the session's vCenters. Unchanged: 204 (htmx
 * swaps nothing). Changed: the polling element with the new tag, and the header
 * HX-Trigger: vc-changed, on which pages re-fetch their own data. One MGET per poll.
 *
 * GET /events: the change events the collector derived from incremental updates (VM
 * created, removed, renamed, moved, power; host connection and maintenance; vCenter
 * unreachable and back), across the session's vCenters, newest first, filtered by
 * vCenter, kind and text. */
#include "layout.h"
#include "req.h"
#include "resp.h"
#include "router.h"
#include "scope.h"
#include "view.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define LIVE_TAG_HEX 16
#define EVENTS_PAGE 200

static const char *const event_kinds[] = {
	"vm.created", "vm.removed", "vm.renamed", "vm.moved", "vm.power", "host.connection",
	"host.maintenance", "host.renamed", "datastore.renamed", "datastore.usage", "vcenter.down",
	"vcenter.up", NULL,
};

const struct param_spec page_live_params[] = {
	{ .name = "since", .kind = PARAM_STRING, .max = LIVE_TAG_HEX },
	{ .name = NULL },
};

const struct param_spec page_events_params[] = {
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = "kind", .kind = PARAM_ENUM, .choices = event_kinds },
	{ .name = "q", .kind = PARAM_STRING, .max = 200 },
	{ .name = NULL },
};

/* Digest of "id=gen;" over the scope, as LIVE_TAG_HEX hex digits. */
static void live_tag(const struct scope *sc, char out[LIVE_TAG_HEX + 1])
{
	crypto_generichash_state st;
	unsigned char d[LIVE_TAG_HEX / 2];
	char part[96];

	crypto_generichash_init(&st, NULL, 0, sizeof(d));
	for (size_t i = 0; i < sc->n; i++) {
		int n = snprintf(part, sizeof(part), "%s=%lld;", sc->ids[i], sc->gens[i]);
		crypto_generichash_update(&st, (const unsigned char *)part, (size_t)n);
	}
	crypto_generichash_final(&st, d, sizeof(d));
	sodium_bin2hex(out, LIVE_TAG_HEX + 1, d, sizeof(d));
}

/* The polling element; layout.mustache renders the first one from "live_tag". */
static void live_element(struct buf *b, const char *tag)
{
	buf_printf(b, "<span id=\"live\" hx-get=\"/live?since=%s\" hx-trigger=\"every 15s\" "
	              "hx-swap=\"outerHTML\"></span>", tag);
}

int page_live(struct req *r)
{
	const char *since = req_str(r, "since");
	char tag[LIVE_TAG_HEX + 1];
	struct buf b = BUF_INIT;
	struct scope sc;

	if (scope_load(r, &sc))
		return router_store_down(r);
	live_tag(&sc, tag);
	if (since && !strcmp(since, tag)) {
		resp_body(r, 204, "text/plain", "", 0);
		return 0;
	}
	live_element(&b, tag);
	resp_header(r, "HX-Trigger", "vc-changed");
	resp_header(r, "Cache-Control", "no-store");
	resp_body(r, 200, "text/html; charset=utf-8", buf_str(&b), b.len);
	buf_free(&b);
	return 0;
}

/* The layout's first polling tag for r (arena string), or NULL without a session. */
const char *page_live_tag(struct req *r)
{
	char tag[LIVE_TAG_HEX + 1];
	struct scope sc;
	char *out;

	if (!r->sess || scope_load(r, &sc))
		return NULL;
	live_tag(&sc, tag);
	out = arena_alloc(&r->arena, sizeof(tag));
	memcpy(out, tag, sizeof(tag));
	return out;
}

static int event_matches(const json_t *e, const char *kind, const char *q)
{
	const char *name = json_string_value(json_object_get(e, "name"));

	if (kind && strcmp(kind, json_string_value(json_object_get(e, "kind")) ? json_string_value(json_object_get(e, "kind")) : ""))
		return 0;
	return !q || !*q || (name && strcasestr(name, q));
}

/* Newest first: ISO 8601 UTC strings sort as times. */
static int by_time_desc(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "time"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "time"));

	return strcmp(y ? y : "", x ? x : "");
}

/* The events of the selected vCenters that pass the filters, newest first, at most max. */
static json_t *collect_events(const struct scope *sc, const char *kind, const char *q, size_t max,
                              int *err)
{
	json_t **all = NULL, *out = json_array();
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < sc->n; i++) {
		struct view_entry *e;
		json_t *ev;
		size_t k;
		if (!sc->selected[i])
			continue;
		if (!(e = scope_entry(sc, i, "events"))) {
			*err = 1;
			break;
		}
		json_array_foreach(e->records, k, ev) {
			if (!event_matches(ev, kind, q))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				all = realloc(all, cap * sizeof(*all));
			}
			all[n++] = ev;
		}
	}
	if (n)
		qsort(all, n, sizeof(*all), by_time_desc);
	for (size_t i = 0; i < n && i < max; i++) {
		json_t *row = json_deep_copy(all[i]);
		const char *k = json_string_value(json_object_get(row, "kind"));
		char flag[48];
		snprintf(flag, sizeof(flag), "kind_%s", k ? k : "other");
		for (char *p = flag; *p; p++)
			if (*p == '.')
				*p = '_';
		json_object_set_new(row, flag, json_true());
		json_array_append_new(out, row);
	}
	free(all);
	return out;
}

json_t *page_live_events(const struct scope *sc, size_t max, int *err)
{
	return collect_events(sc, NULL, NULL, max, err);
}

int page_events(struct req *r)
{
	const char *kind = req_str(r, "kind"), *q = req_str(r, "q");
	json_t *data, *kinds = json_array();
	struct scope sc;
	int err = 0;

	if (scope_load(r, &sc))
		return router_store_down(r);
	data = json_object();
	json_object_set_new(data, "events", collect_events(&sc, kind, q, EVENTS_PAGE, &err));
	if (err) {
		json_decref(data);
		json_decref(kinds);
		return router_store_down(r);
	}
	for (const char *const *k = event_kinds; *k; k++)
		json_array_append_new(kinds, json_pack("{s:s, s:b}", "kind", *k, "selected", kind && !strcmp(kind, *k)));
	json_object_set_new(data, "kinds", kinds);
	json_object_set_new(data, "q", json_string(q ? q : ""));
	json_object_set_new(data, "total", json_integer((json_int_t)json_array_size(json_object_get(data, "events"))));
	return page_render(r, "page-events", data, "Events");
}

const struct route live_routes[] = {
	{ "/live", REQ_GET, page_live, ROUTE_LOGIN, page_live_params },
	{ "/events", REQ_GET, page_events, ROUTE_LOGIN, page_events_params },
	{ NULL, 0, NULL, 0, NULL },
};
