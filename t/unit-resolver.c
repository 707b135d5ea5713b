/*
 * unit-resolver - the resolver under load: first contacts leave slots to
 * known domains, whose queue goes first; a queued query waits at most its
 * deadline; the first-contact queue is bounded; such load failures are not
 * cached. libunbound forwards to a local UDP socket that never answers, so
 * every resolution hangs until its deadline, as with a frozen name server.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "cfg.h"
#include "log.h"
#include "resolver.h"
#include "tap.h"

#define TIMEOUT_MS	1500
#define SLOTS		4		/* of which first contacts take 3 */
#define NFIRST		40
#define T_A		1

struct got {
    int     calls;
    char    why[128];
};

/* done - a resolver_cb: remember the first answer */
static void done(void *ctx, const struct dns_answer *a)
{
    struct got *g = ctx;

    if (g->calls++ == 0)
	snprintf(g->why, sizeof(g->why), "%s", a->status == DNS_FAIL && a->why ? a->why : "answer");
}

/* spew - write text to path */
static void spew(const char *path, const char *text)
{
    FILE   *fp = fopen(path, "w");

    if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
	bail("cannot write %s", path);
}

/* silent_server - a UDP socket on 127.0.0.1 that reads nothing; its port */
static int silent_server(int *fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((*fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0
	|| bind(*fd, (struct sockaddr *) &sin, sizeof(sin)) < 0
	|| getsockname(*fd, (struct sockaddr *) &sin, &len) < 0)
	bail("cannot make a silent UDP server");
    return ntohs(sin.sin_port);
}

int     main(void)
{
    char    dir[] = "/tmp/unit-resolver.XXXXXX", path[300], text[600], why[256];
    struct got first[NFIRST], k1 = {0}, k2 = {0}, again = {0};
    struct event_base *base;
    struct resolver *r;
    struct timeval run = {4, 0};
    struct diag d;
    struct cfg *c;
    int     fd, port, inflight, queued, busy = 0, late = 0;
    size_t  cached;

    tap_log_capture();
    plan(14);
    if (mkdtemp(dir) == NULL)
	bail("mkdtemp failed");
    port = silent_server(&fd);
    snprintf(path, sizeof(path), "%s/ub.conf", dir);
    snprintf(text, sizeof(text), "server:\n  do-not-query-localhost: no\n"
	     "forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@%d\n", port);
    spew(path, text);
    snprintf(path, sizeof(path), "%s/d.conf", dir);
    spew(path, "destinations = ( );\n");
    snprintf(path, sizeof(path), "%s/destctl.conf", dir);
    snprintf(text, sizeof(text), "destinations_file = \"d.conf\";\nresolver: { "
	     "trust_anchor_file = \"\"; unbound_conf = \"%s/ub.conf\"; };\n", dir);
    spew(path, text);
    diag_init(&d);
    if ((c = cfg_load(path, &d)) == NULL)
	bail("config: %s", diag_first_error(&d));
    diag_release(&d);
    base = event_base_new();
    if ((r = resolver_new(base, c, TIMEOUT_MS, SLOTS, why, sizeof(why))) == NULL)
	bail("resolver: %s", why);

    memset(first, 0, sizeof(first));
    for (int i = 0; i < 10; i++) {
	snprintf(text, sizeof(text), "f%d.example", i);
	resolver_query(r, text, T_A, RESOLVER_FIRST, done, &first[i]);
    }
    resolver_stats(r, &inflight, &queued, &cached);
    ok(inflight == 3 && queued == 7, "10 first contacts: 3 of 4 slots, 7 wait "
       "(inflight=%d queued=%d)", inflight, queued);
    resolver_query(r, "k1.example", T_A, RESOLVER_KNOWN, done, &k1);
    resolver_stats(r, &inflight, &queued, &cached);
    ok(inflight == 4 && queued == 7, "a known domain takes the slot kept for it at once "
       "(inflight=%d queued=%d)", inflight, queued);
    /* What is asked from here on is asked a moment later (the loop's clock). */
    usleep(100000);
    event_base_loop(base, EVLOOP_NONBLOCK);
    resolver_query(r, "k2.example", T_A, RESOLVER_KNOWN, done, &k2);
    resolver_query(r, "f9.example", T_A, RESOLVER_KNOWN, done, &again);
    resolver_stats(r, &inflight, &queued, &cached);
    ok(inflight == 4 && queued == 8, "all slots taken: the next known one waits, and a "
       "known asker joins a queued first contact (inflight=%d queued=%d)", inflight, queued);
    for (int i = 10; i < NFIRST; i++) {
	snprintf(text, sizeof(text), "f%d.example", i);
	resolver_query(r, text, T_A, RESOLVER_FIRST, done, &first[i]);
    }
    resolver_stats(r, &inflight, &queued, &cached);
    is_int(2 + RESOLVER_QUEUE_FACTOR * SLOTS, queued, "first contacts queued up to "
	   "%d x the slots, plus the two known", RESOLVER_QUEUE_FACTOR);
    for (int i = 0; i < NFIRST; i++)
	busy += first[i].calls;
    is_int(0, busy, "nothing answered inside resolver_query");

    event_base_loopexit(base, &run);
    event_base_dispatch(base);
    busy = late = 0;
    for (int i = 0; i < NFIRST; i++) {
	busy += strcmp(first[i].why, "resolver busy: too many first contacts waiting") == 0;
	late += strcmp(first[i].why, "not started within 1500 ms (resolver busy)") == 0;
    }
    is_int((NFIRST - 10) - (RESOLVER_QUEUE_FACTOR * SLOTS - 6), busy,
	   "the first contacts beyond the queue: failed at once");
    ok(late >= 20, "queued first contacts fail at their deadline, not later (%d)", late);
    is_string("no answer within 1500 ms", first[0].why, "a started one: its own deadline");
    is_string("no answer within 1500 ms", k1.why, "the known one: started at once");
    is_string("no answer within 1500 ms", k2.why, "the queued known one: started "
	      "before the queued first contacts");
    is_string("no answer within 1500 ms", again.why, "the first contact a known domain "
	      "joined: started with the known ones");
    is_int(1, first[9].calls, "its first asker answered once, with it");

    /* Load failures say nothing of the name: asked again, not from cache. */
    for (int i = 10; i < NFIRST; i++)
	if (strcmp(first[i].why, "not started within 1500 ms (resolver busy)") == 0) {
	    struct got g = {0};

	    snprintf(text, sizeof(text), "f%d.example", i);
	    resolver_query(r, text, T_A, RESOLVER_FIRST, done, &g);
	    is_int(0, g.calls, "a load failure is not cached: asked again");
	    break;
	}
    {
	struct got g = {0};

	resolver_query(r, "f0.example", T_A, RESOLVER_FIRST, done, &g);
	is_int(1, g.calls, "a real timeout is cached: answered at once");
    }
    r = resolver_free(r);
    event_base_free(base);
    cfg_free(c);
    close(fd);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    if (system(path) != 0)
	diag("cannot remove %s", dir);
    return exit_status();
}
