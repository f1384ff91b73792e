/* View values for the template engine built in a request's arena: maps, lists,
 * text, true, false and null, with the engine's data ops over them (tpl_view_ops).
 * A page puts together what its chrome and the layout need without a jansson tree:
 * no hashing, no reference counts, no malloc per value; everything goes when the
 * arena is reset. Values behave as the same data in JSON would (a missing key, false
 * and null are false; false and null stop Mustache's context walk, a missing key
 * does not). Maps are small and looked up linearly. A JSON value can be placed over
 * a map (tpl_view_json): its keys first, then the map's, as if merged.
 * Everything returned is owned by the arena passed in; strings and JSON values are
 * borrowed (they must live as long as the arena's contents). The ops' closure is
 * that arena (tpl_data.closure): looking into JSON wraps what it finds there. */
#ifndef VC_TPL_VIEW_H
#define VC_TPL_VIEW_H

#include <stddef.h>
#include <jansson.h>

#include "tpl.h"

struct arena;
struct buf;
struct tpl_view;

extern const struct tpl_data_ops tpl_view_ops;

/* A map with room for up to cap keys, a list of up to cap items. */
struct tpl_view *tpl_view_map(struct arena *a, size_t cap);
struct tpl_view *tpl_view_list(struct arena *a, size_t cap);
/* Text s (borrowed; NULL gives NULL, which a map or list ignores); an integer as text. */
struct tpl_view *tpl_view_text(struct arena *a, const char *s);
struct tpl_view *tpl_view_int(struct arena *a, long long v);
/* The constants true, false and null (not in the arena). */
struct tpl_view *tpl_view_true(void);
struct tpl_view *tpl_view_false(void);
struct tpl_view *tpl_view_null(void);
/* Text written when the template prints the value: fn(ctx, out), raw into the
 * output for {{{x}}}, escaped for {{x}}. Always true. */
struct tpl_view *tpl_view_emit(struct arena *a, void (*fn)(void *ctx, struct buf *out), void *ctx);
/* json (borrowed, any type) as a view value; an object's missing keys are looked
 * up in under (NULL: none). */
struct tpl_view *tpl_view_json(struct arena *a, const json_t *json, const struct tpl_view *under);

/* A map with the keys map has now, sharing them: keys set on map later do not show
 * in it. Nothing may be set on the snapshot itself. */
const struct tpl_view *tpl_view_snapshot(struct arena *a, const struct tpl_view *map);

/* Sets key (borrowed) of map to v; NULL v leaves the key missing (false). Aborts
 * past the map's cap, which is a programming error. */
void tpl_view_set(struct tpl_view *map, const char *key, struct tpl_view *v);
/* Shorthands: text (NULL: missing), true or false. */
void tpl_view_sets(struct arena *a, struct tpl_view *map, const char *key, const char *s);
void tpl_view_setb(struct tpl_view *map, const char *key, int on);
/* Appends v to list; NULL is skipped. Aborts past the list's cap. */
void tpl_view_add(struct tpl_view *list, struct tpl_view *v);

#endif
