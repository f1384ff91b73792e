/* Pipelined, atomic batches of store writes (see store.h). Operations are sealed
 * and kept in memory until exec, then sent in one MULTI ... EXEC round trip, so a
 * vCenter's snapshots, status and generation change together for readers and a
 * batch interrupted by a lost connection can be sent again whole. A fenced batch
 * (a vCenter's lease, lease.h) WATCHes the lease and checks its value first: EXEC
 * then applies nothing when the lease changed in between. */
#include "store.h"
#include "log.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

enum op_kind { OP_SET, OP_DEL, OP_INCR };

struct batch_op {
	enum op_kind kind;
	char *key;
	uint8_t *val;     /* sealed, OP_SET only */
	size_t len;
	int ttl_s;
};

struct store_batch {
	struct store *s;
	struct batch_op *ops;
	size_t n, cap;
	int failed;
	char *fence_key, *fence_value;  /* NULL: not fenced */
};

#define FENCE_TRIES 3   /* our own renewal also touches a watched lease: try again */

struct store_batch *store_batch_new(struct store *s)
{
	struct store_batch *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	b->s = s;
	return b;
}

static struct batch_op *push(struct store_batch *b, enum op_kind kind, const char *key)
{
	struct batch_op *op;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->ops = realloc(b->ops, b->cap * sizeof(*b->ops));
		if (!b->ops)
			abort();
	}
	op = &b->ops[b->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->key = strdup(key);
	return op;
}

/* Queues a SET of a sealed value (taken over), or fails the batch for NULL. */
static int push_sealed(struct store_batch *b, const char *key, uint8_t *sealed, size_t slen,
                       int ttl_s)
{
	struct batch_op *op;

	if (!sealed) {
		b->failed = 1;
		return -1;
	}
	op = push(b, OP_SET, key);
	op->val = sealed;
	op->len = slen;
	op->ttl_s = ttl_s;
	return 0;
}

int store_batch_put_frame(struct store_batch *b, const char *key, const void *frame, size_t n,
                          int ttl_s)
{
	size_t slen = 0;
	uint8_t *sealed = seal_frame(b->s->ring, key, frame, n, &slen);

	return push_sealed(b, key, sealed, slen, ttl_s);
}

int store_batch_put(struct store_batch *b, const char *key, const void *data, size_t len, int ttl_s)
{
	size_t slen = 0;
	uint8_t *sealed = seal_alloc(b->s->ring, key, data, len, &slen);

	return push_sealed(b, key, sealed, slen, ttl_s);
}

int store_batch_put_packed(struct store_batch *b, const char *key, const void *data, size_t len,
                           int ttl_s)
{
	size_t slen = 0;
	uint8_t *sealed;

	if (len < STORE_PACK_MIN)
		return store_batch_put(b, key, data, len, ttl_s);
	sealed = seal_packed(b->s->ring, key, data, len, &slen);
	return push_sealed(b, key, sealed, slen, ttl_s);
}

int store_batch_del(struct store_batch *b, const char *key)
{
	push(b, OP_DEL, key);
	return 0;
}

int store_batch_incr(struct store_batch *b, const char *key)
{
	push(b, OP_INCR, key);
	return 0;
}

int store_batch_fence(struct store_batch *b, const char *key, const char *value)
{
	free(b->fence_key);
	free(b->fence_value);
	b->fence_key = strdup(key);
	b->fence_value = strdup(value);
	if (!b->fence_key || !b->fence_value)
		abort();
	return 0;
}

/* WATCH the fence key and compare its value. 0 when it holds ours, -1 when not
 * (UNWATCHed, s->err STORE_EFENCED) or on an error reply, -2 on a lost connection. */
static int check_fence(struct store_batch *b)
{
	struct store *s = b->s;
	redisReply *w = redisCommand(s->rc, "WATCH %s", b->fence_key);
	redisReply *r = w && w->type == REDIS_REPLY_STATUS ? redisCommand(s->rc, "GET %s", b->fence_key) : NULL;
	int rc = -1;

	if (!w || (w->type == REDIS_REPLY_STATUS && !r)) {
		rc = -2;
	} else if (!r || r->type == REDIS_REPLY_ERROR) {
		const redisReply *e = r ? r : w;
		s->err = e->type == REDIS_REPLY_ERROR && !strncmp(e->str, "NOPERM", 6) ? STORE_EPERM : STORE_EPROTO;
		snprintf(s->errstr, sizeof(s->errstr), "WATCH/GET %s: %s", b->fence_key,
		         e->type == REDIS_REPLY_ERROR ? e->str : "unexpected reply");
	} else if (r->type == REDIS_REPLY_STRING && !strcmp(r->str, b->fence_value)) {
		rc = 0;
	} else {
		s->err = STORE_EFENCED;
		snprintf(s->errstr, sizeof(s->errstr), "lease %s is no longer ours (%s)", b->fence_key,
		         r->type == REDIS_REPLY_NIL ? "expired" : "another holder");
	}
	if (w)
		freeReplyObject(w);
	if (r)
		freeReplyObject(r);
	if (rc == -1 && w)
		freeReplyObject(redisCommand(s->rc, "UNWATCH"));
	return rc;
}

/* Values from this size on skip hiredis' output buffer (see send_big_set). */
#define DIRECT_MIN (64u << 10)

/* Writes every byte of iov (blocking socket); -1 on an error or the socket timeout,
 * after which the connection is out of step and must be dropped. */
static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* A large SET goes to the socket from the sealed value itself: hiredis would copy
 * it twice (formatting the command, then into its output buffer), faulting in
 * fresh pages for both — about 15 MB and a noticeable share of a 5,000-VM poll's
 * write. What hiredis holds is flushed first, so the commands keep their order;
 * the replies are read through hiredis as usual. 0, or -1 (connection unusable). */
static int send_big_set(redisContext *rc, const struct batch_op *op)
{
	char head[64], mid[32], tail[64];
	size_t klen = strlen(op->key);
	int done = 0, tn = 2;

	while (!done)
		if (redisBufferWrite(rc, &done) != REDIS_OK)
			return -1;
	memcpy(tail, "\r\n", 2);
	if (op->ttl_s > 0) {
		char ttl[24];
		int n = snprintf(ttl, sizeof(ttl), "%d", op->ttl_s);
		tn += snprintf(tail + 2, sizeof(tail) - 2, "$2\r\nEX\r\n$%d\r\n%s\r\n", n, ttl);
	}
	struct iovec iov[5] = {
		{ head, (size_t)snprintf(head, sizeof(head), "*%d\r\n$3\r\nSET\r\n$%zu\r\n",
		                         op->ttl_s > 0 ? 5 : 3, klen) },
		{ op->key, klen },
		{ mid, (size_t)snprintf(mid, sizeof(mid), "\r\n$%zu\r\n", op->len) },
		{ op->val, op->len },
		{ tail, (size_t)tn },
	};
	return write_all(rc->fd, iov, 5);
}

/* Queues op on rc (a large SET is written at once, send_big_set). 0, or -1 when
 * the connection broke under a direct write. */
static int append_op(redisContext *rc, const struct batch_op *op)
{
	char ttl[24];
	const char *argv[5] = { "SET", op->key, (const char *)op->val, "EX", ttl };
	size_t lens[5] = { 3, strlen(op->key), op->len, 2, 0 };

	switch (op->kind) {
	case OP_SET:
		if (op->len >= DIRECT_MIN)
			return send_big_set(rc, op);
		lens[4] = (size_t)snprintf(ttl, sizeof(ttl), "%d", op->ttl_s);
		redisAppendCommandArgv(rc, op->ttl_s > 0 ? 5 : 3, argv, lens);
		break;
	case OP_DEL:
		redisAppendCommand(rc, "DEL %s", op->key);
		break;
	case OP_INCR:
		redisAppendCommand(rc, "INCR %s", op->key);
		break;
	}
	return 0;
}

/* Reads the MULTI, QUEUED... and EXEC replies. Returns 0, -1 on an error reply,
 * -2 on a lost connection or a READONLY reply (the batch may be sent again, after
 * a reconnect that finds the master), -3 when EXEC found a watched key changed. */
static int read_replies(struct store_batch *b)
{
	struct store *s = b->s;
	int rc = 0;

	for (size_t i = 0; i < b->n + 2; i++) {
		redisReply *r = NULL;
		if (redisGetReply(s->rc, (void **)&r) != REDIS_OK)
			return -2;
		if (store_is_readonly(r)) {
			rc = -2;
		} else if (i == b->n + 1 && r->type == REDIS_REPLY_NIL && b->fence_key && rc == 0) {
			rc = -3;
		} else if (r->type == REDIS_REPLY_ERROR && rc == 0) {
			s->err = strncmp(r->str, "NOPERM", 6) ? STORE_EPROTO : STORE_EPERM;
			snprintf(s->errstr, sizeof(s->errstr), "%s", r->str);
			rc = -1;
		} else if (i == b->n + 1 && r->type != REDIS_REPLY_ARRAY && rc == 0) {
			s->err = STORE_EPROTO;
			snprintf(s->errstr, sizeof(s->errstr), "batch aborted by Redis (EXEC)");
			rc = -1;
		}
		freeReplyObject(r);
	}
	return rc;
}

/* One attempt: fence check, MULTI, the operations, EXEC (see read_replies). */
static int send_once(struct store_batch *b)
{
	struct store *s = b->s;
	int rc;

	if (b->fence_key && (rc = check_fence(b)) != 0)
		return rc;
	redisAppendCommand(s->rc, "MULTI");
	for (size_t i = 0; i < b->n; i++)
		if (append_op(s->rc, &b->ops[i]))
			return -2;
	redisAppendCommand(s->rc, "EXEC");
	return read_replies(b);
}

int store_batch_exec(struct store_batch *b)
{
	struct store *s = b->s;
	int rc = -1, lost = 0, watched = 0;

	if (b->failed || b->n == 0) {
		rc = b->failed ? -1 : 0;
		store_batch_free(b);
		return rc;
	}
	while (rc != 0 && lost < 2 && watched < FENCE_TRIES) {
		if (store_ping(s))
			break;
		rc = send_once(b);
		if (rc == -1)
			break;
		if (rc == -3) {
			watched++;
			s->err = STORE_EFENCED;
			snprintf(s->errstr, sizeof(s->errstr), "lease %s changed during the write", b->fence_key);
		} else if (rc == -2) {
			lost++;
			log_warn("store.batch_retry", "ops=%zu", b->n);
			redisFree(s->rc);
			s->rc = NULL;
			s->err = STORE_ECONN;
			snprintf(s->errstr, sizeof(s->errstr), "Redis connection lost during a batch");
		}
	}
	store_batch_free(b);
	return rc == 0 ? 0 : -1;
}

void store_batch_free(struct store_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->ops[i].key);
		free(b->ops[i].val);
	}
	free(b->ops);
	free(b->fence_key);
	free(b->fence_value);
	free(b);
}
