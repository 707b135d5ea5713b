/*
 * unit-server - the socketmap server's protocol: listening (unix, inet,
 * [::1], refused endpoints, socket modes), one connection per exchange with
 * an exact transcript (single requests, pipelining, split reads, malformed
 * requests, reply sizes), the debug line, back-pressure and partial writes.
 * Limits, timeouts and clients that go away: unit-server-limits. The harness
 * (server, handler, clients, transcripts): server_harness.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "netstring.h"
#include "server.h"
#include "server_harness.h"
#include "sockmap.h"
#include "tap.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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
    struct sh_cl *c;

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
    c = sh_cl_must(a->ep);
    sh_cl_send(c, wire->data, wire->len, x->bytewise);
    for (int i = 0; i < x->nread; i++)
	sh_cl_read(c, out, SH_READ_MS);
    sh_cl_close(c);
    buf_free(wire);
    buf_free(one);
}

/* exchange - run row x against ep; returns the child's pid */
static pid_t exchange(struct sh *h, const struct exchange *x, const char *ep,
		              struct buf *out)
{
    struct xarg a = {x, ep};

    return sh_run_client(h, exchange_client, &a, out, NULL);
}

/* test_exchanges - every row on one endpoint; the PERM log lines on unix */
static void test_exchanges(struct sh *h, const char *transport,
			           const char *ep)
{
    struct buf *out = buf_alloc(256, 1 << 20);
    char    want[512];
    char    seen[512];
    const char *perm;
    pid_t   pid;

    for (size_t i = 0; i < COUNT(exchanges); i++) {
	buf_reset(h->logs);
	pid = exchange(h, &exchanges[i], ep, out);
	is_string(exchanges[i].want, out->data, "%s: %s", transport,
		  exchanges[i].name);
	if (strcmp(transport, "unix") != 0)
	    continue;
	if ((perm = strstr(exchanges[i].want, "PERM ")) != NULL) {
	    snprintf(want, sizeof(want), "socketmap request malformed, "
		     "answering PERM and closing peer=pid:%ld endpoint=%s "
		     "reason=%.*s", (long) pid, ep,
		     (int) strcspn(perm + 5, "\n"), perm + 5);
	    is_string(want, sh_log_find(h, "socketmap request malformed", seen,
				     sizeof(seen)), "%s: %s: log line",
		      transport, exchanges[i].name);
	}
	if (strstr(exchanges[i].want, "reply too large") != NULL) {
	    snprintf(want, sizeof(want), "socketmap reply longer than 100000 "
		     "bytes, answering TEMP status=OK peer=pid:%ld", (long) pid);
	    is_string(want, sh_log_find(h, "socketmap reply longer", seen,
				     sizeof(seen)), "%s: %s: log line",
		      transport, exchanges[i].name);
	}
    }
    sh_settle(h, transport);
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
static void test_listen_errors(struct sh *h)
{
    struct sm_limits lim = {10, 10, 10};
    struct sm_server *s = sm_server_new(h->base, &lim, sh_handler, h);
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
    snprintf(path, sizeof(path), "%s/plain-file", h->dir);
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
	     h->unix_ep + 5);
    rc = sm_server_listen(s, h->unix_ep, (gid_t) -1, why, sizeof(why));
    is_string(want, rc < 0 ? why : "(accepted)", "a live socket is kept");
    snprintf(want, sizeof(want), "cannot listen on 127.0.0.1 port %s: "
	     "Address already in use", strrchr(h->inet_ep, ':') + 1);
    rc = sm_server_listen(s, h->inet_ep, (gid_t) -1, why, sizeof(why));
    is_string(want, rc < 0 ? why : "(accepted)", "a port in use is refused");
    snprintf(path, sizeof(path), "%s/private.sock", h->dir);
    snprintf(ep, sizeof(ep), "unix:%s", path);
    rc = sm_server_listen(s, ep, (gid_t) -1, why, sizeof(why));
    is_int(0600, rc == 0 && stat(path, &st) == 0 ? (long) (st.st_mode & 07777)
	   : -1, "without a group a unix socket is mode 0600");
    sm_server_free(s);
    ok(access(path, F_OK) < 0 && errno == ENOENT, "sm_server_free removes "
       "the socket file");
    sh_spin(h, 20);				/* the probe of the live socket */
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

/* test_setup_listen - the server's unix socket (over a stale file), inet port */
static void test_setup_listen(struct sh *h)
{
    struct stat st;
    char    why[256];
    gid_t   gid = geteuid() == 0 ? 4242 : getegid();
    int     rc = -1;

    make_stale(h->unix_ep + 5);
    rc = sm_server_listen(h->server, h->unix_ep, gid, why, sizeof(why));
    if (!is_int(0, rc, "listen on a unix socket over a stale socket file"))
	bail("listen %s: %s", h->unix_ep, why);
    if (lstat(h->unix_ep + 5, &st) < 0)
	bail("stat %s: %s", h->unix_ep + 5, strerror(errno));
    ok(S_ISSOCK(st.st_mode), "the unix endpoint is a socket");
    is_int(0660, st.st_mode & 07777, "unix socket mode is 0660");
    is_int((long) gid, (long) st.st_gid, "unix socket group is the one given");
    for (int i = 0; rc < 0 || i == 0; i++) {
	if (i == 5)
	    bail("listen %s: %s", h->inet_ep, why);
	snprintf(h->inet_ep, sizeof(h->inet_ep), "inet:127.0.0.1:%d", sh_free_port());
	rc = sm_server_listen(h->server, h->inet_ep, (gid_t) -1, why, sizeof(why));
    }
    ok(true, "listen on %s", h->inet_ep);
}

/* test_ipv6 - a listener on [::1], when the host has ::1 */
static void test_ipv6(struct sh *h)
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
    is_int(0, sm_server_listen(h->server, ep, (gid_t) -1, why, sizeof(why)),
	   "listen on %s", ep);
    exchange(h, &exchanges[0], ep, out);
    is_string("OK hello\n", out->data, "a request over [::1]");
    buf_free(out);
}

/* test_debug_line - each request logged at debug with map, key and peer */
static void test_debug_line(struct sh *h)
{
    struct buf *out = buf_alloc(64, 1024);
    char    want[256];
    char    seen[256];
    pid_t   pid;

    buf_reset(h->logs);
    log_set_debug(true);
    pid = exchange(h, &exchanges[0], h->unix_ep, out);
    log_set_debug(false);
    snprintf(want, sizeof(want), "socketmap request map=echo key=hello "
	     "peer=pid:%ld", (long) pid);
    is_string(want, sh_log_find(h, "socketmap request map=", seen,
				 sizeof(seen)),
	      "debug line for a request");
    buf_free(out);
}

/*
 * Back-pressure and partial writes.
 */
#define BACKLOG	150			/* requests in one write */
#define SH_BIGS	40			/* 100,000-byte replies in one write */

/* backlog_client - BACKLOG "later" requests at once, answered in order */
static void backlog_client(struct buf *out, const void *arg)
{
    struct buf *wire = buf_alloc(4096, 1 << 20);
    struct buf *got = buf_alloc(64, 1024);
    char    want[64];
    char    req[64];
    struct sh_cl *c = sh_cl_must(arg);
    int     n = 0;

    for (int i = 0; i < BACKLOG; i++) {
	snprintf(req, sizeof(req), "later 20 %d", i);
	netstring_encode(wire, req, strlen(req));
    }
    sh_cl_send(c, wire->data, wire->len, 0);
    for (int i = 0; i < BACKLOG; i++) {
	buf_reset(got);
	sh_cl_read(c, got, SH_READ_MS);
	snprintf(want, sizeof(want), "OK 20 %d\n", i);
	n += strcmp(want, got->data) == 0;
    }
    buf_printf(out, "%d in order\n", n);
    sh_cl_close(c);
    buf_free(wire);
    buf_free(got);
}

/* bigs_client - SH_BIGS large replies asked at once, read after a pause */
static void bigs_client(struct buf *out, const void *arg)
{
    struct buf *wire = buf_alloc(4096, 1 << 20);
    struct buf *got = buf_alloc(64, 1024);
    struct sh_cl *c = sh_cl_must(arg);
    int     n = 0;

    for (int i = 0; i < SH_BIGS; i++)
	netstring_encode(wire, "big 100000", 10);
    sh_cl_send(c, wire->data, wire->len, 0);
    usleep(300000);			/* the server's writes fill the socket */
    for (int i = 0; i < SH_BIGS; i++) {
	buf_reset(got);
	sh_cl_read(c, got, SH_READ_MS);
	n += strcmp("OK vvvvvvvvvvvvv...(len 100000)\n", got->data) == 0;
    }
    buf_printf(out, "%d big replies\n", n);
    sh_cl_close(c);
    buf_free(wire);
    buf_free(got);
}

/* test_backpressure - the pending bound, and replies larger than a socket */
static void test_backpressure(struct sh *h)
{
    struct buf *out = buf_alloc(64, 1024);
    char    want[64];

    h->jobs_peak = 0;
    sh_run_client(h, backlog_client, h->unix_ep, out, NULL);
    snprintf(want, sizeof(want), "%d in order\n", BACKLOG);
    is_string(want, out->data, "%d pipelined requests answered in order",
	      BACKLOG);
    is_int(SM_MAX_PENDING, h->jobs_peak, "at most SM_MAX_PENDING requests "
	   "of one connection at the handler");
    snprintf(want, sizeof(want), "%d big replies\n", SH_BIGS);
    sh_run_client(h, bigs_client, h->unix_ep, out, NULL);
    is_string(want, out->data, "unix: %d replies of 100,000 bytes "
	      "(partial writes)", SH_BIGS);
    sh_run_client(h, bigs_client, h->inet_ep, out, NULL);
    is_string(want, out->data, "inet: %d replies of 100,000 bytes "
	      "(partial writes)", SH_BIGS);
    sh_settle(h, "back-pressure");
    buf_free(out);
}

int     main(void)
{
    struct sh *h;

    /* Per test function, in the order they run. */
    plan(5 + (int) COUNT(listen_errors) + 5
	 + 2 * ((int) COUNT(exchanges) + 1) + exchange_log_tests()
	 + 2 + 1 + 5);

    h = sh_new("unit-server");
    test_setup_listen(h);
    test_listen_errors(h);
    test_exchanges(h, "unix", h->unix_ep);
    test_exchanges(h, "inet", h->inet_ep);
    test_ipv6(h);
    test_debug_line(h);
    test_backpressure(h);
    h = sh_free(h);
    return exit_status();
}
