/* View values for the template engine built in a request's arena: maps, lists,
 * text and true, with the engine's data ops over them (tpl_view_ops). A page puts
 * together the little data its chrome needs (table headers, pager, filter form)
 * without a jansson tree: no hashing, no reference counts, no malloc per value;
 * everything goes when the arena is reset. A missing key is false, so a value is
 * only set when it is true or has text. Maps are small and looked up linearly.
 * Everything returned is owned by the arena passed in; strings are borrowed (they
 * must live as long as the arena's contents: constants, arena strings, or records
 * the request holds). */
#ifndef VC_TPL_VIEW_H
#define VC_TPL_VIEW_H

#include <stddef.h>

#include "tpl.h"

struct arena;
struct tpl_view;

extern const struct tpl_data_ops tpl_view_ops;

/* A map with room for up to cap keys, a list of up to cap items. */
struct tpl_view *tpl_view_map(struct arena *a, size_t cap);
struct tpl_view *tpl_view_list(struct arena *a, size_t cap);
/* Text s (borrowed; NULL gives NULL, which a map or list ignores); an integer as text. */
struct tpl_view *tpl_view_text(struct arena *a, const char *s);
struct tpl_view *tpl_view_int(struct arena *a, long long v);
/* The one true value (not in the arena). */
struct tpl_view *tpl_view_true(void);

/* Sets key (borrowed) of map to v; NULL v leaves the key missing (false). Aborts
 * past the map's cap, which is a programming error. */
void tpl_view_set(struct tpl_view *map, const char *key, struct tpl_view *v);
/* Shorthands: text (NULL: missing), true when on (else missing). */
void tpl_view_sets(struct arena *a, struct tpl_view *map, const char *key, const char *s);
void tpl_view_setb(struct tpl_view *map, const char *key, int on);
/* Appends v to list; NULL is skipped. Aborts past the list's cap. */
void tpl_view_add(struct tpl_view *list, struct tpl_view *v);

#endif
