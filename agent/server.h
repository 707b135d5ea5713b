/*
 * server - the agent's socketmap server: listeners (unix and inet), client
 * connections, netstring framing, pipelining, limits. It knows nothing of
 * maps: each request is handed to the handler, which answers it later (or at
 * once) with sm_reply(). Replies go out in request order on each connection,
 * however the handler's answers arrive.
 *
 * Limits, so that no local user can lock the MTA out: each listener has its
 * own cap of max_clients connections (a flood on the inet socket leaves the
 * unix one alone); when a listener is full, a new connection closes that
 * listener's longest-idle one (nothing at the handler) to get in, and is
 * itself refused only when every connection there is busy. A request must
 * be complete within request_timeout seconds of its first byte (a client
 * that sends a byte now and then holds nothing). A connection idle for
 * idle_timeout seconds with nothing pending is closed. Requests are at most
 * SOCKMAP_MAX_REQUEST bytes; at most SM_MAX_PENDING per connection are not
 * yet answered or not yet fully sent (reading pauses until the oldest is
 * done). Pressure is logged once per change of state (full, then below its
 * cap again, with counts). A malformed request gets "PERM <reason>" and the
 * connection is closed after the replies before it are sent. A client that
 * goes away never harms the others.
 */
#ifndef DESTCTL_SERVER_H
#define DESTCTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <event2/event.h>

#include "sockmap.h"

#define SM_MAX_PENDING	100		/* unanswered requests per connection */

struct sm_server;
struct sm_request;

/*
 * sm_handler - called once per well-formed request. map and key are borrowed
 * for the duration of the call only. The handler must call sm_reply(req, ...)
 * exactly once, now or later; req stays valid until then, even if the client
 * has gone (the reply is then dropped).
 */
typedef void (*sm_handler)(void *ctx, struct sm_request *req, const char *map,
			           const char *key);

struct sm_limits {
    int     max_clients;		/* connections at once, per listener */
    int     idle_timeout;		/* seconds with nothing pending */
    int     request_timeout;		/* seconds from a request's first byte */
};

/* sm_server_new - a server on base; no listeners yet. Limits are at least 1. */
extern struct sm_server *sm_server_new(struct event_base *base,
				               const struct sm_limits *limits,
				               sm_handler handler, void *ctx);

/*
 * sm_server_listen - bind and listen on endpoint ("inet:HOST:PORT" or
 * "unix:PATH"). A unix socket replaces a stale socket file and is created
 * mode 0660 with group gid, or 0600 when gid is (gid_t) -1: never
 * world-accessible.
 * Returns 0, or -1 with why. May be called before privileges are dropped.
 */
extern int sm_server_listen(struct sm_server *s, const char *endpoint, gid_t gid,
			            char *why, size_t whysz);

/* sm_server_set_limits - new limits (a reload); applies to new events. */
extern void sm_server_set_limits(struct sm_server *s, const struct sm_limits *limits);

/*
 * sm_server_free - close listeners (removing unix socket files) and every
 * connection; pending requests become orphans that sm_reply() frees.
 * Returns NULL.
 */
extern struct sm_server *sm_server_free(struct sm_server *s);

/* sm_reply - answer req (text ignored for NOTFOUND); req is gone afterwards. */
extern void sm_reply(struct sm_request *req, enum sockmap_status st, const char *text);

/* sm_server_clients - the number of open client connections, all listeners
 * together (for status). */
extern int sm_server_clients(const struct sm_server *s);

#endif
