/* VM records (and the flat snapshot list) from raw VirtualMachine properties: what
 * RVTools' vInfo, vCPU, vMemory, vDisk, vPartition, vNetwork, vSnapshot and vTools
 * sheets show, one record per VM. */
#include "inv.h"
#include "inv_build.h"

#include <string.h>

static void add_disk(json_t *disks, const struct inv_raw *r, const json_t *dev)
{
	json_t *d = json_object();
	json_int_t bytes = inv_int(dev, "capacityInBytes", -1);

	if (bytes < 0)
		bytes = inv_int(dev, "capacityInKB", 0) * 1024;
	inv_set_from(d, "label", dev, "deviceInfo.label");
	json_object_set_new_nocheck(d, "capacity_bytes", json_integer(bytes));
	json_object_set_new_nocheck(d, "thin", json_boolean(inv_bool(dev, "backing.thinProvisioned") == 1));
	inv_set_from(d, "mode", dev, "backing.diskMode");
	inv_set_from(d, "file", dev, "backing.fileName");
	inv_set_str(d, "datastore", inv_name_of(r, inv_mor(inv_path(dev, "backing.datastore"))));
	json_array_append_new(disks, d);
}

static void add_nic(json_t *nics, const struct inv_raw *r, const json_t *dev,
                    const json_t *dvpg_by_key)
{
	json_t *n = json_object();
	const char *net = inv_name_of(r, inv_mor(inv_path(dev, "backing.network")));
	const char *pgkey = inv_str(dev, "backing.port.portgroupKey");
	const char *type = inv_str(dev, "_type");

	if (!net && pgkey)
		net = json_string_value(json_object_get(dvpg_by_key, pgkey));
	inv_set_from(n, "label", dev, "deviceInfo.label");
	inv_set_str(n, "adapter", type && !strncmp(type, "Virtual", 7) ? type + 7 : type);
	inv_set_from(n, "mac", dev, "macAddress");
	inv_set_str(n, "network", net);
	json_object_set_new_nocheck(n, "connected", json_boolean(inv_bool(dev, "connectable.connected") == 1));
	json_object_set_new_nocheck(n, "start_connected", json_boolean(inv_bool(dev, "connectable.startConnected") == 1));
	json_array_append_new(nics, n);
}

static void add_devices(json_t *rec, const struct inv_raw *r, const json_t *props,
                        const json_t *dvpg_by_key)
{
	json_t *devs = json_object_get(props, "config.hardware.device");
	json_t *disks = json_array(), *nics = json_array();
	json_int_t provisioned = 0;

	for (size_t i = 0; i < inv_count(devs); i++) {
		json_t *dev = inv_at(devs, i);
		if (inv_str(dev, "macAddress")) {
			add_nic(nics, r, dev, dvpg_by_key);
		} else if (inv_str(dev, "backing.fileName") && inv_path(dev, "capacityInKB")) {
			add_disk(disks, r, dev);
			provisioned += json_integer_value(json_object_get(json_array_get(disks,
			               json_array_size(disks) - 1), "capacity_bytes"));
		}
	}
	json_object_set_new_nocheck(rec, "nic_count", json_integer((json_int_t)json_array_size(nics)));
	json_object_set_new_nocheck(rec, "disk_count", json_integer((json_int_t)json_array_size(disks)));
	json_object_set_new_nocheck(rec, "provisioned_bytes", json_integer(provisioned));
	json_object_set_new_nocheck(rec, "nics", nics);
	json_object_set_new_nocheck(rec, "disks", disks);
}

static void add_guest(json_t *rec, const json_t *props)
{
	json_t *ips = json_array(), *net = json_object_get(props, "guest.net");
	json_t *disks = json_object_get(props, "guest.disk"), *parts = json_array();
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
	for (size_t i = 0; i < inv_count(disks); i++) {
		json_t *d = inv_at(disks, i), *p = json_object();
		inv_set_from(p, "path", d, "diskPath");
		json_object_set_new_nocheck(p, "capacity_bytes", json_integer(inv_int(d, "capacity", 0)));
		json_object_set_new_nocheck(p, "free_bytes", json_integer(inv_int(d, "freeSpace", 0)));
		json_array_append_new(parts, p);
	}
	inv_set_str(rec, "ip", primary ? primary : json_string_value(json_array_get(ips, 0)));
	json_object_set_new_nocheck(rec, "ips", ips);
	json_object_set_new_nocheck(rec, "partitions", parts);
	inv_set_from(rec, "dns_name", props, "guest.hostName");
	inv_set_from(rec, "guest_os_running", props, "guest.guestFullName");
	inv_set_from(rec, "tools_status", props, "guest.toolsStatus");
	inv_set_from(rec, "tools_running", props, "guest.toolsRunningStatus");
	inv_set_from(rec, "tools_version_status", props, "guest.toolsVersionStatus2");
}

/* Walks the snapshot tree depth first, into the VM's own list and the flat list. */
static void walk_snapshots(const json_t *nodes, const char *current, int depth,
                           const char *parent, json_t *mine, json_t *flat, const json_t *vm)
{
	for (size_t i = 0; i < inv_count(nodes) && depth < 64; i++) {
		json_t *n = inv_at(nodes, i), *s = json_object();
		const char *moref = inv_mor(json_object_get(n, "snapshot"));
		inv_set_str(s, "moref", moref);
		inv_set_from(s, "name", n, "name");
		inv_set_from(s, "description", n, "description");
		inv_set_from(s, "created", n, "createTime");
		inv_set_str(s, "parent", parent);
		json_object_set_new_nocheck(s, "depth", json_integer(depth));
		json_object_set_new_nocheck(s, "current", json_boolean(moref && current && !strcmp(moref, current)));
		json_object_set_new_nocheck(s, "quiesced", json_boolean(inv_bool(n, "quiesced") == 1));
		json_array_append_new(mine, json_copy(s));
		json_object_set(s, "vm", json_object_get(vm, "moref"));
		json_object_set(s, "vm_name", json_object_get(vm, "name"));
		json_array_append_new(flat, s);
		walk_snapshots(json_object_get(n, "childSnapshotList"), current, depth + 1, moref,
		               mine, flat, vm);
	}
}

static void add_snapshots(json_t *rec, const json_t *props, json_t *flat)
{
	json_t *snap = json_object_get(props, "snapshot"), *mine = json_array();
	const char *current = inv_mor(inv_path(snap, "currentSnapshot"));

	walk_snapshots(inv_path(snap, "rootSnapshotList"), current, 0, NULL, mine, flat, rec);
	json_object_set_new_nocheck(rec, "snapshot_count", json_integer((json_int_t)json_array_size(mine)));
	json_object_set_new_nocheck(rec, "snapshots", mine);
}

static void add_placement(json_t *rec, const struct inv_raw *r, const json_t *props)
{
	const char *host = inv_mor(json_object_get(props, "runtime.host"));
	const char *cluster = inv_ancestor(r, host, "cluster");
	const char *dc = inv_ancestor(r, inv_mor(json_object_get(props, "parent")), "datacenter");
	json_t *ds = json_object_get(props, "datastore"), *net = json_object_get(props, "network");

	inv_set_str(rec, "host", host);
	inv_set_str(rec, "host_name", inv_name_of(r, host));
	inv_set_str(rec, "cluster", cluster);
	inv_set_str(rec, "cluster_name", inv_name_of(r, cluster));
	if (!dc)
		dc = inv_ancestor(r, host, "datacenter");
	inv_set_str(rec, "datacenter", inv_name_of(r, dc));
	inv_set_str(rec, "folder", inv_name_of(r, inv_mor(json_object_get(props, "parent"))));
	inv_set_str(rec, "resource_pool", inv_name_of(r, inv_mor(json_object_get(props, "resourcePool"))));
	json_object_set_new_nocheck(rec, "datastores", inv_names(r, ds));
	json_object_set_new_nocheck(rec, "networks", inv_names(r, net));
}

json_t *inv_vm_record(const struct inv_raw *r, const char *moref, const json_t *props,
                      const json_t *dvpg_by_key, json_t *flat_snapshots)
{
	json_t *rec = json_object();

	inv_set_str(rec, "moref", moref);
	inv_set_from(rec, "name", props, "name");
	inv_set_from(rec, "uuid", props, "config.uuid");
	inv_set_from(rec, "instance_uuid", props, "config.instanceUuid");
	inv_set_from(rec, "power_state", props, "runtime.powerState");
	inv_set_from(rec, "connection_state", props, "runtime.connectionState");
	json_object_set_new_nocheck(rec, "template", json_boolean(inv_bool(props, "config.template") == 1));
	json_object_set_new_nocheck(rec, "cpus", json_integer(inv_int(props, "config.hardware.numCPU", 0)));
	json_object_set_new_nocheck(rec, "cores_per_socket", json_integer(inv_int(props, "config.hardware.numCoresPerSocket", 1)));
	json_object_set_new_nocheck(rec, "memory_mb", json_integer(inv_int(props, "config.hardware.memoryMB", 0)));
	inv_set_from(rec, "guest_id", props, "config.guestId");
	inv_set_from(rec, "guest_os", props, "config.guestFullName");
	inv_set_from(rec, "hw_version", props, "config.version");
	inv_set_from(rec, "tools_version", props, "config.tools.toolsVersion");
	inv_set_from(rec, "annotation", props, "config.annotation");
	inv_set_from(rec, "boot_time", props, "runtime.bootTime");
	inv_set_from(rec, "overall_status", props, "overallStatus");
	json_object_set_new_nocheck(rec, "committed_bytes", json_integer(inv_int(props, "summary.storage.committed", 0)));
	json_object_set_new_nocheck(rec, "uncommitted_bytes", json_integer(inv_int(props, "summary.storage.uncommitted", 0)));
	json_object_set_new_nocheck(rec, "cpu_usage_mhz", json_integer(inv_int(props, "summary.quickStats.overallCpuUsage", 0)));
	json_object_set_new_nocheck(rec, "mem_usage_mb", json_integer(inv_int(props, "summary.quickStats.guestMemoryUsage", 0)));
	add_guest(rec, props);
	add_devices(rec, r, props, dvpg_by_key);
	add_placement(rec, r, props);
	json_object_set_new_nocheck(rec, "custom", inv_custom(r, props));
	json_object_set_new_nocheck(rec, "tags", inv_tags(r, moref));
	add_snapshots(rec, props, flat_snapshots);
	return rec;
}
