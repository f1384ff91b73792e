/* Benchmark of the incremental path (issue "Live data"): client CPU and wall time of
 * a full retrieval (every inventory type through RetrievePropertiesEx pages), of the
 * initial WaitForUpdatesEx load, of a cycle with no change and of a cycle after 1 %
 * of the VMs changed (renamed), each followed by building the records. Run through
 * tests/bench/bench-incr.sh, which starts the simulator. Prints one line per case. */
#include "incr.h"
#include "inv.h"
#include "vc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct sample {
	double cpu_ms, wall_ms;
};

static double cpu_now_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

static struct sample start(void)
{
	struct sample s = { cpu_now_ms(), (double)vc_now_ms() };
	return s;
}

static void report(const char *what, struct sample t0, size_t objects)
{
	printf("%-34s cpu_ms=%9.1f wall_ms=%9.1f objects=%zu\n", what, cpu_now_ms() - t0.cpu_ms,
	       (double)vc_now_ms() - t0.wall_ms, objects);
	fflush(stdout);
}

static int add(void *ctx, const char *moref, json_t *props)
{
	struct inv_raw *raw = ((void **)ctx)[0];
	const char *bucket = ((void **)ctx)[1];

	inv_raw_add(raw, bucket, moref, props);
	return 0;
}

static size_t full_retrieval(struct vc_session *s)
{
	struct inv_raw raw;
	size_t n;

	inv_raw_init(&raw);
	for (size_t i = 0; i < inv_nspecs; i++) {
		void *ctx[2] = { &raw, (void *)inv_specs[i].bucket };
		if (vc_collect(s, inv_specs[i].vim_type, inv_specs[i].paths, inv_specs[i].npaths, 1000, add, ctx)) {
			fprintf(stderr, "collect: %s\n", vc_errstr(s));
			exit(1);
		}
	}
	json_t *types = inv_build(&raw, "bench", "bench");
	n = json_array_size(json_object_get(types, "vm"));
	json_decref(types);
	inv_raw_free(&raw);
	return n;
}

static void rename_some(struct vc_session *s, struct inv_raw *raw, size_t count)
{
	const char *moref;
	json_t *p, *res;
	size_t done = 0;
	char inner[256];

	json_object_foreach(json_object_get(raw->buckets, "vm"), moref, p) {
		if (done++ == count)
			break;
		snprintf(inner, sizeof(inner), "<_this type=\"VirtualMachine\">%s</_this><newName>bench-%zu</newName>",
		         moref, done);
		res = NULL;
		if (vc_call(s, "Rename_Task", inner, &res) == 0)
			json_decref(res);
	}
}

static const char *sim(const char *stem, const char *what)
{
	static char name[8][128];
	static int i;
	char *n = name[i++ & 7];

	snprintf(n, 128, "RIG_VCSIM_%s_%s", stem, what);
	return getenv(n);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *stem = argc > 1 ? argv[1] : "BENCH";
	struct vc_endpoint ep = { .url = sim(stem, "URL"), .verify_tls = true,
	                          .ca_file = sim(stem, "CERT"), .request_timeout_ms = 600000 };
	struct inv_raw raw;
	struct incr in;
	struct vc_session *s;
	struct sample t;
	char err[256];
	int n;

	if (!ep.url || !ep.ca_file || vc_global_init())
		return 2;
	s = vc_session_new(&ep, err, sizeof(err));
	if (!s || vc_login(s, sim(stem, "USER"), sim(stem, "PASSWORD"))) {
		fprintf(stderr, "login: %s\n", s ? vc_errstr(s) : err);
		return 1;
	}
	t = start();
	size_t vms = full_retrieval(s);
	report("full retrieval + build", t, vms);

	inv_raw_init(&raw);
	t = start();
	if (incr_start(&in, s, &raw, 1000)) {
		fprintf(stderr, "incr_start: %s\n", vc_errstr(s));
		return 1;
	}
	report("initial WaitForUpdatesEx load", t, json_object_size(json_object_get(raw.buckets, "vm")));

	/* The first cycles after a large load pay for returning its memory; the steady
	 * state is the median of 15 cycles after 5 warm-up ones. */
	double cycles[15];
	for (int i = 0; i < 20; i++) {
		double c0 = cpu_now_ms();
		n = incr_poll(&in, s, &raw, NULL, 0);
		if (n != 0)
			fprintf(stderr, "unexpected changes in a quiet cycle: %d\n", n);
		if (i >= 5)
			cycles[i - 5] = cpu_now_ms() - c0;
	}
	qsort(cycles, 15, sizeof(double), cmp_double);
	printf("%-34s cpu_ms=%9.2f median, %.2f max of 15 (wall ~250 ms: the simulator's tick)\n",
	       "no-change cycle", cycles[7], cycles[14]);

	if (getenv("BENCH_SKIP_CHANGES") && *getenv("BENCH_SKIP_CHANGES")) {
		printf("(changes skipped: the simulator recomputes every filter per update)\n");
	} else {
		size_t want = vms / 100 ? vms / 100 : 1;
		json_t *events = json_array();
		double cpu_updates = 0;
		rename_some(s, &raw, want);
		t = start();
		n = 0;
		for (int i = 0; i < 40 && n < (int)want; i++) {
			double c0 = cpu_now_ms();
			int k = incr_poll(&in, s, &raw, events, 1);
			cpu_updates += cpu_now_ms() - c0;
			if (k < 0)
				break;
			n += k;
		}
		printf("%-34s cpu_ms=%9.1f (receiving and applying %d object updates, %zu events)\n",
		       "1% changed: updates", cpu_updates, n, json_array_size(events));
		struct sample tb = start();
		json_t *types = inv_build(&raw, "bench", "bench");
		report("1% changed: rebuild all records", tb, json_array_size(json_object_get(types, "vm")));
		json_decref(types);
		json_decref(events);
	}
	incr_stop(&in, s);
	inv_raw_free(&raw);
	vc_logout(s);
	vc_session_free(s);
	return 0;
}
