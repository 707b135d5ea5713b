/*
 * unit-sockmap - socketmap codecs, endpoint parsing, and the blocking client
 * against real servers (a forked child on a unix socket, another on
 * 127.0.0.1 and, when the host has it, ::1).
 *
 * The test server answers by key, so each client behaviour has its own key:
 * "hello" (OK "conn=N req=M": which connection, which request on it),
 * "bye" (the same, then close), "dropnext" (answer, then
 * close at the next request without answering), "drop" (close without
 * answering), "silent" (never answer), "split" (answer one byte at a time),
 * "big", "toobig", "garbage", "badframe", "extra" (answer, then unsolicited
 * bytes); any other key gets NOTFOUND. A request the server cannot parse
 * gets PERM with the reason.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "buf.h"
#include "netstring.h"
#include "sockmap.h"
#include "tap.h"
#include "util.h"

#define S(lit)	lit, sizeof(lit) - 1	/* a literal with its length (NULs ok) */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAP64	"m123456789m123456789m123456789m123456789m123456789m123456789abcd"

/*
 * Codec tables.
 */
static const struct {
    enum sockmap_status st;
    const char *want;
} names[] = {
    {SOCKMAP_OK, "OK"},
    {SOCKMAP_NOTFOUND, "NOTFOUND"},
    {SOCKMAP_TEMP, "TEMP"},
    {SOCKMAP_TIMEOUT, "TIMEOUT"},
    {SOCKMAP_PERM, "PERM"},
    {(enum sockmap_status) 42, "UNKNOWN"},
};

static const struct {
    const char *name;
    enum sockmap_status st;
    const char *text;
    const char *want;
} reply_formats[] = {
    {"format OK", SOCKMAP_OK, "may", "6:OK may,"},
    {"format OK empty", SOCKMAP_OK, NULL, "3:OK ,"},
    {"format NOTFOUND ignores text", SOCKMAP_NOTFOUND, "x", "9:NOTFOUND ,"},
    {"format TEMP", SOCKMAP_TEMP, "dns timeout", "16:TEMP dns timeout,"},
    {"format TIMEOUT", SOCKMAP_TIMEOUT, "slow", "12:TIMEOUT slow,"},
    {"format PERM", SOCKMAP_PERM, "bad key", "12:PERM bad key,"},
};

static const struct {
    const char *name;
    const char *payload;
    size_t  len;
    int     rc;
    enum sockmap_status st;
    const char *text;			/* value on success, else why */
    size_t  textlen;
} reply_parses[] = {
    {"OK with value", S("OK secure match=mx"), 0, SOCKMAP_OK,
    S("secure match=mx")},
    {"OK empty value", S("OK "), 0, SOCKMAP_OK, S("")},
    {"OK value with NUL", S("OK a\0b"), 0, SOCKMAP_OK, S("a\0b")},
    {"NOTFOUND with trailing space", S("NOTFOUND "), 0, SOCKMAP_NOTFOUND,
    S("")},
    {"TEMP with reason", S("TEMP dns timeout"), 0, SOCKMAP_TEMP,
    S("dns timeout")},
    {"TIMEOUT with reason", S("TIMEOUT slow"), 0, SOCKMAP_TIMEOUT, S("slow")},
    {"PERM with reason", S("PERM bad key"), 0, SOCKMAP_PERM, S("bad key")},
    {"NOTFOUND without space", S("NOTFOUND"), -1, 0,
    S("no space after NOTFOUND")},
    {"OK without space", S("OK"), -1, 0, S("no space after OK")},
    {"unknown word", S("MAYBE x"), -1, 0, S("unknown status word \"MAYBE\"")},
    {"lower-case word", S("ok x"), -1, 0, S("unknown status word \"ok\"")},
    {"word with a suffix", S("OKAY x"), -1, 0,
    S("unknown status word \"OKAY\"")},
    {"leading space", S(" OK x"), -1, 0, S("unknown status word \"\"")},
    {"control bytes quoted safely", S("\x01\n x"), -1, 0,
    S("unknown status word \"??\"")},
    {"empty reply", S(""), -1, 0, S("empty reply")},
};

static const struct {
    const char *name;
    const char *payload;
    size_t  len;
    const char *map;			/* NULL: must fail */
    const char *key_or_why;
} requests[] = {
    {"valid", S("tlspolicy example.com"), "tlspolicy", "example.com"},
    {"key with spaces", S("profile a b"), "profile", "a b"},
    {"map with . _ -", S("x.y_z-1 k"), "x.y_z-1", "k"},
    {"map of 64", S(MAP64 " k"), MAP64, "k"},
    {"empty payload", S(""), NULL, "empty map name"},
    {"empty map", S(" example.com"), NULL, "empty map name"},
    {"map with slash", S("tls/policy example.com"), NULL,
    "bad character in map name"},
    {"map with NUL", S("tls\0x example.com"), NULL,
    "bad character in map name"},
    {"map of 65", S(MAP64 "e k"), NULL, "map name longer than 64 characters"},
    {"no space", S("tlspolicy"), NULL, "no space after map name"},
    {"empty key", S("tlspolicy "), NULL, "empty key"},
    {"two spaces", S("tlspolicy  example.com"), NULL,
    "more than one space after map name"},
    {"key with NUL", S("tlspolicy exa\0mple.com"), NULL,
    "key contains a NUL byte"},
    {"key with CR", S("tlspolicy example.com\r"), NULL, "key contains CR or LF"},
    {"key with LF", S("tlspolicy exa\nmple.com"), NULL, "key contains CR or LF"},
};

static const struct {
    const char *endpoint;
    int     timeout_ms;
    const char *why;			/* NULL: accepted */
} endpoints[] = {
    {"unix:/run/destctl/destctld.sock", 1000, NULL},
    {"unix:relative.sock", 1000, NULL},
    {"inet:127.0.0.1:10027", 1000, NULL},
    {"inet:[::1]:10027", 1000, NULL},
    {"inet:localhost:10027", 1000, NULL},
    {"inet:localhost:smtp", 1000, NULL},
    {"unix:", 1000, "empty socket path after unix:"},
    {"unix:/" "0123456789012345678901234567890123456789"
	"0123456789012345678901234567890123456789"
	"012345678901234567890123456789", 1000,
    "socket path longer than 107 bytes"},
    {"inet:127.0.0.1", 1000, "missing ':port' after host"},
    {"inet:[::1]", 1000, "missing ':port' after host"},
    {"inet:[::1]10027", 1000, "missing ':port' after host"},
    {"inet:[::1:10027", 1000, "missing ']' after IPv6 address"},
    {"inet:::1:10027", 1000, "IPv6 address must be written in [brackets]"},
    {"inet::10027", 1000, "empty host"},
    {"inet:[]:10027", 1000, "empty host"},
    {"inet:127.0.0.1:", 1000, "empty port"},
    {"inet:127.0.0.1:0", 1000, "port must be 1 to 65535"},
    {"inet:127.0.0.1:65536", 1000, "port must be 1 to 65535"},
    {"inet:127.0.0.1:000010027", 1000, "port must be 1 to 65535"},
    {"inet:127.0.0.1:10 27", 1000, "port must be a number or a service name"},
    {"tcp:127.0.0.1:10027", 1000,
    "endpoint must be unix:/path or inet:host:port"},
    {"/run/destctl/destctld.sock", 1000,
    "endpoint must be unix:/path or inet:host:port"},
    {"", 1000, "endpoint must be unix:/path or inet:host:port"},
    {"unix:/x", 0, "timeout must be positive, not 0 ms"},
};

/* test_codecs - status names, reply and request codecs */
static void test_codecs(void)
{
    struct netstring_parser p;
    struct buf *out = buf_alloc(64, SOCKMAP_MAX_REPLY);
    struct buf *small = buf_alloc(8, 3);
    enum sockmap_status st;
    char    why[128];
    char   *map;
    char   *key;
    size_t  used;
    int     rc;

    for (size_t i = 0; i < COUNT(names); i++)
	is_string(names[i].want, sockmap_status_name(names[i].st),
		  "status name %s", names[i].want);

    netstring_parser_init(&p, SOCKMAP_MAX_REPLY);
    for (size_t i = 0; i < COUNT(reply_formats); i++) {
	buf_reset(out);
	sockmap_reply_format(out, reply_formats[i].st, reply_formats[i].text);
	is_string(reply_formats[i].want, out->data, "%s", reply_formats[i].name);
	/* Round trip: the netstring parses, the reply gives its status. */
	netstring_parser_reset(&p);
	rc = -1;
	if (netstring_feed(&p, out->data, out->len, &used) == NETSTRING_DONE)
	    rc = sockmap_reply_parse(p.payload->data, p.payload->len, &st, out,
				     why, sizeof(why));
	ok(rc == 0 && st == reply_formats[i].st, "%s: parses back",
	   reply_formats[i].name);
    }
    netstring_parser_release(&p);

    for (size_t i = 0; i < COUNT(reply_parses); i++) {
	why[0] = '\0';
	st = (enum sockmap_status) -1;
	rc = sockmap_reply_parse(reply_parses[i].payload, reply_parses[i].len,
				 &st, out, why, sizeof(why));
	is_int(reply_parses[i].rc, rc, "reply %s: result", reply_parses[i].name);
	if (rc == 0)
	    ok(st == reply_parses[i].st && out->len == reply_parses[i].textlen
	       && memcmp(out->data, reply_parses[i].text, out->len) == 0,
	       "reply %s: status and value", reply_parses[i].name);
	else
	    is_string(reply_parses[i].text, why, "reply %s: reason",
		      reply_parses[i].name);
    }
    rc = sockmap_reply_parse(S("OK toolong"), &st, small, why, sizeof(why));
    ok(rc == -1 && small->len == 0, "reply value past the buffer limit fails");
    is_string("OK text longer than 3 bytes", why, "reply too long: reason");

    for (size_t i = 0; i < COUNT(requests); i++) {
	why[0] = '\0';
	rc = sockmap_request_parse(requests[i].payload, requests[i].len, &map,
				   &key, why, sizeof(why));
	if (requests[i].map) {
	    is_int(0, rc, "request %s: result", requests[i].name);
	    ok(str_eq(map, requests[i].map)
	       && str_eq(key, requests[i].key_or_why),
	       "request %s: map and key", requests[i].name);
	} else {
	    ok(rc == -1 && map == NULL && key == NULL,
	       "request %s: fails, no strings", requests[i].name);
	    is_string(requests[i].key_or_why, why, "request %s: reason",
		      requests[i].name);
	}
	free(map);
	free(key);
    }
    buf_reset(out);
    sockmap_request_format(out, "tlspolicy", "example.com");
    is_string("21:tlspolicy example.com,", out->data, "request format");

    buf_free(out);
    buf_free(small);
}

/* test_endpoints - endpoint syntax */
static void test_endpoints(void)
{
    struct sockmap_client *c;
    char    why[128];

    for (size_t i = 0; i < COUNT(endpoints); i++) {
	strcpy(why, "(no reason)");
	c = sockmap_client_new(endpoints[i].endpoint, endpoints[i].timeout_ms,
			       why, sizeof(why));
	is_string(endpoints[i].why ? endpoints[i].why : "(accepted)",
		  c ? "(accepted)" : why,
		  "endpoint \"%.40s\" with timeout %d", endpoints[i].endpoint,
		  endpoints[i].timeout_ms);
	c = sockmap_client_free(c);
    }
}

/*
 * The test server (runs in a child process; blocking I/O is fine there).
 */

/* srv_write - write all of b, one byte at a time when slow */
static void srv_write(int fd, const char *data, size_t len, int slow)
{
    ssize_t n;

    while (len > 0) {
	n = write(fd, data, slow ? 1 : len);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0)
	    return;
	data += n;
	len -= (size_t) n;
	if (slow)
	    usleep(2000);
    }
}

/* srv_reply - send a formatted reply; returns 0 */
static int srv_reply(int fd, enum sockmap_status st, const char *text, int slow)
{
    struct buf *b = buf_alloc(64, 2 * SOCKMAP_MAX_REPLY);

    sockmap_reply_format(b, st, text);
    srv_write(fd, b->data, b->len, slow);
    buf_free(b);
    return 0;
}

/* srv_big - reply OK with a value making a payload of size bytes */
static void srv_big(int fd, size_t size)
{
    char   *v = xmalloc(size - 3 + 1);

    memset(v, 'v', size - 3);
    v[size - 3] = '\0';
    srv_reply(fd, SOCKMAP_OK, v, 0);
    free(v);
}

/* srv_answer - act on one request; -1 closes the connection */
static int srv_answer(int fd, const char *payload, size_t len, int conn,
		              int req, int *dropnext)
{
    char    why[128];
    char    text[64];
    char   *map;
    char   *key;
    int     rc = 0;

    if (*dropnext)
	return -1;
    if (sockmap_request_parse(payload, len, &map, &key, why, sizeof(why)) < 0)
	return srv_reply(fd, SOCKMAP_PERM, why, 0);
    snprintf(text, sizeof(text), "conn=%d req=%d", conn, req);
    if (strcmp(key, "hello") == 0 || strcmp(key, "bye") == 0)
	srv_reply(fd, SOCKMAP_OK, text, 0);
    else if (strcmp(key, "split") == 0)
	srv_reply(fd, SOCKMAP_TEMP, "split reply", 1);
    else if (strcmp(key, "big") == 0)
	srv_big(fd, SOCKMAP_MAX_REPLY);
    else if (strcmp(key, "toobig") == 0)
	srv_big(fd, SOCKMAP_MAX_REPLY + 1);
    else if (strcmp(key, "garbage") == 0)
	srv_write(fd, S("5:hello,"), 0);
    else if (strcmp(key, "badframe") == 0)
	srv_write(fd, S("6:OK x y;"), 0);
    else if (strcmp(key, "extra") == 0)
	srv_write(fd, S("4:OK x,3:xyz,"), 0);
    else if (strcmp(key, "dropnext") == 0) {
	srv_reply(fd, SOCKMAP_OK, text, 0);
	*dropnext = 1;
    } else if (strcmp(key, "drop") == 0)
	rc = -1;
    else if (strcmp(key, "silent") != 0)
	srv_reply(fd, SOCKMAP_NOTFOUND, NULL, 0);
    if (strcmp(key, "bye") == 0)
	rc = -1;
    free(map);
    free(key);
    return rc;
}

/* srv_serve - answer requests on one connection until it closes */
static void srv_serve(int fd, int conn)
{
    struct netstring_parser p;
    char    chunk[512];
    size_t  off;
    size_t  used;
    ssize_t n;
    int     req = 0;
    int     dropnext = 0;

    netstring_parser_init(&p, SOCKMAP_MAX_REQUEST);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
	for (off = 0; off < (size_t) n; off += used) {
	    switch (netstring_feed(&p, chunk + off, (size_t) n - off, &used)) {
	    case NETSTRING_MORE:
		break;
	    case NETSTRING_ERROR:
		goto out;
	    case NETSTRING_DONE:
		if (srv_answer(fd, p.payload->data, p.payload->len, conn, ++req,
			       &dropnext) < 0)
		    goto out;
		netstring_parser_reset(&p);
		break;
	    }
	}
    }
out:
    netstring_parser_release(&p);
    close(fd);
}

/* srv_start - fork a server on listening socket lfd; returns its pid */
static pid_t srv_start(int lfd)
{
    pid_t   pid;
    int     conn = 0;
    int     fd;

    fflush(stdout);
    if ((pid = fork()) < 0)
	bail("fork: %s", strerror(errno));
    if (pid > 0) {
	close(lfd);
	return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    alarm(60);
    for (;;) {
	if ((fd = accept(lfd, NULL, NULL)) < 0) {
	    if (errno == EINTR)
		continue;
	    _exit(1);
	}
	srv_serve(fd, ++conn);
    }
}

/* srv_stop - end a server child */
static void srv_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

/* listen_on - a listening socket bound to sa, or -1 */
static int listen_on(const struct sockaddr *sa, socklen_t salen)
{
    int     fd = socket(sa->sa_family, SOCK_STREAM, 0);

    if (fd < 0)
	return -1;
    if (bind(fd, sa, salen) < 0 || listen(fd, 16) < 0) {
	close(fd);
	return -1;
    }
    return fd;
}

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* client_for - a client, or bail */
static struct sockmap_client *client_for(const char *endpoint, int timeout_ms)
{
    struct sockmap_client *c;
    char    why[128];

    if ((c = sockmap_client_new(endpoint, timeout_ms, why, sizeof(why))) == NULL)
	bail("client for %s: %s", endpoint, why);
    return c;
}

/* check_query - one query: result, status and value (or reason) */
static void check_query(struct sockmap_client *c, const char *what,
			        const char *key, int want_rc,
			        enum sockmap_status want_st, const char *want)
{
    struct buf *value = buf_alloc(64, SOCKMAP_MAX_REPLY);
    enum sockmap_status st = (enum sockmap_status) -1;
    int     rc = sockmap_client_query(c, "tlspolicy", key, &st, value);

    if (want_rc == 0)
	ok(rc == 0 && st == want_st, "%s (key \"%s\"): %s", what, key,
	   sockmap_status_name(want_st));
    else if (!is_int(-1, rc, "%s (key \"%s\"): fails", what, key))
	diag("status %s", sockmap_status_name(st));
    is_string(want, value->data, "%s (key \"%s\"): %s", what, key,
	      want_rc == 0 ? "value" : "reason");
    buf_free(value);
}

/* test_persistent - the behaviours every transport must show */
static void test_persistent(const char *transport, const char *ep)
{
    static const struct {
	const char *what;
	const char *key;
	const char *want;
    } steps[] = {
	{"first query", "hello", "conn=1 req=1"},
	{"second query, same connection", "hello", "conn=1 req=2"},
	{"server closes after this one", "bye", "conn=1 req=3"},
	{"reconnect after the server closed", "hello", "conn=2 req=1"},
    };
    struct sockmap_client *c = client_for(ep, 2000);
    char    what[128];

    for (size_t i = 0; i < COUNT(steps); i++) {
	snprintf(what, sizeof(what), "%s %s", transport, steps[i].what);
	check_query(c, what, steps[i].key, 0, SOCKMAP_OK, steps[i].want);
    }
    sockmap_client_free(c);
}

#define UNIX_TESTS	49
#define INET_TESTS	18

/* test_unix - the client against a unix-domain server */
static void test_unix(void)
{
    char    dir[] = "/tmp/unit-sockmap.XXXXXX";
    struct sockaddr_un sun;
    struct sockmap_client *c;
    struct buf *ep = buf_alloc(64, 256);
    struct buf *want = buf_alloc(64, 256);
    struct buf *value = buf_alloc(64, SOCKMAP_MAX_REPLY);
    enum sockmap_status st;
    long long start;
    char   *key;
    pid_t   pid;
    int     lfd;
    int     rc;

    if (mkdtemp(dir) == NULL)
	bail("mkdtemp: %s", strerror(errno));
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/map.sock", dir);
    if ((lfd = listen_on((struct sockaddr *) &sun, sizeof(sun))) < 0)
	bail("listen on %s: %s", sun.sun_path, strerror(errno));
    pid = srv_start(lfd);
    buf_printf(ep, "unix:%s", sun.sun_path);

    test_persistent("unix", ep->data);

    c = client_for(ep->data, 2000);
    check_query(c, "NOTFOUND", "missing", 0, SOCKMAP_NOTFOUND, "");
    check_query(c, "bad request gets PERM", " lead", 0, SOCKMAP_PERM,
		"more than one space after map name");
    check_query(c, "reply split across reads", "split",
		0, SOCKMAP_TEMP, "split reply");
    rc = sockmap_client_query(c, "tlspolicy", "big", &st, value);
    ok(rc == 0 && st == SOCKMAP_OK && value->len == SOCKMAP_MAX_REPLY - 3,
       "query big: a reply of the largest size arrives whole");
    key = xmalloc(SOCKMAP_MAX_REQUEST + 1);
    memset(key, 'k', SOCKMAP_MAX_REQUEST);
    key[SOCKMAP_MAX_REQUEST - strlen("tlspolicy ")] = '\0';
    check_query(c, "request of the largest size", key, 0, SOCKMAP_NOTFOUND,
		"");
    key[SOCKMAP_MAX_REQUEST - strlen("tlspolicy ")] = 'k';
    key[SOCKMAP_MAX_REQUEST - strlen("tlspolicy ") + 1] = '\0';
    buf_reset(want);
    buf_printf(want, "request to %s longer than %d bytes", ep->data,
	       SOCKMAP_MAX_REQUEST);
    check_query(c, "request one byte too long", key, -1, 0, want->data);
    /* A failed query always leaves the connection closed. */
    free(key);
    check_query(c, "after the big reply", "hello",
		0, SOCKMAP_OK, "conn=4 req=1");

    /* Server closes at the next request: the client retries once. */
    check_query(c, "server drops the next request", "dropnext",
		0, SOCKMAP_OK, "conn=4 req=2");
    check_query(c, "retried once on a new connection", "hello",
		0, SOCKMAP_OK, "conn=5 req=1");

    /* Bytes after a reply: reply kept, connection dropped, logged. */
    tap_log_clear();
    check_query(c, "bytes after the reply", "extra", 0, SOCKMAP_OK, "x");
    buf_reset(want);
    buf_printf(want, "socketmap server sent data after its reply; closing"
	       " the connection endpoint=%s", ep->data);
    is_string(want->data, tap_log_last(), "query extra: logged");
    check_query(c, "reconnect after dropping", "hello",
		0, SOCKMAP_OK, "conn=6 req=1");

    /* Closed without a reply even on a new connection: one retry, then -1. */
    buf_reset(want);
    buf_printf(want, "%s closed the connection without replying", ep->data);
    check_query(c, "closed without reply, twice", "drop", -1, 0, want->data);

    buf_reset(want);
    buf_printf(want, "malformed reply from %s: unknown status word \"hello\"",
	       ep->data);
    check_query(c, "unknown status word", "garbage", -1, 0, want->data);
    buf_reset(want);
    buf_printf(want, "malformed reply from %s: missing ',' after payload",
	       ep->data);
    check_query(c, "bad netstring", "badframe", -1, 0, want->data);
    buf_reset(want);
    buf_printf(want, "malformed reply from %s: length 100001 exceeds limit"
	       " 100000", ep->data);
    check_query(c, "oversize reply", "toobig", -1, 0, want->data);
    check_query(c, "recovers after failures", "hello",
		0, SOCKMAP_OK, "conn=11 req=1");
    c = sockmap_client_free(c);

    /* A server that never answers. */
    c = client_for(ep->data, 200);
    buf_reset(want);
    buf_printf(want, "timeout waiting for reply from %s (200 ms)", ep->data);
    start = now_ms();
    check_query(c, "server never answers", "silent", -1, 0, want->data);
    start = now_ms() - start;
    ok(start >= 190 && start < 1500, "query silent: gave up after %lld ms",
       start);
    ok(!sockmap_client_unreachable(c), "a timeout on an open connection is not "
       "unreachable");
    check_query(c, "reconnect after timeout", "hello",
		0, SOCKMAP_OK, "conn=13 req=1");
    c = sockmap_client_free(c);

    srv_stop(pid);

    /* Nobody listening. */
    c = client_for(ep->data, 200);
    buf_reset(want);
    buf_printf(want, "cannot connect to %s: Connection refused", ep->data);
    check_query(c, "unix nobody listening", "hello", -1, 0, want->data);
    ok(sockmap_client_unreachable(c), "a refused connection is unreachable");
    unlink(sun.sun_path);
    buf_reset(want);
    buf_printf(want, "cannot connect to %s: No such file or directory",
	       ep->data);
    check_query(c, "no socket file", "hello", -1, 0, want->data);
    c = sockmap_client_free(c);

    if (rmdir(dir) < 0)
	diag("rmdir %s: %s", dir, strerror(errno));
    buf_free(ep);
    buf_free(want);
    buf_free(value);
}

/* test_inet - the client against 127.0.0.1 and ::1 servers */
static void test_inet(void)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockmap_client *c;
    struct buf *ep = buf_alloc(64, 256);
    struct buf *want = buf_alloc(64, 256);
    socklen_t len;
    pid_t   pid;
    int     lfd;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((lfd = listen_on((struct sockaddr *) &sin, sizeof(sin))) < 0)
	bail("listen on 127.0.0.1: %s", strerror(errno));
    len = sizeof(sin);
    if (getsockname(lfd, (struct sockaddr *) &sin, &len) < 0)
	bail("getsockname: %s", strerror(errno));
    pid = srv_start(lfd);
    buf_printf(ep, "inet:127.0.0.1:%d", ntohs(sin.sin_port));
    test_persistent("inet", ep->data);

    /* A name: every address getaddrinfo gives is tried in turn. */
    buf_reset(ep);
    buf_printf(ep, "inet:localhost:%d", ntohs(sin.sin_port));
    c = client_for(ep->data, 2000);
    check_query(c, "host name", "hello", 0, SOCKMAP_OK, "conn=3 req=1");
    c = sockmap_client_free(c);
    srv_stop(pid);

    buf_reset(ep);
    buf_printf(ep, "inet:127.0.0.1:%d", ntohs(sin.sin_port));
    c = client_for(ep->data, 500);
    buf_reset(want);
    buf_printf(want, "cannot connect to %s: Connection refused", ep->data);
    check_query(c, "inet nobody listening", "hello", -1, 0, want->data);
    c = sockmap_client_free(c);

    c = client_for("inet:127.0.0.1:no-such-service", 500);
    buf_reset(want);
    buf_printf(want, "cannot resolve inet:127.0.0.1:no-such-service: %s",
	       gai_strerror(EAI_SERVICE));
    check_query(c, "unknown service", "hello", -1, 0, want->data);
    c = sockmap_client_free(c);

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    if ((lfd = listen_on((struct sockaddr *) &sin6, sizeof(sin6))) < 0) {
	ok(true, "# SKIP no IPv6 loopback");
	ok(true, "# SKIP no IPv6 loopback");
	ok(true, "# SKIP no IPv6 loopback");
	ok(true, "# SKIP no IPv6 loopback");
    } else {
	len = sizeof(sin6);
	if (getsockname(lfd, (struct sockaddr *) &sin6, &len) < 0)
	    bail("getsockname: %s", strerror(errno));
	pid = srv_start(lfd);
	buf_reset(ep);
	buf_printf(ep, "inet:[::1]:%d", ntohs(sin6.sin6_port));
	c = client_for(ep->data, 2000);
	check_query(c, "IPv6 first query", "hello",
		    0, SOCKMAP_OK, "conn=1 req=1");
	check_query(c, "IPv6 same connection", "hello",
		    0, SOCKMAP_OK, "conn=1 req=2");
	c = sockmap_client_free(c);
	srv_stop(pid);
    }
    buf_free(ep);
    buf_free(want);
}

int     main(void)
{
    tap_log_capture();			/* SIGPIPE stays fatal: the client
					 * must not need it ignored */
    plan((int) (COUNT(names) + 2 * COUNT(reply_formats)
		+ 2 * COUNT(reply_parses) + 2 + 2 * COUNT(requests) + 1
		+ COUNT(endpoints))
	 + UNIX_TESTS + INET_TESTS + 2);
    test_codecs();
    test_endpoints();
    test_unix();
    test_inet();
    return exit_status();
}
