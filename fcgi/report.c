/* The report driver: opens each vCenter's records once per type, decodes the
 * array one record at a time, feeds every selected sheet that reads that type and
 * hands the rows to the writer of the chosen format (report_xlsx.c, report_csv.c,
 * report_json.c). Output goes to a temp file that is renamed (or streamed) only
 * when the whole report succeeded.
 *
 * Lanes: with a writer whose sheets are independent (xlsx, JSON) and more than one
 * sheet, the sheets are split into two lanes, each a report_run of its own (its
 * own sheets, values, vCenter state and result). The main thread fetches and opens
 * each value once; when both lanes read that type, a second thread decodes the
 * same (read-only) text for the side lane while the main thread decodes it for the
 * main lane, and the two meet before the text is freed. No jansson value and no
 * run state crosses threads, only the text and the writer, whose row() touches
 * just the sheet it is given. The CLI asks for lanes, the web worker does not
 * (docs/reports.md, "Two lanes"). */
#include "report.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The record types in the order a vCenter is read: the status first (every row
 * names its vCenter's UUID), hosts before what hangs off hosts, VMs and hosts
 * before clusters (the capacity sheet sums them per cluster). */
static const char *const pass_order[] = {
	"status", "host", "vm", "cluster", "datastore", "pnic", "vswitch", "portgroup",
	"dvs", "vmk", "alarm", NULL
};

/* Types whose sheets show the host's datacenter and cluster (from the host index). */
static const char *const host_children[] = { "pnic", "vswitch", "portgroup", "vmk", NULL };

const struct report_def *report_find(const char *name)
{
	for (const struct report_def *d = report_defs; name && d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

const struct report_sheet *report_find_sheet(const struct report_def *def, const char *name)
{
	for (const struct report_sheet *const *s = def->sheets; name && *s; s++)
		if (!strcasecmp((*s)->name, name))
			return *s;
	return NULL;
}

size_t report_nsheets(const struct report_def *def)
{
	size_t n = 0;

	while (def->sheets[n])
		n++;
	return n;
}

const char *report_format_name(enum report_format f)
{
	return f == REPORT_XLSX ? "xlsx" : f == REPORT_CSV ? "csv" : "json";
}

int report_format_parse(const char *s, enum report_format *out)
{
	if (!s)
		return -1;
	if (!strcmp(s, "xlsx"))
		*out = REPORT_XLSX;
	else if (!strcmp(s, "csv"))
		*out = REPORT_CSV;
	else if (!strcmp(s, "json"))
		*out = REPORT_JSON;
	else
		return -1;
	return 0;
}

const char *report_content_type(enum report_format f)
{
	switch (f) {
	case REPORT_XLSX: return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	case REPORT_CSV: return "text/csv; charset=utf-8";
	default: return "application/json";
	}
}

/* ------------------------------------------------------------------ cells */

static void join_strings(const json_t *arr, struct report_val *v)
{
	size_t i, n = 0;
	json_t *e;

	v->buf[0] = 0;
	json_array_foreach(arr, i, e) {
		const char *s = json_string_value(e);
		int w;
		if (!s)
			continue;
		w = snprintf(v->buf + n, sizeof(v->buf) - n, "%s%s", n ? ", " : "", s);
		if (w < 0 || (size_t)w >= sizeof(v->buf) - n) {
			v->buf[n] = 0;   /* a whole name or nothing */
			break;
		}
		n += (size_t)w;
	}
	v->kind = RV_STR;
	v->s = v->buf;
}

static void from_json(enum report_type type, const json_t *j, struct report_val *v)
{
	if (!j || json_is_null(j))
		return;
	switch (type) {
	case RT_STR:
		if (json_is_string(j)) {
			v->kind = RV_STR;
			v->s = json_string_value(j);
		} else if (json_is_integer(j)) {
			snprintf(v->buf, sizeof(v->buf), "%lld", (long long)json_integer_value(j));
			v->kind = RV_STR;
			v->s = v->buf;
		} else if (json_is_array(j)) {
			join_strings(j, v);
		} else if (json_is_boolean(j)) {
			v->kind = RV_STR;
			v->s = json_is_true(j) ? "True" : "False";
		}
		break;
	case RT_INT:
	case RT_NUM:
		if (json_is_number(j))
			report_val_num(v, json_number_value(j));
		break;
	case RT_MIB:
		if (json_is_number(j))
			report_val_mib(v, json_number_value(j));
		break;
	case RT_BOOL:
		if (json_is_boolean(j)) {
			v->kind = RV_BOOL;
			v->b = json_is_true(j);
		}
		break;
	case RT_TIME:
		report_val_time(v, json_string_value(j));
		break;
	}
}

void report_cell(const struct report_col *col, const struct report_row *row, struct report_val *v)
{
	const json_t *src = row->rec;
	const char *f = col->field;

	v->kind = RV_NONE;
	v->s = NULL;
	if (col->get) {
		col->get(row, v);
		return;
	}
	if (!f)
		return;
	if (f[0] == '.') {
		src = row->sub;
		f++;
	}
	from_json(col->type, json_object_get(src, f), v);
}

void report_val_num(struct report_val *v, double n)
{
	v->kind = RV_NUM;
	v->num = n;
}

void report_val_mib(struct report_val *v, double bytes)
{
	long long mib = (long long)((bytes + 524288.0) / 1048576.0);

	report_val_num(v, (double)mib);
}

void report_val_str(struct report_val *v, const char *s)
{
	if (!s)
		return;
	v->kind = RV_STR;
	v->s = s;
}

void report_val_time(struct report_val *v, const char *s)
{
	if (!s || !*s)
		return;
	if (report_parse_time(s, &v->t) == 0) {
		v->kind = RV_TIME;
		v->s = s;
	} else {
		report_val_str(v, s);
	}
}

/* ------------------------------------------------------------------ the run */

static int sheet_index(const struct report_run *run, const struct report_sheet *sh)
{
	for (size_t i = 0; i < run->nsel; i++)
		if (run->sel[i] == sh)
			return (int)i;
	return -1;
}

void report_emit(struct report_run *run, const struct report_sheet *sh, const struct report_row *row)
{
	int idx = sheet_index(run, sh), rc;

	if (idx < 0 || run->failed)
		return;
	for (size_t c = 0; c < sh->ncols; c++)
		report_cell(&sh->cols[c], row, &run->vals[c]);
	rc = run->w->row(run->w, run->widx[idx], run->vals, sh->ncols, run->res->err,
	                 sizeof(run->res->err));
	if (rc < 0) {
		run->failed = 1;
	} else if (rc > 0) {
		run->res->truncated++;
	} else {
		run->res->rows++;
	}
}

static void feed_part(struct report_run *run, const struct report_sheet *sh,
                      const struct report_part *p, struct report_row *row)
{
	if (p->keep && !p->keep(row))
		return;
	if (p->rows)
		p->rows(run, sh, row);
	else
		report_emit(run, sh, row);
}

/* One record of type `type` to every selected sheet reading that type. */
static void feed(struct report_run *run, const char *type, const json_t *rec)
{
	struct report_row row = { .rec = rec, .vc = run->vc, .now = run->now, .days = run->days };

	for (size_t i = 0; i < run->nsel && !run->failed; i++) {
		const struct report_sheet *sh = run->sel[i];
		for (const struct report_part *p = sh->parts; p->source; p++) {
			if (strcmp(p->source, type))
				continue;
			if (!p->each) {
				row.sub = NULL;
				feed_part(run, sh, p, &row);
				continue;
			}
			size_t k;
			json_t *e;
			json_array_foreach(json_object_get(rec, p->each), k, e) {
				row.sub = e;
				feed_part(run, sh, p, &row);
			}
		}
	}
}

/* Remembers each host's datacenter and cluster for the sheets of its children. */
static void index_host(struct report_vc *vc, const json_t *h)
{
	const char *moref = json_string_value(json_object_get(h, "moref"));

	if (!moref)
		return;
	json_object_set_new(vc->hosts, moref, json_pack("{s:O?,s:O?}",
	                    "datacenter", json_object_get(h, "datacenter"),
	                    "cluster", json_object_get(h, "cluster_name")));
}

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static bool needs_type(const struct report_run *run, const char *type)
{
	for (size_t i = 0; i < run->nsel; i++)
		for (const struct report_part *p = run->sel[i]->parts; p->source; p++)
			if (!strcmp(p->source, type) ||
			    (!strcmp(type, "host") && in_list(host_children, p->source)))
				return true;
	return false;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* Decodes a JSON array one element at a time (jansson stops after one value with
 * JSON_DISABLE_EOF_CHECK and reports how far it read), so only one record is
 * decoded at any moment. Returns 0 or -1 on malformed text. */
static int stream_array(struct report_run *run, const char *type, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	p = skip_ws(p, end);
	if (p == end || *p != '[')
		return -1;
	p = skip_ws(p + 1, end);
	if (p < end && *p == ']')
		return 0;
	while (p < end && !run->failed) {
		json_error_t e;
		json_t *rec = json_loadb(p, (size_t)(end - p), JSON_DISABLE_EOF_CHECK, &e);
		if (!rec)
			return -1;
		if (!strcmp(type, "host"))
			index_host(run->vc, rec);
		if (json_is_object(rec))
			feed(run, type, rec);
		json_decref(rec);
		p = skip_ws(p + e.position, end);
		if (p < end && *p == ']')
			return 0;
		if (p == end || *p != ',')
			return -1;
		p = skip_ws(p + 1, end);
	}
	return run->failed ? 0 : -1;
}

/* Opens vc:{id}:type. Returns 1 with *text, 0 when missing, -1 on failure (err set). */
static int open_value(struct report_run *run, struct store *s, const char *type,
                      char **text, size_t *len)
{
	unsigned long before = s->tampered;
	char key[128];
	int rc;

	store_key_vc(key, sizeof(key), run->vc->id, type);
	rc = store_get(s, key, text, len);
	if (rc < 0) {
		snprintf(run->res->err, sizeof(run->res->err), "%s: Redis: %s", key, s->errstr);
		return -1;
	}
	if (rc == 0 && s->tampered != before) {
		snprintf(run->res->err, sizeof(run->res->err), "vCenter %s: %s failed to open "
		         "(tampered, moved or sealed with a key no longer in the key file); "
		         "run the collector again or check key_file", run->vc->id, key);
		run->res->tampered = true;
		return -1;
	}
	return rc;
}

/* ------------------------------------------------------------------ lanes */

#define LANES 2

/* The runs of one report: run[0] on the main thread, run[1] (when n == 2) on a
 * second thread whenever both read the same type. */
struct lanes {
	struct report_run *run[LANES];
	size_t n;
};

static bool lanes_need(const struct lanes *l, const char *type)
{
	for (size_t i = 0; i < l->n; i++)
		if (needs_type(l->run[i], type))
			return true;
	return false;
}

static void lane_status(struct report_run *run, const char *text, size_t len)
{
	run->vc->status = text ? json_loadb(text, len, 0, NULL) : NULL;
	if (!json_is_object(run->vc->status)) {
		json_decref(run->vc->status);
		run->vc->status = json_object();
	}
	feed(run, "status", run->vc->status);
}

/* The status is small: each lane parses its own copy (every row names it). */
static int read_status(struct lanes *l, struct store *s)
{
	char *text = NULL;
	size_t len = 0;
	int rc = open_value(l->run[0], s, "status", &text, &len);

	if (rc < 0)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		lane_status(l->run[i], rc ? text : NULL, len);
	free(text);
	return 0;
}

/* One lane's share of a value: decode the shared text into its own records. */
struct lane_job {
	struct report_run *run;
	const char *type, *text;
	size_t len;
	bool wanted;
	int rc;
};

static void *lane_decode(void *arg)
{
	struct lane_job *j = arg;

	j->rc = j->wanted ? stream_array(j->run, j->type, j->text, j->len) : 0;
	return NULL;
}

static int lane_done(const struct lane_job *j)
{
	struct report_run *run = j->run;

	if (j->rc < 0 && !run->failed) {
		snprintf(run->res->err, sizeof(run->res->err), "vCenter %s: vc:{%s}:%s opened "
		         "but is not a JSON array", run->vc->id, run->vc->id, j->type);
		return -1;
	}
	return run->failed ? -1 : 0;
}

/* Decodes text for every lane that reads type: the side lane on a second thread
 * while this one decodes for the main lane (in turn when only one wants it or no
 * thread can be made). The text is only read until both are done. */
static int decode_lanes(struct lanes *l, const char *type, const char *text, size_t len)
{
	struct lane_job job[LANES];
	pthread_t side;
	bool started = false;
	int rc = 0;

	for (size_t i = 0; i < l->n; i++)
		job[i] = (struct lane_job){ l->run[i], type, text, len, needs_type(l->run[i], type), 0 };
	if (l->n > 1 && job[0].wanted && job[1].wanted)
		started = pthread_create(&side, NULL, lane_decode, &job[1]) == 0;
	lane_decode(&job[0]);
	if (started)
		pthread_join(side, NULL);
	else if (l->n > 1)
		lane_decode(&job[1]);
	for (size_t i = 0; i < l->n; i++)
		if (lane_done(&job[i]))
			rc = -1;
	return rc;
}

/* Opens vc:{id}:type once (errors go to the main lane) and decodes it for the lanes. */
static int read_type(struct lanes *l, struct store *s, const char *type)
{
	char *text = NULL;
	size_t len = 0;
	int rc = open_value(l->run[0], s, type, &text, &len);

	if (rc <= 0)
		return rc;
	rc = decode_lanes(l, type, text, len);
	free(text);
	return rc;
}

/* "VI SDK Server": the host part of the vCenter's URL, as RVTools shows it. */
static void server_of(const struct report_target *t, char *out, size_t n)
{
	const char *u = t->url ? strstr(t->url, "://") : NULL;
	size_t len;

	if (!u) {
		snprintf(out, n, "%s", t->name ? t->name : t->id);
		return;
	}
	u += 3;
	len = strcspn(u, "/?#");
	if (u[0] != '[' && memchr(u, ':', len))
		len = (size_t)((const char *)memchr(u, ':', len) - u);
	snprintf(out, n, "%.*s", (int)len, u);
}

static int run_vcenter(struct lanes *l, struct store *s, const struct report_target *t)
{
	struct report_vc vc[LANES];
	int rc = 0;

	for (size_t i = 0; i < l->n; i++) {
		vc[i] = (struct report_vc){ .id = t->id, .name = t->name ? t->name : t->id };
		server_of(t, vc[i].server, sizeof(vc[i].server));
		vc[i].hosts = json_object();
		vc[i].agg = json_object();
		l->run[i]->vc = &vc[i];
	}
	if (read_status(l, s))
		rc = -1;
	for (const char *const *type = pass_order + 1; *type && !rc; type++)
		if (lanes_need(l, *type))
			rc = read_type(l, s, *type);
	for (size_t i = 0; i < l->n; i++) {
		json_decref(vc[i].status);
		json_decref(vc[i].hosts);
		json_decref(vc[i].agg);
		l->run[i]->vc = NULL;
		if (l->run[i]->failed)
			rc = -1;
	}
	return rc;
}

static int select_sheets(struct report_run *run, const struct report_opts *o)
{
	if (o->sheet) {
		run->sel[run->nsel++] = o->sheet;
		return 0;
	}
	if (o->format == REPORT_CSV) {
		run->sel[run->nsel++] = o->def->sheets[0];
		return 0;
	}
	for (const struct report_sheet *const *sh = o->def->sheets; *sh; sh++) {
		if (run->nsel == REPORT_MAX_SHEETS)
			return -1;
		run->sel[run->nsel++] = *sh;
	}
	return 0;
}

static struct report_writer *writer_for(const struct report_opts *o, const char *file, char *err,
                                        size_t errlen)
{
	switch (o->format) {
	case REPORT_XLSX: return report_xlsx_open(file, err, errlen);
	case REPORT_CSV: return report_csv_open(file, err, errlen);
	default: return report_json_open(file, err, errlen);
	}
}

/* What a sheet is likely to cost, for the split into lanes, from the bytes of its
 * XML per row: the columns every VM sheet shares (names, guest OS, UUIDs, the
 * vCenter: long text) weigh about 20 columns more than their count (30,000-VM
 * bench: vInfo, 39 columns, 1.7 KB a row; vMemory, 16 columns, 1.0 KB). A sheet of
 * a VM's array elements (disks, NICs, partitions, snapshots: fewer than one per
 * VM for some) counts half. Sheets of other records (hosts, clusters, datastores:
 * hundreds of rows, not tens of thousands) and sheets reading several types count
 * nothing and stay in the main lane. */
static size_t sheet_weight(const struct report_sheet *sh)
{
	const struct report_part *p = sh->parts;

	if (!p->source || strcmp(p->source, "vm") || p->rows || p[1].source)
		return 0;
	return (sh->ncols + 20) / (p->each ? 2 : 1);
}

/* Moves the heaviest VM sheets (largest first, while the side lane stays within
 * half of the total weight) from main into side, each keeping its writer index.
 * Returns how many moved; 0 leaves main as it was. */
static size_t plan_lanes(struct report_run *main, struct report_run *side)
{
	bool taken[REPORT_MAX_SHEETS] = { false };
	size_t total = 0, got = 0, keep = 0;

	for (size_t i = 0; i < main->nsel; i++)
		total += sheet_weight(main->sel[i]);
	for (;;) {
		size_t best = main->nsel, w = 0;
		for (size_t i = 0; i < main->nsel; i++) {
			size_t wi = sheet_weight(main->sel[i]);
			if (!taken[i] && wi > w && 2 * (got + wi) <= total)
				best = i, w = wi;
		}
		if (best == main->nsel)
			break;
		taken[best] = true;
		got += w;
	}
	if (!got)
		return 0;
	for (size_t i = 0; i < main->nsel; i++) {
		if (taken[i]) {
			side->sel[side->nsel] = main->sel[i];
			side->widx[side->nsel++] = main->widx[i];
		} else {
			main->sel[keep] = main->sel[i];
			main->widx[keep++] = main->widx[i];
		}
	}
	main->nsel = keep;
	return side->nsel;
}

/* Two lanes when the caller asks (the CLI: a cron export has the machine to itself;
 * not a web worker, which shares the cores with the other workers), unless
 * VC_REPORT_LANES says 1 or 2. */
static bool lanes_wanted(const struct report_writer *w, size_t nsel, const struct report_opts *o)
{
	const char *env = getenv("VC_REPORT_LANES");
	bool want = env && !strcmp(env, "2") ? true : env && !strcmp(env, "1") ? false : o->lanes;

	return w->sheets_apart && nsel > 1 && want;
}

/* The side lane's counts and first error join the report's result. */
static void merge_result(struct report_result *res, const struct report_result *side)
{
	res->rows += side->rows;
	res->truncated += side->truncated;
	res->tampered |= side->tampered;
	if (!res->err[0] && side->err[0])
		snprintf(res->err, sizeof(res->err), "%s", side->err);
}

/* Runs the whole report into file. */
static int generate(struct store *s, const struct report_target *targets, size_t n,
                    const struct report_opts *o, const char *file, struct report_result *res)
{
	struct report_result side_res = { 0 };
	struct report_run run = { .o = o, .res = res }, side = { .o = o, .res = &side_res };
	struct lanes l = { { &run, &side }, 1 };
	size_t maxcols = 0;
	int rc = 0;

	run.now = side.now = o->now ? o->now : (long long)time(NULL);
	run.days = side.days = o->days;
	if (select_sheets(&run, o)) {
		snprintf(res->err, sizeof(res->err), "too many sheets");
		return -1;
	}
	for (size_t i = 0; i < run.nsel; i++) {
		run.widx[i] = i;
		maxcols = run.sel[i]->ncols > maxcols ? run.sel[i]->ncols : maxcols;
	}
	run.vals = calloc(maxcols ? maxcols : 1, sizeof(*run.vals));
	side.vals = calloc(maxcols ? maxcols : 1, sizeof(*side.vals));
	run.w = side.w = writer_for(o, file, res->err, sizeof(res->err));
	if (!run.vals || !side.vals || !run.w) {
		free(run.vals);
		free(side.vals);
		return -1;
	}
	if (run.w->begin(run.w, run.sel, run.nsel)) {
		snprintf(res->err, sizeof(res->err), "%s", run.w->err);
		rc = -1;
	}
	if (lanes_wanted(run.w, run.nsel, o) && plan_lanes(&run, &side))
		l.n = 2;
	for (size_t i = 0; i < n && !rc; i++)
		rc = run_vcenter(&l, s, &targets[i]);
	merge_result(res, &side_res);
	if (!rc && run.w->finish(run.w)) {
		snprintf(res->err, sizeof(res->err), "%s", run.w->err);
		rc = -1;
	}
	run.w->free(run.w);
	free(run.vals);
	free(side.vals);
	return rc;
}

/* ------------------------------------------------------------------ files */

static int make_temp(const char *dir, const char *base, enum report_format f, char **out)
{
	size_t n = strlen(dir) + strlen(base) + 32;
	char *path = malloc(n);
	int fd;

	if (!path)
		return -1;
	snprintf(path, n, "%s/.%s.XXXXXX.%s", dir, base, report_format_name(f));
	fd = mkstemps(path, (int)strlen(report_format_name(f)) + 1);
	if (fd < 0) {
		free(path);
		return -1;
	}
	close(fd);
	*out = path;
	return 0;
}

static int copy_to_stdout(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t got;
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (fwrite(chunk, 1, got, stdout) != got) {
			snprintf(err, errlen, "stdout: %s", strerror(errno));
			rc = -1;
			break;
		}
	fclose(f);
	if (!rc && fflush(stdout)) {
		snprintf(err, errlen, "stdout: %s", strerror(errno));
		rc = -1;
	}
	return rc;
}

char *report_write_temp(struct store *s, const struct report_target *targets, size_t n,
                        const struct report_opts *o, const char *dir,
                        struct report_result *res)
{
	char *tmp = NULL;

	memset(res, 0, sizeof(*res));
	if (make_temp(dir, "report", o->format, &tmp)) {
		snprintf(res->err, sizeof(res->err), "cannot create a temp file in %s: %s", dir,
		         strerror(errno));
		return NULL;
	}
	if (generate(s, targets, n, o, tmp, res)) {
		unlink(tmp);
		free(tmp);
		return NULL;
	}
	return tmp;
}

int report_write_path(struct store *s, const struct report_target *targets, size_t n,
                      const struct report_opts *o, const char *path,
                      struct report_result *res)
{
	const char *tmpdir = getenv("TMPDIR");
	char dir[4096], *tmp;
	const char *slash;
	int rc = 0;

	if (!strcmp(path, "-")) {
		snprintf(dir, sizeof(dir), "%s", tmpdir && *tmpdir ? tmpdir : "/tmp");
	} else if ((slash = strrchr(path, '/'))) {
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	} else {
		snprintf(dir, sizeof(dir), ".");
	}
	tmp = report_write_temp(s, targets, n, o, dir, res);
	if (!tmp)
		return -1;
	if (!strcmp(path, "-")) {
		rc = copy_to_stdout(tmp, res->err, sizeof(res->err));
		unlink(tmp);
	} else if (rename(tmp, path)) {
		snprintf(res->err, sizeof(res->err), "%s: %s", path, strerror(errno));
		unlink(tmp);
		rc = -1;
	}
	free(tmp);
	return rc;
}
