/* View values in an arena and their template data ops (tpl_view.h). Every value
 * begins with its kind; lookups compare the first byte before the whole name, since
 * Mustache's context walk asks most maps for names they do not have. JSON values
 * are wrapped as they are reached, so the ops always know what a pointer is. */
#include "tpl_view.h"
#include "arena.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tpl_view_kind { TV_TEXT, TV_TRUE, TV_FALSE, TV_NULL, TV_MAP, TV_LIST, TV_EMIT, TV_JSON };

struct tpl_view_pair {
	const char *key;
	const struct tpl_view *v;
};

struct tpl_view {
	enum tpl_view_kind kind;
	size_t n, cap;
	union {
		const char *s;                  /* TV_TEXT */
		struct tpl_view_pair *pairs;    /* TV_MAP */
		const struct tpl_view **items;  /* TV_LIST */
		struct {                        /* TV_EMIT */
			void (*fn)(void *ctx, struct buf *out);
			void *ctx;
		} emit;
		struct {                        /* TV_JSON */
			const json_t *j;
			const struct tpl_view *under;
		} json;
	} u;
};

static struct tpl_view tv_true = { TV_TRUE, 0, 0, { NULL } };
static struct tpl_view tv_false = { TV_FALSE, 0, 0, { NULL } };
static struct tpl_view tv_null = { TV_NULL, 0, 0, { NULL } };

struct tpl_view *tpl_view_true(void)
{
	return &tv_true;
}

struct tpl_view *tpl_view_false(void)
{
	return &tv_false;
}

struct tpl_view *tpl_view_null(void)
{
	return &tv_null;
}

struct tpl_view *tpl_view_emit(struct arena *a, void (*fn)(void *ctx, struct buf *out), void *ctx)
{
	struct tpl_view *v = arena_alloc(a, sizeof(*v));

	v->kind = TV_EMIT;
	v->u.emit.fn = fn;
	v->u.emit.ctx = ctx;
	return v;
}

struct tpl_view *tpl_view_json(struct arena *a, const json_t *json, const struct tpl_view *under)
{
	struct tpl_view *v = arena_alloc(a, sizeof(*v));

	v->kind = TV_JSON;
	v->u.json.j = json;
	v->u.json.under = under;
	return v;
}

struct tpl_view *tpl_view_map(struct arena *a, size_t cap)
{
	struct tpl_view *v = arena_alloc(a, sizeof(*v));

	v->kind = TV_MAP;
	v->cap = cap;
	v->u.pairs = arena_alloc(a, (cap ? cap : 1) * sizeof(*v->u.pairs));
	return v;
}

struct tpl_view *tpl_view_list(struct arena *a, size_t cap)
{
	struct tpl_view *v = arena_alloc(a, sizeof(*v));

	v->kind = TV_LIST;
	v->cap = cap;
	v->u.items = arena_alloc(a, (cap ? cap : 1) * sizeof(*v->u.items));
	return v;
}

struct tpl_view *tpl_view_text(struct arena *a, const char *s)
{
	struct tpl_view *v;

	if (!s)
		return NULL;
	v = arena_alloc(a, sizeof(*v));
	v->kind = TV_TEXT;
	v->u.s = s;
	return v;
}

struct tpl_view *tpl_view_int(struct arena *a, long long n)
{
	return tpl_view_text(a, arena_printf(a, "%lld", n));
}

const struct tpl_view *tpl_view_snapshot(struct arena *a, const struct tpl_view *map)
{
	struct tpl_view *v = arena_alloc(a, sizeof(*v));

	*v = *map;
	v->cap = v->n;
	return v;
}

void tpl_view_set(struct tpl_view *map, const char *key, struct tpl_view *v)
{
	if (!v)
		return;
	if (map->kind != TV_MAP || map->n == map->cap)
		abort();
	map->u.pairs[map->n++] = (struct tpl_view_pair){ key, v };
}

void tpl_view_sets(struct arena *a, struct tpl_view *map, const char *key, const char *s)
{
	tpl_view_set(map, key, tpl_view_text(a, s));
}

void tpl_view_setb(struct tpl_view *map, const char *key, int on)
{
	tpl_view_set(map, key, on ? &tv_true : &tv_false);
}

void tpl_view_add(struct tpl_view *list, struct tpl_view *v)
{
	if (!v)
		return;
	if (list->kind != TV_LIST || list->n == list->cap)
		abort();
	list->u.items[list->n++] = v;
}

static const void *tv_map_lookup(const struct tpl_view *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->u.pairs[i].key[0] == name[0] && !strcmp(v->u.pairs[i].key, name))
			return v->u.pairs[i].v;
	return NULL;
}

static const void *tv_lookup(void *closure, const void *value, const char *name)
{
	const struct tpl_view *v = value;
	const json_t *j;

	if (v->kind == TV_MAP)
		return tv_map_lookup(v, name);
	if (v->kind != TV_JSON)
		return NULL;
	if ((j = tpl_json_ops.lookup(NULL, v->u.json.j, name)))
		return tpl_view_json(closure, j, NULL);
	return v->u.json.under ? tv_lookup(closure, v->u.json.under, name) : NULL;
}

/* false, null and empty text are false; lists are asked via iterate. */
static int tv_truthy(void *closure, const void *value)
{
	const struct tpl_view *v = value;

	(void)closure;
	switch (v->kind) {
	case TV_TEXT:
		return v->u.s[0] != '\0';
	case TV_FALSE:
	case TV_NULL:
		return 0;
	case TV_JSON:
		return tpl_json_ops.truthy(NULL, v->u.json.j);
	default:
		return 1;
	}
}

static int tv_iterate(void *closure, const void *value, size_t index, const void **item)
{
	const struct tpl_view *v = value;
	int rc;

	if (v->kind == TV_JSON) {
		rc = tpl_json_ops.iterate(NULL, v->u.json.j, index, item);
		if (rc == 1)
			*item = tpl_view_json(closure, *item, NULL);
		return rc;
	}
	if (v->kind != TV_LIST)
		return -1;
	if (index >= v->n)
		return 0;
	*item = v->u.items[index];
	return 1;
}

/* Maps, lists and null print as nothing, true and false as words (jansson's forms). */
static void tv_stringify(void *closure, const void *value, struct buf *out)
{
	const struct tpl_view *v = value;

	(void)closure;
	switch (v->kind) {
	case TV_TEXT:
		buf_adds(out, v->u.s);
		break;
	case TV_TRUE:
		buf_adds(out, "true");
		break;
	case TV_FALSE:
		buf_adds(out, "false");
		break;
	case TV_EMIT:
		v->u.emit.fn(v->u.emit.ctx, out);
		break;
	case TV_JSON:
		tpl_json_ops.stringify(NULL, v->u.json.j, out);
		break;
	default:
		break;
	}
}

const struct tpl_data_ops tpl_view_ops = { tv_lookup, tv_truthy, tv_iterate, tv_stringify };
