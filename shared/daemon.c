/*
 * daemon - detaching and dropping privileges; see daemon.h.
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

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
