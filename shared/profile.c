/*
 * profile - profile settings, the key table, and domain matching; see profile.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "log.h"
#include "profile.h"
#include "route.h"
#include "strmap.h"
#include "util.h"

const struct name_code profile_tls_names[] = {
    {"none", TLS_NONE},
    {"preferred", TLS_PREFERRED},
    {"required", TLS_REQUIRED},
    {"preferred-verify", TLS_PREFERRED_VERIFY},
    {"required-verify", TLS_REQUIRED_VERIFY},
    {"required-verify-hosted", TLS_REQUIRED_VERIFY_HOSTED},
    {NULL, 0},
};

const struct name_code profile_dane_names[] = {
    {"none", DANE_NONE},
    {"opportunistic", DANE_OPPORTUNISTIC},
    {"mandatory", DANE_MANDATORY},
    {NULL, 0},
};

const struct name_code profile_ip_names[] = {
    {"ipv6-preferred", IP_IPV6_PREFERRED},
    {"ipv4-preferred", IP_IPV4_PREFERRED},
    {"ipv6-only", IP_IPV6_ONLY},
    {"ipv4-only", IP_IPV4_ONLY},
    {NULL, 0},
};

const struct name_code profile_limits_names[] = {
    {"domain", LIMITS_PER_DOMAIN},
    {"mx-ip", LIMITS_PER_MX_IP},
    {NULL, 0},
};

#define RCPT_COUNT_MAX	1000000000L
#define RCPT_MINUTES_MAX 60

const struct profile_key_info profile_keys[PK_COUNT] = {
    {PK_TLS, "tls", "tls", "TLS", PKT_ENUM, profile_tls_names, 0, 0, NULL,
    "TLS level: none, preferred, required, preferred-verify, required-verify, required-verify-hosted"},
    {PK_DANE, "dane", "dane", "DANE", PKT_ENUM, profile_dane_names, 0, 0, NULL,
    "DANE (RFC 7672): none, opportunistic, mandatory"},
    {PK_MTA_STS, "mta_sts", "mta-sts", "MTA-STS", PKT_BOOL, NULL, 0, 0, NULL,
    "apply the domain's MTA-STS policy (RFC 8461): on, off"},
    {PK_IP_PREFERENCE, "ip_preference", "ip-preference", "IP preference", PKT_ENUM,
	profile_ip_names, 0, 0, NULL,
    "IP version: ipv6-preferred, ipv4-preferred, ipv6-only, ipv4-only"},
    {PK_CONCURRENCY, "concurrency", "concurrency", "concurrency", PKT_INT, NULL,
	1, 1000, NULL, "concurrent connections to the destination: 1..1000"},
    {PK_MESSAGES_PER_CONNECTION, "messages_per_connection", "messages-per-connection",
	"messages/connection", PKT_INT, NULL, 1, 1000, NULL,
    "messages delivered per connection: 1..1000"},
    {PK_RECIPIENT_LIMIT, "recipient_limit", "recipient-limit", "recipient limit",
	PKT_RATE, NULL, 0, RCPT_COUNT_MAX, NULL,
    "at most N recipients per M minutes (N 0..1000000000, M 1..60), or none"},
    {PK_LIMITS_PER, "limits_per", "limits-per", "limits per", PKT_ENUM,
	profile_limits_names, 0, 0,
	"not supported by Postfix: its limits apply per next hop (the domain, or "
	"the route), not per MX address",
    "apply the limits per whole domain or per MX IP address: domain, mx-ip"},
    {PK_CLIENT_CERTIFICATE, "client_certificate", "client-certificate",
	"client certificate", PKT_NAME, NULL, 0, 0, NULL,
    "name of an entry of `certificates` to present, or none for the MTA's own"},
    {PK_BOUNCE_VERIFICATION, "bounce_verification", "bounce-verification",
	"bounce verification", PKT_BOOL, NULL, 0, 0, NULL,
    "tag the envelope sender for bounce verification (BATV): on, off"},
    {PK_BOUNCE_PROFILE, "bounce_profile", "bounce-profile", "bounce profile",
	PKT_NAME, NULL, 0, 0, NULL,
    "name of an entry of `bounce_profiles`, or none for the default"},
    {PK_ROUTE, "route", "route", "route", PKT_ROUTE, NULL, 0, 0, NULL,
    "explicit SMTP route [host]:port or host:port (no DANE, no MTA-STS), or none"},
    {PK_EARLY_REFUSAL, "early_refusal", "early-refusal", "early refusal", PKT_BOOL,
	NULL, 0, 0, NULL,
    "the milter refuses at RCPT what cannot be delivered securely: on, off"},
};

/* name_code_name - code to name */
const char *name_code_name(const struct name_code *t, int code)
{
    for (; t->name; t++)
	if (t->code == code)
	    return t->name;
    return "?";
}

/* name_code_find - name to code, or -1 */
int     name_code_find(const struct name_code *t, const char *name)
{
    for (; t->name; t++)
	if (strcmp(t->name, name) == 0)
	    return t->code;
    return -1;
}

/* name_code_list - "a, b, c" */
void    name_code_list(const struct name_code *t, struct buf *out)
{
    for (const struct name_code *p = t; p->name; p++)
	buf_printf(out, "%s%s", p == t ? "" : ", ", p->name);
}

/* profile_key_by_name - by file name or option name */
const struct profile_key_info *profile_key_by_name(const char *name)
{
    for (int k = 0; k < PK_COUNT; k++)
	if (strcmp(profile_keys[k].name, name) == 0
	    || strcmp(profile_keys[k].option, name) == 0)
	    return &profile_keys[k];
    return NULL;
}

/* profile_builtin - built-in defaults, as INTERFACES.md lists them */
void    profile_builtin(struct profile_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->tls = TLS_PREFERRED;
    s->dane = DANE_NONE;
    s->mta_sts = false;
    s->ip_preference = IP_IPV6_PREFERRED;
    s->concurrency = 500;
    s->messages_per_connection = 50;
    s->recipient_count = -1;
    s->recipient_minutes = 0;
    s->limits_per = LIMITS_PER_DOMAIN;
}

/* profile_new - nothing set */
struct profile *profile_new(const char *domain)
{
    struct profile *p = xcalloc(1, sizeof(*p));

    p->domain = domain ? xstrdup(domain) : NULL;
    profile_builtin(&p->own);
    profile_builtin(&p->eff);
    return p;
}

/* profile_free - free profile and strings */
struct profile *profile_free(struct profile *p)
{
    if (p) {
	free(p->domain);
	free(p->own.client_certificate);
	free(p->own.bounce_profile);
	free(p->own.route);
	free(p->file);
	free(p);
    }
    return NULL;
}

/* profile_dup_str - NULL-tolerant copy */
static char *profile_dup_str(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* profile_copy - deep copy */
struct profile *profile_copy(const struct profile *p)
{
    struct profile *c = xmalloc(sizeof(*c));

    *c = *p;
    c->domain = profile_dup_str(p->domain);
    c->own.client_certificate = profile_dup_str(p->own.client_certificate);
    c->own.bounce_profile = profile_dup_str(p->own.bounce_profile);
    c->own.route = profile_dup_str(p->own.route);
    c->file = profile_dup_str(p->file);
    c->eff = c->own;			/* until resolved */
    return c;
}

/* profile_str_field - the string slot of a PKT_NAME/PKT_ROUTE key */
static char **profile_str_field(struct profile_settings *s, enum profile_key k)
{
    switch (k) {
    case PK_CLIENT_CERTIFICATE:
	return &s->client_certificate;
    case PK_BOUNCE_PROFILE:
	return &s->bounce_profile;
    case PK_ROUTE:
	return &s->route;
    default:
	msg_panic("profile_str_field: key %d has no string", (int) k);
    }
}

/* profile_int_field - the int slot of an enum or int key */
static int *profile_int_field(struct profile_settings *s, enum profile_key k)
{
    switch (k) {
    case PK_TLS:
	return &s->tls;
    case PK_DANE:
	return &s->dane;
    case PK_IP_PREFERENCE:
	return &s->ip_preference;
    case PK_CONCURRENCY:
	return &s->concurrency;
    case PK_MESSAGES_PER_CONNECTION:
	return &s->messages_per_connection;
    case PK_LIMITS_PER:
	return &s->limits_per;
    default:
	msg_panic("profile_int_field: key %d has no int", (int) k);
    }
}

/* profile_bool_field - the bool slot of a PKT_BOOL key */
static bool *profile_bool_field(struct profile_settings *s, enum profile_key k)
{
    switch (k) {
    case PK_MTA_STS:
	return &s->mta_sts;
    case PK_BOUNCE_VERIFICATION:
	return &s->bounce_verification;
    case PK_EARLY_REFUSAL:
	return &s->early_refusal;
    default:
	msg_panic("profile_bool_field: key %d has no bool", (int) k);
    }
}

/* profile_copy_key - copy key k from src to dst (strings borrowed) */
static void profile_copy_key(struct profile_settings *dst,
			             const struct profile_settings *src,
			             enum profile_key k)
{
    struct profile_settings *s = (struct profile_settings *) src;

    switch (profile_keys[k].type) {
    case PKT_ENUM:
    case PKT_INT:
	*profile_int_field(dst, k) = *profile_int_field(s, k);
	break;
    case PKT_BOOL:
	*profile_bool_field(dst, k) = *profile_bool_field(s, k);
	break;
    case PKT_RATE:
	dst->recipient_count = src->recipient_count;
	dst->recipient_minutes = src->recipient_minutes;
	break;
    case PKT_NAME:
    case PKT_ROUTE:
	*profile_str_field(dst, k) = *profile_str_field(s, k);
	break;
    }
}

/* profile_parse_bool - on/off and friends */
static int profile_parse_bool(const char *text, bool *out)
{
    static const char *yes[] = {"on", "true", "yes", "1", NULL};
    static const char *no[] = {"off", "false", "no", "0", NULL};

    for (int i = 0; yes[i]; i++)
	if (strcasecmp(text, yes[i]) == 0)
	    return (*out = true), 0;
    for (int i = 0; no[i]; i++)
	if (strcasecmp(text, no[i]) == 0)
	    return (*out = false), 0;
    return -1;
}

/* profile_parse_long - a decimal number in [min, max] */
static int profile_parse_long(const char *text, long min, long max, long *out)
{
    char   *end;
    long    v;

    if (!isdigit((unsigned char) text[0]))
	return -1;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || *end || v < min || v > max)
	return -1;
    *out = v;
    return 0;
}

/* profile_set_text - set a key from command-line text */
int     profile_set_text(struct profile *p, enum profile_key k, const char *text,
			         char *why, size_t whysz)
{
    const struct profile_key_info *ki = &profile_keys[k];
    struct profile_settings *s = &p->own;
    struct buf *names;
    long    n, m;
    bool    b;
    int     code;

    if (strcmp(text, "inherit") == 0) {
	if (p->domain == NULL) {
	    snprintf(why, whysz, "the default profile has nothing to inherit from");
	    return -1;
	}
	if (ki->type == PKT_NAME || ki->type == PKT_ROUTE) {
	    free(*profile_str_field(s, k));
	    *profile_str_field(s, k) = NULL;
	}
	p->set &= ~PK_BIT(k);
	return 0;
    }
    switch (ki->type) {
    case PKT_ENUM:
	if ((code = name_code_find(ki->names, text)) < 0) {
	    names = buf_alloc(128, 1024);
	    name_code_list(ki->names, names);
	    snprintf(why, whysz, "invalid %s \"%s\": expected one of %s",
		     ki->name, text, names->data);
	    buf_free(names);
	    return -1;
	}
	*profile_int_field(s, k) = code;
	break;
    case PKT_BOOL:
	if (profile_parse_bool(text, &b) < 0) {
	    snprintf(why, whysz, "invalid %s \"%s\": expected on or off",
		     ki->name, text);
	    return -1;
	}
	*profile_bool_field(s, k) = b;
	break;
    case PKT_INT:
	if (profile_parse_long(text, ki->min, ki->max, &n) < 0) {
	    snprintf(why, whysz, "invalid %s \"%s\": expected a number from %ld to %ld",
		     ki->name, text, ki->min, ki->max);
	    return -1;
	}
	*profile_int_field(s, k) = (int) n;
	break;
    case PKT_RATE:
	if (strcmp(text, "none") == 0) {
	    s->recipient_count = -1;
	    s->recipient_minutes = 0;
	    break;
	} else {
	    const char *slash = strchr(text, '/');
	    char    count[32];

	    if (slash == NULL || (size_t) (slash - text) >= sizeof(count)) {
		snprintf(why, whysz, "invalid recipient_limit \"%s\": expected N/M "
			 "(N recipients per M minutes) or none", text);
		return -1;
	    }
	    memcpy(count, text, (size_t) (slash - text));
	    count[slash - text] = '\0';
	    if (profile_parse_long(count, 0, RCPT_COUNT_MAX, &n) < 0
		|| profile_parse_long(slash + 1, 1, RCPT_MINUTES_MAX, &m) < 0) {
		snprintf(why, whysz, "invalid recipient_limit \"%s\": N must be "
			 "0..%ld and M 1..%d", text, RCPT_COUNT_MAX, RCPT_MINUTES_MAX);
		return -1;
	    }
	    s->recipient_count = n;
	    s->recipient_minutes = (int) m;
	}
	break;
    case PKT_NAME:
    case PKT_ROUTE:
	if (ki->type == PKT_ROUTE && strcmp(text, "none") != 0
	    && route_check(text, why, whysz) < 0)
	    return -1;
	if (ki->type == PKT_NAME && strcmp(text, "none") != 0
	    && text[0] == '\0') {
	    snprintf(why, whysz, "empty %s name", ki->name);
	    return -1;
	}
	free(*profile_str_field(s, k));
	*profile_str_field(s, k) = strcmp(text, "none") == 0 ? NULL : xstrdup(text);
	break;
    }
    p->set |= PK_BIT(k);
    return 0;
}

/* profile_format - append a value for people, libconfig or JSON */
void    profile_format(const struct profile_settings *s, enum profile_key k,
		               enum profile_style style, struct buf *out)
{
    const struct profile_key_info *ki = &profile_keys[k];
    struct profile_settings *ms = (struct profile_settings *) s;
    const char *str = NULL;
    bool    quote = style != PF_TEXT;

    switch (ki->type) {
    case PKT_ENUM:
	str = name_code_name(ki->names, *profile_int_field(ms, k));
	break;
    case PKT_BOOL:
	str = *profile_bool_field(ms, k) ? (style == PF_TEXT ? "on" : "true")
	    : (style == PF_TEXT ? "off" : "false");
	quote = false;
	break;
    case PKT_INT:
	buf_printf(out, "%d", *profile_int_field(ms, k));
	return;
    case PKT_RATE:
	if (s->recipient_count < 0) {
	    buf_puts(out, style == PF_JSON ? "null" : style == PF_CONF ? "\"none\""
		     : "none");
	} else if (style == PF_TEXT) {
	    buf_printf(out, "%ld/%d", s->recipient_count, s->recipient_minutes);
	} else if (style == PF_CONF) {
	    buf_printf(out, "{ count = %ld; minutes = %d; }",
		       s->recipient_count, s->recipient_minutes);
	} else {
	    buf_printf(out, "{\"count\": %ld, \"minutes\": %d}",
		       s->recipient_count, s->recipient_minutes);
	}
	return;
    case PKT_NAME:
    case PKT_ROUTE:
	str = *profile_str_field(ms, k);
	if (str == NULL) {
	    buf_puts(out, style == PF_JSON ? "null" : style == PF_CONF ? "\"none\""
		     : "none");
	    return;
	}
	break;
    }
    if (quote)
	buf_put_json(out, str);	/* JSON escapes suit libconfig too */
    else
	buf_puts(out, str);
}

/* profile_table_new - empty table */
struct profile_table *profile_table_new(void)
{
    struct profile_table *t = xcalloc(1, sizeof(*t));

    t->def = profile_new(NULL);
    t->exact = strmap_new();
    t->parent = strmap_new();
    return t;
}

/* profile_table_free - free all */
struct profile_table *profile_table_free(struct profile_table *t)
{
    if (t == NULL)
	return NULL;
    for (size_t i = 0; i < t->n; i++)
	profile_free(t->v[i]);
    free(t->v);
    profile_free(t->def);
    strmap_free(t->exact);
    strmap_free(t->parent);
    free(t);
    return NULL;
}

/* profile_table_index - the map and key an entry name belongs to */
static struct strmap *profile_table_index(const struct profile_table *t,
				                  const char *domain, const char **key)
{
    if (domain[0] == '.') {
	*key = domain + 1;
	return t->parent;
    }
    *key = domain;
    return t->exact;
}

/* profile_table_add - append */
int     profile_table_add(struct profile_table *t, struct profile *p)
{
    const char *key;
    struct strmap *m = profile_table_index(t, p->domain, &key);

    if (strmap_get(m, key) != NULL)
	return -1;
    strmap_put(m, key, p);
    if (t->n == t->cap) {
	t->cap = t->cap ? t->cap * 2 : 16;
	t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    t->v[t->n++] = p;
    return 0;
}

/* profile_table_slot - position of the entry in v, or -1 */
static long profile_table_slot(const struct profile_table *t, const struct profile *p)
{
    for (size_t i = 0; i < t->n; i++)
	if (t->v[i] == p)
	    return (long) i;
    return -1;
}

/* profile_table_remove - delete by name */
int     profile_table_remove(struct profile_table *t, const char *domain)
{
    const char *key;
    struct strmap *m = profile_table_index(t, domain, &key);
    struct profile *p = strmap_del(m, key);
    long    i;

    if (p == NULL)
	return -1;
    if ((i = profile_table_slot(t, p)) < 0)
	msg_panic("profile_table_remove: %s indexed but not listed", domain);
    memmove(t->v + i, t->v + i + 1, (t->n - (size_t) i - 1) * sizeof(*t->v));
    t->n--;
    profile_free(p);
    return 0;
}

/* profile_table_replace - replace in place, or append */
void    profile_table_replace(struct profile_table *t, struct profile *p)
{
    const char *key;
    struct strmap *m = profile_table_index(t, p->domain, &key);
    struct profile *old = strmap_put(m, key, p);
    long    i;

    if (old == NULL) {
	strmap_del(m, key);
	if (profile_table_add(t, p) < 0)
	    msg_panic("profile_table_replace: cannot add %s", p->domain);
	return;
    }
    if ((i = profile_table_slot(t, old)) < 0)
	msg_panic("profile_table_replace: %s indexed but not listed", p->domain);
    t->v[i] = p;
    profile_free(old);
}

/* profile_table_set_default - new default */
void    profile_table_set_default(struct profile_table *t, struct profile *p)
{
    profile_free(t->def);
    t->def = p;
}

/* profile_table_find - by entry name */
struct profile *profile_table_find(const struct profile_table *t, const char *domain)
{
    const char *key;
    struct strmap *m = profile_table_index(t, domain, &key);

    return strmap_get(m, key);
}

/* profile_table_match - exact, longest parent, default */
const struct profile *profile_table_match(const struct profile_table *t,
					          const char *domain)
{
    const struct profile *p;
    const char *dot;

    if ((p = strmap_get(t->exact, domain)) != NULL)
	return p;
    for (dot = strchr(domain, '.'); dot; dot = strchr(dot + 1, '.'))
	if ((p = strmap_get(t->parent, dot + 1)) != NULL)
	    return p;
    return t->def;
}

/* profile_resolve_one - effective settings of p over base */
static void profile_resolve_one(struct profile *p, const struct profile_settings *base)
{
    for (int k = 0; k < PK_COUNT; k++)
	profile_copy_key(&p->eff, (p->set & PK_BIT(k)) ? &p->own : base,
			 (enum profile_key) k);
}

/* profile_table_resolve - recompute effective settings */
void    profile_table_resolve(struct profile_table *t)
{
    struct profile_settings builtin;

    profile_builtin(&builtin);
    profile_resolve_one(t->def, &builtin);
    for (size_t i = 0; i < t->n; i++)
	profile_resolve_one(t->v[i], &t->def->eff);
}

/* profile_table_copy - deep copy */
struct profile_table *profile_table_copy(const struct profile_table *t)
{
    struct profile_table *c = profile_table_new();

    profile_table_set_default(c, profile_copy(t->def));
    for (size_t i = 0; i < t->n; i++)
	if (profile_table_add(c, profile_copy(t->v[i])) < 0)
	    msg_panic("profile_table_copy: duplicate %s", t->v[i]->domain);
    profile_table_resolve(c);
    return c;
}

/* profile_unenforced - keys with a non-built-in value that is not applied */
unsigned profile_unenforced(const struct profile *p)
{
    struct profile_settings builtin;
    unsigned out = 0;
    struct buf *a = buf_alloc(64, 4096), *b = buf_alloc(64, 4096);

    profile_builtin(&builtin);
    for (int k = 0; k < PK_COUNT; k++) {
	if (profile_keys[k].unsupported == NULL)
	    continue;
	buf_reset(a);
	buf_reset(b);
	profile_format(&p->eff, (enum profile_key) k, PF_CONF, a);
	profile_format(&builtin, (enum profile_key) k, PF_CONF, b);
	if (strcmp(a->data, b->data) != 0)
	    out |= PK_BIT(k);
    }
    buf_free(a);
    buf_free(b);
    return out;
}
