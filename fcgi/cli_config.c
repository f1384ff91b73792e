/* `vcompanion config export [--with-secrets] [-o PATH]` and `config import PATH
 * [--dry-run]`: the runtime settings as a JSON file in the configuration file's
 * shape, for backups, reviews and moving settings between installations.
 *
 * File format:
 *   {"vcenters": [ {id, name, url, verify_tls, ca_file, fingerprint, interval, user,
 *                   password_file, tags, source} ... ],
 *    "app": {"theme", "accent", "session_timeout", "page_size"},
 *    "secrets": {"<id>": "<base64 sealed password>"}}      only with --with-secrets
 * A secret is the vCenter's stored password sealed with the data key (the key
 * file's first key) and the associated data "export:<id>", so it opens only with
 * the same key file and only for that vCenter. Import accepts the same keys; the
 * configuration file's other sections (redis, web, ...) are ignored, so a config
 * file can seed the registry too. */
#include "cli_config.h"
#include "cfg.h"
#include "registry.h"
#include "seal.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char cli_config_usage[] =
	"-c FILE config export [--with-secrets] [-o PATH] | config import PATH [--dry-run]\n"
	"  export: write the runtime settings in Redis (vCenter registry and app defaults) as\n"
	"  JSON to PATH (mode 0600) or stdout. Passwords stored in the registry are left out\n"
	"  unless --with-secrets; then each is sealed with the data key (AD \"export:<id>\") and\n"
	"  opens only with the same key file. import: validate PATH and replace the registry\n"
	"  with it (bumps cfg:gen; the collector follows); --dry-run validates only.";

static int usage(const char *msg)
{
	fprintf(stderr, "vcompanion config: %s\nusage: vcompanion %s\n", msg, cli_config_usage);
	return 2;
}

static struct store *open_store(const char *config, struct cfg *c)
{
	char err[512];
	struct store *s;

	if (cfg_load(c, config, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	if (!(s = store_open(c, STORE_WEB, err, sizeof(err)))) {
		fprintf(stderr, "vcompanion config: %s\n", err);
		cfg_free(c);
	}
	return s;
}

static void export_ad(char *out, size_t n, const char *id)
{
	snprintf(out, n, "export:%s", id);
}

/* base64(seal(password)) under AD export:<id> (new reference) or NULL. */
static json_t *seal_secret(const struct keyring *ring, const char *id, const char *pw)
{
	size_t len = strlen(pw), blen = len + SEAL_OVERHEAD;
	uint8_t *blob = malloc(blen);
	char ad[64], *b64 = malloc(sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL));
	json_t *j = NULL;

	export_ad(ad, sizeof(ad), id);
	if (blob && b64 && seal(ring, ad, pw, len, blob) == 0) {
		sodium_bin2base64(b64, sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL),
		                  blob, blen, sodium_base64_VARIANT_ORIGINAL);
		j = json_string(b64);
	}
	free(blob);
	free(b64);
	return j;
}

/* {"id": sealed} for every registry vCenter without a password file. */
static int export_secrets(struct store *s, json_t *arr, json_t *out)
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		char err[256], *pw;
		json_t *sealed;
		if (json_is_string(json_object_get(o, "password_file")))
			continue;
		if (!(pw = registry_password(s, id, err, sizeof(err)))) {
			fprintf(stderr, "vcompanion config export: %s (exported without it)\n", err);
			continue;
		}
		sealed = seal_secret(s->ring, id, pw);
		sodium_memzero(pw, strlen(pw));
		free(pw);
		if (!sealed) {
			fprintf(stderr, "vcompanion config export: cannot seal the password of %s\n", id);
			return -1;
		}
		json_object_set_new(out, id, sealed);
	}
	return 0;
}

/* Writes text to path (mode 0600, replaced atomically) or stdout. */
static int write_out(const char *path, const char *text)
{
	char tmp[4096];
	size_t len = strlen(text);
	int fd;

	if (!path)
		return fputs(text, stdout) < 0 ? -1 : 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		fprintf(stderr, "vcompanion config export: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) || write(fd, text, len) != (ssize_t)len || fsync(fd) || close(fd) ||
	    rename(tmp, path)) {
		fprintf(stderr, "vcompanion config export: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The registry, or the file's vCenters when Redis has none yet. */
static json_t *registry_or_file(struct store *s, const struct cfg *c)
{
	char err[512];
	json_t *arr = NULL;
	int rc = registry_load_json(s, &arr, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "vcompanion config export: %s\n", err);
		return NULL;
	}
	if (rc == 0) {
		fprintf(stderr, "vcompanion config export: no runtime settings in Redis yet; "
		        "exporting the configuration file's vCenters\n");
		arr = json_array();
		for (size_t i = 0; i < c->n_vcenters; i++)
			json_array_append_new(arr, registry_vcenter_json(&c->vcenters[i], "file"));
	}
	return arr;
}

static int config_export(const char *config, int argc, char **argv)
{
	const char *out_path = NULL;
	int secrets = 0, rc = 1;
	struct registry_app app;
	struct store *s;
	struct cfg c;
	json_t *doc = NULL, *arr;
	char err[512], *text = NULL;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--with-secrets"))
			secrets = 1;
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out_path = argv[++i];
		else
			return usage("unexpected argument to export");
	}
	if (!(s = open_store(config, &c)))
		return 1;
	if (!(arr = registry_or_file(s, &c)))
		goto out;
	if (registry_load_app(s, &c, &app, err, sizeof(err)) < 0) {
		fprintf(stderr, "vcompanion config export: %s\n", err);
		json_decref(arr);
		goto out;
	}
	doc = json_pack("{s:o,s:o}", "vcenters", arr, "app", registry_app_json(&app));
	if (secrets) {
		json_t *sec = json_object();
		json_object_set_new(doc, "secrets", sec);
		if (export_secrets(s, arr, sec))
			goto out;
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (text && !write_out(out_path, text) && (out_path || fputc('\n', stdout) != EOF))
		rc = 0;
out:
	json_decref(doc);
	free(text);
	store_free(s);
	cfg_free(&c);
	return rc;
}

/* Opens doc's "secrets" into {"id": password} (new reference) or NULL on error. */
static json_t *open_secrets(const struct keyring *ring, json_t *secrets, json_t *arr)
{
	json_t *out = json_object(), *v;
	const char *id;

	json_object_foreach(secrets, id, v) {
		const char *b64 = json_string_value(v);
		size_t blen = b64 ? strlen(b64) : 0, plen;
		uint8_t *blob = malloc(blen + 1);
		char ad[64], *pw = NULL;
		int ok = blob && b64 && cfg_valid_id(id) &&
		         !sodium_base642bin(blob, blen + 1, b64, blen, NULL, &blen, NULL,
		                            sodium_base64_VARIANT_ORIGINAL) && blen > SEAL_OVERHEAD;
		(void)arr;
		if (ok) {
			plen = blen - SEAL_OVERHEAD;
			pw = calloc(1, plen + 1);
			export_ad(ad, sizeof(ad), id);
			ok = pw && seal_open(ring, ad, blob, blen, (uint8_t *)pw) == 0 && strlen(pw) == plen;
		}
		if (ok)
			json_object_set_new(out, id, json_string(pw));
		if (pw) {
			sodium_memzero(pw, blen - SEAL_OVERHEAD);
			free(pw);
		}
		free(blob);
		if (!ok) {
			fprintf(stderr, "vcompanion config import: secrets.%s: does not open; it was exported "
			        "with another key file or changed\n", id);
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static void wipe_secrets(json_t *pw)
{
	const char *id;
	json_t *v;

	json_object_foreach(pw, id, v)
		sodium_memzero((char *)json_string_value(v), json_string_length(v));
	json_decref(pw);
}

/* Checks the document's top level; returns 0 or -1 (message printed). */
static int check_doc(json_t *doc, struct registry_app *app, int *has_app)
{
	static const char *const keys[] = { "vcenters", "app", "secrets", "redis", "key_file",
		"web", "collector", "log", NULL };
	const char *key;
	char err[512];
	json_t *v;

	if (!json_is_object(doc))
		return fprintf(stderr, "vcompanion config import: expected a JSON object\n"), -1;
	json_object_foreach(doc, key, v) {
		const char *const *k = keys;
		while (*k && strcmp(*k, key))
			k++;
		if (!*k)
			return fprintf(stderr, "vcompanion config import: %s: unknown key\n", key), -1;
	}
	if (registry_vcenters_check(json_object_get(doc, "vcenters"), err, sizeof(err)))
		return fprintf(stderr, "vcompanion config import: %s\n", err), -1;
	*has_app = json_object_get(doc, "app") != NULL;
	if (*has_app && registry_app_parse(json_object_get(doc, "app"), app, err, sizeof(err)))
		return fprintf(stderr, "vcompanion config import: %s\n", err), -1;
	v = json_object_get(doc, "secrets");
	if (v && !json_is_object(v))
		return fprintf(stderr, "vcompanion config import: secrets: expected an object\n"), -1;
	return 0;
}

/* Warns about vCenters that will have no password at all. */
static void warn_missing(struct store *s, json_t *arr, json_t *pw)
{
	json_t *o;
	size_t i;

	json_array_foreach(arr, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		char err[256], *p;
		if (json_is_string(json_object_get(o, "password_file")) || json_object_get(pw, id))
			continue;
		if ((p = registry_password(s, id, err, sizeof(err)))) {
			sodium_memzero(p, strlen(p));
			free(p);
			continue;
		}
		fprintf(stderr, "vcompanion config import: warning: vCenter %s has no password file and "
		        "no stored password; set it on the Settings page\n", id);
	}
}

static int config_import(const char *config, int argc, char **argv)
{
	const char *path = NULL;
	int dry = 0, has_app = 0, rc = 1;
	struct registry_app app;
	json_error_t jerr;
	struct store *s;
	struct cfg c;
	json_t *doc, *pw = NULL;
	char err[512];

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry = 1;
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			return usage("unexpected argument to import");
	}
	if (!path)
		return usage("import needs a PATH");
	if (!(doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr))) {
		fprintf(stderr, "vcompanion config import: %s: line %d: %s\n", path, jerr.line, jerr.text);
		return 1;
	}
	if (check_doc(doc, &app, &has_app) || !(s = open_store(config, &c))) {
		json_decref(doc);
		return 1;
	}
	if (!(pw = open_secrets(s->ring, json_object_get(doc, "secrets"), NULL)))
		goto out;
	warn_missing(s, json_object_get(doc, "vcenters"), pw);
	if (dry) {
		printf("%s: ok (%zu vCenters%s)\n", path, json_array_size(json_object_get(doc, "vcenters")),
		       has_app ? ", app settings" : "");
		rc = 0;
		goto out;
	}
	if (registry_replace(s, json_object_get(doc, "vcenters"), pw, err, sizeof(err)) ||
	    (has_app && registry_save_app(s, &app, err, sizeof(err)))) {
		fprintf(stderr, "vcompanion config import: %s\n", err);
		goto out;
	}
	printf("%s: imported %zu vCenters%s (settings generation %lld)\n", path,
	       json_array_size(json_object_get(doc, "vcenters")), has_app ? " and app settings" : "",
	       registry_gen(s));
	rc = 0;
out:
	wipe_secrets(pw);
	json_decref(doc);
	store_free(s);
	cfg_free(&c);
	return rc;
}

int cli_config(const char *config, int argc, char **argv)
{
	if (argc < 2)
		return usage("say export or import");
	if (!config)
		return usage("needs -c FILE (or VCOMPANION_CONFIG)");
	if (!strcmp(argv[1], "export"))
		return config_export(config, argc, argv);
	if (!strcmp(argv[1], "import"))
		return config_import(config, argc, argv);
	return usage("say export or import");
}
