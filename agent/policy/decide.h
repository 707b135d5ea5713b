/*
 * decide - the one place where a profile and the DNS outcomes become what the
 * MTA is told. Every policy rule of the agent lives in decide.c; the request
 * path (lookup.c) only gathers what decide_next() asks for. Pure: no I/O, no
 * clock, no globals; the renderers (render.c) turn the result into text. The
 * whole matrix of TLS level x DANE setting x DANE outcome x MTA-STS outcome x
 * route is a table-driven test (t/unit-decide.c).
 *
 * The rules, in order (decide.c has one table per step):
 *  1. tls = none: "none" (the config forbids DANE and MTA-STS with it).
 *  2. An explicit route: no DANE, no MTA-STS, the profile's TLS level.
 *  3. DANE, when the profile asks for it. It takes precedence over MTA-STS
 *     (RFC 8461 section 2: MTA-STS must never override a failing DANE check).
 *     Mandatory and not available or failed: "dane-only" (Postfix defers).
 *     Opportunistic and failed (bogus, or DNS trouble that may hide TLSA): an
 *     answer that defers, never a fallback. On some MX only: Postfix's
 *     "dane" where the TLS level is "may" anyway, else "dane-only" when an
 *     MTA-STS enforce policy asks for more than the level, else the level
 *     with a note. One MX host's lookups failing makes that host unusable,
 *     not the domain, but the answer must then be a DANE level (Postfix
 *     looks TLSA up per host and skips the one it cannot verify): "dane"
 *     where the level is "may" anyway (after MTA-STS, which may ask more),
 *     "dane-only" (refuse temp) for stricter levels, never the bare level.
 *  4. MTA-STS, when the profile asks for it and DANE did not answer: enforce
 *     is "secure" with the policy-listed MX names; testing, none, and a TXT
 *     lookup that failed with nothing cached go on to the level (RFC 8461
 *     3.3, 5: only a cached policy protects); bogus DNSSEC is TEMP.
 *  5. The profile's TLS level.
 * A null MX (RFC 7505), found by either lookup, answers the TLS level so that
 * the MTA itself returns the mail: never TEMP, which would defer it forever.
 * Never weaker than the profile; an outcome needed but not known in time:
 * TEMP.
 */
#ifndef DESTCTL_DECIDE_H
#define DESTCTL_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "outcome.h"
#include "profile.h"
#include "sockmap.h"

struct decide_input {
    const struct profile_settings *profile;	/* effective settings */
    const char *domain;			/* the next-hop domain (A-label), or the
					 * route text for an explicit next hop */
    bool    route;			/* the key was an explicit next hop, or the
					 * domain's mail goes to a route */
    enum dane_outcome dane;
    const char *dane_why;		/* detail for the reason; borrowed */
    int     dane_failed;		/* MX hosts unusable: their lookups failed */
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
    MATCH_STS_HOSTNAME,			/* MTA-STS, every MX listed and the MX
					 * RRset validated: each host its own name */
};

struct decision {
    bool    temp;			/* answer TEMP, not a policy */
    enum pf_level level;
    enum match_kind match;
    const char *match_names;		/* MATCH_STS: ":"-separated; borrowed */
    bool    tls12;			/* require TLS 1.2 or later (MTA-STS) */
    bool    dane_applied;
    bool    sts_applied;
    bool    null_mx;			/* the domain accepts no mail (RFC 7505) */
    enum refuse refuse;
    char    reason[256];		/* why, for logs and the profile map */
    char    note[512];			/* "" or what was not applied, and why:
					 * logged with the decision */
};

/* What decide_next() needs before it can decide. */
enum decide_step {
    DECIDE_DONE,			/* out holds the decision */
    DECIDE_NEED_DANE,			/* look DANE up, set in->dane, call again */
    DECIDE_NEED_STS,			/* look MTA-STS up, set in->sts, call again */
};

/*
 * decide_next - one step: DECIDE_DONE with the decision in out, or which
 * outcome is needed first. An outcome the rules need is asked for while it
 * is NOT_ASKED; PENDING means it was asked for and not found in time, and
 * decides TEMP where the answer depends on it. The caller loops: gather,
 * fill in, call again. out is written only with DECIDE_DONE. Pure.
 */
extern enum decide_step decide_next(const struct decide_input *in, struct decision *out);

/* decide - the decision for in, total: an outcome still needed is TEMP. */
extern void decide(const struct decide_input *in, struct decision *out);

/*
 * decide_route_profile - the profile that answers for an explicit next hop
 * key ("[host]:port"...): of every profile whose route is key (the default
 * included), the one with the strictest TLS level; NULL when none routes
 * there. Borrowed from t.
 */
extern const struct profile *decide_route_profile(const struct profile_table *t,
						          const char *key);

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
 * render_sendmail_sts - the answer of the `sts` map (Sendmail's FEATURE(sts),
 * INTERFACES.md) for a decision made without DANE: with an MTA-STS policy
 * applied, SOCKMAP_OK and "secure match=MX1:MX2 servername=hostname" (the
 * matching MX names; servername=hostname last, as Sendmail requires);
 * SOCKMAP_TEMP and the reason when undecided; else SOCKMAP_NOTFOUND (no
 * policy in force: testing, none, absent, or MTA-STS off for the profile).
 */
extern enum sockmap_status render_sendmail_sts(const struct decide_input *in,
					               const struct decision *d,
					               struct buf *out);

/*
 * render_profile - the `profile` map value (INTERFACES.md): space-separated
 * key=value fields, values percent-encoded (RFC 3986 unreserved kept):
 * domain, profile, tls, dane, mta_sts, decision, reason, bounce_verification,
 * refuse, early_refusal. `profile_name` is the matched entry ("default" for
 * the default); `policy` the rendered tlspolicy value ("TEMP" for TEMP).
 * Appends to out; the first field gets no leading space. Past out's limit,
 * out's overflow flag is set.
 */
extern void render_profile(const struct decide_input *in, const char *profile_name,
			           const struct decision *d, const char *policy,
			           struct buf *out);

/* pf_level_name - "none", "may", "encrypt", "dane", "dane-only", "verify", "secure". */
extern const char *pf_level_name(enum pf_level level);

#endif
