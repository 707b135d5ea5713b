/*
 * decide - the one place where a profile and the DNS outcomes become what the
 * MTA is told. decide() is a pure function: no I/O, no clock, no globals; the
 * renderers turn its result into text. The whole matrix of TLS level x DANE
 * setting x DANE outcome x MTA-STS outcome x route is a table-driven test.
 *
 * Rules (DESTINATION-CONTROLS.md, issue "destctld: the agent"):
 *  - a route (explicit next hop): no DANE, no MTA-STS, the profile's TLS level;
 *  - DANE takes precedence over MTA-STS; DANE mandatory and not available or
 *    failed: dane-only (Postfix defers) with the reason;
 *  - DANE opportunistic and failed (bogus, or DNS trouble that may hide TLSA):
 *    an answer that defers, never a fallback (TEMP while it may clear);
 *  - DANE opportunistic, available on some MX only: Postfix's "dane" when the
 *    TLS level is preferred or preferred-verify (no stronger level to lose)
 *    and no MTA-STS enforce policy asks for more, else the profile's TLS
 *    level and a note that DANE was not applied;
 *  - DANE not available: MTA-STS (enforce, testing) if asked, else the TLS level;
 *  - never weaker than the profile's TLS level; unknown in time: TEMP;
 *  - DANE asked for but its outcome NOT_ASKED, out-of-range inputs (an
 *    internal error), MTA-STS enforce with no usable matching MX name: TEMP.
 */
#ifndef DESTCTL_DECIDE_H
#define DESTCTL_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "profile.h"

/* What the DANE lookups found for a domain (RFC 7672 section 2). */
enum dane_outcome {
    DANE_OUT_NOT_ASKED,			/* dane = none, or an explicit route */
    DANE_OUT_PENDING,			/* the resolution has not finished */
    DANE_OUT_ALL,			/* usable TLSA records on every MX */
    DANE_OUT_SOME,			/* usable TLSA on some MX only */
    DANE_OUT_NONE,			/* not available: insecure, or no usable TLSA */
    DANE_OUT_BOGUS,			/* DNSSEC validation failed somewhere */
    DANE_OUT_DNS_ERROR,			/* a lookup failed; it may hide TLSA */
};

/* What MTA-STS found for a domain (RFC 8461); the MTA-STS issue fills it. */
enum sts_state {
    STS_NOT_ASKED,			/* mta_sts = false, a route, or DANE applies */
    STS_PENDING,			/* discovery or fetch not finished */
    STS_NONE,				/* no policy: no TXT, mode none, or fetch
					 * failed with nothing cached */
    STS_TESTING,			/* a valid policy in testing mode */
    STS_ENFORCE,			/* a valid policy in enforce mode */
    STS_DNS_ERROR,			/* TXT (or MX) lookup failed or bogus, no
					 * policy cached: unknown, so TEMP */
};

struct sts_outcome {
    enum sts_state state;
    /* STS_TESTING/ENFORCE: the MX host names of the domain's MX RRset that
     * match a policy pattern, ":"-separated ("" when none matches). Borrowed. */
    const char *mx_match;
    const char *why;			/* STS_NONE: why there is no policy; borrowed */
};

struct decide_input {
    const struct profile_settings *profile;	/* effective settings */
    const char *domain;			/* the next-hop domain (A-label), or the
					 * route text for an explicit next hop */
    bool    route;			/* the key was an explicit next hop */
    enum dane_outcome dane;
    const char *dane_why;		/* detail for BOGUS/DNS_ERROR/NONE; borrowed */
    struct sts_outcome sts;
};

/* What to tell Postfix: the levels of smtp_tls_policy_maps. */
enum pf_level {
    PF_NONE,
    PF_MAY,
    PF_ENCRYPT,
    PF_DANE,
    PF_DANE_ONLY,
    PF_VERIFY,
    PF_SECURE,
};

/* What a sender should expect (the milter's refuse field). */
enum refuse {
    REFUSE_NONE,			/* deliverable as far as we know */
    REFUSE_TEMP,			/* cannot be delivered securely now; may clear */
    REFUSE_PERM,			/* cannot be delivered securely as configured */
};

/* Which identity a verify/secure level checks. */
enum match_kind {
    MATCH_DEFAULT,			/* no match= attribute */
    MATCH_NEXTHOP,			/* required-verify: the domain */
    MATCH_HOSTED,			/* required-verify-hosted: MX host name too */
    MATCH_STS,				/* MTA-STS: the matching MX host names */
};

struct decision {
    bool    temp;			/* answer TEMP, not a policy */
    enum pf_level level;
    enum match_kind match;
    const char *match_names;		/* MATCH_STS: ":"-separated; borrowed */
    bool    tls12;			/* require TLS 1.2 or later (MTA-STS) */
    bool    dane_applied;
    bool    sts_applied;
    bool    sts_consulted;		/* the decision reached the MTA-STS step */
    enum refuse refuse;
    char    reason[256];		/* why, for logs and the profile map */
};

/* decide - the decision for in; pure. */
extern void decide(const struct decide_input *in, struct decision *out);

/*
 * decide_wants_sts - does the decision for in (its DANE outcome known) depend
 * on the MTA-STS outcome? True when the profile asks for MTA-STS, there is no
 * route, and DANE did not give the answer. Pure; the agent looks MTA-STS up
 * only then, so a domain with DANE costs no policy fetch.
 */
extern bool decide_wants_sts(const struct decide_input *in);

/*
 * render_postfix - the smtp_tls_policy_maps reply for a decision: appends
 * "OK <policy>" text (without the "OK ") to out, or, for a TEMP decision,
 * nothing and returns -1 (the caller answers TEMP with d->reason). Also -1,
 * writing nothing, for a decision no Postfix value can express (level or
 * match out of range, MATCH_STS without names). The caller checks
 * buf_overflow(out).
 */
extern int render_postfix(const struct decision *d, struct buf *out);

/*
 * render_profile - the `profile` map value (INTERFACES.md): space-separated
 * key=value fields, values percent-encoded (RFC 3986 unreserved kept):
 * domain, profile, tls, dane, mta_sts, decision, reason, bounce_verification,
 * refuse, early_refusal. `profile_name` is the matched entry ("default" for the default).
 * Appends to out; the first field gets no leading space. Past out's limit,
 * out's overflow flag is set.
 */
extern void render_profile(const struct decide_input *in, const char *profile_name,
			           const struct decision *d, struct buf *out);

/* pf_level_name - "none", "may", "encrypt", "dane", "dane-only", "verify", "secure". */
extern const char *pf_level_name(enum pf_level level);

/* dane_outcome_name - "all", "some", "none", "bogus", "dns-error"... for logs. */
extern const char *dane_outcome_name(enum dane_outcome o);

#endif
