/*
 * agentc - the milter's questions to destctld: the `profile` map for a
 * recipient domain, over one persistent socketmap connection per libmilter
 * worker thread, with a short process-wide cache.
 *
 * A thread whose connection failed does not try again before a backoff (1 s,
 * doubling to 30 s, reset by a success), so an agent that is down costs each
 * message one fast failure, not a connect timeout per recipient. Answers are
 * cached per domain for AGENTC_CACHE_TTL seconds across threads (a mutex).
 */
#ifndef DESTCTL_AGENTC_H
#define DESTCTL_AGENTC_H

#include <stdbool.h>
#include <stddef.h>

#define AGENTC_CACHE_TTL	30	/* seconds */
#define AGENTC_MARGIN		5	/* seconds past agent.lookup_timeout */

enum agentc_refuse {
    AGENTC_REFUSE_NONE,
    AGENTC_REFUSE_TEMP,
    AGENTC_REFUSE_PERM,
};

/* What the agent said about one destination domain (the profile map). */
struct dest_info {
    char    domain[256];
    char    profile[256];
    char    tls[32];
    char    dane[16];
    bool    mta_sts;
    char    decision[1536];		/* the tlspolicy value, or "TEMP" */
    char    reason[512];
    bool    bounce_verification;
    enum agentc_refuse refuse;
    bool    early_refusal;
    char    service[128];		/* the Postfix delivery service (delivery.h) */
};

/* agentc_tag - d as the X-Destctl-Destination header value, into out. */
extern void agentc_tag(const struct dest_info *d, char *out, size_t outsz);

/* agentc_refuse_dsn - the enhanced status code of an early refusal. */
extern const char *agentc_refuse_dsn(enum agentc_refuse r);

enum agentc_status {
    AGENTC_OK,				/* *info filled */
    AGENTC_UNAVAILABLE,			/* the agent could not answer: why */
};

/*
 * agentc_parse - the profile map value ("domain=... profile=... ..."),
 * percent-decoded, into info. -1 with why when a required field is missing
 * or malformed (unknown fields are ignored: the agent may add some).
 */
extern int agentc_parse(const char *value, struct dest_info *info, char *why,
		                size_t whysz);

/* agentc_profile - ask the agent at endpoint about domain (A-label), waiting
 * at most timeout_ms (agent.lookup_timeout and a margin: the agent answers
 * TEMP itself by then). */
extern enum agentc_status agentc_profile(const char *endpoint, const char *domain,
				                 int timeout_ms, struct dest_info *info,
				                 char *why, size_t whysz);

/* agentc_flush - forget the process-wide cache (a reload). */
extern void agentc_flush(void);

#endif
