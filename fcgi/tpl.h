/* The Mustache template engine: a compiler from template bytes to a node tree
 * (no I/O, so it can be fuzzed), a renderer that drives a small data-access ops
 * table (jansson is the provided backend) into a struct buf with HTML escaping on
 * by default, and template sets loaded once from a folder that also serve as the
 * partials. Supported: the spec's interpolation, sections, inverted sections,
 * comments, partials and set-delimiter modules; no lambdas, no inheritance.
 * Error contract: 0 / -1 (or NULL) with a message written into the caller's
 * err buffer (errlen bytes, always NUL-terminated when errlen > 0).
 * Compiled templates and sets are read-only while rendering, so threads may
 * render from one set at once; all render state lives in the tpl_render call. */
#ifndef VC_TPL_H
#define VC_TPL_H

#include <stddef.h>
#include <jansson.h>

struct buf;
struct tpl;
struct tpl_set;

#define TPL_MAX_DEPTH         64   /* sections nested inside one template */
#define TPL_MAX_PARTIAL_DEPTH 32   /* partials nested while rendering */
#define TPL_MAX_NAME          255  /* bytes in a tag name */
#define TPL_MAX_SOURCE        (4u << 20) /* bytes in one template file */

/* How the renderer reads data. Values are opaque pointers owned by the data
 * source; NULL always means "missing". closure is tpl_data.closure. */
struct tpl_data_ops {
	/* Member `name` (one component of a dotted name, NUL-terminated) of value,
	 * or NULL when value is not a map or has no such member. */
	const void *(*lookup)(void *closure, const void *value, const char *name);
	/* Non-zero when value makes a section render (lists are asked via iterate). */
	int (*truthy)(void *closure, const void *value);
	/* For a list value: sets *item to element index and returns 1, or returns 0
	 * past the end. Returns -1 when value is not a list. */
	int (*iterate)(void *closure, const void *value, size_t index, const void **item);
	/* Appends the unescaped text form of value to out (the renderer escapes). */
	void (*stringify)(void *closure, const void *value, struct buf *out);
};

/* The data a template renders from: the ops, their closure and the root value. */
struct tpl_data {
	const struct tpl_data_ops *ops;
	void *closure;
	const void *root;
};

/* Render-time options; a NULL options pointer or zero fields mean defaults. */
struct tpl_render_opts {
	/* Resolves a partial: sets *out to the compiled template called name, or to
	 * NULL when there is none (it renders as nothing). The template stays owned
	 * by the resolver and must outlive the render. Returns 0, or -1 with err. */
	int (*partial)(void *closure, const char *name, const struct tpl **out,
		       char *err, size_t errlen);
	void *partial_closure;
	/* Optional: a data source of its own for partial name (a page's own structs,
	 * mustach style), or NULL to render it from the current context as usual.
	 * Inside such a partial only its own root and what it leads to are visible. */
	const struct tpl_data *(*partial_data)(void *closure, const char *name);
	void *partial_data_closure;
	size_t max_output;        /* bytes appended to out; default 64 MiB */
	unsigned long max_steps;  /* nodes visited; default 16 Mi, bounds hostile loops */
};

/* jansson backend: objects are maps, arrays lists; false, null, "" and [] are
 * falsy; integers print without decimals, reals in their shortest exact form,
 * null as nothing, objects and arrays as nothing. */
extern const struct tpl_data_ops tpl_json_ops;

/* Compiles len bytes of src. Returns a template the caller owns (tpl_free), or
 * NULL with "line N: what is wrong" in err. src is copied; the caller keeps it. */
struct tpl *tpl_compile(const char *src, size_t len, char *err, size_t errlen);
/* Frees a template; NULL is a no-op. */
void tpl_free(struct tpl *t);

/* Renders t from data (both borrowed, not NULL), appending to out (owned by the
 * caller, left holding whatever was rendered before an error). opts may be
 * NULL (no partials, default limits).
 * Returns 0, or -1 with err (partial errors, depth, size and work limits). */
int tpl_render(const struct tpl *t, const struct tpl_data *data,
	       const struct tpl_render_opts *opts, struct buf *out,
	       char *err, size_t errlen);

/* Reads and compiles the file at path (at most TPL_MAX_SOURCE bytes). Returns a
 * template the caller owns, or NULL with "PATH: reason" / "PATH: line N: ..." in err. */
struct tpl *tpl_load_file(const char *path, char *err, size_t errlen);

/* An empty set, owned by the caller (tpl_set_free). Aborts on out of memory. */
struct tpl_set *tpl_set_new(void);
/* Compiles src and stores it as name (copied), replacing a previous one of that
 * name. Returns 0, or -1 with err ("line N: ...") and the set unchanged. */
int tpl_set_add(struct tpl_set *set, const char *name, const char *src, size_t len,
		char *err, size_t errlen);
/* Stores t as name (copied), taking ownership of t and replacing (freeing) a
 * previous template of that name. Aborts on out of memory. */
void tpl_set_put(struct tpl_set *set, const char *name, struct tpl *t);
/* Loads and compiles every DIR/NAME.mustache into a new set owned by the caller;
 * NAME is also the partial name. Returns NULL with "FILE: line N: ..." in err. */
struct tpl_set *tpl_set_load(const char *dir, char *err, size_t errlen);
/* The template called name, owned by the set, or NULL. set may be NULL. */
const struct tpl *tpl_set_get(const struct tpl_set *set, const char *name);
/* Frees the set and all its templates; NULL is a no-op. */
void tpl_set_free(struct tpl_set *set);
/* A partial resolver over a set, for tpl_render_opts.partial (closure: the set). */
int tpl_set_partial(void *set, const char *name, const struct tpl **out,
		    char *err, size_t errlen);

/* Renders the set's template name from a jansson value (borrowed), partials
 * from the same set. Returns 0, or -1 with err (unknown template, render error). */
int tpl_render_json(const struct tpl_set *set, const char *name, const json_t *data,
		    struct buf *out, char *err, size_t errlen);
/* A partial rendered from a data source of its own (tpl_render_opts.partial_data):
 * a page renders its bulk (table rows) straight from its structs while the rest
 * of the page comes from jansson. */
struct tpl_own_partial {
	const char *name;
	struct tpl_data data;
	const struct tpl_own_partial *next;   /* another partial of its own, or NULL */
};
/* For tpl_render_opts.partial_data over a chain of them (closure: the first): the
 * data of the one called name, or NULL. */
const struct tpl_data *tpl_own_partial_data(void *own, const char *name);
/* tpl_render_json, with partial own->name rendered from own->data, and so on along
 * own->next (all borrowed; own may be NULL). Returns 0, or -1 with err. */
int tpl_render_json_own(const struct tpl_set *set, const char *name, const json_t *data,
			const struct tpl_own_partial *own, struct buf *out,
			char *err, size_t errlen);
/* Same for a template held outside the set; partials may be NULL (none). */
int tpl_render_json_tpl(const struct tpl *t, const struct tpl_set *partials,
			const json_t *data, struct buf *out, char *err, size_t errlen);

#endif
