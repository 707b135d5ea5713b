/*
 * lookup - answer the socketmap maps: find the profile for the key, get the
 * DANE outcome when the profile asks for it (waiting at most
 * agent.lookup_timeout), decide, render, reply.
 *
 * Keys (INTERFACES.md): a domain (trailing dot, upper case, UTF-8: normalised
 * to the A-label); an explicit next hop "[host]:port", "host:port", "[host]"
 * (answered with the strictest TLS level of the profiles whose route names it;
 * DANE and MTA-STS not applied; NOTFOUND when no profile routes there);
 * ".parent" keys and IP literals: NOTFOUND (the agent answers every domain
 * itself, so Postfix never needs its parent lookups).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "decide.h"
#include "domain.h"
#include "log.h"
#include "util.h"

#define MAP_TLSPOLICY	"tlspolicy"
#define MAP_PROFILE	"profile"
#define LOOKUP_REPLY_MAX 4096
#define LOOKUP_LAST_MAX	100000	/* domains whose last answer is kept */

/* A request waiting for its DANE and/or MTA-STS outcome. */
struct pending {
    struct agent *a;
    struct agent_cfg *ac;		/* the snapshot the request started with */
    struct sm_request *req;
    bool    profile_map;		/* the profile map, not tlspolicy */
    char    domain[DOMAIN_MAX + 1];
    const struct profile *p;		/* borrowed from ac */
    struct decide_input in;		/* outcomes so far */
    char    dane_why[256];		/* what in.dane_why points to */
    struct sts_result sts;		/* copy of what in.sts points into */
    struct dane_wait *dane_wait;
    struct sts_wait *sts_wait;
    struct event *timer;
};

/* TLS levels from weakest to strictest, for routed next hops. */
static const int lookup_tls_strictness[] = {
    [TLS_NONE] = 0, [TLS_PREFERRED] = 1, [TLS_PREFERRED_VERIFY] = 2,
    [TLS_REQUIRED] = 3, [TLS_REQUIRED_VERIFY_HOSTED] = 4, [TLS_REQUIRED_VERIFY] = 5,
};

/* lookup_log_change - one info line when a domain's answer changes */
static void lookup_log_change(struct agent *a, const char *domain, const struct profile *p,
			              const struct decide_input *in,
			              const struct decision *d, const char *reply)
{
    char   *old = a->last ? strmap_get(a->last, domain) : NULL;

    if (old && strcmp(old, reply) == 0)
	return;
    msg_info("policy decision domain=%s profile=%s dane=%s reply=\"%s\" reason=\"%s\"",
	     domain, p->domain ? p->domain : "default", dane_outcome_name(in->dane),
	     reply, d->reason);
    if (in->dane == DANE_OUT_SOME && !d->dane_applied && !d->temp)
	msg_info("DANE not applied domain=%s reason=\"usable TLSA on some MX only, and "
		 "Postfix's dane level would be weaker than tls=%s for the others\"",
		 domain, name_code_name(profile_tls_names, in->profile->tls));
    if (old == NULL && a->last && strmap_count(a->last) >= LOOKUP_LAST_MAX)
	lookup_release(a);		/* a bound: forget, and log anew */
    if (a->last == NULL)
	a->last = strmap_new();
    free(strmap_put(a->last, domain, xstrdup(reply)));
}

/* lookup_answer - decide, render, reply */
static void lookup_answer(struct agent *a, struct sm_request *req, bool profile_map,
			          const char *domain, const struct profile *p,
			          const struct decide_input *in)
{
    struct decision d;
    struct buf *out = buf_alloc(256, LOOKUP_REPLY_MAX);
    bool    temp;

    decide(in, &d);
    temp = render_postfix(&d, out) < 0;
    lookup_log_change(a, domain, p, in, &d, temp ? "TEMP" : out->data);
    if (temp)
	a->temps++;
    if (profile_map) {
	buf_reset(out);
	render_profile(in, p->domain ? p->domain : "default", &d, out);
	temp = false;
    }
    if (buf_overflow(out))
	sm_reply(req, SOCKMAP_TEMP, "reply too large");
    else if (temp)
	sm_reply(req, SOCKMAP_TEMP, d.reason);
    else
	sm_reply(req, SOCKMAP_OK, out->data);
    buf_free(out);
}

/* lookup_input - the decision input for a profile, DANE outcome aside */
static void lookup_input(struct decide_input *in, const struct profile *p,
			         const char *domain)
{
    memset(in, 0, sizeof(*in));
    in->profile = &p->eff;
    in->domain = domain;
    in->dane = DANE_OUT_NOT_ASKED;
    in->sts.state = STS_NOT_ASKED;
}

/* pending_free - the request is answered or gone */
static void pending_free(struct pending *pd)
{
    if (pd->timer)
	event_free(pd->timer);
    agent_cfg_release(pd->ac);
    free(pd);
}

/* pending_answer - every outcome needed is in: answer, free */
static void pending_answer(struct pending *pd)
{
    lookup_answer(pd->a, pd->req, pd->profile_map, pd->domain, pd->p, &pd->in);
    pending_free(pd);
}

/* lookup_sts_done - the MTA-STS outcome arrived in time */
static void lookup_sts_done(void *ctx, const struct sts_result *res)
{
    struct pending *pd = ctx;

    pd->sts_wait = NULL;
    pd->sts = *res;
    pd->in.sts.state = pd->sts.state;
    pd->in.sts.mx_match = pd->sts.mx_match;
    pd->in.sts.why = pd->sts.why;
    pending_answer(pd);
}

/* lookup_after_dane - DANE known (or not asked): MTA-STS if it matters */
static void lookup_after_dane(struct pending *pd)
{
    if (!decide_wants_sts(&pd->in)) {
	pending_answer(pd);
	return;
    }
    pd->in.sts.state = STS_PENDING;
    pd->sts_wait = sts_lookup(pd->a->sts, pd->domain, lookup_sts_done, pd);
}

/* lookup_dane_done - the DANE outcome arrived in time */
static void lookup_dane_done(void *ctx, const struct dane_result *res)
{
    struct pending *pd = ctx;

    pd->dane_wait = NULL;
    pd->in.dane = res->outcome;
    snprintf(pd->dane_why, sizeof(pd->dane_why), "%s", res->why);
    pd->in.dane_why = pd->dane_why;
    lookup_after_dane(pd);
}

/* lookup_timeout - agent.lookup_timeout passed: TEMP, never weaker */
static void lookup_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct pending *pd = arg;

    (void) fd;
    (void) what;
    /* The lookups go on and fill their caches for the next request. */
    if (pd->dane_wait)
	dane_cancel(pd->dane_wait);
    if (pd->sts_wait)
	sts_cancel(pd->sts_wait);
    pd->dane_wait = NULL;
    pd->sts_wait = NULL;
    pending_answer(pd);			/* PENDING outcomes answer TEMP */
}

/* lookup_domain - a recipient domain */
static void lookup_domain(struct agent *a, struct sm_request *req, bool profile_map,
			          const char *domain)
{
    struct agent_cfg *ac = agent_cfg_hold(a);
    const struct profile *p = profile_table_match(ac->cfg->profiles, domain);
    struct pending *pd;
    struct dane_wait *w;
    struct timeval tv = {ac->cfg->agent_lookup_timeout, 0};
    bool    want_dane;

    pd = xcalloc(1, sizeof(*pd));
    pd->a = a;
    pd->ac = ac;
    pd->req = req;
    pd->profile_map = profile_map;
    pd->p = p;
    snprintf(pd->domain, sizeof(pd->domain), "%s", domain);
    lookup_input(&pd->in, p, pd->domain);
    /* A routed domain's mail goes to its relay, whose key Postfix asks: no
     * DANE and no MTA-STS here either (nor an early refusal for them). */
    pd->in.route = p->eff.route != NULL;
    want_dane = !pd->in.route && p->eff.dane != DANE_NONE && p->eff.tls != TLS_NONE;
    if (!want_dane && !decide_wants_sts(&pd->in)) {
	pending_answer(pd);			/* nothing to look up */
	return;
    }
    pd->timer = evtimer_new(a->base, lookup_timeout, pd);
    evtimer_add(pd->timer, &tv);
    if (!want_dane) {
	lookup_after_dane(pd);
	return;
    }
    pd->in.dane = DANE_OUT_PENDING;
    /* A cached outcome answers (and may free pd) before dane_lookup returns,
     * and the result is then NULL: pd must not be touched. */
    if ((w = dane_lookup(a->dane, domain, lookup_dane_done, pd)) != NULL)
	pd->dane_wait = w;
}

/* lookup_route - an explicit next hop: the strictest routed profile */
static void lookup_route(struct agent *a, struct sm_request *req, bool profile_map,
			         const char *key)
{
    struct agent_cfg *ac = agent_cfg_hold(a);
    const struct profile_table *t = ac->cfg->profiles;
    const struct profile *best = NULL;
    struct decide_input in;

    /* Every profile routed there, the default included: entries inherit
     * its route, and the default's own domains go there too. */
    for (size_t i = 0; i <= t->n; i++) {
	const struct profile *p = i < t->n ? t->v[i] : t->def;

	if (p->eff.route && strcasecmp(p->eff.route, key) == 0
	    && (best == NULL || lookup_tls_strictness[p->eff.tls]
		> lookup_tls_strictness[best->eff.tls]))
	    best = p;
    }
    if (best == NULL) {
	sm_reply(req, SOCKMAP_NOTFOUND, "");
    } else {
	lookup_input(&in, best, key);
	in.route = true;
	lookup_answer(a, req, profile_map, key, best, &in);
    }
    agent_cfg_release(ac);
}

/* lookup_is_ip - an IP literal, bracketed or not */
static bool lookup_is_ip(const char *key)
{
    unsigned char bin[16];
    char    tmp[64];
    size_t  len = strlen(key);

    if (key[0] == '[' && len > 2 && len < sizeof(tmp) && key[len - 1] == ']') {
	memcpy(tmp, key + 1, len - 2);
	tmp[len - 2] = '\0';
	key = strncasecmp(tmp, "ipv6:", 5) == 0 ? tmp + 5 : tmp;
    }
    return inet_pton(AF_INET, key, bin) == 1 || inet_pton(AF_INET6, key, bin) == 1;
}

/* lookup_handle - one socketmap request */
void    lookup_handle(void *ctx, struct sm_request *req, const char *map,
		              const char *key)
{
    struct agent *a = ctx;
    char    domain[DOMAIN_MAX + 1], why[256], safe[128];
    bool    profile_map;

    a->requests++;
    if (strcmp(map, MAP_TLSPOLICY) == 0)
	profile_map = false;
    else if (strcmp(map, MAP_PROFILE) == 0)
	profile_map = true;
    else {
	log_sanitize(safe, sizeof(safe), map, strlen(map));
	msg_info("request for an unknown map map=%s", safe);
	sm_reply(req, SOCKMAP_PERM, "unknown map");
	return;
    }
    if (key[0] == '.') {
	sm_reply(req, SOCKMAP_NOTFOUND, "");
    } else if (key[0] == '[' || strchr(key, ':') != NULL) {
	/* A next hop, "[192.0.2.1]" included: NOTFOUND unless routed to. */
	lookup_route(a, req, profile_map, key);
    } else if (lookup_is_ip(key)) {
	sm_reply(req, SOCKMAP_NOTFOUND, "");
    } else if (domain_normalize(key, domain, why, sizeof(why)) < 0) {
	log_sanitize(safe, sizeof(safe), key, strlen(key));
	msg_info("invalid domain in request map=%s key=%s reason=\"%s\"", map, safe, why);
	sm_reply(req, SOCKMAP_PERM, "invalid domain name");
    } else {
	lookup_domain(a, req, profile_map, domain);
    }
}

/* lookup_free_last - strmap_filter callback */
static bool lookup_free_last(const char *key, void *value, void *ctx)
{
    (void) key;
    (void) ctx;
    free(value);
    return false;
}

/* lookup_release - free the change-log state */
void    lookup_release(struct agent *a)
{
    if (a->last) {
	strmap_filter(a->last, lookup_free_last, NULL);
	a->last = strmap_free(a->last);
    }
}
