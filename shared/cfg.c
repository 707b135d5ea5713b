/*
 * cfg - destctl.conf: the key table and the loader; see cfg.h.
 *
 * The destinations file is read by cfg_dest.c; this file owns the main
 * configuration, its defaults and checks, and the snapshot's lifetime.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <libconfig.h>

#include "cfg.h"
#include "cfg_impl.h"
#include "fsafe.h"
#include "log.h"
#include "sockmap.h"
#include "util.h"


enum cfg_type {
    CT_STRING,
    CT_PATH,				/* a string resolved against the file's directory */
    CT_INT,
    CT_CHOICE,				/* a string from a fixed list */
    CT_LIST,				/* a list (array) of strings */
};

struct cfg_key {
    const char *path;			/* "group.key" or "key" */
    enum cfg_type type;
    size_t  offset;			/* of the field in struct cfg */
    const char *def;			/* default, as text ("10", "a,b" for lists) */
    long    min, max;			/* CT_INT */
    const char *const *choices;		/* CT_CHOICE, NULL-terminated */
    cfg_check_fn check;			/* CT_STRING and CT_LIST elements */
    const char *doc;
};

static const char *const cfg_log_levels[] = {"info", "debug", NULL};
static const char *const cfg_agent_errors[] = {"tempfail", "accept", NULL};
static const char *const cfg_untagged[] = {"accept", "reject", NULL};
static const char *const cfg_table_types[] = {"hash", "lmdb", "cdb", NULL};
static const char *const cfg_apply_modes[] = {"manual", "auto", NULL};

#define F(field) offsetof(struct cfg, field)

static const struct cfg_key cfg_keys[] = {
    {"agent.listen", CT_LIST, F(agent_listen),
	"inet:127.0.0.1:10027,unix:/run/destctl/destctld.sock", 0, 0, NULL,
	cfg_check_endpoint, "socketmap endpoints: inet:HOST:PORT or unix:PATH"},
    {"agent.control_socket", CT_PATH, F(agent_control_socket),
	"/run/destctl/control.sock", 0, 0, NULL, NULL,
    "root-only control socket (status, flush, reload)"},
    {"agent.pid_file", CT_PATH, F(agent_pid_file), "/run/destctl/destctld.pid",
	0, 0, NULL, NULL, "the agent's pid file; destctl signals it after a change"},
    {"agent.user", CT_STRING, F(agent_user), "destctl", 0, 0, NULL,
	cfg_check_nonempty, "user the agent runs as after binding its sockets"},
    {"agent.cache_file", CT_PATH, F(agent_cache_file), "/var/lib/destctl/cache.db",
	0, 0, NULL, NULL, "durable MTA-STS policy cache (SQLite)"},
    {"agent.lookup_timeout", CT_INT, F(agent_lookup_timeout), "10", 1, 300, NULL,
	NULL, "seconds a socketmap request may wait before TEMP"},
    {"agent.log_facility", CT_STRING, F(agent_log_facility), "mail", 0, 0, NULL,
	cfg_check_facility, "syslog facility"},
    {"agent.log_level", CT_CHOICE, F(agent_log_level), "info", 0, 0,
	cfg_log_levels, NULL, "info or debug"},
    {"resolver.trust_anchor_file", CT_PATH, F(resolver_trust_anchor_file),
	"/usr/share/dns/root.key", 0, 0, NULL, NULL, "DNSSEC trust anchor"},
    {"resolver.root_hints", CT_PATH, F(resolver_root_hints), "", 0, 0, NULL, NULL,
    "root hints file (empty: libunbound's built-in)"},
    {"resolver.forward", CT_LIST, F(resolver_forward), "", 0, 0, NULL,
	cfg_check_address, "resolvers to forward to; validation stays local"},
    {"resolver.unbound_conf", CT_PATH, F(resolver_unbound_conf), "", 0, 0, NULL,
	NULL, "unbound.conf-style file given to libunbound as is"},
    {"mta_sts.ca_file", CT_PATH, F(mta_sts_ca_file),
	"/etc/ssl/certs/ca-certificates.crt", 0, 0, NULL, NULL,
    "CA bundle trusted for MTA-STS policy hosts"},
    {"mta_sts.proxy", CT_STRING, F(mta_sts_proxy), "", 0, 0, NULL, cfg_check_proxy,
    "HTTP proxy for policy fetches, http://host:port (empty: none)"},
    {"mta_sts.fetch_timeout", CT_INT, F(mta_sts_fetch_timeout), "10", 1, 300, NULL,
	NULL, "seconds a policy fetch may take"},
    {"milter.listen", CT_STRING, F(milter_listen), "inet:10028@127.0.0.1", 0, 0,
	NULL, cfg_check_milter_socket, "libmilter socket: inet:PORT@HOST, unix:PATH"},
    {"milter.socket_owner", CT_STRING, F(milter_socket_owner), "", 0, 0, NULL, NULL,
    "unix milter socket: owner (empty: agent.user)"},
    {"milter.socket_group", CT_STRING, F(milter_socket_group), "", 0, 0, NULL, NULL,
	"unix milter socket: group (empty: postfix if that group exists, Postfix's "
    "smtpd runs as it; else agent.user's group)"},
    {"milter.socket_mode", CT_STRING, F(milter_socket_mode), "0660", 0, 0, NULL,
    cfg_check_socket_mode, "unix milter socket: mode, never world-accessible"},
    {"milter.agent", CT_STRING, F(milter_agent), "unix:/run/destctl/destctld.sock",
	0, 0, NULL, cfg_check_endpoint, "the agent's socketmap endpoint"},
    {"milter.internal_networks", CT_LIST, F(milter_internal_networks),
	"127.0.0.0/8,::1/128", 0, 0, NULL, cfg_check_cidr,
    "clients whose mail is outbound (CIDR)"},
    {"milter.outbound_daemons", CT_LIST, F(milter_outbound_daemons), "", 0, 0, NULL,
	cfg_check_nonempty, "Postfix {daemon_name} values whose mail is outbound"},
    {"milter.local_daemons", CT_LIST, F(milter_local_daemons), "local", 0, 0, NULL,
	cfg_check_nonempty, "{daemon_name} values of local submission (Postfix "
    "non_smtpd_milters): tagged, never refused"},
    {"milter.on_agent_error", CT_CHOICE, F(milter_on_agent_error), "tempfail", 0, 0,
	cfg_agent_errors, NULL, "when the agent cannot answer: tempfail or accept"},
    {"bounce_verification.key_file", CT_PATH, F(bv_key_file),
	"/etc/destctl/batv.keys", 0, 0, NULL, NULL,
    "BATV keys, lines \"<keynum 0-9> <secret>\"; mode 0640, group agent.user's"},
    {"bounce_verification.valid_days", CT_INT, F(bv_valid_days), "7", 1, 30, NULL,
	NULL, "days a bounce verification tag stays valid"},
    {"bounce_verification.untagged", CT_CHOICE, F(bv_untagged), "accept", 0, 0,
	cfg_untagged, NULL, "untagged bounces: accept (with a header) or reject"},
    {"postfix.config_directory", CT_PATH, F(postfix_config_directory), "/etc/postfix",
	0, 0, NULL, NULL, "the Postfix configuration `destctl postfix` writes to"},
    {"postfix.transport_table", CT_PATH, F(postfix_transport_table), "", 0, 0, NULL,
	NULL, "the generated transport table (empty: destctl_transport in "
    "config_directory)"},
    {"postfix.table_type", CT_CHOICE, F(postfix_table_type), "hash", 0, 0,
	cfg_table_types, NULL, "its Postfix table type: hash, lmdb or cdb"},
    {"postfix.apply", CT_CHOICE, F(postfix_apply), "manual", 0, 0, cfg_apply_modes,
	NULL, "after a change of destinations: manual (say that `destctl postfix "
    "--apply` is needed) or auto (apply it)"},
    {"destinations_file", CT_PATH, F(destinations_file), "destinations.conf", 0, 0,
	NULL, NULL, "the per-domain profiles, rewritten by destctl"},
};

#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

/* Lists of groups, checked by their own code below. */
#define CFG_CERTIFICATES "certificates"
#define CFG_BOUNCE_PROFILES "bounce_profiles"
#define CFG_MAX_QUEUE_LIFETIME 8640000	/* 100 days, Postfix's own ceiling */
#define CFG_NAME_MAX	64		/* a certificate's or bounce profile's name */

/* cfg_type_phrase - a libconfig type for people */
const char *cfg_type_phrase(int config_type)
{
    switch (config_type) {
    case CONFIG_TYPE_GROUP:
	return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
	return "an integer";
    case CONFIG_TYPE_FLOAT:
	return "a number with a fraction";
    case CONFIG_TYPE_STRING:
	return "a string";
    case CONFIG_TYPE_BOOL:
	return "a boolean";
    case CONFIG_TYPE_ARRAY:
	return "an array";
    case CONFIG_TYPE_LIST:
	return "a list";
    default:
	return "an unknown type";
    }
}

/* cfg_field - the address of a key's field */
static void *cfg_field(struct cfg *c, const struct cfg_key *k)
{
    return (char *) c + k->offset;
}

/* cfg_strlist_free - free a list's strings */
static void cfg_strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
	free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* cfg_strlist_add - append a copy */
static void cfg_strlist_add(struct strlist *l, const char *s)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = xstrdup(s);
}

/* cfg_set_defaults - every key to its default */
static void cfg_set_defaults(struct cfg *c)
{
    for (size_t i = 0; i < CFG_NKEYS; i++) {
	const struct cfg_key *k = &cfg_keys[i];
	void   *f = cfg_field(c, k);

	switch (k->type) {
	case CT_INT:
	    *(int *) f = atoi(k->def);
	    break;
	case CT_LIST:{
		char   *copy = xstrdup(k->def), *save = NULL;

		for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save))
		    cfg_strlist_add((struct strlist *) f, e);
		free(copy);
		break;
	    }
	case CT_PATH:
	    *(char **) f = path_resolve(c->file, k->def);
	    break;
	default:
	    *(char **) f = xstrdup(k->def);
	    break;
	}
    }
}

/* cfg_where - file and line of a setting */
const char *cfg_where(const config_setting_t *s, const char *fallback, int *line)
{
    const char *file = config_setting_source_file(s);

    *line = config_setting_source_line(s);
    return file ? file : fallback;
}

/* cfg_key_find - row for a dotted path */
static const struct cfg_key *cfg_key_find(const char *path)
{
    for (size_t i = 0; i < CFG_NKEYS; i++)
	if (strcmp(cfg_keys[i].path, path) == 0)
	    return &cfg_keys[i];
    return NULL;
}

/* cfg_group_known - is name the group part of some key */
static bool cfg_group_known(const char *name)
{
    size_t  len = strlen(name);

    for (size_t i = 0; i < CFG_NKEYS; i++)
	if (strncmp(cfg_keys[i].path, name, len) == 0 && cfg_keys[i].path[len] == '.')
	    return true;
    return false;
}

/* cfg_choices_text - "a, b" */
static void cfg_choices_text(const char *const *choices, struct buf *out)
{
    for (size_t i = 0; choices[i]; i++)
	buf_printf(out, "%s%s", i ? ", " : "", choices[i]);
}

/* cfg_set_string - check and store one string value */
static void cfg_set_string(struct cfg *c, const struct cfg_key *k,
			           const config_setting_t *s, const char *file,
			           int line, struct diag *d)
{
    const char *v = config_setting_get_string(s);
    char    why[256];
    char  **f = cfg_field(c, k);

    if (k->type == CT_CHOICE) {
	size_t  i;

	for (i = 0; k->choices[i] && strcmp(k->choices[i], v) != 0; i++)
	     /* void */ ;
	if (k->choices[i] == NULL) {
	    struct buf *b = buf_alloc(64, 512);

	    cfg_choices_text(k->choices, b);
	    diag_add(d, DIAG_ERROR, file, line, "%s: invalid value \"%s\": expected "
		     "one of %s", k->path, v, b->data);
	    buf_free(b);
	    return;
	}
    }
    if (k->check && k->check(v, why, sizeof(why)) < 0) {
	diag_add(d, DIAG_ERROR, file, line, "%s: %s", k->path, why);
	return;
    }
    free(*f);
    *f = k->type == CT_PATH ? path_resolve(file, v) : xstrdup(v);
}

/* cfg_set_value - store one setting according to its row */
static void cfg_set_value(struct cfg *c, const struct cfg_key *k,
			          const config_setting_t *s, const char *fallback,
			          struct diag *d)
{
    int     line;
    const char *file = cfg_where(s, fallback, &line);
    int     type = config_setting_type(s);
    char    why[256];

    switch (k->type) {
    case CT_INT:{
	    long long v;

	    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		diag_add(d, DIAG_ERROR, file, line, "%s: expected an integer from "
			 "%ld to %ld, got %s", k->path, k->min, k->max,
			 cfg_type_phrase(type));
		return;
	    }
	    v = config_setting_get_int64(s);
	    if (v < k->min || v > k->max) {
		diag_add(d, DIAG_ERROR, file, line, "%s: %lld is out of range: "
			 "expected %ld to %ld", k->path, v, k->min, k->max);
		return;
	    }
	    *(int *) cfg_field(c, k) = (int) v;
	    return;
	}
    case CT_LIST:{
	    struct strlist *l = cfg_field(c, k);
	    int     n;

	    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		diag_add(d, DIAG_ERROR, file, line, "%s: expected a list of strings "
			 "[ \"...\", ... ], got %s", k->path, cfg_type_phrase(type));
		return;
	    }
	    cfg_strlist_free(l);
	    n = config_setting_length(s);
	    for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
		const char *v;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
		    diag_add(d, DIAG_ERROR, file, line, "%s: element %d: expected a "
			     "string, got %s", k->path, i + 1,
			     cfg_type_phrase(config_setting_type(e)));
		    continue;
		}
		v = config_setting_get_string(e);
		if (k->check && k->check(v, why, sizeof(why)) < 0) {
		    diag_add(d, DIAG_ERROR, file, line, "%s: %s", k->path, why);
		    continue;
		}
		cfg_strlist_add(l, v);
	    }
	    return;
	}
    default:
	if (type != CONFIG_TYPE_STRING) {
	    diag_add(d, DIAG_ERROR, file, line, "%s: expected a string, got %s",
		     k->path, cfg_type_phrase(type));
	    return;
	}
	cfg_set_string(c, k, s, file, line, d);
	return;
    }
}

/* cfg_member_string - a required/optional string member of a list entry */
static const char *cfg_member_string(const config_setting_t *g, const char *name,
				             const char *what, const char *file,
				             struct diag *d)
{
    const config_setting_t *s = config_setting_get_member(g, name);

    if (s == NULL) {
	cfg_diag(d, DIAG_ERROR, g, file,
		 "%s: entry without %s", what, name);
	return NULL;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
	cfg_diag(d, DIAG_ERROR, s, file,
		 "%s: %s: expected a string, got %s", what, name,
		 cfg_type_phrase(config_setting_type(s)));
	return NULL;
    }
    return config_setting_get_string(s);
}

/* cfg_check_members - report members of an entry not in names */
static void cfg_check_members(const config_setting_t *g, const char *const *names,
			              const char *what, const char *file, struct diag *d)
{
    int     n = config_setting_length(g);

    for (int i = 0; i < n; i++) {
	const config_setting_t *m = config_setting_get_elem(g, (unsigned) i);
	const char *name = config_setting_name(m);
	size_t  j;

	for (j = 0; names[j] && strcmp(names[j], name) != 0; j++)
	     /* void */ ;
	if (names[j] == NULL) {
	    struct buf *b = buf_alloc(64, 512);

	    cfg_choices_text(names, b);
	    cfg_diag(d, DIAG_ERROR, m, file,
		     "%s: unknown key \"%s\": expected %s", what, name, b->data);
	    buf_free(b);
	}
    }
}

/* cfg_name_ok - a name others can refer to */
static bool cfg_name_ok(const char *what, const char *name, const config_setting_t *g,
			        const char *file, struct diag *d)
{
    char    safe[80];
    size_t  len = strlen(name);

    if (name[0] == '\0' || strcmp(name, "none") == 0) {
	cfg_diag(d, DIAG_ERROR, g, file,
		 "%s: invalid name \"%s\" (empty and \"none\" are reserved)",
		 what, name);
	return false;
    }
    /* Names are written back into the destinations file and into Postfix's
     * service names: letters, digits, '-', '_', '.' only, so that they read
     * back as the same name wherever they go. */
    if (len > CFG_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
				     "NOPQRSTUVWXYZ0123456789-_.") != len) {
	log_sanitize(safe, sizeof(safe), name, len);
	cfg_diag(d, DIAG_ERROR, g, file, "%s: invalid name \"%s\": use at most %d "
		 "letters, digits, '-', '_' and '.'", what, safe, CFG_NAME_MAX);
	return false;
    }
    return true;
}

/* cfg_lifetime - member key of bounce profile g: seconds, or -1 (said in d) */
static int cfg_lifetime(const config_setting_t *g, const char *key, const char *what,
			        const char *file, struct diag *d)
{
    const config_setting_t *m = config_setting_get_member(g, key);
    long long v;

    if (config_setting_type(m) != CONFIG_TYPE_INT
	&& config_setting_type(m) != CONFIG_TYPE_INT64) {
	cfg_diag(d, DIAG_ERROR, m, file, "%s: %s: expected an integer (seconds), "
		 "got %s", what, key, cfg_type_phrase(config_setting_type(m)));
	return -1;
    }
    v = config_setting_get_int64(m);
    if (v < 60 || v > CFG_MAX_QUEUE_LIFETIME) {
	cfg_diag(d, DIAG_ERROR, m, file, "%s: %s: %lld is out of range: expected "
		 "60 to %d seconds", what, key, v, CFG_MAX_QUEUE_LIFETIME);
	return -1;
    }
    return (int) v;
}

/* cfg_load_entries - the certificates and bounce_profiles lists */
static void cfg_load_entries(struct cfg *c, const config_setting_t *s,
			             const char *file, struct diag *d)
{
    static const char *const cert_keys[] = {"name", "chain_file", NULL};
    static const char *const bp_keys[] = {"name", "max_queue_lifetime",
    "bounce_queue_lifetime", NULL};
    const char *what = config_setting_name(s);
    bool    certs = strcmp(what, CFG_CERTIFICATES) == 0;
    int     type = config_setting_type(s), n, line;

    if (type != CONFIG_TYPE_LIST) {
	cfg_diag(d, DIAG_ERROR, s, file,
		 "%s: expected a list of groups ( { ... }, ... ), got %s",
		 what, cfg_type_phrase(type));
	return;
    }
    n = config_setting_length(s);
    for (int i = 0; i < n; i++) {
	const config_setting_t *g = config_setting_get_elem(s, (unsigned) i);
	const char *name, *path;
	char   *resolved;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
	    cfg_diag(d, DIAG_ERROR, g, file,
		     "%s: element %d: expected a group { ... }, got %s", what,
		     i + 1, cfg_type_phrase(config_setting_type(g)));
	    continue;
	}
	cfg_check_members(g, certs ? cert_keys : bp_keys, what, file, d);
	if ((name = cfg_member_string(g, "name", what, file, d)) == NULL
	    || !cfg_name_ok(what, name, g, file, d))
	    continue;
	for (size_t j = 0; j < (certs ? c->ncertificates : c->nbounce_profiles); j++) {
	    const char *other = certs ? c->certificates[j].name
	    : c->bounce_profiles[j].name;

	    if (strcmp(other, name) == 0) {
		cfg_diag(d, DIAG_ERROR, g, file,
			 "%s: duplicate name \"%s\"", what, name);
		name = NULL;
		break;
	    }
	}
	if (name == NULL)
	    continue;
	if (certs) {
	    if ((path = cfg_member_string(g, "chain_file", what, file, d)) == NULL)
		continue;
	    resolved = path_resolve(cfg_where(g, file, &line), path);
	    /* Postfix reads it as root: a daemon running as agent.user may
	     * be unable to, and need not (destctl postfix --apply checks). */
	    if (access(resolved, R_OK) < 0 && (errno != EACCES || geteuid() == 0)) {
		const config_setting_t *m = config_setting_get_member(g, "chain_file");

		cfg_diag(d, DIAG_ERROR, m, file,
			 "%s: certificate \"%s\": chain_file \"%s\" cannot be read: %s",
			 what, name, resolved, strerror(errno));
		free(resolved);
		continue;
	    }
	    c->certificates = xrealloc(c->certificates,
			     (c->ncertificates + 1) * sizeof(*c->certificates));
	    c->certificates[c->ncertificates].name = xstrdup(name);
	    c->certificates[c->ncertificates++].chain_file = resolved;
	} else {
	    int     life, bounce_life = 0;

	    if (config_setting_get_member(g, "max_queue_lifetime") == NULL) {
		cfg_diag(d, DIAG_ERROR, g, file,
			 "%s: \"%s\": entry without max_queue_lifetime", what, name);
		continue;
	    }
	    if ((life = cfg_lifetime(g, "max_queue_lifetime", what, file, d)) < 0
		|| (config_setting_get_member(g, "bounce_queue_lifetime")
		    && (bounce_life = cfg_lifetime(g, "bounce_queue_lifetime", what,
						   file, d)) < 0))
		continue;
	    c->bounce_profiles = xrealloc(c->bounce_profiles,
			 (c->nbounce_profiles + 1) * sizeof(*c->bounce_profiles));
	    c->bounce_profiles[c->nbounce_profiles].name = xstrdup(name);
	    c->bounce_profiles[c->nbounce_profiles].bounce_queue_lifetime = bounce_life;
	    c->bounce_profiles[c->nbounce_profiles++].max_queue_lifetime = life;
	}
    }
}

/* cfg_load_main - walk the main file's settings */
static void cfg_load_main(struct cfg *c, config_t *lc, struct diag *d)
{
    const config_setting_t *root = config_root_setting(lc);
    int     n = config_setting_length(root);
    char    path[256];

    for (int i = 0; i < n; i++) {
	const config_setting_t *s = config_setting_get_elem(root, (unsigned) i);
	const char *name = config_setting_name(s);
	const struct cfg_key *k;

	if (strcmp(name, CFG_CERTIFICATES) == 0 || strcmp(name, CFG_BOUNCE_PROFILES) == 0) {
	    cfg_load_entries(c, s, c->file, d);
	} else if ((k = cfg_key_find(name)) != NULL) {
	    cfg_set_value(c, k, s, c->file, d);
	} else if (cfg_group_known(name)) {
	    int     m;

	    if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfg_diag(d, DIAG_ERROR, s, c->file,
			 "%s: expected a group { ... }, got %s", name,
			 cfg_type_phrase(config_setting_type(s)));
		continue;
	    }
	    m = config_setting_length(s);
	    for (int j = 0; j < m; j++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned) j);

		snprintf(path, sizeof(path), "%s.%s", name, config_setting_name(e));
		if ((k = cfg_key_find(path)) != NULL)
		    cfg_set_value(c, k, e, c->file, d);
		else
		    cfg_diag(d, DIAG_ERROR, e, c->file,
			     "unknown key \"%s\"", path);
	    }
	} else {
	    cfg_diag(d, DIAG_ERROR, s, c->file,
		     "unknown key \"%s\"", name);
	}
    }
}

/* cfg_read - parse a libconfig file; NULL with an error in d */
config_t *cfg_read(const char *path, struct diag *d)
{
    config_t *lc = xmalloc(sizeof(*lc));

    config_init(lc);
    if (strcmp(path, "-") != 0) {		/* @include is relative to the file */
	char   *dir = path_resolve(path, ".");

	config_set_include_dir(lc, dir);
	free(dir);
    }
    if (strcmp(path, "-") == 0) {
	if (config_read(lc, stdin) == CONFIG_TRUE)
	    return lc;
	path = "stdin";
    } else if (config_read_file(lc, path) == CONFIG_TRUE) {
	return lc;
    }
    if (config_error_type(lc) == CONFIG_ERR_FILE_IO) {
	diag_add(d, DIAG_ERROR, path, 0, "cannot read: %s", strerror(errno));
    } else {
	const char *efile = config_error_file(lc);

	diag_add(d, DIAG_ERROR, efile ? efile : path, config_error_line(lc),
		 "%s", config_error_text(lc));
    }
    config_destroy(lc);
    free(lc);
    return NULL;
}

/* cfg_diag - an entry at a setting */
void    cfg_diag(struct diag *d, enum diag_level level, const config_setting_t *s,
		         const char *fallback, const char *fmt, ...)
{
    int     line;
    const char *file = cfg_where(s, fallback, &line);
    va_list ap;

    va_start(ap, fmt);
    diag_vadd(d, level, file, line, fmt, ap);
    va_end(ap);
}

/* cfg_release - destroy a parsed file */
void    cfg_release(config_t *lc)
{
    if (lc) {
	config_destroy(lc);
	free(lc);
    }
}

/* cfg_load - main file, then destinations */
struct cfg *cfg_load(const char *path, struct diag *d)
{
    struct cfg *c = xcalloc(1, sizeof(*c));
    int     errors = d->nerrors;
    struct stat st;
    config_t *lc;

    memset(&st, 0, sizeof(st));
    c->file = xstrdup(path);
    cfg_set_defaults(c);
    if ((lc = cfg_read(path, d)) == NULL)
	return cfg_free(c);
    cfg_load_main(c, lc, d);
    cfg_release(lc);
    if (d->nerrors > errors)
	return cfg_free(c);
    if (*c->postfix_transport_table == '\0') {
	struct buf *b = buf_alloc(64, 8192);

	buf_printf(b, "%s/destctl_transport", c->postfix_config_directory);
	free(c->postfix_transport_table);
	c->postfix_transport_table = buf_steal(b);
    }
    if (stat(c->destinations_file, &st) < 0 && errno == ENOENT) {
	c->destinations_missing = true;
	c->destinations_problem = "destinations file does not exist";
	c->profiles = profile_table_new();
	diag_add(d, DIAG_WARNING, c->destinations_file, 0, "destinations file does "
		 "not exist: every domain gets the built-in default profile");
    } else if ((c->profiles = cfg_load_destinations(c, c->destinations_file, d)) == NULL) {
	return cfg_free(c);
    } else if (!S_ISREG(st.st_mode)) {
	c->destinations_problem = "destinations file is not a regular file";
    } else if (!c->profiles->declared) {
	c->destinations_problem = "destinations file is empty: it has neither "
	    "default nor destinations";
    }
    return c;
}

/* cfg_destinations_check - a destinations file the agent may run on */
int     cfg_destinations_check(const struct cfg *c, struct diag *d)
{
    if (c->destinations_problem == NULL)
	return 0;
    diag_add(d, DIAG_ERROR, c->destinations_file, 0, "%s: every domain would get "
	     "the built-in default profile (write \"destinations = ( );\" if that "
	     "is meant)", c->destinations_problem);
    return -1;
}

/* cfg_trust_check - nobody but root and the daemon's user can write them */
int     cfg_trust_check(const struct cfg *c, uid_t trusted, struct diag *d)
{
    const char *files[6];
    const char *optional[] = {c->bv_key_file, c->resolver_trust_anchor_file,
	c->resolver_unbound_conf, c->mta_sts_ca_file};
    char    why[512];
    size_t  n = 0;
    int     rc = 0;

    files[n++] = c->file;
    if (!c->destinations_missing)
	files[n++] = c->destinations_file;
    /* Keys, and what decides what is secure: the trust anchor, the resolver
     * set-up, the CAs trusted for policy hosts. */
    for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
	if (*optional[i] && access(optional[i], F_OK) == 0)
	    files[n++] = optional[i];
    for (size_t i = 0; i < n; i++) {
	if (fsafe_check(files[i], trusted, why, sizeof(why)) < 0) {
	    diag_add(d, DIAG_ERROR, files[i], 0, "not safe to trust: %s (only root "
		     "and the daemon's user may be able to change it)", why);
	    rc = -1;
	}
    }
    return rc;
}

/* cfg_daemon_uid - whom a daemon trusts besides root */
uid_t   cfg_daemon_uid(const char *user)
{
    struct passwd *pw;

    if (geteuid() != 0)
	return geteuid();		/* after the drop, or never root */
    return (pw = getpwnam(user)) != NULL ? pw->pw_uid : (uid_t) -1;
}

/* cfg_load_daemon - cfg_load, and what a daemon also refuses */
struct cfg *cfg_load_daemon(const char *path, struct diag *d)
{
    struct cfg *c = cfg_load(path, d);
    int     bad;

    if (c == NULL)
	return NULL;
    bad = cfg_destinations_check(c, d);	/* both, so that both are said */
    bad |= cfg_trust_check(c, cfg_daemon_uid(c->agent_user), d);
    return bad < 0 ? cfg_free(c) : c;
}

/* cfg_free - free a snapshot */
struct cfg *cfg_free(struct cfg *c)
{
    if (c == NULL)
	return NULL;
    for (size_t i = 0; i < CFG_NKEYS; i++) {
	void   *f = cfg_field(c, &cfg_keys[i]);

	if (cfg_keys[i].type == CT_LIST)
	    cfg_strlist_free(f);
	else if (cfg_keys[i].type != CT_INT)
	    free(*(char **) f);
    }
    for (size_t i = 0; i < c->ncertificates; i++) {
	free(c->certificates[i].name);
	free(c->certificates[i].chain_file);
    }
    free(c->certificates);
    for (size_t i = 0; i < c->nbounce_profiles; i++)
	free(c->bounce_profiles[i].name);
    free(c->bounce_profiles);
    profile_table_free(c->profiles);
    free(c->file);
    free(c);
    return NULL;
}

/* cfg_certificate_find - by name */
const struct cfg_certificate *cfg_certificate_find(const struct cfg *c, const char *name)
{
    for (size_t i = 0; name && i < c->ncertificates; i++)
	if (strcmp(c->certificates[i].name, name) == 0)
	    return &c->certificates[i];
    return NULL;
}

/* cfg_bounce_profile_find - by name */
const struct cfg_bounce_profile *cfg_bounce_profile_find(const struct cfg *c,
							         const char *name)
{
    for (size_t i = 0; name && i < c->nbounce_profiles; i++)
	if (strcmp(c->bounce_profiles[i].name, name) == 0)
	    return &c->bounce_profiles[i];
    return NULL;
}

/* cfg_print_keys - the key table for people */
void    cfg_print_keys(FILE *fp)
{
    for (size_t i = 0; i < CFG_NKEYS; i++) {
	const struct cfg_key *k = &cfg_keys[i];

	fprintf(fp, "  %-30s %s (default: %s%s%s)\n", k->path, k->doc,
		k->type == CT_INT ? "" : "\"", k->def,
		k->type == CT_INT ? "" : "\"");
    }
}
