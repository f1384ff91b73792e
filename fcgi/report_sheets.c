/* The column tables: every sheet of every report, with RVTools' sheet names and
 * header spelling, in RVTools' order, and where each value comes from (a record
 * field or a small extractor). Columns RVTools has but our records do not carry
 * are left out, never filled with guesses; docs/reports.md lists both. The three
 * writers (xlsx, CSV, JSON) all read these tables. */
#include "report.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ extractors */

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void sdk_server(const struct report_row *r, struct report_val *v)
{
	report_val_str(v, r->vc->server);
}

static void sdk_uuid(const struct report_row *r, struct report_val *v)
{
	report_val_str(v, str(r->vc->status, "instance_uuid"));
}

static void sdk_type(const struct report_row *r, struct report_val *v)
{
	report_val_str(v, str(r->vc->status, "api_type"));
}

static void sdk_version(const struct report_row *r, struct report_val *v)
{
	report_val_str(v, str(r->vc->status, "version"));
}

static void vc_name(const struct report_row *r, struct report_val *v)
{
	report_val_str(v, r->vc->name);
}

/* Network #n of vInfo: the n-th NIC's network. */
static void net_n(const struct report_row *r, struct report_val *v, size_t n)
{
	report_val_str(v, str(json_array_get(json_object_get(r->rec, "nics"), n), "network"));
}
#define NET_GETTER(i) static void net_##i(const struct report_row *r, struct report_val *v) { net_n(r, v, i - 1); }
NET_GETTER(1) NET_GETTER(2) NET_GETTER(3) NET_GETTER(4)
NET_GETTER(5) NET_GETTER(6) NET_GETTER(7) NET_GETTER(8)

/* Provisioned = committed + uncommitted (what vSphere's summary.storage shows). */
static void vm_provisioned(const struct report_row *r, struct report_val *v)
{
	report_val_mib(v, num(r->rec, "committed_bytes") + num(r->rec, "uncommitted_bytes"));
}

static void vm_sockets(const struct report_row *r, struct report_val *v)
{
	double cpus = num(r->rec, "cpus"), cps = num(r->rec, "cores_per_socket");

	if (cpus > 0)
		report_val_num(v, cps >= 1 ? (double)(long long)(cpus / cps) : cpus);
}

static void part_consumed(const struct report_row *r, struct report_val *v)
{
	report_val_mib(v, num(r->sub, "capacity_bytes") - num(r->sub, "free_bytes"));
}

static void pct_of(struct report_val *v, double part, double whole)
{
	if (whole > 0)
		report_val_num(v, (double)(long long)(part * 100.0 / whole + 0.5));
}

static void part_free_pct(const struct report_row *r, struct report_val *v)
{
	pct_of(v, num(r->sub, "free_bytes"), num(r->sub, "capacity_bytes"));
}

static void host_cores_per_cpu(const struct report_row *r, struct report_val *v)
{
	double s = num(r->rec, "cpu_sockets");

	if (s > 0)
		report_val_num(v, (double)(long long)(num(r->rec, "cpu_cores") / s));
}

static void host_cpu_pct(const struct report_row *r, struct report_val *v)
{
	pct_of(v, num(r->rec, "cpu_usage_mhz"), num(r->rec, "cpu_total_mhz"));
}

static void host_mem_pct(const struct report_row *r, struct report_val *v)
{
	pct_of(v, num(r->rec, "mem_usage_mb") * 1048576.0, num(r->rec, "memory_bytes"));
}

/* Datacenter and cluster of the host a pnic, vswitch, portgroup or vmk is on. */
static void host_dc(const struct report_row *r, struct report_val *v)
{
	report_val_str(v, str(json_object_get(r->vc->hosts, str(r->rec, "host") ? str(r->rec, "host") : ""), "datacenter"));
}

static void host_cluster(const struct report_row *r, struct report_val *v)
{
	report_val_str(v, str(json_object_get(r->vc->hosts, str(r->rec, "host") ? str(r->rec, "host") : ""), "cluster"));
}

static void vmk_portgroup(const struct report_row *r, struct report_val *v)
{
	const char *pg = str(r->rec, "portgroup");

	report_val_str(v, pg && *pg ? pg : str(r->rec, "dv_portgroup"));
}

static void dvpg_vlan(const struct report_row *r, struct report_val *v)
{
	const char *trunk = str(r->rec, "trunk");
	const json_t *vlan = json_object_get(r->rec, "vlan");

	if (trunk && *trunk)
		report_val_str(v, trunk);
	else if (json_is_integer(vlan)) {
		snprintf(v->buf, sizeof(v->buf), "%lld", (long long)json_integer_value(vlan));
		report_val_str(v, v->buf);
	}
}

static void ds_provisioned(const struct report_row *r, struct report_val *v)
{
	report_val_mib(v, num(r->rec, "used_bytes") + num(r->rec, "uncommitted_bytes"));
}

static void ds_free_pct(const struct report_row *r, struct report_val *v)
{
	pct_of(v, num(r->rec, "free_bytes"), num(r->rec, "capacity_bytes"));
}

static void ds_prov_pct(const struct report_row *r, struct report_val *v)
{
	pct_of(v, num(r->rec, "used_bytes") + num(r->rec, "uncommitted_bytes"),
	       num(r->rec, "capacity_bytes"));
}

/* Whole days since an ISO time, or -1 when it is not one. */
static long long age_days(const struct report_row *r, const char *iso)
{
	long long t;

	if (report_parse_time(iso, &t))
		return -1;
	return t > r->now ? 0 : (r->now - t) / 86400;
}

static void snap_age(const struct report_row *r, struct report_val *v)
{
	long long d = age_days(r, str(r->sub, "created"));

	if (d >= 0)
		report_val_num(v, (double)d);
}

/* ------------------------------------------------------------------ shared columns */

#define VC_TAIL \
	{ "VI SDK Server", RT_STR, NULL, sdk_server, 20 }, \
	{ "VI SDK UUID", RT_STR, NULL, sdk_uuid, 38 }

#define VM_HEAD \
	{ "VM", RT_STR, "name", NULL, 30 }, \
	{ "Powerstate", RT_STR, "power_state", NULL, 12 }, \
	{ "Template", RT_BOOL, "template", NULL, 0 }

#define VM_TAIL \
	{ "Annotation", RT_STR, "annotation", NULL, 30 }, \
	{ "Datacenter", RT_STR, "datacenter", NULL, 14 }, \
	{ "Cluster", RT_STR, "cluster_name", NULL, 14 }, \
	{ "Host", RT_STR, "host_name", NULL, 20 }, \
	{ "Folder", RT_STR, "folder", NULL, 14 }, \
	{ "OS according to the configuration file", RT_STR, "guest_os", NULL, 30 }, \
	{ "OS according to the VMware Tools", RT_STR, "guest_os_running", NULL, 30 }, \
	{ "VM ID", RT_STR, "moref", NULL, 10 }, \
	{ "VM UUID", RT_STR, "instance_uuid", NULL, 38 }, \
	VC_TAIL

#define HOST_HEAD \
	{ "Host", RT_STR, "host_name", NULL, 20 }, \
	{ "Datacenter", RT_STR, NULL, host_dc, 14 }, \
	{ "Cluster", RT_STR, NULL, host_cluster, 14 }

/* ------------------------------------------------------------------ VM sheets */

static const struct report_col vinfo_cols[] = {
	VM_HEAD,
	{ "Config status", RT_STR, "overall_status", NULL, 0 },
	{ "DNS Name", RT_STR, "dns_name", NULL, 30 },
	{ "Connection state", RT_STR, "connection_state", NULL, 0 },
	{ "PowerOn", RT_TIME, "boot_time", NULL, 20 },
	{ "CPUs", RT_INT, "cpus", NULL, 0 },
	{ "Memory", RT_INT, "memory_mb", NULL, 0 },
	{ "NICs", RT_INT, "nic_count", NULL, 0 },
	{ "Disks", RT_INT, "disk_count", NULL, 0 },
	{ "Total disk capacity MiB", RT_MIB, "provisioned_bytes", NULL, 0 },
	{ "Primary IP Address", RT_STR, "ip", NULL, 16 },
	{ "Network #1", RT_STR, NULL, net_1, 16 },
	{ "Network #2", RT_STR, NULL, net_2, 16 },
	{ "Network #3", RT_STR, NULL, net_3, 16 },
	{ "Network #4", RT_STR, NULL, net_4, 16 },
	{ "Network #5", RT_STR, NULL, net_5, 16 },
	{ "Network #6", RT_STR, NULL, net_6, 16 },
	{ "Network #7", RT_STR, NULL, net_7, 16 },
	{ "Network #8", RT_STR, NULL, net_8, 16 },
	{ "Resource pool", RT_STR, "resource_pool", NULL, 14 },
	{ "Folder", RT_STR, "folder", NULL, 14 },
	{ "Provisioned MiB", RT_MIB, NULL, vm_provisioned, 0 },
	{ "In Use MiB", RT_MIB, "committed_bytes", NULL, 0 },
	{ "HW version", RT_STR, "hw_version", NULL, 0 },
	{ "Annotation", RT_STR, "annotation", NULL, 30 },
	{ "Datacenter", RT_STR, "datacenter", NULL, 14 },
	{ "Cluster", RT_STR, "cluster_name", NULL, 14 },
	{ "Host", RT_STR, "host_name", NULL, 20 },
	{ "OS according to the configuration file", RT_STR, "guest_os", NULL, 30 },
	{ "OS according to the VMware Tools", RT_STR, "guest_os_running", NULL, 30 },
	{ "VM ID", RT_STR, "moref", NULL, 10 },
	{ "SMBIOS UUID", RT_STR, "uuid", NULL, 38 },
	{ "VM UUID", RT_STR, "instance_uuid", NULL, 38 },
	{ "VI SDK Server type", RT_STR, NULL, sdk_type, 0 },
	{ "VI SDK API Version", RT_STR, NULL, sdk_version, 0 },
	VC_TAIL,
};

static const struct report_col vcpu_cols[] = {
	VM_HEAD,
	{ "CPUs", RT_INT, "cpus", NULL, 0 },
	{ "Sockets", RT_INT, NULL, vm_sockets, 0 },
	{ "Cores p/s", RT_INT, "cores_per_socket", NULL, 0 },
	{ "Overall", RT_INT, "cpu_usage_mhz", NULL, 0 },
	VM_TAIL,
};

static const struct report_col vmemory_cols[] = {
	VM_HEAD,
	{ "Size MiB", RT_INT, "memory_mb", NULL, 0 },
	{ "Active", RT_INT, "mem_usage_mb", NULL, 0 },
	VM_TAIL,
};

static const struct report_col vdisk_cols[] = {
	VM_HEAD,
	{ "Disk", RT_STR, ".label", NULL, 14 },
	{ "Disk Path", RT_STR, ".file", NULL, 40 },
	{ "Capacity MiB", RT_MIB, ".capacity_bytes", NULL, 0 },
	{ "Disk Mode", RT_STR, ".mode", NULL, 14 },
	{ "Thin", RT_BOOL, ".thin", NULL, 0 },
	VM_TAIL,
};

static const struct report_col vpartition_cols[] = {
	VM_HEAD,
	{ "Disk", RT_STR, ".path", NULL, 14 },
	{ "Capacity MiB", RT_MIB, ".capacity_bytes", NULL, 0 },
	{ "Consumed MiB", RT_MIB, NULL, part_consumed, 0 },
	{ "Free MiB", RT_MIB, ".free_bytes", NULL, 0 },
	{ "Free %", RT_INT, NULL, part_free_pct, 0 },
	VM_TAIL,
};

static const struct report_col vnetwork_cols[] = {
	VM_HEAD,
	{ "NIC label", RT_STR, ".label", NULL, 18 },
	{ "Adapter", RT_STR, ".adapter", NULL, 0 },
	{ "Network", RT_STR, ".network", NULL, 18 },
	{ "Connected", RT_BOOL, ".connected", NULL, 0 },
	{ "Starts Connected", RT_BOOL, ".start_connected", NULL, 0 },
	{ "Mac Address", RT_STR, ".mac", NULL, 18 },
	VM_TAIL,
};

static const struct report_col vsnapshot_cols[] = {
	{ "VM", RT_STR, "name", NULL, 30 },
	{ "Powerstate", RT_STR, "power_state", NULL, 12 },
	{ "Name", RT_STR, ".name", NULL, 20 },
	{ "Description", RT_STR, ".description", NULL, 30 },
	{ "Date / time", RT_TIME, ".created", NULL, 20 },
	{ "Quiesced", RT_BOOL, ".quiesced", NULL, 0 },
	VM_TAIL,
};

static const struct report_col vtools_cols[] = {
	VM_HEAD,
	{ "VM Version", RT_STR, "hw_version", NULL, 0 },
	{ "Tools", RT_STR, "tools_status", NULL, 18 },
	{ "Tools Version", RT_STR, "tools_version", NULL, 0 },
	VM_TAIL,
};

/* ------------------------------------------------------------------ vCenter, cluster, host */

static const struct report_col vsource_cols[] = {
	{ "Name", RT_STR, NULL, vc_name, 24 },
	{ "API type", RT_STR, "api_type", NULL, 0 },
	{ "API version", RT_STR, "version", NULL, 0 },
	{ "Version", RT_STR, "version", NULL, 0 },
	{ "Build", RT_STR, "build", NULL, 0 },
	{ "Fullname", RT_STR, "full_name", NULL, 40 },
	{ "Last collection", RT_TIME, "last_success", NULL, 20 },
	{ "Collection state", RT_STR, "state", NULL, 0 },
	VC_TAIL,
};

static const struct report_col vcluster_cols[] = {
	{ "Name", RT_STR, "name", NULL, 20 },
	{ "OverallStatus", RT_STR, "overall_status", NULL, 0 },
	{ "NumHosts", RT_INT, "host_count", NULL, 0 },
	{ "numEffectiveHosts", RT_INT, "effective_hosts", NULL, 0 },
	{ "TotalCpu", RT_INT, "total_cpu_mhz", NULL, 0 },
	{ "Effective Cpu", RT_INT, "effective_cpu_mhz", NULL, 0 },
	{ "TotalMemory", RT_MIB, "total_memory_bytes", NULL, 0 },
	{ "Effective Memory", RT_INT, "effective_memory_mb", NULL, 0 },
	{ "HA enabled", RT_BOOL, "ha_enabled", NULL, 0 },
	{ "DRS enabled", RT_BOOL, "drs_enabled", NULL, 0 },
	{ "DRS default VM behavior", RT_STR, "drs_behavior", NULL, 0 },
	{ "Object ID", RT_STR, "moref", NULL, 0 },
	VC_TAIL,
};

static const struct report_col vhost_cols[] = {
	{ "Host", RT_STR, "name", NULL, 20 },
	{ "Datacenter", RT_STR, "datacenter", NULL, 14 },
	{ "Cluster", RT_STR, "cluster_name", NULL, 14 },
	{ "Config status", RT_STR, "overall_status", NULL, 0 },
	{ "in Maintenance Mode", RT_BOOL, "maintenance", NULL, 0 },
	{ "CPU Model", RT_STR, "cpu_model", NULL, 30 },
	{ "Speed", RT_INT, "cpu_mhz", NULL, 0 },
	{ "# CPU", RT_INT, "cpu_sockets", NULL, 0 },
	{ "Cores per CPU", RT_INT, NULL, host_cores_per_cpu, 0 },
	{ "# Cores", RT_INT, "cpu_cores", NULL, 0 },
	{ "CPU usage %", RT_INT, NULL, host_cpu_pct, 0 },
	{ "# Memory", RT_MIB, "memory_bytes", NULL, 0 },
	{ "Memory usage %", RT_INT, NULL, host_mem_pct, 0 },
	{ "# NICs", RT_INT, "nic_count", NULL, 0 },
	{ "# VMs total", RT_INT, "vm_count", NULL, 0 },
	{ "ESX Version", RT_STR, "product", NULL, 30 },
	{ "Boot time", RT_TIME, "boot_time", NULL, 20 },
	{ "Vendor", RT_STR, "vendor", NULL, 0 },
	{ "Model", RT_STR, "model", NULL, 0 },
	{ "Object ID", RT_STR, "moref", NULL, 0 },
	{ "UUID", RT_STR, "uuid", NULL, 38 },
	VC_TAIL,
};

/* ------------------------------------------------------------------ networking */

static const struct report_col vnic_cols[] = {
	HOST_HEAD,
	{ "Network Device", RT_STR, "name", NULL, 0 },
	{ "Driver", RT_STR, "driver", NULL, 0 },
	{ "Speed", RT_INT, "speed_mb", NULL, 0 },
	{ "MAC", RT_STR, "mac", NULL, 18 },
	VC_TAIL,
};

static const struct report_col vswitch_cols[] = {
	HOST_HEAD,
	{ "Switch", RT_STR, "name", NULL, 0 },
	{ "# Ports", RT_INT, "ports", NULL, 0 },
	{ "MTU", RT_INT, "mtu", NULL, 0 },
	VC_TAIL,
};

static const struct report_col vport_cols[] = {
	HOST_HEAD,
	{ "Port Group", RT_STR, "name", NULL, 20 },
	{ "Switch", RT_STR, "switch", NULL, 0 },
	{ "VLAN", RT_INT, "vlan", NULL, 0 },
	VC_TAIL,
};

static const struct report_col dvswitch_cols[] = {
	{ "Switch", RT_STR, "name", NULL, 20 },
	{ "Datacenter", RT_STR, "datacenter", NULL, 14 },
	{ "Name", RT_STR, "name", NULL, 20 },
	{ "Version", RT_STR, "version", NULL, 0 },
	{ "Host members", RT_STR, "hosts", NULL, 40 },
	{ "# Ports", RT_INT, "ports", NULL, 0 },
	{ "Max MTU", RT_INT, "mtu", NULL, 0 },
	{ "Object ID", RT_STR, "moref", NULL, 0 },
	VC_TAIL,
};

static const struct report_col dvport_cols[] = {
	{ "Port", RT_STR, "name", NULL, 24 },
	{ "Switch", RT_STR, "switch", NULL, 20 },
	{ "Type", RT_STR, "binding", NULL, 0 },
	{ "# Ports", RT_INT, "ports", NULL, 0 },
	{ "VLAN", RT_STR, NULL, dvpg_vlan, 0 },
	{ "Object ID", RT_STR, "moref", NULL, 0 },
	VC_TAIL,
};

static const struct report_col vmk_cols[] = {
	HOST_HEAD,
	{ "Port Group", RT_STR, NULL, vmk_portgroup, 20 },
	{ "Device", RT_STR, "name", NULL, 0 },
	{ "Mac Address", RT_STR, "mac", NULL, 18 },
	{ "DHCP", RT_BOOL, "dhcp", NULL, 0 },
	{ "IP Address", RT_STR, "ip", NULL, 16 },
	{ "Subnet mask", RT_STR, "netmask", NULL, 16 },
	{ "MTU", RT_INT, "mtu", NULL, 0 },
	VC_TAIL,
};

static const struct report_col vdatastore_cols[] = {
	{ "Name", RT_STR, "name", NULL, 20 },
	{ "Config status", RT_STR, "overall_status", NULL, 0 },
	{ "Accessible", RT_BOOL, "accessible", NULL, 0 },
	{ "Type", RT_STR, "type", NULL, 0 },
	{ "# VMs total", RT_INT, "vm_count", NULL, 0 },
	{ "Capacity MiB", RT_MIB, "capacity_bytes", NULL, 0 },
	{ "Provisioned MiB", RT_MIB, NULL, ds_provisioned, 0 },
	{ "In Use MiB", RT_MIB, "used_bytes", NULL, 0 },
	{ "Free MiB", RT_MIB, "free_bytes", NULL, 0 },
	{ "Free %", RT_INT, NULL, ds_free_pct, 0 },
	{ "# Hosts", RT_INT, "host_count", NULL, 0 },
	{ "Hosts", RT_STR, "hosts", NULL, 40 },
	{ "Cluster name", RT_STR, "pod_name", NULL, 0 },
	{ "MHA", RT_BOOL, "shared", NULL, 0 },
	{ "URL", RT_STR, "url", NULL, 40 },
	{ "Object ID", RT_STR, "moref", NULL, 0 },
	VC_TAIL,
};

/* ------------------------------------------------------------------ vHealth */

static const struct report_col vhealth_cols[] = {
	{ "Name", RT_STR, "name", NULL, 30 },
	{ "Message", RT_STR, "message", NULL, 60 },
	{ "Message type", RT_STR, "type", NULL, 16 },
	VC_TAIL,
};

static void finding(struct report_run *run, const struct report_sheet *sh,
                    const struct report_row *row, const char *name, const char *type,
                    const char *message)
{
	json_t *flat = json_pack("{s:s?,s:s,s:s}", "name", name, "type", type, "message", message);
	struct report_row r = *row;

	r.rec = flat;
	r.sub = NULL;
	report_emit(run, sh, &r);
	json_decref(flat);
}

static void health_host(struct report_run *run, const struct report_sheet *sh,
                        const struct report_row *row)
{
	const char *state = str(row->rec, "connection_state");
	char msg[160];

	if (state && strcmp(state, "connected")) {
		snprintf(msg, sizeof(msg), "Host is %s", state);
		finding(run, sh, row, str(row->rec, "name"), "Host", msg);
	}
}

static void health_datastore(struct report_run *run, const struct report_sheet *sh,
                             const struct report_row *row)
{
	const char *name = str(row->rec, "name");
	long long used = (long long)num(row->rec, "used_pct");
	char msg[160];

	if (json_is_false(json_object_get(row->rec, "accessible")))
		finding(run, sh, row, name, "Storage", "Datastore is not accessible");
	if (used >= 80) {
		snprintf(msg, sizeof(msg), "Datastore is %lld%% full (over %d%%)", used, used >= 90 ? 90 : 80);
		finding(run, sh, row, name, "Storage", msg);
	}
}

static void health_vm(struct report_run *run, const struct report_sheet *sh,
                      const struct report_row *row)
{
	const char *name = str(row->rec, "name"), *tools = str(row->rec, "tools_running");
	size_t i;
	json_t *s;
	char msg[400];

	json_array_foreach(json_object_get(row->rec, "snapshots"), i, s) {
		struct report_row r = *row;
		long long age;
		r.sub = s;
		age = age_days(&r, str(s, "created"));
		if (age < 0 || age < row->days)
			continue;
		snprintf(msg, sizeof(msg), "Snapshot '%.200s' is %lld days old", str(s, "name") ? str(s, "name") : "", age);
		finding(run, sh, row, name, "Snapshot", msg);
	}
	if (json_is_true(json_object_get(row->rec, "template")))
		return;
	if (!strcmp(str(row->rec, "power_state") ? str(row->rec, "power_state") : "", "poweredOn") &&
	    (!tools || strcmp(tools, "guestToolsRunning"))) {
		snprintf(msg, sizeof(msg), "VMware Tools not running (%s)",
		         str(row->rec, "tools_status") ? str(row->rec, "tools_status") : "unknown");
		finding(run, sh, row, name, "VMTools", msg);
	}
}

/* ------------------------------------------------------------------ filters */

static bool is_standard(const struct report_row *r)
{
	const char *k = str(r->rec, "kind");

	return k && !strcmp(k, "standard");
}

static bool is_distributed(const struct report_row *r)
{
	const char *k = str(r->rec, "kind");

	return k && !strcmp(k, "distributed");
}

/* ------------------------------------------------------------------ the inventory */

#define SHEET(var, nm, cols, ...) \
	static const struct report_sheet var = { nm, cols, N(cols), { __VA_ARGS__ } }

SHEET(sh_vinfo, "vInfo", vinfo_cols, { "vm", NULL, NULL, NULL });
SHEET(sh_vcpu, "vCPU", vcpu_cols, { "vm", NULL, NULL, NULL });
SHEET(sh_vmemory, "vMemory", vmemory_cols, { "vm", NULL, NULL, NULL });
SHEET(sh_vdisk, "vDisk", vdisk_cols, { "vm", "disks", NULL, NULL });
SHEET(sh_vpartition, "vPartition", vpartition_cols, { "vm", "partitions", NULL, NULL });
SHEET(sh_vnetwork, "vNetwork", vnetwork_cols, { "vm", "nics", NULL, NULL });
SHEET(sh_vsnapshot, "vSnapshot", vsnapshot_cols, { "vm", "snapshots", NULL, NULL });
SHEET(sh_vtools, "vTools", vtools_cols, { "vm", NULL, NULL, NULL });
SHEET(sh_vsource, "vSource", vsource_cols, { "status", NULL, NULL, NULL });
SHEET(sh_vcluster, "vCluster", vcluster_cols, { "cluster", NULL, NULL, NULL });
SHEET(sh_vhost, "vHost", vhost_cols, { "host", NULL, NULL, NULL });
SHEET(sh_vnic, "vNIC", vnic_cols, { "pnic", NULL, NULL, NULL });
SHEET(sh_vswitch, "vSwitch", vswitch_cols, { "vswitch", NULL, NULL, NULL });
SHEET(sh_vport, "vPort", vport_cols, { "portgroup", NULL, is_standard, NULL });
SHEET(sh_dvswitch, "dvSwitch", dvswitch_cols, { "dvs", NULL, NULL, NULL });
SHEET(sh_dvport, "dvPort", dvport_cols, { "portgroup", NULL, is_distributed, NULL });
SHEET(sh_vmk, "vSC_VMK", vmk_cols, { "vmk", NULL, NULL, NULL });
SHEET(sh_vdatastore, "vDatastore", vdatastore_cols, { "datastore", NULL, NULL, NULL });
SHEET(sh_vhealth, "vHealth", vhealth_cols,
      { "host", NULL, NULL, health_host },
      { "vm", NULL, NULL, health_vm },
      { "datastore", NULL, NULL, health_datastore });

static const struct report_sheet *const inventory_sheets[] = {
	&sh_vinfo, &sh_vcpu, &sh_vmemory, &sh_vdisk, &sh_vpartition, &sh_vnetwork,
	&sh_vsnapshot, &sh_vtools, &sh_vsource, &sh_vcluster, &sh_vhost, &sh_vnic,
	&sh_vswitch, &sh_vport, &sh_dvswitch, &sh_dvport, &sh_vmk, &sh_vdatastore,
	&sh_vhealth, NULL
};

/* ------------------------------------------------------------------ snapshots report */

static bool snap_old(const struct report_row *r)
{
	long long d = age_days(r, str(r->sub, "created"));

	return d >= 0 && d >= r->days;
}

static const struct report_col oldsnap_cols[] = {
	{ "VM", RT_STR, "name", NULL, 30 },
	{ "Powerstate", RT_STR, "power_state", NULL, 12 },
	{ "Snapshot", RT_STR, ".name", NULL, 24 },
	{ "Description", RT_STR, ".description", NULL, 30 },
	{ "Created", RT_TIME, ".created", NULL, 20 },
	{ "Age (days)", RT_INT, NULL, snap_age, 0 },
	{ "Quiesced", RT_BOOL, ".quiesced", NULL, 0 },
	{ "Current", RT_BOOL, ".current", NULL, 0 },
	{ "Datacenter", RT_STR, "datacenter", NULL, 14 },
	{ "Cluster", RT_STR, "cluster_name", NULL, 14 },
	{ "Host", RT_STR, "host_name", NULL, 20 },
	{ "VM ID", RT_STR, "moref", NULL, 10 },
	VC_TAIL,
};

SHEET(sh_oldsnap, "Snapshots", oldsnap_cols, { "vm", "snapshots", snap_old, NULL });
static const struct report_sheet *const snapshot_sheets[] = { &sh_oldsnap, NULL };

/* ------------------------------------------------------------------ capacity report */

/* Per-cluster sums kept in vc->agg while hosts and VMs stream past; the cluster
 * rows (read after both) add them to a copy of the cluster record. */
static json_t *cluster_agg(const struct report_row *r)
{
	const char *moref = str(r->rec, "cluster");
	json_t *a;

	if (!moref || !*moref)
		return NULL;
	a = json_object_get(r->vc->agg, moref);
	if (!a) {
		a = json_pack("{s:f,s:f,s:f,s:f,s:f}", "cores", 0.0, "vcpus", 0.0, "vram_mb", 0.0,
		              "vms_on", 0.0, "hosts", 0.0);
		json_object_set_new(r->vc->agg, moref, a);
	}
	return a;
}

static void agg_add(json_t *a, const char *k, double n)
{
	json_object_set_new(a, k, json_real(json_number_value(json_object_get(a, k)) + n));
}

static void cap_host(struct report_run *run, const struct report_sheet *sh, const struct report_row *row)
{
	json_t *a = cluster_agg(row);

	(void)run, (void)sh;
	if (!a)
		return;
	agg_add(a, "cores", num(row->rec, "cpu_cores"));
	agg_add(a, "hosts", 1);
}

static void cap_vm(struct report_run *run, const struct report_sheet *sh, const struct report_row *row)
{
	const char *ps = str(row->rec, "power_state");
	json_t *a;

	(void)run, (void)sh;
	if (!ps || strcmp(ps, "poweredOn") || json_is_true(json_object_get(row->rec, "template")))
		return;
	if (!(a = cluster_agg(row)))
		return;
	agg_add(a, "vcpus", num(row->rec, "cpus"));
	agg_add(a, "vram_mb", num(row->rec, "memory_mb"));
	agg_add(a, "vms_on", 1);
}

static void ratio(json_t *o, const char *k, double a, double b)
{
	json_object_set_new(o, k, b > 0 ? json_real((double)(long long)(a / b * 100 + 0.5) / 100) : json_null());
}

static void cap_cluster(struct report_run *run, const struct report_sheet *sh, const struct report_row *row)
{
	json_t *flat = json_copy((json_t *)row->rec), *a = json_object_get(row->vc->agg, str(row->rec, "moref") ? str(row->rec, "moref") : "");
	double cpu = num(row->rec, "total_cpu_mhz"), cpu_used = num(row->rec, "cpu_usage_mhz");
	double mem = num(row->rec, "total_memory_bytes") / 1048576.0, mem_used = num(row->rec, "mem_usage_mb");
	double hosts = num(row->rec, "host_count"), cores = num(a, "cores");
	struct report_row r = *row;

	json_object_set_new(flat, "cpu_free_mhz", json_real(cpu - cpu_used));
	json_object_set_new(flat, "mem_mib", json_real((double)(long long)(mem + 0.5)));
	json_object_set_new(flat, "mem_free_mib", json_real((double)(long long)(mem - mem_used + 0.5)));
	json_object_set_new(flat, "cores", json_real(cores));
	json_object_set_new(flat, "vcpus", json_real(num(a, "vcpus")));
	json_object_set_new(flat, "vram_mb", json_real(num(a, "vram_mb")));
	ratio(flat, "vcpu_ratio", num(a, "vcpus"), cores);
	ratio(flat, "vram_ratio", num(a, "vram_mb"), mem);
	ratio(flat, "vms_per_host", num(row->rec, "vm_count"), hosts);
	ratio(flat, "cpu_pct", cpu_used * 100, cpu);
	ratio(flat, "mem_pct", mem_used * 100, mem);
	r.rec = flat;
	report_emit(run, sh, &r);
	json_decref(flat);
}

static const struct report_col capcluster_cols[] = {
	{ "Cluster", RT_STR, "name", NULL, 20 },
	{ "Datacenter", RT_STR, "datacenter", NULL, 14 },
	{ "Hosts", RT_INT, "host_count", NULL, 0 },
	{ "CPU capacity MHz", RT_INT, "total_cpu_mhz", NULL, 0 },
	{ "CPU used MHz", RT_INT, "cpu_usage_mhz", NULL, 0 },
	{ "CPU free MHz", RT_INT, "cpu_free_mhz", NULL, 0 },
	{ "CPU used %", RT_NUM, "cpu_pct", NULL, 0 },
	{ "Memory capacity MiB", RT_INT, "mem_mib", NULL, 0 },
	{ "Memory used MiB", RT_INT, "mem_usage_mb", NULL, 0 },
	{ "Memory free MiB", RT_INT, "mem_free_mib", NULL, 0 },
	{ "Memory used %", RT_NUM, "mem_pct", NULL, 0 },
	{ "pCPU cores", RT_INT, "cores", NULL, 0 },
	{ "vCPUs (powered on)", RT_INT, "vcpus", NULL, 0 },
	{ "vCPU:pCPU", RT_NUM, "vcpu_ratio", NULL, 0 },
	{ "vRAM MiB (powered on)", RT_INT, "vram_mb", NULL, 0 },
	{ "vRAM:pRAM", RT_NUM, "vram_ratio", NULL, 0 },
	{ "VMs", RT_INT, "vm_count", NULL, 0 },
	{ "VMs powered on", RT_INT, "vms_on", NULL, 0 },
	{ "VMs per host", RT_NUM, "vms_per_host", NULL, 0 },
	{ "Object ID", RT_STR, "moref", NULL, 0 },
	VC_TAIL,
};

static const struct report_col capds_cols[] = {
	{ "Datastore", RT_STR, "name", NULL, 20 },
	{ "Type", RT_STR, "type", NULL, 0 },
	{ "Datacenter", RT_STR, "datacenter", NULL, 14 },
	{ "Capacity MiB", RT_MIB, "capacity_bytes", NULL, 0 },
	{ "Used MiB", RT_MIB, "used_bytes", NULL, 0 },
	{ "Free MiB", RT_MIB, "free_bytes", NULL, 0 },
	{ "Provisioned MiB", RT_MIB, NULL, ds_provisioned, 0 },
	{ "Used %", RT_INT, "used_pct", NULL, 0 },
	{ "Provisioned %", RT_INT, NULL, ds_prov_pct, 0 },
	{ "VMs", RT_INT, "vm_count", NULL, 0 },
	{ "Object ID", RT_STR, "moref", NULL, 0 },
	VC_TAIL,
};

SHEET(sh_capcluster, "Cluster capacity", capcluster_cols,
      { "host", NULL, NULL, cap_host },
      { "vm", NULL, NULL, cap_vm },
      { "cluster", NULL, NULL, cap_cluster });
SHEET(sh_capds, "Datastore capacity", capds_cols, { "datastore", NULL, NULL, NULL });
static const struct report_sheet *const capacity_sheets[] = { &sh_capcluster, &sh_capds, NULL };

/* ------------------------------------------------------------------ alarms report */

static bool alarm_in_period(const struct report_row *r)
{
	long long t;

	if (r->days <= 0)
		return true;
	return !report_parse_time(str(r->rec, "time"), &t) && t >= r->now - r->days * 86400LL;
}

static const struct report_col alarm_cols[] = {
	{ "Alarm", RT_STR, "name", NULL, 30 },
	{ "Entity", RT_STR, "entity_name", NULL, 24 },
	{ "Entity ID", RT_STR, "entity", NULL, 0 },
	{ "Status", RT_STR, "status", NULL, 0 },
	{ "Time", RT_TIME, "time", NULL, 20 },
	{ "Acknowledged", RT_BOOL, "acknowledged", NULL, 0 },
	{ "Acknowledged by", RT_STR, "acknowledged_by", NULL, 20 },
	VC_TAIL,
};

SHEET(sh_alarms, "Alarms", alarm_cols, { "alarm", NULL, alarm_in_period, NULL });
static const struct report_sheet *const alarm_sheets[] = { &sh_alarms, NULL };

const struct report_def report_defs[] = {
	{ "inventory", "Inventory (RVTools layout)",
	  "Every vCenter's inventory in RVTools' layout, one sheet per object type, "
	  "plus vHealth findings and vSource.", inventory_sheets },
	{ "snapshots", "Old snapshots",
	  "Snapshots older than the given number of days, with their age.", snapshot_sheets },
	{ "capacity", "Capacity",
	  "Per cluster: CPU and memory capacity, use, vCPU:pCPU and vRAM:pRAM; per "
	  "datastore: capacity, use and provisioning.", capacity_sheets },
	{ "alarms", "Alarms",
	  "Triggered alarms of the last day, the last week or all.", alarm_sheets },
	{ NULL, NULL, NULL, NULL },
};
