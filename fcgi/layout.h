/* Full pages: the layout data every page passes to the template "layout", built
 * in one place (as arena view values, tpl_view.h) so page handlers only add their
 * own data; page templates see their JSON over the layout's keys. The contract (docs/ui.md,
 * docs/web.md): title, page, nav_<page>, user{name,admin}, csrf,
 * session{timeout,expires_in}, elevated ({expires_in,text} or false),
 * prefs{theme,accent}, vcenters[{id,name,state,
 * last_success,error}], flash[{kind,text}], assets{css,js,htmx,apexcharts,lucide},
 * content (the page's HTML, the one raw {{{content}}}), htmx. */
#ifndef VC_LAYOUT_H
#define VC_LAYOUT_H

#include <jansson.h>

struct req;
struct scope;
struct tpl_own_partial;

#define LAYOUT_URL_MAX 256

/* Asset URLs from web.static_dir/manifest.json ({"app.css": "/static/app.3f2a.css"}). */
struct layout_assets {
	char css[LAYOUT_URL_MAX];
	char js[LAYOUT_URL_MAX];
	char htmx[LAYOUT_URL_MAX];
	char apexcharts[LAYOUT_URL_MAX];
	char lucide[LAYOUT_URL_MAX];
};

/* Reads static_dir/manifest.json (static_dir may be NULL); names the manifest
 * lacks fall back to unfingerprinted /static/... URLs. Never fails. */
void layout_assets_load(struct layout_assets *a, const char *static_dir);

/* Renders template `tpl` (e.g. "page-vms") with page_data (taken over, may be NULL)
 * inside the layout, or alone for HTMX requests, and answers it with status.
 * Returns 0, or -1 when rendering failed (the caller answers an error). */
int page_render_status(struct req *r, int status, const char *tpl, json_t *page_data,
                       const char *title);
/* Same for a template that is a whole document (the login page): never wrapped,
 * but it sees the layout keys (assets, prefs, csrf...) merged into its data. */
int page_render_doc(struct req *r, int status, const char *tpl, json_t *page_data,
                    const char *title);
#define page_render(r, tpl, data, title) page_render_status((r), 200, (tpl), (data), (title))
/* page_render, with the partial own->name of the page rendered from own->data (a
 * page's own structs, borrowed until this returns) instead of the JSON. */
int page_render_own(struct req *r, const char *tpl, json_t *page_data, const char *title,
                    const struct tpl_own_partial *own);

/* [{value, selected}] for a <select> of the values in list (NULL-terminated), the
 * one equal to current selected (new reference). */
json_t *layout_choices(const char *const *list, const char *current);
/* The state of one vCenter for the layout and the login page: an object
 * {id, name, state, last_success, error, collector (the host of the collector
 * holding its lease)} from its sealed vc:{id}:status record. */
json_t *layout_vcenter_state(struct req *r, const char *id, const char *name, int interval);

/* The digest of the session's vCenter generations that /live compares against
 * (page_live.c); arena string, NULL without a session or when Redis failed. */
const char *page_live_tag(struct req *r);
/* The newest max change events of sc's selected vCenters (page_live.c), for the
 * dashboard; sets *err when Redis failed. */
json_t *page_live_events(const struct scope *sc, size_t max, int *err);

#endif
