/*
 * domain - normalise and validate domain names; see domain.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <idn2.h>

#include "domain.h"

/* domain_is_ascii - only 7-bit bytes */
bool    domain_is_ascii(const char *s)
{
    for (; *s; s++)
	if ((unsigned char) *s > 0x7f)
	    return false;
    return true;
}

/* domain_check_ldh - validate a lower-case ASCII name label by label */
static int domain_check_ldh(const char *name, char *why, size_t whysz)
{
    const char *label = name, *p;

    if (*name == '\0') {
	snprintf(why, whysz, "empty domain name");
	return -1;
    }
    if (strlen(name) > DOMAIN_MAX) {
	snprintf(why, whysz, "domain name longer than %d characters", DOMAIN_MAX);
	return -1;
    }
    for (p = name;; p++) {
	if (*p == '.' || *p == '\0') {
	    size_t  len = (size_t) (p - label);

	    if (len == 0) {
		snprintf(why, whysz, "empty label");
		return -1;
	    }
	    if (len > 63) {
		snprintf(why, whysz, "label longer than 63 characters");
		return -1;
	    }
	    if (label[0] == '-' || p[-1] == '-') {
		snprintf(why, whysz, "label \"%.*s\" starts or ends with '-'",
			 (int) len, label);
		return -1;
	    }
	    if (*p == '\0')
		return 0;
	    label = p + 1;
	} else if (!isalnum((unsigned char) *p) && *p != '-') {
	    if (isprint((unsigned char) *p))
		snprintf(why, whysz, "invalid character '%c'", *p);
	    else
		snprintf(why, whysz, "invalid character 0x%02x",
			 (unsigned char) *p);
	    return -1;
	}
    }
}

/* domain_normalize - comparable A-label form */
int     domain_normalize(const char *in, char *out, char *why, size_t whysz)
{
    size_t  len = strlen(in);
    char    tmp[DOMAIN_MAX + 2];

    if (len > 0 && in[len - 1] == '.')
	len--;				/* one trailing dot: the root */
    if (len > DOMAIN_MAX * 4) {
	snprintf(why, whysz, "domain name too long");
	return -1;
    }
    if (domain_is_ascii(in)) {
	if (len > DOMAIN_MAX) {
	    snprintf(why, whysz, "domain name longer than %d characters",
		     DOMAIN_MAX);
	    return -1;
	}
	memcpy(tmp, in, len);
	tmp[len] = '\0';
    } else {
	char    u8[DOMAIN_MAX * 4 + 1];
	char   *alabel = NULL;
	int     rc;

	memcpy(u8, in, len);
	u8[len] = '\0';
	rc = idn2_to_ascii_8z(u8, &alabel, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
	    snprintf(why, whysz, "not a valid internationalized domain name: %s",
		     idn2_strerror(rc));
	    return -1;
	}
	if (strlen(alabel) > DOMAIN_MAX) {
	    idn2_free(alabel);
	    snprintf(why, whysz, "domain name longer than %d characters",
		     DOMAIN_MAX);
	    return -1;
	}
	strcpy(tmp, alabel);
	idn2_free(alabel);
    }
    for (char *p = tmp; *p; p++)
	*p = (char) tolower((unsigned char) *p);
    if (domain_check_ldh(tmp, why, whysz) < 0)
	return -1;
    strcpy(out, tmp);
    return 0;
}
