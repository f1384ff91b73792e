/* vc_probe_fingerprint(): one unverified TLS connection to learn the server's
 * leaf certificate (see vc_probe.h). Nothing is sent but a HEAD request, no
 * credentials; the answer is only ever shown to an admin, who decides to pin it. */
#include "vc_probe.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"
#define DER_MAX 16384

int vc_probe_pem_fingerprint(const char *pem, char out[VC_PROBE_FP_LEN])
{
	unsigned char der[DER_MAX], hash[crypto_hash_sha256_BYTES];
	const char *b = strstr(pem, PEM_BEGIN), *e;
	size_t der_len;

	if (!b || !(e = strstr(b, PEM_END)))
		return -1;
	b += strlen(PEM_BEGIN);
	if (sodium_base642bin(der, sizeof(der), b, (size_t)(e - b), " \t\r\n", &der_len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) || der_len == 0)
		return -1;
	crypto_hash_sha256(hash, der, der_len);
	for (size_t i = 0; i < sizeof(hash); i++)
		snprintf(out + i * 3, VC_PROBE_FP_LEN - i * 3, i + 1 < sizeof(hash) ? "%02X:" : "%02X",
		         hash[i]);
	return 0;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* The "Cert:" entry of the first certificate of the chain (the leaf). */
static const char *leaf_pem(CURL *h)
{
	struct curl_certinfo *ci = NULL;

	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1)
		return NULL;
	for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next)
		if (!strncmp(s->data, "Cert:", 5))
			return s->data + 5;
	return NULL;
}

int vc_probe_fingerprint(const char *url, char out[VC_PROBE_FP_LEN], char *err, size_t errlen)
{
	CURL *h;
	CURLcode rc;
	const char *pem;
	int ret = -1;

	out[0] = '\0';
	if (strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "the URL is not https://, so there is no certificate to pin");
		return -1;
	}
	if (!(h = curl_easy_init())) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(h);
	/* An HTTP-level failure still completed the handshake: the certificate is known. */
	if (rc != CURLE_OK && rc != CURLE_HTTP_RETURNED_ERROR && rc != CURLE_GOT_NOTHING &&
	    rc != CURLE_WEIRD_SERVER_REPLY) {
		snprintf(err, errlen, "cannot reach the server (%s); check the host name, port and firewall",
		         curl_easy_strerror(rc));
	} else if (!(pem = leaf_pem(h))) {
		snprintf(err, errlen, "the server sent no certificate");
	} else if (vc_probe_pem_fingerprint(pem, out)) {
		snprintf(err, errlen, "the server's certificate could not be decoded");
	} else {
		ret = 0;
	}
	curl_easy_cleanup(h);
	return ret;
}
