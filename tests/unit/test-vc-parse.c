/* Unit tests of the SOAP response parser (collector/vc_xml.c): canned vim25 answers
 * read whole and in 1- and 7-byte pieces (the parser must not care how its input
 * arrives), every fault type, broken inputs (truncated, HTML, empty, DTD, deep) and
 * broken readers. */
#include "test.h"
#include "vc.h"
#include "buf.h"

#define ENV_OPEN "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<soapenv:Envelope xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\" " \
	"xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" " \
	"xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" " \
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
#define ENV_CLOSE "</soapenv:Envelope>"

static const char props_xml[] = ENV_OPEN
	"<soapenv:Header><operationID>abc</operationID></soapenv:Header>"
	"<soapenv:Body><RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>"
	"<token>tok-1</token>"
	"<objects><obj type=\"VirtualMachine\">vm-1</obj>"
	"<propSet><name>name</name><val xsi:type=\"xsd:string\">web &amp; db &lt;1&gt;</val></propSet>"
	"<propSet><name>runtime.powerState</name><val xsi:type=\"VirtualMachinePowerState\">poweredOn</val></propSet>"
	"<propSet><name>config.hardware.numCPU</name><val xsi:type=\"xsd:int\">4</val></propSet>"
	"<propSet><name>summary.storage.committed</name><val xsi:type=\"xsd:long\">10737418240</val></propSet>"
	"<propSet><name>config.template</name><val xsi:type=\"xsd:boolean\">false</val></propSet>"
	"<propSet><name>runtime.host</name><val type=\"HostSystem\" xsi:type=\"ManagedObjectReference\">host-7</val></propSet>"
	"<propSet><name>datastore</name><val xsi:type=\"ArrayOfManagedObjectReference\">"
	"<ManagedObjectReference type=\"Datastore\">datastore-1</ManagedObjectReference>"
	"<ManagedObjectReference type=\"Datastore\">datastore-2</ManagedObjectReference></val></propSet>"
	"<propSet><name>guest.net</name><val xsi:type=\"ArrayOfGuestNicInfo\"><GuestNicInfo>"
	"<network>VM Network</network><ipAddress>10.0.0.5</ipAddress><ipAddress>fe80::1</ipAddress>"
	"<connected>true</connected></GuestNicInfo></val></propSet>"
	"<propSet><name>config.hardware</name><val xsi:type=\"VirtualHardware\"><numCPU>4</numCPU>"
	"<device xsi:type=\"VirtualDisk\"><key>2000</key><deviceInfo xsi:type=\"Description\">"
	"<label>Hard disk 1</label></deviceInfo><capacityInKB>1024</capacityInKB></device>"
	"<device xsi:type=\"VirtualE1000\"><key>4000</key></device>"
	"<device xsi:type=\"VirtualKeyboard\"><key>600</key></device></val></propSet>"
	"<propSet><name>config.cpuAffinity</name><val xsi:type=\"ArrayOfInt\"><int>0</int><int>3</int></val></propSet>"
	"<propSet><name>tag</name><val xsi:type=\"ArrayOfTag\"></val></propSet>"
	"<propSet><name>parent</name><val xsi:nil=\"true\"/></propSet>"
	"<missingSet><path>summary.guest</path><fault><fault xsi:type=\"NoPermission\">"
	"<privilegeId>System.Read</privilegeId></fault><localizedMessage>no</localizedMessage>"
	"</fault></missingSet>"
	"</objects>"
	"<objects><obj type=\"VirtualMachine\">vm-2</obj>"
	"<propSet><name>name</name><val xsi:type=\"xsd:string\"><![CDATA[cdata <name>]]></val></propSet>"
	"</objects>"
	"<objects><obj type=\"VirtualMachine\">vm-3</obj></objects>"
	"</returnval></RetrievePropertiesExResponse></soapenv:Body>" ENV_CLOSE;

static int collect_cb(void *ctx, const char *moref, json_t *props)
{
	json_object_set(ctx, moref, props);
	return 0;
}

/* Parses xml read in pieces of `chunk` bytes (0: as libxml2 asks); returns
 * finish()'s result. */
static int feed(struct vc_parser *p, const char *xml, size_t len, size_t chunk, long status)
{
	vc_parser_parse(p, xml, len, chunk);
	return vc_parser_finish(p, status);
}

static const size_t chunks[] = { 0, 1, 7 };

static void check_vm1(json_t *vm)
{
	json_t *hw, *dev, *net;

	ASSERT_STREQ(json_string_value(json_object_get(vm, "name")), "web & db <1>");
	ASSERT_STREQ(json_string_value(json_object_get(vm, "runtime.powerState")), "poweredOn");
	ASSERT_EQ(json_integer_value(json_object_get(vm, "config.hardware.numCPU")), 4);
	ASSERT_EQ(json_integer_value(json_object_get(vm, "summary.storage.committed")), 10737418240LL);
	ASSERT(json_is_false(json_object_get(vm, "config.template")));
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(vm, "runtime.host"), "_type")), "MOR");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(vm, "runtime.host"), "type")), "HostSystem");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(vm, "runtime.host"), "value")), "host-7");
	ASSERT_EQ(json_array_size(json_object_get(vm, "datastore")), 2);
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(json_object_get(vm, "datastore"), 1), "value")), "datastore-2");
	net = json_array_get(json_object_get(vm, "guest.net"), 0);
	ASSERT_STREQ(json_string_value(json_object_get(net, "_type")), "GuestNicInfo");
	ASSERT_EQ(json_array_size(json_object_get(net, "ipAddress")), 2);
	ASSERT_STREQ(json_string_value(json_object_get(net, "connected")), "true");
	hw = json_object_get(vm, "config.hardware");
	ASSERT_STREQ(json_string_value(json_object_get(hw, "_type")), "VirtualHardware");
	dev = json_object_get(hw, "device");
	ASSERT_EQ(json_array_size(dev), 3);
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(dev, 0), "_type")), "VirtualDisk");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(json_array_get(dev, 0), "deviceInfo"), "label")), "Hard disk 1");
	ASSERT_EQ(json_integer_value(json_array_get(json_object_get(vm, "config.cpuAffinity"), 1)), 3);
	ASSERT(json_is_array(json_object_get(vm, "tag")) && json_array_size(json_object_get(vm, "tag")) == 0);
	ASSERT(json_is_null(json_object_get(vm, "parent")));
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(vm, "_missing"), "summary.guest")), "NoPermission");
}

TEST(props_streamed_in_any_chunking)
{
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		json_t *got = json_object();
		struct vc_parser *p = vc_parser_new(collect_cb, got);

		ASSERT_EQ(feed(p, props_xml, sizeof(props_xml) - 1, chunks[i], 200), 0);
		ASSERT_EQ(json_object_size(got), 3);
		check_vm1(json_object_get(got, "vm-1"));
		if (test_failed_flag)
			return;
		ASSERT_STREQ(json_string_value(json_object_get(json_object_get(got, "vm-2"), "name")), "cdata <name>");
		ASSERT_EQ(json_object_size(json_object_get(got, "vm-3")), 0);
		ASSERT_STREQ(vc_parser_token(p), "tok-1");
		vc_parser_free(p);
		json_decref(got);
	}
}

/* A streamed object's properties are set as each <val> closes; a propSet whose <val>
 * comes before its <name>, one without a <val> (null) and a repeated name (the last
 * wins) read as they did when whole propSet objects were kept. */
static const char odd_props_xml[] = ENV_OPEN
	"<soapenv:Body><RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>"
	"<objects><obj type=\"VirtualMachine\">vm-9</obj>"
	"<propSet><val xsi:type=\"xsd:int\">7</val><name>late.name</name></propSet>"
	"<propSet><name>no.val</name></propSet>"
	"<propSet><name>twice</name><val xsi:type=\"xsd:string\">a</val></propSet>"
	"<propSet><name>twice</name><val xsi:type=\"xsd:string\">b</val></propSet>"
	"<propSet><val xsi:type=\"xsd:string\">nameless</val></propSet>"
	"<propSet><name>host</name><val type=\"HostSystem\" xsi:type=\"ManagedObjectReference\">"
	"host-1</val></propSet>"
	"</objects></returnval></RetrievePropertiesExResponse></soapenv:Body>" ENV_CLOSE;

TEST(streamed_props_in_any_order)
{
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		json_t *got = json_object(), *vm;
		struct vc_parser *p = vc_parser_new(collect_cb, got);
		char *text;

		ASSERT_EQ(feed(p, odd_props_xml, sizeof(odd_props_xml) - 1, chunks[i], 200), 0);
		vm = json_object_get(got, "vm-9");
		text = json_dumps(vm, JSON_COMPACT);
		ASSERT_STREQ(text, "{\"late.name\":7,\"no.val\":null,\"twice\":\"b\",\"host\":"
		             "{\"_type\":\"MOR\",\"type\":\"HostSystem\",\"value\":\"host-1\"}}");
		free(text);
		vc_parser_free(p);
		json_decref(got);
	}
}

TEST(props_without_callback_stay_in_result)
{
	struct vc_parser *p = vc_parser_new(NULL, NULL);
	json_t *objs;

	ASSERT_EQ(feed(p, props_xml, sizeof(props_xml) - 1, 0, 200), 0);
	objs = json_object_get(vc_parser_result(p), "objects");
	ASSERT_EQ(json_array_size(objs), 3);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(json_array_get(objs, 2), "obj"), "value")), "vm-3");
	vc_parser_reset(p);
	ASSERT(vc_parser_result(p) == NULL);
	vc_parser_free(p);
}

static int stop_cb(void *ctx, const char *moref, json_t *props)
{
	(*(int *)ctx)++;
	return 1;
}

/* A property value pruned to named paths, next to one left whole. */
static const char prune_xml[] = ENV_OPEN
	"<soapenv:Body><RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>"
	"<objects><obj type=\"VirtualMachine\">vm-1</obj>"
	"<propSet><name>config.hardware.device</name><val xsi:type=\"ArrayOfVirtualDevice\">"
	"<VirtualDevice xsi:type=\"VirtualDisk\"><key>2000</key><deviceInfo xsi:type=\"Description\">"
	"<label>Hard disk 1</label><summary>1 KB</summary></deviceInfo>"
	"<backing xsi:type=\"VirtualDiskFlatVer2BackingInfo\"><fileName>[ds] a.vmdk</fileName>"
	"<datastore type=\"Datastore\">datastore-1</datastore><split>false</split></backing>"
	"<controllerKey>202</controllerKey><capacityInKB>1024</capacityInKB></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualIDEController\"><key>200</key><deviceInfo xsi:type=\"Description\">"
	"<label>IDE 0</label></deviceInfo><device>3000</device></VirtualDevice>"
	"<VirtualDevice xmlns:v=\"urn:vim25\" xsi:type=\"v:VirtualCdrom\"><key>3000</key><backing><fileName>"
	"[ds] a.iso</fileName></backing><macAddress>not-a-nic</macAddress></VirtualDevice>"
	"<VirtualDevice xsi:type=\"VirtualE1000\"><key>4000</key><backing xsi:type=\"X\"><port>"
	"<switchUuid>fe a9</switchUuid><portgroupKey>dvportgroup-13</portgroupKey></port></backing>"
	"<slotInfo xsi:type=\"VirtualDevicePciBusSlotInfo\"><pciSlotNumber>32</pciSlotNumber></slotInfo>"
	"<macAddress>00:0c:29:36:63:62</macAddress></VirtualDevice></val></propSet>"
	"<propSet><name>config.hardware</name><val xsi:type=\"VirtualHardware\"><numCPU>4</numCPU>"
	"<device xsi:type=\"VirtualDisk\"><key>2000</key><controllerKey>202</controllerKey></device></val></propSet>"
	"<propSet><name>name</name><val xsi:type=\"xsd:string\">web</val></propSet>"
	"</objects></returnval></RetrievePropertiesExResponse></soapenv:Body>" ENV_CLOSE;

static const char *const keep_dev[] = {
	"deviceInfo.label", "capacityInKB", "macAddress", "backing.fileName", "backing.datastore",
	"backing.port.portgroupKey",
};
/* device types skipped whole, the second one written with a namespace prefix */
static const char *const skip_dev[] = { "VirtualIDEController", "VirtualCdrom" };
static const struct vc_prune dev_rule[] = { { "config.hardware.device", keep_dev, 6, skip_dev, 2 } };

static void check_pruned(json_t *vm)
{
	json_t *devs = json_object_get(vm, "config.hardware.device");
	json_t *disk = json_array_get(devs, 0), *nic = json_array_get(devs, 1);

	ASSERT_EQ(json_array_size(devs), 2);
	ASSERT_STREQ(json_string_value(json_object_get(disk, "_type")), "VirtualDisk");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(disk, "deviceInfo"), "label")), "Hard disk 1");
	ASSERT(json_object_get(json_object_get(disk, "deviceInfo"), "summary") == NULL);
	ASSERT(json_object_get(disk, "key") == NULL && json_object_get(disk, "controllerKey") == NULL);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(disk, "backing"), "fileName")), "[ds] a.vmdk");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(json_object_get(disk, "backing"), "datastore"), "value")), "datastore-1");
	ASSERT(json_object_get(json_object_get(disk, "backing"), "split") == NULL);
	ASSERT_STREQ(json_string_value(json_object_get(disk, "capacityInKB")), "1024");
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(json_object_get(nic, "backing"), "port"), "portgroupKey")), "dvportgroup-13");
	ASSERT(json_object_get(json_object_get(json_object_get(nic, "backing"), "port"), "switchUuid") == NULL);
	ASSERT(json_object_get(nic, "slotInfo") == NULL);
	ASSERT_STREQ(json_string_value(json_object_get(nic, "macAddress")), "00:0c:29:36:63:62");
	/* other properties, even with the same element names inside, stay whole */
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(json_object_get(vm, "config.hardware"), "device"), "controllerKey")), "202");
	ASSERT_STREQ(json_string_value(json_object_get(vm, "name")), "web");
}

TEST(prune_keeps_only_named_paths)
{
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		json_t *got = json_object(), *dev0;
		struct vc_parser *p = vc_parser_new(collect_cb, got);

		vc_parser_set_prune(p, dev_rule, 1);
		ASSERT_EQ(feed(p, prune_xml, sizeof(prune_xml) - 1, chunks[i], 200), 0);
		check_pruned(json_object_get(got, "vm-1"));
		/* a reset keeps the rules for the next answer; clearing them keeps all */
		json_object_clear(got);
		vc_parser_reset(p);
		ASSERT_EQ(feed(p, prune_xml, sizeof(prune_xml) - 1, chunks[i], 200), 0);
		check_pruned(json_object_get(got, "vm-1"));
		vc_parser_set_prune(p, NULL, 0);
		vc_parser_reset(p);
		ASSERT_EQ(feed(p, prune_xml, sizeof(prune_xml) - 1, chunks[i], 200), 0);
		dev0 = json_array_get(json_object_get(json_object_get(got, "vm-1"), "config.hardware.device"), 0);
		ASSERT_EQ(json_array_size(json_object_get(json_object_get(got, "vm-1"), "config.hardware.device")), 4);
		ASSERT_STREQ(json_string_value(json_object_get(json_object_get(dev0, "deviceInfo"), "summary")), "1 KB");
		vc_parser_free(p);
		json_decref(got);
	}
}

/* WaitForUpdatesEx answers carry values in changeSet (name, op, val): same rules. */
static const char updates_xml[] = ENV_OPEN
	"<soapenv:Body><WaitForUpdatesExResponse xmlns=\"urn:vim25\"><returnval><version>1</version>"
	"<filterSet><filter type=\"PropertyFilter\">f-1</filter><objectSet><kind>enter</kind>"
	"<obj type=\"VirtualMachine\">vm-1</obj><changeSet><name>config.hardware.device</name><op>assign</op>"
	"<val xsi:type=\"ArrayOfVirtualDevice\"><VirtualDevice xsi:type=\"VirtualE1000\"><key>4000</key>"
	"<macAddress>00:0c:29:00:00:01</macAddress><unitNumber>7</unitNumber></VirtualDevice></val>"
	"</changeSet></objectSet></filterSet></returnval></WaitForUpdatesExResponse></soapenv:Body>" ENV_CLOSE;

TEST(prune_applies_to_update_change_sets)
{
	struct vc_parser *p = vc_parser_new(NULL, NULL);
	json_t *cs, *dev;

	vc_parser_set_prune(p, dev_rule, 1);
	ASSERT_EQ(feed(p, updates_xml, sizeof(updates_xml) - 1, 7, 200), 0);
	cs = json_object_get(json_object_get(json_object_get(vc_parser_result(p), "filterSet"), "objectSet"), "changeSet");
	ASSERT_STREQ(json_string_value(json_object_get(cs, "op")), "assign");
	dev = json_array_get(json_object_get(cs, "val"), 0);
	ASSERT_STREQ(json_string_value(json_object_get(dev, "macAddress")), "00:0c:29:00:00:01");
	ASSERT(json_object_get(dev, "key") == NULL && json_object_get(dev, "unitNumber") == NULL);
	vc_parser_free(p);
}

TEST(callback_can_stop)
{
	int n = 0;
	struct vc_parser *p = vc_parser_new(stop_cb, &n);

	ASSERT_EQ(feed(p, props_xml, sizeof(props_xml) - 1, 0, 200), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_ECANCELED);
	ASSERT_EQ(n, 1);
	vc_parser_free(p);
}

static char *fault_xml(const char *type, const char *msg)
{
	static char xml[2048];

	snprintf(xml, sizeof(xml), ENV_OPEN "<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode"
	         "</faultcode><faultstring>%s</faultstring><detail><%sFault xmlns=\"urn:vim25\" "
	         "xsi:type=\"%s\"><object type=\"Folder\">group-d1</object></%sFault></detail>"
	         "</soapenv:Fault></soapenv:Body>" ENV_CLOSE, msg, type, type, type);
	return xml;
}

TEST(faults_map_to_codes)
{
	static const struct { const char *type; enum vc_err err; } cases[] = {
		{ "InvalidLogin", VC_EFAULT_LOGIN }, { "NotAuthenticated", VC_EFAULT_AUTH },
		{ "NoPermission", VC_EFAULT_PERM }, { "RequestCanceled", VC_ECANCELED },
		{ "InvalidProperty", VC_EFAULT_PROPERTY }, { "ManagedObjectNotFound", VC_EFAULT_NOTFOUND },
		{ "InvalidArgument", VC_EFAULT }, { "SystemError", VC_EFAULT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			struct vc_parser *p = vc_parser_new(collect_cb, NULL);
			const char *xml = fault_xml(cases[i].type, "Something &amp; failed");

			ASSERT_EQ(feed(p, xml, strlen(xml), chunks[c], 500), -1);
			ASSERT_EQ(vc_parser_errcode(p), cases[i].err);
			ASSERT_STREQ(vc_parser_fault_type(p), cases[i].type);
			ASSERT_CONTAINS(vc_parser_errstr(p), "Something & failed");
			vc_parser_free(p);
		}
	}
}

TEST(fault_without_xsi_type_uses_element_name)
{
	static const char xml[] = ENV_OPEN "<soapenv:Body><soapenv:Fault><faultcode>x</faultcode>"
		"<faultstring>Login failure</faultstring><detail><InvalidLoginFault xmlns=\"urn:vim25\"/>"
		"</detail></soapenv:Fault></soapenv:Body>" ENV_CLOSE;
	struct vc_parser *p = vc_parser_new(NULL, NULL);

	ASSERT_EQ(feed(p, xml, sizeof(xml) - 1, 0, 500), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EFAULT_LOGIN);
	ASSERT_STREQ(vc_parser_fault_type(p), "InvalidLogin");
	vc_parser_free(p);
}

TEST(truncated_at_every_byte_is_a_clean_error)
{
	size_t len = sizeof(props_xml) - 1;

	for (size_t cut = 0; cut < len; cut += 3) {
		json_t *got = json_object();
		struct vc_parser *p = vc_parser_new(collect_cb, got);

		ASSERT_MSG(feed(p, props_xml, cut, 0, 200) == -1, "cut at %zu parsed", cut);
		ASSERT_MSG(vc_parser_errcode(p) == VC_EPARSE, "cut %zu: %s", cut, vc_parser_errstr(p));
		vc_parser_free(p);
		json_decref(got);
	}
}

TEST(html_error_page)
{
	static const char html[] = "<html><head><title>503 Service Unavailable</title></head>"
		"<body><h1>Service Unavailable</h1><br></body></html>";
	struct vc_parser *p = vc_parser_new(NULL, NULL);

	ASSERT_EQ(feed(p, html, sizeof(html) - 1, 0, 503), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EHTTP);
	ASSERT_CONTAINS(vc_parser_errstr(p), "HTTP 503");
	ASSERT_CONTAINS(vc_parser_errstr(p), "Service Unavailable");
	vc_parser_reset(p);
	ASSERT_EQ(feed(p, html, sizeof(html) - 1, 1, 200), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EPARSE);
	vc_parser_free(p);
}

TEST(non_soap_and_empty_bodies)
{
	static const char plain[] = "<?xml version=\"1.0\"?><namespaces><x/></namespaces>";
	struct vc_parser *p = vc_parser_new(NULL, NULL);

	ASSERT_EQ(feed(p, "", 0, 0, 200), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EPARSE);
	ASSERT_CONTAINS(vc_parser_errstr(p), "empty");
	vc_parser_reset(p);
	ASSERT_EQ(feed(p, "", 0, 0, 500), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EHTTP);
	ASSERT_CONTAINS(vc_parser_errstr(p), "HTTP 500");
	vc_parser_reset(p);
	ASSERT_EQ(feed(p, plain, sizeof(plain) - 1, 0, 200), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EPARSE);
	vc_parser_reset(p);
	ASSERT_EQ(feed(p, "garbage\x01\xff", 9, 0, 200), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EPARSE);
	vc_parser_free(p);
	vc_parser_free(NULL);
}

/* A reader that hands out `ok` bytes of props_xml in 5-byte pieces, then fails
 * (-1), or answers with more bytes than asked for (`lie`). */
struct bad_reader {
	size_t off, ok;
	bool lie;
	int calls_after;
};

static long bad_read(void *ctx, char *buf, size_t len)
{
	struct bad_reader *r = ctx;
	size_t n = r->ok - r->off < 5 ? r->ok - r->off : 5;

	if (r->off == r->ok) {
		r->calls_after++;
		return r->lie ? (long)len + 1 : -1;
	}
	if (n > len)
		n = len;
	memcpy(buf, props_xml + r->off, n);
	r->off += n;
	return (long)n;
}

TEST(failed_or_lying_reader_is_a_clean_error)
{
	for (int lie = 0; lie < 2; lie++) {
		json_t *got = json_object();
		struct vc_parser *p = vc_parser_new(collect_cb, got);
		struct bad_reader r = { .ok = 900, .lie = lie };

		ASSERT_EQ(vc_parser_run(p, bad_read, &r), -1);
		ASSERT_EQ(r.calls_after, 1);          /* never asked again after a failure */
		ASSERT_EQ(vc_parser_finish(p, 200), -1);
		ASSERT_EQ(vc_parser_errcode(p), VC_EPARSE);
		ASSERT_CONTAINS(vc_parser_errstr(p), "ended early");
		ASSERT_CONTAINS(vc_parser_errstr(p), "after 900 bytes");
		ASSERT_EQ(vc_parser_run(p, bad_read, &r), -1);   /* once per response */
		vc_parser_free(p);
		json_decref(got);
	}
}

TEST(dtd_and_deep_nesting_rejected)
{
	static const char dtd[] = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		"<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
		"<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
		"<soapenv:Body><X><returnval>&lol2;</returnval></X></soapenv:Body></soapenv:Envelope>";
	struct vc_parser *p = vc_parser_new(NULL, NULL);
	char deep[8192] = ENV_OPEN "<soapenv:Body>";
	size_t n = strlen(deep);

	ASSERT_EQ(feed(p, dtd, sizeof(dtd) - 1, 0, 200), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EPARSE);
	ASSERT_CONTAINS(vc_parser_errstr(p), "DTD");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "<a>");
	vc_parser_reset(p);
	ASSERT_EQ(feed(p, deep, n, 0, 200), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EPARSE);
	vc_parser_free(p);
}

/* Namespaces are resolved by the parser itself (libxml2's SAX1 events): the XSI
 * prefix may be any name, declared on the Envelope or on each element (the simulator
 * declares xmlns:XMLSchema-instance on every <val>), and an inner declaration wins; a
 * prefix bound to another namespace, or to none, gives an ordinary attribute. */
static const char ns_xml[] = "<?xml version=\"1.0\"?>"
	"<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	"xmlns:xsi=\"urn:not-xsi\"><S:Body><RetrievePropertiesExResponse xmlns=\"urn:vim25\">"
	"<returnval><objects><obj type=\"VirtualMachine\">vm-5</obj>"
	"<propSet><name>own.prefix</name><val xmlns:XMLSchema-instance="
	"\"http://www.w3.org/2001/XMLSchema-instance\" XMLSchema-instance:type=\"xsd:int\">"
	"5</val></propSet>"
	"<propSet><name>envelope.xsi.is.other</name><val xsi:type=\"xsd:int\">6</val></propSet>"
	"<propSet><name>rebound</name><val xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
	"<a xsi:type=\"xsd:int\">7</a><b xmlns:xsi=\"urn:other\" xsi:type=\"xsd:int\">8</b>"
	"<c xsi:nil=\"true\"/></val></propSet>"
	"<propSet><name>undeclared</name><val q:type=\"xsd:int\">9</val></propSet>"
	"<propSet><name>after.scope</name><val xsi:type=\"xsd:int\">10</val></propSet>"
	"</objects></returnval></RetrievePropertiesExResponse></S:Body></S:Envelope>";

TEST(namespaces_resolved_by_prefix)
{
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		json_t *got = json_object(), *vm, *rebound;
		struct vc_parser *p = vc_parser_new(collect_cb, got);

		ASSERT_EQ(feed(p, ns_xml, sizeof(ns_xml) - 1, chunks[i], 200), 0);
		vm = json_object_get(got, "vm-5");
		ASSERT_EQ(json_integer_value(json_object_get(vm, "own.prefix")), 5);
		ASSERT_STREQ(json_string_value(json_object_get(vm, "envelope.xsi.is.other")), "6");
		rebound = json_object_get(vm, "rebound");
		ASSERT_EQ(json_integer_value(json_object_get(rebound, "a")), 7);
		ASSERT_STREQ(json_string_value(json_object_get(rebound, "b")), "8");
		ASSERT(json_is_null(json_object_get(rebound, "c")));
		ASSERT_STREQ(json_string_value(json_object_get(vm, "undeclared")), "9");
		ASSERT_STREQ(json_string_value(json_object_get(vm, "after.scope")), "10");
		vc_parser_free(p);
		json_decref(got);
	}
}

/* Declarations in scope are bounded like nesting: past the limit, a clean error. */
TEST(namespace_declarations_bounded)
{
	struct buf xml = BUF_INIT;
	struct vc_parser *p = vc_parser_new(NULL, NULL);

	buf_adds(&xml, ENV_OPEN "<soapenv:Body><X><returnval");
	for (int i = 0; i < 300; i++)
		buf_printf(&xml, " xmlns:p%d=\"urn:p%d\"", i, i);
	buf_adds(&xml, ">1</returnval></X></soapenv:Body>" ENV_CLOSE);
	ASSERT_EQ(feed(p, xml.data, xml.len, 0, 200), -1);
	ASSERT_EQ(vc_parser_errcode(p), VC_EPARSE);
	ASSERT_CONTAINS(vc_parser_errstr(p), "namespace declarations");
	vc_parser_free(p);
	buf_free(&xml);
}

static const char service_xml[] = ENV_OPEN "<soapenv:Body><RetrieveServiceContentResponse "
	"xmlns=\"urn:vim25\"><returnval><rootFolder type=\"Folder\">group-d1</rootFolder>"
	"<propertyCollector type=\"PropertyCollector\">propertyCollector</propertyCollector>"
	"<viewManager type=\"ViewManager\">ViewManager</viewManager><about><name>VMware vCenter "
	"Server</name><fullName>VMware vCenter Server 8.0.2 build-22385739</fullName><vendor>VMware"
	"</vendor><version>8.0.2</version><build>22385739</build><apiType>VirtualCenter</apiType>"
	"<apiVersion>8.0.2.0</apiVersion><instanceUuid>0a1b-2c3d</instanceUuid></about>"
	"<sessionManager type=\"SessionManager\">SessionManager</sessionManager>"
	"<perfManager type=\"PerformanceManager\">PerfMgr</perfManager></returnval>"
	"</RetrieveServiceContentResponse></soapenv:Body>" ENV_CLOSE;

TEST(service_content)
{
	struct vc_service_content sc;
	struct vc_parser *p = vc_parser_new(NULL, NULL);
	char err[256];

	ASSERT_EQ(feed(p, service_xml, sizeof(service_xml) - 1, 1, 200), 0);
	ASSERT_EQ(vc_parse_service_content(vc_parser_result(p), &sc, err, sizeof(err)), 0);
	ASSERT_STREQ(sc.root_folder, "group-d1");
	ASSERT_STREQ(sc.property_collector, "propertyCollector");
	ASSERT_STREQ(sc.view_manager, "ViewManager");
	ASSERT_STREQ(sc.session_manager, "SessionManager");
	ASSERT_STREQ(sc.perf_manager, "PerfMgr");
	ASSERT_STREQ(sc.about.api_version, "8.0.2.0");
	ASSERT_STREQ(sc.about.build, "22385739");
	ASSERT_STREQ(sc.about.api_type, "VirtualCenter");
	ASSERT_STREQ(sc.about.instance_uuid, "0a1b-2c3d");
	ASSERT_STREQ(sc.about.full_name, "VMware vCenter Server 8.0.2 build-22385739");
	ASSERT_EQ(vc_parse_service_content(json_null(), &sc, err, sizeof(err)), -1);
	ASSERT_CONTAINS(err, "rootFolder");
	vc_parser_free(p);
}

TEST(login_user_session)
{
	static const char xml[] = ENV_OPEN "<soapenv:Body><LoginResponse xmlns=\"urn:vim25\">"
		"<returnval><key>52a1</key><userName>VSPHERE.LOCAL\\svc</userName><fullName>Service "
		"Account</fullName><loginTime>2026-11-23T10:38:27.7Z</loginTime><callCount>1</callCount>"
		"</returnval></LoginResponse></soapenv:Body>" ENV_CLOSE;
	struct vc_parser *p = vc_parser_new(NULL, NULL);
	json_t *us;

	ASSERT_EQ(feed(p, xml, sizeof(xml) - 1, 1, 200), 0);
	us = vc_parser_result(p);
	ASSERT_STREQ(json_string_value(json_object_get(us, "userName")), "VSPHERE.LOCAL\\svc");
	ASSERT_STREQ(json_string_value(json_object_get(us, "fullName")), "Service Account");
	ASSERT_STREQ(json_string_value(json_object_get(us, "loginTime")), "2026-11-23T10:38:27.7Z");
	ASSERT(vc_parser_token(p) == NULL);
	vc_parser_free(p);
}

TEST(void_method_result_is_null)
{
	static const char xml[] = ENV_OPEN "<soapenv:Body><LogoutResponse xmlns=\"urn:vim25\">"
		"</LogoutResponse></soapenv:Body>" ENV_CLOSE;
	struct vc_parser *p = vc_parser_new(NULL, NULL);

	ASSERT_EQ(feed(p, xml, sizeof(xml) - 1, 0, 200), 0);
	ASSERT(json_is_null(vc_parser_result(p)));
	vc_parser_free(p);
}

TEST(versions_pick_newest_vim25)
{
	static const char xml[] = "<?xml version=\"1.0\"?><namespaces version=\"1.0\">"
		"<namespace><name>urn:other</name><version>9.9</version></namespace>"
		"<namespace><name>urn:vim25</name><version>8.0.1.0</version><priorVersions>"
		"<version>8.0.2.0</version><version>7.0.3.0</version><version>bad\"v</version>"
		"</priorVersions></namespace></namespaces>";
	char v[32];

	ASSERT_EQ(vc_parse_versions(xml, sizeof(xml) - 1, v, sizeof(v)), 0);
	ASSERT_STREQ(v, "8.0.2.0");
	ASSERT_EQ(vc_parse_versions("<html>", 6, v, sizeof(v)), -1);
	ASSERT_EQ(vc_parse_versions("", 0, v, sizeof(v)), -1);
}

TEST(fingerprints)
{
	uint8_t a[32], b[32];

	ASSERT_EQ(vc_parse_fingerprint("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
	                               "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", a), 0);
	ASSERT_EQ(vc_parse_fingerprint("abcdef0123456789abcdef0123456789"
	                               "abcdef0123456789abcdef0123456789", b), 0);
	ASSERT(memcmp(a, b, 32) == 0);
	ASSERT_EQ(a[0], 0xab);
	ASSERT_EQ(vc_parse_fingerprint("abcd", b), -1);
	ASSERT_EQ(vc_parse_fingerprint("zz:cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", b), -1);
	ASSERT_EQ(vc_parse_fingerprint("abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678900", b), -1);
}

TEST(strerror_covers_codes)
{
	for (int e = VC_OK; e <= VC_ECANCELED; e++)
		ASSERT(strcmp(vc_strerror((enum vc_err)e), "unknown error") != 0);
}

TEST_MAIN(T(props_streamed_in_any_chunking), T(namespaces_resolved_by_prefix),
          T(namespace_declarations_bounded), T(streamed_props_in_any_order), T(props_without_callback_stay_in_result),
          T(callback_can_stop), T(faults_map_to_codes), T(fault_without_xsi_type_uses_element_name),
          T(truncated_at_every_byte_is_a_clean_error), T(html_error_page),
          T(non_soap_and_empty_bodies), T(dtd_and_deep_nesting_rejected), T(service_content),
          T(login_user_session), T(void_method_result_is_null), T(versions_pick_newest_vim25),
          T(fingerprints), T(strerror_covers_codes), T(failed_or_lying_reader_is_a_clean_error), T(prune_keeps_only_named_paths),
          T(prune_applies_to_update_change_sets))
