/* inv_vmread: one VM's properties as its record reads them (struct inv_vm), taken
 * from the parser's events (vc.h struct vc_sink) while a full poll's answer streams
 * in, so no JSON value is built for a VM, or from a props object replayed as the
 * same events (vc_sink_json: the incremental mode's cache, tests). Both give the
 * record inv_vm.c writes; what it shows is what inv_path() and its kin read from
 * the props JSON: a name given twice in one object (an array in JSON) is no string,
 * number or flag any more, a list property's value may be a single item rather
 * than an array of them, and an array stops a dotted path.
 *
 * The reader keeps a stack of frames, one per open object or array, each with its
 * role: between properties, a list's array, inside an item (with the item's dotted
 * path to it), a guest NIC's addresses, the snapshot tree, or ignored. */
#include "inv.h"
#include "inv_build.h"

#include <stdlib.h>
#include <string.h>

#define STACK_MAX (VC_MAX_DEPTH + 2)
#define SNAP_DEPTH_MAX 64          /* as inv_vm.c's walk: deeper snapshots are left out */

enum role {
	R_TOP,                     /* between properties */
	R_IGNORE,
	R_LIST,                    /* a list property's array: its members are items */
	R_ITEM,                    /* inside an item of a list */
	R_IPS,                     /* a guest NIC's ipAddress array */
	R_SNAPINFO,                /* the snapshot property's object */
	R_SNAPLIST,                /* a root or child snapshot list's array: nodes */
};

/* The lists items come from: the record lists, and the guest's NICs, whose
 * addresses are all a record keeps (into VL_IP). */
#define L_NIC VL_N

struct inv_vm_frame {
	enum role role;
	int list;                  /* R_LIST, R_ITEM */
	int item;                  /* R_ITEM: its index; R_SNAPLIST: the parent node, -1 */
	int depth;                 /* R_SNAPLIST: its nodes' depth */
	size_t plen;               /* R_ITEM: length of vm->path */
};

enum pkind { P_FIELD, P_LIST, P_SNAP };

/* The properties the reader knows (inv_specs.c vm_paths), in that order. */
static const struct prop {
	const char *name;
	enum pkind kind;
	int target;                /* a field or a list */
} prop_table[] = {
	{ "name", P_FIELD, VF_NAME },
	{ "parent", P_FIELD, VF_PARENT },
	{ "resourcePool", P_FIELD, VF_POOL },
	{ "overallStatus", P_FIELD, VF_STATUS },
	{ "datastore", P_LIST, VL_DATASTORE },
	{ "network", P_LIST, VL_NETWORK },
	{ "config.uuid", P_FIELD, VF_UUID },
	{ "config.instanceUuid", P_FIELD, VF_INSTANCE_UUID },
	{ "config.template", P_FIELD, VF_TEMPLATE },
	{ "config.version", P_FIELD, VF_HW_VERSION },
	{ "config.hardware.numCPU", P_FIELD, VF_CPUS },
	{ "config.hardware.numCoresPerSocket", P_FIELD, VF_CORES },
	{ "config.hardware.memoryMB", P_FIELD, VF_MEMORY },
	{ "config.hardware.device", P_LIST, VL_DEVICE },
	{ "config.guestId", P_FIELD, VF_GUEST_ID },
	{ "config.guestFullName", P_FIELD, VF_GUEST_OS },
	{ "config.annotation", P_FIELD, VF_ANNOTATION },
	{ "config.tools.toolsVersion", P_FIELD, VF_TOOLS_VERSION },
	{ "runtime.powerState", P_FIELD, VF_POWER },
	{ "runtime.connectionState", P_FIELD, VF_CONNECTION },
	{ "runtime.host", P_FIELD, VF_HOST },
	{ "runtime.bootTime", P_FIELD, VF_BOOT },
	{ "guest.guestFullName", P_FIELD, VF_GUEST_OS_RUNNING },
	{ "guest.toolsStatus", P_FIELD, VF_TOOLS_STATUS },
	{ "guest.toolsRunningStatus", P_FIELD, VF_TOOLS_RUNNING },
	{ "guest.toolsVersionStatus2", P_FIELD, VF_TOOLS_VERSION_STATUS },
	{ "guest.ipAddress", P_FIELD, VF_IP },
	{ "guest.hostName", P_FIELD, VF_DNS },
	{ "guest.net", P_LIST, L_NIC },
	{ "guest.disk", P_LIST, VL_PART },
	{ "summary.storage.committed", P_FIELD, VF_COMMITTED },
	{ "summary.storage.uncommitted", P_FIELD, VF_UNCOMMITTED },
	{ "summary.quickStats.overallCpuUsage", P_FIELD, VF_CPU_USAGE },
	{ "summary.quickStats.guestMemoryUsage", P_FIELD, VF_MEM_USAGE },
	{ "snapshot", P_SNAP, 0 },
	{ "customValue", P_LIST, VL_CUSTOM },
};
#define NPROPS (sizeof(prop_table) / sizeof(prop_table[0]))

/* An item's fields by their dotted path in the item, per list. */
static const char *const device_paths[DF_N] = {
	"deviceInfo.label", "capacityInKB", "capacityInBytes", "macAddress", "backing.fileName",
	"backing.datastore", "backing.diskMode", "backing.thinProvisioned", "backing.network",
	"backing.port.portgroupKey", "connectable.connected", "connectable.startConnected",
};
static const char *const part_paths[PF_N] = { "diskPath", "capacity", "freeSpace" };
static const char *const snap_paths[SF_N] = {
	"snapshot", "name", "description", "createTime", "quiesced",
};
static const char *const custom_paths[CF_N] = { "key", "value" };

static const char *const *paths_of(int list, int *n)
{
	switch (list) {
	case VL_DEVICE: *n = DF_N; return device_paths;
	case VL_PART: *n = PF_N; return part_paths;
	case VL_SNAP: *n = SF_N; return snap_paths;
	case VL_CUSTOM: *n = CF_N; return custom_paths;
	default: *n = 0; return NULL;
	}
}

/* --- values --- */

static unsigned keep_text(struct inv_vm *vm, const char *s, size_t len)
{
	unsigned off = (unsigned)vm->text.len;

	buf_add(&vm->text, s, len);
	buf_addc(&vm->text, '\0');
	return off;
}

static void mark_other(struct inv_val *v)
{
	v->set = v->other = true;
}

/* A leaf into v; a second one makes v an array in JSON's eyes. */
static void put(struct inv_vm *vm, struct inv_val *v, const struct vc_leaf *l)
{
	if (v->set) {
		v->other = true;
		return;
	}
	*v = (struct inv_val){ .set = true, .kind = l->kind, .i = l->i, .d = l->d, .b = l->b };
	if (l->kind == VC_K_STRING || l->kind == VC_K_MOR) {
		v->off = keep_text(vm, l->text, l->len);
		v->len = (unsigned)l->len;
	}
}

static const char *text_of(const struct inv_vm *vm, const struct inv_val *v)
{
	return vm->text.data + v->off;
}

const char *inv_vm_s(const struct inv_vm *vm, const struct inv_val *v)
{
	return v->set && !v->other && v->kind == VC_K_STRING ? text_of(vm, v) : NULL;
}

json_int_t inv_vm_i(const struct inv_vm *vm, const struct inv_val *v, json_int_t def)
{
	const char *s;
	char *end;
	long long n;

	if (!v->set || v->other)
		return def;
	switch (v->kind) {
	case VC_K_INT:
		return v->i;
	case VC_K_REAL:
		return (json_int_t)v->d;
	case VC_K_STRING:
		s = text_of(vm, v);
		n = strtoll(s, &end, 10);
		return !*end && end != s ? n : def;
	default:
		return def;
	}
}

int inv_vm_b(const struct inv_vm *vm, const struct inv_val *v)
{
	if (!v->set || v->other)
		return -1;
	if (v->kind == VC_K_BOOL)
		return v->b;
	if (v->kind == VC_K_STRING)
		return !strcmp(text_of(vm, v), "true");
	return -1;
}

const char *inv_vm_mor(const struct inv_vm *vm, const struct inv_val *v)
{
	if (!v->set || v->other || (v->kind != VC_K_MOR && v->kind != VC_K_STRING))
		return NULL;
	return text_of(vm, v);
}

/* --- items --- */

/* A new empty item of list (the NICs keep none: -1). */
static int new_item(struct inv_vm *vm, int list)
{
	if (list == L_NIC)
		return -1;
	if (vm->n[list] == vm->cap[list]) {
		size_t cap = vm->cap[list] ? 2 * vm->cap[list] : 8;
		struct inv_item *a = realloc(vm->items[list], cap * sizeof(*a));
		if (!a)
			abort();           /* as buf.c: out of memory is not recoverable here */
		vm->items[list] = a;
		vm->cap[list] = cap;
	}
	memset(&vm->items[list][vm->n[list]], 0, sizeof(struct inv_item));
	return (int)vm->n[list]++;
}

/* A leaf standing for a whole item: a reference of a datastore or network list, an
 * address, or an item without fields (a partition then shows as empty; a device
 * or custom value without fields shows nowhere). */
static void leaf_item(struct inv_vm *vm, int list, const struct vc_leaf *l)
{
	int i;

	if (list == VL_DEVICE || list == VL_CUSTOM || list == L_NIC)
		return;
	i = new_item(vm, list);
	if (list == VL_DATASTORE || list == VL_NETWORK || list == VL_IP)
		put(vm, &vm->items[list][i].f[0], l);
}

/* --- the stack --- */

/* The innermost open frame, NULL between properties; beyond STACK_MAX levels every
 * frame is an ignored one. */
static const struct inv_vm_frame *top(const struct inv_vm *vm)
{
	static const struct inv_vm_frame ignored = { R_IGNORE, 0, 0, 0, 0 };

	if (vm->depth == 0 || vm->depth > STACK_MAX)
		return vm->depth ? &ignored : NULL;
	return &vm->stack[vm->depth - 1];
}

static void push(struct inv_vm *vm, struct inv_vm_frame f)
{
	if (vm->depth < STACK_MAX)
		vm->stack[vm->depth] = f;
	vm->depth++;
}

static void push_ignore(struct inv_vm *vm)
{
	push(vm, (struct inv_vm_frame){ .role = R_IGNORE });
}

/* A snapshot node of depth d under node parent (-1: a root) starts: an item, unless
 * it is too deep to be shown. Returns its index or -1. */
static int new_node(struct inv_vm *vm, int d, int parent)
{
	int i;

	if (d >= SNAP_DEPTH_MAX)
		return -1;
	i = new_item(vm, VL_SNAP);
	vm->items[VL_SNAP][i].depth = d;
	vm->items[VL_SNAP][i].parent = parent;
	return i;
}

/* An object standing for an item of list opens. */
static void open_item(struct inv_vm *vm, int list, int item)
{
	vm->path[0] = '\0';
	if (item >= 0 || list == L_NIC)
		push(vm, (struct inv_vm_frame){ .role = R_ITEM, .list = list, .item = item });
	else
		push_ignore(vm);
}

/* The item's field at the path so far plus name: its index, or -1; *prefix tells
 * whether the path leads to fields further down. */
static int field_at(const struct inv_vm *vm, const struct inv_vm_frame *f, const char *name,
                    bool *prefix)
{
	int n;
	const char *const *paths = paths_of(f->list, &n);
	size_t nlen = strlen(name);

	*prefix = false;
	for (int k = 0; k < n; k++) {
		const char *p = paths[k];
		if (f->plen) {
			if (strncmp(p, vm->path, f->plen) || p[f->plen] != '.')
				continue;
			p += f->plen + 1;
		}
		if (strncmp(p, name, nlen))
			continue;
		if (p[nlen] == '\0')
			return k;
		if (p[nlen] == '.')
			*prefix = true;
	}
	return -1;
}

static struct inv_val *item_field(struct inv_vm *vm, const struct inv_vm_frame *f, int k)
{
	return &vm->items[f->list][f->item].f[k];
}

/* --- events --- */

static const struct prop *find_prop(struct inv_vm *vm, const char *name)
{
	for (size_t k = 0; k < NPROPS; k++) {
		size_t i = (vm->guess + k) % NPROPS;
		if (!strcmp(prop_table[i].name, name)) {
			vm->guess = i + 1;
			return &prop_table[i];
		}
	}
	return NULL;
}

/* A property's value starts: what it had before goes (the last one given counts). */
static const struct prop *start_prop(struct inv_vm *vm, const char *name)
{
	const struct prop *p = find_prop(vm, name);

	if (!p)
		return NULL;
	if (p->kind == P_FIELD) {
		memset(&vm->f[p->target], 0, sizeof(vm->f[p->target]));
	} else if (p->kind == P_SNAP) {
		memset(&vm->f[VF_SNAP_CURRENT], 0, sizeof(vm->f[VF_SNAP_CURRENT]));
		vm->n[VL_SNAP] = 0;
	} else {
		vm->n[p->target == L_NIC ? VL_IP : p->target] = 0;
	}
	return p;
}

static void on_begin(void *ctx)
{
	inv_vm_reset(ctx);
}

/* Opens the node or list a snapshot list's name stands for, under node parent. */
static void open_snapshots(struct inv_vm *vm, bool array, int d, int parent)
{
	if (array)
		push(vm, (struct inv_vm_frame){ .role = R_SNAPLIST, .item = parent, .depth = d });
	else
		open_item(vm, VL_SNAP, new_node(vm, d, parent));
}

static void open_in_item(struct inv_vm *vm, const struct inv_vm_frame *f, const char *name,
                         bool array)
{
	bool prefix = false;
	int k;

	if (f->plen == 0 && f->list == L_NIC && !strcmp(name, "ipAddress")) {
		if (array)
			push(vm, (struct inv_vm_frame){ .role = R_IPS });
		else
			push_ignore(vm);
		return;
	}
	if (f->plen == 0 && f->list == VL_SNAP && !strcmp(name, "childSnapshotList")) {
		open_snapshots(vm, array, vm->items[VL_SNAP][f->item].depth + 1, f->item);
		return;
	}
	k = f->item >= 0 ? field_at(vm, f, name, &prefix) : -1;
	if (k >= 0)
		mark_other(item_field(vm, f, k));
	if (k >= 0 || array || !prefix || f->plen + strlen(name) + 2 > sizeof(vm->path)) {
		push_ignore(vm);
		return;
	}
	if (f->plen)
		vm->path[f->plen] = '.';
	strcpy(vm->path + f->plen + (f->plen ? 1 : 0), name);
	push(vm, (struct inv_vm_frame){ .role = R_ITEM, .list = f->list, .item = f->item,
	                                .plen = strlen(vm->path) });
}

/* An object that is an item of list opens; a device keeps its xsi:type ("_type"). */
static void start_item(struct inv_vm *vm, int list, const char *type)
{
	int i = new_item(vm, list);

	if (i >= 0 && list == VL_DEVICE && type)
		put(vm, &vm->items[list][i].type,
		    &(struct vc_leaf){ .kind = VC_K_STRING, .text = type, .len = strlen(type) });
	open_item(vm, list, i);
}

static void on_open(void *ctx, const char *name, const char *type, bool array)
{
	struct inv_vm *vm = ctx;
	const struct inv_vm_frame *f = top(vm);
	const struct prop *p;

	if (!f) {
		p = start_prop(vm, name);
		if (!p) {
			push_ignore(vm);
		} else if (p->kind == P_FIELD) {
			mark_other(&vm->f[p->target]);
			push_ignore(vm);
		} else if (p->kind == P_SNAP) {
			push(vm, (struct inv_vm_frame){ .role = array ? R_IGNORE : R_SNAPINFO });
		} else if (array) {
			push(vm, (struct inv_vm_frame){ .role = R_LIST, .list = p->target });
		} else {
			start_item(vm, p->target, type);   /* the value is the one item */
		}
		return;
	}
	switch (f->role) {
	case R_LIST:
		if (array) {
			if (f->list == VL_PART)
				new_item(vm, VL_PART);   /* a member JSON cannot read: an empty row */
			push_ignore(vm);
		} else {
			start_item(vm, f->list, type);
		}
		return;
	case R_ITEM:
		open_in_item(vm, f, name, array);
		return;
	case R_SNAPINFO:
		if (!strcmp(name, "currentSnapshot")) {
			mark_other(&vm->f[VF_SNAP_CURRENT]);
			push_ignore(vm);
		} else if (!strcmp(name, "rootSnapshotList")) {
			open_snapshots(vm, array, 0, -1);
		} else {
			push_ignore(vm);
		}
		return;
	case R_SNAPLIST:
		if (array) {
			new_node(vm, f->depth, f->item);
			push_ignore(vm);
		} else {
			open_snapshots(vm, false, f->depth, f->item);
		}
		return;
	default:
		push_ignore(vm);
		return;
	}
}

static void leaf_in_item(struct inv_vm *vm, const struct inv_vm_frame *f, const char *name,
                         const struct vc_leaf *l)
{
	bool prefix;
	int k;

	if (f->plen == 0 && f->list == L_NIC && !strcmp(name, "ipAddress")) {
		if (l->kind == VC_K_STRING)
			leaf_item(vm, VL_IP, l);
		return;
	}
	if (f->plen == 0 && f->list == VL_SNAP && !strcmp(name, "childSnapshotList")) {
		new_node(vm, vm->items[VL_SNAP][f->item].depth + 1, f->item);
		return;
	}
	if (f->item >= 0 && (k = field_at(vm, f, name, &prefix)) >= 0)
		put(vm, item_field(vm, f, k), l);
}

static void on_leaf(void *ctx, const char *name, const struct vc_leaf *l)
{
	struct inv_vm *vm = ctx;
	const struct inv_vm_frame *f = top(vm);
	const struct prop *p;

	if (!f) {
		p = start_prop(vm, name);
		if (p && p->kind == P_FIELD)
			put(vm, &vm->f[p->target], l);
		else if (p && p->kind == P_LIST)
			leaf_item(vm, p->target, l);
		return;
	}
	switch (f->role) {
	case R_LIST:
		leaf_item(vm, f->list, l);
		return;
	case R_ITEM:
		leaf_in_item(vm, f, name, l);
		return;
	case R_IPS:
		if (l->kind == VC_K_STRING)
			leaf_item(vm, VL_IP, l);
		return;
	case R_SNAPINFO:
		if (!strcmp(name, "currentSnapshot"))
			put(vm, &vm->f[VF_SNAP_CURRENT], l);
		else if (!strcmp(name, "rootSnapshotList"))
			new_node(vm, 0, -1);
		return;
	case R_SNAPLIST:
		new_node(vm, f->depth, f->item);
		return;
	default:
		return;
	}
}

static void on_close(void *ctx)
{
	struct inv_vm *vm = ctx;
	const struct inv_vm_frame *f;

	if (vm->depth == 0)
		return;
	vm->depth--;
	f = top(vm);
	if (f && f->role == R_ITEM)
		vm->path[f->plen] = '\0';   /* back to the enclosing object's path */
}

const struct vc_sink inv_vm_sink = { on_begin, on_open, on_leaf, on_close };

void inv_vm_init(struct inv_vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->stack = calloc(STACK_MAX, sizeof(*vm->stack));
	if (!vm->stack)
		abort();
}

void inv_vm_reset(struct inv_vm *vm)
{
	memset(vm->f, 0, sizeof(vm->f));
	memset(vm->n, 0, sizeof(vm->n));
	buf_reset(&vm->text);
	vm->depth = 0;
	vm->path[0] = '\0';
}

void inv_vm_free(struct inv_vm *vm)
{
	for (int i = 0; i < VL_N; i++)
		free(vm->items[i]);
	free(vm->stack);
	buf_free(&vm->text);
	memset(vm, 0, sizeof(*vm));
}

void inv_vm_read_props(struct inv_vm *vm, const json_t *props)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)props, key, v) {
		if (strcmp(key, "_missing")) {
			vm->depth = 0;
			vc_sink_json(&inv_vm_sink, vm, key, v);
		}
	}
}
