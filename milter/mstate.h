/*
 * mstate - what the milter keeps per SMTP connection and per message, and
 * the one function that frees a message's state on every path (abort, close,
 * the next MAIL FROM).
 */
#ifndef DESTCTL_MSTATE_H
#define DESTCTL_MSTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "agentc.h"

#define MSTATE_MAX_DESTS	100	/* distinct recipient domains tagged */
#define MSTATE_MAX_REWRITES	100	/* prvs= recipients rewritten */

/* A recipient to rewrite from its prvs= form to the plain address. */
struct mrewrite {
    char   *tagged;
    char   *plain;
};

/* An incoming X-Destctl-* header name and how often it came. */
struct mstrip {
    char   *name;
    int     count;
};

struct mmsg {
    bool    outbound;
    bool    local;			/* non-SMTP submission: never refuse */
    bool    null_sender;
    char   *sender;			/* without <> */
    struct dest_info *dests;		/* grown as domains come, at most MSTATE_MAX_DESTS */
    size_t  ndests, capdests;
    size_t  dropped_dests;		/* past MSTATE_MAX_DESTS */
    bool    batv;			/* some destination wants bounce verification */
    bool    agent_failed;		/* on_agent_error = accept: decision unknown */
    bool    untagged_bounce;		/* accepted, not verified: say so */
    struct mrewrite rewrites[MSTATE_MAX_REWRITES];
    size_t  nrewrites;
    struct mstrip *strip;		/* every X-Destctl-* name that came in */
    size_t  nstrip, capstrip;
};

struct mconn {
    char    addr[64];			/* client address, text */
    bool    internal;			/* inside milter.internal_networks */
    struct mmsg *msg;			/* the message in progress, or NULL */
};

/* mmsg_new - an empty message state. */
extern struct mmsg *mmsg_new(void);

/* mmsg_free - free everything a message holds (NULL is fine); NULL. */
extern struct mmsg *mmsg_free(struct mmsg *m);

/* mmsg_dest - the destination entry for domain, or NULL. */
extern struct dest_info *mmsg_dest(struct mmsg *m, const char *domain);

/* mmsg_add_dest - remember a domain's answer (a copy); past MSTATE_MAX_DESTS
 * it is counted in dropped_dests instead. */
extern void mmsg_add_dest(struct mmsg *m, const struct dest_info *info);

/* mmsg_note_header - remember one incoming X-Destctl-* header by name. */
extern void mmsg_note_header(struct mmsg *m, const char *name);

#endif
