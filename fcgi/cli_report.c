/* `vcompanion -c FILE report`: writes a report of the configured vCenters (or the
 * ones named with --vcenter) as xlsx, CSV or JSON. Exit 0 ok, 1 failure (Redis,
 * a value that fails to open, a write error; nothing is left at -o then), 2 usage. */
#include "report.h"
#include "cfg.h"
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cli_report_usage[] =
	"-c FILE report [--format xlsx|csv|json] [--report NAME] [--sheet NAME]\n"
	"         [--vcenter ID ...] [--days N] -o PATH\n"
	"  Write a report of the inventory in Redis. --report: inventory (default: the\n"
	"  RVTools-shaped sheets vInfo, vCPU, ...), snapshots (older than --days, default 7),\n"
	"  capacity (clusters and datastores), alarms (of the last --days, default 0 = all).\n"
	"  --sheet: one sheet only (CSV: the sheet to write, default the report's first).\n"
	"  --vcenter: only these vCenters (repeat it); default every configured one.\n"
	"  -o -: stdout (xlsx only when stdout is not a terminal). docs/reports.md lists\n"
	"  every sheet and column. A value that fails to open: exit 1, no output.";

struct report_args {
	const char *format, *report, *sheet, *out, *days;
	const char **vcenters;
	size_t nvc;
};

__attribute__((format(printf, 1, 2)))
static int usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vcompanion report: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: vcompanion %s\n", cli_report_usage);
	return 2;
}

static int parse_args(int argc, char **argv, struct report_args *a)
{
	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **slot = !strcmp(k, "--format") ? &a->format :
		                    !strcmp(k, "--report") ? &a->report :
		                    !strcmp(k, "--sheet") ? &a->sheet :
		                    !strcmp(k, "--days") ? &a->days :
		                    (!strcmp(k, "-o") || !strcmp(k, "--output")) ? &a->out : NULL;
		if (!slot && strcmp(k, "--vcenter"))
			return usage("unexpected argument '%s'", k);
		if (!v)
			return usage("%s needs a value", k);
		if (slot)
			*slot = v;
		else
			a->vcenters[a->nvc++] = v;
	}
	if (!a->out)
		return usage("%s", "give the output file with -o PATH (- for stdout)");
	return 0;
}

static void list_sheets(const struct report_def *def)
{
	fprintf(stderr, "sheets of report %s:", def->name);
	for (const struct report_sheet *const *s = def->sheets; *s; s++)
		fprintf(stderr, " %s", (*s)->name);
	fputc('\n', stderr);
}

/* Checks the options that need no configuration. Returns 0 or the exit code. */
static int check_opts(const struct report_args *a, struct report_opts *o)
{
	char *end;
	long d;

	if (report_format_parse(a->format ? a->format : "xlsx", &o->format))
		return usage("unknown --format '%s' (xlsx, csv or json)", a->format);
	o->def = report_find(a->report ? a->report : "inventory");
	if (!o->def)
		return usage("unknown --report '%s' (inventory, snapshots, capacity or alarms)", a->report);
	if (a->sheet && !(o->sheet = report_find_sheet(o->def, a->sheet))) {
		list_sheets(o->def);
		return usage("unknown --sheet '%s' for this report", a->sheet);
	}
	o->days = strcmp(o->def->name, "alarms") ? 7 : 0;
	if (a->days) {
		errno = 0;
		d = strtol(a->days, &end, 10);
		if (errno || *end || end == a->days || d < 0 || d > 36500)
			return usage("--days takes a number of days from 0 to 36500, not '%s'", a->days);
		o->days = (int)d;
	}
	if (!strcmp(a->out, "-") && o->format == REPORT_XLSX && isatty(STDOUT_FILENO))
		return usage("%s", "refusing to write a workbook to a terminal; use -o FILE");
	return 0;
}

/* The targets: the named vCenters in the configuration's order, or all. */
static int pick_targets(const struct cfg *c, const struct report_args *a,
                        struct report_target *t, size_t *n)
{
	for (size_t k = 0; k < a->nvc; k++)
		if (!cfg_vcenter_find(c, a->vcenters[k]))
			return usage("no vCenter with id '%s' in the configuration", a->vcenters[k]);
	*n = 0;
	for (size_t i = 0; i < c->n_vcenters; i++) {
		bool want = a->nvc == 0;
		for (size_t k = 0; k < a->nvc && !want; k++)
			want = !strcmp(a->vcenters[k], c->vcenters[i].id);
		if (want)
			t[(*n)++] = (struct report_target){ c->vcenters[i].id, c->vcenters[i].name,
			                                    c->vcenters[i].url };
	}
	return 0;
}

static int run(const char *config, const struct report_args *a, const struct report_opts *o)
{
	struct report_target *t = NULL;
	struct report_result res;
	struct store *s = NULL;
	struct cfg c;
	char err[512];
	size_t n = 0;
	int rc;

	if (cfg_load(&c, config, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t = calloc(c.n_vcenters ? c.n_vcenters : 1, sizeof(*t));
	rc = t ? pick_targets(&c, a, t, &n) : 1;
	if (!rc && !(s = store_open(&c, STORE_WEB, err, sizeof(err)))) {
		fprintf(stderr, "vcompanion report: %s\n", err);
		rc = 1;
	}
	if (!rc && report_write_path(s, t, n, o, a->out, &res)) {
		fprintf(stderr, "vcompanion report: %s\n", res.err);
		rc = 1;
	} else if (!rc) {
		if (res.truncated)
			fprintf(stderr, "vcompanion report: warning: %zu rows beyond Excel's limit of "
			        "1,048,576 per sheet were left out (use CSV or JSON)\n", res.truncated);
		if (strcmp(a->out, "-"))
			fprintf(stderr, "vcompanion report: %s: %zu rows from %zu vCenter%s\n", a->out,
			        res.rows, n, n == 1 ? "" : "s");
	}
	store_free(s);
	free(t);
	cfg_free(&c);
	return rc;
}

int cli_report(const char *config, int argc, char **argv)
{
	struct report_args a = { 0 };
	struct report_opts o = { .lanes = true };   /* a cron export: the cores are its own */
	int rc;

	a.vcenters = calloc((size_t)argc, sizeof(*a.vcenters));
	if (!a.vcenters)
		return 1;
	rc = parse_args(argc, argv, &a);
	if (!rc)
		rc = check_opts(&a, &o);
	if (!rc)
		rc = run(config, &a, &o);
	free(a.vcenters);
	return rc;
}
