/* VM records (and the flat snapshot list) from raw VirtualMachine properties: what
 * RVTools' vInfo, vCPU, vMemory, vDisk, vPartition, vNetwork, vSnapshot and vTools
 * sheets show, one record per VM. The fields go to an inv_out: a jansson object, or
 * the record's JSON text straight away (a full poll). */
#include "inv.h"
#include "inv_build.h"
#include "inv_out.h"

#include <string.h>

static json_int_t disk_bytes(const json_t *dev)
{
	json_int_t bytes = inv_int(dev, "capacityInBytes", -1);

	return bytes < 0 ? inv_int(dev, "capacityInKB", 0) * 1024 : bytes;
}

static bool is_disk(const json_t *dev)
{
	return !inv_str(dev, "macAddress") && inv_str(dev, "backing.fileName") &&
	       inv_path(dev, "capacityInKB");
}

static void add_disk(struct inv_out *o, const struct inv_raw *r, const json_t *dev)
{
	inv_out_open_object(o, NULL);
	inv_out_strv(o, "label", inv_path(dev, "deviceInfo.label"));
	inv_out_int(o, "capacity_bytes", disk_bytes(dev));
	inv_out_bool(o, "thin", inv_bool(dev, "backing.thinProvisioned") == 1);
	inv_out_strv(o, "mode", inv_path(dev, "backing.diskMode"));
	inv_out_strv(o, "file", inv_path(dev, "backing.fileName"));
	inv_out_str(o, "datastore", inv_name_of(r, inv_mor(inv_path(dev, "backing.datastore"))));
	inv_out_close(o);
}

static void add_nic(struct inv_out *o, const struct inv_raw *r, const json_t *dev,
                    const json_t *dvpg_by_key)
{
	const char *net = inv_name_of(r, inv_mor(inv_path(dev, "backing.network")));
	const char *pgkey = inv_str(dev, "backing.port.portgroupKey");
	const char *type = inv_str(dev, "_type");

	if (!net && pgkey)
		net = json_string_value(json_object_get(dvpg_by_key, pgkey));
	inv_out_open_object(o, NULL);
	inv_out_strv(o, "label", inv_path(dev, "deviceInfo.label"));
	inv_out_str(o, "adapter", type && !strncmp(type, "Virtual", 7) ? type + 7 : type);
	inv_out_strv(o, "mac", inv_path(dev, "macAddress"));
	inv_out_str(o, "network", net);
	inv_out_bool(o, "connected", inv_bool(dev, "connectable.connected") == 1);
	inv_out_bool(o, "start_connected", inv_bool(dev, "connectable.startConnected") == 1);
	inv_out_close(o);
}

static void add_devices(struct inv_out *o, const struct inv_raw *r, const json_t *props,
                        const json_t *dvpg_by_key)
{
	json_t *devs = json_object_get(props, "config.hardware.device");
	json_int_t provisioned = 0, nnics = 0, ndisks = 0;
	size_t i;

	for (i = 0; i < inv_count(devs); i++) {
		json_t *dev = inv_at(devs, i);
		if (inv_str(dev, "macAddress"))
			nnics++;
		else if (is_disk(dev)) {
			ndisks++;
			provisioned += disk_bytes(dev);
		}
	}
	inv_out_int(o, "nic_count", nnics);
	inv_out_int(o, "disk_count", ndisks);
	inv_out_int(o, "provisioned_bytes", provisioned);
	inv_out_open_array(o, "nics");
	for (i = 0; i < inv_count(devs); i++)
		if (inv_str(inv_at(devs, i), "macAddress"))
			add_nic(o, r, inv_at(devs, i), dvpg_by_key);
	inv_out_close(o);
	inv_out_open_array(o, "disks");
	for (i = 0; i < inv_count(devs); i++)
		if (is_disk(inv_at(devs, i)))
			add_disk(o, r, inv_at(devs, i));
	inv_out_close(o);
}

static void add_guest(struct inv_out *o, const json_t *props)
{
	json_t *ips = json_array(), *net = json_object_get(props, "guest.net");
	json_t *disks = json_object_get(props, "guest.disk");
	const char *primary = inv_str(props, "guest.ipAddress");

	if (primary)
		json_array_append_new(ips, json_string(primary));
	for (size_t i = 0; i < inv_count(net); i++) {
		json_t *addrs = json_object_get(inv_at(net, i), "ipAddress");
		for (size_t k = 0; k < inv_count(addrs); k++) {
			json_t *a = inv_at(addrs, k);
			if (json_is_string(a) && (!primary || strcmp(primary, json_string_value(a))))
				json_array_append(ips, a);
		}
	}
	inv_out_str(o, "ip", primary ? primary : json_string_value(json_array_get(ips, 0)));
	inv_out_value(o, "ips", ips);
	inv_out_open_array(o, "partitions");
	for (size_t i = 0; i < inv_count(disks); i++) {
		json_t *d = inv_at(disks, i);
		inv_out_open_object(o, NULL);
		inv_out_strv(o, "path", inv_path(d, "diskPath"));
		inv_out_int(o, "capacity_bytes", inv_int(d, "capacity", 0));
		inv_out_int(o, "free_bytes", inv_int(d, "freeSpace", 0));
		inv_out_close(o);
	}
	inv_out_close(o);
	inv_out_strv(o, "dns_name", inv_path(props, "guest.hostName"));
	inv_out_strv(o, "guest_os_running", inv_path(props, "guest.guestFullName"));
	inv_out_strv(o, "tools_status", inv_path(props, "guest.toolsStatus"));
	inv_out_strv(o, "tools_running", inv_path(props, "guest.toolsRunningStatus"));
	inv_out_strv(o, "tools_version_status", inv_path(props, "guest.toolsVersionStatus2"));
}

/* The VM a snapshot belongs to, as its flat entries name it. */
struct snap_vm {
	const char *moref;
	json_t *name;                  /* the VM's name value, or NULL */
};

/* Walks the snapshot tree depth first, into the VM's own list and the flat list. */
static void walk_snapshots(const json_t *nodes, const char *current, int depth,
                           const char *parent, json_t *mine, json_t *flat,
                           const struct snap_vm *vm)
{
	for (size_t i = 0; i < inv_count(nodes) && depth < 64; i++) {
		json_t *node = inv_at(nodes, i), *s = json_object();
		const char *moref = inv_mor(json_object_get(node, "snapshot"));
		inv_set_str(s, "moref", moref);
		inv_set_from(s, "name", node, "name");
		inv_set_from(s, "description", node, "description");
		inv_set_from(s, "created", node, "createTime");
		inv_set_str(s, "parent", parent);
		json_object_set_new_nocheck(s, "depth", json_integer(depth));
		json_object_set_new_nocheck(s, "current", json_boolean(moref && current && !strcmp(moref, current)));
		json_object_set_new_nocheck(s, "quiesced", json_boolean(inv_bool(node, "quiesced") == 1));
		json_array_append_new(mine, json_copy(s));
		inv_set_str(s, "vm", vm->moref);
		json_object_set_new_nocheck(s, "vm_name", vm->name ? json_incref(vm->name) : json_null());
		json_array_append_new(flat, s);
		walk_snapshots(json_object_get(node, "childSnapshotList"), current, depth + 1, moref,
		               mine, flat, vm);
	}
}

/* The VM's snapshot count, then its snapshots (the record's field order, so the
 * list is walked before either is written). */
static void add_snapshots(struct inv_out *o, const char *moref, const json_t *props,
                          json_t *flat)
{
	json_t *snap = json_object_get(props, "snapshot"), *name = inv_path(props, "name");
	const char *current = inv_mor(inv_path(snap, "currentSnapshot"));
	struct snap_vm vm = { moref, json_is_string(name) ? name : NULL };
	json_t *mine = json_array();

	walk_snapshots(inv_path(snap, "rootSnapshotList"), current, 0, NULL, mine, flat, &vm);
	inv_out_int(o, "snapshot_count", (json_int_t)json_array_size(mine));
	inv_out_value(o, "snapshots", mine);
}

static void add_placement(struct inv_out *o, const struct inv_raw *r, const json_t *props)
{
	const char *host = inv_mor(json_object_get(props, "runtime.host"));
	const char *cluster = inv_ancestor(r, host, "cluster");
	const char *dc = inv_ancestor(r, inv_mor(json_object_get(props, "parent")), "datacenter");
	json_t *ds = json_object_get(props, "datastore"), *net = json_object_get(props, "network");

	inv_out_str(o, "host", host);
	inv_out_str(o, "host_name", inv_name_of(r, host));
	inv_out_str(o, "cluster", cluster);
	inv_out_str(o, "cluster_name", inv_name_of(r, cluster));
	if (!dc)
		dc = inv_ancestor(r, host, "datacenter");
	inv_out_str(o, "datacenter", inv_name_of(r, dc));
	inv_out_str(o, "folder", inv_name_of(r, inv_mor(json_object_get(props, "parent"))));
	inv_out_str(o, "resource_pool", inv_name_of(r, inv_mor(json_object_get(props, "resourcePool"))));
	inv_out_value(o, "datastores", inv_names(r, ds));
	inv_out_value(o, "networks", inv_names(r, net));
}

void inv_vm_write(struct inv_out *o, const struct inv_raw *r, const char *moref,
                  const json_t *props, const json_t *dvpg_by_key, json_t *flat_snapshots)
{
	inv_out_str(o, "moref", moref);
	inv_out_strv(o, "name", inv_path(props, "name"));
	inv_out_strv(o, "uuid", inv_path(props, "config.uuid"));
	inv_out_strv(o, "instance_uuid", inv_path(props, "config.instanceUuid"));
	inv_out_strv(o, "power_state", inv_path(props, "runtime.powerState"));
	inv_out_strv(o, "connection_state", inv_path(props, "runtime.connectionState"));
	inv_out_bool(o, "template", inv_bool(props, "config.template") == 1);
	inv_out_int(o, "cpus", inv_int(props, "config.hardware.numCPU", 0));
	inv_out_int(o, "cores_per_socket", inv_int(props, "config.hardware.numCoresPerSocket", 1));
	inv_out_int(o, "memory_mb", inv_int(props, "config.hardware.memoryMB", 0));
	inv_out_strv(o, "guest_id", inv_path(props, "config.guestId"));
	inv_out_strv(o, "guest_os", inv_path(props, "config.guestFullName"));
	inv_out_strv(o, "hw_version", inv_path(props, "config.version"));
	inv_out_strv(o, "tools_version", inv_path(props, "config.tools.toolsVersion"));
	inv_out_strv(o, "annotation", inv_path(props, "config.annotation"));
	inv_out_strv(o, "boot_time", inv_path(props, "runtime.bootTime"));
	inv_out_strv(o, "overall_status", inv_path(props, "overallStatus"));
	inv_out_int(o, "committed_bytes", inv_int(props, "summary.storage.committed", 0));
	inv_out_int(o, "uncommitted_bytes", inv_int(props, "summary.storage.uncommitted", 0));
	inv_out_int(o, "cpu_usage_mhz", inv_int(props, "summary.quickStats.overallCpuUsage", 0));
	inv_out_int(o, "mem_usage_mb", inv_int(props, "summary.quickStats.guestMemoryUsage", 0));
	add_guest(o, props);
	add_devices(o, r, props, dvpg_by_key);
	add_placement(o, r, props);
	inv_out_value(o, "custom", inv_custom(r, props));
	inv_out_value(o, "tags", inv_tags(r, moref));
	add_snapshots(o, moref, props, flat_snapshots);
}

json_t *inv_vm_record(const struct inv_raw *r, const char *moref, const json_t *props,
                      const json_t *dvpg_by_key, json_t *flat_snapshots)
{
	struct inv_out o;

	inv_out_object(&o);
	inv_vm_write(&o, r, moref, props, dvpg_by_key, flat_snapshots);
	return inv_out_end(&o, NULL);
}
