/* vc: the vSphere client library. A session talks SOAP (vim25) to one vCenter over
 * keep-alive libcurl connections; a libxml2 pull parser reads each response as it
 * arrives and turns it into jansson values. The collector daemon uses it to poll,
 * the web tier to validate logins and to run operations with a user's own session.
 *
 * Error contract: functions return 0 (or a pointer) on success, -1 (or NULL) on
 * failure and leave a code (enum vc_err) and a fixed-size message in the session,
 * read with vc_errcode()/vc_errstr(). Messages say what to do and never contain a
 * password or a session cookie. A session is used by one thread at a time; only the
 * abort flag (struct vc_endpoint.abort) may be touched from another thread.
 * Design notes and the JSON shape of property values: docs/vsphere-client.md. */
#ifndef VC_H
#define VC_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_ERRSTR_MAX 256
#define VC_MOREF_MAX 128            /* longest moref kept in fixed fields */
#define VC_COOKIE_MAX 256           /* longest vmware_soap_session value accepted */
#define VC_PASSWORD_MAX 512         /* longest password a vc_password_fn may supply */
#define VC_MAX_RESPONSE (512u << 20) /* a response larger than this fails VC_ETOOBIG */
#define VC_MAX_DEPTH 128            /* XML nesting deeper than this fails VC_EPARSE */

enum vc_err {
	VC_OK = 0,
	VC_EINVAL,          /* bad argument or endpoint configuration */
	VC_ECONNECT,        /* name resolution, refused or lost connection */
	VC_ETLS,            /* handshake failed or the certificate did not verify */
	VC_EPIN,            /* certificate fingerprint does not match the pin */
	VC_ETIMEOUT,        /* request timeout or the poll deadline passed */
	VC_EHTTP,           /* HTTP status other than 200, without a SOAP fault */
	VC_EPARSE,          /* malformed XML, not SOAP, or an unexpected answer */
	VC_ETOOBIG,         /* response over VC_MAX_RESPONSE */
	VC_EFAULT_LOGIN,    /* fault InvalidLogin: wrong user name or password */
	VC_EFAULT_AUTH,     /* fault NotAuthenticated: no or expired session */
	VC_EFAULT_PERM,     /* fault NoPermission */
	VC_EFAULT_NOTFOUND, /* fault ManagedObjectNotFound */
	VC_EFAULT_PROPERTY, /* fault InvalidProperty (bad property path) */
	VC_EFAULT,          /* any other fault; vc_fault_type() names it */
	VC_ECANCELED,       /* abort flag set, callback stopped, or fault RequestCanceled */
};

/* A static English description of a code ("vCenter refused the credentials"). */
const char *vc_strerror(enum vc_err err);

/* Where and how to reach one vCenter. Every string is copied by vc_session_new(). */
struct vc_endpoint {
	const char *url;         /* https://host[:port]/sdk */
	bool verify_tls;         /* false: no verification at all (only when configured) */
	const char *ca_file;     /* NULL: system CAs; else verify against this PEM file */
	const char *fingerprint; /* NULL, or SHA-256 of the leaf certificate (hex, colons
	                          * optional, any case); the chain then need not verify */
	long connect_timeout_ms; /* 0: 10 s */
	long request_timeout_ms; /* 0: 120 s; every request also stops at the deadline */
	int64_t deadline_ms;     /* 0 or absolute vc_now_ms() time bounding vc_session_new()
	                          * and later requests until vc_session_set_deadline() */
	const atomic_int *abort; /* optional, caller-owned: non-zero aborts in-flight requests
	                          * (checked from libcurl's progress callback, ~1 s latency) */
	const char *version;     /* NULL: negotiate from /sdk/vimServiceVersions.xml */
};

/* The managed objects and product information of RetrieveServiceContent. */
struct vc_service_content {
	char root_folder[VC_MOREF_MAX];
	char property_collector[VC_MOREF_MAX];
	char view_manager[VC_MOREF_MAX];
	char session_manager[VC_MOREF_MAX];
	char perf_manager[VC_MOREF_MAX];
	struct {
		char name[128];
		char full_name[256];
		char version[32];
		char build[32];
		char api_version[32];
		char api_type[32];       /* "VirtualCenter" or "HostAgent" */
		char instance_uuid[64];
	} about;
};

struct vc_session;
struct vc_prune;                    /* defined with the parser below */

/* Monotonic clock in milliseconds, the time base of deadlines. */
int64_t vc_now_ms(void);

/* Initialises libcurl, libxml2 and libsodium. Call once from the main thread before
 * any thread uses the library (vc_session_new() calls it too, but only the main
 * thread may be first). Returns 0, or -1 when libsodium cannot start. */
int vc_global_init(void);

/* Opens a session: negotiates the API version (unless ep->version), fetches the
 * ServiceContent, checks the pin. Not logged in yet. Returns NULL and writes a
 * message into err (if errlen > 0) on failure. Free with vc_session_free(). */
struct vc_session *vc_session_new(const struct vc_endpoint *ep, char *err, size_t errlen);
/* Same, and *code (if not NULL) receives the error code (VC_EPIN, VC_ETIMEOUT, ...). */
struct vc_session *vc_session_new_ex(const struct vc_endpoint *ep, enum vc_err *code,
                                     char *err, size_t errlen);
/* Frees the session and wipes its cookie; it does NOT log out (see vc_logout()), so a
 * session whose cookie the caller kept stays valid on the server. NULL is a no-op. */
void vc_session_free(struct vc_session *s);

/* Supplies a password on demand: writes at most buflen-1 bytes plus a NUL into buf
 * (owned by the library, wiped after use) and returns 0, or -1 on failure. */
typedef int (*vc_password_fn)(void *ctx, char *buf, size_t buflen);

/* SessionManager.Login. The password is borrowed for the call and never stored or
 * logged; no automatic re-login is possible afterwards. */
int vc_login(struct vc_session *s, const char *user, const char *password);
/* Login with a password fetched from fn (e.g. re-read from the password file). The
 * session keeps user, fn and ctx (ctx must outlive the session) to log in again ONCE
 * per request when vCenter answers NotAuthenticated (vCenter restarted, session
 * expired); the password itself is never kept between calls. */
int vc_login_cb(struct vc_session *s, const char *user, vc_password_fn fn, void *ctx);
/* SessionManager.Logout; forgets the cookie and the re-login callback either way. */
int vc_logout(struct vc_session *s);

/* The vmware_soap_session cookie value, or NULL when not logged in. Borrowed, valid
 * until the next call on s; a secret: seal it, never log it. */
const char *vc_session_cookie(const struct vc_session *s);
/* Resumes a session from a cookie kept by the caller (NULL or "" forgets it). The
 * value is copied. Returns -1 (VC_EINVAL) for an implausible value. It is checked by
 * the next request: NotAuthenticated then means the session is gone. */
int vc_session_set_cookie(struct vc_session *s, const char *cookie);
/* From Login: the user's names (empty when resumed from a cookie). Borrowed. */
const char *vc_session_user(const struct vc_session *s);
const char *vc_session_full_name(const struct vc_session *s);

/* Prune rules (vc_prune, borrowed, NULL clears) for every response the session
 * parses from now on: vc_collect(), vc_retrieve_one() and vc_call() (property
 * updates included) then return only the kept parts of those properties. */
void vc_session_set_prune(struct vc_session *s, const struct vc_prune *rules, size_t n);
/* Replaces the absolute deadline (vc_now_ms() time, 0 = none) for later requests. */
void vc_session_set_deadline(struct vc_session *s, int64_t deadline_ms);
const struct vc_service_content *vc_service_content(const struct vc_session *s);
const char *vc_api_version(const struct vc_session *s);   /* e.g. "8.0.2.0" */

enum vc_err vc_errcode(const struct vc_session *s);
const char *vc_errstr(const struct vc_session *s);       /* "" when none */
const char *vc_fault_type(const struct vc_session *s);   /* last fault's type or "" */

/* Called with each object as soon as it is parsed. props is a JSON object mapping
 * each property path to its value (docs/vsphere-client.md), plus "_missing":
 * {path: faultType} for paths vCenter could not read. moref and props are borrowed:
 * valid until the callback returns (json_incref to keep props). Return 0 to go on,
 * non-zero to stop (the call then fails with VC_ECANCELED). */
typedef int (*vc_object_fn)(void *ctx, const char *moref, json_t *props);

/* Every object of `type` under the root folder: a ContainerView, then
 * RetrievePropertiesEx / ContinueRetrievePropertiesEx pages of page_size objects
 * (0: 1000; halved when vCenter refuses a page as too large), then DestroyView (also
 * on error, best effort). paths are property paths ("runtime.powerState"), borrowed.
 * If the session had to be re-logged in before any object reached fn, the collection
 * restarts once with a new view; fn never sees an object twice. */
int vc_collect(struct vc_session *s, const char *type, const char *const *paths,
               size_t npaths, size_t page_size, vc_object_fn fn, void *ctx);
/* Overlapped collection of every object of a large type (docs/collector.md, "One
 * poll"): vc_bulk_start() lists the objects through a ContainerView, then requests
 * their properties in chunks of `chunk` objects (0: 1000; fewer when a lane would get
 * less than two chunks, not below 100; split when vCenter refuses one as too large)
 * on up to `lanes` (1..4) connections at once. Until
 * vc_bulk_finish() no object reaches fn and one connection is left to the caller,
 * whose requests on s (any other call) also carry the chunks' transfers along;
 * vCenter computes the first chunks meanwhile. vc_bulk_finish() hands every object to
 * fn in listing order, exactly once, and frees the collection; objects deleted since
 * the listing are skipped. The props fn receives are built in a json_arena scope
 * (vc_parser_set_arena): fn should copy what it keeps beyond the call. NotAuthenticated
 * leads to one re-login (when vc_login_cb() armed it). Returns NULL / -1 with the
 * session error set;
 * vc_bulk_free() abandons a started collection (NULL is a no-op). */
struct vc_bulk;
struct vc_bulk *vc_bulk_start(struct vc_session *s, const char *type, const char *const *paths,
                              size_t npaths, size_t chunk, size_t lanes, vc_object_fn fn,
                              void *ctx);
/* Hands the property values of every object to sink (vc_parser_set_sink) instead of
 * building them as JSON; before vc_bulk_finish(). */
struct vc_sink;
void vc_bulk_set_sink(struct vc_bulk *b, const struct vc_sink *sink, void *ctx);
int vc_bulk_finish(struct vc_bulk *b);
void vc_bulk_free(struct vc_bulk *b);
/* One object's properties. On success *props is a new reference the caller
 * json_decref()s; a missing object fails with VC_EFAULT_NOTFOUND. */
int vc_retrieve_one(struct vc_session *s, const char *type, const char *moref,
                    const char *const *paths, size_t npaths, json_t **props);
/* Any vim25 method: sends <method xmlns="urn:vim25">inner_xml</method> (inner_xml is
 * trusted, already escaped XML) and sets *result to a new reference to the converted
 * returnval (json null for void methods; repeated returnval become an array). */
int vc_call(struct vc_session *s, const char *method, const char *inner_xml,
            json_t **result);

/* --- The response parser (no I/O of its own: the session, tests, fuzzers). --- */
struct vc_parser;

/* Keeps part of one property's value: for the property named `path` (as requested,
 * "config.hardware.device"), only the elements on the dotted paths in keep (relative
 * to the value; array items add no name, as in the JSON) and everything below them;
 * the value's other elements are skipped unread. Element types (xsi:type -> "_type")
 * of what is kept stay. When the value is an array, its items whose xsi:type is one
 * of skip_types are skipped whole (a deny list: an item of a type not listed is kept,
 * so a type a newer vCenter adds is never lost). The caller owns the rules and keeps
 * them valid (static). */
struct vc_prune {
	const char *path;
	const char *const *keep;
	size_t nkeep;
	const char *const *skip_types;
	size_t nskip_types;
};

/* fn may be NULL: ObjectContent elements then stay in the result as converted JSON
 * ({"obj":..,"propSet":..}). With fn, RetrievePropertiesEx results are streamed to fn
 * and left out of the result. Returns NULL only when out of memory. */
struct vc_parser *vc_parser_new(vc_object_fn fn, void *ctx);
/* Reads up to len bytes of the answer into buf: how many (0 at its end), -1 when
 * the rest cannot be had (the reader keeps the reason). */
typedef long (*vc_read_fn)(void *ctx, char *buf, size_t len);
/* Parses one whole response, pulling its bytes from read(ctx) as libxml2 needs them
 * (a few KB at a time; objects reach fn in between). Returns -1 once the parser
 * failed (malformed XML, over VC_MAX_RESPONSE, callback stop, a failed read); then
 * vc_parser_finish() tells the outcome. Once per response (vc_parser_reset()). */
int vc_parser_run(struct vc_parser *p, vc_read_fn read, void *ctx);
/* vc_parser_run() over len bytes at data, handed out at most piece bytes at a time
 * (0: as much as libxml2 asks for). */
int vc_parser_parse(struct vc_parser *p, const char *data, size_t len, size_t piece);
/* Ends the response; http_status is the HTTP status (200 when unknown). Returns 0 for
 * a SOAP answer, -1 for a fault (VC_EFAULT_*), an HTTP or a parse error. */
int vc_parser_finish(struct vc_parser *p, long http_status);
/* Back to the state of vc_parser_new() (same callback and prune rules) for another
 * response. */
void vc_parser_reset(struct vc_parser *p);
/* Prunes property values by rules (n of them, borrowed; NULL or 0 clears) in the
 * responses parsed from now on. */
void vc_parser_set_prune(struct vc_parser *p, const struct vc_prune *rules, size_t n);
/* With on, the values of each streamed object are allocated in a json_arena scope
 * (json_arena.h) that ends when the callback returned and the object was freed: for
 * a callback that copies whatever it keeps (a reference kept instead stays valid but
 * holds arena memory until it is freed). Kept across resets. */
void vc_parser_set_arena(struct vc_parser *p, bool on);

/* A value as the parser reads it, without building it: what would become a JSON
 * value (docs/vsphere-client.md) arrives as events. A leaf is anything but an
 * object or an array with members: */
enum vc_kind {
	VC_K_NULL,              /* xsi:nil */
	VC_K_STRING,            /* text (an enum, an untyped leaf, xsd:string, ...) */
	VC_K_INT,               /* xsd:int/long/short/byte: i */
	VC_K_REAL,              /* xsd:double/float: d */
	VC_K_BOOL,              /* xsd:boolean: b */
	VC_K_MOR,               /* a managed object reference: type, text the moref */
	VC_K_TYPED,             /* an empty element of a vim25 type: {"_type": type} */
};
struct vc_leaf {
	enum vc_kind kind;
	const char *text;       /* NUL-terminated; "" unless STRING or MOR */
	size_t len;
	const char *type;       /* MOR, TYPED: the type name; else NULL */
	long long i;
	double d;
	bool b;
};
/* The events of one value, in document order. name: the property's path for the
 * value itself, else the element's name (an array item's name carries nothing the
 * JSON keeps); a child name repeated under an object arrives once per element (JSON
 * makes an array of them). open: an object (type: its xsi:type, or NULL) or an array
 * (array true), which has members or is empty; its members follow, then close. */
struct vc_sink {
	void (*begin)(void *ctx);   /* a streamed object starts */
	void (*open)(void *ctx, const char *name, const char *type, bool array);
	void (*leaf)(void *ctx, const char *name, const struct vc_leaf *v);
	void (*close)(void *ctx);
};
/* With a sink (NULL: none), a streamed object's property values go to it as events
 * rather than into the props its callback gets, which then hold only what the sink
 * could not be given (a <val> before its <name>) and "_missing". Kept across resets;
 * sink borrowed. */
void vc_parser_set_sink(struct vc_parser *p, const struct vc_sink *sink, void *ctx);
/* Properties the current streamed object gave the sink so far. */
size_t vc_parser_sunk(const struct vc_parser *p);
/* Replays a JSON value (one property's, as the parser builds them) to sink as the
 * events the parser would have sent for it. */
void vc_sink_json(const struct vc_sink *sink, void *ctx, const char *name, const json_t *v);
enum vc_err vc_parser_errcode(const struct vc_parser *p);
const char *vc_parser_errstr(const struct vc_parser *p);
const char *vc_parser_fault_type(const struct vc_parser *p);  /* "" when none */
/* The converted returnval after a successful finish (json null when none). Borrowed:
 * valid until reset or free. */
json_t *vc_parser_result(const struct vc_parser *p);
/* The RetrievePropertiesEx continuation token, or NULL when this was the last page. */
const char *vc_parser_token(const struct vc_parser *p);
void vc_parser_free(struct vc_parser *p);   /* NULL is a no-op */

/* Fills sc from RetrieveServiceContent's converted returnval. 0 or -1 (missing
 * rootFolder/propertyCollector), message in err. */
int vc_parse_service_content(const json_t *returnval, struct vc_service_content *sc,
                             char *err, size_t errlen);
/* Picks the newest urn:vim25 version listed by /sdk/vimServiceVersions.xml into
 * version. Returns 0, or -1 when none is listed (caller falls back). */
int vc_parse_versions(const char *xml, size_t len, char *version, size_t versionlen);
/* Parses a SHA-256 fingerprint (64 hex digits, ':' or ' ' separators allowed, any
 * case) into 32 bytes. Returns 0 or -1. */
int vc_parse_fingerprint(const char *text, uint8_t out[32]);

#endif
