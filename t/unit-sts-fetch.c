/*
 * unit-sts-fetch - the MTA-STS policy fetcher against local HTTPS servers.
 *
 * Setup, all in a mkdtemp directory: t/data/sts-fetch/mkcerts.sh makes a
 * test CA and certificates, t/data/sts-fetch/server.py (Debian's python3)
 * serves one answer per host name mta-sts.<case>.good.test on a TLS port
 * (plus a plain-HTTP and a TLS 1.1-only port) and logs each request; with
 * tinyproxy installed, a proxy that allows CONNECT to the TLS port only.
 * No name used here resolves on this machine: every fetch is pinned.
 * The fetches run on an event_base in this process; each case waits for
 * its callback (or for a guard timer) and compares outcome, why text, body
 * and log lines exactly where they do not quote curl or OpenSSL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "log.h"
#include "sts_fetch.h"
#include "tap.h"
#include "util.h"

#define DATA		"t/data/sts-fetch"
#define PYTHON		"/usr/bin/python3"
#define TINYPROXY	"/usr/bin/tinyproxy"
#define SLOW_S		"4"		/* the server's delay for slow, cancel */
#define GUARD_S		10		/* no case may wait longer */
#define POLICY	"version: STSv1\nmode: enforce\nmx: mail.good.test\nmax_age: 86400\n"

static struct event_base *base;
static struct event *guard;
static char dir[64];
static pid_t server_pid, proxy_pid;
static int tls_port, plain_port, tls11_port, proxy_port;
static struct buf *logs;

struct result {
    int     calls;
    enum sts_fetch_status status;
    char   *body;
    size_t  len;
    char    why[512];
    struct sts_fetcher *free_me;	/* freed from inside the callback */
};

/* cleanup - kill every child, remove the temp dir (also on bail) */
static void cleanup(void)
{
    char    cmd[128];

    if (server_pid > 0) {
	kill(server_pid, SIGKILL);
	waitpid(server_pid, NULL, 0);
	server_pid = 0;
    }
    if (proxy_pid > 0) {
	kill(proxy_pid, SIGKILL);
	waitpid(proxy_pid, NULL, 0);
	proxy_pid = 0;
    }
    if (dir[0] && getenv("STS_FETCH_KEEP") == NULL) {
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
	    diag("cannot remove %s", dir);
	dir[0] = '\0';
    }
}

/* log_hook - keep every line */
static void log_hook(int priority, const char *line, void *ctx)
{
    (void) priority;
    (void) ctx;
    buf_puts(logs, line);
    buf_putc(logs, '\n');
}

/* log_has - is there a line that is exactly line */
static bool log_has(const char *line)
{
    size_t  n = strlen(line);

    for (const char *cp = logs->data; *cp; cp = strchr(cp, '\n') + 1)
	if (strncmp(cp, line, n) == 0 && cp[n] == '\n')
	    return true;
    diag("log lines:\n%s", logs->data);
    return false;
}

/* file_text - a whole (small) file, caller frees; "" when absent */
static char *file_text(const char *name)
{
    char    path[128];
    struct buf *b = buf_alloc(1024, 1 << 20);
    char    chunk[4096];
    size_t  n;
    FILE   *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((fp = fopen(path, "r")) != NULL) {
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
	    buf_append(b, chunk, n);
	fclose(fp);
    }
    return buf_steal(b);
}

/* spawn - fork and exec argv with stdout to out_fd (-1: keep); the child
 * dies with us */
static pid_t spawn(char *const argv[], int out_fd)
{
    pid_t   pid;

    if ((pid = fork()) < 0)
	bail("fork: %s", strerror(errno));
    if (pid == 0) {
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (out_fd >= 0)
	    dup2(out_fd, 1);
	execv(argv[0], argv);
	_exit(127);
    }
    return pid;
}

/* start_server - mkcerts, then server.py; read its three ports */
static void start_server(void)
{
    char    certs[128], logf[128], line[128] = "";
    char   *mk[] = {"/bin/sh", DATA "/mkcerts.sh", dir, NULL};
    char   *py[] = {PYTHON, DATA "/server.py", dir, logf, SLOW_S, NULL};
    struct pollfd pfd;
    int     p[2], status;
    ssize_t n;
    size_t  len = 0;
    pid_t   pid;

    snprintf(certs, sizeof(certs), "%s/ca.pem", dir);
    snprintf(logf, sizeof(logf), "%s/requests.log", dir);
    pid = spawn(mk, -1);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)
	|| WEXITSTATUS(status) != 0 || access(certs, R_OK) != 0)
	bail("mkcerts.sh failed");
    if (pipe(p) < 0)
	bail("pipe: %s", strerror(errno));
    server_pid = spawn(py, p[1]);
    close(p[1]);
    pfd.fd = p[0];
    pfd.events = POLLIN;
    while (strchr(line, '\n') == NULL && len < sizeof(line) - 1) {
	if (poll(&pfd, 1, 10000) <= 0
	    || (n = read(p[0], line + len, sizeof(line) - 1 - len)) <= 0)
	    bail("server.py did not start");
	len += (size_t) n;
	line[len] = '\0';
    }
    close(p[0]);
    if (sscanf(line, "%d %d %d", &tls_port, &plain_port, &tls11_port) != 3)
	bail("server.py said \"%s\"", line);
}

/* free_port - a port nobody listens on right now */
static int free_port(void)
{
    int     fd;
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int     port;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0
	|| bind(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0
	|| getsockname(fd, (struct sockaddr *) &sin, &len) < 0)
	bail("free_port: %s", strerror(errno));
    port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

/* start_proxy - tinyproxy on 127.0.0.1, CONNECT to the TLS port only;
 * false when it is not installed or does not come up */
static bool start_proxy(void)
{
    char    conf[128];
    char   *argv[] = {TINYPROXY, "-d", "-c", conf, NULL};
    struct sockaddr_in sin;
    FILE   *fp;
    int     fd, up = 0;

    if (access(TINYPROXY, X_OK) != 0)
	return false;
    proxy_port = free_port();
    snprintf(conf, sizeof(conf), "%s/tinyproxy.conf", dir);
    if ((fp = fopen(conf, "w")) == NULL)
	bail("%s: %s", conf, strerror(errno));
    fprintf(fp, "Port %d\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\n"
	    "ConnectPort %d\nLogLevel Info\nLogFile \"%s/tinyproxy.log\"\n"
	    "MaxClients 20\n", proxy_port, tls_port, dir);
    fclose(fp);
    proxy_pid = spawn(argv, -1);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t) proxy_port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 100 && !up; i++) {
	fd = socket(AF_INET, SOCK_STREAM, 0);
	up = connect(fd, (struct sockaddr *) &sin, sizeof(sin)) == 0;
	close(fd);
	if (!up)
	    usleep(30000);
    }
    return up;
}

/* on_guard - a case took too long */
static void on_guard(evutil_socket_t fd, short what, void *ctx)
{
    (void) fd;
    (void) what;
    (void) ctx;
    event_base_loopbreak(base);
}

/* on_done - the fetch callback: keep a copy of the outcome */
static void on_done(void *ctx, enum sts_fetch_status status, const char *body,
		            size_t len, const char *why)
{
    struct result *r = ctx;

    r->calls++;
    r->status = status;
    free(r->body);
    r->body = body ? xstrndup(body, len) : NULL;
    r->len = len;
    snprintf(r->why, sizeof(r->why), "%s", why ? why : "(null)");
    if (r->free_me)
	r->free_me = sts_fetcher_free(r->free_me);
    event_base_loopbreak(base);
}

/* run_for - run the loop for ms milliseconds */
static void run_for(int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    evtimer_add(guard, &tv);
    event_base_dispatch(base);
    evtimer_del(guard);
}

/* fetch - one fetch to its end (or the guard); r is reset first */
static void fetch(struct sts_fetcher *f, const char *domain,
		          const char *const *addrs, size_t n, struct result *r)
{
    struct timeval tv = {GUARD_S, 0};
    int     early;

    free(r->body);
    memset(r, 0, sizeof(*r));
    buf_reset(logs);
    sts_fetch_start(f, domain, addrs, n, on_done, r);
    early = r->calls;
    evtimer_add(guard, &tv);
    while (r->calls == 0 && evtimer_pending(guard, NULL))
	event_base_dispatch(base);
    evtimer_del(guard);
    if (early)
	diag("%s: callback called from inside sts_fetch_start", domain);
    if (r->calls == 0)
	r->status = (enum sts_fetch_status) -1;
}

static const char *lo[] = {"127.0.0.1"};

/* The simple cases: one domain on the TLS port, outcome and why. */
struct fcase {
    const char *domain;
    enum sts_fetch_status want;
    const char *why;			/* exact; NULL: why starts with prefix */
    const char *prefix;
    size_t  len;			/* body length on FETCH_OK */
};

static const struct fcase cases[] = {
    {"charset.good.test", FETCH_OK, "", NULL, sizeof(POLICY) - 1},
    {"upper.good.test", FETCH_OK, "", NULL, sizeof(POLICY) - 1},
    {"exact.good.test", FETCH_OK, "", NULL, 65536},
    {"exactchunk.good.test", FETCH_OK, "", NULL, 65536},
    {"octet.good.test", FETCH_MEDIA_TYPE,
    "media type \"application/octet-stream\" is not text/plain", NULL, 0},
    {"notype.good.test", FETCH_MEDIA_TYPE,
    "no media type (text/plain required)", NULL, 0},
    {"notfound.good.test", FETCH_STATUS, "HTTP status 404", NULL, 0},
    {"redirect.good.test", FETCH_STATUS,
    "HTTP status 301 (a redirect is not followed)", NULL, 0},
    {"biglen.good.test", FETCH_SIZE,
    "body of 70000 bytes (Content-Length) over the limit of 65536 bytes", NULL, 0},
    {"bigchunk.good.test", FETCH_SIZE, NULL,
    "body over the limit of 65536 bytes (", 0},
    {"wrong.test", FETCH_CERTIFICATE, NULL, "certificate: ", 0},
    {"unknown.test", FETCH_CERTIFICATE, NULL, "certificate: ", 0},
    {"a/b.good.test", FETCH_OTHER, "invalid domain name", NULL, 0},
};

/* check - compare a result with a case; 2 or 3 tests */
static void check(const struct fcase *c, const struct result *r)
{
    char    line[600];

    is_string(sts_fetch_status_name(c->want), r->calls ?
	      sts_fetch_status_name(r->status) : "(no callback)",
	      "%s: outcome", c->domain);
    if (c->why)
	is_string(c->why, r->why, "%s: why", c->domain);
    else if (!ok(strncmp(r->why, c->prefix, strlen(c->prefix)) == 0,
		 "%s: why starts with \"%s\"", c->domain, c->prefix))
	diag("why: %s", r->why);
    if (c->want == FETCH_OK) {
	is_int((long) c->len, (long) r->len, "%s: body length", c->domain);
    } else {
	snprintf(line, sizeof(line), "MTA-STS policy fetch failed domain=%s "
		 "cause=%s detail=%s", c->domain, sts_fetch_status_name(c->want),
		 r->why);
	ok(log_has(line), "%s: logged with cause", c->domain);
    }
}

/* test_basic - the TLS port with the test CA */
static void test_basic(struct sts_fetcher *f)
{
    static const char *two[] = {"127.0.0.2", "127.0.0.1"};
    static const char *refused[] = {"127.0.0.2"};
    static const char *v6[] = {"::1"};
    static const char *names[] = {"mta-sts.ok.good.test"};
    struct result r = {0};
    char    self[128], name[64];
    char   *reqs;

    fetch(f, "ok.good.test", lo, 1, &r);
    is_int(FETCH_OK, r.status, "ok: outcome");
    is_string(POLICY, r.body, "ok: body exact");
    is_int(sizeof(POLICY) - 1, (long) r.len, "ok: length");

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
	fetch(f, cases[i].domain, lo, 1, &r);
	check(cases + i, &r);
    }
    fetch(f, "wrong.test", lo, 1, &r);
    snprintf(name, sizeof(name), "'mta-sts.wrong.test'");
    ok(strstr(r.why, name) != NULL, "wrong name: why names it: %s", r.why);
    fetch(f, "unknown.test", lo, 1, &r);
    ok(strstr(r.why, "self-signed") != NULL, "unknown CA: why: %s", r.why);
    reqs = file_text("requests.log");
    ok(strstr(reqs, "mta-sts.redirect.good.test /.well-known/mta-sts.txt\n")
       && !strstr(reqs, "/elsewhere"), "redirect: target not requested");
    ok(!strstr(reqs, "a/b"), "invalid domain: nothing requested");
    free(reqs);

    /* SSL_CERT_FILE and friends trusting the self-signed host change nothing */
    snprintf(self, sizeof(self), "%s/self.pem", dir);
    setenv("SSL_CERT_FILE", self, 1);
    setenv("CURL_CA_BUNDLE", self, 1);
    setenv("SSL_CERT_DIR", dir, 1);
    fetch(f, "unknown.test", lo, 1, &r);
    is_int(FETCH_CERTIFICATE, r.status, "SSL_CERT_FILE set: still certificate");
    unsetenv("SSL_CERT_FILE");
    unsetenv("CURL_CA_BUNDLE");
    unsetenv("SSL_CERT_DIR");

    fetch(f, "ok.good.test", refused, 1, &r);
    is_int(FETCH_CONNECT, r.status, "refused: connect");
    ok(strncmp(r.why, "connect: ", 9) == 0, "refused: why %s", r.why);
    ok(strstr(r.why, "127.0.0.2") != NULL, "refused: names the address");
    fetch(f, "ok.good.test", v6, 1, &r);
    is_int(FETCH_CONNECT, r.status, "::1 (nothing there): connect");
    ok(strstr(r.why, " ::1 ") != NULL, "::1: pinned in brackets: %s", r.why);

    fetch(f, "two.good.test", two, 2, &r);
    is_int(FETCH_OK, r.status, "first address refuses: second one used");
    is_string(POLICY, r.body, "two addresses: body");
    ok(strstr(logs->data, "MTA-STS policy host unreachable domain=two.good.test "
	      "address=127.0.0.2 detail=connect: ") != NULL,
       "two addresses: the first failure logged");

    fetch(f, "ok.good.test", names, 1, &r);
    is_int(FETCH_CONNECT, r.status, "a name as address: connect");
    is_string("no address for the policy host", r.why, "a name: why");
    ok(log_has("MTA-STS policy host address ignored domain=ok.good.test "
	       "address=mta-sts.ok.good.test: not numeric"), "a name: warned");
    free(r.body);
}

/* test_tls - plain HTTP and TLS 1.1 answer a TLS 1.2 client */
static void test_tls(struct sts_fetcher *f)
{
    struct result r = {0};

    sts_fetcher_set_port(f, plain_port);
    fetch(f, "plain.good.test", lo, 1, &r);
    is_string("tls", sts_fetch_status_name(r.status), "plain HTTP port: tls");
    sts_fetcher_set_port(f, tls11_port);
    fetch(f, "tls11.good.test", lo, 1, &r);
    is_string("tls", sts_fetch_status_name(r.status), "TLS 1.1 only: tls");
    ok(strncmp(r.why, "TLS: ", 5) == 0, "TLS 1.1 only: why %s", r.why);
    sts_fetcher_set_port(f, tls_port);
    free(r.body);
}

/* elapsed_ms - since t0 */
static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* test_time - timeout, cancel in flight, free in flight, free in callback */
static void test_time(const char *ca)
{
    char    why[256];
    struct sts_fetcher *f = sts_fetcher_new(base, ca, "", 1, why, sizeof(why));
    struct sts_fetcher *g;
    struct result r = {0}, r2 = {0};
    struct sts_fetch *fe;
    struct timespec t0;
    long    ms;

    if (f == NULL)
	bail("sts_fetcher_new: %s", why);
    sts_fetcher_set_port(f, tls_port);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fetch(f, "slow.good.test", lo, 1, &r);
    ms = elapsed_ms(&t0);
    is_int(FETCH_TIMEOUT, r.status, "slow: timeout");
    ok(strncmp(r.why, "timeout after 1 s", 17) == 0, "slow: why %s", r.why);
    ok(ms >= 900 && ms < 2500, "slow: gave up after %ld ms", ms);

    /* cancel in flight, and at once */
    memset(&r, 0, sizeof(r));
    fe = sts_fetch_start(f, "cancel.good.test", lo, 1, on_done, &r);
    run_for(300);
    sts_fetch_cancel(fe);
    fe = sts_fetch_start(f, "ok.good.test", lo, 1, on_done, &r);
    sts_fetch_cancel(fe);
    fe = sts_fetch_start(f, "a/b", lo, 1, on_done, &r);	/* fails at once */
    sts_fetch_cancel(fe);
    run_for(300);
    is_int(0, r.calls, "cancelled fetches: no callback");
    memset(&r, 0, sizeof(r));
    sts_fetch_start(f, "a/b", lo, 1, on_done, &r);
    is_int(0, r.calls, "a failure at once: not called from inside start");
    run_for(1000);
    is_int(1, r.calls, "a failure at once: called from the loop");

    /* the fetcher freed with fetches in flight */
    memset(&r, 0, sizeof(r));
    sts_fetch_start(f, "cancel.good.test", lo, 1, on_done, &r);
    sts_fetch_start(f, "slow.good.test", lo, 1, on_done, &r);
    sts_fetch_start(f, "a/b", lo, 1, on_done, &r);	/* deferred failure */
    f = sts_fetcher_free(f);
    f = sts_fetcher_new(base, ca, "", 1, why, sizeof(why));
    sts_fetcher_set_port(f, tls_port);
    sts_fetch_start(f, "cancel.good.test", lo, 1, on_done, &r);
    sts_fetch_start(f, "slow.good.test", lo, 1, on_done, &r);
    run_for(200);
    f = sts_fetcher_free(f);
    run_for(200);
    is_int(0, r.calls, "fetcher freed in flight: no callback");

    /* a callback that frees its fetcher while another fetch waits */
    g = sts_fetcher_new(base, ca, "", 5, why, sizeof(why));
    sts_fetcher_set_port(g, tls_port);
    sts_fetch_start(g, "cancel.good.test", lo, 1, on_done, &r2);
    memset(&r, 0, sizeof(r));
    r.free_me = g;
    sts_fetch_start(g, "ok.good.test", lo, 1, on_done, &r);
    run_for(3000);
    is_int(1, r.calls, "callback freeing its fetcher: called once");
    ok(r.free_me == NULL && r2.calls == 0, "the other fetch: no callback");
    free(r.body);
    free(r2.body);
}

/* test_proxy - through tinyproxy, CONNECT to the pinned address */
static void test_proxy(const char *ca)
{
    static const char *refused[] = {"127.0.0.2"};
    char    why[256], proxy[64], want[96];
    struct sts_fetcher *f;
    struct result r = {0};
    char   *plog;

    if (!start_proxy()) {
	for (int i = 0; i < 5; i++)
	    ok(true, "# skip tinyproxy not available");
	return;
    }
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", proxy_port);
    if ((f = sts_fetcher_new(base, ca, proxy, 5, why, sizeof(why))) == NULL)
	bail("sts_fetcher_new with proxy: %s", why);
    sts_fetcher_set_port(f, tls_port);
    fetch(f, "proxy.good.test", lo, 1, &r);
    is_int(FETCH_OK, r.status, "proxy: outcome");
    is_string(POLICY, r.body, "proxy: body");
    fetch(f, "proxy.good.test", refused, 1, &r);
    is_int(FETCH_CONNECT, r.status, "proxy, target refused: connect");
    snprintf(want, sizeof(want), "connect: proxy answered CONNECT to "
	     "127.0.0.2 with 500");
    is_string(want, r.why, "proxy, target refused: why");
    plog = file_text("tinyproxy.log");
    snprintf(want, sizeof(want), "CONNECT 127.0.0.1:%d HTTP/1.1", tls_port);
    ok(strstr(plog, want) && !strstr(plog, "mta-sts."),
       "proxy: CONNECT to the pinned address, never the name");
    free(plog);
    free(r.body);
    sts_fetcher_free(f);
}

/* test_new - sts_fetcher_new refuses what it cannot honour */
static void test_new(const char *ca)
{
    char    why[256];

    ok(sts_fetcher_new(base, "/nonexistent/ca.pem", "", 5, why,
		       sizeof(why)) == NULL, "missing CA file: NULL");
    is_string("CA file /nonexistent/ca.pem: No such file or directory", why,
	      "missing CA file: why");
    ok(sts_fetcher_new(base, ca, "http://proxy.example:3128", 5, why,
		       sizeof(why)) == NULL, "proxy by name: NULL");
}

int     main(void)
{
    char    ca[128], why[256];
    struct sts_fetcher *f;

    plan(78);
    /* What the agent does in main(), before any thread starts. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	bail("curl_global_init");
    log_init("unit-sts-fetch", false);
    logs = buf_alloc(4096, 1 << 20);
    log_set_hook(log_hook, NULL);
    if (access(PYTHON, X_OK) != 0 || access("/usr/bin/openssl", X_OK) != 0)
	bail("needs %s and /usr/bin/openssl", PYTHON);
    snprintf(dir, sizeof(dir), "%s/sts-fetch.XXXXXX",
	     getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL)
	bail("mkdtemp: %s", strerror(errno));
    atexit(cleanup);
    if ((base = event_base_new()) == NULL)
	bail("event_base_new");
    guard = evtimer_new(base, on_guard, NULL);
    start_server();
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);

    if ((f = sts_fetcher_new(base, ca, "", 2, why, sizeof(why))) == NULL)
	bail("sts_fetcher_new: %s", why);
    sts_fetcher_set_port(f, tls_port);
    test_basic(f);
    test_tls(f);
    f = sts_fetcher_free(f);
    test_time(ca);
    test_proxy(ca);
    test_new(ca);

    cleanup();
    event_free(guard);
    event_base_free(base);
    buf_free(logs);
    curl_global_cleanup();
    return exit_status();
}
