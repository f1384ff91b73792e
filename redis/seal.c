/* Sealing and opening of Redis values with XChaCha20-Poly1305 (see seal.h for the
 * wire format) and the key ring that holds the data keys. The key ring lives in
 * sodium_malloc'd memory so it is guarded, kept out of swap and wiped on free. */
#include "seal.h"

#include <errno.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

static int sodium_ready(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

struct keyring *keyring_new(void)
{
	struct keyring *r;

	if (sodium_ready())
		return NULL;
	r = sodium_malloc(sizeof(*r));
	if (r)
		memset(r, 0, sizeof(*r));
	return r;
}

void keyring_free(struct keyring *r)
{
	if (r)
		sodium_free(r); /* wipes before freeing */
}

static const struct seal_key *find_key(const struct keyring *r, uint8_t id)
{
	for (int i = 0; i < r->n; i++)
		if (r->keys[i].id == id)
			return &r->keys[i];
	return NULL;
}

/* Parses one "id:base64" line into the ring. */
static int parse_line(struct keyring *r, const char *line, size_t len, int lineno,
                      char *err, size_t errlen)
{
	const char *colon = memchr(line, ':', len);
	unsigned long id = 0;
	size_t keylen = 0;
	struct seal_key *k;

	if (!colon || colon == line) {
		snprintf(err, errlen, "line %d: expected \"id:base64key\" (make one with 'vcompanion keygen')", lineno);
		return -1;
	}
	for (const char *p = line; p < colon; p++) {
		if (*p < '0' || *p > '9' || id > 255) {
			id = 256;
			break;
		}
		id = id * 10 + (unsigned long)(*p - '0');
	}
	if (id < 1 || id > 255) {
		snprintf(err, errlen, "line %d: key id must be a number from 1 to 255", lineno);
		return -1;
	}
	if (r->n == SEAL_MAX_KEYS) {
		snprintf(err, errlen, "line %d: more than %d keys; drop retired ones", lineno, SEAL_MAX_KEYS);
		return -1;
	}
	if (find_key(r, (uint8_t)id)) {
		snprintf(err, errlen, "line %d: key id %lu is listed twice", lineno, id);
		return -1;
	}
	k = &r->keys[r->n];
	if (sodium_base642bin(k->key, sizeof(k->key), colon + 1, len - (size_t)(colon + 1 - line),
	                      " \t\r", &keylen, NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    keylen != SEAL_KEYBYTES) {
		sodium_memzero(k, sizeof(*k));
		snprintf(err, errlen, "line %d: key is not base64 of %d bytes", lineno, SEAL_KEYBYTES);
		return -1;
	}
	k->id = (uint8_t)id;
	r->n++;
	return 0;
}

int keyring_parse(struct keyring *r, const char *text, size_t len, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	int lineno = 0;

	r->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (n && p[0] != '#' && parse_line(r, p, n, lineno, err, errlen)) {
			sodium_memzero(r, sizeof(*r));
			return -1;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (!r->n) {
		snprintf(err, errlen, "no key found (make one with 'vcompanion keygen FILE')");
		return -1;
	}
	return 0;
}

int keyring_load(struct keyring *r, const char *path, char *err, size_t errlen)
{
	char *text, msg[160];
	struct stat st;
	FILE *f;
	size_t n;
	int rc;

	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open key file: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0027)) {
		fclose(f);
		snprintf(err, errlen, "%s: key file is readable by others or writable by its group; "
		         "run chmod 0640 (or 0600) on it", path);
		return -1;
	}
	text = sodium_malloc(65536);
	if (!text) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	n = fread(text, 1, 65535, f);
	fclose(f);
	rc = keyring_parse(r, text, n, msg, sizeof(msg));
	sodium_free(text);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, msg);
	return rc;
}

int keyring_generate_line(uint8_t id, char *out, size_t outlen)
{
	uint8_t key[SEAL_KEYBYTES];
	char b64[sodium_base64_ENCODED_LEN(SEAL_KEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
	int n;

	if (sodium_ready() || id == 0)
		return -1;
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	n = snprintf(out, outlen, "%u:%s\n", id, b64);
	sodium_memzero(b64, sizeof(b64));
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* Longest key name a packed value can be sealed under (its associated data is built
 * on the stack); the store's key names are a few dozen bytes. */
#define PACKED_KEYNAME_MAX 1024

/* The associated data of a value whose first two bytes are hdr (version, key id):
 * the key name, and for a packed value the header before it too, so that changing
 * the version byte makes the value fail to open rather than open as the other
 * version (version 1 keeps the key name alone: values written before stay
 * readable). buf holds PACKED_KEYNAME_MAX + 2 bytes. Returns the length, or -1. */
static long assoc_data(const uint8_t *hdr, const char *keyname, uint8_t *buf,
                       const uint8_t **ad)
{
	size_t n = strlen(keyname);

	if (hdr[0] != SEAL_VERSION_ZSTD) {
		*ad = (const uint8_t *)keyname;
		return (long)n;
	}
	if (n > PACKED_KEYNAME_MAX)
		return -1;
	memcpy(buf, hdr, 2);
	memcpy(buf + 2, keyname, n);
	*ad = buf;
	return (long)n + 2;
}

/* Seals len bytes as version v under the ring's first key into out. */
static int seal_as(uint8_t v, const struct keyring *r, const char *keyname, const void *plain,
                   size_t len, uint8_t *out)
{
	const struct seal_key *k;
	uint8_t buf[PACKED_KEYNAME_MAX + 2];
	const uint8_t *ad;
	long adlen;

	if (!r || r->n == 0)
		return -1;
	k = &r->keys[0];
	out[0] = v;
	out[1] = k->id;
	adlen = assoc_data(out, keyname, buf, &ad);
	if (adlen < 0)
		return -1;
	randombytes_buf(out + 2, SEAL_NONCEBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + SEAL_HEADER, NULL, plain, len, ad,
	        (unsigned long long)adlen, NULL, out + 2, k->key);
	return 0;
}

int seal(const struct keyring *r, const char *keyname, const void *plain, size_t len,
         uint8_t *out)
{
	return seal_as(SEAL_VERSION, r, keyname, plain, len, out);
}

/* Authenticates and decrypts a sealed value of any version into out
 * (len - SEAL_OVERHEAD bytes). */
static int open_any(const struct keyring *r, const char *keyname, const uint8_t *sealed,
                    size_t len, uint8_t *out)
{
	const struct seal_key *k;
	uint8_t buf[PACKED_KEYNAME_MAX + 2];
	const uint8_t *ad;
	long adlen;

	if (!r || len < SEAL_OVERHEAD)
		return -1;
	k = find_key(r, sealed[1]);
	adlen = assoc_data(sealed, keyname, buf, &ad);
	if (!k || adlen < 0)
		return -1;
	return crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, sealed + SEAL_HEADER,
	        len - SEAL_HEADER, ad, (unsigned long long)adlen, sealed + 2, k->key);
}

int seal_open(const struct keyring *r, const char *keyname, const uint8_t *sealed,
              size_t len, uint8_t *out)
{
	if (len < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION)
		return -1;
	return open_any(r, keyname, sealed, len, out);
}

int seal_key_id(const void *value, size_t len)
{
	const uint8_t *v = value;

	if (len < 2 || (v[0] != SEAL_VERSION && v[0] != SEAL_VERSION_ZSTD))
		return -1;
	return v[1];
}

static void *alloc_or_die(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

/* Level 1: 1.3 GB/s and 17 times smaller on the simulator's VM text; levels 2 and 3
 * were slower and larger on it (`zstd -b1 -e3 vm.json`). */
#define PACK_LEVEL 1

/* Seals len bytes as version v into a fresh buffer (seal_alloc, seal_frame). */
static uint8_t *seal_new(uint8_t v, const struct keyring *r, const char *keyname,
                         const void *plain, size_t len, size_t *outlen)
{
	uint8_t *out = alloc_or_die(len + SEAL_OVERHEAD);

	if (seal_as(v, r, keyname, plain, len, out)) {
		free(out);
		return NULL;
	}
	*outlen = len + SEAL_OVERHEAD;
	return out;
}

uint8_t *seal_alloc(const struct keyring *r, const char *keyname, const void *plain, size_t len,
                    size_t *outlen)
{
	return seal_new(SEAL_VERSION, r, keyname, plain, len, outlen);
}

uint8_t *seal_frame(const struct keyring *r, const char *keyname, const void *frame, size_t n,
                    size_t *outlen)
{
	return seal_new(SEAL_VERSION_ZSTD, r, keyname, frame, n, outlen);
}

uint8_t *seal_packed(const struct keyring *r, const char *keyname, const void *plain,
                     size_t len, size_t *outlen)
{
	size_t bound = ZSTD_compressBound(len), n;
	uint8_t *frame = alloc_or_die(bound), *out = NULL;

	n = ZSTD_compress(frame, bound, plain, len, PACK_LEVEL);
	if (!ZSTD_isError(n))
		out = seal_frame(r, keyname, frame, n, outlen);
	free(frame);
	return out;
}

struct seal_pack {
	ZSTD_CCtx *cc;
	uint8_t *out;
	size_t len, cap;
	bool failed;
};

struct seal_pack *seal_pack_new(void)
{
	struct seal_pack *p = alloc_or_die(sizeof(*p));

	memset(p, 0, sizeof(*p));
	p->cc = ZSTD_createCCtx();
	if (!p->cc || ZSTD_isError(ZSTD_CCtx_setParameter(p->cc, ZSTD_c_compressionLevel, PACK_LEVEL)))
		abort();
	return p;
}

/* Compresses data into p->out, growing it as zstd needs room. */
static int pack_run(struct seal_pack *p, const void *data, size_t len, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { data, len, 0 };
	size_t left;

	if (p->failed)
		return -1;
	do {
		ZSTD_outBuffer out;
		if (p->cap - p->len < ZSTD_CStreamOutSize()) {
			p->cap = p->cap ? 2 * p->cap : 4 * ZSTD_CStreamOutSize();
			p->out = realloc(p->out, p->cap);
			if (!p->out)
				abort();
		}
		out = (ZSTD_outBuffer){ p->out, p->cap, p->len };
		left = ZSTD_compressStream2(p->cc, &out, &in, end);
		p->len = out.pos;
		if (ZSTD_isError(left)) {
			p->failed = true;
			return -1;
		}
	} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

int seal_pack_add(struct seal_pack *p, const void *data, size_t len)
{
	return pack_run(p, data, len, ZSTD_e_continue);
}

const uint8_t *seal_pack_end(struct seal_pack *p, size_t *len)
{
	if (pack_run(p, NULL, 0, ZSTD_e_end))
		return NULL;
	*len = p->len;
	return p->out;
}

void seal_pack_free(struct seal_pack *p)
{
	if (!p)
		return;
	ZSTD_freeCCtx(p->cc);
	free(p->out);
	free(p);
}

/* The size a frame that does not declare it unfolds to: decoded once into a small
 * scratch buffer and counted, so the plaintext gets an exact allocation (growing
 * one by doubling costs a reader fresh pages, ~25 ms for a 7.7 MB text here).
 * ZSTD_CONTENTSIZE_ERROR when it is not a valid frame or exceeds max. */
static unsigned long long unfolded_size(const uint8_t *frame, size_t n, size_t max)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	size_t cap = ZSTD_DStreamOutSize(), left = 1;
	char *scratch = alloc_or_die(cap);
	ZSTD_inBuffer in = { frame, n, 0 };
	unsigned long long total = 0;

	if (!d)
		abort();
	while (left != 0 && total <= max) {
		ZSTD_outBuffer out = { scratch, cap, 0 };
		left = ZSTD_decompressStream(d, &out, &in);
		if (ZSTD_isError(left) || (in.pos == in.size && out.pos < out.size && left != 0)) {
			total = ZSTD_CONTENTSIZE_ERROR;      /* corrupt, or cut short */
			break;
		}
		total += out.pos;
	}
	ZSTD_freeDCtx(d);
	free(scratch);
	return total <= max ? total : ZSTD_CONTENTSIZE_ERROR;
}

/* The plaintext of an opened version-2 value: frame (n bytes, exactly one zstd
 * frame) decompressed, at most max bytes, NUL-terminated. A frame written at once
 * declares its size; one written piece by piece (seal_pack) does not, and is
 * measured first (unfolded_size). */
static char *unpack(const uint8_t *frame, size_t n, size_t max, size_t *outlen)
{
	unsigned long long size;
	size_t got;
	char *plain;

	if (n < 4 || ((uint32_t)frame[0] | (uint32_t)frame[1] << 8 | (uint32_t)frame[2] << 16 |
	              (uint32_t)frame[3] << 24) != ZSTD_MAGICNUMBER)
		return NULL;                          /* not a zstd frame (a skippable one holds nothing) */
	if (ZSTD_findFrameCompressedSize(frame, n) != n)
		return NULL;                          /* not one frame, or stray bytes after it */
	size = ZSTD_getFrameContentSize(frame, n);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN)
		size = unfolded_size(frame, n, max);
	if (size == ZSTD_CONTENTSIZE_ERROR || size > max)
		return NULL;
	plain = alloc_or_die((size_t)size + 1);
	got = ZSTD_decompress(plain, (size_t)size, frame, n);
	if (ZSTD_isError(got) || got != size) {
		free(plain);
		return NULL;
	}
	plain[got] = '\0';
	*outlen = got;
	return plain;
}

int seal_open_alloc(const struct keyring *r, const char *keyname, const uint8_t *sealed,
                    size_t len, size_t max, char **out, size_t *outlen, int *version)
{
	size_t n, plen = 0;
	uint8_t *frame;
	int v;

	*out = NULL;
	if (len < SEAL_OVERHEAD || seal_key_id(sealed, len) < 0)
		return -1;
	v = sealed[0];
	n = len - SEAL_OVERHEAD;
	frame = alloc_or_die(n + 1);
	if (open_any(r, keyname, sealed, len, frame)) {
		free(frame);
		return -1;
	}
	if (v == SEAL_VERSION) {
		frame[n] = '\0';
		*out = (char *)frame;
		plen = n;
	} else {
		*out = unpack(frame, n, max, &plen);
		free(frame);
		if (!*out)
			return -1;
	}
	if (outlen)
		*outlen = plen;
	if (version)
		*version = v;
	return 0;
}
