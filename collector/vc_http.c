/* vc_http: the transport. One libcurl easy handle per session keeps the connection
 * alive across requests; an answer goes from the write callback into its transfer's
 * spool, from which the parser pulls it (vc_http_parse: libxml2's pull parser, which
 * waits for the next bytes by moving the session's transfers along).
 * TLS is verified against the system CAs, a CA file, or — with a pin — the SHA-256
 * of the leaf certificate's DER, checked from a pre-request callback so nothing (no
 * password, no cookie) is sent on a connection whose certificate does not match.
 * Every request is bounded by the request timeout and the session's absolute
 * deadline, and stops early when the caller's abort flag is raised. */
#include "vc_internal.h"
#include "log.h"

#include <openssl/ssl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Address space a spool starts with: about a 1,000-VM chunk's answer. glibc maps
 * it on its own (only the pages written get backed) and buf_grow() asks for huge
 * pages over it, where doubling from 64 bytes copied the answer at every step and
 * faulted in each copy 4 KB at a time (a third of a poll's page faults). */
#define SPOOL_RESERVE (16u << 20)

/* An answer for a parser waits in x->spool until the parser reads it: all of it for
 * a lane whose turn has not come (vc_bulk.c), the bytes of one drive of the multi
 * handle for the one being parsed. Pausing the transfer instead
 * (CURL_WRITEFUNC_PAUSE) stalled the session's other transfers for a second per
 * request with libcurl 7.88. */
static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct vc_xfer *x = ud;
	size_t len = size * n;

	x->bytes_in += len;
	if (x->parser) {
		if (x->discard || x->bytes_in > VC_MAX_RESPONSE)
			return 0;
		if (!x->spool.cap)
			buf_grow(&x->spool, SPOOL_RESERVE);
		buf_add(&x->spool, data, len);
		return len;
	}
	if (x->sink) {
		if (x->sink->len + len > x->sink_max)
			return 0;
		buf_add(x->sink, data, len);
	}
	return len;
}

/* Captures "Set-Cookie: vmware_soap_session=VALUE; ..." (the value may be quoted). */
static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	static const char name[] = "set-cookie:";
	static const char cookie[] = "vmware_soap_session=";
	struct vc_session *s = ((struct vc_xfer *)ud)->s;
	size_t len = size * n, off = sizeof(name) - 1, end;

	if (len <= off || strncasecmp(data, name, off))
		return len;
	while (off < len && data[off] == ' ')
		off++;
	if (len - off < sizeof(cookie) - 1 || strncmp(data + off, cookie, sizeof(cookie) - 1))
		return len;
	off += sizeof(cookie) - 1;
	for (end = off; end < len && data[end] != ';' && data[end] != '\r' && data[end] != '\n'; end++)
		;
	if (end > off && end - off < sizeof(s->cookie)) {
		memcpy(s->cookie, data + off, end - off);
		s->cookie[end - off] = '\0';
	}
	return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct vc_session *s = ((struct vc_xfer *)ud)->s;

	return s->abort && atomic_load(s->abort) ? 1 : 0;
}

/* --- certificate pinning --- */

/* SHA-256 of the leaf certificate curl saw in the handshake; -1 when not available. */
static int leaf_fingerprint(CURL *curl, uint8_t out[32])
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *f;
	unsigned char der[16384];
	size_t derlen;
	const char *pem, *b64;

	if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &ci) || !ci || ci->num_of_certs < 1)
		return -1;
	for (f = ci->certinfo[0]; f; f = f->next) {
		if (strncmp(f->data, "Cert:", 5))
			continue;
		pem = f->data + 5;
		b64 = strstr(pem, "-----BEGIN CERTIFICATE-----");
		if (!b64)
			return -1;
		b64 += strlen("-----BEGIN CERTIFICATE-----");
		if (sodium_base642bin(der, sizeof(der), b64, strlen(b64), "\r\n \t", &derlen, &b64,
		                      sodium_base64_VARIANT_ORIGINAL) || strncmp(b64, "-----END", 8))
			return -1;
		crypto_hash_sha256(out, der, derlen);
		return 0;
	}
	return -1;
}

static void format_fingerprint(const uint8_t fp[32], char out[96])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + i * 3, 4, "%02X%s", fp[i], i < 31 ? ":" : "");
}

static bool is_pinned(const struct vc_session *s, const char *ip, long port)
{
	for (size_t i = 0; i < s->npinned && i < VC_PINNED_MAX; i++)
		if (s->pinned[i].port == port && !strcmp(s->pinned[i].ip, ip))
			return true;
	return false;
}

static void add_pinned(struct vc_session *s, const char *ip, long port)
{
	size_t i = s->npinned++ % VC_PINNED_MAX;

	snprintf(s->pinned[i].ip, sizeof(s->pinned[i].ip), "%s", ip);
	s->pinned[i].port = port;
}

/* A fresh connection carries certinfo and must match the pin; a reused one carries
 * none and is accepted only if it is one of the connections that matched before
 * (the slots of a session share their connections). */
static int on_prereq(void *ud, char *ip, char *local_ip, int port, int local_port)
{
	struct vc_xfer *x = ud;
	struct vc_session *s = x->s;

	if (!s->has_pin)
		return CURL_PREREQFUNC_OK;
	if (leaf_fingerprint(x->curl, s->seen) == 0) {
		s->seen_valid = true;
		if (sodium_memcmp(s->seen, s->pin, 32)) {
			x->pin_failed = true;
			s->npinned = 0;
			return CURL_PREREQFUNC_ABORT;
		}
		if (!is_pinned(s, ip, local_port))
			add_pinned(s, ip, local_port);
		return CURL_PREREQFUNC_OK;
	}
	if (is_pinned(s, ip, local_port))
		return CURL_PREREQFUNC_OK;
	x->pin_failed = true;
	s->seen_valid = false;
	return CURL_PREREQFUNC_ABORT;
}

static int tls_options(struct vc_session *s, struct vc_xfer *x)
{
	CURL *c = x->curl;

	if (s->has_pin) {
		/* Fail closed: a libcurl without these options must not skip the pin. */
		if (curl_easy_setopt(c, CURLOPT_CERTINFO, 1L) ||
		    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_prereq) ||
		    curl_easy_setopt(c, CURLOPT_PREREQDATA, x))
			return vc_fail(s, VC_EINVAL, "this libcurl cannot check 'fingerprint' (needs "
			               "7.80+ with certinfo): use 'ca_file' instead");
		/* A resumed TLS session carries no certificate chain to check. */
		curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, s->verify_tls ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, s->verify_tls ? 2L : 0L);
	if (s->verify_tls && s->ca_file && curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file))
		return vc_fail(s, VC_EINVAL, "this libcurl cannot use 'ca_file'");
	return 0;
}

/* libcurl sets SSL_MODE_RELEASE_BUFFERS, so OpenSSL frees a connection's read buffer
 * (about 17 KB) whenever it is drained and allocates it again for the next TLS
 * record: one large malloc per 16 KB of a 60 MB answer, each of which first
 * consolidates every small chunk the parser freed (malloc_consolidate), about 3 % of
 * a poll's CPU. Each connection is used back to back: keep its buffer. */
static CURLcode keep_tls_buffers(CURL *c, void *ssl_ctx, void *ud)
{
	SSL_CTX_clear_mode((SSL_CTX *)ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
	return CURLE_OK;
}

/* Only a libcurl built on OpenSSL hands the callback an OpenSSL SSL_CTX. */
static bool curl_uses_openssl(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	return v && v->ssl_version && !strncmp(v->ssl_version, "OpenSSL/", 8);
}

static void base_options(struct vc_xfer *x)
{
	CURL *c = x->curl;

	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vcompanion/" VC_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->detail);
	if (curl_uses_openssl())
		curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, keep_tls_buffers);
}

int vc_http_set_version(struct vc_session *s, const char *version)
{
	char action[80];

	snprintf(s->version, sizeof(s->version), "%s", version);
	snprintf(action, sizeof(action), "SOAPAction: \"urn:vim25/%s\"", s->version);
	curl_slist_free_all(s->headers);
	s->headers = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
	s->headers = curl_slist_append(s->headers, action);
	s->headers = curl_slist_append(s->headers, "Expect:");
	if (!s->headers)
		return vc_fail(s, VC_EINVAL, "out of memory building the request headers");
	return 0;
}

static int open_xfer(struct vc_session *s, struct vc_xfer *x)
{
	x->s = s;
	x->curl = curl_easy_init();
	if (!x->curl)
		return vc_fail(s, VC_EINVAL, "cannot create a libcurl handle (out of memory)");
	base_options(x);
	return tls_options(s, x);
}

/* Every request goes through one multi handle: its connection pool serves all the
 * session's slots, and while one request is awaited the others move on. */
int vc_http_open(struct vc_session *s, const struct vc_endpoint *ep)
{
	if (ep->fingerprint && *ep->fingerprint) {
		if (vc_parse_fingerprint(ep->fingerprint, s->pin))
			return vc_fail(s, VC_EINVAL, "'fingerprint' is not a SHA-256 fingerprint: give 64 "
			               "hex digits, colons optional (openssl x509 -fingerprint -sha256)");
		s->has_pin = true;
	}
	s->multi = curl_multi_init();
	if (!s->multi)
		return vc_fail(s, VC_EINVAL, "cannot create a libcurl handle (out of memory)");
	/* One request per connection, never HTTP/2 streams on a shared one: a held answer
	 * must only hold its own connection, and vCenter works on the requests of
	 * separate connections at the same time. */
	curl_multi_setopt(s->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	return open_xfer(s, &s->main);
}

struct vc_xfer *vc_http_lane(struct vc_session *s, size_t i)
{
	if (i >= VC_LANES_MAX)
		return vc_fail(s, VC_EINVAL, "at most %d connections", VC_LANES_MAX), NULL;
	while (s->nlanes <= i) {
		if (open_xfer(s, &s->lanes[s->nlanes]))
			return NULL;
		s->nlanes++;
	}
	return &s->lanes[i];
}

static void close_xfer(struct vc_session *s, struct vc_xfer *x)
{
	if (x->active)
		curl_multi_remove_handle(s->multi, x->curl);
	if (x->curl)
		curl_easy_cleanup(x->curl);
	buf_free(&x->spool);
	memset(x, 0, sizeof(*x));
}

void vc_http_close(struct vc_session *s)
{
	close_xfer(s, &s->main);
	for (size_t i = 0; i < VC_LANES_MAX; i++)
		close_xfer(s, &s->lanes[i]);
	s->nlanes = 0;
	if (s->multi)
		curl_multi_cleanup(s->multi);
	s->multi = NULL;
	curl_slist_free_all(s->headers);
	s->headers = NULL;
}

/* --- one request --- */

/* Sets the timeouts of the next request; -1 when the deadline has already passed. */
static int set_timeouts(struct vc_session *s, CURL *c)
{
	long total = s->request_ms;

	if (s->deadline_ms) {
		int64_t left = s->deadline_ms - vc_now_ms();
		if (left <= 0)
			return vc_fail(s, VC_ETIMEOUT, "the poll deadline passed before the request "
			               "was sent: raise collector.timeout if vCenter is just slow");
		if (left < total)
			total = (long)left;
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_ms < total ? s->connect_ms : total);
	return 0;
}

static int fail_pin(struct vc_session *s)
{
	char fp[96];

	if (!s->seen_valid)
		return vc_fail(s, VC_EPIN, "certificate fingerprint could not be checked on the "
		               "connection; retry, or remove 'fingerprint' to verify with CAs");
	format_fingerprint(s->seen, fp);
	return vc_fail(s, VC_EPIN, "certificate fingerprint mismatch: the server presents SHA-256 %s;"
	               " update 'fingerprint' in the configuration if the certificate was replaced", fp);
}

static int fail_tls(struct vc_session *s, CURLcode rc, const char *detail)
{
	const char *hint = s->ca_file ? "check that 'ca_file' holds the CA that signed it"
	                 : "set 'ca_file' to the vCenter's CA, or pin it with 'fingerprint'";

	return vc_fail(s, VC_ETLS, "TLS with %s failed (%s): %s", s->url, detail, hint);
}

/* Maps a libcurl failure of x to the session error. */
static int fail_curl(struct vc_session *s, const struct vc_xfer *x, const char *detail)
{
	switch (x->rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return vc_fail(s, VC_ECONNECT, "cannot connect to %s (%s): check the URL, DNS and "
		               "that vCenter is up and reachable", s->url, detail);
	case CURLE_OPERATION_TIMEDOUT:
		return vc_fail(s, VC_ETIMEOUT, "no complete answer from %s in time (%s): vCenter is "
		               "slow or unreachable; raise collector.timeout if it is just slow", s->url, detail);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return fail_tls(s, x->rc, detail);
	case CURLE_ABORTED_BY_CALLBACK:
		if (x->pin_failed)
			return fail_pin(s);
		return vc_fail(s, VC_ECANCELED, "request aborted (shutting down)");
	default:
		return vc_fail(s, VC_ECONNECT, "talking to %s failed (%s): check the network and "
		               "the vCenter", s->url, detail);
	}
}

/* Adds x to the multi handle for its next request. */
static int start_xfer(struct vc_session *s, struct vc_xfer *x)
{
	if (set_timeouts(s, x->curl))
		return -1;
	x->bytes_in = 0;
	x->status = 0;
	x->pin_failed = x->done = x->discard = false;
	buf_reset(&x->spool);
	x->taken = 0;
	x->rc = CURLE_OK;
	x->detail[0] = '\0';
	x->t0 = vc_now_ms();
	if (curl_multi_add_handle(s->multi, x->curl))
		return vc_fail(s, VC_EINVAL, "cannot start a request (libcurl multi handle)");
	x->active = true;
	return 0;
}

/* Takes the finished transfers out of the multi handle, their outcome kept. Returns
 * how many. */
static int reap(struct vc_session *s)
{
	struct vc_xfer *x;
	CURLMsg *m;
	int left, n = 0;

	while ((m = curl_multi_info_read(s->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (!x)
			continue;
		x->rc = m->data.result;
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
		curl_multi_remove_handle(s->multi, x->curl);
		x->active = false;
		x->done = true;
		n++;
	}
	return n;
}

int vc_http_drive(struct vc_session *s, int wait_ms)
{
	int running = 0;

	if (curl_multi_perform(s->multi, &running))
		return vc_fail(s, VC_ECONNECT, "libcurl multi handle failed");
	/* A transfer that just ended may be the one the caller waits for: waiting for
	 * the others' next bytes first held each request made while a VM chunk was
	 * being computed for up to the whole computation (70 ms at 1,000 VMs). */
	if (reap(s))
		return 0;
	if (running && curl_multi_poll(s->multi, NULL, 0, wait_ms, NULL))
		return vc_fail(s, VC_ECONNECT, "libcurl multi handle failed");
	return 0;
}

int vc_http_finish(struct vc_session *s, struct vc_xfer *x, const char *what)
{
	long conns = 0;

	curl_easy_getinfo(x->curl, CURLINFO_NUM_CONNECTS, &conns);
	log_debug("vc.request", "method=%s status=%ld bytes=%zu ms=%lld new_conn=%ld", what,
	          x->status, x->bytes_in, (long long)(vc_now_ms() - x->t0), conns);
	x->done = false;
	if (x->rc == CURLE_WRITE_ERROR && x->discard)
		return 0;      /* the parser stopped the transfer; it holds the reason */
	if (x->rc == CURLE_WRITE_ERROR)
		return vc_fail(s, VC_ETOOBIG, "%s: the answer is larger than expected", what);
	if (x->rc)
		return fail_curl(s, x, x->detail[0] ? x->detail : curl_easy_strerror(x->rc));
	return 0;
}

void vc_http_cancel(struct vc_session *s, struct vc_xfer *x)
{
	if (x->active)
		curl_multi_remove_handle(s->multi, x->curl);
	x->active = x->done = x->discard = false;
	x->parser = NULL;
	x->taken = 0;
	buf_free(&x->spool);
}

/* The parser's input: x's spool, refilled while empty by moving the session's
 * transfers along. A spool read to its end is reset, so it keeps the memory of a
 * drive's worth of bytes, not of the answer (fresh pages cost a fault each). */
static long read_spool(void *ctx, char *buf, size_t len)
{
	struct vc_xfer *x = ctx;
	size_t n;

	while (x->taken == x->spool.len) {
		buf_reset(&x->spool);
		x->taken = 0;
		if (x->done)
			return x->rc == CURLE_OK ? 0 : -1;
		if (vc_http_drive(x->s, 1000))
			return -1;
	}
	n = x->spool.len - x->taken < len ? x->spool.len - x->taken : len;
	memcpy(buf, x->spool.data + x->taken, n);
	x->taken += n;
	return (long)n;
}

int vc_http_parse(struct vc_session *s, struct vc_xfer *x)
{
	if (vc_parser_run(x->parser, read_spool, x) && !x->done)
		x->discard = true;    /* the rest is refused: the transfer ends, CURLE_WRITE_ERROR */
	while (!x->done)
		if (vc_http_drive(s, 1000)) {
			vc_http_cancel(s, x);
			return -1;
		}
	buf_reset(&x->spool);     /* bytes after the end of the document, if any */
	x->taken = 0;
	return 0;
}

/* Runs x's request to its end; the session's other transfers move along meanwhile. */
static int perform(struct vc_session *s, struct vc_xfer *x, const char *what)
{
	int rc = start_xfer(s, x);

	if (rc == 0 && x->parser)
		rc = vc_http_parse(s, x);
	while (rc == 0 && !x->done)
		rc = vc_http_drive(s, 1000);
	if (rc) {
		vc_http_cancel(s, x);
		return -1;
	}
	s->status = x->status;
	return vc_http_finish(s, x, what);
}

/* Sends the session cookie, if any; the stack copy is wiped. */
static void set_cookie(struct vc_session *s, CURL *c)
{
	char cookie[sizeof(s->cookie) + 32];

	if (!s->cookie[0]) {
		curl_easy_setopt(c, CURLOPT_COOKIE, NULL);
		return;
	}
	snprintf(cookie, sizeof(cookie), "vmware_soap_session=%s", s->cookie);
	curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	sodium_memzero(cookie, sizeof(cookie));
}

static void set_post(struct vc_session *s, struct vc_xfer *x, const struct buf *body,
                     struct vc_parser *p)
{
	curl_easy_setopt(x->curl, CURLOPT_URL, s->url);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, buf_str(body));
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	set_cookie(s, x->curl);
	x->parser = p;
	x->sink = NULL;
}

int vc_http_post(struct vc_session *s, const char *method, const struct buf *body,
                 struct vc_parser *p)
{
	int rc;

	set_post(s, &s->main, body, p);
	rc = perform(s, &s->main, method);
	s->main.parser = NULL;
	return rc;
}

int vc_http_start(struct vc_session *s, struct vc_xfer *x, const struct buf *body,
                  struct vc_parser *p)
{
	set_post(s, x, body, p);
	return start_xfer(s, x);
}

/* The SDK URL with its last path segment replaced: .../sdk -> .../sdk/<path>. */
int vc_http_get(struct vc_session *s, const char *path, struct buf *out, size_t max)
{
	struct vc_xfer *x = &s->main;
	struct buf url = BUF_INIT;
	int rc;

	buf_printf(&url, "%s%s%s", s->url, s->url[strlen(s->url) - 1] == '/' ? "" : "/", path);
	curl_easy_setopt(x->curl, CURLOPT_URL, buf_str(&url));
	curl_easy_setopt(x->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(x->curl, CURLOPT_COOKIE, NULL);
	x->sink = out;
	x->sink_max = max;
	x->parser = NULL;
	rc = perform(s, x, path);
	x->sink = NULL;
	buf_free(&url);
	return rc;
}
