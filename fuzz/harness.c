/*
 * harness - helpers of the fuzz targets; see harness.h.
 *
 * The scratch directory has a fixed name per process, so a run of millions
 * of inputs rewrites the same few files instead of creating new ones. Its
 * name shows in what the modules compare (paths), and libFuzzer learns from
 * comparisons: so that a run can be repeated exactly, DESTCTL_FUZZ_DIR names
 * it instead of the process id.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "util.h"

#define HARNESS_MAX_FILES	8	/* names written, removed at exit */

static char harness_dir[256];
static char harness_buf[512];
static char *harness_names[HARNESS_MAX_FILES];
static size_t harness_nnames;

/* harness_fail - report a broken invariant */
void    harness_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    abort();
}

/* harness_init - quiet logging */
void    harness_init(void)
{
    log_init("destctl-fuzz", false);
}

/* harness_split - first part, separator, second part */
bool    harness_split(const uint8_t *data, size_t size, struct harness_part *first,
		              struct harness_part *second)
{
    const char *s = (const char *) data;
    const char *sep = memmem(s, size, HARNESS_SEP, strlen(HARNESS_SEP));

    if (sep == NULL) {
	*first = (struct harness_part) {s, size};
	*second = (struct harness_part) {s + size, 0};
	return false;
    }
    *first = (struct harness_part) {s, (size_t) (sep - s)};
    second->p = sep + strlen(HARNESS_SEP);
    second->len = size - first->len - strlen(HARNESS_SEP);
    return true;
}

/* harness_line - one line off the front */
bool    harness_line(struct harness_part *rest, struct harness_part *line)
{
    const char *nl;

    if (rest->len == 0)
	return false;
    nl = memchr(rest->p, '\n', rest->len);
    line->p = rest->p;
    line->len = nl ? (size_t) (nl - rest->p) : rest->len;
    rest->p += line->len + (nl != NULL);
    rest->len -= line->len + (nl != NULL);
    return true;
}

/* harness_cstr - NUL-terminated copy */
char   *harness_cstr(struct harness_part part)
{
    return xstrndup(part.p, part.len);
}

/* harness_cleanup - at exit: the files written, then the directory */
static void harness_cleanup(void)
{
    for (size_t i = 0; i < harness_nnames; i++) {
	unlink(harness_path(harness_names[i]));
	free(harness_names[i]);
    }
    harness_nnames = 0;
    rmdir(harness_dir);
}

/* harness_path - DIR/name, the directory made on first use */
const char *harness_path(const char *name)
{
    if (harness_dir[0] == '\0') {
	const char *env = getenv("DESTCTL_FUZZ_DIR");

	if (env && *env && strlen(env) < sizeof(harness_dir))
	    snprintf(harness_dir, sizeof(harness_dir), "%s", env);
	else
	    snprintf(harness_dir, sizeof(harness_dir), "/tmp/destctl-fuzz.%ld",
		     (long) getpid());
	if (mkdir(harness_dir, 0700) < 0 && errno != EEXIST) {
	    fprintf(stderr, "harness: mkdir %s: %s\n", harness_dir, strerror(errno));
	    abort();
	}
	atexit(harness_cleanup);
    }
    if ((size_t) snprintf(harness_buf, sizeof(harness_buf), "%s/%s", harness_dir,
			  name) >= sizeof(harness_buf)) {
	fprintf(stderr, "harness: path of %s too long\n", name);
	abort();
    }
    return harness_buf;
}

/* harness_remember - note name for the cleanup at exit */
static void harness_remember(const char *name)
{
    for (size_t i = 0; i < harness_nnames; i++)
	if (strcmp(harness_names[i], name) == 0)
	    return;
    if (harness_nnames == HARNESS_MAX_FILES) {
	fprintf(stderr, "harness: more than %d scratch files\n", HARNESS_MAX_FILES);
	abort();
    }
    harness_names[harness_nnames++] = xstrdup(name);
}

/* harness_write - replace a scratch file */
const char *harness_write(const char *name, const void *data, size_t len)
{
    const char *path = harness_path(name);
    int     fd;

    /* Written over, then cut to size: no O_TRUNC, which on ext4 makes every
     * close() start writing the file to disk (auto_da_alloc). */
    harness_remember(name);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0
	|| (len > 0 && pwrite(fd, data, len, 0) != (ssize_t) len)
	|| ftruncate(fd, (off_t) len) < 0 || close(fd) < 0) {
	fprintf(stderr, "harness: write %s: %s\n", path, strerror(errno));
	abort();
    }
    return path;
}

/* harness_remove - a scratch file gone */
void    harness_remove(const char *name)
{
    if (unlink(harness_path(name)) < 0 && errno != ENOENT) {
	fprintf(stderr, "harness: unlink %s: %s\n", harness_buf, strerror(errno));
	abort();
    }
}

/*
 * LLVMFuzzerInitialize - the set-up most targets need; weak, so that a
 * target with more to set up (a fixed key file, a scratch file) defines
 * its own, which calls harness_init() too.
 */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    harness_init();
    return 0;
}
