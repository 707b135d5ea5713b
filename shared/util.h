/*
 * util - memory allocation that never returns NULL, and small string helpers.
 */
#ifndef DESTCTL_UTIL_H
#define DESTCTL_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* xmalloc, xcalloc, xrealloc, xstrdup - allocate or die (out of memory is fatal). */
extern void *xmalloc(size_t n);
extern void *xcalloc(size_t n, size_t size);
extern void *xrealloc(void *p, size_t n);
extern char *xstrdup(const char *s);

/* xstrndup - copy at most n bytes of s, NUL-terminated. */
extern char *xstrndup(const char *s, size_t n);

/* str_eq - both NULL, or equal strings. */
extern bool str_eq(const char *a, const char *b);

/* str_lower - lower-case ASCII letters of s in place; returns s. */
extern char *str_lower(char *s);

/* path_resolve - p as is when absolute or empty, else relative to the directory
 * of the file `base`; caller frees. */
extern char *path_resolve(const char *base, const char *p);

#endif
