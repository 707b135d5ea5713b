/*
 * log - one event, one line, to syslog and (in the foreground) to stderr.
 *
 * Levels: msg_debug (only with the debug level on), msg_info (routine events,
 * remote failures), msg_warn (something is wrong, we go on), msg_crit (state may
 * have been lost: an operator must look), msg_fatal (clean up and exit 1),
 * msg_panic (our own bug: abort). The *_sys variants append ": <strerror(errno)>".
 *
 * A line is a human sentence then key=value fields; callers name the domain.
 * Peer-supplied text is passed through log_sanitize() first.
 */
#ifndef DESTCTL_LOG_H
#define DESTCTL_LOG_H

#include <stdbool.h>
#include <stddef.h>

#define LOG_ATTR(n) __attribute__((format(printf, n, n + 1)))

/* log_init - name the program; to_stderr copies lines to stderr. No syslog until
 * log_open_syslog() is called (a command-line tool only prints). */
extern void log_init(const char *ident, bool to_stderr);

/* log_open_syslog - start logging to syslog with the given facility (LOG_MAIL...). */
extern void log_open_syslog(int facility);

/* log_set_debug - turn debug lines on or off. */
extern void log_set_debug(bool on);
extern bool log_debug_enabled(void);

/* log_facility_code - the syslog facility for a name ("mail", "local0"...), or -1. */
extern int log_facility_code(const char *name);

/* log_facility_names - the valid facility names, ", "-separated, for messages. */
extern const char *log_facility_names(void);

/* log_set_hook - also hand each line to fn (tests assert log lines); NULL removes. */
typedef void (*log_hook_fn)(int priority, const char *line, void *ctx);
extern void log_set_hook(log_hook_fn fn, void *ctx);

/* log_set_fatal_hook - called by msg_fatal before exit (daemons remove pid files). */
extern void log_set_fatal_hook(void (*fn)(void));

extern void msg_debug(const char *fmt, ...) LOG_ATTR(1);
extern void msg_info(const char *fmt, ...) LOG_ATTR(1);
extern void msg_warn(const char *fmt, ...) LOG_ATTR(1);
extern void msg_warn_sys(const char *fmt, ...) LOG_ATTR(1);
extern void msg_crit(const char *fmt, ...) LOG_ATTR(1);
extern void msg_fatal(const char *fmt, ...) LOG_ATTR(1) __attribute__((noreturn));
extern void msg_fatal_sys(const char *fmt, ...) LOG_ATTR(1) __attribute__((noreturn));
extern void msg_panic(const char *fmt, ...) LOG_ATTR(1) __attribute__((noreturn));

/* log_sanitize - copy at most max bytes of untrusted text into out (size outsz),
 * replacing control and non-ASCII bytes with '?', marking truncation with "...". */
extern char *log_sanitize(char *out, size_t outsz, const char *in, size_t inlen);

#endif
