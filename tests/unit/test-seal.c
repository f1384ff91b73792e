/* Sealed records: round trip, wrong key, flipped bits, a value moved to another
 * key name, key rotation, key-file parsing and its permission check. */
#include "test.h"
#include "seal.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

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

TEST_MAIN(T(round_trip), T(nonce_is_random), T(wrong_key), T(flipped_bit_anywhere),
          T(moved_to_another_key_name), T(short_and_unknown_version), T(rotation),
          T(keyfile_errors), T(keyfile_load_and_mode))
