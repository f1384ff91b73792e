/* The configuration file (one JSON file, `-c FILE` for every program; schema in
 * docs/configuration.md). cfg_parse() has no I/O so it can be tested and fuzzed;
 * cfg_load() reads the file. Errors name the file, the JSON path and the fix. */
#ifndef VC_CFG_H
#define VC_CFG_H

#include <stdbool.h>
#include <stddef.h>

#define CFG_ID_MAX 32         /* vCenter ids: [a-z0-9_-]{1,32}, used in Redis keys */
#define CFG_INTERVAL_MIN 60
#define CFG_INTERVAL_MAX 600
#define CFG_SESSION_MIN 300
#define CFG_SESSION_MAX 7200
#define CFG_ELEVATE_MIN 5      /* web.elevate_timeout: seconds of elevated mode */
#define CFG_ELEVATE_MAX 900
#define CFG_LEASE_MIN 5000
#define CFG_LEASE_MAX 600000

struct cfg_vcenter {
	char id[CFG_ID_MAX + 1];
	char *name;            /* display name; defaults to id */
	char *url;             /* https://host[:port]/sdk */
	bool verify_tls;       /* default true */
	char *ca_file;         /* NULL: system CAs */
	char *fingerprint;     /* NULL or SHA-256 of the leaf certificate, hex with or without colons */
	int interval;          /* seconds, 60..600; default collector.interval */
	char *user;            /* service account */
	char *password_file;   /* file holding the service account's password */
	char **tags;           /* free-form labels (may be empty) */
	size_t n_tags;
};

/* A Redis Sentinel address from "host:port" (or "[v6addr]:port"). */
struct cfg_hostport {
	char *host;
	int port;
};

struct cfg_redis_user {
	char *user;
	char *password_file;
};

struct cfg {
	char *path;                     /* the file it came from, for messages */
	struct {
		char *socket;           /* unix socket path, or NULL when host/port */
		char *host;
		int port;
		/* Sentinel instead of socket/host: the sentinels asked in turn for the
		 * address of the master called `master` */
		struct cfg_hostport *sentinels;
		size_t n_sentinels;
		char *master;
		int timeout_ms;         /* connect and command timeout, default 2000 */
		struct cfg_redis_user collector, web;
	} redis;
	char *key_file;
	struct {
		char *listen;           /* "unix:/path" or "host:port" */
		int workers;            /* 1..256, default 4 */
		char *templates;        /* folder of *.mustache */
		char *static_dir;       /* folder nginx serves (for asset fingerprints), may be NULL */
		int session_timeout;    /* 300..7200, default 1800 */
		int elevate_timeout;    /* 5..900, default 300: elevated mode after a password re-check */
		char **admins;
		size_t n_admins;
		int max_body;           /* bytes, default 1 MiB */
	} web;
	struct {
		int concurrency;        /* 1..256, default 16 */
		int interval;           /* 60..600, default 120 */
		int timeout;            /* seconds per poll, 5..3600, default 30 */
		int page_size;          /* RetrievePropertiesEx maxObjects, 10..10000, default 1000 */
		int connections;        /* per vCenter during a full poll, 1..4, default 2 */
		bool incremental;       /* WaitForUpdatesEx between full retrievals, default true */
		int full_interval;      /* seconds between full retrievals, 300..86400, default 3600 */
		int lease_ms;           /* vCenter lease time, CFG_LEASE_MIN..MAX, default 30000 */
		bool perf;              /* performance history after each poll, default true */
	} collector;
	struct {
		char *level;            /* debug|info|warn|error, default info */
	} log;
	struct cfg_vcenter *vcenters;
	size_t n_vcenters;
};

/* Parses json (len bytes) read from `name`. On error returns -1 and writes a
 * message into err. On success *out owns everything; free with cfg_free(). */
int cfg_parse(struct cfg *out, const char *json, size_t len, const char *name,
              char *err, size_t errlen);
int cfg_load(struct cfg *out, const char *path, char *err, size_t errlen);
void cfg_free(struct cfg *c);
const struct cfg_vcenter *cfg_vcenter_find(const struct cfg *c, const char *id);
bool cfg_valid_id(const char *id);
/* True for a SHA-256 certificate fingerprint: 64 hex digits, colons allowed. */
bool cfg_valid_fingerprint(const char *fp);
/* Splits "host:port" or "[v6addr]:port" (port 1..65535) into out (host malloc'd).
 * Returns 0, or -1 when the text is not such an address. */
int cfg_parse_hostport(const char *text, struct cfg_hostport *out);
bool cfg_is_admin(const struct cfg *c, const char *user);

/* Reads a secret file (first line, trailing newline dropped) into a malloc'd,
 * NUL-terminated string; the caller wipes it (sodium_memzero) and frees it.
 * Returns NULL and fills err on failure; the message never contains the secret. */
char *cfg_read_secret(const char *path, char *err, size_t errlen);

#endif
