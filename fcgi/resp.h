/* Building the response of a request: status, headers, cookies and body go into
 * buffers of struct req and are written to FastCGI once at the end, so an error
 * page can still replace a half-built answer. resp_error() is the one function
 * that renders an error page. Header values are checked for CR/LF. */
#ifndef VC_RESP_H
#define VC_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct req;
struct buf;

/* Adds a header line; a name or value holding CR, LF or NUL is dropped (logged). */
void resp_header(struct req *r, const char *name, const char *value);
/* Adds a Set-Cookie for a __Host- cookie: Path=/; Secure; HttpOnly; SameSite=Strict.
 * max_age < 0: session cookie; 0: delete; > 0: Max-Age. */
void resp_cookie(struct req *r, const char *name, const char *value, int max_age);
/* Sets status, Content-Type and body (copied). */
void resp_body(struct req *r, int status, const char *ctype, const char *body, size_t len);
/* Same, taking body over instead of copying it: r's previous body moves to *body
 * (emptied), which the caller still frees. */
void resp_body_take(struct req *r, int status, const char *ctype, struct buf *body);
/* 303 to location (a local path), or for HTMX requests 204 with HX-Redirect. */
void resp_redirect(struct req *r, const char *location);
/* Answers JSON (borrowed) with status. */
void resp_json(struct req *r, int status, const json_t *j);
/* The error page: status, a short title and a message that says what to do, in
 * the page-error template inside the layout (JSON {"error":...} under /api/);
 * falls back to a built-in page when templates fail. Content headers set before
 * are dropped, cookies kept. Returns 0 so handlers can `return resp_error(...)`. */
int resp_error(struct req *r, int status, const char *title, const char *message);
/* Writes the whole CGI response (Status, headers, blank line, body unless HEAD)
 * into out; with r->body_file set, only the head (Content-Length the file's): the
 * server then sends the file in chunks (server.c). */
void resp_format(const struct req *r, struct buf *out);
/* The same without the body: Status, headers and the blank line. */
void resp_format_head(const struct req *r, struct buf *out);
/* Whether r->body goes out after the head (not for HEAD, 204 and 304). */
bool resp_has_body(const struct req *r);
const char *resp_reason(int status);

#endif
