/*
 * mconf - the milter's configuration snapshot, shared by libmilter's worker
 * threads: held for the length of a callback, swapped whole by a reload.
 */
#ifndef DESTCTL_MCONF_H
#define DESTCTL_MCONF_H

#include "batv.h"
#include "cfg.h"
#include "netmatch.h"

struct mconf {
    struct cfg *cfg;
    struct netlist *internal;		/* milter.internal_networks */
    struct batv_keys *keys;		/* NULL: no key file, no tagging */
    int     refs;
};

/* mconf_load - load and validate path completely; NULL with its errors logged. */
extern struct mconf *mconf_load(const char *path);

/* mconf_install - make c the snapshot in force (takes the reference). */
extern void mconf_install(struct mconf *c);

/* mconf_hold - the snapshot in force, referenced; mconf_release drops it. */
extern struct mconf *mconf_hold(void);
extern void mconf_release(struct mconf *c);

/* mconf_listed - name is one of the list's strings (case-insensitive). */
extern bool mconf_listed(const struct strlist *l, const char *name);

#endif
