/*
 * sts - the MTA-STS outcome of a destination domain (RFC 8461), for decide().
 *
 * Per lookup: the TXT record _mta-sts.<domain> (resolver-cached by TTL, so a
 * domain without one costs a cached negative answer and nothing else); the
 * policy from memory (loaded from the durable cache at start) while it is
 * valid and its id matches the TXT id; else a fetch, whose result is
 * committed to the durable cache before anyone is answered from it; then,
 * for enforce and testing, the domain's MX RRset matched against the
 * policy's patterns.
 *
 * RFC 8461 section 5: a valid cached policy stays in force until it expires,
 * also while the TXT record is missing or a refetch fails; a changed id
 * triggers a refetch; mode none replaces a cached policy; policies are
 * refreshed before they expire (a timer), so a domain with an enforce policy
 * is never answered weaker because its policy host or DNS is down.
 */
#ifndef DESTCTL_STS_H
#define DESTCTL_STS_H

#include <stddef.h>

#include <event2/event.h>

#include "outcome.h"
#include "resolver.h"
#include "sts_cache.h"
#include "sts_fetch.h"

/* What decide() needs, plus text for logs. Strings owned by the result. */
struct sts_result {
    enum sts_state state;
    char    mx_match[1024];		/* ":"-separated matching MX names */
    bool    all_match;			/* every MX host matches the policy */
    bool    mx_secure;			/* the MX RRset validated */
    char    why[256];
    char    id[40];			/* the policy's id, "" when none */
};

struct sts;
struct sts_wait;

/* sts_cb - the outcome, borrowed for the call only. */
typedef void (*sts_cb)(void *ctx, const struct sts_result *res);

/*
 * sts_new - MTA-STS lookups through r and fetches through f, policies kept in
 * cache (may be NULL: memory only, logged). Loads every cached policy.
 */
extern struct sts *sts_new(struct event_base *base, struct resolver *r,
			           struct sts_fetcher *f, struct sts_cache *cache);

/* sts_free - cancel lookups (callbacks not called) and timers; NULL. The
 * fetcher and the resolver are freed by the caller, after this. */
extern struct sts *sts_free(struct sts *s);

/* sts_lookup - the outcome for domain; cb is called later from the loop.
 * The handle cancels the wait (the lookup goes on, and fills the cache). */
extern struct sts_wait *sts_lookup(struct sts *s, const char *domain, sts_cb cb,
				           void *ctx);

/* sts_cancel - stop waiting. */
extern void sts_cancel(struct sts_wait *w);

/* sts_forget - drop the in-memory knowledge of domain (control "flush");
 * the durable cache keeps its row and is read again on the next lookup. */
extern void sts_forget(struct sts *s, const char *domain);

/* MTA-STS for status: policies in force by mode, lookups running. */
struct sts_stats {
    size_t  enforce, testing, none;	/* valid policies by mode */
    size_t  running;
};

/* sts_stats - what is in force now. */
extern void sts_stats(struct sts *s, struct sts_stats *st);

/* sts_cache_state - the durable cache for status: "ok", "none",
 * "unwritable pending=N", "lost=N" (see sts_keep.h); into buf. */
extern const char *sts_cache_state(const struct sts *s, char *buf, size_t bufsz);

/* sts_cache_ack - acknowledge a lost cache (sts_cache_ack_loss); 0, or -1. */
extern int sts_cache_ack(struct sts *s, char *why, size_t whysz);

#endif
