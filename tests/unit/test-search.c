/* The search engine (fcgi/search.c): the indexed search gives exactly the hits,
 * order and total of scoring every key, over thousands of generated queries
 * (substrings, typos, subsequences, IP and DNS pieces, single bytes, noise); and
 * the ranking itself: exact name first, partial word, typo, IP exact and prefix, DNS,
 * a host found by its vmk's IP, and the edges of a page of hits. */
#include "test.h"
#include "scope.h"
#include "search.h"

#include <jansson.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const words[] = { "prod", "web", "db", "oracle", "app", "k8s", "node",
                                     "edge", "cache", "mail", "backup", "test" };

/* n VMs of vCenter v: simulator names (DC0_C1_RP0_VM17), then service names
 * ("prod-web-07"), a hostile one; IPs 10.v.x.y (every fifth with a second address,
 * every seventh IPv6 as well), DNS names on every third. */
static json_t *vms(int n, int v)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		char name[64], ip[32], ip2[32], dns[80];
		if (i == n - 1)
			snprintf(name, sizeof(name), "<script>alert('x')</script>");
		else if (i % 2)
			snprintf(name, sizeof(name), "DC%d_C%d_RP0_VM%d", i % 3, i % 5, i);
		else
			snprintf(name, sizeof(name), "%s-%s-%02d", words[i % 12], words[(i / 12) % 12], i % 97);
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", v, i / 250, i % 250);
		snprintf(ip2, sizeof(ip2), i % 7 ? "192.168.%d.%d" : "fe80::%x:%x", i % 200, i % 13);
		snprintf(dns, sizeof(dns), "%s.%s.example.com", name, words[i % 5]);
		json_t *r = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "moref", "vm-1", "ip", ip,
		                      "guest_os", "Linux");
		json_object_set_new(r, "ips", i % 5 ? json_pack("[s]", ip) : json_pack("[s,s]", ip, ip2));
		if (i % 3 == 0)
			json_object_set_new(r, "dns_name", json_string(dns));
		json_array_append_new(a, r);
	}
	json_array_append_new(a, json_string("not an object"));
	return a;
}

static json_t *hosts(int n, int v)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "esx%02d.dc%d.example.com", i, v);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "name", name, "moref", "host-9", "version", "8.0"));
	}
	/* longer than the names whose loose scores search.c shares along prefixes */
	json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "name",
	                      "esx-rack07-row3-prod-web-cluster-dc1_c3_rp0_vm77-longer-than-sixty-four-bytes",
	                      "moref", "host-99", "version", "8.0"));
	return a;
}

/* vmk0 of each host: an IP that finds the host. */
static json_t *vmks(int n, int v)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		char host[32], moref[32], ip[32];
		snprintf(host, sizeof(host), "esx%02d.dc%d.example.com", i, v);
		snprintf(moref, sizeof(moref), "host-%d", i);
		snprintf(ip, sizeof(ip), "172.16.%d.%d", v, i);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "name", "vmk0", "host", moref,
		                                   "host_name", host, "ip", ip));
	}
	json_array_append_new(a, json_pack("{s:s,s:s}", "name", "vmk1", "host", "host-0"));  /* no IP */
	return a;
}

#define NV 2
#define NT 3

struct fixture {
	json_t *recs[NV][NT];
	struct search_index *ix[NV][NT];
};

static const struct search_kind *kind(const char *type)
{
	for (size_t i = 0; i < search_n_kinds; i++)
		if (!strcmp(search_kinds[i].type, type))
			return &search_kinds[i];
	return NULL;
}

static void fixture_init(struct fixture *f, int n_vms)
{
	for (int v = 0; v < NV; v++) {
		f->recs[v][0] = vms(n_vms, v);
		f->recs[v][1] = hosts(20, v);
		f->recs[v][2] = vmks(20, v);
		f->ix[v][0] = search_index_build(f->recs[v][0], kind("vm"));
		f->ix[v][1] = search_index_build(f->recs[v][1], kind("host"));
		f->ix[v][2] = search_index_build(f->recs[v][2], kind("vmk"));
	}
}

static void fixture_free(struct fixture *f)
{
	for (int v = 0; v < NV; v++)
		for (int t = 0; t < NT; t++) {
			search_index_free(f->ix[v][t]);
			json_decref(f->recs[v][t]);
		}
}

static void run(struct fixture *f, const char *q, bool scan_all, struct inv_hit *hits, size_t max,
                struct search_top *top)
{
	struct search_query sq;

	*top = (struct search_top){ .hits = hits, .max = max };
	search_query_init(&sq, q);
	for (int v = 0; v < NV; v++)
		for (int t = 0; t < NT; t++)
			search_run(f->ix[v][t], &sq, (unsigned)v, scan_all, top);
	search_top_sort(top);
}

/* Indexed and full scan agree on q: same total, same hits in the same order. */
static int same_as_scan(struct fixture *f, const char *q, size_t max)
{
	struct inv_hit a[100], b[100];
	struct search_top ta, tb;

	run(f, q, true, a, max, &ta);
	run(f, q, false, b, max, &tb);
	if (ta.total != tb.total || ta.n != tb.n) {
		fprintf(stderr, "query \"%s\": total %zu/%zu, hits %zu/%zu\n", q, ta.total, tb.total, ta.n, tb.n);
		return 0;
	}
	for (size_t i = 0; i < ta.n; i++)
		if (a[i].score != b[i].score || a[i].src != b[i].src || a[i].pos != b[i].pos ||
		    strcmp(a[i].why, b[i].why) || a[i].ip != b[i].ip || strcmp(a[i].kind, b[i].kind)) {
			fprintf(stderr, "query \"%s\": hit %zu differs\n", q, i);
			return 0;
		}
	return 1;
}

/* A query made from a random name, DNS name or IP of the fixture: whole, a piece,
 * with 1-3 random edits, with bytes dropped (a subsequence), or noise. */
static void make_query(struct fixture *f, char *q, size_t size)
{
	const json_t *rec = json_array_get(f->recs[rnd(NV)][0], rnd(2000));
	const char *fields[] = { "name", "dns_name", "ip" };
	const char *src = json_string_value(json_object_get(rec, fields[rnd(3)]));
	size_t len, at, n;

	if (!src)
		src = "prod-web";
	len = strlen(src);
	at = rnd((unsigned)len);
	n = 1 + rnd((unsigned)(len - at < 20 ? len - at : 20));
	snprintf(q, size, "%.*s", (int)n, src + (rnd(3) ? 0 : at));
	switch (rnd(5)) {
	case 0:                                      /* typos: substitute, delete, insert */
		for (unsigned e = 1 + rnd(3); e; e--) {
			size_t l = strlen(q), i = rnd((unsigned)l + 1);
			if (rnd(3) == 0 && l > 1)
				memmove(q + i, q + i + 1, l - i);
			else if (rnd(2) && l + 2 < size)
				memmove(q + i + 1, q + i, l - i + 1), q[i] = (char)('a' + rnd(26));
			else if (i < l)
				q[i] = "abcxyz019_.-:"[rnd(13)];
		}
		break;
	case 1:                                      /* a subsequence */
		for (size_t i = 0, j = 0;; i++)
			if (!q[i] || rnd(3)) {
				q[j++] = q[i];
				if (!q[i])
					break;
			}
		break;
	case 2:
		if (rnd(4) == 0)
			for (size_t i = 0; q[i]; i++)
				q[i] = (char)(1 + rnd(255));         /* noise, high bytes too */
		break;
	default:
		break;
	}
}

TEST(indexed_equals_full_scan)
{
	struct fixture f;
	static const char *const fixed[] = {
		"", " ", "a", "_", ".", ":", "1", "z", "dc", "vm", "rp0", "dc1_c3_rp0_vm777",
		"DC1_C3_RP0_MV777", "c3_rp0_vm77", "prdweb", "prod-wbe-01", "oracel", "10.", "10.1.",
		"10.1.3.1", "10.0.0.0", "192.168.", "fe80::", "fe80", "::", "172.16.1.7", "esx03",
		"example.com", "web.db", "<script>", "alert('x')", "\xc3\xa9t\xc3\xa9", "zzzzzzzz",
		"  prod  ", "0123456789012345678901234567890123456789012345678901234567890123456789",
		/* the simulator's names, which differ by a byte or two: partial words, typos
		 * and subsequences that most names come close to (scored along shared prefixes) */
		"c3_rp0_vm7", "c3_rp0_vm1", "rp0_vm77", "dc0_c1_rp0_vm", "h0_v", "c1_rp0_vm12",
		"dc2_c4_rp0_vm19", "dc1c3rp0vm7", "dc1_c3_rp0_vm7777", "_rp0_", "vm1", "c3_rp0_mv77",
		"esx-rack07", "row3-prod-web-cluster-dc1_c3_rp0_vm77-longer-than",
	};
	char q[128];
	int bad = 0;

	fixture_init(&f, 2000);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		bad += !same_as_scan(&f, fixed[i], 100);
		bad += !same_as_scan(&f, fixed[i], 8);
	}
	for (int i = 0; i < 3000; i++) {
		make_query(&f, q, sizeof(q));
		bad += !same_as_scan(&f, q, i % 2 ? 100 : 8);
	}
	fixture_free(&f);
	ASSERT_EQ(bad, 0);
}

TEST(ranking)
{
	struct fixture f;
	struct inv_hit h[100];
	struct search_top top;

	fixture_init(&f, 500);
	run(&f, "DC1_C3_RP0_VM13", false, h, 100, &top);          /* exact name, both vCenters */
	ASSERT(top.n >= 2);
	ASSERT_STREQ(h[0].why, "name");
	ASSERT_EQ(h[0].score, 1000);
	ASSERT_EQ(h[0].src, 0);
	ASSERT_EQ(h[1].src, 1);
	ASSERT_STREQ(h[2].why, "prefix");                        /* DC1_C3_RP0_VM13x */
	run(&f, "DC1_C3_RP0_MV13", false, h, 100, &top);          /* a typo */
	ASSERT_STREQ(h[0].name, "DC1_C3_RP0_VM13");
	ASSERT_STREQ(h[0].why, "fuzzy");
	run(&f, "web", false, h, 100, &top);                      /* a partial word */
	ASSERT_STREQ(h[0].why, "partial");
	ASSERT_EQ(h[0].score, 800 - 3);                          /* "db-web-..": a word at 3 */
	ASSERT(!strncmp(h[0].name, "db-web-", 7));
	run(&f, "prdweb", false, h, 100, &top);                   /* a subsequence */
	ASSERT_STREQ(h[0].name, "prod-web-12");
	ASSERT_STREQ(h[0].why, "partial");
	ASSERT_EQ(h[0].score, 600 - 2);
	run(&f, "10.1.0.17", false, h, 100, &top);                /* IP, exact */
	ASSERT_STREQ(h[0].why, "ip");
	ASSERT_STREQ(h[0].ip, "10.1.0.17");
	ASSERT_EQ(h[0].src, 1);
	run(&f, "10.1.1.", false, h, 100, &top);                  /* IP prefix: 10.1.1.0-249 */
	ASSERT_EQ(top.total, 250);
	ASSERT_EQ(top.n, 100);
	ASSERT_STREQ(h[0].why, "ip");
	run(&f, "fe80::", false, h, 100, &top);                   /* IPv6 prefix, second address */
	ASSERT(top.total >= 1);
	ASSERT_CONTAINS(h[0].ip, "fe80::");
	run(&f, "172.16.1.3", false, h, 100, &top);               /* a host by its vmk's IP */
	ASSERT_EQ(top.total, 1);
	ASSERT_STREQ(h[0].kind, "host");
	ASSERT_STREQ(h[0].moref, "host-3");
	ASSERT_STREQ(h[0].name, "esx03.dc1.example.com");
	ASSERT_STREQ(h[0].sub, "vmk0");
	run(&f, "db.example", false, h, 100, &top);               /* a DNS name */
	ASSERT(top.total >= 1);
	ASSERT_STREQ(h[0].why, "dns");
	fixture_free(&f);
}

TEST(page_edges)
{
	struct fixture f;
	struct inv_hit h[100];
	struct search_top top;
	size_t total;

	fixture_init(&f, 500);
	run(&f, "10.0.1.", false, h, 100, &top);                  /* 10.0.1.0-249 in vCenter 0 */
	total = top.total;
	ASSERT_EQ(total, 250);
	run(&f, "10.0.1.", false, h, 1, &top);                    /* one hit, the same total */
	ASSERT_EQ(top.n, 1);
	ASSERT_EQ(top.total, total);
	ASSERT_STREQ(h[0].ip, "10.0.1.0");                       /* the exact-length prefix wins */
	run(&f, "172.16.0.1", false, h, 100, &top);               /* 172.16.0.1 and .1x: 11 hosts */
	ASSERT_EQ(top.total, 11);
	ASSERT_EQ(top.n, 11);
	ASSERT_EQ(h[0].score, 950);
	run(&f, "172.16.0.1", false, h, 11, &top);                /* exactly a page */
	ASSERT_EQ(top.n, 11);
	run(&f, "172.16.0.1", false, h, 10, &top);                /* one over: the worst drops */
	ASSERT_EQ(top.n, 10);
	ASSERT_EQ(top.total, 11);
	ASSERT_STREQ(h[9].moref, "host-18");
	run(&f, "   ", false, h, 100, &top);                      /* blank: nothing */
	ASSERT_EQ(top.total, 0);
	fixture_free(&f);
}

TEST(hostile_names_kept_verbatim)
{
	struct fixture f;
	struct inv_hit h[8];
	struct search_top top;

	fixture_init(&f, 100);
	run(&f, "<script>", false, h, 8, &top);                   /* found, not altered: pages escape */
	ASSERT_EQ(top.total, 2);
	ASSERT_STREQ(h[0].name, "<script>alert('x')</script>");
	fixture_free(&f);
}

TEST(memory)
{
	struct fixture f;
	size_t bytes, keys;

	fixture_init(&f, 2000);
	bytes = search_index_bytes(f.ix[0][0]);
	keys = search_index_keys(f.ix[0][0]);
	ASSERT_EQ(keys, 2000);
	fprintf(stderr, "search index: %zu keys, %zu bytes (%zu per key)\n", keys, bytes, bytes / keys);
	ASSERT(bytes < keys * 400 + 64 * 1024);
	search_index_free(NULL);
	fixture_free(&f);
}

TEST_MAIN(T(indexed_equals_full_scan), T(ranking), T(page_edges), T(hostile_names_kept_verbatim), T(memory))
