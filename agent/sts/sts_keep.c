/*
 * sts_keep - durable MTA-STS policy writes; see sts_keep.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strmap.h"
#include "sts_keep.h"
#include "util.h"

struct sts_keep {
    struct sts_cache *cache;		/* borrowed */
    struct strmap *pending;		/* domain -> struct sts_cache_entry
					 * (policy NULL: a delete) */
    bool    unwritable;			/* logged once per state change */
    bool    changed;			/* since the last copy */
    bool    copy_failing;		/* said once until a copy works again */
    struct event *copy;			/* the copy after a change */
    struct event *every;		/* the copy anyway */
    struct event *retry;		/* pending writes */
};

/* entry_copy - a deep copy, caller frees with entry_free */
static struct sts_cache_entry *entry_copy(const struct sts_cache_entry *e)
{
    struct sts_cache_entry *c = xcalloc(1, sizeof(*c));

    c->domain = xstrdup(e->domain);
    c->id = e->id ? xstrdup(e->id) : NULL;
    c->policy = e->policy ? xstrdup(e->policy) : NULL;
    c->fetched_at = e->fetched_at;
    c->expires_at = e->expires_at;
    c->last_error = e->last_error ? xstrdup(e->last_error) : NULL;
    return c;
}

/* entry_free - NULL-tolerant */
static void entry_free(struct sts_cache_entry *e)
{
    if (e) {
	sts_cache_entry_release(e);
	free(e);
    }
}

/* keep_changed - a write went through: a copy soon */
static void keep_changed(struct sts_keep *k)
{
    struct timeval tv = {STS_KEEP_COPY_DELAY, 0};

    k->changed = true;
    if (!evtimer_pending(k->copy, NULL))
	evtimer_add(k->copy, &tv);
}

/* keep_copy_now - write the copy if anything changed */
static void keep_copy_now(struct sts_keep *k)
{
    char    why[512];

    if (!k->changed)
	return;
    if (sts_cache_backup(k->cache, why, sizeof(why)) < 0) {
	if (!k->copy_failing)
	    msg_warn("MTA-STS policy cache copy not written: %s; tried again after "
		     "each change and hourly", why);
	k->copy_failing = true;
	return;				/* changed stays set */
    }
    if (k->copy_failing)
	msg_info("MTA-STS policy cache copy written again");
    k->copy_failing = false;
    k->changed = false;
}

/* keep_write - one write: 0 done, -1 failed (why) */
static int keep_write(struct sts_keep *k, const struct sts_cache_entry *e, char *why,
		              size_t whysz)
{
    return e->policy ? sts_cache_put(k->cache, e, why, whysz)
	: sts_cache_delete(k->cache, e->domain, why, whysz);
}

/* keep_fail - a write failed: keep it pending, say so once, retry */
static void keep_fail(struct sts_keep *k, const struct sts_cache_entry *e, const char *why)
{
    struct timeval tv = {STS_KEEP_RETRY, 0};

    entry_free(strmap_put(k->pending, e->domain, entry_copy(e)));
    if (!k->unwritable)
	msg_crit("MTA-STS policy cache cannot be written: policies are kept in "
		 "memory, written again every %d s, and forgotten by a restart before "
		 "then domain=%s error=%s", STS_KEEP_RETRY, e->domain, why);
    k->unwritable = true;
    if (!evtimer_pending(k->retry, NULL))
	evtimer_add(k->retry, &tv);
}

/* keep_retry_one - strmap_filter callback: write one pending entry */
static bool keep_retry_one(const char *domain, void *value, void *ctx)
{
    struct sts_keep *k = ctx;
    char    why[512];

    (void) domain;
    if (keep_write(k, value, why, sizeof(why)) < 0)
	return true;			/* still pending */
    entry_free(value);
    return false;
}

/* keep_event - the copy, the hourly copy, the retry */
static void keep_event(evutil_socket_t fd, short what, void *arg)
{
    struct sts_keep *k = arg;
    size_t  before = strmap_count(k->pending);
    struct timeval tv = {STS_KEEP_RETRY, 0};

    (void) fd;
    (void) what;
    if (before > 0) {
	strmap_filter(k->pending, keep_retry_one, k);
	if (strmap_count(k->pending) < before)
	    k->changed = true;
	if (strmap_count(k->pending) == 0) {
	    msg_info("MTA-STS policy cache writable again saved=%zu", before);
	    k->unwritable = false;
	} else if (!evtimer_pending(k->retry, NULL)) {
	    evtimer_add(k->retry, &tv);
	}
    }
    keep_copy_now(k);
}

/* sts_keep_new - timers on base */
struct sts_keep *sts_keep_new(struct event_base *base, struct sts_cache *cache)
{
    struct sts_keep *k = xcalloc(1, sizeof(*k));
    struct timeval every = {STS_KEEP_COPY_EVERY, 0};

    k->cache = cache;
    k->pending = strmap_new();
    k->copy = evtimer_new(base, keep_event, k);
    k->retry = evtimer_new(base, keep_event, k);
    k->every = event_new(base, -1, EV_PERSIST, keep_event, k);
    if (cache) {
	event_add(k->every, &every);
	keep_changed(k);		/* a first copy of what was loaded */
    }
    return k;
}

/* keep_drop - strmap_filter callback */
static bool keep_drop(const char *key, void *value, void *ctx)
{
    (void) key;
    (void) ctx;
    entry_free(value);
    return false;
}

/* sts_keep_free - last copy, then free */
struct sts_keep *sts_keep_free(struct sts_keep *k)
{
    if (k == NULL)
	return NULL;
    if (k->cache)
	keep_event(-1, 0, k);		/* pending writes, then the copy */
    if (strmap_count(k->pending) > 0)
	msg_crit("MTA-STS policy cache still not writable at stop: %zu policies "
		 "kept in memory only are forgotten", strmap_count(k->pending));
    strmap_filter(k->pending, keep_drop, NULL);
    strmap_free(k->pending);
    event_free(k->copy);
    event_free(k->retry);
    event_free(k->every);
    free(k);
    return NULL;
}

/* keep_store - write through, or keep pending */
static int keep_store(struct sts_keep *k, const struct sts_cache_entry *e)
{
    char    why[512];

    if (k->cache == NULL)
	return -1;
    /* An older pending write for the domain is replaced by this one. */
    entry_free(strmap_del(k->pending, e->domain));
    if (keep_write(k, e, why, sizeof(why)) < 0) {
	keep_fail(k, e, why);
	return -1;
    }
    keep_changed(k);
    return 0;
}

/* sts_keep_put - store a policy */
int     sts_keep_put(struct sts_keep *k, const struct sts_cache_entry *e)
{
    return keep_store(k, e);
}

/* sts_keep_delete - remove a policy */
int     sts_keep_delete(struct sts_keep *k, const char *domain)
{
    struct sts_cache_entry e = {.domain = (char *) domain};

    return keep_store(k, &e);
}

/* sts_keep_pending - a write not committed yet */
const struct sts_cache_entry *sts_keep_pending(const struct sts_keep *k, const char *domain)
{
    return strmap_get(k->pending, domain);
}

/* sts_keep_state - for status */
const char *sts_keep_state(const struct sts_keep *k, char *buf, size_t bufsz)
{
    long    lost = k->cache ? sts_cache_lost(k->cache) : 0;
    size_t  n = strmap_count(k->pending);

    if (k->cache == NULL)
	snprintf(buf, bufsz, "none");
    else if (n && lost)
	snprintf(buf, bufsz, "unwritable pending=%zu lost=%ld", n, lost);
    else if (n)
	snprintf(buf, bufsz, "unwritable pending=%zu", n);
    else if (lost)
	snprintf(buf, bufsz, "lost=%ld", lost);
    else
	snprintf(buf, bufsz, "ok");
    return buf;
}

/* sts_keep_ack - acknowledge a loss */
int     sts_keep_ack(struct sts_keep *k, char *why, size_t whysz)
{
    if (k->cache == NULL) {
	snprintf(why, whysz, "no MTA-STS policy cache");
	return -1;
    }
    return sts_cache_ack_loss(k->cache, why, whysz);
}
