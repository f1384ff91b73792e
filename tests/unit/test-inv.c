/* Unit tests of the collector's pure parts: the record builders (collector/inv_*.c)
 * over hand-made property JSON in the vSphere client's shape, the tag join
 * (tags_build) and the retry schedule (poll_next_due). */
#include "test.h"
#include "incr.h"
#include "inv.h"
#include "inv_build.h"
#include "inv_cache.h"
#include "inv_out.h"
#include "json_out.h"
#include "poll.h"
#include "tags.h"

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (!v)
		fprintf(stderr, "bad test JSON: %s\n", e.text);
	return v;
}

static json_t *find(json_t *arr, const char *moref)
{
	json_t *r;
	size_t i;

	json_array_foreach(arr, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "moref")), moref))
			return r;
	return NULL;
}

/* inv_raw_add() takes its own reference: hand it a temporary. */
static void add(struct inv_raw *r, const char *bucket, const char *moref, const char *props)
{
	json_t *p = J(props);

	inv_raw_add(r, bucket, moref, p);
	json_decref(p);
}

/* A datacenter with a cluster, a host, a VM and a datastore. */
static void small_estate(struct inv_raw *r)
{
	inv_raw_init(r);
	add(r, "datacenter", "datacenter-1", "{\"name\":\"DC\"}");
	add(r, "folder", "group-h4", "{\"name\":\"host\",\"parent\":{\"_type\":\"MOR\",\"type\":\"Datacenter\",\"value\":\"datacenter-1\"}}");
	add(r, "cluster", "domain-c7", "{\"name\":\"C1\",\"parent\":{\"_type\":\"MOR\",\"type\":\"Folder\",\"value\":\"group-h4\"},"
	            "\"summary.numHosts\":1,\"customValue\":[{\"_type\":\"CustomFieldStringValue\",\"key\":\"101\",\"value\":\"ops\"}]}");
	add(r, "host", "host-9", "{\"name\":\"esx1\",\"parent\":{\"_type\":\"MOR\",\"type\":\"ClusterComputeResource\",\"value\":\"domain-c7\"},"
	            "\"summary.hardware.numCpuCores\":8,\"summary.hardware.cpuMhz\":2000,\"summary.quickStats.overallCpuUsage\":500}");
	add(r, "vm", "vm-42", "{\"name\":\"web01\",\"runtime.powerState\":\"poweredOn\",\"config.hardware.numCPU\":4,"
	            "\"runtime.host\":{\"_type\":\"MOR\",\"type\":\"HostSystem\",\"value\":\"host-9\"},"
	            "\"datastore\":[{\"_type\":\"MOR\",\"type\":\"Datastore\",\"value\":\"datastore-3\"}],"
	            "\"network\":{\"_type\":\"MOR\",\"type\":\"Network\",\"value\":\"network-5\"},"
	            "\"customValue\":{\"_type\":\"CustomFieldStringValue\",\"key\":\"101\",\"value\":\"web team\"},"
	            "\"guest.ipAddress\":\"10.0.0.5\"}");
	add(r, "network", "network-5", "{\"name\":\"VM Network\"}");
	add(r, "datastore", "datastore-3", "{\"name\":\"ds1\",\"summary.capacity\":1000,\"summary.freeSpace\":250,"
	            "\"customValue\":[{\"key\":\"102\",\"value\":\"gold\"}]}");
}

TEST(vm_and_cluster_records)
{
	struct inv_raw r;
	json_t *out, *vm, *cl;

	small_estate(&r);
	out = inv_build(&r, "prod", "Prod");
	vm = find(json_object_get(out, "vm"), "vm-42");
	cl = find(json_object_get(out, "cluster"), "domain-c7");
	ASSERT(vm && cl);
	ASSERT_STREQ(json_string_value(json_object_get(vm, "host_name")), "esx1");
	ASSERT_STREQ(json_string_value(json_object_get(vm, "cluster_name")), "C1");
	ASSERT_STREQ(json_string_value(json_object_get(vm, "vcenter")), "prod");
	ASSERT_EQ(json_integer_value(json_object_get(vm, "cpus")), 4);
	ASSERT_STREQ(json_string_value(json_object_get(vm, "ip")), "10.0.0.5");
	ASSERT_EQ(json_integer_value(json_object_get(cl, "vm_count")), 1);
	ASSERT_EQ(json_integer_value(json_object_get(cl, "vms_on")), 1);
	/* VM counts of hosts, datastores and networks come from the VMs' side */
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(out, "host"), "host-9"), "vm_count")), 1);
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(out, "datastore"), "datastore-3"),
	                                             "vm_count")), 1);
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(out, "network"), "network-5"),
	                                             "vm_count")), 1);
	ASSERT_EQ(json_integer_value(json_object_get(cl, "cpu_usage_mhz")), 500);
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(out, "datastore"), "datastore-3"), "used_pct")), 75);
	json_decref(out);
	out = inv_build(&r, "prod", "Prod");                     /* counted again, not added */
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(out, "host"), "host-9"), "vm_count")), 1);
	json_decref(out);
	inv_raw_free(&r);
}

/* The SSH service state comes from config.service.service (an array, or one element
 * when the host lists a single service); a host without TSM-SSH gets nulls. */
TEST(host_ssh_service)
{
	struct inv_raw r;
	json_t *out, *h;

	small_estate(&r);
	add(&r, "host", "host-10", "{\"name\":\"esx2\",\"config.service.service\":["
	            "{\"key\":\"TSM\",\"running\":false,\"policy\":\"off\"},"
	            "{\"key\":\"TSM-SSH\",\"running\":true,\"policy\":\"automatic\"}]}");
	add(&r, "host", "host-11", "{\"name\":\"esx3\",\"config.service.service\":"
	            "{\"key\":\"TSM-SSH\",\"running\":\"false\",\"policy\":\"off\"}}");
	out = inv_build(&r, "prod", "Prod");
	h = find(json_object_get(out, "host"), "host-10");
	ASSERT(h && json_is_true(json_object_get(h, "ssh_running")));
	ASSERT_STREQ(json_string_value(json_object_get(h, "ssh_policy")), "automatic");
	h = find(json_object_get(out, "host"), "host-11");
	ASSERT(h && json_is_false(json_object_get(h, "ssh_running")));
	ASSERT_STREQ(json_string_value(json_object_get(h, "ssh_policy")), "off");
	h = find(json_object_get(out, "host"), "host-9");
	ASSERT(h && json_is_null(json_object_get(h, "ssh_running")));
	ASSERT(json_is_null(json_object_get(h, "ssh_policy")));
	json_decref(out);
	inv_raw_free(&r);
}

TEST(custom_attribute_names)
{
	struct inv_raw r;
	json_t *out, *custom;

	small_estate(&r);
	inv_raw_add_field(&r, 101, "Owner");
	inv_raw_add_field(&r, -1, "ignored");
	inv_raw_add_field(&r, 103, NULL);
	out = inv_build(&r, "prod", "Prod");
	custom = json_object_get(find(json_object_get(out, "vm"), "vm-42"), "custom");
	ASSERT_STREQ(json_string_value(json_object_get(custom, "Owner")), "web team");
	custom = json_object_get(find(json_object_get(out, "cluster"), "domain-c7"), "custom");
	ASSERT_STREQ(json_string_value(json_object_get(custom, "Owner")), "ops");
	/* a key without a known name stays numeric */
	custom = json_object_get(find(json_object_get(out, "datastore"), "datastore-3"), "custom");
	ASSERT_STREQ(json_string_value(json_object_get(custom, "102")), "gold");
	json_decref(out);
	inv_raw_free(&r);
}

static json_t *sample_tags(void)
{
	json_t *cats = J("[{\"id\":\"c1\",\"name\":\"Env\"},{\"id\":\"c2\",\"name\":\"Team\"}]");
	json_t *tags = J("[{\"id\":\"t1\",\"name\":\"prod\",\"category_id\":\"c1\",\"description\":\"d\"},"
	                 "{\"id\":\"t2\",\"name\":\"blue\",\"category_id\":\"c2\"},"
	                 "{\"id\":\"t3\",\"name\":\"alpha\",\"category_id\":\"c2\"},"
	                 "{\"id\":\"t4\",\"name\":\"orphan\",\"category_id\":\"gone\"}]");
	json_t *att = J("[{\"tag_id\":\"t2\",\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":\"vm-42\"}]},"
	                "{\"tag_id\":\"t1\",\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":\"vm-42\"},"
	                "{\"type\":\"HostSystem\",\"id\":\"host-9\"},{\"type\":\"Datastore\",\"id\":\"datastore-3\"},"
	                "{\"type\":\"ClusterComputeResource\",\"id\":\"domain-c7\"}]},"
	                "{\"tag_id\":\"t3\",\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":\"vm-42\"}]},"
	                "{\"tag_id\":\"unknown\",\"object_ids\":[{\"id\":\"vm-1\"}]},"
	                "{\"tag_id\":\"t4\",\"object_ids\":null}]");
	json_t *out = tags_build(cats, tags, att);

	json_decref(cats);
	json_decref(tags);
	json_decref(att);
	return out;
}

TEST(tags_build_joins_and_sorts)
{
	json_t *t = sample_tags(), *vm;
	char *s;

	vm = json_object_get(json_object_get(t, "objects"), "vm-42");
	s = json_dumps(vm, JSON_COMPACT);
	ASSERT_STREQ(s, "[{\"category\":\"Env\",\"name\":\"prod\"},{\"category\":\"Team\",\"name\":\"alpha\"},"
	                "{\"category\":\"Team\",\"name\":\"blue\"}]");
	free(s);
	ASSERT(!json_object_get(json_object_get(t, "objects"), "vm-1"));
	ASSERT_EQ(json_array_size(json_object_get(t, "tags")), 4);
	json_decref(t);
}

TEST(tags_build_empty_answers)
{
	json_t *t = tags_build(json_null(), NULL, json_null());

	ASSERT_EQ(json_array_size(json_object_get(t, "tags")), 0);
	ASSERT_EQ(json_object_size(json_object_get(t, "objects")), 0);
	json_decref(t);
}

TEST(tags_on_records)
{
	struct inv_raw r;
	json_t *t = sample_tags(), *out, *tagrecs;

	small_estate(&r);
	inv_raw_set_tags(&r, t);
	json_decref(t);
	out = inv_build(&r, "prod", "Prod");
	ASSERT_EQ(json_array_size(json_object_get(find(json_object_get(out, "vm"), "vm-42"), "tags")), 3);
	ASSERT_EQ(json_array_size(json_object_get(find(json_object_get(out, "host"), "host-9"), "tags")), 1);
	ASSERT_EQ(json_array_size(json_object_get(find(json_object_get(out, "datastore"), "datastore-3"), "tags")), 1);
	ASSERT_EQ(json_array_size(json_object_get(find(json_object_get(out, "cluster"), "domain-c7"), "tags")), 1);
	tagrecs = json_object_get(out, "tag");
	ASSERT_EQ(json_array_size(tagrecs), 4);
	ASSERT_EQ(json_integer_value(json_object_get(find(tagrecs, "t1"), "object_count")), 4);
	ASSERT_STREQ(json_string_value(json_object_get(find(tagrecs, "t1"), "category")), "Env");
	ASSERT(json_is_null(json_object_get(find(tagrecs, "t4"), "category")));
	json_decref(out);
	inv_raw_free(&r);
}

/* The retry schedule: jitter stays within +-10 %, failures back off from 10 s up to
 * the interval, a refused login from the interval up to an hour. */
TEST(backoff)
{
	for (int i = 0; i < 200; i++) {
		int64_t d = poll_next_due(120, 0, VC_OK, 0);
		ASSERT(d >= 108000 && d <= 132000);
		d = poll_next_due(120, 1, VC_ECONNECT, 0);
		ASSERT(d >= 9000 && d <= 11000);
		d = poll_next_due(120, 3, VC_ETIMEOUT, 0);
		ASSERT(d >= 36000 && d <= 44000);
		d = poll_next_due(120, 9, VC_ECONNECT, 0);
		ASSERT(d >= 108000 && d <= 132000);
		d = poll_next_due(120, 1, VC_EFAULT_LOGIN, 0);
		ASSERT(d >= 108000 && d <= 132000);
		d = poll_next_due(120, 2, VC_EFAULT_LOGIN, 0);
		ASSERT(d >= 216000 && d <= 264000);
		d = poll_next_due(600, 40, VC_EFAULT_LOGIN, 1000);
		ASSERT(d >= 1000 + 3240000 && d <= 1000 + 3960000);
	}
}

TEST(path_lookup)
{
	json_t *p = J("{\"config.hardware\":{\"numCPU\":\"2\"},\"runtime.powerState\":\"poweredOff\","
	              "\"guest.net\":[{\"ipAddress\":\"1.2.3.4\"}]}");

	ASSERT_EQ(inv_int(p, "config.hardware.numCPU", 0), 2);
	ASSERT_STREQ(inv_str(p, "runtime.powerState"), "poweredOff");
	ASSERT(inv_str(p, "runtime.host") == NULL);
	ASSERT_EQ(inv_count(json_object_get(p, "guest.net")), 1);
	ASSERT_EQ(inv_count(json_null()), 0);
	json_decref(p);
}


/* Applies one modify update of datastore-1 setting summary.freeSpace through
 * incr_apply; returns the number of changed objects, -1 when it asked for a refetch. */
static int ds_free_update(struct incr *in, const char *filter, struct inv_raw *raw, long long free_,
                          json_t *events)
{
	char text[512];
	json_t *u;
	int refetch = 0, n;

	snprintf(text, sizeof(text), "{\"filterSet\": [{\"filter\": \"%s\", \"objectSet\": [{\"kind\": "
	         "\"modify\", \"obj\": \"datastore-1\", \"changeSet\": [{\"name\": \"summary.freeSpace\", "
	         "\"op\": \"assign\", \"val\": %lld}]}]}]}", filter, free_);
	u = J(text);
	n = incr_apply(in, u, raw, events, 0, &refetch);
	json_decref(u);
	return refetch ? -1 : n;
}

/* Datastore use crossing 75 % or 85 %, either way, is an event with the percentages. */
TEST(datastore_usage_events)
{
	struct incr in;
	struct inv_raw raw;
	json_t *events = json_array(), *e;
	char filter[VC_MOREF_MAX] = "";

	memset(&in, 0, sizeof(in));
	in.n = inv_nspecs;                       /* filters[i] belongs to inv_specs[i] */
	for (size_t i = 0; i < inv_nspecs; i++) {
		snprintf(in.filters[i], sizeof(in.filters[i]), "filter-%zu", i);
		if (!strcmp(inv_specs[i].bucket, "datastore"))
			snprintf(filter, sizeof(filter), "%s", in.filters[i]);
	}
	ASSERT(filter[0]);
	inv_raw_init(&raw);
	add(&raw, "datastore", "datastore-1", "{\"name\": \"ds-<b>\", \"summary.capacity\": 1000, "
	    "\"summary.freeSpace\": 400}");
	ASSERT_EQ(ds_free_update(&in, filter, &raw, 300, events), 1);   /* 60 % -> 70 %: below 75 */
	ASSERT_EQ(json_array_size(events), 0);
	ASSERT_EQ(ds_free_update(&in, filter, &raw, 200, events), 1);   /* 80 %: crosses 75 */
	ASSERT_EQ(json_array_size(events), 1);
	e = json_array_get(events, 0);
	ASSERT(!strcmp(json_string_value(json_object_get(e, "kind")), "datastore.usage"));
	ASSERT(!strcmp(json_string_value(json_object_get(e, "name")), "ds-<b>"));
	ASSERT_EQ(json_integer_value(json_object_get(e, "from")), 70);
	ASSERT_EQ(json_integer_value(json_object_get(e, "to")), 80);
	ASSERT_EQ(ds_free_update(&in, filter, &raw, 180, events), 1);   /* 82 %: same level */
	ASSERT_EQ(json_array_size(events), 1);
	ASSERT_EQ(ds_free_update(&in, filter, &raw, 100, events), 1);   /* 90 %: crosses 85 */
	ASSERT_EQ(json_array_size(events), 2);
	ASSERT_EQ(ds_free_update(&in, filter, &raw, 500, events), 1);   /* 50 %: back below both */
	ASSERT_EQ(json_array_size(events), 3);
	ASSERT_EQ(json_integer_value(json_object_get(json_array_get(events, 2), "to")), 50);
	ASSERT_EQ(ds_free_update(&in, filter, &raw, 5000, events), 1);  /* free > capacity: no level */
	ASSERT_EQ(json_array_size(events), 3);
	ASSERT_EQ(inv_int(json_object_get(json_object_get(raw.buckets, "datastore"), "datastore-1"),
	                  "summary.freeSpace", 0), 5000);
	json_decref(events);
	inv_raw_free(&raw);
}

/* A RetrievePropertiesEx answer around its objects. */
#define ANSWER_HEAD \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope " \
	"xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" " \
	"xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">" \
	"<soapenv:Body><RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval><objects>"
#define ANSWER_TAIL \
	"</objects></returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>"

/* One VM as the simulator answers it (devices of every kind a VM has). */
static const char vm_xml[] =
	ANSWER_HEAD
	"<obj type=\"VirtualMachine\">vm-42</obj>"
	"<propSet><name>name</name><val xsi:type=\"xsd:string\">web01</val></propSet>"
	"<propSet><name>runtime.host</name><val type=\"HostSystem\" xsi:type=\"ManagedObjectReference\">host-9</val></propSet>"
	"<propSet><name>config.hardware.device</name><val xsi:type=\"ArrayOfVirtualDevice\">"
	"<VirtualDevice xsi:type=\"VirtualIDEController\"><key>200</key><deviceInfo xsi:type=\"Description\">"
	"<label>IDE 0</label><summary>IDE 0</summary></deviceInfo><busNumber>0</busNumber></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualPS2Controller\"><key>300</key><deviceInfo xsi:type=\"Description\">"
	"<label>PS2 controller 0</label><summary>PS2</summary></deviceInfo><busNumber>0</busNumber>"
	"<device>600</device><device>700</device></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualCdrom\"><key>3000</key><deviceInfo xsi:type=\"Description\">"
	"<label>CD/DVD drive 1</label><summary>ISO</summary></deviceInfo>"
	"<backing xsi:type=\"VirtualCdromIsoBackingInfo\"><fileName>[ds1] iso/a.iso</fileName>"
	"<datastore type=\"Datastore\">datastore-3</datastore></backing><connectable><startConnected>true"
	"</startConnected><allowGuestControl>true</allowGuestControl><connected>true</connected></connectable>"
	"<controllerKey>200</controllerKey><unitNumber>0</unitNumber></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualDisk\"><key>2000</key><deviceInfo xsi:type=\"Description\">"
	"<label>Hard disk 1</label><summary>1,024 KB</summary></deviceInfo>"
	"<backing xsi:type=\"VirtualDiskFlatVer2BackingInfo\"><fileName>[ds1] web01/web01.vmdk</fileName>"
	"<datastore type=\"Datastore\">datastore-3</datastore><diskMode>persistent</diskMode><split>false</split>"
	"<thinProvisioned>true</thinProvisioned><eagerlyScrub>false</eagerlyScrub></backing>"
	"<controllerKey>1000</controllerKey><unitNumber>0</unitNumber><capacityInKB>1024</capacityInKB>"
	"<capacityInBytes>1048576</capacityInBytes></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualE1000\"><key>4000</key><deviceInfo xsi:type=\"Description\">"
	"<label>Network adapter 1</label><summary>DVSwitch: fe a9</summary></deviceInfo>"
	"<backing xsi:type=\"VirtualEthernetCardDistributedVirtualPortBackingInfo\"><port><switchUuid>fe a9"
	"</switchUuid><portgroupKey>dvportgroup-13</portgroupKey></port></backing><connectable>"
	"<startConnected>true</startConnected><connected>false</connected><status>untried</status></connectable>"
	"<slotInfo xsi:type=\"VirtualDevicePciBusSlotInfo\"><pciSlotNumber>32</pciSlotNumber></slotInfo>"
	"<macAddress>00:0c:29:36:63:62</macAddress><wakeOnLanEnabled>true</wakeOnLanEnabled></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualVmxnet3\"><key>4001</key><deviceInfo xsi:type=\"Description\">"
	"<label>Network adapter 2</label><summary>VM Network</summary></deviceInfo>"
	"<backing xsi:type=\"VirtualEthernetCardNetworkBackingInfo\"><deviceName>VM Network</deviceName>"
	"<network type=\"Network\">network-7</network></backing><connectable><startConnected>false"
	"</startConnected><connected>true</connected></connectable><macAddress>00:50:56:00:00:01</macAddress>"
	"</VirtualDevice></val></propSet>"
	"<propSet><name>guest.ipAddress</name><val xsi:type=\"xsd:string\">10.0.0.5</val></propSet>"
	"<propSet><name>guest.net</name><val xsi:type=\"ArrayOfGuestNicInfo\"><GuestNicInfo>"
	"<network>VM Network</network><ipAddress>10.0.0.5</ipAddress><ipAddress>fe80::5</ipAddress>"
	"<macAddress>00:50:56:00:00:01</macAddress><connected>true</connected><deviceConfigId>4001"
	"</deviceConfigId><dnsConfig><dhcp>false</dhcp><hostName>web01</hostName></dnsConfig><ipConfig>"
	"<ipAddress><ipAddress>10.0.0.5</ipAddress><prefixLength>24</prefixLength><state>preferred</state>"
	"</ipAddress><ipAddress><ipAddress>fe80::5</ipAddress><prefixLength>64</prefixLength></ipAddress>"
	"</ipConfig></GuestNicInfo><GuestNicInfo><ipAddress>192.168.7.9</ipAddress><connected>true"
	"</connected></GuestNicInfo></val></propSet>"
	"<propSet><name>guest.disk</name><val xsi:type=\"ArrayOfGuestDiskInfo\"><GuestDiskInfo>"
	"<diskPath>/</diskPath><capacity>21474836480</capacity><freeSpace>5368709120</freeSpace>"
	"<filesystemType>ext4</filesystemType><mappings><key>2000</key></mappings></GuestDiskInfo>"
	"</val></propSet>"
	ANSWER_TAIL;

static int keep_props(void *ctx, const char *moref, json_t *props)
{
	json_t **out = ctx;

	*out = json_incref(props);
	return 0;
}

static json_t *parse_vm(const struct vc_prune *rules, size_t n)
{
	json_t *props = NULL;
	struct vc_parser *p = vc_parser_new(keep_props, &props);

	vc_parser_set_prune(p, rules, n);
	if (vc_parser_parse(p, vm_xml, sizeof(vm_xml) - 1, 0) || vc_parser_finish(p, 200))
		fprintf(stderr, "parse: %s\n", vc_parser_errstr(p));
	vc_parser_free(p);
	return props;
}

/* The poll prunes device detail (inv_prune): records must not notice. */
TEST(pruned_answer_builds_the_same_vm_record)
{
	struct inv_raw r;
	json_t *whole = parse_vm(NULL, 0), *pruned = parse_vm(inv_prune, inv_nprune);
	json_t *dvpg = J("{\"dvportgroup-13\":\"PG-13\"}"), *flat = json_array();
	json_t *a, *b;
	struct inv_vm vm;

	small_estate(&r);
	add(&r, "network", "network-7", "{\"name\":\"VM Network\"}");
	ASSERT(whole && pruned);
	/* the rules did prune: a device's key is nothing a record shows */
	ASSERT(json_object_get(json_array_get(json_object_get(whole, "config.hardware.device"), 0), "key"));
	ASSERT(!json_object_get(json_array_get(json_object_get(pruned, "config.hardware.device"), 0), "key"));
	/* controllers and the CD drive are skipped by type: the disk and the two NICs stay */
	ASSERT_EQ(json_array_size(json_object_get(whole, "config.hardware.device")), 6);
	ASSERT_EQ(json_array_size(json_object_get(pruned, "config.hardware.device")), 3);
	ASSERT(json_object_get(json_array_get(json_object_get(whole, "guest.net"), 0), "ipConfig"));
	ASSERT(!json_object_get(json_array_get(json_object_get(pruned, "guest.net"), 0), "ipConfig"));
	ASSERT(!json_object_get(json_array_get(json_object_get(pruned, "guest.disk"), 0), "mappings"));
	inv_vm_init(&vm);
	a = inv_vm_record(&vm, &r, "vm-42", whole, dvpg, flat);
	b = inv_vm_record(&vm, &r, "vm-42", pruned, dvpg, flat);
	inv_vm_free(&vm);
	ASSERT(json_equal(a, b));
	ASSERT_EQ(json_integer_value(json_object_get(a, "disk_count")), 1);
	ASSERT_EQ(json_integer_value(json_object_get(a, "nic_count")), 2);
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(json_object_get(b, "nics"), 0), "network")), "PG-13");
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(json_object_get(b, "nics"), 1), "network")), "VM Network");
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(json_object_get(b, "disks"), 0), "datastore")), "ds1");
	ASSERT_EQ(json_integer_value(json_object_get(json_array_get(json_object_get(b, "disks"), 0), "capacity_bytes")), 1048576);
	ASSERT_EQ(json_array_size(json_object_get(b, "ips")), 3);
	ASSERT_STREQ(json_string_value(json_array_get(json_object_get(b, "ips"), 2)), "192.168.7.9");
	ASSERT_EQ(json_integer_value(json_object_get(json_array_get(json_object_get(b, "partitions"), 0), "free_bytes")), 5368709120LL);
	json_decref(a);
	json_decref(b);
	json_decref(whole);
	json_decref(pruned);
	json_decref(dvpg);
	json_decref(flat);
	inv_raw_free(&r);
}

static struct inv_raw cache_raw;

/* One modify update through incr_apply: bucket's filter, moref, one assign of prop
 * to the JSON value val. Returns the number of changed objects. */
static int modify(struct incr *in, const char *bucket, const char *moref, const char *prop,
                  const char *val)
{
	char text[768];
	json_t *u;
	int refetch = 0, n;
	size_t i;

	for (i = 0; i < inv_nspecs && strcmp(inv_specs[i].bucket, bucket); i++)
		;
	snprintf(text, sizeof(text), "{\"filterSet\": [{\"filter\": \"filter-%zu\", \"objectSet\": [{"
	         "\"kind\": \"modify\", \"obj\": \"%s\", \"changeSet\": [{\"name\": \"%s\", "
	         "\"op\": \"assign\", \"val\": %s}]}]}]}", i, moref, prop, val);
	u = J(text);
	n = incr_apply(in, u, &cache_raw, NULL, 0, &refetch);
	json_decref(u);
	return refetch ? -1 : n;
}

/* Two hosts with a VM each, behind small_estate()'s cluster. */
static void two_host_estate(struct incr *in)
{
	memset(in, 0, sizeof(*in));
	in->n = inv_nspecs;
	for (size_t i = 0; i < inv_nspecs; i++)
		snprintf(in->filters[i], sizeof(in->filters[i]), "filter-%zu", i);
	small_estate(&cache_raw);
	add(&cache_raw, "host", "host-10", "{\"name\":\"esx2\",\"parent\":{\"_type\":\"MOR\","
	    "\"type\":\"ClusterComputeResource\",\"value\":\"domain-c7\"}}");
	add(&cache_raw, "vm", "vm-43", "{\"name\":\"db01\",\"runtime.powerState\":\"poweredOff\","
	    "\"runtime.host\":{\"_type\":\"MOR\",\"type\":\"HostSystem\",\"value\":\"host-10\"}}");
}

/* Takes the incremental changes into the cache; returns the records rebuilt. */
static size_t cache_cycle(struct incr *in, struct inv_cache *c)
{
	json_t *vms, *refs;
	size_t n;

	incr_take_changes(in, &vms, &refs);
	n = inv_cache_update(c, &cache_raw, vms, refs, 0, "prod", "Prod");
	json_decref(vms);
	json_decref(refs);
	return n;
}

/* The cache's "vm" value is byte for byte what a full build serialises to. */
static int same_as_full_build(const struct inv_cache *c)
{
	json_t *out = inv_build(&cache_raw, "prod", "Prod");
	char *full = json_dumps(json_object_get(out, "vm"), JSON_COMPACT), *mine;
	size_t len;
	int same;

	mine = inv_cache_vm_text(c, &len);
	same = full && mine && len == strlen(full) && !strcmp(full, mine);
	if (!same)
		fprintf(stderr, "full:  %s\ncache: %s\n", full, mine);
	free(full);
	free(mine);
	json_decref(out);
	return same;
}

/* A changed cycle rebuilds the VMs that changed and the VMs naming a renamed or moved
 * object, and nothing else; the result always equals a full build. */
TEST(cache_rebuilds_what_changed)
{
	struct incr in;
	struct inv_cache c;
	json_t *out;
	uint64_t v;

	two_host_estate(&in);
	inv_cache_init(&c);
	ASSERT_EQ(inv_cache_update(&c, &cache_raw, NULL, NULL, 0, "prod", "Prod"), 2);  /* empty: all */
	ASSERT(same_as_full_build(&c));
	v = c.version;
	ASSERT_EQ(cache_cycle(&in, &c), 0);                       /* nothing changed */
	ASSERT_EQ(modify(&in, "vm", "vm-42", "name", "\"web02\""), 1);
	ASSERT_EQ(cache_cycle(&in, &c), 1);
	ASSERT(c.version != v);
	ASSERT(same_as_full_build(&c));
	ASSERT_EQ(modify(&in, "host", "host-9", "summary.quickStats.overallCpuUsage", "900"), 1);
	ASSERT_EQ(cache_cycle(&in, &c), 0);                       /* no VM names that figure */
	ASSERT_EQ(modify(&in, "host", "host-10", "name", "\"esx2-<new>\""), 1);
	v = c.version;
	ASSERT_EQ(cache_cycle(&in, &c), 1);                       /* only db01 runs there */
	ASSERT(c.version != v);
	ASSERT(same_as_full_build(&c));
	out = inv_cache_build(&c, &cache_raw, "prod", "Prod");
	ASSERT_STREQ(json_string_value(json_object_get(find(json_object_get(out, "vm"), "vm-43"),
	                                               "host_name")), "esx2-<new>");
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(out, "cluster"), "domain-c7"),
	                                             "vm_count")), 2);
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(out, "host"), "host-10"),
	                                             "vm_count")), 1);
	json_decref(out);
	ASSERT_EQ(modify(&in, "cluster", "domain-c7", "name", "\"C2\""), 1);
	ASSERT_EQ(cache_cycle(&in, &c), 2);                       /* both VMs are in it */
	ASSERT(same_as_full_build(&c));
	json_object_del(json_object_get(cache_raw.buckets, "vm"), "vm-43");
	json_object_set_new(in.changed_vms = json_object(), "vm-43", json_true());
	v = c.version;
	ASSERT_EQ(cache_cycle(&in, &c), 1);                       /* gone: dropped */
	ASSERT(c.version != v && json_object_size(c.vms) == 1);
	ASSERT(same_as_full_build(&c));
	out = inv_cache_build(&c, &cache_raw, "prod", "Prod");   /* the gone VM's host: none */
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(out, "host"), "host-10"),
	                                             "vm_count")), 0);
	json_decref(out);
	v = c.version;
	ASSERT_EQ(inv_cache_update(&c, &cache_raw, NULL, NULL, 1, "prod", "Prod"), 1);
	ASSERT(c.version == v);                                   /* same texts: nothing to write */
	incr_stop(&in, NULL);
	inv_cache_free(&c);
	inv_raw_free(&cache_raw);
}

/* Records streamed in (built, serialised and freed one by one, as a poll does) give
 * the same "vm" text, byte for byte, and the same other types as a full build; the
 * "vm" array of the streamed build holds the summaries. */
/* A host as the simulator answers it (tests/unit/data/host-answer.xml: one object of
 * a RetrievePropertiesEx answer for the poll's host properties). */
static json_t *parse_host(const struct vc_prune *rules, size_t n)
{
	FILE *f = fopen("unit/data/host-answer.xml", "rb");
	char *xml = malloc(64 * 1024);
	size_t len = f && xml ? fread(xml, 1, 64 * 1024, f) : 0;
	json_t *props = NULL;
	struct vc_parser *p = vc_parser_new(keep_props, &props);

	vc_parser_set_prune(p, rules, n);
	if (!len || vc_parser_parse(p, xml, len, 0) || vc_parser_finish(p, 200))
		fprintf(stderr, "host answer: %s\n", len ? vc_parser_errstr(p) : "cannot read it");
	vc_parser_free(p);
	if (f)
		fclose(f);
	free(xml);
	return props;
}

/* The poll prunes the hosts' networking and services (inv_prune) too: the host
 * record and its VMkernel adapters, switches, portgroups and NICs must not notice. */
TEST(pruned_host_answer_builds_the_same_records)
{
	json_t *props[2] = { parse_host(NULL, 0), parse_host(inv_prune, inv_nprune) };
	json_t *out[2][5];
	struct inv_raw r;
	const char *s;

	small_estate(&r);
	ASSERT(props[0] && props[1]);
	/* the rules did prune: a portgroup's computed policy is nothing a record shows */
	ASSERT(json_object_get(json_array_get(json_object_get(props[0], "config.network.portgroup"), 0),
	                       "computedPolicy"));
	ASSERT(!json_object_get(json_array_get(json_object_get(props[1], "config.network.portgroup"), 0),
	                        "computedPolicy"));
	for (int k = 0; k < 2; k++) {
		for (int i = 1; i < 5; i++)
			out[k][i] = json_array();
		out[k][0] = inv_host_record(&r, "host-21", props[k], out[k][1], out[k][2], out[k][3],
		                            out[k][4]);
	}
	for (int i = 0; i < 5; i++)
		ASSERT(json_equal(out[0][i], out[1][i]));
	/* and they hold something: adapters with their services, switches, NICs, SSH */
	ASSERT(json_array_size(out[1][1]) >= 1);
	ASSERT(json_array_size(json_object_get(json_array_get(out[1][1], 0), "services")) >= 1);
	ASSERT(json_array_size(out[1][2]) >= 1 && json_array_size(out[1][3]) >= 1);
	ASSERT(json_array_size(out[1][4]) >= 1);
	s = json_string_value(json_object_get(json_array_get(out[1][4], 0), "mac"));
	ASSERT(s && strlen(s) == 17);
	ASSERT(json_is_string(json_object_get(out[1][0], "ssh_policy")));
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 5; i++)
			json_decref(out[k][i]);
		json_decref(props[k]);
	}
	inv_raw_free(&r);
}

/* A VM with what vm_xml lacks: a snapshot tree, custom values, reference lists, and
 * the odd shapes a value can take (nil, a name given twice, an object where a string
 * belongs, a <val> before its <name>, a property given twice). */
static const char vm2_xml[] =
	ANSWER_HEAD
	"<obj type=\"VirtualMachine\">vm-77</obj>"
	"<propSet><name>name</name><val xsi:type=\"xsd:string\">old</val></propSet>"
	"<propSet><name>name</name><val xsi:type=\"xsd:string\">&lt;script&gt;{{x}}</val></propSet>"
	"<propSet><name>parent</name><val type=\"Folder\" xsi:type=\"ManagedObjectReference\">group-h4</val></propSet>"
	"<propSet><name>datastore</name><val xsi:type=\"ArrayOfManagedObjectReference\">"
	"<ManagedObjectReference type=\"Datastore\" xsi:type=\"ManagedObjectReference\">datastore-3</ManagedObjectReference>"
	"<ManagedObjectReference type=\"Datastore\" xsi:type=\"ManagedObjectReference\">datastore-404</ManagedObjectReference>"
	"</val></propSet>"
	"<propSet><name>network</name><val xsi:type=\"ArrayOfManagedObjectReference\"></val></propSet>"
	"<propSet><name>config.template</name><val xsi:type=\"xsd:boolean\">true</val></propSet>"
	"<propSet><name>config.hardware.numCPU</name><val xsi:type=\"xsd:int\">8</val></propSet>"
	"<propSet><name>config.hardware.memoryMB</name><val xsi:type=\"xsd:int\">lots</val></propSet>"
	"<propSet><name>config.annotation</name><val xsi:nil=\"true\"/></propSet>"
	"<propSet><name>config.guestId</name><val xsi:type=\"GuestId\"><a>b</a></val></propSet>"
	"<propSet><val xsi:type=\"xsd:string\">poweredOff</val><name>runtime.powerState</name></propSet>"
	"<propSet><name>runtime.host</name><val type=\"HostSystem\" xsi:type=\"ManagedObjectReference\">host-9</val></propSet>"
	"<propSet><name>summary.storage.committed</name><val xsi:type=\"xsd:long\">123456789012</val></propSet>"
	"<propSet><name>config.hardware.device</name><val xsi:type=\"ArrayOfVirtualDevice\">"
	"<VirtualDevice xsi:type=\"VirtualDisk\"><deviceInfo><label>Hard disk 1</label><label>again</label>"
	"</deviceInfo><backing xsi:type=\"VirtualDiskFlatVer2BackingInfo\"><fileName>[ds1] a.vmdk</fileName>"
	"<datastore type=\"Datastore\">datastore-3</datastore><thinProvisioned>false</thinProvisioned></backing>"
	"<capacityInKB>2048</capacityInKB></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualDisk\"><backing><fileName>[ds1] b.vmdk</fileName></backing>"
	"<capacityInKB xsi:nil=\"true\"/></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualVmxnet3\"><macAddress>00:50:56:00:00:02</macAddress>"
	"<backing><port><portgroupKey>dvportgroup-13</portgroupKey></port></backing></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualKeyboard\"/></val></propSet>"
	"<propSet><name>guest.net</name><val xsi:type=\"GuestNicInfo\"><ipAddress>10.1.1.1</ipAddress>"
	"</val></propSet>"
	"<propSet><name>guest.disk</name><val xsi:type=\"ArrayOfGuestDiskInfo\"><GuestDiskInfo>"
	"<diskPath>C:\\</diskPath><capacity>100</capacity><freeSpace>40</freeSpace></GuestDiskInfo>"
	"<GuestDiskInfo><diskPath>D:\\</diskPath></GuestDiskInfo></val></propSet>"
	"<propSet><name>customValue</name><val xsi:type=\"ArrayOfCustomFieldValue\">"
	"<CustomFieldValue xsi:type=\"CustomFieldStringValue\"><key>101</key><value>web team</value></CustomFieldValue>"
	"<CustomFieldValue xsi:type=\"CustomFieldStringValue\"><key>999</key><value>x</value></CustomFieldValue>"
	"</val></propSet>"
	"<propSet><name>snapshot</name><val xsi:type=\"VirtualMachineSnapshotInfo\">"
	"<currentSnapshot type=\"VirtualMachineSnapshot\">snapshot-3</currentSnapshot>"
	"<rootSnapshotList><snapshot type=\"VirtualMachineSnapshot\">snapshot-1</snapshot><name>base</name>"
	"<description>first</description><createTime>2026-01-01T00:00:00Z</createTime><quiesced>true</quiesced>"
	"<childSnapshotList><snapshot type=\"VirtualMachineSnapshot\">snapshot-2</snapshot><name>a</name>"
	"<childSnapshotList><snapshot type=\"VirtualMachineSnapshot\">snapshot-3</snapshot><name>a1</name>"
	"</childSnapshotList></childSnapshotList>"
	"<childSnapshotList><snapshot type=\"VirtualMachineSnapshot\">snapshot-4</snapshot><name>b</name>"
	"</childSnapshotList></rootSnapshotList>"
	"<rootSnapshotList><snapshot type=\"VirtualMachineSnapshot\">snapshot-5</snapshot><name>other</name>"
	"</rootSnapshotList></val></propSet>"
	ANSWER_TAIL;

static int add_vm(void *ctx, const char *moref, json_t *props)
{
	void **c = ctx;

	inv_vms_add(c[0], c[1], moref, props);
	return 0;
}

/* A full poll reads a VM's answer through the parser's sink, never building it as
 * JSON; the incremental mode reads the same properties from JSON. Both give the same
 * record, pruned or not, byte for byte; and it holds what the answer says. */
TEST(sink_and_props_give_the_same_vm_record)
{
	static const char *const xml[] = { vm_xml, vm2_xml };
	json_t *dvpg = J("{\"dvportgroup-13\":\"PG-13\"}");

	for (int k = 0; k < 2; k++) {
		for (int pruned = 0; pruned < 2; pruned++) {
			struct inv_raw r;
			struct inv_vm vm;
			struct inv_vms v;
			struct buf text = BUF_INIT;
			json_t *props = NULL, *flat = json_array(), *rec, *arr;
			struct vc_parser *p = vc_parser_new(keep_props, &props);
			void *ctx[2] = { &v, &r }, *reader;
			const struct vc_sink *sink;
			char *want;

			small_estate(&r);
			add(&r, "network", "network-7", "{\"name\":\"VM Network\"}");
			inv_raw_add_field(&r, 101, "team");
			if (pruned)
				vc_parser_set_prune(p, inv_prune, inv_nprune);
			ASSERT_EQ(vc_parser_parse(p, xml[k], strlen(xml[k]), 7), 0);
			ASSERT_EQ(vc_parser_finish(p, 200), 0);
			ASSERT(props);
			inv_vm_init(&vm);
			rec = inv_vm_record(&vm, &r, k ? "vm-77" : "vm-42", props, dvpg, flat);
			inv_vm_free(&vm);
			inv_stamp(rec, "prod", "Prod");
			arr = json_pack("[O]", rec);
			want = json_dumps(arr, JSON_COMPACT);
			json_decref(arr);

			inv_vms_init(&v, &r, "prod", "Prod");
			json_decref(v.dvpg_by_key);
			v.dvpg_by_key = json_incref(dvpg);
			sink = inv_vms_sink(&v, &reader);
			vc_parser_free(p);
			p = vc_parser_new(add_vm, ctx);
			vc_parser_set_sink(p, sink, reader);
			if (pruned)
				vc_parser_set_prune(p, inv_prune, inv_nprune);
			ASSERT_EQ(vc_parser_parse(p, xml[k], strlen(xml[k]), 7), 0);
			ASSERT_EQ(vc_parser_finish(p, 200), 0);
			inv_vms_take_text(&v, &text);
			ASSERT_STREQ(buf_str(&text), want);
			ASSERT_EQ(json_array_size(v.snapshots), json_array_size(flat));
			if (k == 1) {
				/* the last name given counts; text is only ever text */
				ASSERT_STREQ(json_string_value(json_object_get(rec, "name")), "<script>{{x}}");
				ASSERT(json_is_true(json_object_get(rec, "template")));
				ASSERT_EQ(json_integer_value(json_object_get(rec, "cpus")), 8);
				ASSERT_EQ(json_integer_value(json_object_get(rec, "memory_mb")), 0);
				ASSERT_EQ(json_integer_value(json_object_get(rec, "committed_bytes")), 123456789012LL);
				ASSERT(json_is_null(json_object_get(rec, "annotation")));
				ASSERT(json_is_null(json_object_get(rec, "guest_id")));   /* an object */
				ASSERT_STREQ(json_string_value(json_object_get(rec, "power_state")), "poweredOff");
				ASSERT_STREQ(json_string_value(json_object_get(rec, "folder")), "host");
				ASSERT_EQ(json_array_size(json_object_get(rec, "datastores")), 1);
				ASSERT_EQ(json_array_size(json_object_get(rec, "networks")), 0);
				/* a label given twice is none; a nil capacity still makes a disk */
				ASSERT_EQ(json_integer_value(json_object_get(rec, "disk_count")), 2);
				ASSERT(json_is_null(json_object_get(json_array_get(json_object_get(rec, "disks"), 0), "label")));
				ASSERT_EQ(json_integer_value(json_object_get(rec, "provisioned_bytes")), 2048 * 1024);
				ASSERT_STREQ(json_string_value(json_object_get(json_array_get(json_object_get(rec, "nics"), 0), "network")), "PG-13");
				ASSERT_STREQ(json_string_value(json_object_get(json_array_get(json_object_get(rec, "nics"), 0), "adapter")), "Vmxnet3");
				ASSERT_STREQ(json_string_value(json_object_get(rec, "ip")), "10.1.1.1");
				ASSERT_EQ(json_array_size(json_object_get(rec, "partitions")), 2);
				ASSERT_STREQ(json_string_value(json_object_get(json_object_get(rec, "custom"), "team")), "web team");
				ASSERT_STREQ(json_string_value(json_object_get(json_object_get(rec, "custom"), "999")), "x");
				/* the tree depth first: base, a, a1, b, other */
				ASSERT_EQ(json_integer_value(json_object_get(rec, "snapshot_count")), 5);
				arr = json_object_get(rec, "snapshots");
				ASSERT_STREQ(json_string_value(json_object_get(json_array_get(arr, 2), "name")), "a1");
				ASSERT_EQ(json_integer_value(json_object_get(json_array_get(arr, 2), "depth")), 2);
				ASSERT_STREQ(json_string_value(json_object_get(json_array_get(arr, 2), "parent")), "snapshot-2");
				ASSERT(json_is_true(json_object_get(json_array_get(arr, 2), "current")));
				ASSERT_STREQ(json_string_value(json_object_get(json_array_get(arr, 3), "parent")), "snapshot-1");
				ASSERT(json_is_null(json_object_get(json_array_get(arr, 4), "parent")));
				ASSERT(json_is_true(json_object_get(json_array_get(arr, 0), "quiesced")));
				ASSERT_STREQ(json_string_value(json_object_get(json_array_get(flat, 0), "vm_name")), "<script>{{x}}");
			}
			free(want);
			json_decref(rec);
			json_decref(props);
			json_decref(flat);
			buf_free(&text);
			inv_vms_free(&v);
			inv_raw_free(&r);
			vc_parser_free(p);
		}
	}
	json_decref(dvpg);
}

TEST(streamed_build_equals_full_build)
{
	struct inv_raw full_raw, r;
	struct inv_vms v;
	struct buf text = BUF_INIT;
	json_t *full, *streamed, *props, *vm;
	const char *moref, *type;
	char *want, *a, *b;

	small_estate(&full_raw);
	add(&full_raw, "vm", "vm-43", "{\"name\":\"db \\\"01\\\"\",\"config.template\":true,"
	    "\"runtime.host\":{\"_type\":\"MOR\",\"type\":\"HostSystem\",\"value\":\"host-9\"},"
	    "\"datastore\":{\"_type\":\"MOR\",\"type\":\"Datastore\",\"value\":\"datastore-3\"},"
	    "\"snapshot\":{\"currentSnapshot\":{\"_type\":\"MOR\",\"type\":\"VirtualMachineSnapshot\","
	    "\"value\":\"snapshot-2\"},\"rootSnapshotList\":{\"name\":\"before\",\"snapshot\":{\"_type\":"
	    "\"MOR\",\"type\":\"VirtualMachineSnapshot\",\"value\":\"snapshot-1\"},\"childSnapshotList\":"
	    "{\"name\":\"after\",\"quiesced\":true,\"snapshot\":{\"_type\":\"MOR\",\"type\":"
	    "\"VirtualMachineSnapshot\",\"value\":\"snapshot-2\"}}}}}");
	full = inv_build(&full_raw, "prod", "Prod");
	small_estate(&r);
	json_object_del(json_object_get(r.buckets, "vm"), "vm-42");
	inv_vms_init(&v, &r, "prod", "Prod");
	json_object_foreach(json_object_get(full_raw.buckets, "vm"), moref, props)
		inv_vms_add(&v, &r, moref, props);
	streamed = inv_build_streamed(&r, &v);
	inv_vms_take_text(&v, &text);
	want = json_dumps(json_object_get(full, "vm"), JSON_COMPACT);
	ASSERT(want && text.len == strlen(want));
	ASSERT_STREQ(buf_str(&text), want);
	ASSERT_EQ(json_array_size(json_object_get(full, "snapshot")), 2);
	json_object_foreach(full, type, vm) {
		if (!strcmp(type, "vm"))
			continue;
		a = json_dumps(vm, JSON_COMPACT);
		b = json_dumps(json_object_get(streamed, type), JSON_COMPACT);
		ASSERT(a && b);
		ASSERT_STREQ(b, a);
		free(a);
		free(b);
	}
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(streamed, "host"), "host-9"),
	                                             "vm_count")), 2);
	ASSERT_EQ(json_integer_value(json_object_get(find(json_object_get(streamed, "datastore"),
	                                                  "datastore-3"), "vm_count")), 2);
	vm = find(json_object_get(streamed, "vm"), "vm-43");
	ASSERT(vm && json_is_true(json_object_get(vm, "template")));
	ASSERT_EQ(json_object_size(vm), 4);
	ASSERT_STREQ(json_string_value(json_object_get(find(json_object_get(streamed, "vm"), "vm-42"),
	                                               "power_state")), "poweredOn");
	free(want);
	buf_free(&text);
	inv_vms_free(&v);
	json_decref(streamed);
	json_decref(full);
	inv_raw_free(&r);
	inv_raw_free(&full_raw);
}

/* A VM whose record cannot be written as JSON (a string that is not UTF-8: libxml2
 * never hands one over, a hand-made value can) is left out whole, with its summary;
 * the records around it and the text stay valid. */
TEST(unwritable_record_left_out)
{
	struct inv_raw r;
	struct inv_vms v;
	struct buf text = BUF_INIT;
	json_t *bad = json_object(), *good = json_object(), *arr;

	small_estate(&r);
	json_object_set_new(good, "name", json_string("ok-1"));
	json_object_set_new(bad, "name", json_stringn_nocheck("bad\xff", 4));
	inv_vms_init(&v, &r, "prod", "Prod");
	inv_vms_add(&v, &r, "vm-0", bad);         /* first: no comma may stay behind */
	inv_vms_add(&v, &r, "vm-1", good);
	inv_vms_add(&v, &r, "vm-2", bad);
	inv_vms_add(&v, &r, "vm-3", good);
	inv_vms_take_text(&v, &text);
	arr = json_loads(buf_str(&text), 0, NULL);
	ASSERT(json_is_array(arr));
	ASSERT_EQ(json_array_size(arr), 2);
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(arr, 1), "moref")), "vm-3");
	ASSERT_EQ(json_array_size(v.records), 2);
	json_decref(arr);
	buf_free(&text);
	inv_vms_free(&v);
	json_decref(bad);
	json_decref(good);
	inv_raw_free(&r);
}

/* The record builder's two outputs: the text is exactly json_out() of the object,
 * for every kind of value; nesting past INV_OUT_DEPTH fails the record (the text is
 * left as it was) without writing out of bounds. */
static void sample_record(struct inv_out *o)
{
	json_t *name = json_string("web \"01\" <é>");

	inv_out_str(o, "moref", "vm-1");
	inv_out_str(o, "missing", NULL);
	inv_out_strv(o, "name", name);
	inv_out_strv(o, "not_a_string", NULL);
	inv_out_int(o, "neg", -42);
	inv_out_bool(o, "template", true);
	inv_out_open_array(o, "nics");
	inv_out_open_object(o, NULL);
	inv_out_str(o, "mac", "00:50:56:aa");
	inv_out_close(o);
	inv_out_open_array(o, NULL);
	inv_out_close(o);
	inv_out_close(o);
	inv_out_value(o, "custom", json_pack("{s:s, s:[i,n]}", "owner", "ops", "list", 1));
	json_decref(name);
}

TEST(inv_out_text_equals_object)
{
	struct inv_out o;
	struct buf text = BUF_INIT, want = BUF_INIT;
	json_t *obj;
	int rc;

	inv_out_object(&o);
	sample_record(&o);
	obj = inv_out_end(&o, NULL);
	ASSERT_EQ(json_out(&want, obj), 0);
	buf_adds(&text, "[");
	inv_out_text(&o, &text);
	sample_record(&o);
	ASSERT(inv_out_end(&o, &rc) == NULL);
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(text.data + 1, want.data);
	text.len = 1;
	inv_out_text(&o, &text);
	inv_out_str(&o, "a", "b");
	for (int i = 0; i < INV_OUT_DEPTH + 3; i++)
		inv_out_open_array(&o, i ? NULL : "deep");
	inv_out_int(&o, NULL, 1);
	for (int i = 0; i < INV_OUT_DEPTH + 3; i++)
		inv_out_close(&o);
	inv_out_end(&o, &rc);
	ASSERT_EQ(rc, -1);
	ASSERT_EQ(text.len, 1);
	inv_out_object(&o);
	for (int i = 0; i < INV_OUT_DEPTH + 3; i++)
		inv_out_open_object(&o, "k");
	inv_out_str(&o, "x", "y");
	json_decref(inv_out_end(&o, NULL));
	json_decref(obj);
	buf_free(&text);
	buf_free(&want);
}

TEST_MAIN(T(vm_and_cluster_records), T(host_ssh_service), T(custom_attribute_names),
          T(tags_build_joins_and_sorts), T(tags_build_empty_answers), T(tags_on_records), T(backoff),
          T(path_lookup), T(datastore_usage_events),
          T(pruned_answer_builds_the_same_vm_record),
          T(sink_and_props_give_the_same_vm_record), T(pruned_host_answer_builds_the_same_records),
          T(cache_rebuilds_what_changed),
          T(streamed_build_equals_full_build), T(unwritable_record_left_out),
          T(inv_out_text_equals_object))
