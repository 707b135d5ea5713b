/*
 * control - the control socket's requests and the reload; see control.h.
 */
#include <stdarg.h>
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
int     control_reload(struct agent *a, char *why, size_t whysz)
{
    if (agent_reload(a, why, whysz) < 0)
	return -1;
    lookup_forget(a->lookup);
    return 0;
}

/* put - " key=value", the value percent-encoded (no leading space first) */
static void put(struct buf *b, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put(struct buf *b, const char *key, const char *fmt, ...)
{
    char    value[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    buf_put_field(b, 0, key, value);
}

/*
 * control_status - one line of space-separated key=value fields, values
 * percent-encoded (as the profile map): what destctl status shows.
 */
static void control_status(struct agent *a, struct sm_request *req)
{
    struct buf *b = buf_alloc(512, 4096);
    struct buf *top = buf_alloc(128, 1024);
    int     inflight, queued;
    size_t  cached, dane_cached, dane_running;
    struct lookup_stats ls;
    struct sts_stats ss;
    char    state[80];

    resolver_stats(a->resolver, &inflight, &queued, &cached);
    dane_stats(a->dane, &dane_cached, &dane_running);
    sts_stats(a->sts, &ss);
    lookup_stats(a->lookup, &ls);
    for (int i = 0; i < LOOKUP_TEMP_KINDS && ls.temp_top[i].kind[0]; i++)
	buf_printf(top, "%s%s:%lu", i ? "," : "", ls.temp_top[i].kind, ls.temp_top[i].n);
    put(b, "version", "%s", DESTCTL_VERSION);
    put(b, "uptime", "%ld", (long) (time(NULL) - a->started));
    put(b, "config", "%s", a->config_path);
    put(b, "loaded", "%ld", (long) a->loaded);
    put(b, "generation", "%lu", a->generation);
    put(b, "destinations", "%zu", a->cur->cfg->profiles->n);
    put(b, "clients", "%d", sm_server_clients(a->server));
    put(b, "requests", "%lu", ls.requests);
    put(b, "answers_ok", "%lu", ls.answers[SOCKMAP_OK]);
    put(b, "answers_notfound", "%lu", ls.answers[SOCKMAP_NOTFOUND]);
    put(b, "answers_temp", "%lu", ls.answers[SOCKMAP_TEMP]);
    put(b, "answers_perm", "%lu", ls.answers[SOCKMAP_PERM]);
    put(b, "temp", "%lu", ls.temps);
    put(b, "temp_top", "%s", top->data);
    put(b, "dns_inflight", "%d", inflight);
    put(b, "dns_queued", "%d", queued);
    put(b, "dns_cached", "%zu", cached);
    put(b, "dane_cached", "%zu", dane_cached);
    put(b, "dane_running", "%zu", dane_running);
    put(b, "sts_enforce", "%zu", ss.enforce);
    put(b, "sts_testing", "%zu", ss.testing);
    put(b, "sts_none", "%zu", ss.none);
    put(b, "sts_running", "%zu", ss.running);
    put(b, "cache", "%s", sts_cache_state(a->sts, state, sizeof(state)));
    put(b, "cache_file", "%s", a->cur->cfg->agent_cache_file);
    sm_reply(req, buf_overflow(b) ? SOCKMAP_TEMP : SOCKMAP_OK,
	     buf_overflow(b) ? "status too large" : b->data);
    buf_free(top);
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
	if (control_reload(a, why, sizeof(why)) == 0)
	    sm_reply(req, SOCKMAP_OK, "reloaded");
	else
	    sm_reply(req, SOCKMAP_PERM, why);
    } else {
	sm_reply(req, SOCKMAP_PERM, "unknown command: status, flush DOMAIN|-, reload, ack-cache");
    }
}
