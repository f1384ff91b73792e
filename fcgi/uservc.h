/* A user's own vCenter session, resumed from the cookie kept sealed in the portal
 * session record at login: operations and task views run as that user, so vCenter
 * applies its own permissions (a NoPermission fault is shown as such). */
#ifndef VC_USERVC_H
#define VC_USERVC_H

#include <stddef.h>
#include "vc.h"

struct req;

#define USERVC_TIMEOUT_MS 15000

/* Opens a session to vcenter (which must be one of r's session) carrying the user's
 * cookie. NULL with a message for the user in err (never a cookie). Free with
 * vc_session_free() — never vc_logout(): the portal session still owns it. */
struct vc_session *uservc_open(struct req *r, const char *vcenter, char *err, size_t errlen);
/* A short message for a failed call, saying what the user can do. */
const char *uservc_explain(const struct vc_session *s);
/* True when s failed with NoPermission (NULL: false). */
int vc_errcode_is_perm(const struct vc_session *s);
/* The value of a managed object reference as the client converts it
 * ({"_type":"MOR","value":...} or a bare string), or NULL. */
const char *inv_mor_value(const json_t *v);

#endif
