/*
 * server - the agent's socketmap server; see server.h for the contract.
 *
 * Plain events over nonblocking sockets, not bufferevents: replies go out
 * with sendmsg(MSG_NOSIGNAL) (bufferevents use writev: SIGPIPE), reading
 * pauses exactly when the request queue is full, and "idle" means nothing at
 * the handler and the client silent, which no bufferevent timeout expresses.
 *
 * Order: a connection keeps a FIFO of at most SM_MAX_PENDING requests (at the
 * handler, or answered and unsent); the handler answers in any order, the
 * writer sends only from the head. A full queue pauses reading, which also
 * bounds the memory of a client that never reads.
 *
 * Orphans: closing a connection frees its answered requests and clears the
 * connection pointer of the others, which the handler owns until sm_reply()
 * frees them. sm_reply() never writes or closes, so a handler may answer
 * within its own call without freeing the connection under the reader.
 *
 * States: OPEN reads requests; FINAL has a PERM queued and drains; LINGER has
 * sent all, shut its side down, and drops input until the client's EOF (a
 * close with unread input sends a reset that can destroy the PERM unread).
 * EOF while OPEN or FINAL means the client is gone (Postfix never
 * half-closes): close at once, orphaning what is pending.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "buf.h"
#include "log.h"
#include "netstring.h"
#include "server.h"
#include "server_impl.h"
#include "sockmap.h"
#include "util.h"

#define SM_READ_SIZE	4096		/* bytes read per callback */
#define SM_ACCEPT_BATCH	64		/* accepts per listener callback */
#define SM_ACCEPT_PAUSE_MS 250		/* listeners rest after EMFILE */
#define SM_LINGER_SECONDS 2		/* wait for the client's EOF after PERM */
#define SM_IOV_MAX	16		/* replies per sendmsg() */
#define SM_PEER_SIZE	64		/* "[v6addr]:port", "pid:N" */
#define SM_LOG_KEY	256		/* key bytes in a debug line */
#define SM_REPLY_WIRE	(SOCKMAP_MAX_REPLY + NETSTRING_LEN_DIGITS + 2)


enum sm_conn_state {
    SM_CONN_OPEN,			/* reading requests */
    SM_CONN_FINAL,			/* PERM queued: drain, then linger */
    SM_CONN_LINGER,			/* sent all, shut down: await EOF */
};

struct sm_request {
    struct sm_conn *conn;		/* NULL once orphaned */
    struct sm_request *next;		/* queue order */
    struct buf *reply;			/* wire reply once answered, else NULL */
    size_t  sent;			/* bytes of reply already written */
};

struct sm_conn {
    struct sm_server *server;		/* owner */
    struct sm_listener *listener;	/* accepted on */
    struct sm_conn *prev, *next;
    const char *endpoint;		/* borrowed from the listener */
    struct timeval active;		/* last request or reply (monotonic) */
    struct event *deadline;		/* the request being read must end */
    int     fd;
    enum sm_conn_state state;
    struct event *rev, *wev;		/* read; write while a reply is ready */
    struct event *timer;		/* idle, write stall, or linger */
    struct netstring_parser parser;	/* the request being read */
    struct buf *in;			/* input held while reading pauses */
    struct sm_request *head, *tail;	/* oldest, newest request */
    int     queued;			/* requests in the queue */
    int     unanswered;			/* of which the handler holds */
    char    peer[SM_PEER_SIZE];
};

struct sm_server {
    struct event_base *base;		/* borrowed */
    struct sm_limits limits;
    sm_handler handler;
    void   *ctx;			/* handler's, borrowed */
    struct sm_listener *listeners;
    struct sm_conn *conns;
    int     nclients;			/* all listeners */
    bool    starved;			/* out of descriptors: logged */
    struct event *resume;		/* ends the listeners' rest */
};

static void sm_conn_event(evutil_socket_t, short, void *);
static void sm_conn_deadline(evutil_socket_t, short, void *);

/* sm_event_new - event_new() that never returns NULL */
static struct event *sm_event_new(struct event_base *base, evutil_socket_t fd,
				          short what, event_callback_fn fn,
				          void *ctx)
{
    struct event *ev = event_new(base, fd, what, fn, ctx);

    if (ev == NULL)
	msg_fatal("socketmap server: out of memory for an event");
    return ev;
}

/* sm_why - format a reason into why */
int     __attribute__((format(printf, 3, 4)))
sm_why(char *why, size_t whysz, const char *fmt,...)
{
    va_list ap;

    if (why != NULL && whysz > 0) {
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
    }
    return -1;
}

/* sm_conn_enqueue - a new request at the tail of c's queue */
static struct sm_request *sm_conn_enqueue(struct sm_conn *c)
{
    struct sm_request *req = xcalloc(1, sizeof(*req));

    req->conn = c;
    *(c->tail ? &c->tail->next : &c->head) = req;
    c->tail = req;
    c->queued++;
    c->unanswered++;
    return req;
}

/* sm_conn_touch - c did something: it is not idle */
static void sm_conn_touch(struct sm_conn *c)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->active.tv_sec = ts.tv_sec;
    c->active.tv_usec = ts.tv_nsec / 1000;
}

/* sm_conn_update - arm c's events for its state; never frees c */
static void sm_conn_update(struct sm_conn *c)
{
    struct timeval tv = {c->server->limits.idle_timeout, 0};

    if (c->state != SM_CONN_LINGER && c->head && c->head->reply)
	event_add(c->wev, NULL);
    else
	event_del(c->wev);
    if (c->state == SM_CONN_LINGER
	|| (c->state == SM_CONN_OPEN && c->queued < SM_MAX_PENDING
	    && c->in->len == 0))
	event_add(c->rev, NULL);
    else
	event_del(c->rev);
    /* Lingering has its own timer; while the handler holds a request, its
     * own deadline bounds the wait. */
    if (c->state != SM_CONN_LINGER && c->unanswered > 0)
	event_del(c->timer);
    else if (c->state != SM_CONN_LINGER)
	event_add(c->timer, &tv);
}

/* sm_reply - answer req; an orphan is only freed */
void    sm_reply(struct sm_request *req, enum sockmap_status st, const char *text)
{
    struct sm_conn *c = req->conn;

    if (c == NULL) {			/* orphan: it never had a reply */
	free(req);
	return;
    }
    if (req->reply != NULL)
	msg_panic("sm_reply: request answered twice peer=%s", c->peer);
    if (st != SOCKMAP_NOTFOUND && text != NULL
	&& strlen(sockmap_status_name(st)) + 1 + strlen(text) > SOCKMAP_MAX_REPLY) {
	msg_warn("socketmap reply longer than %d bytes, answering TEMP "
		 "status=%s peer=%s", SOCKMAP_MAX_REPLY,
		 sockmap_status_name(st), c->peer);
	st = SOCKMAP_TEMP;
	text = "reply too large";
    }
    req->reply = buf_alloc(64, SM_REPLY_WIRE);
    sockmap_reply_format(req->reply, st, text);
    if (buf_overflow(req->reply))
	msg_panic("sm_reply: reply overflow at %zu bytes", req->reply->len);
    c->unanswered--;
    sm_conn_update(c);
}

/* sm_conn_malformed - queue "PERM why"; the connection ends after it */
static void sm_conn_malformed(struct sm_conn *c, const char *why)
{
    char    safe[160];

    msg_info("socketmap request malformed, answering PERM and closing "
	     "peer=%s endpoint=%s reason=%s", c->peer, c->endpoint,
	     log_sanitize(safe, sizeof(safe), why, strlen(why)));
    c->state = SM_CONN_FINAL;
    sm_reply(sm_conn_enqueue(c), SOCKMAP_PERM, why);
}

/* sm_conn_request - parse one request payload and hand it to the handler */
static void sm_conn_request(struct sm_conn *c, const char *payload, size_t len)
{
    struct sm_server *s = c->server;
    char    why[128], safe[SM_LOG_KEY + 4];
    char   *map, *key;

    if (sockmap_request_parse(payload, len, &map, &key, why, sizeof(why)) < 0) {
	sm_conn_malformed(c, why);
	return;
    }
    if (log_debug_enabled())
	msg_debug("socketmap request map=%s key=%s peer=%s", map,
		  log_sanitize(safe, sizeof(safe), key, strlen(key)), c->peer);
    s->handler(s->ctx, sm_conn_enqueue(c), map, key);
    free(map);
    free(key);
}

/*
 * sm_conn_input - parse requests from data while c is OPEN and its queue has
 * room; returns the bytes consumed (the rest waits in c->in, or is dropped
 * once c is no longer OPEN).
 */
static size_t sm_conn_input(struct sm_conn *c, const char *data, size_t len)
{
    enum netstring_status st;
    size_t  off = 0, used;

    struct timeval tv = {c->server->limits.request_timeout, 0};

    while (off < len && c->state == SM_CONN_OPEN && c->queued < SM_MAX_PENDING) {
	st = netstring_feed(&c->parser, data + off, len - off, &used);
	off += used;
	if (st == NETSTRING_ERROR) {
	    sm_conn_malformed(c, c->parser.why);
	} else if (st == NETSTRING_DONE) {
	    event_del(c->deadline);
	    sm_conn_touch(c);
	    sm_conn_request(c, c->parser.payload->data, c->parser.payload->len);
	    netstring_parser_reset(&c->parser);
	}
    }
    /* A request begun must end in time, however slowly its bytes come. */
    if (c->state == SM_CONN_OPEN && netstring_parser_busy(&c->parser)) {
	if (!evtimer_pending(c->deadline, NULL))
	    evtimer_add(c->deadline, &tv);
    } else {
	event_del(c->deadline);
    }
    return off;
}

/* sm_conn_resume - parse input held back by a full queue, if it has room */
static void sm_conn_resume(struct sm_conn *c)
{
    if (c->state == SM_CONN_OPEN && c->in->len > 0 && c->queued < SM_MAX_PENDING)
	buf_consume(c->in, sm_conn_input(c, c->in->data, c->in->len));
    if (c->state != SM_CONN_OPEN)
	buf_reset(c->in);
}

/* sm_conn_peer - describe the client: "addr:port", "[v6]:port" or "pid:N" */
static void sm_conn_peer(struct sm_conn *c, const struct sockaddr *sa,
			         socklen_t salen)
{
    char    host[NI_MAXHOST], serv[NI_MAXSERV];
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (sa->sa_family == AF_UNIX
	&& getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
	snprintf(c->peer, sizeof(c->peer), "pid:%ld", (long) cred.pid);
    else if (sa->sa_family != AF_UNIX
	     && getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
			    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
	snprintf(c->peer, sizeof(c->peer), sa->sa_family == AF_INET6 ?
		 "[%s]:%s" : "%s:%s", host, serv);
    else
	snprintf(c->peer, sizeof(c->peer), "unknown");
}

/* sm_conn_new - adopt an accepted socket */
static void sm_conn_new(struct sm_listener *l, int fd,
			        const struct sockaddr *sa, socklen_t salen)
{
    struct sm_server *s = l->server;
    struct sm_conn *c = xcalloc(1, sizeof(*c));
    int     on = 1;

    /* Pipelined small replies must not wait for the client's delayed ACK. */
    if (sa->sa_family != AF_UNIX)
	(void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    c->server = s;
    c->listener = l;
    c->endpoint = l->endpoint;
    c->fd = fd;
    c->state = SM_CONN_OPEN;
    sm_conn_peer(c, sa, salen);
    sm_conn_touch(c);
    c->rev = sm_event_new(s->base, fd, EV_READ | EV_PERSIST, sm_conn_event, c);
    c->wev = sm_event_new(s->base, fd, EV_WRITE | EV_PERSIST, sm_conn_event, c);
    c->timer = sm_event_new(s->base, -1, 0, sm_conn_event, c);
    c->deadline = sm_event_new(s->base, -1, 0, sm_conn_deadline, c);
    netstring_parser_init(&c->parser, SOCKMAP_MAX_REQUEST);
    c->in = buf_alloc(256, SM_READ_SIZE);
    c->next = s->conns;
    if (s->conns)
	s->conns->prev = c;
    s->conns = c;
    s->nclients++;
    l->nclients++;
    sm_conn_update(c);
}

/* sm_conn_close - close c: answered requests freed, unanswered orphaned */
static void sm_conn_close(struct sm_conn *c, const char *why)
{
    struct sm_server *s = c->server;
    struct sm_request *req;

    msg_debug("socketmap connection closed peer=%s endpoint=%s reason=%s "
	      "pending=%d", c->peer, c->endpoint, why, c->queued);
    while ((req = c->head) != NULL) {
	c->head = req->next;
	req->conn = NULL;		/* an orphan, unless answered */
	if (req->reply) {
	    buf_free(req->reply);
	    free(req);
	}
    }
    if (c->prev)
	c->prev->next = c->next;
    else
	s->conns = c->next;
    if (c->next)
	c->next->prev = c->prev;
    s->nclients--;
    c->listener->nclients--;
    event_free(c->rev);
    event_free(c->wev);
    event_free(c->timer);
    event_free(c->deadline);
    (void) close(c->fd);
    netstring_parser_release(&c->parser);
    buf_free(c->in);
    free(c);
}

/* sm_conn_read - readable: parse requests, or drop input while lingering */
static void sm_conn_read(struct sm_conn *c)
{
    char    chunk[SM_READ_SIZE];
    ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);
    size_t  used;

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
	return;
    if (n <= 0) {
	sm_conn_close(c, n == 0 ? "end of input" : strerror(errno));
	return;
    }
    if (c->state == SM_CONN_LINGER)
	return;
    used = sm_conn_input(c, chunk, (size_t) n);
    if (c->state == SM_CONN_OPEN && used < (size_t) n)
	buf_append(c->in, chunk + used, (size_t) n - used);
    sm_conn_update(c);
}

/* sm_conn_write - writable: send answered replies from the queue's head */
static void sm_conn_write(struct sm_conn *c)
{
    struct timeval linger = {SM_LINGER_SECONDS, 0};
    struct iovec iov[SM_IOV_MAX];
    struct msghdr msg = {.msg_iov = iov};
    struct sm_request *req;
    ssize_t n;
    size_t  left, rest;
    int     niov = 0;

    for (req = c->head; req && req->reply && niov < SM_IOV_MAX; req = req->next) {
	iov[niov].iov_base = req->reply->data + req->sent;
	iov[niov].iov_len = req->reply->len - req->sent;
	niov++;
    }
    msg.msg_iovlen = (size_t) niov;
    n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
	return;
    if (n < 0) {
	sm_conn_close(c, strerror(errno));
	return;
    }
    for (left = (size_t) n; left > 0;) {
	req = c->head;
	rest = req->reply->len - req->sent;
	if (left < rest) {
	    req->sent += left;
	    break;
	}
	left -= rest;
	sm_conn_touch(c);
	c->head = req->next;
	if (c->head == NULL)
	    c->tail = NULL;
	c->queued--;
	buf_free(req->reply);
	free(req);
    }
    if (c->state == SM_CONN_FINAL && c->head == NULL) {
	(void) shutdown(c->fd, SHUT_WR);
	c->state = SM_CONN_LINGER;
	event_add(c->timer, &linger);
    }
    sm_conn_resume(c);
    sm_conn_update(c);
}

/* sm_conn_timeout - the client was silent too long */
static void sm_conn_timeout(struct sm_conn *c)
{
    if (c->state == SM_CONN_LINGER)
	sm_conn_close(c, "no end of input after PERM");
    else if (c->head == NULL)
	sm_conn_close(c, "idle");
    else {
	msg_info("socketmap client does not read its replies, closing "
		 "peer=%s endpoint=%s timeout=%d", c->peer, c->endpoint,
		 c->server->limits.idle_timeout);
	sm_conn_close(c, "write timeout");
    }
}

/* sm_conn_deadline - a request not complete in time: the client is gone or
 * hostile; close (what it asked before is answered into the void) */
static void sm_conn_deadline(evutil_socket_t fd, short what, void *ctx)
{
    struct sm_conn *c = ctx;

    (void) fd;
    (void) what;
    msg_info("socketmap request not complete in time, closing peer=%s "
	     "endpoint=%s timeout=%d", c->peer, c->endpoint,
	     c->server->limits.request_timeout);
    sm_conn_close(c, "request timeout");
}

/* sm_conn_event - the one callback of a connection's events */
static void sm_conn_event(evutil_socket_t fd, short what, void *ctx)
{
    struct sm_conn *c = ctx;

    (void) fd;
    /* Each handler may close (free) c: nothing touches c after it. */
    if (what & EV_TIMEOUT)
	sm_conn_timeout(c);
    else if (what & EV_READ)
	sm_conn_read(c);
    else if (what & EV_WRITE)
	sm_conn_write(c);
}

/* sm_server_resume - the rest after EMFILE is over: accept again */
static void sm_server_resume(evutil_socket_t fd, short what, void *ctx)
{
    (void) fd;
    (void) what;
    for (struct sm_listener *l = ((struct sm_server *) ctx)->listeners; l;
	 l = l->next)
	event_add(l->ev, NULL);
}

/* sm_server_starve - accept fails (out of descriptors): rest, log once */
static void sm_server_starve(struct sm_server *s, const char *endpoint)
{
    struct timeval tv = {0, SM_ACCEPT_PAUSE_MS * 1000};

    if (!s->starved)
	msg_warn_sys("cannot accept socketmap connections, pausing for %d ms "
		     "endpoint=%s clients=%d", SM_ACCEPT_PAUSE_MS, endpoint,
		     s->nclients);
    s->starved = true;
    for (struct sm_listener *l = s->listeners; l; l = l->next)
	event_del(l->ev);
    event_add(s->resume, &tv);
}

/* sm_listener_idlest - l's connection idle the longest, NULL if all busy */
static struct sm_conn *sm_listener_idlest(struct sm_listener *l)
{
    struct sm_conn *best = NULL;

    for (struct sm_conn *c = l->server->conns; c; c = c->next)
	if (c->listener == l && c->unanswered == 0 && c->head == NULL
	    && (best == NULL || evutil_timercmp(&c->active, &best->active, <)))
	    best = c;
    return best;
}

/*
 * sm_listener_room - may l take one more connection? At its cap, the
 * longest-idle connection makes room (a client that holds connections open
 * cannot lock the MTA out); only when all are busy is the new one refused.
 * Logged once when l becomes full, and once when it is below its cap again.
 */
static bool sm_listener_room(struct sm_listener *l)
{
    struct sm_server *s = l->server;
    struct sm_conn *victim;

    if (l->nclients < s->limits.max_clients) {
	if (l->full)
	    msg_info("socketmap listener below its limit again endpoint=%s "
		     "evicted=%lu refused=%lu", l->endpoint, l->evicted, l->refused);
	l->full = false;
	l->evicted = l->refused = 0;
	return true;
    }
    if (!l->full)
	msg_warn("socketmap listener full, closing its longest-idle connection "
		 "for each new one max_clients=%d endpoint=%s",
		 s->limits.max_clients, l->endpoint);
    l->full = true;
    if ((victim = sm_listener_idlest(l)) == NULL) {
	l->refused++;
	return false;
    }
    l->evicted++;
    sm_conn_close(victim, "evicted: listener full");
    return true;
}

/* sm_listener_event - accept what is waiting, a batch at a time */
static void sm_listener_event(evutil_socket_t lfd, short what, void *ctx)
{
    struct sm_listener *l = ctx;
    struct sm_server *s = l->server;
    struct sockaddr_storage ss;
    socklen_t salen;
    int     fd;

    (void) what;
    for (int i = 0; i < SM_ACCEPT_BATCH; i++) {
	salen = sizeof(ss);
	if ((fd = accept4(lfd, (struct sockaddr *) &ss, &salen,
			  SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
	    if (errno == EINTR || errno == ECONNABORTED)
		continue;
	    /* All taken: a starvation episode is over. EMFILE, ENFILE,
	     * ENOMEM...: the connection stays queued, so rest, never spin. */
	    if (errno == EAGAIN || errno == EWOULDBLOCK)
		s->starved = false;
	    else
		sm_server_starve(s, l->endpoint);
	    return;
	}
	if (!sm_listener_room(l)) {
	    (void) close(fd);		/* every connection there is busy */
	    continue;
	}
	sm_conn_new(l, fd, (struct sockaddr *) &ss, salen);
    }
}

/* sm_listener_new - a listener for a bound, listening socket */
struct sm_listener *sm_listener_new(struct sm_server *s,
				             const char *endpoint, int fd)
{
    struct sm_listener *l = xcalloc(1, sizeof(*l));

    (void) evutil_make_socket_nonblocking(fd);	/* a valid fd: cannot fail */
    l->server = s;
    l->endpoint = xstrdup(endpoint);
    l->fd = fd;
    l->ev = sm_event_new(s->base, fd, EV_READ | EV_PERSIST, sm_listener_event, l);
    return l;
}

/* sm_listener_free - close l; remove its socket file if still ours */
void sm_listener_free(struct sm_listener *l)
{
    struct stat st;

    event_free(l->ev);
    (void) close(l->fd);
    if (l->path && lstat(l->path, &st) == 0 && st.st_dev == l->st.st_dev
	&& st.st_ino == l->st.st_ino)
	(void) unlink(l->path);
    free(l->path);
    free(l->endpoint);
    free(l);
}

/* sm_server_adopt - start accepting on a list of new listeners */
void sm_server_adopt(struct sm_server *s, struct sm_listener *list)
{
    struct sm_listener *next;

    for (; list; list = next) {
	next = list->next;
	list->next = s->listeners;
	s->listeners = list;
	if (!evtimer_pending(s->resume, NULL))
	    event_add(list->ev, NULL);
    }
}

/* sm_server_new - a server on base, without listeners */
struct sm_server *sm_server_new(struct event_base *base,
				        const struct sm_limits *limits,
				        sm_handler handler, void *ctx)
{
    struct sm_server *s = xcalloc(1, sizeof(*s));

    s->base = base;
    sm_server_set_limits(s, limits);
    s->handler = handler;
    s->ctx = ctx;
    s->resume = sm_event_new(base, -1, 0, sm_server_resume, s);
    return s;
}

/* sm_server_listen - bind and listen on one endpoint */
int     sm_server_listen(struct sm_server *s, const char *endpoint, gid_t gid,
			         char *why, size_t whysz)
{
    if (strncmp(endpoint, "unix:", 5) == 0)
	return sm_listen_unix(s, endpoint, endpoint + 5, gid, why, whysz);
    if (strncmp(endpoint, "inet:", 5) == 0)
	return sm_listen_inet(s, endpoint, endpoint + 5, why, whysz);
    return sm_why(why, whysz, "endpoint must be unix:/path or inet:host:port");
}

/* sm_server_set_limits - take new limits; they apply to new events */
void    sm_server_set_limits(struct sm_server *s, const struct sm_limits *limits)
{
    /* The config table keeps limits in range: others are our bug. */
    if (limits->max_clients < 1 || limits->idle_timeout < 1
	|| limits->request_timeout < 1)
	msg_panic("sm_server_set_limits: max_clients=%d idle_timeout=%d "
		  "request_timeout=%d", limits->max_clients, limits->idle_timeout,
		  limits->request_timeout);
    s->limits = *limits;
}

/* sm_server_clients - open client connections */
int     sm_server_clients(const struct sm_server *s)
{
    return s->nclients;
}

/* sm_server_free - close everything; pending requests become orphans */
struct sm_server *sm_server_free(struct sm_server *s)
{
    struct sm_listener *l;

    if (s == NULL)
	return NULL;
    while (s->conns)
	sm_conn_close(s->conns, "server stopping");
    while ((l = s->listeners) != NULL) {
	s->listeners = l->next;
	sm_listener_free(l);
    }
    event_free(s->resume);
    free(s);
    return NULL;
}
