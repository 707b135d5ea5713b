/*
 * mstate - per-connection and per-message state; see mstate.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mstate.h"
#include "util.h"

/* mmsg_new - empty */
struct mmsg *mmsg_new(void)
{
    return xcalloc(1, sizeof(struct mmsg));
}

/* mmsg_free - the one clean-up for abort, close and the next message */
struct mmsg *mmsg_free(struct mmsg *m)
{
    if (m == NULL)
	return NULL;
    free(m->sender);
    for (size_t i = 0; i < m->nrewrites; i++) {
	free(m->rewrites[i].tagged);
	free(m->rewrites[i].plain);
    }
    for (size_t i = 0; i < m->nstrip; i++)
	free(m->strip[i].name);
    free(m->strip);
    free(m->dests);
    free(m);
    return NULL;
}

/* mmsg_dest - find a domain's entry */
struct dest_info *mmsg_dest(struct mmsg *m, const char *domain)
{
    for (size_t i = 0; i < m->ndests; i++)
	if (strcmp(m->dests[i].domain, domain) == 0)
	    return &m->dests[i];
    return NULL;
}

/* mmsg_add_dest - one more destination domain */
void    mmsg_add_dest(struct mmsg *m, const struct dest_info *info)
{
    if (m->ndests >= MSTATE_MAX_DESTS) {
	m->dropped_dests++;
	return;
    }
    if (m->ndests == m->capdests) {
	m->capdests = m->capdests ? m->capdests * 2 : 4;
	m->dests = xrealloc(m->dests, m->capdests * sizeof(*m->dests));
    }
    m->dests[m->ndests++] = *info;
}

/* mmsg_note_header - count an X-Destctl-* header by its name */
void    mmsg_note_header(struct mmsg *m, const char *name)
{
    for (size_t i = 0; i < m->nstrip; i++)
	if (strcasecmp(m->strip[i].name, name) == 0) {
	    m->strip[i].count++;
	    return;
	}
    if (m->nstrip == m->capstrip) {	/* no limit: every spoofed tag goes */
	m->capstrip = m->capstrip ? m->capstrip * 2 : 4;
	m->strip = xrealloc(m->strip, m->capstrip * sizeof(*m->strip));
    }
    m->strip[m->nstrip].name = xstrdup(name);
    m->strip[m->nstrip++].count = 1;
}
