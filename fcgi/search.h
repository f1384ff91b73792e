/* The search engine behind inv_search() (page_search.c): a per-(vCenter, type)
 * index of lowercased names, DNS names and IPs, and the scoring of one query
 * against it. No I/O: the index is built from the records of a view entry and is
 * unit-tested and benchmarked on its own (tests/unit/test-search.c,
 * tests/bench/bench-search.c). docs/pages.md "Search" gives the ranking. */
#ifndef VC_SEARCH_H
#define VC_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct inv_hit;             /* scope.h */

#define SEARCH_MAX_Q 64        /* bytes of the query that are scored */

/* What a store type's records offer to search. */
struct search_kind {
	const char *type;          /* store type: "vm", "host", "vmk", "datastore", "network" */
	const char *kind;          /* hit kind */
	bool ip_only;              /* vmk: its IP finds the host, its name finds nothing */
};

/* The store types search reads, in the order they are scored. */
extern const struct search_kind search_kinds[];
extern const size_t search_n_kinds;

/* A query, trimmed, cut to SEARCH_MAX_Q bytes and lowercased; on the stack. */
struct search_query {
	char q[SEARCH_MAX_Q + 1];
	size_t len;
	uint64_t mask;             /* character classes of q */
	bool ipish;                /* only digits, dots, colons and hex: worth trying IPs */
	int max_edits;             /* typos allowed: 0 below 4 bytes, 1 below 7, else 2 */
	uint64_t peq[256];         /* Myers: bit i set when q[i] is that byte */
};

void search_query_init(struct search_query *sq, const char *q);

/* The best hits of a search so far: a min-heap of up to max hits (worst on top)
 * over the caller's array, and how many keys matched in all. */
struct search_top {
	struct inv_hit *hits;
	size_t n, max, total;
};

struct search_index;

/* Builds the index of records (a JSON array of one store type) for sk. The index
 * borrows records and sk: both must outlive it. Never NULL (allocation failure
 * aborts). Free with search_index_free(); NULL is a no-op. */
struct search_index *search_index_build(const json_t *records, const struct search_kind *sk);
void search_index_free(struct search_index *ix);
/* Heap bytes the index holds beyond the records it borrows. */
size_t search_index_bytes(const struct search_index *ix);
/* Keys in the index. */
size_t search_index_keys(const struct search_index *ix);

/* Scores sq against ix and pushes every match into top, as hits of vCenter #src
 * (hit.vcenter and hit.vcenter_name stay NULL for the caller to fill). With
 * scan_all every key is scored; otherwise only the candidates the index lets
 * through, which gives the same hits and total (the bounds are in search.c).
 * ix keeps per-query scratch space: one query at a time per index (workers are
 * single-threaded processes). */
void search_run(struct search_index *ix, const struct search_query *sq, unsigned src,
                bool scan_all, struct search_top *top);
/* Sorts top's hits best first. */
void search_top_sort(struct search_top *top);

#endif
