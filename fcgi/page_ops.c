/* VM operations, the vCenter task list and the audit page.
 *
 * POST /ops/vm runs one operation on one or many objects (targets "vcenter:moref",
 * from the VM detail page or a multi-selection in the VM table) with the user's own
 * vCenter session, so vCenter's permissions apply; every attempt is audited.
 * GET /tasks shows the recent tasks of each of the session's vCenters (TaskManager),
 * as the user sees them; GET /tasks/state answers the states of the tasks an
 * operation started, which the browser polls for its toasts. GET /audit (admins)
 * shows the audit log. */
#include "audit.h"
#include "cfg.h"
#include "layout.h"
#include "req.h"
#include "resp.h"
#include "router.h"
#include "scope.h"
#include "server.h"
#include "uservc.h"
#include "vc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASKS_PER_VCENTER 30
#define TASKS_PANEL 8             /* rows of the dashboard's panel (/tasks?panel=1) */

static const char *const vm_ops[] = {
	"power_on", "power_off", "reset", "shutdown", "reboot",
	"snapshot_create", "snapshot_revert", "snapshot_remove", NULL,
};

const struct param_spec page_ops_params[] = {
	{ .name = "target", .kind = PARAM_STRING, .max = 100, .flags = PARAM_MULTI },
	{ .name = "op", .kind = PARAM_ENUM, .choices = vm_ops },
	{ .name = "name", .kind = PARAM_STRING, .max = 80 },
	{ .name = "description", .kind = PARAM_TEXT, .max = 500 },
	{ .name = "csrf", .kind = PARAM_CSRF },
	{ .name = NULL },
};

const struct param_spec page_tasks_params[] = {
	{ .name = "running", .kind = PARAM_BOOL },
	{ .name = "panel", .kind = PARAM_BOOL },
	{ .name = NULL },
};

const struct param_spec page_tasks_state_params[] = {
	{ .name = "task", .kind = PARAM_STRING, .max = 100, .flags = PARAM_MULTI },
	{ .name = NULL },
};

/* Each operation: its vim25 method, the type of its target and what users read. */
static const struct vm_op {
	const char *op, *method, *type, *label;
} vm_op_map[] = {
	{ "power_on", "PowerOnVM_Task", "VirtualMachine", "Power on" },
	{ "power_off", "PowerOffVM_Task", "VirtualMachine", "Power off" },
	{ "reset", "ResetVM_Task", "VirtualMachine", "Reset" },
	{ "shutdown", "ShutdownGuest", "VirtualMachine", "Shut down" },
	{ "reboot", "RebootGuest", "VirtualMachine", "Restart" },
	{ "snapshot_create", "CreateSnapshot_Task", "VirtualMachine", "Take snapshot" },
	{ "snapshot_revert", "RevertToSnapshot_Task", "VirtualMachineSnapshot", "Revert to snapshot" },
	{ "snapshot_remove", "RemoveSnapshot_Task", "VirtualMachineSnapshot", "Remove snapshot" },
};

static const struct vm_op *vm_op_find(const char *op)
{
	for (size_t i = 0; i < sizeof(vm_op_map) / sizeof(vm_op_map[0]); i++)
		if (!strcmp(vm_op_map[i].op, op))
			return &vm_op_map[i];
	return NULL;
}

/* The vim25 method and body of op on moref; NULL for an unknown op. */
static const char *op_request(const char *op, const char *moref, const char *name,
                              const char *desc, struct buf *b)
{
	const struct vm_op *o = vm_op_find(op);

	if (!o)
		return NULL;
	buf_printf(b, "<_this type=\"%s\">", o->type);
	buf_add_xml(b, moref);
	buf_adds(b, "</_this>");
	if (!strcmp(op, "snapshot_create")) {
		buf_adds(b, "<name>");
		buf_add_xml(b, name && *name ? name : "vcompanion snapshot");
		buf_adds(b, "</name><description>");
		buf_add_xml(b, desc ? desc : "");
		buf_adds(b, "</description><memory>false</memory><quiesce>false</quiesce>");
	} else if (!strcmp(op, "snapshot_remove")) {
		buf_adds(b, "<removeChildren>false</removeChildren>");
	}
	return o->method;
}

/* Runs op on one "vcenter:moref" target; returns the result row. */
static json_t *run_one(struct req *r, const struct scope *sc, const char *target, const char *op)
{
	char vcenter[CFG_ID_MAX + 1], err[VC_ERRSTR_MAX] = "";
	struct vc_session *s = NULL;
	struct buf body = BUF_INIT;
	json_t *row, *res = NULL;
	const char *method, *moref;
	int in_scope = uservc_target(sc, target, vcenter, &moref) == 0, ok = 0;

	row = json_pack("{s:s, s:s, s:s}", "target", target, "vcenter", vcenter, "moref", moref);
	if (!in_scope) {
		snprintf(err, sizeof(err), "not an object of this session's vCenters");
	} else if (!(method = op_request(op, moref, req_str(r, "name"), req_str(r, "description"), &body))) {
		snprintf(err, sizeof(err), "unknown operation");
	} else if ((s = uservc_open(r, vcenter, err, sizeof(err)))) {
		if (vc_call(s, method, buf_str(&body), &res) == 0) {
			ok = 1;
			json_object_set_new(row, "task", json_string(inv_mor_value(res)));
		} else {
			snprintf(err, sizeof(err), "%s", uservc_explain(s));
		}
	}
	json_object_set_new(row, "ok", json_boolean(ok));
	json_object_set_new(row, "message", json_string(ok ? "started" : err));
	audit(r, NULL, op, target, ok ? "ok" : vc_errcode_is_perm(s) ? "denied" : "failed", ok ? NULL : err);
	json_decref(res);
	vc_session_free(s);
	buf_free(&body);
	return row;
}

/* HX-Trigger of an operation's answer: a toast (app.js listens for vc:toast) and
 * the ops-started / ops-failed event for pages that follow operations. */
static void ops_toast(struct req *r, const char *label, size_t started, size_t failed)
{
	char text[160];
	json_t *t;
	char *hdr;

	if (failed)
		snprintf(text, sizeof(text), "%s: %zu started, %zu failed.", label, started, failed);
	else
		snprintf(text, sizeof(text), "%s: %zu started. Follow them on the tasks page.", label, started);
	t = json_pack("{s:{s:s,s:s},s:b}", "vc:toast", "kind", !failed ? "success" : started ? "warning" : "error",
	              "text", text, failed ? "ops-failed" : "ops-started", 1);
	hdr = json_dumps(t, JSON_COMPACT);
	if (hdr)
		resp_header(r, "HX-Trigger", hdr);
	free(hdr);
	json_decref(t);
}

int page_ops_vm(struct req *r)
{
	const char *const *targets = NULL;
	size_t n = req_multi(r, "target", &targets);
	const char *op = req_str(r, "op");
	const struct vm_op *o = op ? vm_op_find(op) : NULL;
	json_t *rows, *data;
	struct scope sc;
	size_t failed = 0;

	if (!o || n == 0)
		return resp_error(r, 400, "Nothing to do", "Choose an operation and at least one VM.");
	if (n > OPS_MAX_TARGETS)
		return resp_error(r, 400, "Too many VMs", "Select at most 100 VMs per operation.");
	if (scope_load(r, &sc))
		return router_store_down(r);
	rows = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *row = run_one(r, &sc, targets[i], op);
		failed += !json_is_true(json_object_get(row, "ok"));
		json_array_append_new(rows, row);
	}
	data = json_pack("{s:s, s:s, s:o, s:i, s:b, s:i}", "op", op, "label", o->label, "results", rows,
	                 "failed", (int)failed, "any_failed", failed > 0, "succeeded", (int)(n - failed));
	ops_toast(r, o->label, n - failed, failed);
	return page_render(r, "page-ops-result", data, "Operation");
}

/* One vCenter's newest max recent tasks as the user sees them. */
static void tasks_of(struct req *r, const char *vcenter, const char *vc_name, int running_only,
                     size_t max, json_t *out)
{
	static const char *const tm_paths[] = { "recentTask" };
	static const char *const task_paths[] = { "info" };
	char err[VC_ERRSTR_MAX];
	struct vc_session *s = uservc_open(r, vcenter, err, sizeof(err));
	json_t *sc = NULL, *tm = NULL, *list;
	const char *tm_ref;

	if (!s || vc_call(s, "RetrieveServiceContent",
	                  "<_this type=\"ServiceInstance\">ServiceInstance</_this>", &sc) ||
	    !(tm_ref = inv_mor_value(json_object_get(sc, "taskManager"))) ||
	    vc_retrieve_one(s, "TaskManager", tm_ref, tm_paths, 1, &tm)) {
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:b}", "vcenter", vcenter,
		        "vcenter_name", vc_name, "error", s ? uservc_explain(s) : err, "failed", 1));
		json_decref(sc);
		vc_session_free(s);
		return;
	}
	list = json_object_get(tm, "recentTask");
	/* recentTask lists the oldest first: show the newest TASKS_PER_VCENTER */
	size_t count = json_is_array(list) ? json_array_size(list) : list ? 1 : 0;
	for (size_t k = 0, shown = 0; k < count && shown < max; k++) {
		size_t i = count - 1 - k;
		json_t *one = json_is_array(list) ? json_array_get(list, i) : list, *info = NULL, *t;
		const char *state;
		if (vc_retrieve_one(s, "Task", inv_mor_value(one), task_paths, 1, &info))
			continue;
		t = json_object_get(info, "info");
		state = json_string_value(json_object_get(t, "state"));
		if (!running_only || (state && (!strcmp(state, "running") || !strcmp(state, "queued")))) {
			json_t *row = json_pack("{s:s, s:s}", "vcenter", vcenter, "vcenter_name", vc_name);
			static const char *const fields[] = { "descriptionId", "entityName", "state",
				"progress", "queueTime", "startTime", "completeTime", NULL };
			for (const char *const *f = fields; *f; f++)
				json_object_set(row, *f, json_object_get(t, *f) ? json_object_get(t, *f) : json_null());
			json_object_set(row, "user", json_object_get(json_object_get(t, "reason"), "userName"));
			json_object_set(row, "error", json_object_get(json_object_get(t, "error"), "localizedMessage"));
			json_object_set_new(row, "running", json_boolean(state && !strcmp(state, "running")));
			json_object_set_new(row, "failed", json_boolean(state && !strcmp(state, "error")));
			json_array_append_new(out, row);
			shown++;
		}
		json_decref(info);
	}
	json_decref(tm);
	json_decref(sc);
	vc_session_free(s);
}

/* Newest first across vCenters (ISO 8601 UTC times sort as strings); rows of a
 * vCenter that could not be asked come first. */
static int task_newer(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "queueTime"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "queueTime"));

	return strcmp(y ? y : "~", x ? x : "~");
}

int page_tasks(struct req *r)
{
	int running = req_bool(r, "running"), panel = req_bool(r, "panel");
	json_t *tasks = json_array();
	struct scope sc;

	if (scope_load(r, &sc))
		return router_store_down(r);
	for (size_t i = 0; i < sc.n; i++)
		if (sc.selected[i])
			tasks_of(r, sc.ids[i], sc.names[i], running, panel ? TASKS_PANEL : TASKS_PER_VCENTER,
			         tasks);
	if (panel) {
		/* The dashboard's panel: the newest few of all vCenters together. */
		size_t n = json_array_size(tasks);
		json_t **rows = calloc(n ? n : 1, sizeof(*rows)), *top = json_array();
		if (!rows)
			abort();
		for (size_t i = 0; i < n; i++)
			rows[i] = json_array_get(tasks, i);
		qsort(rows, n, sizeof(*rows), task_newer);
		for (size_t i = 0; i < n && i < TASKS_PANEL; i++)
			json_array_append(top, rows[i]);
		free(rows);
		json_decref(tasks);
		return page_render(r, "part-tasks-panel", json_pack("{s:o}", "tasks", top), "Tasks");
	}
	return page_render(r, "page-tasks", json_pack("{s:o, s:b}", "tasks", tasks, "running", running),
	                   "Tasks");
}

/* The state of one "vcenter:task-N" through s (the user's session of that vCenter,
 * or NULL when the target is not the session's or the session could not be
 * opened): a row for the JSON answer. */
static json_t *task_state(struct vc_session *s, const char *target, const char *moref)
{
	static const char *const paths[] = { "info" };
	json_t *row = json_pack("{s:s, s:s}", "task", target, "state", "unknown"), *res = NULL, *t;

	if (!s || vc_retrieve_one(s, "Task", moref, paths, 1, &res))
		return row;
	t = json_object_get(res, "info");
	if (json_is_string(json_object_get(t, "state")))
		json_object_set(row, "state", json_object_get(t, "state"));
	json_object_set(row, "progress", json_object_get(t, "progress"));
	json_object_set(row, "name", json_object_get(t, "descriptionId"));
	json_object_set(row, "entity", json_object_get(t, "entityName"));
	json_object_set(row, "error", json_object_get(json_object_get(t, "error"), "localizedMessage"));
	json_decref(res);
	return row;
}

int page_tasks_state(struct req *r)
{
	const char *const *targets = NULL;
	size_t n = req_multi(r, "task", &targets);
	char open_vc[CFG_ID_MAX + 1] = "", err[VC_ERRSTR_MAX];
	struct vc_session *s = NULL;
	json_t *rows = json_array(), *out;
	struct scope sc;

	if (n > OPS_MAX_TARGETS)
		return resp_error(r, 400, "Too many tasks", "Ask for at most 100 tasks at once.");
	if (scope_load(r, &sc))
		return router_store_down(r);
	/* An operation's tasks come grouped by vCenter: one session per run of them. */
	for (size_t i = 0; i < n; i++) {
		char vc[CFG_ID_MAX + 1];
		const char *moref;

		if (uservc_target(&sc, targets[i], vc, &moref) < 0) {
			json_array_append_new(rows, task_state(NULL, targets[i], moref));
			continue;
		}
		if (strcmp(vc, open_vc)) {
			vc_session_free(s);
			s = uservc_open(r, vc, err, sizeof(err));
			snprintf(open_vc, sizeof(open_vc), "%s", vc);
		}
		json_array_append_new(rows, task_state(s, targets[i], moref));
	}
	vc_session_free(s);
	out = json_pack("{s:o}", "tasks", rows);
	resp_json(r, 200, out);
	json_decref(out);
	return 0;
}

int page_audit(struct req *r)
{
	json_t *entries = audit_recent(r, 500);

	if (!entries)
		return router_store_down(r);
	return page_render(r, "page-audit", json_pack("{s:o}", "entries", entries), "Audit");
}

const struct route ops_routes[] = {
	{ "/ops/vm", REQ_POST, page_ops_vm, ROUTE_LOGIN, page_ops_params },
	{ "/tasks", REQ_GET, page_tasks, ROUTE_LOGIN, page_tasks_params },
	{ "/tasks/state", REQ_GET, page_tasks_state, ROUTE_LOGIN, page_tasks_state_params },
	{ "/audit", REQ_GET, page_audit, ROUTE_LOGIN | ROUTE_ADMIN, NULL },
	{ NULL, 0, NULL, 0, NULL },
};
