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
	ASSERT_EQ(c.web.elevate_timeout, 300);
	ASSERT_EQ(c.collector.interval, 120);
	ASSERT_EQ(c.collector.timeout, 30);
	ASSERT(c.collector.perf);                        /* performance history on by default */
	ASSERT_EQ(c.redis.timeout_ms, 2000);
	ASSERT_EQ(c.collector.lease_ms, 30000);
	ASSERT_EQ(c.redis.n_sentinels, 0);
	ASSERT(c.redis.master == NULL);
	ASSERT_EQ(c.n_vcenters, 0);
	cfg_free(&c);
}

#define USERS "\"collector\": {\"user\": \"c\", \"password_file\": \"/p\"}, " \
	"\"web\": {\"user\": \"w\", \"password_file\": \"/p\"}"
/* a file whose redis section is `keys` plus the users */
#define REDIS_WITH(keys) "{\"redis\": {" keys ", " USERS "}, \"key_file\": \"/k\"}"

TEST(leases_and_sentinels)
{
	const char *json = "{\"redis\": {\"sentinels\": [\"10.0.0.1:26379\", \"sentinel-b:26380\", "
		"\"[fd00::3]:26381\"], \"master\": \"vcompanion\", " USERS "}, \"key_file\": \"/k\", "
		"\"collector\": {\"lease_ms\": 5000}}";
	struct cfg c;
	char err[512] = "";

	ASSERT_MSG(parse(json, &c, err) == 0, "%s", err);
	ASSERT_EQ(c.collector.lease_ms, 5000);
	ASSERT_EQ(c.redis.n_sentinels, 3);
	ASSERT_STREQ(c.redis.sentinels[0].host, "10.0.0.1");
	ASSERT_EQ(c.redis.sentinels[0].port, 26379);
	ASSERT_STREQ(c.redis.sentinels[1].host, "sentinel-b");
	ASSERT_EQ(c.redis.sentinels[1].port, 26380);
	ASSERT_STREQ(c.redis.sentinels[2].host, "fd00::3");
	ASSERT_EQ(c.redis.sentinels[2].port, 26381);
	ASSERT_STREQ(c.redis.master, "vcompanion");
	ASSERT(c.redis.socket == NULL && c.redis.host == NULL);
	cfg_free(&c);
}

TEST(hostport)
{
	static const char *const bad[] = { "", "host", "host:", ":26379", "host:0", "host:65536",
		"host:+1", "host: 1", "host:1x", "fd00::1:26379", "[fd00::1]26379", "[]:1", "[fd00::1:1" };
	struct cfg_hostport hp;

	ASSERT_EQ(cfg_parse_hostport("h:1", &hp), 0);
	ASSERT_STREQ(hp.host, "h");
	ASSERT_EQ(hp.port, 1);
	free(hp.host);
	ASSERT_EQ(cfg_parse_hostport("[::1]:65535", &hp), 0);
	ASSERT_STREQ(hp.host, "::1");
	ASSERT_EQ(hp.port, 65535);
	free(hp.host);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_MSG(cfg_parse_hostport(bad[i], &hp) == -1, "\"%s\" accepted", bad[i]);
		ASSERT(hp.host == NULL);
	}
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
	{ "{" BASE_REDIS ", \"web\": {\"elevate_timeout\": 3600}}", { "$.web.elevate_timeout", "5", "900" } },
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
	{ "{" BASE_REDIS ", \"collector\": {\"lease_ms\": 4999}}", { "$.collector.lease_ms", "5000", "600000" } },
	{ "{" BASE_REDIS ", \"collector\": {\"lease_ms\": 600001}}", { "$.collector.lease_ms", "out of range", NULL } },
	{ REDIS_WITH("\"sentinels\": [\"s:26379\"]"),
	  { "$.redis.master", "missing", "master name" } },
	{ REDIS_WITH("\"sentinels\": [], \"master\": \"m\""),
	  { "$.redis.sentinels", "non-empty", NULL } },
	{ REDIS_WITH("\"sentinels\": \"s:26379\", \"master\": \"m\""),
	  { "$.redis.sentinels", "array", NULL } },
	{ REDIS_WITH("\"sentinels\": [\"s:26379\", \"s2\"], \"master\": \"m\""),
	  { "$.redis.sentinels[1]", "host:port", NULL } },
	{ REDIS_WITH("\"sentinels\": [\"s:26379\", 5], \"master\": \"m\""),
	  { "$.redis.sentinels[1]", "host:port", NULL } },
	{ REDIS_WITH("\"sentinels\": [\"s:26379\"], \"master\": \"bad name\""),
	  { "$.redis.master", "A-Z", NULL } },
	{ REDIS_WITH("\"sentinels\": [\"s:26379\"], \"master\": \"m\", \"socket\": \"/s\""),
	  { "$.redis", "not both", "sentinels" } },
	{ REDIS_WITH("\"sentinels\": [\"s:26379\"], \"master\": \"m\", \"port\": 6379"),
	  { "$.redis", "not both", NULL } },
	{ REDIS_WITH("\"socket\": \"/s\", \"master\": \"m\""),
	  { "$.redis.master", "only used with", NULL } },
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

TEST_MAIN(T(full_file), T(defaults), T(leases_and_sentinels), T(hostport), T(error_classes), T(unreadable_file), T(secret_file), T(valid_ids))
