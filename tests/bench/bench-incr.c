/* Benchmark of the incremental path (issues "Live data" and #6): client CPU and wall
 * time of a full retrieval (every inventory type through RetrievePropertiesEx pages),
 * of the initial WaitForUpdatesEx load, of a cycle with no change, and of changed
 * cycles: receiving and applying the updates, then rebuilding the records and
 * preparing what poll.c writes (serialised, digested, sealed and packed as
 * store_batch_put does; the Redis round trip is not included) -- once the old way (every record from the model) and once through
 * the built-record cache (inv_cache.h). Run through tests/bench/bench-incr.sh, which
 * starts the simulator. Prints one line per case. */
#include "incr.h"
#include "inv.h"
#include "inv_cache.h"
#include "log.h"
#include "seal.h"
#include "store.h"
#include "vc.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* Half renames, half power changes of the first count VMs, through the simulator. */
static void change_some(struct vc_session *s, struct inv_raw *raw, size_t count)
{
	const char *moref;
	json_t *p, *res;
	size_t done = 0;
	char inner[256];

	json_object_foreach(json_object_get(raw->buckets, "vm"), moref, p) {
		const char *state = inv_str(p, "runtime.powerState");
		if (done++ == count)
			break;
		if (done % 2)
			snprintf(inner, sizeof(inner), "<_this type=\"VirtualMachine\">%s</_this>"
			         "<newName>bench-%zu</newName>", moref, done);
		else
			snprintf(inner, sizeof(inner), "<_this type=\"VirtualMachine\">%s</_this>", moref);
		res = NULL;
		if (vc_call(s, done % 2 ? "Rename_Task" : state && !strcmp(state, "poweredOn") ?
		            "PowerOffVM_Task" : "PowerOnVM_Task", inner, &res) == 0)
			json_decref(res);
	}
}

/* The same changes as UpdateSet JSON applied straight to the model (no simulator):
 * at 10,000 VMs the simulator takes minutes per handful of modify updates. */
static int inject_changes(struct incr *in, struct inv_raw *raw, size_t count, int round)
{
	json_t *objs = json_array(), *set, *p;
	const char *moref, *filter = NULL;
	size_t done = 0;
	int refetch = 0, n;

	for (size_t i = 0; i < in->n; i++)
		if (!strcmp(inv_specs[i].bucket, "vm"))
			filter = in->filters[i];
	json_object_foreach(json_object_get(raw->buckets, "vm"), moref, p) {
		char name[64];
		const char *state = inv_str(p, "runtime.powerState");
		if (done++ == count)
			break;
		snprintf(name, sizeof(name), "bench-%d-%zu", round, done);
		json_array_append_new(objs, json_pack("{s:s, s:s, s:[{s:s, s:s, s:s}]}", "kind", "modify",
		        "obj", moref, "changeSet", "name", done % 2 ? "name" : "runtime.powerState", "op",
		        "assign", "val", done % 2 ? name : state && !strcmp(state, "poweredOn") ?
		        "poweredOff" : "poweredOn"));
	}
	set = json_pack("{s:[{s:s, s:o}], s:s}", "filterSet", "filter", filter ? filter : "",
	                "objectSet", objs, "version", "bench");
	n = incr_apply(in, set, raw, NULL, 0, &refetch);
	json_decref(set);
	return n;
}

/* What poll.c's write_out() does with a cycle's records before the Redis round trip:
 * per type a digest of the sorted dump against the last one, and for changed types the
 * compact dump sealed; with a cache, the "vm" value joined from its texts when its
 * version moved. Returns the bytes sealed. */
static size_t prepare_write(json_t *types, json_t *digests, const struct inv_cache *cache,
                            const struct keyring *ring)
{
	const char *type;
	json_t *arr;
	size_t sealed = 0;

	json_object_foreach(types, type, arr) {
		char hex[33], *text;
		unsigned char d[16];
		size_t len;
		double c0 = cpu_now_ms();
		if (cache && !strcmp(type, "vm")) {
			snprintf(hex, sizeof(hex), "cache:%llu", (unsigned long long)cache->version);
			if (!strcmp(hex, inv_s(json_object_get(digests, type))))
				continue;
			text = inv_cache_vm_text(cache, &len);
		} else {
			text = json_dumps(arr, JSON_COMPACT | JSON_SORT_KEYS);
			crypto_generichash(d, sizeof(d), (unsigned char *)text, strlen(text), NULL, 0);
			sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
			free(text);
			if (!strcmp(hex, inv_s(json_object_get(digests, type))))
				continue;
			text = json_dumps(arr, JSON_COMPACT);
			len = strlen(text);
		}
		json_object_set_new(digests, type, json_string(hex));
		uint8_t *out;
		size_t slen = len + SEAL_OVERHEAD;
		if (len >= STORE_PACK_MIN) {      /* as store_batch_put_packed() seals it */
			out = seal_packed(ring, "vc:{bench}:type", text, len, &slen);
		} else {
			out = malloc(slen);
			seal(ring, "vc:{bench}:type", text, len, out);
		}
		sealed += len;
		free(out);
		free(text);
		if (getenv("BENCH_TRACE"))
			fprintf(stderr, "  %s %s: %zu bytes, %.2f ms\n", cache ? "cache" : "old", type, len,
			        cpu_now_ms() - c0);
	}
	return sealed;
}

struct writer {
	struct keyring *ring;
	json_t *old_digests, *new_digests;   /* what each way last "wrote" */
	struct inv_cache cache;
};

/* Rebuild and prepare the write, the old way (every record) and through the cache. */
/* A changed cycle's records through the cache, as poll.c builds them. */
static void rebuild_cached(struct writer *w, struct incr *in, struct inv_raw *raw, const char *what)
{
	json_t *vms = NULL, *refs = NULL, *types;
	struct sample t = start();
	char label[64];
	size_t bytes, built;
	double c1, c2, c3;

	incr_take_changes(in, &vms, &refs);
	built = inv_cache_update(&w->cache, raw, vms, refs, 0, "bench", "bench");
	c1 = cpu_now_ms();
	types = inv_cache_build(&w->cache, raw, "bench", "bench");
	c2 = cpu_now_ms();
	bytes = prepare_write(types, w->new_digests, &w->cache, w->ring);
	c3 = cpu_now_ms();
	json_decref(types);
	json_decref(vms);
	json_decref(refs);
	snprintf(label, sizeof(label), "%s: cache (%zu built)", what, built);
	report(label, t, bytes);
	printf("%-34s cpu_ms: VM records %.1f, other types %.1f, serialise+digest+seal %.1f, free %.1f\n",
	       "", c1 - t.cpu_ms, c2 - c1, c3 - c2, cpu_now_ms() - c3);
}

/* The same cycle the way it was before the cache: every record from the model. Its
 * cost does not depend on how many objects changed; measured last, so its large frees
 * do not land on the cache's figures. */
static void rebuild_all_before(struct writer *w, struct inv_raw *raw)
{
	struct sample t = start();
	json_t *types = inv_build(raw, "bench", "bench");
	size_t bytes = prepare_write(types, w->old_digests, NULL, w->ring);

	json_decref(types);
	report("any change: rebuild all (before)", t, bytes);
}

/* Until the simulator's CPU time stops growing: it computes a change's updates
 * before answering, and the client's wait for that is not its own cost. */
static void wait_for_simulator(const char *pid)
{
	char path[64];
	long long last = -1, now = 0;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid ? pid : "");
	for (int i = 0; i < 1200; i++) {
		FILE *f = fopen(path, "r");
		long long ut = 0, st = 0;
		if (!f || fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld",
		                 &ut, &st) != 2) {
			if (f)
				fclose(f);
			return;
		}
		fclose(f);
		now = ut + st;
		if (now == last)
			return;
		last = now;
		sleep(1);
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

/* A changed cycle through the simulator: count changes, then WaitForUpdatesEx rounds
 * until all arrived. Prints the client CPU of receiving and applying them. */
static void simulator_changes(struct vc_session *s, struct incr *in, struct inv_raw *raw,
                              const char *pid, size_t count)
{
	double cpu = 0;
	int n = 0;

	change_some(s, raw, count);
	wait_for_simulator(pid);
	struct sample t = start();
	for (int i = 0; i < 40 && n < (int)count; i++) {
		double c0 = cpu_now_ms();
		int k = incr_poll(in, s, raw, NULL, 1);
		cpu += cpu_now_ms() - c0;
		if (k < 0)
			break;
		n += k;
	}
	printf("%-34s cpu_ms=%9.2f wall_ms=%9.1f (receiving and applying %d object updates)\n",
	       "simulator changes: updates", cpu, (double)vc_now_ms() - t.wall_ms, n);
}

/* Changed cycles: at BENCH_SIM_CHANGES (default 1 % of the VMs, 0: none) through the
 * simulator, then BENCH_INJECT (default "10 100") injected changes each. */
static void changed_cycles(struct vc_session *s, struct incr *in, struct inv_raw *raw,
                           const char *stem, size_t vms)
{
	const char *sim_n = getenv("BENCH_SIM_CHANGES"), *inject = getenv("BENCH_INJECT");
	size_t want = sim_n && *sim_n ? strtoul(sim_n, NULL, 10) : vms / 100 ? vms / 100 : 1;
	struct writer w = { keyring_new(), json_object(), json_object(), { NULL, 0, NULL } };
	char line[80], label[64], *end;
	json_t *types;

	keyring_generate_line(1, line, sizeof(line));
	keyring_parse(w.ring, line, strlen(line), label, sizeof(label));
	inv_cache_init(&w.cache);
	types = inv_build(raw, "bench", "bench");
	prepare_write(types, w.old_digests, NULL, w.ring);
	json_decref(types);
	struct sample t = start();
	inv_cache_update(&w.cache, raw, NULL, NULL, 1, "bench", "bench");
	types = inv_cache_build(&w.cache, raw, "bench", "bench");
	prepare_write(types, w.new_digests, &w.cache, w.ring);
	json_decref(types);
	report("cache: first build + write", t, json_object_size(w.cache.vms));
	if (want) {
		simulator_changes(s, in, raw, sim(stem, "PID"), want);
		snprintf(label, sizeof(label), "%zu simulator changes", want);
		rebuild_cached(&w, in, raw, label);
	}
	for (const char *p = inject ? inject : "10 100"; *p; p = end) {
		size_t k = strtoul(p, &end, 10);
		double c0;
		if (end == p)
			break;
		c0 = cpu_now_ms();
		int n = inject_changes(in, raw, k, (int)k);
		printf("%-34s cpu_ms=%9.2f (%d object updates applied to the model)\n", "injected: apply",
		       cpu_now_ms() - c0, n);
		snprintf(label, sizeof(label), "%zu injected changes", k);
		rebuild_cached(&w, in, raw, label);
	}
	rebuild_all_before(&w, raw);
	inv_cache_free(&w.cache);
	json_decref(w.old_digests);
	json_decref(w.new_digests);
	keyring_free(w.ring);
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

	log_init("bench-incr", LOG_INFO);   /* VC_LOG_LEVEL=debug shows each request */
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
	vms = json_object_size(json_object_get(raw.buckets, "vm"));

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

	changed_cycles(s, &in, &raw, stem, vms);
	incr_stop(&in, s);
	inv_raw_free(&raw);
	vc_logout(s);
	vc_session_free(s);
	return 0;
}
