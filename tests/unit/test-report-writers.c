/* The three writers fed directly with a small sheet: CSV bytes (quoting, guard,
 * CRLF, numbers and booleans), JSON structure (sheet keys, typed values, ISO times,
 * null for missing) and an xlsx that libxlsxwriter finishes (a zip). No Redis. */
#include "test.h"
#include "report.h"

#include <stdlib.h>

static const struct report_col cols[] = {
	{ "VM", RT_STR, "name", NULL, 0 },
	{ "CPUs", RT_INT, "cpus", NULL, 0 },
	{ "Template", RT_BOOL, "template", NULL, 0 },
	{ "PowerOn", RT_TIME, "boot", NULL, 0 },
	{ "Ratio", RT_NUM, "ratio", NULL, 0 },
};
static const struct report_sheet sheet = { "vTest", cols, 5, { { "vm", NULL, NULL, NULL } } };
static const struct report_sheet *const sheets[] = { &sheet };

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

/* Two rows: a hostile name with every kind of value, then a row of missing values. */
static int feed(struct report_writer *w)
{
	struct report_val v[5] = { 0 };

	if (w->begin(w, sheets, 1))
		return -1;
	v[0].kind = RV_STR;
	v[0].s = "=cmd|' /C calc'!A0,\"x\"";
	v[1].kind = RV_NUM;
	v[1].num = 4;
	v[2].kind = RV_BOOL;
	v[2].b = true;
	v[3].kind = RV_TIME;
	v[3].t = 1714558830;
	v[4].kind = RV_NUM;
	v[4].num = 1.25;
	if (w->row(w, 0, v, 5, w->err, sizeof(w->err)))
		return -1;
	for (int i = 0; i < 5; i++)
		v[i].kind = RV_NONE;
	if (w->row(w, 0, v, 5, w->err, sizeof(w->err)))
		return -1;
	return w->finish(w);
}

static char *path_of(const char *name)
{
	char *p = malloc(512);

	snprintf(p, 512, "%s/%s", test_tmpdir(), name);
	return p;
}

TEST(csv_writer)
{
	char err[200], *path = path_of("t.csv"), *got;
	struct report_writer *w = report_csv_open(path, err, sizeof(err));

	ASSERT_MSG(w, "%s", err);
	ASSERT_EQ(feed(w), 0);
	w->free(w);
	got = slurp(path);
	ASSERT_STREQ(got, "VM,CPUs,Template,PowerOn,Ratio\r\n"
	                  "\"'=cmd|' /C calc'!A0,\"\"x\"\"\",4,True,2024-05-01T10:20:30Z,1.25\r\n"
	                  ",,,,\r\n");
	free(got);
	free(path);
}

TEST(csv_one_sheet_only)
{
	char err[200], *path = path_of("t2.csv");
	struct report_writer *w = report_csv_open(path, err, sizeof(err));
	const struct report_sheet *two[] = { &sheet, &sheet };

	ASSERT(w);
	ASSERT_EQ(w->begin(w, two, 2), -1);
	ASSERT_CONTAINS(w->err, "one sheet");
	w->free(w);
	free(path);
}

TEST(json_writer)
{
	char err[200], *path = path_of("t.json");
	struct report_writer *w = report_json_open(path, err, sizeof(err));
	json_t *doc, *rows, *r0, *r1;

	ASSERT_MSG(w, "%s", err);
	ASSERT_EQ(feed(w), 0);
	w->free(w);
	doc = json_load_file(path, 0, NULL);
	free(path);
	ASSERT(json_is_object(doc));
	rows = json_object_get(doc, "vTest");
	ASSERT_EQ(json_array_size(rows), 2);
	r0 = json_array_get(rows, 0);
	r1 = json_array_get(rows, 1);
	ASSERT_STREQ(json_string_value(json_object_get(r0, "VM")), "=cmd|' /C calc'!A0,\"x\"");
	ASSERT(json_is_integer(json_object_get(r0, "CPUs")));
	ASSERT(json_is_true(json_object_get(r0, "Template")));
	ASSERT_STREQ(json_string_value(json_object_get(r0, "PowerOn")), "2024-05-01T10:20:30Z");
	ASSERT(json_real_value(json_object_get(r0, "Ratio")) == 1.25);
	ASSERT(json_is_null(json_object_get(r1, "VM")));
	ASSERT_EQ(json_object_size(r1), 5);
	json_decref(doc);
}

TEST(xlsx_writer)
{
	char err[200], *path = path_of("t.xlsx"), *got;
	struct report_writer *w = report_xlsx_open(path, err, sizeof(err));

	ASSERT_MSG(w, "%s", err);
	ASSERT_EQ(feed(w), 0);
	w->free(w);
	got = slurp(path);
	free(path);
	ASSERT(got);
	ASSERT(got[0] == 'P' && got[1] == 'K');   /* a zip container */
	free(got);
}

TEST_MAIN(T(csv_writer), T(csv_one_sheet_only), T(json_writer), T(xlsx_writer))
