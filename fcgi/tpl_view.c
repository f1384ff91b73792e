/* View values in an arena and their template data ops (tpl_view.h). Every value
 * begins with its kind; lookups compare the first byte before the whole name, since
 * Mustache's context walk asks most maps for names they do not have. */
#include "tpl_view.h"
#include "arena.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tpl_view_kind { TV_TEXT, TV_TRUE, TV_MAP, TV_LIST };

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
	} u;
};

static struct tpl_view tv_true = { TV_TRUE, 0, 0, { NULL } };

struct tpl_view *tpl_view_true(void)
{
	return &tv_true;
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
	tpl_view_set(map, key, on ? &tv_true : NULL);
}

void tpl_view_add(struct tpl_view *list, struct tpl_view *v)
{
	if (!v)
		return;
	if (list->kind != TV_LIST || list->n == list->cap)
		abort();
	list->u.items[list->n++] = v;
}

static const void *tv_lookup(void *closure, const void *value, const char *name)
{
	const struct tpl_view *v = value;

	(void)closure;
	if (v->kind != TV_MAP)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (v->u.pairs[i].key[0] == name[0] && !strcmp(v->u.pairs[i].key, name))
			return v->u.pairs[i].v;
	return NULL;
}

/* Empty text is false, like jansson's ""; an empty list is asked via iterate. */
static int tv_truthy(void *closure, const void *value)
{
	const struct tpl_view *v = value;

	(void)closure;
	return v->kind != TV_TEXT || v->u.s[0] != '\0';
}

static int tv_iterate(void *closure, const void *value, size_t index, const void **item)
{
	const struct tpl_view *v = value;

	(void)closure;
	if (v->kind != TV_LIST)
		return -1;
	if (index >= v->n)
		return 0;
	*item = v->u.items[index];
	return 1;
}

/* Maps and lists print as nothing, true as "true" (jansson's forms). */
static void tv_stringify(void *closure, const void *value, struct buf *out)
{
	const struct tpl_view *v = value;

	(void)closure;
	if (v->kind == TV_TEXT)
		buf_adds(out, v->u.s);
	else if (v->kind == TV_TRUE)
		buf_adds(out, "true");
}

const struct tpl_data_ops tpl_view_ops = { tv_lookup, tv_truthy, tv_iterate, tv_stringify };
