/*
 * unit-sts-policy - MTA-STS TXT records and policies (RFC 8461 3.1, 3.2),
 * TXT rdata, and MX patterns (4.1).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "sts_policy.h"
#include "tap.h"
#include "util.h"

#define NROWS(a)	(sizeof(a) / sizeof((a)[0]))

/* Policy lines most rows share. */
#define V	"version: STSv1\n"
#define E	"mode: enforce\n"
#define A	"max_age: 86400\n"
#define M	"mx: mail.example.com\n"
#define OK	"enforce 86400 mail.example.com"
#define L63	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID32	"0123456789abcdefABCDEF0123456789"

static const struct {
    const char *name;
    const char *text;
    size_t  len;			/* 0: strlen(text) */
    const char *want;			/* "mode max_age mx,mx" or "!why" */
} policies[] = {
    /* valid bodies and their values */
    {"minimal enforce, LF", V E M A, 0, OK},
    {"CRLF", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
	"max_age: 86400\r\n", 0, OK},
    {"CRLF and LF mixed", "version: STSv1\r\n" E "mx: mail.example.com\r\n" A, 0, OK},
    {"no final newline", V E M "max_age: 86400", 0, OK},
    {"no final CRLF", V E "mx: mail.example.com\r\nmax_age: 86400", 0, OK},
    {"testing", V "mode: testing\n" M A, 0, "testing 86400 mail.example.com"},
    {"none without mx", V "mode: none\n" A, 0, "none 86400 -"},
    {"none with mx", V "mode: none\n" M A, 0, "none 86400 mail.example.com"},
    {"fields in any order", A M E V, 0, OK},
    {"mx before everything", M "max_age: 60\nmode: testing\n" V, 0,
    "testing 60 mail.example.com"},
    {"repeated mode: first counts", V "mode: testing\n" E M A, 0,
    "testing 86400 mail.example.com"},
    {"repeated mode: later bad value ignored", V E "mode: bogus\n" M A, 0, OK},
    {"repeated max_age: first counts", V E M A "max_age: 5\n", 0, OK},
    {"repeated version: later STSv2 ignored", V E M A "version: STSv2\n", 0, OK},
    {"several mx", V E "mx: a.example.com\nmx: *.example.net\nmx: a.example.com\n" A,
	0, "enforce 86400 a.example.com,*.example.net,a.example.com"},
    {"unknown field ignored", V E M A "foo_bar.x-1: any; =text, with spaces\n", 0, OK},
    {"unknown field, UTF-8 value", V E M "comment: \xc3\xa9t\xc3\xa9\n" A, 0, OK},
    {"colon inside an unknown value", V "x: a:b\n" E M A, 0, OK},
    {"max_age 0", V E M "max_age: 0\n", 0, "enforce 0 mail.example.com"},
    {"max_age with leading zeros", V E M "max_age: 0000000060\n", 0,
    "enforce 60 mail.example.com"},
    {"max_age at the maximum", V E M "max_age: 31557600\n", 0,
    "enforce 31557600 mail.example.com"},
    {"max_age one above: capped", V E M "max_age: 31557601\n", 0,
    "enforce 31557600 mail.example.com"},
    {"max_age 10 digits: capped", V E M "max_age: 9999999999\n", 0,
    "enforce 31557600 mail.example.com"},
    {"blanks after the colon", "version:STSv1\nmode:\t \tenforce\nmx:mail.example.com\n"
	"max_age:  86400\n", 0, OK},
    {"blanks at the end of lines", "version: STSv1 \nmode: enforce\t\n"
	"mx: mail.example.com \t\r\nmax_age: 86400 \n", 0, OK},
    {"mx wildcard, case folded", V E "mx: *.Example.COM\n" A, 0,
    "enforce 86400 *.example.com"},
    {"mx label of 63", V E "mx: " L63 ".example\n" A, 0, "enforce 86400 " L63 ".example"},
    {"mx digits and hyphens", V E "mx: 10-mx.x0.example\n" A, 0,
    "enforce 86400 10-mx.x0.example"},
    {"trailing empty lines ignored", V E M A "\n\r\n\n", 0, OK},

    /* required fields */
    {"empty body", "", 0, "!empty policy"},
    {"missing version", E M A, 0, "!version missing"},
    {"missing mode", V M A, 0, "!mode missing"},
    {"missing max_age", V E M, 0, "!max_age missing"},
    {"missing mx, enforce", V E A, 0, "!mx missing"},
    {"missing mx, testing", V "mode: testing\n" A, 0, "!mx missing"},
    {"nothing known", "foo: bar\n", 0, "!version missing"},

    /* case: names and values are %s */
    {"version STSv2", "version: STSv2\n" E M A, 0, "!line 1: invalid version \"STSv2\""},
    {"version stsv1", "version: stsv1\n" E M A, 0, "!line 1: invalid version \"stsv1\""},
    {"version with more", "version: STSv1 x\n" E M A, 0,
    "!line 1: invalid version \"STSv1 x\""},
    {"mode Enforce", V "mode: Enforce\n" M A, 0, "!line 2: invalid mode \"Enforce\""},
    {"mode report", V "mode: report\n" M A, 0, "!line 2: invalid mode \"report\""},
    {"mode empty", V "mode:\n" M A, 0, "!line 2: invalid mode \"\""},
    {"key Mode: an unknown field", V "Mode: enforce\n" M A, 0, "!mode missing"},
    {"key MX: an unknown field", V E "MX: mail.example.com\n" A, 0, "!mx missing"},
    {"key Version: an unknown field", "Version: STSv1\n" E M A, 0, "!version missing"},
    {"long value quoted, cut", V "mode: enforceenforceenforceenforceenforceenforce\n" M A,
	0, "!line 2: invalid mode \"enforceenforceenforceenforceenforceenfor...\""},

    /* max_age */
    {"max_age negative", V E M "max_age: -1\n", 0, "!line 4: invalid max_age \"-1\""},
    {"max_age plus sign", V E M "max_age: +5\n", 0, "!line 4: invalid max_age \"+5\""},
    {"max_age not digits", V E M "max_age: 1d\n", 0, "!line 4: invalid max_age \"1d\""},
    {"max_age 11 digits", V E M "max_age: 12345678901\n", 0,
    "!line 4: invalid max_age \"12345678901\""},
    {"max_age blank inside", V E M "max_age: 86 400\n", 0,
    "!line 4: invalid max_age \"86 400\""},
    {"max_age empty", V E M "max_age:\n", 0, "!line 4: invalid max_age \"\""},

    /* mx */
    {"mx underscore", V E "mx: mail_1.example.com\n" A, 0,
    "!line 3: invalid mx \"mail_1.example.com\""},
    {"mx trailing dot", V E "mx: mail.example.com.\n" A, 0,
    "!line 3: invalid mx \"mail.example.com.\""},
    {"mx wildcard alone", V E "mx: *.\n" A, 0, "!line 3: invalid mx \"*.\""},
    {"mx star without dot", V E "mx: *example.com\n" A, 0,
    "!line 3: invalid mx \"*example.com\""},
    {"mx wildcard inside", V E "mx: mail.*.example.com\n" A, 0,
    "!line 3: invalid mx \"mail.*.example.com\""},
    {"mx two wildcards", V E "mx: *.*.example.com\n" A, 0,
    "!line 3: invalid mx \"*.*.example.com\""},
    {"mx label starts with -", V E "mx: -mail.example.com\n" A, 0,
    "!line 3: invalid mx \"-mail.example.com\""},
    {"mx label ends with -", V E "mx: mail-.example.com\n" A, 0,
    "!line 3: invalid mx \"mail-.example.com\""},
    {"mx empty label", V E "mx: mail..example.com\n" A, 0,
    "!line 3: invalid mx \"mail..example.com\""},
    {"mx label of 64", V E "mx: a" L63 ".example\n" A, 0,
    "!line 3: invalid mx \"a" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""},
    {"mx empty", V E "mx:\n" A, 0, "!line 3: invalid mx \"\""},
    {"mx two names", V E "mx: a.example b.example\n" A, 0,
    "!line 3: invalid mx \"a.example b.example\""},
    {"bad mx even with mode none", V "mode: none\nmx: a..b\n" A, 0,
    "!line 3: invalid mx \"a..b\""},

    /* line syntax */
    {"line without colon", V "mode enforce\n" M A, 0, "!line 2: no ':' in \"mode enforce\""},
    {"blank before the colon", V "mode : enforce\n" M A, 0,
    "!line 2: invalid field name \"mode \""},
    {"blank before the name", V " mode: enforce\n" M A, 0,
    "!line 2: invalid field name \" mode\""},
    {"empty name", V ": enforce\n" E M A, 0, "!line 2: invalid field name \"\""},
    {"name of 33", V "abcdefghijabcdefghijabcdefghijabc: x\n" E M A, 0,
    "!line 2: invalid field name \"abcdefghijabcdefghijabcdefghijabc\""},
    {"unknown field without value", V E M A "foo:\n", 0,
    "!line 5: invalid value of \"foo\""},
    {"unknown field, tab inside", V E M A "foo: a\tb\n", 0,
    "!line 5: invalid value of \"foo\""},
    {"empty line between fields", V E "\n" M A, 0, "!line 3: empty line"},
    {"empty CRLF line between fields", V E "\r\n\r\n" M A, 0, "!line 3: empty line"},
    {"empty first line", "\n" V E M A, 0, "!line 1: empty line"},
    {"blank-only line", V E "  \n" M A, 0, "!line 3: no ':' in \"  \""},
    {"NUL byte", V "mode: enf\0rce\n" M A, sizeof(V "mode: enf\0rce\n" M A) - 1,
    "!line 2: control character 0x00"},
    {"bare CR inside", V "mode: enforce\rmx: mail.example.com\n" A, 0,
    "!line 2: control character 0x0d"},
    {"CR at the very end", V E M "max_age: 86400\r", 0, "!line 4: control character 0x0d"},
    {"DEL byte", V E "x: a\x7f\n" M A, 0, "!line 3: control character 0x7f"},
    {"UTF-8 BOM", "\xef\xbb\xbf" V E M A, 0, "!line 1: invalid field name \"???version\""},
};

/* render - a parsed policy as "mode max_age mx,mx" */
static void render(struct buf *b, const struct sts_policy *p)
{
    buf_printf(b, "%s %ld ", sts_mode_name(p->mode), p->max_age);
    if (p->nmx == 0)
	buf_puts(b, "-");
    for (size_t i = 0; i < p->nmx; i++)
	buf_printf(b, "%s%s", i ? "," : "", p->mx[i]);
}

/* test_policies - the table above */
static void test_policies(void)
{
    struct buf *b = buf_alloc(128, 4096);
    char    why[256];

    for (size_t i = 0; i < NROWS(policies); i++) {
	size_t  len = policies[i].len ? policies[i].len : strlen(policies[i].text);
	struct sts_policy *p;

	buf_reset(b);
	strcpy(why, "(no why)");
	if ((p = sts_policy_parse(policies[i].text, len, why, sizeof(why))) != NULL)
	    render(b, p);
	else
	    buf_printf(b, "!%s", why);
	is_string(policies[i].want, b->data, "policy: %s", policies[i].name);
	sts_policy_free(p);
    }
    buf_free(b);
}

/* parse_built - parse a body built in b; "!why" or the rendered policy */
static void parse_built(struct buf *b, const char *want, const char *name)
{
    struct buf *out = buf_alloc(128, 4096);
    struct sts_policy *p;
    char    why[256];

    if (buf_overflow(b))
	bail("test body too large: %s", name);
    if ((p = sts_policy_parse(b->data, b->len, why, sizeof(why))) != NULL)
	render(out, p);
    else
	buf_printf(out, "!%s", why);
    /* the whole mx list is long: compare only its start */
    is_int(0, (long) strncmp(want, out->data, strlen(want)), "policy: %s (%s)",
	   name, out->data[0] == '!' ? out->data : "parsed");
    sts_policy_free(p);
    buf_free(out);
}

/* test_limits - STS_MX_MAX mx lines, and the body size */
static void test_limits(void)
{
    struct buf *b = buf_alloc(1024, STS_POLICY_MAX + 16);

    buf_puts(b, V E A);
    for (int i = 0; i < STS_MX_MAX; i++)
	buf_printf(b, "mx: mx%d.example.com\n", i);
    parse_built(b, "enforce 86400 mx0.example.com,mx1.example.com,", "64 mx lines");
    buf_puts(b, "mx: one-more.example.com\n");
    parse_built(b, "!line 68: more than 64 mx lines", "65 mx lines");

    buf_reset(b);
    buf_puts(b, V E M A "pad: ");
    while (b->len < STS_POLICY_MAX)
	buf_putc(b, 'x');
    parse_built(b, OK, "body of 65536 bytes");
    buf_putc(b, 'x');
    parse_built(b, "!policy of 65537 bytes is larger than 65536", "body of 65537 bytes");
    buf_free(b);
}

static const struct {
    const char *name;
    const char *txt[4];			/* NULL-terminated */
    const char *want;			/* id, or "!why" */
} txts[] = {
    {"valid", {"v=STSv1; id=20160831085700Z", NULL}, "20160831085700Z"},
    {"id of 32", {"v=STSv1; id=" ID32, NULL}, ID32},
    {"id of 33", {"v=STSv1; id=" ID32 "x", NULL}, "!invalid id \"" ID32 "x\""},
    {"id with '-'", {"v=STSv1; id=abc-def", NULL}, "!invalid id \"abc-def\""},
    {"id empty", {"v=STSv1; id=", NULL}, "!invalid id \"\""},
    {"id non-ASCII", {"v=STSv1; id=\xc3\xa9", NULL}, "!invalid id \"??\""},
    {"no id", {"v=STSv1; foo=bar", NULL}, "!id missing"},
    {"version alone", {"v=STSv1", NULL}, "!id missing"},
    {"version and ';' only", {"v=STSv1;", NULL}, "!id missing"},
    {"ID= is an extension", {"v=STSv1; ID=abc", NULL}, "!id missing"},
    {"two STSv1 records", {"v=STSv1; id=a", "v=STSv1; id=b", NULL},
    "!2 v=STSv1 records: ignored as none"},
    {"a bad and a good STSv1 record", {"v=STSv1", "v=STSv1; id=b", NULL},
    "!2 v=STSv1 records: ignored as none"},
    {"STSv1 and SPF", {"v=spf1 -all", "v=STSv1; id=abc", "hello", NULL}, "abc"},
    {"no blanks", {"v=STSv1;id=x", NULL}, "x"},
    {"extra fields", {"v=STSv1; id=abc; foo=bar; x.y-z_1=a:b!", NULL}, "abc"},
    {"blank before ';'", {"v=STSv1 ; id=abc", NULL}, "abc"},
    {"tabs around ';'", {"v=STSv1\t;\tid=abc", NULL}, "abc"},
    {"trailing ';'", {"v=STSv1; id=abc;", NULL}, "abc"},
    {"trailing ' ; '", {"v=STSv1; id=abc ; ", NULL}, "abc"},
    {"first id counts", {"v=STSv1; id=a1; id=b2", NULL}, "a1"},
    {"V=STSv1", {"V=STSv1; id=abc", NULL}, "!no v=STSv1 record"},
    {"v=STSv10", {"v=STSv10; id=abc", NULL}, "!no v=STSv1 record"},
    {"leading blank", {" v=STSv1; id=abc", NULL}, "!no v=STSv1 record"},
    {"empty list", {NULL}, "!no v=STSv1 record"},
    {"no ';' after version", {"v=STSv1 id=abc", NULL}, "!expected ';' at \" id=abc\""},
    {"no ';' between fields", {"v=STSv1; id=abc foo=bar", NULL},
    "!expected ';' at \" foo=bar\""},
    {"blanks at the end", {"v=STSv1; id=abc  ", NULL}, "!expected ';' at \"  \""},
    {"field without '='", {"v=STSv1; id=abc; foo", NULL}, "!malformed field \"foo\""},
    {"'=' in a value", {"v=STSv1; id=abc; foo=a=b", NULL}, "!malformed field \"foo=a=b\""},
    {"empty field", {"v=STSv1;; id=abc", NULL}, "!malformed field \"\""},
    {"bad extension name", {"v=STSv1; _x=1; id=abc", NULL}, "!malformed field \"_x=1\""},
};

/* test_txt - sts_txt_parse */
static void test_txt(void)
{
    struct buf *b = buf_alloc(64, 1024);

    for (size_t i = 0; i < NROWS(txts); i++) {
	char    id[STS_ID_MAX + 1], why[256];
	size_t  n = 0;

	while (txts[i].txt[n] != NULL)
	    n++;
	buf_reset(b);
	if (sts_txt_parse(txts[i].txt, n, id, why, sizeof(why)) == 0)
	    buf_puts(b, id);
	else
	    buf_printf(b, "!%s%s", why, id[0] ? " (id set)" : "");
	is_string(txts[i].want, b->data, "TXT: %s", txts[i].name);
    }
    buf_free(b);
}

static const struct {
    const char *name;
    const char *rdata;
    size_t  len;
    size_t  outsz;
    const char *want;			/* text, or NULL for -1 */
} rdatas[] = {
    {"one string", "\16v=STSv1; id=a1", 15, 64, "v=STSv1; id=a1"},
    {"two strings concatenated", "\11v=STSv1; \5id=a1", 16, 64, "v=STSv1; id=a1"},
    {"empty string", "\0", 1, 64, ""},
    {"exactly fits", "\3abc", 4, 4, "abc"},
    {"one byte short", "\3abc", 4, 3, NULL},
    {"length past the end", "\5abc", 4, 64, NULL},
    {"second length past the end", "\3abc\2d", 6, 64, NULL},
    {"NUL inside", "\3a\0b", 4, 64, NULL},
    {"no string at all", "", 0, 64, NULL},
};

/* test_rdata - sts_txt_rdata */
static void test_rdata(void)
{
    for (size_t i = 0; i < NROWS(rdatas); i++) {
	char    out[64];
	int     rc = sts_txt_rdata((const unsigned char *) rdatas[i].rdata, rdatas[i].len,
				   out, rdatas[i].outsz);

	if (rdatas[i].want)
	    is_string(rdatas[i].want, rc == 0 ? out : "(refused)", "rdata: %s",
		      rdatas[i].name);
	else
	    is_int(-1, rc, "rdata: %s", rdatas[i].name);
    }
}

static const struct {
    const char *pattern;
    const char *host;
    bool    want;
} matches[] = {
    {"mail.example.com", "mail.example.com", true},
    {"mail.example.com", "MAIL.Example.com", true},
    {"mail.example.com", "ail.example.com", false},
    {"mail.example.com", "mail.example.com.evil", false},
    {"example.com", "mx.example.com", false},	/* no wildcard: no subdomain */
    {"*.example.com", "mx.example.com", true},
    {"*.example.com", "a.b.example.com", false},
    {"*.example.com", "example.com", false},
    {"*.example.com", ".example.com", false},
    {"*.example.com", "mxexample.com", false},
    {"*.example.com", "mx.example.com.au", false},
    {"*.example.com", "mx.other.com", false},
    {"*.", "a.", false},
    {"", "", false},
};

/* test_match - sts_mx_match */
static void test_match(void)
{
    for (size_t i = 0; i < NROWS(matches); i++)
	is_int(matches[i].want, sts_mx_match(matches[i].pattern, matches[i].host),
	       "\"%s\" %s \"%s\"", matches[i].pattern,
	       matches[i].want ? "matches" : "does not match", matches[i].host);
}

/* test_modes - sts_mode_name */
static void test_modes(void)
{
    is_string("enforce", sts_mode_name(STS_MODE_ENFORCE), "mode name enforce");
    is_string("testing", sts_mode_name(STS_MODE_TESTING), "mode name testing");
    is_string("none", sts_mode_name(STS_MODE_NONE), "mode name none");
}

int     main(void)
{
    tap_log_capture();
    plan((int) (NROWS(policies) + 4 + NROWS(txts) + NROWS(rdatas) + NROWS(matches) + 3));
    test_policies();
    test_limits();
    test_txt();
    test_rdata();
    test_match();
    test_modes();
    return exit_status();
}
