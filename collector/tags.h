/* tags: vSphere tags and their categories through vCenter's vAPI REST endpoints
 * (/rest/com/vmware/cis/...), which the SOAP API does not serve. One short-lived
 * REST session per poll, logged in with the collector's service account, over one
 * keep-alive libcurl handle with the same TLS rules as the SOAP client (vc.h).
 *
 * Result shape (tags_fetch(), tags_build()):
 *   { "tags":    [ {"id", "name", "category", "category_id", "description",
 *                   "object_count"} ... ],
 *     "objects": { "vm-42": [ {"category": "Env", "name": "prod"} ... ] } }
 * Each object's list is sorted by category, then name. */
#ifndef VC_TAGS_H
#define VC_TAGS_H

#include "vc.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TAGS_MAX_RESPONSE (64u << 20)   /* a larger REST answer fails the fetch */

struct tags_endpoint {
	const char *sdk_url;          /* the vCenter's https://host[:port]/sdk */
	bool verify_tls;
	const char *ca_file;          /* NULL: system CAs */
	const char *fingerprint;      /* NULL or SHA-256 pin of the leaf certificate */
	const char *user;
	vc_password_fn password_fn;   /* supplies the password (wiped after use) */
	void *password_ctx;
	int64_t deadline_ms;          /* absolute vc_now_ms() time, 0 = none */
	const atomic_int *abort;      /* optional: non-zero stops the fetch */
};

/* Logs in, reads every category, tag and tag association, logs out. On success
 * returns 0 and sets *out to a new reference (caller json_decref()s); on failure
 * returns -1 and writes a message (never a password or session id) into err. */
int tags_fetch(const struct tags_endpoint *ep, json_t **out, char *err, size_t errlen);

/* The pure part of tags_fetch(): builds the result from the REST answers' "value"
 * members: categories and tags (arrays of their objects) and the answer of
 * list-attached-objects-on-tags. Returns a new reference; never NULL. */
json_t *tags_build(const json_t *categories, const json_t *tags, const json_t *attached);

#endif
