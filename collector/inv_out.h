/* inv_out: where the VM record builder puts its fields. Either a jansson object
 * (every build but a full poll's: tests, the incremental cache) or compact JSON text
 * appended straight to a buf -- byte for byte what json_out() writes for that object
 * -- for the VMs of a full poll, which then never build, serialise and free an object
 * of fifty keys per VM. Keys are literals of lowercase letters and '_' (written as
 * they are, neither checked nor escaped). */
#ifndef VC_INV_OUT_H
#define VC_INV_OUT_H

#include "buf.h"

#include <jansson.h>
#include <stdbool.h>

#define INV_OUT_DEPTH 8

struct inv_out {
	struct buf *text;              /* text mode when set (borrowed) */
	size_t mark;                   /* text mode: where the record began */
	json_t *stack[INV_OUT_DEPTH];  /* jansson mode: the open containers, [0] the record */
	bool more[INV_OUT_DEPTH];      /* text mode: a value was written at that level */
	bool array[INV_OUT_DEPTH];     /* text mode: that level is an array */
	int depth;                     /* open containers */
	bool failed;                   /* text mode: a string was not UTF-8 */
	json_t *capture;               /* when set: the record's own top-level values of
	                                * capture_keys (strings and booleans) */
	const char *const *capture_keys;
	size_t ncapture;
};

/* Starts a record: a new jansson object, or text appended to b. */
void inv_out_object(struct inv_out *o);
void inv_out_text(struct inv_out *o, struct buf *b);
/* Ends the record. jansson mode: returns it (a new reference). Text mode: returns
 * NULL; -1 in *rc and the text as it was before the record when a string was not
 * valid UTF-8, else 0. */
json_t *inv_out_end(struct inv_out *o, int *rc);

/* A value under key in the open object, or the next item of the open array (key
 * NULL). */
void inv_out_str(struct inv_out *o, const char *key, const char *s);      /* NULL: null */
void inv_out_strv(struct inv_out *o, const char *key, const json_t *v);   /* string or null */
void inv_out_int(struct inv_out *o, const char *key, json_int_t n);
void inv_out_bool(struct inv_out *o, const char *key, bool b);
void inv_out_value(struct inv_out *o, const char *key, json_t *v);        /* steals v */
void inv_out_open_object(struct inv_out *o, const char *key);
void inv_out_open_array(struct inv_out *o, const char *key);
void inv_out_close(struct inv_out *o);

#endif
