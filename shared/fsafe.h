/*
 * fsafe - is a file safe to trust, and writing a file without following
 * links. A daemon started as root reads its configuration, its destinations
 * file and its key files as root: if anyone else could write one of them, or
 * replace a directory above it, that person would set the daemon's policy
 * (tls = "none" for every domain) or point its pid file at a file of root's.
 */
#ifndef DESTCTL_FSAFE_H
#define DESTCTL_FSAFE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * fsafe_check - 0 when path and every directory above it can be written
 * only by root or by trusted (the daemon's user; (uid_t) -1 for none): each
 * is owned by one of them, not writable by others, nor by a group other
 * than root's. A directory with the sticky bit (/tmp) is writable by all,
 * but nobody can rename or remove what another owns in it, so it passes
 * when the entry below it is owned by root or trusted. Otherwise -1 with
 * why, naming the path at fault ("/etc/destctl/destctl.conf is writable by
 * others (mode 0666)"). A path that does not exist: -1, errno's text.
 */
extern int fsafe_check(const char *path, uid_t trusted, char *why, size_t whysz);

/*
 * fsafe_write_new - create or truncate path with mode and write text, never
 * following a symbolic link at path (O_NOFOLLOW), and only if path is a
 * regular file of ours with one link (or new). 0, or -1 with errno set
 * (ELOOP a link, EINVAL not a file, EPERM someone else's or a hard link).
 */
extern int fsafe_write_new(const char *path, mode_t mode, const char *text);

#endif
