/* Reading a vCenter's TLS certificate without trusting it, so an admin can see
 * and pin the SHA-256 fingerprint of a self-signed or private-CA certificate
 * before the portal is told to trust it (Settings, "test connection"). */
#ifndef VC_PROBE_H
#define VC_PROBE_H

#include <stddef.h>

#define VC_PROBE_FP_LEN 96   /* "AB:CD:..." 32 bytes = 95 characters + NUL */

/* Connects to url (https://...) with verification off, reads the leaf
 * certificate (CURLOPT_CERTINFO) and writes its SHA-256 over the DER bytes as
 * upper-case hex pairs joined by colons into out. Bounded by 10 s connect, 20 s
 * total. Returns 0, or -1 with a message (what to check) in err. */
int vc_probe_fingerprint(const char *url, char out[VC_PROBE_FP_LEN], char *err, size_t errlen);

/* The pure part, exposed for tests: fingerprint of a PEM certificate text. */
int vc_probe_pem_fingerprint(const char *pem, char out[VC_PROBE_FP_LEN]);

#endif
