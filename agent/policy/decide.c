/*
 * decide - a profile and the DNS outcomes become what the MTA is told.
 *
 * decide_next() is pure: no I/O, no clock, no globals but constant tables.
 * It is total: every combination of inputs, including values outside the
 * enums, gets an answer or a request for one more outcome, and an answer
 * that cannot be trusted is TEMP, never a weaker policy. The steps, in
 * order (each a table below; decide.h says them in words):
 *
 *  1. tls = none: "none"; DANE and MTA-STS are ignored (the config forbids
 *     them with tls none, so nothing is lost).
 *  2. An explicit route: no DANE, no MTA-STS whatever their outcome (even
 *     PENDING or BOGUS; nobody asked), the profile's TLS level.
 *  3. DANE, when the profile asks for it (dane_rules): it takes precedence
 *     over MTA-STS, and either answers or notes why it did not apply.
 *  4. MTA-STS, when the profile asks for it and DANE did not answer
 *     (sts_rules): enforce answers "secure" with the policy's MX names,
 *     testing and none fall through.
 *  5. The profile's TLS level (tls_rules).
 *
 * Never weaker than the profile: "dane-only" and "secure" are at least as
 * strong as every TLS level; Postfix's "dane" falls to "may" for an MX
 * without TLSA, so it is used only where the level is "may" anyway.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "decide.h"
#include "log.h"
#include "profile.h"

/* A step that did not answer: go on to the next (inside decide.c only). */
#define DECIDE_NEXT	((enum decide_step) (DECIDE_NEED_STS + 1))

#define REASON_NAME_MAX	120		/* bytes of a domain or why in a reason */

/* What one decision works with: the input, names made safe for text. */
struct decide_ctx {
    const struct decide_input *in;
    const struct profile_settings *p;
    struct decision *out;
    char    domain[REASON_NAME_MAX + 4];
    char    dane_why[REASON_NAME_MAX + 4];
    char    sts_why[REASON_NAME_MAX + 4];
};

/*
 * The TLS levels (step 5). dane_ok: Postfix's "dane" level is not weaker
 * than this level, because for an MX without usable TLSA it behaves as
 * "may", which is what the level gives anyway. How each level is written for
 * Postfix (and why) is in render.c. Rows in enum order: indexed by tls.
 */
static const struct tls_rule {
    int     tls;			/* enum tls_level */
    enum pf_level level;
    enum match_kind match;
    bool    dane_ok;
} tls_rules[] = {
    {TLS_NONE, PF_NONE, MATCH_DEFAULT, false},
    {TLS_PREFERRED, PF_MAY, MATCH_DEFAULT, true},
    {TLS_REQUIRED, PF_ENCRYPT, MATCH_DEFAULT, false},
    {TLS_PREFERRED_VERIFY, PF_MAY, MATCH_DEFAULT, true},
    {TLS_REQUIRED_VERIFY, PF_SECURE, MATCH_NEXTHOP, false},
    {TLS_REQUIRED_VERIFY_HOSTED, PF_VERIFY, MATCH_HOSTED, false},
};

#define TLS_RULES	(sizeof(tls_rules) / sizeof(tls_rules[0]))
#define DANE_MODES	(DANE_MANDATORY + 1)

/* What DANE does with an outcome (step 3). */
enum dane_act {
    DA_INVALID,				/* a row left out: TEMP (our bug) */
    DA_NEED,				/* not looked up yet: ask for it */
    DA_SKIP,				/* not applied: note it, go on to MTA-STS */
    DA_TEMP,				/* answer TEMP: the outcome is not known */
    DA_DANE_ONLY,			/* "dane-only": Postfix defers without TLSA */
    DA_ALL,				/* "dane" if the level is dane_ok, else
					 * "dane-only" (the same where TLSA is
					 * on every MX; "dane" is kinder if one
					 * disappears before delivery) */
    DA_SOME,				/* see decide_dane_some() */
    DA_NONE,				/* DA_SKIP, unless hosts failed: then
					 * "dane" if the level is dane_ok */
    DA_NULL_MX,				/* the domain accepts no mail */
};

/*
 * The DANE rules, by profile setting and outcome. The formats take two
 * strings: the domain, then the detail (dane_why); a format may use only
 * the first. dane = none has no rows: DANE is not in play.
 */
static const struct dane_rule {
    enum dane_act act;
    enum refuse refuse;
    const char *fmt;			/* the reason (or the note for DA_SKIP) */
} dane_rules[DANE_MODES][DANE_OUTCOMES] = {
    [DANE_OPPORTUNISTIC] = {
	[DANE_OUT_NOT_ASKED] = {DA_NEED, REFUSE_TEMP, NULL},
	[DANE_OUT_PENDING] = {DA_TEMP, REFUSE_TEMP,
	"DANE lookup not finished in time for %s"},
	[DANE_OUT_ALL] = {DA_ALL, REFUSE_NONE,
	"DANE TLSA usable on every MX of %s"},
	[DANE_OUT_SOME] = {DA_SOME, REFUSE_NONE,
	"DANE TLSA usable on some MX of %s only; the others get may"},
	[DANE_OUT_NONE] = {DA_NONE, REFUSE_NONE,
	"no usable DANE TLSA for %s (%s)"},
	/* A failure is never a fallback: it may hide TLSA. */
	[DANE_OUT_BOGUS] = {DA_DANE_ONLY, REFUSE_TEMP,
	"DANE opportunistic: DNSSEC bogus for %s (%s); not falling back"},
	[DANE_OUT_DNS_ERROR] = {DA_TEMP, REFUSE_TEMP,
	    "DANE opportunistic: DNS lookup failed for %s (%s), it may hide TLSA; "
	"not falling back"},
	[DANE_OUT_NULL_MX] = {DA_NULL_MX, REFUSE_NONE, NULL},
    },
    [DANE_MANDATORY] = {
	[DANE_OUT_NOT_ASKED] = {DA_NEED, REFUSE_TEMP, NULL},
	[DANE_OUT_PENDING] = {DA_TEMP, REFUSE_TEMP,
	"DANE lookup not finished in time for %s"},
	[DANE_OUT_ALL] = {DA_DANE_ONLY, REFUSE_NONE,
	"DANE mandatory: TLSA usable on every MX of %s"},
	/* dane-only: Postfix defers for the MX without TLSA, uses the rest. */
	[DANE_OUT_SOME] = {DA_DANE_ONLY, REFUSE_NONE,
	    "DANE mandatory: TLSA usable on some MX of %s only; Postfix defers "
	"delivery to the others"},
	/* Will not clear by waiting (unless a failed host hides TLSA). */
	[DANE_OUT_NONE] = {DA_DANE_ONLY, REFUSE_PERM,
	    "DANE mandatory but %s has no usable TLSA / is not DNSSEC-signed: %s"},
	[DANE_OUT_BOGUS] = {DA_DANE_ONLY, REFUSE_TEMP,
	"DANE mandatory: DNSSEC bogus for %s (%s); Postfix defers"},
	[DANE_OUT_DNS_ERROR] = {DA_TEMP, REFUSE_TEMP,
	"DANE mandatory: DNS lookup failed for %s (%s); not falling back"},
	[DANE_OUT_NULL_MX] = {DA_NULL_MX, REFUSE_NONE, NULL},
    },
};

/* What MTA-STS does with an outcome (step 4). */
enum sts_act {
    SA_INVALID,				/* a row left out: TEMP (our bug) */
    SA_NEED,				/* not looked up yet: ask for it */
    SA_LEVEL,				/* note it, then the TLS level */
    SA_TEMP,				/* answer TEMP */
    SA_ENFORCE,				/* "secure" with the matching MX names */
    SA_NULL_MX,				/* the domain accepts no mail */
};

/* The MTA-STS rules; formats take the domain, then sts.why. */
static const struct sts_rule {
    enum sts_act act;
    const char *fmt;
} sts_rules[STS_STATES] = {
    [STS_NOT_ASKED] = {SA_NEED, NULL},
    [STS_PENDING] = {SA_TEMP, "MTA-STS lookup not finished in time for %s"},
    [STS_NONE] = {SA_LEVEL, "no MTA-STS policy for %s (%s)"},
    [STS_TESTING] = {SA_LEVEL, "MTA-STS policy of %s in testing mode: not enforced"},
    [STS_ENFORCE] = {SA_ENFORCE, "MTA-STS policy of %s enforced"},
    /* RFC 8461 3.1, 5: only a cached policy protects; with none cached a
     * failed TXT lookup is "no policy known", and TEMP would defer mail to
     * every domain with a flaky name server while protecting nothing. */
    [STS_DNS_ERROR] = {SA_LEVEL, "no MTA-STS policy known for %s: the TXT lookup "
    "failed (%s) and none is cached; retried soon"},
    /* Forged answers are an attack, not an absence. */
    [STS_BOGUS] = {SA_TEMP, "MTA-STS: DNSSEC bogus for %s (%s); not falling back"},
    [STS_NULL_MX] = {SA_NULL_MX, NULL},
};

/* reason_add - append "; "-separated text to the reason, truncating */
static void __attribute__((format(printf, 2, 3)))
reason_add(struct decision *out, const char *fmt,...)
{
    size_t  len = strlen(out->reason);
    va_list ap;

    if (len > 0 && len + 2 < sizeof(out->reason)) {
	memcpy(out->reason + len, "; ", 3);
	len += 2;
    }
    if (len + 1 >= sizeof(out->reason))
	return;
    va_start(ap, fmt);
    vsnprintf(out->reason + len, sizeof(out->reason) - len, fmt, ap);
    va_end(ap);
}

/* answer_temp - a TEMP answer; its reason replaces any notes */
static void answer_temp(struct decide_ctx *c, enum refuse refuse,
			        const char *fmt, const char *why)
{
    struct decision *out = c->out;

    out->temp = true;
    out->level = PF_DANE_ONLY;		/* fail-safe should anyone render it */
    out->match = MATCH_DEFAULT;
    out->match_names = NULL;
    out->tls12 = false;
    out->dane_applied = out->sts_applied = false;
    out->refuse = refuse;
    out->reason[0] = '\0';
    reason_add(out, fmt, c->domain, why);
}

/* answer_level - the profile's TLS level (step 5) */
static void answer_level(struct decide_ctx *c)
{
    const struct tls_rule *r = &tls_rules[c->p->tls];

    c->out->level = r->level;
    c->out->match = r->match;
    c->out->refuse = REFUSE_NONE;
    reason_add(c->out, "profile TLS level %s",
	       name_code_name(profile_tls_names, c->p->tls));
}

/* answer_dane - Postfix's "dane" or "dane-only" because of DANE */
static void answer_dane(struct decide_ctx *c, enum pf_level level,
			        enum refuse refuse, const char *fmt)
{
    c->out->level = level;
    c->out->dane_applied = true;
    c->out->refuse = refuse;
    reason_add(c->out, fmt, c->domain, c->dane_why);
}

/*
 * answer_null_mx - RFC 7505: the domain accepts no mail. The profile's TLS
 * level, so that the MTA looks up the MX itself and returns the mail at
 * once (Postfix: "nullMX"); TEMP would defer it until it expires, and a
 * cached MTA-STS enforce policy must not turn it into a deferral loop.
 */
static void answer_null_mx(struct decide_ctx *c)
{
    const struct tls_rule *r = &tls_rules[c->p->tls];

    c->out->level = r->level;
    c->out->match = r->match;
    c->out->null_mx = true;
    c->out->refuse = REFUSE_NONE;
    c->out->reason[0] = '\0';
    reason_add(c->out, "%s has a null MX (RFC 7505): it accepts no mail, the MTA "
	       "returns it", c->domain);
}

/* note_add - text for the decision's note, once */
static void note_add(struct decide_ctx *c, const char *fmt)
{
    if (c->out->note[0] == '\0')
	snprintf(c->out->note, sizeof(c->out->note), fmt, c->domain);
}

/*
 * answer_failed_hosts - some MX hosts' lookups failed, and they may hide
 * TLSA. At a level stricter than "may", anything but a DANE level would let
 * Postfix use such a host without looking at its TLSA: "dane-only", under
 * which Postfix looks TLSA up for each host itself and skips the ones it
 * cannot verify (it defers until they can be), refuse temp.
 */
static void answer_failed_hosts(struct decide_ctx *c)
{
    answer_dane(c, PF_DANE_ONLY, REFUSE_TEMP, "DNS lookups of some MX hosts of %s "
		"failed and may hide TLSA: dane-only, Postfix verifies each host's "
		"TLSA itself");
}

/*
 * decide_dane_some - usable TLSA on some MX hosts only. Where the level is
 * "may" anyway (dane_ok), Postfix's "dane": DANE for the hosts with TLSA,
 * "may" for the others; an MTA-STS policy is not applied to them (Postfix
 * cannot say "DANE for one MX, MTA-STS for another", and RFC 8461 section 2
 * forbids MTA-STS overriding a failing DANE check, which "secure" would do
 * for the TLSA hosts), so it is not even looked up. A stricter level:
 * "dane" would be weaker than it for the hosts without TLSA, so with an
 * MTA-STS enforce policy (or hosts whose lookups failed) "dane-only" (DANE
 * where usable, the others skipped: stronger than both), and otherwise the
 * level with a note that DANE was not applied.
 */
static enum decide_step decide_dane_some(struct decide_ctx *c, const struct dane_rule *r)
{
    enum sts_state st = c->in->sts.state;

    if (tls_rules[c->p->tls].dane_ok) {
	if (c->p->mta_sts)
	    note_add(c, "MTA-STS (if %s has a policy) not applied to its MX hosts "
		     "without TLSA: DANE takes precedence (RFC 8461 section 2)");
	answer_dane(c, PF_DANE, r->refuse, r->fmt);
	return DECIDE_DONE;
    }
    if (c->in->dane_failed > 0) {
	answer_failed_hosts(c);
	return DECIDE_DONE;
    }
    if (c->p->mta_sts && st == STS_NOT_ASKED)
	return DECIDE_NEED_STS;
    if (c->p->mta_sts && (st == STS_PENDING || st == STS_BOGUS)) {
	answer_temp(c, REFUSE_TEMP, sts_rules[st].fmt, c->sts_why);
	return DECIDE_DONE;
    }
    if (c->p->mta_sts && st == STS_ENFORCE) {
	note_add(c, "MTA-STS policy of %s not applied to its MX hosts without "
		 "TLSA: DANE takes precedence, and dane-only skips them");
	answer_dane(c, PF_DANE_ONLY, REFUSE_NONE, "DANE TLSA usable on some MX of %s "
		    "only, MTA-STS enforce: dane-only");
	return DECIDE_DONE;
    }
    note_add(c, "DANE not applied to %s: usable TLSA on some MX only, and "
	     "Postfix's dane level would be weaker than the profile's TLS level "
	     "for the others");
    reason_add(c->out, "DANE not applied: TLSA usable on some MX of %s only, and "
	       "Postfix's dane would fall to may for the others", c->domain);
    return DECIDE_NEXT;
}

/*
 * decide_dane_none_failed - no usable TLSA on the hosts that answered, the
 * lookups of others failed. Where the level is "may" anyway: an MTA-STS
 * policy, if the profile asks, decides first (it is stronger than "dane",
 * and a failed host takes nothing from it); else Postfix's "dane", which
 * skips the failed hosts itself. A stricter level: answer_failed_hosts().
 */
static enum decide_step decide_dane_none_failed(struct decide_ctx *c)
{
    enum sts_state st = c->in->sts.state;

    if (!tls_rules[c->p->tls].dane_ok) {
	answer_failed_hosts(c);
	return DECIDE_DONE;
    }
    if (c->p->mta_sts && st != STS_NONE && st != STS_TESTING && st != STS_DNS_ERROR) {
	reason_add(c->out, "no usable DANE TLSA on the MX hosts of %s that answered",
		   c->domain);
	return DECIDE_NEXT;		/* enforce, pending, bogus...: step 4 */
    }
    answer_dane(c, PF_DANE, REFUSE_NONE, "no usable DANE TLSA on the MX hosts of %s "
		"that answered; Postfix's dane skips the hosts whose lookups failed");
    return DECIDE_DONE;
}

/*
 * decide_dane - step 3. DECIDE_NEXT: DANE did not answer, go on. One MX
 * host's failed lookups make that host unusable, not the domain: Postfix's
 * dane levels skip such a host themselves, so where no usable host has TLSA
 * and the level is "may" anyway, "dane" still keeps the failed host from
 * being used without its TLSA.
 */
static enum decide_step decide_dane(struct decide_ctx *c)
{
    const struct dane_rule *r;
    bool    dane_ok = tls_rules[c->p->tls].dane_ok;

    if (c->p->dane == DANE_NONE)
	return DECIDE_NEXT;
    r = &dane_rules[c->p->dane][c->in->dane];
    switch (r->act) {
    case DA_NEED:
	return DECIDE_NEED_DANE;
    case DA_NONE:
	if (c->in->dane_failed > 0)
	    return decide_dane_none_failed(c);
	/* FALLTHROUGH */
    case DA_SKIP:
	reason_add(c->out, r->fmt, c->domain, c->dane_why);
	return DECIDE_NEXT;
    case DA_TEMP:
	answer_temp(c, r->refuse, r->fmt, c->dane_why);
	return DECIDE_DONE;
    case DA_DANE_ONLY:
	/* Mandatory without TLSA: permanent, unless a failed host hides it. */
	answer_dane(c, PF_DANE_ONLY, r->refuse == REFUSE_PERM && c->in->dane_failed > 0
		    ? REFUSE_TEMP : r->refuse, r->fmt);
	return DECIDE_DONE;
    case DA_ALL:
	answer_dane(c, dane_ok ? PF_DANE : PF_DANE_ONLY, r->refuse, r->fmt);
	return DECIDE_DONE;
    case DA_SOME:
	return decide_dane_some(c, r);
    case DA_NULL_MX:
	answer_null_mx(c);
	return DECIDE_DONE;
    case DA_INVALID:
	break;
    }
    answer_temp(c, REFUSE_TEMP, "internal error: no DANE rule for %s", "");
    return DECIDE_DONE;
}

/*
 * sts_names_ok - mx_match can go into a Postfix match= attribute: ":"-
 * separated host names, none empty or starting with "." (Postfix reads that
 * as "any subdomain"), only letters, digits, "-", "_", "."; anything else
 * (a space would start another attribute) is refused.
 */
static bool sts_names_ok(const char *names)
{
    const char *s;
    bool    start = true;

    for (s = names; *s; s++) {
	if (*s == ':') {
	    if (start)
		return false;
	    start = true;
	    continue;
	}
	if (start && *s == '.')
	    return false;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
	      || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
	    return false;
	start = false;
    }
    return !start;
}

/*
 * decide_sts - step 4. Enforce is "secure" (RFC 8461 section 4: a valid
 * certificate for a policy-listed MX, TLS 1.2 or later), at least as strong
 * as every TLS level, so it always wins over the level. Enforce with no MX
 * matching the policy: nothing may be delivered now; TEMP (the MX or the
 * policy may change). Which names the certificate must carry: render.c.
 */
static enum decide_step decide_sts(struct decide_ctx *c)
{
    const struct sts_rule *r = &sts_rules[c->in->sts.state];
    const char *names = c->in->sts.mx_match ? c->in->sts.mx_match : "";

    switch (r->act) {
    case SA_NEED:
	return DECIDE_NEED_STS;
    case SA_LEVEL:
	reason_add(c->out, r->fmt, c->domain, c->sts_why);
	return DECIDE_NEXT;
    case SA_TEMP:
	answer_temp(c, REFUSE_TEMP, r->fmt, c->sts_why);
	return DECIDE_DONE;
    case SA_NULL_MX:
	answer_null_mx(c);
	return DECIDE_DONE;
    case SA_ENFORCE:
	if (*names == '\0') {
	    answer_temp(c, REFUSE_TEMP, "MTA-STS enforce: no MX of %s matches the "
			"policy (%s)", c->sts_why);
	} else if (!sts_names_ok(names)) {
	    answer_temp(c, REFUSE_TEMP,
			"MTA-STS enforce: an MX name of %s cannot be written "
			"in a Postfix policy", "");
	} else {
	    c->out->level = PF_SECURE;
	    /* Each host its own name only where Postfix's MX lookup cannot be
	     * forged (see render.c); else the list of policy-listed names. */
	    c->out->match = c->in->sts.all_match && c->in->sts.mx_secure
		? MATCH_STS_HOSTNAME : MATCH_STS;
	    c->out->match_names = names;
	    c->out->tls12 = true;
	    c->out->sts_applied = true;
	    c->out->refuse = REFUSE_NONE;
	    reason_add(c->out, r->fmt, c->domain, c->sts_why);
	}
	return DECIDE_DONE;
    case SA_INVALID:
	break;
    }
    answer_temp(c, REFUSE_TEMP, "internal error: no MTA-STS rule for %s", "");
    return DECIDE_DONE;
}

/* safe_text - text (NULL or "" as dflt) made safe and short for a reason */
static void safe_text(char *out, size_t outsz, const char *text, const char *dflt)
{
    if (text == 0 || *text == '\0')
	text = dflt;
    log_sanitize(out, outsz, text, strlen(text));
}

/* inputs_valid - every enum in range (anything else is a caller's bug) */
static bool inputs_valid(const struct decide_input *in)
{
    return (in->profile->tls >= 0 && (size_t) in->profile->tls < TLS_RULES
	    && in->profile->dane >= 0 && in->profile->dane < (int) DANE_MODES
	    && (int) in->dane >= 0 && (int) in->dane < (int) DANE_OUTCOMES
	    && (int) in->sts.state >= 0 && (int) in->sts.state < (int) STS_STATES);
}

/* decide_next - one step of the decision; see decide.h */
enum decide_step decide_next(const struct decide_input *in, struct decision *out)
{
    struct decide_ctx c;
    struct decision d;
    enum decide_step step;

    if (in == 0 || out == 0 || in->profile == 0)
	msg_panic("decide_next: null argument");
    memset(&d, 0, sizeof(d));
    memset(&c, 0, sizeof(c));
    c.in = in;
    c.p = in->profile;
    c.out = &d;
    safe_text(c.domain, sizeof(c.domain), in->domain, "(no domain)");
    safe_text(c.dane_why, sizeof(c.dane_why), in->dane_why, "no detail");
    safe_text(c.sts_why, sizeof(c.sts_why), in->sts.why, "no detail");

    if (!inputs_valid(in)) {
	answer_temp(&c, REFUSE_TEMP, "internal error: invalid decision input for %s",
		    "");
    } else if (c.p->tls == TLS_NONE) {
	/* Step 1: tls none; the config forbids dane or mta_sts with it. */
	answer_level(&c);
    } else if (in->route) {
	/* Step 2: an explicit next hop; its TLS level is the whole answer. */
	reason_add(&d, "explicit route %s: no DANE, no MTA-STS", c.domain);
	answer_level(&c);
    } else if ((step = decide_dane(&c)) != DECIDE_NEXT) {
	if (step != DECIDE_DONE)
	    return step;
    } else if (c.p->mta_sts && (step = decide_sts(&c)) != DECIDE_NEXT) {
	if (step != DECIDE_DONE)
	    return step;
    } else {
	answer_level(&c);
    }
    *out = d;
    return DECIDE_DONE;
}

/* decide - the decision for in; an outcome still needed is TEMP */
void    decide(const struct decide_input *in, struct decision *out)
{
    char    domain[REASON_NAME_MAX + 4];
    enum decide_step step = decide_next(in, out);

    if (step == DECIDE_DONE)
	return;
    /* Not looked up: unknown, so TEMP, never a fallback. */
    safe_text(domain, sizeof(domain), in->domain, "(no domain)");
    memset(out, 0, sizeof(*out));
    out->temp = true;
    out->level = PF_DANE_ONLY;		/* fail-safe should anyone render it */
    out->refuse = REFUSE_TEMP;
    snprintf(out->reason, sizeof(out->reason), "%s lookup not made for %s; not "
	     "falling back", step == DECIDE_NEED_DANE ? "DANE" : "MTA-STS", domain);
}

/*
 * Routed next hops: TLS levels from weakest to strictest. An explicit next
 * hop is answered with the strictest level of the profiles routed there
 * (check-config warns when they differ).
 */
static const int tls_strictness[] = {
    [TLS_NONE] = 0, [TLS_PREFERRED] = 1, [TLS_PREFERRED_VERIFY] = 2,
    [TLS_REQUIRED] = 3, [TLS_REQUIRED_VERIFY_HOSTED] = 4, [TLS_REQUIRED_VERIFY] = 5,
};

/* decide_route_profile - the strictest profile routed to key */
const struct profile *decide_route_profile(const struct profile_table *t, const char *key)
{
    const struct profile *best = NULL;

    /* Every profile routed there, the default included: entries inherit
     * its route, and the default's own domains go there too. */
    for (size_t i = 0; i <= t->n; i++) {
	const struct profile *p = i < t->n ? t->v[i] : t->def;

	if (p->eff.route && strcasecmp(p->eff.route, key) == 0
	    && (best == NULL || tls_strictness[p->eff.tls] > tls_strictness[best->eff.tls]))
	    best = p;
    }
    return best;
}
