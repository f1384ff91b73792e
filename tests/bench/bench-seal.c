/* Sealing and opening a large value, as it is (version 1), packed at once (version 2,
 * zstd then XChaCha20-Poly1305) and packed in 1 MB pieces as a poll packs its VM text
 * (a frame without a declared size): what the collector pays to write a snapshot
 * and a reader to open it. Best of N rounds per file, milliseconds. Usage:
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

/* The text packed in 1 MB pieces, as inv_vms_pack() does, then sealed. */
static uint8_t *seal_in_pieces(const struct keyring *r, const char *text, size_t len,
                               size_t *slen)
{
	struct seal_pack *p = seal_pack_new();
	const uint8_t *frame;
	uint8_t *sealed = NULL;
	size_t n = 0;

	for (size_t off = 0; off < len; off += 1u << 20)
		seal_pack_add(p, text + off, len - off < (1u << 20) ? len - off : 1u << 20);
	frame = seal_pack_end(p, &n);
	if (frame)
		sealed = seal_frame(r, "vc:{bench}:vm", frame, n, slen);
	seal_pack_free(p);
	return sealed;
}

/* Opens sealed and checks it gives text back; its time into *best when lower. */
static int open_timed(const struct keyring *r, const uint8_t *sealed, size_t slen,
                      const char *text, size_t len, double *best)
{
	double t0 = now_ms(), t;
	char *out = NULL;
	size_t olen = 0;
	int rc = sealed ? seal_open_alloc(r, "vc:{bench}:vm", sealed, slen, SEAL_MAX_PLAIN, &out,
	                                  &olen, NULL) : -1;

	t = now_ms() - t0;
	if (t < *best)
		*best = t;
	rc |= olen != len || (out && memcmp(out, text, len));
	free(out);
	return rc ? -1 : 0;
}

/* best[0..5]: seal, packed, in pieces, then opening each (ms). */
static int one_round(const struct keyring *r, const char *text, size_t len, double best[6],
                     size_t *packed_len, size_t *pieces_len)
{
	uint8_t *sealed[3] = { malloc(len + SEAL_OVERHEAD), NULL, NULL };
	size_t slen[3] = { len + SEAL_OVERHEAD, 0, 0 };
	double t[4];
	int rc = 0;

	if (!sealed[0])
		return -1;
	t[0] = now_ms();
	seal(r, "vc:{bench}:vm", text, len, sealed[0]);
	t[1] = now_ms();
	sealed[1] = seal_packed(r, "vc:{bench}:vm", text, len, &slen[1]);
	t[2] = now_ms();
	sealed[2] = seal_in_pieces(r, text, len, &slen[2]);
	t[3] = now_ms();
	for (int i = 0; i < 3; i++) {
		if (t[i + 1] - t[i] < best[i])
			best[i] = t[i + 1] - t[i];
		rc |= open_timed(r, sealed[i], slen[i], text, len, &best[3 + i]);
	}
	*packed_len = slen[1];
	*pieces_len = slen[2];
	for (int i = 0; i < 3; i++)
		free(sealed[i]);
	return rc;
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
		double best[6] = { 1e9, 1e9, 1e9, 1e9, 1e9, 1e9 };
		size_t len = 0, packed_len = 0, pieces_len = 0;
		char *text = slurp(argv[f], &len);

		if (!text) {
			fprintf(stderr, "%s: cannot read\n", argv[f]);
			return 1;
		}
		for (int i = 0; i < rounds; i++)
			if (one_round(r, text, len, best, &packed_len, &pieces_len)) {
				fprintf(stderr, "%s: a round trip failed\n", argv[f]);
				return 1;
			}
		printf("%s: %zu bytes, packed %zu (%.1fx), in pieces %zu; seal %.1f ms, packed %.1f "
		       "ms, in pieces %.1f ms; open %.1f / %.1f / %.1f ms (best of %d)\n", argv[f],
		       len, packed_len, (double)len / (double)packed_len, pieces_len, best[0],
		       best[1], best[2], best[3], best[4], best[5], rounds);
		free(text);
	}
	keyring_free(r);
	return 0;
}
