/* Fast compact JSON writer over jansson values (see json_out.c). */
#ifndef VC_JSON_OUT_H
#define VC_JSON_OUT_H

#include "buf.h"

#include <jansson.h>

/* Appends v's compact JSON text to b: the same bytes as json_dumps(v, JSON_COMPACT),
 * for any value (not only objects and arrays). Returns 0, or -1 with b as it was
 * when a string is not valid UTF-8 or v nests deeper than 2,048 levels. */
int json_out(struct buf *b, const json_t *v);
/* The pieces, for writers that produce JSON without building values: a string
 * (quoted, escaped; -1 with b as it was when not valid UTF-8) and an integer, the
 * same bytes json_out() writes for a string or integer value. */
int json_out_string(struct buf *b, const char *s, size_t len);
void json_out_integer(struct buf *b, json_int_t v);

#endif
