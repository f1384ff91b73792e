/* One web request: the parsed CGI environment, query, form and cookies, the
 * route's validated parameters, the session and the response being built. One
 * struct req per worker is reused: req_reset() frees everything the request owned
 * (arena, response buffers, session JSON) once per loop iteration.
 *
 * The parsers here do no I/O (the server reads the body and hands over bytes), so
 * they are unit-tested and fuzzed alone. Handlers never read raw input: a route
 * declares its parameters as {name, kind} (struct param_spec) and reads only the
 * values req_validate() accepted, through req_str()/req_int()/req_bool()/req_multi(). */
#ifndef VC_REQ_H
#define VC_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "arena.h"
#include "buf.h"

#define REQ_MAX_PARAMS 128     /* query and form each; /ops/vm takes 100 targets */
#define REQ_MAX_COOKIES 32
#define REQ_MAX_KEY 64
#define REQ_MAX_VALUE 8192
#define REQ_MAX_PATH 1024
#define REQ_MAX_FLASH 8

enum req_method { REQ_GET = 1, REQ_HEAD = 2, REQ_POST = 4, REQ_OTHER = 8 };

enum req_err {
	REQ_OK = 0,
	REQ_ETOOMANY,     /* more than REQ_MAX_PARAMS parameters */
	REQ_ETOOLONG,     /* key, value or path over its limit */
	REQ_EPERCENT,     /* bad percent-encoding */
	REQ_ENUL,         /* embedded NUL byte */
	REQ_EUTF8,        /* invalid UTF-8 */
	REQ_EBODY,        /* body over web.max_body, or shorter than announced */
	REQ_ETYPE,        /* POST body is not application/x-www-form-urlencoded */
	REQ_EINVALID,     /* a declared parameter failed its validator */
};

struct req_kv {
	const char *key;
	const char *val;
};

struct req_kvlist {
	struct req_kv *v;   /* arena; REQ_MAX_PARAMS slots */
	size_t n;
};

enum param_kind {
	PARAM_STRING,    /* UTF-8 text, no control characters, max bytes = max */
	PARAM_TEXT,      /* same, but tabs and newlines allowed (text areas) */
	PARAM_INT,       /* decimal in [min, max] */
	PARAM_ENUM,      /* one of choices (NULL-terminated) */
	PARAM_VCENTER,   /* [a-z0-9_-]{1,32} */
	PARAM_BOOL,      /* checkbox: "1", "on", "true", "yes" or "0", "off", "false", "no" */
	PARAM_CSRF,      /* [0-9a-f.]{16,160} */
};

#define PARAM_MULTI 1u   /* may repeat (checkbox groups); read with req_multi() */

struct param_spec {
	const char *name;
	enum param_kind kind;
	long long min, max;            /* PARAM_INT range; PARAM_STRING max length */
	const char *const *choices;    /* PARAM_ENUM */
	unsigned flags;
};

struct param_val {
	const struct param_spec *spec;
	const char **strs;   /* validated values, n of them (arena) */
	size_t n;
	long long num;       /* PARAM_INT, PARAM_BOOL */
};

struct web_app;
struct scope;
struct scope_status;
struct session;
struct FCGX_Stream;

struct flash {
	const char *kind;    /* info | success | error */
	const char *text;
};

struct req {
	struct arena arena;
	struct web_app *app;          /* long-lived, not owned */
	long long now;                /* unix seconds at request start */

	/* request, from the CGI environment */
	enum req_method method;
	const char *method_name;
	const char *path;
	const char *content_type;
	long long content_length;     /* -1 when absent */
	const char *client_ip;        /* REMOTE_ADDR (or the proxy's entry, see req.c) */
	const char *csrf_header;      /* X-CSRF-Token, NULL when absent */
	bool hx;                      /* HX-Request: true (HTMX partial request) */
	const char *back;             /* path of a same-origin Referer, or NULL */
	struct req_kvlist query, form, cookies;

	/* validated parameters of the matched route */
	struct param_val *vals;
	size_t n_vals;

	struct session *sess;         /* NULL when not logged in; freed by req_reset() */
	const struct scope *scope_memo; /* the first scope_load() of the request (arena, scope.c) */
	const struct scope_status *status_memo; /* status records read with it (arena, scope.c) */
	struct flash flash[REQ_MAX_FLASH];
	size_t n_flash;

	/* response, see resp.h */
	int status;                   /* 0 until a handler answers */
	struct buf head;              /* header lines other than Status, each ending CRLF */
	struct buf cookies_out;       /* Set-Cookie lines, kept when an error page replaces the rest */
	struct buf body;
	FILE *body_file;              /* or the body is this file's bytes (owned: closed by
	                                 req_reset), sent in chunks after the headers */
	long long body_file_len;

	enum req_err err;
	char errstr[128];             /* detail for the log, never shown to users */
};

void req_init(struct req *r, struct web_app *app);
/* Frees what the request owned and makes r ready for the next one. */
void req_reset(struct req *r);
/* req_reset() plus the arena's spare memory. */
void req_free(struct req *r);

/* Parses the CGI environment (NULL-terminated "NAME=value" array): method, path,
 * headers, query string and cookies. Returns 0, or -1 with r->err set. */
int req_parse_env(struct req *r, char *const *envp);
/* Parses a POST body already read (len bytes, may hold NULs). Returns 0 or -1. */
int req_parse_body(struct req *r, const char *body, size_t len);
/* Validates the parameters a route declares, from the form (POST) then the query.
 * specs ends with an entry whose name is NULL (specs may be NULL: none). Unknown
 * parameters are ignored; a present but invalid one fails. Returns 0 or -1. */
int req_validate(struct req *r, const struct param_spec *specs);

/* The validated value (first one for PARAM_MULTI), or NULL when absent. */
const char *req_str(const struct req *r, const char *name);
long long req_int(const struct req *r, const char *name, long long def);
bool req_bool(const struct req *r, const char *name);
/* All values of a PARAM_MULTI parameter; returns how many. */
size_t req_multi(const struct req *r, const char *name, const char *const **out);
/* A cookie's value or NULL. */
const char *req_cookie(const struct req *r, const char *name);
/* Adds a message shown by the layout; text is copied into the arena. */
void req_flash(struct req *r, const char *kind, const char *text);

/* The HTTP status that answers a parse error (400, 413 or 415). */
int req_err_status(enum req_err e);
const char *req_strerror(enum req_err e);

/* The I/O-free parsers behind req_parse_*(), exposed for tests and fuzzing. */
int req_parse_urlencoded(struct arena *a, const char *s, size_t len,
                         struct req_kvlist *out, enum req_err *err);
/* Cookies: malformed pairs and those over the limits are skipped, never fatal. */
void req_parse_cookies(struct arena *a, const char *s, struct req_kvlist *out);
bool req_utf8_valid(const char *s, size_t len);
/* Checks one value against one spec; on success sets *num for ints and booleans. */
bool param_check(const struct param_spec *spec, const char *val, long long *num);

#endif
