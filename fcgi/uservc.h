/* A user's own vCenter session, resumed from the cookie kept sealed in the portal
 * session record at login: operations and task views run as that user, so vCenter
 * applies its own permissions (a NoPermission fault is shown as such). Also what
 * operations share around it: checking the user's password again (elevated mode)
 * and reading an operation's "vcenter:moref" target against the session's scope. */
#ifndef VC_USERVC_H
#define VC_USERVC_H

#include <stddef.h>
#include "cfg.h"
#include "vc.h"

struct req;
struct scope;

#define USERVC_TIMEOUT_MS 15000

/* Opens a session to vcenter (which must be one of r's session) carrying the user's
 * cookie. NULL with a message for the user in err (never a cookie). Free with
 * vc_session_free() — never vc_logout(): the portal session still owns it. */
struct vc_session *uservc_open(struct req *r, const char *vcenter, char *err, size_t errlen);
/* Checks user's password on vcenter (one of the configuration's) with a fresh
 * SessionManager.Login that is logged out again at once: the user's own vCenter
 * session of the portal is not touched. password is borrowed, never kept or logged.
 * Returns 0 when vCenter accepted it; -1 with *code (VC_EFAULT_LOGIN: refused) and a
 * message for the log in err. */
int uservc_check_password(struct req *r, const char *vcenter, const char *user,
                          const char *password, enum vc_err *code, char *err, size_t errlen);
/* Splits an operation target "vcenter:moref": vcenter receives the id part ("" when
 * it does not fit), *moref points into target after the colon ("" without one).
 * Returns 0 when the vCenter is one of sc's and the moref is plausible, else -1. */
int uservc_target(const struct scope *sc, const char *target, char vcenter[CFG_ID_MAX + 1],
                  const char **moref);
/* A short message for a failed call, saying what the user can do. */
const char *uservc_explain(const struct vc_session *s);
/* True when s failed with NoPermission (NULL: false). */
int vc_errcode_is_perm(const struct vc_session *s);
/* The value of a managed object reference as the client converts it
 * ({"_type":"MOR","value":...} or a bare string), or NULL. */
const char *inv_mor_value(const json_t *v);

#endif
