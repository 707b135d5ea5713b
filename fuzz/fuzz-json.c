/*
 * fuzz-json - the JSON reader (shared/json.h), which reads `postqueue -j`
 * output for destctl sweep.
 *
 * The input is any bytes. Asserted:
 *  - a rejected input gives a reason;
 *  - an accepted one, written out again (strings escaped as buf_put_json
 *    does, numbers with 17 digits), reads back as the same tree;
 *  - no value is nested deeper than JSON_DEPTH_MAX.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "json.h"

/* write - j as JSON text */
static void write_json(const struct json *j, struct buf *out, int depth)
{
    HARNESS_CHECK(depth <= JSON_DEPTH_MAX);
    switch (j->type) {
    case JSON_NULL:
	buf_puts(out, "null");
	break;
    case JSON_BOOL:
	buf_puts(out, j->b ? "true" : "false");
	break;
    case JSON_NUMBER:
	buf_printf(out, isfinite(j->n) ? "%.17g" : "0", j->n);
	break;
    case JSON_STRING:
	buf_put_json(out, j->s);
	break;
    case JSON_ARRAY:
    case JSON_OBJECT:
	buf_putc(out, j->type == JSON_ARRAY ? '[' : '{');
	for (size_t i = 0; i < j->len; i++) {
	    if (i)
		buf_putc(out, ',');
	    if (j->type == JSON_OBJECT) {
		buf_put_json(out, j->v[i]->name);
		buf_putc(out, ':');
	    }
	    write_json(j->v[i], out, depth + 1);
	}
	buf_putc(out, j->type == JSON_ARRAY ? ']' : '}');
	break;
    }
}

/* same - two trees alike (numbers compared as written) */
static bool same(const struct json *a, const struct json *b)
{
    if (a->type != b->type || a->len != b->len)
	return false;
    if ((a->name == NULL) != (b->name == NULL) || (a->name && strcmp(a->name, b->name)))
	return false;
    switch (a->type) {
    case JSON_BOOL:
	return a->b == b->b;
    case JSON_NUMBER:
	return !isfinite(a->n) ? b->n == 0 : a->n == b->n;
    case JSON_STRING:
	return strcmp(a->s, b->s) == 0;
    default:
	for (size_t i = 0; i < a->len; i++)
	    if (!same(a->v[i], b->v[i]))
		return false;
	return true;
    }
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char    why[128];
    struct json *j = json_parse((const char *) data, size, why, sizeof(why)), *k;
    struct buf *out;

    if (j == NULL) {
	HARNESS_CHECK(why[0] != '\0');
	return 0;
    }
    out = buf_alloc(256, (size_t) 64 << 20);
    write_json(j, out, 0);
    k = json_parse(out->data, out->len, why, sizeof(why));
    HARNESS_CHECK(k != NULL);
    HARNESS_CHECK(same(j, k));
    json_free(k);
    json_free(j);
    buf_free(out);
    return 0;
}
