/* The jansson backend of the template engine's data ops: objects are maps,
 * arrays are lists, scalars print the way the Mustache spec expects (integers
 * without decimals, reals in their shortest form that reads back exactly). */
#include "tpl.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>

static const void *tpl_json_lookup(void *closure, const void *value, const char *name)
{
	return json_is_object((const json_t *)value) ?
		json_object_get((const json_t *)value, name) : NULL;
}

/* false, null, "" and [] are falsy; 0 is a value like any other. */
static int tpl_json_truthy(void *closure, const void *value)
{
	const json_t *j = value;

	switch (json_typeof(j)) {
	case JSON_FALSE:
	case JSON_NULL:
		return 0;
	case JSON_STRING:
		return json_string_length(j) > 0;
	case JSON_ARRAY:
		return json_array_size(j) > 0;
	default:
		return 1;
	}
}

static int tpl_json_iterate(void *closure, const void *value, size_t index, const void **item)
{
	const json_t *j = value;

	if (!json_is_array(j))
		return -1;
	if (index >= json_array_size(j))
		return 0;
	*item = json_array_get(j, index);
	return 1;
}

static void tpl_json_real(double d, struct buf *out)
{
	char s[40];

	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	buf_adds(out, s);
}

/* null, objects and arrays print as nothing. */
static void tpl_json_stringify(void *closure, const void *value, struct buf *out)
{
	const json_t *j = value;

	switch (json_typeof(j)) {
	case JSON_STRING:
		buf_add(out, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case JSON_REAL:
		tpl_json_real(json_real_value(j), out);
		break;
	case JSON_TRUE:
		buf_adds(out, "true");
		break;
	case JSON_FALSE:
		buf_adds(out, "false");
		break;
	default:
		break;
	}
}

const struct tpl_data_ops tpl_json_ops = {
	.lookup = tpl_json_lookup,
	.truthy = tpl_json_truthy,
	.iterate = tpl_json_iterate,
	.stringify = tpl_json_stringify,
};
