/*
 * unit-decide-steps - decide_next() through every path a lookup can take
 * (which outcome it asks for, in which order, and the answer at the end),
 * and the profile that answers for a routed next hop.
 */
#include <string.h>

#include "buf.h"
#include "decide.h"
#include "profile.h"
#include "tap.h"

#define COUNT(a)	(sizeof(a) / sizeof((a)[0]))
#define REPLY_MAX	4096

/*
 * The paths of decide_next(): a profile, the outcomes the lookups would
 * find, the steps asked for in order (D: NEED_DANE, S: NEED_STS, =: DONE),
 * and the reply at the end.
 */
static const struct step_row {
    const char *name;
    int     tls, dane;
    bool    mta_sts, route;
    enum dane_outcome dout;
    enum sts_state sts;
    const char *steps;
    const char *want;
} step_rows[] = {
    {"nothing to look up", TLS_PREFERRED, DANE_NONE, false, false, 0, 0, "=", "may"},
    {"tls none", TLS_NONE, DANE_NONE, false, false, 0, 0, "=", "none"},
    {"a route", TLS_REQUIRED, DANE_MANDATORY, true, true, 0, 0, "=", "encrypt"},
    {"DANE only", TLS_PREFERRED, DANE_OPPORTUNISTIC, false, false, DANE_OUT_ALL, 0,
    "D=", "dane"},
    {"MTA-STS only", TLS_PREFERRED, DANE_NONE, true, false, 0, STS_TESTING, "S=",
    "may"},
    {"DANE all: no MTA-STS lookup", TLS_PREFERRED, DANE_OPPORTUNISTIC, true, false,
    DANE_OUT_ALL, STS_ENFORCE, "D=", "dane"},
    {"DANE some: no MTA-STS lookup (DANE takes precedence)", TLS_PREFERRED,
    DANE_OPPORTUNISTIC, true, false, DANE_OUT_SOME, STS_ENFORCE, "D=", "dane"},
    {"DANE some, required: MTA-STS decides", TLS_REQUIRED, DANE_OPPORTUNISTIC,
    true, false, DANE_OUT_SOME, STS_ENFORCE, "DS=", "dane-only"},
    {"DANE none, then MTA-STS", TLS_PREFERRED, DANE_OPPORTUNISTIC, true, false,
	DANE_OUT_NONE, STS_ENFORCE, "DS=",
    "secure match=mx1.example.com servername=hostname protocols=>=TLSv1.2"},
    {"DANE null MX: no MTA-STS lookup", TLS_PREFERRED, DANE_OPPORTUNISTIC, true,
    false, DANE_OUT_NULL_MX, STS_ENFORCE, "D=", "may"},
    {"DANE bogus: no MTA-STS lookup", TLS_PREFERRED, DANE_OPPORTUNISTIC, true,
    false, DANE_OUT_BOGUS, STS_ENFORCE, "D=", "dane-only"},
    {"DANE DNS error: no MTA-STS lookup", TLS_PREFERRED, DANE_OPPORTUNISTIC, true,
    false, DANE_OUT_DNS_ERROR, STS_NONE, "D=", "TEMP"},
    {"DANE pending: no MTA-STS lookup", TLS_PREFERRED, DANE_OPPORTUNISTIC, true,
    false, DANE_OUT_PENDING, STS_NONE, "D=", "TEMP"},
    {"DANE mandatory none: no MTA-STS lookup", TLS_PREFERRED, DANE_MANDATORY, true,
    false, DANE_OUT_NONE, STS_ENFORCE, "D=", "dane-only"},
    {"MTA-STS pending", TLS_PREFERRED, DANE_NONE, true, false, 0, STS_PENDING, "S=",
    "TEMP"},
    {"MTA-STS null MX", TLS_PREFERRED, DANE_NONE, true, false, 0, STS_NULL_MX, "S=",
    "may"},
};

/* test_steps - decide_next through every path */
static void test_steps(void)
{
    struct buf *b = buf_alloc(64, REPLY_MAX);

    for (size_t i = 0; i < COUNT(step_rows); i++) {
	const struct step_row *r = &step_rows[i];
	struct profile_settings p;
	struct decide_input in;
	struct decision d;
	char    steps[8];
	size_t  n = 0;
	enum decide_step st;

	profile_builtin(&p);
	p.tls = r->tls;
	p.dane = r->dane;
	p.mta_sts = r->mta_sts;
	memset(&in, 0, sizeof(in));
	in.profile = &p;
	in.domain = "example.com";
	in.route = r->route;
	in.dane = DANE_OUT_NOT_ASKED;
	in.sts.state = STS_NOT_ASKED;
	memset(&d, 0, sizeof(d));
	do {
	    st = decide_next(&in, &d);
	    steps[n++] = st == DECIDE_NEED_DANE ? 'D' : st == DECIDE_NEED_STS ? 'S' : '=';
	    if (st == DECIDE_NEED_DANE)
		in.dane = r->dout;
	    if (st == DECIDE_NEED_STS) {
		in.sts.state = r->sts;
		in.sts.mx_match = "mx1.example.com";
	    }
	} while (st != DECIDE_DONE && n < sizeof(steps) - 1);
	steps[n] = '\0';
	is_string(r->steps, steps, "steps: %s", r->name);
	buf_reset(b);
	if (render_postfix(&d, b) < 0) {
	    buf_reset(b);
	    buf_puts(b, "TEMP");
	}
	is_string(r->want, b->data, "steps: %s: reply", r->name);
    }
    buf_free(b);
}

/* test_route_profile - the strictest profile routed to a next hop */
static void test_route_profile(void)
{
    struct profile def, a, c;
    struct profile *v[2] = {&a, &c};
    struct profile_table t;

    memset(&t, 0, sizeof(t));
    memset(&def, 0, sizeof(def));
    memset(&a, 0, sizeof(a));
    memset(&c, 0, sizeof(c));
    profile_builtin(&def.eff);
    profile_builtin(&a.eff);
    profile_builtin(&c.eff);
    a.eff.route = "[relay.example.net]:25";
    a.eff.tls = TLS_REQUIRED;
    c.eff.route = "[relay.example.net]:25";
    c.eff.tls = TLS_REQUIRED_VERIFY;
    t.v = v;
    t.n = 2;
    t.def = &def;
    ok(decide_route_profile(&t, "[RELAY.example.net]:25") == &c,
       "route: the strictest profile routed there (case-insensitive)");
    ok(decide_route_profile(&t, "[other.example.net]:25") == NULL,
       "route: a next hop nobody routes to: none");
    def.eff.route = "[other.example.net]:25";
    ok(decide_route_profile(&t, "[other.example.net]:25") == &def,
       "route: the default's route counts");
}

int     main(void)
{
    plan((int) COUNT(step_rows) * 2 + 3);
    test_steps();
    test_route_profile();
    return exit_status();
}
