/* libFuzzer target for the request parsers: urlencoded query/form bodies, the
 * Cookie header, whole requests through req_parse_env + req_parse_body +
 * req_validate, and the CSRF token checks (session and pre-session). The first
 * byte picks the parser; the rest is the input. */
#include "req.h"
#include "server.h"
#include "session.h"
#include "cfg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const colours[] = { "light", "dark", NULL };
static const struct param_spec specs[] = {
	{ .name = "username", .kind = PARAM_STRING, .max = 256 },
	{ .name = "n", .kind = PARAM_INT, .min = 0, .max = 1000 },
	{ .name = "theme", .kind = PARAM_ENUM, .choices = colours },
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = "ok", .kind = PARAM_BOOL },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = "note", .kind = PARAM_TEXT },
	{ .name = NULL },
};

static struct cfg cfg;
static struct web_app app = { .cfg = &cfg };

static void whole_request(const char *s, size_t len)
{
	/* query string up to the first newline, the cookie header up to the second,
	 * the body after it. */
	const char *nl1 = memchr(s, '\n', len);
	const char *nl2 = nl1 ? memchr(nl1 + 1, '\n', len - (size_t)(nl1 + 1 - s)) : NULL;
	char *qs, *ck, *env[6];
	struct req r;

	if (!nl1 || !nl2)
		return;
	qs = strndup(s, (size_t)(nl1 - s));
	ck = strndup(nl1 + 1, (size_t)(nl2 - nl1 - 1));
	if (asprintf(&env[0], "QUERY_STRING=%s", qs) < 0 ||
	    asprintf(&env[1], "HTTP_COOKIE=%s", ck) < 0)
		abort();
	env[2] = "REQUEST_METHOD=POST";
	env[3] = "CONTENT_TYPE=application/x-www-form-urlencoded";
	env[4] = "DOCUMENT_URI=/login";
	env[5] = NULL;
	req_init(&r, &app);
	if (req_parse_env(&r, env) == 0 &&
	    req_parse_body(&r, nl2 + 1, len - (size_t)(nl2 + 1 - s)) == 0 &&
	    req_validate(&r, specs) == 0) {
		const char *const *ids;
		(void)req_str(&r, "username");
		(void)req_multi(&r, "vcenter", &ids);
		(void)req_cookie(&r, "__Host-vcsid");
	}
	req_free(&r);
	free(env[0]);
	free(env[1]);
	free(qs);
	free(ck);
}

static void tokens(const char *s)
{
	static const unsigned char key[32] = { 1, 2, 3 };
	static const char csrf[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct session sess = { .csrf = csrf };

	(void)session_csrf_ok(&sess, s);
	(void)session_pre_verify(key, csrf, s, 1800000000);
	(void)session_pre_verify(key, s, s, 1800000000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena a = ARENA_INIT;
	struct req_kvlist l = { 0 };
	enum req_err e;
	char *s;

	if (size < 1)
		return 0;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		req_parse_urlencoded(&a, s, size - 1, &l, &e);
		break;
	case 1:
		req_parse_cookies(&a, s, &l);
		break;
	case 2:
		whole_request(s, size - 1);
		break;
	default:
		tokens(s);
		break;
	}
	arena_reset(&a);
	free(s);
	return 0;
}
