/* The sealed Redis store (libvcstore): a connection as one ACL user, sealed
 * put/get, generation counters and pipelined batches. Not thread-safe: one
 * struct store per thread.
 *
 * Errors: functions return 0 (or a documented value) on success and -1 on failure,
 * leaving s->err (enum store_err) and s->errstr (fixed size, no allocation). A
 * connection error triggers a reconnect with backoff on the next call. A value that
 * fails to open is treated as missing: counted in s->tampered, logged once per key
 * name, never returned. Key schema: docs/architecture.md and store_key_*() below.
 * hiredis writes with plain write(2): a process using the store must ignore SIGPIPE,
 * or a Redis that went away kills it instead of returning STORE_ECONN. */
#ifndef VC_STORE_H
#define VC_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "cfg.h"
#include "seal.h"

enum store_role { STORE_COLLECTOR, STORE_WEB };

enum store_err {
	STORE_OK = 0,
	STORE_ECONN,      /* cannot reach Redis (down, refused, timeout) */
	STORE_EAUTH,      /* ACL user or password refused */
	STORE_EPERM,      /* NOPERM: the ACL user may not run that command on that key */
	STORE_EPROTO,     /* unexpected reply */
	STORE_ECONFIG,    /* password file or key file unusable */
	STORE_EFENCED,    /* a fenced batch was refused: the lease is no longer ours */
};

struct redisContext;
struct redisReply;

struct store {
	struct redisContext *rc;
	struct keyring *ring;
	enum store_role role;
	char *socket, *host;
	int port, timeout_ms;
	struct cfg_hostport *sentinels;  /* set: the master is found through these */
	size_t n_sentinels;
	size_t sentinel_first;     /* asked first: the last one that answered */
	char *master;              /* the name the sentinels monitor */
	char master_addr[80];      /* "host:port" of the master in use, "" before */
	char *user;
	char *password;            /* wiped on free */
	int backoff_ms;            /* grows on repeated connection failures */
	long long next_try_ms;     /* monotonic ms before which no reconnect is tried */
	unsigned long tampered;    /* values that failed to open */
	unsigned long reconnects;
	unsigned long connects;    /* every connection made: a transaction spanning two
	                              is broken (rekey.c checks it) */
	struct tamper_seen *seen;  /* key names already logged as tampered */
	enum store_err err;
	char errstr[128];
};

/* Connects as the role's ACL user from cfg (password file read now, key file
 * loaded now). Returns NULL with a message in err when the configuration cannot be
 * used; an unreachable Redis is not fatal here: the store connects lazily. */
struct store *store_open(const struct cfg *cfg, enum store_role role, char *err, size_t errlen);
/* Same with an explicit key ring (taken over) and connection parameters. */
struct store *store_open_with(const char *socket, const char *host, int port,
                              int timeout_ms, const char *user, const char *password,
                              struct keyring *ring, char *err, size_t errlen);
/* Finds the master through Redis Sentinel from now on: the sentinels (copied) are
 * asked in turn for master's address, the master's role is verified at every
 * connect, and a lost connection or a READONLY reply (a demoted master) makes the
 * next connect ask again. 0, or -1 on allocation failure. */
int store_use_sentinels(struct store *s, const struct cfg_hostport *sentinels, size_t n,
                        const char *master);
void store_free(struct store *s);
/* Returns 0 when connected (connecting if needed), -1 otherwise. */
int store_ping(struct store *s);

/* Seals and writes one value; ttl_s > 0 sets an expiry. */
int store_put(struct store *s, const char *key, const void *data, size_t len, int ttl_s);
/* Reads and opens one value. Returns 1 and sets *out (malloc'd, NUL-terminated,
 * caller frees) and *outlen when found; 0 when missing or tampered; -1 on error. */
int store_get(struct store *s, const char *key, char **out, size_t *outlen);
int store_del(struct store *s, const char *key);
/* Reads and opens n values in one MGET (keys of one vCenter share a Cluster slot):
 * fn(ctx, i, data, len) for each key in order, data NULL when missing or tampered
 * (data is borrowed for the call). Returns 0, or -1 on a Redis error (fn not called). */
int store_get_many(struct store *s, const char *const *keys, size_t n,
                   void (*fn)(void *ctx, size_t i, const char *data, size_t len), void *ctx);
/* Sets the TTL of an existing key (sliding sessions). */
int store_expire(struct store *s, const char *key, int ttl_s);

/* Plain (unsealed) string values (leases): 1 and the value in out (cut to n-1
 * bytes), 0 when missing, -1 on error. */
int store_get_plain(struct store *s, const char *key, char *out, size_t n);
/* Runs a Lua script (EVAL) over keys[0..nkeys) with args[0..nargs). An integer
 * reply goes to *out (nil or a status: 0). 0, or -1 on error. */
int store_eval(struct store *s, const char *script, int nkeys, const char *const *keys,
               int nargs, const char *const *args, long long *out);

/* Plain (unsealed) integer counters: generations, throttles. */
long long store_incr(struct store *s, const char *key, int ttl_s);
/* Returns the counter, 0 when missing, -1 on error. */
long long store_counter(struct store *s, const char *key);
/* Reads many counters in one round trip; missing ones are 0. Returns 0 or -1. */
int store_counters(struct store *s, const char *const *keys, size_t n, long long *out);
/* The same for keys[0..nc), and in the same round trip the sealed values of
 * keys[nc..n), each handed to fn as store_get_many() does (i counted from nc). */
int store_counters_get(struct store *s, const char *const *keys, size_t nc, long long *out,
                       size_t n, void (*fn)(void *ctx, size_t i, const char *data, size_t len),
                       void *ctx);

/* Sealed lists (audit log, event logs): each element sealed with the list's key
 * name as associated data. store_push appends and keeps the newest max_len. */
int store_push(struct store *s, const char *key, const void *data, size_t len, long max_len);
/* Calls fn for the elements start..stop (LRANGE indexes, -1 = last), oldest first;
 * elements that fail to open are skipped (counted as tampered). 0 or -1. */
int store_list(struct store *s, const char *key, long start, long stop,
               void (*fn)(void *ctx, const char *data, size_t len), void *ctx);

/* Pipelined writes: queue sealed puts, deletes and increments, send them at once,
 * wrapped in MULTI/EXEC so readers see all or nothing. store_batch_put seals a value
 * as it is (version 1); store_batch_put_packed compresses one of STORE_PACK_MIN
 * bytes or more before sealing it (seal_packed). Packing is the writer's choice, for
 * values that hold no secret: the collector's inventory, status and performance
 * records (docs/security.md). Settings, passwords, sessions, users and the audit
 * log are never packed. */
#define STORE_PACK_MIN 1024
struct store_batch;
struct store_batch *store_batch_new(struct store *s);
int store_batch_put(struct store_batch *b, const char *key, const void *data, size_t len, int ttl_s);
int store_batch_put_packed(struct store_batch *b, const char *key, const void *data, size_t len,
                           int ttl_s);
/* Puts n bytes that are one zstd frame already (seal_pack_end), sealed as packed. */
int store_batch_put_frame(struct store_batch *b, const char *key, const void *frame, size_t n,
                          int ttl_s);
int store_batch_del(struct store_batch *b, const char *key);
int store_batch_incr(struct store_batch *b, const char *key);
/* Fences the batch: exec WATCHes key and applies the batch only while key holds
 * value (a lease, lease.h); otherwise it fails with STORE_EFENCED and writes nothing.
 * key and value are copied. */
int store_batch_fence(struct store_batch *b, const char *key, const char *value);
/* Sends everything, frees the batch. Returns 0 when every command succeeded. */
int store_batch_exec(struct store_batch *b);
void store_batch_free(struct store_batch *b);

/* Key names. vcenter ids are validated by cfg_valid_id(); the braces are Redis
 * Cluster hash tags, so one vCenter's keys share a slot. */
void store_key_vc(char *out, size_t n, const char *vcenter, const char *type);   /* vc:{id}:type */
void store_key_gen(char *out, size_t n, const char *vcenter);                    /* vc:{id}:gen */

/* The record types kept per vCenter under vc:{id}:<type> (NULL-terminated list):
 * "status" is one object, the others are arrays of objects carrying at least
 * moref, name and vcenter. docs/architecture.md describes each. */
extern const char *const store_types[];
int store_type_valid(const char *type);

const char *store_strerror(enum store_err e);
/* True for a READONLY error reply: a replica (or a demoted master) answered. */
int store_is_readonly(const struct redisReply *r);

/* Replaces the key ring with key_file's (after a rotation: processes reload it on
 * SIGHUP). Returns 0, or -1 with a message in err and the old ring kept. */
int store_reload_keys(struct store *s, const char *key_file, char *err, size_t errlen);
/* For libvcstore's own modules (rekey.c): one raw command (argv form, one retry on a
 * fresh connection). The reply is the caller's (freeReplyObject); NULL on a
 * connection error. */
struct redisReply *store_command(struct store *s, int argc, const char **argv, const size_t *lens);
/* The same without the retry: for commands between WATCH and EXEC, which must not
 * run again on a fresh connection that has neither the WATCH nor the MULTI. */
struct redisReply *store_command_once(struct store *s, int argc, const char **argv, const size_t *lens);

#endif
