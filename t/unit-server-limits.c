/*
 * unit-server-limits - the socketmap server under stress: the idle timeout,
 * the client limit, clients that go away (orphaned requests, a killed
 * client), running out of descriptors, 1,000 connections at once, a flood
 * of malformed requests, and sm_server_free with a request pending. The
 * protocol itself: unit-server. The harness (server, handler, clients,
 * transcripts): server_harness.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "netstring.h"
#include "server.h"
#include "server_harness.h"
#include "tap.h"
#include "util.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MANY	1000			/* concurrent connections, flood size */
#define MANY_FILES 2100			/* descriptors MANY needs in a process */

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
    struct sh_cl *a = sh_cl_must(arg);
    struct sh_cl *b = sh_cl_must(arg);
    struct sh_cl *d = sh_cl_must(arg);
    long long t0;
    long long t;

    for (int i = 0; i < SH_BIGS; i++)
	netstring_encode(wire, "big 100000", 10);
    sh_cl_send(d, wire->data, wire->len, 0);	/* and never read */
    sh_cl_ask(a, "echo a");
    sh_cl_read(a, out, SH_READ_MS);
    sh_cl_send(b, "10:ec", 5, 0);
    t0 = now_ms();
    sh_cl_read(a, out, 3000);
    t = now_ms() - t0;
    sh_cl_read(b, out, 3000);
    buf_printf(out, "closed after %s\n", t >= 800 && t <= 2000 ?
	       "about 1 s" : "the wrong time");
    usleep(300000);
    sh_cl_close(a);
    sh_cl_close(b);
    sh_cl_close(d);
    buf_free(wire);
}

/* test_idle - idle_timeout closes quiet connections, half requests too */
static void test_idle(struct sh *h)
{
    struct sm_limits idle = {100, 1, 10};
    struct sm_limits normal = {100, 10, 10};
    struct buf *out = buf_alloc(64, 1024);
    char    want[256];
    char    seen[256];
    pid_t   pid;

    buf_reset(h->logs);
    sm_server_set_limits(h->server, &idle);
    pid = sh_run_client(h, idle_client, h->unix_ep, out, NULL);
    sm_server_set_limits(h->server, &normal);
    is_string("OK a\nEOF\nEOF\nclosed after about 1 s\n", out->data,
	      "idle connections closed after idle_timeout");
    snprintf(want, sizeof(want), "socketmap client does not read its "
	     "replies, closing peer=pid:%ld endpoint=%s timeout=1", (long) pid,
	     h->unix_ep);
    is_string(want, sh_log_find(h, "socketmap client does not read", seen,
			     sizeof(seen)), "a client that does not read is "
	      "closed too, with a log line");
    sh_settle(h, "idle");
    buf_free(out);
}

/* evict_client - three idle clients, two more take the two idlest's places */
static void evict_client(struct buf *out, const void *arg)
{
    struct sh_cl *c[5];
    char    req[32];

    for (int i = 0; i < 5; i++) {
	c[i] = sh_cl_must(arg);
	snprintf(req, sizeof(req), "echo c%d", i);
	sh_cl_ask(c[i], req);
	sh_cl_read(c[i], out, SH_READ_MS);
    }
    sh_cl_read(c[0], out, SH_READ_MS);	/* evicted for c3 */
    sh_cl_read(c[1], out, SH_READ_MS);	/* evicted for c4 */
    sh_cl_ask(c[2], "echo again2");
    sh_cl_read(c[2], out, SH_READ_MS);
    for (int i = 0; i < 5; i++)
	sh_cl_close(c[i]);
}

/* busy_client - three clients waiting for answers: a fourth is refused */
static void busy_client(struct buf *out, const void *arg)
{
    struct sh_cl *c[4];

    for (int i = 0; i < 3; i++) {
	c[i] = sh_cl_must(arg);
	sh_cl_ask(c[i], "later 1500");
    }
    usleep(300000);			/* the server holds the three requests */
    c[3] = sh_cl_must(arg);
    sh_cl_read(c[3], out, SH_READ_MS);
    for (int i = 0; i < 3; i++)
	sh_cl_read(c[i], out, SH_READ_MS);
    for (int i = 0; i < 4; i++)
	sh_cl_close(c[i]);
}

/* drip_client - a request sent a byte every 400 ms, and half a request */
static void drip_client(struct buf *out, const void *arg)
{
    struct sh_cl *a = sh_cl_must(arg);
    struct sh_cl *b = sh_cl_must(arg);
    const char *req = "10:echo hello,";
    long long t0 = now_ms();

    sh_cl_send(b, "10:ec", 5, 0);
    for (int i = 0; i < 5; i++) {
	sh_cl_send(a, req + i, 1, 0);
	usleep(400000);
    }
    sh_cl_read(a, out, SH_READ_MS);
    sh_cl_read(b, out, SH_READ_MS);
    buf_printf(out, "%s\n", now_ms() - t0 < 2500 ? "in time" : "too late");
    sh_cl_close(a);
    sh_cl_close(b);
}

/* inet_flood_client - the inet listener full of idle clients; unix served */
static void inet_flood_client(struct buf *out, const void *arg)
{
    const char *const *eps = arg;
    struct sh_cl *c[3], *u;

    for (int i = 0; i < 3; i++) {
	c[i] = sh_cl_must(eps[0]);
	sh_cl_ask(c[i], "later 1500");
    }
    usleep(300000);
    u = sh_cl_must(eps[1]);
    sh_cl_ask(u, "echo unix");
    sh_cl_read(u, out, SH_READ_MS);
    for (int i = 0; i < 3; i++) {
	sh_cl_read(c[i], out, SH_READ_MS);
	sh_cl_close(c[i]);
    }
    sh_cl_close(u);
}

/*
 * test_client_limit - a full listener closes its longest-idle connection
 * for a new one, refuses only when all are busy, logs once per change of
 * state; each listener has its own cap; a request must end in time.
 */
static void test_client_limit(struct sh *h)
{
    struct sm_limits three = {3, 10, 10};
    struct sm_limits quick = {100, 10, 1};
    struct sm_limits normal = {100, 10, 10};
    struct buf *out = buf_alloc(64, 1024);
    const char *eps[2] = {h->inet_ep, h->unix_ep};
    char    want[256];
    char    seen[256];

    buf_reset(h->logs);
    sm_server_set_limits(h->server, &three);
    sh_run_client(h, evict_client, h->unix_ep, out, NULL);
    is_string("OK c0\nOK c1\nOK c2\nOK c3\nOK c4\nEOF\nEOF\nOK again2\n", out->data,
	      "max_clients=3: the 4th and 5th take the two idlest's places");
    snprintf(want, sizeof(want), "socketmap listener full, closing its longest-idle "
	     "connection for each new one max_clients=3 endpoint=%s", h->unix_ep);
    is_string(want, sh_log_find(h, "socketmap listener full", seen, sizeof(seen)),
	      "full: log line");
    is_int(1, sh_log_count(h, "socketmap listener full"), "full: logged once");
    sh_settle(h, "evicted");
    buf_reset(h->logs);
    sh_ask_one(h, h->unix_ep, "echo hello", out);
    snprintf(want, sizeof(want), "socketmap listener below its limit again "
	     "endpoint=%s evicted=2 refused=0", h->unix_ep);
    is_string(want, sh_log_find(h, "socketmap listener below", seen, sizeof(seen)),
	      "below the limit again: logged, with counts");
    buf_reset(out);
    buf_reset(h->logs);
    sh_run_client(h, busy_client, h->unix_ep, out, NULL);
    is_string("EOF\nOK 1500\nOK 1500\nOK 1500\n", out->data,
	      "every connection busy: the new one is refused, the others served");
    sh_settle(h, "busy");
    sh_ask_one(h, h->unix_ep, "echo hello", out);
    is_string("OK hello\n", out->data, "served again below the limit");
    snprintf(want, sizeof(want), "socketmap listener below its limit again "
	     "endpoint=%s evicted=0 refused=1", h->unix_ep);
    is_string(want, sh_log_find(h, "socketmap listener below", seen, sizeof(seen)),
	      "and after refusing: counted");
    buf_reset(out);
    sh_run_client(h, inet_flood_client, eps, out, NULL);
    is_string("OK unix\nOK 1500\nOK 1500\nOK 1500\n", out->data,
	      "the inet listener full and busy: the unix one still serves");
    sh_settle(h, "flood");

    buf_reset(h->logs);
    sm_server_set_limits(h->server, &quick);
    buf_reset(out);
    sh_run_client(h, drip_client, h->unix_ep, out, NULL);
    is_string("EOF\nEOF\nin time\n", out->data, "request_timeout=1: a dripping request "
	      "and half a request are closed");
    ok(strstr(sh_log_find(h, "socketmap request not complete in time", seen,
			  sizeof(seen)), "timeout=1") != NULL, "and logged: %s", seen);
    sh_settle(h, "drip");
    sm_server_set_limits(h->server, &normal);
    buf_free(out);
}

/*
 * Clients that go away.
 */

/* gone_client - clients leave mid-request and with replies pending */
static void gone_client(struct buf *out, const void *arg)
{
    struct buf *wire = buf_alloc(256, 4096);
    struct sh_cl *keep = sh_cl_must(arg);
    struct sh_cl *a = sh_cl_must(arg);
    struct sh_cl *b = sh_cl_must(arg);
    struct sh_cl *g = sh_cl_must(arg);

    sh_cl_ask(a, "later 200 orphan");
    sh_cl_send(b, "10:echo", 7, 0);
    for (int i = 0; i < 10; i++)
	netstring_encode(wire, "big 100000", 10);
    sh_cl_send(g, wire->data, wire->len, 0);
    usleep(50000);
    sh_cl_close(a);
    sh_cl_close(b);
    sh_cl_close(g);
    sh_cl_ask(keep, "echo still here");
    sh_cl_read(keep, out, SH_READ_MS);
    sh_cl_ask(keep, "later 300 and later");
    sh_cl_read(keep, out, SH_READ_MS);
    sh_cl_close(keep);
    buf_free(wire);
}

/* killed_client - killed with a request pending */
static void killed_client(struct buf *out, const void *arg)
{
    struct sh_cl *c = sh_cl_must(arg);

    (void) out;
    sh_cl_ask(c, "later 100 killed");
    sh_cl_send(c, "5:ec", 4, 0);
    usleep(50000);
    kill(getpid(), SIGKILL);
}

/* test_gone - no harm to others, orphans freed by sm_reply */
static void test_gone(struct sh *h)
{
    struct buf *out = buf_alloc(64, 1024);

    h->jobs_live = 0;
    sh_run_client(h, gone_client, h->inet_ep, out, NULL);
    is_string("OK still here\nOK 300 and later\n", out->data,
	      "clients gone mid-request and with replies pending harm no one");
    sh_run_client(h, killed_client, h->unix_ep, out, NULL);
    is_string("", out->data, "a client killed mid-request");
    sh_spin(h, 200);
    is_int(0, h->jobs_live, "orphaned requests answered (and freed)");
    sh_ask_one(h, h->unix_ep, "echo hello", out);
    is_string("OK hello\n", out->data, "still answering after a killed client");
    sh_settle(h, "clients gone");
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
static void starve(struct sh *h)
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
    release_ev = evtimer_new(h->base, release, NULL);
    evtimer_add(release_ev, &tv);
}

/* starve_client - four connections at once, each with a request */
static void starve_client(struct buf *out, const void *arg)
{
    struct sh_cl *c[4];
    char    req[32];

    for (int i = 0; i < 4; i++)
	c[i] = sh_cl_must(arg);
    for (int i = 0; i < 4; i++) {
	snprintf(req, sizeof(req), "echo s%d", i);
	sh_cl_ask(c[i], req);
	sh_cl_read(c[i], out, SH_READ_MS);
	sh_cl_close(c[i]);
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
static void test_starved(struct sh *h)
{
    struct buf *out = buf_alloc(64, 1024);
    char    want[256];
    char    seen[256];
    long    cpu;

    buf_reset(h->logs);
    cpu = cpu_ms();
    sh_run_client(h, starve_client, h->unix_ep, out, starve);
    cpu = cpu_ms() - cpu;
    event_free(release_ev);
    is_string("OK s0\nOK s1\nOK s2\nOK s3\n", out->data,
	      "out of descriptors: every client served in the end");
    snprintf(want, sizeof(want), "cannot accept socketmap connections, "
	     "pausing for 250 ms endpoint=%s clients=2: %s", h->unix_ep,
	     strerror(EMFILE));
    is_string(want, sh_log_find(h, "cannot accept", seen, sizeof(seen)),
	      "out of descriptors: log line");
    if (!is_int(1, sh_log_count(h, "cannot accept"),
		"out of descriptors: logged once"))
	diag("%s", h->logs->data);
    if (!ok(cpu < 300, "out of descriptors: no busy loop"))
	diag("%ld ms of CPU", cpu);
    sh_settle(h, "out of descriptors");
    buf_free(out);
}

/*
 * Many clients.
 */

/* many_client - MANY connections open at once, one request on each */
static void many_client(struct buf *out, const void *arg)
{
    struct sh_cl **c = xcalloc(MANY, sizeof(*c));
    struct buf *got = buf_alloc(64, 1024);
    char    want[64];
    char    req[64];
    int     connected = 0;
    int     answered = 0;

    for (int i = 0; i < MANY; i++)
	connected += (c[i] = sh_cl_open(arg)) != NULL;
    for (int i = 0; i < MANY; i++) {
	snprintf(req, sizeof(req), "echo k%d", i);
	if (c[i])
	    sh_cl_ask(c[i], req);
    }
    for (int i = 0; i < MANY; i++) {
	if (c[i] == NULL)
	    continue;
	buf_reset(got);
	sh_cl_read(c[i], got, SH_READ_MS);
	snprintf(want, sizeof(want), "OK k%d\n", i);
	answered += strcmp(want, got->data) == 0;
    }
    for (int i = 0; i < MANY; i++)
	sh_cl_close(c[i]);
    buf_printf(out, "%d connected, %d answered\n", connected, answered);
}

/* flood_client - MANY malformed requests, each on its own connection */
static void flood_client(struct buf *out, const void *arg)
{
    struct buf *got = buf_alloc(64, 1024);
    struct sh_cl *c;
    int     refused = 0;

    for (int i = 0; i < MANY; i++) {
	if ((c = sh_cl_open(arg)) == NULL)
	    continue;
	sh_cl_send(c, "x", 1, 0);
	buf_reset(got);
	sh_cl_read(c, got, SH_READ_MS);
	sh_cl_read(c, got, SH_READ_MS);
	refused += strcmp("PERM bad length prefix\nEOF\n", got->data) == 0;
	sh_cl_close(c);
    }
    buf_printf(out, "%d refused\n", refused);
    c = sh_cl_must(arg);
    sh_cl_ask(c, "echo after the flood");
    sh_cl_read(c, out, SH_READ_MS);
    sh_cl_close(c);
}

/* test_many - MANY concurrent clients; a flood of malformed requests */
static void test_many(struct sh *h)
{
    struct sm_limits lim = {MANY + 100, 10, 10};
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
	sm_server_set_limits(h->server, &lim);
	h->clients_peak = 0;
	sh_run_client(h, many_client, h->inet_ep, out, NULL);
	snprintf(want, sizeof(want), "%d connected, %d answered\n", MANY, MANY);
	is_string(want, out->data, "%d concurrent connections answered", MANY);
	is_int(MANY, h->clients_peak, "%d clients open at once", MANY);
	sh_settle(h, "many clients");
	lim.max_clients = 100;
	sm_server_set_limits(h->server, &lim);
    }
    buf_reset(h->logs);
    sh_run_client(h, flood_client, h->unix_ep, out, NULL);
    snprintf(want, sizeof(want), "%d refused\nOK after the flood\n", MANY);
    is_string(want, out->data, "a flood of %d malformed requests, then "
	      "a good one answered", MANY);
    is_int(MANY, sh_log_count(h, "socketmap request malformed"),
	   "each malformed request logged");
    sh_settle(h, "flood");
    buf_free(out);
}

/*
 * The end.
 */

/* stop_server - free the server while a request is pending */
static void stop_server(evutil_socket_t fd, short what, void *ctx)
{
    struct sh *h = ctx;

    (void) fd;
    (void) what;
    h->server = sm_server_free(h->server);
}

static struct event *stop_ev;

/* stop_later - in 100 ms, free the server */
static void stop_later(struct sh *h)
{
    struct timeval tv = {0, 100000};

    stop_ev = evtimer_new(h->base, stop_server, h);
    evtimer_add(stop_ev, &tv);
}

/* pending_client - a request the server never answers: it stops first */
static void pending_client(struct buf *out, const void *arg)
{
    struct sh_cl *c = sh_cl_must(arg);

    sh_cl_ask(c, "later 300 orphan");
    sh_cl_read(c, out, SH_READ_MS);
    sh_cl_close(c);
}

/* test_free - sm_server_free with a request pending; files removed */
static void test_free(struct sh *h)
{
    struct buf *out = buf_alloc(64, 1024);

    h->jobs_live = 0;
    sh_run_client(h, pending_client, h->unix_ep, out, stop_later);
    event_free(stop_ev);
    is_string("EOF\n", out->data, "server freed: its clients see EOF");
    ok(h->server == NULL, "server freed");
    sh_spin(h, 400);
    is_int(0, h->jobs_live, "the orphan answered after sm_server_free");
    ok(access(h->unix_ep + 5, F_OK) < 0 && errno == ENOENT,
       "unix socket file removed");
    buf_free(out);
}

int     main(void)
{
    struct sh *h;

    /* Per test function, in the order they run. */
    plan(3 + 14 + 5 + 5 + 6 + 4);

    h = sh_new("unit-server-limits");
    sh_listen(h);
    test_idle(h);
    test_client_limit(h);
    test_gone(h);
    test_starved(h);
    test_many(h);
    test_free(h);
    h = sh_free(h);
    return exit_status();
}
