/* Unit tests of collector/json_arena.c: chunk reuse once a scope's values are gone,
 * values that outlive their scope (they pin their chunk and stay intact), frees on
 * another thread, suspension, large values, and the VM path that uses it -- a parser
 * with set_arena feeding inv_vms_add(), whose kept summaries, snapshot entries and
 * names must all be plain malloc'd copies, with the same text as without the arena.
 * Run under ASan in CI, where reused chunk bytes are poisoned. */
#include "test.h"
#include "inv.h"
#include "json_arena.h"
#include "vc.h"

#include <pthread.h>
#include <string.h>

static json_t *small_tree(int i)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_sprintf("vm-%d", i));
	json_object_set_new(o, "cpus", json_integer(i));
	json_object_set_new(o, "tags", json_pack("[s,s]", "a", "b"));
	return o;
}

TEST(scope_values_come_from_chunks_and_are_reused)
{
	struct json_arena_stats before, after;
	json_t *first, *again;
	void *addr;

	ASSERT_EQ(json_arena_install(), 0);
	ASSERT(json_arena_installed());
	json_arena_stats(&before);
	json_arena_enter();
	first = small_tree(1);
	addr = first;
	ASSERT(json_arena_owns(first));
	json_decref(first);                 /* the chunk's last value: rewound */
	again = small_tree(2);
	ASSERT(again == addr);              /* the same bytes again */
	json_arena_leave();
	ASSERT(json_arena_owns(json_object_get(again, "name")));
	json_decref(again);
	json_arena_stats(&after);
	ASSERT(after.rewinds >= before.rewinds + 2);
	first = json_string("outside");     /* no scope: malloc */
	ASSERT(!json_arena_owns(first));
	json_decref(first);
}

TEST(outliving_values_pin_their_chunk)
{
	json_t *kept, *tmp;

	json_arena_enter();
	kept = small_tree(7);
	for (int i = 0; i < 20000; i++) {   /* several chunks' worth around it */
		tmp = small_tree(i);
		json_decref(tmp);
	}
	tmp = small_tree(8);
	json_arena_leave();
	ASSERT(json_arena_owns(kept));
	ASSERT_STREQ(json_string_value(json_object_get(kept, "name")), "vm-7");
	ASSERT_EQ(json_integer_value(json_object_get(kept, "cpus")), 7);
	ASSERT_STREQ(json_string_value(json_object_get(tmp, "name")), "vm-8");
	json_decref(tmp);
	json_decref(kept);
}

static void *free_elsewhere(void *arg)
{
	json_t **vals = arg;

	for (int i = 0; i < 5000; i++)
		json_decref(vals[i]);
	return NULL;
}

TEST(values_freed_on_another_thread)
{
	static json_t *vals[5000];
	struct json_arena_stats before, after;
	pthread_t t;

	json_arena_stats(&before);
	json_arena_enter();
	for (int i = 0; i < 5000; i++)      /* ~4 chunks; the earlier ones retired */
		vals[i] = small_tree(i);
	json_arena_leave();
	ASSERT_EQ(pthread_create(&t, NULL, free_elsewhere, vals), 0);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	json_arena_stats(&after);
	ASSERT(after.recycled > before.recycled);   /* retired chunks went back */
	json_arena_enter();                 /* and are handed out again, intact */
	for (int i = 0; i < 5000; i++)
		vals[i] = small_tree(i);
	json_arena_leave();
	ASSERT_EQ(json_integer_value(json_object_get(vals[4321], "cpus")), 4321);
	for (int i = 0; i < 5000; i++)
		json_decref(vals[i]);
}

TEST(suspended_and_large_values_use_malloc)
{
	struct json_arena_stats before, after;
	json_t *kept, *big, *in;
	char *text = malloc(100000);
	int was;

	memset(text, 'x', 99999);
	text[99999] = '\0';
	json_arena_stats(&before);
	json_arena_enter();
	in = json_string("in");
	was = json_arena_suspend();
	kept = json_string("kept");
	json_arena_resume(was);
	big = json_string(text);
	json_arena_leave();
	json_arena_leave();                 /* one too many: harmless */
	json_arena_stats(&after);
	ASSERT(json_arena_owns(in));
	ASSERT(!json_arena_owns(kept));
	ASSERT(!json_arena_owns(json_string_value(big)));
	ASSERT(after.fallbacks > before.fallbacks);
	ASSERT_EQ(json_string_length(big), 99999);
	json_decref(in);
	json_decref(kept);
	json_decref(big);
	free(text);
	in = json_string("after");          /* the extra leave left no scope open */
	ASSERT(!json_arena_owns(in));
	json_decref(in);
}

#define ENV_OPEN "<?xml version=\"1.0\"?><soapenv:Envelope " \
	"xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" " \
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>" \
	"<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>"
#define ENV_CLOSE "</returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>"
#define SNAP(id, name, kids) "<snapshot type=\"VirtualMachineSnapshot\">" id "</snapshot>" \
	"<name>" name "</name><description>d</description><createTime>2026-01-01T00:00:00Z" \
	"</createTime><quiesced>false</quiesced>" kids

static const char vms_xml[] = ENV_OPEN
	"<objects><obj type=\"VirtualMachine\">vm-1</obj>"
	"<propSet><name>name</name><val xsi:type=\"xsd:string\">web &lt;1&gt;</val></propSet>"
	"<propSet><name>runtime.powerState</name><val xsi:type=\"VirtualMachinePowerState\">"
	"poweredOn</val></propSet>"
	"<propSet><name>snapshot</name><val xsi:type=\"VirtualMachineSnapshotInfo\">"
	"<currentSnapshot type=\"VirtualMachineSnapshot\">snapshot-2</currentSnapshot>"
	"<rootSnapshotList>" SNAP("snapshot-1", "base", "<childSnapshotList>"
	SNAP("snapshot-2", "patched", "") "</childSnapshotList>") "</rootSnapshotList>"
	"</val></propSet></objects>"
	"<objects><obj type=\"VirtualMachine\">vm-2</obj>"
	"<propSet><name>name</name><val xsi:type=\"xsd:string\">db</val></propSet>"
	"<propSet><name>config.hardware.numCPU</name><val xsi:type=\"xsd:int\">8</val></propSet>"
	"</objects>" ENV_CLOSE;

static int add_vm(void *ctx, const char *moref, json_t *props)
{
	void **c = ctx;

	inv_vms_add(c[0], c[1], moref, props);
	return 0;
}

/* The VMs of vms_xml through a parser (arena on or off) into inv_vms_add(). */
static int build_vms(bool arena, struct buf *text, json_t **kept)
{
	struct inv_raw raw;
	struct inv_vms vms;
	void *ctx[2] = { &vms, &raw };
	struct vc_parser *p = vc_parser_new(add_vm, ctx);
	int rc;

	inv_raw_init(&raw);
	inv_vms_init(&vms, &raw, "vc1", "VC one");
	vc_parser_set_arena(p, arena);
	rc = vc_parser_parse(p, vms_xml, sizeof(vms_xml) - 1, 0) || vc_parser_finish(p, 200);
	vc_parser_free(p);
	inv_vms_take_text(&vms, text);
	*kept = json_pack("{s:O, s:O, s:O}", "records", vms.records, "snapshots", vms.snapshots,
	                  "names", json_object_get(raw.buckets, "vm"));
	inv_vms_free(&vms);
	inv_raw_free(&raw);
	return rc;
}

/* Every value and string under v is outside the arena. */
static bool all_malloced(const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_arena_owns(v) || (json_is_string(v) && json_arena_owns(json_string_value(v))))
		return false;
	if (json_is_object(v))
		json_object_foreach((json_t *)v, key, item)
			if (!all_malloced(item))
				return false;
	if (json_is_array(v))
		json_array_foreach(v, i, item)
			if (!all_malloced(item))
				return false;
	return true;
}

TEST(vm_records_keep_nothing_from_the_arena)
{
	struct buf with = BUF_INIT, without = BUF_INIT;
	struct json_arena_stats before, after;
	json_t *kept_with, *kept_without;

	json_arena_stats(&before);
	ASSERT_EQ(build_vms(true, &with, &kept_with), 0);
	json_arena_stats(&after);
	ASSERT(after.rewinds >= before.rewinds + 2);        /* one per VM */
	ASSERT_EQ(build_vms(false, &without, &kept_without), 0);
	ASSERT_STREQ(with.data, without.data);
	ASSERT_CONTAINS(with.data, "\"name\":\"web <1>\"");
	ASSERT_EQ(json_array_size(json_object_get(kept_with, "snapshots")), 2);
	ASSERT_EQ(json_array_size(json_object_get(kept_with, "records")), 2);
	ASSERT_EQ(json_object_size(json_object_get(kept_with, "names")), 2);
	ASSERT(json_equal(kept_with, kept_without));
	ASSERT(all_malloced(kept_with));
	json_decref(kept_with);
	json_decref(kept_without);
	buf_free(&with);
	buf_free(&without);
}

TEST_MAIN(T(scope_values_come_from_chunks_and_are_reused), T(outliving_values_pin_their_chunk),
          T(values_freed_on_another_thread), T(suspended_and_large_values_use_malloc),
          T(vm_records_keep_nothing_from_the_arena))
