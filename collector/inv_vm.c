/* VM records (and the flat snapshot list) from a VM's properties read into a
 * struct inv_vm (inv_vmread.c): what RVTools' vInfo, vCPU, vMemory, vDisk,
 * vPartition, vNetwork, vSnapshot and vTools sheets show, one record per VM. The
 * fields go to an inv_out: a jansson object, or the record's JSON text straight away
 * (a full poll). */
#include "inv.h"
#include "inv_build.h"
#include "inv_out.h"

#include <stdio.h>
#include <string.h>

static json_int_t disk_bytes(const struct inv_vm *vm, const struct inv_item *d)
{
	json_int_t bytes = inv_vm_i(vm, &d->f[DF_BYTES], -1);

	return bytes < 0 ? inv_vm_i(vm, &d->f[DF_KB], 0) * 1024 : bytes;
}

static bool is_nic(const struct inv_vm *vm, const struct inv_item *d)
{
	return inv_vm_s(vm, &d->f[DF_MAC]) != NULL;
}

static bool is_disk(const struct inv_vm *vm, const struct inv_item *d)
{
	return !is_nic(vm, d) && inv_vm_s(vm, &d->f[DF_FILE]) && d->f[DF_KB].set;
}

static void add_disk(struct inv_out *o, const struct inv_raw *r, const struct inv_vm *vm,
                     const struct inv_item *d)
{
	inv_out_open_object(o, NULL);
	inv_out_str(o, "label", inv_vm_s(vm, &d->f[DF_LABEL]));
	inv_out_int(o, "capacity_bytes", disk_bytes(vm, d));
	inv_out_bool(o, "thin", inv_vm_b(vm, &d->f[DF_THIN]) == 1);
	inv_out_str(o, "mode", inv_vm_s(vm, &d->f[DF_MODE]));
	inv_out_str(o, "file", inv_vm_s(vm, &d->f[DF_FILE]));
	inv_out_str(o, "datastore", inv_name_of(r, inv_vm_mor(vm, &d->f[DF_DATASTORE])));
	inv_out_close(o);
}

static void add_nic(struct inv_out *o, const struct inv_raw *r, const struct inv_vm *vm,
                    const struct inv_item *d, const json_t *dvpg_by_key)
{
	const char *net = inv_name_of(r, inv_vm_mor(vm, &d->f[DF_NETWORK]));
	const char *pgkey = inv_vm_s(vm, &d->f[DF_PGKEY]);
	const char *type = inv_vm_s(vm, &d->type);

	if (!net && pgkey)
		net = json_string_value(json_object_get(dvpg_by_key, pgkey));
	inv_out_open_object(o, NULL);
	inv_out_str(o, "label", inv_vm_s(vm, &d->f[DF_LABEL]));
	inv_out_str(o, "adapter", type && !strncmp(type, "Virtual", 7) ? type + 7 : type);
	inv_out_str(o, "mac", inv_vm_s(vm, &d->f[DF_MAC]));
	inv_out_str(o, "network", net);
	inv_out_bool(o, "connected", inv_vm_b(vm, &d->f[DF_CONNECTED]) == 1);
	inv_out_bool(o, "start_connected", inv_vm_b(vm, &d->f[DF_START_CONNECTED]) == 1);
	inv_out_close(o);
}

static void add_devices(struct inv_out *o, const struct inv_raw *r, const struct inv_vm *vm,
                        const json_t *dvpg_by_key)
{
	const struct inv_item *devs = vm->items[VL_DEVICE];
	json_int_t provisioned = 0, nnics = 0, ndisks = 0;
	size_t i, n = vm->n[VL_DEVICE];

	for (i = 0; i < n; i++) {
		if (is_nic(vm, &devs[i]))
			nnics++;
		else if (is_disk(vm, &devs[i])) {
			ndisks++;
			provisioned += disk_bytes(vm, &devs[i]);
		}
	}
	inv_out_int(o, "nic_count", nnics);
	inv_out_int(o, "disk_count", ndisks);
	inv_out_int(o, "provisioned_bytes", provisioned);
	inv_out_open_array(o, "nics");
	for (i = 0; i < n; i++)
		if (is_nic(vm, &devs[i]))
			add_nic(o, r, vm, &devs[i], dvpg_by_key);
	inv_out_close(o);
	inv_out_open_array(o, "disks");
	for (i = 0; i < n; i++)
		if (is_disk(vm, &devs[i]))
			add_disk(o, r, vm, &devs[i]);
	inv_out_close(o);
}

static void add_guest(struct inv_out *o, const struct inv_vm *vm)
{
	json_t *ips = json_array();
	const char *primary = inv_vm_s(vm, &vm->f[VF_IP]);

	if (primary)
		json_array_append_new(ips, json_string(primary));
	for (size_t i = 0; i < vm->n[VL_IP]; i++) {
		const char *a = inv_vm_s(vm, &vm->items[VL_IP][i].f[0]);
		if (a && (!primary || strcmp(primary, a)))
			json_array_append_new(ips, json_string(a));
	}
	inv_out_str(o, "ip", primary ? primary : json_string_value(json_array_get(ips, 0)));
	inv_out_value(o, "ips", ips);
	inv_out_open_array(o, "partitions");
	for (size_t i = 0; i < vm->n[VL_PART]; i++) {
		const struct inv_item *d = &vm->items[VL_PART][i];
		inv_out_open_object(o, NULL);
		inv_out_str(o, "path", inv_vm_s(vm, &d->f[PF_PATH]));
		inv_out_int(o, "capacity_bytes", inv_vm_i(vm, &d->f[PF_CAPACITY], 0));
		inv_out_int(o, "free_bytes", inv_vm_i(vm, &d->f[PF_FREE], 0));
		inv_out_close(o);
	}
	inv_out_close(o);
	inv_out_str(o, "dns_name", inv_vm_s(vm, &vm->f[VF_DNS]));
	inv_out_str(o, "guest_os_running", inv_vm_s(vm, &vm->f[VF_GUEST_OS_RUNNING]));
	inv_out_str(o, "tools_status", inv_vm_s(vm, &vm->f[VF_TOOLS_STATUS]));
	inv_out_str(o, "tools_running", inv_vm_s(vm, &vm->f[VF_TOOLS_RUNNING]));
	inv_out_str(o, "tools_version_status", inv_vm_s(vm, &vm->f[VF_TOOLS_VERSION_STATUS]));
}

/* The VM's snapshot count, then its snapshots (the record's field order, so the
 * list is made before either is written); each also goes to the flat list, with the
 * VM it belongs to. The nodes were read depth first, as the tree lists them. */
static void add_snapshots(struct inv_out *o, const char *moref, const struct inv_vm *vm,
                          json_t *flat)
{
	const char *current = inv_vm_mor(vm, &vm->f[VF_SNAP_CURRENT]);
	const char *name = inv_vm_s(vm, &vm->f[VF_NAME]);
	const struct inv_item *nodes = vm->items[VL_SNAP];
	json_t *mine = json_array();

	for (size_t i = 0; i < vm->n[VL_SNAP]; i++) {
		const struct inv_item *n = &nodes[i];
		const char *snap = inv_vm_mor(vm, &n->f[SF_MOREF]);
		const char *parent = n->parent < 0 ? NULL : inv_vm_mor(vm, &nodes[n->parent].f[SF_MOREF]);
		json_t *s = json_object();
		inv_set_str(s, "moref", snap);
		inv_set_str(s, "name", inv_vm_s(vm, &n->f[SF_NAME]));
		inv_set_str(s, "description", inv_vm_s(vm, &n->f[SF_DESCRIPTION]));
		inv_set_str(s, "created", inv_vm_s(vm, &n->f[SF_CREATED]));
		inv_set_str(s, "parent", parent);
		json_object_set_new_nocheck(s, "depth", json_integer(n->depth));
		json_object_set_new_nocheck(s, "current", json_boolean(snap && current && !strcmp(snap, current)));
		json_object_set_new_nocheck(s, "quiesced", json_boolean(inv_vm_b(vm, &n->f[SF_QUIESCED]) == 1));
		json_array_append_new(mine, json_copy(s));
		inv_set_str(s, "vm", moref);
		inv_set_str(s, "vm_name", name);
		json_array_append_new(flat, s);
	}
	inv_out_int(o, "snapshot_count", (json_int_t)json_array_size(mine));
	inv_out_value(o, "snapshots", mine);
}

/* The names of the objects a reference list names (unknown ones left out). */
static json_t *names_of(const struct inv_raw *r, const struct inv_vm *vm, int list)
{
	json_t *out = json_array();

	for (size_t i = 0; i < vm->n[list]; i++) {
		const char *n = inv_name_of(r, inv_vm_mor(vm, &vm->items[list][i].f[0]));
		if (n)
			json_array_append_new(out, json_string(n));
	}
	return out;
}

static void add_placement(struct inv_out *o, const struct inv_raw *r, const struct inv_vm *vm)
{
	const char *host = inv_vm_mor(vm, &vm->f[VF_HOST]);
	const char *parent = inv_vm_mor(vm, &vm->f[VF_PARENT]);
	const char *cluster = inv_ancestor(r, host, "cluster");
	const char *dc = inv_ancestor(r, parent, "datacenter");

	inv_out_str(o, "host", host);
	inv_out_str(o, "host_name", inv_name_of(r, host));
	inv_out_str(o, "cluster", cluster);
	inv_out_str(o, "cluster_name", inv_name_of(r, cluster));
	if (!dc)
		dc = inv_ancestor(r, host, "datacenter");
	inv_out_str(o, "datacenter", inv_name_of(r, dc));
	inv_out_str(o, "folder", inv_name_of(r, parent));
	inv_out_str(o, "resource_pool", inv_name_of(r, inv_vm_mor(vm, &vm->f[VF_POOL])));
	inv_out_value(o, "datastores", names_of(r, vm, VL_DATASTORE));
	inv_out_value(o, "networks", names_of(r, vm, VL_NETWORK));
}

/* customValue -> {"field name": value}, as inv_custom() for the other records. */
static json_t *custom_of(const struct inv_raw *r, const struct inv_vm *vm)
{
	json_t *out = json_object();

	for (size_t i = 0; i < vm->n[VL_CUSTOM]; i++) {
		const struct inv_item *cv = &vm->items[VL_CUSTOM][i];
		const char *value = inv_vm_s(vm, &cv->f[CF_VALUE]), *name;
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)inv_vm_i(vm, &cv->f[CF_KEY], 0));
		name = json_string_value(json_object_get(r->fields, key));
		if (value)
			json_object_set_new(out, name ? name : key, json_string(value));
	}
	return out;
}

void inv_vm_write(struct inv_out *o, const struct inv_raw *r, const char *moref,
                  const struct inv_vm *vm, const json_t *dvpg_by_key, json_t *flat_snapshots)
{
	const struct inv_val *f = vm->f;

	inv_out_str(o, "moref", moref);
	inv_out_str(o, "name", inv_vm_s(vm, &f[VF_NAME]));
	inv_out_str(o, "uuid", inv_vm_s(vm, &f[VF_UUID]));
	inv_out_str(o, "instance_uuid", inv_vm_s(vm, &f[VF_INSTANCE_UUID]));
	inv_out_str(o, "power_state", inv_vm_s(vm, &f[VF_POWER]));
	inv_out_str(o, "connection_state", inv_vm_s(vm, &f[VF_CONNECTION]));
	inv_out_bool(o, "template", inv_vm_b(vm, &f[VF_TEMPLATE]) == 1);
	inv_out_int(o, "cpus", inv_vm_i(vm, &f[VF_CPUS], 0));
	inv_out_int(o, "cores_per_socket", inv_vm_i(vm, &f[VF_CORES], 1));
	inv_out_int(o, "memory_mb", inv_vm_i(vm, &f[VF_MEMORY], 0));
	inv_out_str(o, "guest_id", inv_vm_s(vm, &f[VF_GUEST_ID]));
	inv_out_str(o, "guest_os", inv_vm_s(vm, &f[VF_GUEST_OS]));
	inv_out_str(o, "hw_version", inv_vm_s(vm, &f[VF_HW_VERSION]));
	inv_out_str(o, "tools_version", inv_vm_s(vm, &f[VF_TOOLS_VERSION]));
	inv_out_str(o, "annotation", inv_vm_s(vm, &f[VF_ANNOTATION]));
	inv_out_str(o, "boot_time", inv_vm_s(vm, &f[VF_BOOT]));
	inv_out_str(o, "overall_status", inv_vm_s(vm, &f[VF_STATUS]));
	inv_out_int(o, "committed_bytes", inv_vm_i(vm, &f[VF_COMMITTED], 0));
	inv_out_int(o, "uncommitted_bytes", inv_vm_i(vm, &f[VF_UNCOMMITTED], 0));
	inv_out_int(o, "cpu_usage_mhz", inv_vm_i(vm, &f[VF_CPU_USAGE], 0));
	inv_out_int(o, "mem_usage_mb", inv_vm_i(vm, &f[VF_MEM_USAGE], 0));
	add_guest(o, vm);
	add_devices(o, r, vm, dvpg_by_key);
	add_placement(o, r, vm);
	inv_out_value(o, "custom", custom_of(r, vm));
	inv_out_value(o, "tags", inv_tags(r, moref));
	add_snapshots(o, moref, vm, flat_snapshots);
}

json_t *inv_vm_record(struct inv_vm *vm, const struct inv_raw *r, const char *moref,
                      const json_t *props, const json_t *dvpg_by_key, json_t *flat_snapshots)
{
	struct inv_out o;

	inv_vm_reset(vm);
	inv_vm_read_props(vm, props);
	inv_out_object(&o);
	inv_vm_write(&o, r, moref, vm, dvpg_by_key, flat_snapshots);
	return inv_out_end(&o, NULL);
}
