/* Structured key=value logging to stderr (see log.h). One write(2) per line so
 * lines from threads and forked workers never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "vcompanion";
static enum log_level log_min = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

static int parse_level(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_init(const char *prog, enum log_level level)
{
	const char *env = getenv("VC_LOG_LEVEL");

	log_prog = prog;
	log_min = level;
	if (env)
		parse_level(env, &log_min);
}

int log_enabled(enum log_level level)
{
	return level >= log_min;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[4096];
	struct timespec ts;
	struct tm tm;
	size_t n;
	va_list ap;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s prog=%s pid=%d event=%s",
	                      ts.tv_nsec / 1000000, level_names[level], log_prog, (int)getpid(), event);
	if (fmt && *fmt && n < sizeof(line) - 2) {
		line[n++] = ' ';
		va_start(ap, fmt);
		int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += (size_t)m < sizeof(line) - n ? (size_t)m : sizeof(line) - n - 1;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere else to report it */
	}
}

const char *log_q(const char *s)
{
	static __thread char ring[8][300];
	static __thread unsigned idx;
	char *out = ring[idx++ & 7];
	size_t o = 0;

	if (!s)
		return "-";
	out[o++] = '"';
	for (; *s && o < 256; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			out[o++] = '?';
		} else {
			out[o++] = (char)c;
		}
	}
	if (*s) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
