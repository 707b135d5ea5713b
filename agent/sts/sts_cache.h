/*
 * sts_cache - the durable MTA-STS policy cache (SQLite, WAL, synchronous=FULL).
 *
 * MTA-STS is trust on first use: a policy forgotten on restart is a
 * downgrade. One row per domain; sts_cache_put() returns only after the row
 * is committed to disk, so a crash (kill -9 included) loses nothing that was
 * put. A missing file is created; a file SQLite cannot use (damaged, not a
 * database, wrong schema) is renamed aside, never deleted, with a critical
 * log line naming the new name and the enforce policies it may hold, and a
 * new cache is started: never a crash. Times are passed in by the caller
 * (an injectable clock for tests).
 *
 * A safety copy (<path>.copy, SQLite's online backup API, written by
 * sts_cache_backup()) and a state file (<path>.state, how many policies the
 * copy holds) keep a lost cache from becoming a downgrade: at open, rows the
 * copy has and the file lacks come back (the file deleted, truncated, moved
 * aside as damaged, or its -wal lost after a crash), with a critical line
 * naming how many; policies the state file counted and found nowhere are
 * lost, a critical line at every start until acknowledged.
 */
#ifndef DESTCTL_STS_CACHE_H
#define DESTCTL_STS_CACHE_H

#include <stddef.h>
#include <time.h>

struct sts_cache_entry {
    char   *domain;			/* A-label, lower case */
    char   *id;				/* the TXT id the policy was fetched for */
    char   *policy;			/* the policy body as fetched, NUL-terminated */
    time_t  fetched_at;			/* wall-clock seconds */
    time_t  expires_at;			/* fetched_at + max_age */
    char   *last_error;			/* the last failed refresh, or NULL */
};

struct sts_cache;

/* sts_cache_open - open or create path; NULL with why only when no cache can
 * be had at all (the directory is not writable, ...). */
extern struct sts_cache *sts_cache_open(const char *path, char *why, size_t whysz);

/* sts_cache_close - NULL-tolerant; returns NULL. */
extern struct sts_cache *sts_cache_close(struct sts_cache *c);

/* sts_cache_put - insert or replace e's row, committed before returning. 0, or
 * -1 with why (logged by the caller). */
extern int sts_cache_put(struct sts_cache *c, const struct sts_cache_entry *e,
			         char *why, size_t whysz);

/* sts_cache_set_error - record a failed refresh for domain (NULL clears);
 * 0 and nothing stored when domain has no row. */
extern int sts_cache_set_error(struct sts_cache *c, const char *domain,
			               const char *error, char *why, size_t whysz);

/* sts_cache_get - 1 and *e filled (release with sts_cache_entry_release), 0
 * when domain has no row, -1 with why. */
extern int sts_cache_get(struct sts_cache *c, const char *domain,
			         struct sts_cache_entry *e, char *why, size_t whysz);

/* sts_cache_delete - remove domain's row (mode none replaces a policy by none). */
extern int sts_cache_delete(struct sts_cache *c, const char *domain, char *why,
			            size_t whysz);

/* sts_cache_foreach - call fn for every row (the agent loads all at start);
 * e is borrowed for the call; fn must not call the cache (such calls fail).
 * Returns the rows seen, or -1 with why. */
extern long sts_cache_foreach(struct sts_cache *c,
			              void (*fn)(void *ctx, const struct sts_cache_entry *e),
			              void *ctx, char *why, size_t whysz);

/* sts_cache_backup - write the copy (atomically) and the state file. 0, or
 * -1 with why. Called after changes and on a schedule. */
extern int sts_cache_backup(struct sts_cache *c, char *why, size_t whysz);

/* sts_cache_count - the rows in the cache, or -1. */
extern long sts_cache_count(struct sts_cache *c);

/* sts_cache_lost - policies known to have existed and found nowhere at
 * open, not yet acknowledged (0: none). */
extern long sts_cache_lost(const struct sts_cache *c);

/* sts_cache_ack_loss - acknowledge a loss: the state file counts what the
 * cache holds now. 0, or -1 with why. */
extern int sts_cache_ack_loss(struct sts_cache *c, char *why, size_t whysz);

/* sts_cache_entry_release - free an entry's strings. */
extern void sts_cache_entry_release(struct sts_cache_entry *e);

#endif
