/* The JSON writer, shaped for Power BI's JSON connector: one object whose keys are
 * the sheet names and whose values are arrays of flat records keyed by the column
 * headers: {"vInfo": [{"VM": "web01", "CPUs": 2, "PowerOn": "2024-05-01T10:20:30Z",
 * ...}], "vHost": [...]}. Numbers are numbers, booleans booleans, times ISO 8601
 * UTC strings, missing values null. Sheets are written interleaved by the driver,
 * so each one collects in its own temp file and they are joined at the end. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct json_writer {
	struct report_writer w;
	FILE *out;
	char *path;
	const struct report_sheet *sheets[REPORT_MAX_SHEETS];
	FILE *part[REPORT_MAX_SHEETS];
	size_t rows[REPORT_MAX_SHEETS];
	size_t n;
};

static int json_begin(struct report_writer *base, const struct report_sheet *const *sheets, size_t n)
{
	struct json_writer *j = (struct json_writer *)base;

	for (size_t i = 0; i < n; i++) {
		j->sheets[i] = sheets[i];
		if (!(j->part[i] = tmpfile())) {
			snprintf(base->err, sizeof(base->err), "temp file: %s", strerror(errno));
			return -1;
		}
		j->n = i + 1;
	}
	return 0;
}

static json_t *value(const struct report_val *v)
{
	char tmp[40];

	switch (v->kind) {
	case RV_STR: return json_string(v->s);
	case RV_NUM:
		if (v->num == (double)(long long)v->num)
			return json_integer((json_int_t)v->num);
		return json_real(v->num);
	case RV_BOOL: return json_boolean(v->b);
	case RV_TIME:
		report_format_time(v->t, tmp, sizeof(tmp));
		return json_string(tmp);
	default: return json_null();
	}
}

static int json_row(struct report_writer *base, size_t idx, const struct report_val *vals, size_t n,
                    char *err, size_t errlen)
{
	struct json_writer *j = (struct json_writer *)base;
	json_t *o = json_object();
	int rc;

	for (size_t i = 0; i < n; i++) {
		json_t *v = value(&vals[i]);
		json_object_set_new(o, j->sheets[idx]->cols[i].header, v ? v : json_null());
	}
	if (j->rows[idx]++)
		fputs(",\n", j->part[idx]);
	rc = json_dumpf(o, j->part[idx], JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	json_decref(o);
	if (rc || ferror(j->part[idx])) {
		snprintf(err, errlen, "temp file: write failed");
		return -1;
	}
	return 0;
}

static int append(FILE *to, FILE *from)
{
	char chunk[65536];
	size_t got;

	rewind(from);
	while ((got = fread(chunk, 1, sizeof(chunk), from)) > 0)
		if (fwrite(chunk, 1, got, to) != got)
			return -1;
	return ferror(from) ? -1 : 0;
}

static int json_finish(struct report_writer *base)
{
	struct json_writer *j = (struct json_writer *)base;
	int bad = 0;

	fputc('{', j->out);
	for (size_t i = 0; i < j->n && !bad; i++) {
		json_t *name = json_string(j->sheets[i]->name);
		fputs(i ? ",\n" : "\n", j->out);
		json_dumpf(name, j->out, JSON_ENCODE_ANY);
		json_decref(name);
		fputs(": [\n", j->out);
		bad = append(j->out, j->part[i]);
		fputs("\n]", j->out);
	}
	fputs("\n}\n", j->out);
	bad |= fclose(j->out) != 0;
	j->out = NULL;
	if (bad) {
		snprintf(base->err, sizeof(base->err), "%s: write failed: %s", j->path, strerror(errno));
		return -1;
	}
	return 0;
}

static void json_free(struct report_writer *base)
{
	struct json_writer *j = (struct json_writer *)base;

	for (size_t i = 0; i < j->n; i++)
		if (j->part[i])
			fclose(j->part[i]);
	if (j->out)
		fclose(j->out);
	free(j->path);
	free(j);
}

struct report_writer *report_json_open(const char *path, char *err, size_t errlen)
{
	struct json_writer *j = calloc(1, sizeof(*j));

	if (!j || !(j->out = fopen(path, "wb"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(j);
		return NULL;
	}
	j->path = strdup(path);
	j->w.begin = json_begin;
	j->w.row = json_row;
	j->w.finish = json_finish;
	j->w.free = json_free;
	j->w.sheets_apart = true;   /* a row touches only its sheet's part file */
	return &j->w;
}
