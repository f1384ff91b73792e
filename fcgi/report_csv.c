/* The CSV writer: one sheet, UTF-8 without a byte order mark, a header row, CRLF
 * line ends and RFC 4180 quoting. Text a spreadsheet would run as a formula
 * (= + - @ TAB CR first) gets a leading single quote (OWASP); numbers are never
 * prefixed. Times are ISO 8601 UTC, booleans True/False as RVTools writes them. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct csv_writer {
	struct report_writer w;
	FILE *f;
	char *path;
	int sheets;
};

static int csv_begin(struct report_writer *base, const struct report_sheet *const *sheets, size_t n)
{
	struct csv_writer *c = (struct csv_writer *)base;

	if (n != 1) {
		snprintf(base->err, sizeof(base->err), "CSV holds one sheet; choose one with --sheet");
		return -1;
	}
	for (size_t i = 0; i < sheets[0]->ncols; i++) {
		if (i)
			fputc(',', c->f);
		report_csv_field(c->f, sheets[0]->cols[i].header, true);
	}
	fputs("\r\n", c->f);
	return 0;
}

static void csv_value(FILE *f, const struct report_val *v)
{
	char tmp[40];

	switch (v->kind) {
	case RV_STR:
		report_csv_field(f, v->s, true);
		break;
	case RV_NUM:
		if (v->num == (double)(long long)v->num)
			fprintf(f, "%lld", (long long)v->num);
		else
			fprintf(f, "%.6g", v->num);
		break;
	case RV_BOOL:
		fputs(v->b ? "True" : "False", f);
		break;
	case RV_TIME:
		report_format_time(v->t, tmp, sizeof(tmp));
		fputs(tmp, f);
		break;
	default:
		break;
	}
}

static int csv_row(struct report_writer *base, size_t idx, const struct report_val *vals, size_t n,
                   char *err, size_t errlen)
{
	struct csv_writer *c = (struct csv_writer *)base;

	(void)idx;
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', c->f);
		csv_value(c->f, &vals[i]);
	}
	fputs("\r\n", c->f);
	if (ferror(c->f)) {
		snprintf(err, errlen, "%s: write failed: %s", c->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int csv_finish(struct report_writer *base)
{
	struct csv_writer *c = (struct csv_writer *)base;
	int rc = fclose(c->f);

	c->f = NULL;
	if (rc) {
		snprintf(base->err, sizeof(base->err), "%s: %s", c->path, strerror(errno));
		return -1;
	}
	return 0;
}

static void csv_free(struct report_writer *base)
{
	struct csv_writer *c = (struct csv_writer *)base;

	if (c->f)
		fclose(c->f);
	free(c->path);
	free(c);
}

struct report_writer *report_csv_open(const char *path, char *err, size_t errlen)
{
	struct csv_writer *c = calloc(1, sizeof(*c));

	if (!c || !(c->f = fopen(path, "wb"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(c);
		return NULL;
	}
	setvbuf(c->f, NULL, _IOFBF, 1 << 16);
	c->path = strdup(path);
	c->w.begin = csv_begin;
	c->w.row = csv_row;
	c->w.finish = csv_finish;
	c->w.free = csv_free;
	return &c->w;
}
