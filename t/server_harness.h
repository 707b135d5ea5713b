/*
 * server_harness - what the socketmap server's unit tests (unit-server,
 * unit-server-limits) share: the server (agent/server.c) in this process on
 * an event_base, listening on a unix socket (in a temp dir) and on 127.0.0.1,
 * driven by blocking clients in forked children.
 *
 * The parent runs the loop while a child talks to the server; the child
 * writes a transcript (one line per reply: the payload, a long one cut to
 * "first 16 bytes...(len N)"; "EOF" when the server closed; "TIMEOUT";
 * "RESET") to a pipe, and the parent compares it exactly.
 *
 * The test handler answers by map: "echo" OK <key> at once; "nf" NOTFOUND;
 * "big" OK with a payload of <key> bytes; "later" OK <key> after <key> ms
 * (so replies complete out of order); any other TEMP.
 *
 * Every log line is captured in the harness (sh_log_find, sh_log_count).
 * Setup failures bail(). Nothing here is static state: it all lives in the
 * struct sh that sh_new() returns.
 */
#ifndef DESTCTL_SERVER_HARNESS_H
#define DESTCTL_SERVER_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include <event2/event.h>

#include "buf.h"
#include "netstring.h"
#include "server.h"

#define SH_READ_MS	5000		/* a client waits this long for a reply */
#define SH_BIGS		40		/* 100,000-byte replies in one write */

/* The harness: owned by the test program, freed with sh_free(). */
struct sh {
    struct event_base *base;
    struct sm_server *server;		/* NULL once a test frees it */
    char    dir[64];			/* temp dir for unix sockets */
    char    unix_ep[100];		/* "unix:<dir>/agent.sock" */
    char    inet_ep[64];		/* "inet:127.0.0.1:<port>" */
    struct buf *logs;			/* captured log lines, '\n' after each */
    int     jobs_live;			/* "later" answers still to come */
    int     jobs_peak;			/* most of them at once */
    int     clients_peak;		/* most clients seen by the handler */
};

/*
 * sh_new - start capturing log lines, make a temp dir /tmp/<name>.XXXXXX,
 * an event_base and a server (max_clients 100, idle_timeout 10) with
 * sh_handler, not yet listening. Call after plan(). Caller frees with
 * sh_free().
 */
extern struct sh *sh_new(const char *name);

/* sh_listen - listen on h->unix_ep (mode 0600) and on a free 127.0.0.1 port,
 * set in h->inet_ep; bail() on failure. */
extern void sh_listen(struct sh *h);

/* sh_free - free the server (if any), let orphans be answered, free the
 * loop and the captured lines, remove the temp dir. Returns NULL. */
extern struct sh *sh_free(struct sh *h);

/* sh_handler - the test handler (see above); ctx is the struct sh. */
extern void sh_handler(void *ctx, struct sm_request *req, const char *map,
		               const char *key);

/* sh_free_port - a TCP port on 127.0.0.1 free a moment ago */
extern int sh_free_port(void);

/* sh_log_count - captured lines that start with prefix */
extern int sh_log_count(const struct sh *h, const char *prefix);

/* sh_log_find - the first captured line starting with prefix ("" when
 * none), copied into out, which is returned. */
extern const char *sh_log_find(const struct sh *h, const char *prefix,
			               char *out, size_t outsz);

/*
 * Clients: they run in a child process, blocking I/O is fine there.
 */
struct sh_cl {
    int     fd;
    struct netstring_parser p;
    char    in[4096];
    size_t  off;
    size_t  len;
};

/* sh_cl_open - connect to endpoint; NULL on failure. Free with sh_cl_close. */
extern struct sh_cl *sh_cl_open(const char *ep);

/* sh_cl_must - sh_cl_open, or end the child with the reason as transcript */
extern struct sh_cl *sh_cl_must(const char *ep);

/* sh_cl_close - close and free; NULL is fine */
extern void sh_cl_close(struct sh_cl *c);

/* sh_cl_send - write all of data, one byte per write when bytewise */
extern void sh_cl_send(struct sh_cl *c, const char *data, size_t len,
		               int bytewise);

/* sh_cl_ask - send the netstring of one request payload */
extern void sh_cl_ask(struct sh_cl *c, const char *payload);

/* sh_cl_read - read one reply (or EOF...) and append its transcript line */
extern void sh_cl_read(struct sh_cl *c, struct buf *out, int timeout_ms);

/*
 * Running a client child while the loop serves it.
 */
typedef void (*sh_client_fn) (struct buf *out, const void *arg);

/*
 * sh_run_client - fork a child running fn(out, arg), serve it until it ends;
 * its transcript lands in out (reset first). setup, when set, runs in the
 * parent before the loop. Returns the child's pid.
 */
extern pid_t sh_run_client(struct sh *h, sh_client_fn fn, const void *arg,
			           struct buf *out, void (*setup) (struct sh *h));

/* sh_ask_one - a child asks payload once on ep and reads one reply; its pid */
extern pid_t sh_ask_one(struct sh *h, const char *ep, const char *payload,
			        struct buf *out);

/* sh_spin - run the loop for ms milliseconds */
extern void sh_spin(struct sh *h, int ms);

/* sh_settle - let the server see the clients' ends; none may be left (one
 * test: "<what>: no client left") */
extern void sh_settle(struct sh *h, const char *what);

#endif
