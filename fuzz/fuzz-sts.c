/*
 * fuzz-sts - the MTA-STS parsers (agent/sts/sts_policy.h): policy bodies, TXT
 * rdata, the choice of the STSv1 TXT record, and MX pattern matching.
 *
 * The whole input is read as a policy body and as TXT rdata; its lines are
 * the TXT texts of _mta-sts.<domain> and host names to match. Asserted:
 *  - a policy that parses is one RFC 8461 3.2 allows: a known mode, max_age
 *    in 0..STS_MAX_AGE_MAX, 1..STS_MX_MAX patterns unless the mode is none,
 *    each in lower case, without a trailing dot, "*." only in front;
 *  - a pattern without "*." matches itself, in upper case too; "*.rest"
 *    matches "x.rest" but neither "rest" nor "x.y.rest"; a pattern matches
 *    a line only as the header says (equal ignoring case, or one more label);
 *  - TXT rdata that reads gives its bytes less the length bytes, no NUL;
 *  - sts_txt_parse() succeeds only when exactly one text starts an STSv1
 *    record, with an id of 1..32 letters and digits written "id=<id>" in it.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "harness.h"
#include "sts_policy.h"
#include "util.h"

#define MAX_LINES	16		/* TXT texts and host names per input */

/* check_pattern - one stored pattern: its form and the matches it implies */
static void check_pattern(const char *pat)
{
    const char *name = strncmp(pat, "*.", 2) == 0 ? pat + 2 : pat;
    struct buf *b = buf_alloc(64, 1024);
    char   *upper = str_lower(xstrdup(pat));

    HARNESS_CHECK(strcmp(upper, pat) == 0);	/* stored in lower case */
    for (char *p = upper; *p; p++)
	*p = (char) toupper((unsigned char) *p);
    HARNESS_CHECK(*name && name[strlen(name) - 1] != '.' && strchr(name, '*') == NULL);
    if (name == pat) {
	HARNESS_CHECK(sts_mx_match(pat, pat));
	HARNESS_CHECK(sts_mx_match(pat, upper));
    } else {
	buf_printf(b, "x.%s", name);
	HARNESS_CHECK(sts_mx_match(pat, b->data));
	HARNESS_CHECK(sts_mx_match(upper, b->data));
	HARNESS_CHECK(!sts_mx_match(pat, name));
	buf_reset(b);
	buf_printf(b, "x.y.%s", name);
	HARNESS_CHECK(!sts_mx_match(pat, b->data));
    }
    free(upper);
    buf_free(b);
}

/* check_match - sts_mx_match(pat, host) as the header defines it */
static void check_match(const char *pat, const char *host)
{
    const char *dot = strchr(host, '.');
    bool    want;

    if (*pat == '\0' || *host == '\0')
	want = false;
    else if (strncmp(pat, "*.", 2) == 0)
	want = pat[2] && dot && dot != host && strcasecmp(dot + 1, pat + 2) == 0;
    else
	want = strcasecmp(pat, host) == 0;
    HARNESS_CHECK(sts_mx_match(pat, host) == want);
}

/* check_policy - the body, then its patterns against the lines */
static void check_policy(const uint8_t *data, size_t size, char **lines, size_t n)
{
    struct sts_policy *p;
    char    why[256] = "";

    if ((p = sts_policy_parse((const char *) data, size, why, sizeof(why))) == NULL) {
	HARNESS_CHECK(why[0] != '\0');
	return;
    }
    HARNESS_CHECK(p->mode == STS_MODE_ENFORCE || p->mode == STS_MODE_TESTING
		  || p->mode == STS_MODE_NONE);
    HARNESS_CHECK(p->max_age >= 0 && p->max_age <= STS_MAX_AGE_MAX);
    HARNESS_CHECK(p->nmx <= STS_MX_MAX && (p->nmx > 0 || p->mode == STS_MODE_NONE));
    for (size_t i = 0; i < p->nmx; i++) {
	check_pattern(p->mx[i]);
	for (size_t j = 0; j < n; j++)
	    check_match(p->mx[i], lines[j]);
    }
    sts_policy_free(p);
}

/* check_txt - the record choice over the lines */
static void check_txt(char **lines, size_t n)
{
    char    id[STS_ID_MAX + 1], why[256] = "", *field;
    const char *rec = NULL;
    size_t  nv1 = 0;

    if (sts_txt_parse((const char *const *) lines, n, id, why, sizeof(why)) < 0) {
	HARNESS_CHECK(id[0] == '\0' && why[0] != '\0');
	return;
    }
    for (size_t i = 0; i < n; i++) {
	if (strncmp(lines[i], "v=STSv1", 7) == 0
	    && strchr("; \t", lines[i][7]) != NULL) {	/* NUL too */
	    rec = lines[i];
	    nv1++;
	}
    }
    HARNESS_CHECK(nv1 == 1);
    HARNESS_CHECK(strlen(id) >= 1 && strlen(id) <= STS_ID_MAX);
    for (const char *c = id; *c; c++)
	HARNESS_CHECK(isalnum((unsigned char) *c));
    field = xmalloc(strlen(id) + 4);
    strcpy(field, "id=");
    strcat(field, id);
    HARNESS_CHECK(strstr(rec, field) != NULL);
    free(field);
}

/* check_rdata - character-strings concatenated, or refused */
static void check_rdata(const uint8_t *data, size_t size)
{
    size_t  outsz = size + 1;
    char   *out = xmalloc(outsz);		/* exactly enough: ASan sees more */
    size_t  strings = 0;

    if (sts_txt_rdata(data, size, out, outsz) == 0) {
	for (size_t i = 0; i < size; i += data[i] + 1)
	    strings++;
	HARNESS_CHECK(strlen(out) + strings == size);
    }
    free(out);
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct harness_part rest = {(const char *) data, size}, line;
    char   *lines[MAX_LINES];
    size_t  n = 0;

    while (n < MAX_LINES && harness_line(&rest, &line))
	lines[n++] = harness_cstr(line);
    check_policy(data, size, lines, n);
    check_txt(lines, n);
    check_rdata(data, size);
    for (size_t i = 0; i < n; i++)
	free(lines[i]);
    return 0;
}
