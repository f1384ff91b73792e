/* A growing byte buffer, always NUL-terminated, used for rendering, SOAP bodies
 * and sealed values. Allocation failure aborts (out of memory is not recoverable
 * in these daemons); a buffer owns its bytes until buf_free() or buf_steal(). */
#ifndef VC_BUF_H
#define VC_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct buf {
	char *data;   /* NUL-terminated; NULL until the first write */
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_grow(struct buf *b, size_t extra);
/* Asks for transparent huge pages over the 2 MB-aligned part of [p, p+len) when len
 * is at least HUGE_HINT_MIN: a poll writes tens of MB into fresh buffers (records'
 * text, held answers, sealed values), and faulting them in 4 KB at a time cost
 * more than writing them. Only a hint (THP in "madvise" mode honours it, "never"
 * ignores it); buf_grow() applies it to every large buffer. */
#define HUGE_HINT_MIN (4u << 20)
void mem_hint_huge(void *p, size_t len);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s with & < > " ' escaped as HTML entities. */
void buf_add_html(struct buf *b, const char *s, size_t len);
/* Appends s with XML's five entities escaped (SOAP bodies). */
void buf_add_xml(struct buf *b, const char *s);
/* Appends s percent-encoded for a URL query value (RFC 3986 unreserved kept). */
void buf_add_url(struct buf *b, const char *s);
void buf_reset(struct buf *b);
/* Returns the bytes (caller frees) and leaves the buffer empty. */
char *buf_steal(struct buf *b);
/* Frees the bytes; wipes them first when wipe is non-zero (secrets). */
void buf_free_ex(struct buf *b, int wipe);
#define buf_free(b) buf_free_ex((b), 0)
/* buf_str: the contents or "" when empty. */
static inline const char *buf_str(const struct buf *b) { return b->data ? b->data : ""; }

#endif
