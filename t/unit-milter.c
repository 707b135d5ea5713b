/*
 * unit-milter - the milter's pure parts: network matching, and reading the
 * agent's profile map reply.
 */
#include <stdio.h>
#include <string.h>

#include "agentc.h"
#include "netmatch.h"
#include "tap.h"

static const struct {
    const char *addr;
    bool    want;
} addrs[] = {
    {"10.1.2.3", true}, {"10.255.255.255", true}, {"11.0.0.1", false},
    {"192.168.1.7", true}, {"192.168.2.7", false}, {"127.0.0.1", true},
    {"::ffff:10.0.0.1", true}, {"[10.0.0.1]", true}, {"IPv6:2001:db8::1", true},
    {"2001:db8:0:1::1", true}, {"2001:db9::1", false}, {"::1", true}, {"::2", false},
    {"fe80::1", false}, {"not-an-address", false}, {"", false}, {"10.1.2", false},
};

/* test_netmatch - CIDR lists */
static void test_netmatch(void)
{
    char   *nets[] = {"10.0.0.0/8", "192.168.1.0/24", "127.0.0.1", "2001:db8::/32", "::1/128"};
    char   *bad[] = {"10.0.0.0/33"};
    char   *bad6[] = {"2001:db8::/129"};
    char   *junk[] = {"example.com/8"};
    char    why[128];
    struct netlist *l = netlist_new(nets, 5, why, sizeof(why));

    ok(l != NULL, "networks parse");
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
	is_int(addrs[i].want, netlist_match(l, addrs[i].addr), "%s %s", addrs[i].addr,
	       addrs[i].want ? "inside" : "outside");
    netlist_free(l);
    ok(netlist_new(bad, 1, why, sizeof(why)) == NULL, "IPv4 prefix over 32 refused");
    is_string("invalid network \"10.0.0.0/33\"", why, "its reason");
    ok(netlist_new(bad6, 1, why, sizeof(why)) == NULL, "IPv6 prefix over 128 refused");
    ok(netlist_new(junk, 1, why, sizeof(why)) == NULL, "a name is not a network");
}

/* test_parse - the profile map value */
static void test_parse(void)
{
    struct dest_info d;
    char    why[128];

    is_int(0, agentc_parse("domain=example.com profile=.example.com tls=required-verify "
			   "dane=opportunistic mta_sts=on decision=secure%20match%3Dnexthop "
			   "reason=DANE%20not%20applied bounce_verification=on refuse=perm "
			   "early_refusal=on service=destctl-c2 future=field", &d, why,
			   sizeof(why)),
	   "a full reply parses (an unknown field is ignored)");
    is_string("example.com", d.domain, "domain");
    is_string(".example.com", d.profile, "profile");
    is_string("required-verify", d.tls, "tls");
    is_string("secure match=nexthop", d.decision, "decision percent-decoded");
    is_string("DANE not applied", d.reason, "reason percent-decoded");
    is_string("destctl-c2", d.service, "service");
    ok(d.mta_sts && d.bounce_verification && d.early_refusal, "booleans");
    is_int(AGENTC_REFUSE_PERM, d.refuse, "refuse=perm");
    is_int(-1, agentc_parse("domain=x profile=default tls=none decision=none", &d, why,
			    sizeof(why)), "refuse missing");
    is_string("agent reply without refuse", why, "its reason");
    is_int(-1, agentc_parse("domain=x profile=default tls=none decision=none refuse=maybe",
			    &d, why, sizeof(why)), "unknown refuse value");
    is_int(-1, agentc_parse("domain=x%2 profile=d tls=none decision=none refuse=none",
			    &d, why, sizeof(why)), "a cut percent escape");
    is_int(-1, agentc_parse("domain=x%00y profile=d tls=none decision=none refuse=none",
			    &d, why, sizeof(why)), "an encoded NUL");
    {
	char    big[4096];
	int     n = snprintf(big, sizeof(big), "domain=x profile=default tls=preferred "
			     "refuse=none decision=secure%%20match%%3D");

	for (int i = 0; i < 30; i++)
	    n += snprintf(big + n, sizeof(big) - (size_t) n, "%smx%02d.mail.example.com",
			  i ? "%3A" : "", i);
	is_int(0, agentc_parse(big, &d, why, sizeof(why)), "a long MTA-STS decision parses");
	is_int(13 + 30 * 21 + 29, (long) strlen(d.decision), "and is kept whole");
    }
    is_int(-1, agentc_parse("domain profile=d", &d, why, sizeof(why)), "a field without =");
    is_string("malformed field in agent reply", why, "its reason");
}

int     main(void)
{
    tap_log_capture();
    plan(1 + 18 + 4 + 17);
    test_netmatch();
    test_parse();
    return exit_status();
}
