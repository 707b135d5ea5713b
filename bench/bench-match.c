/*
 * bench-match - profile matching over 100,000 destinations.
 *
 * Builds a table of 100,000 entries (half exact, half .parent), then looks up
 * a mix of names that hit an exact entry, hit a parent two labels up, and hit
 * nothing (the default). Prints lookups per second for profile_table_match()
 * and, as the yardstick, for a plain linear scan over the same entries (run
 * on fewer lookups: it is that slow), and the ratio between the two.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "profile.h"

#define NDEST		100000
#define NLOOKUP		2000000
#define NLINEAR		2000

/* now - monotonic seconds */
static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* lookup_name - the i-th name looked up */
static void lookup_name(char *out, size_t size, unsigned i)
{
    unsigned d = (i * 7919u) % NDEST;

    switch (i % 3) {
    case 0:				/* exact entry (even d) or none */
	snprintf(out, size, "d%u.example", d);
	break;
    case 1:				/* under a parent entry (odd d) or none */
	snprintf(out, size, "mx1.mail.d%u.example", d);
	break;
    default:				/* nothing matches */
	snprintf(out, size, "host%u.elsewhere.test", d);
	break;
    }
}

/* linear_match - the naive way: compare against every entry */
static const struct profile *linear_match(const struct profile_table *t, const char *name)
{
    const struct profile *best = NULL;
    size_t  len = strlen(name), blen = 0;

    for (size_t i = 0; i < t->n; i++) {
	const char *dom = t->v[i]->domain;
	size_t  dlen = strlen(dom);

	if (dom[0] != '.' && strcmp(dom, name) == 0)
	    return t->v[i];
	if (dom[0] == '.' && len > dlen && strcmp(name + len - dlen, dom) == 0
	    && dlen > blen)
	    best = t->v[i], blen = dlen;
    }
    return best ? best : t->def;
}

int     main(void)
{
    struct profile_table *t = profile_table_new();
    char    name[128];
    double  t0, hash_s, lin_s, hash_rate, lin_rate;
    size_t  hits = 0, lhits = 0;

    log_init("bench-match", true);
    for (unsigned i = 0; i < NDEST; i++) {
	snprintf(name, sizeof(name), "%sd%u.example", i % 2 ? ".mail." : "", i);
	if (profile_table_add(t, profile_new(name)) < 0)
	    msg_fatal("duplicate %s", name);
    }
    profile_table_resolve(t);

    t0 = now();
    for (unsigned i = 0; i < NLOOKUP; i++) {
	lookup_name(name, sizeof(name), i);
	hits += profile_table_match(t, name) != t->def;
    }
    hash_s = now() - t0;

    t0 = now();
    for (unsigned i = 0; i < NLINEAR; i++) {
	lookup_name(name, sizeof(name), i);
	lhits += linear_match(t, name) != t->def;
    }
    lin_s = now() - t0;

    hash_rate = NLOOKUP / hash_s;
    lin_rate = NLINEAR / lin_s;
    printf("profile matching over %d destinations (half exact, half .parent)\n", NDEST);
    printf("  profile_table_match: %d lookups in %.3f s = %.0f lookups/s (%zu matched)\n",
	   NLOOKUP, hash_s, hash_rate, hits);
    printf("  linear scan:         %d lookups in %.3f s = %.0f lookups/s (%zu matched)\n",
	   NLINEAR, lin_s, lin_rate, lhits);
    printf("  ratio: %.0fx the linear scan\n", hash_rate / lin_rate);
    profile_table_free(t);
    return 0;
}
