/*
 * server_bind - binding the socketmap server's endpoints: "unix:PATH"
 * (mode 0660 with a group, or 0600; a stale socket file replaced, never
 * anything else) and "inet:HOST:PORT". See server.h.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "server.h"
#include "server_impl.h"
#include "util.h"

/* sm_unix_clear - make way for a socket at path: only a stale socket goes */
static int sm_unix_clear(const char *path, const struct sockaddr_un *sun,
			         char *why, size_t whysz)
{
    struct stat st;
    int     fd, rc;

    if (lstat(path, &st) < 0) {
	if (errno == ENOENT)
	    return 0;
	return sm_why(why, whysz, "cannot stat %s: %s", path, strerror(errno));
    }
    if (!S_ISSOCK(st.st_mode))
	return sm_why(why, whysz, "%s exists and is not a socket", path);
    /* A socket someone still accepts on belongs to a running server. */
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
	return sm_why(why, whysz, "cannot create socket: %s", strerror(errno));
    rc = connect(fd, (const struct sockaddr *) sun, sizeof(*sun)) < 0 ? errno : 0;
    (void) close(fd);
    /* Accepted, or a full backlog: alive. */
    if (rc == 0 || rc == EAGAIN)
	return sm_why(why, whysz, "%s is in use by a running server", path);
    if (rc != ECONNREFUSED && rc != ENOENT)
	return sm_why(why, whysz, "cannot probe socket %s: %s", path,
		      strerror(rc));
    if (unlink(path) < 0 && errno != ENOENT)
	return sm_why(why, whysz, "cannot remove stale socket %s: %s", path,
		      strerror(errno));
    return 0;
}

/* sm_listen_unix - bind "unix:PATH": mode 0660 and group gid, or 0600 */
int     sm_listen_unix(struct sm_server *s, const char *endpoint,
			          const char *path, gid_t gid, char *why,
			          size_t whysz)
{
    struct sockaddr_un sun;
    struct sm_listener *l;
    struct stat st;
    mode_t  old;
    int     fd, rc;

    if (*path == '\0')
	return sm_why(why, whysz, "empty socket path after unix:");
    if (strlen(path) >= sizeof(sun.sun_path))
	return sm_why(why, whysz, "socket path longer than %zu bytes",
		      sizeof(sun.sun_path) - 1);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path));
    if (sm_unix_clear(path, &sun, why, whysz) < 0)
	return -1;
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	return sm_why(why, whysz, "cannot create socket: %s", strerror(errno));
    /* The mode comes from the umask at bind(): never a wider moment. */
    old = umask(gid == (gid_t) -1 ? 0177 : 0117);
    rc = bind(fd, (struct sockaddr *) &sun, sizeof(sun));
    (void) umask(old);
    if (rc < 0 || (gid != (gid_t) -1 && lchown(path, (uid_t) -1, gid) < 0)
	|| lstat(path, &st) < 0 || listen(fd, SOMAXCONN) < 0) {
	sm_why(why, whysz, "cannot %s %s: %s", rc < 0 ? "bind" : "set up",
	       path, strerror(errno));
	if (rc == 0)
	    (void) unlink(path);
	(void) close(fd);
	return -1;
    }
    l = sm_listener_new(s, endpoint, fd);
    l->path = xstrdup(path);
    l->st = st;
    sm_server_adopt(s, l);
    return 0;
}

/* sm_inet_socket - a listening socket on ai, or -1 with errno */
static int sm_inet_socket(const struct addrinfo *ai)
{
    int     fd, saved, on = 1;

    if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		     ai->ai_protocol)) < 0)
	return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0
	|| (ai->ai_family == AF_INET6
	    && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
	|| bind(fd, ai->ai_addr, ai->ai_addrlen) < 0
	|| listen(fd, SOMAXCONN) < 0) {
	saved = errno;
	(void) close(fd);
	errno = saved;
	return -1;
    }
    return fd;
}

/*
 * sm_listen_inet - bind "inet:HOST:PORT" on every address of HOST. An
 * address the host lacks (no IPv6) is skipped when another one binds.
 */
int     sm_listen_inet(struct sm_server *s, const char *endpoint,
			          const char *spec, char *why, size_t whysz)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
    .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    struct sm_listener *list = NULL, *l;
    char   *host = NULL, *port = NULL;
    char    addr[NI_MAXHOST];
    int     rc = -1, err, fd;

    char   *path = NULL;

    if (sockmap_endpoint_parse(endpoint, &path, &host, &port, why, whysz) < 0)
	goto out;
    if ((err = getaddrinfo(host, port, &hints, &res)) != 0) {
	sm_why(why, whysz, "cannot resolve %s: %s", spec, gai_strerror(err));
	goto out;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
	if ((fd = sm_inet_socket(ai)) >= 0) {
	    l = sm_listener_new(s, endpoint, fd);
	    l->next = list;
	    list = l;
	    continue;
	}
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), NULL,
			0, NI_NUMERICHOST) != 0)
	    snprintf(addr, sizeof(addr), "%s", host);
	sm_why(why, whysz, "cannot listen on %s port %s: %s", addr, port,
	       strerror(errno));
	if (errno != EADDRNOTAVAIL && errno != EAFNOSUPPORT)
	    goto out;
    }
    if (list != NULL) {
	sm_server_adopt(s, list);
	list = NULL;
	rc = 0;
    }
out:
    for (; list; list = l) {
	l = list->next;
	sm_listener_free(list);
    }
    if (res)
	freeaddrinfo(res);
    free(path);
    free(host);
    free(port);
    return rc;
}

