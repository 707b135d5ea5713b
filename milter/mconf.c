/*
 * mconf - configuration snapshots for the milter; see mconf.h.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mconf.h"
#include "util.h"

static pthread_mutex_t mconf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mconf *mconf_current;

/* mconf_free - the last reference is gone */
static void mconf_free(struct mconf *c)
{
    cfg_free(c->cfg);
    netlist_free(c->internal);
    batv_keys_free(c->keys);
    free(c);
}

/*
 * mconf_key_access - the key file is secret (nobody but its owner and group
 * may read it) and, when we run as root, readable by user after the
 * privilege drop: else the first SIGHUP could not read it again.
 */
static int mconf_key_access(const char *path, const char *user, char *why, size_t whysz)
{
    struct stat st;
    struct passwd *pw;

    if (stat(path, &st) < 0) {
	snprintf(why, whysz, "%s: %s", path, strerror(errno));
	return -1;
    }
    if (st.st_mode & S_IROTH) {
	snprintf(why, whysz, "%s is readable by others (mode %04o): keys are secret; "
		 "chown root:%s and chmod 0640", path, (unsigned) (st.st_mode & 07777), user);
	return -1;
    }
    if ((pw = getpwnam(user)) != NULL && (st.st_mode & S_IRGRP)
	&& st.st_gid != 0 && st.st_gid != pw->pw_gid) {
	snprintf(why, whysz, "%s is readable by group %ld, neither root's nor %s's: "
		 "keys are secret; chown root:%s and chmod 0640", path, (long) st.st_gid,
		 user, user);
	return -1;
    }
    if (geteuid() != 0 || pw == NULL)
	return 0;			/* after the drop: reading it says it all */
    if ((st.st_uid == pw->pw_uid && (st.st_mode & S_IRUSR))
	|| (st.st_gid == pw->pw_gid && (st.st_mode & S_IRGRP)))
	return 0;
    snprintf(why, whysz, "%s cannot be read by %s (agent.user) after the privilege "
	     "drop, so a reload would fail: chown root:%s and chmod 0640", path, user, user);
    return -1;
}

/* mconf_load - everything validated before anything is used */
struct mconf *mconf_load(const char *path)
{
    struct mconf *c = xcalloc(1, sizeof(*c));
    struct diag d;
    char    why[512];

    diag_init(&d);
    /* The milter reads no profiles (it asks the agent): the files it reads
     * must be safe to trust, an empty destinations file is the agent's. */
    if ((c->cfg = cfg_load(path, &d)) == NULL
	|| cfg_trust_check(c->cfg, cfg_daemon_uid(c->cfg->agent_user), &d) < 0) {
	c->cfg = cfg_free(c->cfg);
	diag_log(&d);
	diag_release(&d);
	free(c);
	return NULL;
    }
    diag_release(&d);
    c->internal = netlist_new(c->cfg->milter_internal_networks.v,
			      c->cfg->milter_internal_networks.n, why, sizeof(why));
    if (c->internal == NULL) {
	msg_warn("%s: milter.internal_networks: %s", path, why);
	goto bad;
    }
    if (access(c->cfg->bv_key_file, F_OK) == 0
	&& mconf_key_access(c->cfg->bv_key_file, c->cfg->agent_user, why, sizeof(why)) < 0) {
	msg_warn("bounce verification keys: %s", why);
	goto bad;
    }
    if (access(c->cfg->bv_key_file, F_OK) == 0) {
	/* Others cannot read it (mconf_key_access): no warning left to give. */
	if ((c->keys = batv_keys_load(c->cfg->bv_key_file, NULL, why, sizeof(why))) == NULL) {
	    msg_warn("bounce verification keys: %s", why);
	    goto bad;
	}
    }
    c->refs = 1;
    return c;
  bad:
    mconf_free(c);
    return NULL;
}

/* mconf_install - swap in a new snapshot */
void    mconf_install(struct mconf *c)
{
    struct mconf *old;

    pthread_mutex_lock(&mconf_lock);
    old = mconf_current;
    mconf_current = c;
    pthread_mutex_unlock(&mconf_lock);
    mconf_release(old);
}

/* mconf_hold - reference the snapshot in force */
struct mconf *mconf_hold(void)
{
    struct mconf *c;

    pthread_mutex_lock(&mconf_lock);
    if ((c = mconf_current) != NULL)
	c->refs++;
    pthread_mutex_unlock(&mconf_lock);
    return c;
}

/* mconf_release - drop a reference */
void    mconf_release(struct mconf *c)
{
    bool    last;

    if (c == NULL)
	return;
    pthread_mutex_lock(&mconf_lock);
    last = --c->refs == 0;
    pthread_mutex_unlock(&mconf_lock);
    if (last)
	mconf_free(c);
}

/* mconf_listed - list membership */
bool    mconf_listed(const struct strlist *l, const char *name)
{
    if (name == NULL)
	return false;
    for (size_t i = 0; i < l->n; i++)
	if (strcasecmp(l->v[i], name) == 0)
	    return true;
    return false;
}
