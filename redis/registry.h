/* The runtime settings in Redis: the vCenter registry and the application
 * defaults, sealed under cfg:*, seeded from the configuration file and edited by
 * admins on the Settings pages. Only the web role writes cfg:*; the collector reads
 * it and follows the plain counter cfg:gen, bumped with every change.
 *
 * Keys (docs/settings.md):
 *   cfg:vcenters            sealed JSON array of vCenter objects, the config file's
 *                           fields (id, name, url, verify_tls, ca_file, fingerprint,
 *                           interval, user, password_file, tags) plus "source":
 *                           "file" (seeded from the file) or "ui" (added by an admin)
 *   cfg:vc:{id}:password    sealed service-account password of a vCenter whose
 *                           password_file is empty (set in the UI); never shown back
 *   cfg:app                 sealed {"theme","accent","session_timeout","page_size"}
 *   cfg:gen                 plain counter, bumped in the same MULTI/EXEC as a change
 *   cmd:purge, cmd:purge:gen  a sealed cache purge request {"ids":[...],"at":unix}
 *                           written by the web tier, taken by the collector
 *
 * Errors: functions return -1 with a message in err (never a password); data read
 * from Redis is validated with the configuration file's rules and refused whole
 * when one entry is bad. */
#ifndef VC_REGISTRY_H
#define VC_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "cfg.h"

struct store;

#define REGISTRY_VCENTERS_KEY "cfg:vcenters"
#define REGISTRY_APP_KEY "cfg:app"
#define REGISTRY_GEN_KEY "cfg:gen"
#define REGISTRY_PURGE_KEY "cmd:purge"
#define REGISTRY_PURGE_GEN_KEY "cmd:purge:gen"
#define REGISTRY_MAX_VCENTERS 256
#define REGISTRY_PASSWORD_MAX 512   /* matches VC_PASSWORD_MAX */
#define REGISTRY_STR_MAX 1024       /* longest url, path, user, name or tag accepted */

struct registry_app {
	char theme[16];          /* light | dark */
	char accent[16];         /* blue | purple | green | orange | red */
	int session_timeout;     /* CFG_SESSION_MIN..CFG_SESSION_MAX */
	int page_size;           /* 25 | 50 | 100 | 250 */
};

extern const char *const registry_themes[];     /* NULL-terminated */
extern const char *const registry_accents[];
extern const int registry_page_sizes[];          /* ends with 0 */

/* cfg:vc:{id}:password into out. */
void registry_password_key(char *out, size_t n, const char *id);

/* ---- pure helpers (no I/O; unit-tested) */

/* Validates one vCenter object (the config file's rules plus "source" and length
 * limits) and fills *out (owned; free with registry_vcenter_clear()). A missing
 * interval takes def_interval. *source (may be NULL) receives "file" or "ui".
 * Returns 0, or -1 with a message naming the field. */
int registry_vcenter_parse(json_t *o, int def_interval, struct cfg_vcenter *out,
                           const char **source, char *err, size_t errlen);
/* The JSON object of v (new reference), with "source". */
json_t *registry_vcenter_json(const struct cfg_vcenter *v, const char *source);
/* Validates a whole array (ids unique, at most REGISTRY_MAX_VCENTERS). 0 or -1. */
int registry_vcenters_check(json_t *arr, char *err, size_t errlen);
/* Deep copy of src into dst (owned). 0, -1 on allocation failure. */
int registry_vcenter_copy(struct cfg_vcenter *dst, const struct cfg_vcenter *src);
void registry_vcenter_clear(struct cfg_vcenter *v);
/* Frees an array from registry_load_vcenters()/registry_vcenters_merged(); NULL ok. */
void registry_vcenters_free(struct cfg_vcenter *v, size_t n);
/* Validates an app settings object; fills *out. 0 or -1 with err. */
int registry_app_parse(json_t *o, struct registry_app *out, char *err, size_t errlen);
json_t *registry_app_json(const struct registry_app *a);
/* The defaults: theme light, accent blue, page size 50, session timeout from the
 * file (web.session_timeout) when cfg is not NULL, else 1800. */
void registry_app_defaults(struct registry_app *a, const struct cfg *cfg);

/* ---- reading (both roles) */

/* The registry array (validated, new reference) into *out. Returns 1 when present,
 * 0 when cfg:vcenters is missing (*out = NULL), -1 on a store error or bad data. */
int registry_load_json(struct store *s, json_t **out, char *err, size_t errlen);
/* The registry as cfg_vcenter entries (*out owned by the caller, free with
 * registry_vcenters_free()). Returns 1, 0 when missing (*out NULL, *n 0), or -1. */
int registry_load_vcenters(struct store *s, struct cfg_vcenter **out, size_t *n,
                           char *err, size_t errlen);
/* The list the collector polls: the registry when present, else a copy of the
 * file's vcenters. Returns 1 (registry), 0 (file) or -1 (keep the current list). */
int registry_vcenters_merged(struct store *s, const struct cfg *file_cfg,
                             struct cfg_vcenter **out, size_t *n, char *err, size_t errlen);
/* The stored password of vCenter id: malloc'd, NUL-terminated; the caller wipes
 * (sodium_memzero) and frees it. NULL when there is none or on error (err says). */
char *registry_password(struct store *s, const char *id, char *err, size_t errlen);
/* Same, copied into buf (buflen bytes, NUL-terminated) for a vc_password_fn; the
 * temporary copy is wiped. Returns 0, or -1 with err (also when it does not fit). */
int registry_password_into(struct store *s, const char *id, char *buf, size_t buflen,
                           char *err, size_t errlen);
/* The app settings: 1 from Redis, 0 defaults (missing), -1 error (defaults filled). */
int registry_load_app(struct store *s, const struct cfg *cfg, struct registry_app *out,
                      char *err, size_t errlen);
/* cfg:gen: 0 when never written, -1 on error. */
long long registry_gen(struct store *s);

/* ---- writing (web role and the CLI) */

/* Writes the file's vCenters (source "file") and the default app settings when
 * cfg:vcenters is missing. Returns 1 seeded, 0 already present, -1 error. */
int registry_seed(struct store *s, const struct cfg *cfg, char *err, size_t errlen);
/* Adds or replaces v (by id). password: NULL or "" keeps the stored one (a new
 * entry without password_file then needs one); otherwise it is stored sealed.
 * Returns 1 added, 0 replaced, -1 error. */
int registry_save_vcenter(struct store *s, const struct cfg_vcenter *v, const char *source,
                          const char *password, char *err, size_t errlen);
/* Removes id and its password key. 1 removed, 0 not found, -1 error. */
int registry_remove_vcenter(struct store *s, const char *id, char *err, size_t errlen);
/* Replaces the whole registry (import): arr validated first; passwords is NULL or
 * an object {id: password} of secrets to store. Returns 0 or -1. */
int registry_replace(struct store *s, json_t *arr, json_t *passwords, char *err, size_t errlen);
int registry_save_app(struct store *s, const struct registry_app *a, char *err, size_t errlen);
/* Asks the collector to drop and re-poll the cached records of ids: merges them
 * into cmd:purge and bumps cmd:purge:gen. 0 or -1. */
int registry_request_purge(struct store *s, const char *const *ids, size_t n, long long now,
                           char *err, size_t errlen);

/* ---- collector side */

/* When cmd:purge:gen moved from *seen (or *seen < 0 and a request is pending),
 * takes the request: *ids (malloc'd array of malloc'd ids, free with
 * registry_ids_free()) and deletes cmd:purge. Returns 1 taken, 0 nothing, -1 error.
 * *seen is updated on 0 and 1. */
int registry_take_purge(struct store *s, long long *seen, char ***ids, size_t *n,
                        char *err, size_t errlen);
void registry_ids_free(char **ids, size_t n);
/* Deletes vc:{id}:<type> for every record type and bumps vc:{id}:gen, in one
 * transaction (collector role). 0 or -1. */
int registry_purge_vcenter(struct store *s, const char *id);

#endif
