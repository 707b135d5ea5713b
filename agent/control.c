/*
 * control - the control socket's requests and the reload; see control.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "control.h"
#include "domain.h"
#include "log.h"

#ifndef DESTCTL_VERSION
#define DESTCTL_VERSION "0.1.0"
#endif

/* control_reload - reload; on success every decision is logged anew */
int     control_reload(struct agent *a)
{
    if (agent_reload(a) < 0)
	return -1;
    lookup_forget(a->lookup);
    return 0;
}

/* control_status - one line about the agent */
static void control_status(struct agent *a, struct sm_request *req)
{
    struct buf *b = buf_alloc(256, 1024);
    int     inflight, queued;
    size_t  cached;
    struct lookup_stats ls;
    char    state[80];

    resolver_stats(a->resolver, &inflight, &queued, &cached);
    lookup_stats(a->lookup, &ls);
    buf_printf(b, "version=%s uptime=%ld destinations=%zu clients=%d requests=%lu "
	       "temp=%lu dns_inflight=%d dns_queued=%d dns_cached=%zu cache=\"%s\"",
	       DESTCTL_VERSION, (long) (time(NULL) - a->started),
	       a->cur->cfg->profiles->n, sm_server_clients(a->server), ls.requests,
	       ls.temps, inflight, queued, cached,
	       sts_cache_state(a->sts, state, sizeof(state)));
    sm_reply(req, SOCKMAP_OK, b->data);
    buf_free(b);
}

/* control_handle - status, flush, reload */
void    control_handle(void *ctx, struct sm_request *req, const char *cmd,
		               const char *arg)
{
    struct agent *a = ctx;
    char    domain[DOMAIN_MAX + 1], why[256];

    if (strcmp(cmd, "status") == 0) {
	control_status(a, req);
    } else if (strcmp(cmd, "flush") == 0) {
	if (strcmp(arg, "-") == 0) {
	    dane_flush(a->dane, NULL);
	    resolver_flush(a->resolver, NULL);
	    lookup_forget(a->lookup);
	    msg_info("control: flushed every cached DNS and DANE result");
	    sm_reply(req, SOCKMAP_OK, "flushed all");
	} else if (domain_normalize(arg, domain, why, sizeof(why)) < 0) {
	    sm_reply(req, SOCKMAP_PERM, why);
	} else {
	    dane_flush(a->dane, domain);
	    resolver_flush(a->resolver, domain);
	    sts_forget(a->sts, domain);	/* re-read from the durable cache */
	    lookup_forget(a->lookup);
	    msg_info("control: flushed cached results domain=%s", domain);
	    sm_reply(req, SOCKMAP_OK, domain);
	}
    } else if (strcmp(cmd, "ack-cache") == 0) {
	if (sts_cache_ack(a->sts, why, sizeof(why)) == 0)
	    sm_reply(req, SOCKMAP_OK, "acknowledged");
	else
	    sm_reply(req, SOCKMAP_TEMP, why);
    } else if (strcmp(cmd, "reload") == 0) {
	if (control_reload(a) == 0)
	    sm_reply(req, SOCKMAP_OK, "reloaded");
	else
	    sm_reply(req, SOCKMAP_PERM, "configuration invalid; see the log");
    } else {
	sm_reply(req, SOCKMAP_PERM, "unknown command: status, flush DOMAIN|-, reload, ack-cache");
    }
}
