/*
 * dane - DANE outcomes per domain; see dane.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dane.h"
#include "domain.h"
#include "log.h"
#include "strmap.h"
#include "tlsa.h"
#include "util.h"

#define T_A	1
#define T_MX	15
#define T_AAAA	28
#define T_TLSA	52

enum dane_step { STEP_ADDR_A, STEP_ADDR_AAAA, STEP_TLSA };

struct job;

/* One DNS query of a lookup: what it is for. */
struct query_ctx {
    struct job *job;
    size_t  host;			/* index in job->hosts */
    enum dane_step step;
};

struct mxhost {
    char    name[DOMAIN_MAX + 1];
    bool    has_addr;			/* some A or AAAA record */
    bool    addr_secure;		/* some address RRset with data is secure */
    bool    addr_insecure;		/* some address RRset with data is not */
    bool    dane;			/* usable TLSA */
    bool    tlsa_asked;
    struct query_ctx qa, qaaaa, qtlsa;
};

struct dane_wait {
    struct job *job;
    dane_cb cb;
    void   *ctx;
    struct dane_wait *next;
};

struct job {
    struct dane *d;
    unsigned gen;			/* d->gen when the job started */
    char   *domain;
    int     pending;			/* queries not answered yet, plus a guard */
    int     ttl;			/* smallest TTL seen */
    struct mxhost hosts[DANE_MAX_MX];
    size_t  nhosts;
    struct dane_result res;
    bool    bogus, error, mx_insecure;
    struct dane_wait *waiters;
    struct query_ctx qmx;
};

struct cached {
    struct dane_result res;
    time_t  expires;
};

struct dane {
    unsigned gen;			/* bumped by dane_flush */
    struct event *sweep;		/* drops expired outcomes */
    struct event_base *base;
    struct resolver *r;
    struct strmap *cache;		/* domain -> struct cached */
    struct strmap *jobs;		/* domain -> struct job */
};

/* now - monotonic seconds */
static time_t now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* result_release - free a result's MX names */
static void result_release(struct dane_result *res)
{
    for (size_t i = 0; i < res->nmx; i++)
	free(res->mx[i]);
    free(res->mx);
    res->mx = NULL;
    res->nmx = 0;
}

/* result_copy - deep copy */
static void result_copy(struct dane_result *dst, const struct dane_result *src)
{
    *dst = *src;
    dst->mx = xcalloc(src->nmx + 1, sizeof(*dst->mx));
    for (size_t i = 0; i < src->nmx; i++)
	dst->mx[i] = xstrdup(src->mx[i]);
}

/* job_note_ttl - keep the smallest TTL */
static void job_note_ttl(struct job *j, int ttl)
{
    if (ttl < j->ttl)
	j->ttl = ttl;
}

/* job_fail - remember the first bogus or failed answer */
static void job_fail(struct job *j, const char *name, int type, const struct dns_answer *a)
{
    char    tbuf[16];

    if (a->sec == DNS_BOGUS) {
	if (!j->bogus)
	    snprintf(j->res.why, sizeof(j->res.why), "%s %s: %s", name,
		     dns_type_name(type, tbuf, sizeof(tbuf)), a->why ? a->why : "?");
	if (!j->bogus)
	    msg_info("DNSSEC validation failed domain=%s name=%s type=%s why=%s",
		     j->domain, name, dns_type_name(type, tbuf, sizeof(tbuf)),
		     a->why ? a->why : "?");
	j->bogus = true;
    } else if (!j->bogus && !j->error) {
	snprintf(j->res.why, sizeof(j->res.why), "lookup of %s %s failed: %s", name,
		 dns_type_name(type, tbuf, sizeof(tbuf)), a->why ? a->why : "?");
	j->error = true;
    }
}

static void job_step_done(struct job *j);

/* job_ask - one more query for the job */
static void job_ask(struct job *j, const char *name, int type, struct query_ctx *q,
		            resolver_cb cb)
{
    j->pending++;
    resolver_query(j->d->r, name, type, cb, q);
}

/* job_tlsa_answer - TLSA for one host */
static void job_tlsa_answer(void *ctx, const struct dns_answer *a)
{
    struct query_ctx *q = ctx;
    struct job *j = q->job;
    struct mxhost *h = &j->hosts[q->host];
    char    name[DOMAIN_MAX + 16], why[128];
    struct tlsa_rr rr;
    size_t  usable = 0;

    snprintf(name, sizeof(name), "_25._tcp.%s", h->name);
    job_note_ttl(j, a->ttl);
    if (a->sec == DNS_BOGUS || a->status == DNS_FAIL) {
	job_fail(j, name, T_TLSA, a);
    } else if (a->status == DNS_DATA && a->sec == DNS_SECURE) {
	for (size_t i = 0; i < a->n; i++) {
	    if (tlsa_parse(a->rdata[i], a->rdlen[i], &rr) < 0) {
		msg_info("TLSA record unusable domain=%s name=%s why=malformed", j->domain, name);
		continue;
	    }
	    if (tlsa_usable(&rr, why, sizeof(why)))
		usable++;
	    else
		msg_info("TLSA record unusable domain=%s name=%s why=%s", j->domain, name, why);
	}
	h->dane = usable > 0;
    }
    job_step_done(j);
}

/* job_addr_answer - A or AAAA for one host */
static void job_addr_answer(void *ctx, const struct dns_answer *a)
{
    struct query_ctx *q = ctx;
    struct job *j = q->job;
    struct mxhost *h = &j->hosts[q->host];

    job_note_ttl(j, a->ttl);
    if (a->sec == DNS_BOGUS || a->status == DNS_FAIL) {
	job_fail(j, h->name, q->step == STEP_ADDR_A ? T_A : T_AAAA, a);
    } else if (a->status == DNS_DATA) {
	h->has_addr = true;
	if (a->sec == DNS_SECURE)
	    h->addr_secure = true;
	else
	    h->addr_insecure = true;
    }
    job_step_done(j);
}

/* job_mx_answer - the MX RRset, then every host's addresses */
static void job_mx_answer(void *ctx, const struct dns_answer *a)
{
    struct query_ctx *q = ctx;
    struct job *j = q->job;
    char    name[DOMAIN_MAX + 1];
    unsigned pref, prefs[DANE_MAX_MX];

    job_note_ttl(j, a->ttl);
    j->res.mx_secure = a->sec == DNS_SECURE;
    if (a->sec == DNS_BOGUS || a->status == DNS_FAIL) {
	job_fail(j, j->domain, T_MX, a);
    } else if (a->status == DNS_NXDOMAIN) {
	snprintf(j->res.why, sizeof(j->res.why), "%s does not exist (NXDOMAIN)", j->domain);
    } else if (a->status == DNS_NODATA) {
	/* RFC 5321 5.1: no MX, the domain itself is the implicit MX. */
	snprintf(j->hosts[0].name, sizeof(j->hosts[0].name), "%s",
		 a->canonname ? a->canonname : j->domain);
	j->nhosts = 1;
	j->mx_insecure = a->sec != DNS_SECURE;
    } else {
	for (size_t i = 0; i < a->n && j->nhosts < DANE_MAX_MX; i++) {
	    size_t  k;

	    if (mx_parse(a->rdata[i], a->rdlen[i], &pref, name, sizeof(name)) < 0) {
		msg_info("malformed MX record skipped domain=%s", j->domain);
		continue;
	    }
	    if (strcmp(name, ".") == 0) {	/* RFC 7505 null MX */
		snprintf(j->res.why, sizeof(j->res.why), "%s has a null MX: it "
			 "accepts no mail", j->domain);
		j->nhosts = 0;
		break;
	    }
	    for (k = j->nhosts; k > 0 && prefs[k - 1] > pref; k--) {
		j->hosts[k] = j->hosts[k - 1];
		prefs[k] = prefs[k - 1];
	    }
	    memset(&j->hosts[k], 0, sizeof(j->hosts[k]));
	    snprintf(j->hosts[k].name, sizeof(j->hosts[k].name), "%s", name);
	    prefs[k] = pref;
	    j->nhosts++;
	}
	j->mx_insecure = a->sec != DNS_SECURE;
    }
    j->res.mx = xcalloc(j->nhosts + 1, sizeof(*j->res.mx));
    for (size_t i = 0; i < j->nhosts; i++)
	j->res.mx[i] = xstrdup(j->hosts[i].name);
    j->res.nmx = j->nhosts;
    if (j->mx_insecure && j->nhosts > 0) {
	/* RFC 7672 2.2.1: an insecure MX RRset: DANE does not apply. */
	snprintf(j->res.why, sizeof(j->res.why), "the MX RRset of %s is not "
		 "DNSSEC-signed", j->domain);
	j->nhosts = 0;
    }
    for (size_t i = 0; i < j->nhosts; i++) {
	struct mxhost *h = &j->hosts[i];

	h->qa = (struct query_ctx) {j, i, STEP_ADDR_A};
	h->qaaaa = (struct query_ctx) {j, i, STEP_ADDR_AAAA};
	h->qtlsa = (struct query_ctx) {j, i, STEP_TLSA};
	job_ask(j, h->name, T_A, &h->qa, job_addr_answer);
	job_ask(j, h->name, T_AAAA, &h->qaaaa, job_addr_answer);
    }
    job_step_done(j);
}

/* job_outcome - everything answered: classify */
static void job_outcome(struct job *j)
{
    size_t  usable = 0, dane = 0;

    for (size_t i = 0; i < j->nhosts; i++) {
	if (!j->hosts[i].has_addr)
	    continue;			/* an MX without address takes no mail */
	usable++;
	dane += j->hosts[i].dane;
    }
    j->res.ndane = (int) dane;
    if (j->bogus)
	j->res.outcome = DANE_OUT_BOGUS;
    else if (j->error)
	j->res.outcome = DANE_OUT_DNS_ERROR;
    else if (dane > 0 && dane == usable)
	j->res.outcome = DANE_OUT_ALL;
    else if (dane > 0)
	j->res.outcome = DANE_OUT_SOME;
    else {
	j->res.outcome = DANE_OUT_NONE;
	if (j->res.why[0] == '\0')
	    snprintf(j->res.why, sizeof(j->res.why), usable == 0 ? "no MX host of %s "
		     "has an address" : "no MX host of %s has secure addresses and "
		     "usable TLSA records", j->domain);
    }
    if (j->res.outcome == DANE_OUT_ALL || j->res.outcome == DANE_OUT_SOME)
	snprintf(j->res.why, sizeof(j->res.why), "usable TLSA on %zu of %zu MX hosts "
		 "of %s", dane, usable, j->domain);
}

/* job_finish - cache the result, tell the waiters, free the job */
static void job_finish(struct job *j)
{
    struct dane *d = j->d;
    struct cached *c = xcalloc(1, sizeof(*c)), *old;
    struct dane_wait *w, *next;
    int     ttl = j->bogus || j->error ? RESOLVER_FAIL_TTL : j->ttl;

    job_outcome(j);
    strmap_del(d->jobs, j->domain);
    result_copy(&c->res, &j->res);
    c->expires = now() + (ttl < RESOLVER_TTL_MIN ? RESOLVER_TTL_MIN : ttl);
    if (j->gen != d->gen) {		/* flushed while running: not cached */
	result_release(&c->res);
	free(c);
    } else if ((old = strmap_put(d->cache, j->domain, c)) != NULL) {
	result_release(&old->res);
	free(old);
    }
    msg_debug("DANE outcome domain=%s outcome=%s mx=%zu dane=%d ttl=%d why=%s",
	      j->domain, dane_outcome_name(j->res.outcome), j->res.nmx,
	      j->res.ndane, ttl, j->res.why);
    for (w = j->waiters; w; w = next) {
	next = w->next;
	w->cb(w->ctx, &j->res);
	free(w);
    }
    result_release(&j->res);
    free(j->domain);
    free(j);
}

/* job_step_done - one answer in; start TLSA lookups or finish */
static void job_step_done(struct job *j)
{
    if (--j->pending > 0)
	return;
    j->pending = 1;			/* a guard while asking more */
    for (size_t i = 0; i < j->nhosts && !j->bogus && !j->error; i++) {
	struct mxhost *h = &j->hosts[i];
	char    name[DOMAIN_MAX + 16];

	if (h->tlsa_asked || !h->addr_secure)
	    continue;
	h->tlsa_asked = true;
	if (h->addr_insecure) {
	    /* RFC 7672 2.2.2 asks for secure addresses; half is not that. */
	    msg_info("MX host addresses partly unsigned; no TLSA lookup domain=%s "
		     "mx=%s", j->domain, h->name);
	    continue;
	}
	snprintf(name, sizeof(name), "_25._tcp.%s", h->name);
	job_ask(j, name, T_TLSA, &h->qtlsa, job_tlsa_answer);
    }
    if (--j->pending == 0)
	job_finish(j);
}

/* job_start - the first query of a job, from the loop */
static void job_start(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;

    (void) fd;
    (void) what;
    resolver_query(j->d->r, j->domain, T_MX, job_mx_answer, &j->qmx);
}

/* dane_keep_fresh - strmap_filter callback: drop expired outcomes */
static bool dane_keep_fresh(const char *key, void *value, void *ctx)
{
    struct cached *c = value;

    (void) key;
    if (c->expires > *(time_t *) ctx)
	return true;
    result_release(&c->res);
    free(c);
    return false;
}

/* dane_sweep - periodic expiry, so the cache holds live domains only */
static void dane_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct dane *d = arg;
    time_t  t = now();

    (void) fd;
    (void) what;
    strmap_filter(d->cache, dane_keep_fresh, &t);
}

/* dane_new - empty cache */
struct dane *dane_new(struct event_base *base, struct resolver *r)
{
    struct dane *d = xcalloc(1, sizeof(*d));
    struct timeval tv = {60, 0};

    d->base = base;
    d->r = r;
    d->sweep = event_new(base, -1, EV_PERSIST, dane_sweep, d);
    event_add(d->sweep, &tv);
    d->cache = strmap_new();
    d->jobs = strmap_new();
    return d;
}

/* dane_drop_cached - strmap_filter callback: free entries (of one domain) */
static bool dane_drop_cached(const char *key, void *value, void *ctx)
{
    struct cached *c = value;

    if (ctx && strcmp(key, ctx) != 0)
	return true;
    result_release(&c->res);
    free(c);
    return false;
}

/* dane_drop_job - strmap_filter callback: free a job at shutdown */
static bool dane_drop_job(const char *key, void *value, void *ctx)
{
    struct job *j = value;
    struct dane_wait *w, *next;

    (void) key;
    (void) ctx;
    for (w = j->waiters; w; w = next) {
	next = w->next;
	free(w);
    }
    result_release(&j->res);
    free(j->domain);
    free(j);
    return false;
}

/* dane_free - tear down; the resolver must be freed first (no more callbacks) */
struct dane *dane_free(struct dane *d)
{
    if (d == NULL)
	return NULL;
    strmap_filter(d->cache, dane_drop_cached, NULL);
    strmap_filter(d->jobs, dane_drop_job, NULL);
    strmap_free(d->cache);
    strmap_free(d->jobs);
    event_free(d->sweep);
    free(d);
    return NULL;
}

/* dane_flush - forget outcomes */
void    dane_flush(struct dane *d, const char *domain)
{
    d->gen++;				/* lookups running now cache nothing */
    strmap_filter(d->cache, dane_drop_cached, (void *) domain);
}

/* dane_lookup - cached, shared, or new */
struct dane_wait *dane_lookup(struct dane *d, const char *domain, dane_cb cb, void *ctx)
{
    struct cached *c = strmap_get(d->cache, domain);
    struct dane_wait *w;
    struct job *j;

    if (c != NULL && c->expires > now()) {
	cb(ctx, &c->res);
	return NULL;
    }
    w = xcalloc(1, sizeof(*w));
    w->cb = cb;
    w->ctx = ctx;
    if ((j = strmap_get(d->jobs, domain)) == NULL) {
	j = xcalloc(1, sizeof(*j));
	j->d = d;
	j->gen = d->gen;
	j->domain = xstrdup(domain);
	j->ttl = RESOLVER_TTL_MAX;
	j->qmx.job = j;
	strmap_put(d->jobs, domain, j);
	j->pending = 1;
	/* Start from the loop, never inside this call: every answer may be
	 * cached, and a job that finished here would free w under us. */
	event_base_once(d->base, -1, EV_TIMEOUT, job_start, j, NULL);
    }
    w->job = j;
    w->next = j->waiters;
    j->waiters = w;
    return w;
}

/* dane_cancel - stop waiting */
void    dane_cancel(struct dane_wait *w)
{
    struct dane_wait **pp;

    for (pp = &w->job->waiters; *pp; pp = &(*pp)->next)
	if (*pp == w) {
	    *pp = w->next;
	    free(w);
	    return;
	}
    msg_panic("dane_cancel: waiter not found for %s", w->job->domain);
}
