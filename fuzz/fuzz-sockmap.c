/*
 * fuzz-sockmap - the netstring parser and the socketmap request and reply
 * codecs (shared/netstring.h, shared/sockmap.h).
 *
 * The input is a byte stream as a peer would send it, read as a sequence of
 * netstrings under two limits (the socketmap reply limit and a small one).
 * Asserted:
 *  - fed whole and fed one byte at a time, the parser gives the same
 *    netstrings, ending at the same offsets, and the same error and reason;
 *  - netstring_encode() of each payload reads back as that payload;
 *  - each payload that parses as a request is "<map> <key>" exactly, and
 *    sockmap_request_format() of map and key gives back its netstring;
 *  - each payload that parses as a reply formats back to the same payload
 *    (when no NUL in the text and not NOTFOUND, whose text is dropped), and
 *    a reply too long for a small value buffer is refused, never cut;
 *  - sockmap_endpoint_parse() of the payload sets path, or host and port.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "netstring.h"
#include "sockmap.h"
#include "util.h"

#define SMALL_MAX	16		/* a small parser and value limit */
#define MAX_EVENTS	64		/* netstrings looked at per input */

/* One outcome of the parser: a netstring, an error, or the input ran out. */
struct event {
    enum netstring_status st;
    size_t  end;			/* input offset just after it */
    char   *text;			/* payload or reason (malloc'd) */
    size_t  len;
};

/* read_stream - events of data under limit max, fed in chunks of step bytes */
static size_t read_stream(const uint8_t *data, size_t size, size_t max,
			          size_t step, struct event *ev)
{
    struct netstring_parser p;
    size_t  pos = 0, n = 0, used;
    enum netstring_status st = NETSTRING_MORE;

    netstring_parser_init(&p, max);
    while (n < MAX_EVENTS) {
	size_t  chunk = size - pos < step ? size - pos : step;

	st = netstring_feed(&p, (const char *) data + pos, chunk, &used);
	HARNESS_CHECK(used <= chunk);
	pos += used;
	if (st == NETSTRING_MORE && pos < size)
	    continue;
	ev[n].st = st;
	ev[n].end = pos;
	if (st == NETSTRING_DONE) {
	    HARNESS_CHECK(p.payload->data[p.payload->len] == '\0');
	    ev[n].text = xmalloc(p.payload->len + 1);
	    memcpy(ev[n].text, p.payload->data, p.payload->len + 1);
	    ev[n].len = p.payload->len;
	} else {
	    ev[n].text = xstrdup(st == NETSTRING_ERROR ? p.why : "");
	    ev[n].len = strlen(ev[n].text);
	    HARNESS_CHECK(st == NETSTRING_MORE || ev[n].len > 0);
	}
	n++;
	if (st != NETSTRING_DONE)
	    break;
	netstring_parser_reset(&p);
    }
    netstring_parser_release(&p);
    return n;
}

/* check_encode - a payload encoded, then parsed, is itself */
static void check_encode(const char *payload, size_t len)
{
    struct buf *wire = buf_alloc(64, len + 32);
    struct netstring_parser p;
    size_t  used;

    netstring_encode(wire, payload, len);
    HARNESS_CHECK(!buf_overflow(wire));
    netstring_parser_init(&p, len);
    HARNESS_CHECK(netstring_feed(&p, wire->data, wire->len, &used) == NETSTRING_DONE);
    HARNESS_CHECK(used == wire->len);
    HARNESS_CHECK(p.payload->len == len && memcmp(p.payload->data, payload, len) == 0);
    netstring_parser_release(&p);
    buf_free(wire);
}

/* check_request - a request that parses is map, one space, key */
static void check_request(const char *payload, size_t len)
{
    char   *map, *key, why[128] = "";
    struct buf *a, *b;

    if (sockmap_request_parse(payload, len, &map, &key, why, sizeof(why)) < 0) {
	HARNESS_CHECK(map == NULL && key == NULL && why[0] != '\0');
	return;
    }
    HARNESS_CHECK(strlen(map) >= 1 && strlen(map) <= SOCKMAP_MAX_MAPNAME);
    HARNESS_CHECK(strlen(map) + 1 + strlen(key) == len);
    a = buf_alloc(64, len + 32);
    b = buf_alloc(64, len + 32);
    sockmap_request_format(a, map, key);
    netstring_encode(b, payload, len);
    HARNESS_CHECK(a->len == b->len && memcmp(a->data, b->data, a->len) == 0);
    buf_free(a);
    buf_free(b);
    free(map);
    free(key);
}

/* check_reply - a reply that parses formats back to itself */
static void check_reply(const char *payload, size_t len)
{
    struct buf *value = buf_alloc(64, SOCKMAP_MAX_REPLY);
    struct buf *small = buf_alloc(4, SMALL_MAX);
    enum sockmap_status st, st2;
    char    why[128] = "";

    if (sockmap_reply_parse(payload, len, &st, value, why, sizeof(why)) < 0) {
	HARNESS_CHECK(value->len == 0 && why[0] != '\0');
	goto out;
    }
    HARNESS_CHECK(strlen(sockmap_status_name(st)) + 1 + value->len == len);
    if (st != SOCKMAP_NOTFOUND && memchr(value->data, '\0', value->len) == NULL) {
	struct buf *a = buf_alloc(64, len + 32);
	struct buf *b = buf_alloc(64, len + 32);

	sockmap_reply_format(a, st, value->data);
	netstring_encode(b, payload, len);
	HARNESS_CHECK(a->len == b->len && memcmp(a->data, b->data, a->len) == 0);
	buf_free(a);
	buf_free(b);
    }
    /* The same reply into a small buffer: whole, or refused and empty. */
    if (sockmap_reply_parse(payload, len, &st2, small, why, sizeof(why)) == 0)
	HARNESS_CHECK(st2 == st && small->len == value->len
		      && memcmp(small->data, value->data, value->len) == 0);
    else
	HARNESS_CHECK(value->len > SMALL_MAX && small->len == 0);
  out:
    buf_free(value);
    buf_free(small);
}

/* check_endpoint - path, or host and port, never a mix */
static void check_endpoint(const char *payload, size_t len)
{
    char   *s = xstrndup(payload, len), *path, *host, *port, why[128] = "";

    if (sockmap_endpoint_parse(s, &path, &host, &port, why, sizeof(why)) == 0)
	HARNESS_CHECK(path ? host == NULL && port == NULL : host && port);
    else
	HARNESS_CHECK(!path && !host && !port && why[0] != '\0');
    free(path);
    free(host);
    free(port);
    free(s);
}

/* compare - the whole and byte-by-byte readings agree; check the payloads */
static void compare(const uint8_t *data, size_t size, size_t max)
{
    struct event whole[MAX_EVENTS], bytes[MAX_EVENTS];
    size_t  n = read_stream(data, size, max, size ? size : 1, whole);
    size_t  m = read_stream(data, size, max, 1, bytes);

    HARNESS_CHECK(n == m);
    for (size_t i = 0; i < n; i++) {
	HARNESS_CHECK(whole[i].st == bytes[i].st);
	HARNESS_CHECK(whole[i].end == bytes[i].end);
	HARNESS_CHECK(whole[i].len == bytes[i].len
		      && memcmp(whole[i].text, bytes[i].text, whole[i].len) == 0);
	if (whole[i].st == NETSTRING_DONE) {
	    HARNESS_CHECK(whole[i].len <= max);
	    check_encode(whole[i].text, whole[i].len);
	    check_request(whole[i].text, whole[i].len);
	    check_reply(whole[i].text, whole[i].len);
	    check_endpoint(whole[i].text, whole[i].len);
	}
	free(whole[i].text);
	free(bytes[i].text);
    }
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    compare(data, size, SOCKMAP_MAX_REPLY);
    compare(data, size, SMALL_MAX);
    return 0;
}
