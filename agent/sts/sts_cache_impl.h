/*
 * sts_cache_impl - what sts_cache.c and sts_cache_copy.c share: the cache
 * handle. Private to those two files.
 */
#ifndef DESTCTL_STS_CACHE_IMPL_H
#define DESTCTL_STS_CACHE_IMPL_H

#include <stdbool.h>

#include <sqlite3.h>

struct sts_cache {
    sqlite3 *db;
    char   *path;			/* the cache file */
    sqlite3_stmt *put;
    sqlite3_stmt *get;
    sqlite3_stmt *set_error;
    sqlite3_stmt *del;
    sqlite3_stmt *all;
    bool    in_foreach;			/* fn must not call back into the cache */
    long    lost;			/* policies the state file knew of, gone */
    bool    keep_copy;			/* an unreadable copy that would not move */
};

/* sts_cache_copy_restore - at open: rows of the copy the file lacks come
 * back; policies known to have existed and found nowhere are "lost". */
extern void sts_cache_copy_restore(struct sts_cache *c);

#endif
