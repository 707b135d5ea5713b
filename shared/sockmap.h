/*
 * sockmap - Postfix's socketmap protocol (also Sendmail's socket map protocol):
 * a request is a netstring "<map> <key>", a reply a netstring "OK <value>",
 * "NOTFOUND ", "TEMP <reason>", "TIMEOUT <reason>" or "PERM <reason>".
 *
 * This module has the request and reply codecs (used by the agent's server and
 * by every client) and a blocking client for the CLI and the milter.
 */
#ifndef DESTCTL_SOCKMAP_H
#define DESTCTL_SOCKMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SOCKMAP_MAX_MAPNAME	64	/* longest map name accepted */
#define SOCKMAP_MAX_REQUEST	10000	/* largest request payload a server takes */
#define SOCKMAP_MAX_REPLY	100000	/* Postfix's own limit on replies */

/* Reply status, mirroring the wire words. */
enum sockmap_status {
    SOCKMAP_OK,
    SOCKMAP_NOTFOUND,
    SOCKMAP_TEMP,
    SOCKMAP_TIMEOUT,
    SOCKMAP_PERM,
};

/* sockmap_status_name - the wire word ("OK", "NOTFOUND", ...; "UNKNOWN" if invalid). */
extern const char *sockmap_status_name(enum sockmap_status st);

/*
 * sockmap_request_parse - split a request payload into map and key. The map
 * name is 1..SOCKMAP_MAX_MAPNAME characters of [A-Za-z0-9_.-], then exactly one
 * space, then a key of at least one byte with no NUL, CR or LF. On success
 * *map and *key are new strings the caller frees, result 0; on failure -1 with
 * a reason in why ("empty map name", "no space after map name", ...).
 */
extern int sockmap_request_parse(const char *payload, size_t len,
				         char **map, char **key,
				         char *why, size_t whysz);

/* sockmap_request_format - append the netstring of "<map> <key>" to out. */
extern void sockmap_request_format(struct buf *out, const char *map,
				           const char *key);

/*
 * sockmap_reply_format - append the netstring of a reply to out: "<WORD> <text>"
 * ("NOTFOUND " for NOTFOUND, text ignored). Check buf_overflow(out).
 */
extern void sockmap_reply_format(struct buf *out, enum sockmap_status st,
				         const char *text);

/*
 * sockmap_reply_parse - parse a reply payload. On success sets *st, copies the
 * text after the word and its space into value (reset first), returns 0; a
 * payload that starts with no known word followed by a space, or text that
 * does not fit in value, is -1 with why.
 */
extern int sockmap_reply_parse(const char *payload, size_t len,
			               enum sockmap_status *st, struct buf *value,
			               char *why, size_t whysz);

/*
 * sockmap_endpoint_parse - split an endpoint as Postfix writes it: "unix:PATH"
 * sets *path; "inet:HOST:PORT" or "inet:[IPV6]:PORT" sets *host and *port
 * (1..65535 or a service name). The others are NULL; the caller frees all
 * three. -1 with why ("endpoint must be unix:/path or inet:host:port",
 * "missing ':port' after host", "port must be 1 to 65535", ...).
 */
extern int sockmap_endpoint_parse(const char *endpoint, char **path, char **host,
				          char **port, char *why, size_t whysz);

/*
 * Blocking client. Endpoints in Postfix's form: "unix:/path" or
 * "inet:host:port" (host may be [v6]). The connection is opened lazily,
 * kept, and re-opened once when a query finds it closed before any reply
 * byte; one deadline of timeout_ms bounds each whole query (connect, write,
 * read). A request longer than SOCKMAP_MAX_REQUEST is refused without sending.
 */
struct sockmap_client;

/* sockmap_client_new - a client for endpoint; NULL with why if it cannot parse. */
extern struct sockmap_client *sockmap_client_new(const char *endpoint,
				             int timeout_ms, char *why, size_t whysz);

/*
 * sockmap_client_query - ask map for key. 0: *st and value hold the reply.
 * -1: the exchange failed (connect, timeout, malformed reply); value holds the
 * reason and the connection is closed.
 */
extern int sockmap_client_query(struct sockmap_client *c, const char *map,
			                const char *key, enum sockmap_status *st,
			                struct buf *value);

/*
 * sockmap_client_unreachable - true when the last query failed because no
 * connection could be made (not resolvable, refused, connect timeout), as
 * opposed to a failure of an exchange on an open connection.
 */
extern bool sockmap_client_unreachable(const struct sockmap_client *c);

/* sockmap_client_free - close and free (NULL is fine); returns NULL. */
extern struct sockmap_client *sockmap_client_free(struct sockmap_client *c);

#endif
