/*
 * buf - bounded, growable text buffers; see buf.h for the contract.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "util.h"

/* buf_alloc - new empty buffer */
struct buf *buf_alloc(size_t init, size_t max)
{
    struct buf *b = xcalloc(1, sizeof(*b));

    if (init > max)
	init = max;
    b->cap = init + 1;
    b->data = xmalloc(b->cap);
    b->data[0] = '\0';
    b->max = max;
    return b;
}

/* buf_free - release a buffer */
struct buf *buf_free(struct buf *b)
{
    if (b) {
	free(b->data);
	free(b);
    }
    return NULL;
}

/* buf_reset - empty and clear the overflow flag */
void buf_reset(struct buf *b)
{
    b->len = 0;
    b->data[0] = '\0';
    b->overflow = false;
}

/* buf_reserve - make room for n more bytes plus NUL; false if over max */
static bool buf_reserve(struct buf *b, size_t n)
{
    size_t  want;

    if (n > b->max - b->len) {
	b->overflow = true;
	return false;
    }
    want = b->len + n + 1;
    if (want > b->cap) {
	size_t  cap = b->cap * 2;

	if (cap < want)
	    cap = want;
	if (cap > b->max + 1)
	    cap = b->max + 1;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
    }
    return true;
}

/* buf_append - append bytes */
void buf_append(struct buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n))
	return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* buf_puts - append a string */
void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

/* buf_putc - append a byte */
void buf_putc(struct buf *b, int c)
{
    char    ch = (char) c;

    buf_append(b, &ch, 1);
}

/* buf_vprintf - append formatted text */
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int     n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
	msg_panic("buf_vprintf: bad format \"%s\"", fmt);
    if (!buf_reserve(b, (size_t) n))
	return;
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    b->len += (size_t) n;
}

/* buf_printf - append formatted text */
void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* buf_consume - drop leading bytes */
void buf_consume(struct buf *b, size_t n)
{
    if (n > b->len)
	msg_panic("buf_consume: %zu > %zu", n, b->len);
    memmove(b->data, b->data + n, b->len - n + 1);
    b->len -= n;
}

/* buf_steal - take the text, free the buffer */
char   *buf_steal(struct buf *b)
{
    char   *s = b->data;

    free(b);
    return s;
}

/* buf_put_pct - RFC 3986 unreserved kept, %XX else */
void    buf_put_pct(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
	if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
	    || (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
	    buf_putc(b, *p);
	} else {
	    buf_putc(b, '%');
	    buf_putc(b, hex[*p >> 4]);
	    buf_putc(b, hex[*p & 15]);
	}
    }
}

/* hexval - a hex digit's value, or -1 */
static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* pct_decode - %XX in place */
char   *pct_decode(char *s)
{
    char   *r = s, *w = s;

    while (*r) {
	if (r[0] == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
	    *w++ = (char) (hexval(r[1]) * 16 + hexval(r[2]));
	    r += 3;
	} else {
	    *w++ = *r++;
	}
    }
    *w = '\0';
    return s;
}

/* buf_put_field - one key=value field */
void    buf_put_field(struct buf *b, size_t start, const char *key, const char *value)
{
    if (b->len > start)
	buf_putc(b, ' ');
    buf_printf(b, "%s=", key);
    buf_put_pct(b, value);
}

/* buf_put_json - a JSON string */
void    buf_put_json(struct buf *b, const char *s)
{
    buf_putc(b, '"');
    for (; *s; s++) {
	if (*s == '"' || *s == '\\')
	    buf_printf(b, "\\%c", *s);
	else if ((unsigned char) *s < 0x20)
	    buf_printf(b, "\\u%04x", *s);
	else
	    buf_putc(b, *s);
    }
    buf_putc(b, '"');
}
