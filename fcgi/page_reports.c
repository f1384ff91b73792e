/* GET /reports: the downloads page (each report with its formats, sheets and
 * period); GET /reports/download: one report over the session's vCenters (only
 * those: scope.h), written by report.c into a temp file, then read back into the
 * response in 64 KiB chunks and deleted, sent as an attachment.
 *
 * The response core buffers a whole answer (resp.h), so a workbook passes through
 * memory once on its way out; a resp_file() that hands the open file to the
 * FastCGI loop would remove that copy (docs/reports.md, "Web"). */
#include "report.h"
#include "router.h"
#include "layout.h"
#include "resp.h"
#include "scope.h"
#include "server.h"
#include "session.h"
#include "cfg.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const formats[] = { "xlsx", "csv", "json", NULL };
static const char *const reports[] = { "inventory", "snapshots", "capacity", "alarms", NULL };

const struct param_spec page_reports_params[] = {
	{ .name = NULL },
};

const struct param_spec page_report_download_params[] = {
	{ .name = "format", .kind = PARAM_ENUM, .choices = formats },
	{ .name = "report", .kind = PARAM_ENUM, .choices = reports },
	{ .name = "sheet", .kind = PARAM_STRING, .max = 40 },
	{ .name = "days", .kind = PARAM_INT, .min = 0, .max = 36500 },
	{ .name = "vcenter", .kind = PARAM_VCENTER, .flags = PARAM_MULTI },
	{ .name = NULL },
};

static json_t *report_json(const struct report_def *d)
{
	json_t *sheets = json_array();
	bool dated = !strcmp(d->name, "snapshots") || !strcmp(d->name, "alarms");

	for (const struct report_sheet *const *s = d->sheets; *s; s++)
		json_array_append_new(sheets, json_pack("{s:s}", "name", (*s)->name));
	return json_pack("{s:s,s:s,s:s,s:o,s:b,s:b,s:b,s:i}", "name", d->name, "title", d->title,
	                 "description", d->description, "sheets", sheets,
	                 "dated", dated, "snapshots", !strcmp(d->name, "snapshots"),
	                 "alarms", !strcmp(d->name, "alarms"),
	                 "days", 7);
}

int page_reports(struct req *r)
{
	json_t *list = json_array(), *vcs = json_array();
	struct scope sc;

	if (scope_load(r, &sc))
		return json_decref(list), json_decref(vcs), router_store_down(r);
	for (const struct report_def *d = report_defs; d->name; d++)
		json_array_append_new(list, report_json(d));
	for (size_t k = 0; k < sc.n; k++)
		json_array_append_new(vcs, json_pack("{s:s,s:s}", "id", sc.ids[k], "name", sc.names[k]));
	return page_render(r, "page-reports", json_pack("{s:o,s:o,s:b}", "reports", list,
	                   "scope", vcs, "scope_empty", sc.n == 0), "Reports");
}

/* The selected vCenters of the scope as report targets (URL from the configuration). */
static size_t targets_of(const struct req *r, const struct scope *sc, struct report_target *t)
{
	size_t n = 0;

	for (size_t i = 0; i < sc->n; i++) {
		const struct cfg_vcenter *vc = cfg_vcenter_find(r->app->cfg, sc->ids[i]);
		if (sc->selected[i] && vc)
			t[n++] = (struct report_target){ sc->ids[i], sc->names[i], vc->url };
	}
	return n;
}

/* Hands the finished file to the response (the server sends it in chunks after
 * the headers, never whole in memory) and deletes its name. */
static int send_file(struct req *r, const char *path, const struct report_opts *o)
{
	FILE *f = fopen(path, "rb");
	char name[128], stamp[32], disp[200];
	time_t now = (time_t)r->now;
	struct stat st;
	struct tm tm;

	unlink(path);   /* the open handle keeps it readable */
	if (!f)
		return -1;
	if (fstat(fileno(f), &st)) {
		fclose(f);
		return -1;
	}
	buf_reset(&r->body);
	r->body_file = f;
	r->body_file_len = (long long)st.st_size;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M", &tm);
	snprintf(name, sizeof(name), "vcompanion-%s%s%s-%s.%s", o->def->name, o->sheet ? "-" : "",
	         o->sheet ? o->sheet->name : "", stamp, report_format_name(o->format));
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	r->status = 200;
	resp_header(r, "Content-Type", report_content_type(o->format));
	resp_header(r, "Content-Disposition", disp);
	resp_header(r, "Cache-Control", "no-store");
	return 0;
}

static int bad_request(struct req *r, const char *msg)
{
	return resp_error(r, 400, "Unknown report", msg);
}

int page_report_download(struct req *r)
{
	struct report_opts o = { .format = REPORT_XLSX, .now = r->now };
	struct report_target t[SCOPE_MAX];
	struct report_result res;
	const char *tmp = getenv("TMPDIR"), *sheet = req_str(r, "sheet");
	struct scope sc;
	char *path;
	size_t n;

	if (req_str(r, "format"))
		report_format_parse(req_str(r, "format"), &o.format);
	o.def = report_find(req_str(r, "report") ? req_str(r, "report") : "inventory");
	if (!o.def)
		return bad_request(r, "Choose a report from the Reports page.");
	if (sheet && *sheet && !(o.sheet = report_find_sheet(o.def, sheet)))
		return bad_request(r, "That sheet is not part of this report; choose one from the Reports page.");
	o.days = (int)req_int(r, "days", strcmp(o.def->name, "alarms") ? 7 : 0);
	if (scope_load(r, &sc))
		return router_store_down(r);
	n = targets_of(r, &sc, t);
	path = report_write_temp(r->app->store, t, n, &o, tmp && *tmp ? tmp : "/tmp", &res);
	if (!path) {
		log_error("report.failed", "report=%s format=%s error=%s", o.def->name,
		          report_format_name(o.format), log_q(res.err));
		if (res.tampered)
			return resp_error(r, 500, "Report not available",
			                  "Some inventory data failed its integrity check and was not used. "
			                  "An administrator should check the collector and the key file.");
		return router_store_down(r);
	}
	log_info("report.sent", "user=%s report=%s format=%s rows=%zu vcenters=%zu",
	         log_q(r->sess ? r->sess->user : "-"), o.def->name, report_format_name(o.format),
	         res.rows, n);
	if (send_file(r, path, &o)) {
		free(path);
		return -1;
	}
	free(path);
	return 0;
}
