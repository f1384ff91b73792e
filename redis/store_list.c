/* Sealed Redis lists (see store.h): append-and-trim for logs with retention by
 * count, and range reads that open every element. */
#include "store.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_push(struct store *s, const char *key, const void *data, size_t len, long max_len)
{
	size_t slen = 0;
	uint8_t *sealed = seal_alloc(s->ring, key, data, len, &slen);
	char keep[24];
	redisReply *r;
	int rc = -1;

	if (!sealed || store_ping(s)) {
		free(sealed);
		return -1;
	}
	snprintf(keep, sizeof(keep), "%ld", -max_len);
	redisAppendCommand(s->rc, "RPUSH %s %b", key, sealed, slen);
	redisAppendCommand(s->rc, "LTRIM %s %s -1", key, keep);
	free(sealed);
	for (int i = 0; i < 2; i++) {
		r = NULL;
		if (redisGetReply(s->rc, (void **)&r) != REDIS_OK) {
			s->err = STORE_ECONN;
			snprintf(s->errstr, sizeof(s->errstr), "Redis connection lost");
			redisFree(s->rc);
			s->rc = NULL;
			return -1;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			s->err = strncmp(r->str, "NOPERM", 6) ? STORE_EPROTO : STORE_EPERM;
			snprintf(s->errstr, sizeof(s->errstr), "%s", r->str);
		} else if (i == 1) {
			rc = 0;
		}
		freeReplyObject(r);
	}
	return rc;
}

int store_list(struct store *s, const char *key, long start, long stop,
               void (*fn)(void *ctx, const char *data, size_t len), void *ctx)
{
	redisReply *r;
	char *plain;

	if (store_ping(s))
		return -1;
	r = redisCommand(s->rc, "LRANGE %s %ld %ld", key, start, stop);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		s->err = r ? STORE_EPERM : STORE_ECONN;
		snprintf(s->errstr, sizeof(s->errstr), "%s", r && r->type == REDIS_REPLY_ERROR ? r->str : "LRANGE failed");
		if (r)
			freeReplyObject(r);
		return -1;
	}
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *e = r->element[i];
		size_t n;

		if (e->type != REDIS_REPLY_STRING ||
		    seal_open_alloc(s->ring, key, (const uint8_t *)e->str, e->len, SEAL_MAX_PLAIN,
		                    &plain, &n, NULL)) {
			s->tampered++;
			continue;
		}
		fn(ctx, plain, n);
		free(plain);
	}
	freeReplyObject(r);
	return 0;
}
