/*
 * tap - a minimal Test Anything Protocol harness for the unit tests.
 *
 * plan(n) first; every check prints "ok N - name" or "not ok N - name" with the
 * expected and seen values as diagnostics; exit_status() is 0 only when every
 * planned test ran and passed. bail() stops a test whose setup broke.
 */
#ifndef DESTCTL_TAP_H
#define DESTCTL_TAP_H

#include <stdbool.h>

extern void plan(int n);
extern bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern bool is_int(long want, long seen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
extern bool is_string(const char *want, const char *seen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
extern void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern void bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
extern int exit_status(void);

/* tap_log_capture - capture log lines (see log_set_hook); tap_log_last returns
 * the newest captured line ("" when none), tap_log_clear forgets them. */
extern void tap_log_capture(void);
extern const char *tap_log_last(void);
extern void tap_log_clear(void);

#endif
