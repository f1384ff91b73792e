/* rig: vcsim */
/* Integration tests of the vSphere client (collector/vc_*.c) against the govmomi
 * simulator over real HTTPS. Reads from the rig (tests/rig/lib.sh):
 *   RIG_VCSIM_VC1_URL          https://127.0.0.1:PORT/sdk
 *   RIG_VCSIM_VC1_USER         the only user the simulator accepts
 *   RIG_VCSIM_VC1_PASSWORD     its password
 *   RIG_VCSIM_VC1_FINGERPRINT  SHA-256 of its certificate (AB:CD:...)
 *   RIG_VCSIM_VC1_CERT         its certificate (PEM), used as ca_file
 *   RIG_VCSIM_VC1_VMS, _HOSTS  inventory counts the simulator reported
 * Also: closed ports and silent listeners of its own for connect/timeout errors. */
#include "test.h"
#include "vc.h"
#include "log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const vm_paths[] = { "name", "runtime.powerState", "config.hardware.numCPU" };

static struct vc_endpoint pinned_endpoint(void)
{
	struct vc_endpoint ep = { 0 };

	ep.url = test_env("RIG_VCSIM_VC1_URL");
	ep.verify_tls = true;
	ep.fingerprint = test_env("RIG_VCSIM_VC1_FINGERPRINT");
	ep.connect_timeout_ms = 5000;
	ep.request_timeout_ms = 30000;
	return ep;
}

static struct vc_session *open_session(void)
{
	struct vc_endpoint ep = pinned_endpoint();
	char err[VC_ERRSTR_MAX];
	struct vc_session *s;

	if (!ep.url || !ep.fingerprint)
		return NULL;
	s = vc_session_new(&ep, err, sizeof(err));
	if (!s)
		test_fail(__FILE__, __LINE__, "vc_session_new: %s", err);
	return s;
}

static struct vc_session *logged_in(void)
{
	struct vc_session *s = open_session();

	if (s && vc_login(s, test_env("RIG_VCSIM_VC1_USER"), test_env("RIG_VCSIM_VC1_PASSWORD"))) {
		test_fail(__FILE__, __LINE__, "vc_login: %s", vc_errstr(s));
		vc_session_free(s);
		return NULL;
	}
	return s;
}

TEST(login_ok_and_service_content)
{
	struct vc_session *s;

	log_init("test-vc-client", LOG_INFO);   /* VC_LOG_LEVEL=debug shows each request */
	s = logged_in();

	ASSERT(s);
	ASSERT(vc_session_cookie(s) != NULL);
	ASSERT_STREQ(vc_session_user(s), test_env("RIG_VCSIM_VC1_USER"));
	ASSERT_STREQ(vc_service_content(s)->about.api_type, "VirtualCenter");
	ASSERT(vc_service_content(s)->root_folder[0]);
	ASSERT(vc_api_version(s)[0] >= '1' && vc_api_version(s)[0] <= '9');
	ASSERT_EQ(vc_logout(s), 0);
	ASSERT(vc_session_cookie(s) == NULL);
	vc_session_free(s);
	vc_session_free(NULL);
}

TEST(wrong_password_is_invalid_login)
{
	struct vc_session *s = open_session();

	ASSERT(s);
	ASSERT_EQ(vc_login(s, test_env("RIG_VCSIM_VC1_USER"), "not-the-password"), -1);
	ASSERT_EQ(vc_errcode(s), VC_EFAULT_LOGIN);
	ASSERT_STREQ(vc_fault_type(s), "InvalidLogin");
	ASSERT_NOT_CONTAINS(vc_errstr(s), "not-the-password");
	ASSERT(vc_session_cookie(s) == NULL);
	vc_session_free(s);
}

struct seen {
	json_t *objs;   /* moref -> props */
	int bad;
};

static int remember(void *ctx, const char *moref, json_t *props)
{
	struct seen *seen = ctx;

	if (json_object_get(seen->objs, moref))
		seen->bad++;
	json_object_set(seen->objs, moref, props);
	return 0;
}

static json_t *collect(struct vc_session *s, const char *type, const char *const *paths,
                       size_t n, size_t page)
{
	struct seen seen = { json_object(), 0 };

	if (vc_collect(s, type, paths, n, page, remember, &seen) || seen.bad) {
		test_fail(__FILE__, __LINE__, "vc_collect %s: %s (dups %d)", type, vc_errstr(s), seen.bad);
		json_decref(seen.objs);
		return NULL;
	}
	return seen.objs;
}

/* Morefs in the order the callback saw them; a repeated one counts as bad. */
struct ordered {
	json_t *morefs;
	int bad;
};

static int remember_order(void *ctx, const char *moref, json_t *props)
{
	struct ordered *o = ctx;
	size_t i;
	json_t *m;

	json_array_foreach(o->morefs, i, m)
		if (!strcmp(json_string_value(m), moref))
			o->bad++;
	if (!json_is_string(json_object_get(props, "name")))
		o->bad++;
	json_array_append_new(o->morefs, json_string(moref));
	return 0;
}

/* An independent count: the `view` property of a ContainerView, read with vc_call. */
static long count_by_view(struct vc_session *s, const char *type)
{
	const struct vc_service_content *sc = vc_service_content(s);
	char in[1024];
	json_t *view = NULL, *res = NULL;
	long n = -1;

	snprintf(in, sizeof(in), "<_this type=\"ViewManager\">%s</_this><container type=\"Folder\">"
	         "%s</container><type>%s</type><recursive>true</recursive>", sc->view_manager,
	         sc->root_folder, type);
	if (vc_call(s, "CreateContainerView", in, &view))
		return -1;
	snprintf(in, sizeof(in), "<_this type=\"PropertyCollector\">%s</_this><specSet><propSet>"
	         "<type>ContainerView</type><pathSet>view</pathSet></propSet><objectSet>"
	         "<obj type=\"ContainerView\">%s</obj></objectSet></specSet>", sc->property_collector,
	         json_string_value(json_object_get(view, "value")));
	if (vc_call(s, "RetrieveProperties", in, &res) == 0)
		n = (long)json_array_size(json_object_get(json_object_get(res, "propSet"), "val"));
	json_decref(res);
	json_decref(view);
	return n;
}

TEST(collect_vms_and_hosts)
{
	struct vc_session *s = logged_in();
	static const char *const host_paths[] = { "name" };
	json_t *vms, *hosts, *props;
	const char *moref;

	ASSERT(s);
	vms = collect(s, "VirtualMachine", vm_paths, 3, 1000);
	ASSERT(vms);
	ASSERT_EQ(json_object_size(vms), atol(test_env("RIG_VCSIM_VC1_VMS")));
	ASSERT_EQ(json_object_size(vms), count_by_view(s, "VirtualMachine"));
	json_object_foreach(vms, moref, props) {
		ASSERT(json_is_string(json_object_get(props, "name")));
		ASSERT(json_is_string(json_object_get(props, "runtime.powerState")));
		ASSERT(json_integer_value(json_object_get(props, "config.hardware.numCPU")) >= 1);
	}
	hosts = collect(s, "HostSystem", host_paths, 1, 0);
	ASSERT(hosts);
	ASSERT_EQ(json_object_size(hosts), atol(test_env("RIG_VCSIM_VC1_HOSTS")));
	ASSERT_EQ(json_object_size(hosts), count_by_view(s, "HostSystem"));
	json_decref(vms);
	json_decref(hosts);
	vc_session_free(s);
}

TEST(paging_gives_the_same_objects)
{
	struct vc_session *s = logged_in();
	json_t *small, *big;

	ASSERT(s);
	small = collect(s, "VirtualMachine", vm_paths, 3, 3);
	big = collect(s, "VirtualMachine", vm_paths, 3, 1000);
	ASSERT(small && big);
	ASSERT(json_object_size(small) > 0);
	ASSERT(json_equal(small, big));
	json_decref(small);
	json_decref(big);
	vc_session_free(s);
}

static int first_moref(void *ctx, const char *moref, json_t *props)
{
	snprintf(ctx, VC_MOREF_MAX, "%s", moref);
	return 1;
}

TEST(retrieve_one_and_call)
{
	struct vc_session *s = logged_in();
	char moref[VC_MOREF_MAX] = "";
	json_t *props = NULL, *now = NULL;

	ASSERT(s);
	ASSERT_EQ(vc_collect(s, "VirtualMachine", vm_paths, 1, 10, first_moref, moref), -1);
	ASSERT_EQ(vc_errcode(s), VC_ECANCELED);
	ASSERT(moref[0]);
	ASSERT_EQ(vc_retrieve_one(s, "VirtualMachine", moref, vm_paths, 3, &props), 0);
	ASSERT(json_is_string(json_object_get(props, "name")));
	json_decref(props);
	ASSERT_EQ(vc_retrieve_one(s, "VirtualMachine", "vm-does-not-exist", vm_paths, 1, &props), -1);
	ASSERT_EQ(vc_errcode(s), VC_EFAULT_NOTFOUND);
	ASSERT_EQ(vc_call(s, "CurrentTime", "<_this type=\"ServiceInstance\">ServiceInstance</_this>",
	                  &now), 0);
	ASSERT(json_is_string(now));
	json_decref(now);
	vc_session_free(s);
}

TEST(fingerprint_pin_right_and_wrong)
{
	struct vc_endpoint ep = pinned_endpoint();
	char wrong[128], err[VC_ERRSTR_MAX];
	enum vc_err code;
	struct vc_session *s;

	ASSERT(ep.fingerprint && strlen(ep.fingerprint) < sizeof(wrong));
	snprintf(wrong, sizeof(wrong), "%s", ep.fingerprint);
	wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
	ep.fingerprint = wrong;
	s = vc_session_new_ex(&ep, &code, err, sizeof(err));
	ASSERT(s == NULL);
	ASSERT_EQ(code, VC_EPIN);
	ASSERT_CONTAINS(err, "fingerprint mismatch");
	ASSERT_CONTAINS(err, test_env("RIG_VCSIM_VC1_FINGERPRINT"));
	/* lower case without colons is the same pin */
	for (size_t i = 0, j = 0; ; i++) {
		char c = test_env("RIG_VCSIM_VC1_FINGERPRINT")[i];
		if (c != ':')
			wrong[j++] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
		if (!c)
			break;
	}
	s = vc_session_new(&ep, err, sizeof(err));
	ASSERT_MSG(s != NULL, "lower-case pin: %s", err);
	vc_session_free(s);
}

TEST(tls_modes)
{
	struct vc_endpoint ep = pinned_endpoint();
	char err[VC_ERRSTR_MAX];
	enum vc_err code;
	struct vc_session *s;

	ep.fingerprint = NULL;
	s = vc_session_new_ex(&ep, &code, err, sizeof(err));   /* system CAs: self-signed fails */
	ASSERT(s == NULL);
	ASSERT_EQ(code, VC_ETLS);
	ASSERT_CONTAINS(err, "TLS");
	ep.ca_file = test_env("RIG_VCSIM_VC1_CERT");
	s = vc_session_new(&ep, err, sizeof(err));
	ASSERT_MSG(s != NULL, "ca_file: %s", err);
	vc_session_free(s);
	ep.ca_file = NULL;
	ep.verify_tls = false;
	s = vc_session_new(&ep, err, sizeof(err));
	ASSERT_MSG(s != NULL, "verify off: %s", err);
	vc_session_free(s);
}

static int password_from_env(void *ctx, char *buf, size_t len)
{
	const char *pw = getenv("RIG_VCSIM_VC1_PASSWORD");

	(*(int *)ctx)++;
	if (!pw || strlen(pw) >= len)
		return -1;
	memcpy(buf, pw, strlen(pw) + 1);
	return 0;
}

/* Ends the server-side session behind a cookie, as a vCenter restart would. */
static void kill_server_session(const char *cookie)
{
	struct vc_session *other = open_session();

	if (!other)
		return;
	if (vc_session_set_cookie(other, cookie) || vc_logout(other))
		test_fail(__FILE__, __LINE__, "logout through the cookie: %s", vc_errstr(other));
	vc_session_free(other);
}

TEST(cookie_resume_and_relogin)
{
	struct vc_session *s = open_session(), *resumed = open_session();
	const char *const name[] = { "name" };
	char cookie[VC_COOKIE_MAX];
	int calls = 0;
	json_t *objs;

	ASSERT(s && resumed);
	ASSERT_EQ(vc_login_cb(s, test_env("RIG_VCSIM_VC1_USER"), password_from_env, &calls), 0);
	ASSERT_EQ(calls, 1);
	snprintf(cookie, sizeof(cookie), "%s", vc_session_cookie(s));
	ASSERT_EQ(vc_session_set_cookie(resumed, cookie), 0);
	objs = collect(resumed, "HostSystem", name, 1, 0);
	ASSERT(objs);
	json_decref(objs);
	ASSERT_EQ(vc_session_set_cookie(resumed, "bad;cookie"), -1);
	ASSERT_EQ(vc_errcode(resumed), VC_EINVAL);

	kill_server_session(cookie);
	objs = collect(s, "HostSystem", name, 1, 0);     /* NotAuthenticated, re-login, retry */
	ASSERT(objs);
	json_decref(objs);
	ASSERT_EQ(calls, 2);
	ASSERT(strcmp(cookie, vc_session_cookie(s)) != 0);

	ASSERT_EQ(vc_session_set_cookie(resumed, cookie), 0); /* dead session, no callback */
	ASSERT_EQ(vc_collect(resumed, "HostSystem", name, 1, 0, remember, NULL), -1);
	ASSERT_EQ(vc_errcode(resumed), VC_EFAULT_AUTH);
	vc_session_free(resumed);
	vc_session_free(s);
}

/* A loopback port: listening (never accepting, never answering) or closed. */
static int loopback_port(int *fd_out, int listening)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len) || (listening && listen(fd, 8)))
		return -1;
	if (!listening)
		close(fd);
	*fd_out = listening ? fd : -1;
	return ntohs(a.sin_port);
}

TEST(closed_port_is_econnect)
{
	struct vc_endpoint ep = { 0 };
	char url[64], err[VC_ERRSTR_MAX];
	enum vc_err code;
	int fd, port = loopback_port(&fd, 0);
	int64_t t0 = vc_now_ms();

	ASSERT(port > 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/sdk", port);
	ep.url = url;
	ep.verify_tls = true;
	ASSERT(vc_session_new_ex(&ep, &code, err, sizeof(err)) == NULL);
	ASSERT_EQ(code, VC_ECONNECT);
	ASSERT_CONTAINS(err, "cannot connect");
	ASSERT(vc_now_ms() - t0 < 2000);
}

TEST(silent_listener_times_out_at_deadline)
{
	struct vc_endpoint ep = { 0 };
	char url[64], err[VC_ERRSTR_MAX];
	enum vc_err code;
	int fd, port = loopback_port(&fd, 1);
	int64_t t0 = vc_now_ms(), took;

	ASSERT(port > 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/sdk", port);
	ep.url = url;
	ep.verify_tls = true;
	ep.request_timeout_ms = 60000;
	ep.deadline_ms = t0 + 1500;
	ASSERT(vc_session_new_ex(&ep, &code, err, sizeof(err)) == NULL);
	took = vc_now_ms() - t0;
	close(fd);
	ASSERT_EQ(code, VC_ETIMEOUT);
	ASSERT_CONTAINS(err, "in time");
	ASSERT_MSG(took >= 1400 && took < 3000, "took %lld ms", (long long)took);
}

static void *raise_flag(void *flag)
{
	usleep(300 * 1000);
	atomic_store((atomic_int *)flag, 1);
	return NULL;
}

TEST(abort_flag_stops_a_request)
{
	struct vc_endpoint ep = { 0 };
	char url[64], err[VC_ERRSTR_MAX];
	enum vc_err code;
	int fd, port = loopback_port(&fd, 1);
	atomic_int flag = 0;
	pthread_t t;
	int64_t t0 = vc_now_ms(), took;

	ASSERT(port > 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/sdk", port);
	ep.url = url;
	ep.request_timeout_ms = 20000;
	ep.abort = &flag;
	pthread_create(&t, NULL, raise_flag, &flag);
	ASSERT(vc_session_new_ex(&ep, &code, err, sizeof(err)) == NULL);
	took = vc_now_ms() - t0;
	pthread_join(t, NULL);
	close(fd);
	ASSERT_EQ(code, VC_ECANCELED);
	ASSERT_CONTAINS(err, "aborted");
	ASSERT_MSG(took < 2500, "took %lld ms", (long long)took);
}

/* --- a scripted SOAP server: what the simulator cannot do (paging tokens, refusing
 * large pages, no vimServiceVersions.xml, HTML errors) --- */

#define FAKE_OBJECTS 10
#define FAKE_MAX_PAGE 4   /* larger maxObjects get a "maximum exceeded" fault */
#define FAKE_ENV "<?xml version=\"1.0\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas." \
	"xmlsoap.org/soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">" \
	"<soapenv:Body>"
#define FAKE_END "</soapenv:Body></soapenv:Envelope>"

struct fake {
	int fd, port;
	pthread_t thread;
	atomic_int stop;
	int destroys, refused, bad_action, notfound, chunks;
	int gen;        /* session generation: cookie "fake-<gen>", view "view-<gen>" */
	int forget;     /* lose the session at the next RetrievePropertiesEx */
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void fake_reply(int c, int status, const char *header, const char *body)
{
	char head[512];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: text/xml\r\n"
	                 "Content-Length: %zu\r\n%s\r\n", status, strlen(body), header ? header : "");

	write_all(c, head, (size_t)n);
	write_all(c, body, strlen(body));
}

static void fake_fault(int c, const char *type, const char *msg)
{
	char body[1024];

	snprintf(body, sizeof(body), FAKE_ENV "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
	         "<faultstring>%s</faultstring><detail><%sFault xsi:type=\"%s\"/></detail>"
	         "</soapenv:Fault>" FAKE_END, msg, type, type);
	fake_reply(c, 500, NULL, body);
}

static void fake_ok(int c, const char *method, const char *returnval)
{
	char body[8192];

	snprintf(body, sizeof(body), FAKE_ENV "<%sResponse xmlns=\"urn:vim25\">%s</%sResponse>"
	         FAKE_END, method, returnval, method);
	fake_reply(c, 200, NULL, body);
}

/* Objects [from, from+page) and a token "next-page" when more remain. */
static void fake_page(int c, const char *method, int from, int page)
{
	char rv[6000];
	int n = snprintf(rv, sizeof(rv), "<returnval>");

	for (int i = from; i < from + page && i < FAKE_OBJECTS; i++)
		n += snprintf(rv + n, sizeof(rv) - (size_t)n, "<objects><obj type=\"VirtualMachine\">"
		              "vm-%d</obj><propSet><name>name</name><val xsi:type=\"xsd:string\">VM %d"
		              "</val></propSet></objects>", i, i);
	if (from + page < FAKE_OBJECTS)
		n += snprintf(rv + n, sizeof(rv) - (size_t)n, "<token>%d-%d</token>", from + page, page);
	snprintf(rv + n, sizeof(rv) - (size_t)n, "</returnval>");
	fake_ok(c, method, rv);
}

static bool has_view(const struct fake *f, const char *body)
{
	char view[64];

	snprintf(view, sizeof(view), ">view-%d<", f->gen);
	return strstr(body, view) != NULL;
}

/* The view's listing: vm-0..vm-9 with "vm-gone" (deleted since) after vm-4. */
static void fake_listing(int c, int gen)
{
	char rv[4000];
	int n = snprintf(rv, sizeof(rv), "<returnval><objects><obj type=\"ContainerView\">view-%d"
	                 "</obj><propSet><name>view</name><val xsi:type=\"ArrayOfManagedObjectReference\">",
	                 gen);

	for (int i = 0; i < FAKE_OBJECTS; i++)
		n += snprintf(rv + n, sizeof(rv) - (size_t)n, "%s<ManagedObjectReference type=\""
		              "VirtualMachine\" xsi:type=\"ManagedObjectReference\">vm-%d"
		              "</ManagedObjectReference>", i == 5 ? "<ManagedObjectReference type=\""
		              "VirtualMachine\" xsi:type=\"ManagedObjectReference\">vm-gone"
		              "</ManagedObjectReference>" : "", i);
	snprintf(rv + n, sizeof(rv) - (size_t)n, "</val></propSet></objects></returnval>");
	fake_ok(c, "RetrievePropertiesEx", rv);
}

/* Explicit objects, as vc_bulk asks: a vCenter that faults on a deleted one. */
static void fake_chunk(struct fake *f, int c, const char *body, int page)
{
	char rv[6000];
	const char *p = body;
	int n = snprintf(rv, sizeof(rv), "<returnval>"), i;

	f->chunks++;
	if (strstr(body, ">vm-gone<")) {
		f->notfound++;
		fake_fault(c, "ManagedObjectNotFound", "The object has already been deleted");
		return;
	}
	if (page > FAKE_MAX_PAGE) {
		f->refused++;
		fake_fault(c, "SystemError", "The maximum number of objects per page was exceeded");
		return;
	}
	while ((p = strstr(p, "\">vm-")) && sscanf(p + 5, "%d", &i) == 1 && p++)
		n += snprintf(rv + n, sizeof(rv) - (size_t)n, "<objects><obj type=\"VirtualMachine\">"
		              "vm-%d</obj><propSet><name>name</name><val xsi:type=\"xsd:string\">VM %d"
		              "</val></propSet></objects>", i, i);
	snprintf(rv + n, sizeof(rv) - (size_t)n, "</returnval>");
	fake_ok(c, "RetrievePropertiesEx", rv);
}

static void fake_retrieve(struct fake *f, int c, const char *body)
{
	const char *m = strstr(body, "<maxObjects>");
	int page = m ? atoi(m + 12) : 1000;

	if (strstr(body, "<pathSet>view</pathSet>") && has_view(f, body)) {
		fake_listing(c, f->gen);
	} else if (strstr(body, "<obj type=\"VirtualMachine\">")) {
		fake_chunk(f, c, body, page);
	} else if (f->forget) {
		f->forget = 0;
		f->gen++;
		fake_fault(c, "NotAuthenticated", "");
	} else if (!has_view(f, body)) {
		fake_fault(c, "ManagedObjectNotFound", "The object has already been deleted");
	} else if (page > FAKE_MAX_PAGE) {
		f->refused++;
		fake_fault(c, "SystemError", "The maximum number of objects per page was exceeded");
	} else {
		fake_page(c, "RetrievePropertiesEx", 0, page);
	}
}

static void fake_login(struct fake *f, int c)
{
	char header[128];

	snprintf(header, sizeof(header), "Set-Cookie: vmware_soap_session=\"fake-%d\"; Path=/; "
	         "HttpOnly\r\n", f->gen);
	fake_reply(c, 200, header, FAKE_ENV "<LoginResponse xmlns=\"urn:vim25\"><returnval>"
	           "<userName>u</userName></returnval></LoginResponse>" FAKE_END);
}

static void fake_soap(struct fake *f, int c, const char *req, const char *body)
{
	char cookie[96], rv[128];
	const char *t;
	int from, page;

	snprintf(cookie, sizeof(cookie), "Cookie: vmware_soap_session=\"fake-%d\"", f->gen);
	snprintf(rv, sizeof(rv), "<returnval type=\"ContainerView\">view-%d</returnval>", f->gen);

	if (!strstr(req, "SOAPAction: \"urn:vim25/7.0.3.0\""))
		f->bad_action++;
	if (strstr(body, "<RetrieveServiceContent "))
		fake_ok(c, "RetrieveServiceContent", "<returnval><rootFolder type=\"Folder\">group-d1"
		        "</rootFolder><propertyCollector type=\"PropertyCollector\">pc</propertyCollector>"
		        "<viewManager type=\"ViewManager\">vm</viewManager><sessionManager type=\""
		        "SessionManager\">sm</sessionManager></returnval>");
	else if (strstr(body, "<Login "))
		fake_login(f, c);
	else if (!strstr(req, cookie))
		fake_fault(c, "NotAuthenticated", "");
	else if (strstr(body, "<CreateContainerView "))
		fake_ok(c, "CreateContainerView", rv);
	else if (strstr(body, "<RetrievePropertiesEx "))
		fake_retrieve(f, c, body);
	else if ((t = strstr(body, "<token>")) && sscanf(t + 7, "%d-%d", &from, &page) == 2)
		fake_page(c, "ContinueRetrievePropertiesEx", from, page);
	else if (strstr(body, "<DestroyView ") && !has_view(f, body))
		fake_fault(c, "ManagedObjectNotFound", "The object has already been deleted");
	else if (strstr(body, "<DestroyView ") && ++f->destroys)
		fake_ok(c, "DestroyView", "");
	else
		fake_reply(c, 503, NULL, "<html><body><h1>503 Service Unavailable</h1></body></html>");
}

/* One HTTP/1.1 request (headers + Content-Length body) into buf; -1 at EOF. */
static int read_request(int c, char *buf, size_t cap, char **body)
{
	size_t len = 0, need;
	char *end, *cl;
	ssize_t n;

	buf[0] = '\0';
	while (!(end = strstr(buf, "\r\n\r\n"))) {
		if (len + 1 >= cap || (n = read(c, buf + len, cap - 1 - len)) <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
	}
	cl = strcasestr(buf, "Content-Length:");
	need = (size_t)(end + 4 - buf) + (cl && cl < end ? (size_t)atol(cl + 15) : 0);
	while (len < need) {
		if (len + 1 >= cap || (n = read(c, buf + len, cap - 1 - len)) <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
	}
	*body = end + 4;
	return 0;
}

static void *fake_serve(void *arg)
{
	struct fake *f = arg;
	static char buf[1 << 16];
	char *body;

	while (!atomic_load(&f->stop)) {
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			break;
		while (read_request(c, buf, sizeof(buf), &body) == 0) {
			if (!strncmp(buf, "GET ", 4))
				fake_reply(c, 404, NULL, "<html>no such file</html>");
			else
				fake_soap(f, c, buf, body);
		}
		close(c);
	}
	return NULL;
}

/* vc_bulk against a vCenter that faults on a deleted object and refuses pages over
 * FAKE_MAX_PAGE: chunks are split until every object but the deleted one came. */
static void bulk_on_the_scripted_server(struct vc_session *s, struct fake *f)
{
	struct ordered got = { json_array(), 0 };
	struct vc_bulk *b = vc_bulk_start(s, "VirtualMachine", vm_paths, 1, 1000, 1, remember_order, &got);

	ASSERT_MSG(b, "%s", vc_errstr(s));
	ASSERT_EQ(vc_bulk_finish(b), 0);
	ASSERT_EQ(json_array_size(got.morefs), FAKE_OBJECTS);
	for (size_t i = 0; i < FAKE_OBJECTS; i++)
		ASSERT_EQ(atoi(json_string_value(json_array_get(got.morefs, i)) + 3), (int)i);
	ASSERT(f->notfound >= 4);    /* 11 objects halved down to vm-gone alone */
	ASSERT(f->refused >= 1);     /* and halved again below FAKE_MAX_PAGE */
	json_decref(got.morefs);
}

TEST(paging_tokens_halving_and_fallbacks_on_a_scripted_server)
{
	struct fake f = { .gen = 1 };
	struct vc_endpoint ep = { 0 };
	char url[64], err[VC_ERRSTR_MAX];
	struct vc_session *s;
	json_t *objs, *res = NULL;
	int calls = 0;

	f.port = loopback_port(&f.fd, 1);
	ASSERT(f.port > 0);
	pthread_create(&f.thread, NULL, fake_serve, &f);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/sdk", f.port);
	ep.url = url;
	ep.request_timeout_ms = 5000;
	s = vc_session_new(&ep, err, sizeof(err));
	ASSERT_MSG(s, "%s", err);
	ASSERT_STREQ(vc_api_version(s), "7.0.3.0");           /* no vimServiceVersions.xml */
	ASSERT_EQ(vc_collect(s, "VirtualMachine", vm_paths, 1, 0, remember, NULL), -1);
	ASSERT_EQ(vc_errcode(s), VC_EFAULT_AUTH);             /* not logged in yet */
	ASSERT_EQ(vc_login_cb(s, "u", password_from_env, &calls), 0);
	ASSERT_STREQ(vc_session_cookie(s), "\"fake-1\"");
	objs = collect(s, "VirtualMachine", vm_paths, 1, 1000);
	ASSERT(objs);
	ASSERT_EQ(json_object_size(objs), FAKE_OBJECTS);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(objs, "vm-9"), "name")), "VM 9");
	json_decref(objs);
	ASSERT_EQ(f.refused, 8);                              /* 1000, 500, ... 7; then 3 */
	ASSERT_EQ(f.destroys, 1);
	ASSERT_EQ(f.bad_action, 0);
	f.forget = 1;   /* session lost between CreateContainerView and the first page */
	objs = collect(s, "VirtualMachine", vm_paths, 1, 3);
	ASSERT(objs);
	ASSERT_EQ(json_object_size(objs), FAKE_OBJECTS);
	json_decref(objs);
	ASSERT_EQ(calls, 2);
	ASSERT_STREQ(vc_session_cookie(s), "\"fake-2\"");
	ASSERT_EQ(f.destroys, 2);
	ASSERT_EQ(vc_call(s, "Unknown", "", &res), -1);
	ASSERT_EQ(vc_errcode(s), VC_EHTTP);
	ASSERT_CONTAINS(vc_errstr(s), "503");
	bulk_on_the_scripted_server(s, &f);
	vc_session_free(s);
	atomic_store(&f.stop, 1);
	shutdown(f.fd, SHUT_RDWR);
	close(f.fd);
	pthread_join(f.thread, NULL);
}

/* Chunks of 7 on two connections: the same objects in the same order as one
 * ContainerView pass, none before vc_bulk_finish() though other calls ran. */
TEST(bulk_matches_collect_in_order)
{
	struct vc_session *s = logged_in();
	struct ordered ref = { json_array(), 0 }, got = { json_array(), 0 };
	const char *const name[] = { "name" };
	struct vc_bulk *b;
	json_t *hosts;

	ASSERT(s);
	ASSERT_EQ(vc_collect(s, "VirtualMachine", vm_paths, 3, 0, remember_order, &ref), 0);
	b = vc_bulk_start(s, "VirtualMachine", vm_paths, 3, 7, 2, remember_order, &got);
	ASSERT_MSG(b, "%s", vc_errstr(s));
	hosts = collect(s, "HostSystem", name, 1, 0);
	ASSERT(hosts);
	ASSERT_EQ(json_array_size(got.morefs), 0);
	ASSERT_EQ(vc_bulk_finish(b), 0);
	ASSERT_EQ(got.bad, 0);
	ASSERT_EQ(json_array_size(got.morefs), atol(test_env("RIG_VCSIM_VC1_VMS")));
	ASSERT(json_equal(ref.morefs, got.morefs));
	vc_bulk_free(NULL);
	json_decref(hosts);
	json_decref(ref.morefs);
	json_decref(got.morefs);
	vc_session_free(s);
}

/* Runs a VM task and waits (the simulator runs tasks on their own) until the VM's
 * runtime.powerState is `until`, or until it is gone when `until` is NULL. */
static int vm_task(struct vc_session *s, const char *method, const char *moref, const char *until)
{
	static const char *const state[] = { "runtime.powerState" };
	char in[256];
	json_t *task = NULL, *props = NULL;
	int done = 0;

	snprintf(in, sizeof(in), "<_this type=\"VirtualMachine\">%s</_this>", moref);
	if (vc_call(s, method, in, &task))
		return -1;
	json_decref(task);
	for (int i = 0; i < 100 && !done; i++) {
		if (vc_retrieve_one(s, "VirtualMachine", moref, state, 1, &props))
			return !until && vc_errcode(s) == VC_EFAULT_NOTFOUND ? 0 : -1;
		done = until && !strcmp(json_string_value(json_object_get(props, state[0])) ?
		                        json_string_value(json_object_get(props, state[0])) : "", until);
		json_decref(props);
		usleep(50000);
	}
	return done ? 0 : -1;
}

static int destroy_vm(struct vc_session *s, const char *moref)
{
	if (vm_task(s, "PowerOffVM_Task", moref, "poweredOff"))
		return -1;
	return vm_task(s, "Destroy_Task", moref, NULL);
}

/* A VM destroyed between the listing and its chunk's request: the simulator (asked
 * to report missing objects) leaves it out, the others all come. Runs last: the
 * inventory has one VM less afterwards. */
TEST(bulk_skips_a_vm_destroyed_after_listing)
{
	struct vc_session *s = logged_in();
	struct ordered ref = { json_array(), 0 }, got = { json_array(), 0 };
	const char *gone;
	struct vc_bulk *b;

	ASSERT(s);
	ASSERT_EQ(vc_collect(s, "VirtualMachine", vm_paths, 1, 0, remember_order, &ref), 0);
	ASSERT(json_array_size(ref.morefs) >= 10);
	b = vc_bulk_start(s, "VirtualMachine", vm_paths, 1, 3, 2, remember_order, &got);
	ASSERT_MSG(b, "%s", vc_errstr(s));
	gone = json_string_value(json_array_get(ref.morefs, json_array_size(ref.morefs) - 2));
	ASSERT_MSG(destroy_vm(s, gone) == 0, "Destroy_Task %s: %s", gone, vc_errstr(s));
	ASSERT_EQ(vc_bulk_finish(b), 0);
	ASSERT_EQ(got.bad, 0);
	ASSERT_EQ(json_array_size(got.morefs), json_array_size(ref.morefs) - 1);
	json_array_remove(ref.morefs, json_array_size(ref.morefs) - 2);
	ASSERT(json_equal(ref.morefs, got.morefs));
	ASSERT_EQ(count_by_view(s, "VirtualMachine"), (long)json_array_size(got.morefs));
	json_decref(ref.morefs);
	json_decref(got.morefs);
	vc_session_free(s);
}

TEST_MAIN(T(login_ok_and_service_content), T(wrong_password_is_invalid_login),
          T(collect_vms_and_hosts), T(paging_gives_the_same_objects), T(retrieve_one_and_call),
          T(fingerprint_pin_right_and_wrong), T(tls_modes), T(cookie_resume_and_relogin),
          T(closed_port_is_econnect), T(silent_listener_times_out_at_deadline),
          T(abort_flag_stops_a_request),
          T(paging_tokens_halving_and_fallbacks_on_a_scripted_server),
          T(bulk_matches_collect_in_order), T(bulk_skips_a_vm_destroyed_after_listing))
