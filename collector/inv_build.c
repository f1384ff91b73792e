/* inv_build(): turns one poll's raw objects into the record arrays stored per type
 * (clusters, datastores, storage pods, networks, distributed switches and
 * portgroups here; VMs and hosts in inv_vm.c and inv_host.c). */
#include "inv.h"
#include "inv_build.h"
#include "seal.h"
#include "inv_out.h"
#include "json_arena.h"
#include "json_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *inv_names(const struct inv_raw *r, const json_t *mors)
{
	json_t *out = json_array();

	for (size_t i = 0; i < inv_count(mors); i++) {
		const char *n = inv_name_of(r, inv_mor(inv_at(mors, i)));
		if (n)
			json_array_append_new(out, json_string(n));
	}
	return out;
}

json_t *inv_custom(const struct inv_raw *r, const json_t *props)
{
	json_t *out = json_object(), *cv = json_object_get(props, "customValue");

	for (size_t i = 0; i < inv_count(cv); i++) {
		json_t *v = inv_at(cv, i);
		const char *name;
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)inv_int(v, "key", 0));
		name = json_string_value(json_object_get(r->fields, key));
		if (inv_str(v, "value"))
			json_object_set_new(out, name ? name : key, json_string(inv_str(v, "value")));
	}
	return out;
}

json_t *inv_tags(const struct inv_raw *r, const char *moref)
{
	json_t *list = json_object_get(json_object_get(r->tags, "objects"), moref);

	return json_is_array(list) ? json_deep_copy(list) : json_array();
}

/* One record per tag: its category, description and how many objects carry it. */
static json_t *tag_records(const struct inv_raw *r)
{
	json_t *out = json_array(), *tag;
	size_t i;

	json_array_foreach(json_object_get(r->tags, "tags"), i, tag) {
		json_t *rec = json_object();
		inv_set_from(rec, "moref", tag, "id");
		inv_set_from(rec, "name", tag, "name");
		inv_set_from(rec, "category", tag, "category");
		inv_set_from(rec, "description", tag, "description");
		json_object_set_new_nocheck(rec, "object_count", json_integer(inv_int(tag, "object_count", 0)));
		json_array_append_new(out, rec);
	}
	return out;
}

static json_t *bucket(const struct inv_raw *r, const char *name)
{
	return json_object_get(r->buckets, name);   /* NULL iterates as empty */
}

static json_t *base_record(const char *moref, const json_t *props)
{
	json_t *rec = json_object();

	inv_set_str(rec, "moref", moref);
	inv_set_from(rec, "name", props, "name");
	return rec;
}

static void add_int(json_t *rec, const char *key, json_int_t n)
{
	json_object_set_new(rec, key, json_integer(json_integer_value(json_object_get(rec, key)) + n));
}

/* Sums per-cluster host and VM figures into the cluster records, one pass each. */
static void cluster_totals(json_t *clusters, const json_t *hosts, const json_t *vms)
{
	json_t *index = json_object(), *c, *h, *v;
	size_t i;

	json_array_foreach(clusters, i, c) {
		json_object_set(index, json_string_value(json_object_get(c, "moref")), c);
		json_object_set_new_nocheck(c, "cpu_usage_mhz", json_integer(0));
		json_object_set_new_nocheck(c, "mem_usage_mb", json_integer(0));
		json_object_set_new_nocheck(c, "vm_count", json_integer(0));
		json_object_set_new_nocheck(c, "vms_on", json_integer(0));
	}
	json_array_foreach(hosts, i, h) {
		c = json_object_get(index, inv_s(json_object_get(h, "cluster")));
		if (!c)
			continue;
		add_int(c, "cpu_usage_mhz", json_integer_value(json_object_get(h, "cpu_usage_mhz")));
		add_int(c, "mem_usage_mb", json_integer_value(json_object_get(h, "mem_usage_mb")));
	}
	json_array_foreach(vms, i, v) {
		c = json_object_get(index, inv_s(json_object_get(v, "cluster")));
		if (!c || json_is_true(json_object_get(v, "template")))
			continue;
		add_int(c, "vm_count", 1);
		add_int(c, "vms_on", !strcmp(inv_s(json_object_get(v, "power_state")), "poweredOn"));
	}
	json_decref(index);
}

static json_t *clusters(const struct inv_raw *r)
{
	json_t *out = json_array(), *props;
	const char *moref;

	json_object_foreach(bucket(r, "cluster"), moref, props) {
		json_t *rec = base_record(moref, props);
		inv_set_str(rec, "datacenter", inv_name_of(r, inv_ancestor(r, moref, "datacenter")));
		json_object_set_new_nocheck(rec, "host_count", json_integer(inv_int(props, "summary.numHosts", 0)));
		json_object_set_new_nocheck(rec, "hosts", inv_names(r, json_object_get(props, "host")));
		json_object_set_new_nocheck(rec, "effective_hosts", json_integer(inv_int(props, "summary.numEffectiveHosts", 0)));
		json_object_set_new_nocheck(rec, "total_cpu_mhz", json_integer(inv_int(props, "summary.totalCpu", 0)));
		json_object_set_new_nocheck(rec, "total_memory_bytes", json_integer(inv_int(props, "summary.totalMemory", 0)));
		json_object_set_new_nocheck(rec, "effective_cpu_mhz", json_integer(inv_int(props, "summary.effectiveCpu", 0)));
		json_object_set_new_nocheck(rec, "effective_memory_mb", json_integer(inv_int(props, "summary.effectiveMemory", 0)));
		json_object_set_new_nocheck(rec, "ha_enabled", json_boolean(inv_bool(props, "configuration.dasConfig.enabled") == 1));
		json_object_set_new_nocheck(rec, "drs_enabled", json_boolean(inv_bool(props, "configuration.drsConfig.enabled") == 1));
		inv_set_from(rec, "drs_behavior", props, "configuration.drsConfig.defaultVmBehavior");
		inv_set_from(rec, "overall_status", props, "overallStatus");
		json_object_set_new_nocheck(rec, "custom", inv_custom(r, props));
		json_object_set_new_nocheck(rec, "tags", inv_tags(r, moref));
		json_array_append_new(out, rec);
	}
	return out;
}

static json_t *mount_hosts(const struct inv_raw *r, const json_t *mounts)
{
	json_t *out = json_array();

	for (size_t i = 0; i < inv_count(mounts); i++) {
		const char *n = inv_name_of(r, inv_mor(json_object_get(inv_at(mounts, i), "key")));
		if (n)
			json_array_append_new(out, json_string(n));
	}
	return out;
}

static json_t *datastores(const struct inv_raw *r)
{
	json_t *out = json_array(), *props;
	const char *moref;

	json_object_foreach(bucket(r, "datastore"), moref, props) {
		json_t *rec = base_record(moref, props);
		json_int_t cap = inv_int(props, "summary.capacity", 0);
		json_int_t free_b = inv_int(props, "summary.freeSpace", 0);
		const char *pod = inv_ancestor(r, inv_mor(json_object_get(props, "parent")), "pod");
		json_t *hosts = mount_hosts(r, json_object_get(props, "host"));
		inv_set_from(rec, "type", props, "summary.type");
		json_object_set_new_nocheck(rec, "capacity_bytes", json_integer(cap));
		json_object_set_new_nocheck(rec, "free_bytes", json_integer(free_b));
		json_object_set_new_nocheck(rec, "used_bytes", json_integer(cap - free_b));
		json_object_set_new_nocheck(rec, "uncommitted_bytes", json_integer(inv_int(props, "summary.uncommitted", 0)));
		json_object_set_new_nocheck(rec, "used_pct", json_integer(cap > 0 ? (cap - free_b) * 100 / cap : 0));
		json_object_set_new_nocheck(rec, "accessible", json_boolean(inv_bool(props, "summary.accessible") != 0));
		inv_set_from(rec, "maintenance", props, "summary.maintenanceMode");
		json_object_set_new_nocheck(rec, "shared", json_boolean(inv_bool(props, "summary.multipleHostAccess") == 1 ||
		                                                json_array_size(hosts) > 1));
		inv_set_from(rec, "url", props, "summary.url");
		inv_set_str(rec, "pod", pod);
		inv_set_str(rec, "pod_name", inv_name_of(r, pod));
		inv_set_str(rec, "datacenter", inv_name_of(r, inv_ancestor(r, moref, "datacenter")));
		json_object_set_new_nocheck(rec, "host_count", json_integer((json_int_t)json_array_size(hosts)));
		json_object_set_new_nocheck(rec, "hosts", hosts);
		json_object_set_new_nocheck(rec, "vm_count", json_integer(inv_vm_count(r, moref)));
		inv_set_from(rec, "overall_status", props, "overallStatus");
		json_object_set_new_nocheck(rec, "custom", inv_custom(r, props));
		json_object_set_new_nocheck(rec, "tags", inv_tags(r, moref));
		json_array_append_new(out, rec);
	}
	return out;
}

static json_t *pods(const struct inv_raw *r)
{
	json_t *out = json_array(), *props;
	const char *moref;

	json_object_foreach(bucket(r, "pod"), moref, props) {
		json_t *rec = base_record(moref, props);
		json_object_set_new_nocheck(rec, "capacity_bytes", json_integer(inv_int(props, "summary.capacity", 0)));
		json_object_set_new_nocheck(rec, "free_bytes", json_integer(inv_int(props, "summary.freeSpace", 0)));
		json_object_set_new_nocheck(rec, "datastores", inv_names(r, json_object_get(props, "childEntity")));
		inv_set_str(rec, "datacenter", inv_name_of(r, inv_ancestor(r, moref, "datacenter")));
		json_array_append_new(out, rec);
	}
	return out;
}

/* VLAN of a distributed portgroup's default port config. */
static void dv_vlan(json_t *rec, const json_t *props)
{
	json_t *vlan = inv_path(json_object_get(props, "config.defaultPortConfig"), "vlan");
	const char *type = inv_str(vlan, "_type");
	json_t *id = json_object_get(vlan, "vlanId");
	char ranges[256] = "";

	if (type && strstr(type, "Trunk")) {
		for (size_t i = 0; i < inv_count(id); i++) {
			size_t n = strlen(ranges);
			snprintf(ranges + n, sizeof(ranges) - n, "%s%lld-%lld", n ? "," : "",
			         (long long)inv_int(inv_at(id, i), "start", 0), (long long)inv_int(inv_at(id, i), "end", 0));
		}
		inv_set_str(rec, "vlan_type", "trunk");
		inv_set_str(rec, "trunk", ranges);
		json_object_set_new_nocheck(rec, "vlan", json_null());
	} else if (type && strstr(type, "Pvlan")) {
		inv_set_str(rec, "vlan_type", "pvlan");
		json_object_set_new_nocheck(rec, "vlan", json_integer(inv_int(vlan, "pvlanId", 0)));
	} else {
		json_int_t v = inv_int(vlan, "vlanId", 0);
		inv_set_str(rec, "vlan_type", v ? "vlan" : "none");
		json_object_set_new_nocheck(rec, "vlan", json_integer(v));
	}
}

static json_t *dv_portgroups(const struct inv_raw *r)
{
	json_t *out = json_array(), *props;
	const char *moref;

	json_object_foreach(bucket(r, "dvpg"), moref, props) {
		json_t *rec = base_record(moref, props);
		const char *dvs = inv_mor(json_object_get(props, "config.distributedVirtualSwitch"));
		inv_set_str(rec, "kind", "distributed");
		inv_set_from(rec, "key", props, "key");
		inv_set_str(rec, "switch", inv_name_of(r, dvs));
		inv_set_str(rec, "dvs", dvs);
		json_object_set_new_nocheck(rec, "ports", json_integer(inv_int(props, "config.numPorts", 0)));
		json_object_set_new_nocheck(rec, "uplink", json_boolean(inv_bool(props, "config.uplink") == 1));
		inv_set_from(rec, "binding", props, "config.type");
		dv_vlan(rec, props);
		json_array_append_new(out, rec);
	}
	return out;
}

static json_t *networks(const struct inv_raw *r)
{
	json_t *out = json_array(), *props, *dvpg = bucket(r, "dvpg");
	const char *moref;

	json_object_foreach(bucket(r, "network"), moref, props) {
		json_t *rec = base_record(moref, props);
		inv_set_str(rec, "kind", json_object_get(dvpg, moref) ? "distributed" : "standard");
		json_object_set_new_nocheck(rec, "host_count", json_integer((json_int_t)inv_count(json_object_get(props, "host"))));
		json_object_set_new_nocheck(rec, "vm_count", json_integer(inv_vm_count(r, moref)));
		inv_set_str(rec, "datacenter", inv_name_of(r, inv_ancestor(r, moref, "datacenter")));
		json_array_append_new(out, rec);
	}
	return out;
}

static json_t *switches(const struct inv_raw *r, const json_t *dvpgs)
{
	json_t *out = json_array(), *props;
	const char *moref;

	json_object_foreach(bucket(r, "dvs"), moref, props) {
		json_t *rec = base_record(moref, props), *pg;
		json_int_t npg = 0;
		size_t i;
		json_array_foreach(dvpgs, i, pg)
			npg += !strcmp(inv_s(json_object_get(pg, "dvs")), moref);
		inv_set_from(rec, "uuid", props, "uuid");
		inv_set_from(rec, "version", props, "summary.productInfo.version");
		json_object_set_new_nocheck(rec, "ports", json_integer(inv_int(props, "summary.numPorts", 0)));
		json_object_set_new_nocheck(rec, "mtu", json_integer(inv_int(props, "config.maxMtu", 1500)));
		json_object_set_new_nocheck(rec, "hosts", inv_names(r, json_object_get(props, "summary.hostMember")));
		json_object_set_new_nocheck(rec, "host_count", json_integer((json_int_t)inv_count(json_object_get(props, "summary.hostMember"))));
		json_object_set_new_nocheck(rec, "uplinks", inv_names(r, json_object_get(props, "config.uplinkPortgroup")));
		json_object_set_new_nocheck(rec, "portgroup_count", json_integer(npg));
		inv_set_str(rec, "datacenter", inv_name_of(r, inv_ancestor(r, moref, "datacenter")));
		json_array_append_new(out, rec);
	}
	return out;
}

static json_t *simple_records(const struct inv_raw *r, const char *name)
{
	json_t *out = json_array(), *props;
	const char *moref;

	json_object_foreach(bucket(r, name), moref, props)
		json_array_append_new(out, base_record(moref, props));
	return out;
}

void inv_stamp(json_t *rec, const char *vcenter, const char *vc_name)
{
	json_object_set_new_nocheck(rec, "vcenter", json_string(vcenter));
	json_object_set_new_nocheck(rec, "vcenter_name", json_string(vc_name));
}

/* Stamps every record of every type with its vCenter; with skip_vms, not the VM
 * records and snapshots (the cache's, stamped when they were built). */
static void stamp(json_t *types, const char *vcenter, const char *vc_name, int skip_vms)
{
	const char *type;
	json_t *arr, *rec;
	size_t i;

	json_object_foreach(types, type, arr) {
		if (skip_vms && (!strcmp(type, "vm") || !strcmp(type, "snapshot")))
			continue;
		json_array_foreach(arr, i, rec)
			inv_stamp(rec, vcenter, vc_name);
	}
}

/* Distributed portgroup key -> name: VM NICs on a DVS name their portgroup by key. */
json_t *inv_dvpg_keys(const struct inv_raw *r)
{
	json_t *out = json_object(), *props;
	const char *moref;

	json_object_foreach(bucket(r, "dvpg"), moref, props)
		if (inv_str(props, "key") && inv_str(props, "name"))
			json_object_set_new(out, inv_str(props, "key"), json_string(inv_str(props, "name")));
	return out;
}

/* Address space reserved for a poll's VM text (about 1.5 KB per VM). glibc always
 * mmap()s a request this large (its dynamic threshold stops at 32 MB), so only the
 * pages written are ever backed, and growing past it is an mremap(), not a copy: the
 * buffer doubling in the heap copied the text at every step and faulted each new copy
 * in again (realloc about 3 % of a 5,000-VM poll's CPU samples, now 0.2 %). */
#define VMS_TEXT_RESERVE (32u << 20)
/* Text that a packing inv_vms hands to zstd at once: big enough for zstd's blocks,
 * small enough to stay in the cache and in pages touched before. */
#define VMS_PACK_PIECE (1u << 20)

void inv_vms_init(struct inv_vms *v, const struct inv_raw *r, const char *vcenter,
                  const char *vc_name)
{
	v->records = json_array();
	v->snapshots = json_array();
	v->dvpg_by_key = inv_dvpg_keys(r);
	v->text = (struct buf)BUF_INIT;
	buf_grow(&v->text, VMS_TEXT_RESERVE);
	buf_addc(&v->text, '[');
	v->closed = false;
	v->pack = NULL;
	v->vcenter = vcenter;
	v->vc_name = vc_name;
	v->reader = NULL;
	v->sunk = false;
}

/* The reader of v's VMs, made on first use. */
static struct inv_vm *reader_of(struct inv_vms *v)
{
	if (!v->reader) {
		v->reader = malloc(sizeof(*v->reader));
		if (!v->reader)
			abort();
		inv_vm_init(v->reader);
	}
	return v->reader;
}

const struct vc_sink *inv_vms_sink(struct inv_vms *v, void **ctx)
{
	*ctx = reader_of(v);
	v->sunk = true;
	return &inv_vm_sink;
}

/* The fields of a VM record that other records and the poll read. */
static const char *const summary_keys[] = { "moref", "power_state", "cluster", "template" };
#define NSUMMARY (sizeof(summary_keys) / sizeof(summary_keys[0]))

json_t *inv_vm_summary(const json_t *rec)
{
	json_t *sum = json_object();

	for (size_t i = 0; i < NSUMMARY; i++)
		json_object_set(sum, summary_keys[i], json_object_get(rec, summary_keys[i]));
	return sum;
}

int inv_dump_append(struct buf *out, const json_t *v)
{
	return json_out(out, v);
}

void inv_vms_add(struct inv_vms *v, struct inv_raw *r, const char *moref, const json_t *props)
{
	/* the record is written as text straight away (inv_out); the raw model keeps
	 * only the name (other records name their VMs), not the whole property set:
	 * memory stays flat. props and what is built from them may sit in a json_arena
	 * scope (vc_bulk's objects), so what outlives this call -- summary, snapshot
	 * entries, name, counts -- is copied out of it rather than shared */
	json_t *snaps = json_array(), *seen = json_object(), *summary = NULL, *snap, *name_only;
	struct inv_vm *vm = reader_of(v);
	struct inv_out o;
	size_t i;
	int was, rc;

	if (!v->sunk)
		inv_vm_reset(vm);         /* else the sink's begin did, and it read the VM */
	inv_vm_read_props(vm, props);
	if (json_array_size(v->records))
		buf_addc(&v->text, ',');
	inv_out_text(&o, &v->text);
	o.capture = seen;
	o.capture_keys = summary_keys;
	o.ncapture = NSUMMARY;
	inv_vm_write(&o, r, moref, vm, v->dvpg_by_key, snaps);
	inv_out_str(&o, "vcenter", v->vcenter);
	inv_out_str(&o, "vcenter_name", v->vc_name);
	inv_out_end(&o, &rc);
	/* a record that cannot be written (a string that is not UTF-8, which libxml2
	 * does not hand over) is left out with its summary, so the text stays valid */
	if (rc && json_array_size(v->records)) {
		v->text.len--;
		v->text.data[v->text.len] = '\0';
	}
	was = json_arena_suspend();
	if (!rc) {
		summary = inv_vm_summary(seen);
		json_array_append_new(v->records, json_deep_copy(summary));
		json_decref(summary);
	}
	json_array_foreach(snaps, i, snap) {
		json_t *kept = json_deep_copy(snap);
		inv_stamp(kept, v->vcenter, v->vc_name);
		json_array_append_new(v->snapshots, kept);
	}
	inv_raw_count_vm_read(r, vm);
	name_only = json_object();
	inv_set_str(name_only, "name", inv_vm_s(vm, &vm->f[VF_NAME]));
	inv_raw_add(r, "vm", moref, name_only);
	json_decref(name_only);
	json_arena_resume(was);
	json_decref(seen);
	json_decref(snaps);
	if (v->pack && v->text.len >= VMS_PACK_PIECE) {
		seal_pack_add(v->pack, v->text.data, v->text.len);
		buf_reset(&v->text);
	}
}

void inv_vms_free(struct inv_vms *v)
{
	json_decref(v->records);
	json_decref(v->snapshots);
	json_decref(v->dvpg_by_key);
	v->records = v->snapshots = v->dvpg_by_key = NULL;
	if (v->reader) {
		inv_vm_free(v->reader);
		free(v->reader);
		v->reader = NULL;
	}
	buf_free(&v->text);
	seal_pack_free(v->pack);
	v->pack = NULL;
}

void inv_vms_pack(struct inv_vms *v)
{
	if (!v->pack)
		v->pack = seal_pack_new();
}

/* Closes the "vm" array's text once. */
static void close_text(struct inv_vms *v)
{
	if (!v->closed) {
		buf_addc(&v->text, ']');
		v->closed = true;
	}
}

int inv_vms_take_packed(struct inv_vms *v, struct buf *out)
{
	const uint8_t *frame;
	size_t n = 0;

	close_text(v);
	buf_reset(out);
	if (seal_pack_add(v->pack, v->text.data, v->text.len) ||
	    !(frame = seal_pack_end(v->pack, &n)))
		return -1;
	buf_reset(&v->text);
	buf_add(out, frame, n);
	return 0;
}

void inv_vms_take_text(struct inv_vms *v, struct buf *out)
{
	close_text(v);
	buf_free(out);
	*out = v->text;
	v->text = (struct buf)BUF_INIT;
}

json_t *inv_build(const struct inv_raw *r, const char *vcenter, const char *vc_name)
{
	json_t *vms = json_array(), *snaps = json_array(), *dvpg_by_key = inv_dvpg_keys(r), *props;
	const char *moref;
	struct inv_vm vm;

	inv_vm_init(&vm);
	json_object_foreach(bucket(r, "vm"), moref, props)
		json_array_append_new(vms, inv_vm_record(&vm, r, moref, props, dvpg_by_key, snaps));
	inv_vm_free(&vm);
	json_decref(dvpg_by_key);
	inv_raw_recount_vms(r);
	return inv_build_types(r, vms, snaps, 0, vcenter, vc_name);
}

json_t *inv_build_streamed(const struct inv_raw *r, struct inv_vms *v)
{
	json_t *sums = v->records, *snaps = v->snapshots;

	v->records = json_array();
	v->snapshots = json_array();
	return inv_build_types(r, sums, snaps, 1, v->vcenter, v->vc_name);
}

json_t *inv_build_types(const struct inv_raw *r, json_t *vms, json_t *snaps, int vms_stamped,
                        const char *vcenter, const char *vc_name)
{
	json_t *out = json_object(), *props;
	json_t *hosts = json_array(), *vmks = json_array(), *vsw = json_array();
	json_t *pgs = json_array(), *pnics = json_array(), *dvpgs = dv_portgroups(r), *cl;
	const char *moref;

	json_object_foreach(bucket(r, "host"), moref, props)
		json_array_append_new(hosts, inv_host_record(r, moref, props, vmks, vsw, pgs, pnics));
	cl = clusters(r);
	cluster_totals(cl, hosts, vms);
	json_array_extend(pgs, dvpgs);
	json_decref(dvpgs);
	json_object_set_new_nocheck(out, "datacenter", simple_records(r, "datacenter"));
	json_object_set_new_nocheck(out, "cluster", cl);
	json_object_set_new_nocheck(out, "host", hosts);
	json_object_set_new_nocheck(out, "vm", vms);
	json_object_set_new_nocheck(out, "datastore", datastores(r));
	json_object_set_new_nocheck(out, "pod", pods(r));
	json_object_set_new_nocheck(out, "network", networks(r));
	json_object_set_new_nocheck(out, "dvs", switches(r, pgs));
	json_object_set_new_nocheck(out, "portgroup", pgs);
	json_object_set_new_nocheck(out, "vswitch", vsw);
	json_object_set_new_nocheck(out, "vmk", vmks);
	json_object_set_new_nocheck(out, "pnic", pnics);
	json_object_set_new_nocheck(out, "snapshot", snaps);
	json_object_set_new_nocheck(out, "resourcepool", simple_records(r, "resourcepool"));
	json_object_set_new_nocheck(out, "tag", tag_records(r));
	stamp(out, vcenter, vc_name, vms_stamped);
	return out;
}
