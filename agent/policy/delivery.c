/*
 * delivery - the Postfix side of the delivery settings (see delivery.h).
 *
 * Each mapping below was checked against Postfix 3.7's documentation
 * (postconf(5), transport(5), master(5)) and its queue manager source; the
 * comments say why it is the one chosen.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "log.h"
#include "util.h"

/* Held mail: a recipient limit of 0 lets nothing through (error(8) as retry). */
#define DLV_HOLD	"retry"
#define DLV_HOLD_TEXT	"4.7.1 held by destctl: this destination's recipient_limit is 0"

/*
 * With one delivery at a time, one failed connection would make Postfix
 * treat the destination as dead (the failed-cohort limit defaults to 1);
 * postconf(5) asks for 10 or more with a rate delay, and the reasoning is
 * the same for a concurrency limit of 1.
 */
#define DLV_COHORT	"10"

/* dlv_name - the service name for settings s */
static void dlv_name(const struct profile_settings *s, char *out, size_t outsz)
{
    static const char *const ip_part[] = {
	[IP_IPV6_PREFERRED] = "v6pref", [IP_IPV4_PREFERRED] = "v4pref",
	[IP_IPV6_ONLY] = "v6only", [IP_IPV4_ONLY] = "v4only",
    };
    struct profile_settings b;
    size_t  len;

    profile_builtin(&b);
    snprintf(out, outsz, "destctl");
#define DLV_ADD(...) do { len = strlen(out); \
	snprintf(out + len, outsz - len, __VA_ARGS__); } while (0)
    if (s->concurrency != b.concurrency)
	DLV_ADD("-c%d", s->concurrency);
    if (s->messages_per_connection != b.messages_per_connection)
	DLV_ADD("-m%d", s->messages_per_connection);
    if (s->recipient_count >= 0)
	DLV_ADD("-r%ldper%dm", s->recipient_count, s->recipient_minutes);
    if (s->ip_preference != b.ip_preference)
	DLV_ADD("-%s", ip_part[s->ip_preference]);
    if (s->client_certificate) {
	DLV_ADD("-cert-");
	/* Names allow '.'; keep main.cf parameter names to [A-Za-z0-9_-]. */
	for (const char *p = s->client_certificate; *p; p++)
	    DLV_ADD("%c", *p == '.' ? '_' : *p);
    }
    if (strcmp(out, "destctl") == 0)
	DLV_ADD("-base");
#undef DLV_ADD
}

/* dlv_transport - service name, or the hold transport */
const char *dlv_transport(const struct profile_settings *s, char *out, size_t outsz)
{
    if (s->recipient_count == 0)
	snprintf(out, outsz, "%s", DLV_HOLD);
    else
	dlv_name(s, out, outsz);
    return out;
}

/*
 * dlv_rate - recipients per delivery and seconds between deliveries.
 *
 * Postfix has no "N recipients per M minutes"; its queue manager has, per
 * transport, a delay between deliveries to one destination
 * (_destination_rate_delay, in whole seconds) and a recipient limit per
 * delivery (_destination_recipient_limit). One delivery of at most rcpt
 * recipients every delay seconds never exceeds rcpt/delay. The recipient
 * limit stays at 2 or more: at 1, Postfix counts the delay (and the
 * concurrency) per recipient instead of per domain. So: at 2 or more
 * recipients a second, one delivery a second with as many recipients as the
 * rate allows (at most 1000); below that, 2 recipients per delivery and
 * the delay rounded up, which errs on the slow side.
 */
void    dlv_rate(long count, int minutes, int *rcpt, int *delay)
{
    long    secs = 60L * minutes;

    if (count >= 2 * secs) {
	*delay = 1;
	*rcpt = count / secs > 1000 ? 1000 : (int) (count / secs);
    } else {
	*rcpt = 2;
	*delay = (int) ((2 * secs + count - 1) / count);
    }
}

/* dlv_put - append name = value to a parameter list */
static void dlv_put(struct dlv_param *v, int *n, const char *prefix,
		            const char *name, const char *fmt,...)
	__attribute__((format(printf, 5, 6)));

static void dlv_put(struct dlv_param *v, int *n, const char *prefix,
		            const char *name, const char *fmt,...)
{
    struct buf *b = buf_alloc(64, 8192);
    va_list ap;

    if (*n >= DLV_MAX_PARAMS)
	msg_panic("dlv_put: too many parameters");
    snprintf(v[*n].name, sizeof(v[*n].name), "%s%s", prefix, name);
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
    v[(*n)++].value = buf_steal(b);
}

/* dlv_fill - the overrides and parameters of one service */
static void dlv_fill(struct dlv_service *v, const struct cfg *c)
{
    static const char *const ip_opt[][2] = {
	/* Preferred: smtp_address_preference orders the addresses of each MX
	 * host; the other family stays usable (inet_protocols is main.cf's). */
	[IP_IPV6_PREFERRED] = {"smtp_address_preference", "ipv6"},
	[IP_IPV4_PREFERRED] = {"smtp_address_preference", "ipv4"},
	/* Only: inet_protocols on the service makes its DNS lookups and
	 * connections use one family; smtp(8) honours it per service. */
	[IP_IPV6_ONLY] = {"inet_protocols", "ipv6"},
	[IP_IPV4_ONLY] = {"inet_protocols", "ipv4"},
    };
    const struct profile_settings *s = v->s;
    const struct cfg_certificate *cert = cfg_certificate_find(c, s->client_certificate);
    char    pre[DLV_NAME_MAX + 1];
    int     rcpt = 0, delay = 0, concurrency = s->concurrency;

    dlv_put(v->opt, &v->nopt, "", ip_opt[s->ip_preference][0], "%s",
	    ip_opt[s->ip_preference][1]);

    /*
     * Messages per connection: smtp_connection_reuse_count_limit counts the
     * times a cached session is used again, so N messages is N-1 reuses.
     * Reuse needs the connection cache for every destination of the service
     * (not only on demand) and, for TLS sessions, tlsproxy(8)
     * (smtp_tls_connection_reuse). One message per connection is no cache.
     */
    if (s->messages_per_connection <= 1) {
	dlv_put(v->opt, &v->nopt, "", "smtp_connection_cache_on_demand", "no");
    } else {
	dlv_put(v->opt, &v->nopt, "", "smtp_connection_cache_destinations",
		"static:all");
	dlv_put(v->opt, &v->nopt, "", "smtp_connection_reuse_count_limit", "%d",
		s->messages_per_connection - 1);
	dlv_put(v->opt, &v->nopt, "", "smtp_tls_connection_reuse", "yes");
    }

    /*
     * Client certificate: the service's own key and chain, read by smtp(8)
     * before it drops privileges (so the file may be root-only). A TLS
     * connection that is reused lives in tlsproxy(8), which must hold the
     * same client settings and read the file at its start, as root: a
     * tlsproxy service of the service's own (tlsproxy_service_name).
     */
    if (cert) {
	dlv_put(v->opt, &v->nopt, "", "smtp_tls_chain_files", "%s", cert->chain_file);
	if (s->messages_per_connection > 1) {
	    dlv_put(v->opt, &v->nopt, "", "tlsproxy_service_name", "%s-tlsproxy",
		    v->name);
	    v->chain_file = cert->chain_file;
	}
    }

    /*
     * Concurrency: qmgr's per-transport _destination_concurrency_limit is
     * per destination (the next hop: the recipient domain, or the route).
     * A rate delay makes qmgr use 1 whatever the limit says; write what
     * applies.
     */
    snprintf(pre, sizeof(pre), "%s_", v->name);
    if (s->recipient_count > 0) {
	dlv_rate(s->recipient_count, s->recipient_minutes, &rcpt, &delay);
	concurrency = 1;
    }
    dlv_put(v->main, &v->nmain, pre, "destination_concurrency_limit", "%d",
	    concurrency);
    if (rcpt) {
	dlv_put(v->main, &v->nmain, pre, "destination_rate_delay", "%ds", delay);
	dlv_put(v->main, &v->nmain, pre, "destination_recipient_limit", "%d", rcpt);
    }
    if (concurrency == 1)
	dlv_put(v->main, &v->nmain, pre, "destination_concurrency_failed_cohort_limit",
		"%s", DLV_COHORT);
}

/* dlv_service_for - the plan's service for s, added when new; NULL on error */
static struct dlv_service *dlv_service_for(struct dlv_plan *plan, const struct cfg *c,
				              const struct profile *p, struct diag *d)
{
    const struct profile_settings *s = &p->eff;
    char    name[DLV_NAME_MAX];
    struct dlv_service *v;

    dlv_name(s, name, sizeof(name));
    for (size_t i = 0; i < plan->nsvc; i++) {
	v = &plan->svc[i];
	if (strcmp(v->name, name) != 0)
	    continue;
	if (!str_eq(v->s->client_certificate, s->client_certificate)) {
	    diag_add(d, DIAG_ERROR, c->file, 0, "certificates \"%s\" and \"%s\" "
		     "give one Postfix service name, %s: rename one (a '.' "
		     "becomes '_' in service names)", v->s->client_certificate,
		     s->client_certificate, name);
	    return NULL;
	}
	v->users++;
	return v;
    }
    plan->svc = xrealloc(plan->svc, (plan->nsvc + 1) * sizeof(*plan->svc));
    v = &plan->svc[plan->nsvc++];
    memset(v, 0, sizeof(*v));
    snprintf(v->name, sizeof(v->name), "%s", name);
    v->s = s;
    v->users = 1;
    dlv_fill(v, c);
    return v;
}

/* dlv_value - the transport for p: "service:nexthop" (sep ":") */
static char *dlv_value(const struct profile *p, const char *svc, bool table)
{
    struct buf *b = buf_alloc(64, 4096);

    if (p->eff.recipient_count == 0)
	buf_printf(b, "%s:%s", DLV_HOLD, DLV_HOLD_TEXT);
    else if (p->eff.route)
	buf_printf(b, "%s:%s", svc, p->eff.route);
    else
	buf_printf(b, table ? "%s:" : "%s", svc);
    return buf_steal(b);
}

/* dlv_chain_ok - a chain file path Postfix can name in smtp_tls_chain_files */
static bool dlv_chain_ok(const struct cfg *c, struct diag *d)
{
    bool    ok = true;

    for (size_t i = 0; i < c->ncertificates; i++)
	if (strpbrk(c->certificates[i].chain_file, " \t\r\n,{}") != NULL) {
	    diag_add(d, DIAG_ERROR, c->file, 0, "certificate \"%s\": chain_file "
		     "\"%s\" has a blank, comma or brace, which Postfix's "
		     "smtp_tls_chain_files cannot name", c->certificates[i].name,
		     c->certificates[i].chain_file);
	    ok = false;
	}
    return ok;
}

/* dlv_plan_build - services and entries */
struct dlv_plan *dlv_plan_build(const struct cfg *c, const struct profile_table *t,
				        struct diag *d)
{
    struct dlv_plan *plan = xcalloc(1, sizeof(*plan));
    const struct dlv_service *v = NULL;

    if (!dlv_chain_ok(c, d))
	return dlv_plan_free(plan);
    if (t->def->eff.recipient_count != 0
	&& (v = dlv_service_for(plan, c, t->def, d)) == NULL)
	return dlv_plan_free(plan);
    plan->default_transport = dlv_value(t->def, v ? v->name : "", false);
    plan->ent = xcalloc(t->n ? t->n : 1, sizeof(*plan->ent));
    for (size_t i = 0; i < t->n; i++) {
	const char *svc = "";

	/* Held mail goes to retry(8): no service of its own. */
	if (t->v[i]->eff.recipient_count != 0) {
	    if ((v = dlv_service_for(plan, c, t->v[i], d)) == NULL)
		return dlv_plan_free(plan);
	    svc = v->name;
	}
	plan->ent[plan->nent].p = t->v[i];
	plan->ent[plan->nent++].value = dlv_value(t->v[i], svc, true);
    }
    return plan;
}

/*
 * dlv_plan_interfaces - the services that use one IP family (inet_protocols)
 * get the addresses of that family from inet_interfaces (main.cf's value):
 * smtp(8) resolves every inet_interfaces address at start and stops on one
 * its protocols exclude, and with one address it sends from it. "all" and
 * "loopback-only" (or nothing) work with either family as they are.
 */
int     dlv_plan_interfaces(struct dlv_plan *plan, const char *ifaces,
			            const char *file, struct diag *d)
{
    char   *copy, *save = NULL;
    struct buf *v4 = buf_alloc(64, 8192), *v6 = buf_alloc(64, 8192);
    bool    keyword = ifaces == NULL || *ifaces == '\0', other = false;
    int     rc = 0;

    copy = xstrdup(ifaces ? ifaces : "");
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
	if (strcmp(t, "all") == 0 || strcmp(t, "loopback-only") == 0)
	    keyword = true;
	else if (strchr(t, ':'))
	    buf_printf(v6, "%s%s", v6->len ? "," : "", t);
	else if (strspn(t, "0123456789.") == strlen(t))
	    buf_printf(v4, "%s%s", v4->len ? "," : "", t);
	else
	    other = true;			/* a host name: its family unknown */
    }
    for (size_t i = 0; !keyword && i < plan->nsvc; i++) {
	struct dlv_service *v = &plan->svc[i];
	int     ip = v->s->ip_preference;
	struct buf *mine = ip == IP_IPV6_ONLY ? v6 : v4;

	if (ip != IP_IPV6_ONLY && ip != IP_IPV4_ONLY)
	    continue;
	if (mine->len) {
	    dlv_put(v->opt, &v->nopt, "", "inet_interfaces", "%s", mine->data);
	} else if (!other) {
	    diag_add(d, DIAG_ERROR, file, 0, "%s (ip_preference %s): inet_interfaces "
		     "= %s has no IPv%c address, so Postfix's smtp(8) has none to "
		     "send from; add one, or use \"all\"", v->name,
		     name_code_name(profile_ip_names, ip), ifaces,
		     ip == IP_IPV6_ONLY ? '6' : '4');
	    rc = -1;
	}
    }
    free(copy);
    buf_free(v4);
    buf_free(v6);
    return rc;
}

/* dlv_family - 4 or 6 for an address ("[::1]", "127.0.0.1"), 0 for a name */
static int dlv_family(const char *host, size_t len)
{
    if (len > 1 && host[0] == '[')
	return 6;
    for (size_t i = 0; i < len; i++)
	if (!(host[i] == '.' || (host[i] >= '0' && host[i] <= '9')))
	    return 0;
    return len ? 4 : 0;
}

/*
 * dlv_plan_policy_maps - a one-family service cannot reach destctld over the
 * other family: with inet_protocols = ipv6, smtp(8) cannot even connect to
 * 127.0.0.1. When maps (main.cf's smtp_tls_policy_maps) asks destctld at an
 * address of the other family, the service gets the same map at an address
 * of its own family from listen (agent.listen); none there is an error.
 */
int     dlv_plan_policy_maps(struct dlv_plan *plan, const char *maps,
			             const struct strlist *listen, const char *file,
			             struct diag *d)
{
    static const char tag[] = "socketmap:inet:";
    const char *at = maps ? strstr(maps, tag) : NULL, *host, *tail, *end;
    size_t  hostlen;
    int     family, rc = 0;

    if (at == NULL)
	return 0;
    host = at + strlen(tag);
    if (*host == '[')
	hostlen = strchr(host, ']') ? (size_t) (strchr(host, ']') - host) + 1 : 0;
    else
	hostlen = strcspn(host, ":");
    if (hostlen == 0 || host[hostlen] != ':'
	|| (family = dlv_family(host, hostlen)) == 0)
	return 0;			/* a name: its family is the resolver's */
    tail = strchr(host + hostlen + 1, ':');	/* ":tlspolicy..." */
    if (tail == NULL)
	return 0;
    end = tail + strcspn(tail, ", \t");
    for (size_t i = 0; i < plan->nsvc; i++) {
	struct dlv_service *v = &plan->svc[i];
	int     want = v->s->ip_preference == IP_IPV6_ONLY ? 6
	: v->s->ip_preference == IP_IPV4_ONLY ? 4 : family;
	const char *ep = NULL;

	if (want == family)
	    continue;
	for (size_t j = 0; ep == NULL && j < listen->n; j++) {
	    const char *e = listen->v[j];

	    if (strncmp(e, "inet:", 5) == 0 && strrchr(e, ':') > e + 5
		&& dlv_family(e + 5, (size_t) (strrchr(e, ':') - e - 5)) == want)
		ep = e + 5;
	}
	if (ep == NULL) {
	    diag_add(d, DIAG_ERROR, file, 0, "%s (ip_preference %s): "
		     "smtp_tls_policy_maps asks destctld over IPv%d, which this "
		     "service cannot use; add an IPv%d endpoint to agent.listen "
		     "(such as \"inet:%s:10027\")", v->name,
		     name_code_name(profile_ip_names, v->s->ip_preference), family,
		     want, want == 6 ? "[::1]" : "127.0.0.1");
	    rc = -1;
	    continue;
	}
	dlv_put(v->opt, &v->nopt, "", "smtp_tls_policy_maps", "%.*s%s%s%.*s%s",
		(int) (at - maps), maps, tag, ep, (int) (end - tail), tail, end);
    }
    return rc;
}

/* dlv_plan_free - free */
struct dlv_plan *dlv_plan_free(struct dlv_plan *plan)
{
    if (plan == NULL)
	return NULL;
    for (size_t i = 0; i < plan->nsvc; i++) {
	for (int j = 0; j < plan->svc[i].nopt; j++)
	    free(plan->svc[i].opt[j].value);
	for (int j = 0; j < plan->svc[i].nmain; j++)
	    free(plan->svc[i].main[j].value);
    }
    for (size_t i = 0; i < plan->nent; i++)
	free(plan->ent[i].value);
    free(plan->svc);
    free(plan->ent);
    free(plan->default_transport);
    free(plan);
    return NULL;
}

/* dlv_plan_service - by name */
const struct dlv_service *dlv_plan_service(const struct dlv_plan *plan,
					           const char *name)
{
    for (size_t i = 0; i < plan->nsvc; i++)
	if (strcmp(plan->svc[i].name, name) == 0)
	    return &plan->svc[i];
    return NULL;
}

/* dlv_plan_transport - the table source */
void    dlv_plan_transport(const struct dlv_plan *plan, const char *source,
			           struct buf *out)
{
    buf_printf(out, "# destctl transport table, generated by `destctl postfix "
	       "--apply`\n# from %s. Do not edit: the next --apply replaces "
	       "it.\n", source);
    for (size_t i = 0; i < plan->nent; i++)
	buf_printf(out, "%s\t%s\n", plan->ent[i].p->domain, plan->ent[i].value);
}

/* dlv_settings_text - one service's settings in words */
static void dlv_settings_text(const struct profile_settings *s, struct buf *out)
{
    struct buf *v = buf_alloc(64, 4096);
    static const enum profile_key keys[] = {
	PK_CONCURRENCY, PK_MESSAGES_PER_CONNECTION, PK_RECIPIENT_LIMIT,
	PK_IP_PREFERENCE, PK_CLIENT_CERTIFICATE,
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
	buf_reset(v);
	profile_format(s, keys[i], PF_TEXT, v);
	buf_printf(out, "%s%s %s", i == 0 ? "" : i == 3 ? ",\n#   " : ", ",
		   profile_keys[keys[i]].name, v->data);
    }
    buf_free(v);
}

/* dlv_plan_reuses_tls - does a service need tlsproxy */
bool    dlv_plan_reuses_tls(const struct dlv_plan *plan)
{
    for (size_t i = 0; i < plan->nsvc; i++)
	if (plan->svc[i].s->messages_per_connection > 1)	/* see dlv_fill */
	    return true;
    return false;
}

/* dlv_plan_master - the master.cf block */
void    dlv_plan_master(const struct dlv_plan *plan, const char *chroot,
			        bool with_tlsproxy, struct buf *out)
{
    buf_puts(out, DLV_BEGIN ": delivery services generated by `destctl postfix "
	     "--apply`.\n# Do not edit this block: the next --apply replaces it.\n");
    if (with_tlsproxy && dlv_plan_reuses_tls(plan))
	buf_printf(out, "# tlsproxy: smtp(8) reuses TLS connections through it\n"
		   "tlsproxy unix  -       -       %-7s -       0       tlsproxy\n",
		   chroot);
    for (size_t i = 0; i < plan->nsvc; i++) {
	const struct dlv_service *v = &plan->svc[i];

	buf_printf(out, "# %s: ", v->name);
	dlv_settings_text(v->s, out);
	buf_printf(out, "\n%s unix  -       -       %-7s -       -       smtp\n",
		   v->name, chroot);
	for (int j = 0; j < v->nopt; j++)
	    buf_printf(out, "  -o %s=%s\n", v->opt[j].name, v->opt[j].value);
	if (v->chain_file)
	    buf_printf(out, "%s-tlsproxy unix  -       -       %-7s -       0       "
		       "tlsproxy\n  -o tlsproxy_client_chain_files=%s\n", v->name,
		       chroot, v->chain_file);
    }
    buf_puts(out, DLV_END "\n");
}

/* dlv_plan_main - the main.cf block */
void    dlv_plan_main(const struct dlv_plan *plan, struct buf *out)
{
    buf_puts(out, DLV_BEGIN ": generated by `destctl postfix --apply`.\n"
	     "# Do not edit this block: the next --apply replaces it.\n");
    buf_printf(out, "default_transport = %s\n", plan->default_transport);
    for (size_t i = 0; i < plan->nsvc; i++)
	for (int j = 0; j < plan->svc[i].nmain; j++)
	    buf_printf(out, "%s = %s\n", plan->svc[i].main[j].name,
		       plan->svc[i].main[j].value);
    buf_puts(out, DLV_END "\n");
}

/* dlv_describe - how key k of p is applied */
void    dlv_describe(const struct cfg *c, const struct profile *p,
		             enum profile_key k, struct buf *out)
{
    const struct profile_settings *s = &p->eff;
    const struct cfg_certificate *cert;
    const struct cfg_bounce_profile *bp;
    char    svc[DLV_NAME_MAX];
    int     rcpt, delay;

    dlv_transport(s, svc, sizeof(svc));
    if (s->recipient_count == 0 && k != PK_RECIPIENT_LIMIT && k != PK_TLS
	&& k != PK_DANE && k != PK_MTA_STS && k != PK_BOUNCE_VERIFICATION
	&& k != PK_EARLY_REFUSAL && k != PK_BOUNCE_PROFILE) {
	buf_puts(out, "not used: a recipient limit of 0 holds all mail");
	return;
    }
    switch (k) {
    case PK_TLS:
    case PK_DANE:
    case PK_MTA_STS:
	buf_puts(out, "destctld: the tlspolicy answer (smtp_tls_policy_maps)");
	break;
    case PK_CONCURRENCY:
	if (s->recipient_count > 0)
	    buf_printf(out, "%s_destination_concurrency_limit = 1: with a rate "
		       "delay Postfix delivers one at a time", svc);
	else
	    buf_printf(out, "%s_destination_concurrency_limit = %d (within the "
		       "service's process limit)", svc, s->concurrency);
	break;
    case PK_MESSAGES_PER_CONNECTION:
	if (s->messages_per_connection <= 1)
	    buf_printf(out, "%s: smtp_connection_cache_on_demand = no", svc);
	else
	    buf_printf(out, "%s: smtp_connection_reuse_count_limit = %d, connections "
		       "cached (TLS ones too)", svc, s->messages_per_connection - 1);
	break;
    case PK_RECIPIENT_LIMIT:
	if (s->recipient_count < 0) {
	    buf_puts(out, "no limit");
	} else if (s->recipient_count == 0) {
	    buf_puts(out, "transport retry: mail is held (deferred) until it expires");
	} else {
	    dlv_rate(s->recipient_count, s->recipient_minutes, &rcpt, &delay);
	    buf_printf(out, "%s_destination_recipient_limit = %d, _destination_rate_delay "
		       "= %ds: at most %d recipients every %d s", svc, rcpt, delay,
		       rcpt, delay);
	}
	break;
    case PK_LIMITS_PER:
	if (s->limits_per == LIMITS_PER_MX_IP)
	    buf_puts(out, "not supported by Postfix: its limits apply per next hop "
		     "(the domain, or the route), not per MX address");
	else
	    buf_puts(out, "per next hop: the domain, or the route's relay");
	break;
    case PK_IP_PREFERENCE:
	buf_printf(out, "%s: %s", svc,
		   s->ip_preference == IP_IPV6_PREFERRED ? "smtp_address_preference = ipv6"
		   : s->ip_preference == IP_IPV4_PREFERRED ? "smtp_address_preference = ipv4"
		   : s->ip_preference == IP_IPV6_ONLY ? "inet_protocols = ipv6"
		   : "inet_protocols = ipv4");
	break;
    case PK_CLIENT_CERTIFICATE:
	if ((cert = cfg_certificate_find(c, s->client_certificate)) != NULL)
	    buf_printf(out, "%s: smtp_tls_chain_files = %s", svc, cert->chain_file);
	else
	    buf_puts(out, "the MTA's own (main.cf smtp_tls_chain_files, if any)");
	break;
    case PK_BOUNCE_VERIFICATION:
    case PK_EARLY_REFUSAL:
	buf_puts(out, "destctl-milter");
	break;
    case PK_BOUNCE_PROFILE:
	if ((bp = cfg_bounce_profile_find(c, s->bounce_profile)) != NULL) {
	    buf_printf(out, "destctl sweep: queued mail expires (postsuper -e) after "
		       "%d s", bp->max_queue_lifetime);
	    if (bp->bounce_queue_lifetime)
		buf_printf(out, ", bounces after %d s", bp->bounce_queue_lifetime);
	} else {
	    buf_puts(out, "Postfix's maximal_queue_lifetime and bounce_queue_lifetime");
	}
	break;
    case PK_ROUTE:
	if (p->domain)
	    buf_printf(out, "transport table: %s %s:%s", p->domain, svc,
		       s->route ? s->route : "");
	else
	    buf_printf(out, "default_transport = %s%s%s", svc, s->route ? ":" : "",
		       s->route ? s->route : "");
	break;
    default:
	break;
    }
}
