/* Sealed records: every value written to Redis is encrypted and authenticated with
 * XChaCha20-Poly1305 (IETF AEAD, libsodium), the Redis key name as associated data,
 * so a value copied under another key fails to open.
 *
 * Wire format:  [version][key id][24-byte nonce][ciphertext + 16-byte tag]
 * Version 1 seals the plaintext as it is; version 2 seals it as one zstd frame
 * (seal_packed), for the large values the collector writes in batches — inventory
 * snapshots compress 10 to 20 times, so Redis, the network and every reader move
 * that much less (docs/security.md says which values may be compressed and why).
 *
 * Key ring file: one "id:base64(32 bytes)" line per key, id a decimal 1..255. The
 * first line's key seals; every listed key opens. Rotation: add a new first line,
 * reload, let the collector rewrite, then drop the old line. */
#ifndef VC_SEAL_H
#define VC_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define SEAL_VERSION 1        /* the plaintext as it is */
#define SEAL_VERSION_ZSTD 2   /* the plaintext as one zstd frame */
#define SEAL_KEYBYTES 32
#define SEAL_NONCEBYTES 24
#define SEAL_TAGBYTES 16
#define SEAL_HEADER (2 + SEAL_NONCEBYTES)
#define SEAL_OVERHEAD (SEAL_HEADER + SEAL_TAGBYTES)
#define SEAL_MAX_KEYS 16
/* The largest plaintext a version-2 value may open to: Redis's limit on one value. */
#define SEAL_MAX_PLAIN ((size_t)512 << 20)

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
/* seal() into a fresh buffer: the sealed value (malloc'd, *outlen = len +
 * SEAL_OVERHEAD bytes), or NULL when the ring is empty. */
uint8_t *seal_alloc(const struct keyring *r, const char *keyname, const void *plain, size_t len,
                    size_t *outlen);
/* Opens a sealed value into out (len - SEAL_OVERHEAD bytes). Returns 0, or -1 when
 * the value is short, of an unknown version or key id, or fails authentication. */
int seal_open(const struct keyring *r, const char *keyname, const uint8_t *sealed,
              size_t len, uint8_t *out);

/* The key id of a value whose first two bytes (all len needs to cover) are those of
 * a sealed value of either version, else -1. */
int seal_key_id(const void *value, size_t len);
/* Compresses len bytes (zstd) and seals the frame as version 2 under the ring's
 * first key. Returns the sealed value (malloc'd, *outlen bytes), or NULL when the
 * ring is empty (or zstd fails). Only for values that hold no secret: the sealed
 * length follows the content. */
uint8_t *seal_packed(const struct keyring *r, const char *keyname, const void *plain,
                     size_t len, size_t *outlen);
/* Seals n bytes that are already one zstd frame (seal_pack_end) as version 2, as
 * seal_packed() does. */
uint8_t *seal_frame(const struct keyring *r, const char *keyname, const void *frame, size_t n,
                    size_t *outlen);
/* A zstd frame written piece by piece, for a large text that is then never held
 * whole (the collector's VM records as they are built). The same pieces give the
 * same frame. seal_pack_add() is -1 once zstd failed; seal_pack_end() ends the frame
 * and returns it (p's, *len bytes; NULL after a failure). */
struct seal_pack;
struct seal_pack *seal_pack_new(void);
int seal_pack_add(struct seal_pack *p, const void *data, size_t len);
const uint8_t *seal_pack_end(struct seal_pack *p, size_t *len);
void seal_pack_free(struct seal_pack *p);
/* Opens a sealed value of either version into a fresh NUL-terminated buffer (*out,
 * *outlen bytes before the NUL; *version, when asked, the value's version). A
 * version-2 value must hold exactly one zstd frame that opens to at most max bytes
 * (and to the size it declares, if it does). Returns 0, or -1 (*out NULL) when the
 * value is short, of an unknown version or key id, fails authentication, or holds
 * no such frame. */
int seal_open_alloc(const struct keyring *r, const char *keyname, const uint8_t *sealed,
                    size_t len, size_t max, char **out, size_t *outlen, int *version);

#endif
