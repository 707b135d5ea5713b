/*
 * fuzz-domain - domain name normalisation (shared/domain.h), through which
 * every domain in the configuration and in lookups passes.
 *
 * The input, up to its first NUL, is a name as a person or an MTA writes it.
 * Asserted:
 *  - a name that normalises gives at most DOMAIN_MAX bytes of lower-case
 *    letters, digits, hyphens and dots: labels of 1-63 bytes, not starting
 *    or ending in '-', no trailing dot; a name that does not gives a reason;
 *  - normalising is idempotent;
 *  - one trailing dot more (when there is none) changes nothing;
 *  - ASCII letters in upper case change nothing.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "harness.h"
#include "util.h"

/* normalize - domain_normalize into out, and the form of what it gives */
static int normalize(const char *in, char *out)
{
    char    why[256] = "";
    size_t  label = 0;
    int     rc = domain_normalize(in, out, why, sizeof(why));

    if (rc < 0) {
	HARNESS_CHECK(why[0] != '\0');
	return rc;
    }
    HARNESS_CHECK(rc == 0 && strlen(out) >= 1 && strlen(out) <= DOMAIN_MAX);
    HARNESS_CHECK(domain_is_ascii(out));
    for (const char *c = out;; c++) {
	if (*c == '.' || *c == '\0') {
	    HARNESS_CHECK(label >= 1 && label <= 63);
	    HARNESS_CHECK(*(c - label) != '-' && c[-1] != '-');
	    if (*c == '\0')
		break;
	    label = 0;
	    continue;
	}
	HARNESS_CHECK(islower((unsigned char) *c) || isdigit((unsigned char) *c)
		      || *c == '-');
	label++;
    }
    return 0;
}

/* same - both fail, or both give the same name */
static void same(int rc1, const char *a, int rc2, const char *b)
{
    HARNESS_CHECK(rc1 == rc2);
    if (rc1 == 0)
	HARNESS_CHECK(strcmp(a, b) == 0);
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char   *in = xstrndup((const char *) data, size);
    size_t  len = strlen(in);
    char   *variant = xmalloc(len + 2);
    char    out[DOMAIN_MAX + 1], again[DOMAIN_MAX + 1], other[DOMAIN_MAX + 1];
    int     rc = normalize(in, out);

    if (rc == 0)
	same(0, out, normalize(out, again), again);
    if (len == 0 || in[len - 1] != '.') {
	memcpy(variant, in, len);
	strcpy(variant + len, ".");
	same(rc, out, normalize(variant, other), other);
    }
    memcpy(variant, in, len + 1);
    for (char *c = variant; *c; c++)
	if (*c >= 'a' && *c <= 'z')
	    *c = (char) (*c - 'a' + 'A');
    same(rc, out, normalize(variant, other), other);
    free(variant);
    free(in);
    return 0;
}
