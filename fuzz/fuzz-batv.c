/*
 * fuzz-batv - BATV key files and prvs= tags (milter/batv.h).
 *
 * The input is a key file, then (after a "%%" line) recipient addresses, one
 * a line; without the separator its own lines are the addresses too. The key
 * file is written to a scratch file and loaded; the addresses are checked
 * with its keys when it loads, else with a fixed key file. Asserted:
 *  - a key file that loads can sign, and does not warn (written mode 0600);
 *  - a verified address gives its plain form, non-empty, with an '@'; any
 *    other result leaves the plain form empty;
 *  - an address that can be signed verifies as valid, with its plain form
 *    the address without its angle brackets, until valid_days have passed,
 *    and as expired the day after; with the domain in upper case too; with
 *    any hash digit changed it is a bad hash.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batv.h"
#include "buf.h"
#include "harness.h"
#include "util.h"

#define NOW		((time_t) 1700000000)	/* day 675 of the 1000 */
#define DAY		86400
#define VALID_DAYS	7
#define MAX_LINES	16
#define FIXED_KEYS	"# the keys of t/unit-batv.c\n1 known-answer-secret-0001\n" \
			"3 first-secret-000003\n7 third-secret-0000007\n"

static struct batv_keys *fixed;

/* verify - batv_verify, and what holds of every result */
static enum batv_result verify(const struct batv_keys *k, const char *rcpt,
			               time_t now, struct buf *plain)
{
    enum batv_result r = batv_verify(k, rcpt, now, VALID_DAYS, plain);

    HARNESS_CHECK(r >= BATV_VALID && r <= BATV_EXPIRED);
    if (r == BATV_VALID)
	HARNESS_CHECK(plain->len > 0 && strchr(plain->data, '@') != NULL);
    else
	HARNESS_CHECK(plain->len == 0);
    return r;
}

/* check_signed - a tag of ours for sender: valid, then expired, not forged */
static void check_signed(const struct batv_keys *k, const char *sender,
			         const char *tag, struct buf *plain)
{
    size_t  n = strlen(sender);
    char   *copy = xstrdup(tag), *at = strrchr(copy, '@');

    if (n >= 2 && sender[0] == '<' && sender[n - 1] == '>')
	sender++, n -= 2;
    HARNESS_CHECK(strncmp(tag, "prvs=", 5) == 0 && at != NULL);
    HARNESS_CHECK(verify(k, tag, NOW, plain) == BATV_VALID);
    HARNESS_CHECK(plain->len == n && memcmp(plain->data, sender, n) == 0);
    HARNESS_CHECK(verify(k, tag, NOW + VALID_DAYS * DAY, plain) == BATV_VALID);
    HARNESS_CHECK(verify(k, tag, NOW + (VALID_DAYS + 1) * DAY, plain) == BATV_EXPIRED);
    for (char *c = at + 1; *c; c++)
	*c = (char) toupper((unsigned char) *c);
    HARNESS_CHECK(verify(k, copy, NOW, plain) == BATV_VALID);
    for (int i = 9; i < 15; i++) {	/* "prvs=KDDD" then six hex digits */
	strcpy(copy, tag);
	copy[i] = copy[i] == '0' ? '1' : '0';
	HARNESS_CHECK(verify(k, copy, NOW, plain) == BATV_BAD_HASH);
    }
    free(copy);
}

/* check_address - verify rcpt, and sign it then verify that */
static void check_address(const struct batv_keys *k, const char *rcpt)
{
    struct buf *plain = buf_alloc(64, 254);
    struct buf *tag = buf_alloc(64, 1024);
    char    why[256] = "";

    verify(k, rcpt, NOW, plain);
    if (batv_sign(k, rcpt, NOW, VALID_DAYS, tag, why, sizeof(why)) == 0)
	check_signed(k, rcpt, tag->data, plain);
    else
	HARNESS_CHECK(tag->len == 0 && why[0] != '\0');
    buf_free(plain);
    buf_free(tag);
}

/* load - a key file from text; NULL when it does not load */
static struct batv_keys *load(const char *text, size_t len)
{
    const char *path = harness_write("batv.keys", text, len);
    struct batv_keys *k;
    char    why[512] = "";
    int     warn = -1;

    if ((k = batv_keys_load(path, &warn, why, sizeof(why))) == NULL)
	HARNESS_CHECK(why[0] != '\0');
    else
	HARNESS_CHECK(warn == 0);
    return k;
}

int     LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    harness_init();
    if ((fixed = load(FIXED_KEYS, strlen(FIXED_KEYS))) == NULL)
	harness_fail(__FILE__, __LINE__, "the fixed key file does not load");
    return 0;
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct harness_part keys, rest, line;
    struct batv_keys *k;
    size_t  n = 0;

    if (!harness_split(data, size, &keys, &rest))
	rest = keys;
    k = load(keys.p, keys.len);
    if (k)
	check_address(k, "fuzz@example.test");
    while (n++ < MAX_LINES && harness_line(&rest, &line)) {
	char   *rcpt = harness_cstr(line);

	check_address(k ? k : fixed, rcpt);
	free(rcpt);
    }
    batv_keys_free(k);
    return 0;
}
