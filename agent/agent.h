/*
 * agent - destctld's state: the event loop, the configuration snapshot in
 * force, and the modules (resolver, DANE, MTA-STS, lookup, servers). Exactly
 * one exists per process, created and torn down in destctld.c, passed
 * explicitly to whoever needs it. Only destctld.c and agent_reload() write
 * it; each module keeps its own state behind its own header.
 */
#ifndef DESTCTL_AGENT_H
#define DESTCTL_AGENT_H

#include <stdbool.h>
#include <time.h>

#include <event2/event.h>

#include "cfg.h"
#include "dane.h"
#include "resolver.h"
#include "lookup.h"
#include "server.h"
#include "sts.h"

/* A configuration snapshot, held by the agent and by each lookup in flight. */
struct agent_cfg {
    struct cfg *cfg;
    int     refs;
};

struct agent {
    struct event_base *base;
    const char *config_path;
    struct agent_cfg *cur;		/* the configuration in force */
    struct resolver *resolver;
    struct dane *dane;
    struct sts_cache *sts_cache;	/* durable MTA-STS policies, or NULL */
    struct sts_fetcher *fetcher;	/* HTTPS policy fetches */
    struct sts *sts;			/* MTA-STS outcomes */
    struct sm_server *server;		/* socketmap: Postfix, Sendmail, milter */
    struct sm_server *control;		/* root-only: status, flush, reload */
    struct lookup *lookup;		/* the socketmap maps' answers */
    time_t  started;
    time_t  loaded;			/* the configuration in force, when */
    unsigned long generation;		/* 1 at start, +1 per reload */
};

/* agent_cfg_hold, agent_cfg_release - reference the snapshot in force. */
extern struct agent_cfg *agent_cfg_hold(struct agent *a);
extern void agent_cfg_release(struct agent_cfg *ac);

/* agent_reload - load the configuration again; a bad one is refused (its
 * errors logged, the first also in why) and the running one kept. 0 when
 * the new one is in force. */
extern int agent_reload(struct agent *a, char *why, size_t whysz);

#endif
