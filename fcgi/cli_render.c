/* `vcompanion render`: renders one Mustache template with JSON data to stdout,
 * for designing templates and checking them without the web daemon. Partials are
 * read lazily from DIR/NAME.mustache (default: the template's own folder). */
#include "cli.h"
#include "tpl.h"
#include "buf.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CLI_RENDER_USAGE \
	"usage: vcompanion render TEMPLATE DATA.json [--partials DIR]\n" \
	"  Render the Mustache TEMPLATE with the JSON in DATA.json (- for stdin) to\n" \
	"  stdout. {{>NAME}} reads DIR/NAME.mustache; without --partials, DIR is the\n" \
	"  template's own folder. A missing partial renders as nothing.\n" \
	"  Exit codes: 0 ok, 1 failure, 2 usage error.\n"

struct cli_render_args {
	const char *template_path;
	const char *data_path;
	const char *partials_dir;
};

/* Partials found so far, compiled once and owned by the cache. */
struct cli_partials {
	char *dir;
	struct tpl_set *cache;
};

static int cli_render_usage(const char *msg)
{
	fprintf(stderr, "vcompanion render: %s\n%s", msg, CLI_RENDER_USAGE);
	return 2;
}

/* Returns 0 when parsed, 1 after --help, 2 on a usage error (message printed). */
static int cli_render_parse(int argc, char **argv, struct cli_render_args *a)
{
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(CLI_RENDER_USAGE, stdout);
			return 1;
		} else if (!strcmp(argv[i], "--partials")) {
			if (++i >= argc)
				return cli_render_usage("--partials needs a folder");
			a->partials_dir = argv[i];
		} else if (!strncmp(argv[i], "--partials=", 11)) {
			a->partials_dir = argv[i] + 11;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vcompanion render: unknown option %s\n%s", argv[i],
				CLI_RENDER_USAGE);
			return 2;
		} else if (npos == 0) {
			a->template_path = argv[i];
			npos++;
		} else if (npos == 1) {
			a->data_path = argv[i];
			npos++;
		} else {
			return cli_render_usage("too many arguments");
		}
	}
	if (npos != 2)
		return cli_render_usage("needs TEMPLATE and DATA.json");
	if (a->partials_dir && !*a->partials_dir)
		return cli_render_usage("--partials needs a folder");
	return 0;
}

/* The folder of path ("." when it has none); caller frees. */
static char *cli_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");

	if (!dir)
		abort();
	return dir;
}

/* Partial resolver: a name is one file name component, never a path. */
static int cli_partial(void *closure, const char *name, const struct tpl **out,
		       char *err, size_t errlen)
{
	struct cli_partials *p = closure;
	struct tpl *t;
	struct stat st;
	char *path;

	*out = tpl_set_get(p->cache, name);
	if (*out)
		return 0;
	if (name[0] == '.' || strchr(name, '/')) {
		snprintf(err, errlen, "bad partial name '%s' (a file name without folder)", name);
		return -1;
	}
	if (asprintf(&path, "%s/%s.mustache", p->dir, name) < 0)
		abort();
	if (stat(path, &st) < 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	t = tpl_load_file(path, err, errlen);
	free(path);
	if (!t)
		return -1;
	tpl_set_put(p->cache, name, t);
	*out = t;
	return 0;
}

static json_t *cli_load_data(const char *path)
{
	json_error_t jerr;
	json_t *data = strcmp(path, "-") ? json_load_file(path, JSON_DECODE_ANY, &jerr)
					  : json_loadf(stdin, JSON_DECODE_ANY, &jerr);

	if (!data)
		fprintf(stderr, "vcompanion render: %s: line %d column %d: %s\n",
			strcmp(path, "-") ? path : "(stdin)", jerr.line, jerr.column, jerr.text);
	return data;
}

/* Renders with the template and data loaded; 0 or 1 (message printed). */
static int cli_render_run(const struct cli_render_args *a, const struct tpl *t,
			  const json_t *data)
{
	struct cli_partials p = { NULL, tpl_set_new() };
	struct tpl_data d = { &tpl_json_ops, NULL, data };
	struct tpl_render_opts opts = { .partial = cli_partial, .partial_closure = &p };
	struct buf out = BUF_INIT;
	char err[512];
	int rc = 0;

	p.dir = a->partials_dir ? strdup(a->partials_dir) : cli_dirname(a->template_path);
	if (!p.dir)
		abort();
	if (tpl_render(t, &d, &opts, &out, err, sizeof(err)) < 0) {
		fprintf(stderr, "vcompanion render: %s: %s\n", a->template_path, err);
		rc = 1;
	} else if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout)) {
		fprintf(stderr, "vcompanion render: writing the output: %s\n", strerror(errno));
		rc = 1;
	}
	buf_free(&out);
	tpl_set_free(p.cache);
	free(p.dir);
	return rc;
}

int cli_render(int argc, char **argv)
{
	struct cli_render_args a = { NULL, NULL, NULL };
	struct tpl *t;
	json_t *data;
	char err[512];
	int rc = cli_render_parse(argc, argv, &a);

	if (rc)
		return rc == 1 ? 0 : rc;
	t = tpl_load_file(a.template_path, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "vcompanion render: %s\n", err);
		return 1;
	}
	data = cli_load_data(a.data_path);
	rc = data ? cli_render_run(&a, t, data) : 1;
	json_decref(data);
	tpl_free(t);
	return rc;
}
