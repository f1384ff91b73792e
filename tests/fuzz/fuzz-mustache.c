/* libFuzzer target for the Mustache engine: compiles the input as a template and
 * renders it against a fixed JSON context, with a fixed set of partials plus the
 * input itself as partial "self" (so recursion limits are exercised too). */
#include "tpl.h"
#include "buf.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static json_t *fuzz_ctx;
static struct tpl_set *fuzz_fixed;

static const char *const fuzz_partials[][2] = {
	{ "p", "{{name}}" },
	{ "rec", "x{{>rec}}" },
	{ "ind", "a\n{{>p}}\n  {{>p}}\n\t{{>self}}\nb\n" },
	{ "loop", "{{#list}}[{{>p}}{{.}}]{{/list}}" },
	{ "delim", "{{=<% %>=}}<%name%><%={{ }}=%>{{{name}}}" },
};

struct fuzz_resolver {
	const struct tpl *self;
};

static int fuzz_partial(void *closure, const char *name, const struct tpl **out,
			char *err, size_t errlen)
{
	const struct fuzz_resolver *r = closure;

	*out = strcmp(name, "self") ? tpl_set_get(fuzz_fixed, name) : r->self;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	fuzz_ctx = json_loads("{\"name\": \"<b>&'\\\"\", \"n\": 42, \"r\": 1.5, \"t\": true,"
			      " \"f\": false, \"z\": null, \"s\": \"\", \"empty\": [],"
			      " \"list\": [1, \"two\", {\"name\": \"three\"}, [4]],"
			      " \"obj\": {\"a\": {\"b\": \"c\"}, \"list\": [true]}}", 0, NULL);
	fuzz_fixed = tpl_set_new();
	if (!fuzz_ctx)
		abort();
	for (size_t i = 0; i < sizeof(fuzz_partials) / sizeof(fuzz_partials[0]); i++)
		if (tpl_set_add(fuzz_fixed, fuzz_partials[i][0], fuzz_partials[i][1],
				strlen(fuzz_partials[i][1]), err, sizeof(err)) < 0)
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct tpl *t = tpl_compile((const char *)data, size, err, sizeof(err));
	struct fuzz_resolver r = { t };
	struct tpl_data d = { &tpl_json_ops, NULL, fuzz_ctx };
	struct tpl_render_opts opts = { .partial = fuzz_partial, .partial_closure = &r,
				       .max_output = 1 << 20, .max_steps = 200000 };
	struct buf out = BUF_INIT;

	if (!t)
		return 0;
	tpl_render(t, &d, &opts, &out, err, sizeof(err));
	buf_free(&out);
	tpl_free(t);
	return 0;
}
