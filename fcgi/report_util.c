/* Pure helpers of the reports, no I/O state: ISO 8601 parsing and formatting,
 * Excel serial dates, the formula-injection guard and RFC 4180 CSV fields. */
#include "report.h"

#include <ctype.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (long long)doe - 719468;
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int parse_zone(const char *p, long long *offset)
{
	int hh, mm = 0, sign;

	*offset = 0;
	if (*p == 0 || ((*p == 'Z' || *p == 'z') && p[1] == 0))
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (digits(&p, 2, &hh))
		return -1;
	if (*p == ':')
		p++;
	if (*p && digits(&p, 2, &mm))
		return -1;
	if (*p || hh > 23 || mm > 59)
		return -1;
	*offset = sign * (hh * 3600LL + mm * 60LL);
	return 0;
}

int report_parse_time(const char *s, long long *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	long long off;
	const char *p = s;

	if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
	}
	if (parse_zone(p, &off))
		return -1;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600LL + mi * 60LL + sec - off;
	return 0;
}

void report_format_time(long long t, char *out, size_t n)
{
	long long days = t >= 0 ? t / 86400 : (t - 86399) / 86400, secs = t - days * 86400;
	long long z = days + 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	long long y = (long long)yoe + era * 400 + (m <= 2);

	snprintf(out, n, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", y, m, d, secs / 3600,
	         secs / 60 % 60, secs % 60);
}

double report_excel_date(long long t)
{
	/* 25569 = days from Excel's 1899-12-30 epoch to 1970-01-01. */
	return 25569.0 + (double)t / 86400.0;
}

bool report_formula_risk(const char *s)
{
	return s && (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r');
}

void report_csv_field(FILE *f, const char *s, bool guard)
{
	bool risky = guard && report_formula_risk(s);

	if (!s)
		return;
	if (!risky && !s[strcspn(s, ",\"\r\n")]) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (risky)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}
