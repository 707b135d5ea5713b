/*
 * callbacks - what destctl-milter does at each milter event.
 *
 * Outbound mail (an authenticated client, a client in internal_networks, a
 * daemon in outbound_daemons, or local submission): at RCPT each distinct
 * recipient domain's profile is asked of the agent; early refusal rejects
 * there what cannot be delivered securely (SMTP only, never local
 * submission); at end of message one X-Destctl-Destination header per
 * domain is added and the envelope sender gets its bounce verification tag.
 * Inbound bounces (null sender) to prvs= addresses are verified and the
 * recipient rewritten to the plain address, or refused. Every message,
 * inbound or outbound, loses the X-Destctl-* headers it came with.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agentc.h"
#include "batv.h"
#include "callbacks.h"
#include "domain.h"
#include "log.h"
#include "mconf.h"
#include "mstate.h"
#include "util.h"

#define HDR_PREFIX	"X-Destctl-"
#define HDR_DEST	"X-Destctl-Destination"
#define HDR_BOUNCE	"X-Destctl-Bounce"
#define ADDR_MAX	512

/* SAFE - peer text for one log line (a compound literal lives to the end of
 * the enclosing block: fine as a call argument). */
#define SAFE(s) log_sanitize((char[160]) {0}, 160, (s), strlen(s))

/* conn_of - the connection state */
static struct mconn *conn_of(SMFICTX *ctx)
{
    return smfi_getpriv(ctx);
}

/* addr_strip - "<user@domain>" or "user@domain" into out, without <> */
static void addr_strip(const char *in, char *out, size_t outsz)
{
    size_t  len = strlen(in);

    if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
	in++;
	len -= 2;
    }
    if (len >= outsz)
	len = outsz - 1;
    memcpy(out, in, len);
    out[len] = '\0';
}

/* addr_domain - the normalised domain of an address; -1 when it has none */
static int addr_domain(const char *addr, char *out)
{
    const char *at = strrchr(addr, '@');
    char    why[128];

    if (at == NULL || at[1] == '\0')
	return -1;
    return domain_normalize(at + 1, out, why, sizeof(why));
}

/* mlfi_connect - remember the client address */
static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
    struct mconn *c = xcalloc(1, sizeof(*c));
    struct mconf *cf = mconf_hold();
    const char *addr = smfi_getsymval(ctx, "{client_addr}");
    socklen_t len = 0;

    (void) hostname;
    /* The address libmilter hands over; Postfix does not send {client_addr}
     * with its default milter_connect_macros. */
    if (sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
	len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
	    : sizeof(struct sockaddr_in6);
    if (len == 0 || getnameinfo(sa, len, c->addr, sizeof(c->addr), NULL, 0,
				NI_NUMERICHOST) != 0)
	snprintf(c->addr, sizeof(c->addr), "%s", addr ? addr : "");
    c->internal = cf && netlist_match(cf->internal, c->addr);
    mconf_release(cf);
    smfi_setpriv(ctx, c);
    return SMFIS_CONTINUE;
}

/* mlfi_envfrom - a new message: outbound or inbound */
static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
    struct mconn *c = conn_of(ctx);
    struct mconf *cf;
    const char *auth = smfi_getsymval(ctx, "{auth_authen}");
    const char *daemon = smfi_getsymval(ctx, "{daemon_name}");
    char    sender[ADDR_MAX];

    if (c == NULL)
	return SMFIS_ACCEPT;
    c->msg = mmsg_free(c->msg);
    c->msg = mmsg_new();
    if ((cf = mconf_hold()) == NULL)
	return SMFIS_ACCEPT;
    addr_strip(argv[0] ? argv[0] : "", sender, sizeof(sender));
    c->msg->sender = xstrdup(sender);
    c->msg->null_sender = sender[0] == '\0';
    c->msg->local = mconf_listed(&cf->cfg->milter_local_daemons, daemon);
    c->msg->outbound = (auth && *auth) || c->internal || c->msg->local
	|| mconf_listed(&cf->cfg->milter_outbound_daemons, daemon);
    msg_debug("message from=<%s> client=%s outbound=%d local=%d auth=%s daemon=%s",
	      SAFE(sender), c->addr, c->msg->outbound, c->msg->local,
	      SAFE(auth ? auth : ""), SAFE(daemon ? daemon : ""));
    mconf_release(cf);
    return SMFIS_CONTINUE;
}

/* refuse - set an SMTP reply and return the verdict for one recipient */
static sfsistat refuse(SMFICTX *ctx, bool temp, const char *dsn, const char *fmt,
		               const char *a, const char *b)
{
    char    text[600];

    snprintf(text, sizeof(text), fmt, a, b);
    for (char *p = text; *p; p++)	/* libmilter treats % specially */
	if (*p == '%' || *p == '\r' || *p == '\n')
	    *p = ' ';
    smfi_setreply(ctx, temp ? "450" : "550", (char *) dsn, text);
    return temp ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

/* rcpt_outbound - ask the agent about the recipient's domain; refuse early */
static sfsistat rcpt_outbound(SMFICTX *ctx, struct mconn *c, struct mconf *cf,
			              const char *domain)
{
    struct mmsg *m = c->msg;
    struct dest_info *d = mmsg_dest(m, domain), info;
    int     timeout_ms = (cf->cfg->agent_lookup_timeout + AGENTC_MARGIN) * 1000;
    bool    fresh = d == NULL;
    char    why[512];

    if (fresh) {
	if (agentc_profile(cf->cfg->milter_agent, domain, timeout_ms, &info, why,
			   sizeof(why)) != AGENTC_OK) {
	    msg_warn("no destination profile domain=%s reason=\"%s\" action=%s", domain,
		     why, cf->cfg->milter_on_agent_error);
	    if (strcmp(cf->cfg->milter_on_agent_error, "tempfail") == 0 && !m->local)
		return refuse(ctx, true, "4.4.3", "destination policy for %s is not "
			      "available now%s, try again later", domain, "");
	    memset(&info, 0, sizeof(info));
	    snprintf(info.domain, sizeof(info.domain), "%s", domain);
	    snprintf(info.profile, sizeof(info.profile), "unknown");
	    snprintf(info.decision, sizeof(info.decision), "unknown");
	    m->agent_failed = true;
	}
	d = &info;
    }
    if (d->early_refusal && d->refuse != AGENTC_REFUSE_NONE && !m->local) {
	/* Refused: no tag, no sender rewrite on its account. */
	msg_info("recipient refused early domain=%s refuse=%s reason=\"%s\"", domain,
		 d->refuse == AGENTC_REFUSE_TEMP ? "temp" : "perm", d->reason);
	return refuse(ctx, d->refuse == AGENTC_REFUSE_TEMP,
		      agentc_refuse_dsn(d->refuse),
		      "mail for %s cannot be delivered securely: %s", domain, d->reason);
    }
    if (d->bounce_verification)
	m->batv = true;
    if (fresh)
	mmsg_add_dest(m, &info);
    return SMFIS_CONTINUE;
}

/* rcpt_bounce - an inbound bounce: verify its tag, or apply the untagged rule */
static sfsistat rcpt_bounce(SMFICTX *ctx, struct mconn *c, struct mconf *cf,
			            const char *rcpt)
{
    struct mmsg *m = c->msg;
    struct buf *plain = buf_alloc(64, ADDR_MAX);
    enum batv_result r;
    sfsistat rc = SMFIS_CONTINUE;

    r = cf->keys ? batv_verify(cf->keys, rcpt, time(NULL), cf->cfg->bv_valid_days, plain)
	: strncasecmp(rcpt, "prvs=", 5) == 0 ? BATV_UNKNOWN_KEY : BATV_NOT_TAGGED;
    if (r == BATV_VALID) {
	if (m->nrewrites < MSTATE_MAX_REWRITES) {
	    m->rewrites[m->nrewrites].tagged = xstrdup(rcpt);
	    m->rewrites[m->nrewrites++].plain = xstrdup(plain->data);
	}
	msg_info("bounce verified rcpt=%s plain=%s", SAFE(rcpt), SAFE(plain->data));
    } else if (r == BATV_NOT_TAGGED) {
	if (strcmp(cf->cfg->bv_untagged, "reject") == 0) {
	    msg_info("untagged bounce refused rcpt=%s", SAFE(rcpt));
	    rc = refuse(ctx, false, "5.7.1", "bounce to %s refused: it carries no "
			"bounce address tag%s, so it is not a reply to our mail", rcpt, "");
	} else {
	    m->untagged_bounce = true;
	}
    } else {
	msg_info("bounce refused rcpt=%s reason=\"%s\"", SAFE(rcpt), batv_result_name(r));
	rc = refuse(ctx, false, "5.7.1", "bounce to %s refused: bounce address tag "
		    "%s", rcpt, r == BATV_EXPIRED ? "expired" : "invalid");
    }
    buf_free(plain);
    return rc;
}

/* mlfi_envrcpt - one recipient */
static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
    struct mconn *c = conn_of(ctx);
    struct mconf *cf;
    char    rcpt[ADDR_MAX], domain[DOMAIN_MAX + 1];
    sfsistat rc = SMFIS_CONTINUE;

    if (c == NULL || c->msg == NULL || (cf = mconf_hold()) == NULL)
	return SMFIS_CONTINUE;
    addr_strip(argv[0] ? argv[0] : "", rcpt, sizeof(rcpt));
    if (c->msg->outbound) {
	if (addr_domain(rcpt, domain) == 0)
	    rc = rcpt_outbound(ctx, c, cf, domain);
    } else if (c->msg->null_sender) {
	rc = rcpt_bounce(ctx, c, cf, rcpt);
    }
    mconf_release(cf);
    return rc;
}

/* mlfi_header - remember spoofed tags for removal */
static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
    struct mconn *c = conn_of(ctx);

    (void) value;
    if (c && c->msg && strncasecmp(name, HDR_PREFIX, strlen(HDR_PREFIX)) == 0)
	mmsg_note_header(c->msg, name);
    return SMFIS_CONTINUE;
}

/* eom_strip - remove every X-Destctl-* header the message came with */
static void eom_strip(SMFICTX *ctx, struct mmsg *m)
{
    for (size_t i = 0; i < m->nstrip; i++) {
	/* From the last to the first: indexes stay valid while deleting. */
	for (int n = m->strip[i].count; n >= 1; n--)
	    if (smfi_chgheader(ctx, m->strip[i].name, n, NULL) != MI_SUCCESS)
		msg_warn("cannot remove header %s[%d]", m->strip[i].name, n);
    }
    if (m->nstrip)
	msg_info("removed incoming X-Destctl headers names=%zu", m->nstrip);
}

/* eom_tag - one header per destination domain */
static void eom_tag(SMFICTX *ctx, struct mmsg *m)
{
    char    value[2800];		/* every field of a dest_info fits */

    for (size_t i = 0; i < m->ndests; i++) {
	const struct dest_info *d = &m->dests[i];

	agentc_tag(d, value, sizeof(value));
	if (smfi_addheader(ctx, HDR_DEST, value) != MI_SUCCESS)
	    msg_warn("cannot add header %s domain=%s", HDR_DEST, d->domain);
    }
    if (m->dropped_dests)
	msg_warn("message has more than %d recipient domains: %zu not tagged",
		 MSTATE_MAX_DESTS, m->dropped_dests);
}

/* eom_batv - tag the envelope sender once per message */
static void eom_batv(SMFICTX *ctx, struct mmsg *m, struct mconf *cf)
{
    struct buf *tagged;
    char    why[256], from[ADDR_MAX + 2];

    if (!m->batv || m->null_sender)
	return;
    if (cf->keys == NULL) {
	msg_warn("bounce verification asked for, but %s has no keys: sender not tagged",
		 cf->cfg->bv_key_file);
	return;
    }
    tagged = buf_alloc(64, ADDR_MAX);
    if (batv_sign(cf->keys, m->sender, time(NULL), cf->cfg->bv_valid_days, tagged,
		  why, sizeof(why)) < 0) {
	msg_info("sender not tagged from=%s reason=\"%s\"", SAFE(m->sender), why);
    } else {
	snprintf(from, sizeof(from), "<%s>", tagged->data);
	if (smfi_chgfrom(ctx, from, NULL) != MI_SUCCESS)
	    msg_warn("cannot change the envelope sender to %s", from);
	else
	    msg_info("sender tagged for bounce verification from=%s tagged=%s",
		     SAFE(m->sender), SAFE(tagged->data));
    }
    buf_free(tagged);
}

/* eom_rewrite - verified bounces go to the plain address */
static void eom_rewrite(SMFICTX *ctx, struct mmsg *m)
{
    char    a[ADDR_MAX + 2], b[ADDR_MAX + 2];

    for (size_t i = 0; i < m->nrewrites; i++) {
	snprintf(a, sizeof(a), "<%s>", m->rewrites[i].tagged);
	snprintf(b, sizeof(b), "<%s>", m->rewrites[i].plain);
	if (smfi_delrcpt(ctx, a) != MI_SUCCESS || smfi_addrcpt(ctx, b) != MI_SUCCESS)
	    msg_warn("cannot rewrite recipient %s to %s", a, b);
    }
}

/* mlfi_eom - apply what the message needs */
static sfsistat mlfi_eom(SMFICTX *ctx)
{
    struct mconn *c = conn_of(ctx);
    struct mconf *cf;

    if (c == NULL || c->msg == NULL || (cf = mconf_hold()) == NULL)
	return SMFIS_CONTINUE;
    eom_strip(ctx, c->msg);
    if (c->msg->outbound) {
	eom_tag(ctx, c->msg);
	eom_batv(ctx, c->msg, cf);
    } else {
	eom_rewrite(ctx, c->msg);
	if (c->msg->untagged_bounce
	    && smfi_addheader(ctx, HDR_BOUNCE, "not verified (no bounce address tag)")
	    != MI_SUCCESS)
	    msg_warn("cannot add header %s", HDR_BOUNCE);
    }
    mconf_release(cf);
    c->msg = mmsg_free(c->msg);
    return SMFIS_CONTINUE;
}

/* mlfi_abort - the message is abandoned */
static sfsistat mlfi_abort(SMFICTX *ctx)
{
    struct mconn *c = conn_of(ctx);

    if (c)
	c->msg = mmsg_free(c->msg);
    return SMFIS_CONTINUE;
}

/* mlfi_close - the connection ends; every path ends here */
static sfsistat mlfi_close(SMFICTX *ctx)
{
    struct mconn *c = conn_of(ctx);

    if (c) {
	mmsg_free(c->msg);
	free(c);
	smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
    "destctl-milter",			/* filter name */
    SMFI_VERSION,			/* milter protocol version */
    SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_ADDRCPT | SMFIF_DELRCPT,
    mlfi_connect,			/* connection: client address */
    NULL,				/* HELO: not needed */
    mlfi_envfrom,			/* MAIL FROM: outbound or inbound */
    mlfi_envrcpt,			/* RCPT TO: profiles, refusal, bounces */
    mlfi_header,			/* each header: spoofed tags */
    NULL,				/* end of headers */
    NULL,				/* body chunks: not needed */
    mlfi_eom,				/* end of message: headers, sender, rcpts */
    mlfi_abort,				/* message aborted */
    mlfi_close,				/* connection closed */
    NULL,				/* unknown SMTP command */
    NULL,				/* DATA */
    NULL,				/* option negotiation: defaults */
};
