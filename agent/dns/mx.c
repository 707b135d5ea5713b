/*
 * mx - reading an MX RRset; see mx.h.
 */
#include <stdio.h>
#include <string.h>

#include "mx.h"

/* mx_parse - preference and exchange */
int     mx_parse(const unsigned char *rdata, size_t len, unsigned *pref, char *name,
		         size_t namesz)
{
    int     n;

    if (len < 3)
	return -1;
    *pref = (unsigned) (rdata[0] << 8 | rdata[1]);
    n = dns_name_from_wire(rdata + 2, len - 2, name, namesz);
    return n < 0 || (size_t) n != len - 2 ? -1 : 0;
}

/* mx_insert - keep host in preference order; past MX_MAX the least goes */
static void mx_insert(struct mx_list *out, const char *name, unsigned pref)
{
    size_t  k = out->n;

    if (k == MX_MAX) {
	if (out->hosts[MX_MAX - 1].pref <= pref) {
	    out->ignored++;		/* no better than what is kept */
	    return;
	}
	out->ignored++;			/* the last one makes room */
	k = MX_MAX - 1;
    } else {
	out->n++;
    }
    /* Stable: an equal preference goes after those already there. */
    for (; k > 0 && out->hosts[k - 1].pref > pref; k--)
	out->hosts[k] = out->hosts[k - 1];
    snprintf(out->hosts[k].name, sizeof(out->hosts[k].name), "%s", name);
    out->hosts[k].pref = pref;
}

/* mx_list_read - classify, sort, cut */
void    mx_list_read(const struct dns_answer *a, const char *domain,
		             struct mx_list *out)
{
    char    name[DOMAIN_MAX + 1];
    unsigned pref;
    size_t  nulls = 0;

    memset(out, 0, sizeof(*out));
    out->secure = a->sec == DNS_SECURE;
    if (a->sec == DNS_BOGUS) {
	out->status = MX_BOGUS;
	return;
    }
    switch (a->status) {
    case DNS_FAIL:
	out->status = MX_FAIL;
	return;
    case DNS_NXDOMAIN:
	out->status = MX_NXDOMAIN;
	return;
    case DNS_NODATA:
	/* RFC 5321 5.1: the domain itself. When it is a CNAME, it stays the
	 * host name (as in Postfix, the qname): its address lookup follows
	 * the chain, and DANE reads the expanded name from there (RFC 7672
	 * 2.2.2 treats the domain as the initial name). */
	out->status = MX_IMPLICIT;
	out->n = 1;
	snprintf(out->hosts[0].name, sizeof(out->hosts[0].name), "%s", domain);
	return;
    case DNS_DATA:
	break;
    }
    out->status = MX_HOSTS;
    for (size_t i = 0; i < a->n; i++) {
	if (mx_parse(a->rdata[i], a->rdlen[i], &pref, name, sizeof(name)) < 0)
	    out->malformed++;
	else if (strcmp(name, ".") == 0)
	    nulls++;
	else
	    mx_insert(out, name, pref);
    }
    if (nulls > 0) {
	out->null_mixed = out->n > 0;
	out->status = MX_NULL;
	out->n = out->ignored = 0;
    }
}
