/* The layout data contract (layout.h) and page rendering: the layout is rendered
 * with the page template in place of its "content", unless the request came from
 * HTMX, which wants the fragment alone. The layout's data are arena view values
 * (tpl_view.h); a page's own data is JSON, seen over the layout's keys. */
#include "layout.h"
#include "req.h"
#include "arena.h"
#include "resp.h"
#include "server.h"
#include "session.h"
#include "cfg.h"
#include "log.h"
#include "scope.h"
#include "store.h"
#include "tpl.h"
#include "tpl_view.h"

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

/* ISO 8601 UTC text of t into s (32 bytes), or "" for no time. */
static void iso_time(long long t, char s[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	s[0] = '\0';
	if (t > 0 && gmtime_r(&tt, &tm))
		strftime(s, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One vCenter's state for the layout, from its status record. */
struct vc_state {
	const char *state;     /* ok, stale, error, unknown */
	char ok_at[32];        /* last success, ISO 8601, "" never */
	const char *err;       /* borrowed from the record, NULL: none */
	char host[96];         /* the collector holding the lease, "" none */
};

/* st may be NULL: never polled, missing or tampered. */
static void vc_state_read(const struct req *r, int interval, const json_t *st, struct vc_state *s)
{
	const char *owner;
	long long ok_at = 0;

	memset(s, 0, sizeof(*s));
	s->state = "unknown";
	if (!json_is_object(st))
		return;
	ok_at = time_of(json_object_get(st, "last_success"));
	s->err = json_string_value(json_object_get(st, "error"));
	if (s->err && *s->err)
		s->state = "error";
	else if (ok_at && r->now - ok_at > 3LL * (interval > 0 ? interval : 120))
		s->state = "stale";
	else if (ok_at)
		s->state = "ok";
	if (s->err && !*s->err)
		s->err = NULL;
	iso_time(ok_at, s->ok_at);
	/* the collector holding the vCenter's lease: "hostname:pid:random" */
	if ((owner = json_string_value(json_object_get(st, "owner"))))
		snprintf(s->host, sizeof(s->host), "%.*s", (int)strcspn(owner, ":"), owner);
}

/* The state object {id, name, state, last_success, error, collector, state_<state>:
 * true} as JSON (the login page) ... */
static json_t *vcenter_state_json(const char *id, const char *name, const struct vc_state *s)
{
	char key[96];
	json_t *out;

	out = json_pack("{s:s,s:s,s:s,s:o,s:o}", "id", id, "name", name ? name : id,
	                "state", s->state, "last_success", s->ok_at[0] ? json_string(s->ok_at) : json_null(),
	                "error", s->err ? json_string(s->err) : json_null());
	json_object_set_new(out, "collector", s->host[0] ? json_string(s->host) : json_null());
	/* state_<state>: true, for templates that switch on the state. */
	snprintf(key, sizeof(key), "state_%s", s->state);
	json_object_set_new(out, key, json_true());
	return out;
}

/* ... and as a view value in the arena (the layout), strings copied there. */
static struct tpl_view *vcenter_state_view(struct req *r, const char *id, const char *name,
                                           const struct vc_state *s)
{
	struct arena *a = &r->arena;
	struct tpl_view *v = tpl_view_map(a, 7);

	tpl_view_sets(a, v, "id", id);
	tpl_view_sets(a, v, "name", name ? name : id);
	tpl_view_sets(a, v, "state", s->state);
	tpl_view_set(v, "last_success", s->ok_at[0] ? tpl_view_text(a, arena_strdup(a, s->ok_at))
	                                            : tpl_view_null());
	tpl_view_set(v, "error", s->err ? tpl_view_text(a, arena_strdup(a, s->err)) : tpl_view_null());
	tpl_view_set(v, "collector", s->host[0] ? tpl_view_text(a, arena_strdup(a, s->host))
	                                        : tpl_view_null());
	tpl_view_setb(v, arena_printf(a, "state_%s", s->state), 1);
	return v;
}

json_t *layout_vcenter_state(struct req *r, const char *id, const char *name, int interval)
{
	char key[96], *raw = NULL;
	size_t len;
	json_t *st = NULL, *out;
	struct vc_state vs;

	store_key_vc(key, sizeof(key), id, "status");
	if (r->app->store && store_get(r->app->store, key, &raw, &len) == 1)
		st = json_loadb(raw, len, 0, NULL);
	free(raw);
	vc_state_read(r, interval, st, &vs);
	out = vcenter_state_json(id, name, &vs);
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

/* The status records the page's scope_load_page() read with the generations; false
 * when one of the n was not among them (then they are read here). */
static bool status_from_scope(struct req *r, const struct cfg_vcenter *const *vc, size_t n,
                              struct status_batch *b)
{
	const char *data;
	size_t len;

	for (size_t i = 0; i < n; i++)
		if (!scope_status(r, vc[i]->id, &data, &len))
			return false;
	for (size_t i = 0; i < n; i++) {
		scope_status(r, vc[i]->id, &data, &len);
		status_got(b, i, data, len);
	}
	return true;
}

/* One round trip for every vCenter of the session instead of one each (none when
 * the page read them with its generations). A Redis failure shows them "unknown",
 * as a failed single read did. */
static struct tpl_view *session_vcenter_list(struct req *r)
{
	const json_t *vcs = r->sess ? session_vcenters(r->sess) : NULL;
	size_t max = json_array_size(vcs), n = 0, i;
	const struct cfg_vcenter **vc = arena_alloc(&r->arena, (max + 1) * sizeof(*vc));
	const char **keys = arena_alloc(&r->arena, (max + 1) * sizeof(*keys));
	struct status_batch b = { arena_alloc(&r->arena, (max + 1) * sizeof(*b.st)) };
	struct tpl_view *list = tpl_view_list(&r->arena, max);
	struct vc_state vs;
	json_t *v;
	char key[96];

	json_array_foreach(vcs, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (!(vc[n] = id ? cfg_vcenter_find(r->app->cfg, id) : NULL))
			continue;
		store_key_vc(key, sizeof(key), vc[n]->id, "status");
		keys[n++] = arena_strdup(&r->arena, key);
	}
	if (n && r->app->store && !status_from_scope(r, vc, n, &b))
		store_get_many(r->app->store, keys, n, status_got, &b);
	for (i = 0; i < n; i++) {
		vc_state_read(r, vc[i]->interval, b.st[i], &vs);
		tpl_view_add(list, vcenter_state_view(r, vc[i]->id, vc[i]->name, &vs));
		json_decref(b.st[i]);
	}
	return list;
}

static struct tpl_view *flash_list(struct req *r)
{
	struct tpl_view *list = tpl_view_list(&r->arena, r->n_flash);

	for (size_t i = 0; i < r->n_flash; i++) {
		struct tpl_view *f = tpl_view_map(&r->arena, 2);
		tpl_view_sets(&r->arena, f, "kind", r->flash[i].kind);
		tpl_view_sets(&r->arena, f, "text", r->flash[i].text);
		tpl_view_add(list, f);
	}
	return list;
}

static struct tpl_view *prefs_of(struct req *r)
{
	const char *theme = r->sess ? session_pref(r->sess, "theme") : NULL;
	const char *accent = r->sess ? session_pref(r->sess, "accent") : NULL;
	struct arena *a = &r->arena;
	struct tpl_view *p = tpl_view_map(a, 4);

	/* the user's own choice, else the administrator's default (Settings) */
	theme = theme ? theme : r->app->settings.theme;
	accent = accent ? accent : r->app->settings.accent;
	tpl_view_sets(a, p, "theme", theme);
	tpl_view_sets(a, p, "accent", accent);
	/* theme_<theme> and accent_<accent>: true, for templates that switch on them */
	tpl_view_setb(p, arena_printf(a, "theme_%s", theme), 1);
	tpl_view_setb(p, arena_printf(a, "accent_%s", accent), 1);
	return p;
}

/* Elevated mode for the top bar: {expires_in, text: "m:ss"} while it lasts, else
 * false (so {{#elevated}} switches on it). */
static struct tpl_view *elevated_of(struct req *r)
{
	long long left = session_elevated_left(r->sess, r->now);
	struct tpl_view *e;

	if (left <= 0)
		return tpl_view_false();
	e = tpl_view_map(&r->arena, 2);
	tpl_view_set(e, "expires_in", tpl_view_int(&r->arena, left));
	tpl_view_sets(&r->arena, e, "text", arena_printf(&r->arena, "%lld:%02lld", left / 60, left % 60));
	return e;
}

json_t *layout_choices(const char *const *list, const char *current)
{
	json_t *a = json_array();

	for (; *list; list++)
		json_array_append_new(a, json_pack("{s:s,s:b}", "value", *list, "selected",
		                                   current && !strcmp(current, *list)));
	return a;
}

static struct tpl_view *assets_of(struct req *r)
{
	const struct layout_assets *as = &r->app->assets;
	struct tpl_view *v = tpl_view_map(&r->arena, 5);

	tpl_view_sets(&r->arena, v, "css", as->css);
	tpl_view_sets(&r->arena, v, "js", as->js);
	tpl_view_sets(&r->arena, v, "htmx", as->htmx);
	tpl_view_sets(&r->arena, v, "apexcharts", as->apexcharts);
	tpl_view_sets(&r->arena, v, "lucide", as->lucide);
	return v;
}

static struct tpl_view *user_of(struct req *r)
{
	struct tpl_view *u;

	if (!r->sess)
		return tpl_view_null();
	u = tpl_view_map(&r->arena, 2);
	tpl_view_sets(&r->arena, u, "name", r->sess->user);
	tpl_view_setb(u, "admin", r->sess->admin);
	return u;
}

/* The layout data (layout.h's contract) in the arena, with room for one more key
 * ("content", set by render_wrapped). */
static struct tpl_view *layout_view(struct req *r, const char *page, const char *title)
{
	struct arena *a = &r->arena;
	int timeout = r->app->settings.session_timeout;
	long long left = r->sess ? r->sess->expires - r->now : 0;
	struct tpl_view *d = tpl_view_map(a, 16), *sess = tpl_view_map(a, 2);

	tpl_view_set(sess, "timeout", tpl_view_int(a, timeout));
	tpl_view_set(sess, "expires_in", tpl_view_int(a, left > 0 ? left : 0));
	tpl_view_sets(a, d, "title", title);
	tpl_view_sets(a, d, "page", page);
	tpl_view_sets(a, d, "csrf", session_csrf_masked(r));
	tpl_view_set(d, "session", sess);
	tpl_view_set(d, "prefs", prefs_of(r));
	tpl_view_set(d, "vcenters", session_vcenter_list(r));
	tpl_view_set(d, "flash", flash_list(r));
	tpl_view_set(d, "assets", assets_of(r));
	tpl_view_setb(d, "htmx", r->hx);
	tpl_view_set(d, "user", user_of(r));
	tpl_view_set(d, "elevated", elevated_of(r));
	tpl_view_setb(d, arena_printf(a, "nav_%s", page), 1);
	if (r->sess)   /* the first poll of /live (page_live.c) */
		tpl_view_sets(a, d, "live_tag", page_live_tag(r));
	return d;
}

/* Renders the set's template tpl from root (a view value: JSON is reached through
 * tpl_view_json) with own's partials from their own data, appending to out. */
static int render(struct req *r, const char *tpl, const struct tpl_view *root,
                  const struct tpl_own_partial *own, struct buf *out)
{
	const struct tpl *t = r->app->tpl ? tpl_set_get(r->app->tpl, tpl) : NULL;
	struct tpl_data data = { &tpl_view_ops, &r->arena, root };
	struct tpl_render_opts opts = { .partial = tpl_set_partial, .partial_closure = r->app->tpl };
	char err[256];

	if (!r->app->tpl) {
		log_error("web.render", "template=%s error=\"no templates loaded\"", log_q(tpl));
		return -1;
	}
	if (!t) {
		snprintf(err, sizeof(err), "no template named '%s'", tpl);
		log_error("web.render", "template=%s error=%s", log_q(tpl), log_q(err));
		return -1;
	}
	if (own) {
		opts.partial_data = tpl_own_partial_data;
		opts.partial_data_closure = (void *)own;
	}
	if (tpl_render(t, &data, &opts, out, err, sizeof(err)) < 0) {
		log_error("web.render", "template=%s error=%s", log_q(tpl), log_q(err));
		return -1;
	}
	return 0;
}

/* ---- the layout around a page ----
 *
 * The layout's {{{content}}} is the page, rendered where the layout asks for it
 * straight into the layout's output: the page (40 KB and more) is neither copied
 * into a string of its own nor from one. */

struct page_job {
	struct req *r;
	const char *tpl;                   /* the page template and its data */
	const struct tpl_view *data;
	const struct tpl_own_partial *own;
	int failed;                        /* the page did not render */
};

static void page_emit(void *ctx, struct buf *out)
{
	struct page_job *j = ctx;

	if (render(j->r, j->tpl, j->data, j->own, out) < 0)
		j->failed = 1;
}

/* The layout from lay with the page in it, into out. */
static int render_wrapped(struct req *r, struct tpl_view *lay, struct page_job *job, struct buf *out)
{
	tpl_view_set(lay, "content", tpl_view_emit(&r->arena, page_emit, job));
	if (render(r, "layout", lay, NULL, out) < 0)
		return -1;
	return job->failed ? -1 : 0;
}

static int page_render_ex(struct req *r, int status, const char *tpl, json_t *page_data,
                          const char *title, bool wrap, const struct tpl_own_partial *own)
{
	const char *page = strncmp(tpl, "page-", 5) ? tpl : tpl + 5;
	struct tpl_view *lay = layout_view(r, page, title);
	const struct tpl_view *under;
	struct page_job job = { r, tpl, NULL, own, 0 };
	struct buf html = BUF_INIT;
	int rc;

	if (!page_data)
		page_data = json_object();
	/* The page template sees its own data over the layout's (user, csrf, prefs),
	 * but not the layout's "content": under is lay as it is now, before
	 * render_wrapped adds that key behind its last one. */
	under = tpl_view_snapshot(&r->arena, lay);
	job.data = tpl_view_json(&r->arena, page_data, under);
	if (r->hx || !wrap)
		rc = render(r, tpl, job.data, own, &html);
	else
		rc = render_wrapped(r, lay, &job, &html);
	if (rc == 0)
		resp_body_take(r, status, "text/html; charset=utf-8", &html);
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
