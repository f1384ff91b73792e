/* The Mustache compiler and renderer (see tpl.h). A compiled template is a copy
 * of its source plus a flat array of nodes that point into it; a section's
 * children are the nodes that follow it, up to its `end` index. The renderer
 * walks that array with a context stack and reaches data only through the
 * tpl_data_ops table, so any data source can sit behind it. */
#include "tpl.h"
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPL_MAX_DELIM        15
#define TPL_MAX_RENDER_DEPTH 256   /* sections + partials on the render stack */
#define TPL_DEFAULT_OUTPUT   ((size_t)64 << 20)
#define TPL_DEFAULT_STEPS    (16ul << 20)

enum tpl_kind {
	TPL_TEXT,      /* literal bytes */
	TPL_VAR,       /* {{x}}: escaped */
	TPL_RAW,       /* {{{x}}} and {{&x}}: unescaped */
	TPL_SECTION,   /* {{#x}} ... {{/x}} */
	TPL_INVERTED,  /* {{^x}} ... {{/x}} */
	TPL_PARTIAL,   /* {{>x}} */
	TPL_NOP        /* a tag that prints nothing but starts an indented line */
};

/* One node. line_start: the node begins a source line, so a partial's
 * indentation is emitted before it. off/len: text bytes or the tag name. */
struct tpl_node {
	unsigned char kind;
	unsigned char line_start;
	unsigned char standalone;  /* partial: alone on its line, indented by ind_* */
	size_t off, len;
	size_t ind_off, ind_len;
	size_t end;                /* sections: index one past the last child */
	size_t name;               /* tags: offset of the name, NUL-terminated, in tpl.names */
	unsigned char dotted;      /* the name holds a '.' (not "." alone): split on lookup */
};

struct tpl {
	char *src;
	size_t src_len;
	char *names;               /* every tag's name with a NUL, so lookups need no copy */
	struct tpl_node *nodes;
	size_t n, cap;
};

/* ---- compiler ---------------------------------------------------------- */

struct tpl_parser {
	struct tpl *t;
	const char *s;
	size_t len;
	size_t pos;          /* where the next search for a tag starts */
	size_t text_start;   /* first byte of the pending literal text */
	char open[TPL_MAX_DELIM + 1], close[TPL_MAX_DELIM + 1];
	size_t open_len, close_len;
	size_t stack[TPL_MAX_DEPTH];   /* node indexes of open sections */
	int depth;
	char *err;
	size_t errlen;
};

/* A tag as scanned: [start, end) with delimiters, sigil (0 for a plain
 * variable), and its trimmed content. */
struct tpl_tag {
	size_t start, end;
	char sigil;
	size_t name_off, name_len;
};

static unsigned tpl_line_of(const char *s, size_t pos)
{
	unsigned line = 1;

	for (size_t i = 0; i < pos; i++)
		line += s[i] == '\n';
	return line;
}

__attribute__((format(printf, 3, 4)))
static int tpl_error(struct tpl_parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->errlen)
		return -1;
	n = snprintf(p->err, p->errlen, "line %u: ", tpl_line_of(p->s, pos));
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int tpl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static struct tpl_node *tpl_add_node(struct tpl *t, int kind, size_t off, size_t len)
{
	struct tpl_node *nd;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->nodes = realloc(t->nodes, t->cap * sizeof(*t->nodes));
		if (!t->nodes)
			abort();
	}
	nd = &t->nodes[t->n++];
	memset(nd, 0, sizeof(*nd));
	nd->kind = (unsigned char)kind;
	nd->off = off;
	nd->len = len;
	return nd;
}

static int tpl_at_line_start(const char *s, size_t pos)
{
	return pos == 0 || s[pos - 1] == '\n';
}

static void tpl_add_text(struct tpl_parser *p, size_t from, size_t to)
{
	struct tpl_node *nd;

	if (to <= from)
		return;
	nd = tpl_add_node(p->t, TPL_TEXT, from, to - from);
	nd->line_start = (unsigned char)tpl_at_line_start(p->s, from);
}

/* Finds the end of the tag whose content starts at q; sets *term to where the
 * terminator begins and returns its length, or 0 when the tag is unclosed. */
static size_t tpl_find_close(const struct tpl_parser *p, size_t q, char sigil, size_t *term)
{
	char end[TPL_MAX_DELIM + 2];
	size_t n = 0;
	const char *hit;

	if (sigil == '{' || sigil == '=')
		end[n++] = sigil == '{' ? '}' : '=';
	memcpy(end + n, p->close, p->close_len);
	n += p->close_len;
	hit = memmem(p->s + q, p->len - q, end, n);
	if (!hit)
		return 0;
	*term = (size_t)(hit - p->s);
	return n;
}

static int tpl_scan_tag(struct tpl_parser *p, size_t start, struct tpl_tag *tag)
{
	size_t q = start + p->open_len, term, tlen, a, b;

	tag->start = start;
	tag->sigil = 0;
	if (q < p->len && p->s[q] && strchr("#^/!>&{=", p->s[q]))
		tag->sigil = p->s[q++];
	tlen = tpl_find_close(p, q, tag->sigil, &term);
	if (!tlen)
		return tpl_error(p, start, "unclosed tag '%s' (no matching '%s%s')", p->open,
				 tag->sigil == '{' ? "}" : tag->sigil == '=' ? "=" : "", p->close);
	tag->end = term + tlen;
	for (a = q; a < term && tpl_is_space(p->s[a]); a++)
		;
	for (b = term; b > a && tpl_is_space(p->s[b - 1]); b--)
		;
	tag->name_off = a;
	tag->name_len = b - a;
	return 0;
}

static int tpl_check_name(struct tpl_parser *p, const struct tpl_tag *tag)
{
	if (!tag->name_len)
		return tpl_error(p, tag->start, "empty tag name");
	if (tag->name_len > TPL_MAX_NAME)
		return tpl_error(p, tag->start, "tag name longer than %d bytes", TPL_MAX_NAME);
	for (size_t i = 0; i < tag->name_len; i++) {
		unsigned char c = (unsigned char)p->s[tag->name_off + i];
		if (c <= ' ' || c == 0x7f)
			return tpl_error(p, tag->start, "bad character in tag name '%.*s'",
					 (int)(tag->name_len > 40 ? 40 : tag->name_len),
					 p->s + tag->name_off);
	}
	return 0;
}

/* A section, inverted, close, comment, partial or delimiter tag alone on its
 * line (besides blanks) is standalone: the whole line disappears. Sets *line to
 * where the line begins and *next to the first byte after its newline. */
static int tpl_standalone(const struct tpl_parser *p, const struct tpl_tag *tag,
			  size_t *line, size_t *next)
{
	const char *s = p->s;
	size_t b = tag->start, e = tag->end;

	if (!tag->sigil || tag->sigil == '&' || tag->sigil == '{')
		return 0;
	while (b > p->text_start && (s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	if (!tpl_at_line_start(s, b))
		return 0;
	while (e < p->len && (s[e] == ' ' || s[e] == '\t'))
		e++;
	if (e < p->len && s[e] == '\n')
		e++;
	else if (e + 1 < p->len && s[e] == '\r' && s[e + 1] == '\n')
		e += 2;
	else if (e < p->len)
		return 0;
	*line = b;
	*next = e;
	return 1;
}

static int tpl_parse_delim(struct tpl_parser *p, const struct tpl_tag *tag)
{
	const char *s = p->s + tag->name_off;
	size_t n = tag->name_len, a = 0, b, c;

	while (a < n && !tpl_is_space(s[a]))
		a++;
	for (b = a; b < n && tpl_is_space(s[b]); b++)
		;
	for (c = b; c < n && !tpl_is_space(s[c]); c++)
		;
	if (!a || b == a || c == b || c != n || a > TPL_MAX_DELIM || c - b > TPL_MAX_DELIM
	    || memchr(s, '=', a) || memchr(s + b, '=', c - b))
		return tpl_error(p, tag->start, "bad delimiter tag: expected "
				 "'%s=OPEN CLOSE=%s' with two delimiters of at most %d bytes "
				 "and no '=' or spaces inside", p->open, p->close, TPL_MAX_DELIM);
	memcpy(p->open, s, a);
	p->open[a] = '\0';
	p->open_len = a;
	memcpy(p->close, s + b, c - b);
	p->close[c - b] = '\0';
	p->close_len = c - b;
	return 0;
}

static int tpl_open_section(struct tpl_parser *p, const struct tpl_tag *tag, int standalone)
{
	struct tpl_node *nd;

	if (p->depth >= TPL_MAX_DEPTH)
		return tpl_error(p, tag->start, "sections nested deeper than %d levels",
				 TPL_MAX_DEPTH);
	nd = tpl_add_node(p->t, tag->sigil == '#' ? TPL_SECTION : TPL_INVERTED,
			  tag->name_off, tag->name_len);
	nd->line_start = (unsigned char)(!standalone && tpl_at_line_start(p->s, tag->start));
	p->stack[p->depth++] = p->t->n - 1;
	return 0;
}

static int tpl_close_section(struct tpl_parser *p, const struct tpl_tag *tag, int standalone)
{
	const struct tpl_node *open;
	const char *name = p->s + tag->name_off;
	int n = (int)(tag->name_len > 40 ? 40 : tag->name_len);

	if (!p->depth)
		return tpl_error(p, tag->start, "close tag '/%.*s' without an open section",
				 n, name);
	open = &p->t->nodes[p->stack[p->depth - 1]];
	if (open->len != tag->name_len || memcmp(p->s + open->off, name, open->len))
		return tpl_error(p, tag->start, "close tag '/%.*s' does not match "
				 "section '%.*s' opened on line %u", n, name,
				 (int)(open->len > 40 ? 40 : open->len), p->s + open->off,
				 tpl_line_of(p->s, open->off));
	if (!standalone && tpl_at_line_start(p->s, tag->start))
		tpl_add_node(p->t, TPL_NOP, tag->start, 0)->line_start = 1;
	p->t->nodes[p->stack[--p->depth]].end = p->t->n;
	return 0;
}

static int tpl_add_tag(struct tpl_parser *p, const struct tpl_tag *tag,
		       int standalone, size_t line)
{
	struct tpl_node *nd;
	int lead = !standalone && tpl_at_line_start(p->s, tag->start);

	if (tag->sigil == '!' || tag->sigil == '=') {
		if (tag->sigil == '=' && tpl_parse_delim(p, tag) < 0)
			return -1;
		if (lead)
			tpl_add_node(p->t, TPL_NOP, tag->start, 0)->line_start = 1;
		return 0;
	}
	if (tpl_check_name(p, tag) < 0)
		return -1;
	if (tag->sigil == '#' || tag->sigil == '^')
		return tpl_open_section(p, tag, standalone);
	if (tag->sigil == '/')
		return tpl_close_section(p, tag, standalone);
	nd = tpl_add_node(p->t, tag->sigil == '>' ? TPL_PARTIAL :
			  tag->sigil ? TPL_RAW : TPL_VAR, tag->name_off, tag->name_len);
	nd->line_start = (unsigned char)lead;
	if (standalone) {
		nd->standalone = 1;
		nd->ind_off = line;
		nd->ind_len = tag->start - line;
	}
	return 0;
}

/* One step of the scan: the text up to the next tag, then the tag. Returns 1
 * when the source is exhausted, 0 to go on, -1 on error. */
static int tpl_parse_step(struct tpl_parser *p)
{
	const char *hit = memmem(p->s + p->pos, p->len - p->pos, p->open, p->open_len);
	struct tpl_tag tag = { 0 };
	size_t line = 0, next = 0;
	int standalone;

	if (!hit) {
		tpl_add_text(p, p->text_start, p->len);
		return 1;
	}
	if (tpl_scan_tag(p, (size_t)(hit - p->s), &tag) < 0)
		return -1;
	standalone = tpl_standalone(p, &tag, &line, &next);
	tpl_add_text(p, p->text_start, standalone ? line : tag.start);
	if (tpl_add_tag(p, &tag, standalone, line) < 0)
		return -1;
	p->pos = p->text_start = standalone ? next : tag.end;
	return 0;
}

/* Copies every tag name, NUL-terminated, into t->names once at compile time: the
 * renderer looks names up thousands of times per page. */
static void tpl_index_names(struct tpl *t)
{
	size_t total = 1, at = 0;

	for (size_t i = 0; i < t->n; i++)
		total += t->nodes[i].kind == TPL_TEXT || t->nodes[i].kind == TPL_NOP ? 0 : t->nodes[i].len + 1;
	t->names = malloc(total);
	if (!t->names)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		struct tpl_node *nd = &t->nodes[i];
		if (nd->kind == TPL_TEXT || nd->kind == TPL_NOP)
			continue;
		memcpy(t->names + at, t->src + nd->off, nd->len);
		t->names[at + nd->len] = '\0';
		nd->name = at;
		nd->dotted = nd->len > 1 && memchr(t->src + nd->off, '.', nd->len) != NULL;
		at += nd->len + 1;
	}
	t->names[at] = '\0';
}

static int tpl_parse(struct tpl_parser *p)
{
	int rc;

	while ((rc = tpl_parse_step(p)) == 0)
		;
	if (rc < 0)
		return -1;
	if (p->depth) {
		const struct tpl_node *open = &p->t->nodes[p->stack[p->depth - 1]];
		return tpl_error(p, open->off, "unclosed section '%.*s'",
				 (int)(open->len > 40 ? 40 : open->len), p->s + open->off);
	}
	return 0;
}

struct tpl *tpl_compile(const char *src, size_t len, char *err, size_t errlen)
{
	struct tpl_parser p;
	struct tpl *t;

	if (len > TPL_MAX_SOURCE) {
		snprintf(err, errlen, "template larger than %u bytes", TPL_MAX_SOURCE);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->src = malloc(len + 1)))
		abort();
	if (len)
		memcpy(t->src, src, len);
	t->src[len] = '\0';
	t->src_len = len;
	memset(&p, 0, sizeof(p));
	p.t = t;
	p.s = t->src;
	p.len = len;
	strcpy(p.open, "{{");
	strcpy(p.close, "}}");
	p.open_len = p.close_len = 2;
	p.err = err;
	p.errlen = errlen;
	if (tpl_parse(&p) < 0) {
		tpl_free(t);
		return NULL;
	}
	tpl_index_names(t);
	return t;
}

void tpl_free(struct tpl *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->names);
	free(t->src);
	free(t);
}

/* ---- renderer ---------------------------------------------------------- */

struct tpl_render {
	const struct tpl_data *data;
	const struct tpl_render_opts *opts;
	struct buf *out;
	size_t out_start, max_output;
	unsigned long steps, max_steps;
	const void **stack;          /* context stack, top at n - 1 */
	size_t n, cap;
	size_t base;                 /* lookups see stack[base, n): a partial with its own data hides the rest */
	struct buf scratch;          /* a value's text before escaping */
	struct buf indent;           /* nested partial indentation... */
	size_t ind_base;             /* ...of which [ind_base, len) applies now */
	int depth, partial_depth;
	char *err;
	size_t errlen;
};

static int tpl_render_range(struct tpl_render *r, const struct tpl *t, size_t from, size_t to);

__attribute__((format(printf, 2, 3)))
static int tpl_rerror(struct tpl_render *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void tpl_push(struct tpl_render *r, const void *v)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->stack = realloc(r->stack, r->cap * sizeof(*r->stack));
		if (!r->stack)
			abort();
	}
	r->stack[r->n++] = v;
}

static void tpl_node_name(const struct tpl *t, const struct tpl_node *nd, char *name)
{
	memcpy(name, t->src + nd->off, nd->len);
	name[nd->len] = '\0';
}

/* Resolves a (dotted) name: the first component in the nearest context that
 * has it, the rest strictly inside that value. NULL when missing. */
static const void *tpl_lookup(struct tpl_render *r, const struct tpl *t,
			      const struct tpl_node *nd)
{
	const struct tpl_data_ops *ops = r->data->ops;
	char name[TPL_MAX_NAME + 1], *part, *dot;
	const char *first = t->names + nd->name;
	const void *v = NULL;

	if (r->n <= r->base)
		return NULL;
	if (nd->len == 1 && first[0] == '.')
		return r->stack[r->n - 1];
	if (nd->dotted) {
		tpl_node_name(t, nd, name);
		dot = strchr(name, '.');
		*dot = '\0';
		first = name;
	} else {
		dot = NULL;
	}
	for (size_t i = r->n; i-- > r->base && !v;)
		v = r->stack[i] ? ops->lookup(r->data->closure, r->stack[i], first) : NULL;
	for (part = dot ? dot + 1 : NULL; v && part; part = dot ? dot + 1 : NULL) {
		dot = strchr(part, '.');
		if (dot)
			*dot = '\0';
		v = ops->lookup(r->data->closure, v, part);
	}
	return v;
}

static void tpl_emit_indent(struct tpl_render *r)
{
	if (r->indent.len > r->ind_base)
		buf_add(r->out, r->indent.data + r->ind_base, r->indent.len - r->ind_base);
}

/* Literal text; inside an indented partial every line after a newline gets the
 * indentation (the line after a trailing newline belongs to the next node). */
static void tpl_emit_text(struct tpl_render *r, const struct tpl *t, const struct tpl_node *nd)
{
	const char *s = t->src + nd->off, *end = s + nd->len, *nl;

	if (r->indent.len <= r->ind_base) {
		buf_add(r->out, s, nd->len);
		return;
	}
	while ((nl = memchr(s, '\n', (size_t)(end - s))) && nl + 1 < end) {
		buf_add(r->out, s, (size_t)(nl + 1 - s));
		tpl_emit_indent(r);
		s = nl + 1;
	}
	buf_add(r->out, s, (size_t)(end - s));
}

static void tpl_emit_value(struct tpl_render *r, const struct tpl *t, const struct tpl_node *nd)
{
	const void *v = tpl_lookup(r, t, nd);

	if (!v)
		return;
	if (nd->kind == TPL_RAW) {
		r->data->ops->stringify(r->data->closure, v, r->out);
		return;
	}
	buf_reset(&r->scratch);
	r->data->ops->stringify(r->data->closure, v, &r->scratch);
	buf_add_html(r->out, buf_str(&r->scratch), r->scratch.len);
}

static int tpl_render_children(struct tpl_render *r, const struct tpl *t, size_t i,
			       const void *ctx)
{
	int rc;

	if (ctx)
		tpl_push(r, ctx);
	rc = tpl_render_range(r, t, i + 1, t->nodes[i].end);
	if (ctx)
		r->n--;
	return rc;
}

static int tpl_render_section(struct tpl_render *r, const struct tpl *t, size_t i)
{
	const struct tpl_data_ops *ops = r->data->ops;
	void *cl = r->data->closure;
	const void *v = tpl_lookup(r, t, &t->nodes[i]), *item = NULL;
	int list = v ? ops->iterate(cl, v, 0, &item) : -1;

	if (t->nodes[i].kind == TPL_INVERTED) {
		if (!v || list == 0 || (list < 0 && !ops->truthy(cl, v)))
			return tpl_render_children(r, t, i, NULL);
		return 0;
	}
	if (!v)
		return 0;
	if (list < 0)
		return ops->truthy(cl, v) ? tpl_render_children(r, t, i, v) : 0;
	for (size_t k = 1; list == 1; k++) {
		if (tpl_render_children(r, t, i, item) < 0)
			return -1;
		if (++r->steps > r->max_steps)
			return tpl_rerror(r, "rendering took more than %lu steps", r->max_steps);
		list = ops->iterate(cl, v, k, &item);
	}
	return 0;
}

/* A partial with a data source of its own: its root starts a fresh context stack
 * (the contexts below it use another backend, so they must stay out of reach). */
static int tpl_render_own(struct tpl_render *r, const struct tpl *p, const struct tpl_data *own)
{
	const struct tpl_data *data = r->data;
	size_t base = r->base;
	int rc;

	r->data = own;
	r->base = r->n;
	tpl_push(r, own->root);
	rc = tpl_render_range(r, p, 0, p->n);
	r->n = r->base;
	r->base = base;
	r->data = data;
	return rc;
}

static int tpl_render_partial(struct tpl_render *r, const struct tpl *t, const struct tpl_node *nd)
{
	const struct tpl_data *own;
	char name[TPL_MAX_NAME + 1];
	const struct tpl *p = NULL;
	size_t old_len = r->indent.len, old_base = r->ind_base;
	int rc;

	tpl_node_name(t, nd, name);
	if (r->partial_depth >= TPL_MAX_PARTIAL_DEPTH)
		return tpl_rerror(r, "partial '%s' nested deeper than %d levels",
				  name, TPL_MAX_PARTIAL_DEPTH);
	if (r->opts && r->opts->partial &&
	    r->opts->partial(r->opts->partial_closure, name, &p, r->err, r->errlen) < 0)
		return -1;
	if (!p)
		return 0;
	if (nd->standalone)
		buf_add(&r->indent, t->src + nd->ind_off, nd->ind_len);
	else
		r->ind_base = r->indent.len;
	own = r->opts && r->opts->partial_data
	      ? r->opts->partial_data(r->opts->partial_data_closure, name) : NULL;
	r->partial_depth++;
	rc = own ? tpl_render_own(r, p, own) : tpl_render_range(r, p, 0, p->n);
	r->partial_depth--;
	r->indent.len = old_len;
	if (r->indent.data)
		r->indent.data[old_len] = '\0';
	r->ind_base = old_base;
	return rc;
}

static int tpl_render_node(struct tpl_render *r, const struct tpl *t, size_t i)
{
	const struct tpl_node *nd = &t->nodes[i];

	if (nd->line_start)
		tpl_emit_indent(r);
	switch (nd->kind) {
	case TPL_TEXT:
		tpl_emit_text(r, t, nd);
		return 0;
	case TPL_VAR:
	case TPL_RAW:
		tpl_emit_value(r, t, nd);
		return 0;
	case TPL_SECTION:
	case TPL_INVERTED:
		return tpl_render_section(r, t, i);
	case TPL_PARTIAL:
		return tpl_render_partial(r, t, nd);
	default:
		return 0;
	}
}

/* The node after i at the same level: a section's children are skipped. */
static size_t tpl_next(const struct tpl *t, size_t i)
{
	int kind = t->nodes[i].kind;

	return kind == TPL_SECTION || kind == TPL_INVERTED ? t->nodes[i].end : i + 1;
}

static int tpl_render_range(struct tpl_render *r, const struct tpl *t, size_t from, size_t to)
{
	int rc = 0;

	if (++r->depth > TPL_MAX_RENDER_DEPTH)
		rc = tpl_rerror(r, "templates nested deeper than %d levels while rendering",
				TPL_MAX_RENDER_DEPTH);
	for (size_t i = from; i < to && rc == 0; i = tpl_next(t, i)) {
		if (++r->steps > r->max_steps)
			rc = tpl_rerror(r, "rendering took more than %lu steps", r->max_steps);
		else if ((rc = tpl_render_node(r, t, i)) == 0 &&
			 r->out->len - r->out_start > r->max_output)
			rc = tpl_rerror(r, "rendered output larger than %zu bytes", r->max_output);
	}
	r->depth--;
	return rc;
}

int tpl_render(const struct tpl *t, const struct tpl_data *data,
	       const struct tpl_render_opts *opts, struct buf *out,
	       char *err, size_t errlen)
{
	struct tpl_render r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.data = data;
	r.opts = opts;
	r.out = out;
	r.out_start = out->len;
	r.max_output = opts && opts->max_output ? opts->max_output : TPL_DEFAULT_OUTPUT;
	r.max_steps = opts && opts->max_steps ? opts->max_steps : TPL_DEFAULT_STEPS;
	r.err = err;
	r.errlen = errlen;
	tpl_push(&r, data->root);
	rc = tpl_render_range(&r, t, 0, t->n);
	free(r.stack);
	buf_free(&r.scratch);
	buf_free(&r.indent);
	return rc;
}
