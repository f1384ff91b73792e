/* The server-side table engine behind every inventory list: an index of rows built
 * once per view entry (one vCenter, one generation) with the fields a table sorts
 * and filters on pre-extracted (text lowercased, numbers as doubles), sorted orders
 * per column cached lazily, and a query that filters, merges the vCenters' sorted
 * lists and cuts one page. No I/O, no rendering: page_tables.c formats the rows.
 *
 * Ownership: a tbl_index borrows the records it was built from (the view entry
 * keeps them alive as long as the index); tbl_index_free() frees it. A tbl_result
 * holds borrowed row pointers; tbl_result_free() frees its arrays. */
#ifndef VC_TABLE_H
#define VC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct arena;

#define TBL_MAX_COLS 24
#define TBL_MAX_FILTERS 4
#define TBL_MAX_QFIELDS 6

enum tbl_kind { TBL_TEXT, TBL_NUM };

struct tbl_col {
	const char *key;        /* sort= value, and the record field read unless get_* is set */
	const char *label;
	enum tbl_kind kind;
	bool sortable;
	int fmt;                /* opaque to the engine: how the page renders the cell */
	double (*get_num)(const json_t *rec);          /* computed numbers (NULL: field) */
	const char *(*get_str)(const json_t *rec);     /* computed text (NULL: field) */
	const char *field;      /* record field when it differs from key (NULL: key) */
};

/* A filter parameter: rows match when the record field, lowercased, equals the
 * lowercased value (booleans compare as "true"/"false"). */
struct tbl_filter {
	const char *param;      /* request parameter, e.g. "power" */
	const char *field;      /* record field, e.g. "power_state" */
};

struct tbl_def {
	const char *type;                       /* store type: "vm" */
	const struct tbl_col *cols;
	size_t ncols;
	const struct tbl_filter *filters;
	size_t nfilters;
	const char *const *qfields;             /* fields `q` searches (strings or arrays of strings) */
	size_t nqfields;
	size_t default_col;
	bool (*keep)(const json_t *rec);        /* rows to index at all (NULL: every record) */
};

struct tbl_row {
	const json_t *rec;                      /* borrowed */
	unsigned id;                            /* position in the records: the tie-break */
	unsigned src;                           /* which index (vCenter) it came from, set by queries */
	const char *text;                       /* q haystack, lowercased, fields joined by \x1f */
	const char *filt[TBL_MAX_FILTERS];
	union tbl_val { double num; const char *str; } *vals;
	struct tbl_index *ix;                   /* the index it belongs to */
	const void *kept;                       /* the page's (tbl_row_keep), NULL until set */
};

struct tbl_index;

/* Builds the index of records (a JSON array) for def. Never NULL (aborts on OOM). */
struct tbl_index *tbl_index_build(const struct tbl_def *def, const json_t *records);
void tbl_index_free(struct tbl_index *ix);
size_t tbl_index_rows(const struct tbl_index *ix);
const struct tbl_row *tbl_index_row(const struct tbl_index *ix, size_t i);

/* What a page derives from a row once per generation (its formatted cells) and
 * keeps with the row's index, freed with it: tbl_row_kept() is NULL until
 * tbl_row_keep() sets it; the memory comes from tbl_row_keep_arena(), which is
 * NULL once the index's keep arena holds cap bytes (the page then formats per
 * request). */
const void *tbl_row_kept(const struct tbl_row *row);
void tbl_row_keep(const struct tbl_row *row, const void *kept);
struct arena *tbl_row_keep_arena(const struct tbl_row *row, size_t cap);

struct tbl_query {
	const char *q;                          /* NULL or "": no text filter */
	const char *filter[TBL_MAX_FILTERS];    /* by def->filters position; NULL: any */
	size_t col;                             /* sort column */
	bool desc;
	size_t page;                            /* 1-based; clamped into [1, pages] */
	size_t per_page;
};

struct tbl_result {
	size_t total;                           /* rows matching */
	size_t page, pages;                     /* after clamping; pages >= 1 */
	size_t n;                               /* rows on this page */
	const struct tbl_row **rows;            /* n rows, borrowed from the indexes */
};

/* Runs q over n indexes of one def (one per vCenter, in scope order): filters,
 * sorts (stable: ties keep record order, then vCenter order) and pages. A query
 * that filters or pages deep is answered from a memo of its merged rows, kept per
 * worker and dropped with the indexes it ran over (table.c, "the query memo").
 * Sets each result row's src. Returns 0, or -1 when q->col is out of range. */
int tbl_run(struct tbl_index *const *ix, size_t n, const struct tbl_query *q,
            struct tbl_result *res);
/* The same without the memo: every call filters and merges (tests compare). */
int tbl_run_plain(struct tbl_index *const *ix, size_t n, const struct tbl_query *q,
                  struct tbl_result *res);
/* Drops every memoised query (tests; the indexes drop theirs when freed). */
void tbl_memo_reset(void);
void tbl_result_free(struct tbl_result *res);

/* The column whose key is key, or -1. */
int tbl_col_find(const struct tbl_def *def, const char *key);

/* Lowercases ASCII of s (len bytes) into out (len + 1 bytes). */
void tbl_lower(char *out, const char *s, size_t len);
/* A lowercased copy of s in a ("" for NULL or empty). */
const char *tbl_lower_dup(struct arena *a, const char *s);

#endif

/* ---- helpers shared by the inventory pages (formatting for humans) ---- */

/* Field of rec as text ("" when absent or not a string) / as a number (0). */
const char *tbl_str(const json_t *rec, const char *key);
double tbl_num(const json_t *rec, const char *key);
/* 1536 MiB -> "1.5 GiB"; bytes < 0 -> "". */
void tbl_fmt_bytes(double bytes, char *out, size_t n);
/* 2400 -> "2.4 GHz", 800 -> "800 MHz". */
void tbl_fmt_mhz(double mhz, char *out, size_t n);
/* 1234567 -> "1,234,567". */
void tbl_fmt_int(long long v, char *out, size_t n);
/* Seconds -> "12 d 3 h", "5 h 20 min", "42 min". */
void tbl_fmt_duration(long long s, char *out, size_t n);
/* ISO 8601 UTC ("2026-11-23T10:00:00Z", fractions allowed) -> unix seconds; 0 when unparsable. */
long long tbl_time(const char *iso);
/* Percentage used/total clamped to 0..100 (0 when total <= 0). */
int tbl_pct(double used, double total);
