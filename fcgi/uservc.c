/* Resuming a user's vCenter session from the portal session (see uservc.h). */
#include "uservc.h"
#include "req.h"
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

struct vc_session *uservc_open(struct req *r, const char *vcenter, char *err, size_t errlen)
{
	const struct cfg_vcenter *vc = cfg_vcenter_find(r->app->cfg, vcenter);
	const char *cookie = cookie_of(r, vcenter);
	struct vc_endpoint ep;
	struct vc_session *s;

	if (!vc || !cookie) {
		snprintf(err, errlen, "vCenter '%s' is not open in this session: sign in to it first", vcenter);
		return NULL;
	}
	memset(&ep, 0, sizeof(ep));
	ep.url = vc->url;
	ep.verify_tls = vc->verify_tls;
	ep.ca_file = vc->ca_file;
	ep.fingerprint = vc->fingerprint;
	ep.connect_timeout_ms = 5000;
	ep.request_timeout_ms = USERVC_TIMEOUT_MS;
	ep.deadline_ms = vc_now_ms() + USERVC_TIMEOUT_MS;
	s = vc_session_new(&ep, err, errlen);
	if (s && vc_session_set_cookie(s, cookie)) {
		snprintf(err, errlen, "the session with vCenter '%s' is unusable: sign in again", vcenter);
		vc_session_free(s);
		return NULL;
	}
	return s;
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
