/* The two outputs of the VM record builder (inv_out.h). */
#include "inv_out.h"
#include "json_out.h"

#include <string.h>

void inv_out_object(struct inv_out *o)
{
	memset(o, 0, sizeof(*o));
	o->stack[0] = json_object();
	o->depth = 1;
}

void inv_out_text(struct inv_out *o, struct buf *b)
{
	memset(o, 0, sizeof(*o));
	o->text = b;
	o->mark = b->len;
	buf_addc(b, '{');
	o->depth = 1;
}

json_t *inv_out_end(struct inv_out *o, int *rc)
{
	json_t *rec = NULL;

	if (o->text) {
		buf_addc(o->text, '}');
		if (o->failed || o->depth != 1) {
			o->text->len = o->mark;
			o->text->data[o->mark] = '\0';
		}
	} else {
		rec = o->stack[0];
		for (; o->depth > 1; o->depth--)  /* containers left open */
			if (o->depth <= INV_OUT_DEPTH)
				json_decref(o->stack[o->depth - 1]);
	}
	if (rc)
		*rc = o->failed || o->depth != 1 ? -1 : 0;
	o->depth = 0;
	return rec;
}

/* Whether a value can go in: a record is open and not nested past INV_OUT_DEPTH
 * (deeper containers only count, so that their closes balance; the record fails). */
static bool writable(struct inv_out *o)
{
	if (o->depth > INV_OUT_DEPTH)
		o->failed = true;
	return o->depth >= 1 && o->depth <= INV_OUT_DEPTH;
}

/* Text mode: the separator and the key of the next value. */
static void text_key(struct inv_out *o, const char *key)
{
	struct buf *b = o->text;
	int d = o->depth - 1;

	if (o->more[d])
		buf_addc(b, ',');
	o->more[d] = true;
	if (key) {                      /* a literal of [a-z_]: nothing to escape */
		size_t n = strlen(key);
		buf_grow(b, n + 3);
		b->data[b->len++] = '"';
		memcpy(b->data + b->len, key, n);
		b->len += n;
		b->data[b->len++] = '"';
		b->data[b->len++] = ':';
		b->data[b->len] = '\0';
	}
}

/* Whether key, at the record's top level, is one of capture_keys. */
static bool captured(const struct inv_out *o, const char *key)
{
	for (size_t i = 0; o->capture && key && o->depth == 1 && i < o->ncapture; i++)
		if (o->capture_keys[i][0] == key[0] && !strcmp(o->capture_keys[i], key))
			return true;
	return false;
}

/* jansson mode: v (stolen) into the open container. */
static void put_json(struct inv_out *o, const char *key, json_t *v)
{
	json_t *top = o->stack[o->depth - 1];

	if (json_is_array(top))
		json_array_append_new(top, v);
	else
		json_object_set_new_nocheck(top, key, v);
}

void inv_out_value(struct inv_out *o, const char *key, json_t *v)
{
	if (!v)
		v = json_null();
	if (!writable(o))
		goto out;
	if (captured(o, key))
		json_object_set_nocheck(o->capture, key, v);
	if (!o->text) {
		put_json(o, key, v);
		return;
	}
	text_key(o, key);
	if (json_out(o->text, v))
		o->failed = true;
out:
	json_decref(v);
}

/* Text mode, a value written as it is: writes the separator and key and returns
 * true. false: the value goes through inv_out_value() instead (jansson mode, a
 * captured key, or nothing writable). */
static bool direct(struct inv_out *o, const char *key)
{
	if (!o->text || o->depth < 1 || o->depth > INV_OUT_DEPTH || captured(o, key))
		return false;
	text_key(o, key);
	return true;
}

void inv_out_str(struct inv_out *o, const char *key, const char *s)
{
	if (!direct(o, key))
		inv_out_value(o, key, s ? json_string(s) : json_null());
	else if (!s)
		buf_add(o->text, "null", 4);
	else if (json_out_string(o->text, s, strlen(s)))
		o->failed = true;
}

void inv_out_strv(struct inv_out *o, const char *key, const json_t *v)
{
	if (!direct(o, key))
		inv_out_value(o, key, json_is_string(v) ? json_incref((json_t *)v) : json_null());
	else if (!json_is_string(v))
		buf_add(o->text, "null", 4);
	else if (json_out_string(o->text, json_string_value(v), json_string_length(v)))
		o->failed = true;
}

void inv_out_int(struct inv_out *o, const char *key, json_int_t n)
{
	if (!direct(o, key))
		inv_out_value(o, key, json_integer(n));
	else
		json_out_integer(o->text, n);
}

void inv_out_bool(struct inv_out *o, const char *key, bool b)
{
	if (!direct(o, key))
		inv_out_value(o, key, json_boolean(b));
	else
		buf_adds(o->text, b ? "true" : "false");
}

static void open_container(struct inv_out *o, const char *key, bool array)
{
	if (!writable(o) || o->depth == INV_OUT_DEPTH) {
		o->failed = true;
		if (o->depth >= 1)
			o->depth++;             /* closes still balance */
		return;
	}
	if (!o->text) {
		json_t *c = array ? json_array() : json_object();
		put_json(o, key, json_incref(c));
		o->stack[o->depth++] = c;
		return;
	}
	text_key(o, key);
	buf_addc(o->text, array ? '[' : '{');
	o->array[o->depth] = array;
	o->more[o->depth++] = false;
}

void inv_out_open_object(struct inv_out *o, const char *key)
{
	open_container(o, key, false);
}

void inv_out_open_array(struct inv_out *o, const char *key)
{
	open_container(o, key, true);
}

void inv_out_close(struct inv_out *o)
{
	if (o->depth <= 1)
		return;
	if (--o->depth >= INV_OUT_DEPTH)
		return;                     /* an overflowing container (open_container) */
	if (o->text)
		buf_addc(o->text, o->array[o->depth] ? ']' : '}');
	else
		json_decref(o->stack[o->depth]);
}
