/* vc_session: a session with one vCenter — API version negotiation, ServiceContent,
 * Login/Logout, the session cookie (which the web tier seals and resumes), and the
 * one automatic re-login of vc_soap(). For re-login the session keeps a callback that
 * fetches the password (the collector re-reads its password file), never the
 * password: a copy lives only on the stack for the duration of Login and is wiped. */
#include "vc_internal.h"
#include "log.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FALLBACK_VERSION "7.0.3.0"   /* older than today's vCenters, which accept it */
#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_REQUEST_MS 120000

int64_t vc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
	init_rc = sodium_init() < 0 ? -1 : 0;
}

int vc_global_init(void)
{
	pthread_once(&init_once, global_init);
	return init_rc;
}

/* --- opening --- */

static int valid_version(const char *v)
{
	size_t n = strlen(v);

	return n > 0 && n < 32 && strspn(v, "0123456789.") == n;
}

/* The newest urn:vim25 version the server lists; transport errors are fatal, a
 * missing or odd file falls back to FALLBACK_VERSION. */
static int negotiate_version(struct vc_session *s, const char *forced)
{
	struct buf body = BUF_INIT;
	char version[32];
	int rc;

	if (forced) {
		if (!valid_version(forced))
			return vc_fail(s, VC_EINVAL, "API version \"%.40s\" is not like \"8.0.2.0\"", forced);
		return vc_http_set_version(s, forced);
	}
	rc = vc_http_get(s, "vimServiceVersions.xml", &body, 1u << 20);
	if (rc == 0 && (s->status != 200 || vc_parse_versions(buf_str(&body), body.len, version,
	                                                         sizeof(version)))) {
		log_info("vc.version_fallback", "status=%ld version=%s", s->status, FALLBACK_VERSION);
		snprintf(version, sizeof(version), "%s", FALLBACK_VERSION);
	}
	buf_free(&body);
	return rc ? -1 : vc_http_set_version(s, version);
}

static int fetch_service_content(struct vc_session *s)
{
	struct vc_parser *p = vc_parser_new(NULL, NULL);
	char err[VC_ERRSTR_MAX];
	int rc;

	if (!p)
		return vc_fail(s, VC_EINVAL, "out of memory");
	rc = vc_soap_once(s, "RetrieveServiceContent",
	                  "<_this type=\"ServiceInstance\">ServiceInstance</_this>", p);
	if (rc == 0 && vc_parse_service_content(vc_parser_result(p), &s->sc, err, sizeof(err)))
		rc = vc_fail(s, VC_EPARSE, "%s", err);
	vc_parser_free(p);
	/* vCenter may hand out an anonymous session here: only Login's counts. */
	sodium_memzero(s->cookie, sizeof(s->cookie));
	return rc;
}

static int copy_endpoint(struct vc_session *s, const struct vc_endpoint *ep)
{
	if (!ep->url || (strncmp(ep->url, "https://", 8) && strncmp(ep->url, "http://", 7)))
		return vc_fail(s, VC_EINVAL, "'url' must be https://host/sdk");
	s->url = strdup(ep->url);
	s->ca_file = ep->ca_file && *ep->ca_file ? strdup(ep->ca_file) : NULL;
	if (!s->url || (ep->ca_file && *ep->ca_file && !s->ca_file))
		return vc_fail(s, VC_EINVAL, "out of memory");
	s->verify_tls = ep->verify_tls;
	s->connect_ms = ep->connect_timeout_ms > 0 ? ep->connect_timeout_ms : DEFAULT_CONNECT_MS;
	s->request_ms = ep->request_timeout_ms > 0 ? ep->request_timeout_ms : DEFAULT_REQUEST_MS;
	s->deadline_ms = ep->deadline_ms;
	s->abort = ep->abort;
	return 0;
}

struct vc_session *vc_session_new_ex(const struct vc_endpoint *ep, enum vc_err *code,
                                     char *err, size_t errlen)
{
	struct vc_session *s;

	if (vc_global_init() || !(s = calloc(1, sizeof(*s)))) {
		if (code)
			*code = VC_EINVAL;
		if (errlen)
			snprintf(err, errlen, "cannot initialise the vSphere client (out of memory)");
		return NULL;
	}
	if (copy_endpoint(s, ep) || vc_http_open(s, ep) || negotiate_version(s, ep->version) ||
	    fetch_service_content(s)) {
		if (code)
			*code = s->err;
		if (errlen)
			snprintf(err, errlen, "%s", s->errstr);
		vc_session_free(s);
		return NULL;
	}
	if (code)
		*code = VC_OK;
	log_debug("vc.session", "version=%s api=%s", log_q(s->version), log_q(s->sc.about.api_version));
	return s;
}

void vc_session_free(struct vc_session *s)
{
	if (!s)
		return;
	vc_http_close(s);
	free(s->url);
	free(s->ca_file);
	free(s->relogin_user);
	buf_free_ex(&s->req, 1);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

struct vc_session *vc_session_new(const struct vc_endpoint *ep, char *err, size_t errlen)
{
	return vc_session_new_ex(ep, NULL, err, errlen);
}

/* --- login --- */

static void take_user_session(struct vc_session *s, const json_t *us)
{
	const char *user = json_string_value(json_object_get(us, "userName"));
	const char *full = json_string_value(json_object_get(us, "fullName"));

	snprintf(s->user, sizeof(s->user), "%s", user ? user : "");
	snprintf(s->full_name, sizeof(s->full_name), "%s", full ? full : "");
}

/* The Login body holds the password: it is built in one allocation, wiped after. */
static int do_login(struct vc_session *s, const char *user, const char *password)
{
	struct buf inner = BUF_INIT;
	struct vc_parser *p = vc_parser_new(NULL, NULL);
	int rc = -1;

	if (!p)
		return vc_fail(s, VC_EINVAL, "out of memory");
	buf_grow(&inner, 6 * (strlen(user) + strlen(password)) + 6 * VC_MOREF_MAX + 256);
	vc_add_moref(&inner, "_this", "SessionManager", s->sc.session_manager);
	buf_adds(&inner, "<userName>");
	buf_add_xml(&inner, user);
	buf_adds(&inner, "</userName><password>");
	buf_add_xml(&inner, password);
	buf_adds(&inner, "</password>");
	sodium_memzero(s->cookie, sizeof(s->cookie));
	if (vc_soap_once(s, "Login", buf_str(&inner), p) == 0) {
		take_user_session(s, vc_parser_result(p));
		s->logins++;
		rc = s->cookie[0] ? 0 : vc_fail(s, VC_EPARSE, "Login succeeded without a session "
		                                "cookie: is a proxy stripping cookies?");
	}
	if (rc)
		sodium_memzero(s->cookie, sizeof(s->cookie));
	buf_free_ex(&inner, 1);
	vc_parser_free(p);
	log_debug("vc.login", "user=%s ok=%d", log_q(user), rc == 0);
	return rc;
}

static void forget_relogin(struct vc_session *s)
{
	free(s->relogin_user);
	s->relogin_user = NULL;
	s->password_fn = NULL;
	s->password_ctx = NULL;
}

int vc_login(struct vc_session *s, const char *user, const char *password)
{
	forget_relogin(s);
	if (!user || !password)
		return vc_fail(s, VC_EINVAL, "user name and password are required");
	return do_login(s, user, password);
}

static int login_with(struct vc_session *s, const char *user, vc_password_fn fn, void *ctx)
{
	char password[VC_PASSWORD_MAX];
	int rc;

	if (fn(ctx, password, sizeof(password))) {
		sodium_memzero(password, sizeof(password));
		return vc_fail(s, VC_EINVAL, "the password for %.100s could not be read: check "
		               "its password_file", user);
	}
	password[sizeof(password) - 1] = '\0';
	rc = do_login(s, user, password);
	sodium_memzero(password, sizeof(password));
	return rc;
}

int vc_login_cb(struct vc_session *s, const char *user, vc_password_fn fn, void *ctx)
{
	forget_relogin(s);
	if (!user || !fn)
		return vc_fail(s, VC_EINVAL, "user name and password callback are required");
	if (login_with(s, user, fn, ctx))
		return -1;
	s->relogin_user = strdup(user);
	if (!s->relogin_user)
		return vc_fail(s, VC_EINVAL, "out of memory");
	s->password_fn = fn;
	s->password_ctx = ctx;
	return 0;
}

int vc_relogin(struct vc_session *s)
{
	return login_with(s, s->relogin_user, s->password_fn, s->password_ctx);
}

int vc_logout(struct vc_session *s)
{
	struct buf inner = BUF_INIT;
	struct vc_parser *p;
	int rc = 0;

	forget_relogin(s);
	if (!s->cookie[0])
		return 0;
	p = vc_parser_new(NULL, NULL);
	vc_add_moref(&inner, "_this", "SessionManager", s->sc.session_manager);
	rc = p ? vc_soap_once(s, "Logout", buf_str(&inner), p) : vc_fail(s, VC_EINVAL, "out of memory");
	vc_parser_free(p);
	buf_free(&inner);
	sodium_memzero(s->cookie, sizeof(s->cookie));
	s->user[0] = s->full_name[0] = '\0';
	return rc;
}

/* --- accessors --- */

const char *vc_session_cookie(const struct vc_session *s)
{
	return s->cookie[0] ? s->cookie : NULL;
}

int vc_session_set_cookie(struct vc_session *s, const char *cookie)
{
	size_t n = cookie ? strlen(cookie) : 0;

	sodium_memzero(s->cookie, sizeof(s->cookie));
	s->user[0] = s->full_name[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (cookie[i] <= 0x20 || cookie[i] >= 0x7f || cookie[i] == ';' || cookie[i] == ',')
			return vc_fail(s, VC_EINVAL, "the saved vCenter session is not a valid cookie");
	if (n >= sizeof(s->cookie))
		return vc_fail(s, VC_EINVAL, "the saved vCenter session is too long");
	memcpy(s->cookie, cookie, n);
	return 0;
}

const char *vc_session_user(const struct vc_session *s) { return s->user; }
const char *vc_session_full_name(const struct vc_session *s) { return s->full_name; }
void vc_session_set_deadline(struct vc_session *s, int64_t deadline_ms) { s->deadline_ms = deadline_ms; }
void vc_session_set_prune(struct vc_session *s, const struct vc_prune *rules, size_t n)
{
	s->prune = n ? rules : NULL;
	s->nprune = rules ? n : 0;
}

const struct vc_service_content *vc_service_content(const struct vc_session *s) { return &s->sc; }
const char *vc_api_version(const struct vc_session *s) { return s->version; }
enum vc_err vc_errcode(const struct vc_session *s) { return s->err; }
const char *vc_errstr(const struct vc_session *s) { return s->errstr; }
const char *vc_fault_type(const struct vc_session *s) { return s->fault_type; }
