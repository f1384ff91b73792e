/* The report helpers without Redis: ISO 8601 parsing and formatting, Excel dates,
 * the formula-injection guard, RFC 4180 CSV quoting, and the column tables
 * (report_cell over a record, sheet and report lookup). */
#include "test.h"
#include "report.h"

#include <stdlib.h>

static long long t_of(const char *s)
{
	long long t = -12345;

	return report_parse_time(s, &t) ? -1 : t;
}

TEST(parse_time_utc)
{
	ASSERT_EQ(t_of("1970-01-01T00:00:00Z"), 0);
	ASSERT_EQ(t_of("2024-05-01T10:20:30Z"), 1714558830);
	ASSERT_EQ(t_of("2024-05-01T10:20:30.123456Z"), 1714558830);
	ASSERT_EQ(t_of("2024-05-01T10:20:30"), 1714558830);       /* no zone: UTC */
	ASSERT_EQ(t_of("2024-05-01 10:20:30Z"), 1714558830);
	ASSERT_EQ(t_of("2024-05-01T10:20Z"), 1714558800);
	ASSERT_EQ(t_of("2024-05-01"), 1714521600);
	ASSERT_EQ(t_of("2000-02-29T00:00:00Z"), 951782400);      /* leap day */
}

TEST(parse_time_offsets)
{
	ASSERT_EQ(t_of("2024-05-01T12:20:30+02:00"), 1714558830);
	ASSERT_EQ(t_of("2024-05-01T05:20:30-05:00"), 1714558830);
	ASSERT_EQ(t_of("2024-05-01T12:20:30+0200"), 1714558830);
	ASSERT_EQ(t_of("2024-05-01T10:20:30.5+00:00"), 1714558830);
}

TEST(parse_time_rejects)
{
	ASSERT_EQ(t_of(""), -1);
	ASSERT_EQ(t_of("yesterday"), -1);
	ASSERT_EQ(t_of("2024-13-01T00:00:00Z"), -1);
	ASSERT_EQ(t_of("2024-05-01T25:00:00Z"), -1);
	ASSERT_EQ(t_of("2024-05-01T10:20:30Zjunk"), -1);
	ASSERT_EQ(t_of("2024-05-01T10:20:30+2"), -1);
	ASSERT_EQ(t_of("2024-5-1"), -1);
	ASSERT_EQ(t_of("2024-05-01T10:20:30."), -1);
	ASSERT_EQ(report_parse_time(NULL, &(long long){ 0 }), -1);
}

TEST(format_time_round_trips)
{
	char buf[32];

	report_format_time(1714558830, buf, sizeof(buf));
	ASSERT_STREQ(buf, "2024-05-01T10:20:30Z");
	report_format_time(0, buf, sizeof(buf));
	ASSERT_STREQ(buf, "1970-01-01T00:00:00Z");
	report_format_time(951782400, buf, sizeof(buf));
	ASSERT_STREQ(buf, "2000-02-29T00:00:00Z");
	for (long long t = -86400 * 400LL; t < 4102444800LL; t += 86400 * 37 + 3671) {
		report_format_time(t, buf, sizeof(buf));
		ASSERT_EQ(t_of(buf), t);
	}
}

TEST(excel_dates)
{
	/* Excel: 1970-01-01 is serial 25569, 2024-05-01 12:00 is 45413.5. */
	ASSERT(report_excel_date(0) == 25569.0);
	ASSERT(report_excel_date(t_of("2024-05-01T12:00:00Z")) == 45413.5);
}

TEST(formula_guard)
{
	ASSERT(report_formula_risk("=cmd|' /C calc'!A0"));
	ASSERT(report_formula_risk("+1"));
	ASSERT(report_formula_risk("-1+2"));
	ASSERT(report_formula_risk("@SUM(A1)"));
	ASSERT(report_formula_risk("\tx"));
	ASSERT(report_formula_risk("\rx"));
	ASSERT(!report_formula_risk("web01"));
	ASSERT(!report_formula_risk(""));
	ASSERT(!report_formula_risk(NULL));
	ASSERT(!report_formula_risk(" =x"));
}

/* report_csv_field into a string. */
static char *csv(const char *s, bool guard)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	report_csv_field(f, s, guard);
	fclose(f);
	return out;
}

#define ASSERT_CSV(in, guard, want) do { char *got_ = csv((in), (guard)); \
	int same_ = got_ && !strcmp(got_, (want)); \
	if (!same_) test_fail(__FILE__, __LINE__, "csv(%s) = [%s], want [%s]", #in, got_ ? got_ : "(null)", (want)); \
	free(got_); if (!same_) return; } while (0)

TEST(csv_quoting)
{
	ASSERT_CSV("plain", true, "plain");
	ASSERT_CSV("", true, "");
	ASSERT_CSV("a,b", true, "\"a,b\"");
	ASSERT_CSV("say \"hi\"", true, "\"say \"\"hi\"\"\"");
	ASSERT_CSV("two\nlines", true, "\"two\nlines\"");
	ASSERT_CSV("cr\rhere", true, "\"cr\rhere\"");
	ASSERT_CSV("Ünïcødé", true, "Ünïcødé");
}

TEST(csv_formula_prefix)
{
	ASSERT_CSV("=1+1", true, "\"'=1+1\"");
	ASSERT_CSV("=cmd|' /C calc'!A0<script>\"x\"", true, "\"'=cmd|' /C calc'!A0<script>\"\"x\"\"\"");
	ASSERT_CSV("@x", true, "\"'@x\"");
	ASSERT_CSV("-5", true, "\"'-5\"");
	ASSERT_CSV("\tTab", true, "\"'\tTab\"");
	ASSERT_CSV("=1+1", false, "=1+1");
}

TEST(cells_from_records)
{
	json_t *rec = json_pack("{s:s,s:i,s:b,s:s,s:I,s:[s,s],s:n,s:[{s:s}]}",
	                        "name", "web01", "cpus", 4, "template", 0,
	                        "boot_time", "2024-05-01T10:20:30Z",
	                        "committed_bytes", (json_int_t)3 * 1048576 + 100,
	                        "datastores", "ds1", "ds2", "annotation",
	                        "nics", "network", "VM Network");
	struct report_row row = { .rec = rec };
	struct report_col c_name = { "VM", RT_STR, "name", NULL, 0 };
	struct report_col c_cpus = { "CPUs", RT_INT, "cpus", NULL, 0 };
	struct report_col c_tmpl = { "Template", RT_BOOL, "template", NULL, 0 };
	struct report_col c_boot = { "PowerOn", RT_TIME, "boot_time", NULL, 0 };
	struct report_col c_mib = { "In Use MiB", RT_MIB, "committed_bytes", NULL, 0 };
	struct report_col c_list = { "Datastores", RT_STR, "datastores", NULL, 0 };
	struct report_col c_null = { "Annotation", RT_STR, "annotation", NULL, 0 };
	struct report_col c_sub = { "Network", RT_STR, ".network", NULL, 0 };
	struct report_val v;

	report_cell(&c_name, &row, &v);
	ASSERT_EQ(v.kind, RV_STR);
	ASSERT_STREQ(v.s, "web01");
	report_cell(&c_cpus, &row, &v);
	ASSERT(v.kind == RV_NUM && v.num == 4);
	report_cell(&c_tmpl, &row, &v);
	ASSERT(v.kind == RV_BOOL && !v.b);
	report_cell(&c_boot, &row, &v);
	ASSERT(v.kind == RV_TIME && v.t == 1714558830);
	report_cell(&c_mib, &row, &v);
	ASSERT(v.kind == RV_NUM && v.num == 3);
	report_cell(&c_list, &row, &v);
	ASSERT_STREQ(v.s, "ds1, ds2");
	report_cell(&c_null, &row, &v);
	ASSERT_EQ(v.kind, RV_NONE);
	row.sub = json_array_get(json_object_get(rec, "nics"), 0);
	report_cell(&c_sub, &row, &v);
	ASSERT_STREQ(v.s, "VM Network");
	json_decref(rec);
}

TEST(sheets_and_reports)
{
	const struct report_def *inv = report_find("inventory");
	const struct report_sheet *vinfo;

	ASSERT(inv);
	ASSERT(report_find("capacity") && report_find("snapshots") && report_find("alarms"));
	ASSERT(!report_find("nope"));
	ASSERT_EQ(report_nsheets(inv), 19);
	vinfo = report_find_sheet(inv, "vinfo");
	ASSERT(vinfo);
	ASSERT_STREQ(vinfo->name, "vInfo");
	ASSERT_STREQ(vinfo->cols[0].header, "VM");
	ASSERT_STREQ(vinfo->cols[1].header, "Powerstate");
	ASSERT_STREQ(vinfo->cols[2].header, "Template");
	ASSERT(!report_find_sheet(inv, "vNope"));
	/* Every sheet of every report ends with the keys tools merge exports by. */
	for (const struct report_def *d = report_defs; d->name; d++)
		for (const struct report_sheet *const *s = d->sheets; *s; s++) {
			size_t n = (*s)->ncols;
			ASSERT_MSG(n >= 2 && !strcmp((*s)->cols[n - 2].header, "VI SDK Server") &&
			           !strcmp((*s)->cols[n - 1].header, "VI SDK UUID"),
			           "sheet %s lacks VI SDK Server/UUID", (*s)->name);
		}
}

TEST(formats)
{
	enum report_format f;

	ASSERT_EQ(report_format_parse("xlsx", &f), 0);
	ASSERT_EQ(f, REPORT_XLSX);
	ASSERT_EQ(report_format_parse("csv", &f), 0);
	ASSERT_EQ(f, REPORT_CSV);
	ASSERT_EQ(report_format_parse("json", &f), 0);
	ASSERT_EQ(f, REPORT_JSON);
	ASSERT_EQ(report_format_parse("pdf", &f), -1);
	ASSERT_EQ(report_format_parse(NULL, &f), -1);
	ASSERT_CONTAINS(report_content_type(REPORT_XLSX), "spreadsheetml");
}

TEST_MAIN(T(parse_time_utc), T(parse_time_offsets), T(parse_time_rejects),
          T(format_time_round_trips), T(excel_dates), T(formula_guard), T(csv_quoting),
          T(csv_formula_prefix), T(cells_from_records), T(sheets_and_reports), T(formats))
