/*
 * daemon - what destctld and destctl-milter do alike to become daemons.
 */
#ifndef DESTCTL_DAEMON_H
#define DESTCTL_DAEMON_H

/* daemon_detach - fork, the parent exits, a new session, stdio to /dev/null.
 * Fatal on failure. */
extern void daemon_detach(void);

/* daemon_drop_privileges - when running as root, become user (and its groups)
 * for good; nothing otherwise. Fatal when the user does not exist or root
 * cannot be given up. */
extern void daemon_drop_privileges(const char *user);

#endif
