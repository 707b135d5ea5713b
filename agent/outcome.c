/*
 * outcome - names of the outcomes, for logs; see outcome.h.
 */
#include <stddef.h>

#include "outcome.h"

#define COUNT(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const dane_outcome_names[] = {
    [DANE_OUT_NOT_ASKED] = "not-asked",
    [DANE_OUT_PENDING] = "pending",
    [DANE_OUT_ALL] = "all",
    [DANE_OUT_SOME] = "some",
    [DANE_OUT_NONE] = "none",
    [DANE_OUT_BOGUS] = "bogus",
    [DANE_OUT_DNS_ERROR] = "dns-error",
    [DANE_OUT_NULL_MX] = "null-mx",
};

static const char *const sts_state_names[] = {
    [STS_NOT_ASKED] = "not-asked",
    [STS_PENDING] = "pending",
    [STS_NONE] = "none",
    [STS_TESTING] = "testing",
    [STS_ENFORCE] = "enforce",
    [STS_DNS_ERROR] = "dns-error",
    [STS_BOGUS] = "bogus",
    [STS_NULL_MX] = "null-mx",
};

/* dane_outcome_name - a DANE outcome for logs, or "?" */
const char *dane_outcome_name(enum dane_outcome o)
{
    if ((int) o < 0 || (size_t) o >= COUNT(dane_outcome_names))
	return "?";
    return dane_outcome_names[o];
}

/* sts_state_name - an MTA-STS state for logs, or "?" */
const char *sts_state_name(enum sts_state s)
{
    if ((int) s < 0 || (size_t) s >= COUNT(sts_state_names))
	return "?";
    return sts_state_names[s];
}
