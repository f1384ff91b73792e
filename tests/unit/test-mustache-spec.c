/* Conformance of the template engine to the official Mustache spec: every case
 * of the required modules' JSON files, read from $MUSTACHE_SPEC_DIR (default
 * $VC_TOP/../shared/mustache-spec). Optional modules (files named ~*.json) are
 * not run; a missing folder or file is a failure, never a skip. */
#include "test.h"
#include "tpl.h"
#include "buf.h"

#include <dirent.h>
#include <jansson.h>

static const char *const spec_modules[] = {
	"interpolation", "sections", "inverted", "comments", "partials", "delimiters",
};
#define N_MODULES (sizeof(spec_modules) / sizeof(spec_modules[0]))

static int total_cases, total_passed;

static const char *spec_dir(char *path, size_t size)
{
	const char *dir = getenv("MUSTACHE_SPEC_DIR"), *top;

	if (dir && *dir)
		return dir;
	top = getenv("VC_TOP");
	if (!top)
		return NULL;
	snprintf(path, size, "%s/../shared/mustache-spec", top);
	return path;
}

static struct tpl_set *spec_partials(const json_t *partials, const char *test)
{
	struct tpl_set *set = tpl_set_new();
	const char *name;
	json_t *src;
	char err[256];

	json_object_foreach((json_t *)partials, name, src) {
		if (tpl_set_add(set, name, json_string_value(src), json_string_length(src),
				err, sizeof(err)) < 0)
			test_fail(__FILE__, __LINE__, "%s: partial %s: %s", test, name, err);
	}
	return set;
}

/* One spec case: 1 when the rendered output is exactly the expected text. */
static int spec_case(const char *module, const json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *expected = json_string_value(json_object_get(c, "expected"));
	json_t *tsrc = json_object_get(c, "template");
	struct tpl_set *partials = spec_partials(json_object_get(c, "partials"), name);
	struct buf out = BUF_INIT;
	char err[256] = "";
	struct tpl *t = tpl_compile(json_string_value(tsrc), json_string_length(tsrc),
				    err, sizeof(err));
	int ok = t && tpl_render_json_tpl(t, partials, json_object_get(c, "data"),
					  &out, err, sizeof(err)) == 0 &&
		 expected && !strcmp(buf_str(&out), expected);

	if (!ok)
		test_fail(__FILE__, __LINE__, "%s: \"%s\": expected \"%s\", got \"%s\"%s%s",
			  module, name, expected, buf_str(&out), *err ? ", error: " : "", err);
	buf_free(&out);
	tpl_free(t);
	tpl_set_free(partials);
	return ok;
}

static void spec_module(const char *module)
{
	char buf[1024], path[1200];
	const char *dir = spec_dir(buf, sizeof(buf));
	json_error_t jerr;
	json_t *root, *tests, *c;
	size_t i;
	int passed = 0;

	ASSERT_MSG(dir, "set MUSTACHE_SPEC_DIR or VC_TOP to find the Mustache spec");
	snprintf(path, sizeof(path), "%s/%s.json", dir, module);
	root = json_load_file(path, 0, &jerr);
	ASSERT_MSG(root, "%s: %s (the Mustache spec folder is required)", path, jerr.text);
	tests = json_object_get(root, "tests");
	if (!json_is_array(tests) || !json_array_size(tests)) {
		json_decref(root);
		ASSERT_MSG(0, "%s: no \"tests\" array", path);
	}
	json_array_foreach(tests, i, c)
		passed += spec_case(module, c);
	printf("  %s.json: %d of %zu cases passed\n", module, passed, json_array_size(tests));
	total_cases += (int)json_array_size(tests);
	total_passed += passed;
	json_decref(root);
}

TEST(interpolation) { spec_module("interpolation"); }
TEST(sections) { spec_module("sections"); }
TEST(inverted) { spec_module("inverted"); }
TEST(comments) { spec_module("comments"); }
TEST(partials) { spec_module("partials"); }
TEST(delimiters) { spec_module("delimiters"); }

/* A required module added to the spec later must not go unnoticed. */
TEST(no_unknown_required_module)
{
	char buf[1024];
	const char *dir = spec_dir(buf, sizeof(buf));
	struct dirent *de;
	DIR *d;
	int unknown = 0;

	ASSERT_MSG(dir, "set MUSTACHE_SPEC_DIR or VC_TOP to find the Mustache spec");
	d = opendir(dir);
	ASSERT_MSG(d, "%s: cannot open the Mustache spec folder", dir);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), k;
		if (de->d_name[0] == '~' || len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		for (k = 0; k < N_MODULES; k++)
			if (strlen(spec_modules[k]) == len - 5 &&
			    !strncmp(spec_modules[k], de->d_name, len - 5))
				break;
		if (k == N_MODULES) {
			test_fail(__FILE__, __LINE__, "%s/%s: required module not run", dir, de->d_name);
			unknown++;
		}
	}
	closedir(d);
	ASSERT_EQ(unknown, 0);
}

TEST(count)
{
	printf("  mustache spec: %d of %d cases passed\n", total_passed, total_cases);
	ASSERT(total_cases > 0);
	ASSERT_EQ(total_passed, total_cases);
}

TEST_MAIN(T(interpolation), T(sections), T(inverted), T(comments), T(partials),
	  T(delimiters), T(no_unknown_required_module), T(count))
