/* Benchmark driver for docs/performance.md "Performance history": writes the FULL
 * retention of every tier (20 s for 1 h, 5 min for 24 h, 30 min for 7 d, 2 h for
 * 90 d) for N synthetic VMs, sealed, through the collector's store into the rig's
 * Redis under vc:{projection}:perf:..., so bench-perf.sh can read Redis's own memory
 * figure for a fully grown history. Values follow the simulator's kind of data: a
 * level per VM with +-20 % noise. Prints the mean encoded bytes per tier.
 * Usage: bench-perf CONFIG N */
#include "cfg.h"
#include "series.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t noisy(int64_t level)
{
	return level + (int64_t)((double)level * 0.4 * ((double)rand() / RAND_MAX - 0.5));
}

/* One VM's tier, every slot filled. */
static void fill(struct series *s, int64_t now, const int64_t *level)
{
	int64_t v[SERIES_METRICS_MAX];

	for (int i = 0; i < s->cap; i++) {
		for (int m = 0; m < s->nbase; m++)
			v[m] = noisy(level[m]);
		v[s->nbase] = v[0] + level[0] / 4;   /* the CPU peak, where kept */
		series_set(s, now - (int64_t)(s->cap - 1 - i) * s->step, v);
	}
}

int main(int argc, char **argv)
{
	const struct series_kind *k = series_kind_find("vm");
	size_t bytes[SERIES_NTIERS] = { 0 };
	int64_t now = time(NULL);
	struct store *st;
	struct cfg c;
	char err[512];
	int n;

	if (argc != 3 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench-perf CONFIG N\n");
		return 2;
	}
	if (cfg_load(&c, argv[1], err, sizeof(err)) ||
	    !(st = store_open(&c, STORE_COLLECTOR, err, sizeof(err)))) {
		fprintf(stderr, "bench-perf: %s\n", err);
		return 1;
	}
	srand(42);
	for (int i = 0; i < n; i++) {
		int64_t level[SERIES_VM_NBASE] = { 500 + rand() % 4000, 100 + rand() % 3000,
			1000 + rand() % 6000, 262144 + rand() % 8388608, rand() % 2000, rand() % 500 };
		struct store_batch *b = store_batch_new(st);
		char moref[32], key[128];
		snprintf(moref, sizeof(moref), "vm-%d", i);
		for (int t = 0; t < SERIES_NTIERS; t++) {
			struct series s;
			struct buf val = BUF_INIT;
			series_init(&s, (enum series_tier)t, k);
			fill(&s, now, level);
			series_encode(&s, &val);
			bytes[t] += val.len;
			series_key(key, sizeof(key), "projection", (enum series_tier)t, moref);
			store_batch_put(b, key, val.data, val.len, 0);
			buf_free(&val);
			series_free(&s);
		}
		if (store_batch_exec(b)) {
			fprintf(stderr, "bench-perf: %s\n", st->errstr);
			return 1;
		}
	}
	for (int t = 0; t < SERIES_NTIERS; t++)
		printf("tier %s slots %d mean_bytes %zu\n", series_tiers[t].name,
		       series_tiers[t].keep / series_tiers[t].step, bytes[t] / (size_t)n);
	store_free(st);
	cfg_free(&c);
	return 0;
}
