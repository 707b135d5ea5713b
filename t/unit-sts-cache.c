/*
 * unit-sts-cache - the durable MTA-STS policy cache: round trips, reopening,
 * unusable files moved aside (never deleted), and kill -9 during writes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "sts_cache.h"
#include "tap.h"

#define ENFORCE "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 86400\n"
#define TESTING "version: STSv1\nmode: testing\nmx: mx.example.net\nmax_age: 86400\n"
#define CRASH_ROUNDS 3

static char dir[256];			/* the mkdtemp directory */

/* tpath - a file name in the test directory (static buffer, one of four) */
static const char *tpath(const char *name)
{
    static char paths[4][PATH_MAX];
    static int next;
    char   *p = paths[next++ % 4];

    snprintf(p, PATH_MAX, "%s/%s", dir, name);
    return p;
}

/* entry - an entry pointing at the given strings */
static struct sts_cache_entry entry(const char *domain, const char *id,
				            const char *policy, time_t fetched,
				            const char *error)
{
    struct sts_cache_entry e = {(char *) domain, (char *) id, (char *) policy,
    fetched, fetched + 86400, (char *) error};

    return e;
}

/* garbage - deterministic bytes that are no database */
static void garbage(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
	seed = seed * 1103515245u + 12345u;
	p[i] = (unsigned char) (seed >> 16);
    }
}

/* write_file - replace name's content with n bytes */
static void write_file(const char *path, const void *p, size_t n)
{
    FILE   *fp = fopen(path, "w");

    if (fp == NULL || fwrite(p, 1, n, fp) != n || fclose(fp) != 0)
	bail("cannot write %s: %s", path, strerror(errno));
}

/* aside_name - the newest "<base>.damaged-*" in dir (n of them), or "" */
static const char *aside_name(const char *base, int *n)
{
    static char found[PATH_MAX];
    char    prefix[256], name[256] = "";
    struct dirent *d;
    DIR    *dp = opendir(dir);

    snprintf(prefix, sizeof(prefix), "%s.damaged-", base);
    found[0] = '\0';
    *n = 0;
    while (dp && (d = readdir(dp)) != NULL) {
	if (strncmp(d->d_name, prefix, strlen(prefix)) != 0
	    || strstr(d->d_name, "-wal") || strstr(d->d_name, "-shm"))
	    continue;
	(*n)++;
	if (strcmp(d->d_name, name) > 0) {	/* "-1" sorts after no suffix */
	    snprintf(name, sizeof(name), "%s", d->d_name);
	    snprintf(found, sizeof(found), "%s/%s", dir, d->d_name);
	}
    }
    if (dp)
	closedir(dp);
    return found;
}

/* collect - foreach callback: "domain:id:policy:last_error|" */
static void collect(void *ctx, const struct sts_cache_entry *e)
{
    buf_printf((struct buf *) ctx, "%s:%s:%s:%s|", e->domain, e->id, e->policy,
	       e->last_error ? e->last_error : "-");
}

/* reenter - foreach callback that calls back into the cache */
static void reenter(void *ctx, const struct sts_cache_entry *e)
{
    struct sts_cache *c = ctx;
    char    why[256];

    is_int(-1, sts_cache_put(c, e, why, sizeof(why)), "put from inside foreach fails");
}

/* test_new_and_round_trip - create, put/get every field, replace, errors */
static void test_new_and_round_trip(void)
{
    const char *path = tpath("cache.db");
    struct sts_cache *c;
    struct sts_cache_entry e;
    struct stat st;
    char    why[256], want[PATH_MAX + 64];
    char   *big = malloc(65537);

    memset(big, 'p', 65536);
    memcpy(big, ENFORCE, strlen(ENFORCE));
    big[65536] = '\0';
    c = sts_cache_open(path, why, sizeof(why));
    if (c == NULL)
	bail("cannot create the cache: %s", why);
    snprintf(want, sizeof(want), "MTA-STS policy cache created file=%s", path);
    is_string(want, tap_log_last(), "creation logged");
    is_int(0600, stat(path, &st) == 0 ? (long) (st.st_mode & 07777) : -1, "file mode 0600");
    is_int(0, sts_cache_get(c, "absent.example", &e, why, sizeof(why)), "absent domain");

    e = entry("big.example", "20240101", big, 1700000000, NULL);
    is_int(0, sts_cache_put(c, &e, why, sizeof(why)), "put a 64 KiB policy");
    is_int(1, sts_cache_get(c, "big.example", &e, why, sizeof(why)), "get it");
    is_string("big.example", e.domain, "domain");
    is_string("20240101", e.id, "id");
    ok(e.policy && strcmp(e.policy, big) == 0, "64 KiB policy intact");
    is_int(1700000000, (long) e.fetched_at, "fetched_at");
    is_int(1700086400, (long) e.expires_at, "expires_at");
    is_string(NULL, e.last_error, "no last_error");
    sts_cache_entry_release(&e);

    e = entry("big.example", "20250202", TESTING, 1700000500, "old error");
    is_int(0, sts_cache_put(c, &e, why, sizeof(why)), "replace");
    is_int(1, sts_cache_get(c, "big.example", &e, why, sizeof(why)), "get the replacement");
    is_string("20250202", e.id, "new id");
    is_string(TESTING, e.policy, "new policy");
    is_int(1700086900, (long) e.expires_at, "new expires_at");
    is_string("old error", e.last_error, "last_error stored by put");
    sts_cache_entry_release(&e);

    is_int(0, sts_cache_set_error(c, "big.example", "connect: timed out", why, sizeof(why)),
	   "set_error");
    sts_cache_get(c, "big.example", &e, why, sizeof(why));
    is_string("connect: timed out", e.last_error, "error recorded");
    is_string(TESTING, e.policy, "policy kept by set_error");
    sts_cache_entry_release(&e);
    is_int(0, sts_cache_set_error(c, "big.example", NULL, why, sizeof(why)), "clear error");
    sts_cache_get(c, "big.example", &e, why, sizeof(why));
    is_string(NULL, e.last_error, "error cleared");
    sts_cache_entry_release(&e);
    is_int(0, sts_cache_set_error(c, "absent.example", "x", why, sizeof(why)),
	   "set_error without a row: nothing to record");
    is_int(0, sts_cache_get(c, "absent.example", &e, why, sizeof(why)), "and no row made");

    is_int(0, sts_cache_delete(c, "big.example", why, sizeof(why)), "delete");
    is_int(0, sts_cache_get(c, "big.example", &e, why, sizeof(why)), "deleted");
    is_int(0, sts_cache_delete(c, "big.example", why, sizeof(why)), "delete again");

    e = entry("bad.example", "1", NULL, 1, NULL);
    is_int(-1, sts_cache_put(c, &e, why, sizeof(why)), "put without policy");
    is_string("MTA-STS cache entry without policy", why, "why");
    sts_cache_close(c);
    free(big);
}

/* test_foreach_and_reopen - every row, in order, survives a reopen */
static void test_foreach_and_reopen(void)
{
    static const char want[] =
	"a.example:ida:" ENFORCE ":-|b.example:idb:" TESTING ":fetch failed|"
	"c.example:idc:" ENFORCE ":-|";
    const char *path = tpath("cache.db");
    struct buf *b = buf_alloc(1024, 65536);
    struct sts_cache_entry e;
    struct sts_cache *c;
    char    why[256];

    c = sts_cache_open(path, why, sizeof(why));
    if (c == NULL)
	bail("cannot reopen the cache: %s", why);
    e = entry("c.example", "idc", ENFORCE, 30, NULL);
    sts_cache_put(c, &e, why, sizeof(why));
    e = entry("a.example", "ida", ENFORCE, 10, NULL);
    sts_cache_put(c, &e, why, sizeof(why));
    e = entry("b.example", "idb", TESTING, 20, "fetch failed");
    sts_cache_put(c, &e, why, sizeof(why));
    is_int(3, sts_cache_foreach(c, collect, b, why, sizeof(why)), "foreach sees 3 rows");
    is_string(want, b->data, "foreach contents, by domain");
    is_int(1, sts_cache_foreach(c, reenter, c, why, sizeof(why)) > 0, "foreach goes on");
    sts_cache_close(c);

    tap_log_clear();
    buf_reset(b);
    c = sts_cache_open(path, why, sizeof(why));
    ok(c != NULL, "reopen");
    is_string("", tap_log_last(), "reopening logs nothing");
    is_int(3, sts_cache_foreach(c, collect, b, why, sizeof(why)), "reopened: 3 rows");
    is_string(want, b->data, "reopened: same contents");
    is_int(1, sts_cache_get(c, "a.example", &e, why, sizeof(why)), "reopened: get");
    is_int(10, (long) e.fetched_at, "reopened: fetched_at");
    sts_cache_entry_release(&e);
    sts_cache_close(c);
    buf_free(b);
}

/* expect_moved - one more "<base>.damaged-*" whose log line is want_fmt */
static void expect_moved(const char *base, int was, const char *want_fmt,
			         const char *what)
{
    const char *path = tpath(base);
    const char *aside;
    struct sts_cache *c;
    struct sts_cache_entry e;
    struct buf *b = buf_alloc(64, 65536);
    char    why[256], want[4096];
    int     n;

    tap_log_clear();
    c = sts_cache_open(path, why, sizeof(why));
    ok(c != NULL, "%s: a new cache is opened", what);
    aside = aside_name(base, &n);
    is_int(was + 1, n, "%s: moved aside to %s.damaged-*", what, base);
    snprintf(want, sizeof(want), want_fmt, path, aside);
    is_string(want, tap_log_last(), "%s: critical log line", what);
    if (c == NULL) {
	buf_free(b);
	return;
    }
    is_int(0, sts_cache_foreach(c, collect, b, why, sizeof(why)), "%s: new cache is empty",
	   what);
    e = entry("new.example", "1", ENFORCE, 5, NULL);
    is_int(0, sts_cache_put(c, &e, why, sizeof(why)), "%s: new cache takes a put", what);
    sts_cache_close(c);
    buf_free(b);
}

#define CRIT_PREFIX "MTA-STS policy cache is unusable: moved aside and a new one started; "
#define CRIT_ALL CRIT_PREFIX "every enforce policy it held may be forgotten; their" \
    " domains get the profile's TLS level until their policies are fetched again" \
    " file=%s moved_to=%s reason="
#define CRIT_SOME CRIT_PREFIX "the enforce policies of these domains, and of any" \
    " that could not be read, may be forgotten; their domains get the profile's" \
    " TLS level until their policies are fetched again file=%s moved_to=%s reason="

/* test_garbage - a file of garbage bytes is moved aside intact */
static void test_garbage(void)
{
    const char *path = tpath("garbage.db");
    unsigned char bytes[8192], back[8192];
    char    wal[PATH_MAX];
    struct stat st;
    const char *aside;
    FILE   *fp;
    int     n;

    garbage(bytes, sizeof(bytes), 1);
    write_file(path, bytes, sizeof(bytes));
    expect_moved("garbage.db", 0, CRIT_ALL "cannot use the database: file is not a database",
		 "garbage");
    aside = aside_name("garbage.db", &n);
    fp = fopen(aside, "r");
    ok(fp && fread(back, 1, sizeof(back), fp) == sizeof(back)
       && memcmp(bytes, back, sizeof(bytes)) == 0, "garbage kept byte for byte");
    if (fp)
	fclose(fp);
    /* Damaged again within the second: the first one is not replaced. */
    write_file(path, bytes, sizeof(bytes));
    write_file(tpath("garbage.db-wal"), bytes, 100);
    expect_moved("garbage.db", 1, CRIT_ALL "cannot use the database: file is not a database",
		 "garbage again");
    snprintf(wal, sizeof(wal), "%s-wal", aside_name("garbage.db", &n));
    is_int(100, stat(wal, &st) == 0 ? (long) st.st_size : -1, "its -wal moved along");
}

/* make_db - a database from SQL, outside the cache module */
static void make_db(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    if (sqlite3_open(path, &db) != SQLITE_OK
	|| sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
	bail("cannot make %s: %s", path, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* test_wrong_schema - valid databases that are not our schema */
static void test_wrong_schema(void)
{
    make_db(tpath("other.db"),
	    "CREATE TABLE policies(domain TEXT, policy TEXT);"
	    "INSERT INTO policies VALUES ('old.example', '" ENFORCE "'),"
	    " ('t.example', '" TESTING "'), ('crlf.example', 'mode:enforce \r\n');"
	    "PRAGMA user_version = 1");
    expect_moved("other.db", 0, CRIT_SOME "the policies table is not that of schema"
		 " version 1 domains=old.example,crlf.example", "other table");
    make_db(tpath("future.db"),
	    "CREATE TABLE policies(domain TEXT PRIMARY KEY, id TEXT NOT NULL,"
	    " policy TEXT NOT NULL, fetched_at INTEGER NOT NULL,"
	    " expires_at INTEGER NOT NULL, last_error TEXT);"
	    "PRAGMA user_version = 7");
    expect_moved("future.db", 0, CRIT_ALL "schema version 7 is not 1", "version 7");
    make_db(tpath("foreign.db"), "CREATE TABLE t(x); PRAGMA journal_mode = WAL");
    expect_moved("foreign.db", 0, CRIT_ALL "schema version 0 is not 1", "foreign");
}

/* test_corrupt - a real cache with pages overwritten in the middle */
static void test_corrupt(void)
{
    const char *path = tpath("corrupt.db");
    struct sts_cache_entry e;
    struct sts_cache *c;
    struct buf *want = buf_alloc(1024, 4096);
    unsigned char junk[4096 * 8];
    char    why[256], domain[64], policy[1024];
    int     fd;

    if ((c = sts_cache_open(path, why, sizeof(why))) == NULL)
	bail("cannot create %s: %s", path, why);
    for (int i = 0; i < 300; i++) {
	snprintf(domain, sizeof(domain), "c%03d.example", i);
	snprintf(policy, sizeof(policy), "%s%*s", i % 2 ? ENFORCE : TESTING, 800, "#");
	e = entry(domain, "id", policy, i, NULL);
	if (sts_cache_put(c, &e, why, sizeof(why)) < 0)
	    bail("put %s: %s", domain, why);
    }
    sts_cache_close(c);
    garbage(junk, sizeof(junk), 7);
    if ((fd = open(path, O_WRONLY)) < 0
	|| pwrite(fd, junk, sizeof(junk), 4096 * 30) != (ssize_t) sizeof(junk))
	bail("cannot damage %s: %s", path, strerror(errno));
    close(fd);
    /* SQLite 3.40 (Debian 12) reads rows up to the first damaged page. */
    buf_puts(want, CRIT_SOME "integrity check failed: Page 38: btreeInitPage()"
	     " returns error code 11 domains=");
    for (int i = 1; i < 40; i += 2)
	buf_printf(want, "%sc%03d.example", i > 1 ? "," : "", i);
    buf_puts(want, " (and 34 more)");
    expect_moved("corrupt.db", 0, want->data, "corrupt: readable enforce domains named");
    buf_free(want);
}

/* test_locked - a cache another process holds is left alone: NULL, why */
static void test_locked(void)
{
    const char *path = tpath("cache.db");
    sqlite3 *db = NULL;
    char    why[256], want[PATH_MAX + 64];
    int     n;

    if (sqlite3_open(path, &db) != SQLITE_OK
	|| sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE;"
			" SELECT count(*) FROM policies", NULL, NULL, NULL) != SQLITE_OK)
	bail("cannot lock %s: %s", path, sqlite3_errmsg(db));
    ok(sts_cache_open(path, why, sizeof(why)) == NULL, "locked: no cache");
    snprintf(want, sizeof(want), "%s: cannot use the database: database is locked", path);
    is_string(want, why, "locked: why");
    aside_name("cache.db", &n);
    is_int(0, n, "locked: not moved aside");
    sqlite3_close(db);
}

/* test_no_dir - the directory is missing: NULL with why */
static void test_no_dir(void)
{
    char    why[256], want[PATH_MAX + 64];

    ok(sts_cache_open(tpath("nope/cache.db"), why, sizeof(why)) == NULL, "no directory: NULL");
    snprintf(want, sizeof(want), "cannot create files in directory %s/nope:"
	     " No such file or directory", dir);
    is_string(want, why, "no directory: why");
}

/* crash_policy - the policy round r writes for row i */
static void crash_policy(char *out, size_t outsz, int r, long i)
{
    snprintf(out, outsz, "version: STSv1\nmode: enforce\nmx: mx%ld.r%d.example\n"
	     "max_age: 86400\n%*s", i, r, (int) (i % 64) * 31, "#");
}

/* crash_child - put rows until killed, reporting each after its commit */
static void crash_child(const char *path, int r, int fd)
{
    struct sts_cache_entry e;
    struct sts_cache *c;
    char    why[256], domain[64], policy[4096], line[32];
    int     n;

    if ((c = sts_cache_open(path, why, sizeof(why))) == NULL)
	_exit(2);
    for (long i = 0; i < 10000000; i++) {
	snprintf(domain, sizeof(domain), "k%ld.r%d.example", i, r);
	crash_policy(policy, sizeof(policy), r, i);
	e = entry(domain, "crash", policy, i, NULL);
	if (sts_cache_put(c, &e, why, sizeof(why)) < 0)
	    _exit(3);
	n = snprintf(line, sizeof(line), "%ld\n", i);
	if (write(fd, line, (size_t) n) != n)
	    _exit(4);
    }
    pause();
    _exit(0);
}

/* now_ms - monotonic milliseconds */
static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* crash_round - one child killed while writing; the rows it reported */
static long crash_round(const char *path, int r)
{
    char    chunk[4096];
    int     fds[2], status;
    long    lines = 0, start = now_ms(), wait_ms = 150 + 60 * r;
    ssize_t got = 1;
    pid_t   pid;

    if (pipe(fds) < 0)
	bail("pipe: %s", strerror(errno));
    fflush(stdout);
    if ((pid = fork()) < 0)
	bail("fork: %s", strerror(errno));
    if (pid == 0) {
	close(fds[0]);
	crash_child(path, r, fds[1]);
    }
    close(fds[1]);
    /* At least 20 commits and wait_ms (longer each round), then SIGKILL. */
    while (got > 0 && now_ms() - start < 5000
	   && (lines < 20 || now_ms() - start < wait_ms)) {
	struct pollfd pfd = {fds[0], POLLIN, 0};

	if (poll(&pfd, 1, 10) <= 0)
	    continue;
	got = read(fds[0], chunk, sizeof(chunk));
	for (ssize_t i = 0; i < got; i++)
	    lines += chunk[i] == '\n';
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
       "round %d: writer killed by SIGKILL", r);
    /* What the writer reported before it died is still in the pipe. */
    while ((got = read(fds[0], chunk, sizeof(chunk))) > 0)
	for (ssize_t i = 0; i < got; i++)
	    lines += chunk[i] == '\n';
    close(fds[0]);
    return lines;
}

/* test_copy - the copy brings back what the file lost; a loss is counted */
static void test_copy(void)
{
    const char *path = tpath("copy.db");
    struct sts_cache_entry a = entry("a.example", "1", "version: STSv1\nmode: enforce\n"
				     "mx: mx.a.example\nmax_age: 86400\n", 1000, NULL);
    struct sts_cache_entry b = entry("b.example", "2", "version: STSv1\nmode: testing\n"
				     "mx: mx.b.example\nmax_age: 86400\n", 1000, NULL);
    struct sts_cache *c;
    char    why[512], copy[PATH_MAX], state[PATH_MAX];

    snprintf(copy, sizeof(copy), "%s.copy", path);
    snprintf(state, sizeof(state), "%s.state", path);
    c = sts_cache_open(path, why, sizeof(why));
    ok(c && sts_cache_put(c, &a, why, sizeof(why)) == 0
       && sts_cache_put(c, &b, why, sizeof(why)) == 0, "two policies stored");
    is_int(0, sts_cache_backup(c, why, sizeof(why)), "copy written: %s", why);
    ok(access(copy, R_OK) == 0, "the copy exists");
    sts_cache_close(c);

    unlink(path);
    tap_log_clear();
    c = sts_cache_open(path, why, sizeof(why));
    is_int(2, c ? sts_cache_count(c) : -1, "file deleted: both policies back");
    ok(strstr(tap_log_last(), "MTA-STS policy cache restored from its "
	      "copy: 2 policies came back") != NULL, "and a critical line: %s",
       tap_log_last());
    is_int(0, c ? sts_cache_lost(c) : -1, "nothing lost");
    sts_cache_close(c);

    c = sts_cache_open(path, why, sizeof(why));
    is_int(2, c ? sts_cache_count(c) : -1, "reopened: nothing to restore");
    sts_cache_close(c);

    unlink(path);
    unlink(copy);
    tap_log_clear();
    c = sts_cache_open(path, why, sizeof(why));
    is_int(2, c ? sts_cache_lost(c) : -1, "file and copy gone: two lost");
    ok(strstr(tap_log_last(), "MTA-STS policy cache lost policies: 2 of those it "
	      "held are in neither the cache (0 policies now) nor its copy") != NULL,
       "a critical line: %s", tap_log_last());
    is_int(0, c ? sts_cache_backup(c, why, sizeof(why)) : -1, "a copy of the empty cache");
    ok(c && sts_cache_put(c, &a, why, sizeof(why)) == 0
       && sts_cache_put(c, &b, why, sizeof(why)) == 0
       && sts_cache_backup(c, why, sizeof(why)) == 0, "two new policies fetched since");
    sts_cache_close(c);
    c = sts_cache_open(path, why, sizeof(why));
    is_int(2, c ? sts_cache_lost(c) : -1, "neither a copy nor new policies hide the loss");
    sts_cache_close(c);
    unlink(path);
    unlink(copy);
    c = sts_cache_open(path, why, sizeof(why));
    is_int(4, c ? sts_cache_lost(c) : -1, "a second loss adds to the first, not hidden by it");
    is_int(0, c ? sts_cache_ack_loss(c, why, sizeof(why)) : -1, "acknowledged");
    is_int(0, c ? sts_cache_lost(c) : -1, "nothing lost now");
    sts_cache_close(c);
    c = sts_cache_open(path, why, sizeof(why));
    is_int(0, c ? sts_cache_lost(c) : -1, "and after a reopen");
    sts_cache_close(c);

    /* A copy that cannot be read is moved aside, never overwritten. */
    write_file(copy, "not a database at all, not even close to one......", 50);
    tap_log_clear();
    c = sts_cache_open(path, why, sizeof(why));
    ok(strstr(tap_log_last(), "MTA-STS policy cache copy cannot be read: moved aside")
       != NULL, "an unreadable copy: %s", tap_log_last());
    ok(access(copy, F_OK) < 0, "moved away from its name");
    is_int(0, c ? sts_cache_backup(c, why, sizeof(why)) : -1, "a new copy in its place");
    sts_cache_close(c);
}

/* test_crash - kill -9 during writes loses no committed policy */
static void test_crash(void)
{
    const char *path = tpath("crash.db");
    struct sts_cache_entry e;
    struct sts_cache *c;
    char    why[256], domain[64], policy[4096];
    long    lines, missing;

    for (int r = 0; r < CRASH_ROUNDS; r++) {
	lines = crash_round(path, r);
	ok(lines >= 20, "round %d: %ld puts committed before the kill", r, lines);
	tap_log_clear();
	if ((c = sts_cache_open(path, why, sizeof(why))) == NULL)
	    bail("round %d: cannot reopen: %s", r, why);
	is_string("", tap_log_last(), "round %d: reopened without complaint", r);
	missing = 0;
	for (long i = 0; i < lines; i++) {
	    snprintf(domain, sizeof(domain), "k%ld.r%d.example", i, r);
	    crash_policy(policy, sizeof(policy), r, i);
	    if (sts_cache_get(c, domain, &e, why, sizeof(why)) != 1
		|| strcmp(e.policy, policy) != 0 || e.fetched_at != i) {
		if (missing++ < 3)
		    diag("round %d: %s lost", r, domain);
	    }
	    sts_cache_entry_release(&e);
	}
	is_int(0, missing, "round %d: every committed policy survives kill -9", r);
	sts_cache_close(c);
    }
}

/* cleanup - remove the test directory (the test's own files) */
static void cleanup(void)
{
    struct dirent *d;
    DIR    *dp = opendir(dir);

    while (dp && (d = readdir(dp)) != NULL)
	if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
	    unlink(tpath(d->d_name));
    if (dp)
	closedir(dp);
    if (rmdir(dir) < 0)
	diag("cannot remove %s: %s", dir, strerror(errno));
}

int     main(void)
{
    snprintf(dir, sizeof(dir), "%s/unit-sts-cache.XXXXXX",
	     getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL)
	bail("mkdtemp: %s", strerror(errno));
    umask(022);
    tap_log_capture();
    plan(90 + 19);
    test_new_and_round_trip();
    test_foreach_and_reopen();
    test_garbage();
    test_wrong_schema();
    test_corrupt();
    test_locked();
    test_no_dir();
    test_crash();
    test_copy();
    cleanup();
    return exit_status();
}
