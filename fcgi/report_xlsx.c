/* The Excel writer: libxlsxwriter in constant-memory mode (each sheet streams to
 * its own temp file, rows strictly in order, so memory does not grow with the row
 * count). Numbers are numbers, times are Excel dates with a date format, text is
 * always written with worksheet_write_string(), which never makes a formula, so a
 * VM called "=cmd|..." stays text. Header row bold on a fill, frozen, autofilter.
 *
 * Rows of different sheets may be written from two threads at once (report.c
 * "lanes"): in constant-memory mode a worksheet_write_*() call touches only its
 * worksheet (its current-row array and its own temp file; text is inline, there is
 * no shared-string table). The one shared thing a cell write can reach is a
 * format's first lxw_format_get_xf_index(), which fills the workbook's format
 * table; every format gets its index here, before any row is written, so that
 * call only reads afterwards. Everything else per sheet (the row counter, the
 * scratch for over-long text) lives in struct xlsx_sheet. docs/reports.md
 * "Two lanes" has the reading of libxlsxwriter and the ThreadSanitizer run. */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#define XLSX_STR_MAX 32767   /* Excel's limit on the characters of one cell */

struct xlsx_sheet {
	lxw_worksheet *ws;
	lxw_row_t row;           /* last row written (0 = the header) */
	size_t ncols;
	char *cut;               /* scratch for over-long text (owned) */
};

struct xlsx_writer {
	struct report_writer w;
	lxw_workbook *wb;
	lxw_format *head, *date, *real;
	struct xlsx_sheet sheets[REPORT_MAX_SHEETS];
	size_t n;
};

static double col_width(const struct report_col *c)
{
	size_t w = c->width ? c->width : strlen(c->header) + 3;

	if (!c->width && c->type == RT_TIME)
		w = 20;
	return (double)(w < 8 ? 8 : w > 60 ? 60 : w);
}

static int xlsx_begin(struct report_writer *base, const struct report_sheet *const *sheets, size_t n)
{
	struct xlsx_writer *x = (struct xlsx_writer *)base;

	for (size_t i = 0; i < n; i++) {
		struct xlsx_sheet *s = &x->sheets[i];
		s->ws = workbook_add_worksheet(x->wb, sheets[i]->name);
		if (!s->ws) {
			snprintf(base->err, sizeof(base->err), "cannot add sheet %s", sheets[i]->name);
			return -1;
		}
		s->ncols = sheets[i]->ncols;
		for (size_t c = 0; c < s->ncols; c++) {
			const struct report_col *col = &sheets[i]->cols[c];
			lxw_format *f = col->type == RT_TIME ? x->date : col->type == RT_NUM ? x->real : NULL;
			worksheet_set_column(s->ws, (lxw_col_t)c, (lxw_col_t)c, col_width(col), f);
			worksheet_write_string(s->ws, 0, (lxw_col_t)c, col->header, x->head);
		}
		worksheet_freeze_panes(s->ws, 1, 0);
	}
	x->n = n;
	return 0;
}

/* Text longer than a cell holds is cut at a character boundary. */
static const char *fit(struct xlsx_sheet *sh, const char *s)
{
	size_t len = strlen(s), chars = 0, i;

	if (len <= XLSX_STR_MAX)
		return s;
	for (i = 0; i < len && chars < XLSX_STR_MAX; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			chars++;
	while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
		i++;
	if (i == len)
		return s;
	free(sh->cut);
	sh->cut = strndup(s, i);
	return sh->cut ? sh->cut : "";
}

static lxw_error cell(struct xlsx_writer *x, struct xlsx_sheet *sh, lxw_col_t c,
                      const struct report_val *v)
{
	lxw_worksheet *ws = sh->ws;
	lxw_row_t r = sh->row;

	switch (v->kind) {
	case RV_STR: return worksheet_write_string(ws, r, c, fit(sh, v->s), NULL);
	case RV_NUM: return worksheet_write_number(ws, r, c, v->num, NULL);
	case RV_BOOL: return worksheet_write_boolean(ws, r, c, v->b, NULL);
	case RV_TIME: return worksheet_write_number(ws, r, c, report_excel_date(v->t), x->date);
	default: return LXW_NO_ERROR;
	}
}

static int xlsx_row(struct report_writer *base, size_t idx, const struct report_val *vals, size_t n,
                    char *err, size_t errlen)
{
	struct xlsx_writer *x = (struct xlsx_writer *)base;
	struct xlsx_sheet *s = &x->sheets[idx];

	if (s->row + 1 >= LXW_ROW_MAX)
		return 1;
	s->row++;
	for (size_t c = 0; c < n; c++) {
		lxw_error e = cell(x, s, (lxw_col_t)c, &vals[c]);
		if (e) {
			snprintf(err, errlen, "xlsx: %s", lxw_strerror(e));
			return -1;
		}
	}
	return 0;
}

static int xlsx_finish(struct report_writer *base)
{
	struct xlsx_writer *x = (struct xlsx_writer *)base;
	lxw_error e;

	for (size_t i = 0; i < x->n; i++)
		worksheet_autofilter(x->sheets[i].ws, 0, 0, x->sheets[i].row,
		                     (lxw_col_t)(x->sheets[i].ncols ? x->sheets[i].ncols - 1 : 0));
	e = workbook_close(x->wb);
	x->wb = NULL;
	if (e) {
		snprintf(base->err, sizeof(base->err), "xlsx: %s", lxw_strerror(e));
		return -1;
	}
	return 0;
}

static void xlsx_free(struct report_writer *base)
{
	struct xlsx_writer *x = (struct xlsx_writer *)base;

	if (x->wb)
		workbook_close(x->wb);   /* after a failure: the caller removes the file */
	for (size_t i = 0; i < x->n; i++)
		free(x->sheets[i].cut);
	free(x);
}

struct report_writer *report_xlsx_open(const char *path, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE, .use_zip64 = LXW_TRUE,
	                             .tmpdir = (char *)(tmp && *tmp ? tmp : "/tmp") };
	struct xlsx_writer *x = calloc(1, sizeof(*x));

	report_zip_setup();
	if (!x || !(x->wb = workbook_new_opt(path, &opt))) {
		snprintf(err, errlen, "cannot create the workbook %s", path);
		free(x);
		return NULL;
	}
	x->head = workbook_add_format(x->wb);
	format_set_bold(x->head);
	format_set_bg_color(x->head, 0xD9E1F2);
	format_set_border(x->head, LXW_BORDER_THIN);
	x->date = workbook_add_format(x->wb);
	format_set_num_format(x->date, "yyyy-mm-dd hh:mm:ss");
	x->real = workbook_add_format(x->wb);
	format_set_num_format(x->real, "0.00");
	/* Indexes now, while one thread runs (see the top of this file). */
	lxw_format_get_xf_index(x->head);
	lxw_format_get_xf_index(x->date);
	lxw_format_get_xf_index(x->real);
	x->w.begin = xlsx_begin;
	x->w.row = xlsx_row;
	x->w.finish = xlsx_finish;
	x->w.free = xlsx_free;
	x->w.sheets_apart = true;
	return &x->w;
}
