/*
 * log - syslog and stderr logging; see log.h.
 *
 * State is file-static on purpose: a process has one log, set up once in main().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static const char *log_ident = "destctl";
static bool log_stderr = true;
static bool log_syslog = false;
static bool log_debug = false;
static log_hook_fn log_hook = NULL;
static void *log_hook_ctx = NULL;
static void (*log_fatal_hook)(void) = NULL;

static const struct {
    const char *name;
    int     code;
} log_facilities[] = {
    {"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

#define LOG_FACILITY_COUNT (sizeof(log_facilities) / sizeof(log_facilities[0]))

/* log_init - name the program and choose stderr */
void    log_init(const char *ident, bool to_stderr)
{
    log_ident = ident;
    log_stderr = to_stderr;
}

/* log_open_syslog - start syslog output */
void    log_open_syslog(int facility)
{
    if (log_syslog)
	closelog();
    openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
    log_syslog = true;
}

/* log_set_debug - debug level on or off */
void    log_set_debug(bool on)
{
    log_debug = on;
}

/* log_debug_enabled - is the debug level on */
bool    log_debug_enabled(void)
{
    return log_debug;
}

/* log_facility_code - facility name to code */
int     log_facility_code(const char *name)
{
    for (size_t i = 0; i < LOG_FACILITY_COUNT; i++)
	if (strcmp(log_facilities[i].name, name) == 0)
	    return log_facilities[i].code;
    return -1;
}

/* log_facility_names - list for error messages */
const char *log_facility_names(void)
{
    return "mail, daemon, user, local0 ... local7";
}

/* log_set_hook - tests capture lines */
void    log_set_hook(log_hook_fn fn, void *ctx)
{
    log_hook = fn;
    log_hook_ctx = ctx;
}

/* log_set_fatal_hook - clean-up before a fatal exit */
void    log_set_fatal_hook(void (*fn)(void))
{
    log_fatal_hook = fn;
}

/* log_emit - format one line and send it everywhere it goes */
static void log_emit(int priority, const char *label, bool with_errno,
		             const char *fmt, va_list ap)
{
    char    line[LOG_LINE_MAX];
    int     saved = errno;
    size_t  n;

    vsnprintf(line, sizeof(line), fmt, ap);
    if (with_errno) {
	n = strlen(line);
	snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved));
    }
    if (log_syslog)
	syslog(priority, "%s%s", label, line);
    if (log_stderr)
	fprintf(stderr, "%s: %s%s\n", log_ident, label, line);
    if (log_hook)
	log_hook(priority, line, log_hook_ctx);
    errno = saved;
}

#define LOG_FN(name, prio, label, errflag) \
    void name(const char *fmt, ...) \
    { \
	va_list ap; \
	va_start(ap, fmt); \
	log_emit(prio, label, errflag, fmt, ap); \
	va_end(ap); \
    }

LOG_FN(msg_info, LOG_INFO, "", false)
LOG_FN(msg_warn, LOG_WARNING, "warning: ", false)
LOG_FN(msg_warn_sys, LOG_WARNING, "warning: ", true)
LOG_FN(msg_crit, LOG_CRIT, "critical: ", false)

/* msg_debug - only when the debug level is on */
void    msg_debug(const char *fmt, ...)
{
    va_list ap;

    if (!log_debug)
	return;
    va_start(ap, fmt);
    log_emit(LOG_DEBUG, "debug: ", false, fmt, ap);
    va_end(ap);
}

/* log_die - the common end of fatal messages */
static void log_die(void) __attribute__((noreturn));

static void log_die(void)
{
    void    (*hook)(void) = log_fatal_hook;

    log_fatal_hook = NULL;			/* no recursion */
    if (hook)
	hook();
    exit(1);
}

/* msg_fatal - log and exit 1 */
void    msg_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emit(LOG_CRIT, "fatal: ", false, fmt, ap);
    va_end(ap);
    log_die();
}

/* msg_fatal_sys - log with strerror and exit 1 */
void    msg_fatal_sys(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emit(LOG_CRIT, "fatal: ", true, fmt, ap);
    va_end(ap);
    log_die();
}

/* msg_panic - our bug: log and abort for a core */
void    msg_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emit(LOG_CRIT, "panic: ", false, fmt, ap);
    va_end(ap);
    abort();
}

/* log_sanitize - make untrusted text safe for one log line */
char   *log_sanitize(char *out, size_t outsz, const char *in, size_t inlen)
{
    size_t  i, o = 0;

    if (outsz < 4)
	msg_panic("log_sanitize: output size %zu too small", outsz);
    for (i = 0; i < inlen && o < outsz - 1; i++) {
	unsigned char c = (unsigned char) in[i];

	out[o++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }
    if (i < inlen) {
	o = o > outsz - 4 ? outsz - 4 : o;
	memcpy(out + o, "...", 3);
	o += 3;
    }
    out[o] = '\0';
    return out;
}
