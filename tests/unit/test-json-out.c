/* The collector's JSON writer gives the same bytes as json_dumps(v, JSON_COMPACT):
 * fixed hostile cases (control characters, quotes, multi-byte UTF-8, embedded NUL,
 * reals with exponents, extreme integers), random trees from a fixed seed, and the
 * refusals (invalid UTF-8, too deep) leave the buffer as it was. */
#include "test.h"
#include "json_out.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* json_out's text of v equals jansson's, and appends after what the buffer held. */
static int same_as_jansson(const json_t *v)
{
	struct buf b = BUF_INIT;
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	int ok;

	buf_add(&b, "prefix", 6);
	ok = want && json_out(&b, v) == 0 && b.len == 6 + strlen(want) &&
	     !memcmp(b.data, "prefix", 6) && !strcmp(b.data + 6, want);
	if (!ok)
		fprintf(stderr, "jansson: %s\njson_out: %s\n", want ? want : "(null)", buf_str(&b));
	free(want);
	buf_free(&b);
	return ok;
}

TEST(scalars_and_strings)
{
	static const char *strs[] = {
		"", "plain", "<script>alert(1)</script>", "{{name}}", "quote \" back \\ slash /",
		"\b\f\n\r\t", "\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	};
	static const double reals[] = { 0.0, -0.0, 1.0, 0.1, 1e20, 1e-5, 1.5e300, -2.5e-300,
	                                 123456789012345678.0, 3.14159 };
	json_t *v;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		v = json_string(strs[i]);
		ASSERT_MSG(same_as_jansson(v), "string %zu", i);
		json_decref(v);
	}
	v = json_stringn("a\0b", 3);
	ASSERT(same_as_jansson(v));
	json_decref(v);
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		v = json_real(reals[i]);
		ASSERT_MSG(same_as_jansson(v), "real %zu", i);
		json_decref(v);
	}
	static const json_int_t ints[] = { 0, 1, -1, 42, INT64_MAX, INT64_MIN, -1000000007 };
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		v = json_integer(ints[i]);
		ASSERT_MSG(same_as_jansson(v), "integer %zu", i);
		json_decref(v);
	}
	v = json_pack("[bbn{}[]]", 1, 0);
	ASSERT(same_as_jansson(v));
	json_decref(v);
}

TEST(keys_keep_insertion_order)
{
	json_t *o = json_object();

	json_object_set_new(o, "zeta", json_integer(1));
	json_object_set_new(o, "alpha", json_string("x"));
	json_object_set_new(o, "k\"ey\n", json_null());
	json_object_setn_new(o, "nul\0key", 7, json_true());
	json_object_set_new(o, "mid", json_pack("{s:[i,s]}", "in", 2, "two"));
	json_object_del(o, "alpha");
	json_object_set_new(o, "alpha", json_false());
	ASSERT(same_as_jansson(o));
	json_decref(o);
}

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned next(unsigned n)
{
	return test_rnd(&rng, n);
}

static json_t *random_value(int depth)
{
	static const char *pieces[] = { "a", "é", "\"", "\\", "\n", "\x02", "€", "😀", "vm-", " " };
	char s[64] = "";
	json_t *v;

	switch (depth > 4 ? 2 + next(4) : next(6)) {
	case 0:
		v = json_object();
		for (unsigned i = next(6); i > 0; i--) {
			snprintf(s, sizeof(s), "k%u%s", next(1000), pieces[next(10)]);
			json_object_set_new(v, s, random_value(depth + 1));
		}
		return v;
	case 1:
		v = json_array();
		for (unsigned i = next(6); i > 0; i--)
			json_array_append_new(v, random_value(depth + 1));
		return v;
	case 2:
		for (unsigned i = next(6); i > 0; i--)
			strncat(s, pieces[next(10)], sizeof(s) - strlen(s) - 1);
		return json_string(s);
	case 3:
		return json_integer((json_int_t)next(2000000) - 1000000);
	case 4:
		return json_real(ldexp((double)next(1000000) - 500000, (int)next(200) - 100));
	default:
		return next(2) ? json_null() : json_boolean(next(2));
	}
}

TEST(random_trees)
{
	for (int i = 0; i < 500; i++) {
		json_t *v = random_value(0);
		ASSERT_MSG(same_as_jansson(v), "tree %d", i);
		json_decref(v);
	}
}

TEST(refusals_leave_the_buffer)
{
	struct buf b = BUF_INIT;
	json_t *bad = json_pack("{s:[s]}", "k", "ok");
	json_t *deep = json_array(), *cur = deep;

	/* jansson itself refuses invalid UTF-8 when building; _nocheck lets it in */
	json_array_append_new(json_object_get(bad, "k"), json_stringn_nocheck("\xc3\x28", 2));
	json_array_append_new(json_object_get(bad, "k"), json_stringn_nocheck("\xed\xa0\x80", 3));
	buf_add(&b, "[1,", 3);
	ASSERT_EQ(json_out(&b, bad), -1);
	ASSERT_EQ(b.len, 3);
	ASSERT_STREQ(b.data, "[1,");
	for (int i = 0; i < 3000; i++) {
		json_t *next_level = json_array();
		json_array_append_new(cur, next_level);
		cur = next_level;
	}
	ASSERT_EQ(json_out(&b, deep), -1);
	ASSERT_STREQ(b.data, "[1,");
	ASSERT_EQ(json_out(&b, NULL), -1);
	json_decref(bad);
	json_decref(deep);
	buf_free(&b);
}

TEST_MAIN(T(scalars_and_strings), T(keys_keep_insertion_order), T(random_trees),
          T(refusals_leave_the_buffer))
