/*
 * tap - minimal TAP producer; see tap.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tap.h"

static int tap_planned = -1;
static int tap_run = 0;
static int tap_failed = 0;
static char tap_last_log[2048];

/* plan - announce the number of tests */
void    plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

/* tap_report - print one result line */
static bool tap_report(bool cond, const char *fmt, va_list ap)
{
    tap_run++;
    if (!cond)
	tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_run);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

/* ok - a boolean check */
bool    ok(bool cond, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tap_report(cond, fmt, ap);
    va_end(ap);
    return cond;
}

/* is_int - numbers equal */
bool    is_int(long want, long seen, const char *fmt, ...)
{
    va_list ap;
    bool    cond = want == seen;

    va_start(ap, fmt);
    tap_report(cond, fmt, ap);
    va_end(ap);
    if (!cond)
	diag("want: %ld\n#  seen: %ld", want, seen);
    return cond;
}

/* is_string - strings equal (NULL equals only NULL) */
bool    is_string(const char *want, const char *seen, const char *fmt, ...)
{
    va_list ap;
    bool    cond = (want == NULL || seen == NULL) ? want == seen
	: strcmp(want, seen) == 0;

    va_start(ap, fmt);
    tap_report(cond, fmt, ap);
    va_end(ap);
    if (!cond)
	diag("want: \"%s\"\n#  seen: \"%s\"", want ? want : "(null)",
	     seen ? seen : "(null)");
    return cond;
}

/* diag - a comment line */
void    diag(const char *fmt, ...)
{
    va_list ap;

    printf("#  ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* bail - stop everything */
void    bail(const char *fmt, ...)
{
    va_list ap;

    printf("Bail out! ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(255);
}

/* exit_status - 0 when all planned tests ran and passed */
int     exit_status(void)
{
    if (tap_planned != tap_run) {
	diag("planned %d tests, ran %d", tap_planned, tap_run);
	return 1;
    }
    return tap_failed ? 1 : 0;
}

/* tap_log_hook - keep the newest log line */
static void tap_log_hook(int priority, const char *line, void *ctx)
{
    (void) priority;
    (void) ctx;
    snprintf(tap_last_log, sizeof(tap_last_log), "%s", line);
}

/* tap_log_capture - start capturing, quietly */
void    tap_log_capture(void)
{
    log_init("unit", false);
    log_set_hook(tap_log_hook, NULL);
}

/* tap_log_last - the newest captured line */
const char *tap_log_last(void)
{
    return tap_last_log;
}

/* tap_log_clear - forget captured lines */
void    tap_log_clear(void)
{
    tap_last_log[0] = '\0';
}
