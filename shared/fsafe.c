/*
 * fsafe - file trust checks and link-safe writes; see fsafe.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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

/* fsafe_chain - buf (a real path, modified) and every directory above it;
 * first: what lies below buf (NULL: nothing, buf is the file itself) */
static int fsafe_chain(char *buf, const struct stat *first, uid_t trusted,
		               char *why, size_t whysz)
{
    struct stat st, below;
    bool    have_below = first != NULL;
    char   *slash;

    if (first)
	below = *first;
    for (;;) {
	if (stat(buf, &st) < 0) {
	    snprintf(why, whysz, "%s: %s", buf, strerror(errno));
	    return -1;
	}
	if (fsafe_one(buf, &st, trusted, have_below ? &below : NULL, why, whysz) < 0)
	    return -1;
	if (strcmp(buf, "/") == 0)
	    return 0;
	below = st;
	have_below = true;
	slash = strrchr(buf, '/');
	if (slash == buf)
	    slash[1] = '\0';		/* "/etc" -> "/" */
	else
	    *slash = '\0';
    }
}

/*
 * fsafe_check - the file as read (links resolved), and the directories of
 * the name given, so that a link in a directory others could write counts.
 */
int     fsafe_check(const char *path, uid_t trusted, char *why, size_t whysz)
{
    char    buf[PATH_MAX], copy[PATH_MAX];
    struct stat file;

    if (realpath(path, buf) == NULL || stat(buf, &file) < 0) {
	snprintf(why, whysz, "%s: %s", path, strerror(errno));
	return -1;
    }
    if (fsafe_chain(buf, NULL, trusted, why, whysz) < 0)
	return -1;
    snprintf(copy, sizeof(copy), "%s", path);
    if (realpath(dirname(copy), buf) == NULL) {
	snprintf(why, whysz, "%s: %s", path, strerror(errno));
	return -1;
    }
    return fsafe_chain(buf, &file, trusted, why, whysz);
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
    if (!S_ISREG(st.st_mode)) {
	close(fd);
	errno = EINVAL;
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
