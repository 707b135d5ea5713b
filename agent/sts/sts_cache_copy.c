/*
 * sts_cache_copy - the durable cache's safety copy and its memory; see
 * sts_cache.h.
 *
 * Beside the cache file <path> live <path>.copy, a whole SQLite copy made
 * with SQLite's online backup API (into <path>.copy.tmp, then renamed: a
 * crash leaves the old copy or the new, never half of one), and
 * <path>.state, one line "policies=N lost=M": how many policies the cache
 * held at the last copy, and how many were lost and not acknowledged. At
 * open, rows the copy has and the file does not come back (the file was
 * deleted, truncated, moved aside as damaged, or lost its -wal after a
 * crash). Policies the state file knew of that neither holds are lost: said
 * at every start, and the state file keeps the count until an operator
 * acknowledges it (sts_cache_ack_loss). A copy that cannot be read is moved
 * aside, never overwritten by the next copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "log.h"
#include "sts_cache.h"
#include "sts_cache_impl.h"
#include "util.h"

#define COPY_SUFFIX	".copy"
#define STATE_SUFFIX	".state"
#define TMP_SUFFIX	".tmp"

/* sibling - "<path><suffix>", caller frees */
static char *sibling(const char *path, const char *suffix)
{
    size_t  n = strlen(path) + strlen(suffix) + 1;
    char   *s = xmalloc(n);

    snprintf(s, n, "%s%s", path, suffix);
    return s;
}

/* count_rows - rows in schema's policies table, or -1 */
static long count_rows(sqlite3 *db, const char *schema)
{
    char    sql[80];
    sqlite3_stmt *st;
    long    n = -1;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.policies", schema);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
	return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
	n = (long) sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* sts_cache_count - rows in the cache */
long    sts_cache_count(struct sts_cache *c)
{
    return count_rows(c->db, "main");
}

/* state_read - the policies the state file counts, and the lost ones */
static void state_read(const char *path, long *policies, long *lost)
{
    char   *file = sibling(path, STATE_SUFFIX);
    FILE   *fp = fopen(file, "r");

    *policies = *lost = 0;
    if (fp) {
	if (fscanf(fp, "policies=%ld lost=%ld", policies, lost) < 1 || *policies < 0)
	    *policies = 0;
	if (*lost < 0)
	    *lost = 0;
	fclose(fp);
    }
    free(file);
}

/* write_new - text into path via path.tmp, fsync, rename: all or nothing */
static int write_new(const char *path, const char *text, char *why, size_t whysz)
{
    char   *tmp = sibling(path, TMP_SUFFIX);
    size_t  len = strlen(text);
    int     fd, rc = -1;

    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0
	|| write(fd, text, len) != (ssize_t) len || fsync(fd) < 0) {
	snprintf(why, whysz, "%s: %s", tmp, strerror(errno));
    } else if (close(fd) < 0 || (fd = -1, rename(tmp, path) < 0)) {
	snprintf(why, whysz, "%s: %s", path, strerror(errno));
    } else {
	fd = -1;
	rc = 0;
    }
    if (fd >= 0)
	close(fd);
    if (rc < 0)
	unlink(tmp);
    free(tmp);
    return rc;
}

/* state_write - "policies=N" */
static int state_write(struct sts_cache *c, long n, char *why, size_t whysz)
{
    char   *file = sibling(c->path, STATE_SUFFIX);
    char    text[64];
    int     rc;

    snprintf(text, sizeof(text), "policies=%ld lost=%ld\n", n, c->lost);
    rc = write_new(file, text, why, whysz);
    free(file);
    return rc;
}

/* sts_cache_backup - the copy, then the state file */
int     sts_cache_backup(struct sts_cache *c, char *why, size_t whysz)
{
    char   *copy = sibling(c->path, COPY_SUFFIX);
    char   *tmp = sibling(copy, TMP_SUFFIX);
    sqlite3 *dst = NULL;

    if (c->keep_copy) {
	snprintf(why, whysz, "%s cannot be read nor moved aside: not replaced", copy);
	free(tmp);
	free(copy);
	return -1;
    }
    sqlite3_backup *b;
    long    n = sts_cache_count(c);
    int     fd, rc = -1;

    /* Created 0600 before SQLite opens it, as the cache file is. */
    (void) unlink(tmp);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
	snprintf(why, whysz, "%s: %s", tmp, strerror(errno));
	goto out;
    }
    close(fd);
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
	snprintf(why, whysz, "%s: %s", tmp, sqlite3_errmsg(dst));
	goto out;
    }
    if ((b = sqlite3_backup_init(dst, "main", c->db, "main")) == NULL) {
	snprintf(why, whysz, "%s: %s", tmp, sqlite3_errmsg(dst));
	goto out;
    }
    (void) sqlite3_backup_step(b, -1);
    if (sqlite3_backup_finish(b) != SQLITE_OK) {
	snprintf(why, whysz, "%s: %s", tmp, sqlite3_errmsg(dst));
	goto out;
    }
    if (sqlite3_close(dst) != SQLITE_OK) {
	snprintf(why, whysz, "%s: cannot close", tmp);
	dst = NULL;
	goto out;
    }
    dst = NULL;
    if (rename(tmp, copy) < 0) {
	snprintf(why, whysz, "%s: %s", copy, strerror(errno));
	goto out;
    }
    /* The count of a loss stays in the state file until acknowledged. */
    if (n >= 0 && state_write(c, n, why, whysz) < 0)
	goto out;
    msg_debug("MTA-STS policy cache copy written file=%s policies=%ld", copy, n);
    rc = 0;
  out:
    if (dst)
	sqlite3_close(dst);
    if (rc < 0)
	(void) unlink(tmp);
    free(tmp);
    free(copy);
    return rc;
}

/* copy_merge - rows of the copy the cache lacks; how many came back, or -1 */
static long copy_merge(struct sts_cache *c, const char *copy)
{
    sqlite3_stmt *st;
    long    n = -1;

    if (sqlite3_prepare_v2(c->db, "ATTACH DATABASE ?1 AS copy", -1, &st, NULL) != SQLITE_OK)
	return -1;
    sqlite3_bind_text(st, 1, copy, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
	sqlite3_finalize(st);
	return -1;
    }
    sqlite3_finalize(st);
    if (count_rows(c->db, "copy") >= 0
	&& sqlite3_exec(c->db, "INSERT OR IGNORE INTO main.policies SELECT domain, id, "
			"policy, fetched_at, expires_at, last_error FROM copy.policies",
			NULL, NULL, NULL) == SQLITE_OK)
	n = sqlite3_changes(c->db);
    (void) sqlite3_exec(c->db, "DETACH DATABASE copy", NULL, NULL, NULL);
    return n;
}

/* copy_aside - an unreadable copy: kept, renamed, never overwritten */
static void copy_aside(struct sts_cache *c, const char *copy)
{
    char    stamp[32], *aside;
    time_t  t = time(NULL);
    struct tm tm;
    size_t  n;

    strftime(stamp, sizeof(stamp), ".unreadable-%Y%m%dT%H%M%S", gmtime_r(&t, &tm));
    n = strlen(copy) + strlen(stamp) + 1;
    aside = xmalloc(n);
    snprintf(aside, n, "%s%s", copy, stamp);
    if (rename(copy, aside) < 0)
	msg_crit("MTA-STS policy cache copy cannot be read nor moved aside; no new "
		 "copy replaces it copy=%s error=%s rename=%s", copy,
		 sqlite3_errmsg(c->db), strerror(errno));
    else
	msg_crit("MTA-STS policy cache copy cannot be read: moved aside, nothing "
		 "restored from it copy=%s moved_to=%s error=%s", copy, aside,
		 sqlite3_errmsg(c->db));
    c->keep_copy = access(copy, F_OK) == 0;
    free(aside);
}

/* sts_cache_copy_restore - at open: restore from the copy, note a loss */
void    sts_cache_copy_restore(struct sts_cache *c)
{
    char   *copy = sibling(c->path, COPY_SUFFIX);
    long    known, lost, back = 0, now;

    state_read(c->path, &known, &lost);
    if (access(copy, F_OK) == 0 && (back = copy_merge(c, copy)) < 0) {
	copy_aside(c, copy);
	back = 0;
    }
    if (back > 0)
	msg_crit("MTA-STS policy cache restored from its copy: %ld policies came back "
		 "(the cache file was missing, empty, damaged, or lost its last writes) "
		 "file=%s copy=%s", back, c->path, copy);
    now = sts_cache_count(c);
    /* The state counts the policies held since the last loss was noted:
     * what is missing now is lost on top of what was lost before. */
    c->lost = lost + (now >= 0 && known > now ? known - now : 0);
    if (c->lost > 0)
	msg_crit("MTA-STS policy cache lost policies: %ld of those it held are in "
		 "neither the cache (%ld policies now) nor its copy; their domains get "
		 "the profile's TLS level until their policies are fetched again "
		 "(acknowledge with destctl ack-cache) file=%s", c->lost, now, c->path);
    free(copy);
}

/* sts_cache_lost - policies lost and not acknowledged */
long    sts_cache_lost(const struct sts_cache *c)
{
    return c->lost;
}

/* sts_cache_ack_loss - the operator knows: the state file counts what is */
int     sts_cache_ack_loss(struct sts_cache *c, char *why, size_t whysz)
{
    long    n = sts_cache_count(c), lost = c->lost;

    c->lost = 0;
    if (state_write(c, n < 0 ? 0 : n, why, whysz) < 0) {
	c->lost = lost;
	return -1;
    }
    if (lost)
	msg_info("MTA-STS policy cache loss acknowledged lost=%ld file=%s", lost, c->path);
    return 0;
}
