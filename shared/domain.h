/*
 * domain - domain names as destctl compares them: A-labels, lower case, no
 * trailing dot, letters/digits/hyphens, labels of 1-63 bytes, at most 253 bytes.
 */
#ifndef DESTCTL_DOMAIN_H
#define DESTCTL_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#define DOMAIN_MAX 253

/*
 * domain_normalize - turn a name as a person or an MTA writes it (any case, one
 * trailing dot, UTF-8 U-labels) into its comparable form, written to out
 * (at least DOMAIN_MAX + 1 bytes). Returns 0, or -1 with a reason in why
 * ("empty label", "label longer than 63 characters", "invalid character '_'",
 * or the libidn2 error for a bad Unicode name).
 */
extern int domain_normalize(const char *in, char *out, char *why, size_t whysz);

/* domain_is_ascii - true when s has no byte above 0x7f. */
extern bool domain_is_ascii(const char *s);

#endif
