/* Sealed records: round trip, wrong key, flipped bits, a value moved to another
 * key name, key rotation, key-file parsing and its permission check; packed
 * (compressed, version 2) values and the frames they must refuse. */
#include "test.h"
#include "seal.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

static struct keyring *ring_of(const char *text)
{
	char err[256];
	struct keyring *r = keyring_new();

	if (keyring_parse(r, text, strlen(text), err, sizeof(err))) {
		fprintf(stderr, "keyring_parse: %s\n", err);
		keyring_free(r);
		return NULL;
	}
	return r;
}

static char *line(uint8_t id)
{
	static char l[4][128];
	static int i;
	char *out = l[i++ & 3];

	keyring_generate_line(id, out, 128);
	return out;
}

TEST(round_trip)
{
	struct keyring *r = ring_of(line(1));
	const char *msg = "{\"name\":\"vm-1\"}";
	uint8_t sealed[256], plain[256];

	ASSERT(r);
	ASSERT_EQ(seal(r, "vc:{a}:vm", msg, strlen(msg), sealed), 0);
	ASSERT_EQ(sealed[0], SEAL_VERSION);
	ASSERT_EQ(sealed[1], 1);
	ASSERT(memcmp(sealed + SEAL_HEADER, msg, strlen(msg)) != 0);
	ASSERT_EQ(seal_open(r, "vc:{a}:vm", sealed, strlen(msg) + SEAL_OVERHEAD, plain), 0);
	ASSERT(memcmp(plain, msg, strlen(msg)) == 0);
	keyring_free(r);
}

TEST(nonce_is_random)
{
	struct keyring *r = ring_of(line(1));
	uint8_t a[64], b[64];

	ASSERT(r);
	seal(r, "k", "same", 4, a);
	seal(r, "k", "same", 4, b);
	ASSERT(memcmp(a, b, 4 + SEAL_OVERHEAD) != 0);
	keyring_free(r);
}

TEST(wrong_key)
{
	struct keyring *r1 = ring_of(line(1)), *r2 = ring_of(line(1));
	uint8_t sealed[64], plain[64];

	ASSERT(r1 && r2);
	seal(r1, "k", "secret", 6, sealed);
	ASSERT_EQ(seal_open(r2, "k", sealed, 6 + SEAL_OVERHEAD, plain), -1);
	keyring_free(r1);
	keyring_free(r2);
}

TEST(flipped_bit_anywhere)
{
	struct keyring *r = ring_of(line(7));
	uint8_t sealed[64], plain[64];
	size_t n = 6 + SEAL_OVERHEAD;

	ASSERT(r);
	seal(r, "k", "secret", 6, sealed);
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			sealed[i] ^= (uint8_t)(1 << bit);
			ASSERT_MSG(seal_open(r, "k", sealed, n, plain) == -1, "byte %zu bit %d", i, bit);
			sealed[i] ^= (uint8_t)(1 << bit);
		}
	}
	ASSERT_EQ(seal_open(r, "k", sealed, n, plain), 0);
	keyring_free(r);
}

TEST(moved_to_another_key_name)
{
	struct keyring *r = ring_of(line(1));
	uint8_t sealed[64], plain[64];

	ASSERT(r);
	seal(r, "vc:{a}:vm", "x", 1, sealed);
	ASSERT_EQ(seal_open(r, "vc:{b}:vm", sealed, 1 + SEAL_OVERHEAD, plain), -1);
	ASSERT_EQ(seal_open(r, "vc:{a}:host", sealed, 1 + SEAL_OVERHEAD, plain), -1);
	keyring_free(r);
}

TEST(short_and_unknown_version)
{
	struct keyring *r = ring_of(line(1));
	uint8_t sealed[64], plain[64];

	ASSERT(r);
	ASSERT_EQ(seal_open(r, "k", sealed, SEAL_OVERHEAD - 1, plain), -1);
	seal(r, "k", "x", 1, sealed);
	sealed[0] = 2;
	ASSERT_EQ(seal_open(r, "k", sealed, 1 + SEAL_OVERHEAD, plain), -1);
	keyring_free(r);
}

TEST(rotation)
{
	char old_line[128], new_line[128], both[300];
	struct keyring *old_ring, *rotated;
	uint8_t by_old[64], by_new[64], plain[64];

	memcpy(old_line, line(1), 128);
	memcpy(new_line, line(2), 128);
	old_ring = ring_of(old_line);
	snprintf(both, sizeof(both), "%s%s", new_line, old_line);
	rotated = ring_of(both);
	ASSERT(old_ring && rotated);
	ASSERT_EQ(rotated->n, 2);
	seal(old_ring, "k", "old", 3, by_old);
	ASSERT_EQ(seal_open(rotated, "k", by_old, 3 + SEAL_OVERHEAD, plain), 0);  /* old key still reads */
	seal(rotated, "k", "new", 3, by_new);
	ASSERT_EQ(by_new[1], 2);                                                   /* new key writes */
	ASSERT_EQ(seal_open(old_ring, "k", by_new, 3 + SEAL_OVERHEAD, plain), -1);
	keyring_free(old_ring);
	keyring_free(rotated);
}

TEST(keyfile_errors)
{
	struct keyring *r = keyring_new();
	char err[256];
	const char *bad[] = { "", "nocolon\n", "0:AAAA\n", "256:AAAA\n", "1:notbase64!!\n",
		"1:AAAA\n" /* too short */, NULL };

	for (const char **b = bad; *b; b++) {
		err[0] = 0;
		ASSERT_MSG(keyring_parse(r, *b, strlen(*b), err, sizeof(err)) == -1, "accepted \"%s\"", *b);
		ASSERT(err[0]);
	}
	char dup[300];
	snprintf(dup, sizeof(dup), "%s%s", line(3), line(3));
	ASSERT_EQ(keyring_parse(r, dup, strlen(dup), err, sizeof(err)), -1);
	ASSERT_CONTAINS(err, "twice");
	keyring_free(r);
}

TEST(keyfile_load_and_mode)
{
	char path[512], err[512];
	struct keyring *r = keyring_new();
	const char *l = line(5);
	int fd;

	snprintf(path, sizeof(path), "%s/keys", test_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT(fd >= 0);
	ASSERT(write(fd, l, strlen(l)) == (ssize_t)strlen(l));
	close(fd);
	ASSERT_EQ(keyring_load(r, path, err, sizeof(err)), 0);
	ASSERT_EQ(r->keys[0].id, 5);
	chmod(path, 0644);
	ASSERT_EQ(keyring_load(r, path, err, sizeof(err)), -1);
	ASSERT_CONTAINS(err, "chmod");
	char keypart[21];
	snprintf(keypart, sizeof(keypart), "%s", strchr(l, ':') + 1);
	ASSERT_NOT_CONTAINS(err, keypart);
	keyring_free(r);
}

/* Inventory-like text of about n bytes: what batches pack. */
static char *inventory_text(size_t n)
{
	char *t = malloc(n + 64);
	size_t len = 0;

	for (int i = 0; len < n; i++)
		len += (size_t)sprintf(t + len, "{\"moref\":\"vm-%d\",\"power_state\":\"poweredOn\"},", i);
	return t;
}

TEST(packed_round_trip)
{
	struct keyring *r = ring_of(line(7));
	char *text = inventory_text(65536), *out = NULL;
	size_t len = strlen(text), slen = 0, olen = 0;
	uint8_t *sealed, plain[64];
	int version = 0;

	ASSERT(r);
	sealed = seal_packed(r, "vc:{a}:vm", text, len, &slen);
	ASSERT(sealed);
	ASSERT_EQ(sealed[0], SEAL_VERSION_ZSTD);
	ASSERT_EQ(sealed[1], 7);
	ASSERT_EQ(seal_key_id(sealed, slen), 7);
	ASSERT_MSG(slen < len / 4, "packed %zu of %zu bytes", slen, len);
	ASSERT_EQ(seal_open_alloc(r, "vc:{a}:vm", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, &version), 0);
	ASSERT_EQ(version, SEAL_VERSION_ZSTD);
	ASSERT_EQ(olen, len);
	ASSERT(memcmp(out, text, len) == 0 && out[len] == '\0');
	free(out);
	/* the plain-only opener refuses it; the new one opens version 1 as well */
	ASSERT_EQ(seal_open(r, "vc:{a}:vm", sealed, slen, plain), -1);
	seal(r, "k", "abc", 3, plain);
	ASSERT_EQ(seal_open_alloc(r, "k", plain, 3 + SEAL_OVERHEAD, 16, &out, &olen, &version), 0);
	ASSERT_EQ(version, SEAL_VERSION);
	ASSERT_STREQ(out, "abc");
	free(out);
	free(sealed);
	free(text);
	keyring_free(r);
}

TEST(packed_tampered_moved_or_too_large)
{
	struct keyring *r = ring_of(line(1)), *other = ring_of(line(2));
	char *text = inventory_text(4096), *out = (char *)"x";
	size_t len = strlen(text), slen, olen;
	uint8_t *sealed;

	ASSERT(r && other);
	sealed = seal_packed(r, "vc:{a}:vm", text, len, &slen);
	ASSERT(sealed);
	for (size_t i = 0; i < slen; i++) {
		sealed[i] ^= 0x20;
		ASSERT_MSG(seal_open_alloc(r, "vc:{a}:vm", sealed, slen, SEAL_MAX_PLAIN, &out, &olen,
		                           NULL) == -1, "flipped byte %zu opened", i);
		ASSERT(out == NULL);
		sealed[i] ^= 0x20;
	}
	ASSERT_EQ(seal_open_alloc(r, "vc:{b}:vm", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	/* the version byte is authenticated: a packed value relabelled as version 1 (or
	 * a plain one as version 2) fails to open instead of opening as the other */
	sealed[0] = SEAL_VERSION;
	ASSERT_EQ(seal_open_alloc(r, "vc:{a}:vm", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	sealed[0] = SEAL_VERSION_ZSTD;
	{
		size_t plen = 0;
		uint8_t *plain = seal_alloc(r, "vc:{a}:vm", text, len, &plen);
		ASSERT(plain);
		plain[0] = SEAL_VERSION_ZSTD;
		ASSERT_EQ(seal_open_alloc(r, "vc:{a}:vm", plain, plen, SEAL_MAX_PLAIN, &out, &olen,
		                          NULL), -1);
		free(plain);
	}
	ASSERT_EQ(seal_open_alloc(other, "vc:{a}:vm", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	ASSERT_EQ(seal_open_alloc(r, "vc:{a}:vm", sealed, slen - 1, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	ASSERT_EQ(seal_open_alloc(r, "vc:{a}:vm", sealed, 1, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	/* authentic, but larger than the reader allows */
	ASSERT_EQ(seal_open_alloc(r, "vc:{a}:vm", sealed, slen, len - 1, &out, &olen, NULL), -1);
	ASSERT_EQ(seal_open_alloc(r, "vc:{a}:vm", sealed, slen, len, &out, &olen, NULL), 0);
	free(out);
	free(sealed);
	free(text);
	keyring_free(r);
	keyring_free(other);
}

/* Any bytes sealed as version 2 (seal_frame takes them as they are): what a buggy or
 * foreign writer holding the key could store. */
static size_t seal_by_hand(const struct keyring *r, const char *keyname, const void *frame,
                         size_t n, uint8_t *out)
{
	size_t slen = 0;
	uint8_t *sealed = seal_frame(r, keyname, frame, n, &slen);

	if (!sealed)
		abort();                        /* the ring has a key: cannot happen */
	memcpy(out, sealed, slen);
	free(sealed);
	return slen;
}

TEST(packed_frames_that_do_not_hold)
{
	struct keyring *r = ring_of(line(1));
	char *text = inventory_text(8192), *out;
	size_t len = strlen(text), n, slen, olen;
	uint8_t frame[16384], sealed[16384 + SEAL_OVERHEAD];
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_inBuffer in = { text, len, 0 };
	ZSTD_outBuffer zo = { frame, sizeof(frame), 0 };

	ASSERT(r && cc);
	/* not a zstd frame at all; a skippable frame (magic 0x184D2A50, no content) */
	slen = seal_by_hand(r, "k", "{\"not\":\"zstd\"}", 15, sealed);
	ASSERT_EQ(seal_open_alloc(r, "k", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	slen = seal_by_hand(r, "k", "\x50\x2a\x4d\x18\0\0\0\0", 8, sealed);
	ASSERT_EQ(seal_open_alloc(r, "k", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	/* a frame that does not say how large its content is opens as it unfolds, up
	 * to max and not one byte more */
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	ASSERT_EQ(ZSTD_compressStream2(cc, &zo, &in, ZSTD_e_end), 0);
	ASSERT_EQ(ZSTD_getFrameContentSize(frame, zo.pos), ZSTD_CONTENTSIZE_UNKNOWN);
	slen = seal_by_hand(r, "k", frame, zo.pos, sealed);
	ASSERT_EQ(seal_open_alloc(r, "k", sealed, slen, len, &out, &olen, NULL), 0);
	ASSERT_EQ(olen, len);
	ASSERT(!memcmp(out, text, len) && out[len] == '\0');
	free(out);
	ASSERT_EQ(seal_open_alloc(r, "k", sealed, slen, len - 1, &out, &olen, NULL), -1);
	ASSERT_EQ(seal_open_alloc(r, "k", sealed, slen, 100, &out, &olen, NULL), -1);
	slen = seal_by_hand(r, "k", frame, zo.pos - 3, sealed);        /* cut short */
	ASSERT_EQ(seal_open_alloc(r, "k", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	/* a frame cut short, and one followed by stray bytes */
	n = ZSTD_compress(frame, sizeof(frame), text, len, 1);
	ASSERT(!ZSTD_isError(n));
	slen = seal_by_hand(r, "k", frame, n / 2, sealed);
	ASSERT_EQ(seal_open_alloc(r, "k", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	memcpy(frame + n, "junk", 4);
	slen = seal_by_hand(r, "k", frame, n + 4, sealed);
	ASSERT_EQ(seal_open_alloc(r, "k", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), -1);
	/* and the whole frame opens */
	slen = seal_by_hand(r, "k", frame, n, sealed);
	ASSERT_EQ(seal_open_alloc(r, "k", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), 0);
	ASSERT_EQ(olen, len);
	free(out);
	ZSTD_freeCCtx(cc);
	free(text);
	keyring_free(r);
}

/* A frame written piece by piece opens to the pieces joined; the same pieces give
 * the same frame (the poll compares digests of frames). */
TEST(pack_in_pieces)
{
	struct keyring *r = ring_of(line(4));
	char *text = inventory_text(3u << 20), *out = NULL;
	size_t len = strlen(text), n1 = 0, n2 = 0, slen = 0, olen = 0;
	struct seal_pack *a = seal_pack_new(), *b = seal_pack_new();
	const uint8_t *fa, *fb;
	uint8_t *sealed;

	ASSERT(r && a && b);
	for (size_t off = 0; off < len; off += 100000) {
		size_t n = len - off < 100000 ? len - off : 100000;
		ASSERT_EQ(seal_pack_add(a, text + off, n), 0);
		ASSERT_EQ(seal_pack_add(b, text + off, n), 0);
	}
	fa = seal_pack_end(a, &n1);
	fb = seal_pack_end(b, &n2);
	ASSERT(fa && fb);
	ASSERT_EQ(n1, n2);
	ASSERT(!memcmp(fa, fb, n1));
	ASSERT_MSG(n1 < len / 4, "%zu of %zu", n1, len);
	sealed = seal_frame(r, "vc:{a}:vm", fa, n1, &slen);
	ASSERT(sealed);
	ASSERT_EQ(sealed[0], SEAL_VERSION_ZSTD);
	ASSERT_EQ(seal_open_alloc(r, "vc:{a}:vm", sealed, slen, SEAL_MAX_PLAIN, &out, &olen, NULL), 0);
	ASSERT_EQ(olen, len);
	ASSERT(!memcmp(out, text, len));
	free(out);
	ASSERT_EQ(seal_open_alloc(r, "vc:{a}:vm", sealed, slen, len - 1, &out, &olen, NULL), -1);
	free(sealed);
	seal_pack_free(a);
	seal_pack_free(b);
	free(text);
	keyring_free(r);
}

TEST_MAIN(T(round_trip), T(nonce_is_random), T(wrong_key), T(flipped_bit_anywhere),
          T(moved_to_another_key_name), T(short_and_unknown_version), T(rotation),
          T(keyfile_errors), T(keyfile_load_and_mode), T(packed_round_trip),
          T(packed_tampered_moved_or_too_large), T(packed_frames_that_do_not_hold),
          T(pack_in_pieces))
