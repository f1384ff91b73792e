/* Minimal unit-test harness: TEST() defines a case, TEST_MAIN() lists them, the
 * ASSERT_* macros stop the case on failure and name the file, line and values.
 * Output closes with "N passed, N failed" so CI can count. */
#ifndef VC_TEST_H
#define VC_TEST_H

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

extern int test_failed_flag;
int test_run_all(const struct test_case *cases, int argc, char **argv);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Temp dir unique to this test process, created on first use, removed at exit. */
const char *test_tmpdir(void);
/* Environment variable or fail the case (returns NULL then). */
const char *test_env(const char *name);
/* A number below n from the xorshift generator *state (non-zero): the same seed
 * gives the same cases on every run. */
unsigned test_rnd(unsigned long long *state, unsigned n);

#define TEST(name) static void test_##name(void)
#define T(name) { #name, test_##name }
#define TEST_MAIN(...)                                                       \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		static const struct test_case cases[] = { __VA_ARGS__, { 0, 0 } }; \
		return test_run_all(cases, argc, argv);                      \
	}

#define ASSERT(c) do { if (!(c)) { test_fail(__FILE__, __LINE__, "%s", #c); return; } } while (0)
#define ASSERT_MSG(c, ...) do { if (!(c)) { test_fail(__FILE__, __LINE__, __VA_ARGS__); return; } } while (0)
#define ASSERT_EQ(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) { test_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, a_, b_); return; } } while (0)
#define ASSERT_NE(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ == b_) { test_fail(__FILE__, __LINE__, "%s != %s (both %lld)", #a, #b, a_); return; } } while (0)
#define ASSERT_STREQ(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_)) { test_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); return; } } while (0)
#define ASSERT_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
	if (!h_ || !strstr(h_, n_)) { test_fail(__FILE__, __LINE__, "%s contains \"%s\" (got \"%.300s\")", #hay, n_, h_ ? h_ : "(null)"); return; } } while (0)
#define ASSERT_NOT_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
	if (h_ && strstr(h_, n_)) { test_fail(__FILE__, __LINE__, "%s must not contain \"%s\"", #hay, n_); return; } } while (0)

#endif
