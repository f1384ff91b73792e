/* Sealing and opening a large value, as it is (version 1) and packed (version 2,
 * zstd then XChaCha20-Poly1305): what the collector pays to write a snapshot and a
 * reader to open it. Best of N rounds per file, milliseconds. Usage:
 * bench-seal ROUNDS FILE... (a VM snapshot's text: `vcompanion -c CFG dump
 * --vcenter ID --type vm | jq -c . > vm.json`; docs/performance.md). */
#include "seal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *t = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(t = malloc((size_t)n + 1)) || fread(t, 1, (size_t)n, f) != (size_t)n) {
		if (f)
			fclose(f);
		free(t);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return t;
}

/* best[0..3]: seal, seal_packed, open as it is, open packed (ms). */
static int one_round(const struct keyring *r, const char *text, size_t len, double best[4],
                     size_t *packed_len)
{
	uint8_t *plain_sealed = malloc(len + SEAL_OVERHEAD), *packed;
	double t[5];
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int rc;

	if (!plain_sealed)
		return -1;
	t[0] = now_ms();
	seal(r, "vc:{bench}:vm", text, len, plain_sealed);
	t[1] = now_ms();
	packed = seal_packed(r, "vc:{bench}:vm", text, len, packed_len);
	t[2] = now_ms();
	rc = seal_open_alloc(r, "vc:{bench}:vm", plain_sealed, len + SEAL_OVERHEAD, SEAL_MAX_PLAIN,
	                     &a, &alen, NULL);
	t[3] = now_ms();
	rc |= packed ? seal_open_alloc(r, "vc:{bench}:vm", packed, *packed_len, SEAL_MAX_PLAIN,
	                               &b, &blen, NULL) : -1;
	t[4] = now_ms();
	rc |= alen != len || blen != len || memcmp(a, text, len) || memcmp(b, text, len);
	for (int i = 0; i < 4; i++)
		if (t[i + 1] - t[i] < best[i])
			best[i] = t[i + 1] - t[i];
	free(a);
	free(b);
	free(packed);
	free(plain_sealed);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct keyring *r = keyring_new();
	int rounds = argc > 1 ? atoi(argv[1]) : 0;
	char line[128], err[128];

	if (argc < 3 || rounds < 1 || !r || keyring_generate_line(1, line, sizeof(line)) ||
	    keyring_parse(r, line, strlen(line), err, sizeof(err))) {
		fprintf(stderr, "usage: bench-seal ROUNDS FILE...\n");
		return 2;
	}
	for (int f = 2; f < argc; f++) {
		double best[4] = { 1e9, 1e9, 1e9, 1e9 };
		size_t len = 0, packed_len = 0;
		char *text = slurp(argv[f], &len);

		if (!text) {
			fprintf(stderr, "%s: cannot read\n", argv[f]);
			return 1;
		}
		for (int i = 0; i < rounds; i++)
			if (one_round(r, text, len, best, &packed_len)) {
				fprintf(stderr, "%s: a round trip failed\n", argv[f]);
				return 1;
			}
		printf("%s: %zu bytes, packed %zu (%.1fx); seal %.1f ms, packed %.1f ms; "
		       "open %.1f ms, packed %.1f ms (best of %d)\n", argv[f], len, packed_len,
		       (double)len / (double)packed_len, best[0], best[1], best[2], best[3], rounds);
		free(text);
	}
	keyring_free(r);
	return 0;
}
