/*
 * lookup - answer the socketmap maps; see lookup.h.
 *
 * Keys (INTERFACES.md): a domain (trailing dot, upper case, UTF-8: normalised
 * to the A-label); an explicit next hop "[host]:port", "host:port", "[host]"
 * (answered for the profile decide_route_profile() picks; NOTFOUND when no
 * profile routes there); ".parent" keys and IP literals: NOTFOUND (the agent
 * answers every domain itself, so Postfix never needs its parent lookups).
 *
 * A request is a loop: decide_next() says which outcome it needs, lookup
 * asks the DANE or MTA-STS module for it, fills it in when it arrives, and
 * asks again, until the decision is done or agent.lookup_timeout passes
 * (then the outcomes still pending decide TEMP).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "decide.h"
#include "domain.h"
#include "log.h"
#include "lookup.h"
#include "strmap.h"
#include "util.h"

#define MAP_TLSPOLICY	"tlspolicy"
#define MAP_PROFILE	"profile"
#define MAP_STS		"sts"		/* Sendmail's FEATURE(sts) */
#define LOOKUP_REPLY_MAX 4096
#define LOOKUP_LAST_MAX	100000	/* domains whose last answer is kept */

#define LOOKUP_KINDS_MAX	64	/* distinct TEMP causes counted */

/* Which map a request asks. */
enum lookup_map {
    LM_TLSPOLICY,			/* Postfix's smtp_tls_policy_maps */
    LM_PROFILE,				/* the milter */
    LM_STS,				/* Sendmail's FEATURE(sts) */
};

struct lookup {
    struct agent *a;
    struct strmap *last;		/* domain -> last reply (char *), to log changes */
    unsigned long requests, temps;
    unsigned long answers[5];		/* by enum sockmap_status */
    struct strmap *temp_kinds;		/* "dane=X sts=Y" -> unsigned long * */
    struct pending *waiting;		/* requests not answered yet */
};

/* lookup_reply - count, then reply */
static void lookup_reply(struct lookup *l, struct sm_request *req, enum sockmap_status st,
			         const char *text)
{
    if ((size_t) st < sizeof(l->answers) / sizeof(l->answers[0]))
	l->answers[st]++;
    sm_reply(req, st, text);
}

/* lookup_count_temp - one more TEMP for the outcomes in; bounded */
static void lookup_count_temp(struct lookup *l, const struct decide_input *in)
{
    char    kind[48];
    unsigned long *n;

    snprintf(kind, sizeof(kind), "dane=%s sts=%s", dane_outcome_name(in->dane),
	     sts_state_name(in->sts.state));
    if ((n = strmap_get(l->temp_kinds, kind)) == NULL) {
	if (strmap_count(l->temp_kinds) >= LOOKUP_KINDS_MAX)
	    return;
	n = xcalloc(1, sizeof(*n));
	strmap_put(l->temp_kinds, kind, n);
    }
    (*n)++;
}

/* A request waiting for the outcomes its decision needs. */
struct pending {
    struct lookup *l;
    struct pending *prev, *next;	/* in l->waiting */
    struct agent_cfg *ac;		/* the snapshot the request started with */
    struct sm_request *req;
    enum lookup_map map;
    struct profile_settings sts_only;	/* LM_STS: the profile without DANE */
    char    domain[DOMAIN_MAX + 1];
    const struct profile *p;		/* borrowed from ac */
    struct decide_input in;		/* outcomes so far */
    char    dane_why[256];		/* what in.dane_why points to */
    struct sts_result sts;		/* copy of what in.sts points into */
    struct dane_wait *dane_wait;
    struct sts_wait *sts_wait;
    struct event *timer;
};

static void pending_step(struct pending *pd);

/* lookup_free_value - strmap_filter callback: free a value, drop the key */
static bool lookup_free_value(const char *key, void *value, void *ctx)
{
    (void) key;
    (void) ctx;
    free(value);
    return false;
}

/* lookup_forget - forget the last answers */
void    lookup_forget(struct lookup *l)
{
    strmap_filter(l->last, lookup_free_value, NULL);
}

/* lookup_log_change - one info line when a domain's answer changes */
static void lookup_log_change(struct lookup *l, const char *domain,
			              const struct profile *p,
			              const struct decide_input *in,
			              const struct decision *d, const char *reply)
{
    char   *old = strmap_get(l->last, domain);

    if (old && strcmp(old, reply) == 0)
	return;
    msg_info("policy decision domain=%s profile=%s dane=%s mta_sts=%s reply=\"%s\" "
	     "reason=\"%s\"", domain, p->domain ? p->domain : "default",
	     dane_outcome_name(in->dane), sts_state_name(in->sts.state), reply,
	     d->reason);
    if (d->note[0])
	msg_info("%s domain=%s", d->note, domain);
    if (old == NULL && strmap_count(l->last) >= LOOKUP_LAST_MAX)
	lookup_forget(l);		/* a bound: forget, and log anew */
    free(strmap_put(l->last, domain, xstrdup(reply)));
}

/* lookup_answer - render the decision once, reply */
static void lookup_answer(struct lookup *l, struct sm_request *req, enum lookup_map map,
			          const char *domain, const struct profile *p,
			          const struct decide_input *in, const struct decision *d)
{
    struct buf *policy = buf_alloc(256, LOOKUP_REPLY_MAX);
    struct buf *out;
    bool    temp = render_postfix(d, policy) < 0;
    enum sockmap_status st;

    if (temp) {
	buf_reset(policy);
	buf_puts(policy, "TEMP");
	l->temps++;
	lookup_count_temp(l, in);
    }
    if (map != LM_STS)
	lookup_log_change(l, domain, p, in, d, policy->data);
    if (buf_overflow(policy)) {
	lookup_reply(l, req, SOCKMAP_TEMP, "reply too large");
    } else if (map == LM_STS) {
	out = buf_alloc(256, LOOKUP_REPLY_MAX);
	st = render_sendmail_sts(in, d, out);
	lookup_reply(l, req, buf_overflow(out) ? SOCKMAP_TEMP : st,
		     buf_overflow(out) ? "reply too large" : out->data);
	buf_free(out);
    } else if (map == LM_PROFILE) {
	out = buf_alloc(256, LOOKUP_REPLY_MAX);
	render_profile(in, p->domain ? p->domain : "default", d, policy->data, out);
	if (buf_overflow(out))
	    lookup_reply(l, req, SOCKMAP_TEMP, "reply too large");
	else
	    lookup_reply(l, req, SOCKMAP_OK, out->data);
	buf_free(out);
    } else if (temp) {
	lookup_reply(l, req, SOCKMAP_TEMP, d->reason);
    } else {
	lookup_reply(l, req, SOCKMAP_OK, policy->data);
    }
    buf_free(policy);
}

/* lookup_input - the decision input for a profile, nothing looked up yet */
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
    *(pd->prev ? &pd->prev->next : &pd->l->waiting) = pd->next;
    if (pd->next)
	pd->next->prev = pd->prev;
    if (pd->timer)
	event_free(pd->timer);
    agent_cfg_release(pd->ac);
    free(pd);
}

/* lookup_sts_done - the MTA-STS outcome arrived in time */
static void lookup_sts_done(void *ctx, const struct sts_result *res)
{
    struct pending *pd = ctx;

    pd->sts_wait = NULL;
    pd->sts = *res;
    pd->in.sts.state = pd->sts.state;
    pd->in.sts.mx_match = pd->sts.mx_match;
    pd->in.sts.all_match = pd->sts.all_match;
    pd->in.sts.mx_secure = pd->sts.mx_secure;
    pd->in.sts.why = pd->sts.why;
    pending_step(pd);
}

/* lookup_dane_done - the DANE outcome arrived in time */
static void lookup_dane_done(void *ctx, const struct dane_result *res)
{
    struct pending *pd = ctx;

    pd->dane_wait = NULL;
    pd->in.dane = res->outcome;
    pd->in.dane_failed = res->nfailed;
    snprintf(pd->dane_why, sizeof(pd->dane_why), "%s", res->why);
    pd->in.dane_why = pd->dane_why;
    pending_step(pd);
}

/* lookup_timeout - agent.lookup_timeout passed: what is pending is TEMP */
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
    pending_step(pd);			/* PENDING outcomes decide TEMP */
}

/* pending_timer - the request's deadline, set when it first waits */
static void pending_timer(struct pending *pd)
{
    struct timeval tv = {pd->ac->cfg->agent_lookup_timeout, 0};

    if (pd->timer)
	return;
    pd->timer = evtimer_new(pd->l->a->base, lookup_timeout, pd);
    evtimer_add(pd->timer, &tv);
}

/*
 * pending_step - ask decide what it needs; look it up, or answer. An
 * outcome that arrives before the module returns (cached) re-enters here
 * and may answer and free pd: the handle is then NULL and pd is not touched.
 */
static void pending_step(struct pending *pd)
{
    struct agent *a = pd->l->a;
    struct decision d;
    struct dane_wait *dw;

    switch (decide_next(&pd->in, &d)) {
    case DECIDE_NEED_DANE:
	pending_timer(pd);
	pd->in.dane = DANE_OUT_PENDING;
	if ((dw = dane_lookup(a->dane, pd->domain, lookup_dane_done, pd)) != NULL)
	    pd->dane_wait = dw;
	return;
    case DECIDE_NEED_STS:
	pending_timer(pd);
	pd->in.sts.state = STS_PENDING;
	pd->sts_wait = sts_lookup(a->sts, pd->domain, lookup_sts_done, pd);
	return;
    case DECIDE_DONE:
	break;
    }
    lookup_answer(pd->l, pd->req, pd->map, pd->domain, pd->p, &pd->in, &d);
    pending_free(pd);
}

/* lookup_domain - a recipient domain */
static void lookup_domain(struct lookup *l, struct sm_request *req, enum lookup_map map,
			          const char *domain)
{
    struct pending *pd = xcalloc(1, sizeof(*pd));

    pd->l = l;
    if ((pd->next = l->waiting) != NULL)
	pd->next->prev = pd;
    l->waiting = pd;
    pd->ac = agent_cfg_hold(l->a);
    pd->req = req;
    pd->map = map;
    pd->p = profile_table_match(pd->ac->cfg->profiles, domain);
    snprintf(pd->domain, sizeof(pd->domain), "%s", domain);
    lookup_input(&pd->in, pd->p, pd->domain);
    if (map == LM_STS) {
	/* Sendmail has no DANE: its MTA-STS answer never waits for it. */
	pd->sts_only = pd->p->eff;
	pd->sts_only.dane = DANE_NONE;
	pd->in.profile = &pd->sts_only;
    }
    /* A routed domain's mail goes to its relay, whose key Postfix asks: no
     * DANE and no MTA-STS here either (nor an early refusal for them). */
    pd->in.route = pd->p->eff.route != NULL;
    pending_step(pd);
}

/* lookup_route - an explicit next hop: the profile decide picks */
static void lookup_route(struct lookup *l, struct sm_request *req, enum lookup_map map,
			         const char *key)
{
    struct agent_cfg *ac = agent_cfg_hold(l->a);
    const struct profile *p = decide_route_profile(ac->cfg->profiles, key);
    struct decide_input in;
    struct decision d;

    if (p == NULL) {
	lookup_reply(l, req, SOCKMAP_NOTFOUND, "");
    } else {
	lookup_input(&in, p, key);
	in.route = true;
	decide(&in, &d);
	lookup_answer(l, req, map, key, p, &in, &d);
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
    struct lookup *l = ctx;
    char    domain[DOMAIN_MAX + 1], why[256], safe[128];
    enum lookup_map which;

    l->requests++;
    if (strcmp(map, MAP_TLSPOLICY) == 0)
	which = LM_TLSPOLICY;
    else if (strcmp(map, MAP_PROFILE) == 0)
	which = LM_PROFILE;
    else if (strcmp(map, MAP_STS) == 0)
	which = LM_STS;
    else {
	log_sanitize(safe, sizeof(safe), map, strlen(map));
	msg_info("request for an unknown map map=%s", safe);
	lookup_reply(l, req, SOCKMAP_PERM, "unknown map");
	return;
    }
    if (key[0] == '.'
	|| (which == LM_STS && (key[0] == '[' || strchr(key, ':') != NULL))) {
	lookup_reply(l, req, SOCKMAP_NOTFOUND, "");	/* sts: domains only */
    } else if (key[0] == '[' || strchr(key, ':') != NULL) {
	/* A next hop, "[192.0.2.1]" included: NOTFOUND unless routed to. */
	lookup_route(l, req, which, key);
    } else if (lookup_is_ip(key)) {
	lookup_reply(l, req, SOCKMAP_NOTFOUND, "");
    } else if (domain_normalize(key, domain, why, sizeof(why)) < 0) {
	log_sanitize(safe, sizeof(safe), key, strlen(key));
	msg_info("invalid domain in request map=%s key=%s reason=\"%s\"", map, safe, why);
	/* Sendmail reads PERM as "not found": say that plainly instead. */
	lookup_reply(l, req, which == LM_STS ? SOCKMAP_NOTFOUND : SOCKMAP_PERM,
		     which == LM_STS ? "" : "invalid domain name");
    } else {
	lookup_domain(l, req, which, domain);
    }
}

/* lookup_new - no answers yet */
struct lookup *lookup_new(struct agent *a)
{
    struct lookup *l = xcalloc(1, sizeof(*l));

    l->a = a;
    l->last = strmap_new();
    l->temp_kinds = strmap_new();
    return l;
}

/* lookup_free - the last answers */
struct lookup *lookup_free(struct lookup *l)
{
    if (l == NULL)
	return NULL;
    /* At shutdown, after DANE and MTA-STS dropped their waiters: the
     * requests still waiting are answered into the void and freed. */
    while (l->waiting) {
	sm_reply(l->waiting->req, SOCKMAP_TEMP, "destctld stopping");
	pending_free(l->waiting);
    }
    lookup_forget(l);
    strmap_free(l->last);
    strmap_filter(l->temp_kinds, lookup_free_value, NULL);
    strmap_free(l->temp_kinds);
    free(l);
    return NULL;
}

/* lookup_top_one - strmap_filter callback: keep the most frequent kinds */
static bool lookup_top_one(const char *kind, void *value, void *ctx)
{
    struct lookup_stats *st = ctx;
    unsigned long n = *(unsigned long *) value;
    int     i = LOOKUP_TEMP_KINDS;

    while (i > 0 && (st->temp_top[i - 1].kind[0] == '\0' || st->temp_top[i - 1].n < n))
	i--;
    if (i < LOOKUP_TEMP_KINDS) {
	memmove(&st->temp_top[i + 1], &st->temp_top[i],
		(LOOKUP_TEMP_KINDS - i - 1) * sizeof(st->temp_top[0]));
	snprintf(st->temp_top[i].kind, sizeof(st->temp_top[i].kind), "%s", kind);
	st->temp_top[i].n = n;
    }
    return true;
}

/* lookup_stats - the counters */
void    lookup_stats(struct lookup *l, struct lookup_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->requests = l->requests;
    st->temps = l->temps;
    memcpy(st->answers, l->answers, sizeof(st->answers));
    strmap_filter(l->temp_kinds, lookup_top_one, st);
}
