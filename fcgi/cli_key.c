/* `vcompanion key`: rotating the data key of the key file named by the configuration.
 *
 *   rotate   put a fresh key (the next free id) first in the key file; the old ones
 *            stay below it to open what they sealed
 *   status   which key id sealed the values in Redis
 *   reseal   seal the web tier's values again with the first key now and ask the
 *            collector to do the same with the inventory (cmd:reseal)
 *   retire   keep only the first key in the file, once nothing in Redis needs the
 *            others (--force: even then)
 *
 * The key file is replaced atomically (a temporary file in the same folder, the same
 * owner and mode, fsync, rename). Key material is never printed. Each command that
 * changes something is audited (audit:log) as user "cli:<unix user>". */
#include "cli_key.h"
#include "audit.h"
#include "cfg.h"
#include "rekey.h"
#include "seal.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX 8192

const char cli_key_usage[] =
	"-c FILE key rotate | key status | key reseal | key retire [--force]\n"
	"  rotate: put a new data key (the next free id) first in the key file, keeping the\n"
	"  others to open older values. status: values in Redis per key id. reseal: seal the\n"
	"  web tier's values again with the first key and ask the collector to re-seal the\n"
	"  inventory. retire: drop every key but the first once no value needs them.";

static const char *const census_patterns[] = { "vc:*", "cfg:*", "sess:*", "pref:*", "audit:*", "cmd:*" };

/* An audit entry for a CLI action; a Redis that cannot take it is only a warning. */
static void cli_audit(struct store *s, const char *action, const char *outcome, const char *detail)
{
	const struct passwd *pw = getpwuid(geteuid());
	char who[96];

	snprintf(who, sizeof(who), "cli:%s", pw ? pw->pw_name : "?");
	if (audit_to(s, who, "local", action, "data key", outcome, detail))
		fprintf(stderr, "vcompanion key: warning: the audit entry could not be stored: %s\n",
		        s ? s->errstr : "no store");
}

static int usage(const char *msg)
{
	fprintf(stderr, "vcompanion key: %s\nusage: vcompanion %s\n", msg, cli_key_usage);
	return 2;
}

/* Reads the key file (at most KEY_FILE_MAX bytes, sodium_malloc'd: it holds keys). */
static char *read_keys(const char *path, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text;
	ssize_t n;

	if (fd < 0 || fstat(fd, st)) {
		fprintf(stderr, "vcompanion key: cannot read %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!(text = sodium_malloc(KEY_FILE_MAX + 1)))
		abort();
	n = read(fd, text, KEY_FILE_MAX + 1);
	close(fd);
	if (n < 0 || n > KEY_FILE_MAX) {
		fprintf(stderr, "vcompanion key: %s: %s\n", path, n < 0 ? strerror(errno) : "too large for a key file");
		sodium_free(text);
		return NULL;
	}
	text[n] = '\0';
	*len = (size_t)n;
	return text;
}

/* Replaces path with the parts (joined), keeping its owner and mode. 0 or -1. */
static int write_keys(const char *path, const struct stat *st, const char *a, size_t alen,
                      const char *b, size_t blen)
{
	char tmp[4096], dir[4096];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if (snprintf(tmp, sizeof(tmp), "%s/.vcompanion-keys.XXXXXX", dirname(dir)) >= (int)sizeof(tmp))
		return -1;
	if ((fd = mkstemp(tmp)) < 0) {
		fprintf(stderr, "vcompanion key: cannot write next to %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, st->st_mode & 07777) || (fchown(fd, st->st_uid, st->st_gid) && errno != EPERM) ||
	    write(fd, a, alen) != (ssize_t)alen || (blen && write(fd, b, blen) != (ssize_t)blen) ||
	    fsync(fd) || close(fd) || rename(tmp, path)) {
		fprintf(stderr, "vcompanion key: cannot replace %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int key_rotate(const struct cfg *c)
{
	struct keyring *ring = keyring_new();
	char line[128], err[256];
	unsigned char used[256] = { 0 };
	struct stat st;
	size_t len;
	char *text = read_keys(c->key_file, &len, &st);
	int id = 0, rc = 1;

	if (!ring || !text)
		goto out;
	if (keyring_parse(ring, text, len, err, sizeof(err))) {
		fprintf(stderr, "vcompanion key: %s: %s\n", c->key_file, err);
		goto out;
	}
	if (ring->n >= SEAL_MAX_KEYS) {
		fprintf(stderr, "vcompanion key: %s holds %d keys already: retire old ones first\n",
		        c->key_file, ring->n);
		goto out;
	}
	for (int i = 0; i < ring->n; i++)
		used[ring->keys[i].id] = 1;
	/* the next id after the sealing one, wrapping past 255, skipping those in use */
	for (int k = 1; k < 256 && !id; k++) {
		int cand = (ring->keys[0].id - 1 + k) % 255 + 1;
		if (!used[cand])
			id = cand;
	}
	if (keyring_generate_line((uint8_t)id, line, sizeof(line))) {
		fprintf(stderr, "vcompanion key: cannot make a key\n");
		goto out;
	}
	if (!write_keys(c->key_file, &st, line, strlen(line), text, len)) {
		struct store *s = store_open(c, STORE_WEB, err, sizeof(err));
		char detail[48];
		snprintf(detail, sizeof(detail), "new=%d previous=%d", id, ring->keys[0].id);
		cli_audit(s, "cli.key.rotate", "ok", detail);
		store_free(s);
		printf("key %d is now first in %s (it seals new values); key %d and older still open.\n"
		       "Next: copy the file to every node, reload the collector and the web tier, then run\n"
		       "`vcompanion -c FILE key reseal` (or Settings > Re-seal) and `key retire` when\n"
		       "`key status` shows nothing sealed with an older key.\n",
		       id, c->key_file, ring->keys[0].id);
		rc = 0;
	}
out:
	sodium_memzero(line, sizeof(line));
	if (text)
		sodium_free(text);
	keyring_free(ring);
	return rc;
}

/* The census of everything the web user may read. 0 or -1 (message printed). */
static int census(struct store *s, struct rekey_census *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sizeof(census_patterns) / sizeof(census_patterns[0]); i++) {
		if (rekey_census(s, census_patterns[i], c)) {
			fprintf(stderr, "vcompanion key: Redis: %s\n", s->errstr);
			return -1;
		}
	}
	return 0;
}

static int key_status(struct store *s)
{
	struct rekey_census c;
	int first = rekey_first_id(s);

	if (census(s, &c))
		return 1;
	printf("first key (seals): %d\n", first);
	for (int id = 1; id < 256; id++)
		if (c.by_id[id] || id == first)
			printf("key %d: %lu values\n", id, c.by_id[id]);
	printf("older keys: %lu values\nplain: %lu values\nkeys looked at: %lu\n",
	       rekey_census_stale(&c, first), c.plain, c.keys);
	return 0;
}

static int key_reseal(struct store *s)
{
	unsigned long done = 0;
	char detail[64];
	int rc = rekey_web(s, &done);

	snprintf(detail, sizeof(detail), "keys=%lu first=%d", done, rekey_first_id(s));
	cli_audit(s, "cli.key.reseal", rc ? "failed" : "ok", detail);
	if (rc) {
		fprintf(stderr, "vcompanion key: Redis: %s\n", s->errstr);
		return 1;
	}
	printf("%lu keys sealed again with key %d; the collector re-seals the inventory next.\n",
	       done, rekey_first_id(s));
	return 0;
}

/* The key file without its key lines after the first one (comments and blank lines
 * stay), into out (sodium_malloc'd, as long as text); returns its length and sets
 * *dropped to the number of key lines left out. */
static size_t first_key_only(const char *text, size_t len, char *out, int *dropped)
{
	const char *p = text, *end = text + len;
	size_t n = 0;
	int keys = 0;

	*dropped = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		size_t lead = strspn(p, " \t");
		int key = lead < l && p[lead] != '#' && p[lead] != '\n' && p[lead] != '\r';
		if (key && keys++ > 0) {
			(*dropped)++;
		} else {
			memcpy(out + n, p, l);
			n += l;
		}
		p += l;
	}
	return n;
}

static int key_retire(const struct cfg *cfgp, struct store *s, int force)
{
	struct rekey_census c;
	struct stat st;
	size_t len, keep;
	char *text, *out;
	int first = rekey_first_id(s), rc = 1, dropped;
	unsigned long stale;

	if (census(s, &c))
		return 1;
	stale = rekey_census_stale(&c, first);
	if (stale && !force) {
		cli_audit(s, "cli.key.retire", "denied", "values still sealed with an older key");
		fprintf(stderr, "vcompanion key: %lu values are still sealed with an older key: run "
		        "`key reseal`, let the collector finish, or use --force to lose them\n", stale);
		return 1;
	}
	if (!(text = read_keys(cfgp->key_file, &len, &st)))
		return 1;
	if (!(out = sodium_malloc(len + 1)))
		abort();
	/* keyring_parse() takes key lines in order: the first one is the sealing key */
	keep = first_key_only(text, len, out, &dropped);
	if (!dropped) {
		printf("%s holds one key only: nothing to retire.\n", cfgp->key_file);
		rc = 0;
	} else if (!write_keys(cfgp->key_file, &st, out, keep, NULL, 0)) {
		char detail[64];
		snprintf(detail, sizeof(detail), "dropped=%d stale=%lu", dropped, stale);
		cli_audit(s, "cli.key.retire", "ok", detail);
		printf("%d older key%s removed: only key %d is left in %s; reload the collector and the web\n"
		       "tier on every node.%s\n", dropped, dropped == 1 ? "" : "s", first, cfgp->key_file,
		       stale ? " Values sealed with the old keys can no longer be opened." : "");
		rc = 0;
	}
	sodium_free(out);
	sodium_free(text);
	return rc;
}

int cli_key(const char *config, int argc, char **argv)
{
	struct cfg c;
	struct store *s = NULL;
	char err[512];
	const char *sub = argc > 1 ? argv[1] : "";
	int force = argc > 2 && !strcmp(argv[2], "--force"), rc;

	if (!config)
		return usage("needs -c FILE (or VCOMPANION_CONFIG)");
	if (strcmp(sub, "rotate") && strcmp(sub, "status") && strcmp(sub, "reseal") && strcmp(sub, "retire"))
		return usage("say rotate, status, reseal or retire");
	if (argc > 3 || (argc == 3 && !force))
		return usage("unexpected argument");
	if (cfg_load(&c, config, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!strcmp(sub, "rotate")) {
		rc = key_rotate(&c);
		cfg_free(&c);
		return rc;
	}
	if (!(s = store_open(&c, STORE_WEB, err, sizeof(err)))) {
		fprintf(stderr, "vcompanion key: %s\n", err);
		cfg_free(&c);
		return 1;
	}
	rc = !strcmp(sub, "status") ? key_status(s) : !strcmp(sub, "reseal") ? key_reseal(s)
	                                                                      : key_retire(&c, s, force);
	store_free(s);
	cfg_free(&c);
	return rc;
}
