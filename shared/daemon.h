/*
 * daemon - what destctld and destctl-milter do alike to become daemons.
 */
#ifndef DESTCTL_DAEMON_H
#define DESTCTL_DAEMON_H

#include <stdbool.h>

/* The command line every destctl daemon takes: [-c FILE] [-f] [-d]. */
struct daemon_opts {
    const char *config;			/* -c FILE, else CFG_DEFAULT_FILE */
    bool    foreground;			/* -f: no detaching, log to stderr too */
    bool    debug;			/* -d: debug logging */
};

/* daemon_parse_args - fill o from argv; a usage error prints the synopsis of
 * program name and exits 2. */
extern void daemon_parse_args(int argc, char **argv, const char *name,
			              struct daemon_opts *o);

/* daemon_detach - fork, the parent exits, a new session, stdio to /dev/null.
 * Fatal on failure. */
extern void daemon_detach(void);

/* daemon_drop_privileges - when running as root, become user (and its groups)
 * for good; nothing otherwise. Fatal when the user does not exist or root
 * cannot be given up. */
extern void daemon_drop_privileges(const char *user);

#endif
