/* vc_bulk: overlapped retrieval of one large type (the VMs). A ContainerView lists the
 * objects' references first (one small answer), then RetrievePropertiesEx asks for
 * their properties in chunks of explicit ObjectSpecs, several chunks in flight on
 * separate keep-alive connections of the session's libcurl multi handle, so vCenter
 * computes chunk k+1 while this thread parses chunk k. Everything runs on the calling
 * thread: the multi handle moves all transfers along whenever the session waits.
 *
 * Objects reach the callback in listing order, exactly once: only the in-flight chunk
 * that comes first in the listing streams into its parser; the answers of the others
 * are kept aside as they arrive (vc_http.c's spool, at most a chunk's XML per lane)
 * and parsed when their turn comes.
 * A chunk that fails before delivering anything is retried or split, never
 * half-delivered:
 *   - ManagedObjectNotFound (an object deleted since the listing, from a vCenter that
 *     faults instead of honouring reportMissingObjectsInResults): split in halves
 *     down to the one missing object, which is skipped;
 *   - a page refused as too large: split in halves;
 *   - NotAuthenticated: one re-login for the whole collection, then resent.
 * Objects reported missing (an ObjectContent with only a missingSet) are skipped too.
 *
 * Chunk request (PropertyFilterSpec element order is significant):
 *   <specSet><propSet>..</propSet><objectSet><obj type="VirtualMachine">vm-1</obj>
 *   <skip>false</skip></objectSet>..<reportMissingObjectsInResults>true
 *   </reportMissingObjectsInResults></specSet><options><maxObjects>N</maxObjects></options> */
#include "vc_internal.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_CHUNK 1000
#define MIN_CHUNK 100

struct range {
	size_t start, count;
};

struct lane {
	struct vc_bulk *b;
	struct vc_xfer *x;
	struct vc_parser *p;
	struct buf body;
	struct range r;
	unsigned logins;     /* the session's logins when the request was sent */
	size_t delivered;    /* objects of this chunk already handed out */
	bool busy;
};

struct vc_bulk {
	struct vc_session *s;
	struct vc_spec spec;
	vc_object_fn fn;
	void *ctx;
	json_t *refs;        /* the listing: array of MOR objects */
	struct range *todo;  /* chunks not sent yet, by start */
	size_t ntodo, captodo;
	size_t chunk, nlanes, objects, skipped;
	struct lane lanes[VC_LANES_MAX];
	bool relogged;
	int64_t t0;
};

/* --- the listing --- */

static int keep_view(void *ctx, const char *moref, json_t *props)
{
	json_t **refs = ctx;
	json_t *view = json_object_get(props, "view");

	json_decref(*refs);
	*refs = json_is_array(view) ? json_incref(view) : json_array();
	return 0;
}

/* The ContainerView's `view` property: every object of the type, in view order. */
static int list_refs(struct vc_bulk *b)
{
	static const char *const view_path[] = { "view" };
	struct vc_spec sp = { "ContainerView", view_path, 1, "ContainerView", NULL, false };
	struct vc_session *s = b->s;
	char view[VC_MOREF_MAX];
	struct vc_parser *p;
	int rc;

	if (vc_create_view(s, b->spec.type, view, sizeof(view)))
		return -1;
	p = vc_parser_new(keep_view, &b->refs);
	sp.obj = view;
	rc = p ? vc_first_page(s, &sp, 1, p) : vc_fail(s, VC_EINVAL, "out of memory");
	vc_parser_free(p);
	vc_destroy_view(s, view);
	if (rc == 0 && !b->refs)
		b->refs = json_array();   /* an empty view answers without the property */
	return rc;
}

/* --- chunk queue --- */

static int push_todo(struct vc_bulk *b, size_t start, size_t count)
{
	size_t i = 0;

	if (b->ntodo == b->captodo) {
		size_t cap = b->captodo ? 2 * b->captodo : 16;
		struct range *t = realloc(b->todo, cap * sizeof(*t));
		if (!t)
			return vc_fail(b->s, VC_EINVAL, "out of memory");
		b->todo = t;
		b->captodo = cap;
	}
	while (i < b->ntodo && b->todo[i].start < start)
		i++;
	memmove(b->todo + i + 1, b->todo + i, (b->ntodo - i) * sizeof(*b->todo));
	b->todo[i] = (struct range){ start, count };
	b->ntodo++;
	return 0;
}

static int split(struct vc_bulk *b, struct range r)
{
	size_t half = r.count / 2;

	if (push_todo(b, r.start, half) || push_todo(b, r.start + half, r.count - half))
		return -1;
	return 0;
}

/* --- one chunk on one lane --- */

static void chunk_body(struct vc_bulk *b, struct lane *l)
{
	struct buf in = BUF_INIT;

	vc_add_propset(b->s, &in, &b->spec);
	for (size_t i = l->r.start; i < l->r.start + l->r.count; i++) {
		const json_t *ref = json_array_get(b->refs, i);
		const char *type = json_string_value(json_object_get(ref, "type"));
		const char *value = json_string_value(json_object_get(ref, "value"));

		buf_adds(&in, "<objectSet>");
		vc_add_moref(&in, "obj", type ? type : b->spec.type, value ? value : "");
		buf_adds(&in, "<skip>false</skip></objectSet>");
	}
	buf_printf(&in, "<reportMissingObjectsInResults>true</reportMissingObjectsInResults>"
	           "</specSet><options><maxObjects>%zu</maxObjects></options>", l->r.count);
	vc_envelope(&l->body, "RetrievePropertiesEx", buf_str(&in));
	buf_free(&in);
}

static int send_body(struct vc_bulk *b, struct lane *l)
{
	vc_parser_reset(l->p);
	if (b->s->nprune)
		vc_parser_set_prune(l->p, b->s->prune, b->s->nprune);
	l->logins = b->s->logins;
	if (vc_http_start(b->s, l->x, &l->body, l->p))
		return -1;
	l->busy = true;
	return 0;
}

static int send_chunk(struct vc_bulk *b, struct lane *l, struct range r)
{
	l->r = r;
	l->delivered = 0;
	chunk_body(b, l);
	return send_body(b, l);
}

static int send_continue(struct vc_bulk *b, struct lane *l)
{
	struct buf in = BUF_INIT;

	vc_add_moref(&in, "_this", "PropertyCollector", b->s->sc.property_collector);
	vc_add_elem(&in, "token", vc_parser_token(l->p));
	vc_envelope(&l->body, "ContinueRetrievePropertiesEx", buf_str(&in));
	buf_free(&in);
	return send_body(b, l);
}

/* An object vCenter reports as missing (deleted since the listing) carries no
 * property, only a missingSet entry; it is skipped, as if omitted. sunk: the
 * properties it gave the lane's sink. */
static bool object_missing(json_t *props, size_t sunk)
{
	json_t *missing = json_object_get(props, "_missing");
	const char *path;
	json_t *fault;

	if (sunk || json_object_size(props) != (missing ? 1u : 0u))
		return false;
	json_object_foreach(missing, path, fault)
		if (strcmp(json_string_value(fault) ? json_string_value(fault) : "",
		           "ManagedObjectNotFound"))
			return false;
	return true;
}

static int deliver(void *ctx, const char *moref, json_t *props)
{
	struct lane *l = ctx;

	if (object_missing(props, vc_parser_sunk(l->p))) {
		l->b->skipped++;
		log_debug("vc.bulk_missing", "moref=%s", log_q(moref));
		return 0;
	}
	l->delivered++;
	l->b->objects++;
	return l->b->fn(l->b->ctx, moref, props);
}

/* --- scheduling --- */

/* The lane whose chunk comes first in the listing, if no unsent chunk precedes it:
 * the only one allowed to parse. */
static struct lane *first_lane(struct vc_bulk *b)
{
	struct lane *first = NULL;

	for (size_t i = 0; i < b->nlanes; i++)
		if (b->lanes[i].busy && (!first || b->lanes[i].r.start < first->r.start))
			first = &b->lanes[i];
	if (first && b->ntodo && b->todo[0].start < first->r.start)
		return NULL;
	return first;
}

/* Sends the next chunks on idle lanes (at most `use` lanes busy).
 * Returns how many were sent, -1 on an error. */
static int fill_lanes(struct vc_bulk *b, size_t use)
{
	size_t busy = 0;
	int sent = 0;

	for (size_t i = 0; i < b->nlanes; i++)
		busy += b->lanes[i].busy;
	for (size_t i = 0; i < b->nlanes && busy < use && b->ntodo; i++) {
		struct lane *l = &b->lanes[i];
		struct range r = b->todo[0];
		if (l->busy)
			continue;
		memmove(b->todo, b->todo + 1, --b->ntodo * sizeof(*b->todo));
		if (send_chunk(b, l, r))
			return -1;
		busy++;
		sent++;
	}
	return sent;
}

/* What to do about a chunk whose request failed (session error set): 0 when it was
 * requeued or skipped, -1 when the collection fails. */
static int recover(struct vc_bulk *b, struct lane *l)
{
	struct vc_session *s = b->s;

	if (l->delivered)
		return -1;   /* a continuation page failed: objects were handed out */
	if (s->err == VC_EFAULT_AUTH && s->password_fn && (s->logins != l->logins || !b->relogged)) {
		if (s->logins == l->logins) {
			log_info("vc.relogin", "method=RetrievePropertiesEx");
			b->relogged = true;
			if (vc_relogin(s))
				return -1;
		}
		return send_body(b, l);
	}
	if (s->err == VC_EFAULT_NOTFOUND && l->r.count == 1) {
		b->skipped++;
		log_info("vc.bulk_gone", "type=%s", log_q(b->spec.type));
		return 0;
	}
	if ((s->err == VC_EFAULT_NOTFOUND || vc_page_too_large(s)) && l->r.count > 1) {
		log_info("vc.bulk_split", "type=%s count=%zu error=%s", log_q(b->spec.type),
		         l->r.count, log_q(s->errstr));
		return split(b, l->r);
	}
	return -1;
}

/* A lane's transfer ended: its outcome, then a continuation page or a free lane. */
static int chunk_done(struct vc_bulk *b, struct lane *l)
{
	struct vc_session *s = b->s;
	int rc;

	l->busy = false;
	vc_clear_err(s);
	rc = vc_http_finish(s, l->x, "RetrievePropertiesEx");
	if (rc == 0 && vc_parser_finish(l->p, l->x->status))
		rc = vc_fail_parser(s, l->p);
	if (rc)
		return recover(b, l);
	if (vc_parser_token(l->p))
		return send_continue(b, l);
	return 0;
}

static int lanes_open(struct vc_bulk *b)
{
	for (size_t i = 0; i < b->nlanes; i++) {
		struct lane *l = &b->lanes[i];
		l->b = b;
		l->x = vc_http_lane(b->s, i);
		if (!l->x)
			return -1;
		l->p = vc_parser_new(deliver, l);
		if (!l->p)
			return vc_fail(b->s, VC_EINVAL, "out of memory");
		vc_parser_set_arena(l->p, true);    /* see vc_bulk_start() in vc.h */
	}
	return 0;
}

/* At least two chunks per lane, so that even a small inventory has one chunk to
 * parse while the next is computed; never below MIN_CHUNK objects a request. */
static size_t chunk_size(size_t chunk, size_t objects, size_t lanes)
{
	size_t fair = (objects + 2 * lanes - 1) / (2 * lanes);

	if (fair < MIN_CHUNK)
		fair = MIN_CHUNK;
	return fair < chunk ? fair : chunk;
}

struct vc_bulk *vc_bulk_start(struct vc_session *s, const char *type, const char *const *paths,
                              size_t npaths, size_t chunk, size_t lanes, vc_object_fn fn,
                              void *ctx)
{
	struct vc_bulk *b;

	if (!type || !fn || (npaths && !paths) || lanes > VC_LANES_MAX)
		return vc_fail(s, VC_EINVAL, "vc_bulk_start needs a type, paths, a callback and "
		               "1..%d connections", VC_LANES_MAX), NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return vc_fail(s, VC_EINVAL, "out of memory"), NULL;
	*b = (struct vc_bulk){ .s = s, .spec = { type, paths, npaths, type, NULL, false },
	                       .fn = fn, .ctx = ctx, .chunk = chunk ? chunk : DEFAULT_CHUNK,
	                       .nlanes = lanes ? lanes : 1, .t0 = vc_now_ms() };
	if (lanes_open(b) || list_refs(b))
		goto err;
	b->chunk = chunk_size(b->chunk, json_array_size(b->refs), b->nlanes);
	for (size_t i = 0; i < json_array_size(b->refs); i += b->chunk)
		if (push_todo(b, i, json_array_size(b->refs) - i < b->chunk ?
		                    json_array_size(b->refs) - i : b->chunk))
			goto err;
	/* one connection stays free for the caller's requests until vc_bulk_finish() */
	if (fill_lanes(b, b->nlanes - 1) >= 0)
		return b;
err:
	vc_bulk_free(b);
	return NULL;
}

/* Keeps the lanes fed, then parses the first chunk whole: what arrived of it while
 * others were parsed, then the rest as it comes (vc_http_parse), the other lanes'
 * answers kept aside meanwhile. A chunk just queued is put on the wire before:
 * libcurl sends nothing until it is driven, so vCenter would start computing it only
 * after that parse (a CPU trace of both processes showed the simulator idle during
 * each parse of a kept answer, then this thread idle while the simulator computed). */
static int step(struct vc_bulk *b)
{
	struct lane *first;
	int sent = fill_lanes(b, b->nlanes);

	if (sent < 0)
		return -1;
	first = first_lane(b);
	if (!first)
		return vc_http_drive(b->s, 1000);
	if (sent && vc_http_drive(b->s, 0))
		return -1;
	if (vc_http_parse(b->s, first->x))
		return -1;
	return chunk_done(b, first);
}

static bool all_done(const struct vc_bulk *b)
{
	for (size_t i = 0; i < b->nlanes; i++)
		if (b->lanes[i].busy)
			return false;
	return b->ntodo == 0;
}

void vc_bulk_set_sink(struct vc_bulk *b, const struct vc_sink *sink, void *ctx)
{
	for (size_t i = 0; i < b->nlanes; i++)
		vc_parser_set_sink(b->lanes[i].p, sink, ctx);
}

int vc_bulk_finish(struct vc_bulk *b)
{
	struct vc_session *s = b->s;
	int rc = 0;

	while (rc == 0 && !all_done(b))
		rc = step(b);
	log_debug("vc.bulk", "type=%s ok=%d objects=%zu skipped=%zu chunk=%zu lanes=%zu ms=%lld",
	          log_q(b->spec.type), rc == 0, b->objects, b->skipped, b->chunk, b->nlanes,
	          (long long)(vc_now_ms() - b->t0));
	if (rc == 0)
		vc_clear_err(s);
	vc_bulk_free(b);
	return rc;
}

void vc_bulk_free(struct vc_bulk *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nlanes; i++) {
		struct lane *l = &b->lanes[i];
		if (l->x)
			vc_http_cancel(b->s, l->x);
		vc_parser_free(l->p);
		buf_free(&l->body);
	}
	json_decref(b->refs);
	free(b->todo);
	free(b);
}
