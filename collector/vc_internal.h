/* vc_internal: what the vc_*.c files share and callers must not use — the session
 * struct, the transport (vc_http.c) and the SOAP request layer (vc_soap.c). */
#ifndef VC_INTERNAL_H
#define VC_INTERNAL_H

#include "vc.h"
#include "buf.h"

#include <curl/curl.h>

#define VC_LANES_MAX 4              /* connections of an overlapped collection */
#define VC_PINNED_MAX (VC_LANES_MAX + 2)

/* One transfer slot: an easy handle and what its current request streams into. All
 * slots of a session sit in the session's multi handle and share its connections. */
struct vc_xfer {
	struct vc_session *s;
	CURL *curl;
	struct vc_parser *parser;       /* POST: the answer's parser, borrowed */
	struct buf *sink;               /* GET: raw body */
	size_t sink_max, bytes_in;
	long status;
	struct buf spool;               /* POST: answer bytes not parsed yet ... */
	size_t taken;                   /* ... of which the parser has read this many */
	bool discard;                   /* the parser stopped: refuse the rest (vc_http_parse) */
	bool pin_failed;                /* this transfer met a certificate off the pin */
	bool active, done;              /* in the multi handle / finished (rc is set) */
	CURLcode rc;
	int64_t t0;
	char detail[CURL_ERROR_SIZE];
};

struct vc_session {
	CURLM *multi;
	struct vc_xfer main;            /* every ordinary request */
	struct vc_xfer lanes[VC_LANES_MAX];  /* vc_bulk's extra slots, created on demand */
	size_t nlanes;
	struct curl_slist *headers;     /* Content-Type, SOAPAction, Expect */
	char *url;                      /* .../sdk */
	char *ca_file;
	bool verify_tls;
	bool has_pin;
	uint8_t pin[32];
	struct {                        /* connections whose certificate matched, by */
		char ip[64];                /* (peer address, local port); a ring */
		long port;
	} pinned[VC_PINNED_MAX];
	size_t npinned;
	uint8_t seen[32];               /* fingerprint of the last certificate seen */
	bool seen_valid;
	long connect_ms, request_ms;
	int64_t deadline_ms;
	const atomic_int *abort;
	char version[32];
	char cookie[VC_COOKIE_MAX];     /* secret; wiped on free */
	struct vc_service_content sc;
	char user[256], full_name[256];
	char *relogin_user;             /* set by vc_login_cb() */
	vc_password_fn password_fn;
	void *password_ctx;
	unsigned logins;                /* successful logins, to notice a re-login */
	struct buf req;                 /* request body, reused */
	const struct vc_prune *prune;   /* vc_session_set_prune(), borrowed */
	size_t nprune;
	/* per request */
	long status;                    /* HTTP status of the last ordinary request */
	enum vc_err err;
	char errstr[VC_ERRSTR_MAX];
	char fault_type[64];
};

/* Records an error in the session; always returns -1. */
int vc_fail(struct vc_session *s, enum vc_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vc_clear_err(struct vc_session *s);
/* Copies the parser's error into the session; returns -1. */
int vc_fail_parser(struct vc_session *s, const struct vc_parser *p);

/* vc_http.c: the libcurl transport. */
int vc_http_open(struct vc_session *s, const struct vc_endpoint *ep);
void vc_http_close(struct vc_session *s);
int vc_http_set_version(struct vc_session *s, const char *version);
/* POSTs body to the SDK URL, parsing the answer with p. Returns 0 when the HTTP
 * exchange completed (p holds the outcome; s->status the HTTP status), -1 with the
 * session error set on transport failure. */
int vc_http_post(struct vc_session *s, const char *method, const struct buf *body,
                 struct vc_parser *p);
/* GETs path (relative to the host of the SDK URL) into out, at most max bytes. */
int vc_http_get(struct vc_session *s, const char *path, struct buf *out, size_t max);
/* Overlapped requests (vc_bulk.c). vc_http_lane() creates lane i's easy handle on
 * first use (NULL with the session error set). vc_http_start() sends body (borrowed
 * until the transfer is done) on x, for p; -1 when the deadline passed. The answer
 * is kept aside (x->spool) as it arrives until vc_http_parse() parses it with p:
 * what has arrived, then the rest as it comes, moving the session's other transfers
 * along meanwhile; it returns once x is done (0; p holds the parse's outcome), -1
 * with the session error set when the transport itself failed. vc_http_drive() moves
 * every transfer along for at most wait_ms, returning as soon as one of them ended;
 * vc_http_finish() turns a done transfer's outcome into 0 or -1 (session error);
 * vc_http_cancel() drops an unfinished one and frees what x kept aside. */
struct vc_xfer *vc_http_lane(struct vc_session *s, size_t i);
int vc_http_start(struct vc_session *s, struct vc_xfer *x, const struct buf *body,
                  struct vc_parser *p);
int vc_http_drive(struct vc_session *s, int wait_ms);
int vc_http_parse(struct vc_session *s, struct vc_xfer *x);
int vc_http_finish(struct vc_session *s, struct vc_xfer *x, const char *what);
void vc_http_cancel(struct vc_session *s, struct vc_xfer *x);

/* vc_soap.c: envelopes and requests. */
/* The SOAP envelope around <method xmlns="urn:vim25">inner</method>, into b. */
void vc_envelope(struct buf *b, const char *method, const char *inner);
/* Appends a <tag type="T">value</tag> managed object reference, escaped. */
void vc_add_moref(struct buf *b, const char *tag, const char *type, const char *value);
/* Runs method with inner XML, parsing into p; on NotAuthenticated re-logs in once
 * (when vc_login_cb() armed it) and retries. 0, or -1 with the session error set. */
int vc_soap(struct vc_session *s, const char *method, const char *inner,
            struct vc_parser *p);
/* Same without the re-login (Login and Logout themselves). */
int vc_soap_once(struct vc_session *s, const char *method, const char *inner,
                 struct vc_parser *p);
/* vc_session.c: the re-login used by vc_soap(). */
int vc_relogin(struct vc_session *s);

/* vc_props.c: pieces vc_bulk.c shares. */
struct vc_spec {
	const char *type;
	const char *const *paths;
	size_t npaths;
	const char *obj_type;   /* "ContainerView" or the object's own type */
	const char *obj;
	bool via_view;
};
void vc_add_elem(struct buf *b, const char *tag, const char *text);
/* _this, then <specSet><propSet>..</propSet> without the closing </specSet>. */
void vc_add_propset(struct vc_session *s, struct buf *b, const struct vc_spec *sp);
int vc_create_view(struct vc_session *s, const char *type, char *view, size_t cap);
void vc_destroy_view(struct vc_session *s, const char *view);
/* RetrievePropertiesEx of sp in pages of `page`, halved while vCenter refuses it. */
int vc_first_page(struct vc_session *s, const struct vc_spec *sp, size_t page,
                  struct vc_parser *p);
/* Whether the session's error says the page asked for was too large. */
bool vc_page_too_large(const struct vc_session *s);

#endif
