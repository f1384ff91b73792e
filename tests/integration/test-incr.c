/* rig: vcsim:name=vc1,-vms=3 */
/* The incremental path against the simulator: the initial state through
 * WaitForUpdatesEx equals the simulator's objects; a cycle without changes reports
 * none; a rename, a power-off, a snapshot, a destroyed and a created VM each arrive
 * as updates (and as change events) without any full retrieval; so does the SSH
 * service of a host started through the simulator's HostServiceSystem. */
#include "test.h"
#include "incr.h"
#include "vc.h"

#include <unistd.h>

static struct vc_session *sess;
static struct incr in;
static struct inv_raw raw;

static json_t *vms(void)
{
	return json_object_get(raw.buckets, "vm");
}

/* Runs a vim25 task method and waits until the simulator finishes it. */
static int run_task(const char *method, const char *inner)
{
	json_t *res = NULL;
	int rc = vc_call(sess, method, inner, &res);

	json_decref(res);
	usleep(300000);
	return rc;
}

/* Polls until at least one update arrived or ~5 s passed. */
static int poll_changes(json_t *events)
{
	for (int i = 0; i < 10; i++) {
		int n = incr_poll(&in, sess, &raw, events, 1);
		if (n != 0)
			return n;
	}
	return 0;
}

static const json_t *find_event(const json_t *events, const char *kind)
{
	size_t i;
	json_t *e;

	json_array_foreach(events, i, e)
		if (!strcmp(inv_s(json_object_get(e, "kind")), kind))
			return e;
	return NULL;
}

static const char *first_vm(void)
{
	const char *moref;
	json_t *p;

	json_object_foreach(vms(), moref, p)
		return moref;
	return NULL;
}

TEST(initial_state)
{
	struct vc_endpoint ep = { .url = test_env("RIG_VCSIM_VC1_URL"), .verify_tls = true,
	                          .ca_file = test_env("RIG_VCSIM_VC1_CERT") };
	char err[256];

	ASSERT(ep.url && ep.ca_file);
	sess = vc_session_new(&ep, err, sizeof(err));
	ASSERT_MSG(sess, "%s", err);
	ASSERT_EQ(vc_login(sess, getenv("RIG_VCSIM_VC1_USER"), getenv("RIG_VCSIM_VC1_PASSWORD")), 0);
	inv_raw_init(&raw);
	ASSERT_MSG(incr_start(&in, sess, &raw, 100) == 0, "%s", vc_errstr(sess));
	ASSERT_EQ(json_object_size(vms()), atoi(test_env("RIG_VCSIM_VC1_VMS")));
	ASSERT(json_object_size(json_object_get(raw.buckets, "host")) > 0);
	ASSERT_STREQ(inv_str(json_object_get(vms(), first_vm()), "runtime.powerState") ? "set" : NULL, "set");
}

TEST(no_change_cycle)
{
	json_t *events = json_array();

	ASSERT(in.active);
	ASSERT_EQ(incr_poll(&in, sess, &raw, events, 0), 0);
	ASSERT_EQ(json_array_size(events), 0);
	json_decref(events);
}

TEST(rename_power_snapshot)
{
	const char *vm = first_vm();
	char inner[512], moref[64];
	json_t *events = json_array();

	ASSERT(vm);
	snprintf(moref, sizeof(moref), "%s", vm);
	snprintf(inner, sizeof(inner), "<_this type=\"VirtualMachine\">%s</_this><newName>renamed-1</newName>", moref);
	ASSERT_EQ(run_task("Rename_Task", inner), 0);
	ASSERT(poll_changes(events) > 0);
	ASSERT_STREQ(inv_str(json_object_get(vms(), moref), "name"), "renamed-1");
	ASSERT(find_event(events, "vm.renamed"));
	ASSERT_STREQ(inv_s(json_object_get(find_event(events, "vm.renamed"), "to")), "renamed-1");

	snprintf(inner, sizeof(inner), "<_this type=\"VirtualMachine\">%s</_this>", moref);
	run_task("PowerOffVM_Task", inner);
	ASSERT(poll_changes(events) > 0);
	ASSERT_STREQ(inv_str(json_object_get(vms(), moref), "runtime.powerState"), "poweredOff");
	ASSERT(find_event(events, "vm.power"));

	snprintf(inner, sizeof(inner), "<_this type=\"VirtualMachine\">%s</_this><name>before-patch</name>"
	         "<memory>false</memory><quiesce>false</quiesce>", moref);
	ASSERT_EQ(run_task("CreateSnapshot_Task", inner), 0);
	ASSERT(poll_changes(events) > 0);
	ASSERT(inv_path(json_object_get(vms(), moref), "snapshot.rootSnapshotList"));
	json_decref(events);
}

TEST(destroy_and_create)
{
	char inner[1024], gone[64], folder[64] = "", pool[64] = "";
	size_t before = json_object_size(vms());
	json_t *events = json_array(), *p;
	const char *m;

	snprintf(gone, sizeof(gone), "%s", first_vm());
	snprintf(inner, sizeof(inner), "<_this type=\"VirtualMachine\">%s</_this>", gone);
	run_task("PowerOffVM_Task", inner);
	ASSERT_EQ(run_task("Destroy_Task", inner), 0);
	ASSERT(poll_changes(events) > 0);
	ASSERT_EQ(json_object_size(vms()), before - 1);
	ASSERT(json_object_get(vms(), gone) == NULL);
	ASSERT(find_event(events, "vm.removed"));

	json_object_foreach(json_object_get(raw.buckets, "folder"), m, p)
		if (!strcmp(inv_s(json_object_get(p, "name")), "vm") && !folder[0])
			snprintf(folder, sizeof(folder), "%s", m);
	json_object_foreach(json_object_get(raw.buckets, "resourcepool"), m, p)
		if (!pool[0])
			snprintf(pool, sizeof(pool), "%s", m);
	ASSERT(folder[0] && pool[0]);
	snprintf(inner, sizeof(inner), "<_this type=\"Folder\">%s</_this><config><name>created-1</name>"
	         "<guestId>otherGuest</guestId><files><vmPathName>[LocalDS_0]</vmPathName></files>"
	         "<numCPUs>2</numCPUs><memoryMB>256</memoryMB></config><pool type=\"ResourcePool\">%s</pool>",
	         folder, pool);
	ASSERT_MSG(run_task("CreateVM_Task", inner) == 0, "%s", vc_errstr(sess));
	ASSERT(poll_changes(events) > 0);
	ASSERT_EQ(json_object_size(vms()), before);
	ASSERT(find_event(events, "vm.created"));
	ASSERT_STREQ(inv_s(json_object_get(find_event(events, "vm.created"), "name")), "created-1");
	json_decref(events);
}

/* The host record built from the raw model after the updates. */
static int host_ssh_running(const char *moref)
{
	json_t *out = inv_build(&raw, "vc1", "vc1"), *h;
	size_t i;
	int running = -1;

	json_array_foreach(json_object_get(out, "host"), i, h)
		if (!strcmp(inv_s(json_object_get(h, "moref")), moref))
			running = json_is_true(json_object_get(h, "ssh_running"));
	json_decref(out);
	return running;
}

TEST(host_service_update)
{
	static const char *const paths[] = { "configManager.serviceSystem" };
	char host[64] = "", inner[256];
	json_t *p, *props = NULL, *events = json_array();
	const char *m;

	json_object_foreach(json_object_get(raw.buckets, "host"), m, p)
		if (!host[0])
			snprintf(host, sizeof(host), "%s", m);
	ASSERT(host[0]);
	ASSERT_EQ(host_ssh_running(host), 0);
	ASSERT_MSG(vc_retrieve_one(sess, "HostSystem", host, paths, 1, &props) == 0, "%s", vc_errstr(sess));
	ASSERT(inv_mor(json_object_get(props, paths[0])));
	snprintf(inner, sizeof(inner), "<_this type=\"HostServiceSystem\">%s</_this><id>TSM-SSH</id>",
	         inv_mor(json_object_get(props, paths[0])));
	ASSERT_MSG(run_task("StartService", inner) == 0, "%s", vc_errstr(sess));
	ASSERT(poll_changes(events) > 0);
	ASSERT_EQ(host_ssh_running(host), 1);
	json_decref(props);
	json_decref(events);
}

TEST(stop)
{
	incr_stop(&in, sess);
	ASSERT(!in.active);
	vc_logout(sess);
	vc_session_free(sess);
	inv_raw_free(&raw);
}

TEST_MAIN(T(initial_state), T(no_change_cycle), T(rename_power_snapshot), T(destroy_and_create),
          T(host_service_update), T(stop))
