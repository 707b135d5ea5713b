/*
 * fuzz-dns - DNS rdata as the DANE and MTA-STS code read it: TLSA
 * (agent/dns/tlsa.h), MX (agent/dns/mx.h) and wire-format host names
 * (dns_name_from_wire in agent/dns/resolver.h).
 *
 * The whole input is TLSA rdata, MX rdata and a wire name; then it is read
 * again as an answer: the first byte picks status and DNSSEC state, the rest
 * is records, each a length byte and that many bytes of MX rdata. Output
 * buffers are allocated to their exact size, so ASan sees any write past
 * them. Asserted:
 *  - TLSA: parsed exactly when 4 bytes or more; usable only as RFC 7672 3.1
 *    says, with a reason otherwise;
 *  - a wire name decodes to lower-case text of letters, digits, '-' and '_'
 *    (or "."), shorter than the buffer, the same for any buffer it fits in,
 *    and encoding that text again gives the bytes consumed (ignoring case);
 *    at most 255 of them (RFC 1035 3.1; see KNOWN_LONG_NAMES);
 *  - MX: the exchange is the wire name of the rest of the rdata, all of it;
 *  - an answer's list: hosts in stable preference order and cut to MX_MAX,
 *    exactly as a stable sort of the records that parse would give; every
 *    record counted once (host, ignored, malformed or null MX); a null MX
 *    leaves no host; the implicit MX is the domain itself.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "mx.h"
#include "resolver.h"
#include "tlsa.h"
#include "util.h"

/*
 * Found by this target once: a name of more than 255 wire bytes decoded when
 * the buffer had room for its text (corpus/dns/regression-name-longer-than-
 * 255). Fixed; 1 would skip the check again.
 */
#define KNOWN_LONG_NAMES 0

#define MAX_RECORDS	40		/* more than MX_MAX, to see the cut */
#define DOMAIN		"example.test"
#define WIRE_MAX	1024		/* room to encode any name decoded here */

/* check_tlsa - parse and usability */
static void check_tlsa(const uint8_t *data, size_t size)
{
    static const size_t digest[] = {0, 32, 64};
    struct tlsa_rr rr;
    char    why[256] = "";

    if (tlsa_parse(data, size, &rr) < 0) {
	HARNESS_CHECK(size < 4);
	return;
    }
    HARNESS_CHECK(size >= 4);
    HARNESS_CHECK(rr.usage == data[0] && rr.selector == data[1] && rr.mtype == data[2]);
    HARNESS_CHECK(rr.data == data + 3 && rr.len == size - 3);
    if (tlsa_usable(&rr, why, sizeof(why))) {
	HARNESS_CHECK(rr.usage == 2 || rr.usage == 3);
	HARNESS_CHECK(rr.selector <= 1 && rr.mtype <= 2);
	HARNESS_CHECK(rr.mtype == 0 ? rr.len >= 16 : rr.len == digest[rr.mtype]);
    } else {
	HARNESS_CHECK(why[0] != '\0');
    }
}

/* encode_name - text back to wire format into out (WIRE_MAX); its length */
static size_t encode_name(const char *name, unsigned char *out)
{
    size_t  o = 0;

    if (strcmp(name, ".") != 0) {
	for (const char *s = name; *s;) {
	    size_t  lab = strcspn(s, ".");

	    HARNESS_CHECK(lab >= 1 && lab <= 63 && o + lab + 2 <= WIRE_MAX);
	    out[o++] = (unsigned char) lab;
	    memcpy(out + o, s, lab);
	    o += lab;
	    s += lab + (s[lab] == '.');
	}
    }
    out[o++] = 0;
    return o;
}

/* check_name - one wire name under buffers of several sizes */
static void check_name(const uint8_t *data, size_t size)
{
    static const size_t sizes[] = {1, 2, 8, DOMAIN_MAX + 1, 1024};
    unsigned char wire[WIRE_MAX];
    char   *first = NULL;
    int     used = -1;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
	char   *out = xmalloc(sizes[i]);
	int     n = dns_name_from_wire(data, size, out, sizes[i]);

	if (n < 0) {
	    HARNESS_CHECK(first == NULL);	/* a larger buffer never fails */
	    free(out);
	    continue;
	}
	HARNESS_CHECK((size_t) n <= size && strlen(out) < sizes[i]);
	if (first) {
	    HARNESS_CHECK(n == used && strcmp(out, first) == 0);
	    free(out);
	    continue;
	}
	first = out;
	used = n;
    }
    if (first == NULL)
	return;
    HARNESS_CHECK(KNOWN_LONG_NAMES || (used <= 255 && strlen(first) <= DOMAIN_MAX));
    for (const char *c = first; *c; c++)
	HARNESS_CHECK(islower((unsigned char) *c) || isdigit((unsigned char) *c)
		      || *c == '-' || *c == '_' || *c == '.');
    HARNESS_CHECK(encode_name(first, wire) == (size_t) used);
    for (int i = 0; i < used; i++)
	HARNESS_CHECK(tolower(wire[i]) == tolower(data[i]));
    free(first);
}

/* check_mx - preference and exchange */
static void check_mx(const uint8_t *data, size_t size)
{
    char   *name = xmalloc(DOMAIN_MAX + 1), other[DOMAIN_MAX + 1];
    unsigned pref;

    if (mx_parse(data, size, &pref, name, DOMAIN_MAX + 1) == 0) {
	HARNESS_CHECK(size >= 3 && pref == (unsigned) (data[0] << 8 | data[1]));
	HARNESS_CHECK(dns_name_from_wire(data + 2, size - 2, other, sizeof(other))
		      == (int) (size - 2));
	HARNESS_CHECK(strcmp(name, other) == 0);
    }
    free(name);
}

/* A record that parsed, for the reference order. */
struct ref {
    unsigned pref;
    char    name[DOMAIN_MAX + 1];
};

/* check_answer - mx_list_read against a stable sort of the records */
static void check_answer(const uint8_t *data, size_t size)
{
    static const enum dns_status status[] = {DNS_DATA, DNS_NODATA, DNS_NXDOMAIN, DNS_FAIL};
    unsigned char *rdata[MAX_RECORDS];
    size_t  rdlen[MAX_RECORDS], nref = 0, nnull = 0, nbad = 0;
    struct ref ref[MAX_RECORDS];
    struct dns_answer a = {0};
    struct mx_list mx;
    size_t  pos = 1;

    if (size == 0)
	return;
    a.status = status[data[0] & 3];
    a.sec = (enum dns_sec) ((data[0] >> 2) % 3);
    a.rdata = rdata;
    a.rdlen = rdlen;
    while (a.n < MAX_RECORDS && pos < size) {
	size_t  len = data[pos++];

	if (len > size - pos)
	    len = size - pos;
	rdata[a.n] = xmalloc(len ? len : 1);	/* exact: ASan sees overreads */
	memcpy(rdata[a.n], data + pos, len);
	rdlen[a.n++] = len;
	pos += len;
    }
    mx_list_read(&a, DOMAIN, &mx);
    HARNESS_CHECK(mx.secure == (a.sec == DNS_SECURE));
    HARNESS_CHECK(mx.n <= MX_MAX);
    if (a.sec == DNS_BOGUS || a.status != DNS_DATA) {
	HARNESS_CHECK(mx.status == (a.sec == DNS_BOGUS ? MX_BOGUS
				    : a.status == DNS_NODATA ? MX_IMPLICIT
				    : a.status == DNS_NXDOMAIN ? MX_NXDOMAIN : MX_FAIL));
	HARNESS_CHECK(mx.status == MX_IMPLICIT ? mx.n == 1
		      && strcmp(mx.hosts[0].name, DOMAIN) == 0 : mx.n == 0);
	goto out;
    }
    /* The reference: insertion sort, stable (after the equal ones). */
    for (size_t i = 0; i < a.n; i++) {
	struct ref r;
	size_t  k;

	if (mx_parse(rdata[i], rdlen[i], &r.pref, r.name, sizeof(r.name)) < 0) {
	    nbad++;
	    continue;
	}
	if (strcmp(r.name, ".") == 0) {
	    nnull++;
	    continue;
	}
	for (k = nref; k > 0 && ref[k - 1].pref > r.pref; k--)
	    ref[k] = ref[k - 1];
	ref[k] = r;
	nref++;
    }
    HARNESS_CHECK(mx.malformed == nbad);
    if (nnull > 0) {
	HARNESS_CHECK(mx.status == MX_NULL && mx.n == 0 && mx.ignored == 0);
	HARNESS_CHECK(mx.null_mixed == (nref > 0));
	goto out;
    }
    HARNESS_CHECK(mx.status == MX_HOSTS && !mx.null_mixed);
    HARNESS_CHECK(mx.n == (nref < MX_MAX ? nref : MX_MAX));
    HARNESS_CHECK(mx.n + mx.ignored == nref);
    for (size_t i = 0; i < mx.n; i++)
	HARNESS_CHECK(mx.hosts[i].pref == ref[i].pref
		      && strcmp(mx.hosts[i].name, ref[i].name) == 0);
  out:
    for (size_t i = 0; i < a.n; i++)
	free(rdata[i]);
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_tlsa(data, size);
    check_name(data, size);
    check_mx(data, size);
    check_answer(data, size);
    return 0;
}
