/* A request's inventory scope (see scope.h): the session's vCenters, their
 * generations and the memo slots pages hang on view entries. */
#include "scope.h"
#include "view.h"
#include "req.h"
#include "server.h"
#include "session.h"
#include "cfg.h"
#include "store.h"
#include "log.h"
#include "arena.h"

#include <stdlib.h>
#include <string.h>

/* What scope_memo() keeps in view_entry.index: one slot per consumer. */
struct scope_memo {
	void *v[SLOT_N];
	void (*free_fn[SLOT_N])(void *);
};

static void memo_free(void *p)
{
	struct scope_memo *m = p;

	if (!m)
		return;
	for (size_t i = 0; i < SLOT_N; i++)
		if (m->v[i] && m->free_fn[i])
			m->free_fn[i](m->v[i]);
	free(m);
}

void *scope_memo(struct view_entry *e, enum scope_slot slot, scope_build_fn build,
                 void (*free_fn)(void *), const void *arg)
{
	struct scope_memo *m = e->index;

	/* Another module's index on this entry: replace it (it rebuilds on its turn). */
	if (m && e->index_free != memo_free) {
		e->index_free(e->index);
		m = NULL;
	}
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			abort();
		e->index = m;
		e->index_free = memo_free;
	}
	if (!m->v[slot]) {
		m->v[slot] = build(e->records, arg);
		m->free_fn[slot] = free_fn;
	}
	return m->v[slot];
}

static void scope_add(struct scope *sc, const struct cfg_vcenter *vc)
{
	for (size_t i = 0; i < sc->n; i++)
		if (!strcmp(sc->ids[i], vc->id))
			return;
	if (sc->n == SCOPE_MAX)
		return;
	sc->ids[sc->n] = vc->id;
	sc->names[sc->n] = vc->name ? vc->name : vc->id;
	sc->intervals[sc->n] = vc->interval;
	sc->selected[sc->n] = true;
	sc->n++;
}

static void scope_select(struct scope *sc, const struct req *r)
{
	const char *const *want;
	size_t n = req_multi(r, "vcenter", &want);

	if (!n)
		return;
	for (size_t i = 0; i < sc->n; i++) {
		sc->selected[i] = false;
		for (size_t k = 0; k < n; k++)
			if (!strcmp(want[k], sc->ids[i]))
				sc->selected[i] = true;
	}
}

/* One request reads the generations once: a page and its layout (the /live tag)
 * then describe the same snapshot, and the second MGET is saved. The memo is the
 * scope as first loaded (arena), reused when the same vCenters are asked again. */
static bool gens_reuse(struct req *r, struct scope *sc)
{
	const struct scope *m = r->scope_memo;

	if (!m || m->n != sc->n || memcmp(m->ids, sc->ids, sc->n * sizeof(sc->ids[0])))
		return false;
	memcpy(sc->gens, m->gens, sc->n * sizeof(sc->gens[0]));
	return true;
}

static void gens_keep(struct req *r, const struct scope *sc)
{
	struct scope *m = arena_alloc(&r->arena, sizeof(*m));

	*m = *sc;
	r->scope_memo = m;
}

/* The status records read with the generations (scope_load_page), in the arena. */
struct scope_status {
	size_t n;
	const char *ids[SCOPE_MAX];
	const char *data[SCOPE_MAX];     /* NULL: missing or tampered */
	size_t len[SCOPE_MAX];
};

struct status_fill {
	struct arena *a;
	struct scope_status *st;
};

static void status_keep(void *ctx, size_t i, const char *data, size_t len)
{
	struct status_fill *f = ctx;

	f->st->data[i] = data ? arena_strndup(f->a, data, len) : NULL;
	f->st->len[i] = len;
}

static int load(struct req *r, struct scope *sc, bool status)
{
	json_t *v;
	size_t i;
	int rc;

	memset(sc, 0, sizeof(*sc));
	sc->r = r;
	if (!r->sess)
		return 0;
	json_array_foreach(session_vcenters(r->sess), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const struct cfg_vcenter *vc = id ? cfg_vcenter_find(r->app->cfg, id) : NULL;
		if (vc)
			scope_add(sc, vc);
	}
	scope_select(sc, r);
	if (gens_reuse(r, sc))
		return 0;
	if (status && !r->status_memo) {
		struct status_fill f = { &r->arena, arena_alloc(&r->arena, sizeof(*f.st)) };
		f.st->n = sc->n;
		memcpy(f.st->ids, sc->ids, sc->n * sizeof(sc->ids[0]));
		rc = view_gens_status(r->app->store, sc->ids, sc->n, sc->gens, status_keep, &f);
		if (rc == 0)
			r->status_memo = f.st;
	} else {
		rc = view_gens(r->app->store, sc->ids, sc->n, sc->gens);
	}
	if (rc < 0) {
		log_error("scope.gens", "error=%s", log_q(r->app->store->errstr));
		return -1;
	}
	gens_keep(r, sc);
	return 0;
}

int scope_load(struct req *r, struct scope *sc)
{
	return load(r, sc, false);
}

int scope_load_page(struct req *r, struct scope *sc)
{
	return load(r, sc, true);
}

bool scope_status(const struct req *r, const char *id, const char **data, size_t *len)
{
	const struct scope_status *st = r->status_memo;

	for (size_t i = 0; st && i < st->n; i++)
		if (!strcmp(st->ids[i], id)) {
			*data = st->data[i];
			*len = st->len[i];
			return true;
		}
	return false;
}

int scope_find(const struct scope *sc, const char *vcenter)
{
	for (size_t i = 0; vcenter && i < sc->n; i++)
		if (!strcmp(sc->ids[i], vcenter))
			return (int)i;
	return -1;
}

bool scope_filtered(const struct scope *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		if (!sc->selected[i])
			return true;
	return false;
}

struct view_entry *scope_entry(const struct scope *sc, size_t i, const char *type)
{
	return view_get(sc->r->app->store, sc->ids[i], sc->gens[i], type);
}

/* moref -> position in the records, as a jansson object of integers. */
static void *byid_build(const json_t *records, const void *arg)
{
	json_t *map = json_object(), *rec;
	size_t i;

	(void)arg;
	json_array_foreach(records, i, rec) {
		const char *m = json_string_value(json_object_get(rec, "moref"));
		if (m)
			json_object_set_new(map, m, json_integer((json_int_t)i));
	}
	return map;
}

static void byid_free(void *p)
{
	json_decref(p);
}

const json_t *scope_lookup(const struct scope *sc, const char *vcenter, const char *type,
                           const char *moref, int *store_err)
{
	int i = scope_find(sc, vcenter);
	struct view_entry *e;
	json_t *map, *pos;

	*store_err = 0;
	if (i < 0 || !moref)
		return NULL;
	e = scope_entry(sc, (size_t)i, type);
	if (!e) {
		*store_err = 1;
		return NULL;
	}
	map = scope_memo(e, SLOT_BYID, byid_build, byid_free, NULL);
	pos = json_object_get(map, moref);
	return pos ? json_array_get(e->records, (size_t)json_integer_value(pos)) : NULL;
}
