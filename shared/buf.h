/*
 * buf - bounded, growable text buffers.
 *
 * A buf holds bytes plus a trailing NUL that is never counted in len. It grows
 * on demand up to a hard maximum fixed at creation; a write that would pass the
 * maximum writes nothing and sets a sticky overflow flag, which the caller
 * checks once when the text is complete. Peers choose lengths; the maximum
 * turns an oversized input into an error instead of unbounded memory.
 *
 * Allocation failure is fatal (msg_fatal), so no function here returns NULL.
 */
#ifndef DESTCTL_BUF_H
#define DESTCTL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
    char   *data;			/* always NUL-terminated */
    size_t  len;			/* bytes used, without the NUL */
    size_t  cap;			/* bytes allocated, NUL included */
    size_t  max;			/* hard limit on len */
    bool    overflow;			/* sticky: a write exceeded max */
};

/* buf_alloc - new empty buffer; init is a size hint, max the limit on len. */
extern struct buf *buf_alloc(size_t init, size_t max);

/* buf_free - release b (NULL is fine); returns NULL for `b = buf_free(b);`. */
extern struct buf *buf_free(struct buf *b);

/* buf_reset - empty b and clear its overflow flag; keeps the allocation. */
extern void buf_reset(struct buf *b);

/* buf_append - append n bytes; on overflow append nothing, set the flag. */
extern void buf_append(struct buf *b, const void *p, size_t n);

/* buf_puts - append a NUL-terminated string. */
extern void buf_puts(struct buf *b, const char *s);

/* buf_putc - append one byte. */
extern void buf_putc(struct buf *b, int c);

/* buf_printf - append formatted text (all or nothing). */
extern void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* buf_vprintf - buf_printf with a va_list. */
extern void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* buf_consume - drop the first n bytes (n <= len), moving the rest down. */
extern void buf_consume(struct buf *b, size_t n);

/* buf_put_pct - append s percent-encoded: RFC 3986 unreserved characters
 * (letters, digits, "-._~") as they are, every other byte as %XX. */
extern void buf_put_pct(struct buf *b, const char *s);

/* pct_decode - decode %XX in s, in place; returns s. A malformed escape is
 * left as it is. */
extern char *pct_decode(char *s);

/* buf_put_field - append "key=value", value percent-encoded (buf_put_pct),
 * after a blank unless nothing was appended since offset start. */
extern void buf_put_field(struct buf *b, size_t start, const char *key,
			          const char *value);

/* buf_put_json - append s as a JSON string, quoted and escaped. */
extern void buf_put_json(struct buf *b, const char *s);

/* buf_overflow - true when some write did not fit since the last reset. */
static inline bool buf_overflow(const struct buf *b)
{
    return b->overflow;
}

/* buf_steal - hand the text to the caller (free() it); b is freed. */
extern char *buf_steal(struct buf *b);

#endif
