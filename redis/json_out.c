/* Compact JSON text of a jansson value, appended to a buf: the collector writes
 * every record of a poll this way (tens of MB per poll), and jansson's own dumper
 * spends much of that time in per-token callbacks and in its cycle check, which
 * formats and hashes each container's address. The text is byte for byte what
 * json_dumps(v, JSON_COMPACT) gives (keys in insertion order, "\uXXXX" for other
 * control characters, reals as "%.17g" with ".0" added and the exponent trimmed),
 * so stored values and their digests do not change with the writer. */
#include "json_out.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

#define JSON_OUT_MAX_DEPTH 2048   /* deeper than any record; stops a cycle */

static const char *escape_of(unsigned char c)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default: return NULL;
	}
}

/* One byte, without the NUL buf_addc() writes each time: the writer puts commas,
 * colons and brackets by the million, and json_out() terminates once at the end. */
static inline void put(struct buf *b, char c)
{
	if (b->len + 1 >= b->cap)
		buf_grow(b, 1);
	b->data[b->len++] = c;
}

/* Bytes a string cannot hold as they are: control characters, '"', '\\' (1),
 * and the lead bytes of multi-byte UTF-8, which are checked (2). */
static const unsigned char special[256] = {
	[0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 2,
};

/* Appends s as a JSON string; runs that need no escape are copied whole. */
static int add_string(struct buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0, i = 0, n;

	put(b, '"');
	while (i < len) {
		unsigned char c = s[i];

		if (!special[c]) {
			i++;
		} else if (special[c] == 2) {
			if (!(n = utf8_seq(s + i, len - i)))
				return -1;
			i += n;
		} else {
			buf_add(b, s + run, i - run);
			if (escape_of(c))
				buf_adds(b, escape_of(c));
			else
				buf_printf(b, "\\u%04X", c);
			run = ++i;
		}
	}
	buf_add(b, s + run, i - run);
	put(b, '"');
	return 0;
}

static void add_integer(struct buf *b, json_int_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* "%.17g", then what jansson does to it: a ".0" when there is neither a point nor
 * an exponent, no '+' and no leading zeros in the exponent ("1e+20" -> "1e20",
 * "1e-05" -> "1e-5"). The C locale's point is assumed (the daemons never call
 * setlocale). */
static void add_real(struct buf *b, double v)
{
	char tmp[40], *exp, *from;

	snprintf(tmp, sizeof(tmp), "%.17g", v);
	exp = strchr(tmp, 'e');
	if (!exp) {
		buf_adds(b, tmp);
		if (!strchr(tmp, '.'))
			buf_add(b, ".0", 2);
		return;
	}
	exp++;                          /* the exponent's sign or first digit */
	if (*exp == '-')
		exp++;
	from = *exp == '+' ? exp + 1 : exp;
	while (from[0] == '0' && from[1])
		from++;
	memmove(exp, from, strlen(from) + 1);
	buf_adds(b, tmp);
}

static int add_value(struct buf *b, const json_t *v, int depth);

static int add_object(struct buf *b, const json_t *o, int depth)
{
	void *it = json_object_iter((json_t *)o);
	int first = 1;

	put(b, '{');
	for (; it; it = json_object_iter_next((json_t *)o, it)) {
		if (!first)
			put(b, ',');
		first = 0;
		if (add_string(b, json_object_iter_key(it), json_object_iter_key_len(it)))
			return -1;
		put(b, ':');
		if (add_value(b, json_object_iter_value(it), depth + 1))
			return -1;
	}
	put(b, '}');
	return 0;
}

static int add_array(struct buf *b, const json_t *a, int depth)
{
	size_t n = json_array_size(a);

	put(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(b, ',');
		if (add_value(b, json_array_get(a, i), depth + 1))
			return -1;
	}
	put(b, ']');
	return 0;
}

static int add_value(struct buf *b, const json_t *v, int depth)
{
	if (!v || depth > JSON_OUT_MAX_DEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: return add_object(b, v, depth);
	case JSON_ARRAY: return add_array(b, v, depth);
	case JSON_STRING: return add_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: add_integer(b, json_integer_value(v)); return 0;
	case JSON_REAL: add_real(b, json_real_value(v)); return 0;
	case JSON_TRUE: buf_add(b, "true", 4); return 0;
	case JSON_FALSE: buf_add(b, "false", 5); return 0;
	case JSON_NULL: buf_add(b, "null", 4); return 0;
	}
	return -1;
}

int json_out_string(struct buf *b, const char *s, size_t len)
{
	size_t mark = b->len;
	int rc = add_string(b, s, len);

	if (rc)
		b->len = mark;
	if (b->data)
		b->data[b->len] = '\0';
	return rc;
}

void json_out_integer(struct buf *b, json_int_t v)
{
	add_integer(b, v);              /* buf_add() ends the text with its NUL */
}

int json_out(struct buf *b, const json_t *v)
{
	size_t start = b->len;
	int rc = add_value(b, v, 0);

	if (rc)
		b->len = start;
	if (b->data)
		b->data[b->len] = '\0';
	return rc;
}
