/* Template sets: the compiled templates of one folder, loaded once at start and
 * owned by the set, looked up by name for pages and for {{>partials}}; plus the
 * file loading and the jansson render entry points built on them. */
#include "tpl.h"
#include "buf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct tpl_set_entry {
	char *name;
	struct tpl *tpl;
};

struct tpl_set {
	struct tpl_set_entry *v;
	size_t n, cap;
};

#define TPL_EXT ".mustache"

struct tpl_set *tpl_set_new(void)
{
	struct tpl_set *set = calloc(1, sizeof(*set));

	if (!set)
		abort();
	return set;
}

static struct tpl_set_entry *tpl_set_find(const struct tpl_set *set, const char *name)
{
	for (size_t i = 0; set && i < set->n; i++)
		if (!strcmp(set->v[i].name, name))
			return &set->v[i];
	return NULL;
}

void tpl_set_put(struct tpl_set *set, const char *name, struct tpl *t)
{
	struct tpl_set_entry *e = tpl_set_find(set, name);

	if (e) {
		tpl_free(e->tpl);
		e->tpl = t;
		return;
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 8;
		set->v = realloc(set->v, set->cap * sizeof(*set->v));
		if (!set->v)
			abort();
	}
	set->v[set->n].name = strdup(name);
	if (!set->v[set->n].name)
		abort();
	set->v[set->n++].tpl = t;
}

int tpl_set_add(struct tpl_set *set, const char *name, const char *src, size_t len,
		char *err, size_t errlen)
{
	struct tpl *t = tpl_compile(src, len, err, errlen);

	if (!t)
		return -1;
	tpl_set_put(set, name, t);
	return 0;
}

const struct tpl *tpl_set_get(const struct tpl_set *set, const char *name)
{
	const struct tpl_set_entry *e = tpl_set_find(set, name);

	return e ? e->tpl : NULL;
}

void tpl_set_free(struct tpl_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->v[i].name);
		tpl_free(set->v[i].tpl);
	}
	free(set->v);
	free(set);
}

int tpl_set_partial(void *set, const char *name, const struct tpl **out,
		    char *err, size_t errlen)
{
	*out = tpl_set_get(set, name);
	return 0;
}

/* Reads a whole regular file of at most TPL_MAX_SOURCE bytes into b. */
static int tpl_read_file(const char *path, struct buf *b, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char chunk[8192];
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > TPL_MAX_SOURCE) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes",
			 path, TPL_MAX_SOURCE);
		fclose(f);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b->len <= TPL_MAX_SOURCE)
		buf_add(b, chunk, n);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

struct tpl *tpl_load_file(const char *path, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	struct tpl *t = NULL;
	char msg[256];

	if (tpl_read_file(path, &b, err, errlen) == 0) {
		t = tpl_compile(buf_str(&b), b.len, msg, sizeof(msg));
		if (!t)
			snprintf(err, errlen, "%s: %s", path, msg);
	}
	buf_free(&b);
	return t;
}

/* NAME.mustache -> NAME when it is a template file name worth loading. */
static int tpl_template_name(const char *file, char *name, size_t size)
{
	size_t len = strlen(file), ext = sizeof(TPL_EXT) - 1;

	if (file[0] == '.' || len <= ext || len - ext >= size ||
	    strcmp(file + len - ext, TPL_EXT))
		return 0;
	memcpy(name, file, len - ext);
	name[len - ext] = '\0';
	return 1;
}

static int tpl_set_load_entry(struct tpl_set *set, const char *dir, const char *file,
			      char *err, size_t errlen)
{
	char name[TPL_MAX_NAME + 1], *path;
	struct tpl *t;

	if (!tpl_template_name(file, name, sizeof(name)))
		return 0;
	if (asprintf(&path, "%s/%s", dir, file) < 0)
		abort();
	t = tpl_load_file(path, err, errlen);
	free(path);
	if (!t)
		return -1;
	tpl_set_put(set, name, t);
	return 0;
}

struct tpl_set *tpl_set_load(const char *dir, char *err, size_t errlen)
{
	struct tpl_set *set;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	set = tpl_set_new();
	while ((de = readdir(d))) {
		if (tpl_set_load_entry(set, dir, de->d_name, err, errlen) < 0) {
			tpl_set_free(set);
			set = NULL;
			break;
		}
	}
	closedir(d);
	return set;
}

static int tpl_render_json_opts(const struct tpl *t, const json_t *data,
				const struct tpl_render_opts *opts, struct buf *out,
				char *err, size_t errlen)
{
	struct tpl_data d = { &tpl_json_ops, NULL, data };

	return tpl_render(t, &d, opts, out, err, errlen);
}

int tpl_render_json_tpl(const struct tpl *t, const struct tpl_set *partials,
			const json_t *data, struct buf *out, char *err, size_t errlen)
{
	struct tpl_render_opts opts = { 0 };

	if (partials) {
		opts.partial = tpl_set_partial;
		opts.partial_closure = (void *)partials;
	}
	return tpl_render_json_opts(t, data, &opts, out, err, errlen);
}

const struct tpl_data *tpl_own_partial_data(void *closure, const char *name)
{
	for (const struct tpl_own_partial *own = closure; own; own = own->next)
		if (!strcmp(own->name, name))
			return &own->data;
	return NULL;
}

int tpl_render_json_own(const struct tpl_set *set, const char *name, const json_t *data,
			const struct tpl_own_partial *own, struct buf *out,
			char *err, size_t errlen)
{
	const struct tpl *t = tpl_set_get(set, name);
	struct tpl_render_opts opts = { 0 };

	if (!t) {
		snprintf(err, errlen, "no template named '%s'", name);
		return -1;
	}
	opts.partial = tpl_set_partial;
	opts.partial_closure = (void *)set;
	if (own) {
		opts.partial_data = tpl_own_partial_data;
		opts.partial_data_closure = (void *)own;
	}
	return tpl_render_json_opts(t, data, &opts, out, err, errlen);
}

int tpl_render_json(const struct tpl_set *set, const char *name, const json_t *data,
		    struct buf *out, char *err, size_t errlen)
{
	return tpl_render_json_own(set, name, data, NULL, out, err, errlen);
}
