/*
 * agent - configuration snapshots and reload; see agent.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "util.h"

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
int     agent_reload(struct agent *a, char *why, size_t whysz)
{
    struct diag d;
    struct cfg *c;
    struct agent_cfg *ac;

    diag_init(&d);
    if ((c = cfg_load_daemon(a->config_path, &d)) == NULL) {
	diag_log(&d);
	msg_warn("reload refused: %s has %d error%s; the running configuration "
		 "stays in force", a->config_path, d.nerrors, d.nerrors == 1 ? "" : "s");
	snprintf(why, whysz, "%s", diag_first_error(&d) ? diag_first_error(&d) : "invalid");
	diag_release(&d);
	return -1;
    }
    diag_log(&d);			/* the warnings of a good one */
    diag_release(&d);
    agent_restart_needed(a->cur->cfg, c);
    log_set_debug(strcmp(c->agent_log_level, "debug") == 0 || log_debug_enabled());
    ac = xcalloc(1, sizeof(*ac));
    ac->cfg = c;
    ac->refs = 1;
    agent_cfg_release(a->cur);
    a->cur = ac;
    a->loaded = time(NULL);
    a->generation++;
    msg_info("configuration reloaded file=%s destinations=%zu", a->config_path,
	     c->profiles->n);
    return 0;
}
