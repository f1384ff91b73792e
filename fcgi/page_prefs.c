/* GET/POST /preferences: the user's theme and accent colour. Kept in the session
 * (the layout reads them) and under pref:<sha256(user)> so the next login finds
 * them again. POST answers HTMX with 204 + HX-Refresh, a plain form with a 303. */
#include "router.h"
#include "layout.h"
#include "resp.h"
#include "server.h"
#include "session.h"
#include "log.h"
#include "tpl.h"

#include <string.h>

static const char *const themes[] = { "light", "dark", NULL };
static const char *const accents[] = { "blue", "purple", "green", "orange", "red", NULL };

const struct param_spec page_prefs_params[] = {
	{ .name = "theme", .kind = PARAM_ENUM, .choices = themes },
	{ .name = "accent", .kind = PARAM_ENUM, .choices = accents },
	{ .name = "csrf", .kind = PARAM_CSRF },   /* checked by the router */
	{ .name = NULL },
};

/* A plain form for when the template is missing. */
static void prefs_builtin(struct req *r)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	             "<title>Preferences - vCompanion</title></head><body><main><h1>Preferences</h1>"
	             "<p>Signed in as ");
	buf_add_html(&b, r->sess->user, strlen(r->sess->user));
	buf_adds(&b, "</p><form method=\"post\" action=\"/preferences\">"
	             "<input type=\"hidden\" name=\"csrf\" value=\"");
	buf_adds(&b, session_csrf_masked(r));  /* hex only */
	buf_adds(&b, "\"><select name=\"theme\"><option>light</option><option>dark</option></select>"
	             "<select name=\"accent\"><option>blue</option><option>purple</option>"
	             "<option>green</option><option>orange</option><option>red</option></select>"
	             "<button type=\"submit\">Save</button></form>"
	             "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"");
	buf_adds(&b, session_csrf_masked(r));
	buf_adds(&b, "\"><button type=\"submit\">Sign out</button></form></main></body></html>\n");
	resp_body(r, 200, "text/html; charset=utf-8", buf_str(&b), b.len);
	buf_free(&b);
}

int page_prefs_get(struct req *r)
{
	json_t *d;

	if (!tpl_set_get(r->app->tpl, "page-preferences") || !tpl_set_get(r->app->tpl, "layout")) {
		prefs_builtin(r);
		return 0;
	}
	d = json_pack("{s:o,s:o}",
	              "themes", layout_choices(themes, session_pref(r->sess, "theme")),
	              "accents", layout_choices(accents, session_pref(r->sess, "accent")));
	return page_render(r, "page-preferences", d, "Preferences");
}

int page_prefs_post(struct req *r)
{
	const char *theme = req_str(r, "theme"), *accent = req_str(r, "accent");

	if (theme)
		session_set_pref(r->sess, "theme", theme);
	if (accent)
		session_set_pref(r->sess, "accent", accent);
	if (session_save(r) < 0 || session_prefs_store(r) < 0)
		return router_store_down(r);
	if (r->hx) {
		r->status = 204;
		resp_header(r, "HX-Refresh", "true");
		return 0;
	}
	resp_redirect(r, r->back ? r->back : "/preferences");
	return 0;
}
