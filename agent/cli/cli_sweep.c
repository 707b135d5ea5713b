/*
 * cli_sweep - destctl sweep [--dry-run]: bounce profiles on Postfix.
 *
 * Postfix has one queue lifetime for all mail (maximal_queue_lifetime, and
 * bounce_queue_lifetime for bounces); a bounce profile asks for its own per
 * destination. The sweep reads the deferred queue (`postqueue -j`), and a
 * message whose every remaining recipient's destination has a bounce profile
 * whose lifetime has passed is expired (`postsuper -e`) and scheduled at
 * once (`postqueue -i`): Postfix returns it to its sender on that attempt.
 * A message that still has a recipient without such a profile is left to
 * Postfix's own lifetime: expiring it would bounce that recipient early
 * too. Run by destctl-sweep.timer; every expiry is logged.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_postfix.h"
#include "domain.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define SWEEP_OUTPUT_MAX ((size_t) 512 << 20)	/* postqueue -j of a big queue */

struct sweep_stats {
    size_t  seen, expired, kept, mixed, bad;
};

/* sweep_profile_of - the bounce profile for a recipient address, or NULL */
static const struct cfg_bounce_profile *sweep_profile_of(const struct cfg *c,
							         const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    char    domain[DOMAIN_MAX + 1], why[256];
    const struct profile *p;

    if (at == NULL || domain_normalize(at + 1, domain, why, sizeof(why)) < 0)
	return NULL;
    p = profile_table_match(c->profiles, domain);
    return cfg_bounce_profile_find(c, p->eff.bounce_profile);
}

/* sweep_id_ok - a Postfix queue id (short or long form) */
static bool sweep_id_ok(const char *id)
{
    size_t  n = id ? strlen(id) : 0;

    if (n == 0 || n > 32)
	return false;
    for (; *id; id++)
	if (!isalnum((unsigned char) *id))
	    return false;
    return true;
}

/* sweep_one - one queue record */
static void sweep_one(const struct cfg *c, const struct json *j, time_t now,
		              bool dry, struct sweep_stats *st)
{
    const char *queue = json_str(j, "queue_name"), *id = json_str(j, "queue_id");
    const char *sender = json_str(j, "sender"), *first = NULL, *bp_name = NULL;
    const struct json *rcpts = json_get(j, "recipients");
    const struct json *arrival = json_get(j, "arrival_time");
    const struct json *forced = json_get(j, "forced_expire");
    char   *dir = c->postfix_config_directory;
    long    need = 0, age;
    size_t  with = 0;

    if (queue == NULL || strcmp(queue, "deferred") != 0)
	return;				/* active mail is being tried; hold is held */
    st->seen++;
    if (!sweep_id_ok(id) || sender == NULL || rcpts == NULL
	|| rcpts->type != JSON_ARRAY || rcpts->len == 0 || arrival == NULL
	|| arrival->type != JSON_NUMBER) {
	msg_warn("sweep: a deferred message without id, sender, recipients or "
		 "arrival time in postqueue -j output: skipped");
	st->bad++;
	return;
    }
    for (size_t i = 0; i < rcpts->len; i++) {
	const char *addr = json_str(rcpts->v[i], "address");
	const struct cfg_bounce_profile *bp = sweep_profile_of(c, addr);
	long    life;

	if (bp == NULL)
	    continue;
	life = *sender == '\0' && bp->bounce_queue_lifetime ? bp->bounce_queue_lifetime
	    : bp->max_queue_lifetime;
	if (life > need) {
	    need = life;
	    bp_name = bp->name;
	}
	if (first == NULL)
	    first = addr;
	with++;
    }
    if (with < rcpts->len) {
	st->kept++;
	if (with > 0) {
	    st->mixed++;
	    msg_info("sweep: %s: kept: %zu of its %zu recipients have no bounce "
		     "profile, so Postfix's own lifetime applies", id,
		     rcpts->len - with, rcpts->len);
	}
	return;
    }
    age = (long) (now - (time_t) arrival->n);
    if (age < need) {
	st->kept++;
	return;
    }
    st->expired++;
    msg_info("sweep: %s: %sexpired after %ld s in the queue (bounce profile %s: "
	     "%ld s): from=<%s> to=<%s>%s", id, dry ? "would be " : "", age, bp_name,
	     need, sender, first, rcpts->len > 1 ? " and others" : "");
    if (dry)
	return;
    if (!(forced && forced->type == JSON_BOOL && forced->b)
	&& pf_run((char *[]) {"postsuper", "-c", dir, "-e", (char *) id, NULL}, true) != 0)
	msg_warn("sweep: %s: postsuper -e failed (delivered or removed meanwhile?)", id);
    else if (pf_run((char *[]) {"postqueue", "-c", dir, "-i", (char *) id, NULL},
		    true) != 0)
	msg_warn("sweep: %s: postqueue -i failed: it bounces at its next attempt", id);
}

/* sweep_needed - does any profile have a bounce profile */
static bool sweep_needed(const struct profile_table *t)
{
    if (t->def->eff.bounce_profile)
	return true;
    for (size_t i = 0; i < t->n; i++)
	if (t->v[i]->eff.bounce_profile)
	    return true;
    return false;
}

/* cli_sweep - sweep [--dry-run] */
int     cli_sweep(struct cli *cli)
{
    struct cfg *c;
    struct buf *out;
    struct sweep_stats st = {0};
    time_t  now;
    int     rc = CLI_OK, fac;

    if (cli->argc > 0 || cli->nopts > 0)
	return cli_usage("sweep", "sweep takes no arguments, only --dry-run");
    if ((c = cli_load(cli)) == NULL)
	return CLI_USAGE;
    if (!sweep_needed(c->profiles)) {
	printf("destctl: sweep: no destination has a bounce profile; nothing to do\n");
	cfg_free(c);
	return CLI_OK;
    }
    if ((fac = log_facility_code(c->agent_log_facility)) >= 0)
	log_open_syslog(fac);
    out = buf_alloc(65536, SWEEP_OUTPUT_MAX);
    if (pf_capture((char *[]) {"postqueue", "-c", c->postfix_config_directory, "-j",
		   NULL}, out) != 0 || buf_overflow(out)) {
	fprintf(stderr, "destctl: sweep: `postqueue -j` failed%s; nothing expired\n",
		buf_overflow(out) ? " (its output is too big)" : "");
	rc = CLI_FAILED;
	goto done;
    }
    now = time(NULL);
    for (char *line = out->data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
	struct json *j;
	char    why[128];

	nl = strchr(line, '\n');
	if (nl == line)
	    continue;
	if ((j = json_parse(line, nl ? (size_t) (nl - line) : strlen(line), why,
			    sizeof(why))) == NULL) {
	    msg_warn("sweep: cannot read a line of postqueue -j output: %s", why);
	    st.bad++;
	    continue;
	}
	sweep_one(c, j, now, cli->dry_run, &st);
	json_free(j);
    }
    printf("destctl: sweep: %zu deferred messages: %zu %sexpired, %zu kept%s\n",
	   st.seen, st.expired, cli->dry_run ? "would be " : "", st.kept,
	   st.bad ? " (some unreadable: see above)" : "");
  done:
    buf_free(out);
    cfg_free(c);
    return rc;
}
