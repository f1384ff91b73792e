/* Resuming a user's vCenter session from the portal session, checking the user's
 * password with a throwaway login, and operation targets (see uservc.h). */
#include "uservc.h"
#include "log.h"
#include "req.h"
#include "scope.h"
#include "server.h"
#include "session.h"
#include "cfg.h"

#include <stdio.h>
#include <string.h>

static const char *cookie_of(const struct req *r, const char *vcenter)
{
	json_t *list = r->sess ? session_vcenters(r->sess) : NULL, *v;
	size_t i;

	json_array_foreach(list, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (id && !strcmp(id, vcenter))
			return json_string_value(json_object_get(v, "cookie"));
	}
	return NULL;
}

/* A new, not yet logged-in session to vc with its TLS settings and the user
 * timeouts; NULL with *code and err on failure. */
static struct vc_session *session_to(const struct cfg_vcenter *vc, enum vc_err *code,
                                     char *err, size_t errlen)
{
	struct vc_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.url = vc->url;
	ep.verify_tls = vc->verify_tls;
	ep.ca_file = vc->ca_file;
	ep.fingerprint = vc->fingerprint;
	ep.connect_timeout_ms = 5000;
	ep.request_timeout_ms = USERVC_TIMEOUT_MS;
	ep.deadline_ms = vc_now_ms() + USERVC_TIMEOUT_MS;
	return vc_session_new_ex(&ep, code, err, errlen);
}

struct vc_session *uservc_open(struct req *r, const char *vcenter, char *err, size_t errlen)
{
	const struct cfg_vcenter *vc = cfg_vcenter_find(r->app->cfg, vcenter);
	const char *cookie = cookie_of(r, vcenter);
	struct vc_session *s;

	if (!vc || !cookie) {
		snprintf(err, errlen, "vCenter '%s' is not open in this session: sign in to it first", vcenter);
		return NULL;
	}
	s = session_to(vc, NULL, err, errlen);
	if (s && vc_session_set_cookie(s, cookie)) {
		snprintf(err, errlen, "the session with vCenter '%s' is unusable: sign in again", vcenter);
		vc_session_free(s);
		return NULL;
	}
	return s;
}

int uservc_check_password(struct req *r, const char *vcenter, const char *user,
                          const char *password, enum vc_err *code, char *err, size_t errlen)
{
	const struct cfg_vcenter *vc = cfg_vcenter_find(r->app->cfg, vcenter);
	struct vc_session *s;
	int rc = -1;

	*code = VC_EINVAL;
	if (!vc) {
		snprintf(err, errlen, "vCenter '%s' is not configured", vcenter);
		return -1;
	}
	if (!(s = session_to(vc, code, err, errlen)))
		return -1;
	if (vc_login(s, user, password) == 0) {
		rc = 0;
		*code = VC_OK;
		/* Only the check was wanted: end this extra session now (if vCenter does not
		 * answer, it ends by its own idle timeout). */
		if (vc_logout(s) < 0)
			log_warn("uservc.logout_failed", "vcenter=%s error=%s", log_q(vcenter),
			         log_q(vc_errstr(s)));
	} else {
		*code = vc_errcode(s);
		snprintf(err, errlen, "%s", vc_errstr(s));
	}
	vc_session_free(s);
	return rc;
}

static int valid_moref(const char *m)
{
	size_t n = strspn(m, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

	return n > 0 && n <= 64 && m[n] == '\0';
}

int uservc_target(const struct scope *sc, const char *target, char vcenter[CFG_ID_MAX + 1],
                  const char **moref)
{
	const char *colon = strchr(target, ':');

	vcenter[0] = '\0';
	*moref = colon ? colon + 1 : "";
	if (colon && (size_t)(colon - target) <= CFG_ID_MAX) {
		memcpy(vcenter, target, (size_t)(colon - target));
		vcenter[colon - target] = '\0';
	}
	return cfg_valid_id(vcenter) && scope_find(sc, vcenter) >= 0 && valid_moref(*moref) ? 0 : -1;
}

const char *uservc_explain(const struct vc_session *s)
{
	switch (vc_errcode(s)) {
	case VC_EFAULT_PERM:
		return "vCenter refused: your account lacks the permission for this (NoPermission)";
	case VC_EFAULT_AUTH:
		return "your vCenter session has ended: sign out and in again";
	case VC_EFAULT_NOTFOUND:
		return "the object no longer exists in vCenter";
	default:
		return vc_errstr(s);
	}
}

int vc_errcode_is_perm(const struct vc_session *s)
{
	return s && vc_errcode(s) == VC_EFAULT_PERM;
}

const char *inv_mor_value(const json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	v = json_object_get(v, "value");
	return json_is_string(v) ? json_string_value(v) : NULL;
}
