/* json_arena: jansson's allocator for short-lived values. A full poll turns each VM's
 * answer (some 12 KB of XML) into a few hundred jansson values, builds the record from
 * them and frees them all again before the next VM: a malloc and a free each, about
 * three million per 5,000 VMs. Between json_arena_enter() and json_arena_leave() a
 * thread's jansson allocations are instead cut from its current 256 KB chunk; a chunk
 * counts its live values, and when the last one is freed it is reused from its start,
 * so one VM after another is built in the same few cache-warm kilobytes.
 *
 * Freeing stays jansson's: json_decref() works anywhere, on any thread, whether or not
 * the value came from a chunk (chunks lie in one reserved address range, so a pointer
 * says where it came from). A value that outlives its scope is safe; it only keeps
 * its chunk from being reused until it is freed, so callers copy what they keep
 * (json_arena_suspend()). Nothing changes until json_arena_install() is called. */
#ifndef VC_JSON_ARENA_H
#define VC_JSON_ARENA_H

#include <stdbool.h>
#include <stddef.h>

/* Makes jansson allocate through the arena; once, before any thread starts (values
 * allocated earlier are freed correctly too). Returns 0, or -1 when the address range
 * cannot be reserved (jansson then keeps plain malloc). */
int json_arena_install(void);
/* Whether json_arena_install() succeeded. */
bool json_arena_installed(void);

/* Scopes on the calling thread; they nest. */
void json_arena_enter(void);
void json_arena_leave(void);
/* Inside a scope: allocations go to malloc again until json_arena_resume(), for
 * values that must outlive the scope. Returns what json_arena_resume() takes. */
int json_arena_suspend(void);
void json_arena_resume(int was);

/* Whether p lies in a chunk (was allocated inside a scope). */
bool json_arena_owns(const void *p);

/* Counters for tests and benchmarks, process-wide. */
struct json_arena_stats {
	size_t chunks;          /* chunks ever cut from the reserved range */
	size_t recycled;        /* chunks handed back after their last value died */
	size_t rewinds;         /* current chunks reused from their start */
	size_t fallbacks;       /* allocations inside a scope that went to malloc */
};
void json_arena_stats(struct json_arena_stats *out);

#endif
