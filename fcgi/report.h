/* Reports and exports: the inventory as an Excel workbook shaped like RVTools
 * (one sheet per RVTools tab we have data for), one sheet as CSV, or every sheet as
 * JSON for Power BI, plus the snapshot, capacity and alarm reports. One set of
 * column tables (report_sheets.c) drives all three writers, so a column means the
 * same thing in every format. docs/reports.md lists every sheet and column.
 *
 * Records are streamed: each vc:{id}:<type> value is opened once per vCenter and
 * its array decoded one record at a time, and every selected sheet fed from that
 * type gets its rows in the same pass, so memory stays flat with the estate size.
 * Output always goes to a temp file first: a failed run leaves nothing behind. */
#ifndef VC_REPORT_H
#define VC_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "req.h"

struct store;
struct cfg;

/* --------------------------------------------------------------- column tables */

enum report_type {
	RT_STR,      /* text */
	RT_INT,      /* integer */
	RT_MIB,      /* a byte count shown in MiB (integer, rounded) */
	RT_NUM,      /* a real number (ratios, percentages) */
	RT_BOOL,     /* true/false */
	RT_TIME,     /* an ISO 8601 time: an Excel date, ISO text in CSV/JSON */
};

enum report_kind { RV_NONE, RV_STR, RV_NUM, RV_BOOL, RV_TIME };

/* One cell's value. s points into the record, into buf, or to a literal. */
struct report_val {
	enum report_kind kind;
	const char *s;
	double num;
	bool b;
	long long t;          /* RV_TIME: unix seconds (UTC) */
	char buf[1024];
};

struct report_vc;

/* What a column reads: the record, the element of the record's array the row is
 * about (a disk, a NIC, a snapshot), and the vCenter. */
struct report_row {
	const json_t *rec;
	const json_t *sub;
	const struct report_vc *vc;
	long long now;
	int days;
};

struct report_col {
	const char *header;
	enum report_type type;
	const char *field;     /* record key; ".key" reads the row's array element */
	void (*get)(const struct report_row *row, struct report_val *v);  /* or NULL */
	unsigned char width;   /* Excel column width; 0: from the header and type */
};

struct report_run;
struct report_sheet;

/* A sheet takes rows from one or more record types ("parts"): one row per record,
 * or per element of an array field (each), optionally filtered, or rows made by a
 * function (vHealth, capacity) that calls report_emit(). */
struct report_part {
	const char *source;    /* record type in Redis: "vm", "host", ...; "status" */
	const char *each;      /* array field to expand into rows, or NULL */
	bool (*keep)(const struct report_row *row);   /* NULL: every row */
	void (*rows)(struct report_run *run, const struct report_sheet *sh,
	             const struct report_row *row);   /* NULL: the default row */
};

#define REPORT_MAX_PARTS 4

struct report_sheet {
	const char *name;
	const struct report_col *cols;
	size_t ncols;
	struct report_part parts[REPORT_MAX_PARTS];   /* ends at source == NULL */
};

/* A report is a list of sheets. */
struct report_def {
	const char *name;      /* inventory | snapshots | capacity | alarms */
	const char *title;
	const char *description;
	const struct report_sheet *const *sheets;     /* NULL-terminated */
};

extern const struct report_def report_defs[];   /* ends with name == NULL */
const struct report_def *report_find(const char *name);
/* The sheet called name (case-insensitive) in def, or NULL. */
const struct report_sheet *report_find_sheet(const struct report_def *def, const char *name);
size_t report_nsheets(const struct report_def *def);

/* The value of one cell. */
void report_cell(const struct report_col *col, const struct report_row *row, struct report_val *v);
/* Emits one row into sheet sh (for parts with a rows function). */
void report_emit(struct report_run *run, const struct report_sheet *sh, const struct report_row *row);

/* --------------------------------------------------------------- pure helpers */

/* ISO 8601 "2024-05-01T10:20:30[.fff](Z|+hh:mm|-hh:mm)" or a bare date -> unix
 * seconds (UTC). Returns 0, or -1 when s is not such a time. */
int report_parse_time(const char *s, long long *out);
/* The same instant as ISO 8601 UTC text "YYYY-MM-DDTHH:MM:SSZ" (out >= 21 bytes). */
void report_format_time(long long t, char *out, size_t n);
/* Excel's serial date (1900 system) for a unix time. */
double report_excel_date(long long t);
/* True when a spreadsheet would read s as a formula or DDE: it starts with
 * = + - @ TAB or CR (OWASP CSV injection). */
bool report_formula_risk(const char *s);
/* Appends one CSV field to f: RFC 4180 quoting when needed; with guard, a risky
 * text (report_formula_risk) gets a leading single quote. */
void report_csv_field(FILE *f, const char *s, bool guard);

/* --------------------------------------------------------------- running */

enum report_format { REPORT_XLSX, REPORT_CSV, REPORT_JSON };

struct report_opts {
	enum report_format format;
	const struct report_def *def;
	const struct report_sheet *sheet;   /* CSV: the sheet (NULL: the report's first);
	                                       xlsx/JSON: only this sheet, NULL: all */
	int days;                           /* snapshots: minimum age; alarms: period
	                                       (0 = all); vHealth: snapshot age */
	long long now;                      /* unix seconds; 0: time(NULL) */
	bool lanes;                         /* xlsx/JSON: write the big sheets on two threads
	                                       (VC_REPORT_LANES=1 or 2 overrides) */
};

/* One vCenter to report on: id and display name from the configuration, URL for
 * the "VI SDK Server" host. */
struct report_target {
	const char *id;
	const char *name;
	const char *url;
};

struct report_result {
	size_t rows;            /* data rows written over all sheets */
	size_t truncated;       /* rows dropped at Excel's row limit */
	bool tampered;          /* a value failed to open: nothing was written */
	char err[256];
};

/* Writes the report over targets into the file path (created through a temp file
 * next to it and renamed; "-" writes to stdout once complete). Returns 0, or -1
 * with res->err set; on failure nothing is left at path. */
int report_write_path(struct store *s, const struct report_target *targets, size_t n,
                      const struct report_opts *o, const char *path,
                      struct report_result *res);
/* The same into an open temp folder: writes a new file under dir and returns its
 * malloc'd path (the caller streams and unlinks it), or NULL with res->err. */
char *report_write_temp(struct store *s, const struct report_target *targets, size_t n,
                        const struct report_opts *o, const char *dir,
                        struct report_result *res);

const char *report_format_name(enum report_format f);
int report_format_parse(const char *s, enum report_format *out);
const char *report_content_type(enum report_format f);

/* --------------------------------------------------------------- internals
 * Shared by report*.c only: the run state the sheet functions see, value setters,
 * and the writers (one per format) the driver feeds. */

#define REPORT_MAX_SHEETS 32

struct report_vc {
	const char *id, *name;
	char server[256];      /* "VI SDK Server": host of the vCenter's URL */
	json_t *status;        /* vc:{id}:status (empty object when missing) */
	json_t *hosts;         /* host moref -> {datacenter, cluster} */
	json_t *agg;           /* per-sheet sums (capacity: cluster moref -> totals) */
};

struct report_writer {
	/* Creates the sheets (header rows). 0 or -1. */
	int (*begin)(struct report_writer *w, const struct report_sheet *const *sheets, size_t n);
	/* One data row of sheet idx. 0, 1 when dropped (row limit), -1 on error with
	 * the message in err (the caller's: rows of different sheets may be written
	 * from different threads when sheets_apart is set). */
	int (*row)(struct report_writer *w, size_t idx, const struct report_val *vals, size_t n,
	           char *err, size_t errlen);
	int (*finish)(struct report_writer *w);
	void (*free)(struct report_writer *w);
	/* Set by writers whose row() touches only the state of sheet idx: two threads
	 * may then write rows of two different sheets at once (report.c "lanes"). */
	bool sheets_apart;
	char err[200];
};

struct report_writer *report_xlsx_open(const char *path, char *err, size_t errlen);

/* The xlsx container's deflate level (report_zip.c): REPORT_ZIP_LEVEL, or
 * VC_REPORT_ZIP_LEVEL (one digit) as read by report_zip_setup(), which
 * report_xlsx_open() calls. */
#define REPORT_ZIP_LEVEL 1
void report_zip_setup(void);
struct report_writer *report_csv_open(const char *path, char *err, size_t errlen);
struct report_writer *report_json_open(const char *path, char *err, size_t errlen);

struct report_run {
	const struct report_opts *o;
	struct report_result *res;
	const struct report_sheet *sel[REPORT_MAX_SHEETS];
	size_t widx[REPORT_MAX_SHEETS];   /* the writer's index of sel[i] */
	size_t nsel;
	struct report_writer *w;
	struct report_vc *vc;
	struct report_val *vals;
	long long now;
	int days;
	int failed;
};

void report_val_num(struct report_val *v, double n);
void report_val_mib(struct report_val *v, double bytes);
void report_val_str(struct report_val *v, const char *s);
void report_val_time(struct report_val *v, const char *s);

/* --------------------------------------------------------------- web (page_reports.c)
 * Routes for the dispatch table (router.c):
 *   { "/reports", REQ_GET, page_reports, ROUTE_LOGIN, page_reports_params },
 *   { "/reports/download", REQ_GET, page_report_download, ROUTE_LOGIN,
 *     page_report_download_params }
 * download takes format=xlsx|csv|json, report=, sheet=, days=, vcenter= (repeatable,
 * narrowed to the session's vCenters). */
int page_reports(struct req *r);
int page_report_download(struct req *r);
extern const struct param_spec page_reports_params[];
extern const struct param_spec page_report_download_params[];

/* `vcompanion -c FILE report ...`; argv[0] is "report". Exit code 0, 1 or 2. */
int cli_report(const char *config, int argc, char **argv);
extern const char cli_report_usage[];

#endif
