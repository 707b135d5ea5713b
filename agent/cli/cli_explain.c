/*
 * cli_explain - destctl explain DOMAIN [--json] [--fresh]: what happens to
 * mail for DOMAIN, and why.
 *
 * From the configuration: the profile entry that matches (exact, .parent or
 * the default, with FILE:LINE), every effective setting with where it comes
 * from and how it is applied. From the running agent, through its own
 * socketmap listener (the same answers Postfix, the milter and Sendmail
 * get): the DANE and MTA-STS outcomes, the rule of the decision, the
 * tlspolicy answer (and the route's key), the milter's tag and refusal, and
 * the sts answer. --fresh first makes the agent forget what it holds for
 * the domain (flush), so the answers are resolved anew.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentc.h"
#include "cli.h"
#include "delivery.h"
#include "domain.h"
#include "util.h"

#define EXPLAIN_FIELDS	32
#define EXPLAIN_TAG_MAX	2800		/* as the milter's: every field fits */

/* One answer of the agent. */
struct explain_answer {
    const char *map;
    const char *key;
    enum sockmap_status st;
    struct buf *value;
    bool    asked;			/* a reply came */
};

/* explain_endpoint - the agent's socketmap endpoint: a unix one if any */
static const char *explain_endpoint(const struct cfg *c)
{
    for (size_t i = 0; i < c->agent_listen.n; i++)
	if (strncmp(c->agent_listen.v[i], "unix:", 5) == 0)
	    return c->agent_listen.v[i];
    return c->agent_listen.n ? c->agent_listen.v[0] : NULL;
}

/* explain_ask - the answers; false (said) when the agent cannot be asked */
static bool explain_ask(const struct cfg *c, struct explain_answer *v, size_t n)
{
    const char *ep = explain_endpoint(c);
    char    why[256];
    struct sockmap_client *sc;
    bool    ok = true;

    if (ep == NULL || (sc = sockmap_client_new(ep, (c->agent_lookup_timeout + 2) * 1000,
					       why, sizeof(why))) == NULL) {
	fprintf(stderr, "destctl: no agent.listen endpoint to ask\n");
	return false;
    }
    for (size_t i = 0; ok && i < n; i++) {
	if (v[i].key == NULL)
	    continue;
	if (sockmap_client_query(sc, v[i].map, v[i].key, &v[i].st, v[i].value) < 0) {
	    fprintf(stderr, "destctl: cannot ask destctld on %s: %s\n", ep,
		    v[i].value->data);
	    ok = false;
	} else {
	    v[i].asked = true;
	}
    }
    sockmap_client_free(sc);
    return ok;
}

/* explain_reply - an answer as the MTA sees it ("OK x", "TEMP why", ...) */
static void explain_reply(const struct explain_answer *a, struct buf *out)
{
    static const char *const names[] = {
	[SOCKMAP_OK] = "OK", [SOCKMAP_NOTFOUND] = "NOTFOUND", [SOCKMAP_TEMP] = "TEMP",
	[SOCKMAP_TIMEOUT] = "TIMEOUT", [SOCKMAP_PERM] = "PERM",
    };

    if (!a->asked) {
	buf_puts(out, "(not asked)");
	return;
    }
    buf_puts(out, (size_t) a->st < sizeof(names) / sizeof(names[0]) ? names[a->st] : "?");
    if (a->value->len)
	buf_printf(out, " %s", a->value->data);
}

/* explain_match - how p was chosen for domain */
static const char *explain_how(const struct profile *p, const char *domain)
{
    if (p->domain == NULL)
	return "default";
    return strcmp(p->domain, domain) == 0 ? "exact" : "parent";
}

/* explain_refusal - what the milter does at RCPT */
static void explain_refusal(const struct dest_info *d, struct buf *out)
{
    if (d->refuse == AGENTC_REFUSE_NONE)
	buf_puts(out, "accepts");
    else if (!d->early_refusal)
	buf_printf(out, "accepts (early_refusal off; Postfix %s it)",
		   d->refuse == AGENTC_REFUSE_TEMP ? "defers" : "bounces");
    else
	buf_printf(out, "refuses at RCPT: %s %s", d->refuse == AGENTC_REFUSE_TEMP
		   ? "450" : "550", agentc_refuse_dsn(d->refuse));
}

/* explain_transport - Postfix's transport for domain (profile p) */
static void explain_transport(const struct cfg *c, const struct profile *p,
			              struct buf *out)
{
    struct diag d;
    struct dlv_plan *plan;

    diag_init(&d);
    if ((plan = dlv_plan_build(c, c->profiles, &d)) == NULL) {
	buf_puts(out, "(cannot be generated: see destctl postfix)");
    } else if (p->domain == NULL) {
	buf_printf(out, "default_transport = %s", plan->default_transport);
    } else {
	for (size_t i = 0; i < plan->nent; i++)
	    if (plan->ent[i].p == p)
		buf_printf(out, "%s %s", p->domain, plan->ent[i].value);
    }
    dlv_plan_free(plan);
    diag_release(&d);
}

/* explain_text - for people */
static void explain_text(const struct cfg *c, const char *domain,
			         const struct profile *p, struct explain_answer *a,
			         bool agent, const struct dest_info *info,
			         struct cli_field *f, int n)
{
    struct buf *b = buf_alloc(256, 1 << 20);
    char    tag[EXPLAIN_TAG_MAX];

    printf("%s: %s profile", domain, explain_how(p, domain));
    if (p->domain)
	printf(" %s", p->domain);
    if (p->file)
	printf(" (%s:%d)", p->file, p->line);
    printf("\n\nsettings:\n");
    for (int k = 0; k < PK_COUNT; k++) {
	const char *from = (p->set & PK_BIT(k)) ? "set" : p->domain ? "from default"
	: "built-in";

	buf_reset(b);
	profile_format(&p->eff, (enum profile_key) k, PF_TEXT, b);
	printf("  %-24s %-22s %s\n", profile_keys[k].name, b->data, from);
    }
    printf("\nthe agent (%s):\n", agent ? "running" : "not reachable");
    if (agent) {
	printf("  %-24s %s\n  %-24s %s\n  %-24s %s\n", "DANE outcome",
	       cli_field_get(f, n, "dane_outcome"), "MTA-STS state",
	       cli_field_get(f, n, "sts_state"), "rule", cli_field_get(f, n, "reason"));
    }
    printf("\nanswers:\n");
    buf_reset(b);
    explain_reply(&a[1], b);
    printf("  %-24s %s\n", "Postfix tlspolicy", b->data);
    if (a[2].key) {
	buf_reset(b);
	explain_reply(&a[2], b);
	printf("  %-24s %s (%s)\n", "Postfix tlspolicy", b->data, a[2].key);
    }
    buf_reset(b);
    explain_transport(c, p, b);
    printf("  %-24s %s\n", "Postfix transport", b->data);
    if (agent) {
	agentc_tag(info, tag, sizeof(tag));
	printf("  %-24s X-Destctl-Destination: %s\n", "milter tag", tag);
	buf_reset(b);
	explain_refusal(info, b);
	printf("  %-24s %s\n", "milter at RCPT", b->data);
    }
    buf_reset(b);
    explain_reply(&a[3], b);
    printf("  %-24s %s\n", "Sendmail sts", b->data);
    buf_free(b);
}

/* explain_member - ", \"key\": \"text\"" */
static void explain_member(struct buf *out, const char *key, const struct buf *text)
{
    buf_printf(out, ", \"%s\": ", key);
    buf_put_json(out, text->data);
}

/* explain_json - the same facts */
static void explain_json(const struct cfg *c, const char *domain,
			         const struct profile *p, struct explain_answer *a,
			         bool agent, const struct dest_info *info,
			         struct cli_field *f, int n)
{
    struct buf *out = buf_alloc(4096, 1 << 20), *b = buf_alloc(256, 1 << 20);
    char    tag[EXPLAIN_TAG_MAX];
    static const char *const keys[] = {"dane_outcome", "sts_state", "reason", "refuse",
    "service"};

    buf_puts(out, "{\"domain\": ");
    buf_put_json(out, domain);
    buf_printf(out, ", \"match\": \"%s\", \"entry\": ", explain_how(p, domain));
    if (p->domain)
	buf_put_json(out, p->domain);
    else
	buf_puts(out, "null");
    if (p->file) {
	buf_puts(out, ", \"file\": ");
	buf_put_json(out, p->file);
	buf_printf(out, ", \"line\": %d", p->line);
    }
    buf_puts(out, ", \"settings\": {");
    for (int k = 0; k < PK_COUNT; k++) {
	buf_printf(out, "%s\"%s\": {\"value\": ", k ? ", " : "", profile_keys[k].name);
	profile_format(&p->eff, (enum profile_key) k, PF_JSON, out);
	buf_printf(out, ", \"from\": \"%s\"}", (p->set & PK_BIT(k)) ? "set"
		   : p->domain ? "default" : "built-in");
    }
    buf_printf(out, "}, \"agent\": %s", agent ? "true" : "false");
    for (size_t i = 0; agent && i < sizeof(keys) / sizeof(keys[0]); i++) {
	buf_printf(out, ", \"%s\": ", keys[i]);
	buf_put_json(out, cli_field_get(f, n, keys[i]));
    }
    buf_puts(out, ", \"answers\": {\"tlspolicy\": ");
    explain_reply(&a[1], b);
    buf_put_json(out, b->data);
    if (a[2].key) {
	buf_reset(b);
	explain_reply(&a[2], b);
	explain_member(out, "tlspolicy_route", b);
    }
    buf_reset(b);
    explain_transport(c, p, b);
    explain_member(out, "transport", b);
    if (agent) {
	agentc_tag(info, tag, sizeof(tag));
	buf_puts(out, ", \"milter_tag\": ");
	buf_put_json(out, tag);
	buf_reset(b);
	explain_refusal(info, b);
	explain_member(out, "milter_rcpt", b);
    }
    buf_reset(b);
    explain_reply(&a[3], b);
    explain_member(out, "sts", b);
    buf_puts(out, "}}\n");
    fputs(out->data, stdout);
    buf_free(b);
    buf_free(out);
}

/* cli_explain - explain DOMAIN [--json] [--fresh] */
int     cli_explain(struct cli *cli)
{
    struct cfg *c;
    const struct profile *p;
    char    domain[DOMAIN_MAX + 2], why[256];
    struct explain_answer a[4];
    struct cli_field f[EXPLAIN_FIELDS];
    struct dest_info info;
    enum sockmap_status st;
    struct buf *flushed;
    bool    agent;
    int     n = 0;

    if (cli->argc != 1 || cli->nopts > 0)
	return cli_usage("explain", "explain takes one DOMAIN");
    if (domain_normalize(cli->argv[0], domain, why, sizeof(why)) < 0) {
	fprintf(stderr, "destctl: invalid domain \"%s\": %s\n", cli->argv[0], why);
	return CLI_USAGE;
    }
    if ((c = cli_load(cli)) == NULL)
	return CLI_USAGE;
    p = profile_table_match(c->profiles, domain);
    if (cli->fresh) {
	flushed = buf_alloc(256, 4096);
	if (cli_control(c, "flush", domain, &st, flushed) == 0 && st != SOCKMAP_OK)
	    fprintf(stderr, "destctl: flush %s refused: %s\n", domain, flushed->data);
	buf_free(flushed);
    }
    memset(a, 0, sizeof(a));
    memset(&info, 0, sizeof(info));
    a[0].map = "profile";
    a[1].map = "tlspolicy";
    a[2].map = "tlspolicy";
    a[3].map = "sts";
    a[0].key = a[1].key = a[3].key = domain;
    a[2].key = p->eff.route;		/* the key Postfix asks for a route */
    for (size_t i = 0; i < 4; i++)
	a[i].value = buf_alloc(256, 65536);
    /* The milter's own reading of the profile answer, then its fields. */
    if ((agent = explain_ask(c, a, 4)) && a[0].st == SOCKMAP_OK
	&& agentc_parse(a[0].value->data, &info, why, sizeof(why)) == 0)
	n = cli_fields(a[0].value->data, f, EXPLAIN_FIELDS);
    agent = agent && n > 0;
    if (cli->json)
	explain_json(c, domain, p, a, agent, &info, f, n);
    else
	explain_text(c, domain, p, a, agent, &info, f, n);
    for (size_t i = 0; i < 4; i++)
	buf_free(a[i].value);
    cfg_free(c);
    return agent ? CLI_OK : CLI_FAILED;
}
