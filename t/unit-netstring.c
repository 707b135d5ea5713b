/*
 * unit-netstring - the incremental netstring parser and the encoder.
 *
 * Every row is parsed twice: fed whole, then one byte at a time, as a slow
 * peer would deliver it; both must give the same status, bytes used, and
 * payload or reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "netstring.h"
#include "tap.h"

#define DEF	NETSTRING_MAX_DEFAULT
#define S(lit)	lit, sizeof(lit) - 1	/* a literal with its length (NULs ok) */

struct row {
    const char *name;
    size_t  max;			/* parser limit */
    const char *input;
    size_t  inlen;
    enum netstring_status want;
    const char *text;			/* payload (so far), or why on ERROR */
    size_t  textlen;			/* payload length (ignored for why) */
    size_t  used;			/* bytes consumed */
};

static const struct row rows[] = {
    {"valid", DEF, S("5:hello,"), NETSTRING_DONE, S("hello"), 8},
    {"zero length", DEF, S("0:,"), NETSTRING_DONE, S(""), 3},
    {"embedded NUL", DEF, S("3:a\0b,"), NETSTRING_DONE, S("a\0b"), 6},
    {"stops after first", DEF, S("1:a,1:b,"), NETSTRING_DONE, S("a"), 4},
    {"length at limit", 5, S("5:hello,"), NETSTRING_DONE, S("hello"), 8},
    {"incomplete payload", DEF, S("5:hel"), NETSTRING_MORE, S("hel"), 5},
    {"incomplete length", DEF, S("12"), NETSTRING_MORE, S(""), 2},
    {"nine digits under a big limit", SIZE_MAX, S("999999999"),
    NETSTRING_MORE, S(""), 9},
    {"empty input", DEF, S(""), NETSTRING_MORE, S(""), 0},
    {"no length", DEF, S(":hello,"), NETSTRING_ERROR,
    S("bad length prefix"), 1},
    {"plus sign", DEF, S("+5:hello,"), NETSTRING_ERROR,
    S("bad length prefix"), 1},
    {"minus sign", DEF, S("-5:hello,"), NETSTRING_ERROR,
    S("bad length prefix"), 1},
    {"leading space", DEF, S(" 5:hello,"), NETSTRING_ERROR,
    S("bad length prefix"), 1},
    {"letter first", DEF, S("x:,"), NETSTRING_ERROR,
    S("bad length prefix"), 1},
    {"leading zero", DEF, S("05:hello,"), NETSTRING_ERROR,
    S("length has a leading zero"), 2},
    {"double zero", DEF, S("00:,"), NETSTRING_ERROR,
    S("length has a leading zero"), 2},
    {"non-digit in length", DEF, S("5x:hello,"), NETSTRING_ERROR,
    S("missing ':' after length"), 2},
    {"space before colon", DEF, S("5 :hello,"), NETSTRING_ERROR,
    S("missing ':' after length"), 2},
    {"missing colon", DEF, S("5hello,"), NETSTRING_ERROR,
    S("missing ':' after length"), 2},
    {"missing comma", DEF, S("5:hello;"), NETSTRING_ERROR,
    S("missing ',' after payload"), 8},
    {"payload longer than length", DEF, S("3:hello,"), NETSTRING_ERROR,
    S("missing ',' after payload"), 6},
    {"oversize", DEF, S("100001:"), NETSTRING_ERROR,
    S("length 100001 exceeds limit 100000"), 6},
    {"oversize seen early", DEF, S("1234567890:x,"), NETSTRING_ERROR,
    S("length 123456 exceeds limit 100000"), 6},
    {"over a small limit", 4, S("5:hello,"), NETSTRING_ERROR,
    S("length 5 exceeds limit 4"), 1},
    {"too many digits", SIZE_MAX, S("1234567890:"), NETSTRING_ERROR,
    S("length has more than 9 digits"), 10},
};

#define ROW_COUNT	(sizeof(rows) / sizeof(rows[0]))
#define ROW_TESTS	3			/* checks per row and mode */

/* check_result - status, bytes used, then payload or reason */
static void check_result(const struct row *r, const char *mode,
			         struct netstring_parser *p,
			         enum netstring_status st, size_t used)
{
    is_int(r->want, st, "%s (%s): status", r->name, mode);
    is_int((long) r->used, (long) used, "%s (%s): bytes used", r->name, mode);
    if (r->want == NETSTRING_ERROR)
	is_string(r->text, p->why, "%s (%s): reason", r->name, mode);
    else
	ok(p->payload->len == r->textlen
	   && memcmp(p->payload->data, r->text, r->textlen) == 0
	   && p->payload->data[p->payload->len] == '\0',
	   "%s (%s): payload%s", r->name, mode,
	   r->want == NETSTRING_MORE ? " so far" : "");
}

/* test_whole - each row fed in one call */
static void test_whole(void)
{
    struct netstring_parser p;
    enum netstring_status st;
    size_t  used;

    for (size_t i = 0; i < ROW_COUNT; i++) {
	netstring_parser_init(&p, rows[i].max);
	st = netstring_feed(&p, rows[i].input, rows[i].inlen, &used);
	check_result(&rows[i], "whole", &p, st, used);
	netstring_parser_release(&p);
    }
}

/* test_bytewise - each row fed one byte per call, as from a slow peer */
static void test_bytewise(void)
{
    struct netstring_parser p;
    enum netstring_status st = NETSTRING_MORE;
    size_t  total;
    size_t  used;

    for (size_t i = 0; i < ROW_COUNT; i++) {
	netstring_parser_init(&p, rows[i].max);
	st = NETSTRING_MORE;
	for (total = 0; st == NETSTRING_MORE && total < rows[i].inlen;) {
	    st = netstring_feed(&p, rows[i].input + total, 1, &used);
	    total += used;
	}
	check_result(&rows[i], "byte by byte", &p, st, total);
	netstring_parser_release(&p);
    }
}

/* test_pipelined - several netstrings in one feed come out in order */
static void test_pipelined(void)
{
    static const char in[] = "5:hello,0:,3:a\0b,2:xy";
    static const struct {
	enum netstring_status st;
	const char *payload;
	size_t  len;
	size_t  used;
    } want[] = {
	{NETSTRING_DONE, S("hello"), 8},
	{NETSTRING_DONE, S(""), 3},
	{NETSTRING_DONE, S("a\0b"), 6},
	{NETSTRING_MORE, S("xy"), 4},
    };
    struct netstring_parser p;
    enum netstring_status st;
    size_t  off = 0;
    size_t  used;

    netstring_parser_init(&p, NETSTRING_MAX_DEFAULT);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
	st = netstring_feed(&p, in + off, sizeof(in) - 1 - off, &used);
	is_int(want[i].st, st, "pipelined #%zu: status", i + 1);
	is_int((long) want[i].used, (long) used, "pipelined #%zu: used", i + 1);
	if (st == NETSTRING_DONE)
	    ok(p.payload->len == want[i].len
	       && memcmp(p.payload->data, want[i].payload, want[i].len) == 0,
	       "pipelined #%zu: payload", i + 1);
	else
	    is_int(2, (long) p.payload->len, "pipelined #%zu: partial payload",
		   i + 1);
	off += used;
	if (st == NETSTRING_DONE)
	    netstring_parser_reset(&p);
    }
    /* The rest of the last one arrives later. */
    st = netstring_feed(&p, ",", 1, &used);
    ok(st == NETSTRING_DONE && used == 1 && strcmp(p.payload->data, "xy") == 0,
       "pipelined: last netstring completed by a later read");
    netstring_parser_release(&p);
}

/* test_sticky - DONE and ERROR persist until reset; reset recovers */
static void test_sticky(void)
{
    struct netstring_parser p;
    enum netstring_status st;
    size_t  used;

    netstring_parser_init(&p, NETSTRING_MAX_DEFAULT);
    (void) netstring_feed(&p, S("1:a,"), &used);
    st = netstring_feed(&p, S("1:b,"), &used);
    ok(st == NETSTRING_DONE && used == 0 && strcmp(p.payload->data, "a") == 0,
       "done without reset: consumes nothing, keeps the payload");
    netstring_parser_reset(&p);
    (void) netstring_feed(&p, S("x"), &used);
    st = netstring_feed(&p, S("1:b,"), &used);
    ok(st == NETSTRING_ERROR && used == 0
       && strcmp(p.why, "bad length prefix") == 0,
       "error is sticky: consumes nothing, keeps the reason");
    netstring_parser_reset(&p);
    st = netstring_feed(&p, S("1:b,"), &used);
    ok(st == NETSTRING_DONE && used == 4 && strcmp(p.payload->data, "b") == 0
       && p.why[0] == '\0', "reset after an error parses again");
    netstring_parser_release(&p);
    netstring_parser_release(&p);	/* twice is harmless */
    ok(p.payload == NULL, "release clears the payload");
}

/* test_encode - encoder output, round trip, overflow */
static void test_encode(void)
{
    static const struct {
	const char *name;
	const char *data;
	size_t  len;
	const char *want;
	size_t  wantlen;
    } enc[] = {
	{"encode text", S("hello"), S("5:hello,")},
	{"encode empty", S(""), S("0:,")},
	{"encode NUL", S("a\0b"), S("3:a\0b,")},
    };
    struct netstring_parser p;
    struct buf *out = buf_alloc(16, 64);
    size_t  used;

    netstring_parser_init(&p, NETSTRING_MAX_DEFAULT);
    for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
	buf_reset(out);
	netstring_encode(out, enc[i].data, enc[i].len);
	ok(out->len == enc[i].wantlen
	   && memcmp(out->data, enc[i].want, enc[i].wantlen) == 0
	   && !buf_overflow(out), "%s", enc[i].name);
	netstring_parser_reset(&p);
	ok(netstring_feed(&p, out->data, out->len, &used) == NETSTRING_DONE
	   && used == out->len && p.payload->len == enc[i].len
	   && memcmp(p.payload->data, enc[i].data, enc[i].len) == 0,
	   "%s: parses back", enc[i].name);
    }
    out = buf_free(out);
    out = buf_alloc(4, 6);
    netstring_encode(out, S("hello"));
    ok(buf_overflow(out), "encode past the buffer limit sets overflow");
    out = buf_free(out);
    netstring_parser_release(&p);
}

int     main(void)
{
    plan((int) (2 * ROW_TESTS * ROW_COUNT) + 4 * 3 + 1 + 4 + 3 * 2 + 1);
    test_whole();
    test_bytewise();
    test_pipelined();
    test_sticky();
    test_encode();
    return exit_status();
}
