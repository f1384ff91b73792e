/* The registry's pure validation (redis/registry.c): vCenter objects held to the
 * configuration file's rules, whole arrays (duplicate ids), JSON round trips, app
 * settings, and the PEM fingerprint used by "test connection". */
#include "test.h"
#include "registry.h"
#include "vc_probe.h"

#include <jansson.h>

static json_t *obj(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (!j)
		fprintf(stderr, "bad JSON in test: %s\n", text);
	return j;
}

/* 0 when the object parses; the message in err otherwise. */
static int try_parse(const char *text, char *err, size_t errlen)
{
	struct cfg_vcenter v;
	json_t *o = obj(text);
	int rc = registry_vcenter_parse(o, 120, &v, NULL, err, errlen);

	if (rc == 0)
		registry_vcenter_clear(&v);
	json_decref(o);
	return rc;
}

TEST(vcenter_ok_and_defaults)
{
	json_t *o = obj("{\"id\":\"lab-1\",\"url\":\"https://vc/sdk\",\"user\":\"svc\",\"source\":\"ui\","
	                "\"tags\":[\"a\",\"b\"]}");
	struct cfg_vcenter v;
	const char *src = NULL;
	char err[256] = "";

	ASSERT_MSG(registry_vcenter_parse(o, 90, &v, &src, err, sizeof(err)) == 0, "%s", err);
	ASSERT_STREQ(v.id, "lab-1");
	ASSERT_STREQ(v.name, "lab-1");
	ASSERT_EQ(v.verify_tls, 1);
	ASSERT_EQ(v.interval, 90);
	ASSERT(v.password_file == NULL);
	ASSERT_EQ(v.n_tags, 2);
	ASSERT_STREQ(src, "ui");

	json_t *back = registry_vcenter_json(&v, src);
	ASSERT_STREQ(json_string_value(json_object_get(back, "source")), "ui");
	ASSERT(json_is_null(json_object_get(back, "password_file")));
	struct cfg_vcenter v2;
	ASSERT_EQ(registry_vcenter_parse(back, 120, &v2, NULL, err, sizeof(err)), 0);
	ASSERT_EQ(v2.interval, 90);
	ASSERT_STREQ(v2.tags[1], "b");
	struct cfg_vcenter v3;
	ASSERT_EQ(registry_vcenter_copy(&v3, &v2), 0);
	ASSERT_STREQ(v3.url, "https://vc/sdk");
	registry_vcenter_clear(&v3);
	registry_vcenter_clear(&v2);
	registry_vcenter_clear(&v);
	json_decref(back);
	json_decref(o);
}

TEST(vcenter_refused)
{
	static const struct { const char *json, *msg; } bad[] = {
		{ "{\"id\":\"Bad Id\",\"url\":\"https://vc/sdk\",\"user\":\"u\"}", "id:" },
		{ "{\"url\":\"https://vc/sdk\",\"user\":\"u\"}", "id:" },
		{ "{\"id\":\"a\",\"url\":\"ftp://vc/sdk\",\"user\":\"u\"}", "url:" },
		{ "{\"id\":\"a\",\"user\":\"u\"}", "url:" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\"}", "user:" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\",\"user\":\"u\",\"interval\":59}", "interval:" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\",\"user\":\"u\",\"interval\":601}", "interval:" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\",\"user\":\"u\",\"interval\":\"120\"}", "interval:" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\",\"user\":\"u\",\"fingerprint\":\"AB:CD\"}", "fingerprint:" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\",\"user\":\"u\",\"verify_tls\":\"yes\"}", "verify_tls:" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\",\"user\":\"u\",\"source\":\"web\"}", "source:" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\",\"user\":\"u\",\"password\":\"x\"}", "password: unknown" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\",\"user\":\"u\\n\"}", "user:" },
		{ "{\"id\":\"a\",\"url\":\"https://vc/sdk\",\"user\":\"u\",\"tags\":[1]}", "tags[0]" },
		{ "[]", "expected a vCenter object" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ASSERT_MSG(try_parse(bad[i].json, err, sizeof(err)) == -1, "accepted %s", bad[i].json);
		ASSERT_CONTAINS(err, bad[i].msg);
	}
}

TEST(array_checks)
{
	json_t *dup = obj("[{\"id\":\"a\",\"url\":\"https://x/sdk\",\"user\":\"u\"},"
	                  "{\"id\":\"a\",\"url\":\"https://y/sdk\",\"user\":\"u\"}]");
	json_t *good = obj("[{\"id\":\"a\",\"url\":\"https://x/sdk\",\"user\":\"u\"},"
	                   "{\"id\":\"b\",\"url\":\"https://y/sdk\",\"user\":\"u\",\"password_file\":\"/p\"}]");
	json_t *notarr = obj("{\"id\":\"a\"}");
	char err[256] = "";

	ASSERT_EQ(registry_vcenters_check(dup, err, sizeof(err)), -1);
	ASSERT_CONTAINS(err, "used twice");
	ASSERT_MSG(registry_vcenters_check(good, err, sizeof(err)) == 0, "%s", err);
	ASSERT_EQ(registry_vcenters_check(notarr, err, sizeof(err)), -1);
	ASSERT_EQ(registry_vcenters_check(NULL, err, sizeof(err)), -1);
	json_decref(dup);
	json_decref(good);
	json_decref(notarr);
}

TEST(app_settings)
{
	struct registry_app a, b;
	char err[256] = "";
	json_t *j;

	registry_app_defaults(&a, NULL);
	ASSERT_STREQ(a.theme, "light");
	ASSERT_EQ(a.session_timeout, 1800);
	ASSERT_EQ(a.page_size, 50);
	j = registry_app_json(&a);
	ASSERT_MSG(registry_app_parse(j, &b, err, sizeof(err)) == 0, "%s", err);
	ASSERT_EQ(b.page_size, 50);
	json_decref(j);

	static const char *const bad[] = {
		"{\"theme\":\"pink\",\"accent\":\"blue\",\"session_timeout\":600,\"page_size\":25}",
		"{\"theme\":\"dark\",\"accent\":\"teal\",\"session_timeout\":600,\"page_size\":25}",
		"{\"theme\":\"dark\",\"accent\":\"blue\",\"session_timeout\":299,\"page_size\":25}",
		"{\"theme\":\"dark\",\"accent\":\"blue\",\"session_timeout\":7201,\"page_size\":25}",
		"{\"theme\":\"dark\",\"accent\":\"blue\",\"session_timeout\":600,\"page_size\":30}",
		"{\"theme\":\"dark\",\"accent\":\"blue\",\"session_timeout\":600,\"page_size\":25,\"x\":1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = obj(bad[i]);
		ASSERT_MSG(registry_app_parse(j, &b, err, sizeof(err)) == -1, "accepted %s", bad[i]);
		json_decref(j);
	}
}

TEST(fingerprint_shape)
{
	ASSERT(cfg_valid_fingerprint("ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
	                                  "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"));
	ASSERT(cfg_valid_fingerprint("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"));
	ASSERT(!cfg_valid_fingerprint("abcdef"));
	ASSERT(!cfg_valid_fingerprint("zz:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
	                                   "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"));
}

/* A self-signed certificate; its SHA-256 from `openssl x509 -noout -fingerprint -sha256`. */
TEST(pem_fingerprint)
{
	static const char pem[] =
		"-----BEGIN CERTIFICATE-----\n"
		"MIIBdDCCARmgAwIBAgIUMQjGrVRa7TOaAyjZuCsJeZ+hTiwwCgYIKoZIzj0EAwIw\n"
		"DzENMAsGA1UEAwwEdGVzdDAeFw0yNjExMjMxMTU2MjRaFw0zNjExMjAxMTU2MjRa\n"
		"MA8xDTALBgNVBAMMBHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQtVQv/\n"
		"Zh6N8WcHWHm1Ut/tYw70gWz1FCf9KGogZ8MVfsUekVPuC142x3hTbJvMEZZ0iy7F\n"
		"/cAgx812fD/srXdyo1MwUTAdBgNVHQ4EFgQUDig6EtcSzAhVoizi3brh4UznVj0w\n"
		"HwYDVR0jBBgwFoAUDig6EtcSzAhVoizi3brh4UznVj0wDwYDVR0TAQH/BAUwAwEB\n"
		"/zAKBggqhkjOPQQDAgNJADBGAiEA4ywKVgIrP/y63ufJuNhLVVaOpmI2Yqh30xbC\n"
		"jW1ZmjcCIQCaHS70/FfxkyBauxO4vCR6NW+rVaM7wo2cRkTaVk2Edw==\n"
		"-----END CERTIFICATE-----\n"
		;
	char out[VC_PROBE_FP_LEN];

	ASSERT_EQ(vc_probe_pem_fingerprint(pem, out), 0);
	ASSERT_STREQ(out, "B8:25:8E:26:14:AE:76:19:29:AE:9A:A6:BC:B7:1E:CA:36:33:E5:4C:A2:0D:3E:84:03:11:6E:C6:D8:C4:29:D8");
	ASSERT_EQ(vc_probe_pem_fingerprint("no certificate", out), -1);
	ASSERT_EQ(vc_probe_pem_fingerprint("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----", out), -1);
}

TEST_MAIN(T(vcenter_ok_and_defaults), T(vcenter_refused), T(array_checks), T(app_settings),
          T(fingerprint_shape), T(pem_fingerprint))
