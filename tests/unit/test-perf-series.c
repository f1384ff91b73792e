/* Unit tests of the performance history's pure parts (named test-perf-series so it
 * does not clash with the integration test test-perf.sh in ctest): the tiered series
 * (redis/series.c: slots, rollups across bucket boundaries, retention, the value
 * format and its refusal of truncated or garbled values) and the collector's
 * QueryPerf side (collector/perf.c: counter ids, request XML, answer parsing). */
#include "test.h"
#include "perf.h"
#include "series.h"

#include <jansson.h>

#define T0 INT64_C(1800000000)   /* a multiple of 7200: every bucket starts here */

static const struct series_kind *vmk(void)
{
	return series_kind_find("vm");
}

static void vals6(int64_t *v, int64_t cpu, int64_t mem)
{
	for (int m = 0; m < SERIES_METRICS_MAX; m++)
		v[m] = SERIES_NONE;
	v[0] = cpu;
	v[2] = mem;
}

static int64_t at(const struct series *s, int m, int64_t t)
{
	int64_t i = (t - s->start) / s->step;

	return i >= 0 && i < s->n ? s->v[(size_t)m * (size_t)s->cap + (size_t)i] : -2;
}

TEST(kinds_and_ranges)
{
	ASSERT(vmk() && series_kind_find("host") && series_kind_find("datastore"));
	ASSERT(!series_kind_find("cluster"));
	ASSERT_EQ(series_tier_of_range("1h"), SERIES_20S);
	ASSERT_EQ(series_tier_of_range("24h"), SERIES_5M);
	ASSERT_EQ(series_tier_of_range("7d"), SERIES_30M);
	ASSERT_EQ(series_tier_of_range("90d"), SERIES_2H);
	ASSERT_EQ(series_tier_of_range("1y"), -1);
	char key[128];
	series_key(key, sizeof(key), "east", SERIES_5M, "vm-42");
	ASSERT_STREQ(key, "vc:{east}:perf:5m:vm-42");
}

TEST(set_snaps_to_slots)
{
	struct series s;
	int64_t v[SERIES_METRICS_MAX];

	ASSERT_EQ(series_init(&s, SERIES_20S, vmk()), 0);
	ASSERT_EQ(series_last(&s), -1);
	vals6(v, 1000, 5000);
	series_set(&s, T0 + 13, v);          /* the simulator's unaligned times */
	vals6(v, 2000, 5000);
	series_set(&s, T0 + 60, v);
	ASSERT_EQ(s.start, T0);
	ASSERT_EQ(s.n, 4);
	ASSERT_EQ(at(&s, 0, T0), 1000);
	ASSERT_EQ(at(&s, 0, T0 + 20), SERIES_NONE);
	ASSERT_EQ(at(&s, 0, T0 + 60), 2000);
	ASSERT_EQ(series_last(&s), T0 + 60);
	vals6(v, 3000, -5);                  /* negative: missing */
	series_set(&s, T0 - 40, v);          /* older: the window opens before */
	ASSERT_EQ(s.start, T0 - 40);
	ASSERT_EQ(at(&s, 0, T0 - 40), 3000);
	ASSERT_EQ(at(&s, 2, T0 - 40), SERIES_NONE);
	ASSERT_EQ(at(&s, 0, T0), 1000);
	series_free(&s);
}

TEST(window_moves_and_trims_by_age)
{
	struct series s;
	int64_t v[SERIES_METRICS_MAX];

	series_init(&s, SERIES_20S, vmk());
	for (int i = 0; i < 400; i++) {       /* 400 samples, 180 fit */
		vals6(v, i, i);
		series_set(&s, T0 + 20 * i, v);
	}
	ASSERT_EQ(s.n, 180);
	ASSERT_EQ(s.start, T0 + 20 * 220);
	ASSERT_EQ(at(&s, 0, T0 + 20 * 399), 399);
	vals6(v, 7, 7);
	series_set(&s, T0, v);               /* beyond the window's reach: dropped */
	ASSERT_EQ(s.start, T0 + 20 * 220);
	series_trim(&s, T0 + 20 * 399 + 600, 3600);   /* ten minutes later */
	ASSERT_EQ(s.start, T0 + 20 * 399 + 600 - 3600);   /* the slot at the cutoff stays */
	ASSERT_EQ(s.n, 151);
	series_trim(&s, T0 + 86400, 3600);   /* a day later: nothing left */
	ASSERT_EQ(s.n, 0);
	ASSERT_EQ(series_last(&s), -1);
	vals6(v, 1, 1);
	series_set(&s, T0 + 10 * 86400, v);  /* far ahead of an old window */
	ASSERT_EQ(s.n, 1);
	ASSERT_EQ(s.start, T0 + 10 * 86400);
	series_free(&s);
}

/* 20 s samples over 15 minutes: cpu = 100 * (slot index % 15), memory flat. */
static void fill_raw(struct series *raw)
{
	int64_t v[SERIES_METRICS_MAX];

	series_init(raw, SERIES_20S, vmk());
	for (int i = 0; i < 45; i++) {
		vals6(v, 100 * (i % 15), 4200);
		v[1] = 10 + i;                    /* cpu MHz: 10..54 */
		series_set(raw, T0 + 20 * i, v);
	}
}

TEST(rollup_averages_and_keeps_the_cpu_maximum)
{
	struct series raw, m5, m30;

	fill_raw(&raw);
	series_init(&m5, SERIES_5M, vmk());
	ASSERT_EQ(m5.nmetrics, SERIES_VM_NBASE + 1);
	series_rollup(&raw, &m5, T0, T0 + 900);
	ASSERT_EQ(m5.n, 3);
	ASSERT_EQ(at(&m5, 0, T0), 700);                /* mean of 0..1400 */
	ASSERT_EQ(at(&m5, 6, T0), 1400);               /* max series */
	ASSERT_EQ(at(&m5, 2, T0), 4200);
	ASSERT_EQ(at(&m5, 1, T0), 17);                 /* mean of 10..24 */
	ASSERT_EQ(at(&m5, 1, T0 + 600), 47);           /* mean of 40..54 */
	ASSERT_EQ(at(&m5, 4, T0), SERIES_NONE);        /* no disk values: none */
	/* an incomplete bucket is left alone */
	series_free(&m5);
	series_init(&m5, SERIES_5M, vmk());
	series_rollup(&raw, &m5, T0, T0 + 899);
	ASSERT_EQ(m5.n, 2);
	/* 30 min from 5 min: averages of averages, maximum of maxima */
	series_init(&m30, SERIES_30M, vmk());
	series_rollup(&m5, &m30, T0, T0 + 1800);
	ASSERT_EQ(m30.n, 1);
	ASSERT_EQ(at(&m30, 0, T0), 700);
	ASSERT_EQ(at(&m30, 6, T0), 1400);
	series_free(&raw);
	series_free(&m5);
	series_free(&m30);
}

TEST(datastore_has_no_max_series)
{
	const struct series_kind *ds = series_kind_find("datastore");
	struct series raw, m5;
	int64_t v[SERIES_METRICS_MAX] = { 100, 1000 };

	series_init(&raw, SERIES_20S, ds);
	series_init(&m5, SERIES_5M, ds);
	ASSERT_EQ(m5.nmetrics, 2);
	series_set(&raw, T0, v);
	v[0] = 300;
	series_set(&raw, T0 + 120, v);
	series_rollup(&raw, &m5, T0, T0 + 300);
	ASSERT_EQ(at(&m5, 0, T0), 200);
	ASSERT_EQ(at(&m5, 1, T0), 1000);
	series_free(&raw);
	series_free(&m5);
}

TEST(encoding_round_trip)
{
	struct series raw, back;
	struct buf b = BUF_INIT;

	fill_raw(&raw);
	series_encode(&raw, &b);
	ASSERT(b.len < 45 * 6 * 2 + 16);   /* compact: well under 2 bytes per value */
	ASSERT_EQ(series_decode(&back, SERIES_20S, vmk(), b.data, b.len), 0);
	ASSERT_EQ(back.start, raw.start);
	ASSERT_EQ(back.n, raw.n);
	for (int m = 0; m < raw.nmetrics; m++)
		for (int i = 0; i < raw.n; i++)
			ASSERT_EQ(back.v[m * back.cap + i], raw.v[m * raw.cap + i]);
	series_free(&back);
	/* the wrong tier or kind is refused */
	ASSERT_EQ(series_decode(&back, SERIES_5M, vmk(), b.data, b.len), -1);
	series_free(&back);
	ASSERT_EQ(series_decode(&back, SERIES_20S, series_kind_find("datastore"), b.data, b.len), -1);
	series_free(&back);
	/* an empty series too */
	struct series empty;
	struct buf e = BUF_INIT;
	series_init(&empty, SERIES_2H, vmk());
	series_encode(&empty, &e);
	ASSERT_EQ(series_decode(&back, SERIES_2H, vmk(), e.data, e.len), 0);
	ASSERT_EQ(back.n, 0);
	series_free(&back);
	series_free(&empty);
	buf_free(&e);
	series_free(&raw);
	buf_free(&b);
}

TEST(truncated_or_garbled_values_refused)
{
	struct series raw, back;
	struct buf b = BUF_INIT;
	char *bad;

	fill_raw(&raw);
	series_encode(&raw, &b);
	for (size_t cut = 0; cut < b.len; cut++) {
		ASSERT_MSG(series_decode(&back, SERIES_20S, vmk(), b.data, cut) == -1, "cut at %zu", cut);
		ASSERT_EQ(back.n, 0);
		series_free(&back);
	}
	bad = malloc(b.len + 1);
	memcpy(bad, b.data, b.len);
	bad[b.len] = 0;                        /* a trailing byte */
	ASSERT_EQ(series_decode(&back, SERIES_20S, vmk(), bad, b.len + 1), -1);
	series_free(&back);
	bad[0] = 'X';                          /* not the magic */
	ASSERT_EQ(series_decode(&back, SERIES_20S, vmk(), bad, b.len), -1);
	series_free(&back);
	memcpy(bad, b.data, b.len);
	/* header: 'P' 1, step, nbase, maxm + 1, nmetrics (one byte each), the start slot
	 * (four), the slot count: more slots than there are values */
	ASSERT_EQ(bad[10], 45);
	bad[10] = 90;
	ASSERT_EQ(series_decode(&back, SERIES_20S, vmk(), bad, b.len), -1);
	series_free(&back);
	ASSERT_EQ(series_decode(&back, SERIES_20S, vmk(), "P\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12), -1);
	series_free(&back);
	free(bad);
	series_free(&raw);
	buf_free(&b);
}

TEST(series_json_scales_and_windows)
{
	struct series raw;
	json_t *j;

	fill_raw(&raw);
	j = series_json(&raw, vmk(), T0 + 20 * 40);
	ASSERT_EQ(json_array_size(json_object_get(j, "t")), 5);
	ASSERT_EQ(json_integer_value(json_array_get(json_object_get(j, "t"), 0)), T0 + 800);
	ASSERT(json_real_value(json_array_get(json_object_get(j, "cpu_pct"), 0)) == 10.0);   /* 1000 / 100 */
	ASSERT(json_is_null(json_array_get(json_object_get(j, "disk_kbps"), 0)));
	ASSERT(!json_object_get(j, "cpu_max_pct"));   /* the 20 s tier keeps no max */
	json_decref(j);
	series_free(&raw);
}

/* ---- collector side ---- */

TEST(counter_ids_from_perf_counter)
{
	json_t *infos = json_loads("[{\"_type\":\"PerfCounterInfo\",\"key\":\"2\","
		"\"nameInfo\":{\"key\":\"usage\"},\"groupInfo\":{\"key\":\"cpu\"},\"rollupType\":\"average\"},"
		"{\"key\":\"1\",\"nameInfo\":{\"key\":\"usage\"},\"groupInfo\":{\"key\":\"cpu\"},\"rollupType\":\"none\"},"
		"{\"key\":98,\"nameInfo\":{\"key\":\"consumed\"},\"groupInfo\":{\"key\":\"mem\"},\"rollupType\":\"average\"},"
		"{\"key\":\"143\",\"nameInfo\":{\"key\":\"usage\"},\"groupInfo\":{\"key\":\"net\"},\"rollupType\":\"average\"}]", 0, NULL);
	struct perf_counters c;

	ASSERT_EQ(perf_counters_from(infos, &c), 3);
	ASSERT_EQ(c.id[0], 2);
	ASSERT_EQ(c.id[1], -1);
	ASSERT_EQ(c.id[3], 98);
	ASSERT_EQ(c.id[5], 143);
	json_decref(infos);
}

TEST(times)
{
	ASSERT_EQ(perf_parse_time("2027-01-15T08:00:20Z"), INT64_C(1800000020));
	ASSERT_EQ(perf_parse_time("2027-01-15T08:00:20.987654321Z"), INT64_C(1800000020));
	ASSERT_EQ(perf_parse_time("2027-01-15T09:00:20+01:00"), INT64_C(1800000020));
	ASSERT_EQ(perf_parse_time("2027-01-15T07:30:20.5-00:30"), INT64_C(1800000020));
	ASSERT_EQ(perf_parse_time("2027-01-15T08:00:20"), INT64_C(1800000020));
	ASSERT_EQ(perf_parse_time("yesterday"), -1);
	ASSERT_EQ(perf_parse_time("2027-01-15T08:00:20Zjunk"), -1);
	ASSERT_EQ(perf_parse_time(NULL), -1);
}

TEST(query_xml)
{
	struct perf_counters c = { { 2, 6, -1, 98, 125, 143 } };
	const char *morefs[] = { "vm-1", "vm-<2>" };
	int64_t starts[] = { T0, T0 + 20 };
	struct buf b = BUF_INIT;

	perf_query_xml(&b, "PerfMgr", "VirtualMachine", morefs, starts, 2, &c);
	ASSERT_CONTAINS(buf_str(&b), "<_this type=\"PerformanceManager\">PerfMgr</_this>");
	ASSERT_CONTAINS(buf_str(&b), "<entity type=\"VirtualMachine\">vm-1</entity><startTime>2027-01-15T08:00:00Z</startTime><maxSample>180</maxSample>");
	ASSERT_CONTAINS(buf_str(&b), "vm-&lt;2&gt;");
	ASSERT_CONTAINS(buf_str(&b), "<metricId><counterId>98</counterId><instance></instance></metricId>");
	ASSERT_NOT_CONTAINS(buf_str(&b), "<counterId>-1<");
	ASSERT_CONTAINS(buf_str(&b), "<intervalId>20</intervalId><format>normal</format></querySpec>");
	buf_free(&b);
}

struct got {
	int n;
	char moref[32];
	int64_t t[8], cpu[8], net[8];
};

static void on_sample(void *ctx, const char *moref, int64_t t, const int64_t *v)
{
	struct got *g = ctx;

	snprintf(g->moref, sizeof(g->moref), "%s", moref);
	if (g->n < 8) {
		g->t[g->n] = t;
		g->cpu[g->n] = v[0];
		g->net[g->n] = v[5];
	}
	g->n++;
}

TEST(parse_answer)
{
	/* the client's shape: untyped leaves are strings, a single element no array */
	json_t *one = json_loads("{\"_type\":\"PerfEntityMetric\","
		"\"entity\":{\"_type\":\"MOR\",\"type\":\"VirtualMachine\",\"value\":\"vm-7\"},"
		"\"sampleInfo\":[{\"timestamp\":\"2027-01-15T08:00:20Z\",\"interval\":\"20\"},"
		"{\"timestamp\":\"2027-01-15T08:00:40Z\",\"interval\":\"20\"}],"
		"\"value\":[{\"_type\":\"PerfMetricIntSeries\",\"id\":{\"counterId\":\"2\",\"instance\":\"\"},\"value\":[\"150\",\"250\"]},"
		"{\"_type\":\"PerfMetricIntSeries\",\"id\":{\"counterId\":\"2\",\"instance\":\"0\"},\"value\":[\"9\",\"9\"]},"
		"{\"_type\":\"PerfMetricIntSeries\",\"id\":{\"counterId\":\"143\"},\"value\":[\"-1\",7]}]}", 0, NULL);
	json_t *single = json_loads("[{\"entity\":{\"_type\":\"MOR\",\"type\":\"HostSystem\",\"value\":\"host-1\"},"
		"\"sampleInfo\":{\"timestamp\":\"2027-01-15T08:01:00Z\",\"interval\":\"20\"},"
		"\"value\":{\"id\":{\"counterId\":\"2\",\"instance\":\"\"},\"value\":\"3300\"}},"
		"{\"entity\":{\"_type\":\"MOR\",\"type\":\"VirtualMachine\",\"value\":\"vm-9\"}}]", 0, NULL);
	struct perf_counters c = { { 2, -1, -1, -1, -1, 143 } };
	struct got g = { 0 };

	ASSERT_EQ(perf_parse(one, &c, on_sample, &g), 2);
	ASSERT_STREQ(g.moref, "vm-7");
	ASSERT_EQ(g.t[0], INT64_C(1800000020));
	ASSERT_EQ(g.cpu[0], 150);             /* the aggregate, not instance "0" */
	ASSERT_EQ(g.cpu[1], 250);
	ASSERT_EQ(g.net[0], -1);              /* vCenter's "no value" */
	ASSERT_EQ(g.net[1], 7);
	memset(&g, 0, sizeof(g));
	ASSERT_EQ(perf_parse(single, &c, on_sample, &g), 1);   /* vm-9 has no samples */
	ASSERT_STREQ(g.moref, "host-1");
	ASSERT_EQ(g.cpu[0], 3300);
	ASSERT_EQ(perf_parse(NULL, &c, on_sample, &g), 0);
	json_decref(one);
	json_decref(single);
}

/* A time far ahead of a full window (a vCenter clock years off) starts the series
 * afresh instead of wrapping the slot arithmetic; the window stays bounded. */
TEST(far_future_sample_restarts_the_window)
{
	struct series s;
	int64_t v[SERIES_METRICS_MAX];

	series_init(&s, SERIES_20S, vmk());
	for (int i = 0; i < 200; i++) {
		vals6(v, i, i);
		series_set(&s, T0 + 20 * i, v);
	}
	ASSERT_EQ(s.n, 180);
	vals6(v, 5, 5);
	series_set(&s, INT64_C(45127497600), v);   /* year 3400 */
	ASSERT_EQ(s.n, 1);
	ASSERT_EQ(s.start, INT64_C(45127497600));
	ASSERT_EQ(at(&s, 0, INT64_C(45127497600)), 5);
	series_set(&s, INT64_C(45127497600) + 20 * 5000, v);   /* then further still */
	ASSERT_EQ(s.n, 1);
	ASSERT(s.n <= s.cap);
	series_free(&s);
}

TEST_MAIN(T(kinds_and_ranges), T(far_future_sample_restarts_the_window), T(set_snaps_to_slots), T(window_moves_and_trims_by_age),
          T(rollup_averages_and_keeps_the_cpu_maximum), T(datastore_has_no_max_series),
          T(encoding_round_trip), T(truncated_or_garbled_values_refused),
          T(series_json_scales_and_windows), T(counter_ids_from_perf_counter), T(times),
          T(query_xml), T(parse_answer))
