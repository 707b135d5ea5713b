/*
 * unit-server - the socketmap server, in this process on an event_base,
 * listening on a unix socket (in a temp dir) and on 127.0.0.1 (and ::1 when
 * the host has it), driven by blocking clients in forked children.
 *
 * The parent runs the loop while a child talks to the server; the child
 * writes a transcript (one line per reply: the payload, a long one cut to
 * "first 16 bytes...(len N)"; "EOF" when the server closed; "TIMEOUT";
 * "RESET") to a pipe, and the parent compares it exactly.
 *
 * The test handler answers by map: "echo" OK <key> at once; "nf" NOTFOUND;
 * "big" OK with a payload of <key> bytes; "later" OK <key> after <key> ms
 * (so replies complete out of order); any other TEMP.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "buf.h"
#include "log.h"
#include "netstring.h"
#include "server.h"
#include "sockmap.h"
#include "tap.h"
#include "util.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define READ_MS	5000			/* a client waits this long for a reply */
#define MANY	1000			/* concurrent connections, flood size */
#define MANY_FILES 2100			/* descriptors MANY needs in a process */

static struct event_base *base;
static struct sm_server *server;
static char dir[64];			/* temp dir for unix sockets */
static char unix_ep[100];		/* "unix:<dir>/agent.sock" */
static char inet_ep[64];		/* "inet:127.0.0.1:<port>" */
static struct buf *logs;		/* captured log lines, '\n' after each */

/*
 * The test handler.
 */
static int jobs_live;			/* "later" answers still to come */
static int jobs_peak;			/* most of them at once */
static int clients_peak;		/* most clients seen by the handler */

struct job {
    struct sm_request *req;
    struct event *ev;
    char   *text;
};

/* job_fire - answer a "later" request */
static void job_fire(evutil_socket_t fd, short what, void *ctx)
{
    struct job *j = ctx;

    (void) fd;
    (void) what;
    sm_reply(j->req, SOCKMAP_OK, j->text);
    event_free(j->ev);
    free(j->text);
    free(j);
    jobs_live--;
}

/* handler - answer by map name */
static void handler(void *ctx, struct sm_request *req, const char *map,
		            const char *key)
{
    struct job *j;
    struct timeval tv;
    long    n = atol(key);
    char   *v;

    (void) ctx;
    if (server && sm_server_clients(server) > clients_peak)
	clients_peak = sm_server_clients(server);
    if (strcmp(map, "echo") == 0) {
	sm_reply(req, SOCKMAP_OK, key);
    } else if (strcmp(map, "nf") == 0) {
	sm_reply(req, SOCKMAP_NOTFOUND, "ignored");
    } else if (strcmp(map, "big") == 0 && n > 3) {
	v = xmalloc((size_t) n - 2);
	memset(v, 'v', (size_t) n - 3);
	v[n - 3] = '\0';
	sm_reply(req, SOCKMAP_OK, v);
	free(v);
    } else if (strcmp(map, "later") == 0) {
	j = xcalloc(1, sizeof(*j));
	j->req = req;
	j->text = xstrdup(key);
	j->ev = evtimer_new(base, job_fire, j);
	tv.tv_sec = n / 1000;
	tv.tv_usec = (n % 1000) * 1000;
	evtimer_add(j->ev, &tv);
	if (++jobs_live > jobs_peak)
	    jobs_peak = jobs_live;
    } else {
	sm_reply(req, SOCKMAP_TEMP, "no such map");
    }
}

/*
 * Captured log lines.
 */

/* log_hook - keep every line */
static void log_hook(int priority, const char *line, void *ctx)
{
    (void) priority;
    (void) ctx;
    buf_puts(logs, line);
    buf_putc(logs, '\n');
}

/* log_count - lines that start with prefix */
static int log_count(const char *prefix)
{
    int     n = 0;

    for (const char *cp = logs->data; *cp; cp = strchr(cp, '\n') + 1)
	if (strncmp(cp, prefix, strlen(prefix)) == 0)
	    n++;
    return n;
}

/* log_find - the first line starting with prefix ("" when none), in out */
static const char *log_find(const char *prefix, char *out, size_t outsz)
{
    const char *cp;
    size_t  len;

    out[0] = '\0';
    for (cp = logs->data; *cp; cp = strchr(cp, '\n') + 1) {
	if (strncmp(cp, prefix, strlen(prefix)) == 0) {
	    len = (size_t) (strchr(cp, '\n') - cp);
	    snprintf(out, outsz, "%.*s", (int) len, cp);
	    break;
	}
    }
    return out;
}

/*
 * Clients (they run in a child process: blocking I/O is fine there).
 */
struct cl {
    int     fd;
    struct netstring_parser p;
    char    in[4096];
    size_t  off;
    size_t  len;
};

/* cl_open - connect to endpoint; NULL on failure */
static struct cl *cl_open(const char *ep)
{
    struct sockaddr_un sun;
    struct addrinfo hints;
    struct addrinfo *res;
    char    host[64];
    const char *port;
    struct cl *c;
    int     fd = -1;

    if (strncmp(ep, "unix:", 5) == 0) {
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ep + 5);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0)
	    fd = (close(fd), -1);
    } else {
	port = strrchr(ep, ':') + 1;
	snprintf(host, sizeof(host), "%.*s", (int) (port - 1 - (ep + 5)), ep + 5);
	if (host[0] == '[')
	    snprintf(host, sizeof(host), "%.*s", (int) strlen(host) - 2,
		     ep + 6);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
	    return NULL;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0)
	    fd = (close(fd), -1);
	freeaddrinfo(res);
    }
    if (fd < 0)
	return NULL;
    c = xcalloc(1, sizeof(*c));
    c->fd = fd;
    netstring_parser_init(&c->p, SOCKMAP_MAX_REPLY);
    return c;
}

/* cl_must - cl_open, or end the child with the reason as its transcript */
static struct cl *cl_must(const char *ep)
{
    struct cl *c = cl_open(ep);

    if (c == NULL) {
	dprintf(3, "cannot connect to %s: %s\n", ep, strerror(errno));
	_exit(1);
    }
    return c;
}

/* cl_close - close and free */
static void cl_close(struct cl *c)
{
    if (c == NULL)
	return;
    close(c->fd);
    netstring_parser_release(&c->p);
    free(c);
}

/* cl_send - write all of data, one byte per write when bytewise */
static void cl_send(struct cl *c, const char *data, size_t len, int bytewise)
{
    ssize_t n;

    while (len > 0) {
	if ((n = write(c->fd, data, bytewise ? 1 : len)) <= 0)
	    return;
	data += n;
	len -= (size_t) n;
	if (bytewise)
	    usleep(1000);
    }
}

/* cl_ask - send the netstring of one request payload */
static void cl_ask(struct cl *c, const char *payload)
{
    struct buf *b = buf_alloc(64, 2 * SOCKMAP_MAX_REQUEST);

    netstring_encode(b, payload, strlen(payload));
    cl_send(c, b->data, b->len, 0);
    buf_free(b);
}

/* cl_read - read one reply (or EOF...) and append its transcript line */
static void cl_read(struct cl *c, struct buf *out, int timeout_ms)
{
    struct pollfd pfd = {c->fd, POLLIN, 0};
    size_t  used;
    ssize_t n;

    for (;;) {
	if (c->off < c->len) {
	    switch (netstring_feed(&c->p, c->in + c->off, c->len - c->off, &used)) {
	    case NETSTRING_MORE:
		c->off += used;
		continue;
	    case NETSTRING_ERROR:
		buf_printf(out, "BAD %s\n", c->p.why);
		c->off = c->len;
		return;
	    case NETSTRING_DONE:
		c->off += used;
		if (c->p.payload->len > 64)
		    buf_printf(out, "%.16s...(len %zu)\n", c->p.payload->data,
			       c->p.payload->len);
		else
		    buf_printf(out, "%s\n", c->p.payload->data);
		netstring_parser_reset(&c->p);
		return;
	    }
	}
	if (poll(&pfd, 1, timeout_ms) == 0) {
	    buf_puts(out, "TIMEOUT\n");
	    return;
	}
	n = read(c->fd, c->in, sizeof(c->in));
	if (n <= 0) {
	    buf_puts(out, n == 0 ? "EOF\n" : "RESET\n");
	    return;
	}
	c->off = 0;
	c->len = (size_t) n;
    }
}

/*
 * Running a client child while the loop serves it.
 */
typedef void (*client_fn) (struct buf *out, const void *arg);

/* child_pipe - collect the child's transcript; stop the loop at its end */
static void child_pipe(evutil_socket_t fd, short what, void *ctx)
{
    char    chunk[4096];
    ssize_t n;

    (void) what;
    if ((n = read(fd, chunk, sizeof(chunk))) > 0)
	buf_append((struct buf *) ctx, chunk, (size_t) n);
    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
	event_base_loopbreak(base);
}

/* child_guard - a child that never ends is a broken test */
static void child_guard(evutil_socket_t fd, short what, void *ctx)
{
    (void) fd;
    (void) what;
    (void) ctx;
    bail("a client child ran for more than 60 s");
}

/*
 * run_client - fork a child running fn(out, arg), serve it until it ends;
 * its transcript lands in out (reset first). setup, when set, runs in the
 * parent before the loop. Returns the child's pid.
 */
static pid_t run_client(client_fn fn, const void *arg, struct buf *out,
			        void (*setup) (void))
{
    struct timeval tv = {60, 0};
    struct event *pe;
    struct event *guard;
    struct buf *b;
    pid_t   pid;
    int     p[2];

    buf_reset(out);
    if (pipe(p) < 0)
	bail("pipe: %s", strerror(errno));
    fflush(stdout);
    if ((pid = fork()) < 0)
	bail("fork: %s", strerror(errno));
    if (pid == 0) {
	/* Hold no server descriptor: closes must reach the clients. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	if (p[1] != 3) {
	    dup2(p[1], 3);
	    close(p[1]);
	}
	close_range(4, ~0U, 0);
	b = buf_alloc(256, 1 << 20);
	fn(b, arg);
	for (size_t off = 0; off < b->len;) {
	    ssize_t n = write(3, b->data + off, b->len - off);

	    if (n <= 0)
		break;
	    off += (size_t) n;
	}
	_exit(0);
    }
    close(p[1]);
    evutil_make_socket_nonblocking(p[0]);
    pe = event_new(base, p[0], EV_READ | EV_PERSIST, child_pipe, out);
    guard = evtimer_new(base, child_guard, NULL);
    event_add(pe, NULL);
    evtimer_add(guard, &tv);
    if (setup)
	setup();
    event_base_dispatch(base);
    event_free(pe);
    event_free(guard);
    close(p[0]);
    waitpid(pid, NULL, 0);
    return pid;
}

/* spin - run the loop for ms milliseconds */
static void spin(int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

/* settle - let the server see the clients' ends; none may be left */
static void settle(const char *what)
{
    spin(50);
    is_int(0, sm_server_clients(server), "%s: no client left", what);
}

/*
 * Exchanges: one connection, a script, an exact transcript.
 */
static const struct exchange {
    const char *name;
    const char *reqs;			/* payloads sent as netstrings, '|'-separated */
    size_t  pad;			/* 'k's added to the last payload */
    const char *raw;			/* then these bytes, as they are */
    int     bytewise;			/* one byte per write */
    int     nread;			/* replies (and EOF) to read */
    const char *want;
} exchanges[] = {
    {"single request", "echo hello", 0, "", 0, 1, "OK hello\n"},
    {"NOTFOUND", "nf x", 0, "", 0, 1, "NOTFOUND \n"},
    {"pipelined in one write, first answered last",
	"later 300 a|echo b|nf c|later 100 d", 0, "", 0, 4,
    "OK 300 a\nOK b\nNOTFOUND \nOK 100 d\n"},
    {"requests split byte by byte", "later 10 x|echo split", 0, "", 1, 2,
    "OK 10 x\nOK split\n"},
    {"largest request", "echo ", 9995, "", 0, 1,
    "OK kkkkkkkkkkkkk...(len 9998)\n"},
    {"largest reply", "big 100000", 0, "", 0, 1,
    "OK vvvvvvvvvvvvv...(len 100000)\n"},
    {"reply over the limit becomes TEMP", "big 100001", 0, "", 0, 1,
    "TEMP reply too large\n"},
    {"bad length", "echo a", 0, "x:abc,", 0, 3,
    "OK a\nPERM bad length prefix\nEOF\n"},
    {"leading zero", "", 0, "01:x,", 0, 2,
    "PERM length has a leading zero\nEOF\n"},
    {"missing colon", "", 0, "6;echo a,", 0, 2,
    "PERM missing ':' after length\nEOF\n"},
    {"missing comma", "", 0, "6:echo a;", 0, 2,
    "PERM missing ',' after payload\nEOF\n"},
    {"empty map name", "", 0, "2: a,", 0, 2, "PERM empty map name\nEOF\n"},
    {"no space", "echo", 0, "", 0, 2, "PERM no space after map name\nEOF\n"},
    {"bad map name", "e/cho x", 0, "", 0, 2,
    "PERM bad character in map name\nEOF\n"},
    {"request over the limit", "echo ", 9996, "", 0, 2,
    "PERM length 10001 exceeds limit 10000\nEOF\n"},
    {"huge length", "", 0, "999999999:", 0, 2,
    "PERM length 99999 exceeds limit 10000\nEOF\n"},
    {"earlier replies first, then PERM", "later 200 a|echo b", 0, "x", 0, 4,
    "OK 200 a\nOK b\nPERM bad length prefix\nEOF\n"},
    {"nothing after a PERM is answered", "", 0, "1:x,10:echo after,", 0, 2,
    "PERM no space after map name\nEOF\n"},
};


/* A client's arguments: what to run, where. */
struct xarg {
    const struct exchange *x;
    const char *ep;
};

/* exchange_client - run one exchange row */
static void exchange_client(struct buf *out, const void *arg)
{
    const struct xarg *a = arg;
    const struct exchange *x = a->x;
    struct buf *wire = buf_alloc(256, 4 * SOCKMAP_MAX_REQUEST);
    struct buf *one = buf_alloc(64, 2 * SOCKMAP_MAX_REQUEST);
    const char *cp = x->reqs;
    const char *bar;
    struct cl *c;

    while (*cp) {
	bar = strchr(cp, '|');
	buf_reset(one);
	buf_append(one, cp, bar ? (size_t) (bar - cp) : strlen(cp));
	if (bar == NULL)
	    for (size_t i = 0; i < x->pad; i++)
		buf_putc(one, 'k');
	netstring_encode(wire, one->data, one->len);
	cp = bar ? bar + 1 : cp + strlen(cp);
    }
    buf_puts(wire, x->raw);
    c = cl_must(a->ep);
    cl_send(c, wire->data, wire->len, x->bytewise);
    for (int i = 0; i < x->nread; i++)
	cl_read(c, out, READ_MS);
    cl_close(c);
    buf_free(wire);
    buf_free(one);
}

/* exchange - run row x against ep; returns the child's pid */
static pid_t exchange(const struct exchange *x, const char *ep, struct buf *out)
{
    struct xarg a = {x, ep};

    return run_client(exchange_client, &a, out, NULL);
}

/* test_exchanges - every row on one endpoint; the PERM log lines on unix */
static void test_exchanges(const char *transport, const char *ep)
{
    struct buf *out = buf_alloc(256, 1 << 20);
    char    want[512];
    char    seen[512];
    const char *perm;
    pid_t   pid;

    for (size_t i = 0; i < COUNT(exchanges); i++) {
	buf_reset(logs);
	pid = exchange(&exchanges[i], ep, out);
	is_string(exchanges[i].want, out->data, "%s: %s", transport,
		  exchanges[i].name);
	if (strcmp(transport, "unix") != 0)
	    continue;
	if ((perm = strstr(exchanges[i].want, "PERM ")) != NULL) {
	    snprintf(want, sizeof(want), "socketmap request malformed, "
		     "answering PERM and closing peer=pid:%ld endpoint=%s "
		     "reason=%.*s", (long) pid, ep,
		     (int) strcspn(perm + 5, "\n"), perm + 5);
	    is_string(want, log_find("socketmap request malformed", seen,
				     sizeof(seen)), "%s: %s: log line",
		      transport, exchanges[i].name);
	}
	if (strstr(exchanges[i].want, "reply too large") != NULL) {
	    snprintf(want, sizeof(want), "socketmap reply longer than 100000 "
		     "bytes, answering TEMP status=OK peer=pid:%ld", (long) pid);
	    is_string(want, log_find("socketmap reply longer", seen,
				     sizeof(seen)), "%s: %s: log line",
		      transport, exchanges[i].name);
	}
    }
    settle(transport);
    buf_free(out);
}

/* Tests on exchanges with a log line: PERM rows and the TEMP row. */
static int exchange_log_tests(void)
{
    int     n = 0;

    for (size_t i = 0; i < COUNT(exchanges); i++)
	n += strstr(exchanges[i].want, "PERM ") != NULL
	    || strstr(exchanges[i].want, "reply too large") != NULL;
    return n;
}

/*
 * Listening.
 */
static const struct {
    const char *ep;
    const char *why;
} listen_errors[] = {
    {"tcp:127.0.0.1:10027", "endpoint must be unix:/path or inet:host:port"},
    {"/run/x.sock", "endpoint must be unix:/path or inet:host:port"},
    {"unix:", "empty socket path after unix:"},
    {"unix:/" "0123456789012345678901234567890123456789"
	"0123456789012345678901234567890123456789"
	"012345678901234567890123456789", "socket path longer than 107 bytes"},
    {"unix:/nonexistent-dir/agent.sock",
    "cannot bind /nonexistent-dir/agent.sock: No such file or directory"},
    {"inet:127.0.0.1", "missing ':port' after host"},
    {"inet:[::1]10027", "missing ':port' after host"},
    {"inet:[::1:10027", "missing ']' after IPv6 address"},
    {"inet:::1:10027", "IPv6 address must be written in [brackets]"},
    {"inet::10027", "empty host"},
    {"inet:127.0.0.1:", "empty port"},
    {"inet:127.0.0.1:0", "port must be 1 to 65535"},
    {"inet:127.0.0.1:65536", "port must be 1 to 65535"},
    {"inet:127.0.0.1:10 27", "port must be a number or a service name"},
    {"inet:192.0.2.1:10027",
    "cannot listen on 192.0.2.1 port 10027: Cannot assign requested address"},
};

/* test_listen_errors - endpoints refused, with their reasons */
static void test_listen_errors(void)
{
    struct sm_limits lim = {10, 10};
    struct sm_server *s = sm_server_new(base, &lim, handler, NULL);
    char    ep[256];
    char    want[256];
    char    why[256];
    char    path[128];
    struct stat st;
    FILE   *fp;
    int     rc;

    for (size_t i = 0; i < COUNT(listen_errors); i++) {
	strcpy(why, "(accepted)");
	rc = sm_server_listen(s, listen_errors[i].ep, (gid_t) -1, why,
			      sizeof(why));
	is_string(listen_errors[i].why, rc < 0 ? why : "(accepted)",
		  "listen on \"%.40s\" refused", listen_errors[i].ep);
    }
    snprintf(path, sizeof(path), "%s/plain-file", dir);
    if ((fp = fopen(path, "w")) == NULL)
	bail("create %s: %s", path, strerror(errno));
    fclose(fp);
    snprintf(ep, sizeof(ep), "unix:%s", path);
    snprintf(want, sizeof(want), "%s exists and is not a socket", path);
    rc = sm_server_listen(s, ep, (gid_t) -1, why, sizeof(why));
    is_string(want, rc < 0 ? why : "(accepted)", "a file that is no socket "
	      "is kept");
    unlink(path);
    snprintf(want, sizeof(want), "%s is in use by a running server",
	     unix_ep + 5);
    rc = sm_server_listen(s, unix_ep, (gid_t) -1, why, sizeof(why));
    is_string(want, rc < 0 ? why : "(accepted)", "a live socket is kept");
    snprintf(want, sizeof(want), "cannot listen on 127.0.0.1 port %s: "
	     "Address already in use", strrchr(inet_ep, ':') + 1);
    rc = sm_server_listen(s, inet_ep, (gid_t) -1, why, sizeof(why));
    is_string(want, rc < 0 ? why : "(accepted)", "a port in use is refused");
    snprintf(path, sizeof(path), "%s/private.sock", dir);
    snprintf(ep, sizeof(ep), "unix:%s", path);
    rc = sm_server_listen(s, ep, (gid_t) -1, why, sizeof(why));
    is_int(0600, rc == 0 && stat(path, &st) == 0 ? (long) (st.st_mode & 07777)
	   : -1, "without a group a unix socket is mode 0600");
    sm_server_free(s);
    ok(access(path, F_OK) < 0 && errno == ENOENT, "sm_server_free removes "
       "the socket file");
    spin(20);				/* the probe of the live socket */
}

/* make_stale - leave a socket file nobody listens on at path */
static void make_stale(const char *path)
{
    struct sockaddr_un sun;
    int     fd = socket(AF_UNIX, SOCK_STREAM, 0);

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0)
	bail("stale socket %s: %s", path, strerror(errno));
    close(fd);
}

/* free_port - a TCP port on 127.0.0.1 free a moment ago */
static int free_port(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int     fd = socket(AF_INET, SOCK_STREAM, 0);
    int     port;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0
	|| getsockname(fd, (struct sockaddr *) &sin, &len) < 0)
	bail("probe port: %s", strerror(errno));
    port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

/* test_setup_listen - the server's unix socket (over a stale file), inet port */
static void test_setup_listen(void)
{
    struct stat st;
    char    why[256];
    gid_t   gid = geteuid() == 0 ? 4242 : getegid();
    int     rc = -1;

    make_stale(unix_ep + 5);
    rc = sm_server_listen(server, unix_ep, gid, why, sizeof(why));
    if (!is_int(0, rc, "listen on a unix socket over a stale socket file"))
	bail("listen %s: %s", unix_ep, why);
    if (lstat(unix_ep + 5, &st) < 0)
	bail("stat %s: %s", unix_ep + 5, strerror(errno));
    ok(S_ISSOCK(st.st_mode), "the unix endpoint is a socket");
    is_int(0660, st.st_mode & 07777, "unix socket mode is 0660");
    is_int((long) gid, (long) st.st_gid, "unix socket group is the one given");
    for (int i = 0; rc < 0 || i == 0; i++) {
	if (i == 5)
	    bail("listen %s: %s", inet_ep, why);
	snprintf(inet_ep, sizeof(inet_ep), "inet:127.0.0.1:%d", free_port());
	rc = sm_server_listen(server, inet_ep, (gid_t) -1, why, sizeof(why));
    }
    ok(true, "listen on %s", inet_ep);
}

/* test_ipv6 - a listener on [::1], when the host has ::1 */
static void test_ipv6(void)
{
    struct sockaddr_in6 sin6;
    struct buf *out = buf_alloc(64, 1024);
    socklen_t len = sizeof(sin6);
    char    ep[64];
    char    why[256];
    int     fd = socket(AF_INET6, SOCK_STREAM, 0);

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = in6addr_loopback;
    if (fd < 0 || bind(fd, (struct sockaddr *) &sin6, sizeof(sin6)) < 0
	|| getsockname(fd, (struct sockaddr *) &sin6, &len) < 0) {
	if (fd >= 0)
	    close(fd);
	ok(true, "# skip no ::1 on this host");
	ok(true, "# skip no ::1 on this host");
	buf_free(out);
	return;
    }
    close(fd);
    snprintf(ep, sizeof(ep), "inet:[::1]:%d", ntohs(sin6.sin6_port));
    is_int(0, sm_server_listen(server, ep, (gid_t) -1, why, sizeof(why)),
	   "listen on %s", ep);
    exchange(&exchanges[0], ep, out);
    is_string("OK hello\n", out->data, "a request over [::1]");
    buf_free(out);
}

/* test_debug_line - each request logged at debug with map, key and peer */
static void test_debug_line(void)
{
    struct buf *out = buf_alloc(64, 1024);
    char    want[256];
    char    seen[256];
    pid_t   pid;

    buf_reset(logs);
    log_set_debug(true);
    pid = exchange(&exchanges[0], unix_ep, out);
    log_set_debug(false);
    snprintf(want, sizeof(want), "socketmap request map=echo key=hello "
	     "peer=pid:%ld", (long) pid);
    is_string(want, log_find("socketmap request map=", seen, sizeof(seen)),
	      "debug line for a request");
    buf_free(out);
}

/*
 * Back-pressure and partial writes.
 */
#define BACKLOG	150			/* requests in one write */
#define BIGS	40			/* 100,000-byte replies in one write */

/* backlog_client - BACKLOG "later" requests at once, answered in order */
static void backlog_client(struct buf *out, const void *arg)
{
    struct buf *wire = buf_alloc(4096, 1 << 20);
    struct buf *got = buf_alloc(64, 1024);
    char    want[64];
    char    req[64];
    struct cl *c = cl_must(arg);
    int     n = 0;

    for (int i = 0; i < BACKLOG; i++) {
	snprintf(req, sizeof(req), "later 20 %d", i);
	netstring_encode(wire, req, strlen(req));
    }
    cl_send(c, wire->data, wire->len, 0);
    for (int i = 0; i < BACKLOG; i++) {
	buf_reset(got);
	cl_read(c, got, READ_MS);
	snprintf(want, sizeof(want), "OK 20 %d\n", i);
	n += strcmp(want, got->data) == 0;
    }
    buf_printf(out, "%d in order\n", n);
    cl_close(c);
    buf_free(wire);
    buf_free(got);
}

/* bigs_client - BIGS large replies asked at once, read after a pause */
static void bigs_client(struct buf *out, const void *arg)
{
    struct buf *wire = buf_alloc(4096, 1 << 20);
    struct buf *got = buf_alloc(64, 1024);
    struct cl *c = cl_must(arg);
    int     n = 0;

    for (int i = 0; i < BIGS; i++)
	netstring_encode(wire, "big 100000", 10);
    cl_send(c, wire->data, wire->len, 0);
    usleep(300000);			/* the server's writes fill the socket */
    for (int i = 0; i < BIGS; i++) {
	buf_reset(got);
	cl_read(c, got, READ_MS);
	n += strcmp("OK vvvvvvvvvvvvv...(len 100000)\n", got->data) == 0;
    }
    buf_printf(out, "%d big replies\n", n);
    cl_close(c);
    buf_free(wire);
    buf_free(got);
}

/* test_backpressure - the pending bound, and replies larger than a socket */
static void test_backpressure(void)
{
    struct buf *out = buf_alloc(64, 1024);
    char    want[64];

    jobs_peak = 0;
    run_client(backlog_client, unix_ep, out, NULL);
    snprintf(want, sizeof(want), "%d in order\n", BACKLOG);
    is_string(want, out->data, "%d pipelined requests answered in order",
	      BACKLOG);
    is_int(SM_MAX_PENDING, jobs_peak, "at most SM_MAX_PENDING requests "
	   "of one connection at the handler");
    snprintf(want, sizeof(want), "%d big replies\n", BIGS);
    run_client(bigs_client, unix_ep, out, NULL);
    is_string(want, out->data, "unix: %d replies of 100,000 bytes "
	      "(partial writes)", BIGS);
    run_client(bigs_client, inet_ep, out, NULL);
    is_string(want, out->data, "inet: %d replies of 100,000 bytes "
	      "(partial writes)", BIGS);
    settle("back-pressure");
    buf_free(out);
}

/*
 * Timeouts and limits.
 */

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* idle_client - a quiet client, and one that sent half a request */
static void idle_client(struct buf *out, const void *arg)
{
    struct buf *wire = buf_alloc(256, 4096);
    struct cl *a = cl_must(arg);
    struct cl *b = cl_must(arg);
    struct cl *d = cl_must(arg);
    long long t0;
    long long t;

    for (int i = 0; i < BIGS; i++)
	netstring_encode(wire, "big 100000", 10);
    cl_send(d, wire->data, wire->len, 0);	/* and never read */
    cl_ask(a, "echo a");
    cl_read(a, out, READ_MS);
    cl_send(b, "10:ec", 5, 0);
    t0 = now_ms();
    cl_read(a, out, 3000);
    t = now_ms() - t0;
    cl_read(b, out, 3000);
    buf_printf(out, "closed after %s\n", t >= 800 && t <= 2000 ?
	       "about 1 s" : "the wrong time");
    usleep(300000);
    cl_close(a);
    cl_close(b);
    cl_close(d);
    buf_free(wire);
}

/* test_idle - idle_timeout closes quiet connections, half requests too */
static void test_idle(void)
{
    struct sm_limits idle = {100, 1};
    struct sm_limits normal = {100, 10};
    struct buf *out = buf_alloc(64, 1024);
    char    want[256];
    char    seen[256];
    pid_t   pid;

    buf_reset(logs);
    sm_server_set_limits(server, &idle);
    pid = run_client(idle_client, unix_ep, out, NULL);
    sm_server_set_limits(server, &normal);
    is_string("OK a\nEOF\nEOF\nclosed after about 1 s\n", out->data,
	      "idle connections closed after idle_timeout");
    snprintf(want, sizeof(want), "socketmap client does not read its "
	     "replies, closing peer=pid:%ld endpoint=%s timeout=1", (long) pid,
	     unix_ep);
    is_string(want, log_find("socketmap client does not read", seen,
			     sizeof(seen)), "a client that does not read is "
	      "closed too, with a log line");
    settle("idle");
    buf_free(out);
}

/* limit_client - three clients, two refused, the three still served */
static void limit_client(struct buf *out, const void *arg)
{
    struct cl *c[5];
    char    req[32];

    for (int i = 0; i < 5; i++) {
	c[i] = cl_must(arg);
	if (i < 3) {
	    snprintf(req, sizeof(req), "echo c%d", i);
	    cl_ask(c[i], req);
	}
	cl_read(c[i], out, READ_MS);
    }
    for (int i = 0; i < 3; i++) {
	snprintf(req, sizeof(req), "echo again%d", i);
	cl_ask(c[i], req);
	cl_read(c[i], out, READ_MS);
    }
    for (int i = 0; i < 5; i++)
	cl_close(c[i]);
}

/* test_client_limit - max_clients refuses, logs once, the others go on */
static void test_client_limit(void)
{
    struct sm_limits three = {3, 10};
    struct sm_limits normal = {100, 10};
    struct buf *out = buf_alloc(64, 1024);
    char    want[256];
    char    seen[256];

    buf_reset(logs);
    sm_server_set_limits(server, &three);
    run_client(limit_client, unix_ep, out, NULL);
    is_string("OK c0\nOK c1\nOK c2\nEOF\nEOF\nOK again0\nOK again1\n"
	      "OK again2\n", out->data, "max_clients=3: the 4th and 5th "
	      "closed, the others served");
    snprintf(want, sizeof(want), "socketmap client limit reached, refusing "
	     "new connections max_clients=3 endpoint=%s", unix_ep);
    is_string(want, log_find("socketmap client limit", seen, sizeof(seen)),
	      "client limit: log line");
    is_int(1, log_count("socketmap client limit"), "client limit: logged "
	   "once for the burst");
    settle("client limit");
    sm_server_set_limits(server, &normal);
    exchange(&exchanges[0], unix_ep, out);
    is_string("OK hello\n", out->data, "served again below the limit");
    snprintf(want, sizeof(want), "socketmap connections accepted again "
	     "refused=2 endpoint=%s", unix_ep);
    is_string(want, log_find("socketmap connections accepted again", seen,
			     sizeof(seen)), "end of the burst logged");
    buf_free(out);
}

/*
 * Clients that go away.
 */

/* gone_client - clients leave mid-request and with replies pending */
static void gone_client(struct buf *out, const void *arg)
{
    struct buf *wire = buf_alloc(256, 4096);
    struct cl *keep = cl_must(arg);
    struct cl *a = cl_must(arg);
    struct cl *b = cl_must(arg);
    struct cl *g = cl_must(arg);

    cl_ask(a, "later 200 orphan");
    cl_send(b, "10:echo", 7, 0);
    for (int i = 0; i < 10; i++)
	netstring_encode(wire, "big 100000", 10);
    cl_send(g, wire->data, wire->len, 0);
    usleep(50000);
    cl_close(a);
    cl_close(b);
    cl_close(g);
    cl_ask(keep, "echo still here");
    cl_read(keep, out, READ_MS);
    cl_ask(keep, "later 300 and later");
    cl_read(keep, out, READ_MS);
    cl_close(keep);
    buf_free(wire);
}

/* killed_client - killed with a request pending */
static void killed_client(struct buf *out, const void *arg)
{
    struct cl *c = cl_must(arg);

    (void) out;
    cl_ask(c, "later 100 killed");
    cl_send(c, "5:ec", 4, 0);
    usleep(50000);
    kill(getpid(), SIGKILL);
}

/* test_gone - no harm to others, orphans freed by sm_reply */
static void test_gone(void)
{
    struct buf *out = buf_alloc(64, 1024);

    jobs_live = 0;
    run_client(gone_client, inet_ep, out, NULL);
    is_string("OK still here\nOK 300 and later\n", out->data,
	      "clients gone mid-request and with replies pending harm no one");
    run_client(killed_client, unix_ep, out, NULL);
    is_string("", out->data, "a client killed mid-request");
    spin(200);
    is_int(0, jobs_live, "orphaned requests answered (and freed)");
    exchange(&exchanges[0], unix_ep, out);
    is_string("OK hello\n", out->data, "still answering after a killed client");
    settle("clients gone");
    buf_free(out);
}

/*
 * Out of descriptors.
 */
static int fillers[65536];
static int nfillers;
static struct rlimit saved_nofile;
static struct event *release_ev;

/* release - give the descriptors back */
static void release(evutil_socket_t fd, short what, void *ctx)
{
    (void) fd;
    (void) what;
    (void) ctx;
    while (nfillers > 0)
	close(fillers[--nfillers]);
    setrlimit(RLIMIT_NOFILE, &saved_nofile);
}

/* starve - leave the process two free descriptors for 600 ms */
static void starve(void)
{
    struct timeval tv = {0, 600000};
    struct rlimit low;
    int     fd;

    getrlimit(RLIMIT_NOFILE, &saved_nofile);
    low = saved_nofile;
    fd = dup(0);
    close(fd);
    low.rlim_cur = (rlim_t) fd + 64;
    setrlimit(RLIMIT_NOFILE, &low);
    while (nfillers < (int) COUNT(fillers) && (fd = dup(0)) >= 0)
	fillers[nfillers++] = fd;
    close(fillers[--nfillers]);
    close(fillers[--nfillers]);
    release_ev = evtimer_new(base, release, NULL);
    evtimer_add(release_ev, &tv);
}

/* starve_client - four connections at once, each with a request */
static void starve_client(struct buf *out, const void *arg)
{
    struct cl *c[4];
    char    req[32];

    for (int i = 0; i < 4; i++)
	c[i] = cl_must(arg);
    for (int i = 0; i < 4; i++) {
	snprintf(req, sizeof(req), "echo s%d", i);
	cl_ask(c[i], req);
	cl_read(c[i], out, READ_MS);
	cl_close(c[i]);
    }
}

/* cpu_ms - CPU time of this process */
static long cpu_ms(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L
	+ (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

/* test_starved - EMFILE on accept: pause, log once, no spinning, recover */
static void test_starved(void)
{
    struct buf *out = buf_alloc(64, 1024);
    char    want[256];
    char    seen[256];
    long    cpu;

    buf_reset(logs);
    cpu = cpu_ms();
    run_client(starve_client, unix_ep, out, starve);
    cpu = cpu_ms() - cpu;
    event_free(release_ev);
    is_string("OK s0\nOK s1\nOK s2\nOK s3\n", out->data,
	      "out of descriptors: every client served in the end");
    snprintf(want, sizeof(want), "cannot accept socketmap connections, "
	     "pausing for 250 ms endpoint=%s clients=2: %s", unix_ep,
	     strerror(EMFILE));
    is_string(want, log_find("cannot accept", seen, sizeof(seen)),
	      "out of descriptors: log line");
    if (!is_int(1, log_count("cannot accept"), "out of descriptors: logged once"))
	diag("%s", logs->data);
    if (!ok(cpu < 300, "out of descriptors: no busy loop"))
	diag("%ld ms of CPU", cpu);
    settle("out of descriptors");
    buf_free(out);
}

/*
 * Many clients.
 */

/* many_client - MANY connections open at once, one request on each */
static void many_client(struct buf *out, const void *arg)
{
    struct cl **c = xcalloc(MANY, sizeof(*c));
    struct buf *got = buf_alloc(64, 1024);
    char    want[64];
    char    req[64];
    int     connected = 0;
    int     answered = 0;

    for (int i = 0; i < MANY; i++)
	connected += (c[i] = cl_open(arg)) != NULL;
    for (int i = 0; i < MANY; i++) {
	snprintf(req, sizeof(req), "echo k%d", i);
	if (c[i])
	    cl_ask(c[i], req);
    }
    for (int i = 0; i < MANY; i++) {
	if (c[i] == NULL)
	    continue;
	buf_reset(got);
	cl_read(c[i], got, READ_MS);
	snprintf(want, sizeof(want), "OK k%d\n", i);
	answered += strcmp(want, got->data) == 0;
    }
    for (int i = 0; i < MANY; i++)
	cl_close(c[i]);
    buf_printf(out, "%d connected, %d answered\n", connected, answered);
}

/* flood_client - MANY malformed requests, each on its own connection */
static void flood_client(struct buf *out, const void *arg)
{
    struct buf *got = buf_alloc(64, 1024);
    struct cl *c;
    int     refused = 0;

    for (int i = 0; i < MANY; i++) {
	if ((c = cl_open(arg)) == NULL)
	    continue;
	cl_send(c, "x", 1, 0);
	buf_reset(got);
	cl_read(c, got, READ_MS);
	cl_read(c, got, READ_MS);
	refused += strcmp("PERM bad length prefix\nEOF\n", got->data) == 0;
	cl_close(c);
    }
    buf_printf(out, "%d refused\n", refused);
    c = cl_must(arg);
    cl_ask(c, "echo after the flood");
    cl_read(c, out, READ_MS);
    cl_close(c);
}

/* test_many - MANY concurrent clients; a flood of malformed requests */
static void test_many(void)
{
    struct sm_limits lim = {MANY + 100, 10};
    struct buf *out = buf_alloc(64, 1024);
    struct rlimit rl;
    char    want[64];

    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < MANY_FILES) {
	for (int i = 0; i < 4; i++)
	    ok(true, "# skip descriptor hard limit %ld below %d",
	       (long) rl.rlim_max, MANY_FILES);
    } else {
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	sm_server_set_limits(server, &lim);
	clients_peak = 0;
	run_client(many_client, inet_ep, out, NULL);
	snprintf(want, sizeof(want), "%d connected, %d answered\n", MANY, MANY);
	is_string(want, out->data, "%d concurrent connections answered", MANY);
	is_int(MANY, clients_peak, "%d clients open at once", MANY);
	settle("many clients");
	lim.max_clients = 100;
	sm_server_set_limits(server, &lim);
    }
    buf_reset(logs);
    run_client(flood_client, unix_ep, out, NULL);
    snprintf(want, sizeof(want), "%d refused\nOK after the flood\n", MANY);
    is_string(want, out->data, "a flood of %d malformed requests, then "
	      "a good one answered", MANY);
    is_int(MANY, log_count("socketmap request malformed"),
	   "each malformed request logged");
    settle("flood");
    buf_free(out);
}

/*
 * The end.
 */

/* stop_server - free the server while a request is pending */
static void stop_server(evutil_socket_t fd, short what, void *ctx)
{
    (void) fd;
    (void) what;
    (void) ctx;
    server = sm_server_free(server);
}

static struct event *stop_ev;

/* stop_later - in 100 ms, free the server */
static void stop_later(void)
{
    struct timeval tv = {0, 100000};

    stop_ev = evtimer_new(base, stop_server, NULL);
    evtimer_add(stop_ev, &tv);
}

/* pending_client - a request the server never answers: it stops first */
static void pending_client(struct buf *out, const void *arg)
{
    struct cl *c = cl_must(arg);

    cl_ask(c, "later 300 orphan");
    cl_read(c, out, READ_MS);
    cl_close(c);
}

/* test_free - sm_server_free with a request pending; files removed */
static void test_free(void)
{
    struct buf *out = buf_alloc(64, 1024);

    jobs_live = 0;
    run_client(pending_client, unix_ep, out, stop_later);
    event_free(stop_ev);
    is_string("EOF\n", out->data, "server freed: its clients see EOF");
    ok(server == NULL, "server freed");
    spin(400);
    is_int(0, jobs_live, "the orphan answered after sm_server_free");
    ok(access(unix_ep + 5, F_OK) < 0 && errno == ENOENT,
       "unix socket file removed");
    buf_free(out);
}

int     main(void)
{
    struct sm_limits lim = {100, 10};

    /* Per test function, in the order they run. */
    plan(5 + (int) COUNT(listen_errors) + 5
	 + 2 * ((int) COUNT(exchanges) + 1) + exchange_log_tests()
	 + 2 + 1 + 5 + 3 + 6 + 5 + 5 + 6 + 4);

    tap_log_capture();
    logs = buf_alloc(4096, 1 << 22);
    log_set_hook(log_hook, NULL);
    snprintf(dir, sizeof(dir), "/tmp/unit-server.XXXXXX");
    if (mkdtemp(dir) == NULL)
	bail("mkdtemp: %s", strerror(errno));
    snprintf(unix_ep, sizeof(unix_ep), "unix:%s/agent.sock", dir);
    if ((base = event_base_new()) == NULL)
	bail("event_base_new failed");
    server = sm_server_new(base, &lim, handler, NULL);

    test_setup_listen();
    test_listen_errors();
    test_exchanges("unix", unix_ep);
    test_exchanges("inet", inet_ep);
    test_ipv6();
    test_debug_line();
    test_backpressure();
    test_idle();
    test_client_limit();
    test_gone();
    test_starved();
    test_many();
    test_free();

    event_base_free(base);
    buf_free(logs);
    rmdir(dir);
    return exit_status();
}
