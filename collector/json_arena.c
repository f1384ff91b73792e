/* The chunked allocator behind jansson (json_arena.h).
 *
 * Chunks are CHUNK-aligned slices of one reserved range, so the chunk of any pointer
 * inside the range is its address rounded down. A chunk is some thread's current
 * chunk (its owner) or retired. While it is current, the owner counts what it cuts
 * and what it frees itself in plain fields (the common case: no atomic operation),
 * and other threads count their frees in the atomic `shared`; the owner rewinds the
 * chunk once everything cut was freed. On retirement the owner subtracts the values
 * still out from `shared`, which from then on counts up to zero as they are freed, on
 * any thread; whoever reaches zero puts the chunk on the free list. Under
 * AddressSanitizer, rewound and recycled bytes are poisoned, so a value used after its
 * chunk was reused is reported like any use after free. */
#include "json_arena.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK ((size_t)256 << 10)
#define RANGE ((size_t)1 << 30)       /* address space only: 4,096 chunks */
#define HEADER ((size_t)64)
#define LARGEST (CHUNK / 8)           /* bigger requests go to malloc */
#define KEEP_BACKED 32                /* recycled chunks beyond this give back their pages */

struct chunk {
	_Atomic(const void *) owner;      /* the owner's token, NULL once retired */
	size_t used;                      /* bytes from the chunk's start, header included */
	long cut, freed;                  /* owner only: values cut, and freed by the owner */
	atomic_long shared;               /* see the top of the file */
	struct chunk *next;               /* on the free list */
};

static char *range_lo, *range_hi;
static atomic_size_t range_next;      /* chunks cut so far */
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *free_list;
static size_t free_count;
static atomic_size_t n_recycled, n_rewinds, n_fallbacks;

static _Thread_local struct chunk *cur;
static _Thread_local int depth, suspended;
static _Thread_local char token;      /* its address names the thread */
static pthread_key_t exit_key;        /* retires a thread's chunk when it ends */

static struct chunk *chunk_of(const void *p)
{
	return (struct chunk *)((uintptr_t)p & ~(uintptr_t)(CHUNK - 1));
}

static bool in_range(const void *p)
{
	return (const char *)p >= range_lo && (const char *)p < range_hi;
}

static void recycle(struct chunk *c)
{
	POISON((char *)c + HEADER, c->used - HEADER);
	pthread_mutex_lock(&free_lock);
	if (++free_count > KEEP_BACKED)
		madvise((char *)c + 4096, CHUNK - 4096, MADV_DONTNEED);
	c->next = free_list;
	free_list = c;
	pthread_mutex_unlock(&free_lock);
	atomic_fetch_add_explicit(&n_recycled, 1, memory_order_relaxed);
}

/* The owner lets go of its current chunk: `shared` becomes minus the values still
 * out, and counts up to zero as they are freed. */
static void retire(struct chunk *c)
{
	long out;

	atomic_store_explicit(&c->owner, NULL, memory_order_release);
	out = c->cut - c->freed;
	if (atomic_fetch_sub_explicit(&c->shared, out, memory_order_acq_rel) == out)
		recycle(c);
}

static void thread_done(void *unused)
{
	if (cur) {
		retire(cur);
		cur = NULL;
	}
}

static struct chunk *take_chunk(void)
{
	struct chunk *c;
	size_t i;

	pthread_mutex_lock(&free_lock);
	c = free_list;
	if (c) {
		free_list = c->next;
		free_count--;
	}
	pthread_mutex_unlock(&free_lock);
	if (!c) {
		i = atomic_fetch_add_explicit(&range_next, 1, memory_order_relaxed);
		if (i >= RANGE / CHUNK)
			return NULL;
		c = (struct chunk *)(range_lo + i * CHUNK);
		POISON((char *)c + HEADER, CHUNK - HEADER);
	}
	atomic_store_explicit(&c->shared, 0, memory_order_relaxed);
	atomic_store_explicit(&c->owner, &token, memory_order_relaxed);
	c->used = HEADER;
	c->cut = c->freed = 0;
	c->next = NULL;
	pthread_setspecific(exit_key, c);   /* non-NULL: thread_done runs at exit */
	return c;
}

static void *arena_malloc(size_t n)
{
	struct chunk *c = cur;
	void *p;

	if (!depth || suspended)
		return malloc(n);
	n = (n + 15) & ~(size_t)15;
	if (n > LARGEST || n == 0)
		goto fallback;
	if (!c || c->used + n > CHUNK) {
		if (c)
			retire(c);
		cur = c = take_chunk();
		if (!c)
			goto fallback;
	}
	p = (char *)c + c->used;
	c->used += n;
	c->cut++;
	UNPOISON(p, n);
	return p;
fallback:
	atomic_fetch_add_explicit(&n_fallbacks, 1, memory_order_relaxed);
	return malloc(n);
}

static void arena_free(void *p)
{
	struct chunk *c;

	if (!in_range(p)) {
		free(p);
		return;
	}
	c = chunk_of(p);
	if (atomic_load_explicit(&c->owner, memory_order_relaxed) != &token) {
		if (atomic_fetch_add_explicit(&c->shared, 1, memory_order_acq_rel) == -1)
			recycle(c);             /* retired, and this was its last value */
		return;
	}
	if (++c->freed == c->cut - atomic_load_explicit(&c->shared, memory_order_acquire)) {
		POISON((char *)c + HEADER, c->used - HEADER);
		c->used = HEADER;           /* nothing in it can be reached any more */
		c->cut = c->freed = 0;
		atomic_store_explicit(&c->shared, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&n_rewinds, 1, memory_order_relaxed);
	}
}

int json_arena_install(void)
{
	char *m;

	if (range_lo)
		return 0;
	if (pthread_key_create(&exit_key, thread_done))
		return -1;
	m = mmap(NULL, RANGE + CHUNK, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	range_lo = (char *)(((uintptr_t)m + CHUNK - 1) & ~(uintptr_t)(CHUNK - 1));
	range_hi = range_lo + RANGE;
	/* a chunk's first touch then maps a 2 MB page (shared by eight chunks) rather
	 * than faulting 64 small ones; only a hint */
	madvise(range_lo, RANGE, MADV_HUGEPAGE);
	json_set_alloc_funcs(arena_malloc, arena_free);
	return 0;
}

bool json_arena_installed(void)
{
	return range_lo != NULL;
}

bool json_arena_owns(const void *p)
{
	return range_lo && in_range(p);
}

void json_arena_enter(void)
{
	depth++;
}

void json_arena_leave(void)
{
	if (depth > 0)
		depth--;
}

int json_arena_suspend(void)
{
	int was = suspended;

	suspended = 1;
	return was;
}

void json_arena_resume(int was)
{
	suspended = was;
}

void json_arena_stats(struct json_arena_stats *out)
{
	out->chunks = atomic_load(&range_next);
	if (out->chunks > RANGE / CHUNK)
		out->chunks = RANGE / CHUNK;
	out->recycled = atomic_load(&n_recycled);
	out->rewinds = atomic_load(&n_rewinds);
	out->fallbacks = atomic_load(&n_fallbacks);
}
