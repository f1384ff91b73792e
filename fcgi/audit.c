/* Audit entries in a sealed Redis list and in the log (see audit.h). */
#include "audit.h"
#include "log.h"
#include "req.h"
#include "server.h"
#include "session.h"
#include "store.h"

#include <string.h>
#include <time.h>

int audit_to(struct store *s, const char *who, const char *ip, const char *action,
             const char *target, const char *outcome, const char *detail)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *e;
	char *text;
	int rc = 0;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "time", when, "user", who ? who : "-",
	              "ip", ip ? ip : "-", "action", action, "target", target ? target : "",
	              "outcome", outcome);
	json_object_set_new(e, "detail", detail ? json_string(detail) : json_null());
	text = json_dumps(e, JSON_COMPACT);
	if (!text || !s || store_push(s, AUDIT_KEY, text, strlen(text), AUDIT_KEEP)) {
		log_error("audit.store_failed", "action=%s", log_q(action));
		rc = -1;
	}
	log_info("audit", "user=%s ip=%s action=%s target=%s outcome=%s detail=%s", log_q(who),
	         log_q(ip), log_q(action), log_q(target), outcome, log_q(detail));
	free(text);
	json_decref(e);
	return rc;
}

void audit(struct req *r, const char *user, const char *action, const char *target,
           const char *outcome, const char *detail)
{
	const char *who = r->sess && r->sess->user ? r->sess->user : user ? user : "-";

	audit_to(r->app->store, who, r->client_ip, action, target, outcome, detail);
}

static void collect(void *ctx, const char *data, size_t len)
{
	json_t *e = json_loadb(data, len, 0, NULL);

	if (e)
		json_array_insert_new(ctx, 0, e);   /* newest first */
}

json_t *audit_recent(struct req *r, int max)
{
	json_t *out = json_array();

	if (!r->app->store || store_list(r->app->store, AUDIT_KEY, -max, -1, collect, out)) {
		json_decref(out);
		return NULL;
	}
	return out;
}
