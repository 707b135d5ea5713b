/*
 * mx - a domain's MX RRset as both the DANE and the MTA-STS code read it:
 * the hosts in preference order, the implicit MX (RFC 5321 5.1), the null MX
 * (RFC 7505), and the failures. One reading, so that the two layers can
 * never disagree about where a domain's mail goes. Pure.
 */
#ifndef DESTCTL_MX_H
#define DESTCTL_MX_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "resolver.h"

#define MX_MAX		16		/* hosts kept, the most preferred */

enum mx_status {
    MX_HOSTS,				/* MX records: hosts[] */
    MX_IMPLICIT,			/* no MX RRset: the domain itself */
    MX_NULL,				/* RFC 7505 null MX: accepts no mail */
    MX_NXDOMAIN,			/* the domain does not exist */
    MX_FAIL,				/* SERVFAIL, timeout: unknown */
    MX_BOGUS,				/* DNSSEC validation failed */
};

struct mx_host {
    char    name[DOMAIN_MAX + 1];	/* lower case, no trailing dot */
    unsigned pref;
};

struct mx_list {
    enum mx_status status;
    bool    secure;			/* the answer validated (DNSSEC) */
    size_t  n;				/* hosts, most preferred first */
    struct mx_host hosts[MX_MAX];
    size_t  ignored;			/* less preferred hosts past MX_MAX */
    size_t  malformed;			/* records that did not parse */
    bool    null_mixed;			/* a null MX among other MX records */
};

/*
 * mx_list_read - the MX answer a for domain, into out. Hosts are sorted by
 * preference (stable: equal preferences keep the answer's order) before the
 * list is cut to MX_MAX. A null MX is MX_NULL, alone or among other records
 * (null_mixed then says so): RFC 7505 3 forbids publishing it with others
 * and gives the client no rule for it, and Postfix returns such mail as for
 * a null MX alone (dns_get_answer(): DNS_NULLMX), so that is what the agent
 * tells it too. Logs nothing: callers log what matters to them.
 */
extern void mx_list_read(const struct dns_answer *a, const char *domain,
			         struct mx_list *out);

/*
 * mx_parse - preference and exchange name (text, lower case, no trailing dot,
 * "." for the root of a null MX) of MX rdata; -1 when malformed.
 */
extern int mx_parse(const unsigned char *rdata, size_t len, unsigned *pref,
		            char *name, size_t namesz);

#endif
