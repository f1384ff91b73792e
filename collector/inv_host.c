/* Host records and the per-host network records hung from them: VMkernel adapters
 * with their enabled services, standard switches, their portgroups and physical NICs
 * (RVTools' vHost, vNIC, vSwitch, vPort and vSC_VMK). Host records also carry the
 * state of the SSH service, which the portal's host actions switch. */
#include "inv.h"
#include "inv_build.h"

#include <stdio.h>
#include <string.h>

static json_t *sub_record(const char *host, const char *host_name, const char *name)
{
	json_t *rec = json_object();
	char moref[256];

	snprintf(moref, sizeof(moref), "%s:%s", host, name ? name : "?");
	inv_set_str(rec, "moref", moref);
	inv_set_str(rec, "name", name);
	inv_set_str(rec, "host", host);
	inv_set_str(rec, "host_name", host_name);
	return rec;
}

/* Services of each vmk device from virtualNicManagerInfo.netConfig: for each
 * nicType, the candidate vnics whose key is among selectedVnic. */
static json_t *vmk_services(const json_t *props)
{
	json_t *out = json_object(), *cfgs = json_object_get(props, "config.virtualNicManagerInfo.netConfig");

	for (size_t i = 0; i < inv_count(cfgs); i++) {
		json_t *c = inv_at(cfgs, i), *cand = json_object_get(c, "candidateVnic");
		json_t *sel = json_object_get(c, "selectedVnic");
		const char *type = inv_str(c, "nicType");
		for (size_t k = 0; type && k < inv_count(cand); k++) {
			const char *key = inv_str(inv_at(cand, k), "key");
			const char *dev = inv_str(inv_at(cand, k), "device");
			for (size_t s = 0; key && dev && s < inv_count(sel); s++) {
				const char *sk = json_string_value(inv_at(sel, s));
				size_t kl = strlen(key), sl = sk ? strlen(sk) : 0;
				if (!sk || sl < kl || strcmp(sk + sl - kl, key))
					continue;
				json_t *list = json_object_get(out, dev);
				if (!list)
					json_object_set_new(out, dev, list = json_array());
				json_array_append_new(list, json_string(type));
			}
		}
	}
	return out;
}

static void add_vmks(json_t *vmks, const char *host, const char *hname, const json_t *props)
{
	json_t *vnics = json_object_get(props, "config.network.vnic"), *svc = vmk_services(props);

	for (size_t i = 0; i < inv_count(vnics); i++) {
		json_t *v = inv_at(vnics, i);
		json_t *rec = sub_record(host, hname, inv_str(v, "device"));
		json_t *services = json_object_get(svc, inv_str(v, "device") ? inv_str(v, "device") : "");
		inv_set_from(rec, "portgroup", v, "portgroup");
		inv_set_from(rec, "dv_portgroup", v, "spec.distributedVirtualPort.portgroupKey");
		inv_set_from(rec, "ip", v, "spec.ip.ipAddress");
		inv_set_from(rec, "netmask", v, "spec.ip.subnetMask");
		json_object_set_new_nocheck(rec, "dhcp", json_boolean(inv_bool(v, "spec.ip.dhcp") == 1));
		inv_set_from(rec, "mac", v, "spec.mac");
		json_object_set_new_nocheck(rec, "mtu", json_integer(inv_int(v, "spec.mtu", 1500)));
		json_object_set_new_nocheck(rec, "services", services ? json_incref(services) : json_array());
		json_array_append_new(vmks, rec);
	}
	json_decref(svc);
}

static json_t *pnic_names(const json_t *keys, const json_t *pnics)
{
	json_t *out = json_array();

	for (size_t i = 0; i < inv_count(keys); i++) {
		const char *key = json_string_value(inv_at(keys, i));
		for (size_t k = 0; key && k < inv_count(pnics); k++) {
			const char *pk = inv_str(inv_at(pnics, k), "key");
			if (pk && !strcmp(pk, key))
				json_array_append_new(out, json_string(inv_str(inv_at(pnics, k), "device")));
		}
	}
	return out;
}

static void add_switches(json_t *vswitches, json_t *portgroups, const char *host,
                         const char *hname, const json_t *props)
{
	json_t *sws = json_object_get(props, "config.network.vswitch");
	json_t *pgs = json_object_get(props, "config.network.portgroup");
	json_t *pnics = json_object_get(props, "config.network.pnic");

	for (size_t i = 0; i < inv_count(sws); i++) {
		json_t *sw = inv_at(sws, i), *rec = sub_record(host, hname, inv_str(sw, "name"));
		json_object_set_new_nocheck(rec, "ports", json_integer(inv_int(sw, "numPorts", 0)));
		json_object_set_new_nocheck(rec, "mtu", json_integer(inv_int(sw, "mtu", 1500)));
		json_object_set_new_nocheck(rec, "pnics", pnic_names(json_object_get(sw, "pnic"), pnics));
		json_array_append_new(vswitches, rec);
	}
	for (size_t i = 0; i < inv_count(pgs); i++) {
		json_t *pg = inv_at(pgs, i), *rec = sub_record(host, hname, inv_str(pg, "spec.name"));
		json_int_t vlan = inv_int(pg, "spec.vlanId", 0);
		inv_set_str(rec, "kind", "standard");
		inv_set_from(rec, "switch", pg, "spec.vswitchName");
		json_object_set_new_nocheck(rec, "vlan", json_integer(vlan));
		inv_set_str(rec, "vlan_type", vlan == 4095 ? "trunk" : vlan ? "vlan" : "none");
		json_array_append_new(portgroups, rec);
	}
}

static void add_pnics(json_t *out, const char *host, const char *hname, const json_t *props)
{
	json_t *pnics = json_object_get(props, "config.network.pnic");

	for (size_t i = 0; i < inv_count(pnics); i++) {
		json_t *p = inv_at(pnics, i), *rec = sub_record(host, hname, inv_str(p, "device"));
		inv_set_from(rec, "mac", p, "mac");
		inv_set_from(rec, "driver", p, "driver");
		json_object_set_new_nocheck(rec, "speed_mb", json_integer(inv_int(p, "linkSpeed.speedMb", 0)));
		json_array_append_new(out, rec);
	}
}

static void add_hardware(json_t *rec, const json_t *props)
{
	json_int_t cores = inv_int(props, "summary.hardware.numCpuCores", 0);
	json_int_t mhz = inv_int(props, "summary.hardware.cpuMhz", 0);

	inv_set_from(rec, "vendor", props, "hardware.systemInfo.vendor");
	inv_set_from(rec, "model", props, "hardware.systemInfo.model");
	inv_set_from(rec, "uuid", props, "hardware.systemInfo.uuid");
	inv_set_from(rec, "cpu_model", props, "summary.hardware.cpuModel");
	json_object_set_new_nocheck(rec, "cpu_sockets", json_integer(inv_int(props, "summary.hardware.numCpuPkgs", 0)));
	json_object_set_new_nocheck(rec, "cpu_cores", json_integer(cores));
	json_object_set_new_nocheck(rec, "cpu_threads", json_integer(inv_int(props, "summary.hardware.numCpuThreads", 0)));
	json_object_set_new_nocheck(rec, "cpu_mhz", json_integer(mhz));
	json_object_set_new_nocheck(rec, "cpu_total_mhz", json_integer(cores * mhz));
	json_object_set_new_nocheck(rec, "memory_bytes", json_integer(inv_int(props, "summary.hardware.memorySize", 0)));
	json_object_set_new_nocheck(rec, "nic_count", json_integer(inv_int(props, "summary.hardware.numNics", 0)));
	json_object_set_new_nocheck(rec, "cpu_usage_mhz", json_integer(inv_int(props, "summary.quickStats.overallCpuUsage", 0)));
	json_object_set_new_nocheck(rec, "mem_usage_mb", json_integer(inv_int(props, "summary.quickStats.overallMemoryUsage", 0)));
}

/* The SSH service (HostService key TSM-SSH) from config.service.service: whether it
 * runs and its start policy (on, off, automatic); both null when the host lists no
 * such service or the property could not be read. */
static void add_ssh(json_t *rec, const json_t *props)
{
	json_t *svcs = json_object_get(props, "config.service.service");

	for (size_t i = 0; i < inv_count(svcs); i++) {
		json_t *s = inv_at(svcs, i);
		const char *key = inv_str(s, "key");
		if (!key || strcmp(key, "TSM-SSH"))
			continue;
		json_object_set_new_nocheck(rec, "ssh_running", json_boolean(inv_bool(s, "running") == 1));
		inv_set_from(rec, "ssh_policy", s, "policy");
		return;
	}
	json_object_set_new_nocheck(rec, "ssh_running", json_null());
	json_object_set_new_nocheck(rec, "ssh_policy", json_null());
}

json_t *inv_host_record(const struct inv_raw *r, const char *moref, const json_t *props,
                        json_t *vmks, json_t *vswitches, json_t *portgroups, json_t *pnics)
{
	json_t *rec = json_object();
	const char *name = inv_str(props, "name");
	const char *cluster = inv_ancestor(r, moref, "cluster");

	inv_set_str(rec, "moref", moref);
	inv_set_str(rec, "name", name);
	inv_set_from(rec, "connection_state", props, "runtime.connectionState");
	inv_set_from(rec, "power_state", props, "runtime.powerState");
	json_object_set_new_nocheck(rec, "maintenance", json_boolean(inv_bool(props, "runtime.inMaintenanceMode") == 1));
	inv_set_from(rec, "version", props, "summary.config.product.version");
	inv_set_from(rec, "build", props, "summary.config.product.build");
	inv_set_from(rec, "product", props, "summary.config.product.fullName");
	inv_set_from(rec, "boot_time", props, "runtime.bootTime");
	inv_set_from(rec, "overall_status", props, "overallStatus");
	inv_set_str(rec, "cluster", cluster);
	inv_set_str(rec, "cluster_name", inv_name_of(r, cluster));
	inv_set_str(rec, "datacenter", inv_name_of(r, inv_ancestor(r, moref, "datacenter")));
	json_object_set_new_nocheck(rec, "datastores", inv_names(r, json_object_get(props, "datastore")));
	json_object_set_new_nocheck(rec, "vm_count", json_integer(inv_vm_count(r, moref)));
	add_hardware(rec, props);
	add_ssh(rec, props);
	json_object_set_new_nocheck(rec, "custom", inv_custom(r, props));
	json_object_set_new_nocheck(rec, "tags", inv_tags(r, moref));
	add_vmks(vmks, moref, name, props);
	add_switches(vswitches, portgroups, moref, name, props);
	add_pnics(pnics, moref, name, props);
	return rec;
}
