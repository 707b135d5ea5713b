/*
 * unit-tlsa - TLSA usability (RFC 7672 3.1), MX rdata, wire-format names.
 */
#include <string.h>

#include "mx.h"
#include "resolver.h"
#include "tap.h"
#include "tlsa.h"

#define D32 "0123456789abcdef0123456789abcdef"
#define D64 D32 D32

static const struct {
    const char *name;
    const char *rdata;			/* usage, selector, mtype, then data */
    size_t  len;
    const char *want;			/* "usable" or the reason */
} rows[] = {
    {"3 1 1", "\3\1\1" D32, 35, "usable"},
    {"3 0 1", "\3\0\1" D32, 35, "usable"},
    {"2 1 1", "\2\1\1" D32, 35, "usable"},
    {"2 0 2", "\2\0\2" D64, 67, "usable"},
    {"3 1 0 full key", "\3\1\0" D32, 35, "usable"},
    {"0 0 1 PKIX-TA", "\0\0\1" D32, 35, "certificate usage 0 is not for SMTP (only 2 DANE-TA and 3 DANE-EE are)"},
    {"1 1 1 PKIX-EE", "\1\1\1" D32, 35, "certificate usage 1 is not for SMTP (only 2 DANE-TA and 3 DANE-EE are)"},
    {"4 1 1", "\4\1\1" D32, 35, "certificate usage 4 is not for SMTP (only 2 DANE-TA and 3 DANE-EE are)"},
    {"3 2 1", "\3\2\1" D32, 35, "unknown selector 2"},
    {"3 1 3", "\3\1\3" D32, 35, "unknown matching type 3"},
    {"3 1 1 short", "\3\1\1" "0123", 7, "matching type 1 needs 32 bytes of data, got 4"},
    {"3 1 2 short", "\3\1\2" D32, 35, "matching type 2 needs 64 bytes of data, got 32"},
    {"3 1 0 tiny", "\3\1\0" "0123", 7, "full public key of 4 bytes is malformed"},
};

/* test_tlsa - usability table */
static void test_tlsa(void)
{
    struct tlsa_rr rr;
    char    why[256];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
	const char *seen = "malformed";

	if (tlsa_parse((const unsigned char *) rows[i].rdata, rows[i].len, &rr) == 0)
	    seen = tlsa_usable(&rr, why, sizeof(why)) ? "usable" : why;
	is_string(rows[i].want, seen, "TLSA %s", rows[i].name);
    }
    is_int(-1, tlsa_parse((const unsigned char *) "\3\1\1", 3, &rr), "TLSA without data");
}

/* test_mx - MX rdata */
static void test_mx(void)
{
    static const unsigned char mx[] = "\0\12\4mail\7Example\4test\0";
    static const unsigned char nullmx[] = "\0\0\0";
    static const unsigned char bad[] = "\0\12\77mail\0";	/* label runs past the end */
    static const unsigned char trailing[] = "\0\12\4mail\0X";
    char    name[256];
    unsigned pref;

    is_int(0, mx_parse(mx, sizeof(mx) - 1, &pref, name, sizeof(name)), "MX parses");
    is_int(10, pref, "MX preference");
    is_string("mail.example.test", name, "MX exchange, lower case");
    is_int(0, mx_parse(nullmx, sizeof(nullmx) - 1, &pref, name, sizeof(name)), "null MX parses");
    is_string(".", name, "null MX exchange is the root");
    is_int(-1, mx_parse(bad, sizeof(bad) - 1, &pref, name, sizeof(name)), "label past the end");
    is_int(-1, mx_parse(trailing, sizeof(trailing) - 1, &pref, name, sizeof(name)),
	   "bytes after the name");
    is_int(-1, mx_parse(mx, 2, &pref, name, sizeof(name)), "too short");
    is_int(-1, dns_name_from_wire(mx + 2, sizeof(mx) - 3, name, 8), "name longer than the buffer");

    /* Labels that would read as another name: refused, never shortened. */
    {
	static const struct {
	    const char *what;
	    const unsigned char *wire;
	    size_t  len;
	} evil[] = {
	    {"a NUL inside a label", (const unsigned char *) "\0\12\10mx1\0evil\4test\0", 17},
	    {"a dot inside a label", (const unsigned char *) "\0\12\7mx1.evl\4test\0", 16},
	    {"a space inside a label", (const unsigned char *) "\0\12\7mx1 evl\4test\0", 16},
	    {"a non-ASCII byte", (const unsigned char *) "\0\12\4mx\3511\4test\0", 13},
	};

	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
	    strcpy(name, "untouched");
	    is_int(-1, mx_parse(evil[i].wire, evil[i].len, &pref, name, sizeof(name)),
		   "MX with %s: refused", evil[i].what);
	}
	is_int(0, mx_parse((const unsigned char *) "\0\12\7_mx-1_a\4test\0", 16, &pref,
			   name, sizeof(name)), "'-' and '_' are fine");
	is_string("_mx-1_a.test", name, "and read as they are");
    }

    /* RFC 1035 3.1: 255 bytes on the wire, whatever the caller's buffer. */
    {
	unsigned char wire[300];
	char    big[1024];
	size_t  n = 0;
	static const size_t labs[] = {63, 63, 63, 61};

	for (size_t l = 0; l < 4; l++) {
	    wire[n++] = (unsigned char) labs[l];
	    memset(wire + n, 'a', labs[l]);
	    n += labs[l];
	}
	wire[n++] = 0;			/* 255 bytes: the longest name */
	is_int(255, dns_name_from_wire(wire, n, big, sizeof(big)), "a 255-byte wire name");
	is_int(253, (long) strlen(big), "is 253 characters");
	memmove(wire + 2, wire, n);
	wire[0] = 1;
	wire[1] = 'b';			/* one more label: 257 bytes */
	is_int(-1, dns_name_from_wire(wire, n + 2, big, sizeof(big)),
	       "257 bytes: refused, even with room in the buffer");
    }
}

int     main(void)
{
    tap_log_capture();
    plan(14 + 9 + 6 + 3);
    test_tlsa();
    test_mx();
    return exit_status();
}
