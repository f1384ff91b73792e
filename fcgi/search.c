/* The search engine: per (vCenter, type, generation) an index of prebuilt keys
 * (lowercased name, DNS name and IPs, and a 64-bit mask of the character classes of
 * the name), and the scoring of a query. A key scores exact, prefix and substring
 * matches on names, exact and prefix matches on IPs, DNS names, then subsequences
 * ("prdweb" finds "prod-web-01") and, for queries of 4+ characters, typos by edit
 * distance against the best substring (Sellers, in Myers' bit-parallel form).
 *
 * So that a query does not score every key, the index also holds:
 * - bigram posting lists: for each pair of adjacent character classes (64 classes,
 *   4,096 buckets), the keys whose name or DNS name holds that pair;
 * - the name masks in one array, for a fast scan;
 * - every IP with its key, sorted, for prefix lookups by binary search.
 * A query of m >= 2 bytes has m - 1 bigram positions. Matching q to a substring of
 * a name with k edits breaks at most 2 positions per edit (a substitution or a
 * deletion of q[i] breaks the pairs on both sides of i, an insertion one pair), so
 * a name within k edits of q holds at least t = m - 1 - 2k of q's bigrams; a name
 * or DNS name containing q holds all m - 1. With k = max_edits (0 for IP-like
 * queries, which skip typos) t >= 1 for every m >= 2, and counting the posting
 * lists of q's bigram positions finds every key that can score by name, DNS or
 * typo, and only keys holding all m - 1 can contain q (the others skip the
 * containment checks). Subsequences are the exception (they keep no pair): a key
 * below t is still tried for one when its name mask holds every class of q. IP
 * matches come from the sorted IPs. A one-byte query matches only names holding its
 * class (masks) or IPs.
 * Keys outside these sets score 0 under the full scorer, so the hits and the total
 * are those of scoring every key, which search_run(scan_all) still does for tests.
 * Names that differ by a byte or two (the simulator's) defeat the bigram bound for
 * partial words: most keys then need the subsequence and edit-distance step. The
 * index keeps the keys in name order with each name's common prefix with the one
 * before, and when many keys need that step it runs in name order, resuming each
 * name from the state of its shared prefix (see "loose scores along shared
 * prefixes"); the scores are the same, only computed once per prefix. */
#include "scope.h"
#include "search.h"
#include "arena.h"
#include "table.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const struct search_kind search_kinds[] = {
	{ "vm", "vm", false },
	{ "host", "host", false },
	{ "vmk", "host", true },
	{ "datastore", "datastore", false },
	{ "network", "network", false },
};
const size_t search_n_kinds = sizeof(search_kinds) / sizeof(search_kinds[0]);

#define GRAM_CLASSES 64
#define GRAM_BUCKETS (GRAM_CLASSES * GRAM_CLASSES)
#define LOOSE_DEPTH 63         /* longest name whose loose scoring shares prefixes */
#define BY_NAME_SHARE 4        /* ... done when 1 key in this many needs it, or more */

struct skey {
	const json_t *rec;
	const char *disp_name, *moref, *ip, *sub;   /* what a hit shows, borrowed from rec */
	const char *name;          /* lowercased; "" for ip_only */
	const char *dns;           /* lowercased or "" */
	const char **ips;          /* NULL-terminated, borrowed from rec */
	uint64_t mask;
	unsigned short name_len;
	unsigned pos;
};

/* An address of a key, for the sorted prefix lookup. */
struct ipref {
	const char *ip;            /* borrowed from the record */
	uint32_t key;
};

struct search_index {
	const struct search_kind *sk;
	struct skey *keys;
	size_t n;
	uint64_t *masks;           /* keys[i].mask, contiguous for the scan */
	uint32_t *gram_start;      /* GRAM_BUCKETS + 1 offsets into post */
	uint32_t *post;            /* per bucket, ascending key numbers */
	struct ipref *ips;         /* sorted by strcmp */
	size_t n_ips;
	uint8_t *count;            /* per query: q's bigram positions each key holds */
	uint32_t *by_name;         /* key numbers in name order, for shared prefixes */
	uint8_t *lcp;              /* bytes by_name[r]'s name shares with by_name[r - 1]'s */
	uint8_t *step;             /* per query: the loose step of each key scored by name order */
	int16_t *loose;            /* per query: that step's score (fuzzy negated) */
	struct arena strings;
};

/* ---- character classes ---- */

static uint64_t char_bit(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return 1ull << (c - 'a');
	if (c >= '0' && c <= '9')
		return 1ull << (26 + c - '0');
	return c == '-' || c == '_' || c == '.' ? 1ull << 36 : 1ull << 37;
}

static uint64_t mask_of(const char *s)
{
	uint64_t m = 0;

	for (; *s; s++)
		m |= char_bit((unsigned char)*s);
	return m;
}

/* The class of a byte for bigrams: finer than char_bit (separators apart), and
 * bytes outside [a-z0-9 -_.] share 24 classes; sharing only adds candidates. */
static unsigned gram_class(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '0' && c <= '9')
		return 26 + (c - '0');
	switch (c) {
	case '-': return 36;
	case '_': return 37;
	case '.': return 38;
	case ' ': return 39;
	default: return 40 + c % 24;
	}
}

static unsigned gram_bucket(const char *s)
{
	return gram_class((unsigned char)s[0]) * GRAM_CLASSES + gram_class((unsigned char)s[1]);
}

/* ---- building ---- */

static const char **ips_of(struct arena *a, const json_t *rec)
{
	const json_t *list = json_object_get(rec, "ips"), *v;
	const char *primary = json_string_value(json_object_get(rec, "ip"));
	size_t n = json_array_size(list), k = 0, i;
	const char **out = arena_alloc(a, (n + 2) * sizeof(*out));

	if (primary && *primary)
		out[k++] = primary;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && (!primary || strcmp(primary, json_string_value(v))))
			out[k++] = json_string_value(v);
	return out;
}

static void key_display(struct skey *k, const struct search_kind *sk)
{
	const json_t *rec = k->rec;

	if (sk->ip_only) {                       /* a vmk: the hit is its host */
		k->disp_name = tbl_str(rec, "host_name");
		k->moref = tbl_str(rec, "host");
		k->sub = tbl_str(rec, "name");
		k->ip = k->ips[0];
		return;
	}
	k->disp_name = tbl_str(rec, "name");
	k->moref = tbl_str(rec, "moref");
	k->ip = json_string_value(json_object_get(rec, "ip"));
	k->sub = !strcmp(sk->kind, "vm") ? tbl_str(rec, "guest_os")
	       : !strcmp(sk->kind, "host") ? tbl_str(rec, "version")
	       : !strcmp(sk->kind, "datastore") ? tbl_str(rec, "type") : tbl_str(rec, "kind");
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

/* Calls fn for each bucket of the bigrams of key i's name and DNS name, once per
 * bucket (seen[] remembers the last key that marked a bucket, as i + 1). */
static void key_grams(const struct skey *k, uint32_t i, uint32_t *seen,
                      void (*fn)(struct search_index *, unsigned, uint32_t), struct search_index *ix)
{
	const char *strs[2] = { k->name, k->dns };

	for (size_t s = 0; s < 2; s++)
		for (const char *p = strs[s]; p[0] && p[1]; p++) {
			unsigned b = gram_bucket(p);
			if (seen[b] == i + 1)
				continue;
			seen[b] = i + 1;
			fn(ix, b, i);
		}
}

static void gram_count(struct search_index *ix, unsigned b, uint32_t i)
{
	(void)i;
	ix->gram_start[b + 1]++;
}

static void gram_place(struct search_index *ix, unsigned b, uint32_t i)
{
	ix->post[ix->gram_start[b]++] = i;
}

/* Two passes over the keys: count per bucket, then place; gram_start ends up
 * shifted by one bucket during placing and is shifted back. */
static void build_grams(struct search_index *ix)
{
	uint32_t *seen = xcalloc(GRAM_BUCKETS, sizeof(*seen));

	ix->gram_start = xcalloc(GRAM_BUCKETS + 1, sizeof(*ix->gram_start));
	for (uint32_t i = 0; i < ix->n; i++)
		key_grams(&ix->keys[i], i, seen, gram_count, ix);
	for (size_t b = 0; b < GRAM_BUCKETS; b++)
		ix->gram_start[b + 1] += ix->gram_start[b];
	ix->post = xcalloc(ix->gram_start[GRAM_BUCKETS], sizeof(*ix->post));
	memset(seen, 0, GRAM_BUCKETS * sizeof(*seen));
	for (uint32_t i = 0; i < ix->n; i++)
		key_grams(&ix->keys[i], i, seen, gram_place, ix);
	memmove(ix->gram_start + 1, ix->gram_start, GRAM_BUCKETS * sizeof(*ix->gram_start));
	ix->gram_start[0] = 0;
	free(seen);
}

static int ipref_cmp(const void *pa, const void *pb)
{
	const struct ipref *a = pa, *b = pb;

	return strcmp(a->ip, b->ip);
}

static void build_ips(struct search_index *ix)
{
	size_t n = 0;

	for (size_t i = 0; i < ix->n; i++)
		for (const char **ip = ix->keys[i].ips; *ip; ip++)
			n++;
	ix->ips = xcalloc(n, sizeof(*ix->ips));
	for (size_t i = 0; i < ix->n; i++)
		for (const char **ip = ix->keys[i].ips; *ip; ip++)
			ix->ips[ix->n_ips++] = (struct ipref){ *ip, (uint32_t)i };
	qsort(ix->ips, ix->n_ips, sizeof(*ix->ips), ipref_cmp);
}

/* A name and its key, for sorting names. */
struct nameref {
	const char *name;
	uint32_t key;
};

static int nameref_cmp(const void *pa, const void *pb)
{
	const struct nameref *a = pa, *b = pb;

	return strcmp(a->name, b->name);
}

/* The keys in name order and what each name shares with the one before it (capped
 * at LOOSE_DEPTH, past which names are scored alone): the loose scoring resumes
 * from the shared prefix instead of starting every name afresh. */
static void build_name_order(struct search_index *ix)
{
	struct nameref *refs = xcalloc(ix->n, sizeof(*refs));

	for (size_t i = 0; i < ix->n; i++)
		refs[i] = (struct nameref){ ix->keys[i].name, (uint32_t)i };
	qsort(refs, ix->n, sizeof(*refs), nameref_cmp);
	ix->by_name = xcalloc(ix->n, sizeof(*ix->by_name));
	ix->lcp = xcalloc(ix->n, sizeof(*ix->lcp));
	for (size_t r = 0; r < ix->n; r++) {
		size_t l = 0;
		ix->by_name[r] = refs[r].key;
		if (r)
			while (l < LOOSE_DEPTH && refs[r].name[l] && refs[r].name[l] == refs[r - 1].name[l])
				l++;
		ix->lcp[r] = (uint8_t)l;
	}
	free(refs);
}

/* Fills k from rec; false when the record offers nothing to search. */
static bool key_init(struct search_index *ix, struct skey *k, const json_t *rec, size_t pos)
{
	size_t len;

	if (!json_is_object(rec))
		return false;
	k->rec = rec;
	k->pos = (unsigned)pos;
	k->name = ix->sk->ip_only ? "" : tbl_lower_dup(&ix->strings, tbl_str(rec, "name"));
	len = strlen(k->name);
	k->name_len = (unsigned short)(len > 65535 ? 65535 : len);
	k->dns = tbl_lower_dup(&ix->strings, tbl_str(rec, "dns_name"));
	k->ips = ips_of(&ix->strings, rec);
	k->mask = mask_of(k->name);
	if (ix->sk->ip_only && !k->ips[0])
		return false;
	key_display(k, ix->sk);
	return true;
}

struct search_index *search_index_build(const json_t *records, const struct search_kind *sk)
{
	struct search_index *ix = xcalloc(1, sizeof(*ix));
	const json_t *rec;
	size_t i;

	ix->sk = sk;
	ix->keys = xcalloc(json_array_size(records) + 1, sizeof(*ix->keys));
	json_array_foreach(records, i, rec)
		if (key_init(ix, &ix->keys[ix->n], rec, i))
			ix->n++;
	ix->masks = xcalloc(ix->n, sizeof(*ix->masks));
	for (i = 0; i < ix->n; i++)
		ix->masks[i] = ix->keys[i].mask;
	ix->count = xcalloc(ix->n, sizeof(*ix->count));
	ix->step = xcalloc(ix->n, sizeof(*ix->step));
	ix->loose = xcalloc(ix->n, sizeof(*ix->loose));
	build_grams(ix);
	build_name_order(ix);
	build_ips(ix);
	return ix;
}

void search_index_free(struct search_index *ix)
{
	if (!ix)
		return;
	arena_free(&ix->strings);
	free(ix->keys);
	free(ix->masks);
	free(ix->gram_start);
	free(ix->post);
	free(ix->ips);
	free(ix->count);
	free(ix->by_name);
	free(ix->lcp);
	free(ix->step);
	free(ix->loose);
	free(ix);
}

size_t search_index_bytes(const struct search_index *ix)
{
	return sizeof(*ix) + ix->strings.used
	     + ix->n * (sizeof(*ix->keys) + sizeof(*ix->masks) + sizeof(*ix->count)
	                + sizeof(*ix->by_name) + sizeof(*ix->lcp) + sizeof(*ix->step)
	                + sizeof(*ix->loose))
	     + (GRAM_BUCKETS + 1) * sizeof(*ix->gram_start)
	     + ix->gram_start[GRAM_BUCKETS] * sizeof(*ix->post)
	     + ix->n_ips * sizeof(*ix->ips);
}

size_t search_index_keys(const struct search_index *ix)
{
	return ix->n;
}

/* ---- scoring ---- */

void search_query_init(struct search_query *sq, const char *q)
{
	size_t len = strlen(q);

	while (len && isspace((unsigned char)q[len - 1]))
		len--;
	while (len && isspace((unsigned char)*q))
		q++, len--;
	if (len > SEARCH_MAX_Q)
		len = SEARCH_MAX_Q;
	tbl_lower(sq->q, q, len);
	sq->len = len;
	sq->mask = mask_of(sq->q);
	sq->ipish = len && strspn(sq->q, "0123456789.:abcdef") == len && strpbrk(sq->q, ".:");
	sq->max_edits = len < 4 ? 0 : len < 7 ? 1 : 2;
	memset(sq->peq, 0, sizeof(sq->peq));
	for (size_t i = 0; i < len; i++)
		sq->peq[(unsigned char)sq->q[i]] |= 1ull << i;
}

/* Every character of q appears in s in order; returns the span it needed, or 0. */
static size_t subsequence(const char *q, const char *s)
{
	const char *start = NULL;

	for (; *q && *s; s++) {
		if (*s == *q) {
			if (!start)
				start = s;
			q++;
		}
	}
	return *q ? 0 : (size_t)(s - start);
}

/* One column of Myers' bit-parallel form of Sellers' algorithm: the vertical
 * deltas pv/mv and the distance of q's last byte after byte c of the text. */
static inline void myers_step(const struct search_query *sq, unsigned char c,
                              uint64_t *pv, uint64_t *mv, int *score)
{
	uint64_t eq = sq->peq[c], high = 1ull << (sq->len - 1);
	uint64_t xv = eq | *mv, xh = (((eq & *pv) + *pv) ^ *pv) | eq;
	uint64_t ph = *mv | ~(xh | *pv), mh = *pv & xh;

	if (ph & high)
		(*score)++;
	else if (mh & high)
		(*score)--;
	ph <<= 1;                       /* no |1: a match may start anywhere in the text */
	mh <<= 1;
	*pv = mh | ~(xv | ph);
	*mv = ph & xv;
}

/* The smallest edit distance between the query and any substring of s, one 64-bit
 * step per character of s (the query is at most SEARCH_MAX_Q = 64 bytes). It stops
 * early once the distance is down to enough: the least possible, or any the caller
 * accepts. */
static int substring_distance(const struct search_query *sq, const char *s, size_t n, int enough)
{
	uint64_t pv = ~0ull, mv = 0;
	int score = (int)sq->len, best = score;

	for (size_t j = 0; j < n; j++) {
		myers_step(sq, (unsigned char)s[j], &pv, &mv, &score);
		if (score < best && (best = score) <= enough)
			break;
	}
	return best;
}

static int score_ip(const struct search_query *sq, const struct skey *k, const char **ip)
{
	for (size_t i = 0; k->ips[i]; i++) {
		if (!strcmp(k->ips[i], sq->q))
			return *ip = k->ips[i], 950;
		if (!strncmp(k->ips[i], sq->q, sq->len))
			return *ip = k->ips[i], 850 - (int)(strlen(k->ips[i]) - sq->len);
	}
	return 0;
}

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.' || c == ' ';
}

/* The subsequence step of score_name(), alone for the keys the bigrams rule out. */
static int score_subsequence(const struct search_query *sq, const struct skey *k, const char **why)
{
	size_t span;

	if (sq->len >= 2 && (span = subsequence(sq->q, k->name)) && span <= sq->len * 3)
		return *why = "partial", 600 - (int)(span - sq->len);
	return 0;
}

/* The steps of score_name() after containment, for a name known not to contain
 * q: a subsequence, else a typo (distance 1 or more, since 0 is containment). Stops
 * the distance at `enough`: 1 for the exact score, max_edits when only whether
 * the key matches counts (it cannot enter the heap). */
static int score_loose(const struct search_query *sq, const struct skey *k, const char **why,
                       int enough)
{
	int d;

	if (!k->name_len || sq->ipish)  /* an address: no subsequences, no typos */
		return 0;
	if ((d = score_subsequence(sq, k, why)))
		return d;
	if (!sq->max_edits || __builtin_popcountll(sq->mask & ~k->mask) > sq->max_edits)
		return 0;
	d = substring_distance(sq, k->name, k->name_len, enough);
	if (d <= sq->max_edits)
		return *why = "fuzzy", 500 - 100 * d;
	return 0;
}

static int score_name(const struct search_query *sq, const struct skey *k, const char **why)
{
	const char *hit;

	if (!k->name_len)
		return 0;
	if (k->name_len == sq->len && !memcmp(k->name, sq->q, sq->len))
		return *why = "name", 1000;
	if (!strncmp(k->name, sq->q, sq->len))
		return *why = "prefix", 900 - (k->name_len - (int)sq->len > 99 ? 99 : k->name_len - (int)sq->len);
	if ((hit = strstr(k->name, sq->q))) {
		int word = is_sep(hit[-1]) ? 50 : 0;
		return *why = "partial", 750 + word - (int)((hit - k->name) > 49 ? 49 : hit - k->name);
	}
	return score_loose(sq, k, why, 1);
}

static int score_key(const struct search_query *sq, const struct skey *k, const char **why, const char **ip)
{
	int s = score_name(sq, k, why), t;

	*ip = NULL;
	if (sq->ipish && (t = score_ip(sq, k, ip)) > s)
		s = t, *why = "ip";
	if (s < 700 && k->dns[0] && sq->len >= 2) {
		if (!strncmp(k->dns, sq->q, sq->len))
			t = 740;
		else
			t = strstr(k->dns, sq->q) ? 640 : 0;
		if (t > s)
			s = t, *why = "dns";
	}
	return s;
}

/* ---- the heap of the best hits (worst on top) ---- */

static bool worse(const struct inv_hit *a, const struct inv_hit *b)
{
	if (a->score != b->score)
		return a->score < b->score;
	if (a->src != b->src)
		return a->src > b->src;
	return a->pos > b->pos;
}

static void swap_hits(struct inv_hit *a, struct inv_hit *b)
{
	struct inv_hit t = *a;

	*a = *b;
	*b = t;
}

static void heap_push(struct search_top *top, const struct inv_hit *x)
{
	struct inv_hit *h = top->hits;
	size_t i;

	if (top->n < top->max) {
		i = top->n++;
		h[i] = *x;
		for (; i && worse(&h[i], &h[(i - 1) / 2]); i = (i - 1) / 2)   /* sift up */
			swap_hits(&h[i], &h[(i - 1) / 2]);
		return;
	}
	if (!top->max || !worse(&h[0], x))
		return;
	h[0] = *x;
	for (i = 0;;) {                                 /* sift down */
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < top->n && worse(&h[l], &h[m]))
			m = l;
		if (r < top->n && worse(&h[r], &h[m]))
			m = r;
		if (m == i)
			break;
		swap_hits(&h[i], &h[m]);
		i = m;
	}
}

static int best_first(const void *pa, const void *pb)
{
	const struct inv_hit *a = pa, *b = pb;

	return worse(a, b) ? 1 : worse(b, a) ? -1 : 0;
}

void search_top_sort(struct search_top *top)
{
	if (top->n)
		qsort(top->hits, top->n, sizeof(*top->hits), best_first);
}

static void push_key(struct search_top *top, const struct search_index *ix, const struct skey *k,
                     unsigned src, int score, const char *why, const char *ip)
{
	struct inv_hit h = {
		.kind = ix->sk->kind, .src = src, .pos = k->pos, .name = k->disp_name,
		.moref = k->moref, .sub = k->sub, .why = why, .score = score,
		.ip = ip ? ip : k->ip,
	};

	top->total++;
	heap_push(top, &h);
}

/* ---- candidates ---- */

/* The bigram threshold of the header comment: positions of q a key must hold. */
static unsigned gram_threshold(const struct search_query *sq)
{
	int k = sq->ipish ? 0 : sq->max_edits;

	return (unsigned)((int)sq->len - 1 - 2 * k);
}

/* Sets count[i] for each key i: q's bigram positions it holds, or for a one-byte
 * query 1 when its name holds the byte's class. Returns the postings it counted. */
static size_t count_grams(struct search_index *ix, const struct search_query *sq)
{
	size_t postings = 0;

	memset(ix->count, 0, ix->n);
	if (sq->len == 1) {
		for (size_t i = 0; i < ix->n; i++)
			ix->count[i] = (ix->masks[i] & sq->mask) != 0;
		return ix->n;
	}
	for (size_t j = 0; j + 1 < sq->len; j++) {
		unsigned b = gram_bucket(sq->q + j);
		for (uint32_t p = ix->gram_start[b]; p < ix->gram_start[b + 1]; p++)
			ix->count[ix->post[p]]++;
		postings += ix->gram_start[b + 1] - ix->gram_start[b];
	}
	return postings;
}

/* Keys holding from t to all - 1 of q's bigram positions (score_loose()'s), to
 * tell whether name order is worth preparing. */
static size_t count_loose(const struct search_index *ix, unsigned t, unsigned all)
{
	size_t n = 0;

	for (size_t i = 0; i < ix->n; i++)
		n += ix->count[i] >= t && ix->count[i] < all;
	return n;
}

/* Raises count[] to `mark` for every key with an IP that q prefixes. */
static void mark_ips(struct search_index *ix, const struct search_query *sq, uint8_t mark)
{
	size_t lo = 0, hi = ix->n_ips;

	while (lo < hi) {                   /* the first IP >= q */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->ips[mid].ip, sq->q) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->n_ips && !strncmp(ix->ips[lo].ip, sq->q, sq->len); lo++)
		ix->count[ix->ips[lo].key] = mark;
}

static void run_all(struct search_index *ix, const struct search_query *sq, unsigned src,
                    struct search_top *top)
{
	for (size_t i = 0; i < ix->n; i++) {
		const char *why = NULL, *ip;
		int s = score_key(sq, &ix->keys[i], &why, &ip);
		if (s)
			push_key(top, ix, &ix->keys[i], src, s, why, ip);
	}
}

/* Whether a hit of vCenter src at pos scoring `score` would enter the heap now. */
static bool may_enter(const struct search_top *top, unsigned src, unsigned pos, int score)
{
	struct inv_hit x = { .score = score, .src = src, .pos = pos };

	return top->n < top->max || (top->max && worse(&top->hits[0], &x));
}

/* ---- loose scores along shared prefixes ---- */

/* What score_loose() knows of q after a prefix of a name: Myers' column and the
 * least distance so far, and the greedy subsequence of subsequence(). Both depend
 * on the prefix alone, so a name resumes from the state of the prefix it shares
 * with the name before it in name order. */
struct prefix_state {
	uint64_t pv, mv;
	int score, best;
	unsigned qi;                    /* bytes of q matched in order */
	int start, span;                /* where the first matched; the span once all have */
};

static void prefix_step(const struct search_query *sq, const struct prefix_state *a,
                        struct prefix_state *b, const char *name, int at)
{
	*b = *a;
	myers_step(sq, (unsigned char)name[at], &b->pv, &b->mv, &b->score);
	if (b->score < b->best)
		b->best = b->score;
	if (b->qi < sq->len && name[at] == sq->q[b->qi]) {
		if (!b->qi)
			b->start = at;
		if (++b->qi == sq->len)
			b->span = at + 1 - b->start;
	}
}

/* score_subsequence() and score_loose() from the state after a whole name (the
 * least distance over the whole name is the one score_loose() stops at: a name
 * scored loosely does not contain q, so its distance is 1 or more). A fuzzy score
 * is stored negated, to tell it from a subsequence. */
static int16_t loose_of_state(const struct search_query *sq, const struct skey *k,
                              const struct prefix_state *st, bool subsequence_only)
{
	if (sq->len >= 2 && st->qi == sq->len && st->span <= (int)sq->len * 3)
		return (int16_t)(600 - (st->span - (int)sq->len));
	if (subsequence_only || !sq->max_edits ||
	    __builtin_popcountll(sq->mask & ~k->mask) > sq->max_edits)
		return 0;
	return st->best <= sq->max_edits ? (int16_t)-(500 - 100 * st->best) : 0;
}

/* Which loose step score_counted() takes for key i: 2 score_loose(), 1 the
 * subsequence alone, 0 neither (or the full scorer). 0 also when q has more classes
 * than typos allowed that the name lacks: score_loose() finds neither a subsequence
 * (it needs them all) nor a typo then. */
static int loose_kind(const struct search_index *ix, const struct search_query *sq, size_t i,
                      unsigned t)
{
	unsigned all = sq->len > 1 ? (unsigned)sq->len - 1 : 1;

	if (ix->count[i] >= all)
		return 0;
	if (ix->count[i] >= t)          /* a class of q missing beyond the typos: no match */
		return __builtin_popcountll(sq->mask & ~ix->masks[i]) > sq->max_edits ? 0 : 2;
	return !sq->ipish && sq->len >= 2 && !(sq->mask & ~ix->masks[i]) &&
	       ix->keys[i].name_len >= sq->len;
}

#define STEP_ALONE 3            /* step[]: a loose step, for a name outside name order */

/* Sets step[i] to loose_kind(), or STEP_ALONE for a name of 0 or more than
 * LOOSE_DEPTH bytes, and returns how many keys take a step in name order. */
static size_t mark_loose(struct search_index *ix, const struct search_query *sq, unsigned t)
{
	size_t n = 0;

	for (size_t i = 0; i < ix->n; i++) {
		int kind = loose_kind(ix, sq, i, t);
		unsigned len = kind ? ix->keys[i].name_len : 0;
		ix->step[i] = (uint8_t)(!kind ? 0 : len && len <= LOOSE_DEPTH ? kind : STEP_ALONE);
		n += ix->step[i] && ix->step[i] != STEP_ALONE;
	}
	return n;
}

/* Fills loose[] for the keys mark_loose() marked, in name order: a name steps only
 * past the prefix it shares with the last name stepped (valid = the depths of st
 * that still hold). */
static void score_loose_by_name(struct search_index *ix, const struct search_query *sq)
{
	struct prefix_state st[LOOSE_DEPTH + 1];
	unsigned valid = 0;

	st[0] = (struct prefix_state){ .pv = ~0ull, .score = (int)sq->len, .best = (int)sq->len,
	                               .start = -1 };
	for (size_t r = 0; r < ix->n; r++) {
		uint32_t i = ix->by_name[r];
		const struct skey *k;

		if (ix->lcp[r] < valid)
			valid = ix->lcp[r];
		if (!ix->step[i] || ix->step[i] == STEP_ALONE)
			continue;
		k = &ix->keys[i];
		for (; valid < k->name_len; valid++)
			prefix_step(sq, &st[valid], &st[valid + 1], k->name, (int)valid);
		ix->loose[i] = loose_of_state(sq, k, &st[k->name_len], ix->step[i] == 1);
	}
}

/* Scores key i from what the bigram count says of it: all of q's positions (it
 * may contain q: the full scorer); at least t (a typo or a subsequence at most);
 * fewer (a subsequence at most, tried when its name holds every class of q). The
 * loose steps come from loose[] when score_loose_by_name() filled it. */
static int score_counted(const struct search_index *ix, const struct search_query *sq, size_t i,
                         unsigned t, unsigned src, const struct search_top *top, bool by_name,
                         const char **why, const char **ip)
{
	const struct skey *k = &ix->keys[i];
	unsigned all = sq->len > 1 ? (unsigned)sq->len - 1 : 1;

	if (ix->count[i] >= all)
		return score_key(sq, k, why, ip);
	if (by_name && ix->step[i] != STEP_ALONE) {
		int s = ix->step[i] ? ix->loose[i] : 0;
		*why = s > 0 ? "partial" : "fuzzy";
		return s < 0 ? -s : s;
	}
	if (ix->count[i] >= t)          /* a typo scores 400 at best: only exact if it may enter */
		return score_loose(sq, k, why, may_enter(top, src, k->pos, 400) ? 1 : sq->max_edits);
	if (!sq->ipish && sq->len >= 2 && k->name_len >= sq->len && !(sq->mask & ~ix->masks[i]))
		return score_subsequence(sq, k, why);
	return 0;
}

void search_run(struct search_index *ix, const struct search_query *sq, unsigned src,
                bool scan_all, struct search_top *top)
{
	unsigned t;
	bool by_name;
	size_t postings;

	if (!sq->len)
		return;
	if (scan_all) {
		run_all(ix, sq, src, top);
		return;
	}
	t = sq->len == 1 ? 1 : gram_threshold(sq);
	postings = count_grams(ix, sq);
	if (sq->ipish)
		mark_ips(ix, sq, (uint8_t)(sq->len > 1 ? sq->len - 1 : 1));
	/* name order pays when many keys take a loose step (the simulator's names, one
	 * or two bytes apart, against a partial word); otherwise key order is cheaper.
	 * Cheapest test first: t below all, postings / t bounds the keys reaching t. */
	by_name = sq->len >= 2 && !sq->ipish && t + 1 < sq->len &&
	          postings * BY_NAME_SHARE >= ix->n * t &&
	          count_loose(ix, t, (unsigned)sq->len - 1) * BY_NAME_SHARE >= ix->n &&
	          mark_loose(ix, sq, t) * BY_NAME_SHARE >= ix->n;
	if (by_name)
		score_loose_by_name(ix, sq);
	for (size_t i = 0; i < ix->n; i++) {
		const char *why = NULL, *ip = NULL;
		int s = score_counted(ix, sq, i, t, src, top, by_name, &why, &ip);
		if (s)
			push_key(top, ix, &ix->keys[i], src, s, why, ip);
	}
}
