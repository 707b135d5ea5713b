/*
 * sts - MTA-STS outcomes per domain; see sts.h.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain.h"
#include "log.h"
#include "mx.h"
#include "strmap.h"
#include "sts.h"
#include "sts_keep.h"
#include "sts_policy.h"
#include "tlsa.h"
#include "util.h"

#define T_A	1
#define T_MX	15
#define T_TXT	16
#define T_AAAA	28

#define STS_REFRESH_CHECK	300	/* seconds between refresh scans */
#define STS_REFRESH_RETRY	3600	/* after a failed refresh */
#define STS_FAIL_RETRY		300	/* a failed first fetch is retried after */
#define STS_TXT_RETRY		60	/* a failed TXT lookup is retried after */
#define STS_FAIL_FORGET		3600	/* failures are remembered this long */
#define STS_MAX_TXT		16	/* TXT records examined */
#define STS_MAX_ADDRS		8	/* policy host addresses tried */
#define STS_TXT_MAX		1024	/* bytes of one TXT text */

/* What is known of a domain that has (had) a policy. */
struct known {
    struct sts_policy *policy;		/* NULL: none (mode none, expired...) */
    char    id[STS_ID_MAX + 1];		/* the id the policy was fetched for */
    time_t  fetched_at;
    time_t  expires_at;
    time_t  next_try;			/* no refresh before this */
    char    announced[STS_ID_MAX + 1];	/* id last logged as found/applied */
    char    failed_id[STS_ID_MAX + 1];	/* a fetch for this id failed ... */
    time_t  failed_at;			/* ... then (0: no failure kept) ... */
    time_t  failed_until;		/* ... and is not tried again before this */
    char    failed_why[300];
    /* The TXT lookup failed with no policy cached (STS_DNS_ERROR): answered
     * from here at once, and looked up again in the background when due. */
    time_t  txt_failed_at;		/* 0: no failure kept */
    time_t  txt_retry_at;
    char    txt_failed_why[160];
};

/*
 * Remembered failures answer at once, so that a domain whose name server or
 * policy host is broken costs no wait (and no TEMP) per message; a retry
 * runs in the background, nobody waiting on it, when due.
 */

struct sts_wait {
    struct job *job;
    sts_cb  cb;
    void   *ctx;
    struct sts_wait *next;
};

struct job {
    struct sts *s;
    char   *domain;
    bool    refresh;			/* fetch even if the id is unchanged */
    bool    background;			/* a retry: remembered failures do not
					 * answer it */
    enum resolver_pri pri;		/* known domains go ahead of first contacts */
    char    txt_id[STS_ID_MAX + 1];	/* "" when no valid TXT */
    char    txt_why[160];
    int     pending;			/* address queries outstanding */
    bool    addr_bogus;			/* a policy host address RRset was bogus */
    char   *addrs[STS_MAX_ADDRS];
    size_t  naddrs;
    struct sts_fetch *fetch;
    struct sts_result res;
    struct sts_wait *waiters;
};

struct sts {
    struct event_base *base;
    struct resolver *r;
    struct sts_fetcher *f;
    struct sts_cache *cache;		/* reads; writes go through keep */
    struct sts_keep *keep;
    struct strmap *known;		/* domain -> struct known */
    struct strmap *jobs;		/* domain -> struct job: lookups asked */
    struct strmap *bg;			/* domain -> struct job: refreshes and
					 * retries nobody waits on (a request
					 * never joins one: it answers from
					 * memory meanwhile) */
    struct event *refresh;
};

static void job_finish(struct job *j);
static void job_use_policy(struct job *j);
/* Who a job is for: requests waiting, or nobody (a refresh, a retry). */
enum job_kind { JOB_ASKED, JOB_REFRESH, JOB_RETRY };

static struct job *job_new(struct sts *s, const char *domain, enum job_kind kind);

/* known_get - the domain's entry, made on demand */
static struct known *known_get(struct sts *s, const char *domain)
{
    struct known *k = strmap_get(s->known, domain);

    if (k == NULL) {
	k = xcalloc(1, sizeof(*k));
	strmap_put(s->known, domain, k);
    }
    return k;
}

/* known_valid - a policy in force now */
static bool known_valid(const struct known *k, time_t now)
{
    return k && k->policy && k->expires_at > now;
}

/* known_set - adopt a parsed policy (takes p), in force until expires_at */
static void known_set(struct known *k, struct sts_policy *p, const char *id,
		              time_t fetched_at, time_t expires_at)
{
    sts_policy_free(k->policy);
    k->policy = p;
    snprintf(k->id, sizeof(k->id), "%s", id);
    k->fetched_at = fetched_at;
    k->expires_at = expires_at;
    k->next_try = 0;
}

/* sts_load_one - sts_cache_foreach callback: a row into memory */
static void sts_load_one(void *ctx, const struct sts_cache_entry *e)
{
    struct sts *s = ctx;
    struct sts_policy *p;
    char    why[256];

    if ((p = sts_policy_parse(e->policy, strlen(e->policy), why, sizeof(why))) == NULL) {
	msg_warn("MTA-STS cached policy unusable domain=%s why=%s", e->domain, why);
	return;
    }
    known_set(known_get(s, e->domain), p, e->id, e->fetched_at, e->expires_at);
}

/* job_result - set the outcome */
static void job_result(struct job *j, enum sts_state state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void job_result(struct job *j, enum sts_state state, const char *fmt, ...)
{
    va_list ap;

    j->res.state = state;
    va_start(ap, fmt);
    vsnprintf(j->res.why, sizeof(j->res.why), fmt, ap);
    va_end(ap);
}

/* job_mx_answer - the MX RRset, matched against the policy */
static void job_mx_answer(void *ctx, const struct dns_answer *a)
{
    struct job *j = ctx;
    struct known *k = strmap_get(j->s->known, j->domain);
    bool    enforce;
    struct mx_list mx;
    size_t  len = 0, nmatch = 0;

    if (!known_valid(k, time(NULL))) {	/* flushed meanwhile */
	job_result(j, STS_NONE, "policy no longer known");
	job_finish(j);
	return;
    }
    enforce = k->policy->mode == STS_MODE_ENFORCE;
    snprintf(j->res.id, sizeof(j->res.id), "%s", k->id);
    mx_list_read(a, j->domain, &mx);
    j->res.mx_secure = mx.secure;
    j->res.mx_match[0] = '\0';
    switch (mx.status) {
    case MX_BOGUS:
	job_result(j, STS_BOGUS, "MX lookup bogus: %s", a->why ? a->why : "?");
	job_finish(j);
	return;
    case MX_NULL:
	/* RFC 7505: no mail at all; the MTA returns it (never a deferral loop). */
	job_result(j, STS_NULL_MX, "null MX");
	job_finish(j);
	return;
    case MX_FAIL:
    case MX_NXDOMAIN:
	/* Enforce: no MX can be checked, decide says TEMP; testing: nothing. */
	job_result(j, enforce ? STS_ENFORCE : STS_TESTING, "policy id %s, mode %s, "
		   "MX lookup %s: %s", k->id, sts_mode_name(k->policy->mode),
		   mx.status == MX_FAIL ? "failed" : "NXDOMAIN", a->why ? a->why : "");
	job_finish(j);
	return;
    case MX_HOSTS:
    case MX_IMPLICIT:
	break;
    }
    for (size_t i = 0; i < mx.n; i++) {
	const char *name = mx.hosts[i].name;

	for (size_t m = 0; m < k->policy->nmx; m++) {
	    if (!sts_mx_match(k->policy->mx[m], name))
		continue;
	    nmatch++;
	    if (len + strlen(name) + 2 < sizeof(j->res.mx_match))
		len += (size_t) snprintf(j->res.mx_match + len,
					 sizeof(j->res.mx_match) - len, "%s%s",
					 len ? ":" : "", name);
	    break;
	}
    }
    /* Every MX: none dropped past MX_MAX or unreadable, which Postfix may
     * still pick and "match=hostname" would accept. */
    j->res.all_match = mx.n > 0 && nmatch == mx.n && mx.ignored == 0 && mx.malformed == 0;
    if (enforce) {
	job_result(j, STS_ENFORCE, "policy id %s, mode enforce", k->id);
    } else {
	job_result(j, STS_TESTING, "policy id %s, mode testing", k->id);
	if (len == 0)
	    msg_info("MTA-STS testing mode: enforce would have failed domain=%s "
		     "id=%s reason=\"no MX matches the policy\"", j->domain, k->id);
    }
    job_finish(j);
}

/* job_use_policy - the policy in memory applies: match the MX RRset */
static void job_use_policy(struct job *j)
{
    struct known *k = strmap_get(j->s->known, j->domain);

    if (k->policy->mode == STS_MODE_NONE) {
	job_result(j, STS_NONE, "policy mode none");
	job_finish(j);
	return;
    }
    if (strcmp(k->announced, k->id) != 0) {
	msg_info("MTA-STS policy applied domain=%s id=%s mode=%s max_age=%ld "
		 "expires_in=%lds", j->domain, k->id, sts_mode_name(k->policy->mode),
		 k->policy->max_age, (long) (k->expires_at - time(NULL)));
	snprintf(k->announced, sizeof(k->announced), "%s", k->id);
    }
    resolver_query(j->s->r, j->domain, T_MX, j->pri, job_mx_answer, j);
}

/* job_no_policy - nothing valid to apply */
static void job_no_policy(struct job *j, const char *why)
{
    job_result(j, STS_NONE, "%s", why);
    job_finish(j);
}

/* job_fetched - the fetch's outcome */
static void job_fetched(void *ctx, enum sts_fetch_status st, const char *body,
		                size_t len, const char *why)
{
    struct job *j = ctx;
    struct sts *s = j->s;
    struct known *k = strmap_get(s->known, j->domain);
    time_t  now = time(NULL);
    struct sts_policy *p = NULL;
    struct sts_cache_entry e;
    char    perr[256], cerr[256], cause[300];

    j->fetch = NULL;
    if (st == FETCH_OK
	&& (p = sts_policy_parse(body, len, perr, sizeof(perr))) == NULL) {
	msg_info("MTA-STS policy fetch failed domain=%s cause=parse detail=\"%s\"",
		 j->domain, perr);
	snprintf(cause, sizeof(cause), "parse: %s", perr);
    } else if (st != FETCH_OK) {
	snprintf(cause, sizeof(cause), "%s: %s", sts_fetch_status_name(st), why);
    }
    if (p == NULL) {
	if (s->cache && known_valid(k, now)
	    && sts_cache_set_error(s->cache, j->domain, cause, cerr, sizeof(cerr)) < 0)
	    msg_warn("MTA-STS cache error domain=%s why=%s", j->domain, cerr);
	if (known_valid(k, now)) {
	    msg_info("MTA-STS keeping the cached policy domain=%s id=%s until=%ld "
		     "reason=\"refetch failed: %s\"", j->domain, k->id,
		     (long) k->expires_at, cause);
	    if (j->refresh)
		k->next_try = now + STS_REFRESH_RETRY;
	    job_use_policy(j);
	} else {
	    /* Nothing to enforce (RFC 8461 5: go on as if there were no
	     * policy), and no new fetch for every message meanwhile. */
	    k = known_get(s, j->domain);
	    snprintf(k->failed_id, sizeof(k->failed_id), "%s", j->txt_id);
	    snprintf(k->failed_why, sizeof(k->failed_why), "%s", cause);
	    k->failed_at = now;
	    k->failed_until = now + STS_FAIL_RETRY;
	    job_no_policy(j, cause);
	}
	return;
    }
    if (k && k->policy && strcmp(k->id, j->txt_id) != 0)
	msg_info("MTA-STS policy changed domain=%s old_id=%s new_id=%s", j->domain,
		 k->id, j->txt_id);
    msg_info("MTA-STS policy fetched domain=%s id=%s mode=%s max_age=%ld mx=%zu",
	     j->domain, j->txt_id, sts_mode_name(p->mode), p->max_age, p->nmx);
    /* Committed before anyone is answered from it. */
    e = (struct sts_cache_entry) {
	.domain = j->domain, .id = j->txt_id, .policy = (char *) body,
	.fetched_at = now, .expires_at = now + p->max_age, .last_error = NULL,
    };
    /* A failed write stays pending in sts_keep and is retried. */
    if (p->mode == STS_MODE_NONE)
	(void) sts_keep_delete(s->keep, j->domain);
    else
	(void) sts_keep_put(s->keep, &e);
    k = known_get(s, j->domain);
    known_set(k, p, j->txt_id, now, now + p->max_age);
    job_use_policy(j);
}

/* job_addr_answer - an address of the policy host */
static void job_addr_answer(void *ctx, const struct dns_answer *a)
{
    struct job *j = ctx;
    char    text[INET6_ADDRSTRLEN];

    if (a->sec == DNS_BOGUS)
	j->addr_bogus = true;
    for (size_t i = 0; a->status == DNS_DATA && a->sec != DNS_BOGUS && i < a->n; i++) {
	int     af = a->rdlen[i] == 4 ? AF_INET : a->rdlen[i] == 16 ? AF_INET6 : 0;

	if (af && j->naddrs < STS_MAX_ADDRS
	    && inet_ntop(af, a->rdata[i], text, sizeof(text)) != NULL)
	    j->addrs[j->naddrs++] = xstrdup(text);
    }
    if (--j->pending > 0)
	return;
    if (j->naddrs == 0 && j->addr_bogus
	&& !known_valid(strmap_get(j->s->known, j->domain), time(NULL))) {
	/* Forged answers for the policy host: an attack, not an absence. */
	job_result(j, STS_BOGUS, "DNSSEC bogus for mta-sts.%s", j->domain);
	job_finish(j);
	return;
    }
    if (j->naddrs == 0) {
	msg_info("MTA-STS policy fetch failed domain=%s cause=connect detail=\"policy "
		 "host mta-sts.%s has no address\"", j->domain, j->domain);
	job_fetched(j, FETCH_CONNECT, NULL, 0, "policy host has no address");
	return;
    }
    j->fetch = sts_fetch_start(j->s->f, j->domain, (const char *const *) j->addrs,
			       j->naddrs, job_fetched, j);
}

/* job_fetch - resolve the policy host, then fetch */
static void job_fetch(struct job *j)
{
    char    host[DOMAIN_MAX + 16];

    snprintf(host, sizeof(host), "mta-sts.%s", j->domain);
    j->pending = 2;
    resolver_query(j->s->r, host, T_A, j->pri, job_addr_answer, j);
    resolver_query(j->s->r, host, T_AAAA, j->pri, job_addr_answer, j);
}

/*
 * job_answer_remembered - answer j from a remembered failure (state, why),
 * and when *retry_at has passed, start a retry in the background (nobody
 * waits on it) and put *retry_at interval further. j is gone afterwards.
 */
static void job_answer_remembered(struct job *j, enum sts_state state, const char *why,
				          time_t *retry_at, int interval)
{
    struct sts *s = j->s;
    char    domain[DOMAIN_MAX + 1];
    time_t  now = time(NULL);
    bool    retry = now >= *retry_at;

    snprintf(domain, sizeof(domain), "%s", j->domain);
    if (retry)
	*retry_at = now + interval;	/* before the waiters run */
    job_result(j, state, "%s", why);
    job_finish(j);
    if (retry) {
	msg_debug("MTA-STS retry in the background domain=%s", domain);
	if (strmap_get(s->bg, domain) == NULL)
	    job_new(s, domain, JOB_RETRY);
    }
}

/*
 * job_txt_failed - the TXT lookup failed (SERVFAIL, timeout) and no policy
 * is cached: no policy known (RFC 8461 3.1, 5). Remembered, so that the next
 * messages are answered at once, and looked up again soon, not after max_age.
 */
static void job_txt_failed(struct job *j, time_t now)
{
    struct known *k = known_get(j->s, j->domain);

    if (k->txt_failed_at == 0)
	msg_info("MTA-STS TXT lookup failed and no policy is cached: delivering "
		 "without MTA-STS domain=%s why=\"%s\" retry_in=%ds", j->domain,
		 j->txt_why, STS_TXT_RETRY);
    k->txt_failed_at = now;
    k->txt_retry_at = now + STS_TXT_RETRY;
    snprintf(k->txt_failed_why, sizeof(k->txt_failed_why), "%s", j->txt_why);
    job_result(j, STS_DNS_ERROR, "%s", j->txt_why);
    job_finish(j);
}

/* job_txt_answer - _mta-sts.<domain> TXT: use, refetch, or nothing */
static void job_txt_answer(void *ctx, const struct dns_answer *a)
{
    struct job *j = ctx;
    struct known *k = strmap_get(j->s->known, j->domain);
    const char *texts[STS_MAX_TXT];
    char   *bufs[STS_MAX_TXT];
    size_t  n = 0;
    time_t  now = time(NULL);

    if (a->sec == DNS_BOGUS || a->status == DNS_FAIL) {
	snprintf(j->txt_why, sizeof(j->txt_why), "TXT lookup failed: %s",
		 a->why ? a->why : "?");
    } else if (a->status != DNS_DATA) {
	snprintf(j->txt_why, sizeof(j->txt_why), "no _mta-sts TXT record");
    } else {
	for (size_t i = 0; i < a->n && n < STS_MAX_TXT; i++) {
	    bufs[n] = xmalloc(STS_TXT_MAX);
	    if (sts_txt_rdata(a->rdata[i], a->rdlen[i], bufs[n], STS_TXT_MAX) < 0) {
		free(bufs[n]);
		continue;
	    }
	    texts[n] = bufs[n];
	    n++;
	}
	if (sts_txt_parse(texts, n, j->txt_id, j->txt_why, sizeof(j->txt_why)) < 0)
	    j->txt_id[0] = '\0';
	for (size_t i = 0; i < n; i++)
	    free(bufs[i]);
	if (j->txt_id[0])
	    msg_debug("MTA-STS TXT record fetched domain=%s id=%s dnssec=%s",
		      j->domain, j->txt_id, dns_sec_name(a->sec));
    }
    if (j->txt_id[0] == '\0') {
	if (known_valid(k, now)) {
	    job_use_policy(j);		/* RFC 8461 5.1: still in force */
	    return;
	}
	if (a->sec == DNS_BOGUS) {
	    /* Forged answers may hide a policy: an attack, not an absence. */
	    job_result(j, STS_BOGUS, "%s", j->txt_why);
	    job_finish(j);
	    return;
	}
	if (a->status == DNS_FAIL) {
	    job_txt_failed(j, now);
	    return;
	}
	if (j->refresh && k && k->policy) {
	    k->next_try = now + STS_REFRESH_RETRY;
	}
	if (k)
	    k->txt_failed_at = 0;
	job_no_policy(j, j->txt_why);
	return;
    }
    if (k)
	k->txt_failed_at = 0;
    if (!known_valid(k, now) && k && !j->refresh && !j->background
	&& strcmp(k->failed_id, j->txt_id) == 0 && k->failed_at
	&& now < k->failed_at + STS_FAIL_FORGET) {
	/* Failed before: answered at once; fetched again in the background
	 * when due. */
	job_answer_remembered(j, STS_NONE, k->failed_why, &k->failed_until,
			      STS_FAIL_RETRY);
	return;
    }
    if (known_valid(k, now) && strcmp(k->id, j->txt_id) == 0 && !j->refresh) {
	if (strcmp(k->announced, k->id) != 0)
	    msg_info("MTA-STS valid cache entry found domain=%s id=%s", j->domain, k->id);
	job_use_policy(j);
	return;
    }
    if (k == NULL || k->policy == NULL || strcmp(k->id, j->txt_id) != 0)
	msg_info("MTA-STS TXT record fetched domain=%s id=%s%s%s", j->domain,
		 j->txt_id, k && k->policy ? " cached_id=" : "",
		 k && k->policy ? k->id : "");
    job_fetch(j);
}

/* job_start - the first query, from the loop */
static void job_start(evutil_socket_t fd, short what, void *arg)
{
    struct job *j = arg;
    struct known *k = strmap_get(j->s->known, j->domain);
    time_t  now = time(NULL);
    char    name[DOMAIN_MAX + 16];

    (void) fd;
    (void) what;
    if (!j->background && !j->refresh && k && !known_valid(k, now) && k->txt_failed_at
	&& now < k->txt_failed_at + STS_FAIL_FORGET) {
	job_answer_remembered(j, STS_DNS_ERROR, k->txt_failed_why, &k->txt_retry_at,
			      STS_TXT_RETRY);
	return;
    }
    if (strlen(j->domain) + sizeof("_mta-sts.") - 1 > DOMAIN_MAX) {
	/* _mta-sts.<domain> cannot exist: such a domain has no policy. */
	job_no_policy(j, "the domain is too long for an _mta-sts record");
	return;
    }
    snprintf(name, sizeof(name), "_mta-sts.%s", j->domain);
    resolver_query(j->s->r, name, T_TXT, j->pri, job_txt_answer, j);
}

/* job_new - a lookup for domain, started from the loop */
static struct job *job_new(struct sts *s, const char *domain, enum job_kind kind)
{
    struct job *j = xcalloc(1, sizeof(*j));

    j->s = s;
    j->domain = xstrdup(domain);
    j->refresh = kind == JOB_REFRESH;
    j->background = kind == JOB_RETRY;
    /* A domain with a policy or a remembered failure is known. */
    j->pri = kind != JOB_ASKED || strmap_get(s->known, domain) ? RESOLVER_KNOWN
	: RESOLVER_FIRST;
    strmap_put(kind == JOB_ASKED ? s->jobs : s->bg, domain, j);
    event_base_once(s->base, -1, EV_TIMEOUT, job_start, j, NULL);
    return j;
}

/* job_free - the job's memory */
static void job_free(struct job *j)
{
    for (size_t i = 0; i < j->naddrs; i++)
	free(j->addrs[i]);
    free(j->domain);
    free(j);
}

/* job_finish - tell the waiters, forget the job */
static void job_finish(struct job *j)
{
    struct sts_wait *w, *next;
    strmap_del(j->refresh || j->background ? j->s->bg : j->s->jobs, j->domain);

    msg_debug("MTA-STS outcome domain=%s state=%s mx_match=%s why=%s", j->domain,
	      sts_state_name(j->res.state), j->res.mx_match, j->res.why);
    for (w = j->waiters; w; w = next) {
	next = w->next;
	w->cb(w->ctx, &j->res);
	free(w);
    }
    job_free(j);
}

/* sts_lookup - join or start the domain's lookup */
struct sts_wait *sts_lookup(struct sts *s, const char *domain, sts_cb cb, void *ctx)
{
    struct job *j = strmap_get(s->jobs, domain);
    struct sts_wait *w = xcalloc(1, sizeof(*w));

    if (j == NULL)
	j = job_new(s, domain, JOB_ASKED);
    w->job = j;
    w->cb = cb;
    w->ctx = ctx;
    w->next = j->waiters;
    j->waiters = w;
    return w;
}

/* sts_cancel - stop waiting */
void    sts_cancel(struct sts_wait *w)
{
    struct sts_wait **pp;

    for (pp = &w->job->waiters; *pp; pp = &(*pp)->next)
	if (*pp == w) {
	    *pp = w->next;
	    free(w);
	    return;
	}
    msg_panic("sts_cancel: waiter not found for %s", w->job->domain);
}

/* sts_refresh_one - strmap_filter callback: start due refreshes */
static bool sts_refresh_one(const char *domain, void *value, void *ctx)
{
    struct sts *s = ctx;
    struct known *k = value;
    time_t  now = time(NULL);

    /* Nothing to keep: a failed first fetch whose back-off has passed. */
    if (k->policy == NULL && now >= k->failed_until
	&& now >= k->failed_at + STS_FAIL_FORGET && now >= k->txt_failed_at + STS_FAIL_FORGET
	&& strmap_get(s->jobs, domain) == NULL && strmap_get(s->bg, domain) == NULL) {
	free(k);
	return false;
    }
    /* Halfway through its life, a policy is fetched again (RFC 8461 10.2). */
    if (k->policy && k->policy->mode != STS_MODE_NONE && now >= k->next_try
	&& now >= k->fetched_at + k->policy->max_age / 2
	&& strmap_get(s->jobs, domain) == NULL && strmap_get(s->bg, domain) == NULL) {
	msg_info("MTA-STS policy refresh domain=%s id=%s expires_in=%lds", domain,
		 k->id, (long) (k->expires_at - now));
	k->next_try = now + STS_REFRESH_RETRY;
	job_new(s, domain, JOB_REFRESH);
    }
    return true;
}

/* sts_refresh_tick - periodic scan */
static void sts_refresh_tick(evutil_socket_t fd, short what, void *arg)
{
    struct sts *s = arg;

    (void) fd;
    (void) what;
    strmap_filter(s->known, sts_refresh_one, s);
}

/* sts_new - load the cache, start the refresh timer */
struct sts *sts_new(struct event_base *base, struct resolver *r,
		            struct sts_fetcher *f, struct sts_cache *cache)
{
    struct sts *s = xcalloc(1, sizeof(*s));
    struct timeval tv = {STS_REFRESH_CHECK, 0};
    char    why[256];
    long    n;

    s->base = base;
    s->r = r;
    s->f = f;
    s->cache = cache;
    s->known = strmap_new();
    s->jobs = strmap_new();
    s->bg = strmap_new();
    if (cache) {
	if ((n = sts_cache_foreach(cache, sts_load_one, s, why, sizeof(why))) < 0)
	    msg_crit("MTA-STS cache cannot be read: %s; cached policies are not "
		     "applied until fetched again", why);
	else
	    msg_info("MTA-STS cache loaded policies=%ld", n);
    }
    s->keep = sts_keep_new(base, cache);
    s->refresh = event_new(base, -1, EV_PERSIST, sts_refresh_tick, s);
    event_add(s->refresh, &tv);
    return s;
}

/* sts_drop_known - strmap_filter callback */
static bool sts_drop_known(const char *key, void *value, void *ctx)
{
    struct known *k = value;

    (void) key;
    if (ctx && strcmp(key, ctx) != 0)
	return true;
    sts_policy_free(k->policy);
    free(k);
    return false;
}

/* sts_drop_job - strmap_filter callback, at shutdown */
static bool sts_drop_job(const char *key, void *value, void *ctx)
{
    struct job *j = value;
    struct sts_wait *w, *next;

    (void) key;
    (void) ctx;
    if (j->fetch)
	sts_fetch_cancel(j->fetch);
    for (w = j->waiters; w; w = next) {
	next = w->next;
	free(w);
    }
    job_free(j);
    return false;
}

/* sts_forget - drop what memory holds for domain; read the cache again */
void    sts_forget(struct sts *s, const char *domain)
{
    struct sts_cache_entry e;
    char    why[256];

    const struct sts_cache_entry *p = sts_keep_pending(s->keep, domain);

    strmap_filter(s->known, sts_drop_known, (void *) domain);
    if (p) {				/* not on disk yet: memory is the copy */
	if (p->policy)
	    sts_load_one(s, p);
    } else if (s->cache && sts_cache_get(s->cache, domain, &e, why, sizeof(why)) == 1) {
	sts_load_one(s, &e);
	sts_cache_entry_release(&e);
    }
}

/* sts_free - tear down */
struct sts *sts_free(struct sts *s)
{
    if (s == NULL)
	return NULL;
    strmap_filter(s->jobs, sts_drop_job, NULL);
    strmap_filter(s->bg, sts_drop_job, NULL);
    strmap_filter(s->known, sts_drop_known, NULL);
    strmap_free(s->jobs);
    strmap_free(s->bg);
    strmap_free(s->known);
    event_free(s->refresh);
    s->keep = sts_keep_free(s->keep);	/* the last copy */
    free(s);
    return NULL;
}

/* sts_count_one - strmap_filter callback: a policy in force, by mode */
static bool sts_count_one(const char *domain, void *value, void *ctx)
{
    struct known *k = value;
    struct sts_stats *st = ctx;

    (void) domain;
    if (known_valid(k, time(NULL)))
	*(k->policy->mode == STS_MODE_ENFORCE ? &st->enforce
	  : k->policy->mode == STS_MODE_TESTING ? &st->testing : &st->none) += 1;
    return true;
}

/* sts_stats - for status */
void    sts_stats(struct sts *s, struct sts_stats *st)
{
    memset(st, 0, sizeof(*st));
    strmap_filter(s->known, sts_count_one, st);
    st->running = strmap_count(s->jobs) + strmap_count(s->bg);
}

/* sts_cache_state - the durable cache, for status */
const char *sts_cache_state(const struct sts *s, char *buf, size_t bufsz)
{
    return sts_keep_state(s->keep, buf, bufsz);
}

/* sts_cache_ack - an operator acknowledges a lost cache */
int     sts_cache_ack(struct sts *s, char *why, size_t whysz)
{
    return sts_keep_ack(s->keep, why, whysz);
}
