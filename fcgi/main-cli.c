/* vcompanion: the admin CLI. One dispatch table of commands; every command takes
 * --help, the whole program takes --version. Exit codes: 0 ok, 1 failure, 2 usage. */
#include "cfg.h"
#include "cli.h"
#include "cli_config.h"
#include "cli_key.h"
#include "log.h"
#include "report.h"
#include "seal.h"
#include "series.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cli_cmd {
	const char *name;
	int (*run)(const char *config, int argc, char **argv);
	int needs_config;
	const char *usage;
};

static int cmd_keygen(const char *config, int argc, char **argv);
static int cmd_check_config(const char *config, int argc, char **argv);
static int cmd_dump(const char *config, int argc, char **argv);
static int cmd_render(const char *config, int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "keygen", cmd_keygen, 0,
	  "keygen [--id N] [FILE]\n"
	  "  Print a new data key line (id:base64), or create FILE (mode 0600) holding it.\n"
	  "  Refuses to overwrite FILE. --id sets the key id (1-255, default 1); for rotation\n"
	  "  put a line with a new id first in the key file." },
	{ "check-config", cmd_check_config, 0,
	  "check-config FILE\n"
	  "  Validate the configuration file, the key file and the password files it names." },
	{ "dump", cmd_dump, 1,
	  "-c FILE dump [--vcenter ID] [--type TYPE]\n"
	  "  Open the sealed inventory in Redis and print it as JSON. With --type, a JSON array\n"
	  "  of objects (each with moref, name, vcenter); --type status prints the poll status;\n"
	  "  --type perf prints every object with performance history and its tiers, opened.\n"
	  "  Without --vcenter, every configured vCenter. A value that fails to open: exit 1." },
	{ "render", cmd_render, 0,
	  "render TEMPLATE DATA.json [--partials DIR]\n"
	  "  Render a Mustache template with JSON data to stdout." },
	{ "report", cli_report, 1, cli_report_usage },
	{ "config", cli_config, 1, cli_config_usage },
	{ "key", cli_key, 1, cli_key_usage },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage_all(FILE *f)
{
	fprintf(f, "usage: vcompanion [-c FILE] COMMAND [ARGS]\n       vcompanion --version\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nEvery command takes --help. Exit codes: 0 ok, 1 failure, 2 usage error.\n");
}

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static int usage_err(const struct cli_cmd *c, const char *msg)
{
	fprintf(stderr, "vcompanion %s: %s\nusage: vcompanion %s\n", c->name, msg, c->usage);
	return 2;
}

static int cmd_render(const char *config, int argc, char **argv)
{
	return cli_render(argc, argv);
}

static int cmd_keygen(const char *config, int argc, char **argv)
{
	const char *file = NULL;
	char line[128];
	long id = 1;
	int fd, rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--id") && i + 1 < argc) {
			char *end;
			id = strtol(argv[++i], &end, 10);
			if (*end || id < 1 || id > 255)
				return usage_err(&commands[0], "--id takes a number from 1 to 255");
		} else if (argv[i][0] == '-' || file) {
			return usage_err(&commands[0], "unexpected argument");
		} else {
			file = argv[i];
		}
	}
	if (keyring_generate_line((uint8_t)id, line, sizeof(line))) {
		fprintf(stderr, "vcompanion keygen: cannot generate a key (libsodium)\n");
		return 1;
	}
	if (!file) {
		fputs(line, stdout);
	} else if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		fprintf(stderr, "vcompanion keygen: %s: %s%s\n", file, strerror(errno),
		        errno == EEXIST ? " (refusing to overwrite a key file)" : "");
		rc = 1;
	} else {
		size_t len = strlen(line);
		if (write(fd, line, len) != (ssize_t)len || fsync(fd)) {
			fprintf(stderr, "vcompanion keygen: %s: write failed: %s\n", file, strerror(errno));
			rc = 1;
		}
		close(fd);
	}
	sodium_memzero(line, sizeof(line));
	return rc;
}

static int check_secret(const char *what, const char *path)
{
	char err[512];
	char *s = cfg_read_secret(path, err, sizeof(err));

	if (!s) {
		fprintf(stderr, "%s: %s\n", what, err);
		return 1;
	}
	sodium_memzero(s, strlen(s));
	free(s);
	return 0;
}

static int cmd_check_config(const char *config, int argc, char **argv)
{
	struct keyring *ring;
	struct cfg c;
	char err[512];
	int bad = 0;

	if (argc != 2 || argv[1][0] == '-')
		return usage_err(&commands[1], "give exactly one configuration FILE");
	if (cfg_load(&c, argv[1], err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	ring = keyring_new();
	if (!ring || keyring_load(ring, c.key_file, err, sizeof(err))) {
		fprintf(stderr, "key_file: %s\n", ring ? err : "out of memory");
		bad = 1;
	}
	keyring_free(ring);
	bad |= check_secret("redis.collector.password_file", c.redis.collector.password_file);
	bad |= check_secret("redis.web.password_file", c.redis.web.password_file);
	for (size_t i = 0; i < c.n_vcenters; i++) {
		char what[80];
		snprintf(what, sizeof(what), "vcenters[%zu] (%s).password_file", i, c.vcenters[i].id);
		bad |= check_secret(what, c.vcenters[i].password_file);
	}
	if (!bad)
		printf("%s: ok (%zu vCenters)\n", argv[1], c.n_vcenters);
	cfg_free(&c);
	return bad;
}

/* Prints one sealed JSON value; returns 0, or 1 when missing/tampered/unreadable. */
static int dump_value(struct store *s, const char *vcenter, const char *type, json_t *into,
                      const char *field)
{
	char key[128], *val = NULL;
	size_t len;
	json_t *j;
	int rc;

	store_key_vc(key, sizeof(key), vcenter, type);
	rc = store_get(s, key, &val, &len);
	if (rc < 0) {
		fprintf(stderr, "vcompanion dump: %s: %s\n", key, s->errstr);
		return 1;
	}
	if (rc == 0) {
		if (s->tampered) {
			fprintf(stderr, "vcompanion dump: %s: value failed to open (tampered, moved or "
			        "sealed with a key no longer in the key file)\n", key);
			return 1;
		}
		json_object_set_new(into, field, json_null());
		return 0;
	}
	j = json_loadb(val, len, 0, NULL);
	free(val);
	if (!j) {
		fprintf(stderr, "vcompanion dump: %s: opened but is not JSON\n", key);
		return 1;
	}
	json_object_set_new(into, field, j);
	return 0;
}

/* One tier of one entity into obj[tier name]; 0, or 1 when it fails to open. */
static int dump_tier(struct store *s, const char *vcenter, const char *moref,
                     const struct series_kind *k, enum series_tier tier, json_t *obj)
{
	char key[512], *val = NULL;
	size_t len;
	struct series ser;
	unsigned long tampered = s->tampered;
	int rc;

	series_key(key, sizeof(key), vcenter, tier, moref);
	rc = store_get(s, key, &val, &len);
	if (rc < 0 || (rc == 0 && s->tampered != tampered)) {
		fprintf(stderr, "vcompanion dump: %s: %s\n", key, rc < 0 ? s->errstr : "value failed to open");
		return 1;
	}
	if (rc == 0)
		return 0;
	rc = series_decode(&ser, tier, k, val, len);
	free(val);
	if (rc == 0)
		json_object_set_new(obj, series_tiers[tier].name, series_json(&ser, k, 0));
	else
		fprintf(stderr, "vcompanion dump: %s: opened but is not a series\n", key);
	series_free(&ser);
	return rc ? 1 : 0;
}

/* --type perf: the entities of the vCenter's index vc:{id}:perf with their tiers. */
static int dump_perf(struct store *s, const char *vcenter, json_t *out)
{
	json_t *idx = json_object(), *kinds, *morefs, *last;
	const char *kind, *moref;
	int rc = dump_value(s, vcenter, "perf", idx, "perf");

	kinds = json_object_get(idx, "perf");
	json_object_foreach(kinds, kind, morefs) {
		const struct series_kind *k = series_kind_find(kind);
		json_object_foreach(morefs, moref, last) {
			json_t *tiers = json_object();
			for (int t = 0; k && t < SERIES_NTIERS && !rc; t++)
				rc = dump_tier(s, vcenter, moref, k, (enum series_tier)t, tiers);
			json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:O,s:o}", "moref", moref,
			                      "name", moref, "vcenter", vcenter, "kind", kind,
			                      "last", last, "tiers", tiers));
		}
	}
	json_decref(idx);
	return rc;
}

static int cmd_dump(const char *config, int argc, char **argv)
{
	const char *vcenter = NULL, *type = NULL;
	json_t *out = json_object();
	struct store *s;
	struct cfg c;
	char err[512];
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vcenter") && i + 1 < argc)
			vcenter = argv[++i];
		else if (!strcmp(argv[i], "--type") && i + 1 < argc)
			type = argv[++i];
		else
			return json_decref(out), usage_err(&commands[2], "unexpected argument");
	}
	if (type && !store_type_valid(type) && strcmp(type, "perf"))
		return json_decref(out), usage_err(&commands[2], "unknown --type (see docs/architecture.md)");
	if (cfg_load(&c, config, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return json_decref(out), 1;
	}
	if (vcenter && !cfg_vcenter_find(&c, vcenter)) {
		fprintf(stderr, "vcompanion dump: no vCenter with id '%s' in %s\n", vcenter, config);
		cfg_free(&c);
		return json_decref(out), 1;
	}
	s = store_open(&c, STORE_WEB, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "vcompanion dump: %s\n", err);
		cfg_free(&c);
		return json_decref(out), 1;
	}
	if (type && !strcmp(type, "perf")) {
		json_decref(out);
		out = json_array();
		for (size_t i = 0; i < c.n_vcenters && !rc; i++)
			if (!vcenter || !strcmp(vcenter, c.vcenters[i].id))
				rc = dump_perf(s, c.vcenters[i].id, out);
		if (!rc) {
			json_dumpf(out, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
			fputc('\n', stdout);
		}
		goto done;
	}
	for (size_t i = 0; i < c.n_vcenters && !rc; i++) {
		const char *id = c.vcenters[i].id;
		json_t *one = json_object();
		if (vcenter && strcmp(vcenter, id)) {
			json_decref(one);
			continue;
		}
		for (const char *const *t = store_types; *t && !rc; t++)
			if (!type || !strcmp(type, *t))
				rc = dump_value(s, id, *t, one, *t);
		json_object_set_new(out, id, one);
	}
	if (!rc) {
		json_t *print = out;
		if (type) {
			/* One type: a flat array across vCenters (status: the object itself for one vCenter). */
			print = json_array();
			const char *id;
			json_t *one;
			json_object_foreach(out, id, one) {
				json_t *v = json_object_get(one, type);
				if (json_is_array(v))
					json_array_extend(print, v);
				else if (v && !json_is_null(v))
					json_array_append(print, v);
			}
			if (!strcmp(type, "status") && vcenter) {
				json_t *single = json_incref(json_array_get(print, 0));
				json_decref(print);
				print = single ? single : json_null();
			}
		}
		json_dumpf(print, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		if (print != out)
			json_decref(print);
	}
done:
	json_decref(out);
	store_free(s);
	cfg_free(&c);
	return rc;
}

int main(int argc, char **argv)
{
	const char *config = getenv("VCOMPANION_CONFIG");
	int i = 1;

	log_init("cli", LOG_WARN);
	signal(SIGPIPE, SIG_IGN);   /* a vanished Redis is an error, not a kill */
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("vcompanion %s\n", VC_VERSION);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage_all(stdout);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "-c")) {
		config = argv[2];
		i = 3;
	}
	if (i >= argc) {
		usage_all(stderr);
		return 2;
	}
	for (size_t k = 0; k < N_COMMANDS; k++) {
		const struct cli_cmd *c = &commands[k];
		if (strcmp(argv[i], c->name))
			continue;
		if (wants_help(argc - i, argv + i)) {
			printf("usage: vcompanion %s\n", c->usage);
			return 0;
		}
		if (c->needs_config && !config)
			return usage_err(c, "needs -c FILE (or VCOMPANION_CONFIG)");
		return c->run(config, argc - i, argv + i);
	}
	fprintf(stderr, "vcompanion: unknown command '%s'\n", argv[i]);
	usage_all(stderr);
	return 2;
}
