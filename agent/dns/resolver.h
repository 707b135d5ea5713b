/*
 * resolver - validating DNS for the agent: libunbound, asynchronous, inside
 * the agent's libevent loop, with a TTL cache and shared resolutions.
 *
 * How libunbound sits in the loop: ub_ctx_async(ctx, 1) runs libunbound's
 * resolver in its own background thread; the agent watches ub_fd() in its
 * event loop and calls ub_process() when it is readable, so every callback
 * runs in the loop thread and the agent's own code stays single-threaded.
 * The alternative, ub_ctx_create_event() on the agent's event_base, hands
 * back wire-format packets that the agent would have to parse itself; the
 * ub_result form gives parsed RRsets, the DNSSEC state, why_bogus and the TTL.
 *
 * Every answer carries its DNSSEC state. Answers (positive, NODATA, NXDOMAIN)
 * are cached for their TTL (bounded by RESOLVER_TTL_MIN/MAX); failures
 * (SERVFAIL, timeout, bogus) are cached for RESOLVER_FAIL_TTL so that a
 * broken domain is not re-asked on every message. Queries for the same name
 * and type in flight at once share one resolution. Every resolution has
 * its own deadline (an authoritative server that is down gives no answer at
 * all): at the deadline it is cancelled and answered as a failure.
 *
 * Load, so that a flood of unknown names cannot delay known domains: at most
 * max_inflight resolutions run at once, of which first contacts
 * (RESOLVER_FIRST) may take three quarters; the rest is kept for domains
 * already known (RESOLVER_KNOWN: refreshes, domains with an outcome), whose
 * queue goes first. A queued query waits at most timeout_ms to start, then
 * fails ("not started in time"); at most RESOLVER_QUEUE_FACTOR x max_inflight
 * first contacts wait, a further one fails at once. Such failures say
 * nothing of the name and are not cached. A known asker joining a queued
 * first contact moves it to the known queue.
 */
#ifndef DESTCTL_RESOLVER_H
#define DESTCTL_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "cfg.h"

#define RESOLVER_TTL_MIN	5	/* seconds, for any cached answer */
#define RESOLVER_TTL_MAX	3600
#define RESOLVER_FAIL_TTL	30	/* failures are re-asked after this */
#define RESOLVER_QUEUE_FACTOR	8	/* first contacts queued per slot */

/* Who is asking: a first contact, or a domain already known. */
enum resolver_pri {
    RESOLVER_FIRST,
    RESOLVER_KNOWN,
};

enum dns_sec {
    DNS_INSECURE,			/* no DNSSEC for this name */
    DNS_SECURE,				/* validated */
    DNS_BOGUS,				/* validation failed: must not be used */
};

enum dns_status {
    DNS_DATA,				/* records found (n > 0) */
    DNS_NODATA,				/* the name exists, no records of the type */
    DNS_NXDOMAIN,			/* the name does not exist */
    DNS_FAIL,				/* SERVFAIL, timeout, or a resolver error */
};

/* One answer; shared by the cache and every waiter, read-only. */
struct dns_answer {
    enum dns_status status;
    enum dns_sec sec;
    int     ttl;			/* seconds the answer may still be used */
    size_t  n;				/* records */
    unsigned char **rdata;		/* wire-format rdata of each record */
    size_t *rdlen;
    char   *canonname;			/* after CNAMEs; NULL when none */
    char   *why;			/* BOGUS: why_bogus; FAIL: the cause */
    bool    busy;			/* FAIL for the resolver's load (not asked
					 * in time): nothing said of the name */
};

struct resolver;

/* resolver_cb - called once, in the loop; a is borrowed for the call only. */
typedef void (*resolver_cb)(void *ctx, const struct dns_answer *a);

/*
 * resolver_new - a resolver configured from c's resolver group (trust anchor,
 * root hints, forwarders, unbound.conf; the lab's test. zone allowed), always
 * validating. NULL with why when libunbound refuses the configuration.
 * timeout_ms bounds each resolution; max_inflight the resolutions at once.
 */
extern struct resolver *resolver_new(struct event_base *base, const struct cfg *c,
				             int timeout_ms, int max_inflight,
				             char *why, size_t whysz);

/* resolver_free - cancel everything (callbacks are not called); NULL. */
extern struct resolver *resolver_free(struct resolver *r);

/*
 * resolver_query - ask for name (an A-label domain, no trailing dot) and type
 * (1 A, 28 AAAA, 15 MX, 52 TLSA, 16 TXT...) on behalf of pri. A cached
 * answer is delivered before the call returns; otherwise cb runs later from
 * the loop.
 */
extern void resolver_query(struct resolver *r, const char *name, int type,
			           enum resolver_pri pri, resolver_cb cb, void *ctx);

/* resolver_flush - forget cached answers for name and every name under it
 * (every type), or all (NULL); resolutions running now deliver their answers
 * but do not cache them. */
extern void resolver_flush(struct resolver *r, const char *name);

/* resolver_stats - resolutions in flight, queued (both queues), cache entries. */
extern void resolver_stats(const struct resolver *r, int *inflight, int *queued,
			           size_t *cached);

/* dns_sec_name - "secure", "insecure", "bogus". */
extern const char *dns_sec_name(enum dns_sec s);

/* dns_type_name - "MX", "TLSA"... or "TYPEnn". */
extern const char *dns_type_name(int type, char *buf, size_t size);

/*
 * dns_name_from_wire - decode an uncompressed wire-format host name at
 * p[0..len) into out (text, lower case, no trailing dot; "." for the root).
 * Returns bytes consumed, or -1 when malformed (bad label length, longer
 * than 255 bytes on the wire (RFC 1035 3.1) or than out)
 * or not a host name: a label byte other than a letter, digit, '-' or '_'
 * (a NUL or '.' inside a label would read as another name).
 */
extern int dns_name_from_wire(const unsigned char *p, size_t len, char *out,
			              size_t outsz);

#endif
