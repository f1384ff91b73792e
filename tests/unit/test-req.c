/* Request parser and validator tests: limits (parameter count, key and value
 * length, body size), percent-decoding, embedded NULs, invalid UTF-8, cookies,
 * the CGI environment, and each parameter validator. No services needed. */
#include "test.h"
#include "req.h"
#include "resp.h"
#include "router.h"
#include "server.h"
#include "cfg.h"

static struct arena A = ARENA_INIT;

static int parse(const char *s, size_t len, struct req_kvlist *l, enum req_err *e)
{
	memset(l, 0, sizeof(*l));
	return req_parse_urlencoded(&A, s, len, l, e);
}

TEST(query_basic)
{
	struct req_kvlist l;
	enum req_err e;
	const char *q = "a=1&b=hello+world&c=%C3%A9t%C3%A9&d&&e=";

	ASSERT_EQ(parse(q, strlen(q), &l, &e), 0);
	ASSERT_EQ(l.n, 5);
	ASSERT_STREQ(l.v[0].key, "a");
	ASSERT_STREQ(l.v[1].val, "hello world");
	ASSERT_STREQ(l.v[2].val, "\xc3\xa9t\xc3\xa9");
	ASSERT_STREQ(l.v[3].key, "d");
	ASSERT_STREQ(l.v[3].val, "");
	ASSERT_STREQ(l.v[4].val, "");
	arena_reset(&A);
}

TEST(too_many_params)
{
	struct req_kvlist l;
	enum req_err e;
	struct buf b = BUF_INIT;

	for (int i = 0; i < REQ_MAX_PARAMS; i++)
		buf_printf(&b, "k%d=v&", i);
	ASSERT_EQ(parse(b.data, b.len, &l, &e), 0);
	ASSERT_EQ(l.n, REQ_MAX_PARAMS);
	buf_adds(&b, "one=more");
	ASSERT_EQ(parse(b.data, b.len, &l, &e), -1);
	ASSERT_EQ(e, REQ_ETOOMANY);
	buf_free(&b);
	arena_reset(&A);
}

TEST(long_key_and_value)
{
	struct req_kvlist l;
	enum req_err e;
	struct buf b = BUF_INIT;

	for (int i = 0; i <= REQ_MAX_KEY; i++)
		buf_addc(&b, 'k');
	buf_adds(&b, "=1");
	ASSERT_EQ(parse(b.data, b.len, &l, &e), -1);
	ASSERT_EQ(e, REQ_ETOOLONG);
	buf_reset(&b);
	buf_adds(&b, "k=");
	for (int i = 0; i < REQ_MAX_VALUE; i++)
		buf_addc(&b, 'v');
	ASSERT_EQ(parse(b.data, b.len, &l, &e), 0);
	buf_addc(&b, 'v');
	ASSERT_EQ(parse(b.data, b.len, &l, &e), -1);
	ASSERT_EQ(e, REQ_ETOOLONG);
	buf_free(&b);
	arena_reset(&A);
}

TEST(bad_percent)
{
	static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=%4g", "%=1", "a=b%" };
	struct req_kvlist l;
	enum req_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_MSG(parse(bad[i], strlen(bad[i]), &l, &e) == -1, "accepted %s", bad[i]);
		ASSERT_EQ(e, REQ_EPERCENT);
	}
	arena_reset(&A);
}

TEST(embedded_nul)
{
	struct req_kvlist l;
	enum req_err e;

	ASSERT_EQ(parse("a=x%00y", 7, &l, &e), -1);
	ASSERT_EQ(e, REQ_ENUL);
	ASSERT_EQ(parse("a=x\0y", 5, &l, &e), -1);
	ASSERT_EQ(e, REQ_ENUL);
	ASSERT_EQ(parse("a%00=1", 6, &l, &e), -1);
	ASSERT_EQ(e, REQ_ENUL);
	arena_reset(&A);
}

TEST(bad_utf8)
{
	static const char *const bad[] = {
		"a=%C3",          /* truncated */
		"a=%C0%AF",       /* overlong '/' */
		"a=%ED%A0%80",    /* surrogate */
		"a=%F4%90%80%80", /* above U+10FFFF */
		"a=%FF",
		"a=%80",
		"a=\xc3\x28",
	};
	struct req_kvlist l;
	enum req_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_MSG(parse(bad[i], strlen(bad[i]), &l, &e) == -1, "accepted %s", bad[i]);
		ASSERT_EQ(e, REQ_EUTF8);
	}
	ASSERT(req_utf8_valid("\xf0\x9f\x98\x80", 4));
	ASSERT(req_utf8_valid("\xe2\x82\xac", 3));
	arena_reset(&A);
}

TEST(cookies)
{
	struct req_kvlist l = { 0 };

	req_parse_cookies(&A, "a=1; __Host-vcsid=abc ;bad; =x; sp=a b; q=\"v\"; last=z", &l);
	ASSERT_EQ(l.n, 4);
	ASSERT_STREQ(l.v[0].key, "a");
	ASSERT_STREQ(l.v[1].key, "__Host-vcsid");
	ASSERT_STREQ(l.v[1].val, "abc");
	ASSERT_STREQ(l.v[2].val, "\"v\"");
	ASSERT_STREQ(l.v[3].key, "last");
	arena_reset(&A);
}

TEST(too_many_cookies)
{
	struct req_kvlist l = { 0 };
	struct buf b = BUF_INIT;

	for (int i = 0; i < 100; i++)
		buf_printf(&b, "c%d=%d; ", i, i);
	req_parse_cookies(&A, b.data, &l);
	ASSERT_EQ(l.n, REQ_MAX_COOKIES);
	buf_free(&b);
	arena_reset(&A);
}

static struct cfg test_cfg;
static struct web_app test_app = { .cfg = &test_cfg };

TEST(cgi_env)
{
	char *env[] = {
		"REQUEST_METHOD=POST", "DOCUMENT_URI=/login", "QUERY_STRING=x=1",
		"CONTENT_TYPE=application/x-www-form-urlencoded; charset=UTF-8",
		"CONTENT_LENGTH=17", "HTTP_COOKIE=__Host-vcpre=ab", "HTTP_HX_REQUEST=true",
		"HTTP_X_CSRF_TOKEN=tok", "REMOTE_ADDR=192.0.2.7",
		"HTTP_X_FORWARDED_FOR=10.9.9.9", NULL,
	};
	struct req r;

	req_init(&r, &test_app);
	ASSERT_EQ(req_parse_env(&r, env), 0);
	ASSERT_EQ(r.method, REQ_POST);
	ASSERT_STREQ(r.path, "/login");
	ASSERT_EQ(r.content_length, 17);
	ASSERT(r.hx);
	ASSERT_STREQ(r.csrf_header, "tok");
	ASSERT_STREQ(r.client_ip, "192.0.2.7");   /* X-Forwarded-For not trusted */
	ASSERT_STREQ(req_cookie(&r, "__Host-vcpre"), "ab");
	ASSERT_EQ(req_parse_body(&r, "username=a&pw=%41", 17), 0);
	ASSERT_EQ(r.form.n, 2);
	ASSERT_STREQ(r.form.v[1].val, "A");
	req_free(&r);
}

TEST(env_proxy_and_errors)
{
	char *env1[] = { "REMOTE_ADDR=127.0.0.1", "HTTP_X_FORWARDED_FOR=6.6.6.6, 198.51.100.4",
	                 "REQUEST_URI=/a?b=1", NULL };
	char *env2[] = { "QUERY_STRING=a=%ZZ", NULL };
	char *env3[] = { "CONTENT_LENGTH=-5", NULL };
	struct req r;

	req_init(&r, &test_app);
	ASSERT_EQ(req_parse_env(&r, env1), 0);
	ASSERT_STREQ(r.client_ip, "198.51.100.4");
	ASSERT_STREQ(r.path, "/a");
	req_reset(&r);
	ASSERT_EQ(req_parse_env(&r, env2), -1);
	ASSERT_EQ(req_err_status(r.err), 400);
	req_reset(&r);
	ASSERT_EQ(req_parse_env(&r, env3), -1);
	req_reset(&r);
	r.content_type = "text/plain";
	ASSERT_EQ(req_parse_body(&r, "a=1", 3), -1);
	ASSERT_EQ(req_err_status(r.err), 415);
	ASSERT_EQ(req_err_status(REQ_EBODY), 413);
	req_free(&r);
}

TEST(referer_back)
{
	char *same[] = { "HTTP_HOST=vc.example", "HTTP_REFERER=https://vc.example:8443/vms?q=a", NULL };
	char *other[] = { "HTTP_HOST=vc.example", "HTTP_REFERER=https://vc.example.evil/x", NULL };
	char *proto[] = { "HTTP_HOST=vc.example", "HTTP_REFERER=https://vc.example//evil/", NULL };
	struct req r;

	req_init(&r, &test_app);
	ASSERT_EQ(req_parse_env(&r, same), 0);
	ASSERT_STREQ(r.back, "/vms?q=a");
	req_reset(&r);
	ASSERT_EQ(req_parse_env(&r, other), 0);
	ASSERT(r.back == NULL);
	req_reset(&r);
	ASSERT_EQ(req_parse_env(&r, proto), 0);
	ASSERT(r.back == NULL);
	req_reset(&r);
	ASSERT_EQ(req_parse_env(&r, same + 1), 0);   /* no Host */
	ASSERT(r.back == NULL);
	req_free(&r);
}

static const char *const colours[] = { "blue", "red", NULL };

TEST(validators)
{
	const struct param_spec s_str = { .name = "s", .kind = PARAM_STRING, .max = 5 };
	const struct param_spec s_int = { .name = "i", .kind = PARAM_INT, .min = -3, .max = 100 };
	const struct param_spec s_enum = { .name = "e", .kind = PARAM_ENUM, .choices = colours };
	const struct param_spec s_vc = { .name = "v", .kind = PARAM_VCENTER };
	const struct param_spec s_bool = { .name = "b", .kind = PARAM_BOOL };
	const struct param_spec s_csrf = { .name = "c", .kind = PARAM_CSRF };
	long long n = 0;

	ASSERT(param_check(&s_str, "abcde", &n));
	ASSERT(!param_check(&s_str, "abcdef", &n));
	ASSERT(!param_check(&s_str, "a\tb", &n));
	ASSERT(!param_check(&s_str, "a\x7f", &n));
	ASSERT(param_check(&s_int, "100", &n) && n == 100);
	ASSERT(param_check(&s_int, "-3", &n) && n == -3);
	ASSERT(!param_check(&s_int, "101", &n));
	ASSERT(!param_check(&s_int, "1e2", &n));
	ASSERT(!param_check(&s_int, "", &n));
	ASSERT(!param_check(&s_int, " 1", &n));
	ASSERT(!param_check(&s_int, "99999999999999999999", &n));
	ASSERT(param_check(&s_enum, "red", &n));
	ASSERT(!param_check(&s_enum, "Red", &n));
	ASSERT(param_check(&s_vc, "prod-1_a", &n));
	ASSERT(!param_check(&s_vc, "Prod", &n));
	ASSERT(!param_check(&s_vc, "", &n));
	ASSERT(!param_check(&s_vc, "a:b", &n));
	ASSERT(!param_check(&s_vc, "abcdefghijklmnopqrstuvwxyz0123456", &n));
	ASSERT(param_check(&s_bool, "on", &n) && n == 1);
	ASSERT(param_check(&s_bool, "0", &n) && n == 0);
	ASSERT(!param_check(&s_bool, "maybe", &n));
	ASSERT(param_check(&s_csrf, "0123456789abcdef0123", &n));
	ASSERT(!param_check(&s_csrf, "0123456789ABCDEF0123", &n));
	ASSERT(!param_check(&s_csrf, "short", &n));
}

static const struct param_spec route_params[] = {
	{ .name = "theme", .kind = PARAM_ENUM, .choices = colours },
	{ .name = "n", .kind = PARAM_INT, .min = 1, .max = 10 },
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = NULL },
};

TEST(validate_route)
{
	char *env[] = { "QUERY_STRING=theme=red&n=3&vcenter=a&vcenter=b&secret=x", NULL };
	char *bad[] = { "QUERY_STRING=theme=green", NULL };
	const char *const *ids;
	struct req r;

	req_init(&r, &test_app);
	ASSERT_EQ(req_parse_env(&r, env), 0);
	ASSERT_EQ(req_validate(&r, route_params), 0);
	ASSERT_STREQ(req_str(&r, "theme"), "red");
	ASSERT_EQ(req_int(&r, "n", 0), 3);
	ASSERT_EQ(req_multi(&r, "vcenter", &ids), 2);
	ASSERT_STREQ(ids[1], "b");
	ASSERT(req_str(&r, "secret") == NULL);   /* undeclared: invisible */
	req_reset(&r);
	ASSERT_EQ(req_parse_env(&r, bad), 0);
	ASSERT_EQ(req_validate(&r, route_params), -1);
	ASSERT_EQ(r.err, REQ_EINVALID);
	req_free(&r);
}

TEST(resp_headers)
{
	struct req r;
	struct buf out = BUF_INIT;

	req_init(&r, &test_app);
	r.path = "/x";
	resp_header(&r, "X-Ok", "1");
	resp_header(&r, "X-Bad", "a\r\nSet-Cookie: evil=1");
	resp_cookie(&r, "__Host-vcsid", "abc", -1);
	resp_redirect(&r, "//evil.example/");
	resp_format(&r, &out);
	ASSERT_CONTAINS(out.data, "Status: 303 See Other\r\n");
	ASSERT_CONTAINS(out.data, "X-Ok: 1\r\n");
	ASSERT_NOT_CONTAINS(out.data, "evil=1");
	ASSERT_CONTAINS(out.data, "Location: /\r\n");
	ASSERT_CONTAINS(out.data, "Set-Cookie: __Host-vcsid=abc; Path=/; Secure; HttpOnly; SameSite=Strict\r\n");
	buf_free(&out);
	req_free(&r);
}

/* Dispatch without Redis or templates: the built-in error page and JSON answers. */
static void dispatch(struct req *r, char **env, struct buf *out)
{
	req_init(r, &test_app);
	if (req_parse_env(r, env) == 0)
		router_dispatch(r);
	resp_format(r, out);
}

TEST(router_errors)
{
	char *e404[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/nope<script>", NULL };
	char *e405[] = { "REQUEST_METHOD=DELETE", "DOCUMENT_URI=/login", NULL };
	char *api[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v1/none", NULL };
	char *health[] = { "REQUEST_METHOD=HEAD", "DOCUMENT_URI=/healthz", NULL };
	struct buf out = BUF_INIT;
	struct req r;

	dispatch(&r, e404, &out);
	ASSERT_CONTAINS(out.data, "Status: 404 Not Found\r\n");
	ASSERT_CONTAINS(out.data, "Cache-Control: no-store\r\n");
	ASSERT_CONTAINS(out.data, "<h1>Page not found</h1>");
	ASSERT_NOT_CONTAINS(out.data, "<script>");
	req_free(&r);
	buf_reset(&out);
	dispatch(&r, e405, &out);
	ASSERT_CONTAINS(out.data, "Status: 405 Method Not Allowed\r\n");
	ASSERT_CONTAINS(out.data, "Allow: GET, HEAD, POST\r\n");
	req_free(&r);
	buf_reset(&out);
	dispatch(&r, api, &out);
	ASSERT_CONTAINS(out.data, "Content-Type: application/json\r\n");
	ASSERT_CONTAINS(out.data, "{\"error\":{\"status\":404");
	req_free(&r);
	buf_reset(&out);
	dispatch(&r, health, &out);   /* no store: Redis is down */
	ASSERT_CONTAINS(out.data, "Status: 503");
	ASSERT_CONTAINS(out.data, "Content-Length: 27\r\n");
	ASSERT_NOT_CONTAINS(out.data, "\"web\"");   /* HEAD: no body */
	req_free(&r);
	buf_free(&out);
}

TEST(arena_reuse)
{
	struct arena a = ARENA_INIT;
	char *big;

	for (int i = 0; i < 1000; i++)
		ASSERT(arena_printf(&a, "%d", i) != NULL);
	big = arena_alloc(&a, 100000);
	big[99999] = 1;
	arena_reset(&a);
	ASSERT_EQ(a.used, 0);
	ASSERT_STREQ(arena_strdup(&a, "x"), "x");
	arena_free(&a);
	arena_free(NULL);
}

TEST_MAIN(T(query_basic), T(too_many_params), T(long_key_and_value), T(bad_percent),
          T(embedded_nul), T(bad_utf8), T(cookies), T(too_many_cookies), T(cgi_env),
          T(env_proxy_and_errors), T(referer_back), T(validators), T(validate_route), T(resp_headers), T(router_errors),
          T(arena_reuse))
