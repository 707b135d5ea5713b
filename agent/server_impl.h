/*
 * server_impl - what server.c and server_bind.c share: the listener, and
 * the few functions binding needs. Private to those two files.
 */
#ifndef DESTCTL_SERVER_IMPL_H
#define DESTCTL_SERVER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "server.h"

struct sm_listener {
    struct sm_server *server;		/* owner */
    struct sm_listener *next;
    char   *endpoint;			/* as configured; log lines name it */
    char   *path;			/* unix: the file we created, else NULL */
    struct stat st;			/* unix: its identity (keep a newer one) */
    int     fd;
    struct event *ev;
    int     nclients;			/* its connections */
    bool    full;			/* at its cap: logged once */
    unsigned long evicted, refused;	/* while full */
};

/* sm_listener_new - a listener for a bound, listening socket fd. */
extern struct sm_listener *sm_listener_new(struct sm_server *s, const char *endpoint,
					           int fd);

/* sm_listener_free - close l; remove its socket file if still ours. */
extern void sm_listener_free(struct sm_listener *l);

/* sm_server_adopt - start accepting on a list of new listeners. */
extern void sm_server_adopt(struct sm_server *s, struct sm_listener *list);

/* sm_why - format a reason into why; returns -1. */
extern int sm_why(char *why, size_t whysz, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

/* sm_listen_unix, sm_listen_inet - bind one endpoint (server_bind.c). */
extern int sm_listen_unix(struct sm_server *s, const char *endpoint, const char *path,
			          gid_t gid, char *why, size_t whysz);
extern int sm_listen_inet(struct sm_server *s, const char *endpoint, const char *spec,
			          char *why, size_t whysz);

#endif
