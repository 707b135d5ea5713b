/*
 * server_harness - the socketmap server's unit tests' shared harness: the
 * server and its handler, captured log lines, clients, client children.
 * See server_harness.h.
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
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "buf.h"
#include "log.h"
#include "netstring.h"
#include "server.h"
#include "server_harness.h"
#include "sockmap.h"
#include "tap.h"
#include "util.h"

/*
 * The test handler.
 */
struct sh_job {
    struct sh *h;
    struct sm_request *req;
    struct event *ev;
    char   *text;
};

/* sh_job_fire - answer a "later" request */
static void sh_job_fire(evutil_socket_t fd, short what, void *ctx)
{
    struct sh_job *j = ctx;

    (void) fd;
    (void) what;
    sm_reply(j->req, SOCKMAP_OK, j->text);
    event_free(j->ev);
    j->h->jobs_live--;
    free(j->text);
    free(j);
}

/* sh_handler - answer by map name */
void    sh_handler(void *ctx, struct sm_request *req, const char *map,
		           const char *key)
{
    struct sh *h = ctx;
    struct sh_job *j;
    struct timeval tv;
    long    n = atol(key);
    char   *v;

    if (h->server && sm_server_clients(h->server) > h->clients_peak)
	h->clients_peak = sm_server_clients(h->server);
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
	j->h = h;
	j->req = req;
	j->text = xstrdup(key);
	j->ev = evtimer_new(h->base, sh_job_fire, j);
	tv.tv_sec = n / 1000;
	tv.tv_usec = (n % 1000) * 1000;
	evtimer_add(j->ev, &tv);
	if (++h->jobs_live > h->jobs_peak)
	    h->jobs_peak = h->jobs_live;
    } else {
	sm_reply(req, SOCKMAP_TEMP, "no such map");
    }
}

/*
 * Captured log lines.
 */

/* sh_log_hook - keep every line */
static void sh_log_hook(int priority, const char *line, void *ctx)
{
    struct sh *h = ctx;

    (void) priority;
    buf_puts(h->logs, line);
    buf_putc(h->logs, '\n');
}

/* sh_log_count - lines that start with prefix */
int     sh_log_count(const struct sh *h, const char *prefix)
{
    int     n = 0;

    for (const char *cp = h->logs->data; *cp; cp = strchr(cp, '\n') + 1)
	if (strncmp(cp, prefix, strlen(prefix)) == 0)
	    n++;
    return n;
}

/* sh_log_find - the first line starting with prefix ("" when none), in out */
const char *sh_log_find(const struct sh *h, const char *prefix, char *out,
			        size_t outsz)
{
    const char *cp;
    size_t  len;

    out[0] = '\0';
    for (cp = h->logs->data; *cp; cp = strchr(cp, '\n') + 1) {
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

/* sh_cl_open - connect to endpoint; NULL on failure */
struct sh_cl *sh_cl_open(const char *ep)
{
    struct sockaddr_un sun;
    struct addrinfo hints;
    struct addrinfo *res;
    char    host[64];
    const char *port;
    struct sh_cl *c;
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

/* sh_cl_must - sh_cl_open, or end the child, the reason its transcript */
struct sh_cl *sh_cl_must(const char *ep)
{
    struct sh_cl *c = sh_cl_open(ep);

    if (c == NULL) {
	dprintf(3, "cannot connect to %s: %s\n", ep, strerror(errno));
	_exit(1);
    }
    return c;
}

/* sh_cl_close - close and free */
void    sh_cl_close(struct sh_cl *c)
{
    if (c == NULL)
	return;
    close(c->fd);
    netstring_parser_release(&c->p);
    free(c);
}

/* sh_cl_send - write all of data, one byte per write when bytewise */
void    sh_cl_send(struct sh_cl *c, const char *data, size_t len, int bytewise)
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

/* sh_cl_ask - send the netstring of one request payload */
void    sh_cl_ask(struct sh_cl *c, const char *payload)
{
    struct buf *b = buf_alloc(64, 2 * SOCKMAP_MAX_REQUEST);

    netstring_encode(b, payload, strlen(payload));
    sh_cl_send(c, b->data, b->len, 0);
    buf_free(b);
}

/* sh_cl_read - read one reply (or EOF...) and append its transcript line */
void    sh_cl_read(struct sh_cl *c, struct buf *out, int timeout_ms)
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
struct sh_child {
    struct sh *h;
    struct buf *out;			/* the transcript */
};

/* sh_child_pipe - collect the child's transcript; stop the loop at its end */
static void sh_child_pipe(evutil_socket_t fd, short what, void *ctx)
{
    struct sh_child *ch = ctx;
    char    chunk[4096];
    ssize_t n;

    (void) what;
    if ((n = read(fd, chunk, sizeof(chunk))) > 0)
	buf_append(ch->out, chunk, (size_t) n);
    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
	event_base_loopbreak(ch->h->base);
}

/* sh_child_guard - a child that never ends is a broken test */
static void sh_child_guard(evutil_socket_t fd, short what, void *ctx)
{
    (void) fd;
    (void) what;
    (void) ctx;
    bail("a client child ran for more than 60 s");
}

/* sh_run_client - fork a child running fn(out, arg), serve it until it ends */
pid_t   sh_run_client(struct sh *h, sh_client_fn fn, const void *arg,
		              struct buf *out, void (*setup) (struct sh *h))
{
    struct sh_child ch = {h, out};
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
    pe = event_new(h->base, p[0], EV_READ | EV_PERSIST, sh_child_pipe, &ch);
    guard = evtimer_new(h->base, sh_child_guard, NULL);
    event_add(pe, NULL);
    evtimer_add(guard, &tv);
    if (setup)
	setup(h);
    event_base_dispatch(h->base);
    event_free(pe);
    event_free(guard);
    close(p[0]);
    waitpid(pid, NULL, 0);
    return pid;
}

/* sh_ask_one_client - one request, one reply */
static void sh_ask_one_client(struct buf *out, const void *arg)
{
    const char *const *a = arg;		/* {endpoint, payload} */
    struct sh_cl *c = sh_cl_must(a[0]);

    sh_cl_ask(c, a[1]);
    sh_cl_read(c, out, SH_READ_MS);
    sh_cl_close(c);
}

/* sh_ask_one - a child asks payload once on ep and reads one reply */
pid_t   sh_ask_one(struct sh *h, const char *ep, const char *payload,
		           struct buf *out)
{
    const char *a[2] = {ep, payload};

    return sh_run_client(h, sh_ask_one_client, a, out, NULL);
}

/* sh_spin - run the loop for ms milliseconds */
void    sh_spin(struct sh *h, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    event_base_loopexit(h->base, &tv);
    event_base_dispatch(h->base);
}

/* sh_settle - let the server see the clients' ends; none may be left */
void    sh_settle(struct sh *h, const char *what)
{
    sh_spin(h, 50);
    is_int(0, sm_server_clients(h->server), "%s: no client left", what);
}

/*
 * The server.
 */

/* sh_free_port - a TCP port on 127.0.0.1 free a moment ago */
int     sh_free_port(void)
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

/* sh_new - temp dir, loop, log capture, a server not yet listening */
struct sh *sh_new(const char *name)
{
    struct sm_limits lim = {100, 10, 10};
    struct sh *h = xcalloc(1, sizeof(*h));

    tap_log_capture();
    h->logs = buf_alloc(4096, 1 << 22);
    log_set_hook(sh_log_hook, h);
    snprintf(h->dir, sizeof(h->dir), "/tmp/%s.XXXXXX", name);
    if (mkdtemp(h->dir) == NULL)
	bail("mkdtemp: %s", strerror(errno));
    snprintf(h->unix_ep, sizeof(h->unix_ep), "unix:%s/agent.sock", h->dir);
    if ((h->base = event_base_new()) == NULL)
	bail("event_base_new failed");
    h->server = sm_server_new(h->base, &lim, sh_handler, h);
    return h;
}

/* sh_listen - the unix socket and a free inet port, or bail */
void    sh_listen(struct sh *h)
{
    char    why[256];
    int     rc;

    if (sm_server_listen(h->server, h->unix_ep, (gid_t) -1, why,
			 sizeof(why)) < 0)
	bail("listen %s: %s", h->unix_ep, why);
    for (int i = 0;; i++) {
	if (i == 5)
	    bail("listen %s: %s", h->inet_ep, why);
	snprintf(h->inet_ep, sizeof(h->inet_ep), "inet:127.0.0.1:%d",
		 sh_free_port());
	rc = sm_server_listen(h->server, h->inet_ep, (gid_t) -1, why,
			      sizeof(why));
	if (rc == 0)
	    break;
    }
}

/* sh_free - free the server, let orphans go, free the rest */
struct sh *sh_free(struct sh *h)
{
    if (h == NULL)
	return NULL;
    if (h->server)
	h->server = sm_server_free(h->server);
    for (int i = 0; h->jobs_live > 0 && i < 100; i++)
	sh_spin(h, 20);
    event_base_free(h->base);
    log_set_hook(NULL, NULL);
    buf_free(h->logs);
    rmdir(h->dir);
    free(h);
    return NULL;
}
