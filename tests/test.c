/* The unit-test runner behind test.h: runs every case (or those named on the
 * command line), prints one line per case and the closing count. */
#include "test.h"

#include <stdarg.h>
#include <unistd.h>
#include <ftw.h>

int test_failed_flag;
static char tmpdir[256];

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	test_failed_flag = 1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_tmpdir(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *test_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/vctest.XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(1);
		}
		atexit(rm_tmpdir);
	}
	return tmpdir;
}

const char *test_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		test_fail(__FILE__, __LINE__, "environment variable %s is not set (run under tests/rig)", name);
	return v && *v ? v : NULL;
}

static int wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int test_run_all(const struct test_case *cases, int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (const struct test_case *c = cases; c->name; c++) {
		if (!wanted(c->name, argc, argv))
			continue;
		test_failed_flag = 0;
		c->fn();
		printf("%s %s\n", test_failed_flag ? "FAIL" : "ok  ", c->name);
		fflush(stdout);
		if (test_failed_flag)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

unsigned test_rnd(unsigned long long *state, unsigned n)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (unsigned)(*state % n);
}
