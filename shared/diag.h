/*
 * diag - the errors and warnings found while validating a configuration.
 *
 * Each entry is one line "FILE:LINE: message" (or "FILE:LINE: warning: ...",
 * "FILE:LINE: note: ..."), kept in the order found, so that check-config prints
 * all of them and a daemon logs all of them when it refuses a reload.
 */
#ifndef DESTCTL_DIAG_H
#define DESTCTL_DIAG_H

#include <stdarg.h>
#include <stdio.h>

enum diag_level {
    DIAG_ERROR,
    DIAG_WARNING,
    DIAG_NOTE,
};

struct diag_entry {
    enum diag_level level;
    char   *text;			/* the whole line, without newline */
};

struct diag {
    struct diag_entry *v;
    size_t  n, cap;
    int     nerrors;
    int     nwarnings;
};

/* diag_init - an empty list (or memset to 0). */
extern void diag_init(struct diag *d);

/* diag_release - free the entries; the list is empty again. */
extern void diag_release(struct diag *d);

/* diag_add - add one entry; file may be NULL (no place), line 0 (file only). */
extern void diag_add(struct diag *d, enum diag_level level, const char *file,
		             int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* diag_vadd - diag_add with a va_list. */
extern void diag_vadd(struct diag *d, enum diag_level level, const char *file,
		              int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* diag_print - write every entry, one a line, to fp. */
extern void diag_print(const struct diag *d, FILE *fp);

/* diag_print_errors - write only the errors, one a line, to fp. */
extern void diag_print_errors(const struct diag *d, FILE *fp);

/* diag_log - log every entry (errors and warnings as msg_warn, notes as msg_info). */
extern void diag_log(const struct diag *d);

/* diag_first_error - the first error line, or NULL. */
extern const char *diag_first_error(const struct diag *d);

#endif
