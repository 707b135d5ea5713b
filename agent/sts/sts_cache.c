/*
 * sts_cache - the durable MTA-STS policy cache; see sts_cache.h.
 *
 * One SQLite file, journal_mode=WAL, synchronous=FULL: in WAL mode a commit
 * appends to the -wal file and fsyncs it before sqlite3_step() returns, so
 * each put (its own autocommit transaction) is on disk when it returns.
 * Schema version 1 (PRAGMA user_version) is exactly one table, STS_CACHE_SQL.
 *
 * Opening checks the file (PRAGMA quick_check, the schema). A file that is
 * not a database, is corrupt or has another schema is unusable: the domains
 * with an enforce policy that can still be read are noted, the file (with
 * its -wal and -shm) is renamed to <path>.damaged-<YYYYmmddTHHMMSS> (UTC;
 * "-N" added when that name is taken), never deleted, a critical line is
 * logged and a new cache is created. Any other failure (the directory or file
 * is not writable, the file is locked, I/O errors) leaves the file alone and
 * sts_cache_open() returns NULL with why: moving a good cache aside for an
 * operator's mistake would forget its policies.
 *
 * A new file is created mode 0600 (less the umask) before SQLite opens it;
 * SQLite gives the -wal and -shm files the mode of the database.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "log.h"
#include "sts_cache.h"
#include "sts_cache_impl.h"
#include "util.h"

#define STS_CACHE_VERSION	1
#define STS_CACHE_BUSY_MS	2000	/* wait for another process's lock */
#define STS_CACHE_LIST_MAX	20	/* enforce domains named in the log */
#define STS_CACHE_LIST_BYTES	1200	/* and at most this much text */
#define STS_CACHE_ASIDE_MAX	100	/* "-N" suffixes tried */

/* The exact text SQLite keeps in sqlite_master for schema version 1. */
#define STS_CACHE_SQL \
    "CREATE TABLE policies(domain TEXT PRIMARY KEY, id TEXT NOT NULL," \
    " policy TEXT NOT NULL, fetched_at INTEGER NOT NULL," \
    " expires_at INTEGER NOT NULL, last_error TEXT)"

/* How an attempt to open the file ended. */
enum sts_cache_try {
    STS_CACHE_OK,			/* usable */
    STS_CACHE_UNUSABLE,			/* damaged, not a database, wrong schema */
    STS_CACHE_FAILED,			/* cannot be used now; leave it alone */
};

/* What could be read from an unusable file before it was moved aside. */
struct sts_cache_salvage {
    struct buf *list;			/* enforce domains, ", "-separated */
    long    listed;
    long    more;			/* enforce domains found but not listed */
};

/* cache_fail - set why from the connection's last error; returns -1 */
static int cache_fail(sqlite3 *db, const char *what, char *why, size_t whysz)
{
    snprintf(why, whysz, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
    return -1;
}

/* rc_damaged - the error says the file itself is unusable */
static bool rc_damaged(int rc)
{
    return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

/* db_close - finalize what is left and close; tolerates NULL */
static void db_close(sqlite3 *db, bool keep_wal)
{
    sqlite3_stmt *st;

    if (db == NULL)
	return;
    /* A damaged file stays as it is: no checkpoint into it, its -wal kept. */
    if (keep_wal)
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *) 0);
    while ((st = sqlite3_next_stmt(db, NULL)) != NULL)
	sqlite3_finalize(st);
    sqlite3_close(db);
}

/* policy_is_enforce - the policy text has a "mode: enforce" line */
static bool policy_is_enforce(const char *text)
{
    const char *p = text;
    const char *v;
    const char *end;

    while (p && *p) {
	end = strchr(p, '\n');
	if (end == NULL)
	    end = p + strlen(p);
	if (strncmp(p, "mode", 4) == 0) {
	    for (v = p + 4; v < end && (*v == ' ' || *v == '\t'); v++)
		 /* void */ ;
	    if (v < end && *v == ':') {
		for (v++; v < end && (*v == ' ' || *v == '\t'); v++)
		     /* void */ ;
		if (end - v >= 7 && strncmp(v, "enforce", 7) == 0) {
		    for (v += 7; v < end && (*v == ' ' || *v == '\t' || *v == '\r'); v++)
			 /* void */ ;
		    if (v == end)
			return true;
		}
	    }
	}
	p = *end ? end + 1 : end;
    }
    return false;
}

/* cache_salvage - best effort: note the enforce domains still readable */
static void cache_salvage(sqlite3 *db, struct sts_cache_salvage *s)
{
    sqlite3_stmt *st = NULL;
    const char *domain;
    const char *policy;
    char    clean[256];

    if (sqlite3_prepare_v2(db, "SELECT domain, policy FROM policies", -1, &st,
			   NULL) != SQLITE_OK)
	goto out;
    while (sqlite3_step(st) == SQLITE_ROW) {
	domain = (const char *) sqlite3_column_text(st, 0);
	policy = (const char *) sqlite3_column_text(st, 1);
	if (domain == NULL || policy == NULL || !policy_is_enforce(policy))
	    continue;
	if (s->listed >= STS_CACHE_LIST_MAX) {
	    s->more++;
	    continue;
	}
	log_sanitize(clean, sizeof(clean), domain, strlen(domain));
	if (s->list->len + strlen(clean) + 1 > STS_CACHE_LIST_BYTES) {
	    s->more++;
	    continue;
	}
	buf_printf(s->list, "%s%s", s->listed ? "," : "", clean);
	s->listed++;
    }
out:
    sqlite3_finalize(st);
}

/* pragma_text - run a one-row PRAGMA; its first column into out */
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t outsz)
{
    sqlite3_stmt *st = NULL;
    const char *text;
    int     rc;

    out[0] = '\0';
    if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
	goto out;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
	text = (const char *) sqlite3_column_text(st, 0);
	log_sanitize(out, outsz, text ? text : "", text ? strlen(text) : 0);
	rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
	rc = SQLITE_OK;
    }
out:
    sqlite3_finalize(st);
    return rc;
}

/* cache_quick_check - "ok", or the first problem quick_check reports */
static int cache_quick_check(sqlite3 *db, char *out, size_t outsz)
{
    sqlite3_stmt *st = NULL;
    const char *text;
    const char *end;
    int     rc;

    snprintf(out, outsz, "no result");
    if ((rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL)) != SQLITE_OK)
	goto out;
    if ((rc = sqlite3_step(st)) != SQLITE_ROW)
	goto out;
    rc = SQLITE_OK;
    if ((text = (const char *) sqlite3_column_text(st, 0)) == NULL)
	goto out;
    /* "*** in database main ***\nPage 38: ...\nPage 37: ..." */
    if (strncmp(text, "***", 3) == 0 && (end = strchr(text, '\n')) != NULL)
	text = end + 1;
    end = strchr(text, '\n');
    log_sanitize(out, outsz, text, end ? (size_t) (end - text) : strlen(text));
out:
    sqlite3_finalize(st);
    return rc;
}

/* cache_create - a new schema in an empty database */
static int cache_create(sqlite3 *db)
{
    int     rc;

    rc = sqlite3_exec(db, "BEGIN IMMEDIATE; " STS_CACHE_SQL "; "
		      "PRAGMA user_version = 1; COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* cache_schema - check the schema, creating it in an empty file */
static enum sts_cache_try cache_schema(sqlite3 *db, bool *created, char *why,
				               size_t whysz)
{
    char    version[64];
    char    tables[64];
    char    sql[512];
    int     rc;

    if ((rc = pragma_text(db, "PRAGMA user_version", version, sizeof(version))) != SQLITE_OK
	|| (rc = pragma_text(db, "SELECT count(*) FROM sqlite_master",
			     tables, sizeof(tables))) != SQLITE_OK)
	goto fail;
    if (strcmp(version, "0") == 0 && strcmp(tables, "0") == 0) {
	if ((rc = cache_create(db)) != SQLITE_OK)
	    goto fail;
	*created = true;
	return STS_CACHE_OK;
    }
    if (strcmp(version, "1") != 0) {
	snprintf(why, whysz, "schema version %s is not %d", version, STS_CACHE_VERSION);
	return STS_CACHE_UNUSABLE;
    }
    if ((rc = pragma_text(db, "SELECT sql FROM sqlite_master WHERE type = 'table'"
			  " AND name = 'policies'", sql, sizeof(sql))) != SQLITE_OK)
	goto fail;
    if (strcmp(sql, STS_CACHE_SQL) != 0) {
	snprintf(why, whysz, "the policies table is not that of schema version 1");
	return STS_CACHE_UNUSABLE;
    }
    return STS_CACHE_OK;

fail:
    cache_fail(db, "cannot read the schema", why, whysz);
    return rc_damaged(rc) ? STS_CACHE_UNUSABLE : STS_CACHE_FAILED;
}

/* cache_check - integrity, schema, then WAL and synchronous=FULL */
static enum sts_cache_try cache_check(sqlite3 *db, bool *created, char *why,
				              size_t whysz)
{
    enum sts_cache_try res;
    char    text[256];
    int     rc;

    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, STS_CACHE_BUSY_MS);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *) 0);
    /* Damaged files must not make SQLite read out of bounds. */
    if ((rc = sqlite3_exec(db, "PRAGMA cell_size_check = ON", NULL, NULL, NULL)) != SQLITE_OK)
	goto fail;
    if ((rc = cache_quick_check(db, text, sizeof(text))) != SQLITE_OK)
	goto fail;
    if (strcmp(text, "ok") != 0) {
	snprintf(why, whysz, "integrity check failed: %s", text);
	return STS_CACHE_UNUSABLE;
    }
    if ((res = cache_schema(db, created, why, whysz)) != STS_CACHE_OK)
	return res;
    if ((rc = pragma_text(db, "PRAGMA journal_mode = WAL", text, sizeof(text))) != SQLITE_OK)
	goto fail;
    if (strcmp(text, "wal") != 0) {
	snprintf(why, whysz, "cannot use WAL mode: journal_mode is %s", text);
	return STS_CACHE_FAILED;
    }
    if ((rc = sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL)) != SQLITE_OK)
	goto fail;
    return STS_CACHE_OK;

fail:
    cache_fail(db, "cannot use the database", why, whysz);
    return rc_damaged(rc) ? STS_CACHE_UNUSABLE : STS_CACHE_FAILED;
}

/* cache_prepare - the statements kept on the handle */
static int cache_prepare(struct sts_cache *c, char *why, size_t whysz)
{
    static const struct {
	size_t  offset;
	const char *sql;
    } stmts[] = {
	{offsetof(struct sts_cache, put),
	    "INSERT OR REPLACE INTO policies(domain, id, policy, fetched_at,"
	    " expires_at, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
	{offsetof(struct sts_cache, get),
	    "SELECT domain, id, policy, fetched_at, expires_at, last_error"
	    " FROM policies WHERE domain = ?1"},
	{offsetof(struct sts_cache, set_error),
	    "UPDATE policies SET last_error = ?2 WHERE domain = ?1"},
	{offsetof(struct sts_cache, del),
	    "DELETE FROM policies WHERE domain = ?1"},
	{offsetof(struct sts_cache, all),
	    "SELECT domain, id, policy, fetched_at, expires_at, last_error"
	    " FROM policies ORDER BY domain"},
    };

    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
	sqlite3_stmt **sp = (sqlite3_stmt **) ((char *) c + stmts[i].offset);

	if (sqlite3_prepare_v3(c->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
			       sp, NULL) != SQLITE_OK)
	    return cache_fail(c->db, "cannot prepare a statement", why, whysz);
    }
    return 0;
}

/* cache_dir_ok - the file's directory exists and we may write in it */
static int cache_dir_ok(const char *path, char *why, size_t whysz)
{
    const char *slash = strrchr(path, '/');
    char   *dir;
    int     ret = 0;

    dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/")
	: xstrndup(path, (size_t) (slash - path));
    if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0) {
	snprintf(why, whysz, "cannot create files in directory %s: %s", dir,
		 strerror(errno));
	ret = -1;
    }
    free(dir);
    return ret;
}

/* cache_try - open path and check it; *dbp set when OK or UNUSABLE */
static enum sts_cache_try cache_try(const char *path, sqlite3 **dbp, bool *created,
				            char *why, size_t whysz)
{
    enum sts_cache_try res;
    sqlite3 *db = NULL;
    int     fd;

    *dbp = NULL;
    /* Create a missing file ourselves, to give it mode 0600. */
    if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0) {
	close(fd);
    } else if (errno != EEXIST) {
	snprintf(why, whysz, "cannot create %s: %s", path, strerror(errno));
	return STS_CACHE_FAILED;
    }
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
	cache_fail(db, "cannot open the database", why, whysz);
	db_close(db, true);
	return STS_CACHE_FAILED;
    }
    if ((res = cache_check(db, created, why, whysz)) == STS_CACHE_FAILED) {
	db_close(db, true);
	return res;
    }
    *dbp = db;
    return res;
}

/* cache_move_one - rename from to to, never replacing an existing file */
static int cache_move_one(const char *from, const char *to)
{
    struct stat st;

    if (lstat(to, &st) == 0) {
	errno = EEXIST;
	return -1;
    }
    return rename(from, to);
}

/* cache_move_aside - rename path (and its -wal, -shm) to a new damaged name */
static char *cache_move_aside(const char *path, char *why, size_t whysz)
{
    struct buf *aside = buf_alloc(strlen(path) + 40, strlen(path) + 80);
    struct buf *from = buf_alloc(strlen(path) + 8, strlen(path) + 8);
    struct buf *to = buf_alloc(strlen(path) + 48, strlen(path) + 88);
    static const char *const sidecars[] = {"-wal", "-shm"};
    char    stamp[32];
    struct tm tm;
    time_t  now = time(NULL);
    char   *result = NULL;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    for (int n = 0; n < STS_CACHE_ASIDE_MAX; n++) {
	buf_reset(aside);
	buf_printf(aside, n ? "%s.damaged-%s-%d" : "%s.damaged-%s", path, stamp, n);
	if (buf_overflow(aside))
	    break;
	if (cache_move_one(path, aside->data) == 0) {
	    result = xstrdup(aside->data);
	    break;
	}
	if (errno != EEXIST) {
	    snprintf(why, whysz, "cannot rename %s to %s: %s", path, aside->data,
		     strerror(errno));
	    goto out;
	}
    }
    if (result == NULL) {
	snprintf(why, whysz, "cannot rename %s: no free name %s.damaged-%s-N",
		 path, path, stamp);
	goto out;
    }
    for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
	buf_reset(from);
	buf_reset(to);
	buf_printf(from, "%s%s", path, sidecars[i]);
	buf_printf(to, "%s%s", result, sidecars[i]);
	/* A -wal left behind would be read into the new cache: give up. */
	if (cache_move_one(from->data, to->data) < 0 && errno != ENOENT) {
	    snprintf(why, whysz, "%s moved to %s, but cannot rename %s to %s: %s",
		     path, result, from->data, to->data, strerror(errno));
	    free(result);
	    result = NULL;
	    goto out;
	}
    }
out:
    buf_free(aside);
    buf_free(from);
    buf_free(to);
    return result;
}

/* cache_replace - note what the unusable file held, move it aside, log */
static int cache_replace(const char *path, sqlite3 *db, const char *reason,
			         char *why, size_t whysz)
{
    struct sts_cache_salvage s = {buf_alloc(256, STS_CACHE_LIST_BYTES), 0, 0};
    char    more[64] = "";
    char   *aside;
    int     ret = -1;

    cache_salvage(db, &s);
    db_close(db, true);
    if ((aside = cache_move_aside(path, why, whysz)) == NULL) {
	msg_crit("MTA-STS policy cache is unusable and cannot be moved aside;"
		 " no cache can be opened file=%s reason=%s error=%s",
		 path, reason, why);
	goto out;
    }
    if (s.more)
	snprintf(more, sizeof(more), " (and %ld more)", s.more);
    if (s.listed == 0)
	msg_crit("MTA-STS policy cache is unusable: moved aside and a new one"
		 " started; every enforce policy it held may be forgotten; their"
		 " domains get the profile's TLS level until their policies are"
		 " fetched again file=%s moved_to=%s reason=%s",
		 path, aside, reason);
    else
	msg_crit("MTA-STS policy cache is unusable: moved aside and a new one"
		 " started; the enforce policies of these domains, and of any"
		 " that could not be read, may be forgotten; their domains get"
		 " the profile's TLS level until their policies are fetched"
		 " again file=%s moved_to=%s reason=%s domains=%s%s",
		 path, aside, reason, s.list->data, more);
    free(aside);
    ret = 0;
out:
    buf_free(s.list);
    return ret;
}

/* sts_cache_open - open or create path, replacing an unusable file */
struct sts_cache *sts_cache_open(const char *path, char *why, size_t whysz)
{
    struct sts_cache *c = NULL;
    enum sts_cache_try res;
    sqlite3 *db = NULL;
    bool    created = false;
    bool    replaced = false;
    char    reason[512];

    if (path == NULL || *path == '\0') {
	snprintf(why, whysz, "no cache file name");
	return NULL;
    }
    if (cache_dir_ok(path, why, whysz) < 0)
	return NULL;
    res = cache_try(path, &db, &created, reason, sizeof(reason));
    if (res == STS_CACHE_UNUSABLE) {
	if (cache_replace(path, db, reason, why, whysz) < 0)
	    return NULL;
	replaced = true;			/* the critical line said it all */
	res = cache_try(path, &db, &created, reason, sizeof(reason));
	if (res == STS_CACHE_UNUSABLE) {
	    db_close(db, true);
	    db = NULL;
	    res = STS_CACHE_FAILED;
	}
    }
    if (res != STS_CACHE_OK) {
	snprintf(why, whysz, "%s: %s", path, reason);
	if (replaced)
	    msg_crit("MTA-STS policy cache: no new one can be started after"
		     " the unusable one was moved aside file=%s error=%s", path, reason);
	return NULL;
    }
    c = xcalloc(1, sizeof(*c));
    c->db = db;
    c->path = xstrdup(path);
    if (cache_prepare(c, why, whysz) < 0)
	return sts_cache_close(c);
    if (created && !replaced)
	msg_info("MTA-STS policy cache created file=%s", path);
    sts_cache_copy_restore(c);		/* what the copy has and the file lost */
    return c;
}

/* sts_cache_close - finalize the statements, close the database */
struct sts_cache *sts_cache_close(struct sts_cache *c)
{
    if (c == NULL)
	return NULL;
    sqlite3_finalize(c->put);
    sqlite3_finalize(c->get);
    sqlite3_finalize(c->set_error);
    sqlite3_finalize(c->del);
    sqlite3_finalize(c->all);
    db_close(c->db, false);
    free(c->path);
    free(c);
    return NULL;
}

/* cache_usable - refuse a call from inside sts_cache_foreach's fn */
static int cache_usable(struct sts_cache *c, char *why, size_t whysz)
{
    if (c->in_foreach) {
	snprintf(why, whysz, "MTA-STS policy cache used from inside its foreach");
	return -1;
    }
    return 0;
}

/* cache_write - step a bound write statement to its commit */
static int cache_write(struct sts_cache *c, sqlite3_stmt *st, const char *what,
		               char *why, size_t whysz)
{
    int     ret = 0;

    if (sqlite3_step(st) != SQLITE_DONE)
	ret = cache_fail(c->db, what, why, whysz);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

/* sts_cache_put - insert or replace a row, committed on return */
int     sts_cache_put(struct sts_cache *c, const struct sts_cache_entry *e,
		              char *why, size_t whysz)
{
    sqlite3_stmt *st = c->put;

    if (cache_usable(c, why, whysz) < 0)
	return -1;
    if (e->domain == NULL || e->id == NULL || e->policy == NULL) {
	snprintf(why, whysz, "MTA-STS cache entry without %s",
		 e->domain == NULL ? "domain" : e->id == NULL ? "id" : "policy");
	return -1;
    }
    if (sqlite3_bind_text(st, 1, e->domain, -1, SQLITE_STATIC) != SQLITE_OK
	|| sqlite3_bind_text(st, 2, e->id, -1, SQLITE_STATIC) != SQLITE_OK
	|| sqlite3_bind_text(st, 3, e->policy, -1, SQLITE_STATIC) != SQLITE_OK
	|| sqlite3_bind_int64(st, 4, (sqlite3_int64) e->fetched_at) != SQLITE_OK
	|| sqlite3_bind_int64(st, 5, (sqlite3_int64) e->expires_at) != SQLITE_OK
	|| (e->last_error ? sqlite3_bind_text(st, 6, e->last_error, -1, SQLITE_STATIC)
	    : sqlite3_bind_null(st, 6)) != SQLITE_OK) {
	cache_fail(c->db, "cannot store a policy", why, whysz);
	sqlite3_clear_bindings(st);
	return -1;
    }
    return cache_write(c, st, "cannot store a policy", why, whysz);
}

/* sts_cache_set_error - record or clear last_error; no row: nothing to do */
int     sts_cache_set_error(struct sts_cache *c, const char *domain,
			            const char *error, char *why, size_t whysz)
{
    sqlite3_stmt *st = c->set_error;

    if (cache_usable(c, why, whysz) < 0)
	return -1;
    if (domain == NULL) {
	snprintf(why, whysz, "no domain");
	return -1;
    }
    if (sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC) != SQLITE_OK
	|| (error ? sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC)
	    : sqlite3_bind_null(st, 2)) != SQLITE_OK) {
	cache_fail(c->db, "cannot store an error", why, whysz);
	sqlite3_clear_bindings(st);
	return -1;
    }
    return cache_write(c, st, "cannot store an error", why, whysz);
}

/* sts_cache_delete - remove a row; no row is fine */
int     sts_cache_delete(struct sts_cache *c, const char *domain, char *why,
			         size_t whysz)
{
    sqlite3_stmt *st = c->del;

    if (cache_usable(c, why, whysz) < 0)
	return -1;
    if (domain == NULL) {
	snprintf(why, whysz, "no domain");
	return -1;
    }
    if (sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC) != SQLITE_OK) {
	cache_fail(c->db, "cannot delete a policy", why, whysz);
	return -1;
    }
    return cache_write(c, st, "cannot delete a policy", why, whysz);
}

/* col_text - a text column, borrowed until the next step ("" for NULL) */
static const char *col_text(sqlite3_stmt *st, int i)
{
    const char *text = (const char *) sqlite3_column_text(st, i);

    return text ? text : "";
}

/* row_entry - the current row as a borrowed entry */
static void row_entry(sqlite3_stmt *st, struct sts_cache_entry *e)
{
    e->domain = (char *) col_text(st, 0);
    e->id = (char *) col_text(st, 1);
    e->policy = (char *) col_text(st, 2);
    e->fetched_at = (time_t) sqlite3_column_int64(st, 3);
    e->expires_at = (time_t) sqlite3_column_int64(st, 4);
    e->last_error = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL
	: (char *) col_text(st, 5);
}

/* sts_cache_get - copy domain's row into *e */
int     sts_cache_get(struct sts_cache *c, const char *domain,
		              struct sts_cache_entry *e, char *why, size_t whysz)
{
    sqlite3_stmt *st = c->get;
    struct sts_cache_entry row;
    int     ret;

    memset(e, 0, sizeof(*e));
    if (cache_usable(c, why, whysz) < 0)
	return -1;
    if (domain == NULL) {
	snprintf(why, whysz, "no domain");
	return -1;
    }
    if (sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC) != SQLITE_OK) {
	ret = cache_fail(c->db, "cannot read a policy", why, whysz);
	goto out;
    }
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
	row_entry(st, &row);
	e->domain = xstrdup(row.domain);
	e->id = xstrdup(row.id);
	e->policy = xstrdup(row.policy);
	e->fetched_at = row.fetched_at;
	e->expires_at = row.expires_at;
	e->last_error = row.last_error ? xstrdup(row.last_error) : NULL;
	ret = 1;
	break;
    case SQLITE_DONE:
	ret = 0;
	break;
    default:
	ret = cache_fail(c->db, "cannot read a policy", why, whysz);
	break;
    }
out:
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return ret;
}

/* sts_cache_foreach - hand every row to fn, borrowed for the call */
long    sts_cache_foreach(struct sts_cache *c,
			          void (*fn)(void *ctx, const struct sts_cache_entry *e),
			          void *ctx, char *why, size_t whysz)
{
    sqlite3_stmt *st = c->all;
    struct sts_cache_entry row;
    long    n = 0;
    int     rc;

    if (cache_usable(c, why, whysz) < 0)
	return -1;
    c->in_foreach = true;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
	row_entry(st, &row);
	fn(ctx, &row);
	n++;
    }
    if (rc != SQLITE_DONE)
	n = cache_fail(c->db, "cannot read the policies", why, whysz);
    sqlite3_reset(st);
    c->in_foreach = false;
    return n;
}

/* sts_cache_entry_release - free an entry's strings, leave it zeroed */
void    sts_cache_entry_release(struct sts_cache_entry *e)
{
    if (e == NULL)
	return;
    free(e->domain);
    free(e->id);
    free(e->policy);
    free(e->last_error);
    memset(e, 0, sizeof(*e));
}
