/* Internal to the inventory builders (inv_*.c): per-type record constructors and
 * shared pieces. */
#ifndef VC_INV_BUILD_H
#define VC_INV_BUILD_H

#include "inv.h"

/* Array of the names of a list of MORs (unknown ones skipped). */
json_t *inv_names(const struct inv_raw *r, const json_t *mors);
/* customValue -> {"field name": value}; a key without a known name stays numeric. */
json_t *inv_custom(const struct inv_raw *r, const json_t *props);
/* The tags attached to moref: a new array of {"category", "name"}, sorted. */
json_t *inv_tags(const struct inv_raw *r, const char *moref);

/* One VM's properties as its record reads them (inv_vmread.c). A value is what
 * inv_path() and its kind read from the props JSON: absent, a leaf (vc.h), or
 * `other` -- an object or array where a leaf belongs, or a name given twice in one
 * object (which JSON makes an array). Text lives in the inv_vm's buffer. */
struct inv_val {
	bool set, other;
	enum vc_kind kind;
	unsigned off, len;              /* STRING, MOR: the text in inv_vm.text */
	long long i;
	double d;
	bool b;
};

enum inv_vm_field {
	VF_NAME, VF_UUID, VF_INSTANCE_UUID, VF_POWER, VF_CONNECTION, VF_TEMPLATE, VF_CPUS,
	VF_CORES, VF_MEMORY, VF_GUEST_ID, VF_GUEST_OS, VF_HW_VERSION, VF_TOOLS_VERSION,
	VF_ANNOTATION, VF_BOOT, VF_STATUS, VF_COMMITTED, VF_UNCOMMITTED, VF_CPU_USAGE,
	VF_MEM_USAGE, VF_IP, VF_DNS, VF_GUEST_OS_RUNNING, VF_TOOLS_STATUS, VF_TOOLS_RUNNING,
	VF_TOOLS_VERSION_STATUS, VF_HOST, VF_PARENT, VF_POOL, VF_SNAP_CURRENT, VF_N
};
/* A device's fields (inv_vm.c add_devices: disks and NICs). */
enum inv_dev_field {
	DF_LABEL, DF_KB, DF_BYTES, DF_MAC, DF_FILE, DF_DATASTORE, DF_MODE, DF_THIN, DF_NETWORK,
	DF_PGKEY, DF_CONNECTED, DF_START_CONNECTED, DF_N
};
enum inv_part_field { PF_PATH, PF_CAPACITY, PF_FREE, PF_N };
enum inv_snap_field { SF_MOREF, SF_NAME, SF_DESCRIPTION, SF_CREATED, SF_QUIESCED, SF_N };
enum inv_cv_field { CF_KEY, CF_VALUE, CF_N };

struct inv_item {                   /* a device, partition, snapshot or custom value */
	struct inv_val f[DF_N];         /* by the list's field enum */
	struct inv_val type;            /* a device's xsi:type */
	int depth, parent;              /* a snapshot's depth and its parent's index (-1) */
};

enum inv_vm_list { VL_DEVICE, VL_PART, VL_SNAP, VL_CUSTOM, VL_DATASTORE, VL_NETWORK, VL_IP, VL_N };

struct inv_vm_frame;                /* the reader's place in the events (inv_vmread.c) */

struct inv_vm {
	struct inv_val f[VF_N];
	struct inv_item *items[VL_N];   /* per list, in document order (VL_DATASTORE,
	                                 * VL_NETWORK, VL_IP: the value in f[0]) */
	size_t n[VL_N], cap[VL_N];
	struct buf text;
	struct inv_vm_frame *stack;
	int depth;
	char path[128];                 /* an item's dotted path to the open object */
	size_t guess;                   /* the property table's next expected entry */
};

/* The parser's events into vm (ctx: a struct inv_vm); begin empties it. */
extern const struct vc_sink inv_vm_sink;
void inv_vm_init(struct inv_vm *vm);
void inv_vm_reset(struct inv_vm *vm);
void inv_vm_free(struct inv_vm *vm);
/* Reads a props object (every property but "_missing") into vm, after what it has. */
void inv_vm_read_props(struct inv_vm *vm, const json_t *props);
/* A value as record fields read it: a string (NULL when it is none), an integer
 * (def), a flag (-1 when none), a managed object reference's moref (or a string). */
const char *inv_vm_s(const struct inv_vm *vm, const struct inv_val *v);
json_int_t inv_vm_i(const struct inv_vm *vm, const struct inv_val *v, json_int_t def);
int inv_vm_b(const struct inv_vm *vm, const struct inv_val *v);
const char *inv_vm_mor(const struct inv_vm *vm, const struct inv_val *v);

/* A VM's record from its props (new reference); its snapshots are appended to
 * flat_snapshots. vm: a reader to read them with, emptied first (one for many VMs
 * spares its allocations). */
json_t *inv_vm_record(struct inv_vm *vm, const struct inv_raw *r, const char *moref,
                      const json_t *props, const json_t *dvpg_by_key, json_t *flat_snapshots);
/* The same fields, read into vm, into an open inv_out record (inv_out.h). */
struct inv_out;
void inv_vm_write(struct inv_out *o, const struct inv_raw *r, const char *moref,
                  const struct inv_vm *vm, const json_t *dvpg_by_key, json_t *flat_snapshots);
/* Adds the host, datastores and networks vm names to r->vm_refs (inv_vms_add() does,
 * as VMs stream in; inv_raw_recount_vms() counts a whole model's again). */
void inv_raw_count_vm_read(struct inv_raw *r, const struct inv_vm *vm);
/* Host record; appends the host's vmk, vswitch, standard portgroup and pnic records. */
json_t *inv_host_record(const struct inv_raw *r, const char *moref, const json_t *props,
                        json_t *vmks, json_t *vswitches, json_t *portgroups, json_t *pnics);

/* Distributed portgroup key -> name (a new object): VM NICs on a DVS name their
 * portgroup by key. */
json_t *inv_dvpg_keys(const struct inv_raw *r);
/* Adds "vcenter" and "vcenter_name" to a record (last, like every record's). */
void inv_stamp(json_t *rec, const char *vcenter, const char *vc_name);
/* Every record type from r, with the VM records and the flat snapshot list given
 * (both references taken over); vms_stamped: those carry their vCenter already. */
json_t *inv_build_types(const struct inv_raw *r, json_t *vms, json_t *snaps, int vms_stamped,
                        const char *vcenter, const char *vc_name);

#endif
