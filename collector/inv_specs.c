/* What the collector fetches: one ContainerView pass per managed object type, with
 * only the properties the records need (the cost of a poll grows with them). The
 * paths follow the vSphere Web Services API (vim25 data object property paths). */
#include "inv.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const folder_paths[] = { "name", "parent" };
static const char *const dc_paths[] = { "name", "parent" };
static const char *const compute_paths[] = { "name", "parent" };
static const char *const rp_paths[] = { "name", "parent", "owner" };

static const char *const cluster_paths[] = {
	"name", "parent", "host", "overallStatus",
	"summary.totalCpu", "summary.totalMemory", "summary.effectiveCpu",
	"summary.effectiveMemory", "summary.numHosts", "summary.numEffectiveHosts",
	"configuration.dasConfig.enabled", "configuration.drsConfig.enabled",
	"configuration.drsConfig.defaultVmBehavior", "customValue",
};

/* Hosts, datastores and networks are fetched without their `vm` lists: the records
 * show only how many VMs each has, and that is counted from the VMs' own runtime.host,
 * datastore and network (inv_raw.vm_refs) -- 15,000 references fewer for vCenter to
 * send and the collector to read at 5,000 VMs. */
static const char *const host_paths[] = {
	"name", "parent", "overallStatus", "datastore",
	"runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode",
	"runtime.bootTime", "summary.config.product.version", "summary.config.product.build",
	"summary.config.product.fullName", "hardware.systemInfo.vendor",
	"hardware.systemInfo.model", "hardware.systemInfo.uuid", "summary.hardware.cpuModel",
	"summary.hardware.numCpuPkgs", "summary.hardware.numCpuCores",
	"summary.hardware.numCpuThreads", "summary.hardware.cpuMhz",
	"summary.hardware.memorySize", "summary.hardware.numNics",
	"summary.quickStats.overallCpuUsage", "summary.quickStats.overallMemoryUsage",
	"config.network.pnic", "config.network.vswitch", "config.network.portgroup",
	"config.network.vnic", "config.virtualNicManagerInfo.netConfig", "config.service.service",
	"customValue",
};

static const char *const vm_paths[] = {
	"name", "parent", "resourcePool", "overallStatus", "datastore", "network",
	"config.uuid", "config.instanceUuid", "config.template", "config.version",
	"config.hardware.numCPU", "config.hardware.numCoresPerSocket",
	"config.hardware.memoryMB", "config.hardware.device", "config.guestId",
	"config.guestFullName", "config.annotation", "config.tools.toolsVersion",
	"runtime.powerState", "runtime.connectionState", "runtime.host", "runtime.bootTime",
	"guest.guestFullName", "guest.toolsStatus", "guest.toolsRunningStatus",
	"guest.toolsVersionStatus2", "guest.ipAddress", "guest.hostName", "guest.net",
	"guest.disk", "summary.storage.committed", "summary.storage.uncommitted",
	"summary.quickStats.overallCpuUsage", "summary.quickStats.guestMemoryUsage",
	"snapshot", "customValue",
};

static const char *const ds_paths[] = {
	"name", "parent", "overallStatus", "host", "summary.type", "summary.capacity",
	"summary.freeSpace", "summary.uncommitted", "summary.accessible",
	"summary.maintenanceMode", "summary.multipleHostAccess", "summary.url", "customValue",
};

static const char *const pod_paths[] = {
	"name", "parent", "childEntity", "summary.capacity", "summary.freeSpace",
};

static const char *const net_paths[] = { "name", "parent", "host" };

static const char *const dvpg_paths[] = {
	"name", "key", "config.distributedVirtualSwitch", "config.defaultPortConfig",
	"config.numPorts", "config.type", "config.uplink",
};

static const char *const dvs_paths[] = {
	"name", "parent", "uuid", "summary.productInfo.version", "summary.numPorts",
	"summary.hostMember", "config.maxMtu", "config.uplinkPortgroup",
};

const struct inv_spec inv_specs[] = {
	{ "Folder", "folder", folder_paths, N(folder_paths) },
	{ "Datacenter", "datacenter", dc_paths, N(dc_paths) },
	{ "ClusterComputeResource", "cluster", cluster_paths, N(cluster_paths) },
	{ "ComputeResource", "compute", compute_paths, N(compute_paths) },
	{ "ResourcePool", "resourcepool", rp_paths, N(rp_paths) },
	{ "HostSystem", "host", host_paths, N(host_paths) },
	{ "Datastore", "datastore", ds_paths, N(ds_paths) },
	{ "StoragePod", "pod", pod_paths, N(pod_paths) },
	{ "Network", "network", net_paths, N(net_paths) },
	{ "DistributedVirtualPortgroup", "dvpg", dvpg_paths, N(dvpg_paths) },
	{ "DistributedVirtualSwitch", "dvs", dvs_paths, N(dvs_paths) },
	/* last: VM records are built as the objects arrive (inv_vms_add), from the
	 * names of everything above */
	{ "VirtualMachine", "vm", vm_paths, N(vm_paths) },
};

const size_t inv_nspecs = N(inv_specs);

/* The parts of a VM's devices the records read (inv_vm.c add_devices, add_disk,
 * add_nic): a poll's parser skips the rest (controllers' buses, video memory, PCI
 * slots, backing flags ...), about three quarters of a VM's answer. A field a record
 * starts to read from a device must be added here; test-inv checks that records
 * built from a pruned answer equal those built from the whole one. */
static const char *const device_keep[] = {
	"deviceInfo.label", "capacityInKB", "capacityInBytes", "macAddress",
	"backing.fileName", "backing.datastore", "backing.diskMode", "backing.thinProvisioned",
	"backing.network", "backing.port.portgroupKey",
	"connectable.connected", "connectable.startConnected",
};

/* Of the guest's NICs only their addresses, of its disks the three figures a
 * partition shows (inv_vm.c add_guest): a real vCenter's guest.net also carries each
 * NIC's ipConfig (every address again, with prefix, origin and state), DNS and
 * routing, and guest.disk each file system's mappings. */
static const char *const guest_net_keep[] = { "ipAddress" };
static const char *const guest_disk_keep[] = { "diskPath", "capacity", "freeSpace" };
/* Devices no record reads at all (add_devices keeps NICs, by their MAC address, and
 * disks, by backing file and capacity): skipped by their xsi:type as they start. A
 * device type not listed here is parsed as before, so a NIC or disk type a newer
 * vSphere brings is never lost; this list only saves work. */
static const char *const device_skip[] = {
	"VirtualIDEController", "VirtualPS2Controller", "VirtualPCIController",
	"VirtualSIOController", "VirtualKeyboard", "VirtualPointingDevice",
	"VirtualMachineVideoCard", "VirtualMachineVMCIDevice", "VirtualMachineVMIROM",
	"VirtualLsiLogicController", "VirtualLsiLogicSASController", "ParaVirtualSCSIController",
	"VirtualBusLogicController", "VirtualAHCIController", "VirtualNVMEController",
	"VirtualCdrom", "VirtualFloppy", "VirtualUSBController", "VirtualUSBXHCIController",
	"VirtualHdAudioCard", "VirtualEnsoniq1371", "VirtualSoundBlaster16", "VirtualSerialPort",
	"VirtualParallelPort", "VirtualTPM", "VirtualWDT", "VirtualPrecisionClock",
};
/* The parts of a host's networking and services its records read (inv_host.c): the
 * VMkernel adapters' services, the adapters, physical NICs, standard switches and
 * portgroups, and the SSH service. The rest -- every portgroup's computed policy,
 * each switch's spec and policy, each NIC's valid link speeds, each service's
 * packages and rulesets -- is most of a host's answer. A field a host record starts
 * to read must be added here; test-inv checks that records built from a pruned
 * answer equal those built from the whole one. */
static const char *const netconfig_keep[] = {
	"nicType", "candidateVnic.key", "candidateVnic.device", "selectedVnic",
};
static const char *const vnic_keep[] = {
	"device", "portgroup", "spec.distributedVirtualPort.portgroupKey", "spec.ip.ipAddress",
	"spec.ip.subnetMask", "spec.ip.dhcp", "spec.mac", "spec.mtu",
};
static const char *const pnic_keep[] = { "key", "device", "mac", "driver", "linkSpeed.speedMb" };
static const char *const vswitch_keep[] = { "name", "numPorts", "mtu", "pnic" };
static const char *const portgroup_keep[] = { "spec.name", "spec.vlanId", "spec.vswitchName" };
static const char *const service_keep[] = { "key", "running", "policy" };

const struct vc_prune inv_prune[] = {
	{ "config.hardware.device", device_keep, N(device_keep), device_skip, N(device_skip) },
	{ "guest.net", guest_net_keep, N(guest_net_keep), NULL, 0 },
	{ "guest.disk", guest_disk_keep, N(guest_disk_keep), NULL, 0 },
	{ "config.virtualNicManagerInfo.netConfig", netconfig_keep, N(netconfig_keep), NULL, 0 },
	{ "config.network.vnic", vnic_keep, N(vnic_keep), NULL, 0 },
	{ "config.network.pnic", pnic_keep, N(pnic_keep), NULL, 0 },
	{ "config.network.vswitch", vswitch_keep, N(vswitch_keep), NULL, 0 },
	{ "config.network.portgroup", portgroup_keep, N(portgroup_keep), NULL, 0 },
	{ "config.service.service", service_keep, N(service_keep), NULL, 0 },
};

const size_t inv_nprune = N(inv_prune);
