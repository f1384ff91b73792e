/* A bump allocator for everything one request owns: parsed parameters, cookies,
 * validated values, JSON text. Chunks come from malloc and are kept across
 * requests; arena_reset() makes them reusable in O(chunks), arena_free() returns
 * them. Allocation failure aborts, like buf.h. Not thread-safe. */
#ifndef VC_ARENA_H
#define VC_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;   /* chunk being filled */
	struct arena_chunk *spare;  /* chunks emptied by arena_reset() */
	size_t used;                /* bytes handed out since the last reset */
};

#define ARENA_INIT { NULL, NULL, 0 }

/* Returns n bytes aligned for any type, zeroed. Never NULL. */
void *arena_alloc(struct arena *a, size_t n);
/* Copies len bytes and adds a NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forgets every allocation but keeps one chunk for the next request; the freed
 * bytes are wiped, since requests carry passwords and tokens. */
void arena_reset(struct arena *a);
/* Frees everything; the arena may be reused afterwards. NULL is a no-op. */
void arena_free(struct arena *a);

#endif
