/*
 * fsafe - file trust checks and link-safe writes; see fsafe.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"

/* trusted_owner - root, or the trusted user */
static int trusted_owner(uid_t uid, uid_t trusted)
{
    return uid == 0 || (trusted != (uid_t) -1 && uid == trusted);
}

/* fsafe_one - one path component; below: the owner of the entry below it */
static int fsafe_one(const char *path, const struct stat *st, uid_t trusted,
		             const struct stat *below, char *why, size_t whysz)
{
    bool    sticky_ok = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)
	&& below != NULL && trusted_owner(below->st_uid, trusted);

    if (!trusted_owner(st->st_uid, trusted)) {
	snprintf(why, whysz, "%s is owned by uid %ld, not root%s", path,
		 (long) st->st_uid, trusted != (uid_t) -1 ? " or the daemon's user" : "");
	return -1;
    }
    if ((st->st_mode & S_IWOTH) && !sticky_ok) {
	snprintf(why, whysz, "%s is writable by others (mode %04o)", path,
		 (unsigned) (st->st_mode & 07777));
	return -1;
    }
    if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && !sticky_ok) {
	snprintf(why, whysz, "%s is writable by group %ld (mode %04o)", path,
		 (long) st->st_gid, (unsigned) (st->st_mode & 07777));
	return -1;
    }
    return 0;
}

#define FSAFE_LINKS_MAX	16		/* symbolic links followed in one path */

/*
 * fsafe_walk - path (absolute), component by component with lstat(): each
 * directory is checked against the entry below it, each symbolic link's
 * owner too, and a link is followed by walking its target with the rest of
 * the path. Nothing is trusted that was not looked at: a link in a
 * directory others can write is caught at that directory.
 */
static int fsafe_walk(const char *path, uid_t trusted, int links, char *why,
		              size_t whysz)
{
    char    cur[PATH_MAX], next[PATH_MAX], target[PATH_MAX], rest[PATH_MAX];
    struct stat cur_st, st;
    const char *p = path, *end;
    size_t  len;
    ssize_t n;

    if (lstat("/", &cur_st) < 0) {
	snprintf(why, whysz, "/: %s", strerror(errno));
	return -1;
    }
    snprintf(cur, sizeof(cur), "/");
    for (;;) {
	while (*p == '/')
	    p++;
	if (*p == '\0')
	    break;
	end = strchr(p, '/');
	len = end ? (size_t) (end - p) : strlen(p);
	if (len == 1 && p[0] == '.') {
	    p += len;
	    continue;
	}
	if (len == 2 && p[0] == '.' && p[1] == '.') {
	    /* cur holds no link: ".." is lexical here, and was checked. */
	    char   *slash = strrchr(cur, '/');

	    if (slash && slash != cur)
		*slash = '\0';
	    else
		snprintf(cur, sizeof(cur), "/");
	    if (lstat(cur, &cur_st) < 0) {
		snprintf(why, whysz, "%s: %s", cur, strerror(errno));
		return -1;
	    }
	    p += len;
	    continue;
	}
	if ((size_t) snprintf(next, sizeof(next), "%s%s%.*s", cur,
			      strcmp(cur, "/") == 0 ? "" : "/", (int) len, p) >= sizeof(next)) {
	    snprintf(why, whysz, "%s: path too long", path);
	    return -1;
	}
	if (lstat(next, &st) < 0) {
	    snprintf(why, whysz, "%s: %s", next, strerror(errno));
	    return -1;
	}
	if (fsafe_one(cur, &cur_st, trusted, &st, why, whysz) < 0)
	    return -1;
	p += len;
	if (S_ISLNK(st.st_mode)) {
	    if (!trusted_owner(st.st_uid, trusted)) {
		snprintf(why, whysz, "%s is a symbolic link owned by uid %ld, not root%s",
			 next, (long) st.st_uid, trusted != (uid_t) -1
			 ? " or the daemon's user" : "");
		return -1;
	    }
	    if (++links > FSAFE_LINKS_MAX) {
		snprintf(why, whysz, "%s: too many symbolic links", path);
		return -1;
	    }
	    if ((n = readlink(next, target, sizeof(target) - 1)) < 0) {
		snprintf(why, whysz, "%s: %s", next, strerror(errno));
		return -1;
	    }
	    target[n] = '\0';
	    /* The target, relative to the link's directory, then the rest. */
	    if ((size_t) snprintf(rest, sizeof(rest), "%s%s%s%s",
				  target[0] == '/' ? "" : cur,
				  target[0] == '/' || strcmp(cur, "/") == 0 ? "" : "/",
				  target, p) >= sizeof(rest)) {
		snprintf(why, whysz, "%s: path too long", path);
		return -1;
	    }
	    return fsafe_walk(rest, trusted, links, why, whysz);
	}
	snprintf(cur, sizeof(cur), "%s", next);
	cur_st = st;
    }
    return fsafe_one(cur, &cur_st, trusted, NULL, why, whysz);
}

/* fsafe_check - the path as given, every component, links followed */
int     fsafe_check(const char *path, uid_t trusted, char *why, size_t whysz)
{
    char    abs[PATH_MAX], cwd[PATH_MAX];

    if (path[0] == '/') {
	snprintf(abs, sizeof(abs), "%s", path);
    } else if (getcwd(cwd, sizeof(cwd)) == NULL
	       || (size_t) snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >= sizeof(abs)) {
	snprintf(why, whysz, "%s: cannot make the path absolute", path);
	return -1;
    }
    return fsafe_walk(abs, trusted, 0, why, whysz);
}

/* fsafe_write_new - O_NOFOLLOW, regular files only */
int     fsafe_write_new(const char *path, mode_t mode, const char *text)
{
    struct stat st;
    size_t  len = strlen(text);
    int     fd, saved;

    /* O_NONBLOCK: a FIFO planted at path must not hang the open. */
    if ((fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		   mode)) < 0)
	return -1;
    if (fstat(fd, &st) < 0) {
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
    }
    /* Ours alone: a regular file, one link (not a hard link to a file of
     * someone else's), owned by whoever writes it. */
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
	close(fd);
	errno = !S_ISREG(st.st_mode) ? EINVAL : EPERM;
	return -1;
    }
    if (ftruncate(fd, 0) < 0 || write(fd, text, len) != (ssize_t) len) {
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
    }
    return close(fd);
}
