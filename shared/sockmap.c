/*
 * sockmap - socketmap request and reply codecs, and a blocking client; see
 * sockmap.h for the contract.
 *
 * The client keeps one connection, opened on first use. A query on a kept
 * connection that the server has closed meanwhile (idle timeout, restart) is
 * retried once on a new connection: lookups have no side effects, so sending
 * a request twice is safe. One deadline, timeout_ms after the query starts,
 * bounds all of it: connect, write and read. Sockets are non-blocking and
 * every wait is a poll() against that deadline.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "netstring.h"
#include "sockmap.h"
#include "util.h"

/* The wire words, one row per status. */
static const struct {
    enum sockmap_status st;
    const char *word;
} sockmap_words[] = {
    {SOCKMAP_OK, "OK"},
    {SOCKMAP_NOTFOUND, "NOTFOUND"},
    {SOCKMAP_TEMP, "TEMP"},
    {SOCKMAP_TIMEOUT, "TIMEOUT"},
    {SOCKMAP_PERM, "PERM"},
};

#define SOCKMAP_WORD_COUNT (sizeof(sockmap_words) / sizeof(sockmap_words[0]))

/* Room for a request netstring: payload, length digits, ':' and ','. */
#define SOCKMAP_MAX_REQUEST_WIRE \
	(SOCKMAP_MAX_REQUEST + NETSTRING_LEN_DIGITS + 2)

/* Peer text quoted in a reason is cut to this size (NUL included). */
#define SOCKMAP_QUOTE_SIZE	32

struct sockmap_client {
    char   *endpoint;			/* as given; every reason names it */
    char   *path;			/* unix: socket path, else NULL */
    char   *host;			/* inet: host, without [] */
    char   *port;			/* inet: port number or service */
    int     timeout_ms;			/* bound on one query */
    int     fd;				/* -1 when not connected */
    bool    unreachable;		/* the last query could not connect */
    struct netstring_parser parser;	/* the reply */
    struct buf *request;		/* the request netstring */
};

/* Outcome of one exchange on an open connection. */
enum sockmap_xchg {
    SOCKMAP_XCHG_DONE,			/* reply netstring in c->parser */
    SOCKMAP_XCHG_FAILED,		/* reason in value */
    SOCKMAP_XCHG_CLOSED,		/* closed before any reply byte */
};

/* sockmap_why - format a reason into why (whysz may be 0) */
static void sockmap_why(char *why, size_t whysz, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

static void sockmap_why(char *why, size_t whysz, const char *fmt,...)
{
    va_list ap;

    if (why == NULL || whysz == 0)
	return;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
}

/* sockmap_word - the wire word for st, or NULL */
static const char *sockmap_word(enum sockmap_status st)
{
    for (size_t i = 0; i < SOCKMAP_WORD_COUNT; i++)
	if (sockmap_words[i].st == st)
	    return sockmap_words[i].word;
    return NULL;
}

/* sockmap_status_name - the wire word, "UNKNOWN" for a bad value */
const char *sockmap_status_name(enum sockmap_status st)
{
    const char *word = sockmap_word(st);

    return word ? word : "UNKNOWN";
}

/* sockmap_map_char - may c appear in a map name? */
static bool sockmap_map_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	|| (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* sockmap_request_parse - split "<map> <key>" */
int     sockmap_request_parse(const char *payload, size_t len,
			              char **map, char **key,
			              char *why, size_t whysz)
{
    const char *k;
    size_t  maplen;
    size_t  klen;

    *map = *key = NULL;
    for (maplen = 0; maplen < len && payload[maplen] != ' '; maplen++) {
	if (maplen == SOCKMAP_MAX_MAPNAME) {
	    sockmap_why(why, whysz, "map name longer than %d characters",
			SOCKMAP_MAX_MAPNAME);
	    return -1;
	}
	if (!sockmap_map_char((unsigned char) payload[maplen])) {
	    sockmap_why(why, whysz, "bad character in map name");
	    return -1;
	}
    }
    if (maplen == 0) {
	sockmap_why(why, whysz, "empty map name");
	return -1;
    }
    if (maplen == len) {
	sockmap_why(why, whysz, "no space after map name");
	return -1;
    }
    k = payload + maplen + 1;
    klen = len - maplen - 1;
    if (klen == 0) {
	sockmap_why(why, whysz, "empty key");
	return -1;
    }
    if (k[0] == ' ') {
	sockmap_why(why, whysz, "more than one space after map name");
	return -1;
    }
    if (memchr(k, '\0', klen) != NULL) {
	sockmap_why(why, whysz, "key contains a NUL byte");
	return -1;
    }
    if (memchr(k, '\r', klen) != NULL || memchr(k, '\n', klen) != NULL) {
	sockmap_why(why, whysz, "key contains CR or LF");
	return -1;
    }
    *map = xstrndup(payload, maplen);
    *key = xstrndup(k, klen);
    return 0;
}

/* sockmap_encode_pair - append the netstring of "<first> <second>" */
static void sockmap_encode_pair(struct buf *out, const char *first,
				        const char *second)
{
    size_t  len = strlen(first) + 1 + strlen(second);
    struct buf *payload = buf_alloc(len, len);

    buf_printf(payload, "%s %s", first, second);
    netstring_encode(out, payload->data, payload->len);
    buf_free(payload);
}

/* sockmap_request_format - append the request netstring */
void    sockmap_request_format(struct buf *out, const char *map,
			               const char *key)
{
    sockmap_encode_pair(out, map, key);
}

/* sockmap_reply_format - append the reply netstring */
void    sockmap_reply_format(struct buf *out, enum sockmap_status st,
			             const char *text)
{
    const char *word = sockmap_word(st);

    if (word == NULL)
	msg_panic("sockmap_reply_format: unknown status %d", (int) st);
    if (st == SOCKMAP_NOTFOUND || text == NULL)
	text = "";
    sockmap_encode_pair(out, word, text);
}

/* sockmap_reply_parse - split "<WORD> <text>" */
int     sockmap_reply_parse(const char *payload, size_t len,
			            enum sockmap_status *st, struct buf *value,
			            char *why, size_t whysz)
{
    char    quoted[SOCKMAP_QUOTE_SIZE];
    const char *space;
    size_t  wordlen;

    buf_reset(value);
    if (len == 0) {
	sockmap_why(why, whysz, "empty reply");
	return -1;
    }
    space = memchr(payload, ' ', len);
    wordlen = space ? (size_t) (space - payload) : len;
    for (size_t i = 0; i < SOCKMAP_WORD_COUNT; i++) {
	const char *word = sockmap_words[i].word;

	if (strlen(word) != wordlen || memcmp(payload, word, wordlen) != 0)
	    continue;
	if (space == NULL) {
	    sockmap_why(why, whysz, "no space after %s", word);
	    return -1;
	}
	buf_append(value, space + 1, len - wordlen - 1);
	if (buf_overflow(value)) {
	    sockmap_why(why, whysz, "%s text longer than %zu bytes",
			word, value->max);
	    buf_reset(value);
	    return -1;
	}
	*st = sockmap_words[i].st;
	return 0;
    }
    sockmap_why(why, whysz, "unknown status word \"%s\"",
		log_sanitize(quoted, sizeof(quoted), payload, wordlen));
    return -1;
}

/* sockmap_port_check - a port number 1..65535 or a service name */
static int sockmap_port_check(const char *port, char *why, size_t whysz)
{
    size_t  len = strlen(port);
    size_t  digits = strspn(port, "0123456789");

    if (len == 0) {
	sockmap_why(why, whysz, "empty port");
	return -1;
    }
    if (digits == len) {
	if (len > 5 || atoi(port) < 1 || atoi(port) > 65535) {
	    sockmap_why(why, whysz, "port must be 1 to 65535");
	    return -1;
	}
	return 0;
    }
    for (const char *cp = port; *cp; cp++) {
	if (!isalnum((unsigned char) *cp) && *cp != '-') {
	    sockmap_why(why, whysz, "port must be a number or a service name");
	    return -1;
	}
    }
    return 0;
}

/* sockmap_parse_inet - split "host:port" or "[host]:port" */
static int sockmap_parse_inet(const char *s, char **hostp, char **portp,
			              char *why, size_t whysz)
{
    const char *host = s;
    const char *port;
    const char *end;
    size_t  hostlen;

    if (*s == '[') {
	host = s + 1;
	if ((end = strchr(host, ']')) == NULL) {
	    sockmap_why(why, whysz, "missing ']' after IPv6 address");
	    return -1;
	}
	hostlen = (size_t) (end - host);
	if (end[1] != ':') {
	    sockmap_why(why, whysz, "missing ':port' after host");
	    return -1;
	}
	port = end + 2;
    } else {
	if ((end = strrchr(s, ':')) == NULL) {
	    sockmap_why(why, whysz, "missing ':port' after host");
	    return -1;
	}
	hostlen = (size_t) (end - host);
	if (memchr(host, ':', hostlen) != NULL) {
	    sockmap_why(why, whysz,
			"IPv6 address must be written in [brackets]");
	    return -1;
	}
	port = end + 1;
    }
    if (hostlen == 0) {
	sockmap_why(why, whysz, "empty host");
	return -1;
    }
    if (sockmap_port_check(port, why, whysz) < 0)
	return -1;
    *hostp = xstrndup(host, hostlen);
    *portp = xstrdup(port);
    return 0;
}

/* sockmap_endpoint_parse - "unix:/path" or "inet:host:port" */
int     sockmap_endpoint_parse(const char *ep, char **path, char **host,
			               char **port, char *why, size_t whysz)
{
    struct sockaddr_un sun;

    *path = *host = *port = NULL;
    if (strncmp(ep, "unix:", 5) == 0) {
	if (ep[5] == '\0') {
	    sockmap_why(why, whysz, "empty socket path after unix:");
	    return -1;
	}
	if (strlen(ep + 5) >= sizeof(sun.sun_path)) {
	    sockmap_why(why, whysz, "socket path longer than %zu bytes",
			sizeof(sun.sun_path) - 1);
	    return -1;
	}
	*path = xstrdup(ep + 5);
	return 0;
    }
    if (strncmp(ep, "inet:", 5) == 0)
	return sockmap_parse_inet(ep + 5, host, port, why, whysz);
    sockmap_why(why, whysz, "endpoint must be unix:/path or inet:host:port");
    return -1;
}

/* sockmap_client_new - a client for endpoint; nothing is opened yet */
struct sockmap_client *sockmap_client_new(const char *endpoint,
				             int timeout_ms, char *why,
				             size_t whysz)
{
    struct sockmap_client *c;

    if (timeout_ms <= 0) {
	sockmap_why(why, whysz, "timeout must be positive, not %d ms",
		    timeout_ms);
	return NULL;
    }
    c = xcalloc(1, sizeof(*c));
    c->fd = -1;
    c->timeout_ms = timeout_ms;
    c->endpoint = xstrdup(endpoint);
    netstring_parser_init(&c->parser, SOCKMAP_MAX_REPLY);
    c->request = buf_alloc(256, SOCKMAP_MAX_REQUEST_WIRE);
    if (sockmap_endpoint_parse(endpoint, &c->path, &c->host, &c->port, why, whysz) < 0)
	c = sockmap_client_free(c);
    return c;
}

/* sockmap_disconnect - close the connection, if any */
static void sockmap_disconnect(struct sockmap_client *c)
{
    if (c->fd >= 0) {
	(void) close(c->fd);
	c->fd = -1;
    }
}

/* sockmap_client_free - close and free */
struct sockmap_client *sockmap_client_free(struct sockmap_client *c)
{
    if (c == NULL)
	return NULL;
    sockmap_disconnect(c);
    netstring_parser_release(&c->parser);
    buf_free(c->request);
    free(c->endpoint);
    free(c->path);
    free(c->host);
    free(c->port);
    free(c);
    return NULL;
}

/* sockmap_fail - close, put the reason in value, return -1 */
static int sockmap_fail(struct sockmap_client *c, struct buf *value,
			        const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

static int sockmap_fail(struct sockmap_client *c, struct buf *value,
			        const char *fmt,...)
{
    va_list ap;

    sockmap_disconnect(c);
    buf_reset(value);
    va_start(ap, fmt);
    buf_vprintf(value, fmt, ap);
    va_end(ap);
    return -1;
}

/* sockmap_now_ms - monotonic time in milliseconds */
static long long sockmap_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
	msg_fatal_sys("clock_gettime(CLOCK_MONOTONIC)");
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sockmap_wait - poll fd for events until deadline; -1 (ETIMEDOUT) when late */
static int sockmap_wait(int fd, short events, long long deadline)
{
    struct pollfd pfd;
    long long left;
    int     n;

    for (;;) {
	if ((left = deadline - sockmap_now_ms()) <= 0) {
	    errno = ETIMEDOUT;
	    return -1;
	}
	pfd.fd = fd;
	pfd.events = events;
	pfd.revents = 0;
	n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int) left);
	if (n > 0)			/* errors show in the next I/O */
	    return 0;
	if (n < 0 && errno != EINTR)
	    return -1;
    }
}

/* sockmap_connect_addr - a connected non-blocking socket, or -1 and errno */
static int sockmap_connect_addr(const struct sockaddr *sa, socklen_t salen,
				        long long deadline)
{
    socklen_t errlen = sizeof(int);
    int     err = 0;
    int     fd;

    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
	return -1;
    if (connect(fd, sa, salen) == 0)
	return fd;
    if (errno != EINPROGRESS && errno != EINTR)
	goto fail;
    if (sockmap_wait(fd, POLLOUT, deadline) < 0)
	goto fail;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
	goto fail;
    if (err == 0)
	return fd;
    errno = err;

fail:
    err = errno;
    (void) close(fd);
    errno = err;
    return -1;
}

/* sockmap_connect - open c->fd; -1 with the reason in value */
static int sockmap_connect(struct sockmap_client *c, long long deadline,
			           struct buf *value)
{
    struct addrinfo hints;
    struct addrinfo *res;
    struct sockaddr_un sun;
    int     err;

    if (c->path) {
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* The length was checked against sun_path when c was made. */
	memcpy(sun.sun_path, c->path, strlen(c->path));
	c->fd = sockmap_connect_addr((struct sockaddr *) &sun, sizeof(sun),
				     deadline);
    } else {
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((err = getaddrinfo(c->host, c->port, &hints, &res)) != 0) {
	    c->unreachable = true;
	    return sockmap_fail(c, value, "cannot resolve %s: %s", c->endpoint,
				err == EAI_SYSTEM ? strerror(errno)
				: gai_strerror(err));
	}
	errno = EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next) {
	    c->fd = sockmap_connect_addr(ai->ai_addr, ai->ai_addrlen, deadline);
	    if (c->fd < 0 && errno == ETIMEDOUT)
		break;
	}
	err = errno;
	freeaddrinfo(res);
	errno = err;
    }
    if (c->fd >= 0)
	return 0;
    c->unreachable = true;
    if (errno == ETIMEDOUT)
	return sockmap_fail(c, value, "timeout connecting to %s (%d ms)",
			    c->endpoint, c->timeout_ms);
    return sockmap_fail(c, value, "cannot connect to %s: %s", c->endpoint,
			strerror(errno));
}

/* sockmap_send - write all len bytes; -1 and errno on failure */
static int sockmap_send(int fd, const char *data, size_t len,
			        long long deadline)
{
    ssize_t n;

    while (len > 0) {
	if ((n = send(fd, data, len, MSG_NOSIGNAL)) > 0) {
	    data += n;
	    len -= (size_t) n;
	    continue;
	}
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
	    return -1;
	if (sockmap_wait(fd, POLLOUT, deadline) < 0)
	    return -1;
    }
    return 0;
}

/* sockmap_exchange - send c->request and read one reply netstring */
static enum sockmap_xchg sockmap_exchange(struct sockmap_client *c,
				             long long deadline,
				             struct buf *value)
{
    char    chunk[4096];
    bool    seen = false;
    size_t  used;
    ssize_t n;

    if (sockmap_send(c->fd, c->request->data, c->request->len, deadline) < 0) {
	if (errno == EPIPE || errno == ECONNRESET)
	    return SOCKMAP_XCHG_CLOSED;
	if (errno == ETIMEDOUT)
	    sockmap_fail(c, value, "timeout sending request to %s (%d ms)",
			 c->endpoint, c->timeout_ms);
	else
	    sockmap_fail(c, value, "cannot send request to %s: %s",
			 c->endpoint, strerror(errno));
	return SOCKMAP_XCHG_FAILED;
    }
    netstring_parser_reset(&c->parser);
    for (;;) {
	if ((n = recv(c->fd, chunk, sizeof(chunk), 0)) < 0) {
	    if (errno == EINTR)
		continue;
	    if (errno == EAGAIN || errno == EWOULDBLOCK) {
		if (sockmap_wait(c->fd, POLLIN, deadline) == 0)
		    continue;
		if (errno == ETIMEDOUT) {
		    sockmap_fail(c, value, "timeout waiting for reply from %s"
				 " (%d ms)", c->endpoint, c->timeout_ms);
		    return SOCKMAP_XCHG_FAILED;
		}
	    }
	    if (errno == ECONNRESET && !seen)
		return SOCKMAP_XCHG_CLOSED;
	    sockmap_fail(c, value, "cannot read reply from %s: %s",
			 c->endpoint, strerror(errno));
	    return SOCKMAP_XCHG_FAILED;
	}
	if (n == 0) {
	    if (!seen)
		return SOCKMAP_XCHG_CLOSED;
	    sockmap_fail(c, value, "%s closed the connection in mid-reply",
			 c->endpoint);
	    return SOCKMAP_XCHG_FAILED;
	}
	seen = true;
	switch (netstring_feed(&c->parser, chunk, (size_t) n, &used)) {
	case NETSTRING_MORE:
	    continue;
	case NETSTRING_ERROR:
	    sockmap_fail(c, value, "malformed reply from %s: %s",
			 c->endpoint, c->parser.why);
	    return SOCKMAP_XCHG_FAILED;
	case NETSTRING_DONE:
	    if (used < (size_t) n) {
		msg_warn("socketmap server sent data after its reply;"
			 " closing the connection endpoint=%s", c->endpoint);
		sockmap_disconnect(c);
	    }
	    return SOCKMAP_XCHG_DONE;
	}
    }
}

/* sockmap_idle_closed - has a kept connection become readable (EOF, reset)? */
static bool sockmap_idle_closed(int fd)
{
    struct pollfd pfd;

    pfd.fd = fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) > 0;	/* idle: nothing may be pending */
}

/* sockmap_client_query - ask map for key */
int     sockmap_client_query(struct sockmap_client *c, const char *map,
			             const char *key, enum sockmap_status *st,
			             struct buf *value)
{
    long long deadline = sockmap_now_ms() + c->timeout_ms;
    char    why[128];
    enum sockmap_xchg x;
    bool    fresh;

    c->unreachable = false;

    if (strlen(map) + 1 + strlen(key) > SOCKMAP_MAX_REQUEST)
	return sockmap_fail(c, value, "request to %s longer than %d bytes",
			    c->endpoint, SOCKMAP_MAX_REQUEST);
    buf_reset(c->request);
    sockmap_request_format(c->request, map, key);
    if (buf_overflow(c->request))
	msg_panic("sockmap_client_query: request buffer too small");
    if (c->fd >= 0 && sockmap_idle_closed(c->fd))
	sockmap_disconnect(c);

    /* At most two rounds: a kept connection found closed, then a new one. */
    for (;;) {
	fresh = c->fd < 0;
	if (fresh && sockmap_connect(c, deadline, value) < 0)
	    return -1;
	if ((x = sockmap_exchange(c, deadline, value)) != SOCKMAP_XCHG_CLOSED)
	    break;
	if (fresh)
	    return sockmap_fail(c, value, "%s closed the connection without"
				" replying", c->endpoint);
	sockmap_disconnect(c);
    }
    if (x == SOCKMAP_XCHG_FAILED)
	return -1;
    if (sockmap_reply_parse(c->parser.payload->data, c->parser.payload->len,
			    st, value, why, sizeof(why)) < 0)
	return sockmap_fail(c, value, "malformed reply from %s: %s",
			    c->endpoint, why);
    return 0;
}

/* sockmap_client_unreachable - the last query failed to connect */
bool    sockmap_client_unreachable(const struct sockmap_client *c)
{
    return c->unreachable;
}
