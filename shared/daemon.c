/*
 * daemon - detaching and dropping privileges; see daemon.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"

/* daemon_detach - leave the terminal */
void    daemon_detach(void)
{
    pid_t   pid = fork();
    int     fd;

    if (pid < 0)
	msg_fatal_sys("fork");
    if (pid > 0)
	_exit(0);
    if (setsid() < 0)
	msg_fatal_sys("setsid");
    if ((fd = open("/dev/null", O_RDWR)) >= 0) {
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
	    close(fd);
    }
}

/* daemon_drop_privileges - become user for good */
void    daemon_drop_privileges(const char *user)
{
    struct passwd *pw;

    if (geteuid() != 0)
	return;
    if ((pw = getpwnam(user)) == NULL)
	msg_fatal("agent.user %s does not exist", user);
    if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0
	|| setuid(pw->pw_uid) < 0)
	msg_fatal_sys("cannot drop privileges to user %s", user);
    if (setuid(0) == 0)
	msg_fatal("privileges still held after dropping to %s", user);
}

/* daemon_parse_args - -c FILE, -f, -d */
void    daemon_parse_args(int argc, char **argv, const char *name,
			          struct daemon_opts *o)
{
    int     ch;

    o->config = CFG_DEFAULT_FILE;
    o->foreground = o->debug = false;
    while ((ch = getopt(argc, argv, "c:fd")) != -1) {
	switch (ch) {
	case 'c':
	    o->config = optarg;
	    break;
	case 'f':
	    o->foreground = true;
	    break;
	case 'd':
	    o->debug = true;
	    break;
	default:
	    goto usage;
	}
    }
    if (optind == argc)
	return;
  usage:
    fprintf(stderr, "usage: %s [-c FILE] [-f] [-d]\n"
	    "  -c FILE  configuration (default %s)\n"
	    "  -f       foreground, log to stderr too\n"
	    "  -d       debug logging\n", name, CFG_DEFAULT_FILE);
    exit(2);
}
