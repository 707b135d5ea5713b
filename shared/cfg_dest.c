/*
 * cfg_dest - the destinations file: load, validate, write; see cfg.h.
 *
 * Layout of the file:
 *	default = { tls = "preferred"; ... };
 *	destinations = ( { domain = "example.com"; tls = "required"; ... }, ... );
 * Every value goes through profile_set_text(), the same parser the command
 * line uses, so a value means the same wherever it is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "cfg.h"
#include "cfg_impl.h"
#include "domain.h"
#include "log.h"
#include "util.h"

#define CFG_WHAT_MAX 300

/* cfg_dest_what - "default" or "destination \"x\"" */
static const char *cfg_dest_what(const struct profile *p, char *out, size_t outsz)
{
    if (p->domain == NULL)
	snprintf(out, outsz, "default");
    else
	snprintf(out, outsz, "destination \"%s\"", p->domain);
    return out;
}

/* cfg_dest_value_text - a setting as command-line text, or -1 on a type error */
static int cfg_dest_value_text(const struct profile_key_info *ki,
			               const config_setting_t *s, struct buf *out,
			               char *why, size_t whysz)
{
    int     type = config_setting_type(s);
    const char *want = NULL;

    switch (ki->type) {
    case PKT_ENUM:
    case PKT_NAME:
    case PKT_ROUTE:
	if (type == CONFIG_TYPE_STRING) {
	    buf_puts(out, config_setting_get_string(s));
	    return 0;
	}
	want = "a string";
	break;
    case PKT_BOOL:
	if (type == CONFIG_TYPE_BOOL) {
	    buf_puts(out, config_setting_get_bool(s) ? "on" : "off");
	    return 0;
	}
	want = "true or false";
	break;
    case PKT_INT:
	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
	    buf_printf(out, "%lld", config_setting_get_int64(s));
	    return 0;
	}
	want = "an integer";
	break;
    case PKT_RATE:
	if (type == CONFIG_TYPE_STRING && strcmp(config_setting_get_string(s), "none") == 0) {
	    buf_puts(out, "none");
	    return 0;
	}
	if (type == CONFIG_TYPE_GROUP && config_setting_length(s) == 2) {
	    const config_setting_t *n = config_setting_get_member(s, "count");
	    const config_setting_t *m = config_setting_get_member(s, "minutes");

	    if (n && m && (config_setting_type(n) == CONFIG_TYPE_INT
			   || config_setting_type(n) == CONFIG_TYPE_INT64)
		&& config_setting_type(m) == CONFIG_TYPE_INT) {
		buf_printf(out, "%lld/%d", config_setting_get_int64(n),
			   config_setting_get_int(m));
		return 0;
	    }
	}
	want = "{ count = N; minutes = M; } or \"none\"";
	break;
    }
    snprintf(why, whysz, "%s: expected %s, got %s", ki->name, want,
	     cfg_type_phrase(type));
    return -1;
}

/* cfg_dest_profile - read one profile group into p */
static void cfg_dest_profile(struct profile *p, const config_setting_t *g,
			             const char *path, struct diag *d)
{
    int     n = config_setting_length(g), line;
    char    what[CFG_WHAT_MAX], why[512];
    struct buf *text = buf_alloc(64, 1024);

    cfg_dest_what(p, what, sizeof(what));
    for (int i = 0; i < n; i++) {
	const config_setting_t *s = config_setting_get_elem(g, (unsigned) i);
	const char *name = config_setting_name(s);
	const char *file = cfg_where(s, path, &line);
	const struct profile_key_info *ki;

	if (p->domain && strcmp(name, "domain") == 0)
	    continue;
	ki = profile_key_by_name(name);
	if (ki == NULL || strcmp(ki->name, name) != 0) {
	    diag_add(d, DIAG_ERROR, file, line, "%s: unknown key \"%s\"%s%s%s", what,
		     name, ki ? " (did you mean " : "", ki ? ki->name : "",
		     ki ? "?)" : "");
	    continue;
	}
	buf_reset(text);
	if (cfg_dest_value_text(ki, s, text, why, sizeof(why)) < 0
	    || (buf_overflow(text) && snprintf(why, sizeof(why), "%s: value too long",
					       ki->name))
	    || profile_set_text(p, ki->key, text->data, why, sizeof(why)) < 0)
	    diag_add(d, DIAG_ERROR, file, line, "%s: %s", what, why);
    }
    buf_free(text);
}

/* cfg_dest_domain - the normalised entry name of a destination group */
static char *cfg_dest_domain(const config_setting_t *g, const char *path,
			             struct diag *d)
{
    const config_setting_t *s = config_setting_get_member(g, "domain");
    char    norm[DOMAIN_MAX + 2], why[256];
    const char *v;
    bool    parent;

    if (s == NULL) {
	cfg_diag(d, DIAG_ERROR, g, path,
		 "destination without a domain");
	return NULL;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
	cfg_diag(d, DIAG_ERROR, s, path,
		 "domain: expected a string, got %s",
		 cfg_type_phrase(config_setting_type(s)));
	return NULL;
    }
    v = config_setting_get_string(s);
    parent = v[0] == '.';
    norm[0] = '.';
    if (domain_normalize(v + parent, norm + 1, why, sizeof(why)) < 0) {
	cfg_diag(d, DIAG_ERROR, s, path,
		 "destination \"%s\": invalid domain name: %s", v, why);
	return NULL;
    }
    return xstrdup(parent ? norm : norm + 1);
}

/* cfg_load_destinations - read a destinations file */
struct profile_table *cfg_load_destinations(const struct cfg *c, const char *path,
					            struct diag *d)
{
    struct profile_table *t = profile_table_new();
    int     errors = d->nerrors, n, line;
    const config_setting_t *root, *s;
    config_t *lc;

    if ((lc = cfg_read(path, d)) == NULL)
	return profile_table_free(t);
    if (strcmp(path, "-") == 0)
	path = "stdin";				/* for messages */
    root = config_root_setting(lc);
    n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
	s = config_setting_get_elem(root, (unsigned) i);
	const char *name = config_setting_name(s);
	int     type = config_setting_type(s);

	if ((strcmp(name, "default") == 0 && type == CONFIG_TYPE_GROUP)
	    || (strcmp(name, "destinations") == 0 && type == CONFIG_TYPE_LIST))
	    t->declared = true;
	if (strcmp(name, "default") == 0 && type == CONFIG_TYPE_GROUP) {
	    t->def->file = xstrdup(cfg_where(s, path, &line));
	    t->def->line = line;
	    cfg_dest_profile(t->def, s, path, d);
	} else if (strcmp(name, "destinations") == 0 && type == CONFIG_TYPE_LIST) {
	    int     m = config_setting_length(s);

	    for (int j = 0; j < m; j++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned) j);
		struct profile *p, *dup;
		char   *domain;

		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		    cfg_diag(d, DIAG_ERROR, g, path,
			     "destinations: element %d: expected a group { ... }, "
			     "got %s", j + 1, cfg_type_phrase(config_setting_type(g)));
		    continue;
		}
		if ((domain = cfg_dest_domain(g, path, d)) == NULL)
		    continue;
		p = profile_new(domain);
		free(domain);
		p->file = xstrdup(cfg_where(g, path, &line));
		p->line = line;
		cfg_dest_profile(p, g, path, d);
		if ((dup = profile_table_find(t, p->domain)) != NULL) {
		    diag_add(d, DIAG_ERROR, p->file, p->line, "duplicate destination "
			     "\"%s\" (first at %s:%d)", p->domain, dup->file, dup->line);
		    profile_free(p);
		} else if (profile_table_add(t, p) < 0) {
		    msg_panic("cfg_load_destinations: cannot add %s", p->domain);
		}
	    }
	} else if (strcmp(name, "default") == 0 || strcmp(name, "destinations") == 0) {
	    cfg_diag(d, DIAG_ERROR, s, path,
		     "%s: expected %s, got %s", name, strcmp(name, "default") == 0
		     ? "a group { ... }" : "a list of groups ( { ... }, ... )",
		     cfg_type_phrase(type));
	} else {
	    cfg_diag(d, DIAG_ERROR, s, path,
		     "unknown key \"%s\": expected default or destinations", name);
	}
    }
    cfg_release(lc);
    profile_table_resolve(t);
    cfg_check_profiles(c, t, d);
    if (d->nerrors > errors)
	return profile_table_free(t);
    return t;
}

/* cfg_dest_name_known - is name one of the defined names */
static bool cfg_dest_name_known(const struct cfg *c, enum profile_key k,
				        const char *name, struct buf *known)
{
    size_t  n = k == PK_CLIENT_CERTIFICATE ? c->ncertificates : c->nbounce_profiles;

    for (size_t i = 0; i < n; i++) {
	const char *v = k == PK_CLIENT_CERTIFICATE ? c->certificates[i].name
	: c->bounce_profiles[i].name;

	if (strcmp(v, name) == 0)
	    return true;
	buf_printf(known, "%s%s", i ? ", " : "", v);
    }
    return false;
}

/* cfg_dest_from - " (inherited from the default profile)" when k is not p's own */
static const char *cfg_dest_from(const struct profile *p, enum profile_key k)
{
    return (p->domain && !(p->set & PK_BIT(k))) ?
	" (inherited from the default profile)" : "";
}

/* cfg_check_one - the checks of one profile */
static int cfg_check_one(const struct cfg *c, const struct profile *p, struct diag *d)
{
    const struct profile_settings *e = &p->eff;
    const char *file = p->file ? p->file : c ? c->destinations_file : NULL;
    char    what[CFG_WHAT_MAX];
    int     errors = d->nerrors;
    unsigned unenforced;
    struct buf *b;

    cfg_dest_what(p, what, sizeof(what));
    if (e->tls == TLS_NONE && e->dane != DANE_NONE)
	diag_add(d, DIAG_ERROR, file, p->line, "%s: dane = \"%s\"%s needs TLS, but "
		 "tls = \"none\"%s", what, name_code_name(profile_dane_names, e->dane),
		 cfg_dest_from(p, PK_DANE), cfg_dest_from(p, PK_TLS));
    if (e->tls == TLS_NONE && e->mta_sts)
	diag_add(d, DIAG_ERROR, file, p->line, "%s: mta_sts = true%s needs TLS, but "
		 "tls = \"none\"%s", what, cfg_dest_from(p, PK_MTA_STS),
		 cfg_dest_from(p, PK_TLS));
    /* The keys that name an entry defined in destctl.conf. */
    static const enum profile_key named[] = {PK_CLIENT_CERTIFICATE, PK_BOUNCE_PROFILE};

    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
	enum profile_key k = named[i];
	const char *name = k == PK_CLIENT_CERTIFICATE ? e->client_certificate
	: e->bounce_profile;

	if (name == NULL || c == NULL || !(p->set & PK_BIT(k)))
	    continue;
	b = buf_alloc(64, 1024);
	if (!cfg_dest_name_known(c, (enum profile_key) k, name, b))
	    diag_add(d, DIAG_ERROR, file, p->line, "%s: unknown %s \"%s\" (%s "
		     "defines: %s)", what, profile_keys[k].name, name,
		     k == PK_CLIENT_CERTIFICATE ? "certificates" : "bounce_profiles",
		     b->len ? b->data : "none");
	buf_free(b);
    }
    if (e->route && (((p->set & PK_BIT(PK_DANE)) && e->dane != DANE_NONE)
		     || ((p->set & PK_BIT(PK_MTA_STS)) && e->mta_sts)))
	diag_add(d, DIAG_WARNING, file, p->line, "%s: route \"%s\" disables DANE and "
		 "MTA-STS: dane and mta_sts are not applied", what, e->route);
    unenforced = profile_unenforced(p) & p->set;
    for (int k = 0; k < PK_COUNT; k++)
	if (unenforced & PK_BIT(k)) {
	    b = buf_alloc(64, 1024);
	    profile_format(e, (enum profile_key) k, PF_TEXT, b);
	    diag_add(d, DIAG_WARNING, file, p->line, "%s: %s %s is not applied: %s",
		     what, profile_keys[k].name, b->data, profile_keys[k].unsupported);
	    buf_free(b);
	}
    return d->nerrors - errors;
}

/*
 * cfg_check_routes - profiles routed to one next hop with different TLS levels:
 * the agent answers that next hop with the strictest, so say which.
 */
static void cfg_check_routes(const struct cfg *c, const struct profile_table *t,
			             struct diag *d)
{
    /* The default too: entries inherit its route. Compared as the agent
     * compares next hops, without regard to case. */
    for (size_t i = 0; i <= t->n; i++) {
	const struct profile *p = i < t->n ? t->v[i] : t->def, *q;
	size_t  j;

	if (p->eff.route == NULL)
	    continue;
	for (j = 0; j < i && j < t->n; j++)	/* report each route once */
	    if (t->v[j]->eff.route && strcasecmp(t->v[j]->eff.route, p->eff.route) == 0)
		break;
	if (j < i)
	    continue;
	for (j = i + 1; j <= t->n; j++) {
	    q = j < t->n ? t->v[j] : t->def;
	    if (q->eff.route && strcasecmp(q->eff.route, p->eff.route) == 0
		&& q->eff.tls != p->eff.tls) {
		diag_add(d, DIAG_WARNING, q->file ? q->file : c ? c->destinations_file
			 : NULL, q->line, "route \"%s\" is used with tls = \"%s\" by "
			 "%s and tls = \"%s\" by %s: that next hop gets the "
			 "strictest", p->eff.route, name_code_name(profile_tls_names,
							      p->eff.tls),
			 p->domain ? p->domain : "the default profile",
			 name_code_name(profile_tls_names, q->eff.tls),
			 q->domain ? q->domain : "the default profile");
		break;
	    }
	}
    }
}

/* cfg_check_profiles - validate a whole table */
int     cfg_check_profiles(const struct cfg *c, const struct profile_table *t,
			           struct diag *d)
{
    int     errors = cfg_check_one(c, t->def, d);

    for (size_t i = 0; i < t->n; i++)
	errors += cfg_check_one(c, t->v[i], d);
    cfg_check_routes(c, t, d);
    return errors;
}

/* cfg_write_profile - the settings a profile sets, "key = value;" each */
static void cfg_write_profile(const struct profile *p, struct buf *out)
{
    for (int k = 0; k < PK_COUNT; k++) {
	if (!(p->set & PK_BIT(k)))
	    continue;
	buf_printf(out, " %s = ", profile_keys[k].name);
	profile_format(&p->own, (enum profile_key) k, PF_CONF, out);
	buf_putc(out, ';');
    }
}

/* cfg_write_destinations - the file text */
void    cfg_write_destinations(const struct profile_table *t, const char *header,
			               struct buf *out)
{
    if (header && *header) {
	buf_puts(out, header);
	if (header[strlen(header) - 1] != '\n')
	    buf_putc(out, '\n');
	buf_putc(out, '\n');
    }
    buf_puts(out, "default = {");
    cfg_write_profile(t->def, out);
    buf_puts(out, " };\n\ndestinations = (");
    for (size_t i = 0; i < t->n; i++) {
	buf_printf(out, "%s\n  { domain = \"%s\";", i ? "," : "", t->v[i]->domain);
	cfg_write_profile(t->v[i], out);
	buf_puts(out, " }");
    }
    buf_puts(out, t->n ? "\n);\n" : ");\n");
}
