/*
 * unit-buf - bounded buffers, log sanitising, the log hook, diag lines.
 */
#include <string.h>
#include <syslog.h>

#include "buf.h"
#include "diag.h"
#include "log.h"
#include "tap.h"

/* test_buf - growth, the hard limit, the sticky overflow */
static void test_buf(void)
{
    struct buf *b = buf_alloc(2, 10);

    buf_puts(b, "abc");
    buf_printf(b, "%d", 42);
    is_string("abc42", b->data, "appends grow past the initial size");
    is_int(5, (long) b->len, "length");
    buf_puts(b, "123456");
    ok(buf_overflow(b), "a write past the limit sets overflow");
    is_string("abc42", b->data, "and writes nothing");
    buf_puts(b, "x");
    ok(buf_overflow(b), "overflow is sticky");
    is_string("abc42x", b->data, "later writes that fit still land");
    buf_consume(b, 3);
    is_string("42x", b->data, "consume drops leading bytes");
    buf_reset(b);
    ok(!buf_overflow(b) && b->len == 0 && b->data[0] == '\0', "reset empties and clears");
    buf_printf(b, "%s", "0123456789");
    ok(!buf_overflow(b), "exactly the limit fits");
    buf_putc(b, 'z');
    ok(buf_overflow(b), "one more byte does not");
    b = buf_free(b);
    ok(b == NULL, "buf_free returns NULL");
}

static int hook_priority;

/* hook - remember the priority of the last line */
static void hook(int priority, const char *line, void *ctx)
{
    (void) line;
    (void) ctx;
    hook_priority = priority;
}

/* test_log - sanitising and the hook */
static void test_log(void)
{
    char    out[16];

    is_string("bad?line?", log_sanitize(out, sizeof(out), "bad\nline\x01", 9),
	      "control bytes become ?");
    is_string("0123456789ab...", log_sanitize(out, sizeof(out), "0123456789abcdefgh", 18),
	      "long text is cut and marked");
    tap_log_capture();
    tap_log_clear();
    msg_info("policy applied domain=%s mode=%s", "example.com", "enforce");
    is_string("policy applied domain=example.com mode=enforce", tap_log_last(),
	      "one event, one line");
    msg_debug("not shown");
    is_string("policy applied domain=example.com mode=enforce", tap_log_last(),
	      "debug lines off by default");
    log_set_debug(true);
    msg_debug("query domain=%s", "example.com");
    is_string("query domain=example.com", tap_log_last(), "debug lines when on");
    log_set_hook(hook, NULL);
    msg_warn("something");
    is_int(LOG_WARNING, hook_priority, "warnings at LOG_WARNING");
    is_int(LOG_MAIL, log_facility_code("mail"), "facility mail");
    is_int(LOG_LOCAL3, log_facility_code("local3"), "facility local3");
    is_int(-1, log_facility_code("mial"), "unknown facility");
}

/* test_diag - entry formats */
static void test_diag(void)
{
    struct diag d;

    diag_init(&d);
    diag_add(&d, DIAG_ERROR, "a.conf", 3, "bad %s", "thing");
    diag_add(&d, DIAG_WARNING, "a.conf", 4, "odd");
    diag_add(&d, DIAG_ERROR, "a.conf", 0, "whole file");
    diag_add(&d, DIAG_NOTE, NULL, 0, "just so");
    is_string("a.conf:3: bad thing", d.v[0].text, "error with line");
    is_string("a.conf:4: warning: odd", d.v[1].text, "warning");
    is_string("a.conf: whole file", d.v[2].text, "error without line");
    is_string("note: just so", d.v[3].text, "note without place");
    is_int(2, d.nerrors, "errors counted");
    is_int(1, d.nwarnings, "warnings counted");
    diag_release(&d);
}

int     main(void)
{
    plan(11 + 9 + 6);
    test_buf();
    test_log();
    test_diag();
    return exit_status();
}
