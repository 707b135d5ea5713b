/*
 * decide - a profile and the DNS outcomes become what the MTA is told.
 *
 * decide() is pure: no I/O, no clock, no globals but constant tables. It is
 * total: every combination of inputs, including values outside the enums,
 * gets an answer, and an answer that cannot be trusted is TEMP, never a
 * weaker policy. The steps, in order (each a table below):
 *
 *  1. tls = none: "none"; DANE and MTA-STS are ignored (the config forbids
 *     them with tls none, so nothing is lost).
 *  2. An explicit route: no DANE, no MTA-STS whatever their outcome (even
 *     PENDING or BOGUS; nobody asked), the profile's TLS level.
 *  3. DANE, when the profile asks for it (dane_rules): it takes precedence
 *     over MTA-STS, and either answers or notes why it did not apply.
 *  4. MTA-STS, when the profile asks for it and DANE did not apply
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

#include "decide.h"
#include "log.h"
#include "profile.h"

#define REASON_NAME_MAX	120		/* bytes of a domain or why in a reason */

/* What one decision works with: the input, names made safe for text. */
struct decide_ctx {
    bool    dane_fallback;		/* "dane" stands if MTA-STS does not enforce */
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
#define DANE_OUTCOMES	(DANE_OUT_DNS_ERROR + 1)
#define DANE_MODES	(DANE_MANDATORY + 1)
#define STS_STATES	(STS_DNS_ERROR + 1)

/* What DANE does with an outcome (step 3). */
enum dane_act {
    DA_INVALID,				/* a row left out: TEMP (our bug) */
    DA_SKIP,				/* not applied: note it, go on to MTA-STS */
    DA_TEMP,				/* answer TEMP: the outcome is not known */
    DA_DANE_ONLY,			/* "dane-only": Postfix defers without TLSA */
    DA_ALL,				/* "dane" if the level is dane_ok, else
					 * "dane-only" (the same where TLSA is
					 * on every MX; "dane" is kinder if one
					 * disappears before delivery) */
    DA_SOME,				/* "dane" if the level is dane_ok, else
					 * not applied (skip_fmt) */
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
    const char *skip_fmt;		/* DA_SOME when the level is not dane_ok */
} dane_rules[DANE_MODES][DANE_OUTCOMES] = {
    [DANE_OPPORTUNISTIC] = {
	/* Not asked although the profile wants DANE: unknown, so TEMP. */
	[DANE_OUT_NOT_ASKED] = {DA_TEMP, REFUSE_TEMP,
	"DANE lookup not made for %s; not falling back", NULL},
	[DANE_OUT_PENDING] = {DA_TEMP, REFUSE_TEMP,
	"DANE lookup not finished in time for %s", NULL},
	[DANE_OUT_ALL] = {DA_ALL, REFUSE_NONE,
	"DANE TLSA usable on every MX of %s", NULL},
	/* Postfix's "dane" falls to "may" for the MX without TLSA: only
	 * where the level is "may" anyway; else the level, and say so. */
	[DANE_OUT_SOME] = {DA_SOME, REFUSE_NONE,
	    "DANE TLSA usable on some MX of %s only; the others get may",
	    "DANE not applied: TLSA usable on some MX of %s only, and Postfix's "
	"dane would fall to may for the others"},
	[DANE_OUT_NONE] = {DA_SKIP, REFUSE_NONE,
	"no usable DANE TLSA for %s (%s)", NULL},
	/* A failure is never a fallback: it may hide TLSA. */
	[DANE_OUT_BOGUS] = {DA_DANE_ONLY, REFUSE_TEMP,
	"DANE opportunistic: DNSSEC bogus for %s (%s); not falling back", NULL},
	[DANE_OUT_DNS_ERROR] = {DA_TEMP, REFUSE_TEMP,
	    "DANE opportunistic: DNS lookup failed for %s (%s), it may hide TLSA; "
	"not falling back", NULL},
    },
    [DANE_MANDATORY] = {
	[DANE_OUT_NOT_ASKED] = {DA_TEMP, REFUSE_TEMP,
	"DANE lookup not made for %s; not falling back", NULL},
	[DANE_OUT_PENDING] = {DA_TEMP, REFUSE_TEMP,
	"DANE lookup not finished in time for %s", NULL},
	[DANE_OUT_ALL] = {DA_DANE_ONLY, REFUSE_NONE,
	"DANE mandatory: TLSA usable on every MX of %s", NULL},
	/* dane-only: Postfix defers for the MX without TLSA, uses the rest. */
	[DANE_OUT_SOME] = {DA_DANE_ONLY, REFUSE_NONE,
	    "DANE mandatory: TLSA usable on some MX of %s only; Postfix defers "
	"delivery to the others", NULL},
	/* Will not clear by waiting: the domain must publish TLSA. */
	[DANE_OUT_NONE] = {DA_DANE_ONLY, REFUSE_PERM,
	    "DANE mandatory but %s has no usable TLSA / is not DNSSEC-signed: %s",
	NULL},
	[DANE_OUT_BOGUS] = {DA_DANE_ONLY, REFUSE_TEMP,
	"DANE mandatory: DNSSEC bogus for %s (%s); Postfix defers", NULL},
	[DANE_OUT_DNS_ERROR] = {DA_TEMP, REFUSE_TEMP,
	"DANE mandatory: DNS lookup failed for %s (%s); not falling back", NULL},
    },
};

/* What MTA-STS does with an outcome (step 4). */
enum sts_act {
    SA_INVALID,				/* a row left out: TEMP (our bug) */
    SA_LEVEL,				/* note it, then the TLS level */
    SA_TEMP,				/* answer TEMP */
    SA_ENFORCE,				/* "secure" with the matching MX names */
};

/* The MTA-STS rules; formats take the domain, then sts.why. */
static const struct sts_rule {
    enum sts_act act;
    const char *fmt;
} sts_rules[STS_STATES] = {
    [STS_NOT_ASKED] = {SA_LEVEL, "MTA-STS not looked up for %s"},
    [STS_PENDING] = {SA_TEMP, "MTA-STS lookup not finished in time for %s"},
    [STS_NONE] = {SA_LEVEL, "no MTA-STS policy for %s (%s)"},
    [STS_TESTING] = {SA_LEVEL, "MTA-STS policy of %s in testing mode: not enforced"},
    [STS_ENFORCE] = {SA_ENFORCE, "MTA-STS policy of %s enforced"},
    /* A failure may hide a policy: never taken as "no policy". */
    [STS_DNS_ERROR] = {SA_TEMP, "MTA-STS: DNS lookup failed for %s (%s); not "
    "falling back"},
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

/* decide_dane - step 3; true when DANE gave the answer */
static bool decide_dane(struct decide_ctx *c)
{
    const struct dane_rule *r;
    bool    dane_ok = tls_rules[c->p->tls].dane_ok;

    if (c->p->dane == DANE_NONE)
	return false;
    r = &dane_rules[c->p->dane][c->in->dane];
    switch (r->act) {
    case DA_SKIP:
	reason_add(c->out, r->fmt, c->domain, c->dane_why);
	return false;
    case DA_TEMP:
	answer_temp(c, r->refuse, r->fmt, c->dane_why);
	return true;
    case DA_DANE_ONLY:
	answer_dane(c, PF_DANE_ONLY, r->refuse, r->fmt);
	return true;
    case DA_ALL:
	answer_dane(c, dane_ok ? PF_DANE : PF_DANE_ONLY, r->refuse, r->fmt);
	return true;
    case DA_SOME:
	if (dane_ok && !c->p->mta_sts) {
	    answer_dane(c, PF_DANE, r->refuse, r->fmt);
	    return true;
	}
	if (dane_ok) {
	    /* "dane" lets the MX without TLSA go with "may": an MTA-STS
	     * enforce policy asks more of them, so it is looked at first. */
	    c->dane_fallback = true;
	    return false;
	}
	reason_add(c->out, r->skip_fmt, c->domain, c->dane_why);
	return false;
    case DA_INVALID:
	break;
    }
    answer_temp(c, REFUSE_TEMP, "internal error: no DANE rule for %s", "");
    return true;
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
 * decide_sts - step 4; true when MTA-STS gave the answer. Enforce is
 * "secure" (RFC 8461 section 4: a valid certificate for a policy-listed MX,
 * TLS 1.2 or later), at least as strong as every TLS level, so it always
 * wins over the level. Enforce with no MX matching the policy: nothing may
 * be delivered now; TEMP (the MX or the policy may change).
 */
static bool decide_sts(struct decide_ctx *c)
{
    const struct sts_rule *r = &sts_rules[c->in->sts.state];
    const char *names = c->in->sts.mx_match ? c->in->sts.mx_match : "";

    switch (r->act) {
    case SA_LEVEL:
	reason_add(c->out, r->fmt, c->domain, c->sts_why);
	return false;
    case SA_TEMP:
	answer_temp(c, REFUSE_TEMP, r->fmt, c->sts_why);
	return true;
    case SA_ENFORCE:
	if (*names == '\0') {
	    answer_temp(c, REFUSE_TEMP,
			"MTA-STS enforce: no MX of %s matches the policy", "");
	} else if (!sts_names_ok(names)) {
	    answer_temp(c, REFUSE_TEMP,
			"MTA-STS enforce: an MX name of %s cannot be written "
			"in a Postfix policy", "");
	} else {
	    c->out->level = PF_SECURE;
	    c->out->match = MATCH_STS;
	    c->out->match_names = names;
	    c->out->tls12 = true;
	    c->out->sts_applied = true;
	    c->out->refuse = REFUSE_NONE;
	    reason_add(c->out, r->fmt, c->domain, c->sts_why);
	}
	return true;
    case SA_INVALID:
	break;
    }
    answer_temp(c, REFUSE_TEMP, "internal error: no MTA-STS rule for %s", "");
    return true;
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

/* decide - the decision for in; pure */
void    decide(const struct decide_input *in, struct decision *out)
{
    struct decide_ctx c;

    if (in == 0 || out == 0 || in->profile == 0)
	msg_panic("decide: null argument");
    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    c.in = in;
    c.p = in->profile;
    c.out = out;
    safe_text(c.domain, sizeof(c.domain), in->domain, "(no domain)");
    safe_text(c.dane_why, sizeof(c.dane_why), in->dane_why, "no detail");
    safe_text(c.sts_why, sizeof(c.sts_why), in->sts.why, "no detail");

    if (!inputs_valid(in)) {
	answer_temp(&c, REFUSE_TEMP, "internal error: invalid decision input for %s",
		    "");
	return;
    }
    /* Step 1: tls none; the config forbids dane or mta_sts with it. */
    if (c.p->tls == TLS_NONE) {
	answer_level(&c);
	return;
    }
    /* Step 2: an explicit next hop; its TLS level is the whole answer. */
    if (in->route) {
	reason_add(out, "explicit route %s: no DANE, no MTA-STS", c.domain);
	answer_level(&c);
	return;
    }
    if (decide_dane(&c))
	return;
    if (c.p->mta_sts) {
	out->sts_consulted = true;
	if (decide_sts(&c))
	    return;
    }
    if (c.dane_fallback) {
	const struct dane_rule *r = &dane_rules[c.p->dane][in->dane];

	answer_dane(&c, PF_DANE, r->refuse, r->fmt);
	return;
    }
    answer_level(&c);
}

/* decide_wants_sts - the MTA-STS step is reached: DANE did not answer */
bool    decide_wants_sts(const struct decide_input *in)
{
    struct decide_input probe = *in;
    struct decision d;

    if (!in->profile->mta_sts || in->route || in->profile->tls == TLS_NONE)
	return false;
    probe.sts.state = STS_NOT_ASKED;	/* never answers itself */
    decide(&probe, &d);
    return d.sts_consulted;
}
