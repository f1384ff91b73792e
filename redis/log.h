/* Structured logging: one line per event on stderr,
 *   ts=2026-11-23T10:00:00.123Z level=info prog=collector event=poll.done vcenter=prod ms=83
 * Values that come from outside (names, errors) go through log_q(), which quotes and
 * escapes them so a line stays one line. Never log a password, cookie, token or key. */
#ifndef VC_LOG_H
#define VC_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* prog: short program name; level: lowest level written (debug mode = LOG_DEBUG).
 * Reads VC_LOG_LEVEL (debug|info|warn|error) from the environment when set. */
void log_init(const char *prog, enum log_level level);
int log_enabled(enum log_level level);
/* fmt: further key=value pairs, printf-style, may be NULL. Thread-safe. */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Quotes s for a log value ("..." with \" \\ \n escaped, truncated at 256 bytes)
 * into one of 8 rotating thread-local buffers; valid for the next 7 calls. */
const char *log_q(const char *s);

#define log_debug(ev, ...) do { if (log_enabled(LOG_DEBUG)) log_event(LOG_DEBUG, ev, __VA_ARGS__); } while (0)
#define log_info(ev, ...)  log_event(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...)  log_event(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_ERROR, ev, __VA_ARGS__)

#endif
