/*
 * sts_policy - MTA-STS texts (RFC 8461), parsed strictly; see sts_policy.h.
 *
 * Where RFC 8461 leaves room, this reader decides as follows.
 *
 * TXT record (section 3.1):
 *  - A text is an STSv1 record when it begins with "v=STSv1" (case as
 *    written) followed by the end, ';', space or tab; any other text is not
 *    ours and is skipped ("v=STSv10", "V=STSv1").
 *  - The STSv1 record must match the ABNF: fields separated by ';' with
 *    optional blanks around it, one optional ';' at the end, no other
 *    trailing text. "id" is matched as written ("ID=" is an extension);
 *    extension names and values are checked against their ABNF, then
 *    ignored; of several "id" fields the first counts.
 *
 * Policy (section 3.2):
 *  - Lines end in LF or CRLF, mixed is fine; the last line may lack one. A
 *    CR not followed by LF, and any control character other than tab, make
 *    the policy invalid (that includes NUL).
 *  - Empty lines after the last field are ignored (a generator's extra
 *    newline); an empty line between fields is malformed, as the ABNF has
 *    none. A line with only blanks is malformed anywhere.
 *  - Every line must be "name:" then optional blanks then the value, and
 *    may end in blanks; a line without ':' is malformed. Names are matched
 *    as written: "Mode" is an unknown extension and ignored, so the policy
 *    then lacks "mode". A name outside the extension-name ABNF (a blank
 *    before the ':', say) is malformed.
 *  - Unknown fields are ignored once their value is a valid extension value
 *    (not empty, no tab; bytes above 0x7f pass unchecked: never used).
 *  - A repeated version, mode or max_age line is ignored without checking
 *    its value: the first counts. Every mx line counts and is checked.
 *  - max_age is 1 to 10 digits; more digits are malformed. A value above
 *    STS_MAX_AGE_MAX is capped to it, not refused: the sender clearly wants
 *    the policy enforced, and capping only shortens how long we cache it.
 *  - mx is ["*."] then a host name of letters, digits and hyphens, labels of
 *    1-63 bytes not starting or ending in '-', at most 253 bytes; a trailing
 *    dot is malformed (the RFC 5321 Domain it refers to has none). Stored in
 *    lower case. Duplicates are kept; more than STS_MX_MAX lines: invalid.
 *  - The first malformed line decides the reason; then missing fields are
 *    named in the order version, mode, max_age, mx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "sts_policy.h"
#include "util.h"

#define STS_QUOTE_MAX	40		/* bytes of peer text quoted in why */
#define STS_NAME_MAX	32		/* extension names, both ABNFs */
#define STS_DOMAIN_MAX	253
#define STS_LABEL_MAX	63
#define STS_V1		"v=STSv1"
#define STS_V1_LEN	(sizeof(STS_V1) - 1)

/* The modes: wire name and value, one table for parsing and printing. */
static const struct sts_mode_row {
    const char *name;
    enum sts_mode mode;
} sts_modes[] = {
    {"enforce", STS_MODE_ENFORCE},
    {"testing", STS_MODE_TESTING},
    {"none", STS_MODE_NONE},
};

#define STS_NMODES	(sizeof(sts_modes) / sizeof(sts_modes[0]))

/* sts_wsp - RFC 5234 WSP */
static inline bool sts_wsp(int c)
{
    return c == ' ' || c == '\t';
}

/* sts_alnum - RFC 5234 ALPHA / DIGIT, independent of the locale */
static inline bool sts_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	|| (c >= '0' && c <= '9');
}

/* sts_reject - why: what, then len bytes of peer text, quoted; returns -1 */
static int sts_reject(char *why, size_t whysz, unsigned line, const char *what,
		              const char *s, size_t len)
{
    struct buf *q = buf_alloc(STS_QUOTE_MAX + 8, STS_QUOTE_MAX + 8);

    for (size_t i = 0; i < len && i < STS_QUOTE_MAX; i++) {
	unsigned char c = (unsigned char) s[i];

	buf_putc(q, c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
    }
    if (len > STS_QUOTE_MAX)
	buf_puts(q, "...");
    if (line > 0)
	snprintf(why, whysz, "line %u: %s \"%s\"", line, what, q->data);
    else
	snprintf(why, whysz, "%s \"%s\"", what, q->data);
    buf_free(q);
    return -1;
}

/* sts_ext_name - (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static bool sts_ext_name(const char *s, size_t len)
{
    if (len == 0 || len > STS_NAME_MAX || !sts_alnum(s[0]))
	return false;
    for (size_t i = 1; i < len; i++)
	if (!sts_alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
	    return false;
    return true;
}

/* sts_domain_ok - LDH labels of 1-63 bytes, dot-separated, no final dot */
static bool sts_domain_ok(const char *s, size_t len)
{
    size_t  label = 0;

    if (len == 0 || len > STS_DOMAIN_MAX)
	return false;
    for (size_t i = 0; i <= len; i++) {
	if (i == len || s[i] == '.') {
	    if (label == 0 || label > STS_LABEL_MAX || s[i - 1] == '-')
		return false;
	    label = 0;
	} else if (sts_alnum(s[i]) || (s[i] == '-' && label > 0)) {
	    label++;
	} else {
	    return false;
	}
    }
    return true;
}

/* Policy parse state; one handler per known field below. */
struct sts_parse {
    struct sts_policy *p;
    unsigned line;			/* 1-based, for why */
    char   *why;
    size_t  whysz;
};

/* sts_set_version - exactly "STSv1" */
static int sts_set_version(struct sts_parse *st, const char *v, size_t len)
{
    if (len != 5 || memcmp(v, "STSv1", 5) != 0)
	return sts_reject(st->why, st->whysz, st->line, "invalid version", v, len);
    return 0;
}

/* sts_set_mode - one of the sts_modes names, as written */
static int sts_set_mode(struct sts_parse *st, const char *v, size_t len)
{
    for (size_t i = 0; i < STS_NMODES; i++) {
	if (strlen(sts_modes[i].name) == len
	    && memcmp(sts_modes[i].name, v, len) == 0) {
	    st->p->mode = sts_modes[i].mode;
	    return 0;
	}
    }
    return sts_reject(st->why, st->whysz, st->line, "invalid mode", v, len);
}

/* sts_set_max_age - 1*10DIGIT, capped at STS_MAX_AGE_MAX (see the top) */
static int sts_set_max_age(struct sts_parse *st, const char *v, size_t len)
{
    unsigned long long n = 0;		/* 10 digits fit */
    bool    good = len > 0 && len <= 10;

    for (size_t i = 0; good && i < len; i++) {
	good = v[i] >= '0' && v[i] <= '9';
	n = n * 10 + (unsigned) (v[i] - '0');
    }
    if (!good)
	return sts_reject(st->why, st->whysz, st->line, "invalid max_age", v, len);
    st->p->max_age = n > STS_MAX_AGE_MAX ? STS_MAX_AGE_MAX : (long) n;
    return 0;
}

/* sts_add_mx - ["*."] host name, kept in lower case */
static int sts_add_mx(struct sts_parse *st, const char *v, size_t len)
{
    struct sts_policy *p = st->p;
    size_t  skip = len >= 2 && v[0] == '*' && v[1] == '.' ? 2 : 0;

    if (!sts_domain_ok(v + skip, len - skip))
	return sts_reject(st->why, st->whysz, st->line, "invalid mx", v, len);
    if (p->nmx >= STS_MX_MAX) {
	snprintf(st->why, st->whysz, "line %u: more than %d mx lines",
		 st->line, STS_MX_MAX);
	return -1;
    }
    p->mx = xrealloc(p->mx, (p->nmx + 1) * sizeof(*p->mx));
    p->mx[p->nmx++] = str_lower(xstrndup(v, len));
    return 0;
}

/* The known fields, in the order their absence is reported. */
static const struct sts_field {
    const char *name;
    int     (*set) (struct sts_parse *, const char *, size_t);
    bool    once;			/* required once; repeats ignored */
} sts_fields[] = {
    {"version", sts_set_version, true},
    {"mode", sts_set_mode, true},
    {"max_age", sts_set_max_age, true},
    {"mx", sts_add_mx, false},
};

#define STS_NFIELDS	(sizeof(sts_fields) / sizeof(sts_fields[0]))

/* sts_policy_line - one line, its end and control characters dealt with */
static int sts_policy_line(struct sts_parse *st, bool *seen, const char *s,
			           size_t len)
{
    const char *colon = memchr(s, ':', len);
    const char *v;
    size_t  nlen, vlen;

    if (colon == NULL)
	return sts_reject(st->why, st->whysz, st->line, "no ':' in", s, len);
    nlen = (size_t) (colon - s);
    if (!sts_ext_name(s, nlen))
	return sts_reject(st->why, st->whysz, st->line, "invalid field name",
			  s, nlen);
    v = colon + 1;
    vlen = len - nlen - 1;
    while (vlen > 0 && sts_wsp(*v))
	v++, vlen--;
    while (vlen > 0 && sts_wsp(v[vlen - 1]))
	vlen--;

    for (size_t i = 0; i < STS_NFIELDS; i++) {
	if (strlen(sts_fields[i].name) != nlen
	    || memcmp(sts_fields[i].name, s, nlen) != 0)
	    continue;
	if (sts_fields[i].once && seen[i])
	    return 0;
	seen[i] = true;
	return sts_fields[i].set(st, v, vlen);
    }
    /* sts-policy-ext-value: not empty, blanks inside are spaces only */
    if (vlen == 0 || memchr(v, '\t', vlen) != NULL)
	return sts_reject(st->why, st->whysz, st->line, "invalid value of",
			  s, nlen);
    return 0;
}

/* sts_policy_missing - a required field absent; 0 when none is */
static int sts_policy_missing(const struct sts_policy *p, const bool *seen,
			              char *why, size_t whysz)
{
    for (size_t i = 0; i < STS_NFIELDS; i++) {
	if (sts_fields[i].once && !seen[i]) {
	    snprintf(why, whysz, "%s missing", sts_fields[i].name);
	    return -1;
	}
    }
    if (p->mode != STS_MODE_NONE && p->nmx == 0) {
	snprintf(why, whysz, "mx missing");
	return -1;
    }
    return 0;
}

/* sts_policy_parse - a policy body, line by line */
struct sts_policy *sts_policy_parse(const char *text, size_t len, char *why,
				            size_t whysz)
{
    struct sts_parse st = {NULL, 0, why, whysz};
    bool    seen[STS_NFIELDS] = {false};
    unsigned blank = 0;			/* first of a run of empty lines */
    size_t  pos = 0;

    if (len == 0) {
	snprintf(why, whysz, "empty policy");
	return NULL;
    }
    if (len > STS_POLICY_MAX) {
	snprintf(why, whysz, "policy of %zu bytes is larger than %d",
		 len, STS_POLICY_MAX);
	return NULL;
    }
    st.p = xcalloc(1, sizeof(*st.p));

    while (pos < len) {
	const char *s = text + pos;
	const char *nl = memchr(s, '\n', len - pos);
	size_t  n = nl ? (size_t) (nl - s) : len - pos;

	pos += n + (nl != NULL);
	st.line++;
	if (nl && n > 0 && s[n - 1] == '\r')
	    n--;
	for (size_t i = 0; i < n; i++) {
	    unsigned char c = (unsigned char) s[i];

	    if ((c < 0x20 && c != '\t') || c == 0x7f) {
		snprintf(why, whysz, "line %u: control character 0x%02x",
			 st.line, c);
		goto bad;
	    }
	}
	if (n == 0) {
	    if (blank == 0)
		blank = st.line;
	    continue;
	}
	if (blank > 0) {
	    snprintf(why, whysz, "line %u: empty line", blank);
	    goto bad;
	}
	if (sts_policy_line(&st, seen, s, n) < 0)
	    goto bad;
    }
    if (sts_policy_missing(st.p, seen, why, whysz) < 0)
	goto bad;
    return st.p;

bad:
    sts_policy_free(st.p);
    return NULL;
}

/* sts_policy_free - the patterns, their array, the policy */
struct sts_policy *sts_policy_free(struct sts_policy *p)
{
    if (p) {
	for (size_t i = 0; i < p->nmx; i++)
	    free(p->mx[i]);
	free(p->mx);
	free(p);
    }
    return NULL;
}

/* sts_mode_name - from the sts_modes table */
const char *sts_mode_name(enum sts_mode mode)
{
    for (size_t i = 0; i < STS_NMODES; i++)
	if (sts_modes[i].mode == mode)
	    return sts_modes[i].name;
    return "unknown";
}

/* sts_mx_match - exact, or "*." and exactly one more leftmost label */
bool    sts_mx_match(const char *pattern, const char *host)
{
    const char *dot;

    if (pattern == NULL || host == NULL || *pattern == 0 || *host == 0)
	return false;
    if (pattern[0] == '*' && pattern[1] == '.') {
	if (pattern[2] == 0 || (dot = strchr(host, '.')) == NULL || dot == host)
	    return false;
	return strcasecmp(dot + 1, pattern + 2) == 0;
    }
    return strcasecmp(pattern, host) == 0;
}

/* sts_txt_rdata - character-strings concatenated, NUL refused */
int     sts_txt_rdata(const unsigned char *rdata, size_t len, char *out,
		              size_t outsz)
{
    size_t  i = 0, o = 0;

    if (outsz == 0)
	return -1;
    out[0] = 0;
    if (len == 0)			/* RFC 1035: one string at least */
	return -1;
    while (i < len) {
	size_t  n = rdata[i++];

	if (n > len - i || memchr(rdata + i, 0, n) != NULL || n >= outsz - o)
	    return -1;
	memcpy(out + o, rdata + i, n);
	o += n;
	i += n;
	out[o] = 0;
    }
    return 0;
}

/* sts_txt_is_v1 - does a text begin an STSv1 record (see the top) */
static bool sts_txt_is_v1(const char *t)
{
    return strncmp(t, STS_V1, STS_V1_LEN) == 0
	&& (t[STS_V1_LEN] == 0 || t[STS_V1_LEN] == ';'
	    || sts_wsp(t[STS_V1_LEN]));
}

/* sts_txt_field - "id=" 1*32(ALPHA / DIGIT), or an extension, ignored */
static int sts_txt_field(const char *f, size_t len, char *id, bool *have_id,
			         char *why, size_t whysz)
{
    const char *eq = memchr(f, '=', len);
    const char *v;
    size_t  nlen, vlen;

    if (eq == NULL)
	return sts_reject(why, whysz, 0, "malformed field", f, len);
    nlen = (size_t) (eq - f);
    v = eq + 1;
    vlen = len - nlen - 1;
    if (nlen == 2 && memcmp(f, "id", 2) == 0) {
	if (*have_id)
	    return 0;
	if (vlen == 0 || vlen > STS_ID_MAX)
	    return sts_reject(why, whysz, 0, "invalid id", v, vlen);
	for (size_t i = 0; i < vlen; i++)
	    if (!sts_alnum(v[i]))
		return sts_reject(why, whysz, 0, "invalid id", v, vlen);
	memcpy(id, v, vlen);
	id[vlen] = 0;
	*have_id = true;
	return 0;
    }
    /* sts-ext-value: 1*(%x21-3A / %x3C / %x3E-7E); ';' and blanks split. */
    if (!sts_ext_name(f, nlen) || vlen == 0)
	return sts_reject(why, whysz, 0, "malformed field", f, len);
    for (size_t i = 0; i < vlen; i++) {
	unsigned char c = (unsigned char) v[i];

	if (c < 0x21 || c > 0x7e || c == '=')
	    return sts_reject(why, whysz, 0, "malformed field", f, len);
    }
    return 0;
}

/* sts_txt_record - the one STSv1 record: its fields after the version */
static int sts_txt_record(const char *t, char *id, char *why, size_t whysz)
{
    const char *s = t + STS_V1_LEN;
    bool    have_id = false;

    for (;;) {
	const char *d = s;
	size_t  n;

	/* sts-field-delim = *WSP ";" *WSP; the last one is optional. */
	while (sts_wsp(*s))
	    s++;
	if (*s != ';') {
	    if (*d == 0)
		break;
	    return sts_reject(why, whysz, 0, "expected ';' at", d, strlen(d));
	}
	s++;
	while (sts_wsp(*s))
	    s++;
	if (*s == 0)
	    break;
	n = strcspn(s, "; \t");
	if (sts_txt_field(s, n, id, &have_id, why, whysz) < 0)
	    return -1;
	s += n;
    }
    if (!have_id) {
	snprintf(why, whysz, "id missing");
	return -1;
    }
    return 0;
}

/* sts_txt_parse - exactly one STSv1 record, then its fields */
int     sts_txt_parse(const char *const *txt, size_t n, char *id, char *why,
		              size_t whysz)
{
    const char *rec = NULL;
    size_t  nv1 = 0;

    id[0] = 0;
    for (size_t i = 0; i < n; i++) {
	if (txt[i] != NULL && sts_txt_is_v1(txt[i])) {
	    rec = txt[i];
	    nv1++;
	}
    }
    if (nv1 == 0) {
	snprintf(why, whysz, "no v=STSv1 record");
	return -1;
    }
    if (nv1 > 1) {
	snprintf(why, whysz, "%zu v=STSv1 records: ignored as none", nv1);
	return -1;
    }
    if (sts_txt_record(rec, id, why, whysz) < 0) {
	id[0] = 0;
	return -1;
    }
    return 0;
}
