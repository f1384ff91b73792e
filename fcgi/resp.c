/* Responses (see resp.h): header hygiene, cookies, redirects, JSON and the one
 * error page. Nothing here writes to the network; server.c sends the result. */
#include "resp.h"
#include "layout.h"
#include "req.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *resp_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static int header_safe(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

void resp_header(struct req *r, const char *name, const char *value)
{
	if (!header_safe(name) || !header_safe(value)) {
		log_warn("resp.header_dropped", "name=%s", log_q(name));
		return;
	}
	buf_printf(&r->head, "%s: %s\r\n", name, value);
}

void resp_cookie(struct req *r, const char *name, const char *value, int max_age)
{
	if (!header_safe(name) || !header_safe(value) || strpbrk(value, ";, ")) {
		log_warn("resp.cookie_dropped", "name=%s", log_q(name));
		return;
	}
	buf_printf(&r->cookies_out, "Set-Cookie: %s=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
	           name, value);
	if (max_age >= 0)
		buf_printf(&r->cookies_out, "; Max-Age=%d", max_age);
	buf_adds(&r->cookies_out, "\r\n");
}

void resp_body(struct req *r, int status, const char *ctype, const char *body, size_t len)
{
	r->status = status;
	resp_header(r, "Content-Type", ctype);
	buf_reset(&r->body);
	buf_add(&r->body, body, len);
}

void resp_body_take(struct req *r, int status, const char *ctype, struct buf *body)
{
	struct buf old = r->body;

	r->status = status;
	resp_header(r, "Content-Type", ctype);
	r->body = *body;
	*body = old;
	buf_reset(body);
}

void resp_redirect(struct req *r, const char *location)
{
	/* Only local paths: an open redirect would let a link send users anywhere. */
	if (location[0] != '/' || location[1] == '/' || location[1] == '\\')
		location = "/";
	if (r->hx) {
		r->status = 204;
		resp_header(r, "HX-Redirect", location);
		return;
	}
	r->status = 303;
	resp_header(r, "Location", location);
}

void resp_json(struct req *r, int status, const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	resp_body(r, status, "application/json", s ? s : "{}", s ? strlen(s) : 2);
	free(s);
}

static void builtin_error(struct req *r, int status, const char *title, const char *message)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	             "<meta name=\"viewport\" content=\"width=device-width\"><title>");
	buf_add_html(&b, title, strlen(title));
	buf_adds(&b, " - vCompanion</title></head><body><main><h1>");
	buf_add_html(&b, title, strlen(title));
	buf_adds(&b, "</h1><p>");
	buf_add_html(&b, message, strlen(message));
	buf_adds(&b, "</p><p><a href=\"/\">Home</a></p></main></body></html>\n");
	resp_body(r, status, "text/html; charset=utf-8", buf_str(&b), b.len);
	buf_free(&b);
}

int resp_error(struct req *r, int status, const char *title, const char *message)
{
	json_t *data;

	buf_reset(&r->head);
	buf_reset(&r->body);
	if (r->body_file) {
		fclose(r->body_file);
		r->body_file = NULL;
	}
	resp_header(r, "Cache-Control", "no-store");
	if (!strncmp(r->path ? r->path : "", "/api/", 5)) {
		json_t *j = json_pack("{s:{s:i,s:s,s:s}}", "error", "status", status,
		                      "title", title, "message", message);
		resp_json(r, status, j);
		json_decref(j);
		return 0;
	}
	data = json_pack("{s:i,s:s,s:s}", "status", status, "title", title, "message", message);
	if (page_render_status(r, status, "page-error", data, title) < 0) {
		buf_reset(&r->head);
		resp_header(r, "Cache-Control", "no-store");
		builtin_error(r, status, title, message);
	}
	return 0;
}

bool resp_has_body(const struct req *r)
{
	int status = r->status ? r->status : 500;

	return r->method != REQ_HEAD && status != 204 && status != 304;
}

void resp_format_head(const struct req *r, struct buf *out)
{
	int status = r->status ? r->status : 500;

	buf_printf(out, "Status: %d %s\r\n", status, resp_reason(status));
	buf_add(out, buf_str(&r->head), r->head.len);
	buf_add(out, buf_str(&r->cookies_out), r->cookies_out.len);
	if (status != 204 && status != 304 && r->body_file)
		buf_printf(out, "Content-Length: %lld\r\n", r->body_file_len);
	else if (status != 204 && status != 304 && !strstr(buf_str(&r->head), "Content-Length:"))
		buf_printf(out, "Content-Length: %zu\r\n", r->body.len);
	buf_adds(out, "\r\n");
}

void resp_format(const struct req *r, struct buf *out)
{
	resp_format_head(r, out);
	if (resp_has_body(r) && !r->body_file)
		buf_add(out, buf_str(&r->body), r->body.len);
}
