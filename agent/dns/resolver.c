/*
 * resolver - libunbound in the agent's event loop; see resolver.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <unbound.h>

#include "log.h"
#include "resolver.h"
#include "strmap.h"
#include "util.h"

#define RESOLVER_KEY_MAX 300

/* A cached or just-finished answer; refcounted, freed by the last holder. */
struct answer_ref {
    struct dns_answer a;		/* first: a pointer to it is a pointer to us */
    int     refs;
    time_t  expires;			/* monotonic seconds */
};

struct waiter {
    resolver_cb cb;
    void   *ctx;
    struct waiter *next;
};

/* One resolution, shared by all who asked for the same name and type. */
struct rquery {
    struct resolver *r;
    unsigned gen;			/* r->gen when the query was made */
    char   *key;			/* "<type> <name>" */
    char   *name;
    int     type;
    int     async_id;
    bool    started;
    bool    queued;			/* in a start queue */
    bool    nocache;			/* a load failure: not the name's fault */
    enum resolver_pri pri;
    const char *start_error;		/* not started (refused, queue full): why */
    struct event *timer;		/* queue deadline, then the resolution's */
    struct waiter *waiters, **tail;
    struct rquery *qprev, *qnext;	/* in its start queue */
};

/* A start queue: oldest first. */
struct rqueue {
    struct rquery *head, *tail;
    int     n;
};

struct resolver {
    unsigned gen;			/* bumped by resolver_flush */
    struct event_base *base;
    struct ub_ctx *ub;
    struct event *ub_event;		/* ub_fd readable */
    struct event *sweep;		/* expires cache entries */
    int     timeout_ms;
    int     max_inflight;
    int     first_max;			/* of which first contacts may take */
    int     inflight;
    struct strmap *cache;		/* key -> struct answer_ref */
    struct strmap *pending;		/* key -> struct rquery */
    struct rqueue queue[2];		/* by enum resolver_pri */
};

/* now - monotonic seconds */
static time_t now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* dns_sec_name - for logs */
const char *dns_sec_name(enum dns_sec s)
{
    return s == DNS_SECURE ? "secure" : s == DNS_BOGUS ? "bogus" : "insecure";
}

/* dns_status_name - for logs */
static const char *dns_status_name(enum dns_status s)
{
    static const char *names[] = {"data", "nodata", "nxdomain", "fail"};

    return names[s];
}

/* dns_type_name - for logs */
const char *dns_type_name(int type, char *buf, size_t size)
{
    static const struct {
	int     type;
	const char *name;
    } types[] = {
	{1, "A"}, {5, "CNAME"}, {15, "MX"}, {16, "TXT"}, {28, "AAAA"}, {52, "TLSA"},
    };

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
	if (types[i].type == type)
	    return types[i].name;
    snprintf(buf, size, "TYPE%d", type);
    return buf;
}

/* dns_name_from_wire - uncompressed wire name to text */
int     dns_name_from_wire(const unsigned char *p, size_t len, char *out, size_t outsz)
{
    size_t  i = 0, o = 0;

    if (outsz < 2)
	return -1;
    for (;;) {
	size_t  lab;

	if (i >= len)
	    return -1;
	lab = p[i++];
	if (lab == 0)
	    break;
	/* RFC 1035 3.1: 255 bytes of wire name at most (253 as text). */
	if (lab > 63 || i + lab > len || o + lab + 2 > outsz || i + lab + 1 > 255)
	    return -1;			/* compression pointers never occur here */
	if (o > 0)
	    out[o++] = '.';
	for (size_t j = 0; j < lab; j++) {
	    unsigned char c = p[i + j];

	    /* A host name: letters, digits, '-', '_'. Anything else (a NUL
	     * or a '.' inside a label, a space) would change the name when
	     * written as text: such a name is refused, never shortened. */
	    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		  || (c >= '0' && c <= '9') || c == '-' || c == '_'))
		return -1;
	    out[o++] = (char) (c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	i += lab;
    }
    if (o == 0)
	out[o++] = '.';
    out[o] = '\0';
    return (int) i;
}

/* answer_release - drop one reference */
static void answer_release(struct answer_ref *ar)
{
    if (ar == NULL || --ar->refs > 0)
	return;
    for (size_t i = 0; i < ar->a.n; i++)
	free(ar->a.rdata[i]);
    free(ar->a.rdata);
    free(ar->a.rdlen);
    free(ar->a.canonname);
    free(ar->a.why);
    free(ar);
}

/* answer_failed - a failure answer */
static struct answer_ref *answer_failed(const char *why)
{
    struct answer_ref *ar = xcalloc(1, sizeof(*ar));

    ar->refs = 1;
    ar->a.status = DNS_FAIL;
    ar->a.sec = DNS_INSECURE;
    ar->a.ttl = RESOLVER_FAIL_TTL;
    ar->a.why = xstrdup(why);
    return ar;
}

/* answer_from_ub - copy what libunbound found */
static struct answer_ref *answer_from_ub(const struct ub_result *res)
{
    struct answer_ref *ar = xcalloc(1, sizeof(*ar));
    char    why[64];
    size_t  n = 0;

    ar->refs = 1;
    if (res->bogus) {
	ar->a.sec = DNS_BOGUS;
	ar->a.status = DNS_FAIL;
	ar->a.ttl = RESOLVER_FAIL_TTL;
	ar->a.why = xstrdup(res->why_bogus ? res->why_bogus : "validation failed");
	return ar;
    }
    ar->a.sec = res->secure ? DNS_SECURE : DNS_INSECURE;
    if (res->rcode == 3) {
	ar->a.status = DNS_NXDOMAIN;
    } else if (res->rcode != 0) {
	ar->a.status = DNS_FAIL;
	snprintf(why, sizeof(why), "rcode %d%s", res->rcode,
		 res->rcode == 2 ? " (SERVFAIL)" : res->rcode == 5 ? " (REFUSED)" : "");
	ar->a.why = xstrdup(why);
	ar->a.ttl = RESOLVER_FAIL_TTL;
	return ar;
    } else {
	ar->a.status = res->havedata ? DNS_DATA : DNS_NODATA;
    }
    if (res->havedata)
	while (res->data[n])
	    n++;
    ar->a.n = n;
    ar->a.rdata = xcalloc(n + 1, sizeof(*ar->a.rdata));
    ar->a.rdlen = xcalloc(n + 1, sizeof(*ar->a.rdlen));
    for (size_t i = 0; i < n; i++) {
	ar->a.rdlen[i] = (size_t) res->len[i];
	ar->a.rdata[i] = xmalloc(ar->a.rdlen[i] + 1);
	memcpy(ar->a.rdata[i], res->data[i], ar->a.rdlen[i]);
    }
    if (res->canonname && res->qname && strcasecmp(res->canonname, res->qname) != 0) {
	size_t  len = strlen(res->canonname);

	ar->a.canonname = str_lower(xstrdup(res->canonname));
	if (len > 1 && ar->a.canonname[len - 1] == '.')
	    ar->a.canonname[len - 1] = '\0';
    }
    ar->a.ttl = res->ttl < RESOLVER_TTL_MIN ? RESOLVER_TTL_MIN
	: res->ttl > RESOLVER_TTL_MAX ? RESOLVER_TTL_MAX : res->ttl;
    return ar;
}

static void resolver_start(struct rquery *q);
static void resolver_dequeue(struct resolver *r);
static void resolver_timeout(evutil_socket_t fd, short what, void *arg);

/* queue_add - q at the tail of r's queue for its priority */
static void queue_add(struct resolver *r, struct rquery *q)
{
    struct rqueue *rq = &r->queue[q->pri];

    q->qnext = NULL;
    q->qprev = rq->tail;
    *(rq->tail ? &rq->tail->qnext : &rq->head) = q;
    rq->tail = q;
    rq->n++;
    q->queued = true;
}

/* queue_del - q out of its queue */
static void queue_del(struct resolver *r, struct rquery *q)
{
    struct rqueue *rq = &r->queue[q->pri];

    *(q->qprev ? &q->qprev->qnext : &rq->head) = q->qnext;
    *(q->qnext ? &q->qnext->qprev : &rq->tail) = q->qprev;
    q->qprev = q->qnext = NULL;
    rq->n--;
    q->queued = false;
}

/* can_start - a slot for pri: first contacts leave a quarter to the known */
static bool can_start(const struct resolver *r, enum resolver_pri pri)
{
    return r->inflight < (pri == RESOLVER_KNOWN ? r->max_inflight : r->first_max);
}

/* resolver_dequeue - start what the slots allow, known domains first */
static void resolver_dequeue(struct resolver *r)
{
    for (int pri = RESOLVER_KNOWN; pri >= RESOLVER_FIRST; pri--) {
	while (r->queue[pri].head && can_start(r, (enum resolver_pri) pri)) {
	    struct rquery *q = r->queue[pri].head;

	    queue_del(r, q);
	    event_del(q->timer);
	    resolver_start(q);
	}
    }
}

/* resolver_not_started - answer q as a failure from the loop, not cached */
static void resolver_not_started(struct rquery *q, const char *why)
{
    struct timeval zero = {0, 0};

    q->start_error = why;
    q->nocache = true;
    evtimer_add(q->timer, &zero);
}

/* resolver_finish - deliver an answer to every waiter, cache it */
static void resolver_finish(struct rquery *q, struct answer_ref *ar)
{
    struct resolver *r = q->r;
    struct waiter *w, *next;
    struct answer_ref *old;
    char    tbuf[16];

    strmap_del(r->pending, q->key);
    if (q->started)
	r->inflight--;
    if (q->timer)
	event_free(q->timer);
    msg_debug("DNS answer name=%s type=%s status=%s dnssec=%s ttl=%d%s%s",
	      q->name, dns_type_name(q->type, tbuf, sizeof(tbuf)),
	      dns_status_name(ar->a.status), dns_sec_name(ar->a.sec), ar->a.ttl,
	      ar->a.why ? " why=" : "", ar->a.why ? ar->a.why : "");
    ar->expires = now() + ar->a.ttl;
    ar->a.busy = q->nocache;
    if (q->gen == r->gen && !q->nocache) {	/* not flushed while it ran */
	ar->refs++;			/* the cache's reference */
	if ((old = strmap_put(r->cache, q->key, ar)) != NULL)
	    answer_release(old);
    }
    for (w = q->waiters; w; w = next) {
	next = w->next;
	w->cb(w->ctx, &ar->a);
	free(w);
    }
    answer_release(ar);			/* ours */
    free(q->key);
    free(q->name);
    free(q);
    resolver_dequeue(r);
}

/* resolver_ub_done - libunbound's callback, from ub_process() */
static void resolver_ub_done(void *arg, int err, struct ub_result *res)
{
    struct rquery *q = arg;
    struct answer_ref *ar;

    if (err != 0)
	ar = answer_failed(ub_strerror(err));
    else
	ar = answer_from_ub(res);
    if (res)
	ub_resolve_free(res);
    resolver_finish(q, ar);
}

/* resolver_timeout - the resolution's deadline */
static void resolver_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct rquery *q = arg;
    char    why[64];

    (void) fd;
    (void) what;
    if (q->queued) {
	/* Waited its whole deadline for a slot: the resolver is busy. */
	queue_del(q->r, q);
	q->nocache = true;
	snprintf(why, sizeof(why), "not started within %d ms (resolver busy)",
		 q->r->timeout_ms);
	resolver_finish(q, answer_failed(why));
	return;
    }
    if (q->start_error) {
	resolver_finish(q, answer_failed(q->start_error));
	return;
    }
    ub_cancel(q->r->ub, q->async_id);
    snprintf(why, sizeof(why), "no answer within %d ms", q->r->timeout_ms);
    resolver_finish(q, answer_failed(why));
}

/* resolver_start - hand a query to libunbound */
static void resolver_start(struct rquery *q)
{
    struct resolver *r = q->r;
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    int     err;

    q->started = true;
    r->inflight++;
    err = ub_resolve_async(r->ub, q->name, q->type, 1, q, resolver_ub_done, &q->async_id);
    if (err != 0) {
	/* Answered from the loop, as the header promises, never from here. */
	q->start_error = ub_strerror(err);
	tv.tv_sec = tv.tv_usec = 0;
    }
    evtimer_add(q->timer, &tv);
}

/* resolver_query - cached, shared, or new */
void    resolver_query(struct resolver *r, const char *name, int type,
		               enum resolver_pri pri, resolver_cb cb, void *ctx)
{
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    char    key[RESOLVER_KEY_MAX], tbuf[16];
    struct answer_ref *ar;
    struct rquery *q;
    struct waiter *w;

    snprintf(key, sizeof(key), "%d %s", type, name);
    if ((ar = strmap_get(r->cache, key)) != NULL) {
	if (ar->expires > now()) {
	    /* What is left of its life, so that outcomes built on it (DANE)
	     * do not outlive the record. */
	    ar->a.ttl = (int) (ar->expires - now());
	    ar->refs++;
	    cb(ctx, &ar->a);
	    answer_release(ar);
	    return;
	}
	strmap_del(r->cache, key);
	answer_release(ar);
    }
    w = xcalloc(1, sizeof(*w));
    w->cb = cb;
    w->ctx = ctx;
    if ((q = strmap_get(r->pending, key)) != NULL) {
	*q->tail = w;
	q->tail = &w->next;
	if (q->queued && pri > q->pri) {	/* a known domain asks too */
	    queue_del(r, q);
	    q->pri = pri;
	    queue_add(r, q);
	    evtimer_add(q->timer, &tv);	/* the known asker's wait starts now */
	    resolver_dequeue(r);
	}
	return;
    }
    q = xcalloc(1, sizeof(*q));
    q->r = r;
    q->gen = r->gen;
    q->key = xstrdup(key);
    q->name = xstrdup(name);
    q->type = type;
    q->waiters = w;
    q->tail = &w->next;
    q->pri = pri;
    q->timer = evtimer_new(r->base, resolver_timeout, q);
    strmap_put(r->pending, key, q);
    msg_debug("DNS query name=%s type=%s", name, dns_type_name(type, tbuf, sizeof(tbuf)));
    if (can_start(r, pri) && r->queue[pri].head == NULL) {
	resolver_start(q);
    } else if (pri == RESOLVER_FIRST
	       && r->queue[pri].n >= RESOLVER_QUEUE_FACTOR * r->max_inflight) {
	resolver_not_started(q, "resolver busy: too many first contacts waiting");
    } else {
	queue_add(r, q);
	evtimer_add(q->timer, &tv);	/* the most it waits for a slot */
    }
}

/* resolver_ub_readable - libunbound has answers */
static void resolver_ub_readable(evutil_socket_t fd, short what, void *arg)
{
    struct resolver *r = arg;
    int     err;

    (void) fd;
    (void) what;
    if ((err = ub_process(r->ub)) != 0)
	msg_warn("libunbound processing failed: %s", ub_strerror(err));
}

/* resolver_keep_fresh - strmap_filter callback: drop expired answers */
static bool resolver_keep_fresh(const char *key, void *value, void *ctx)
{
    struct answer_ref *ar = value;

    (void) key;
    if (ar->expires > *(time_t *) ctx)
	return true;
    answer_release(ar);
    return false;
}

/* resolver_sweep - periodic cache expiry */
static void resolver_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct resolver *r = arg;
    time_t  t = now();

    (void) fd;
    (void) what;
    strmap_filter(r->cache, resolver_keep_fresh, &t);
}

/* resolver_option - set one libunbound option, or say why not */
static int resolver_option(struct ub_ctx *ub, const char *opt, const char *val,
			           char *why, size_t whysz)
{
    int     err = ub_ctx_set_option(ub, opt, val);

    if (err != 0)
	snprintf(why, whysz, "libunbound option %s %s: %s", opt, val, ub_strerror(err));
    return err ? -1 : 0;
}

/* resolver_configure - the resolver group of the configuration */
static int resolver_configure(struct ub_ctx *ub, const struct cfg *c, char *why,
			              size_t whysz)
{
    int     err;

    if (*c->resolver_unbound_conf && (err = ub_ctx_config(ub, c->resolver_unbound_conf)) != 0) {
	snprintf(why, whysz, "cannot load resolver.unbound_conf %s: %s%s%s",
		 c->resolver_unbound_conf, ub_strerror(err),
		 err == UB_READFILE ? ": " : "", err == UB_READFILE ? strerror(errno) : "");
	return -1;
    }
    if (*c->resolver_trust_anchor_file) {
	if (access(c->resolver_trust_anchor_file, R_OK) < 0) {
	    snprintf(why, whysz, "cannot read resolver.trust_anchor_file %s: %s",
		     c->resolver_trust_anchor_file, strerror(errno));
	    return -1;
	}
	if ((err = ub_ctx_add_ta_file(ub, c->resolver_trust_anchor_file)) != 0) {
	    snprintf(why, whysz, "resolver.trust_anchor_file %s: %s",
		     c->resolver_trust_anchor_file, ub_strerror(err));
	    return -1;
	}
    } else if (*c->resolver_unbound_conf == '\0') {
	snprintf(why, whysz, "no trust anchor: set resolver.trust_anchor_file "
		 "(without one nothing validates, and DANE never applies)");
	return -1;
    }
    if (*c->resolver_root_hints
	&& resolver_option(ub, "root-hints:", c->resolver_root_hints, why, whysz) < 0)
	return -1;
    for (size_t i = 0; i < c->resolver_forward.n; i++)
	if ((err = ub_ctx_set_fwd(ub, c->resolver_forward.v[i])) != 0) {
	    snprintf(why, whysz, "resolver.forward %s: %s", c->resolver_forward.v[i],
		     ub_strerror(err));
	    return -1;
	}
    /* Validation is not optional, whatever an unbound.conf says. */
    if (resolver_option(ub, "val-permissive-mode:", "no", why, whysz) < 0
	|| resolver_option(ub, "module-config:", "validator iterator", why, whysz) < 0)
	return -1;
    return 0;
}

/* resolver_new - set up libunbound */
struct resolver *resolver_new(struct event_base *base, const struct cfg *c,
			              int timeout_ms, int max_inflight, char *why,
			              size_t whysz)
{
    struct resolver *r;
    struct ub_ctx *ub;
    struct timeval sweep = {60, 0};
    int     err;

    if ((ub = ub_ctx_create()) == NULL) {
	snprintf(why, whysz, "cannot create a libunbound context");
	return NULL;
    }
    if (resolver_configure(ub, c, why, whysz) < 0) {
	ub_ctx_delete(ub);
	return NULL;
    }
    if ((err = ub_ctx_async(ub, 1)) != 0) {
	snprintf(why, whysz, "libunbound async mode: %s", ub_strerror(err));
	ub_ctx_delete(ub);
	return NULL;
    }
    r = xcalloc(1, sizeof(*r));
    r->base = base;
    r->ub = ub;
    r->timeout_ms = timeout_ms;
    r->max_inflight = max_inflight;
    r->first_max = max_inflight - max_inflight / 4;
    r->cache = strmap_new();
    r->pending = strmap_new();
    r->ub_event = event_new(base, ub_fd(ub), EV_READ | EV_PERSIST,
			    resolver_ub_readable, r);
    event_add(r->ub_event, NULL);
    r->sweep = event_new(base, -1, EV_PERSIST, resolver_sweep, r);
    event_add(r->sweep, &sweep);
    return r;
}

/* resolver_drop_query - strmap_filter callback: free a pending query */
static bool resolver_drop_query(const char *key, void *value, void *ctx)
{
    struct rquery *q = value;
    struct waiter *w, *next;

    (void) key;
    if (q->started && q->start_error == NULL)
	ub_cancel(q->r->ub, q->async_id);
    (void) ctx;
    if (q->timer)
	event_free(q->timer);
    for (w = q->waiters; w; w = next) {
	next = w->next;
	free(w);
    }
    free(q->key);
    free(q->name);
    free(q);
    return false;
}

/* resolver_drop_answer - strmap_filter callback: free a cache entry */
static bool resolver_drop_answer(const char *key, void *value, void *ctx)
{
    const char *name = ctx;
    const char *sp = strchr(key, ' ');
    size_t  klen, nlen;

    /* name itself and every name under it (_mta-sts.name, mx.name...) */
    if (name && sp) {
	klen = strlen(sp + 1);
	nlen = strlen(name);
	if (!(strcmp(sp + 1, name) == 0
	      || (klen > nlen && sp[1 + klen - nlen - 1] == '.'
		  && strcmp(sp + 1 + klen - nlen, name) == 0)))
	    return true;
    } else if (name) {
	return true;
    }
    answer_release(value);
    return false;
}

/* resolver_flush - forget answers */
void    resolver_flush(struct resolver *r, const char *name)
{
    r->gen++;				/* queries running now cache nothing */
    strmap_filter(r->cache, resolver_drop_answer, (void *) name);
}

/* resolver_free - tear down */
struct resolver *resolver_free(struct resolver *r)
{
    if (r == NULL)
	return NULL;
    strmap_filter(r->pending, resolver_drop_query, NULL);
    strmap_free(r->pending);
    resolver_flush(r, NULL);
    strmap_free(r->cache);
    event_free(r->ub_event);
    event_free(r->sweep);
    ub_ctx_delete(r->ub);
    free(r);
    return NULL;
}

/* resolver_stats - for status */
void    resolver_stats(const struct resolver *r, int *inflight, int *queued,
		               size_t *cached)
{
    *inflight = r->inflight;
    *queued = r->queue[RESOLVER_FIRST].n + r->queue[RESOLVER_KNOWN].n;
    *cached = strmap_count(r->cache);
}
