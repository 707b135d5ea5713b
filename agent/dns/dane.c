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
#define T_CNAME	5
#define T_MX	15
#define T_AAAA	28
#define T_TLSA	52

enum dane_step { STEP_ADDR_A, STEP_ADDR_AAAA, STEP_TLSA, STEP_CNAME };

/* Where a host's TLSA search stands (RFC 7672 2.2.2; dane.h). */
enum tlsa_stage {
    TLSA_UNASKED,
    TLSA_EXPANDED,			/* asked at the CNAME-expanded name */
    TLSA_CNAME_CHECK,			/* asked whether the first CNAME is secure */
    TLSA_ORIGINAL,			/* asked at the original name */
    TLSA_DONE,
};

struct job;

/* One DNS query of a lookup: what it is for. */
struct query_ctx {
    struct job *job;
    size_t  host;			/* index in job->hosts */
    enum dane_step step;
};

struct mxhost {
    char    name[DOMAIN_MAX + 1];
    char    canon[DOMAIN_MAX + 1];	/* CNAME-expanded name; "" without CNAME */
    bool    has_addr;			/* some A or AAAA record */
    bool    addr_secure;		/* some address RRset with data is secure */
    bool    addr_insecure;		/* some address RRset with data is not */
    bool    addr_failed;		/* an address lookup failed */
    bool    failed;			/* unusable: no address known, or TLSA
					 * lookup failed */
    bool    dane;			/* usable TLSA */
    enum tlsa_stage stage;
    struct query_ctx qa, qaaaa, qtlsa, qcname;
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
    enum resolver_pri pri;		/* first contact or known domain */
    char   *domain;
    int     pending;			/* queries not answered yet, plus a guard */
    int     ttl;			/* smallest TTL seen */
    struct mxhost hosts[MX_MAX];
    size_t  nhosts;
    struct dane_result res;
    bool    bogus, error, null_mx;
    bool    busy;			/* a query failed for the resolver's load */
    struct dane_wait *waiters;
    struct query_ctx qmx;
};

struct cached {
    struct dane_result res;
    time_t  expires;
    time_t  life;			/* seconds it was cached for */
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

/* job_note - keep the smallest TTL; note a load failure */
static void job_note(struct job *j, const struct dns_answer *a)
{
    if (a->ttl < j->ttl)
	j->ttl = a->ttl;
    if (a->busy)
	j->busy = true;
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
    resolver_query(j->d->r, name, type, j->pri, cb, q);
}

/* tlsa_name - "_25._tcp.<base>" */
static void tlsa_name(char *out, size_t outsz, const char *base)
{
    snprintf(out, outsz, "_25._tcp.%s", base);
}

/* job_host_fail - one host's lookup failed: that host is unusable */
static void job_host_fail(struct job *j, struct mxhost *h, const char *name, int type,
			          const struct dns_answer *a)
{
    char    tbuf[16];

    h->failed = true;
    msg_info("MX host unusable: DNS lookup failed domain=%s mx=%s name=%s type=%s "
	     "why=%s", j->domain, h->name, name, dns_type_name(type, tbuf, sizeof(tbuf)),
	     a->why ? a->why : "?");
}

/* job_tlsa_answer - TLSA for one host, at one candidate base domain */
static void job_tlsa_answer(void *ctx, const struct dns_answer *a)
{
    struct query_ctx *q = ctx;
    struct job *j = q->job;
    struct mxhost *h = &j->hosts[q->host];
    const char *base = h->stage == TLSA_EXPANDED ? h->canon : h->name;
    char    name[DOMAIN_MAX + 16], why[128];
    struct tlsa_rr rr;
    size_t  usable = 0;

    tlsa_name(name, sizeof(name), base);
    job_note(j, a);
    if (a->sec == DNS_BOGUS) {
	job_fail(j, name, T_TLSA, a);
	h->stage = TLSA_DONE;
    } else if (a->status == DNS_FAIL) {
	/* RFC 7672 2.2.3: a failure is never a reason to try the next name. */
	job_host_fail(j, h, name, T_TLSA, a);
	h->stage = TLSA_DONE;
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
	h->stage = TLSA_DONE;
	if (h->dane && base == h->canon)
	    msg_debug("TLSA found at the CNAME-expanded name domain=%s mx=%s name=%s",
		      j->domain, h->name, name);
    } else if (h->stage == TLSA_EXPANDED) {
	/* No secure TLSA at the expanded name: the original name next. */
	h->stage = TLSA_UNASKED;
	h->canon[0] = '\0';		/* next: as if there were no CNAME */
    } else {
	h->stage = TLSA_DONE;
    }
    job_step_done(j);
}

/* job_cname_answer - is the first CNAME of an insecure chain secure? */
static void job_cname_answer(void *ctx, const struct dns_answer *a)
{
    struct query_ctx *q = ctx;
    struct job *j = q->job;
    struct mxhost *h = &j->hosts[q->host];

    job_note(j, a);
    if (a->sec == DNS_BOGUS) {
	job_fail(j, h->name, T_CNAME, a);
	h->stage = TLSA_DONE;
    } else if (a->status == DNS_FAIL) {
	job_host_fail(j, h, h->name, T_CNAME, a);
	h->stage = TLSA_DONE;
    } else if (a->status == DNS_DATA && a->sec == DNS_SECURE) {
	/* RFC 7672 2.2.2: treated as a host without CNAME, the original
	 * name the TLSA base domain. */
	h->stage = TLSA_ORIGINAL;
    } else {
	msg_debug("MX host CNAME not DNSSEC-signed: DANE does not apply domain=%s "
		  "mx=%s", j->domain, h->name);
	h->stage = TLSA_DONE;
    }
    job_step_done(j);
}

/* job_addr_answer - A or AAAA for one host */
static void job_addr_answer(void *ctx, const struct dns_answer *a)
{
    struct query_ctx *q = ctx;
    struct job *j = q->job;
    struct mxhost *h = &j->hosts[q->host];

    job_note(j, a);
    if (a->sec == DNS_BOGUS) {
	job_fail(j, h->name, q->step == STEP_ADDR_A ? T_A : T_AAAA, a);
    } else if (a->status == DNS_FAIL) {
	h->addr_failed = true;
	msg_info("MX host address lookup failed domain=%s mx=%s type=%s why=%s",
		 j->domain, h->name, q->step == STEP_ADDR_A ? "A" : "AAAA",
		 a->why ? a->why : "?");
    } else if (a->status == DNS_DATA) {
	h->has_addr = true;
	if (a->sec == DNS_SECURE)
	    h->addr_secure = true;
	else
	    h->addr_insecure = true;
	if (a->canonname && strcmp(a->canonname, h->name) != 0)
	    snprintf(h->canon, sizeof(h->canon), "%s", a->canonname);
    }
    job_step_done(j);
}

/* job_mx_answer - the MX RRset, then every host's addresses */
static void job_mx_answer(void *ctx, const struct dns_answer *a)
{
    struct query_ctx *q = ctx;
    struct job *j = q->job;
    struct mx_list mx;

    job_note(j, a);
    mx_list_read(a, j->domain, &mx);
    j->res.mx_secure = mx.secure;
    if (mx.malformed > 0)
	msg_info("malformed MX records skipped domain=%s count=%zu", j->domain, mx.malformed);
    if (mx.ignored > 0)
	msg_info("MX records past the first %d by preference ignored domain=%s "
		 "count=%zu", MX_MAX, j->domain, mx.ignored);
    switch (mx.status) {
    case MX_BOGUS:
    case MX_FAIL:
	job_fail(j, j->domain, T_MX, a);
	break;
    case MX_NXDOMAIN:
	snprintf(j->res.why, sizeof(j->res.why), "%s does not exist (NXDOMAIN)", j->domain);
	break;
    case MX_NULL:
	j->null_mx = true;
	snprintf(j->res.why, sizeof(j->res.why), "%s has a null MX: it accepts no "
		 "mail%s", j->domain, mx.null_mixed ? " (published with other MX "
		 "records, which RFC 7505 forbids)" : "");
	break;
    case MX_IMPLICIT:
    case MX_HOSTS:
	for (size_t i = 0; i < mx.n; i++)
	    snprintf(j->hosts[i].name, sizeof(j->hosts[i].name), "%s", mx.hosts[i].name);
	j->nhosts = mx.n;
	break;
    }
    j->res.mx = xcalloc(j->nhosts + 1, sizeof(*j->res.mx));
    for (size_t i = 0; i < j->nhosts; i++)
	j->res.mx[i] = xstrdup(j->hosts[i].name);
    j->res.nmx = j->nhosts;
    if (!mx.secure && j->nhosts > 0) {
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
	h->qcname = (struct query_ctx) {j, i, STEP_CNAME};
	job_ask(j, h->name, T_A, &h->qa, job_addr_answer);
	job_ask(j, h->name, T_AAAA, &h->qaaaa, job_addr_answer);
    }
    job_step_done(j);
}

/* job_outcome - everything answered: classify */
static void job_outcome(struct job *j)
{
    size_t  usable = 0, dane = 0, failed = 0;

    for (size_t i = 0; i < j->nhosts; i++) {
	struct mxhost *h = &j->hosts[i];

	if (h->addr_failed && !h->has_addr)
	    h->failed = true;		/* no address known: unusable */
	if (h->failed) {
	    failed++;
	    continue;
	}
	if (!h->has_addr)
	    continue;			/* an MX without address takes no mail */
	usable++;
	dane += h->dane;
    }
    j->res.ndane = (int) dane;
    j->res.nfailed = (int) failed;
    if (j->bogus)
	j->res.outcome = DANE_OUT_BOGUS;
    else if (j->error)
	j->res.outcome = DANE_OUT_DNS_ERROR;
    else if (j->null_mx)
	j->res.outcome = DANE_OUT_NULL_MX;
    else if (usable == 0 && failed > 0) {
	j->res.outcome = DANE_OUT_DNS_ERROR;
	snprintf(j->res.why, sizeof(j->res.why), "the DNS lookups of every MX host of "
		 "%s failed", j->domain);
    } else if (dane > 0 && dane == usable)
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
    if (j->res.outcome == DANE_OUT_ALL || j->res.outcome == DANE_OUT_SOME
	|| (j->res.outcome == DANE_OUT_NONE && failed > 0))
	snprintf(j->res.why, sizeof(j->res.why), "usable TLSA on %zu of %zu MX hosts "
		 "of %s%s", dane, usable, j->domain, failed ? ", the lookups of "
		 "others failed" : "");
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
    /* A resolver too busy to ask says nothing of the domain: such an
     * outcome lives the least, and never replaces one still valid. */
    if (j->busy)
	ttl = RESOLVER_TTL_MIN;
    c->life = ttl < RESOLVER_TTL_MIN ? RESOLVER_TTL_MIN : ttl;
    c->expires = now() + c->life;
    old = strmap_get(d->cache, j->domain);
    if (j->gen != d->gen		/* flushed while running: not cached */
	|| (old && old->expires > now() && (j->busy || j->res.outcome == DANE_OUT_DNS_ERROR
					    || j->res.nfailed > old->res.nfailed))) {
	/* A refresh that failed keeps the outcome it was to replace. */
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

/* job_tlsa_next - the host's next DANE query, if any (RFC 7672 2.2.2) */
static void job_tlsa_next(struct job *j, struct mxhost *h)
{
    char    name[DOMAIN_MAX + 16];

    if (h->stage == TLSA_UNASKED) {
	if (!h->has_addr || h->failed) {
	    h->stage = TLSA_DONE;
	} else if (h->addr_secure && h->addr_insecure) {
	    /* RFC 7672 2.2.2 asks for secure addresses; half is not that. */
	    msg_info("MX host addresses partly unsigned; no TLSA lookup domain=%s "
		     "mx=%s", j->domain, h->name);
	    h->stage = TLSA_DONE;
	} else if (h->addr_secure) {
	    h->stage = h->canon[0] ? TLSA_EXPANDED : TLSA_ORIGINAL;
	} else if (h->canon[0]) {
	    /* An insecure chain: DANE applies if its first CNAME is secure. */
	    h->stage = TLSA_CNAME_CHECK;
	    job_ask(j, h->name, T_CNAME, &h->qcname, job_cname_answer);
	    return;
	} else {
	    h->stage = TLSA_DONE;	/* insecure addresses: no DANE */
	}
    }
    if (h->stage == TLSA_EXPANDED || h->stage == TLSA_ORIGINAL) {
	tlsa_name(name, sizeof(name), h->stage == TLSA_EXPANDED ? h->canon : h->name);
	job_ask(j, name, T_TLSA, &h->qtlsa, job_tlsa_answer);
    }
}

/* host_needs_step - with no query out, does the host have one to ask? */
static bool host_needs_step(const struct mxhost *h)
{
    return h->stage == TLSA_UNASKED || h->stage == TLSA_ORIGINAL;
}

/*
 * job_step_done - one answer in. When every query asked so far is answered,
 * each host takes its next step (addresses, then TLSA at one base domain,
 * then maybe another); when nothing more is asked, the job finishes. An
 * answer from the resolver's cache arrives inside job_ask(): the loop runs
 * again until every host waits for a query or is done.
 */
static void job_step_done(struct job *j)
{
    bool    again;

    if (--j->pending > 0)
	return;
    j->pending = 1;			/* a guard while asking more */
    do {
	again = false;
	for (size_t i = 0; i < j->nhosts && !j->bogus && !j->error; i++)
	    if (host_needs_step(&j->hosts[i]))
		job_tlsa_next(j, &j->hosts[i]);
	for (size_t i = 0; j->pending == 1 && i < j->nhosts; i++)
	    again |= host_needs_step(&j->hosts[i]);
    } while (again && !j->bogus && !j->error);
    if (--j->pending == 0)
	job_finish(j);
}

/* job_start - the first query of a job, from the loop */
static void job_start(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;

    (void) fd;
    (void) what;
    resolver_query(j->d->r, j->domain, T_MX, j->pri, job_mx_answer, &j->qmx);
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

/* dane_stats - for status */
void    dane_stats(const struct dane *d, size_t *cached, size_t *running)
{
    *cached = strmap_count(d->cache);
    *running = strmap_count(d->jobs);
}

/* dane_flush - forget outcomes */
void    dane_flush(struct dane *d, const char *domain)
{
    d->gen++;				/* lookups running now cache nothing */
    strmap_filter(d->cache, dane_drop_cached, (void *) domain);
}

/* dane_lookup - cached, shared, or new */
/* job_new - a lookup for domain, started from the loop */
static struct job *job_new(struct dane *d, const char *domain, enum resolver_pri pri)
{
    struct job *j = xcalloc(1, sizeof(*j));

    j->d = d;
    j->gen = d->gen;
    j->pri = pri;
    j->domain = xstrdup(domain);
    j->ttl = RESOLVER_TTL_MAX;
    j->qmx.job = j;
    strmap_put(d->jobs, domain, j);
    j->pending = 1;
    /* Start from the loop, never inside the caller: every answer may be
     * cached, and a job that finished there would free its waiter under it. */
    event_base_once(d->base, -1, EV_TIMEOUT, job_start, j, NULL);
    return j;
}

/*
 * dane_lookup - cached, shared, or new. A domain whose cached outcome has
 * less than a third of its life left is looked up again in the background
 * while the cached one answers, as a known domain (ahead of first
 * contacts): a domain in use never waits for its own refresh.
 */
struct dane_wait *dane_lookup(struct dane *d, const char *domain, dane_cb cb, void *ctx)
{
    struct cached *c = strmap_get(d->cache, domain);
    struct dane_wait *w;
    struct job *j;
    time_t  t = now();

    if (c != NULL && c->expires > t) {
	if ((c->expires - t) * 3 < c->life && strmap_get(d->jobs, domain) == NULL) {
	    msg_debug("DANE outcome refreshed ahead of expiry domain=%s expires_in=%lds",
		      domain, (long) (c->expires - t));
	    job_new(d, domain, RESOLVER_KNOWN);
	}
	cb(ctx, &c->res);
	return NULL;
    }
    w = xcalloc(1, sizeof(*w));
    w->cb = cb;
    w->ctx = ctx;
    /* An expired outcome still says the domain is known. */
    if ((j = strmap_get(d->jobs, domain)) == NULL)
	j = job_new(d, domain, c ? RESOLVER_KNOWN : RESOLVER_FIRST);
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
