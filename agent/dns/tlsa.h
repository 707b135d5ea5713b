/*
 * tlsa - parse DNS rdata the DANE code needs: TLSA records (RFC 6698) and
 * their usability for SMTP (RFC 7672 section 3.1). Pure.
 */
#ifndef DESTCTL_TLSA_H
#define DESTCTL_TLSA_H

#include <stdbool.h>
#include <stddef.h>

struct tlsa_rr {
    unsigned usage;			/* 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE */
    unsigned selector;			/* 0 full certificate, 1 SubjectPublicKeyInfo */
    unsigned mtype;			/* 0 exact, 1 SHA2-256, 2 SHA2-512 */
    const unsigned char *data;		/* borrowed from the rdata */
    size_t  len;
};

/* tlsa_parse - split rdata into rr; -1 when shorter than 4 bytes. */
extern int tlsa_parse(const unsigned char *rdata, size_t len, struct tlsa_rr *rr);

/*
 * tlsa_usable - can an SMTP client use rr (RFC 7672 3.1)? DANE-TA(2) and
 * DANE-EE(3) only (PKIX usages are not for SMTP), selector 0 or 1, matching
 * type 0, 1 (32-byte digest) or 2 (64-byte digest). false with why otherwise.
 */
extern bool tlsa_usable(const struct tlsa_rr *rr, char *why, size_t whysz);

#endif
