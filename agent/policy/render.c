/*
 * render - a decision as text: the Postfix smtp_tls_policy_maps value, and
 * the `profile` map value (INTERFACES.md). Pure: text in a buf, no I/O.
 *
 * The Postfix values, one per TLS level (decide.c picks level and match):
 *   none                    none
 *   preferred               may
 *   preferred-verify        may (Postfix has no "verify, else deliver anyway";
 *                           "may" logs whether the certificate was trusted)
 *   required                encrypt
 *   required-verify         secure match=nexthop:dot-nexthop
 *   required-verify-hosted  verify match=hostname:nexthop:dot-nexthop
 * plus "dane", "dane-only" (DANE), and for MTA-STS enforce
 *   secure match=<mx>:<mx>... servername=hostname protocols=>=TLSv1.2
 *   secure match=hostname servername=hostname protocols=>=TLSv1.2
 * Attributes need Postfix 3.4 (servername) and 3.6 (protocols=>=); Debian 12
 * ships 3.7. Postfix needs smtp_dns_support_level = dnssec for dane.
 */
#include <stddef.h>
#include <string.h>

#include "decide.h"
#include "delivery.h"
#include "profile.h"

/* Postfix's names of its TLS security levels; rows in enum order. */
static const char *const pf_level_names[] = {
    [PF_NONE] = "none",
    [PF_MAY] = "may",
    [PF_ENCRYPT] = "encrypt",
    [PF_DANE] = "dane",
    [PF_DANE_ONLY] = "dane-only",
    [PF_VERIFY] = "verify",
    [PF_SECURE] = "secure",
};

static const char *const refuse_names[] = {
    [REFUSE_NONE] = "none",
    [REFUSE_TEMP] = "temp",
    [REFUSE_PERM] = "perm",
};

#define COUNT(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The identity each kind of match checks, as a Postfix match= attribute.
 *
 * MATCH_NEXTHOP (required-verify): "secure match=nexthop:dot-nexthop".
 * "secure" trusts no name learned from an MX lookup: the certificate must
 * name the next-hop domain (nexthop: the recipient domain for MX delivery,
 * the relay's name for "[relay]:25") or a host under it (dot-nexthop:
 * mx1.example.com for example.com; the domain owner controls those names).
 * It is Postfix's default smtp_tls_secure_cert_match, written out so that a
 * local main.cf change cannot alter what the profile means.
 *
 * MATCH_HOSTED (required-verify-hosted): "verify match=hostname:nexthop:
 * dot-nexthop". Hosted mail (example.com served by mx.provider.net) has a
 * certificate naming the MX host, not the domain, so the MX host name as
 * found in DNS must be accepted: Postfix's "hostname" match, whose honest
 * level is "verify" (Postfix: "DNS MX lookups are trusted to be secure
 * enough"). The cost: without DNSSEC an attacker who forges the MX answer
 * can send mail to a host of his own with a valid certificate for its own
 * name. With a DNSSEC-validated MX RRset (smtp_dns_support_level = dnssec)
 * the MX name is as good as the domain. nexthop:dot-nexthop keep every
 * identity required-verify accepts, so hosted is never the stricter one.
 *
 * MATCH_STS (MTA-STS enforce): "secure match=<names> servername=hostname
 * protocols=>=TLSv1.2": the MX host names that match the policy, ":"-
 * separated (Postfix's list separator inside an attribute), the certificate
 * must be valid for one of them; SNI carries the MX name, which multi-
 * tenant MX hosts need to pick that certificate; TLS 1.2 or later (RFC 8461
 * section 4.2, the tls12 flag). RFC 8461 section 4.1 asks more: each MX
 * must present a certificate for its own name. Postfix's match= names are
 * alternatives, and the only per-host one, "hostname", is the name from
 * Postfix's own MX lookup. So what a list cannot express is "and for the
 * host connected to": one policy-listed MX may present another listed MX's
 * certificate. That is the strictest Postfix 3.7 value that keeps hosts the
 * policy does not list out (their certificates name no listed host).
 *
 * MATCH_STS_HOSTNAME: "secure match=hostname servername=hostname
 * protocols=>=TLSv1.2", used when every MX host matches the policy AND the
 * MX RRset is DNSSEC-validated: each host is then checked against its own
 * name, as RFC 8461 section 4.1 asks. Not without DNSSEC: with a forged MX
 * answer, "hostname" would accept an attacker's host with a valid
 * certificate for its own name, the very attack MTA-STS exists to stop.
 */
static const struct match_attr {
    enum match_kind kind;
    const char *text;			/* NULL: MATCH_STS, from match_names */
} match_attrs[] = {
    {MATCH_DEFAULT, ""},
    {MATCH_NEXTHOP, " match=nexthop:dot-nexthop"},
    {MATCH_HOSTED, " match=hostname:nexthop:dot-nexthop"},
    {MATCH_STS, NULL},
    {MATCH_STS_HOSTNAME, " match=hostname servername=hostname"},
};

/* pf_level_name - Postfix's name of a level, or "?" */
const char *pf_level_name(enum pf_level level)
{
    if ((int) level < 0 || (size_t) level >= COUNT(pf_level_names))
	return "?";
    return pf_level_names[level];
}

/* refuse_name - the profile map's refuse value, or "?" */
static const char *refuse_name(enum refuse r)
{
    if ((int) r < 0 || (size_t) r >= COUNT(refuse_names))
	return "?";
    return refuse_names[r];
}

/*
 * render_postfix - the smtp_tls_policy_maps value; -1 for TEMP, and for a
 * decision no Postfix value can express (level or match out of range, STS
 * names missing: our bug, and TEMP is the safe answer). The caller checks
 * buf_overflow(out).
 */
int     render_postfix(const struct decision *d, struct buf *out)
{
    const struct match_attr *m;

    if (d->temp || (int) d->level < 0 || (size_t) d->level >= COUNT(pf_level_names)
	|| (int) d->match < 0 || (size_t) d->match >= COUNT(match_attrs))
	return -1;
    m = &match_attrs[d->match];
    if (m->text == 0 && d->match_names == 0)
	return -1;
    buf_puts(out, pf_level_names[d->level]);
    if (m->text)
	buf_puts(out, m->text);
    else
	buf_printf(out, " match=%s servername=hostname", d->match_names);
    if (d->tls12)
	buf_puts(out, " protocols=>=TLSv1.2");
    return 0;
}

/* render_sendmail_sts - FEATURE(sts)'s value */
enum sockmap_status render_sendmail_sts(const struct decide_input *in,
					        const struct decision *d, struct buf *out)
{
    if (d->temp) {
	buf_puts(out, d->reason);
	return SOCKMAP_TEMP;
    }
    if (!d->sts_applied || in->sts.state != STS_ENFORCE || in->sts.mx_match == NULL
	|| in->sts.mx_match[0] == '\0')
	return SOCKMAP_NOTFOUND;
    /* Sendmail checks the MX name against match= itself (exact, or ".parent"
     * one level): the names that matched the policy are what it must find. */
    buf_printf(out, "secure match=%s servername=hostname", in->sts.mx_match);
    return SOCKMAP_OK;
}

/* render_profile - the `profile` map value, fields in INTERFACES.md order */
void    render_profile(const struct decide_input *in, const char *profile_name,
		               const struct decision *d, const char *policy,
		               struct buf *out)
{
    const struct profile_settings *p = in->profile;
    size_t  start = out->len;
    char    svc[DLV_NAME_MAX];

    buf_put_field(out, start, "domain", in->domain ? in->domain : "");
    buf_put_field(out, start, "profile", profile_name ? profile_name : "default");
    buf_put_field(out, start, "tls", name_code_name(profile_tls_names, p->tls));
    buf_put_field(out, start, "dane", name_code_name(profile_dane_names, p->dane));
    buf_put_field(out, start, "mta_sts", p->mta_sts ? "on" : "off");
    buf_put_field(out, start, "decision", policy);
    buf_put_field(out, start, "reason", d->reason);
    buf_put_field(out, start, "bounce_verification", p->bounce_verification ? "on" : "off");
    buf_put_field(out, start, "refuse", refuse_name(d->refuse));
    buf_put_field(out, start, "early_refusal", in->profile->early_refusal ? "on" : "off");
    buf_put_field(out, start, "service", dlv_transport(p, svc, sizeof(svc)));
    /* The outcomes the decision was made from (destctl explain). */
    buf_put_field(out, start, "dane_outcome", dane_outcome_name(in->dane));
    buf_put_field(out, start, "sts_state", sts_state_name(in->sts.state));
}
