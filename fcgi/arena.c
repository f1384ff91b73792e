/* Request arena (see arena.h): a list of malloc'd chunks filled front to back.
 * Large allocations get a chunk of their own so small ones do not waste space. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define ARENA_CHUNK 16384
#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t cap, off;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

static struct arena_chunk *chunk_new(size_t cap)
{
	struct arena_chunk *c = malloc(sizeof(*c) + cap);

	if (!c)
		abort();
	c->next = NULL;
	c->cap = cap;
	c->off = 0;
	return c;
}

static struct arena_chunk *chunk_for(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;

	if (c && c->cap - c->off >= n)
		return c;
	if (a->spare && a->spare->cap >= n) {
		c = a->spare;
		a->spare = c->next;
	} else {
		c = chunk_new(n > ARENA_CHUNK ? n : ARENA_CHUNK);
	}
	c->next = a->head;
	a->head = c;
	return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	void *p;

	if (n > SIZE_MAX / 2)
		abort();
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (n == 0)
		n = ARENA_ALIGN;
	c = chunk_for(a, n);
	p = c->data + c->off;
	c->off += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return arena_strdup(a, "");
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		sodium_memzero(c->data, c->off);
		c->off = 0;
		if (c->cap == ARENA_CHUNK && !a->spare) {
			c->next = NULL;
			a->spare = c;
		} else {
			free(c);
		}
	}
	a->head = NULL;
	a->used = 0;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	arena_reset(a);
	free(a->spare);
	a->spare = NULL;
}
