/*
 * sts_keep - writing MTA-STS policies durably, whatever the disk does: the
 * write-through to the SQLite cache (sts_cache.h), its safety copy after
 * changes and on a schedule, and the writes that failed.
 *
 * A write that fails (disk full, read-only file system) keeps the policy in
 * memory, as a pending write retried every STS_KEEP_RETRY seconds; the
 * first failure is a critical line, and so is nothing else until the cache
 * is writable again (an info line with how many were saved then). The copy
 * is written STS_KEEP_COPY_DELAY seconds after a change (changes in between
 * share it), every STS_KEEP_COPY_EVERY seconds, and at a clean stop.
 */
#ifndef DESTCTL_STS_KEEP_H
#define DESTCTL_STS_KEEP_H

#include <stddef.h>

#include <event2/event.h>

#include "sts_cache.h"

#define STS_KEEP_RETRY		30	/* seconds between attempts to write again */
#define STS_KEEP_COPY_DELAY	2	/* seconds from a change to the copy */
#define STS_KEEP_COPY_EVERY	3600	/* seconds between copies anyway */

struct sts_keep;

/* sts_keep_new - writes to cache (may be NULL: nothing is kept) from base's
 * loop. Schedules a first copy. */
extern struct sts_keep *sts_keep_new(struct event_base *base, struct sts_cache *cache);

/* sts_keep_free - a last copy if anything changed since; NULL. The cache
 * is the caller's to close afterwards. */
extern struct sts_keep *sts_keep_free(struct sts_keep *k);

/* sts_keep_put - store e (copied); 0 when committed, -1 when kept pending. */
extern int sts_keep_put(struct sts_keep *k, const struct sts_cache_entry *e);

/* sts_keep_delete - remove domain's row; 0, or -1 when kept pending. */
extern int sts_keep_delete(struct sts_keep *k, const char *domain);

/* sts_keep_pending - domain's write not committed yet (a policy, or a
 * delete when its policy is NULL), or NULL; borrowed until the next call. */
extern const struct sts_cache_entry *sts_keep_pending(const struct sts_keep *k,
						           const char *domain);

/* sts_keep_state - for status: "ok", "unwritable pending=N", "lost=N"
 * (space-separated when both); into buf. */
extern const char *sts_keep_state(const struct sts_keep *k, char *buf, size_t bufsz);

/* sts_keep_ack - acknowledge a lost cache; 0, or -1 with why. */
extern int sts_keep_ack(struct sts_keep *k, char *why, size_t whysz);

#endif
