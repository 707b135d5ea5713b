/*
 * util - allocation and string helpers; see util.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* xmalloc - allocate or die */
void   *xmalloc(size_t n)
{
    void   *p = malloc(n ? n : 1);

    if (p == NULL)
	msg_fatal("out of memory allocating %zu bytes", n);
    return p;
}

/* xcalloc - allocate zeroed or die */
void   *xcalloc(size_t n, size_t size)
{
    void   *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
	msg_fatal("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

/* xrealloc - resize or die */
void   *xrealloc(void *p, size_t n)
{
    void   *q = realloc(p, n ? n : 1);

    if (q == NULL)
	msg_fatal("out of memory allocating %zu bytes", n);
    return q;
}

/* xstrdup - copy or die */
char   *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

/* xstrndup - bounded copy or die */
char   *xstrndup(const char *s, size_t n)
{
    size_t  len = strnlen(s, n);
    char   *p = xmalloc(len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* str_eq - NULL-tolerant equality */
bool    str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
	return a == b;
    return strcmp(a, b) == 0;
}

/* str_lower - ASCII lower case in place */
char   *str_lower(char *s)
{
    for (char *p = s; *p; p++)
	*p = (char) tolower((unsigned char) *p);
    return s;
}

/* path_resolve - relative to the naming file's directory */
char   *path_resolve(const char *base, const char *p)
{
    const char *slash;
    size_t  dirlen;
    char   *out;

    if (p[0] == '/' || p[0] == '\0' || base == NULL
	|| (slash = strrchr(base, '/')) == NULL)
	return xstrdup(p);
    dirlen = (size_t) (slash - base) + 1;
    out = xmalloc(dirlen + strlen(p) + 1);
    memcpy(out, base, dirlen);
    strcpy(out + dirlen, p);
    return out;
}
