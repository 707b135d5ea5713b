/*
 * sts_policy - MTA-STS texts (RFC 8461), parsed strictly, and MX patterns.
 * Pure functions: no I/O, no clock.
 *
 * TXT discovery (section 3.1): among the TXT records of _mta-sts.<domain>,
 * exactly one must start with "v=STSv1"; it has an "id" of 1 to 32 letters
 * and digits; other fields are ignored. Several STSv1 records count as none.
 *
 * The policy (section 3.2): "key: value" lines (CRLF or LF); "version"
 * (exactly STSv1), "mode" (enforce, testing, none) and "max_age" (0 to
 * 31557600) are required, "mx" at least once unless the mode is none; of a
 * repeated field other than mx the first counts; unknown fields are
 * ignored; anything required missing or malformed: no valid policy.
 */
#ifndef DESTCTL_STS_POLICY_H
#define DESTCTL_STS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#define STS_POLICY_MAX		65536	/* bytes of a policy body (section 3.3) */
#define STS_MAX_AGE_MAX		31557600	/* seconds (one year) */
#define STS_ID_MAX		32
#define STS_MX_MAX		64	/* mx lines kept; more are an error */

enum sts_mode {
    STS_MODE_ENFORCE,
    STS_MODE_TESTING,
    STS_MODE_NONE,
};

struct sts_policy {
    enum sts_mode mode;
    long    max_age;			/* seconds, <= STS_MAX_AGE_MAX */
    size_t  nmx;
    char  **mx;				/* patterns, lower case, no trailing dot */
};

/*
 * sts_txt_rdata - the text of one TXT record's rdata (its character-strings
 * concatenated) into out; -1 when the rdata is malformed or out too small.
 */
extern int sts_txt_rdata(const unsigned char *rdata, size_t len, char *out,
			         size_t outsz);

/*
 * sts_txt_parse - pick the STSv1 record among n TXT texts and copy its id
 * into id (STS_ID_MAX + 1 bytes). 0 when there is exactly one valid STSv1
 * record; -1 otherwise, with why ("no v=STSv1 record", "2 v=STSv1 records:
 * ignored as none", "id missing", "invalid id \"...\"", ...).
 */
extern int sts_txt_parse(const char *const *txt, size_t n, char *id,
			         char *why, size_t whysz);

/* sts_policy_parse - a policy body; NULL with why when it is not valid. */
extern struct sts_policy *sts_policy_parse(const char *text, size_t len,
				                   char *why, size_t whysz);

/* sts_policy_free - NULL-tolerant; returns NULL. */
extern struct sts_policy *sts_policy_free(struct sts_policy *p);

/*
 * sts_mx_match - does MX host name host (lower case, no trailing dot) match
 * pattern: equal, or pattern "*.rest" and host is one label followed by
 * ".rest" (section 4.1: the wildcard covers exactly one leftmost label).
 */
extern bool sts_mx_match(const char *pattern, const char *host);

/* sts_mode_name - "enforce", "testing", "none". */
extern const char *sts_mode_name(enum sts_mode mode);

#endif
