/* The layout data contract (layout.h) and page rendering: a page template is
 * rendered first, then placed as "content" into the layout, unless the request
 * came from HTMX, which wants the fragment alone. */
#include "layout.h"
#include "req.h"
#include "arena.h"
#include "resp.h"
#include "server.h"
#include "session.h"
#include "cfg.h"
#include "log.h"
#include "store.h"
#include "tpl.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void asset(char *out, const json_t *manifest, const char *name, const char *dflt)
{
	const char *v = json_string_value(json_object_get(manifest, name));

	if (!v || v[0] != '/' || strlen(v) >= LAYOUT_URL_MAX || strpbrk(v, "\"'<> "))
		v = dflt;
	snprintf(out, LAYOUT_URL_MAX, "%s", v);
}

void layout_assets_load(struct layout_assets *a, const char *static_dir)
{
	json_t *m = NULL;

	if (static_dir) {
		char path[4096];
		json_error_t e;
		snprintf(path, sizeof(path), "%s/manifest.json", static_dir);
		m = json_load_file(path, 0, &e);
		if (!m)
			log_warn("web.manifest", "path=%s error=%s", log_q(path), log_q(e.text));
	}
	/* Fallbacks: the source tree's layout (nginx/static) and the logical names. */
	asset(a->css, m, "app.css", "/static/css/app.css");
	asset(a->js, m, "app.js", "/static/js/app.js");
	asset(a->htmx, m, "htmx.js", "/static/htmx.js");
	asset(a->apexcharts, m, "apexcharts.js", "/static/apexcharts.js");
	asset(a->lucide, m, "lucide.js", "/static/lucide.js");
	json_decref(m);
}

/* Seconds since the epoch from a status field: a number, or ISO 8601 UTC text. */
static long long time_of(const json_t *v)
{
	struct tm tm;
	const char *s = json_string_value(v);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	memset(&tm, 0, sizeof(tm));
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (long long)timegm(&tm);
}

static json_t *iso_time(long long t)
{
	char s[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm))
		return json_null();
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(s);
}

/* The layout's state object of one vCenter from its status record (st may be NULL:
 * never polled, missing or tampered). */
static json_t *vcenter_state_of(struct req *r, const char *id, const char *name, int interval,
                                const json_t *st)
{
	const char *state = "unknown", *err = NULL, *owner = NULL;
	char host[96] = "", key[96];
	long long ok_at = 0;
	json_t *out;

	if (json_is_object(st)) {
		ok_at = time_of(json_object_get(st, "last_success"));
		err = json_string_value(json_object_get(st, "error"));
		if (err && *err)
			state = "error";
		else if (ok_at && r->now - ok_at > 3LL * (interval > 0 ? interval : 120))
			state = "stale";
		else if (ok_at)
			state = "ok";
		if (err && !*err)
			err = NULL;
		/* the collector holding the vCenter's lease: "hostname:pid:random" */
		if ((owner = json_string_value(json_object_get(st, "owner"))))
			snprintf(host, sizeof(host), "%.*s", (int)strcspn(owner, ":"), owner);
	}
	out = json_pack("{s:s,s:s,s:s,s:o,s:o}", "id", id, "name", name ? name : id,
	                "state", state, "last_success", iso_time(ok_at),
	                "error", err ? json_string(err) : json_null());
	json_object_set_new(out, "collector", host[0] ? json_string(host) : json_null());
	/* state_<state>: true, for templates that switch on the state. */
	snprintf(key, sizeof(key), "state_%s", state);
	json_object_set_new(out, key, json_true());
	return out;
}

json_t *layout_vcenter_state(struct req *r, const char *id, const char *name, int interval)
{
	char key[96], *raw = NULL;
	size_t len;
	json_t *st = NULL, *out;

	store_key_vc(key, sizeof(key), id, "status");
	if (r->app->store && store_get(r->app->store, key, &raw, &len) == 1)
		st = json_loadb(raw, len, 0, NULL);
	free(raw);
	out = vcenter_state_of(r, id, name, interval, st);
	json_decref(st);
	return out;
}

/* What one MGET of the session's status records brought back. */
struct status_batch {
	json_t **st;    /* new references, NULL when missing or tampered */
};

static void status_got(void *ctx, size_t i, const char *data, size_t len)
{
	struct status_batch *b = ctx;

	b->st[i] = data ? json_loadb(data, len, 0, NULL) : NULL;
}

/* One round trip for every vCenter of the session instead of one each. A Redis
 * failure shows them "unknown", as a failed single read did. */
static json_t *session_vcenter_list(struct req *r)
{
	const json_t *vcs = r->sess ? session_vcenters(r->sess) : NULL;
	size_t max = json_array_size(vcs), n = 0, i;
	const struct cfg_vcenter **vc = arena_alloc(&r->arena, (max + 1) * sizeof(*vc));
	const char **keys = arena_alloc(&r->arena, (max + 1) * sizeof(*keys));
	struct status_batch b = { arena_alloc(&r->arena, (max + 1) * sizeof(*b.st)) };
	json_t *list = json_array(), *v;
	char key[96];

	json_array_foreach(vcs, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (!(vc[n] = id ? cfg_vcenter_find(r->app->cfg, id) : NULL))
			continue;
		store_key_vc(key, sizeof(key), vc[n]->id, "status");
		keys[n++] = arena_strdup(&r->arena, key);
	}
	if (n && r->app->store)
		store_get_many(r->app->store, keys, n, status_got, &b);
	for (i = 0; i < n; i++) {
		json_array_append_new(list, vcenter_state_of(r, vc[i]->id, vc[i]->name,
		                                             vc[i]->interval, b.st[i]));
		json_decref(b.st[i]);
	}
	return list;
}

static json_t *flash_list(const struct req *r)
{
	json_t *list = json_array();

	for (size_t i = 0; i < r->n_flash; i++)
		json_array_append_new(list, json_pack("{s:s,s:s}", "kind", r->flash[i].kind,
		                                      "text", r->flash[i].text));
	return list;
}

static json_t *prefs_of(const struct req *r)
{
	const char *theme = r->sess ? session_pref(r->sess, "theme") : NULL;
	const char *accent = r->sess ? session_pref(r->sess, "accent") : NULL;

	char k1[40], k2[40];

	/* the user's own choice, else the administrator's default (Settings) */
	theme = theme ? theme : r->app->settings.theme;
	accent = accent ? accent : r->app->settings.accent;
	/* theme_<theme> and accent_<accent>: true, for templates that switch on them */
	snprintf(k1, sizeof(k1), "theme_%s", theme);
	snprintf(k2, sizeof(k2), "accent_%s", accent);
	return json_pack("{s:s,s:s,s:b,s:b}", "theme", theme, "accent", accent, k1, 1, k2, 1);
}

/* Elevated mode for the top bar: {expires_in, text: "m:ss"} while it lasts, else
 * false (so {{#elevated}} switches on it). */
static json_t *elevated_of(const struct req *r)
{
	long long left = session_elevated_left(r->sess, r->now);
	char text[32];

	if (left <= 0)
		return json_false();
	snprintf(text, sizeof(text), "%lld:%02lld", left / 60, left % 60);
	return json_pack("{s:I,s:s}", "expires_in", (json_int_t)left, "text", text);
}

json_t *layout_choices(const char *const *list, const char *current)
{
	json_t *a = json_array();

	for (; *list; list++)
		json_array_append_new(a, json_pack("{s:s,s:b}", "value", *list, "selected",
		                                   current && !strcmp(current, *list)));
	return a;
}

json_t *layout_data(struct req *r, const char *page, const char *title)
{
	const struct layout_assets *a = &r->app->assets;
	int timeout = r->app->settings.session_timeout;
	long long left = r->sess ? r->sess->expires - r->now : 0;
	json_t *d;
	char nav[96];

	d = json_pack("{s:s,s:s,s:s,s:{s:i,s:I},s:o,s:o,s:o,s:{s:s,s:s,s:s,s:s,s:s},s:b}",
	              "title", title, "page", page,
	              "csrf", session_csrf_masked(r),
	              "session", "timeout", timeout, "expires_in", (json_int_t)(left > 0 ? left : 0),
	              "prefs", prefs_of(r),
	              "vcenters", session_vcenter_list(r),
	              "flash", flash_list(r),
	              "assets", "css", a->css, "js", a->js, "htmx", a->htmx,
	              "apexcharts", a->apexcharts, "lucide", a->lucide,
	              "htmx", r->hx);
	if (!d)
		return NULL;
	json_object_set_new(d, "user", r->sess ? json_pack("{s:s,s:b}", "name", r->sess->user,
	                                                    "admin", r->sess->admin)
	                                        : json_null());
	json_object_set_new(d, "elevated", elevated_of(r));
	snprintf(nav, sizeof(nav), "nav_%s", page);
	json_object_set_new(d, nav, json_true());
	if (r->sess) {
		const char *tag = page_live_tag(r);   /* the first poll of /live (page_live.c) */
		if (tag)
			json_object_set_new(d, "live_tag", json_string(tag));
	}
	return d;
}

static int render(struct req *r, const char *tpl, const json_t *data,
                  const struct tpl_own_partial *own, struct buf *out)
{
	char err[256];

	if (!r->app->tpl) {
		log_error("web.render", "template=%s error=\"no templates loaded\"", log_q(tpl));
		return -1;
	}
	if (tpl_render_json_own(r->app->tpl, tpl, data, own, out, err, sizeof(err)) < 0) {
		log_error("web.render", "template=%s error=%s", log_q(tpl), log_q(err));
		return -1;
	}
	return 0;
}

/* ---- the layout around a page ----
 *
 * The layout's {{{content}}} is the page, rendered where the layout asks for it
 * straight into the layout's output: the page (40 KB and more) is neither copied
 * into a JSON string nor from one. "content" in the layout data is a placeholder
 * value of its own (a fresh JSON string, so its address is unique); the ops below
 * are jansson's, except that the placeholder prints as the page. */

struct wrap {
	const json_t *mark;                /* the placeholder under "content" */
	struct req *r;
	const char *tpl;                   /* the page template and its data */
	const json_t *page_data;
	const struct tpl_own_partial *own;
	int failed;                        /* the page did not render */
};

static const void *wrap_lookup(void *closure, const void *v, const char *name)
{
	(void)closure;
	return tpl_json_ops.lookup(NULL, v, name);
}

static int wrap_truthy(void *closure, const void *v)
{
	const struct wrap *w = closure;

	return v == w->mark ? 1 : tpl_json_ops.truthy(NULL, v);
}

static int wrap_iterate(void *closure, const void *v, size_t index, const void **item)
{
	(void)closure;
	return tpl_json_ops.iterate(NULL, v, index, item);
}

static void wrap_stringify(void *closure, const void *v, struct buf *out)
{
	struct wrap *w = closure;

	if (v != w->mark)
		tpl_json_ops.stringify(NULL, v, out);
	else if (render(w->r, w->tpl, w->page_data, w->own, out) < 0)
		w->failed = 1;
}

static const struct tpl_data_ops wrap_ops = { wrap_lookup, wrap_truthy, wrap_iterate, wrap_stringify };

/* Renders the layout from d with the page in it into out. d gets the placeholder. */
static int render_wrapped(struct req *r, json_t *d, const char *tpl, const json_t *page_data,
                          const struct tpl_own_partial *own, struct buf *out)
{
	const struct tpl *layout = r->app->tpl ? tpl_set_get(r->app->tpl, "layout") : NULL;
	struct wrap w = { json_string(""), r, tpl, page_data, own, 0 };
	struct tpl_data data = { &wrap_ops, &w, d };
	struct tpl_render_opts opts = { .partial = tpl_set_partial, .partial_closure = r->app->tpl };
	char err[256];

	if (!layout)
		return render(r, "layout", d, NULL, out);   /* logs the missing template */
	json_object_set_new(d, "content", (json_t *)w.mark);
	if (tpl_render(layout, &data, &opts, out, err, sizeof(err)) < 0) {
		log_error("web.render", "template=layout error=%s", log_q(err));
		return -1;
	}
	return w.failed ? -1 : 0;
}

static int page_render_ex(struct req *r, int status, const char *tpl, json_t *page_data,
                          const char *title, bool wrap, const struct tpl_own_partial *own)
{
	const char *page = strncmp(tpl, "page-", 5) ? tpl : tpl + 5;
	struct buf html = BUF_INIT;
	json_t *d = NULL;
	int rc = -1;

	if (!page_data)
		page_data = json_object();
	/* The page template sees its own data plus the layout's (user, csrf, prefs). */
	d = layout_data(r, page, title);
	if (!d || json_object_update_missing(page_data, d) < 0)
		goto out;
	if (r->hx || !wrap) {
		if (render(r, tpl, page_data, own, &html) < 0)
			goto out;
	} else if (render_wrapped(r, d, tpl, page_data, own, &html) < 0) {
		goto out;
	}
	resp_body_take(r, status, "text/html; charset=utf-8", &html);
	rc = 0;
out:
	json_decref(d);
	json_decref(page_data);
	buf_free(&html);
	return rc;
}

int page_render_status(struct req *r, int status, const char *tpl, json_t *page_data,
                       const char *title)
{
	return page_render_ex(r, status, tpl, page_data, title, true, NULL);
}

int page_render_own(struct req *r, const char *tpl, json_t *page_data, const char *title,
                    const struct tpl_own_partial *own)
{
	return page_render_ex(r, 200, tpl, page_data, title, true, own);
}

int page_render_doc(struct req *r, int status, const char *tpl, json_t *page_data,
                    const char *title)
{
	return page_render_ex(r, status, tpl, page_data, title, false, NULL);
}
