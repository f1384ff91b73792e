/* Sessions, CSRF tokens, cookies and login throttling.
 *
 * The browser holds only a random 256-bit token in the cookie __Host-vcsid
 * (64 hex characters). Redis holds the session under sess:<hex sha256(token)>,
 * sealed by the store, so neither a Redis dump nor a log names a usable token.
 * Record (JSON):
 *   {"v":1, "user":str, "admin":bool, "csrf":hex64,
 *    "created":unix, "last_seen":unix, "expires":unix,
 *    "vcenters":[{"id":str, "cookie":str}],      vCenter session cookies, never rendered
 *    "prefs":{"theme":str, "accent":str},
 *    "elevated_until":unix}                     optional: end of elevated mode
 * elevated_until is set by a password re-check (POST /elevate, page_elevate.c) to
 * now + web.elevate_timeout and removed by POST /elevate/drop; while it lies in the
 * future the host actions are unlocked. The record holds no password.
 * The key's TTL is web.session_timeout and slides: a request more than
 * SESSION_TOUCH_S after last_seen rewrites the record with a fresh TTL.
 *
 * Before login there is no session: the login form carries a pre-session CSRF
 * token bound to the cookie __Host-vcpre (see session_pre_*). Failed logins are
 * counted in Redis per user and per client address (thr:*), see throttle_*. */
#ifndef VC_SESSION_H
#define VC_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct req;

#define SESSION_COOKIE "__Host-vcsid"
#define SESSION_PRE_COOKIE "__Host-vcpre"
#define SESSION_TOKEN_HEX 64
#define SESSION_TOUCH_S 60
#define SESSION_PRE_TTL 900        /* seconds a login form stays valid */
#define THROTTLE_WINDOW 300        /* seconds a failure counts */
#define THROTTLE_MAX_USER 5        /* failures per user name in the window */
#define THROTTLE_MAX_IP 20         /* failures per client address in the window */

struct session {
	char key[80];                  /* sess:<hex> */
	json_t *rec;                   /* the record; owned */
	const char *user;              /* borrowed from rec */
	bool admin;
	const char *csrf;              /* borrowed from rec */
	long long created, last_seen, expires;
	bool dirty;                    /* rec changed: session_save() writes it */
};

/* Hex SHA-256 of s (65 bytes out). */
void session_sha256_hex(const char *s, size_t len, char out[65]);

/* Finds the session named by the request's cookie. Returns 1 and sets r->sess,
 * 0 when there is none (missing, expired or tampered), -1 when Redis failed.
 * Slides the expiry (at most once per SESSION_TOUCH_S). */
int session_load(struct req *r);
/* Starts a session for user with the vCenters that accepted (vcenters: array of
 * {"id","cookie"}, taken over). A session the request already had is deleted
 * first (token rotation at login). Sets the cookie and r->sess. Returns 0 or -1. */
int session_create(struct req *r, const char *user, json_t *vcenters);
/* Writes r->sess back with a fresh TTL. Returns 0 or -1. */
int session_save(struct req *r);
/* Deletes r->sess from Redis and clears the cookie. The caller logs out the
 * vCenter sessions first (session_vcenters()). Returns 0 or -1. */
int session_destroy(struct req *r);
/* Frees a session struct; NULL is a no-op. */
void session_free(struct session *s);

/* The session's vCenters: array of {"id","cookie"} (borrowed). */
json_t *session_vcenters(const struct session *s);
/* The session's preference value (theme/accent) or NULL. */
const char *session_pref(const struct session *s, const char *name);
/* Sets a preference in the session (marks it dirty). */
void session_set_pref(struct session *s, const char *name, const char *value);

/* Seconds of elevated mode left at now (0: not elevated; never more than
 * web.elevate_timeout's maximum, CFG_ELEVATE_MAX). s may be NULL. */
long long session_elevated_left(const struct session *s, long long now);
/* Sets elevated_until (0 removes it) and marks the session dirty; the caller saves. */
void session_set_elevated(struct session *s, long long until);

/* Writes the session's preferences to pref:<sha256(user)> so they outlive it. */
int session_prefs_store(struct req *r);

/* The session's CSRF token masked with a fresh random pad (128 hex, arena), for
 * pages and forms; "" without a session. */
const char *session_csrf_masked(struct req *r);
/* True when token (masked or plain) matches the session's CSRF token, in
 * constant time. */
bool session_csrf_ok(const struct session *s, const char *token);
/* The CSRF token a POST carries: the form field "csrf" or the X-CSRF-Token header. */
const char *session_csrf_from(const struct req *r);

/* Pre-session CSRF for the login form: makes sure the browser has the random
 * cookie __Host-vcpre (setting it when missing) and returns the token for the form
 * ("<expiry>.<hex mac>", arena). NULL when no sealing key is available. */
const char *session_pre_issue(struct req *r);
/* True when token is a live form token bound to the request's __Host-vcpre. */
bool session_pre_check(struct req *r, const char *token);
/* Clears the __Host-vcpre cookie (after a successful login). */
void session_pre_clear(struct req *r);

/* Returns 1 when user or the client address is over its failure limit, 0 when
 * not, -1 when Redis failed. */
int throttle_locked(struct req *r, const char *user);
/* Counts one failed login for user and the client address. */
void throttle_fail(struct req *r, const char *user);
/* Forgets the user's failures (after a successful login). */
void throttle_clear(struct req *r, const char *user);

/* Pure helpers, exposed for tests: the MAC of a pre-session token, and checking
 * a token against a cookie value and a time with a 32-byte key. */
void session_pre_mac(const unsigned char key[32], const char *cookie, long long expiry,
                     const char *nonce, char out[65]);
bool session_pre_verify(const unsigned char key[32], const char *cookie, const char *token,
                        long long now);

#endif
