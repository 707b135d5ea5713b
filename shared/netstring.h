/*
 * netstring - D. J. Bernstein's netstrings ("<len>:<bytes>,"), strictly.
 *
 * The parser is incremental: feed it whatever bytes have arrived (one at a
 * time, or many netstrings at once) and it stops right after each complete
 * netstring, so pipelined requests are handled in order by an event loop.
 *
 * Strictness: the length is 1 to NETSTRING_LEN_DIGITS ASCII digits, no sign, no
 * space, no leading zero except the length "0" itself; a length above the
 * parser's maximum is refused as soon as its digits show it (before any
 * payload is buffered); the payload must be followed by ','. After an error the
 * parser stays in error until reset: the connection should be closed.
 */
#ifndef DESTCTL_NETSTRING_H
#define DESTCTL_NETSTRING_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Postfix's socketmap client accepts replies up to 100,000 bytes. */
#define NETSTRING_MAX_DEFAULT	100000
#define NETSTRING_LEN_DIGITS	9	/* digits allowed in a length prefix */

enum netstring_status {
    NETSTRING_MORE,			/* need more bytes */
    NETSTRING_DONE,			/* one netstring complete */
    NETSTRING_ERROR,			/* malformed or oversize: see why */
};

struct netstring_parser {
    size_t  max;			/* largest payload accepted */
    int     state;			/* private */
    size_t  want;			/* private: declared length */
    size_t  ndigits;			/* private: digits seen */
    struct buf *payload;		/* the payload once DONE */
    char    why[128];			/* reason after NETSTRING_ERROR */
};

/* netstring_parser_init - ready p to parse netstrings of at most max bytes. */
extern void netstring_parser_init(struct netstring_parser *p, size_t max);

/* netstring_parser_reset - forget the last netstring or error; parse the next. */
extern void netstring_parser_reset(struct netstring_parser *p);

/* netstring_parser_busy - part of a netstring read, not yet complete. */
extern bool netstring_parser_busy(const struct netstring_parser *p);

/* netstring_parser_release - free what init allocated. */
extern void netstring_parser_release(struct netstring_parser *p);

/*
 * netstring_feed - consume bytes from data[0..len). Sets *used to the number of
 * bytes consumed: on NETSTRING_DONE the bytes after *used belong to the next
 * netstring (call netstring_parser_reset, then feed them). On NETSTRING_DONE,
 * p->payload->data/len hold the payload (NUL-terminated, may contain NULs),
 * borrowed until the next reset. On NETSTRING_ERROR *used counts the offending
 * byte as consumed, and p->why says what was wrong
 * ("bad length prefix", "length has a leading zero", "length 123456 exceeds
 * limit 100000", "missing ':' after length", "missing ',' after payload"...).
 */
extern enum netstring_status netstring_feed(struct netstring_parser *p,
				            const char *data, size_t len,
					            size_t *used);

/* netstring_encode - append "<len>:<data>," to out (check buf_overflow). */
extern void netstring_encode(struct buf *out, const void *data, size_t len);

#endif
