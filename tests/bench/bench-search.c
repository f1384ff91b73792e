/* CPU per query of the search engine (fcgi/search.c) alone, without Redis, nginx or
 * the simulator: three vCenters of BENCH_VMS_PER_CR x 10 VMs (default 1,700: 17,000
 * each, 51,000 in all) named as the govmomi simulator names them
 * (DC1_C3_RP0_VM777; standalone hosts' VMs DC0_H0_VM5), an IP each, hosts with a
 * vmk each, and the queries of bench-pages.sh plus short ones. For each query it
 * prints the process CPU time per query scoring every key (the engine before the
 * index) and through the index, the hits' total, and the index's build time and
 * memory. Both ways must agree on the total; the bench exits 1 when they do not.
 *
 *   build/release/tests/bench-search     (BENCH_VMS_PER_CR, BENCH_ITER, BENCH_QUERY) */
#include "scope.h"
#include "search.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NV 3

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *sim_vms(int v, int per_cr)
{
	json_t *a = json_array();
	int n = 0;

	for (int dc = 0; dc < 2; dc++)
		for (int cr = 0; cr < 5; cr++)
			for (int i = 0; i < per_cr; i++, n++) {
				char name[64], ip[32], moref[32];
				if (cr < 4)
					snprintf(name, sizeof(name), "DC%d_C%d_RP0_VM%d", dc, cr, i);
				else
					snprintf(name, sizeof(name), "DC%d_H0_VM%d", dc, i);
				snprintf(ip, sizeof(ip), "10.%d.%d.%d", v * 10 + dc * 5 + cr, i / 250, i % 250);
				snprintf(moref, sizeof(moref), "vm-%d", n);
				json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:[s],s:s,s:s}", "name", name,
				                      "moref", moref, "ip", ip, "ips", ip, "guest_os", "otherGuest",
				                      "power_state", "poweredOn"));
			}
	return a;
}

static json_t *sim_hosts(bool vmk)
{
	json_t *a = json_array();

	for (int dc = 0; dc < 2; dc++)
		for (int h = 0; h < 17; h++) {
			char name[32], moref[32], ip[32];
			snprintf(name, sizeof(name), h < 16 ? "DC%d_C%d_H%d" : "DC%d_H0", dc, h / 4, h % 4);
			snprintf(moref, sizeof(moref), "host-%d", dc * 17 + h);
			snprintf(ip, sizeof(ip), "127.0.%d.%d", dc, h);
			json_array_append_new(a, vmk
				? json_pack("{s:s,s:s,s:s,s:s}", "name", "vmk0", "host", moref, "host_name", name, "ip", ip)
				: json_pack("{s:s,s:s,s:s}", "name", name, "moref", moref, "version", "8.0.1"));
		}
	return a;
}

struct corpus {
	json_t *recs[NV][3];
	struct search_index *ix[NV][3];
	size_t keys, bytes;
	double build_s;
};

static void corpus_build(struct corpus *c, int per_cr)
{
	static const char *const types[3] = { "vm", "host", "vmk" };
	double t0;

	for (int v = 0; v < NV; v++) {
		c->recs[v][0] = sim_vms(v, per_cr);
		c->recs[v][1] = sim_hosts(false);
		c->recs[v][2] = sim_hosts(true);
	}
	t0 = cpu_now();
	for (int v = 0; v < NV; v++)
		for (int t = 0; t < 3; t++)
			for (size_t k = 0; k < search_n_kinds; k++)
				if (!strcmp(search_kinds[k].type, types[t]))
					c->ix[v][t] = search_index_build(c->recs[v][t], &search_kinds[k]);
	c->build_s = cpu_now() - t0;
	for (int v = 0; v < NV; v++)
		for (int t = 0; t < 3; t++) {
			c->keys += search_index_keys(c->ix[v][t]);
			c->bytes += search_index_bytes(c->ix[v][t]);
		}
}

static void corpus_free(struct corpus *c)
{
	for (int v = 0; v < NV; v++)
		for (int t = 0; t < 3; t++) {
			search_index_free(c->ix[v][t]);
			json_decref(c->recs[v][t]);
		}
}

/* CPU seconds per query over iter runs; *total gets the hits' total. */
static double time_query(struct corpus *c, const char *q, bool scan_all, size_t max, int iter,
                         size_t *total)
{
	static struct inv_hit hits[100];
	struct search_query sq;
	double t0 = cpu_now();

	for (int i = 0; i < iter; i++) {
		struct search_top top = { .hits = hits, .max = max };
		search_query_init(&sq, q);
		for (int v = 0; v < NV; v++)
			for (int t = 0; t < 3; t++)
				search_run(c->ix[v][t], &sq, (unsigned)v, scan_all, &top);
		search_top_sort(&top);
		*total = top.total;
	}
	return (cpu_now() - t0) / iter;
}

int main(void)
{
	static const struct { const char *label, *q; size_t max; } queries[] = {
		{ "exact name", "DC1_C3_RP0_VM777", 100 },
		{ "IP prefix", "10.18.3.", 100 },
		{ "typo", "DC1_C3_RP0_MV777", 100 },
		{ "suggestions, partial word", "c3_rp0_vm77", 8 },
		{ "one byte", "7", 8 },
		{ "two bytes", "vm", 8 },
		{ "short word", "h0_v", 8 },
		{ "no match", "oracle-db", 100 },
		{ "host by vmk IP", "127.0.1.5", 100 },
	};
	const char *env = getenv("BENCH_VMS_PER_CR"), *ienv = getenv("BENCH_ITER");
	const char *only = getenv("BENCH_QUERY");      /* one query alone, for perf record */
	int per_cr = env ? atoi(env) : 1700, iter = ienv ? atoi(ienv) : 50, bad = 0;
	struct corpus c = { 0 };

	if (per_cr < 1 || iter < 1) {
		fprintf(stderr, "bench-search: BENCH_VMS_PER_CR and BENCH_ITER must be positive\n");
		return 2;
	}
	corpus_build(&c, per_cr);
	printf("%zu keys (%d VMs), index build %.0f ms CPU, index memory %.1f MiB (%zu bytes per key)\n\n",
	       c.keys, NV * per_cr * 10, c.build_s * 1e3, (double)c.bytes / 1048576, c.bytes / c.keys);
	printf("| query | matches | CPU per query, every key scored | CPU per query, indexed | ratio |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		size_t ta, tb;
		if (only && strcmp(only, queries[i].q))
			continue;
		double a = time_query(&c, queries[i].q, true, queries[i].max, iter, &ta);
		double b = time_query(&c, queries[i].q, false, queries[i].max, iter, &tb);
		printf("| %s (`%s`) | %zu | %.2f ms | %.3f ms | %.0fx |\n", queries[i].label, queries[i].q,
		       tb, a * 1e3, b * 1e3, b > 0 ? a / b : 0);
		if (ta != tb) {
			fprintf(stderr, "bench-search: \"%s\": %zu matches scanning, %zu indexed\n", queries[i].q, ta, tb);
			bad = 1;
		}
	}
	corpus_free(&c);
	return bad;
}
