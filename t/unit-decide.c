/*
 * unit-decide - the decision matrix, the Postfix values, the profile map.
 *
 * The matrix (TLS level x DANE setting x DANE outcome x failed MX hosts x
 * route) is checked against expectations built here from a small table of
 * the rules, written without the code's own tables or helpers; hand-written
 * rows pin exact replies and reasons, MTA-STS included. The paths of
 * decide_next() are in unit-decide-steps.c.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "decide.h"
#include "log.h"
#include "profile.h"
#include "tap.h"

/* The tables leave trailing fields out where they are zero (no failed MX
 * host, no note): that is their point, not an oversight. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define COUNT(a)	(sizeof(a) / sizeof((a)[0]))
#define REPLY_MAX	4096

/* The expected Postfix value of each TLS level, in enum tls_level order. */
static const char *const want_level[] = {
    "none",				/* none */
    "may",				/* preferred */
    "encrypt",				/* required */
    "may",				/* preferred-verify */
    "secure match=nexthop:dot-nexthop",	/* required-verify */
    "verify match=hostname:nexthop:dot-nexthop",	/* required-verify-hosted */
};

/* Whether Postfix's "dane" (may for an MX without TLSA) is acceptable. */
static const bool level_is_may[] = {false, true, false, true, false, false};

/* The least strength each TLS level demands; see strength() below. */
static const int level_floor[] = {0, 1, 2, 1, 3, 3};

/*
 * The rules, by DANE setting and outcome (dane none: DANE plays no part).
 * "LEVEL" is the profile's level; may_reply applies to preferred and
 * preferred-verify, strong_reply to required and the verify levels.
 */
static const struct rule {
    int     dane;
    enum dane_outcome outcome;
    const char *may_reply;
    const char *strong_reply;
    enum refuse refuse;
    const char *may_failed;		/* with a failed MX host: NULL = same */
    enum refuse refuse_failed;
    const char *strong_failed;
} rules[] = {
    {DANE_OPPORTUNISTIC, DANE_OUT_NOT_ASKED, "TEMP", "TEMP", REFUSE_TEMP},
    {DANE_OPPORTUNISTIC, DANE_OUT_PENDING, "TEMP", "TEMP", REFUSE_TEMP},
    {DANE_OPPORTUNISTIC, DANE_OUT_ALL, "dane", "dane-only", REFUSE_NONE},
    {DANE_OPPORTUNISTIC, DANE_OUT_SOME, "dane", "LEVEL", REFUSE_NONE, NULL, 0,
    "dane-only"},
    {DANE_OPPORTUNISTIC, DANE_OUT_NONE, "LEVEL", "LEVEL", REFUSE_NONE, "dane",
    REFUSE_NONE, "dane-only"},
    {DANE_OPPORTUNISTIC, DANE_OUT_BOGUS, "dane-only", "dane-only", REFUSE_TEMP},
    {DANE_OPPORTUNISTIC, DANE_OUT_DNS_ERROR, "TEMP", "TEMP", REFUSE_TEMP},
    {DANE_OPPORTUNISTIC, DANE_OUT_NULL_MX, "LEVEL", "LEVEL", REFUSE_NONE},
    {DANE_MANDATORY, DANE_OUT_NOT_ASKED, "TEMP", "TEMP", REFUSE_TEMP},
    {DANE_MANDATORY, DANE_OUT_PENDING, "TEMP", "TEMP", REFUSE_TEMP},
    {DANE_MANDATORY, DANE_OUT_ALL, "dane-only", "dane-only", REFUSE_NONE},
    {DANE_MANDATORY, DANE_OUT_SOME, "dane-only", "dane-only", REFUSE_NONE},
    {DANE_MANDATORY, DANE_OUT_NONE, "dane-only", "dane-only", REFUSE_PERM, NULL,
    REFUSE_TEMP},
    {DANE_MANDATORY, DANE_OUT_BOGUS, "dane-only", "dane-only", REFUSE_TEMP},
    {DANE_MANDATORY, DANE_OUT_DNS_ERROR, "TEMP", "TEMP", REFUSE_TEMP},
    {DANE_MANDATORY, DANE_OUT_NULL_MX, "LEVEL", "LEVEL", REFUSE_NONE},
};

#define N_TLS		6
#define N_DANE		3
#define N_OUTCOME	8
#define MATRIX		(N_TLS * N_DANE * N_OUTCOME * 2 * 2)

/* strength - how much a reply demands: none 0, may/dane 1, encrypt 2, more 3 */
static int strength(const char *reply)
{
    if (strcmp(reply, "TEMP") == 0)
	return 4;
    if (strcmp(reply, "none") == 0)
	return 0;
    if (strcmp(reply, "may") == 0 || strcmp(reply, "dane") == 0)
	return 1;
    if (strcmp(reply, "encrypt") == 0)
	return 2;
    return 3;
}

/* expect - the reply and refuse the rules give for one combination */
static const char *expect(int tls, int dane, enum dane_outcome o, bool failed,
			          bool route, enum refuse *refuse)
{
    *refuse = REFUSE_NONE;
    if (tls == TLS_NONE || route || dane == DANE_NONE)
	return want_level[tls];
    for (size_t i = 0; i < COUNT(rules); i++) {
	if (rules[i].dane == dane && rules[i].outcome == o) {
	    const char *r = level_is_may[tls] ? rules[i].may_reply
	    : rules[i].strong_reply;

	    *refuse = rules[i].refuse;
	    if (failed && rules[i].may_failed && level_is_may[tls])
		r = rules[i].may_failed;
	    if (failed && rules[i].refuse_failed)
		*refuse = rules[i].refuse_failed;
	    /* Stricter levels: a DANE level, so that Postfix looks at the
	     * failed host's TLSA; it may clear. */
	    if (failed && rules[i].strong_failed && !level_is_may[tls]) {
		r = rules[i].strong_failed;
		*refuse = REFUSE_TEMP;
	    }
	    return strcmp(r, "LEVEL") == 0 ? want_level[tls] : r;
	}
    }
    bail("no rule for dane %d outcome %d", dane, (int) o);
}

/* run - decide and render: the reply text ("TEMP" for a TEMP decision) */
static void run(const struct decide_input *in, struct decision *d, struct buf *b)
{
    decide(in, d);
    buf_reset(b);
    if (render_postfix(d, b) < 0) {
	buf_reset(b);
	buf_puts(b, "TEMP");
    }
    if (buf_overflow(b))
	bail("reply overflow");
}

/* test_matrix - every TLS level x DANE setting x DANE outcome x failed x route */
static void test_matrix(void)
{
    struct profile_settings s;
    struct decide_input in;
    struct decision d;
    struct buf *b = buf_alloc(64, REPLY_MAX);
    int     weaker = 0, bad_reason = 0;

    for (int tls = 0; tls < N_TLS; tls++) {
	for (int dane = 0; dane < N_DANE; dane++) {
	    for (int o = 0; o < N_OUTCOME * 2; o++) {
		for (int route = 0; route < 2; route++) {
		    enum refuse want_refuse;
		    bool    failed = o >= N_OUTCOME;
		    const char *want = expect(tls, dane, o % N_OUTCOME, failed, route,
					      &want_refuse);
		    const char *tn = name_code_name(profile_tls_names, tls);
		    const char *dn = name_code_name(profile_dane_names, dane);

		    profile_builtin(&s);
		    s.tls = tls;
		    s.dane = dane;
		    memset(&in, 0, sizeof(in));
		    in.profile = &s;
		    in.domain = route ? "[relay.example.net]:25" : "example.com";
		    in.route = route;
		    in.dane = o % N_OUTCOME;
		    in.dane_failed = failed;
		    in.dane_why = "detail";
		    run(&in, &d, b);
		    is_string(want, b->data, "tls %s dane %s outcome %s%s%s: %s",
			      tn, dn, dane_outcome_name(in.dane), failed ? " failed" : "",
			      route ? " route" : "", want);
		    is_int(want_refuse, d.refuse, "tls %s dane %s outcome %s%s%s: refuse",
			   tn, dn, dane_outcome_name(in.dane), failed ? " failed" : "",
			   route ? " route" : "");
		    is_int(strncmp(want, "dane", 4) == 0, d.dane_applied,
			   "tls %s dane %s outcome %s%s%s: dane_applied", tn, dn,
			   dane_outcome_name(in.dane), failed ? " failed" : "",
			   route ? " route" : "");
		    if (strength(b->data) < level_floor[tls]) {
			diag("weaker than the profile: %s for tls %s", b->data, tn);
			weaker++;
		    }
		    if (d.reason[0] == '\0' || strlen(d.reason) >= sizeof(d.reason))
			bad_reason++;
		}
	    }
	}
    }
    is_int(0, weaker, "no reply in the matrix is weaker than its profile's level");
    is_int(0, bad_reason, "every decision in the matrix has a reason");
    buf_free(b);
}

/* One hand-written case; domain is example.com, or a relay for a route. */
static const struct row {
    const char *name;
    int     tls, dane;
    bool    mta_sts, route;
    enum dane_outcome dout;
    const char *dane_why;
    enum sts_state sts;
    const char *mx_match;
    const char *sts_why;
    const char *want;			/* the reply, or "TEMP" */
    enum refuse refuse;
    const char *flags;			/* T temp, d dane_applied, s sts, t tls12,
					 * n null MX */
    const char *reason;			/* NULL: only "not empty" is checked */
    int     failed;			/* MX hosts whose lookups failed */
    bool    all_match, mx_secure;	/* MTA-STS: every MX listed; MX signed */
    const char *note;			/* NULL: no note expected */
} rows[] = {
    /* TLS levels alone */
    {"tls none", TLS_NONE, DANE_NONE, false, false, DANE_OUT_NOT_ASKED, 0,
	STS_NOT_ASKED, 0, 0, "none", REFUSE_NONE, "",
    "profile TLS level none"},
    {"tls preferred", TLS_PREFERRED, DANE_NONE, false, false, DANE_OUT_NOT_ASKED, 0,
	STS_NOT_ASKED, 0, 0, "may", REFUSE_NONE, "",
    "profile TLS level preferred"},
    {"tls required", TLS_REQUIRED, DANE_NONE, false, false, DANE_OUT_NOT_ASKED, 0,
	STS_NOT_ASKED, 0, 0, "encrypt", REFUSE_NONE, "",
    "profile TLS level required"},
    {"tls preferred-verify", TLS_PREFERRED_VERIFY, DANE_NONE, false, false,
	DANE_OUT_NOT_ASKED, 0, STS_NOT_ASKED, 0, 0, "may", REFUSE_NONE, "",
    "profile TLS level preferred-verify"},
    {"tls required-verify", TLS_REQUIRED_VERIFY, DANE_NONE, false, false,
	DANE_OUT_NOT_ASKED, 0, STS_NOT_ASKED, 0, 0,
	"secure match=nexthop:dot-nexthop", REFUSE_NONE, "",
    "profile TLS level required-verify"},
    {"tls required-verify-hosted", TLS_REQUIRED_VERIFY_HOSTED, DANE_NONE, false,
	false, DANE_OUT_NOT_ASKED, 0, STS_NOT_ASKED, 0, 0,
	"verify match=hostname:nexthop:dot-nexthop", REFUSE_NONE, "",
    "profile TLS level required-verify-hosted"},
    {"dane none ignores a bogus outcome", TLS_PREFERRED, DANE_NONE, false, false,
	DANE_OUT_BOGUS, "x", STS_NOT_ASKED, 0, 0, "may", REFUSE_NONE, "",
    "profile TLS level preferred"},
    /* DANE mandatory */
    {"mandatory, TLSA on every MX", TLS_REQUIRED_VERIFY, DANE_MANDATORY, false,
	false, DANE_OUT_ALL, 0, STS_NOT_ASKED, 0, 0, "dane-only", REFUSE_NONE, "d",
    "DANE mandatory: TLSA usable on every MX of example.com"},
    {"mandatory, TLSA on some MX", TLS_PREFERRED, DANE_MANDATORY, false, false,
	DANE_OUT_SOME, 0, STS_NOT_ASKED, 0, 0, "dane-only", REFUSE_NONE, "d",
	"DANE mandatory: TLSA usable on some MX of example.com only; Postfix "
    "defers delivery to the others"},
    {"mandatory, not available", TLS_REQUIRED, DANE_MANDATORY, false, false,
	DANE_OUT_NONE, "insecure delegation", STS_NOT_ASKED, 0, 0, "dane-only",
	REFUSE_PERM, "d", "DANE mandatory but example.com has no usable TLSA / is "
    "not DNSSEC-signed: insecure delegation"},
    {"mandatory, not available, no detail", TLS_REQUIRED, DANE_MANDATORY, false,
	false, DANE_OUT_NONE, 0, STS_NOT_ASKED, 0, 0, "dane-only", REFUSE_PERM, "d",
	"DANE mandatory but example.com has no usable TLSA / is not DNSSEC-signed: "
    "no detail"},
    {"mandatory, bogus", TLS_PREFERRED, DANE_MANDATORY, false, false,
	DANE_OUT_BOGUS, "signature expired", STS_NOT_ASKED, 0, 0, "dane-only",
	REFUSE_TEMP, "d", "DANE mandatory: DNSSEC bogus for example.com (signature "
    "expired); Postfix defers"},
    {"mandatory, DNS error", TLS_PREFERRED, DANE_MANDATORY, false, false,
	DANE_OUT_DNS_ERROR, "SERVFAIL", STS_NOT_ASKED, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "DANE mandatory: DNS lookup failed for example.com (SERVFAIL); not falling back"},
    {"mandatory, pending", TLS_REQUIRED_VERIFY, DANE_MANDATORY, false, false,
	DANE_OUT_PENDING, 0, STS_NOT_ASKED, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "DANE lookup not finished in time for example.com"},
    {"mandatory, not asked (caller bug)", TLS_REQUIRED, DANE_MANDATORY, false,
	false, DANE_OUT_NOT_ASKED, 0, STS_NOT_ASKED, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "DANE lookup not made for example.com; not falling back"},
    /* DANE opportunistic */
    {"opportunistic, all MX, preferred", TLS_PREFERRED, DANE_OPPORTUNISTIC, false,
	false, DANE_OUT_ALL, 0, STS_NOT_ASKED, 0, 0, "dane", REFUSE_NONE, "d",
    "DANE TLSA usable on every MX of example.com"},
    {"opportunistic, all MX, preferred-verify", TLS_PREFERRED_VERIFY,
	DANE_OPPORTUNISTIC, false, false, DANE_OUT_ALL, 0, STS_NOT_ASKED, 0, 0,
    "dane", REFUSE_NONE, "d", 0},
    {"opportunistic, all MX, required", TLS_REQUIRED, DANE_OPPORTUNISTIC, false,
	false, DANE_OUT_ALL, 0, STS_NOT_ASKED, 0, 0, "dane-only", REFUSE_NONE, "d",
    "DANE TLSA usable on every MX of example.com"},
    {"opportunistic, all MX, hosted", TLS_REQUIRED_VERIFY_HOSTED,
	DANE_OPPORTUNISTIC, false, false, DANE_OUT_ALL, 0, STS_NOT_ASKED, 0, 0,
    "dane-only", REFUSE_NONE, "d", 0},
    {"opportunistic, some MX, preferred", TLS_PREFERRED, DANE_OPPORTUNISTIC, false,
	false, DANE_OUT_SOME, 0, STS_NOT_ASKED, 0, 0, "dane", REFUSE_NONE, "d",
    "DANE TLSA usable on some MX of example.com only; the others get may"},
    {"opportunistic, some MX, required-verify", TLS_REQUIRED_VERIFY,
	DANE_OPPORTUNISTIC, false, false, DANE_OUT_SOME, 0, STS_NOT_ASKED, 0, 0,
	"secure match=nexthop:dot-nexthop", REFUSE_NONE, "",
	"DANE not applied: TLSA usable on some MX of example.com only, and Postfix's "
	"dane would fall to may for the others; profile TLS level required-verify",
	0, false, false, "DANE not applied to example.com: usable TLSA on some MX "
	"only, and Postfix's dane level would be weaker than the profile's TLS "
    "level for the others"},
    {"opportunistic, not available", TLS_REQUIRED, DANE_OPPORTUNISTIC, false, false,
	DANE_OUT_NONE, "no TLSA records", STS_NOT_ASKED, 0, 0, "encrypt", REFUSE_NONE,
    "", "no usable DANE TLSA for example.com (no TLSA records); profile TLS level required"},
    {"opportunistic, bogus", TLS_PREFERRED, DANE_OPPORTUNISTIC, false, false,
	DANE_OUT_BOGUS, "signature expired", STS_NOT_ASKED, 0, 0, "dane-only",
	REFUSE_TEMP, "d", "DANE opportunistic: DNSSEC bogus for example.com "
    "(signature expired); not falling back"},
    {"opportunistic, DNS error", TLS_PREFERRED, DANE_OPPORTUNISTIC, false, false,
	DANE_OUT_DNS_ERROR, "timeout", STS_NOT_ASKED, 0, 0, "TEMP", REFUSE_TEMP, "T",
	"DANE opportunistic: DNS lookup failed for example.com (timeout), it may "
    "hide TLSA; not falling back"},
    {"opportunistic, pending", TLS_PREFERRED, DANE_OPPORTUNISTIC, false, false,
	DANE_OUT_PENDING, 0, STS_NOT_ASKED, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "DANE lookup not finished in time for example.com"},
    {"peer text sanitised", TLS_PREFERRED, DANE_OPPORTUNISTIC, false, false,
	DANE_OUT_BOGUS, "bad\nline", STS_NOT_ASKED, 0, 0, "dane-only", REFUSE_TEMP,
	"d", "DANE opportunistic: DNSSEC bogus for example.com (bad?line); not "
    "falling back"},
    /* routes */
    {"route ignores DANE bogus and MTA-STS pending", TLS_REQUIRED_VERIFY,
	DANE_MANDATORY, true, true, DANE_OUT_BOGUS, "x", STS_PENDING, 0, 0,
	"secure match=nexthop:dot-nexthop", REFUSE_NONE, "",
	"explicit route [relay.example.net]:25: no DANE, no MTA-STS; profile TLS "
    "level required-verify"},
    {"route ignores DANE pending", TLS_PREFERRED, DANE_OPPORTUNISTIC, false, true,
	DANE_OUT_PENDING, 0, STS_NOT_ASKED, 0, 0, "may", REFUSE_NONE, "", 0},
    {"route ignores MTA-STS enforce", TLS_REQUIRED, DANE_NONE, true, true,
	DANE_OUT_NOT_ASKED, 0, STS_ENFORCE, "mx1.example.com", 0, "encrypt",
    REFUSE_NONE, "", 0},
    /* MTA-STS */
    {"sts enforce, preferred", TLS_PREFERRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_ENFORCE, "mx1.example.com:mx2.example.com", 0,
	"secure match=mx1.example.com:mx2.example.com servername=hostname "
	"protocols=>=TLSv1.2", REFUSE_NONE, "st",
    "MTA-STS policy of example.com enforced"},
    {"sts enforce wins over required-verify", TLS_REQUIRED_VERIFY, DANE_NONE, true,
	false, DANE_OUT_NOT_ASKED, 0, STS_ENFORCE, "mx.example.net", 0,
	"secure match=mx.example.net servername=hostname protocols=>=TLSv1.2",
    REFUSE_NONE, "st", 0},
    {"sts enforce after DANE not available", TLS_REQUIRED, DANE_OPPORTUNISTIC, true,
	false, DANE_OUT_NONE, "no TLSA records", STS_ENFORCE, "mx1.example.com", 0,
	"secure match=mx1.example.com servername=hostname protocols=>=TLSv1.2",
	REFUSE_NONE, "st", "no usable DANE TLSA for example.com (no TLSA records); "
    "MTA-STS policy of example.com enforced"},
    {"DANE on some MX with sts enforce, required: dane-only", TLS_REQUIRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_SOME, 0, STS_ENFORCE,
	"mx1.example.com", 0, "dane-only", REFUSE_NONE, "d",
	"DANE TLSA usable on some MX of example.com only, MTA-STS enforce: dane-only",
	0, false, false, "MTA-STS policy of example.com not applied to its MX hosts "
    "without TLSA: DANE takes precedence, and dane-only skips them"},
    {"DANE on some MX, required, sts pending: TEMP", TLS_REQUIRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_SOME, 0, STS_PENDING, 0, 0, "TEMP",
    REFUSE_TEMP, "T", "MTA-STS lookup not finished in time for example.com"},
    {"DANE on some MX, required, sts bogus: TEMP", TLS_REQUIRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_SOME, 0, STS_BOGUS, 0, "forged",
	"TEMP", REFUSE_TEMP, "T", "MTA-STS: DNSSEC bogus for example.com (forged); "
    "not falling back"},
    {"DANE on some MX, required, sts none: the level", TLS_REQUIRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_SOME, 0, STS_NONE, 0, "no TXT",
    "encrypt", REFUSE_NONE, "", 0},
    {"sts enforce, no MX matches", TLS_PREFERRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_ENFORCE, "", "policy id 1, mode enforce", "TEMP",
	REFUSE_TEMP, "T", "MTA-STS enforce: no MX of example.com matches the policy "
    "(policy id 1, mode enforce)"},
    {"sts enforce, no MX list", TLS_REQUIRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_ENFORCE, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "MTA-STS enforce: no MX of example.com matches the policy (no detail)"},
    {"sts enforce, every MX listed, MX signed: match=hostname", TLS_PREFERRED,
	DANE_NONE, true, false, DANE_OUT_NOT_ASKED, 0, STS_ENFORCE,
	"mx1.example.com:mx2.example.com", 0,
	"secure match=hostname servername=hostname protocols=>=TLSv1.2", REFUSE_NONE,
    "st", "MTA-STS policy of example.com enforced", 0, true, true},
    {"sts enforce, every MX listed, MX unsigned: the list", TLS_PREFERRED,
	DANE_NONE, true, false, DANE_OUT_NOT_ASKED, 0, STS_ENFORCE,
	"mx1.example.com:mx2.example.com", 0,
	"secure match=mx1.example.com:mx2.example.com servername=hostname "
    "protocols=>=TLSv1.2", REFUSE_NONE, "st", 0, 0, true, false},
    {"sts enforce, some MX listed, MX signed: the list", TLS_PREFERRED,
	DANE_NONE, true, false, DANE_OUT_NOT_ASKED, 0, STS_ENFORCE,
	"mx1.example.com", 0,
	"secure match=mx1.example.com servername=hostname protocols=>=TLSv1.2",
    REFUSE_NONE, "st", 0, 0, false, true},
    {"sts enforce, a name with a space", TLS_PREFERRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_ENFORCE, "mx1.example.com protocols=SSLv3", 0,
	"TEMP", REFUSE_TEMP, "T",
    "MTA-STS enforce: an MX name of example.com cannot be written in a Postfix policy"},
    {"sts enforce, a name starting with a dot", TLS_PREFERRED, DANE_NONE, true,
	false, DANE_OUT_NOT_ASKED, 0, STS_ENFORCE, ".example.com", 0, "TEMP",
    REFUSE_TEMP, "T", 0},
    {"sts enforce, an empty name", TLS_PREFERRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_ENFORCE, "mx1.example.com::mx2.example.com", 0,
    "TEMP", REFUSE_TEMP, "T", 0},
    {"sts enforce, a trailing separator", TLS_PREFERRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_ENFORCE, "mx1.example.com:", 0, "TEMP",
    REFUSE_TEMP, "T", 0},
    {"sts testing, preferred", TLS_PREFERRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_TESTING, "mx1.example.com", 0, "may", REFUSE_NONE,
	"", "MTA-STS policy of example.com in testing mode: not enforced; profile "
    "TLS level preferred"},
    {"sts testing, required", TLS_REQUIRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_TESTING, "mx1.example.com", 0, "encrypt",
    REFUSE_NONE, "", 0},
    {"sts none", TLS_PREFERRED, DANE_NONE, true, false, DANE_OUT_NOT_ASKED, 0,
	STS_NONE, 0, "no TXT record", "may", REFUSE_NONE, "",
    "no MTA-STS policy for example.com (no TXT record); profile TLS level preferred"},
    {"sts none, hosted", TLS_REQUIRED_VERIFY_HOSTED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_NONE, 0, "fetch failed",
    "verify match=hostname:nexthop:dot-nexthop", REFUSE_NONE, "", 0},
    {"sts not asked (caller bug)", TLS_PREFERRED_VERIFY, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_NOT_ASKED, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "MTA-STS lookup not made for example.com; not falling back"},
    {"sts pending", TLS_PREFERRED, DANE_NONE, true, false, DANE_OUT_NOT_ASKED, 0,
	STS_PENDING, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "MTA-STS lookup not finished in time for example.com"},
    {"sts pending after DANE not available", TLS_REQUIRED, DANE_OPPORTUNISTIC,
	true, false, DANE_OUT_NONE, "insecure", STS_PENDING, 0, 0, "TEMP",
    REFUSE_TEMP, "T", "MTA-STS lookup not finished in time for example.com"},
    {"sts pending, mta_sts off: not needed", TLS_PREFERRED, DANE_NONE, false, false,
	DANE_OUT_NOT_ASKED, 0, STS_PENDING, 0, 0, "may", REFUSE_NONE, "",
    "profile TLS level preferred"},
    /* DANE before MTA-STS */
    {"DANE all MX beats sts enforce, preferred", TLS_PREFERRED, DANE_OPPORTUNISTIC,
	true, false, DANE_OUT_ALL, 0, STS_ENFORCE, "mx1.example.com", 0, "dane",
    REFUSE_NONE, "d", "DANE TLSA usable on every MX of example.com"},
    {"DANE all MX beats sts enforce, required-verify", TLS_REQUIRED_VERIFY,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_ALL, 0, STS_ENFORCE,
    "mx1.example.com", 0, "dane-only", REFUSE_NONE, "d", 0},
    {"DANE all MX: sts pending not needed", TLS_REQUIRED, DANE_OPPORTUNISTIC, true,
	false, DANE_OUT_ALL, 0, STS_PENDING, 0, 0, "dane-only", REFUSE_NONE, "d", 0},
    /* RFC 8461 2: MTA-STS must not override DANE; the others get may */
    {"DANE on some MX beats sts enforce, preferred", TLS_PREFERRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_SOME, 0, STS_ENFORCE,
	"mx1.example.com", 0, "dane", REFUSE_NONE, "d",
	"DANE TLSA usable on some MX of example.com only; the others get may", 0,
	false, false, "MTA-STS (if example.com has a policy) not applied to its MX "
    "hosts without TLSA: DANE takes precedence (RFC 8461 section 2)"},
    {"DANE on some MX, preferred, sts pending: dane all the same", TLS_PREFERRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_SOME, 0, STS_PENDING, 0, 0, "dane",
    REFUSE_NONE, "d", 0},
    {"DANE on some MX, preferred, sts testing: dane", TLS_PREFERRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_SOME, 0, STS_TESTING,
    "mx1.example.com", 0, "dane", REFUSE_NONE, "d", 0},
    {"sts TXT lookup failed, nothing cached: no policy known", TLS_PREFERRED,
	DANE_NONE, true, false, DANE_OUT_NOT_ASKED, 0, STS_DNS_ERROR, 0, "SERVFAIL",
	"may", REFUSE_NONE, "", "no MTA-STS policy known for example.com: the TXT "
	"lookup failed (SERVFAIL) and none is cached; retried soon; profile TLS "
    "level preferred"},
    {"sts TXT lookup failed, required-verify: the level", TLS_REQUIRED_VERIFY,
	DANE_NONE, true, false, DANE_OUT_NOT_ASKED, 0, STS_DNS_ERROR, 0, "timeout",
    "secure match=nexthop:dot-nexthop", REFUSE_NONE, "", 0},
    {"sts bogus, nothing cached: TEMP", TLS_PREFERRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_BOGUS, 0, "signature expired", "TEMP", REFUSE_TEMP,
	"T", "MTA-STS: DNSSEC bogus for example.com (signature expired); not "
    "falling back"},
    /* RFC 7505: a null MX is answered with the level; the MTA bounces */
    {"null MX from DANE", TLS_PREFERRED, DANE_OPPORTUNISTIC, true, false,
	DANE_OUT_NULL_MX, 0, STS_NOT_ASKED, 0, 0, "may", REFUSE_NONE, "n",
    "example.com has a null MX (RFC 7505): it accepts no mail, the MTA returns it"},
    {"null MX from DANE, mandatory, required-verify", TLS_REQUIRED_VERIFY,
	DANE_MANDATORY, false, false, DANE_OUT_NULL_MX, 0, STS_NOT_ASKED, 0, 0,
    "secure match=nexthop:dot-nexthop", REFUSE_NONE, "n", 0},
    {"null MX from MTA-STS, enforce cached", TLS_REQUIRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, STS_NULL_MX, 0, "null MX", "encrypt", REFUSE_NONE, "n",
    "example.com has a null MX (RFC 7505): it accepts no mail, the MTA returns it"},
    {"null MX from MTA-STS after DANE none", TLS_PREFERRED, DANE_OPPORTUNISTIC,
	true, false, DANE_OUT_NONE, "insecure", STS_NULL_MX, 0, 0, "may", REFUSE_NONE,
    "n", 0},
    /* one MX host's lookups failed: that host is unusable, not the domain */
    {"a failed MX host, TLSA on the others", TLS_PREFERRED, DANE_OPPORTUNISTIC,
	false, false, DANE_OUT_ALL, 0, STS_NOT_ASKED, 0, 0, "dane", REFUSE_NONE, "d",
    0, 1},
    {"a failed MX host, no TLSA on the others, preferred", TLS_PREFERRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_NONE, 0, STS_NONE, 0, 0,
	"dane", REFUSE_NONE, "d", "no usable DANE TLSA on the MX hosts of "
	"example.com that answered; Postfix's dane skips the hosts whose lookups "
    "failed", 1},
    {"a failed MX host, no TLSA on the others, preferred, sts enforce", TLS_PREFERRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_NONE, 0, STS_ENFORCE,
	"mx1.example.com", 0,
	"secure match=mx1.example.com servername=hostname protocols=>=TLSv1.2",
	REFUSE_NONE, "st", "no usable DANE TLSA on the MX hosts of example.com that "
    "answered; MTA-STS policy of example.com enforced", 1},
    {"a failed MX host, no TLSA on the others, preferred, sts pending", TLS_PREFERRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_NONE, 0, STS_PENDING, 0, 0, "TEMP",
    REFUSE_TEMP, "T", 0, 1},
    {"a failed MX host, no TLSA on the others, required", TLS_REQUIRED,
	DANE_OPPORTUNISTIC, false, false, DANE_OUT_NONE, "x", STS_NOT_ASKED, 0, 0,
	"dane-only", REFUSE_TEMP, "d", "DNS lookups of some MX hosts of example.com "
	"failed and may hide TLSA: dane-only, Postfix verifies each host's TLSA "
    "itself", 1},
    {"a failed MX host, TLSA on some others, required", TLS_REQUIRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_SOME, "x", STS_NOT_ASKED, 0, 0,
    "dane-only", REFUSE_TEMP, "d", 0, 1},
    {"a failed MX host, mandatory, no TLSA on the others", TLS_PREFERRED,
	DANE_MANDATORY, false, false, DANE_OUT_NONE, "x", STS_NOT_ASKED, 0, 0,
    "dane-only", REFUSE_TEMP, "d", 0, 1},
    {"DANE pending with sts enforce", TLS_PREFERRED, DANE_OPPORTUNISTIC, true,
	false, DANE_OUT_PENDING, 0, STS_ENFORCE, "mx1.example.com", 0, "TEMP",
    REFUSE_TEMP, "T", "DANE lookup not finished in time for example.com"},
    {"DANE mandatory not available beats sts enforce", TLS_REQUIRED,
	DANE_MANDATORY, true, false, DANE_OUT_NONE, "unsigned", STS_ENFORCE,
    "mx1.example.com", 0, "dane-only", REFUSE_PERM, "d", 0},
    {"DANE DNS error with sts enforce: no fallback", TLS_PREFERRED,
	DANE_OPPORTUNISTIC, true, false, DANE_OUT_DNS_ERROR, "SERVFAIL", STS_ENFORCE,
    "mx1.example.com", 0, "TEMP", REFUSE_TEMP, "T", 0},
    {"tls none ignores DANE and MTA-STS", TLS_NONE, DANE_MANDATORY, true, false,
	DANE_OUT_ALL, 0, STS_ENFORCE, "mx1.example.com", 0, "none", REFUSE_NONE, "",
    "profile TLS level none"},
    /* out of range: a caller's bug, answered TEMP */
    {"invalid tls level", 42, DANE_NONE, false, false, DANE_OUT_NOT_ASKED, 0,
	STS_NOT_ASKED, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "internal error: invalid decision input for example.com"},
    {"invalid DANE outcome", TLS_PREFERRED, DANE_OPPORTUNISTIC, false, false,
	(enum dane_outcome) 99, 0, STS_NOT_ASKED, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "internal error: invalid decision input for example.com"},
    {"invalid MTA-STS state", TLS_PREFERRED, DANE_NONE, true, false,
	DANE_OUT_NOT_ASKED, 0, (enum sts_state) 99, 0, 0, "TEMP", REFUSE_TEMP, "T",
    "internal error: invalid decision input for example.com"},
};

/* row_input - the decide input of a hand-written row */
static void row_input(const struct row *r, struct profile_settings *s,
		              struct decide_input *in)
{
    profile_builtin(s);
    s->tls = r->tls;
    s->dane = r->dane;
    s->mta_sts = r->mta_sts;
    memset(in, 0, sizeof(*in));
    in->profile = s;
    in->route = r->route;
    in->domain = r->route ? "[relay.example.net]:25" : "example.com";
    in->dane = r->dout;
    in->dane_why = r->dane_why;
    in->sts.state = r->sts;
    in->sts.mx_match = r->mx_match;
    in->sts.why = r->sts_why;
    in->sts.all_match = r->all_match;
    in->sts.mx_secure = r->mx_secure;
    in->dane_failed = r->failed;
}

/* find_row - the row named name */
static const struct row *find_row(const char *name)
{
    for (size_t i = 0; i < COUNT(rows); i++)
	if (strcmp(rows[i].name, name) == 0)
	    return &rows[i];
    bail("no row \"%s\"", name);
}

/* test_rows - the hand-written cases: reply, refuse, flags, reason */
static void test_rows(void)
{
    struct buf *b = buf_alloc(64, REPLY_MAX);

    for (size_t i = 0; i < COUNT(rows); i++) {
	const struct row *r = &rows[i];
	struct profile_settings s;
	struct decide_input in;
	struct decision d;
	char    flags[8], *f = flags;

	row_input(r, &s, &in);
	run(&in, &d, b);
	if (d.temp)
	    *f++ = 'T';
	if (d.dane_applied)
	    *f++ = 'd';
	if (d.sts_applied)
	    *f++ = 's';
	if (d.tls12)
	    *f++ = 't';
	if (d.null_mx)
	    *f++ = 'n';
	*f = '\0';
	is_string(r->want, b->data, "%s: reply", r->name);
	is_int(r->refuse, d.refuse, "%s: refuse", r->name);
	is_string(r->flags, flags, "%s: flags", r->name);
	if (r->reason)
	    is_string(r->reason, d.reason, "%s: reason", r->name);
	else
	    ok(d.reason[0] != '\0', "%s: has a reason (%s)", r->name, d.reason);
	if (r->note)
	    is_string(r->note, d.note, "%s: note", r->name);
	else if (!strstr(r->name, "DANE on some MX"))
	    is_string("", d.note, "%s: no note", r->name);
	else
	    ok(1, "%s: a note (%s)", r->name, d.note);
    }
    buf_free(b);
}

/* The profile map: one input, the exact value. */
static const struct profile_case {
    const char *name;
    const char *profile;		/* matched entry; NULL: default */
    const char *row;			/* name of the row in rows[] for the input */
    bool    bounce_verification;
    const char *prefix;			/* already in the buffer */
    const char *want;
} profile_cases[] = {
    {"default, may", NULL, "tls preferred", false, "",
	"domain=example.com profile=default tls=preferred dane=none mta_sts=off "
	"decision=may reason=profile%20TLS%20level%20preferred "
    "bounce_verification=off refuse=none early_refusal=off service=destctl-base "
	"dane_outcome=not-asked sts_state=not-asked"},
    {"MTA-STS enforce, encoded", "example.com", "sts enforce, preferred", true, "",
	"domain=example.com profile=example.com tls=preferred dane=none mta_sts=on "
	"decision=secure%20match%3Dmx1.example.com%3Amx2.example.com%20servername"
	"%3Dhostname%20protocols%3D%3E%3DTLSv1.2 reason=MTA-STS%20policy%20of%20"
	"example.com%20enforced bounce_verification=on refuse=none early_refusal=off service=destctl-base "
	"dane_outcome=not-asked sts_state=enforce"},
    {"TEMP", ".example.com", "mandatory, pending", false, "",
	"domain=example.com profile=.example.com tls=required-verify dane=mandatory "
	"mta_sts=off decision=TEMP reason=DANE%20lookup%20not%20finished%20in%20time"
    "%20for%20example.com bounce_verification=off refuse=temp early_refusal=off service=destctl-base "
	"dane_outcome=pending sts_state=not-asked"},
    {"perm, slash and colon", "example.com", "mandatory, not available", false, "",
	"domain=example.com profile=example.com tls=required dane=mandatory "
	"mta_sts=off decision=dane-only reason=DANE%20mandatory%20but%20example.com"
	"%20has%20no%20usable%20TLSA%20%2F%20is%20not%20DNSSEC-signed%3A%20insecure"
    "%20delegation bounce_verification=off refuse=perm early_refusal=off service=destctl-base "
	"dane_outcome=none sts_state=not-asked"},
    {"route, after a prefix", "relay", "route ignores DANE pending", false, "OK ",
	"OK domain=%5Brelay.example.net%5D%3A25 profile=relay tls=preferred "
	"dane=opportunistic mta_sts=off decision=may reason=explicit%20route%20"
	"%5Brelay.example.net%5D%3A25%3A%20no%20DANE%2C%20no%20MTA-STS%3B%20profile"
    "%20TLS%20level%20preferred bounce_verification=off refuse=none early_refusal=off service=destctl-base "
	"dane_outcome=pending sts_state=not-asked"},
};

/* test_profile_map - render_profile exact values, and its limit */
static void test_profile_map(void)
{
    struct buf *b = buf_alloc(64, REPLY_MAX);
    struct profile_settings s;
    struct decide_input in;
    struct decision d;
    char    policy[REPLY_MAX];

    for (size_t i = 0; i < COUNT(profile_cases); i++) {
	const struct profile_case *c = &profile_cases[i];

	row_input(find_row(c->row), &s, &in);
	s.bounce_verification = c->bounce_verification;
	run(&in, &d, b);
	snprintf(policy, sizeof(policy), "%s", b->data);
	buf_reset(b);
	buf_puts(b, c->prefix);
	render_profile(&in, c->profile, &d, policy, b);
	is_string(c->want, b->data, "profile map: %s", c->name);
    }
    buf_free(b);
    b = buf_alloc(16, 40);
    row_input(find_row("sts enforce, preferred"), &s, &in);
    decide(&in, &d);
    render_profile(&in, "example.com", &d, "may", b);
    ok(buf_overflow(b), "profile map: a value past the limit sets overflow");
    buf_free(b);
}

/* Sendmail's sts map: one input row, the exact answer. */
static const struct {
    const char *row;
    enum sockmap_status st;
    const char *want;			/* the exact value (or TEMP reason) */
} sendmail_sts_cases[] = {
    {"sts enforce, preferred", SOCKMAP_OK,
    "secure match=mx1.example.com:mx2.example.com servername=hostname"},
    {"sts enforce, every MX listed, MX signed: match=hostname", SOCKMAP_OK,
    "secure match=mx1.example.com:mx2.example.com servername=hostname"},
    {"sts enforce, no MX matches", SOCKMAP_TEMP,
    "MTA-STS enforce: no MX of example.com matches the policy (policy id 1, mode enforce)"},
    {"sts pending", SOCKMAP_TEMP,
    "MTA-STS lookup not finished in time for example.com"},
    {"sts testing, preferred", SOCKMAP_NOTFOUND, ""},
    {"sts none", SOCKMAP_NOTFOUND, ""},
    {"tls preferred", SOCKMAP_NOTFOUND, ""},
};

/* test_sendmail_sts - render_sendmail_sts: secure with names, TEMP, NOTFOUND */
static void test_sendmail_sts(void)
{
    struct buf *b = buf_alloc(64, REPLY_MAX);
    struct profile_settings s;
    struct decide_input in;
    struct decision d;

    for (size_t i = 0; i < COUNT(sendmail_sts_cases); i++) {
	enum sockmap_status st;

	row_input(find_row(sendmail_sts_cases[i].row), &s, &in);
	decide(&in, &d);
	buf_reset(b);
	st = render_sendmail_sts(&in, &d, b);
	is_int((long) sendmail_sts_cases[i].st, (long) st, "sts map: %s: status",
	       sendmail_sts_cases[i].row);
	is_string(sendmail_sts_cases[i].want, b->data, "sts map: %s: value",
		  sendmail_sts_cases[i].row);
    }
    buf_free(b);
}

/* test_render - names, TEMP, limits, truncated reasons */
static void test_render(void)
{
    static const char *const levels[] = {"none", "may", "encrypt", "dane",
    "dane-only", "verify", "secure"};
    static const char *const outcomes[] = {"not-asked", "pending", "all", "some",
    "none", "bogus", "dns-error", "null-mx"};
    static const char *const states[] = {"not-asked", "pending", "none", "testing",
    "enforce", "dns-error", "bogus", "null-mx"};
    struct buf *b = buf_alloc(16, 24);
    struct profile_settings s;
    struct decide_input in;
    struct decision d;
    char    longname[400];

    for (size_t i = 0; i < COUNT(levels); i++)
	is_string(levels[i], pf_level_name((enum pf_level) i), "pf_level_name %zu", i);
    is_string("?", pf_level_name((enum pf_level) 99), "pf_level_name out of range");
    for (size_t i = 0; i < COUNT(outcomes); i++)
	is_string(outcomes[i], dane_outcome_name((enum dane_outcome) i),
		  "dane_outcome_name %zu", i);
    is_string("?", dane_outcome_name((enum dane_outcome) 99),
	      "dane_outcome_name out of range");
    for (size_t i = 0; i < COUNT(states); i++)
	is_string(states[i], sts_state_name((enum sts_state) i), "sts_state_name %zu", i);
    is_string("?", sts_state_name((enum sts_state) 99), "sts_state_name out of range");

    /* TEMP renders nothing */
    row_input(find_row("mandatory, pending"), &s, &in);
    decide(&in, &d);
    is_int(-1, render_postfix(&d, b), "render_postfix: TEMP gives -1");
    is_int(0, (long) b->len, "render_postfix: TEMP writes nothing");

    /* a reply past the buffer's limit: overflow, checked by the caller */
    row_input(find_row("sts enforce, preferred"), &s, &in);
    decide(&in, &d);
    render_postfix(&d, b);
    ok(buf_overflow(b), "render_postfix: a reply past the limit sets overflow");

    /* a STS decision without names cannot be rendered: -1 (TEMP) */
    d.match_names = NULL;
    buf_reset(b);
    is_int(-1, render_postfix(&d, b), "render_postfix: MATCH_STS without names");

    /* a long domain: the reason is cut, still terminated */
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    row_input(find_row("opportunistic, not available"), &s, &in);
    in.domain = longname;
    decide(&in, &d);
    ok(strlen(d.reason) < sizeof(d.reason), "a long domain: reason within %zu bytes "
       "(%zu)", sizeof(d.reason), strlen(d.reason));
    ok(strstr(d.reason, "aaa...") != 0, "a long domain: the name is marked cut");
    buf_free(b);
}

int     main(void)
{
    tap_log_capture();
    plan(MATRIX * 3 + 2 + (int) COUNT(rows) * 5 + (int) COUNT(profile_cases) + 1
	 + 7 + 1 + 8 + 1 + 8 + 1 + 2 + 1 + 1 + 2 + 2 * (int) COUNT(sendmail_sts_cases));
    test_matrix();
    test_rows();
    test_profile_map();
    test_render();
    test_sendmail_sts();

    return exit_status();
}
