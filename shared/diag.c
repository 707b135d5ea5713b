/*
 * diag - configuration errors and warnings; see diag.h.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "buf.h"
#include "diag.h"
#include "log.h"
#include "util.h"

#define DIAG_LINE_MAX 1024

/* diag_init - empty list */
void    diag_init(struct diag *d)
{
    d->v = NULL;
    d->n = d->cap = 0;
    d->nerrors = d->nwarnings = 0;
}

/* diag_release - free entries */
void    diag_release(struct diag *d)
{
    for (size_t i = 0; i < d->n; i++)
	free(d->v[i].text);
    free(d->v);
    diag_init(d);
}

/* diag_add - append one entry */
void    diag_add(struct diag *d, enum diag_level level, const char *file,
		         int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vadd(d, level, file, line, fmt, ap);
    va_end(ap);
}

/* diag_vadd - append one entry */
void    diag_vadd(struct diag *d, enum diag_level level, const char *file,
		          int line, const char *fmt, va_list ap)
{
    struct buf *b = buf_alloc(128, DIAG_LINE_MAX);

    if (file && line > 0)
	buf_printf(b, "%s:%d: ", file, line);
    else if (file)
	buf_printf(b, "%s: ", file);
    if (level == DIAG_WARNING)
	buf_puts(b, "warning: ");
    else if (level == DIAG_NOTE)
	buf_puts(b, "note: ");
    buf_vprintf(b, fmt, ap);
    if (buf_overflow(b))
	buf_puts(b, "...");
    if (d->n == d->cap) {
	d->cap = d->cap ? d->cap * 2 : 8;
	d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
    }
    d->v[d->n].level = level;
    d->v[d->n].text = buf_steal(b);
    d->n++;
    if (level == DIAG_ERROR)
	d->nerrors++;
    else if (level == DIAG_WARNING)
	d->nwarnings++;
}

/* diag_print - one entry a line */
void    diag_print(const struct diag *d, FILE *fp)
{
    for (size_t i = 0; i < d->n; i++)
	fprintf(fp, "%s\n", d->v[i].text);
}

/* diag_print_errors - errors only */
void    diag_print_errors(const struct diag *d, FILE *fp)
{
    for (size_t i = 0; i < d->n; i++)
	if (d->v[i].level == DIAG_ERROR)
	    fprintf(fp, "%s\n", d->v[i].text);
}

/* diag_log - to the log */
void    diag_log(const struct diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
	if (d->v[i].level == DIAG_NOTE)
	    msg_info("%s", d->v[i].text);
	else
	    msg_warn("%s", d->v[i].text);
    }
}

/* diag_first_error - first error text */
const char *diag_first_error(const struct diag *d)
{
    for (size_t i = 0; i < d->n; i++)
	if (d->v[i].level == DIAG_ERROR)
	    return d->v[i].text;
    return NULL;
}
