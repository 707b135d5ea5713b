/*
 * tlsa - TLSA and MX rdata; see tlsa.h.
 */
#include <stdio.h>
#include <string.h>

#include "resolver.h"
#include "tlsa.h"

/* tlsa_parse - usage, selector, matching type, data */
int     tlsa_parse(const unsigned char *rdata, size_t len, struct tlsa_rr *rr)
{
    if (len < 4)
	return -1;
    rr->usage = rdata[0];
    rr->selector = rdata[1];
    rr->mtype = rdata[2];
    rr->data = rdata + 3;
    rr->len = len - 3;
    return 0;
}

/* tlsa_usable - RFC 7672 3.1 */
bool    tlsa_usable(const struct tlsa_rr *rr, char *why, size_t whysz)
{
    static const size_t digest_len[] = {0, 32, 64};

    if (rr->usage != 2 && rr->usage != 3) {
	snprintf(why, whysz, "certificate usage %u is not for SMTP (only 2 "
		 "DANE-TA and 3 DANE-EE are)", rr->usage);
	return false;
    }
    if (rr->selector > 1) {
	snprintf(why, whysz, "unknown selector %u", rr->selector);
	return false;
    }
    if (rr->mtype > 2) {
	snprintf(why, whysz, "unknown matching type %u", rr->mtype);
	return false;
    }
    if (rr->mtype > 0 && rr->len != digest_len[rr->mtype]) {
	snprintf(why, whysz, "matching type %u needs %zu bytes of data, got %zu",
		 rr->mtype, digest_len[rr->mtype], rr->len);
	return false;
    }
    if (rr->mtype == 0 && rr->len < 16) {
	snprintf(why, whysz, "full %s of %zu bytes is malformed",
		 rr->selector ? "public key" : "certificate", rr->len);
	return false;
    }
    return true;
}
