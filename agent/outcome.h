/*
 * outcome - what the DNS layer (DANE) and the MTA-STS layer found for a
 * destination domain: the vocabulary that decide() reads. Types and their
 * names for logs; the layers fill them, the policy module (policy/decide.h) gives them meaning,
 * and neither layer needs the other's or the policy's header.
 */
#ifndef DESTCTL_OUTCOME_H
#define DESTCTL_OUTCOME_H

#include <stdbool.h>

/* What the DANE lookups found (RFC 7672 section 2). */
enum dane_outcome {
    DANE_OUT_NOT_ASKED,			/* not looked up (yet) */
    DANE_OUT_PENDING,			/* asked; not finished in time */
    DANE_OUT_ALL,			/* usable TLSA on every usable MX host */
    DANE_OUT_SOME,			/* usable TLSA on some MX hosts only */
    DANE_OUT_NONE,			/* not available: insecure, or no usable TLSA */
    DANE_OUT_BOGUS,			/* DNSSEC validation failed somewhere */
    DANE_OUT_DNS_ERROR,			/* the MX lookup failed, or every host's
					 * lookups did: it may hide TLSA */
    DANE_OUT_NULL_MX,			/* RFC 7505: the domain accepts no mail */
};

#define DANE_OUTCOMES	(DANE_OUT_NULL_MX + 1)

/* What MTA-STS found (RFC 8461). */
enum sts_state {
    STS_NOT_ASKED,			/* not looked up (yet) */
    STS_PENDING,			/* asked; not finished in time */
    STS_NONE,				/* no policy: no TXT record, mode none, or
					 * no policy could be fetched and none is
					 * cached (RFC 8461 3.3, 5) */
    STS_TESTING,			/* a valid policy in testing mode */
    STS_ENFORCE,			/* a valid policy in enforce mode */
    STS_DNS_ERROR,			/* the TXT lookup failed (SERVFAIL,
					 * timeout) and no policy is cached:
					 * nothing known, so no policy (RFC 8461
					 * 3.1, 5), retried soon */
    STS_BOGUS,				/* a DNSSEC-bogus answer (TXT, MX, policy
					 * host) and no policy cached: forged
					 * answers are an attack, not an absence */
    STS_NULL_MX,			/* RFC 7505: the domain accepts no mail */
};

#define STS_STATES	(STS_NULL_MX + 1)

/* The MTA-STS outcome as decide() reads it; strings borrowed. */
struct sts_outcome {
    enum sts_state state;
    /* STS_TESTING/ENFORCE: the MX host names of the domain's MX RRset that
     * match a policy pattern, ":"-separated ("" when none matches). */
    const char *mx_match;
    bool    all_match;			/* every MX host matches the policy */
    bool    mx_secure;			/* the MX RRset is DNSSEC-validated */
    const char *why;			/* why, for the reason */
};

/* dane_outcome_name - "all", "some", "none", "bogus", "dns-error"... or "?". */
extern const char *dane_outcome_name(enum dane_outcome o);

/* sts_state_name - "none", "testing", "enforce", "dns-error"... or "?". */
extern const char *sts_state_name(enum sts_state s);

#endif
