/*
 * json - a small, bounded JSON reader (RFC 8259) for what destctl reads
 * from other programs: one `postqueue -j` record per line. Builds a tree;
 * nesting deeper than JSON_DEPTH_MAX, strings with bad escapes or invalid
 * UTF-16 surrogates, trailing garbage: rejected with a reason.
 */
#ifndef DESTCTL_JSON_H
#define DESTCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_DEPTH_MAX	16

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
JSON_OBJECT };

struct json {
    enum json_type type;
    bool    b;				/* JSON_BOOL */
    double  n;				/* JSON_NUMBER */
    char   *s;				/* JSON_STRING (no NUL inside) */
    struct json **v;			/* JSON_ARRAY elements, JSON_OBJECT members */
    size_t  len;
    char   *name;			/* as a member: its name */
};

/* json_parse - the value in text[0..len), or NULL with why. */
extern struct json *json_parse(const char *text, size_t len, char *why, size_t whysz);

/* json_free - free a tree (NULL is fine); returns NULL. */
extern struct json *json_free(struct json *j);

/* json_get - member name of object j, or NULL (also when j is no object). */
extern const struct json *json_get(const struct json *j, const char *name);

/* json_str - the string member name of j, or NULL. */
extern const char *json_str(const struct json *j, const char *name);

#endif
