/*
 * lookup - answer the socketmap maps (tlspolicy, profile): find the profile
 * for the key, gather the outcomes decide_next() asks for (DANE, MTA-STS,
 * waiting at most agent.lookup_timeout), render, reply. It holds no policy
 * of its own: every rule is in policy/decide.c.
 *
 * It owns its counters and its memory of each domain's last answer (to log
 * a decision once per change), bounded by LOOKUP_LAST_MAX domains.
 */
#ifndef DESTCTL_LOOKUP_H
#define DESTCTL_LOOKUP_H

#include "server.h"

struct agent;
struct lookup;

#define LOOKUP_TEMP_KINDS	8	/* TEMP causes kept for status */

struct lookup_stats {
    unsigned long requests;		/* socketmap requests answered or pending */
    unsigned long temps;		/* TEMP decisions */
    unsigned long answers[5];		/* by enum sockmap_status */
    struct {
	char    kind[48];		/* "dane=pending sts=not-asked" */
	unsigned long n;
    } temp_top[LOOKUP_TEMP_KINDS];	/* most frequent first; kind "" unused */
};

/* lookup_new - answers for a's maps; a's snapshot, DANE and MTA-STS are
 * read through a, which outlives the result. */
extern struct lookup *lookup_new(struct agent *a);

/* lookup_free - NULL. Call it after the DANE and MTA-STS modules are freed
 * (no callback can come): requests still waiting are answered TEMP (the
 * server has orphaned them) and freed. */
extern struct lookup *lookup_free(struct lookup *l);

/* lookup_handle - sm_handler for the socketmap maps; ctx is the lookup. */
extern void lookup_handle(void *ctx, struct sm_request *req, const char *map,
			          const char *key);

/* lookup_forget - forget the last answers, so every decision is logged
 * anew (after a reload or a flush). */
extern void lookup_forget(struct lookup *l);

/* lookup_stats - the counters; TEMP decisions by the outcomes that caused
 * them (the DANE outcome and the MTA-STS state), most frequent first. */
extern void lookup_stats(struct lookup *l, struct lookup_stats *st);

#endif
