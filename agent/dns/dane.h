/*
 * dane - the DANE outcome of a destination domain (RFC 7672 section 2):
 * its MX RRset (or the implicit MX; mx.h reads it), the address records of
 * each MX host, then the TLSA RRset of each host whose addresses are secure.
 *
 * The TLSA base domain of a host (RFC 7672 2.2.2, as Postfix's
 * tls_dane_resolve() reads it): without a CNAME, the host name. When the
 * host name is a CNAME and the whole chain validated, the fully expanded
 * name first and, when no secure TLSA RRset exists there (NODATA, NXDOMAIN,
 * or an insecure answer), the original name; a failed lookup at the
 * expanded name is a failure, not a reason to try the other. When the chain
 * ends insecure, a CNAME query at the original name says whether its first
 * CNAME is secure: then the original name's TLSA applies, else DANE does
 * not apply to the host. Intermediate names are never base domains.
 *
 * Outcome: DANE_OUT_ALL (usable TLSA on every usable MX host), DANE_OUT_SOME,
 * DANE_OUT_NONE (the MX RRset or every host is insecure, or no host
 * publishes usable TLSA, NXDOMAIN), DANE_OUT_NULL_MX (RFC 7505),
 * DANE_OUT_BOGUS (validation failed anywhere), DANE_OUT_DNS_ERROR (the MX
 * lookup failed, or every host's did: it may hide TLSA, so it is never taken
 * as "no DANE"). A host whose address or TLSA lookup failed is unusable (an
 * MTA skips it: RFC 7672 2.2.1), counted in nfailed, and the domain's
 * outcome comes from the others.
 *
 * A lookup outlives whoever asked: it runs to the end (each DNS query has its
 * own deadline in the resolver) and its result is cached until the smallest
 * TTL it used expires, so the next asker finds it. Concurrent askers for one
 * domain share one lookup.
 */
#ifndef DESTCTL_DANE_H
#define DESTCTL_DANE_H

#include <stddef.h>

#include <event2/event.h>

#include "mx.h"
#include "outcome.h"
#include "resolver.h"

struct dane_result {
    enum dane_outcome outcome;
    char    why[256];			/* for logs and the decision's reason */
    size_t  nmx;			/* MX host names, preference order */
    char  **mx;				/* (the implicit MX: the domain) */
    int     ndane;			/* hosts with usable TLSA */
    int     nfailed;			/* hosts unusable: their lookups failed */
    bool    mx_secure;			/* the MX RRset validated */
};

struct dane;
struct dane_wait;

/* dane_cb - the result, borrowed for the call only. */
typedef void (*dane_cb)(void *ctx, const struct dane_result *res);

/* dane_new - DANE lookups through r, started from base's loop. */
extern struct dane *dane_new(struct event_base *base, struct resolver *r);

/* dane_free - drop cache and lookups (callbacks are not called); NULL. Free
 * the resolver first, so that no answer arrives for a freed lookup. */
extern struct dane *dane_free(struct dane *d);

/*
 * dane_lookup - the outcome for domain. A cached one is delivered before the
 * call returns and the result is NULL; otherwise cb runs later and the
 * result is a handle to stop waiting (dane_cancel) before then.
 */
extern struct dane_wait *dane_lookup(struct dane *d, const char *domain,
				             dane_cb cb, void *ctx);

/* dane_cancel - stop waiting; the lookup itself goes on and is cached. */
extern void dane_cancel(struct dane_wait *w);

/* dane_stats - outcomes cached, lookups running (for status). */
extern void dane_stats(const struct dane *d, size_t *cached, size_t *running);

/* dane_flush - forget the cached outcome of domain (NULL: all); lookups
 * running now deliver their outcomes but do not cache them. */
extern void dane_flush(struct dane *d, const char *domain);

#endif
