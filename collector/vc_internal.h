/* vc_internal: what the vc_*.c files share and callers must not use — the session
 * struct, the transport (vc_http.c) and the SOAP request layer (vc_soap.c). */
#ifndef VC_INTERNAL_H
#define VC_INTERNAL_H

#include "vc.h"
#include "buf.h"

#include <curl/curl.h>

struct vc_session {
	CURL *curl;
	struct curl_slist *headers;     /* Content-Type, SOAPAction, Expect */
	char *url;                      /* .../sdk */
	char *ca_file;
	bool verify_tls;
	bool has_pin;
	uint8_t pin[32];
	char pinned_ip[64];             /* the connection whose certificate matched */
	long pinned_port;
	uint8_t seen[32];               /* fingerprint of the last certificate seen */
	bool seen_valid, pin_failed;
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
	struct vc_parser *parser;
	struct buf *sink;               /* GET: raw body */
	size_t sink_max, bytes_in;
	long status;
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
/* POSTs body to the SDK URL, streaming the answer into p. Returns 0 when the HTTP
 * exchange completed (p holds the outcome; s->status the HTTP status), -1 with the
 * session error set on transport failure. */
int vc_http_post(struct vc_session *s, const char *method, const struct buf *body,
                 struct vc_parser *p);
/* GETs path (relative to the host of the SDK URL) into out, at most max bytes. */
int vc_http_get(struct vc_session *s, const char *path, struct buf *out, size_t max);

/* vc_soap.c: envelopes and requests. */
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

#endif
