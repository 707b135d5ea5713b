/*
 * agent - configuration snapshots, reload, and the control socket's
 * commands; see agent.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "domain.h"
#include "log.h"
#include "util.h"

#ifndef DESTCTL_VERSION
#define DESTCTL_VERSION "0.1.0"
#endif

/* agent_cfg_hold - one more reference to the snapshot in force */
struct agent_cfg *agent_cfg_hold(struct agent *a)
{
    a->cur->refs++;
    return a->cur;
}

/* agent_cfg_release - drop a reference; the last one frees */
void    agent_cfg_release(struct agent_cfg *ac)
{
    if (ac && --ac->refs == 0) {
	cfg_free(ac->cfg);
	free(ac);
    }
}

/* agent_same_list - equal string lists */
static bool agent_same_list(const struct strlist *x, const struct strlist *y)
{
    if (x->n != y->n)
	return false;
    for (size_t i = 0; i < x->n; i++)
	if (strcmp(x->v[i], y->v[i]) != 0)
	    return false;
    return true;
}

/* agent_restart_needed - settings a reload cannot change, said plainly */
static void agent_restart_needed(const struct cfg *old, const struct cfg *new)
{
    if (!agent_same_list(&old->agent_listen, &new->agent_listen)
	|| !str_eq(old->agent_control_socket, new->agent_control_socket)
	|| !str_eq(old->agent_user, new->agent_user)
	|| !str_eq(old->agent_pid_file, new->agent_pid_file))
	msg_warn("agent.listen, control_socket, user or pid_file changed: restart "
		 "destctld to apply them; the old values stay in force");
    if (!str_eq(old->resolver_trust_anchor_file, new->resolver_trust_anchor_file)
	|| !str_eq(old->resolver_root_hints, new->resolver_root_hints)
	|| !str_eq(old->resolver_unbound_conf, new->resolver_unbound_conf)
	|| !agent_same_list(&old->resolver_forward, &new->resolver_forward))
	msg_warn("resolver settings changed: restart destctld to apply them; the "
		 "old values stay in force");
    if (!str_eq(old->agent_cache_file, new->agent_cache_file)
	|| !str_eq(old->mta_sts_ca_file, new->mta_sts_ca_file)
	|| !str_eq(old->mta_sts_proxy, new->mta_sts_proxy)
	|| old->mta_sts_fetch_timeout != new->mta_sts_fetch_timeout)
	msg_warn("agent.cache_file or mta_sts settings changed: restart destctld to "
		 "apply them; the old values stay in force");
}

/* agent_reload - validate completely, then swap */
int     agent_reload(struct agent *a)
{
    struct diag d;
    struct cfg *c;
    struct agent_cfg *ac;

    diag_init(&d);
    if ((c = cfg_load(a->config_path, &d)) == NULL) {
	diag_log(&d);
	msg_warn("reload refused: %s has %d error%s; the running configuration "
		 "stays in force", a->config_path, d.nerrors, d.nerrors == 1 ? "" : "s");
	diag_release(&d);
	return -1;
    }
    diag_release(&d);
    agent_restart_needed(a->cur->cfg, c);
    log_set_debug(strcmp(c->agent_log_level, "debug") == 0 || log_debug_enabled());
    ac = xcalloc(1, sizeof(*ac));
    ac->cfg = c;
    ac->refs = 1;
    agent_cfg_release(a->cur);
    a->cur = ac;
    lookup_release(a);			/* log every decision anew */
    msg_info("configuration reloaded file=%s destinations=%zu", a->config_path,
	     c->profiles->n);
    return 0;
}

/* control_status - one line about the agent */
static void control_status(struct agent *a, struct sm_request *req)
{
    struct buf *b = buf_alloc(256, 1024);
    int     inflight, queued;
    size_t  cached;

    resolver_stats(a->resolver, &inflight, &queued, &cached);
    buf_printf(b, "version=%s uptime=%ld destinations=%zu clients=%d requests=%lu "
	       "temp=%lu dns_inflight=%d dns_queued=%d dns_cached=%zu",
	       DESTCTL_VERSION, (long) (time(NULL) - a->started),
	       a->cur->cfg->profiles->n, sm_server_clients(a->server), a->requests,
	       a->temps, inflight, queued, cached);
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
	    msg_info("control: flushed every cached DNS and DANE result");
	    sm_reply(req, SOCKMAP_OK, "flushed all");
	} else if (domain_normalize(arg, domain, why, sizeof(why)) < 0) {
	    sm_reply(req, SOCKMAP_PERM, why);
	} else {
	    dane_flush(a->dane, domain);
	    resolver_flush(a->resolver, domain);
	    sts_forget(a->sts, domain);	/* re-read from the durable cache */
	    msg_info("control: flushed cached results domain=%s", domain);
	    sm_reply(req, SOCKMAP_OK, domain);
	}
    } else if (strcmp(cmd, "reload") == 0) {
	if (agent_reload(a) == 0)
	    sm_reply(req, SOCKMAP_OK, "reloaded");
	else
	    sm_reply(req, SOCKMAP_PERM, "configuration invalid; see the log");
    } else {
	sm_reply(req, SOCKMAP_PERM, "unknown command: status, flush DOMAIN|-, reload");
    }
}
