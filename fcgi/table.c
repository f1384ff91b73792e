/* The table engine (see table.h): row indexes with pre-extracted keys, lazily
 * cached sorted orders, and filter + k-way merge + page queries. */
#include "table.h"
#include "arena.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Filter values (power state, cluster, type) are few and repeat on every row: each
 * distinct one is stored once per index, so a row's value and a query's match by
 * pointer. A filter pass then costs a load and a compare per row instead of a
 * strcmp (a third of a filtered page's CPU before). Open addressing, FNV-1a. */
struct fvals {
	const char **slot;
	size_t cap, n;
};

static size_t fval_hash(const char *s)
{
	size_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The slot holding s, or the empty one where it would go. */
static const char **fval_slot(const struct fvals *fv, const char *s)
{
	size_t i = fval_hash(s) & (fv->cap - 1);

	while (fv->slot[i] && strcmp(fv->slot[i], s))
		i = (i + 1) & (fv->cap - 1);
	return &fv->slot[i];
}

/* The stored value equal to s (which the caller owns), or NULL. */
static const char *fval_find(const struct fvals *fv, const char *s)
{
	return fv->cap ? *fval_slot(fv, s) : NULL;
}

struct tbl_index {
	const struct tbl_def *def;
	unsigned long long serial;              /* unique to this build: the memo's key */
	struct tbl_row *rows;
	size_t n;
	union tbl_val *vals;                    /* n * ncols */
	unsigned *order[TBL_MAX_COLS][2];       /* [col][desc], built on first use */
	struct arena strings;
	struct arena keep;                      /* the pages' per-row data (tbl_row_keep) */
	struct fvals fvals;                     /* the rows' filter values, each once */
};

/* Serial numbers of the indexes built so far in this process (see the memo). */
static unsigned long long index_serials;

static void memo_drop_index(unsigned long long serial);

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

void tbl_lower(char *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[len] = '\0';
}

const char *tbl_lower_dup(struct arena *a, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	char *out;

	if (!len)
		return "";
	out = arena_alloc(a, len + 1);
	tbl_lower(out, s, len);
	return out;
}

/* The text form of a scalar field for filters ("" when absent or not scalar). */
static const char *scalar_text(const json_t *v, char *tmp, size_t tmplen)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	if (json_is_integer(v)) {
		snprintf(tmp, tmplen, "%lld", (long long)json_integer_value(v));
		return tmp;
	}
	return "";
}

/* A growable scratch string for haystacks. */
struct buf_lite {
	char *p;
	size_t len, cap;
};

static void haystack_add(struct buf_lite *b, const char *s)
{
	size_t n = strlen(s);

	if (!n)
		return;
	if (b->len + n + 2 > b->cap) {
		b->cap = (b->len + n + 2) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	if (b->len)
		b->p[b->len++] = '\x1f';
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static const char *haystack(struct tbl_index *ix, const json_t *rec, struct buf_lite *b)
{
	const struct tbl_def *def = ix->def;

	b->len = 0;
	for (size_t f = 0; f < def->nqfields; f++) {
		const json_t *v = json_object_get(rec, def->qfields[f]), *item;
		size_t i;
		if (json_is_string(v))
			haystack_add(b, json_string_value(v));
		else if (json_is_array(v))
			json_array_foreach(v, i, item)
				if (json_is_string(item))
					haystack_add(b, json_string_value(item));
	}
	return b->len ? tbl_lower_dup(&ix->strings, b->p) : "";
}

static void fval_grow(struct fvals *fv)
{
	struct fvals bigger = { NULL, fv->cap ? fv->cap * 2 : 16, fv->n };

	bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
	for (size_t i = 0; i < fv->cap; i++)
		if (fv->slot[i])
			*fval_slot(&bigger, fv->slot[i]) = fv->slot[i];
	free(fv->slot);
	*fv = bigger;
}

/* raw's lowercased form, stored once per index ("" for an empty value). */
static const char *fval_intern(struct tbl_index *ix, const char *raw)
{
	size_t len = strlen(raw);
	char small[256], *low = small;
	const char **slot;

	if (!len)
		return "";
	if (len >= sizeof(small))
		low = arena_alloc(&ix->strings, len + 1);
	tbl_lower(low, raw, len);
	if ((ix->fvals.n + 1) * 2 > ix->fvals.cap)
		fval_grow(&ix->fvals);
	slot = fval_slot(&ix->fvals, low);
	if (!*slot) {
		*slot = low == small ? arena_strndup(&ix->strings, low, len) : low;
		ix->fvals.n++;
	}
	return *slot;
}

static void extract(struct tbl_index *ix, struct tbl_row *row, struct buf_lite *b)
{
	const struct tbl_def *def = ix->def;
	char tmp[32];

	for (size_t c = 0; c < def->ncols; c++) {
		const struct tbl_col *col = &def->cols[c];
		const json_t *v = json_object_get(row->rec, col->field ? col->field : col->key);
		if (col->kind == TBL_NUM)
			row->vals[c].num = col->get_num ? col->get_num(row->rec)
			                   : json_is_number(v) ? json_number_value(v)
			                   : json_is_true(v) ? 1 : 0;
		else
			row->vals[c].str = tbl_lower_dup(&ix->strings, col->get_str ? col->get_str(row->rec)
			                                           : scalar_text(v, tmp, sizeof(tmp)));
	}
	for (size_t f = 0; f < def->nfilters && f < TBL_MAX_FILTERS; f++)
		row->filt[f] = fval_intern(ix, scalar_text(json_object_get(row->rec, def->filters[f].field),
		                                           tmp, sizeof(tmp)));
	row->text = haystack(ix, row->rec, b);
}

struct tbl_index *tbl_index_build(const struct tbl_def *def, const json_t *records)
{
	struct tbl_index *ix = xcalloc(1, sizeof(*ix));
	size_t total = json_array_size(records), i;
	struct buf_lite b = { NULL, 0, 0 };
	const json_t *rec;

	ix->def = def;
	ix->serial = ++index_serials;
	ix->rows = xcalloc(total, sizeof(*ix->rows));
	ix->vals = xcalloc(total * (def->ncols ? def->ncols : 1), sizeof(*ix->vals));
	json_array_foreach(records, i, rec) {
		struct tbl_row *row;
		if (!json_is_object(rec) || (def->keep && !def->keep(rec)))
			continue;
		row = &ix->rows[ix->n];
		row->rec = rec;
		row->id = (unsigned)i;
		row->ix = ix;
		row->vals = &ix->vals[ix->n * def->ncols];
		extract(ix, row, &b);
		ix->n++;
	}
	free(b.p);
	return ix;
}

void tbl_index_free(struct tbl_index *ix)
{
	if (!ix)
		return;
	memo_drop_index(ix->serial);
	for (size_t c = 0; c < TBL_MAX_COLS; c++) {
		free(ix->order[c][0]);
		free(ix->order[c][1]);
	}
	arena_free(&ix->strings);
	arena_free(&ix->keep);
	free(ix->fvals.slot);
	free(ix->vals);
	free(ix->rows);
	free(ix);
}

size_t tbl_index_rows(const struct tbl_index *ix)
{
	return ix ? ix->n : 0;
}

const struct tbl_row *tbl_index_row(const struct tbl_index *ix, size_t i)
{
	return i < ix->n ? &ix->rows[i] : NULL;
}

const void *tbl_row_kept(const struct tbl_row *row)
{
	return row->kept;
}

/* The rows are the index's own (rows[]), handed out const so queries cannot
 * reorder them; the kept slot is the one field a page writes. */
void tbl_row_keep(const struct tbl_row *row, const void *kept)
{
	row->ix->rows[row - row->ix->rows].kept = kept;
}

struct arena *tbl_row_keep_arena(const struct tbl_row *row, size_t cap)
{
	return row->ix->keep.used < cap ? &row->ix->keep : NULL;
}

int tbl_col_find(const struct tbl_def *def, const char *key)
{
	for (size_t c = 0; key && c < def->ncols; c++)
		if (!strcmp(def->cols[c].key, key))
			return (int)c;
	return -1;
}

/* Natural order: digit runs compare as numbers, so vm-9 sorts before vm-10. */
static int natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *a0, *b0;
			size_t la, lb;
			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			for (a0 = a; isdigit((unsigned char)*a); a++)
				;
			for (b0 = b; isdigit((unsigned char)*b); b++)
				;
			la = (size_t)(a - a0);
			lb = (size_t)(b - b0);
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = memcmp(a0, b0, la);
			if (c)
				return c;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* Compares two rows on one column, direction applied; 0 on equal keys. */
static int key_cmp(const struct tbl_row *a, const struct tbl_row *b, size_t col,
                   enum tbl_kind kind, bool desc)
{
	int c;

	if (kind == TBL_NUM) {
		double x = a->vals[col].num, y = b->vals[col].num;
		c = x < y ? -1 : x > y ? 1 : 0;
	} else {
		c = natcmp(a->vals[col].str, b->vals[col].str);
	}
	return desc ? -c : c;
}

struct sort_ctx {
	const struct tbl_index *ix;
	size_t col;
	bool desc;
};

static int order_cmp(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *s = arg;
	const struct tbl_row *a = &s->ix->rows[*(const unsigned *)pa];
	const struct tbl_row *b = &s->ix->rows[*(const unsigned *)pb];
	int c = key_cmp(a, b, s->col, s->ix->def->cols[s->col].kind, s->desc);

	return c ? c : a->id < b->id ? -1 : a->id > b->id;
}

static const unsigned *order_of(struct tbl_index *ix, size_t col, bool desc)
{
	unsigned **slot = &ix->order[col][desc];
	struct sort_ctx s = { ix, col, desc };

	if (*slot)
		return *slot;
	*slot = xcalloc(ix->n, sizeof(**slot));
	for (size_t i = 0; i < ix->n; i++)
		(*slot)[i] = (unsigned)i;
	qsort_r(*slot, ix->n, sizeof(**slot), order_cmp, &s);
	return *slot;
}

/* want[f]: the index's own copy of filter f's value (fval_find), NULL for no
 * filter; false when a value was asked that no row of the index has. */
static bool filter_values(const struct tbl_index *ix, const char *const *flow, const char **want)
{
	for (size_t f = 0; f < TBL_MAX_FILTERS; f++) {
		want[f] = NULL;
		if (f < ix->def->nfilters && flow[f] && !(want[f] = fval_find(&ix->fvals, flow[f])))
			return false;
	}
	return true;
}

static bool row_matches(const struct tbl_index *ix, const struct tbl_row *row,
                        const char *qlow, const char *const *want)
{
	for (size_t f = 0; f < ix->def->nfilters && f < TBL_MAX_FILTERS; f++)
		if (want[f] && row->filt[f] != want[f])
			return false;
	return !qlow || strstr(row->text, qlow);
}

/* One vCenter's matching rows in sort order: a filtered copy, or (no filter, no
 * q) the cached sort order itself, so an unfiltered page costs O(page), not a pass
 * over every row of every vCenter. */
struct run_list {
	struct tbl_row **rows;                  /* filtered rows, or NULL: all via order */
	const unsigned *order;
	struct tbl_row *all;
	unsigned src;
	size_t n, pos;
};

static struct tbl_row *list_head(const struct run_list *l)
{
	return l->rows ? l->rows[l->pos] : &l->all[l->order[l->pos]];
}

static bool any_filter(const struct tbl_def *def, const char *qlow, const char *const *flow)
{
	for (size_t f = 0; f < def->nfilters && f < TBL_MAX_FILTERS; f++)
		if (flow[f])
			return true;
	return qlow != NULL;
}

static void filter_one(struct tbl_index *ix, unsigned src, const struct tbl_query *q,
                       const char *qlow, const char *const *flow, struct run_list *out)
{
	const unsigned *order = order_of(ix, q->col, q->desc);
	const char *want[TBL_MAX_FILTERS];
	unsigned char *hit;

	out->order = order;
	out->all = ix->rows;
	out->src = src;
	out->n = ix->n;
	out->pos = 0;
	out->rows = NULL;
	if (!any_filter(ix->def, qlow, flow))
		return;
	out->rows = xcalloc(ix->n, sizeof(*out->rows));
	out->n = 0;
	if (!filter_values(ix, flow, want))
		return;
	/* rows in storage order (their haystacks lie one after the other), then the
	 * matches in sort order */
	hit = xcalloc(ix->n, 1);
	for (size_t i = 0; i < ix->n; i++)
		hit[i] = row_matches(ix, &ix->rows[i], qlow, want);
	for (size_t i = 0; i < ix->n; i++)
		if (hit[order[i]])
			out->rows[out->n++] = &ix->rows[order[i]];
	free(hit);
}

/* The list whose head comes next: smallest key, then lower vCenter, then record. */
static int next_list(struct run_list *l, size_t n, const struct tbl_def *def, size_t col, bool desc)
{
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		if (l[i].pos >= l[i].n)
			continue;
		if (best < 0 || key_cmp(list_head(&l[i]), list_head(&l[best]), col,
		                        def->cols[col].kind, desc) < 0)
			best = (int)i;
	}
	return best;
}

static char *lower_opt(const char *s)
{
	char *out;

	if (!s || !*s)
		return NULL;
	out = xcalloc(strlen(s) + 1, 1);
	tbl_lower(out, s, strlen(s));
	return out;
}

/* A query's lowercased text and filters (NULL: none), owned. */
struct qkey {
	char *q;
	char *f[TBL_MAX_FILTERS];
};

static void qkey_init(struct qkey *k, const struct tbl_query *q)
{
	k->q = lower_opt(q->q);
	for (size_t f = 0; f < TBL_MAX_FILTERS; f++)
		k->f[f] = lower_opt(q->filter[f]);
}

static void qkey_free(struct qkey *k)
{
	free(k->q);
	for (size_t f = 0; f < TBL_MAX_FILTERS; f++)
		free(k->f[f]);
	memset(k, 0, sizeof(*k));
}

static bool opt_eq(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static bool qkey_eq(const struct qkey *a, const struct qkey *b)
{
	for (size_t f = 0; f < TBL_MAX_FILTERS; f++)
		if (!opt_eq(a->f[f], b->f[f]))
			return false;
	return opt_eq(a->q, b->q);
}

/* Each index's matching rows, in sort order (filter_one); the lists are freed
 * by lists_free(). Returns the total. */
static size_t lists_fill(struct tbl_index *const *ix, size_t n, const struct tbl_query *q,
                         const struct qkey *k, struct run_list *lists)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++) {
		filter_one(ix[i], (unsigned)i, q, k->q, (const char *const *)k->f, &lists[i]);
		total += lists[i].n;
	}
	return total;
}

static void lists_free(struct run_list *lists, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lists[i].rows);
	free(lists);
}

/* Takes the next row of the merge into *row (its src set); false when done. */
static bool merge_next(struct run_list *lists, size_t n, const struct tbl_def *def,
                       const struct tbl_query *q, struct tbl_row **row)
{
	int i = def ? next_list(lists, n, def, q->col, q->desc) : -1;

	if (i < 0)
		return false;
	*row = list_head(&lists[i]);
	(*row)->src = lists[i].src;
	lists[i].pos++;
	return true;
}

/* total, pages and the clamped page of res; returns the rows to skip. */
static size_t res_pages(struct tbl_result *res, const struct tbl_query *q, size_t per)
{
	res->pages = res->total ? (res->total + per - 1) / per : 1;
	res->page = q->page < 1 ? 1 : q->page > res->pages ? res->pages : q->page;
	res->rows = xcalloc(per, sizeof(*res->rows));
	return (res->page - 1) * per;
}

/* The plain query: filter every index, merge up to the page, cut it. */
static void run_plain(struct tbl_index *const *ix, size_t n, const struct tbl_query *q,
                      const struct qkey *k, struct tbl_result *res)
{
	const struct tbl_def *def = n ? ix[0]->def : NULL;
	struct run_list *lists = xcalloc(n, sizeof(*lists));
	size_t per = q->per_page ? q->per_page : 50, skip;
	struct tbl_row *row;

	res->total = lists_fill(ix, n, q, k, lists);
	skip = res_pages(res, q, per);
	for (size_t i = 0; i < skip + per && merge_next(lists, n, def, q, &row); i++)
		if (i >= skip)
			res->rows[res->n++] = row;
	lists_free(lists, n);
}

/* ---- the query memo ----
 *
 * A worker answers the same few queries again and again (a list and its next
 * pages, HTMX refreshes of the same filter), and at 30,000 VMs a filtered query
 * tests every row of every vCenter and a deep page merges thousands of rows. So
 * the merged list of a query's matching rows is kept, keyed by the text and
 * filters and the sort (not the page: every page of a query is a slice of one
 * list) and by the serials of the indexes it ran over. A serial belongs to one
 * build of one index (one vCenter at one generation), so a new generation never
 * meets an old list, and tbl_index_free() drops the lists that point into it.
 * Plain unfiltered first pages do not need it (they merge O(page) rows) and skip
 * it. Bounded: MEMO_SLOTS lists holding MEMO_BYTES of rows in all, the least
 * recently used dropped first. Workers are single-threaded (server.c). */

#define MEMO_SLOTS 16
#define MEMO_BYTES ((size_t)8 << 20)
#define MEMO_MIN_SKIP 200       /* unfiltered pages this deep or deeper use it */

struct memo_hit {
	struct tbl_row *row;
	unsigned src;
};

struct memo {
	struct qkey key;                        /* owned; key.q == NULL etc. as queried */
	const struct tbl_def *def;
	unsigned long long *serial;             /* n, owned; NULL: free slot */
	size_t n, col;
	bool desc;
	struct memo_hit *hits;                  /* total, owned */
	size_t total;
	unsigned long long used;                /* LRU clock */
};

static struct memo memos[MEMO_SLOTS];
static unsigned long long memo_clock;
static size_t memo_bytes;

static void memo_clear(struct memo *m)
{
	memo_bytes -= m->total * sizeof(*m->hits);
	qkey_free(&m->key);
	free(m->serial);
	free(m->hits);
	memset(m, 0, sizeof(*m));
}

static void memo_drop_index(unsigned long long serial)
{
	for (size_t s = 0; s < MEMO_SLOTS; s++)
		for (size_t i = 0; memos[s].serial && i < memos[s].n; i++)
			if (memos[s].serial[i] == serial) {
				memo_clear(&memos[s]);
				break;
			}
}

void tbl_memo_reset(void)
{
	for (size_t s = 0; s < MEMO_SLOTS; s++)
		if (memos[s].serial)
			memo_clear(&memos[s]);
}

static bool memo_is(const struct memo *m, struct tbl_index *const *ix, size_t n,
                    const struct tbl_query *q, const struct qkey *k)
{
	if (!m->serial || m->n != n || m->def != ix[0]->def || m->col != q->col || m->desc != q->desc)
		return false;
	for (size_t i = 0; i < n; i++)
		if (m->serial[i] != ix[i]->serial)
			return false;
	return qkey_eq(&m->key, k);
}

static struct memo *memo_find(struct tbl_index *const *ix, size_t n, const struct tbl_query *q,
                              const struct qkey *k)
{
	for (size_t s = 0; s < MEMO_SLOTS; s++)
		if (memo_is(&memos[s], ix, n, q, k))
			return &memos[s];
	return NULL;
}

/* A free slot, after dropping the least recently used lists until bytes more fit. */
static struct memo *memo_slot(size_t bytes)
{
	for (;;) {
		struct memo *lru = NULL, *free_slot = NULL;
		for (size_t s = 0; s < MEMO_SLOTS; s++) {
			if (!memos[s].serial)
				free_slot = free_slot ? free_slot : &memos[s];
			else if (!lru || memos[s].used < lru->used)
				lru = &memos[s];
		}
		if (free_slot && memo_bytes + bytes <= MEMO_BYTES)
			return free_slot;
		memo_clear(lru);
	}
}

/* Runs the whole query once and keeps its merged rows; NULL when they would not
 * fit the budget (the caller runs it plainly). Takes over k. */
static struct memo *memo_fill(struct tbl_index *const *ix, size_t n, const struct tbl_query *q,
                              struct qkey *k)
{
	struct run_list *lists = xcalloc(n, sizeof(*lists));
	size_t total = lists_fill(ix, n, q, k, lists), bytes = total * sizeof(struct memo_hit);
	struct tbl_row *row;
	struct memo *m;

	if (bytes > MEMO_BYTES / 2) {
		lists_free(lists, n);
		return NULL;
	}
	m = memo_slot(bytes);
	m->hits = xcalloc(total, sizeof(*m->hits));
	while (m->total < total && merge_next(lists, n, ix[0]->def, q, &row))
		m->hits[m->total++] = (struct memo_hit){ row, row->src };
	lists_free(lists, n);
	m->serial = xcalloc(n, sizeof(*m->serial));
	for (size_t i = 0; i < n; i++)
		m->serial[i] = ix[i]->serial;
	m->n = n;
	m->def = ix[0]->def;
	m->col = q->col;
	m->desc = q->desc;
	m->key = *k;
	memset(k, 0, sizeof(*k));
	memo_bytes += m->total * sizeof(*m->hits);
	return m;
}

/* The page of q out of a memoised list. */
static void memo_page(struct memo *m, const struct tbl_query *q, struct tbl_result *res)
{
	size_t per = q->per_page ? q->per_page : 50, skip;

	m->used = ++memo_clock;
	res->total = m->total;
	skip = res_pages(res, q, per);
	for (size_t i = skip; i < m->total && i < skip + per; i++) {
		m->hits[i].row->src = m->hits[i].src;
		res->rows[res->n++] = m->hits[i].row;
	}
}

/* Whether q is worth a memo: it filters, or it pages deep. */
static bool memo_wanted(const struct tbl_def *def, const struct tbl_query *q, const struct qkey *k)
{
	size_t per = q->per_page ? q->per_page : 50;

	return any_filter(def, k->q, (const char *const *)k->f) ||
	       (q->page > 1 && (q->page - 1) * per >= MEMO_MIN_SKIP);
}

static int run(struct tbl_index *const *ix, size_t n, const struct tbl_query *q,
               struct tbl_result *res, bool memo)
{
	struct qkey k;
	struct memo *m = NULL;

	memset(res, 0, sizeof(*res));
	if (n && q->col >= ix[0]->def->ncols)
		return -1;
	qkey_init(&k, q);
	if (memo && n && memo_wanted(ix[0]->def, q, &k) &&
	    ((m = memo_find(ix, n, q, &k)) || (m = memo_fill(ix, n, q, &k))))
		memo_page(m, q, res);
	else
		run_plain(ix, n, q, &k, res);
	qkey_free(&k);
	return 0;
}

int tbl_run(struct tbl_index *const *ix, size_t n, const struct tbl_query *q,
            struct tbl_result *res)
{
	return run(ix, n, q, res, true);
}

int tbl_run_plain(struct tbl_index *const *ix, size_t n, const struct tbl_query *q,
                  struct tbl_result *res)
{
	return run(ix, n, q, res, false);
}

void tbl_result_free(struct tbl_result *res)
{
	if (!res)
		return;
	free(res->rows);
	res->rows = NULL;
	res->n = 0;
}

/* ---- formatting helpers ---- */

const char *tbl_str(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s ? s : "";
}

double tbl_num(const json_t *rec, const char *key)
{
	const json_t *v = json_object_get(rec, key);

	return json_is_number(v) ? json_number_value(v) : 0;
}

void tbl_fmt_bytes(double b, char *out, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	size_t u = 0;

	if (b < 0) {
		snprintf(out, n, "%s", "");
		return;
	}
	while (b >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		b /= 1024;
		u++;
	}
	if (u == 0 || b >= 100)
		snprintf(out, n, "%.0f %s", b, unit[u]);
	else
		snprintf(out, n, "%.1f %s", b, unit[u]);
}

void tbl_fmt_mhz(double mhz, char *out, size_t n)
{
	if (mhz >= 1000)
		snprintf(out, n, "%.1f GHz", mhz / 1000);
	else
		snprintf(out, n, "%.0f MHz", mhz);
}

void tbl_fmt_int(long long v, char *out, size_t n)
{
	char tmp[32];
	size_t len, o = 0;
	int neg = v < 0;

	snprintf(tmp, sizeof(tmp), "%lld", neg ? -v : v);
	len = strlen(tmp);
	if (neg && o + 1 < n)
		out[o++] = '-';
	for (size_t i = 0; i < len && o + 1 < n; i++) {
		if (i && (len - i) % 3 == 0 && o + 1 < n)
			out[o++] = ',';
		if (o + 1 < n)
			out[o++] = tmp[i];
	}
	out[o] = '\0';
}

void tbl_fmt_duration(long long s, char *out, size_t n)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, n, "%lld d %lld h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, n, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(out, n, "%lld min", s / 60);
}

long long tbl_time(const char *iso)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!iso || !*iso || !strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (long long)timegm(&tm);
}

int tbl_pct(double used, double total)
{
	double p;

	if (total <= 0)
		return 0;
	p = used * 100.0 / total;
	return p < 0 ? 0 : p > 100 ? 100 : (int)(p + 0.5);
}
