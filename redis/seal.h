/* Sealed records: every value written to Redis is encrypted and authenticated with
 * XChaCha20-Poly1305 (IETF AEAD, libsodium), the Redis key name as associated data,
 * so a value copied under another key fails to open.
 *
 * Wire format:  [version=1][key id][24-byte nonce][ciphertext + 16-byte tag]
 *
 * Key ring file: one "id:base64(32 bytes)" line per key, id a decimal 1..255. The
 * first line's key seals; every listed key opens. Rotation: add a new first line,
 * reload, let the collector rewrite, then drop the old line. */
#ifndef VC_SEAL_H
#define VC_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define SEAL_VERSION 1
#define SEAL_KEYBYTES 32
#define SEAL_NONCEBYTES 24
#define SEAL_TAGBYTES 16
#define SEAL_HEADER (2 + SEAL_NONCEBYTES)
#define SEAL_OVERHEAD (SEAL_HEADER + SEAL_TAGBYTES)
#define SEAL_MAX_KEYS 16

struct seal_key {
	uint8_t id;
	uint8_t key[SEAL_KEYBYTES];
};

/* Lives in sodium_malloc'd memory (guarded, locked); create with keyring_new(). */
struct keyring {
	int n;
	struct seal_key keys[SEAL_MAX_KEYS];
};

struct keyring *keyring_new(void);
/* Frees and wipes; NULL is a no-op. */
void keyring_free(struct keyring *r);
/* Parses key-file text. Returns 0, or -1 with a message (never key material) in err. */
int keyring_parse(struct keyring *r, const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses a key file. Refuses a file that group or others may write, or
 * that others may read (mode & 0027), so keys stay where they must be. */
int keyring_load(struct keyring *r, const char *path, char *err, size_t errlen);
/* Formats a fresh random key line "id:base64\n" into out (>= 64 bytes). */
int keyring_generate_line(uint8_t id, char *out, size_t outlen);

/* Seals len bytes under the ring's first key into out (len + SEAL_OVERHEAD bytes).
 * Returns 0, -1 when the ring is empty. */
int seal(const struct keyring *r, const char *keyname, const void *plain, size_t len,
         uint8_t *out);
/* Opens a sealed value into out (len - SEAL_OVERHEAD bytes). Returns 0, or -1 when
 * the value is short, of an unknown version or key id, or fails authentication. */
int seal_open(const struct keyring *r, const char *keyname, const uint8_t *sealed,
              size_t len, uint8_t *out);

#endif
