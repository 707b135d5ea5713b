/*
 * unit-batv - BATV prvs= tags: key file, signing (known answers computed here
 * with libcrypto's HMAC, and one from the openssl command), verification,
 * rotation, expiry, the day counter wrapping at 1000, malformed forms.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "batv.h"
#include "buf.h"
#include "tap.h"
#include "util.h"

#define NROWS(a)	(sizeof(a) / sizeof((a)[0]))
#define DAY		86400
#define NOW		((time_t) 1700000000)	/* day 19675: 675, +7 = 682 */
#define NOW_WRAP	((time_t) 1813971600)	/* day 20995: 995, +7 wraps to 2 */
#define V		7			/* valid_days */
#define S16		"0123456789abcdef"

static char dir[] = "/tmp/unit-batv.XXXXXX";

/* path_of - dir/name in out (reset first) */
static const char *path_of(struct buf *out, const char *name)
{
    buf_reset(out);
    buf_printf(out, "%s/%s", dir, name);
    return out->data;
}

/* write_file - a fixture of len bytes with the given mode; returns its path */
static const char *write_file(struct buf *path, const char *name, const char *text,
			              size_t len, mode_t mode)
{
    int     fd;

    path_of(path, name);
    if ((fd = open(path->data, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
	bail("open %s: %s", path->data, strerror(errno));
    if (write(fd, text, len) != (ssize_t) len || fchmod(fd, mode) < 0 || close(fd) < 0)
	bail("write %s: %s", path->data, strerror(errno));
    return path->data;
}

/* keys_from - load a key file written from text; bail when it does not load */
static struct batv_keys *keys_from(const char *name, const char *text)
{
    struct buf *path = buf_alloc(64, 512);
    struct batv_keys *k;
    char    why[512];
    int     warn;

    write_file(path, name, text, strlen(text), 0600);
    if ((k = batv_keys_load(path->data, &warn, why, sizeof(why))) == NULL)
	bail("load %s: %s", name, why);
    buf_free(path);
    return k;
}

/*
 * expect_tag - the tag as this test understands the construction: HMAC-SHA256
 * keyed with secret over "K" "DDD" local "@" lower-case domain, first three
 * bytes in lower-case hex. Independent of batv.c.
 */
static const char *expect_tag(struct buf *out, const char *secret, int num, int day,
			              const char *local, const char *domain)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    struct buf *msg = buf_alloc(64, 512);
    char   *ldomain = str_lower(xstrdup(domain));

    buf_printf(msg, "%d%03d%s@%s", num, day, local, ldomain);
    if (HMAC(EVP_sha256(), secret, (int) strlen(secret), (unsigned char *) msg->data,
	     msg->len, md, &mdlen) == NULL)
	bail("HMAC failed");
    buf_reset(out);
    buf_printf(out, "prvs=%d%03d%02x%02x%02x=%s@%s", num, day, md[0], md[1], md[2],
	       local, domain);
    free(ldomain);
    buf_free(msg);
    return out->data;
}

static const struct {
    const char *name;
    const char *text;
    size_t  len;			/* 0: strlen(text) */
    mode_t  mode;
    const char *want;			/* "loaded", "loaded, warn", or ":..." after path */
} loads[] = {
    {"good.one-key", "1 " S16 "\n", 0, 0600, "loaded"},
    {"good.comments", "# BATV keys\n\n \t \n  3   first-secret-000003  \n# rotated:\r\n"
	"\t5\tsecond-secret-00005\r\n   # indented\n7 third-secret-0000007", 0, 0600,
    "loaded"},
    {"good.read-only", "0 " S16 "\n", 0, 0400, "loaded"},
    {"good.group-readable", "1 " S16 "\n", 0, 0640, "loaded"},
    {"warn.world-readable", "1 " S16 "\n", 0, 0604, "loaded, warn"},
    {"bad.duplicate", "1 " S16 "\n2 " S16 "\n1 " S16 "x\n", 0, 0600,
    ":3: duplicate key number 1"},
    {"bad.letter", "x " S16 "\n", 0, 0600, ":1: key number must be one digit 0-9"},
    {"bad.two-digits", "# c\n12 " S16 "\n", 0, 0600, ":2: key number must be one digit 0-9"},
    {"bad.no-blank", "1" S16 "\n", 0, 0600, ":1: key number must be one digit 0-9"},
    {"bad.short-secret", "1 0123456789abcde\n", 0, 0600,
    ":1: secret of key 1 shorter than 16 bytes"},
    {"bad.no-secret", "1 " S16 "\n4   \n", 0, 0600, ":2: no secret after key number 4"},
    {"bad.trailing-comment", "1 " S16 " # old\n", 0, 0600,
    ":1: text after the secret (a secret has no blanks, comments are whole lines)"},
    {"bad.nul", "1 0123\0" "456789abcdef\n", 18, 0600, ":1: NUL byte in line"},
    {"bad.no-keys", "# none yet\n\n", 0, 0600, ": no keys"},
    {"bad.empty", "", 0, 0600, ": no keys"},
};

/* test_load - key file table, a missing file, a directory, a large file */
static void test_load(void)
{
    struct buf *path = buf_alloc(64, 512);
    struct buf *want = buf_alloc(64, 512);
    struct batv_keys *k;
    char   *big;
    char    why[512];
    int     warn;

    for (size_t i = 0; i < NROWS(loads); i++) {
	size_t  len = loads[i].len ? loads[i].len : strlen(loads[i].text);
	const char *seen;

	write_file(path, loads[i].name, loads[i].text, len, loads[i].mode);
	warn = -1;
	k = batv_keys_load(path->data, &warn, why, sizeof(why));
	seen = k == NULL ? why : warn == 1 ? "loaded, warn" : warn == 0 ? "loaded" : "?";
	buf_reset(want);
	if (loads[i].want[0] == ':')
	    buf_puts(want, path->data);
	buf_puts(want, loads[i].want);
	is_string(want->data, seen, "key file %s", loads[i].name);
	k = batv_keys_free(k);
    }

    path_of(path, "bad.missing");
    buf_reset(want);
    buf_printf(want, "%s: open: No such file or directory", path->data);
    k = batv_keys_load(path->data, &warn, why, sizeof(why));
    is_string(want->data, k ? "loaded" : why, "key file missing");
    k = batv_keys_free(k);

    buf_reset(want);
    buf_printf(want, "%s: not a regular file", dir);
    k = batv_keys_load(dir, &warn, why, sizeof(why));
    is_string(want->data, k ? "loaded" : why, "key file is a directory");
    k = batv_keys_free(k);

    big = xmalloc(16385);
    memset(big, '#', 16385);
    memcpy(big, "1 " S16 "\n", 19);
    write_file(path, "bad.too-large", big, 16385, 0600);
    buf_reset(want);
    buf_printf(want, "%s: larger than 16384 bytes", path->data);
    k = batv_keys_load(path->data, &warn, why, sizeof(why));
    is_string(want->data, k ? "loaded" : why, "key file one byte too large");
    k = batv_keys_free(k);
    write_file(path, "good.largest", big, 16384, 0600);
    k = batv_keys_load(path->data, NULL, why, sizeof(why));
    is_string("loaded", k ? "loaded" : why, "key file of the largest size, warn NULL");
    k = batv_keys_free(k);
    free(big);

    is_int(1, batv_keys_free(NULL) == NULL, "batv_keys_free(NULL)");
    buf_free(path);
    buf_free(want);
}

/* test_known_answer - exact tags for a fixed key, address and time */
static void test_known_answer(void)
{
    struct batv_keys *k = keys_from("kat", "1 known-answer-secret-0001\n");
    struct batv_keys *multi = keys_from("multi",
				      "3 first-secret-000003\n7 third-secret-0000007\n");
    struct buf *out = buf_alloc(64, 512);
    struct buf *want = buf_alloc(64, 512);
    char    why[256] = "";

    /* printf '1682Alice.Smith@example.org' | openssl dgst -sha256 \
     * -hmac known-answer-secret-0001 → 0ff9e5c7... */
    is_int(0, batv_sign(k, "Alice.Smith@Example.ORG", NOW, V, out, why, sizeof(why)),
	   "sign known answer");
    is_string("prvs=16820ff9e5=Alice.Smith@Example.ORG", out->data,
	      "known answer, from the openssl command");
    is_string(expect_tag(want, "known-answer-secret-0001", 1, 682, "Alice.Smith",
			 "Example.ORG"), out->data, "known answer, from HMAC here");

    buf_reset(out);
    batv_sign(k, "x@y.test", NOW_WRAP, V, out, why, sizeof(why));
    is_string(expect_tag(want, "known-answer-secret-0001", 1, 2, "x", "y.test"),
	      out->data, "known answer across the wrap: day 995 + 7 is 002");

    buf_reset(out);
    batv_sign(multi, "bob@example.net", NOW, 30, out, why, sizeof(why));
    is_string(expect_tag(want, "third-secret-0000007", 7, 705, "bob", "example.net"),
	      out->data, "the last line signs (key 7, 30 days)");

    buf_reset(want);
    buf_puts(want, "From: ");
    buf_puts(want, expect_tag(out, "known-answer-secret-0001", 1, 682, "\"a@b\"",
			      "Example.ORG"));
    buf_reset(out);
    buf_puts(out, "From: ");
    batv_sign(k, "<\"a@b\"@Example.ORG>", NOW, V, out, why, sizeof(why));
    is_string(want->data, out->data, "appends; brackets dropped; split at the last @");

    batv_keys_free(k);
    batv_keys_free(multi);
    buf_free(out);
    buf_free(want);
}

/* verify_name - batv_result_name of verifying rcpt; plain checked when valid */
static const char *verify_name(const struct batv_keys *k, const char *rcpt, time_t now,
			               int days, const char *want_plain)
{
    struct buf *plain = buf_alloc(64, 256);
    enum batv_result r = batv_verify(k, rcpt, now, days, plain);
    const char *name = batv_result_name(r);

    if (r == BATV_VALID && strcmp(plain->data, want_plain) != 0)
	name = "valid, wrong plain address";
    if (r != BATV_VALID && plain->len != 0)
	name = "plain set on failure";
    buf_free(plain);
    return name;
}

/* test_verify - round trip, tampering, case, expiry, wrap */
static void test_verify(void)
{
    struct batv_keys *k = keys_from("verify", "1 known-answer-secret-0001\n");
    struct buf *tag = buf_alloc(64, 512);
    struct buf *alt = buf_alloc(64, 512);
    const char *plain = "Alice.Smith@Example.ORG";
    char    why[256] = "";
    time_t  last;

    batv_sign(k, plain, NOW, V, tag, why, sizeof(why));
    is_string("valid", verify_name(k, tag->data, NOW, V, plain), "round trip");
    is_string("valid", verify_name(k, "prvs=16820ff9e5=Alice.Smith@example.org", NOW, V,
				   "Alice.Smith@example.org"), "domain case does not matter");
    is_string("bad hash", verify_name(k, "prvs=16820ff9e5=alice.smith@Example.ORG", NOW, V,
				      NULL), "local part case does matter");
    is_string("bad hash", verify_name(k, "prvs=16820ff9e6=Alice.Smith@Example.ORG", NOW, V,
				      NULL), "tampered hash");
    is_string("bad hash", verify_name(k, "prvs=16830ff9e5=Alice.Smith@Example.ORG", NOW, V,
				      NULL), "tampered day");
    is_string("bad hash", verify_name(k, "prvs=16820ff9e5=Bob@Example.ORG", NOW, V, NULL),
	      "another address");
    is_string("unknown key", verify_name(k, "prvs=36820ff9e5=Alice.Smith@Example.ORG", NOW,
					 V, NULL), "key 3 not in the file");
    is_string("valid", verify_name(k, "PRVS=16820FF9E5=Alice.Smith@Example.ORG", NOW, V,
				   plain), "upper-case PRVS= and hex");
    is_string("valid", verify_name(k, "<Prvs=16820Ff9e5=Alice.Smith@Example.ORG>", NOW, V,
				   plain), "angle brackets dropped");

    /* Expiry: day 682 is valid through its last second, expired after. */
    last = (NOW / DAY + V + 1) * DAY - 1;
    is_string("valid", verify_name(k, tag->data, NOW + V * DAY, V, plain),
	      "valid at now + valid_days");
    is_string("valid", verify_name(k, tag->data, last, V, plain),
	      "valid at the last second of the expiry day");
    is_string("expired", verify_name(k, tag->data, last + 1, V, NULL),
	      "expired one second later");
    is_string("expired", verify_name(k, tag->data, NOW + (V + 1) * DAY, V, NULL),
	      "expired at now + valid_days + 1 day");
    is_string("expired", verify_name(k, tag->data, NOW + 300 * DAY, V, NULL),
	      "expired 293 days ago");
    is_string("malformed", verify_name(k, tag->data, NOW + 600 * DAY, V, NULL),
	      "600 days on, the day is nearer the future side: malformed");
    is_string("valid", verify_name(k, tag->data, NOW, 30, plain),
	      "a longer valid_days on verify accepts it");
    is_string("malformed", verify_name(k, tag->data, NOW - 2 * DAY, V, NULL),
	      "expiry 9 days ahead with valid_days 7: malformed");
    buf_reset(alt);
    batv_sign(k, plain, NOW + 20 * DAY, V, alt, why, sizeof(why));
    is_string("malformed", verify_name(k, alt->data, NOW, V, NULL),
	      "signed 20 days in the future: malformed");

    /* Wrap: signed on day 995, expires on day 002. */
    buf_reset(tag);
    batv_sign(k, plain, NOW_WRAP, V, tag, why, sizeof(why));
    is_int(0, strncmp(tag->data, "prvs=1002", 9), "wrapped tag day is 002: %s", tag->data);
    is_string("valid", verify_name(k, tag->data, NOW_WRAP, V, plain), "wrap: valid at once");
    is_string("valid", verify_name(k, tag->data, NOW_WRAP + 5 * DAY, V, plain),
	      "wrap: valid on day 000");
    is_string("valid", verify_name(k, tag->data, NOW_WRAP + V * DAY, V, plain),
	      "wrap: valid on day 002");
    is_string("expired", verify_name(k, tag->data, NOW_WRAP + (V + 1) * DAY, V, NULL),
	      "wrap: expired on day 003");

    batv_keys_free(k);
    buf_free(tag);
    buf_free(alt);
}

/* test_rotation - old keys verify; a dropped key does not */
static void test_rotation(void)
{
    struct batv_keys *k1 = keys_from("rot1", "1 secret-one-0000001\n");
    struct batv_keys *k12 = keys_from("rot12", "1 secret-one-0000001\n2 secret-two-0000002\n");
    struct batv_keys *k2 = keys_from("rot2", "2 secret-two-0000002\n");
    struct buf *t1 = buf_alloc(64, 512);
    struct buf *t2 = buf_alloc(64, 512);
    struct buf *want = buf_alloc(64, 512);
    char    why[256] = "";

    batv_sign(k1, "u@example.com", NOW, V, t1, why, sizeof(why));
    batv_sign(k12, "u@example.com", NOW, V, t2, why, sizeof(why));
    is_string(expect_tag(want, "secret-two-0000002", 2, 682, "u", "example.com"), t2->data,
	      "keys 1 and 2: key 2 signs");
    is_string("valid", verify_name(k12, t1->data, NOW + DAY, V, "u@example.com"),
	      "tag of key 1 still valid after key 2 was added");
    is_string("valid", verify_name(k12, t2->data, NOW + DAY, V, "u@example.com"),
	      "tag of key 2 valid");
    is_string("unknown key", verify_name(k2, t1->data, NOW + DAY, V, NULL),
	      "key 1 dropped: its tag has an unknown key");
    is_string("valid", verify_name(k2, t2->data, NOW + DAY, V, "u@example.com"),
	      "key 1 dropped: tag of key 2 valid");
    batv_keys_free(k1);
    batv_keys_free(k12);
    batv_keys_free(k2);
    buf_free(t1);
    buf_free(t2);
    buf_free(want);
}

static const struct {
    const char *rcpt;
    enum batv_result want;
} forms[] = {
    {"prvs=123=user@x", BATV_MALFORMED},
    {"prvs=0123ZZZZZZ=user@x", BATV_MALFORMED},
    {"prvs=0123abcdef=@x", BATV_MALFORMED},
    {"prvs=0123abcdef", BATV_MALFORMED},
    {"prvs=0123abcdefuser@x", BATV_MALFORMED},
    {"prvs=0123abcdef=user", BATV_MALFORMED},
    {"prvs=0123abcdef=user@", BATV_MALFORMED},
    {"prvs=", BATV_MALFORMED},
    {"prvs=a123abcdef=user@x", BATV_MALFORMED},
    {"prvs=01x3abcdef=user@x", BATV_MALFORMED},
    {"prvs=0123abcde=user@x", BATV_MALFORMED},
    {"prvs=0123abcdef0=user@x", BATV_MALFORMED},
    {"prvs=9123abcdef=user@x", BATV_UNKNOWN_KEY},
    {"prvs=1123abcdef=user@x", BATV_BAD_HASH},
    {"user@x", BATV_NOT_TAGGED},
    {"", BATV_NOT_TAGGED},
    {"<>", BATV_NOT_TAGGED},
    {"prvs", BATV_NOT_TAGGED},
    {"prv=0123abcdef=user@x", BATV_NOT_TAGGED},
    {"xprvs=0123abcdef=user@x", BATV_NOT_TAGGED},
};

/* test_forms - malformed and untagged recipients */
static void test_forms(void)
{
    struct batv_keys *k = keys_from("forms", "1 known-answer-secret-0001\n");
    struct buf *rcpt = buf_alloc(64, 1024);

    for (size_t i = 0; i < NROWS(forms); i++)
	is_string(batv_result_name(forms[i].want), verify_name(k, forms[i].rcpt, NOW, V, NULL),
		  "verify \"%s\"", forms[i].rcpt);
    buf_puts(rcpt, "prvs=1123abcdef=");
    for (int i = 0; i < 251; i++)
	buf_putc(rcpt, 'a');
    buf_puts(rcpt, "@x.y");
    is_string("malformed", verify_name(k, rcpt->data, NOW, V, NULL),
	      "plain address of 255 bytes");
    batv_keys_free(k);
    buf_free(rcpt);
}

#define L48	S16 S16 S16

static const struct {
    const char *sender;
    const char *why;			/* "" for success */
} senders[] = {
    {"", "null sender is never tagged"},
    {"<>", "null sender is never tagged"},
    {"nobody", "not a local@domain address"},
    {"@example.com", "not a local@domain address"},
    {"user@", "not a local@domain address"},
    {"prvs=1682abcdef=u@x", "already tagged"},
    {"PRVS=1682ABCDEF=u@x", "already tagged"},
    {"<Prvs=junk@x>", "already tagged"},
    {"x" L48 "@example.com", "local part longer than 48 bytes cannot be tagged"},
    {L48 "@example.com", ""},
    {"<u@example.com>", ""},
};

/* test_sign - addresses that cannot be tagged; nothing appended for them */
static void test_sign(void)
{
    struct batv_keys *k = keys_from("sign", "1 known-answer-secret-0001\n");
    struct buf *out = buf_alloc(64, 512);
    struct buf *small = buf_alloc(16, 30);
    char    why[256];
    int     rc;

    for (size_t i = 0; i < NROWS(senders); i++) {
	buf_reset(out);
	strcpy(why, "");
	rc = batv_sign(k, senders[i].sender, NOW, V, out, why, sizeof(why));
	if (rc == 0 && out->len == 0)
	    strcpy(why, "success without output");
	if (rc < 0 && out->len != 0)
	    strcpy(why, "output on failure");
	is_string(senders[i].why, why, "sign \"%s\"", senders[i].sender);
    }
    buf_reset(out);
    batv_sign(k, L48 "@example.com", NOW, V, out, why, sizeof(why));
    is_int(64, strchr(out->data, '@') - out->data, "a 48-byte local part tags to 64 bytes");

    is_int(-1, batv_sign(k, "someone@example.com", NOW, V, small, why, sizeof(why)),
	   "output buffer too small");
    is_string("tagged address too long for the output buffer", why, "its reason");
    is_int(0, small->len, "nothing appended on overflow");
    batv_keys_free(k);
    buf_free(out);
    buf_free(small);
}

/* test_names - batv_result_name */
static void test_names(void)
{
    is_string("valid", batv_result_name(BATV_VALID), "name valid");
    is_string("not tagged", batv_result_name(BATV_NOT_TAGGED), "name not tagged");
    is_string("malformed", batv_result_name(BATV_MALFORMED), "name malformed");
    is_string("unknown key", batv_result_name(BATV_UNKNOWN_KEY), "name unknown key");
    is_string("bad hash", batv_result_name(BATV_BAD_HASH), "name bad hash");
    is_string("expired", batv_result_name(BATV_EXPIRED), "name expired");
    is_string("unknown result", batv_result_name((enum batv_result) 42), "name out of range");
}

/* cleanup - remove the fixtures and the directory */
static void cleanup(void)
{
    struct buf *cmd = buf_alloc(64, 512);

    buf_printf(cmd, "rm -rf '%s'", dir);
    if (system(cmd->data) != 0)
	diag("could not remove %s", dir);
    buf_free(cmd);
}

int     main(void)
{
    if (mkdtemp(dir) == NULL)
	bail("mkdtemp: %s", strerror(errno));
    plan((int) NROWS(loads) + 5 + 6 + 23 + 5 + (int) NROWS(forms) + 1
	 + (int) NROWS(senders) + 4 + 7);
    test_load();
    test_known_answer();
    test_verify();
    test_rotation();
    test_forms();
    test_sign();
    test_names();
    cleanup();
    return exit_status();
}
