/*
 * netstring - strict, incremental netstring parser and encoder; see
 * netstring.h for the contract.
 *
 * The parser is a small state machine over bytes, so it never needs to see a
 * whole netstring at once: an event loop feeds whatever a read() returned.
 * The length is checked against the limit digit by digit, so an oversize
 * netstring is refused before any of its payload is buffered.
 */
#include <stdarg.h>
#include <stdio.h>

#include "buf.h"
#include "log.h"
#include "netstring.h"

/* Parser states (struct netstring_parser.state). */
enum {
    NS_LENGTH,				/* reading length digits */
    NS_PAYLOAD,				/* copying want bytes */
    NS_COMMA,				/* expecting the trailing ',' */
    NS_DONE,				/* one netstring complete */
    NS_ERROR,				/* malformed: see why */
};

/* Initial payload allocation; the buffer grows up to p->max as needed. */
#define NS_INIT_SIZE	256

/* netstring_parser_init - ready p to parse netstrings of at most max bytes */
void    netstring_parser_init(struct netstring_parser *p, size_t max)
{
    p->max = max;
    p->payload = buf_alloc(NS_INIT_SIZE, max);
    netstring_parser_reset(p);
}

/* netstring_parser_reset - forget the last netstring or error */
void    netstring_parser_reset(struct netstring_parser *p)
{
    p->state = NS_LENGTH;
    p->want = 0;
    p->ndigits = 0;
    p->why[0] = '\0';
    buf_reset(p->payload);
}

/* netstring_parser_busy - inside a netstring */
bool    netstring_parser_busy(const struct netstring_parser *p)
{
    return (p->state == NS_LENGTH && p->ndigits > 0) || p->state == NS_PAYLOAD
	|| p->state == NS_COMMA;
}

/* netstring_parser_release - free what init allocated */
void    netstring_parser_release(struct netstring_parser *p)
{
    p->payload = buf_free(p->payload);
}

/* ns_fail - enter the error state with a reason */
static enum netstring_status ns_fail(struct netstring_parser *p,
				             const char *fmt,...)
	__attribute__((format(printf, 2, 3)));

static enum netstring_status ns_fail(struct netstring_parser *p,
				             const char *fmt,...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p->why, sizeof(p->why), fmt, ap);
    va_end(ap);
    p->state = NS_ERROR;
    return NETSTRING_ERROR;
}

/* ns_length_byte - one byte of the length prefix, up to and with the ':' */
static enum netstring_status ns_length_byte(struct netstring_parser *p, int c)
{
    if (c >= '0' && c <= '9') {
	if (p->ndigits > 0 && p->want == 0)
	    return ns_fail(p, "length has a leading zero");
	if (p->ndigits == NETSTRING_LEN_DIGITS)
	    return ns_fail(p, "length has more than %d digits",
			   NETSTRING_LEN_DIGITS);
	p->want = p->want * 10 + (size_t) (c - '0');
	p->ndigits++;
	if (p->want > p->max)
	    return ns_fail(p, "length %zu exceeds limit %zu", p->want, p->max);
	return NETSTRING_MORE;
    }
    if (p->ndigits == 0)
	return ns_fail(p, "bad length prefix");
    if (c != ':')
	return ns_fail(p, "missing ':' after length");
    p->state = p->want > 0 ? NS_PAYLOAD : NS_COMMA;
    return NETSTRING_MORE;
}

/*
 * netstring_feed - consume bytes until one netstring is complete. The byte
 * that makes a netstring malformed counts as consumed.
 */
enum netstring_status netstring_feed(struct netstring_parser *p,
				             const char *data, size_t len,
				             size_t *used)
{
    size_t  i = 0;
    size_t  n;

    *used = 0;
    if (p->state == NS_DONE)
	return NETSTRING_DONE;
    if (p->state == NS_ERROR)
	return NETSTRING_ERROR;

    while (i < len) {
	switch (p->state) {
	case NS_LENGTH:
	    if (ns_length_byte(p, (unsigned char) data[i++]) == NETSTRING_ERROR)
		goto out;
	    break;
	case NS_PAYLOAD:
	    n = p->want - p->payload->len;
	    if (n > len - i)
		n = len - i;
	    buf_append(p->payload, data + i, n);
	    if (buf_overflow(p->payload))	/* want <= max: a bug */
		msg_panic("netstring_feed: payload overflow at %zu of %zu",
			  p->payload->len, p->want);
	    i += n;
	    if (p->payload->len == p->want)
		p->state = NS_COMMA;
	    break;
	case NS_COMMA:
	    if (data[i++] != ',') {
		ns_fail(p, "missing ',' after payload");
		goto out;
	    }
	    p->state = NS_DONE;
	    goto out;
	default:
	    msg_panic("netstring_feed: bad state %d", p->state);
	}
    }

out:
    *used = i;
    if (p->state == NS_DONE)
	return NETSTRING_DONE;
    if (p->state == NS_ERROR)
	return NETSTRING_ERROR;
    return NETSTRING_MORE;
}

/* netstring_encode - append "<len>:<data>," to out */
void    netstring_encode(struct buf *out, const void *data, size_t len)
{
    buf_printf(out, "%zu:", len);
    if (len > 0)
	buf_append(out, data, len);
    buf_putc(out, ',');
}
