/* Configuration parsing: a full valid file, defaults, and every error class —
 * syntax, unknown key, wrong type, out of range, missing, bad id, duplicate id,
 * bad URL, bad fingerprint, unreadable file — each naming file, path and fix. */
#include "test.h"
#include "cfg.h"

#define BASE_REDIS "\"redis\": {\"socket\": \"/run/r.sock\", " \
	"\"collector\": {\"user\": \"collector\", \"password_file\": \"/p/c\"}, " \
	"\"web\": {\"user\": \"web\", \"password_file\": \"/p/w\"}}, \"key_file\": \"/k\""

static int parse(const char *json, struct cfg *c, char *err)
{
	return cfg_parse(c, json, strlen(json), "test.json", err, 512);
}

TEST(full_file)
{
	const char *json = "{" BASE_REDIS ", "
		"\"web\": {\"listen\": \"unix:/run/w.sock\", \"workers\": 8, \"session_timeout\": 600, "
		"\"admins\": [\"administrator@vsphere.local\"]}, "
		"\"collector\": {\"concurrency\": 4, \"interval\": 90, \"timeout\": 20, \"perf\": false}, "
		"\"vcenters\": [{\"id\": \"prod\", \"name\": \"vCenter Prod\", \"url\": \"https://vc/sdk\", "
		"\"verify_tls\": true, \"ca_file\": null, \"fingerprint\": null, \"interval\": 300, "
		"\"user\": \"svc\", \"password_file\": \"/p/prod\"}, "
		"{\"id\": \"lab-2\", \"url\": \"https://lab/sdk\", \"user\": \"u\", \"password_file\": \"/p/l\", "
		"\"fingerprint\": \"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\"}]}";
	struct cfg c;
	char err[512] = "";

	ASSERT_MSG(parse(json, &c, err) == 0, "%s", err);
	ASSERT_STREQ(c.redis.socket, "/run/r.sock");
	ASSERT_EQ(c.web.workers, 8);
	ASSERT_EQ(c.web.session_timeout, 600);
	ASSERT_EQ(c.collector.interval, 90);
	ASSERT(!c.collector.perf);
	ASSERT_EQ(c.n_vcenters, 2);
	ASSERT_STREQ(c.vcenters[0].name, "vCenter Prod");
	ASSERT_EQ(c.vcenters[0].interval, 300);
	ASSERT_STREQ(c.vcenters[1].name, "lab-2");       /* name defaults to id */
	ASSERT_EQ(c.vcenters[1].interval, 90);          /* interval defaults to collector's */
	ASSERT(c.vcenters[1].verify_tls);
	ASSERT(cfg_is_admin(&c, "Administrator@vsphere.local"));
	ASSERT(!cfg_is_admin(&c, "someone"));
	ASSERT(cfg_vcenter_find(&c, "lab-2") == &c.vcenters[1]);
	cfg_free(&c);
	cfg_free(&c); /* freeing twice after reset is harmless */
}

TEST(defaults)
{
	struct cfg c;
	char err[512] = "";

	ASSERT_MSG(parse("{" BASE_REDIS "}", &c, err) == 0, "%s", err);
	ASSERT_EQ(c.web.workers, 4);
	ASSERT_EQ(c.web.session_timeout, 1800);
	ASSERT_EQ(c.collector.interval, 120);
	ASSERT_EQ(c.collector.timeout, 30);
	ASSERT(c.collector.perf);                        /* performance history on by default */
	ASSERT_EQ(c.redis.timeout_ms, 2000);
	ASSERT_EQ(c.n_vcenters, 0);
	cfg_free(&c);
}

struct bad_case {
	const char *json;
	const char *expect[3];
};

static const struct bad_case bad_cases[] = {
	{ "{" BASE_REDIS ",}", { "test.json", "line 1", "JSON" } },
	{ "{" BASE_REDIS ", \"colector\": {}}", { "$.colector", "unknown key", "spelling" } },
	{ "{" BASE_REDIS ", \"web\": {\"workers\": \"4\"}}", { "$.web.workers", "integer", NULL } },
	{ "{" BASE_REDIS ", \"web\": {\"session_timeout\": 100}}", { "$.web.session_timeout", "300", "7200" } },
	{ "{" BASE_REDIS ", \"collector\": {\"interval\": 30}}", { "$.collector.interval", "60", "600" } },
	{ "{" BASE_REDIS ", \"collector\": {\"perf\": 1}}", { "$.collector.perf", NULL, NULL } },
	{ "{" BASE_REDIS ", \"vcenters\": [{\"id\": \"a\", \"url\": \"https://x/sdk\", \"user\": \"u\", \"password_file\": \"/p\", \"interval\": 601}]}",
	  { "$.vcenters[0].interval", "between 60 and 600", NULL } },
	{ "{\"key_file\": \"/k\"}", { "$.redis", "missing", NULL } },
	{ "{" BASE_REDIS ", \"vcenters\": [{\"id\": \"Bad Id\", \"url\": \"https://x\", \"user\": \"u\", \"password_file\": \"/p\"}]}",
	  { "$.vcenters[0].id", "a-z", NULL } },
	{ "{" BASE_REDIS ", \"vcenters\": [{\"id\": \"a\", \"url\": \"https://x\", \"user\": \"u\", \"password_file\": \"/p\"},"
	  "{\"id\": \"a\", \"url\": \"https://y\", \"user\": \"u\", \"password_file\": \"/p\"}]}",
	  { "$.vcenters[1].id", "twice", NULL } },
	{ "{" BASE_REDIS ", \"vcenters\": [{\"id\": \"a\", \"url\": \"ftp://x\", \"user\": \"u\", \"password_file\": \"/p\"}]}",
	  { "$.vcenters[0].url", "https://", NULL } },
	{ "{" BASE_REDIS ", \"vcenters\": [{\"id\": \"a\", \"url\": \"https://x\", \"user\": \"u\", \"password_file\": \"/p\", \"fingerprint\": \"zz\"}]}",
	  { "$.vcenters[0].fingerprint", "SHA-256", NULL } },
	{ "{" BASE_REDIS ", \"vcenters\": [{\"id\": \"a\", \"url\": \"https://x\", \"password_file\": \"/p\"}]}",
	  { "$.vcenters[0].user", "required", NULL } },
	{ "{" BASE_REDIS ", \"vcenters\": [{\"id\": \"a\", \"url\": \"https://x\", \"user\": \"u\", \"password_file\": \"/p\", \"verify_tls\": \"no\"}]}",
	  { "$.vcenters[0].verify_tls", "true or false", NULL } },
	{ "{" BASE_REDIS ", \"log\": {\"level\": \"loud\"}}", { "$.log.level", "debug", NULL } },
	{ "{\"redis\": {\"socket\": \"/s\", \"host\": \"h\", \"collector\": {\"user\": \"c\", \"password_file\": \"/p\"}, "
	  "\"web\": {\"user\": \"w\", \"password_file\": \"/p\"}}, \"key_file\": \"/k\"}", { "$.redis", "not both", NULL } },
	{ "[]", { "$", "object", NULL } },
	{ "{" BASE_REDIS ", \"key_file\": \"/again\"}", { "test.json", "duplicate", NULL } },
};

TEST(error_classes)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct cfg c;
		char err[512] = "";
		ASSERT_MSG(parse(bad_cases[i].json, &c, err) == -1, "case %zu accepted", i);
		ASSERT_MSG(!strncmp(err, "test.json: ", 11), "case %zu: no file name in \"%s\"", i, err);
		for (int k = 0; k < 3 && bad_cases[i].expect[k]; k++)
			ASSERT_MSG(strstr(err, bad_cases[i].expect[k]), "case %zu: \"%s\" lacks \"%s\"",
			           i, err, bad_cases[i].expect[k]);
	}
}

TEST(unreadable_file)
{
	struct cfg c;
	char err[512] = "";

	ASSERT_EQ(cfg_load(&c, "/nonexistent/vc.json", err, sizeof(err)), -1);
	ASSERT_CONTAINS(err, "/nonexistent/vc.json");
	ASSERT_CONTAINS(err, "No such file");
}

TEST(secret_file)
{
	char path[512], err[256];
	FILE *f;
	char *s;

	snprintf(path, sizeof(path), "%s/pw", test_tmpdir());
	f = fopen(path, "w");
	fputs("s3cret\nignored\n", f);
	fclose(f);
	s = cfg_read_secret(path, err, sizeof(err));
	ASSERT_STREQ(s, "s3cret");
	free(s);
	f = fopen(path, "w");
	fclose(f);
	ASSERT(cfg_read_secret(path, err, sizeof(err)) == NULL);
	ASSERT_CONTAINS(err, "empty");
}

TEST(valid_ids)
{
	ASSERT(cfg_valid_id("prod"));
	ASSERT(cfg_valid_id("lab_2-b"));
	ASSERT(!cfg_valid_id(""));
	ASSERT(!cfg_valid_id("Prod"));
	ASSERT(!cfg_valid_id("a}b"));
	ASSERT(!cfg_valid_id("123456789012345678901234567890123"));
}

TEST_MAIN(T(full_file), T(defaults), T(error_classes), T(unreadable_file), T(secret_file), T(valid_ids))
