/* Sealing and opening of Redis values with XChaCha20-Poly1305 (see seal.h for the
 * wire format) and the key ring that holds the data keys. The key ring lives in
 * sodium_malloc'd memory so it is guarded, kept out of swap and wiped on free. */
#include "seal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int seal(const struct keyring *r, const char *keyname, const void *plain, size_t len,
         uint8_t *out)
{
	const struct seal_key *k;

	if (!r || r->n == 0)
		return -1;
	k = &r->keys[0];
	out[0] = SEAL_VERSION;
	out[1] = k->id;
	randombytes_buf(out + 2, SEAL_NONCEBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + SEAL_HEADER, NULL, plain, len,
	        (const uint8_t *)keyname, strlen(keyname), NULL, out + 2, k->key);
	return 0;
}

int seal_open(const struct keyring *r, const char *keyname, const uint8_t *sealed,
              size_t len, uint8_t *out)
{
	const struct seal_key *k;

	if (!r || len < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION)
		return -1;
	k = find_key(r, sealed[1]);
	if (!k)
		return -1;
	return crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, sealed + SEAL_HEADER,
	        len - SEAL_HEADER, (const uint8_t *)keyname, strlen(keyname), sealed + 2, k->key);
}
