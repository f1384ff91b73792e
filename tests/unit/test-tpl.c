/* Template engine behaviour beyond the spec: escaping of hostile data, data never
 * re-interpreted as template, compile errors with line numbers, bounded nesting,
 * recursion and work, template sets from a folder, and a struct-backed ops table. */
#include "test.h"
#include "tpl.h"
#include "tpl_view.h"
#include "arena.h"
#include "buf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Renders src against JSON text; the output or NULL (err filled) in *out. */
static int render(const char *src, const char *json, struct tpl_set *partials,
		  struct buf *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *data = json_loads(json, JSON_DECODE_ANY, &jerr);
	struct tpl *t = tpl_compile(src, strlen(src), err, errlen);
	int rc = -1;

	if (!data)
		snprintf(err, errlen, "bad test JSON: %s", jerr.text);
	else if (t)
		rc = tpl_render_json_tpl(t, partials, data, out, err, errlen);
	tpl_free(t);
	json_decref(data);
	return rc;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -1;
	f = fopen(path, "w");
	free(path);
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

TEST(hostile_data_is_escaped)
{
	struct buf out = BUF_INIT;
	char err[256];
	int rc = render("<p title=\"{{t}}\">{{s}}</p>|{{q}}",
			"{\"s\": \"<script>alert(1)</script>\", \"t\": \"\\\" onclick='x'\","
			" \"q\": \"Tom's \\\"A&B\\\"\"}", NULL, &out, err, sizeof(err));

	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(buf_str(&out), "<p title=\"&quot; onclick=&#39;x&#39;\">"
		     "&lt;script&gt;alert(1)&lt;/script&gt;</p>|Tom&#39;s &quot;A&amp;B&quot;");
	ASSERT_NOT_CONTAINS(buf_str(&out), "<script>");
	buf_free(&out);
}

TEST(raw_tags_do_not_escape)
{
	struct buf out = BUF_INIT;
	char err[256];

	ASSERT_EQ(render("{{{h}}}{{&h}}", "{\"h\": \"<b>'\\\"&</b>\"}", NULL, &out, err,
			 sizeof(err)), 0);
	ASSERT_STREQ(buf_str(&out), "<b>'\"&</b><b>'\"&</b>");
	buf_free(&out);
}

TEST(data_is_not_reinterpreted)
{
	struct buf out = BUF_INIT;
	char err[256];
	int rc = render("{{x}}|{{{x}}}|{{#l}}{{.}}{{/l}}",
			"{\"x\": \"{{y}}{{>p}}{{=| |=}}\", \"y\": \"BAD\", \"l\": [\"{{y}}\"]}",
			NULL, &out, err, sizeof(err));

	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(buf_str(&out), "{{y}}{{&gt;p}}{{=| |=}}|{{y}}{{>p}}{{=| |=}}|{{y}}");
	ASSERT_NOT_CONTAINS(buf_str(&out), "BAD");
	buf_free(&out);
}

TEST(scalars_print_like_the_spec)
{
	struct buf out = BUF_INIT;
	char err[256];
	int rc = render("{{i}} {{n}} {{r}} {{s}} {{b}} {{f}} [{{z}}] [{{o}}] [{{a}}] {{big}}",
			"{\"i\": 85, \"n\": -3, \"r\": 1.5, \"s\": 0.1, \"b\": true, \"f\": false,"
			" \"z\": null, \"o\": {\"k\": 1}, \"a\": [1], \"big\": 9007199254740993}",
			NULL, &out, err, sizeof(err));

	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(buf_str(&out), "85 -3 1.5 0.1 true false [] [] [] 9007199254740993");
	buf_free(&out);
}

TEST(truthiness)
{
	struct buf out = BUF_INIT;
	char err[256];
	int rc = render("{{#e}}E{{/e}}{{^e}}e{{/e}}{{#z}}Z{{/z}}{{#l}}L{{/l}}{{^l}}l{{/l}}"
			"{{#m}}M{{/m}}{{^m}}m{{/m}}", "{\"e\": \"\", \"z\": 0, \"l\": []}",
			NULL, &out, err, sizeof(err));

	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(buf_str(&out), "eZlm");
	buf_free(&out);
}

/* Each bad template and the message its error must contain. */
TEST(compile_errors_name_the_line)
{
	static const char *const cases[][2] = {
		{ "a\n{{#items}}\nb\n", "line 2: unclosed section 'items'" },
		{ "{{#a}}\n\n{{/b}}", "line 3: close tag '/b' does not match section 'a' opened on line 1" },
		{ "x\n{{/a}}", "line 2: close tag '/a' without an open section" },
		{ "x\n\ny {{=<% =}}", "line 3: bad delimiter" },
		{ "{{=<% %>=}}\n<%x", "line 2: unclosed tag '<%'" },
		{ "ok\n{{ }}", "line 2: empty tag name" },
		{ "{{a b}}", "line 1: bad character in tag name" },
		{ "{{{x}}", "line 1: unclosed tag" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tpl *t = tpl_compile(cases[i][0], strlen(cases[i][0]), err, sizeof(err));
		ASSERT_MSG(!t, "compiled: %s", cases[i][0]);
		ASSERT_CONTAINS(err, cases[i][1]);
	}
}

static char *nested(int depth)
{
	struct buf b = BUF_INIT;

	for (int i = 0; i < depth; i++)
		buf_adds(&b, "{{#a}}");
	buf_adds(&b, "{{x}}");
	for (int i = 0; i < depth; i++)
		buf_adds(&b, "{{/a}}");
	return buf_steal(&b);
}

TEST(deep_nesting_refused)
{
	char err[256], *ok = nested(TPL_MAX_DEPTH), *bad = nested(TPL_MAX_DEPTH + 1);
	struct tpl *t = tpl_compile(ok, strlen(ok), err, sizeof(err));
	struct tpl *t2 = tpl_compile(bad, strlen(bad), err, sizeof(err));
	struct buf out = BUF_INIT;
	json_t *data = json_pack("{s:b, s:s}", "a", 1, "x", "deep");
	int rc = t ? tpl_render_json_tpl(t, NULL, data, &out, err, sizeof(err)) : -1;

	free(ok);
	free(bad);
	tpl_free(t);
	tpl_free(t2);
	json_decref(data);
	ASSERT_EQ(rc, 0);
	ASSERT_STREQ(buf_str(&out), "deep");
	ASSERT(!t2);
	ASSERT_CONTAINS(err, "nested deeper than 64");
	buf_free(&out);
}

TEST(recursive_partials_bounded)
{
	struct tpl_set *set = tpl_set_new();
	struct buf out = BUF_INIT;
	json_t *data = json_object();
	char err[256] = "";
	int rc;

	ASSERT_EQ(tpl_set_add(set, "self", "x{{>self}}", 10, err, sizeof(err)), 0);
	ASSERT_EQ(tpl_set_add(set, "ping", "{{>pong}}", 9, err, sizeof(err)), 0);
	ASSERT_EQ(tpl_set_add(set, "pong", "{{>ping}}", 9, err, sizeof(err)), 0);
	rc = tpl_render_json(set, "self", data, &out, err, sizeof(err));
	ASSERT_EQ(rc, -1);
	ASSERT_CONTAINS(err, "partial 'self' nested deeper than 32 levels");
	err[0] = '\0';
	buf_reset(&out);
	rc = tpl_render_json(set, "ping", data, &out, err, sizeof(err));
	ASSERT_EQ(rc, -1);
	ASSERT_CONTAINS(err, "nested deeper than 32");
	ASSERT_EQ(tpl_render_json(set, "nope", data, &out, err, sizeof(err)), -1);
	ASSERT_CONTAINS(err, "no template named 'nope'");
	json_decref(data);
	tpl_set_free(set);
	buf_free(&out);
}

TEST(exponential_work_bounded)
{
	const char *src = "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{.}}"
			  "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}";
	json_t *data = json_pack("{s:[iiiiiiii]}", "l", 1, 2, 3, 4, 5, 6, 7, 8);
	struct tpl_data d = { &tpl_json_ops, NULL, data };
	struct tpl_render_opts opts = { .max_steps = 100000 };
	struct tpl_render_opts small = { .max_output = 1000 };
	struct buf out = BUF_INIT;
	char err[256];
	struct tpl *t = tpl_compile(src, strlen(src), err, sizeof(err));
	int rc = t ? tpl_render(t, &d, &opts, &out, err, sizeof(err)) : 0;

	ASSERT_EQ(rc, -1);
	ASSERT_CONTAINS(err, "more than 100000 steps");
	buf_reset(&out);
	ASSERT_EQ(tpl_render(t, &d, &small, &out, err, sizeof(err)), -1);
	ASSERT_CONTAINS(err, "larger than 1000 bytes");
	ASSERT(out.len < 2000);
	tpl_free(t);
	json_decref(data);
	buf_free(&out);
}

TEST(set_from_folder_with_layout_and_partial)
{
	char dir[512], err[256] = "";
	struct tpl_set *set;
	struct buf out = BUF_INIT;
	json_t *data = json_pack("{s:s, s:[s,s]}", "title", "A<B", "vms", "vm1", "vm'2");

	snprintf(dir, sizeof(dir), "%s/tpl-ok", test_tmpdir());
	ASSERT_EQ(mkdir(dir, 0700), 0);
	ASSERT_EQ(write_file(dir, "layout.mustache",
			     "<html>\n  <body>\n    {{> header}}\n    <ul>\n"
			     "    {{#vms}}\n      {{> item}}\n    {{/vms}}\n    </ul>\n  </body>\n</html>\n"), 0);
	ASSERT_EQ(write_file(dir, "header.mustache", "<h1>{{title}}</h1>\n<hr>\n"), 0);
	ASSERT_EQ(write_file(dir, "item.mustache", "<li>{{.}}</li>\n"), 0);
	ASSERT_EQ(write_file(dir, "notes.txt", "{{#broken"), 0);
	set = tpl_set_load(dir, err, sizeof(err));
	ASSERT_MSG(set, "tpl_set_load: %s", err);
	ASSERT(tpl_set_get(set, "header"));
	ASSERT(!tpl_set_get(set, "notes"));
	ASSERT_EQ(tpl_render_json(set, "layout", data, &out, err, sizeof(err)), 0);
	ASSERT_STREQ(buf_str(&out), "<html>\n  <body>\n    <h1>A&lt;B</h1>\n    <hr>\n    <ul>\n"
		     "      <li>vm1</li>\n      <li>vm&#39;2</li>\n    </ul>\n  </body>\n</html>\n");
	json_decref(data);
	tpl_set_free(set);
	buf_free(&out);
}

TEST(set_load_reports_file_and_line)
{
	char dir[512], err[256] = "";

	snprintf(dir, sizeof(dir), "%s/tpl-bad", test_tmpdir());
	ASSERT_EQ(mkdir(dir, 0700), 0);
	ASSERT_EQ(write_file(dir, "page.mustache", "<p>\n{{#rows}}\n</p>\n"), 0);
	ASSERT(!tpl_set_load(dir, err, sizeof(err)));
	ASSERT_CONTAINS(err, "page.mustache: line 2: unclosed section 'rows'");
	ASSERT(!tpl_set_load("/nonexistent/tpl", err, sizeof(err)));
	ASSERT_CONTAINS(err, "/nonexistent/tpl: ");
}

TEST(free_null_is_noop)
{
	tpl_free(NULL);
	tpl_set_free(NULL);
	ASSERT(!tpl_set_get(NULL, "x"));
}

/* A page can render from its own structs: a tiny ops table over a C array,
 * where a value is the array, a row, or a pointer to one of a row's fields. */
struct row { const char *name; int cpu; };
struct rows { const struct row *v; size_t n; };

static const void *rows_lookup(void *closure, const void *value, const char *name)
{
	const struct rows *all = closure;
	const struct row *r = value;

	if (value == all)
		return strcmp(name, "rows") ? NULL : all;
	if (!strcmp(name, "name"))
		return &r->name;
	return strcmp(name, "cpu") ? NULL : (const void *)&r->cpu;
}

static int rows_truthy(void *closure, const void *value) { return 1; }

static int rows_iterate(void *closure, const void *value, size_t i, const void **item)
{
	const struct rows *all = closure;

	if (value != all)
		return -1;
	if (i >= all->n)
		return 0;
	*item = &all->v[i];
	return 1;
}

static void rows_stringify(void *closure, const void *value, struct buf *out)
{
	const struct rows *all = closure;
	size_t at = ((uintptr_t)value - (uintptr_t)all->v) % sizeof(struct row);

	if (at == offsetof(struct row, name))
		buf_adds(out, *(const char *const *)value);
	else
		buf_printf(out, "%d", *(const int *)value);
}

TEST(struct_backed_ops)
{
	static const struct row v[] = { { "db<1>", 7 }, { "web", 42 } };
	struct rows all = { v, 2 };
	static const struct tpl_data_ops ops = { rows_lookup, rows_truthy, rows_iterate,
						 rows_stringify };
	struct tpl_data d = { &ops, &all, &all };
	const char *src = "{{#rows}}{{name}}={{cpu}};{{/rows}}";
	char err[256];
	struct tpl *t = tpl_compile(src, strlen(src), err, sizeof(err));
	struct buf out = BUF_INIT;

	ASSERT(t);
	ASSERT_EQ(tpl_render(t, &d, NULL, &out, err, sizeof(err)), 0);
	ASSERT_STREQ(buf_str(&out), "db&lt;1&gt;=7;web=42;");
	tpl_free(t);
	buf_free(&out);
}

/* A partial with its own data (tpl_render_json_own): the page is JSON, the rows
 * come from the C array; indentation and escaping apply inside, and the JSON
 * outside is out of reach (title prints nothing there). */
TEST(partial_with_own_data)
{
	static const struct row v[] = { { "db<1>", 7 }, { "web", 42 } };
	static const struct tpl_data_ops ops = { rows_lookup, rows_truthy, rows_iterate,
						 rows_stringify };
	struct rows all = { v, 2 };
	struct tpl_own_partial own = { "rows", { &ops, &all, &all }, NULL };
	struct tpl_set *set = tpl_set_new();
	struct buf out = BUF_INIT;
	json_t *data = json_pack("{s:s}", "title", "T&");
	const char *page = "<ul>\n  {{>rows}}\n</ul>{{title}}";
	const char *rows = "{{#rows}}\n<li>{{name}}={{cpu}}{{title}}</li>\n{{/rows}}\n";
	char err[256];

	ASSERT_EQ(tpl_set_add(set, "page", page, strlen(page), err, sizeof(err)), 0);
	ASSERT_EQ(tpl_set_add(set, "rows", rows, strlen(rows), err, sizeof(err)), 0);
	ASSERT_EQ(tpl_render_json_own(set, "page", data, &own, &out, err, sizeof(err)), 0);
	ASSERT_STREQ(buf_str(&out), "<ul>\n  <li>db&lt;1&gt;=7</li>\n  <li>web=42</li>\n</ul>T&amp;");
	/* Without own, the same partial renders from the JSON: no rows there. */
	buf_reset(&out);
	ASSERT_EQ(tpl_render_json(set, "page", data, &out, err, sizeof(err)), 0);
	ASSERT_STREQ(buf_str(&out), "<ul>\n</ul>T&amp;");
	ASSERT_EQ(tpl_render_json_own(set, "nope", data, &own, &out, err, sizeof(err)), -1);
	ASSERT_STREQ(err, "no template named 'nope'");
	json_decref(data);
	tpl_set_free(set);
	buf_free(&out);
}

TEST(nested_standalone_partials_indent)
{
	struct tpl_set *set = tpl_set_new();
	struct buf out = BUF_INIT;
	char err[256];
	const char *outer = "<div>\n  {{>inner}}\n</div>\n", *inner = "<p>\n{{! c }}\nx\n</p>\n";

	ASSERT_EQ(tpl_set_add(set, "outer", outer, strlen(outer), err, sizeof(err)), 0);
	ASSERT_EQ(tpl_set_add(set, "inner", inner, strlen(inner), err, sizeof(err)), 0);
	ASSERT_EQ(render("<body>\n  {{>outer}}\n</body>", "{}", set, &out, err, sizeof(err)), 0);
	ASSERT_STREQ(buf_str(&out), "<body>\n  <div>\n    <p>\n    x\n    </p>\n  </div>\n</body>");
	tpl_set_free(set);
	buf_free(&out);
}

/* Arena view values (tpl_view.h) render like the same data in JSON: maps, lists,
 * text, true, missing keys as false, empty text and empty lists falsy, hostile text
 * escaped; a chain of partials with data of their own, one nested in another. */
TEST(view_values_render_like_json)
{
	const char *page = "{{>form}}|{{>grid}}|{{title}}";
	const char *form = "{{#f.multi}}M{{/f.multi}}{{^f.none}}N{{/f.none}}{{#f.vcs}}[{{id}}{{#checked}}*{{/checked}}]{{/f.vcs}}"
			   "{{^f.empty}}E{{/f.empty}}{{#f.blank}}B{{/f.blank}}{{q}}{{{q}}}";
	const char *grid = "{{#pager}}{{page}}/{{pages}}{{#next}}>{{next}}{{/next}}{{/pager}}{{>rows}}{{flag}}";
	const char *rows = "{{#rows}}<{{.}}>{{/rows}}{{q}}";
	struct arena a = ARENA_INIT;
	struct tpl_view *d = tpl_view_map(&a, 6), *f = tpl_view_map(&a, 4), *vcs = tpl_view_list(&a, 2);
	struct tpl_view *vc1 = tpl_view_map(&a, 2), *vc2 = tpl_view_map(&a, 2), *p = tpl_view_map(&a, 3);
	struct tpl_view *r = tpl_view_map(&a, 1), *rl = tpl_view_list(&a, 2);
	struct tpl_set *set = tpl_set_new();
	struct buf out = BUF_INIT;
	json_t *data = json_pack("{s:s}", "title", "T");
	char err[256];

	tpl_view_sets(&a, vc1, "id", "a<b");
	tpl_view_setb(vc1, "checked", 1);
	tpl_view_sets(&a, vc2, "id", "c");
	tpl_view_setb(vc2, "checked", 0);
	tpl_view_add(vcs, vc1);
	tpl_view_add(vcs, vc2);
	tpl_view_add(vcs, NULL);
	tpl_view_setb(f, "multi", 1);
	tpl_view_set(f, "vcs", vcs);
	tpl_view_set(f, "empty", tpl_view_list(&a, 0));
	tpl_view_sets(&a, f, "blank", "");
	tpl_view_set(d, "f", f);
	tpl_view_sets(&a, d, "q", "\"'&");
	tpl_view_set(p, "page", tpl_view_int(&a, 2));
	tpl_view_set(p, "pages", tpl_view_int(&a, 12));
	tpl_view_sets(&a, p, "next", "/x?a=1&b=2");
	tpl_view_set(d, "pager", p);
	tpl_view_add(rl, tpl_view_text(&a, "r1"));
	tpl_view_add(rl, tpl_view_text(&a, NULL));
	tpl_view_add(rl, tpl_view_text(&a, "<r2>"));
	tpl_view_set(r, "rows", rl);

	struct tpl_own_partial own_rows = { "rows", { &tpl_view_ops, NULL, r }, NULL };
	struct tpl_own_partial own_grid = { "grid", { &tpl_view_ops, NULL, d }, &own_rows };
	struct tpl_own_partial own_form = { "form", { &tpl_view_ops, NULL, d }, &own_grid };

	ASSERT_EQ(tpl_set_add(set, "page", page, strlen(page), err, sizeof(err)), 0);
	ASSERT_EQ(tpl_set_add(set, "form", form, strlen(form), err, sizeof(err)), 0);
	ASSERT_EQ(tpl_set_add(set, "grid", grid, strlen(grid), err, sizeof(err)), 0);
	ASSERT_EQ(tpl_set_add(set, "rows", rows, strlen(rows), err, sizeof(err)), 0);
	ASSERT_EQ(tpl_render_json_own(set, "page", data, &own_form, &out, err, sizeof(err)), 0);
	ASSERT_STREQ(buf_str(&out), "MN[a&lt;b*][c]E&quot;&#39;&amp;\"'&|2/12>/x?a=1&amp;b=2<r1><&lt;r2&gt;>|T");
	/* The same templates from the equivalent JSON. */
	json_t *j = json_pack("{s:s,s:{s:b,s:[{s:s,s:b},{s:s,s:b}],s:[],s:s},s:s,s:{s:i,s:i,s:s},s:[s,s]}",
			      "title", "T", "f", "multi", 1, "vcs", "id", "a<b", "checked", 1, "id", "c",
			      "checked", 0, "empty", "blank", "", "q", "\"'&", "pager", "page", 2, "pages", 12,
			      "next", "/x?a=1&b=2", "rows", "r1", "<r2>");
	struct buf jout = BUF_INIT;
	ASSERT_EQ(tpl_render_json(set, "page", j, &jout, err, sizeof(err)), 0);
	/* (there the rows see the page's q: JSON partials share the context) */
	ASSERT_STREQ(buf_str(&jout), "MN[a&lt;b*][c]E&quot;&#39;&amp;\"'&|2/12>/x?a=1&amp;b=2<r1><&lt;r2&gt;>&quot;&#39;&amp;|T");
	json_decref(j);
	json_decref(data);
	tpl_set_free(set);
	buf_free(&out);
	buf_free(&jout);
	arena_free(&a);
}

TEST_MAIN(T(hostile_data_is_escaped), T(raw_tags_do_not_escape), T(data_is_not_reinterpreted),
	  T(scalars_print_like_the_spec), T(truthiness), T(compile_errors_name_the_line),
	  T(deep_nesting_refused), T(recursive_partials_bounded), T(exponential_work_bounded),
	  T(set_from_folder_with_layout_and_partial), T(set_load_reports_file_and_line),
	  T(free_null_is_noop), T(struct_backed_ops), T(partial_with_own_data),
	  T(nested_standalone_partials_indent), T(view_values_render_like_json))
