/*
 * unit-profile - domain names, profile values, and domain matching.
 */
#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "log.h"
#include "profile.h"
#include "route.h"
#include "tap.h"
#include "util.h"

static const struct {
    const char *in;
    const char *want;			/* normalised, or "!reason" */
} names[] = {
    {"example.com", "example.com"},
    {"Example.COM", "example.com"},
    {"example.com.", "example.com"},
    {"bücher.example", "xn--bcher-kva.example"},
    {"BÜCHER.example.", "xn--bcher-kva.example"},
    {"xn--bcher-kva.example", "xn--bcher-kva.example"},
    {"localhost", "localhost"},
    {"", "!empty domain name"},
    {".", "!empty domain name"},
    {"a..b", "!empty label"},
    {"ex_ample.com", "!invalid character '_'"},
    {"exa mple.com", "!invalid character ' '"},
    {"-bad.example", "!label \"-bad\" starts or ends with '-'"},
    {"a.b-.example", "!label \"b-\" starts or ends with '-'"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
    "!label longer than 63 characters"},
    {"example.com..", "!empty label"},
};

/* test_names - domain_normalize */
static void test_names(void)
{
    char    out[DOMAIN_MAX + 1], why[256];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
	int     rc = domain_normalize(names[i].in, out, why, sizeof(why));

	if (names[i].want[0] == '!')
	    is_string(names[i].want + 1, rc < 0 ? why : "(accepted)",
		      "refuse \"%s\"", names[i].in);
	else
	    is_string(names[i].want, rc == 0 ? out : why, "normalise \"%s\"",
		      names[i].in);
    }
}

/* The table used for matching: entry names, and the tls level that marks them. */
static const struct {
    const char *domain;
    const char *tls;
} entries[] = {
    {"example.com", "required"},
    {".example.com", "preferred-verify"},
    {".deep.example.com", "required-verify"},
    {"a.deep.example.com", "none"},
    {".org", "required-verify-hosted"},
};

static const struct {
    const char *lookup;
    const char *want;			/* matched entry, or "(default)" */
} matches[] = {
    {"example.com", "example.com"},
    {"mail.example.com", ".example.com"},
    {"x.y.example.com", ".example.com"},
    {"deep.example.com", ".example.com"},	/* .deep does not match itself */
    {"x.deep.example.com", ".deep.example.com"},
    {"x.y.deep.example.com", ".deep.example.com"},	/* longest parent */
    {"a.deep.example.com", "a.deep.example.com"},	/* exact beats parent */
    {"b.a.deep.example.com", ".deep.example.com"},
    {"example.org", ".org"},
    {"org", "(default)"},
    {"example.net", "(default)"},
    {"notexample.com", "(default)"},	/* suffix, not a parent label */
    {"com", "(default)"},
};

/* build_table - the entries above */
static struct profile_table *build_table(void)
{
    struct profile_table *t = profile_table_new();
    char    why[256];

    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
	struct profile *p = profile_new(entries[i].domain);

	if (profile_set_text(p, PK_TLS, entries[i].tls, why, sizeof(why)) < 0
	    || profile_table_add(t, p) < 0)
	    bail("cannot build the table: %s", entries[i].domain);
    }
    profile_table_resolve(t);
    return t;
}

/* test_matching - exact, parents, default */
static void test_matching(void)
{
    struct profile_table *t = build_table();
    char    norm[DOMAIN_MAX + 1], why[256];
    struct profile *dup;

    for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
	const struct profile *p = profile_table_match(t, matches[i].lookup);

	is_string(matches[i].want, p->domain ? p->domain : "(default)",
		  "%s matches %s", matches[i].lookup, matches[i].want);
    }
    /* what an MTA sends: case, trailing dot, UTF-8 */
    domain_normalize("MAIL.Example.COM.", norm, why, sizeof(why));
    is_string(".example.com", profile_table_match(t, norm)->domain,
	      "upper case and trailing dot normalised before matching");
    dup = profile_new("example.com");
    is_int(-1, profile_table_add(t, dup), "a second example.com is refused");
    profile_free(dup);
    is_int(0, profile_table_remove(t, ".example.com"), "remove .example.com");
    is_string("(default)", profile_table_match(t, "mail.example.com")->domain
	      ? "wrong" : "(default)", "mail.example.com falls to the default");
    is_int(-1, profile_table_remove(t, ".example.com"), "removing it again fails");
    is_string(".deep.example.com", profile_table_match(t, "x.deep.example.com")->domain,
	      "other entries still indexed after a removal");
    profile_table_free(t);
}

/* test_many - 100,000 entries: every one found, nothing else */
static void test_many(void)
{
    struct profile_table *t = profile_table_new();
    char    name[64];
    size_t  found = 0, wrong = 0;

    for (int i = 0; i < 100000; i++) {
	snprintf(name, sizeof(name), "%sd%d.example", i % 2 ? "." : "", i);
	if (profile_table_add(t, profile_new(name)) < 0)
	    bail("cannot add %s", name);
    }
    profile_table_resolve(t);
    for (int i = 0; i < 100000; i++) {
	const struct profile *p;

	snprintf(name, sizeof(name), "%sd%d.example", i % 2 ? "mx." : "", i);
	p = profile_table_match(t, name);
	if (p->domain && strcmp(p->domain + (i % 2 ? 1 : 0), name + (i % 2 ? 3 : 0)) == 0)
	    found++;
	else
	    wrong++;
    }
    is_int(100000, (long) found, "100,000 destinations: each lookup finds its entry");
    is_int(0, (long) wrong, "and none finds another");
    profile_table_free(t);
}

static const struct {
    enum profile_key key;
    const char *text;
    const char *want;			/* PF_CONF form, or "!reason" */
} values[] = {
    {PK_TLS, "required-verify", "\"required-verify\""},
    {PK_TLS, "strict", "!invalid tls \"strict\": expected one of none, preferred, "
	"required, preferred-verify, required-verify, required-verify-hosted"},
    {PK_DANE, "mandatory", "\"mandatory\""},
    {PK_MTA_STS, "on", "true"},
    {PK_MTA_STS, "off", "false"},
    {PK_MTA_STS, "maybe", "!invalid mta_sts \"maybe\": expected on or off"},
    {PK_CONCURRENCY, "1000", "1000"},
    {PK_CONCURRENCY, "1001", "!invalid concurrency \"1001\": expected a number from 1 to 1000"},
    {PK_CONCURRENCY, "-5", "!invalid concurrency \"-5\": expected a number from 1 to 1000"},
    {PK_CONCURRENCY, "20x", "!invalid concurrency \"20x\": expected a number from 1 to 1000"},
    {PK_RECIPIENT_LIMIT, "100/10", "{ count = 100; minutes = 10; }"},
    {PK_RECIPIENT_LIMIT, "0/1", "{ count = 0; minutes = 1; }"},
    {PK_RECIPIENT_LIMIT, "none", "\"none\""},
    {PK_RECIPIENT_LIMIT, "100/61", "!invalid recipient_limit \"100/61\": N must be "
	"0..1000000000 and M 1..60"},
    {PK_RECIPIENT_LIMIT, "100", "!invalid recipient_limit \"100\": expected N/M (N "
	"recipients per M minutes) or none"},
    {PK_IP_PREFERENCE, "ipv4-only", "\"ipv4-only\""},
    {PK_LIMITS_PER, "mx-ip", "\"mx-ip\""},
    {PK_ROUTE, "[relay.example.net]:25", "\"[relay.example.net]:25\""},
    {PK_ROUTE, "[192.0.2.1]", "\"[192.0.2.1]\""},
    {PK_ROUTE, "[ipv6:2001:db8::1]:587", "\"[ipv6:2001:db8::1]:587\""},
    {PK_ROUTE, "relay.example.net:2525", "\"relay.example.net:2525\""},
    {PK_ROUTE, "none", "\"none\""},
    {PK_ROUTE, "[relay.example.net]:0", "!invalid route port \"0\": expected 1..65535"},
    {PK_ROUTE, "[relay.example.net", "!invalid route \"[relay.example.net\": missing ']'"},
    {PK_ROUTE, "re_lay:25", "!invalid route host \"re_lay\": invalid character '_'"},
    {PK_BOUNCE_PROFILE, "fast", "\"fast\""},
    {PK_CLIENT_CERTIFICATE, "a\"b", "\"a\\\"b\""},
};

/* test_values - profile_set_text and profile_format */
static void test_values(void)
{
    struct buf *b = buf_alloc(64, 1024);
    char    why[512];

    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
	struct profile *p = profile_new("example.com");
	int     rc = profile_set_text(p, values[i].key, values[i].text, why, sizeof(why));

	buf_reset(b);
	if (rc == 0)
	    profile_format(&p->own, values[i].key, PF_CONF, b);
	if (values[i].want[0] == '!')
	    is_string(values[i].want + 1, rc < 0 ? why : b->data, "%s %s refused",
		      profile_keys[values[i].key].name, values[i].text);
	else
	    is_string(values[i].want, rc == 0 ? b->data : why, "%s %s",
		      profile_keys[values[i].key].name, values[i].text);
	profile_free(p);
    }
    buf_free(b);
}

/* test_inherit - unset keys follow the default; "inherit" unsets */
static void test_inherit(void)
{
    struct profile_table *t = build_table();
    struct profile *p = profile_table_find(t, "example.com");
    char    why[256];

    profile_set_text(t->def, PK_DANE, "mandatory", why, sizeof(why));
    profile_table_resolve(t);
    is_int(DANE_MANDATORY, p->eff.dane, "dane inherited from the default");
    is_int(TLS_REQUIRED, p->eff.tls, "own tls kept");
    is_int(0, profile_set_text(p, PK_TLS, "inherit", why, sizeof(why)),
	   "tls inherit accepted");
    profile_table_resolve(t);
    is_int(TLS_PREFERRED, p->eff.tls, "tls now from the default (built-in)");
    is_int(-1, profile_set_text(t->def, PK_TLS, "inherit", why, sizeof(why)),
	   "the default cannot inherit");
    is_int(0, (long) (profile_set_text(p, PK_CONCURRENCY, "20", why, sizeof(why)),
		      profile_table_resolve(t), profile_unenforced(p)),
	   "concurrency 20 is applied");
    is_int(PK_BIT(PK_LIMITS_PER), (long) (profile_set_text(p, PK_LIMITS_PER, "mx-ip",
							    why, sizeof(why)),
				     profile_table_resolve(t), profile_unenforced(p)),
	   "limits_per mx-ip is not applied");
    profile_table_free(t);
}

int     main(void)
{
    tap_log_capture();
    plan(16 + 13 + 6 + 2 + 27 + 7);
    test_names();
    test_matching();
    test_many();
    test_values();
    test_inherit();
    return exit_status();
}
