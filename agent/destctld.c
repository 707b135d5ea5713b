/*
 * NAME
 *	destctld - destination controls agent for Postfix and Sendmail
 * SYNOPSIS
 *	destctld [-c FILE] [-f] [-d]
 * DESCRIPTION
 *	destctld answers, over the socketmap protocol, which TLS policy the
 *	MTA must apply to each destination: it finds the destination's
 *	profile, validates DNSSEC itself with libunbound, computes the DANE
 *	outcome (RFC 7672) and the MTA-STS policy (RFC 8461, fetched over
 *	HTTPS and kept in a durable cache), and decides. Postfix asks it through
 *	smtp_tls_policy_maps (map "tlspolicy"); the milter asks map "profile".
 *
 *	It binds every agent.listen socket and the root-only control socket,
 *	writes agent.pid_file, and, started as root, drops to agent.user.
 *	SIGHUP reloads the configuration (a bad one is refused and the running
 *	one kept); SIGTERM and SIGINT stop it cleanly.
 * OPTIONS
 *	-c FILE	the configuration (default /etc/destctl/destctl.conf)
 *	-f	stay in the foreground; log to stderr as well as syslog
 *	-d	debug logging (each DNS query and answer with its DNSSEC state)
 * EXIT STATUS
 *	0 after SIGTERM; 1 when it cannot start (the reason is logged);
 *	2 usage error or invalid configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agent.h"
#include "control.h"
#include "daemon.h"
#include "fsafe.h"
#include "log.h"
#include "util.h"

#ifndef DESTCTL_VERSION
#define DESTCTL_VERSION "0.1.0"
#endif

#define AGENT_MAX_CLIENTS	2000	/* socketmap connections at once, per listener */
#define AGENT_IDLE_TIMEOUT	30	/* seconds; Postfix itself closes after 10 */
#define AGENT_REQUEST_TIMEOUT	5	/* seconds from a request's first byte */
#define AGENT_DNS_INFLIGHT	500	/* resolutions at once */
#define AGENT_DNS_TIMEOUT_MS	8000	/* one DNS resolution */
#define AGENT_NOFILE_WANT	16384

static char *pid_file_written;		/* a copy: reloads free the config */


/* remove_pid_file - at exit */
static void remove_pid_file(void)
{
    if (pid_file_written)
	unlink(pid_file_written);
}

/* raise_nofile - room for many clients */
static void raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
	return;
    rl.rlim_cur = rl.rlim_max < AGENT_NOFILE_WANT && rl.rlim_max != RLIM_INFINITY
	? rl.rlim_max : AGENT_NOFILE_WANT;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < AGENT_NOFILE_WANT && geteuid() == 0)
	rl.rlim_max = rl.rlim_cur = AGENT_NOFILE_WANT;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
	msg_warn_sys("cannot raise the open file limit to %lu", (unsigned long) rl.rlim_cur);
}

/* write_pid_file - the pid, for destctl and init systems */
static void write_pid_file(const char *path)
{
    char    text[32];

    /* Never through a symbolic link, never into anything but a file. */
    snprintf(text, sizeof(text), "%ld\n", (long) getpid());
    if (fsafe_write_new(path, 0644, text) < 0)
	msg_fatal_sys("cannot write pid file %s", path);
    pid_file_written = xstrdup(path);
}


/* on_signal - SIGHUP reloads, SIGTERM/SIGINT stop */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct agent *a = arg;
    char    why[256];

    (void) what;
    if (sig == SIGHUP) {
	msg_info("SIGHUP: reloading %s", a->config_path);
	(void) control_reload(a, why, sizeof(why));
    } else {
	msg_info("signal %d: stopping", (int) sig);
	event_base_loopbreak(a->base);
    }
}

/* listen_all - every socketmap endpoint and the control socket */
static void listen_all(struct agent *a, const struct cfg *c, gid_t gid)
{
    char    why[512], endpoint[4096 + 8];

    for (size_t i = 0; i < c->agent_listen.n; i++)
	if (sm_server_listen(a->server, c->agent_listen.v[i], gid, why, sizeof(why)) < 0)
	    msg_fatal("cannot listen on %s: %s", c->agent_listen.v[i], why);
    snprintf(endpoint, sizeof(endpoint), "unix:%s", c->agent_control_socket);
    if (sm_server_listen(a->control, endpoint, (gid_t) - 1, why, sizeof(why)) < 0)
	msg_fatal("cannot listen on control socket %s: %s", c->agent_control_socket, why);
}


int     main(int argc, char **argv)
{
    struct agent a;
    struct daemon_opts opts;
    struct sm_limits limits = {AGENT_MAX_CLIENTS, AGENT_IDLE_TIMEOUT,
	AGENT_REQUEST_TIMEOUT};
    struct passwd *pw = NULL;
    struct diag d;
    struct cfg *c;
    struct event *sigs[3];
    char    why[512];

    daemon_parse_args(argc, argv, "destctld", &opts);
    log_init("destctld", true);
    /* libcurl's global state, before any thread (libunbound's) exists. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	msg_fatal("cannot initialise libcurl");
    diag_init(&d);
    if ((c = cfg_load_daemon(opts.config, &d)) == NULL) {
	diag_print_errors(&d, stderr);
	fprintf(stderr, "destctld: invalid configuration %s; not started\n", opts.config);
	return 2;
    }
    if (geteuid() == 0 && (pw = getpwnam(c->agent_user)) == NULL)
	msg_fatal("agent.user %s does not exist", c->agent_user);
    log_open_syslog(log_facility_code(c->agent_log_facility));
    log_set_debug(opts.debug || strcmp(c->agent_log_level, "debug") == 0);
    diag_log(&d);			/* the warnings, where the operator looks */
    diag_release(&d);
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();

    memset(&a, 0, sizeof(a));
    a.config_path = opts.config;
    a.started = a.loaded = time(NULL);
    a.generation = 1;
    a.base = event_base_new();
    a.cur = xcalloc(1, sizeof(*a.cur));
    a.cur->cfg = c;
    a.cur->refs = 1;
    a.lookup = lookup_new(&a);
    a.server = sm_server_new(a.base, &limits, lookup_handle, a.lookup);
    a.control = sm_server_new(a.base, &limits, control_handle, &a);
    listen_all(&a, c, pw ? pw->pw_gid : (gid_t) - 1);
    if (!opts.foreground) {
	/* Detach only once the sockets are bound, so that a supervisor that
	 * waits for the parent to exit finds the agent ready to answer. */
	log_init("destctld", false);
	daemon_detach();
	if (event_reinit(a.base) < 0)
	    msg_fatal("cannot reinitialise the event loop after fork");
    }
    write_pid_file(c->agent_pid_file);
    log_set_fatal_hook(remove_pid_file);
    daemon_drop_privileges(c->agent_user);
    if ((a.resolver = resolver_new(a.base, c, AGENT_DNS_TIMEOUT_MS, AGENT_DNS_INFLIGHT,
				   why, sizeof(why))) == NULL)
	msg_fatal("cannot start the resolver: %s", why);
    a.dane = dane_new(a.base, a.resolver);
    if ((a.fetcher = sts_fetcher_new(a.base, c->mta_sts_ca_file, c->mta_sts_proxy,
				     c->mta_sts_fetch_timeout, why, sizeof(why))) == NULL)
	msg_fatal("cannot start MTA-STS policy fetches: %s", why);
    /* Opened as agent.user: SQLite creates its -wal and -shm files beside. */
    if ((a.sts_cache = sts_cache_open(c->agent_cache_file, why, sizeof(why))) == NULL)
	msg_fatal("cannot open the MTA-STS cache %s: %s (a policy cache that "
		  "forgets is a downgrade: not starting)", c->agent_cache_file, why);
    a.sts = sts_new(a.base, a.resolver, a.fetcher, a.sts_cache);
    sigs[0] = evsignal_new(a.base, SIGHUP, on_signal, &a);
    sigs[1] = evsignal_new(a.base, SIGTERM, on_signal, &a);
    sigs[2] = evsignal_new(a.base, SIGINT, on_signal, &a);
    for (int i = 0; i < 3; i++)
	event_add(sigs[i], NULL);
    msg_info("destctld %s started config=%s destinations=%zu listen=%zu user=%s",
	     DESTCTL_VERSION, opts.config, c->profiles->n, c->agent_listen.n,
	     pw ? c->agent_user : "(not started as root: unchanged)");

    event_base_dispatch(a.base);

    for (int i = 0; i < 3; i++)
	event_free(sigs[i]);
    a.server = sm_server_free(a.server);
    a.control = sm_server_free(a.control);
    a.sts = sts_free(a.sts);
    a.fetcher = sts_fetcher_free(a.fetcher);
    a.sts_cache = sts_cache_close(a.sts_cache);
    a.resolver = resolver_free(a.resolver);
    a.dane = dane_free(a.dane);
    a.lookup = lookup_free(a.lookup);
    agent_cfg_release(a.cur);
    event_base_free(a.base);
    curl_global_cleanup();
    remove_pid_file();
    msg_info("destctld stopped");
    return 0;
}
