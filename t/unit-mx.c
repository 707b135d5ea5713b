/*
 * unit-mx - reading an MX RRset: preference order, the MX_MAX cut, the
 * implicit MX, null MX alone and mixed, failures (wire-format rdata in).
 */
#include <stdio.h>
#include <string.h>

#include "mx.h"
#include "resolver.h"
#include "tap.h"

#define MAXRR	24

/* An answer under construction: wire-format MX rdata. */
struct fake {
    struct dns_answer a;
    unsigned char *rdata[MAXRR];
    size_t  rdlen[MAXRR];
    unsigned char buf[MAXRR][300];
};

/* fake_init - an answer of status and sec, no records */
static void fake_init(struct fake *f, enum dns_status st, enum dns_sec sec)
{
    memset(f, 0, sizeof(*f));
    f->a.status = st;
    f->a.sec = sec;
    f->a.rdata = f->rdata;
    f->a.rdlen = f->rdlen;
}

/* fake_mx - one MX record: pref, then name in wire format ("." = root) */
static void fake_mx(struct fake *f, unsigned pref, const char *name)
{
    unsigned char *p = f->buf[f->a.n];
    size_t  len = 2;
    const char *s = name;

    p[0] = (unsigned char) (pref >> 8);
    p[1] = (unsigned char) pref;
    while (strcmp(s, ".") != 0 && *s) {
	const char *dot = strchr(s, '.');
	size_t  lab = dot ? (size_t) (dot - s) : strlen(s);

	p[len++] = (unsigned char) lab;
	memcpy(p + len, s, lab);
	len += lab;
	s += lab + (dot != NULL);
    }
    p[len++] = 0;
    f->rdata[f->a.n] = p;
    f->rdlen[f->a.n] = len;
    f->a.n++;
    f->a.status = DNS_DATA;
}

int     main(void)
{
    struct fake f;
    struct mx_list mx;
    char    name[64];

    plan(28);

    /* preference order, stable for equal preferences */
    fake_init(&f, DNS_DATA, DNS_SECURE);
    fake_mx(&f, 20, "mx2.example.com");
    fake_mx(&f, 10, "mx1.example.com");
    fake_mx(&f, 20, "mx3.example.com");
    fake_mx(&f, 5, "mx0.example.com");
    mx_list_read(&f.a, "example.com", &mx);
    is_int(MX_HOSTS, mx.status, "hosts");
    ok(mx.secure, "secure");
    is_int(4, (long) mx.n, "four hosts");
    is_string("mx0.example.com", mx.hosts[0].name, "most preferred first");
    is_string("mx1.example.com", mx.hosts[1].name, "then 10");
    is_string("mx2.example.com", mx.hosts[2].name, "then 20, in answer order");
    is_string("mx3.example.com", mx.hosts[3].name, "and the other 20");

    /* more than MX_MAX: the most preferred are kept, wherever they stand */
    fake_init(&f, DNS_DATA, DNS_INSECURE);
    for (int i = 1; i <= 19; i++) {
	snprintf(name, sizeof(name), "mx%d.many.test", i);
	fake_mx(&f, (unsigned) (9 + i), name);
    }
    fake_mx(&f, 1, "mx0.many.test");
    mx_list_read(&f.a, "many.test", &mx);
    is_int(MX_MAX, (long) mx.n, "cut to MX_MAX hosts");
    is_int(4, (long) mx.ignored, "four ignored");
    is_string("mx0.many.test", mx.hosts[0].name, "the last record, preference 1, kept first");
    is_string("mx15.many.test", mx.hosts[MX_MAX - 1].name, "the least preferred kept");
    ok(!mx.secure, "insecure");

    /* null MX alone, and mixed */
    fake_init(&f, DNS_DATA, DNS_SECURE);
    fake_mx(&f, 0, ".");
    mx_list_read(&f.a, "null.test", &mx);
    is_int(MX_NULL, mx.status, "a null MX alone");
    is_int(0, (long) mx.n, "no hosts");
    ok(!mx.null_mixed, "not mixed");
    fake_init(&f, DNS_DATA, DNS_SECURE);
    fake_mx(&f, 10, "mx1.mixed.test");
    fake_mx(&f, 0, ".");
    mx_list_read(&f.a, "mixed.test", &mx);
    is_int(MX_NULL, mx.status, "a null MX among others: the domain accepts no mail");
    ok(mx.null_mixed, "mixed, said");

    /* implicit MX, after a CNAME */
    fake_init(&f, DNS_NODATA, DNS_SECURE);
    mx_list_read(&f.a, "implicit.test", &mx);
    is_int(MX_IMPLICIT, mx.status, "no MX RRset: implicit");
    is_int(1, (long) mx.n, "one host");
    is_string("implicit.test", mx.hosts[0].name, "the domain itself");
    f.a.canonname = "target.test";
    mx_list_read(&f.a, "alias.test", &mx);
    is_string("alias.test", mx.hosts[0].name, "a CNAME'd domain: still the domain (its "
	      "address lookup follows the chain)");

    /* failures */
    fake_init(&f, DNS_FAIL, DNS_INSECURE);
    mx_list_read(&f.a, "x.test", &mx);
    is_int(MX_FAIL, mx.status, "SERVFAIL");
    fake_init(&f, DNS_FAIL, DNS_BOGUS);
    mx_list_read(&f.a, "x.test", &mx);
    is_int(MX_BOGUS, mx.status, "bogus");
    fake_init(&f, DNS_NXDOMAIN, DNS_SECURE);
    mx_list_read(&f.a, "x.test", &mx);
    is_int(MX_NXDOMAIN, mx.status, "NXDOMAIN");
    is_int(0, (long) mx.n, "NXDOMAIN: no hosts");

    /* a malformed record is counted and skipped */
    fake_init(&f, DNS_DATA, DNS_SECURE);
    fake_mx(&f, 10, "mx1.bad.test");
    f.rdlen[0] = 5;			/* cut inside the name */
    fake_mx(&f, 20, "mx2.bad.test");
    mx_list_read(&f.a, "bad.test", &mx);
    is_int(1, (long) mx.malformed, "a malformed record counted");
    is_int(1, (long) mx.n, "the good one kept");
    is_string("mx2.bad.test", mx.hosts[0].name, "the good one");

    return exit_status();
}
