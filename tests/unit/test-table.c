/* The table engine (fcgi/table.c): sort stability in both directions, natural
 * order, numeric columns, filters and the text filter, page edges, merging the
 * sorted lists of several vCenters, and the human formatting helpers. */
#include "test.h"
#include "table.h"

#include <jansson.h>
#include <strings.h>

static const struct tbl_col cols[] = {
	{ "name", "Name", TBL_TEXT, true, 0, NULL, NULL, NULL },
	{ "cpus", "vCPU", TBL_NUM, true, 0, NULL, NULL, NULL },
	{ "power", "Power", TBL_TEXT, true, 0, NULL, NULL, "power_state" },
};
static const struct tbl_filter filters[] = { { "power", "power_state" }, { "tpl", "template" } };
static const char *const qf[] = { "name", "ips" };
static const struct tbl_def def = { "vm", cols, 3, filters, 2, qf, 2, 0, NULL };

/* n VMs "vm-<i>" with cpus = i % mod, every third one off, IP 10.0.0.<i>. */
static json_t *vms(int n, int mod, const char *prefix)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		char name[32], ip[32];
		snprintf(name, sizeof(name), "%s-%d", prefix, i);
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		json_array_append_new(a, json_pack("{s:s,s:i,s:s,s:b,s:[s]}", "name", name, "cpus", i % mod,
		                                   "power_state", i % 3 ? "poweredOn" : "poweredOff",
		                                   "template", i == 5, "ips", ip));
	}
	return a;
}

static const char *name_of(const struct tbl_row *r)
{
	return json_string_value(json_object_get(r->rec, "name"));
}

static int cpus_of(const struct tbl_row *r)
{
	return (int)json_integer_value(json_object_get(r->rec, "cpus"));
}

static struct tbl_query query(size_t col, bool desc, size_t page, size_t per)
{
	struct tbl_query q;

	memset(&q, 0, sizeof(q));
	q.col = col;
	q.desc = desc;
	q.page = page;
	q.per_page = per;
	return q;
}

TEST(natural_sort_by_name)
{
	json_t *recs = vms(12, 4, "vm");
	struct tbl_index *ix = tbl_index_build(&def, recs);
	struct tbl_query q = query(0, false, 1, 50);
	struct tbl_result res;

	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.total, 12);
	ASSERT(!strcmp(name_of(res.rows[0]), "vm-0"));
	ASSERT(!strcmp(name_of(res.rows[2]), "vm-2"));     /* vm-2 before vm-10 */
	ASSERT(!strcmp(name_of(res.rows[11]), "vm-11"));
	tbl_result_free(&res);
	q.desc = true;
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT(!strcmp(name_of(res.rows[0]), "vm-11"));
	ASSERT(!strcmp(name_of(res.rows[11]), "vm-0"));
	tbl_result_free(&res);
	tbl_index_free(ix);
	json_decref(recs);
}

/* Equal keys keep record order, ascending and descending alike. */
TEST(sort_is_stable_both_ways)
{
	json_t *recs = vms(30, 3, "vm");
	struct tbl_index *ix = tbl_index_build(&def, recs);
	struct tbl_query q = query(1, false, 1, 50);
	struct tbl_result res;

	for (int desc = 0; desc < 2; desc++) {
		q.desc = desc;
		ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
		ASSERT_EQ(res.n, 30);
		for (size_t i = 1; i < res.n; i++) {
			int a = cpus_of(res.rows[i - 1]), b = cpus_of(res.rows[i]);
			ASSERT(desc ? a >= b : a <= b);
			if (a == b)
				ASSERT_MSG(res.rows[i - 1]->id < res.rows[i]->id, "tie out of record order at %zu", i);
		}
		tbl_result_free(&res);
	}
	tbl_index_free(ix);
	json_decref(recs);
}

TEST(filters_and_text)
{
	json_t *recs = vms(30, 5, "vm");
	struct tbl_index *ix = tbl_index_build(&def, recs);
	struct tbl_query q = query(0, false, 1, 50);
	struct tbl_result res;

	q.filter[0] = "POWEREDOFF";                         /* case does not matter */
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.total, 10);
	for (size_t i = 0; i < res.n; i++)
		ASSERT(!strcmp(json_string_value(json_object_get(res.rows[i]->rec, "power_state")), "poweredOff"));
	tbl_result_free(&res);
	q.filter[0] = NULL;
	q.filter[1] = "true";                               /* booleans as text */
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.total, 1);
	ASSERT(!strcmp(name_of(res.rows[0]), "vm-5"));
	tbl_result_free(&res);
	q.filter[1] = NULL;
	q.q = "VM-2";                                       /* substring, any case: 2, 20..29 */
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.total, 11);
	tbl_result_free(&res);
	q.q = "10.0.0.17";                                  /* arrays are searched too */
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.total, 1);
	ASSERT(!strcmp(name_of(res.rows[0]), "vm-17"));
	tbl_result_free(&res);
	q.q = "nothing-like-this";
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.total, 0);
	ASSERT_EQ(res.n, 0);
	ASSERT_EQ(res.pages, 1);
	ASSERT_EQ(res.page, 1);
	tbl_result_free(&res);
	tbl_index_free(ix);
	json_decref(recs);
}

TEST(page_edges)
{
	json_t *recs = vms(100, 7, "vm");
	struct tbl_index *ix = tbl_index_build(&def, recs);
	struct tbl_query q = query(0, false, 1, 25);
	struct tbl_result res;

	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);            /* exact multiple: 4 full pages */
	ASSERT_EQ(res.pages, 4);
	ASSERT_EQ(res.n, 25);
	tbl_result_free(&res);
	q.page = 4;
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.n, 25);
	ASSERT(!strcmp(name_of(res.rows[24]), "vm-99"));
	tbl_result_free(&res);
	q.page = 5;                                          /* past the end: the last page */
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.page, 4);
	ASSERT(!strcmp(name_of(res.rows[0]), "vm-75"));
	tbl_result_free(&res);
	q.page = 0;                                          /* before the start: the first */
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.page, 1);
	ASSERT(!strcmp(name_of(res.rows[0]), "vm-0"));
	tbl_result_free(&res);
	q.per_page = 30;                                     /* remainder on the last page */
	q.page = 4;
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
	ASSERT_EQ(res.pages, 4);
	ASSERT_EQ(res.n, 10);
	ASSERT(!strcmp(name_of(res.rows[9]), "vm-99"));
	tbl_result_free(&res);
	q.col = 99;                                          /* a column that does not exist */
	ASSERT_EQ(tbl_run(&ix, 1, &q, &res), -1);
	tbl_index_free(ix);
	json_decref(recs);
}

/* Two vCenters: one sorted list, ties in vCenter order, every row once. */
TEST(merge_of_vcenters)
{
	json_t *a = vms(40, 4, "a"), *b = vms(30, 4, "b");
	struct tbl_index *ix[2] = { tbl_index_build(&def, a), tbl_index_build(&def, b) };
	struct tbl_query q = query(1, false, 1, 25);
	struct tbl_result res;
	int seen = 0, last = -1;
	unsigned last_src = 0;

	for (q.page = 1; q.page <= 3; q.page++) {
		ASSERT_EQ(tbl_run(ix, 2, &q, &res), 0);
		ASSERT_EQ(res.total, 70);
		ASSERT_EQ(res.pages, 3);
		for (size_t i = 0; i < res.n; i++, seen++) {
			int c = cpus_of(res.rows[i]);
			ASSERT(c >= last);
			if (c == last)
				ASSERT(res.rows[i]->src >= last_src);
			last = c;
			last_src = res.rows[i]->src;
		}
		tbl_result_free(&res);
	}
	ASSERT_EQ(seen, 70);
	/* Filtered, the merge runs over copies instead of the cached orders. */
	q.page = 1;
	q.filter[0] = "poweredOff";
	ASSERT_EQ(tbl_run(ix, 2, &q, &res), 0);
	ASSERT_EQ(res.total, 24);                           /* 14 of a, 10 of b */
	ASSERT_EQ(res.n, 24);
	for (size_t i = 1; i < res.n; i++)
		ASSERT(cpus_of(res.rows[i]) >= cpus_of(res.rows[i - 1]));
	ASSERT_STREQ(json_string_value(json_object_get(res.rows[0]->rec, "power_state")), "poweredOff");
	tbl_result_free(&res);
	ASSERT_EQ(tbl_col_find(&def, "power"), 2);
	ASSERT_EQ(tbl_col_find(&def, "nope"), -1);
	tbl_index_free(ix[0]);
	tbl_index_free(ix[1]);
	json_decref(a);
	json_decref(b);
}

TEST(index_skips_non_objects_and_empty)
{
	json_t *recs = json_pack("[i,{s:s},n]", 1, "name", "x");
	struct tbl_index *ix = tbl_index_build(&def, recs), *none = tbl_index_build(&def, NULL);
	struct tbl_query q = query(0, false, 1, 50);
	struct tbl_result res;

	ASSERT_EQ(tbl_index_rows(ix), 1);
	ASSERT_EQ(tbl_index_rows(none), 0);
	ASSERT_EQ(tbl_run(&none, 1, &q, &res), 0);
	ASSERT_EQ(res.total, 0);
	tbl_result_free(&res);
	ASSERT_EQ(tbl_run(NULL, 0, &q, &res), 0);           /* no vCenter at all */
	ASSERT_EQ(res.total, 0);
	tbl_result_free(&res);
	tbl_index_free(ix);
	tbl_index_free(none);
	tbl_index_free(NULL);
	json_decref(recs);
}

TEST(formatting)
{
	char s[64];

	tbl_fmt_bytes(1536.0 * 1048576, s, sizeof(s));
	ASSERT(!strcmp(s, "1.5 GiB"));
	tbl_fmt_bytes(512, s, sizeof(s));
	ASSERT(!strcmp(s, "512 B"));
	tbl_fmt_bytes(300.0 * 1099511627776.0, s, sizeof(s));
	ASSERT(!strcmp(s, "300 TiB"));
	tbl_fmt_mhz(2400, s, sizeof(s));
	ASSERT(!strcmp(s, "2.4 GHz"));
	tbl_fmt_mhz(800, s, sizeof(s));
	ASSERT(!strcmp(s, "800 MHz"));
	tbl_fmt_int(1234567, s, sizeof(s));
	ASSERT(!strcmp(s, "1,234,567"));
	tbl_fmt_int(-1000, s, sizeof(s));
	ASSERT(!strcmp(s, "-1,000"));
	tbl_fmt_duration(3 * 86400 + 7200, s, sizeof(s));
	ASSERT(!strcmp(s, "3 d 2 h"));
	tbl_fmt_duration(3660, s, sizeof(s));
	ASSERT(!strcmp(s, "1 h 1 min"));
	ASSERT_EQ(tbl_time("2026-11-23T10:00:00Z"), 1795428000LL);
	ASSERT_EQ(tbl_time("2026-11-23T10:00:00.123456Z"), 1795428000LL);
	ASSERT_EQ(tbl_time("garbage"), 0);
	ASSERT_EQ(tbl_pct(50, 200), 25);
	ASSERT_EQ(tbl_pct(500, 200), 100);
	ASSERT_EQ(tbl_pct(1, 0), 0);
}

/* ---- the query memo against the plain scan ---- */

static unsigned long long rng = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
	return test_rnd(&rng, n);
}

/* n VMs with mixed-case names (some non-ASCII), a few IPs, four power states and
 * repeated CPU counts, so sorts have ties. */
static json_t *mixed_vms(int n, int vc)
{
	static const char *const stems[] = { "DC1_C3_RP0_VM", "db-Prod-", "Web", "Ünïcødé-ß-", "rp0x", "a" };
	static const char *const powers[] = { "poweredOn", "poweredOff", "suspended", "poweredOn" };
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		char name[64], ip[32];
		snprintf(name, sizeof(name), "%s%d", stems[(i + vc) % 6], i * 7 % 50);
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", vc, i % 3, i);
		json_array_append_new(a, json_pack("{s:s,s:i,s:s,s:b,s:[s]}", "name", name, "cpus", i % 5,
		                                   "power_state", powers[i % 4], "template", i % 11 == 0,
		                                   "ips", ip));
	}
	return a;
}

/* A query text: a piece of a row's haystack (1 to 6 bytes, cut anywhere, even in a
 * UTF-8 sequence), its case flipped at random, or one that matches nothing. */
static const char *gen_q(struct tbl_index *const *ix, size_t n, char *out, size_t cap)
{
	const struct tbl_row *row;
	size_t len, at, take;

	switch (rnd(8)) {
	case 0:
		return NULL;
	case 1:
		return rnd(2) ? "zz-no-such-vm" : "\xc3\xa9t\xc3\xa9";   /* nothing */
	case 2:
		return rnd(2) ? "A" : "10.";                               /* (nearly) everything */
	default:
		break;
	}
	row = tbl_index_row(ix[rnd((unsigned)n)], rnd(40));
	len = strlen(row->text);
	take = 1 + rnd(6);
	at = rnd((unsigned)len);
	if (take > len - at)
		take = len - at;
	if (take >= cap)
		take = cap - 1;
	memcpy(out, row->text + at, take);
	out[take] = '\0';
	for (size_t i = 0; i < take; i++)
		if (rnd(2) && out[i] >= 'a' && out[i] <= 'z')
			out[i] = (char)(out[i] - 'a' + 'A');
	return out;
}

/* The same page, total, rows and vCenters as the plain scan; src is compared as
 * each run left it, before the next run can set it again. */
static int same_as_plain(struct tbl_index *const *ix, size_t n, const struct tbl_query *q)
{
	struct tbl_result a, b;
	unsigned src[256];
	int ok;

	if (tbl_run_plain(ix, n, q, &b) < 0)
		return 0;
	for (size_t i = 0; i < b.n; i++)
		src[i] = b.rows[i]->src;
	ok = tbl_run(ix, n, q, &a) == 0 && a.total == b.total && a.page == b.page &&
	     a.pages == b.pages && a.n == b.n;
	for (size_t i = 0; ok && i < a.n; i++)
		ok = a.rows[i] == b.rows[i] && a.rows[i]->src == src[i];
	tbl_result_free(&a);
	tbl_result_free(&b);
	return ok;
}

TEST(memo_matches_plain_scan)
{
	static const char *const pw[] = { NULL, "poweredOn", "POWEREDOFF", "suspended", "standBy", "" };
	static const size_t per[] = { 25, 50, 100, 250 };
	json_t *recs[3];
	struct tbl_index *ix[3];
	char qbuf[16];
	size_t hits = 0;

	for (int v = 0; v < 3; v++)
		ix[v] = tbl_index_build(&def, recs[v] = mixed_vms(600 + 150 * v, v));
	for (int i = 0; i < 4000; i++) {
		struct tbl_query q = query(rnd(3), rnd(2), 1 + rnd(30), per[rnd(4)]);
		size_t n = 1 + rnd(3);
		q.q = gen_q(ix, n, qbuf, sizeof(qbuf));
		q.filter[0] = pw[rnd(6)];
		q.filter[1] = rnd(4) ? NULL : rnd(2) ? "true" : "FALSE";
		ASSERT_MSG(same_as_plain(ix, n, &q), "query %d: q=\"%s\" power=%s col=%zu desc=%d page=%zu per=%zu",
		           i, q.q ? q.q : "", q.filter[0] ? q.filter[0] : "-", q.col, q.desc, q.page, q.per_page);
		ASSERT_MSG(same_as_plain(ix, n, &q), "query %d again (from the memo)", i);
		if (i % 500 == 499) {           /* a new generation of one vCenter */
			int v = (int)rnd(3);
			tbl_index_free(ix[v]);
			json_decref(recs[v]);
			ix[v] = tbl_index_build(&def, recs[v] = mixed_vms(500 + (int)rnd(400), v + i));
		}
		hits++;
	}
	ASSERT_EQ(hits, 4000);
	tbl_memo_reset();
	for (int v = 0; v < 3; v++) {
		tbl_index_free(ix[v]);
		json_decref(recs[v]);
	}
}

/* Totals against the records themselves, not the index: a row matches when each
 * asked filter equals its field whatever the case (power_state a string, template a
 * boolean) and its lowercased haystack holds q. Filter values are stored once per
 * index and matched by pointer, so values one vCenter lacks, case variants and a
 * value longer than the interning's stack buffer are asked too. */
static size_t expected_total(struct tbl_index *const *ix, size_t n, const struct tbl_query *q)
{
	char qlow[64] = "";
	size_t total = 0;

	if (q->q)
		tbl_lower(qlow, q->q, strlen(q->q));
	for (size_t v = 0; v < n; v++)
		for (size_t i = 0; i < tbl_index_rows(ix[v]); i++) {
			const struct tbl_row *row = tbl_index_row(ix[v], i);
			const char *power = json_string_value(json_object_get(row->rec, "power_state"));
			const char *tpl = json_is_true(json_object_get(row->rec, "template")) ? "true" : "false";
			if (q->filter[0] && *q->filter[0] && strcasecmp(power, q->filter[0]))
				continue;
			if (q->filter[1] && *q->filter[1] && strcasecmp(tpl, q->filter[1]))
				continue;
			total += !*qlow || strstr(row->text, qlow);
		}
	return total;
}

TEST(filters_match_records)
{
	static char long_value[400];
	static const char *const pw[] = { "poweredOn", "POWEREDOFF", "Suspended", "standBy", "",
	                                  long_value, "poweredon ", "poweredO" };
	json_t *recs[3];
	struct tbl_index *ix[3];
	struct tbl_result res;
	char qbuf[16];

	memset(long_value, 'p', sizeof(long_value) - 1);
	for (int v = 0; v < 3; v++) {
		recs[v] = mixed_vms(300 + 100 * v, v);
		if (v == 2)     /* one vCenter without suspended VMs */
			for (size_t i = 0; i < json_array_size(recs[v]); i++)
				if (!strcmp(json_string_value(json_object_get(json_array_get(recs[v], i),
				                                              "power_state")), "suspended"))
					json_object_set_new(json_array_get(recs[v], i), "power_state",
					                    json_string("poweredOff"));
		ix[v] = tbl_index_build(&def, recs[v]);
	}
	for (int i = 0; i < 2000; i++) {
		struct tbl_query q = query(rnd(3), rnd(2), 1, 50);
		size_t n = 1 + rnd(3), want;
		q.q = gen_q(ix, n, qbuf, sizeof(qbuf));
		q.filter[0] = rnd(5) ? pw[rnd(8)] : NULL;
		q.filter[1] = rnd(3) ? NULL : rnd(2) ? "True" : "false";
		want = expected_total(ix, n, &q);
		ASSERT_EQ(tbl_run(ix, n, &q, &res), 0);
		ASSERT_MSG(res.total == want, "query %d: q=\"%s\" power=%s tpl=%s: %zu rows, expected %zu",
		           i, q.q ? q.q : "", q.filter[0] ? q.filter[0] : "-",
		           q.filter[1] ? q.filter[1] : "-", res.total, want);
		tbl_result_free(&res);
	}
	tbl_memo_reset();
	for (int v = 0; v < 3; v++) {
		tbl_index_free(ix[v]);
		json_decref(recs[v]);
	}
}

/* Case and non-ASCII bytes: ASCII letters fold, other bytes must be equal. */
TEST(text_filter_case_and_utf8)
{
	static const struct { const char *q; size_t total; } cases[] = {
		{ "Ünïcødé", 10 }, { "ÜNïCødé-ß", 10 }, { "ünïcødé", 0 }, { "ÜNÏCØDÉ", 0 },
		{ "ÜNïCødÉ-ß", 0 }, { "Ünïcødé-SS", 0 }, { "\xc3", 10 }, { "-ß-1", 2 },
	};
	json_t *recs = mixed_vms(60, 3);
	struct tbl_index *ix = tbl_index_build(&def, recs);
	struct tbl_query q = query(0, false, 1, 250);
	struct tbl_result res;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		q.q = cases[i].q;
		ASSERT_EQ(tbl_run(&ix, 1, &q, &res), 0);
		ASSERT_MSG(res.total == cases[i].total, "q=\"%s\": %zu rows, expected %zu",
		           q.q, res.total, cases[i].total);
		tbl_result_free(&res);
	}
	tbl_index_free(ix);
	json_decref(recs);
}

TEST_MAIN(T(natural_sort_by_name), T(sort_is_stable_both_ways), T(filters_and_text), T(page_edges),
          T(merge_of_vcenters), T(index_skips_non_objects_and_empty), T(formatting),
          T(memo_matches_plain_scan), T(filters_match_records), T(text_filter_case_and_utf8))
