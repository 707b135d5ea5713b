/*
 * NAME
 *	destctl-milter - tag outbound mail with its destination profiles,
 *	refuse early what cannot be delivered securely, verify bounces
 * SYNOPSIS
 *	destctl-milter [-c FILE] [-f] [-d]
 * DESCRIPTION
 *	A libmilter filter for Postfix (smtpd_milters, non_smtpd_milters) and
 *	Sendmail (INPUT_MAIL_FILTER). For outbound mail it asks destctld's
 *	"profile" map about each recipient domain, adds one
 *	X-Destctl-Destination header per domain, refuses at RCPT (when the
 *	profile says early_refusal) what cannot be delivered securely, and tags
 *	the envelope sender for bounce verification (BATV). Inbound bounces to
 *	tagged addresses are verified; X-Destctl-* headers that come in with
 *	any message are removed.
 *
 *	It listens on milter.listen; started as root, it drops to agent.user
 *	after opening its socket. SIGHUP reloads the configuration (a bad one
 *	is refused and the running one kept); SIGTERM stops it.
 * OPTIONS
 *	-c FILE	the configuration (default /etc/destctl/destctl.conf)
 *	-f	stay in the foreground; log to stderr as well as syslog
 *	-d	debug logging
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "agentc.h"
#include "callbacks.h"
#include "daemon.h"
#include "log.h"
#include "mconf.h"
#include "util.h"

#ifndef DESTCTL_VERSION
#define DESTCTL_VERSION "0.1.0"
#endif

static const char *config_path = CFG_DEFAULT_FILE;

/*
 * sigwait - libmilter's own signal thread stops the milter on SIGHUP. Ours
 * reloads instead: this definition takes the place of the C library's for
 * libmilter, and leaves SIGHUP out of what that thread waits for; the
 * milter's signal thread (signal_thread below) waits with sigwaitinfo(),
 * which libmilter does not use.
 */
int     sigwait(const sigset_t *set, int *sig)
{
    sigset_t s = *set;
    int     n;

    sigdelset(&s, SIGHUP);
    while ((n = sigwaitinfo(&s, NULL)) < 0 && errno == EINTR)
	 /* again */ ;
    if (n < 0)
	return errno;
    *sig = n;
    return 0;
}

/* signal_thread - SIGHUP: reload, validated first */
static void *signal_thread(void *arg)
{
    sigset_t set;
    struct mconf *c;

    (void) arg;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    for (;;) {
	if (sigwaitinfo(&set, NULL) != SIGHUP)
	    continue;
	msg_info("SIGHUP: reloading %s", config_path);
	if ((c = mconf_load(config_path)) == NULL) {
	    msg_warn("reload refused: %s is not valid; the running configuration "
		     "stays in force", config_path);
	    continue;
	}
	mconf_install(c);
	agentc_flush();
	msg_info("configuration reloaded file=%s", config_path);
    }
    return NULL;
}




/*
 * socket_access - a unix milter socket gets milter.socket_owner (agent.user
 * when empty), milter.socket_group (postfix when empty and that group
 * exists: Postfix's smtpd runs as postfix; else the owner's group) and
 * milter.socket_mode. libmilter creates it as whoever we are (root).
 */
static void socket_access(const struct cfg *c)
{
    const char *listen = c->milter_listen, *path, *owner, *group;
    struct passwd *pw;
    struct group *gr;
    gid_t   gid;
    mode_t  mode = (mode_t) strtol(c->milter_socket_mode, NULL, 8);

    if (strncmp(listen, "unix:", 5) == 0)
	path = listen + 5;
    else if (strncmp(listen, "local:", 6) == 0)
	path = listen + 6;
    else
	return;
    owner = *c->milter_socket_owner ? c->milter_socket_owner : c->agent_user;
    if ((pw = getpwnam(owner)) == NULL)
	msg_fatal("milter.socket_owner: user %s does not exist", owner);
    group = *c->milter_socket_group ? c->milter_socket_group : "postfix";
    if ((gr = getgrnam(group)) != NULL)
	gid = gr->gr_gid;
    else if (*c->milter_socket_group)
	msg_fatal("milter.socket_group: group %s does not exist", group);
    else
	gid = pw->pw_gid;
    /* Not root: the socket stays ours; a group of ours may still be given. */
    if (geteuid() != 0 && !*c->milter_socket_group)
	gid = (gid_t) -1;
    if (chown(path, geteuid() == 0 ? pw->pw_uid : (uid_t) -1, gid) < 0)
	msg_fatal_sys("cannot give milter socket %s to %s:%ld", path, owner, (long) gid);
    if (chmod(path, mode) < 0)
	msg_fatal_sys("cannot set the mode of milter socket %s", path);
    msg_info("milter socket %s owner=%s gid=%ld mode=%04o", path, owner, (long) gid,
	     (unsigned) mode);
}

int     main(int argc, char **argv)
{
    struct mconf *c;
    pthread_t tid;
    sigset_t set;
    struct daemon_opts opts;
    int     rc;

    daemon_parse_args(argc, argv, "destctl-milter", &opts);
    config_path = opts.config;
    log_init("destctl-milter", true);
    if ((c = mconf_load(config_path)) == NULL) {
	fprintf(stderr, "destctl-milter: invalid configuration %s; not started\n",
		config_path);
	return 2;
    }
    log_open_syslog(log_facility_code(c->cfg->agent_log_facility));
    log_set_debug(opts.debug || strcmp(c->cfg->agent_log_level, "debug") == 0);
    if (smfi_setconn(c->cfg->milter_listen) == MI_FAILURE
	|| smfi_register(milter_desc) == MI_FAILURE)
	msg_fatal("cannot set up libmilter on %s", c->cfg->milter_listen);
    umask(007);				/* a unix socket: owner and group only */
    if (smfi_opensocket(true) == MI_FAILURE)
	msg_fatal("cannot listen on %s", c->cfg->milter_listen);
    socket_access(c->cfg);
    if (!opts.foreground) {
	log_init("destctl-milter", false);
	daemon_detach();
    }
    daemon_drop_privileges(c->cfg->agent_user);
    mconf_install(c);
    signal(SIGPIPE, SIG_IGN);
    /* SIGHUP goes to our thread only: blocked here, inherited by all. */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (pthread_create(&tid, NULL, signal_thread, NULL) != 0)
	msg_fatal("cannot start the signal thread");
    pthread_detach(tid);
    msg_info("destctl-milter %s started config=%s listen=%s agent=%s", DESTCTL_VERSION,
	     config_path, c->cfg->milter_listen, c->cfg->milter_agent);
    rc = smfi_main();
    msg_info("destctl-milter stopped");
    return rc == MI_SUCCESS ? 0 : 1;
}
