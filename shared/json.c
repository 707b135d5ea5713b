/*
 * json - a recursive-descent reader with a depth bound (see json.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "util.h"

struct json_in {
    const char *p, *end;
    char   *why;
    size_t  whysz;
};

static struct json *json_value(struct json_in *in, int depth);

/* json_fail - remember why; NULL */
static struct json *json_fail(struct json_in *in, const char *what)
{
    if (in->why[0] == '\0')
	snprintf(in->why, in->whysz, "%s", what);
    return NULL;
}

/* json_ws - skip blanks */
static void json_ws(struct json_in *in)
{
    while (in->p < in->end && strchr(" \t\r\n", *in->p) && *in->p)
	in->p++;
}

/* json_hex4 - four hex digits, or -1 */
static long json_hex4(struct json_in *in)
{
    long    v = 0;

    if (in->end - in->p < 4)
	return -1;
    for (int i = 0; i < 4; i++) {
	int     c = *in->p++;

	v <<= 4;
	if (c >= '0' && c <= '9')
	    v |= c - '0';
	else if (c >= 'a' && c <= 'f')
	    v |= c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
	    v |= c - 'A' + 10;
	else
	    return -1;
    }
    return v;
}

/* json_utf8 - append code point cp */
static void json_utf8(struct buf *b, long cp)
{
    if (cp < 0x80) {
	buf_putc(b, (int) cp);
    } else if (cp < 0x800) {
	buf_putc(b, (int) (0xc0 | (cp >> 6)));
	buf_putc(b, (int) (0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
	buf_putc(b, (int) (0xe0 | (cp >> 12)));
	buf_putc(b, (int) (0x80 | ((cp >> 6) & 0x3f)));
	buf_putc(b, (int) (0x80 | (cp & 0x3f)));
    } else {
	buf_putc(b, (int) (0xf0 | (cp >> 18)));
	buf_putc(b, (int) (0x80 | ((cp >> 12) & 0x3f)));
	buf_putc(b, (int) (0x80 | ((cp >> 6) & 0x3f)));
	buf_putc(b, (int) (0x80 | (cp & 0x3f)));
    }
}

/* json_string - a string at '"'; caller frees; NULL on error */
static char *json_string(struct json_in *in)
{
    struct buf *b = buf_alloc(32, (size_t) (in->end - in->p) + 1);
    long    cp, lo;

    in->p++;				/* the quote */
    while (in->p < in->end && *in->p != '"') {
	unsigned char c = (unsigned char) *in->p++;

	if (c < 0x20)
	    goto bad;
	if (c != '\\') {
	    buf_putc(b, c);
	    continue;
	}
	if (in->p == in->end)
	    goto bad;
	switch (c = (unsigned char) *in->p++) {
	case '"': case '\\': case '/':
	    buf_putc(b, c);
	    break;
	case 'b': buf_putc(b, '\b'); break;
	case 'f': buf_putc(b, '\f'); break;
	case 'n': buf_putc(b, '\n'); break;
	case 'r': buf_putc(b, '\r'); break;
	case 't': buf_putc(b, '\t'); break;
	case 'u':
	    if ((cp = json_hex4(in)) < 0 || cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
		goto bad;
	    if (cp >= 0xd800 && cp <= 0xdbff) {
		if (in->end - in->p < 2 || in->p[0] != '\\' || in->p[1] != 'u')
		    goto bad;
		in->p += 2;
		if ((lo = json_hex4(in)) < 0xdc00 || lo > 0xdfff)
		    goto bad;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	    }
	    json_utf8(b, cp);
	    break;
	default:
	    goto bad;
	}
    }
    if (in->p == in->end)
	goto bad;
    in->p++;
    return buf_steal(b);
  bad:
    buf_free(b);
    json_fail(in, "invalid string");
    return NULL;
}

/* json_add - append child to a container */
static void json_add(struct json *j, struct json *child)
{
    j->v = xrealloc(j->v, (j->len + 1) * sizeof(*j->v));
    j->v[j->len++] = child;
}

/* json_container - an array or object at '[' or '{' */
static struct json *json_container(struct json_in *in, int depth)
{
    struct json *j = xcalloc(1, sizeof(*j)), *child;
    bool    object = *in->p == '{';
    char    close = object ? '}' : ']';
    char   *name = NULL;

    j->type = object ? JSON_OBJECT : JSON_ARRAY;
    in->p++;
    json_ws(in);
    if (in->p < in->end && *in->p == close) {
	in->p++;
	return j;
    }
    for (;;) {
	json_ws(in);
	if (object) {
	    if (in->p == in->end || *in->p != '"' || (name = json_string(in)) == NULL)
		goto bad;
	    json_ws(in);
	    if (in->p == in->end || *in->p++ != ':')
		goto bad;
	}
	if ((child = json_value(in, depth + 1)) == NULL)
	    goto bad;
	child->name = name;
	name = NULL;
	json_add(j, child);
	json_ws(in);
	if (in->p < in->end && *in->p == ',') {
	    in->p++;
	    continue;
	}
	if (in->p < in->end && *in->p == close) {
	    in->p++;
	    return j;
	}
	goto bad;
    }
  bad:
    free(name);
    json_fail(in, object ? "invalid object" : "invalid array");
    return json_free(j);
}

/* json_literal - true, false, null */
static bool json_word(struct json_in *in, const char *w)
{
    size_t  n = strlen(w);

    if ((size_t) (in->end - in->p) < n || memcmp(in->p, w, n) != 0)
	return false;
    in->p += n;
    return true;
}

/* json_number - RFC 8259's grammar, then strtod */
static struct json *json_number(struct json_in *in)
{
    const char *s = in->p;
    char    tmp[64];
    struct json *j;

    if (in->p < in->end && *in->p == '-')
	in->p++;
    if (in->p == in->end || !(*in->p >= '0' && *in->p <= '9'))
	return json_fail(in, "invalid number");
    if (*in->p == '0')
	in->p++;
    else
	while (in->p < in->end && *in->p >= '0' && *in->p <= '9')
	    in->p++;
    if (in->p < in->end && *in->p == '.') {
	in->p++;
	if (in->p == in->end || !(*in->p >= '0' && *in->p <= '9'))
	    return json_fail(in, "invalid number");
	while (in->p < in->end && *in->p >= '0' && *in->p <= '9')
	    in->p++;
    }
    if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
	in->p++;
	if (in->p < in->end && (*in->p == '+' || *in->p == '-'))
	    in->p++;
	if (in->p == in->end || !(*in->p >= '0' && *in->p <= '9'))
	    return json_fail(in, "invalid number");
	while (in->p < in->end && *in->p >= '0' && *in->p <= '9')
	    in->p++;
    }
    if ((size_t) (in->p - s) >= sizeof(tmp))
	return json_fail(in, "number too long");
    memcpy(tmp, s, (size_t) (in->p - s));
    tmp[in->p - s] = '\0';
    j = xcalloc(1, sizeof(*j));
    j->type = JSON_NUMBER;
    j->n = strtod(tmp, NULL);
    return j;
}

/* json_value - any value */
static struct json *json_value(struct json_in *in, int depth)
{
    struct json *j;

    if (depth > JSON_DEPTH_MAX)
	return json_fail(in, "nested too deeply");
    json_ws(in);
    if (in->p == in->end)
	return json_fail(in, "unexpected end");
    switch (*in->p) {
    case '{':
    case '[':
	return json_container(in, depth);
    case '"':
	j = xcalloc(1, sizeof(*j));
	j->type = JSON_STRING;
	if ((j->s = json_string(in)) == NULL)
	    return json_free(j);
	return j;
    case 't':
    case 'f':
    case 'n':
	j = xcalloc(1, sizeof(*j));
	if (json_word(in, "true") || json_word(in, "false")) {
	    j->type = JSON_BOOL;
	    j->b = in->p[-1] == 'e' && in->p[-2] == 'u';
	} else if (json_word(in, "null")) {
	    j->type = JSON_NULL;
	} else {
	    free(j);
	    return json_fail(in, "invalid literal");
	}
	return j;
    default:
	return json_number(in);
    }
}

/* json_parse - one value, nothing after it but blanks */
struct json *json_parse(const char *text, size_t len, char *why, size_t whysz)
{
    struct json_in in = {text, text + len, why, whysz};
    struct json *j;

    why[0] = '\0';
    if ((j = json_value(&in, 0)) == NULL)
	return NULL;
    json_ws(&in);
    if (in.p != in.end) {
	json_fail(&in, "garbage after the value");
	return json_free(j);
    }
    return j;
}

/* json_free - free */
struct json *json_free(struct json *j)
{
    if (j == NULL)
	return NULL;
    for (size_t i = 0; i < j->len; i++)
	json_free(j->v[i]);
    free(j->v);
    free(j->s);
    free(j->name);
    free(j);
    return NULL;
}

/* json_get - object member */
const struct json *json_get(const struct json *j, const char *name)
{
    if (j == NULL || j->type != JSON_OBJECT)
	return NULL;
    for (size_t i = 0; i < j->len; i++)
	if (strcmp(j->v[i]->name, name) == 0)
	    return j->v[i];
    return NULL;
}

/* json_str - string member */
const char *json_str(const struct json *j, const char *name)
{
    const struct json *m = json_get(j, name);

    return m && m->type == JSON_STRING ? m->s : NULL;
}
