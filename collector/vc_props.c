/* vc_props: property collection. vc_collect() walks a ContainerView of one type
 * with RetrievePropertiesEx pages and ContinueRetrievePropertiesEx tokens, handing
 * each object to the caller while its page is still arriving; vc_retrieve_one()
 * reads one object; vc_call() runs any vim25 method into generic JSON.
 *
 * The PropertyFilterSpec sent (element order is significant to vCenter):
 *   <specSet><propSet><type>VirtualMachine</type><all>false</all><pathSet>name</pathSet>..
 *   </propSet><objectSet><obj type="ContainerView">session[..]..</obj><skip>true</skip>
 *   <selectSet xsi:type="TraversalSpec"><name>view</name><type>ContainerView</type>
 *   <path>view</path><skip>false</skip></selectSet></objectSet></specSet>
 *   <options><maxObjects>1000</maxObjects></options> */
#include "vc_internal.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_PAGE 1000
#define METHOD_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789"

void vc_add_elem(struct buf *b, const char *tag, const char *text)
{
	buf_printf(b, "<%s>", tag);
	buf_add_xml(b, text);
	buf_printf(b, "</%s>", tag);
}

void vc_add_propset(struct vc_session *s, struct buf *b, const struct vc_spec *sp)
{
	vc_add_moref(b, "_this", "PropertyCollector", s->sc.property_collector);
	buf_adds(b, "<specSet><propSet>");
	vc_add_elem(b, "type", sp->type);
	buf_adds(b, "<all>false</all>");
	for (size_t i = 0; i < sp->npaths; i++)
		vc_add_elem(b, "pathSet", sp->paths[i]);
	buf_adds(b, "</propSet>");
}

static void add_spec(struct vc_session *s, struct buf *b, const struct vc_spec *sp)
{
	vc_add_propset(s, b, sp);
	buf_adds(b, "<objectSet>");
	vc_add_moref(b, "obj", sp->obj_type, sp->obj);
	if (sp->via_view)
		buf_adds(b, "<skip>true</skip><selectSet xsi:type=\"TraversalSpec\"><name>view</name>"
		         "<type>ContainerView</type><path>view</path><skip>false</skip></selectSet>");
	else
		buf_adds(b, "<skip>false</skip>");
	buf_adds(b, "</objectSet></specSet>");
}

/* --- container views --- */

int vc_create_view(struct vc_session *s, const char *type, char *view, size_t cap)
{
	struct buf in = BUF_INIT;
	struct vc_parser *p = vc_parser_new(NULL, NULL);
	const char *v;
	int rc;

	if (!p)
		return vc_fail(s, VC_EINVAL, "out of memory");
	vc_add_moref(&in, "_this", "ViewManager", s->sc.view_manager);
	vc_add_moref(&in, "container", "Folder", s->sc.root_folder);
	vc_add_elem(&in, "type", type);
	buf_adds(&in, "<recursive>true</recursive>");
	rc = vc_soap(s, "CreateContainerView", buf_str(&in), p);
	v = json_string_value(json_object_get(vc_parser_result(p), "value"));
	if (rc == 0 && (!v || strlen(v) >= cap))
		rc = vc_fail(s, VC_EPARSE, "CreateContainerView answered without a usable view");
	else if (rc == 0)
		snprintf(view, cap, "%s", v);
	vc_parser_free(p);
	buf_free(&in);
	return rc;
}

/* Best effort: keeps the session's error of the collection, if any. */
void vc_destroy_view(struct vc_session *s, const char *view)
{
	enum vc_err err = s->err;
	char errstr[VC_ERRSTR_MAX], fault[sizeof(s->fault_type)];
	struct buf in = BUF_INIT;
	struct vc_parser *p = vc_parser_new(NULL, NULL);

	memcpy(errstr, s->errstr, sizeof(errstr));
	memcpy(fault, s->fault_type, sizeof(fault));
	vc_add_moref(&in, "_this", "ContainerView", view);
	if (p && vc_soap(s, "DestroyView", buf_str(&in), p))
		log_debug("vc.destroy_view_failed", "error=%s", log_q(s->errstr));
	vc_parser_free(p);
	buf_free(&in);
	s->err = err;
	memcpy(s->errstr, errstr, sizeof(errstr));
	memcpy(s->fault_type, fault, sizeof(fault));
}

/* --- paging --- */

/* vCenter refuses pages that are too large with a fault about limits or sizes. */
bool vc_page_too_large(const struct vc_session *s)
{
	static const char *const words[] = { "too many", "too large", "maximum", "exceed", "limit" };

	if (s->err == VC_ETOOBIG)
		return true;
	if (s->err != VC_EFAULT)
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(s->errstr, words[i]))
			return true;
	return false;
}

int vc_first_page(struct vc_session *s, const struct vc_spec *sp, size_t page, struct vc_parser *p)
{
	struct buf in = BUF_INIT;
	int rc;

	for (;;) {
		buf_reset(&in);
		add_spec(s, &in, sp);
		buf_printf(&in, "<options><maxObjects>%zu</maxObjects></options>", page);
		rc = vc_soap(s, "RetrievePropertiesEx", buf_str(&in), p);
		if (rc == 0 || page <= 1 || !vc_page_too_large(s))
			break;
		page /= 2;
		log_info("vc.page_halved", "type=%s page=%zu error=%s", log_q(sp->type), page,
		         log_q(s->errstr));
	}
	buf_free(&in);
	return rc;
}

static int next_pages(struct vc_session *s, struct vc_parser *p)
{
	struct buf in = BUF_INIT;
	char *token;
	int rc = 0;

	while (rc == 0 && vc_parser_token(p)) {
		token = strdup(vc_parser_token(p));
		if (!token)
			return vc_fail(s, VC_EINVAL, "out of memory");
		buf_reset(&in);
		vc_add_moref(&in, "_this", "PropertyCollector", s->sc.property_collector);
		vc_add_elem(&in, "token", token);
		free(token);
		rc = vc_soap(s, "ContinueRetrievePropertiesEx", buf_str(&in), p);
	}
	buf_free(&in);
	return rc;
}

static int collect_view(struct vc_session *s, const struct vc_spec *sp, size_t page,
                        vc_object_fn fn, void *ctx)
{
	struct vc_parser *p = vc_parser_new(fn, ctx);
	int rc;

	if (!p)
		return vc_fail(s, VC_EINVAL, "out of memory");
	rc = vc_first_page(s, sp, page, p);
	if (rc == 0)
		rc = next_pages(s, p);
	vc_parser_free(p);
	return rc;
}

struct counted {
	vc_object_fn fn;
	void *ctx;
	size_t n;
};

static int count_object(void *ctx, const char *moref, json_t *props)
{
	struct counted *c = ctx;

	c->n++;
	return c->fn(c->ctx, moref, props);
}

/* One view, its pages, its destruction. */
static int collect_once(struct vc_session *s, const struct vc_spec *base, size_t page,
                        struct counted *cnt)
{
	char view[VC_MOREF_MAX];
	struct vc_spec sp = *base;
	int rc;

	if (vc_create_view(s, sp.type, view, sizeof(view)))
		return -1;
	sp.obj = view;
	rc = collect_view(s, &sp, page, count_object, cnt);
	vc_destroy_view(s, view);
	return rc;
}

/* A view dies with its session: when a re-login happened before any object was
 * handed out, the collection starts over once with a new view. */
int vc_collect(struct vc_session *s, const char *type, const char *const *paths,
               size_t npaths, size_t page_size, vc_object_fn fn, void *ctx)
{
	struct vc_spec sp = { type, paths, npaths, "ContainerView", NULL, true };
	struct counted cnt = { fn, ctx, 0 };
	unsigned logins = s->logins;
	int64_t t0 = vc_now_ms();
	int rc;

	if (!type || !fn || (npaths && !paths))
		return vc_fail(s, VC_EINVAL, "vc_collect needs a type, paths and a callback");
	if (!page_size)
		page_size = DEFAULT_PAGE;
	rc = collect_once(s, &sp, page_size, &cnt);
	if (rc && s->logins != logins && cnt.n == 0) {
		log_info("vc.collect_restart", "type=%s error=%s", log_q(type), log_q(s->errstr));
		rc = collect_once(s, &sp, page_size, &cnt);
	}
	log_debug("vc.collect", "type=%s ok=%d objects=%zu ms=%lld", log_q(type), rc == 0, cnt.n,
	          (long long)(vc_now_ms() - t0));
	return rc;
}

/* --- single objects and raw calls --- */

static int keep_one(void *ctx, const char *moref, json_t *props)
{
	json_t **out = ctx;

	json_decref(*out);
	*out = json_incref(props);
	return 0;
}

int vc_retrieve_one(struct vc_session *s, const char *type, const char *moref,
                    const char *const *paths, size_t npaths, json_t **props)
{
	struct vc_spec sp = { type, paths, npaths, type, moref, false };
	struct vc_parser *p;
	json_t *got = NULL;
	int rc;

	*props = NULL;
	if (!type || !moref || (npaths && !paths))
		return vc_fail(s, VC_EINVAL, "vc_retrieve_one needs a type, a moref and paths");
	p = vc_parser_new(keep_one, &got);
	if (!p)
		return vc_fail(s, VC_EINVAL, "out of memory");
	rc = vc_first_page(s, &sp, 1, p);
	vc_parser_free(p);
	if (rc == 0 && !got)
		rc = vc_fail(s, VC_EFAULT_NOTFOUND, "%.60s %.60s not found: it may have been deleted",
		             type, moref);
	if (rc)
		json_decref(got);
	else
		*props = got;
	return rc;
}

int vc_call(struct vc_session *s, const char *method, const char *inner_xml, json_t **result)
{
	struct vc_parser *p;
	int rc;

	*result = NULL;
	if (!method || !*method || strspn(method, METHOD_CHARS) != strlen(method))
		return vc_fail(s, VC_EINVAL, "vc_call: \"%.40s\" is not a method name", method ? method : "");
	p = vc_parser_new(NULL, NULL);
	if (!p)
		return vc_fail(s, VC_EINVAL, "out of memory");
	rc = vc_soap(s, method, inner_xml ? inner_xml : "", p);
	if (rc == 0)
		*result = json_incref(vc_parser_result(p));
	vc_parser_free(p);
	return rc;
}
