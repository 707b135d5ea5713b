/*
 * cfg - the configuration: destctl.conf and the destinations file it names.
 *
 * Every key of destctl.conf is one row of a table (cfg.c: path, type, default,
 * bounds, documentation); the loader, the validator and `destctl check-config`
 * read that table. Loading validates everything before it returns: a struct
 * cfg exists only for a configuration without errors. Each problem becomes one
 * "FILE:LINE: message" entry of the caller's struct diag, all of them, in the
 * order found. Relative paths are resolved against the directory of the file
 * that names them.
 *
 * A loaded configuration is a snapshot: never changed after loading (a reload
 * builds a new one and swaps), freed with cfg_free().
 */
#ifndef DESTCTL_CFG_H
#define DESTCTL_CFG_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>

#include "diag.h"
#include "profile.h"

#define CFG_DEFAULT_FILE "/etc/destctl/destctl.conf"

struct strlist {
    char  **v;
    size_t  n;
};

struct cfg_certificate {
    char   *name;
    char   *chain_file;
};

struct cfg_bounce_profile {
    char   *name;
    int     max_queue_lifetime;		/* seconds */
    int     bounce_queue_lifetime;	/* seconds, for bounces (null sender); 0:
					 * max_queue_lifetime */
};

struct cfg {
    char   *file;			/* the main configuration file */

    /* agent */
    struct strlist agent_listen;
    char   *agent_control_socket;
    char   *agent_pid_file;
    char   *agent_user;
    char   *agent_cache_file;
    int     agent_lookup_timeout;
    char   *agent_log_facility;		/* a name log_facility_code() knows */
    char   *agent_log_level;		/* "info" or "debug" */

    /* resolver */
    char   *resolver_trust_anchor_file;
    char   *resolver_root_hints;
    struct strlist resolver_forward;
    char   *resolver_unbound_conf;

    /* mta_sts */
    char   *mta_sts_ca_file;
    char   *mta_sts_proxy;
    int     mta_sts_fetch_timeout;

    /* milter */
    char   *milter_listen;
    char   *milter_socket_owner;
    char   *milter_socket_group;
    char   *milter_socket_mode;
    char   *milter_agent;
    struct strlist milter_internal_networks;
    struct strlist milter_outbound_daemons;
    struct strlist milter_local_daemons;
    char   *milter_on_agent_error;

    /* bounce_verification */
    char   *bv_key_file;
    int     bv_valid_days;
    char   *bv_untagged;

    /* postfix */
    char   *postfix_config_directory;
    char   *postfix_transport_table;	/* "" until cfg_load fills it in */
    char   *postfix_table_type;
    char   *postfix_apply;

    struct cfg_certificate *certificates;
    size_t  ncertificates;
    struct cfg_bounce_profile *bounce_profiles;
    size_t  nbounce_profiles;

    char   *destinations_file;		/* resolved path */
    bool    destinations_missing;	/* the file did not exist: no entries */
    const char *destinations_problem;	/* why the agent must not run on it
					 * (missing, empty, not a file), or NULL */
    struct profile_table *profiles;
};

/*
 * cfg_load - read and validate path and the destinations file it names.
 * Returns the snapshot, or NULL when d holds at least one error. Warnings
 * (settings not enforced yet, a route with DANE...) are added to d either way.
 */
extern struct cfg *cfg_load(const char *path, struct diag *d);

/*
 * cfg_destinations_check - 0 when c's destinations file can be trusted to
 * say what the profiles are; else -1 with the error "FILE: message" added
 * to d. A file that is missing, empty (neither default nor destinations),
 * or not a regular file (/dev/null) would give every domain the built-in
 * default, weaker than what the operator set: the agent refuses to start or
 * reload on it. "destinations = ( );" on purpose is fine. The CLI loads such
 * a file (it may be about to write the first entry); check-config reports it.
 */
extern int cfg_destinations_check(const struct cfg *c, struct diag *d);

/*
 * cfg_trust_check - 0 when the files c was read from (the main file, the
 * destinations file), the BATV key file, the resolver's trust anchor and
 * unbound.conf and the MTA-STS CA file can be changed by nobody but root
 * and trusted (fsafe_check()); else -1, each file at fault an error
 * "FILE: not safe to trust: ..." in d.
 */
extern int cfg_trust_check(const struct cfg *c, uid_t trusted, struct diag *d);

/* cfg_daemon_uid - the user a daemon trusts besides root: user's uid when
 * running as root (before dropping to it), else the uid it runs as. */
extern uid_t cfg_daemon_uid(const char *user);

/*
 * cfg_load_daemon - what a daemon loads at start and on SIGHUP: cfg_load(),
 * then cfg_destinations_check() and cfg_trust_check() for agent.user (the
 * user both daemons drop to). NULL when d got an error.
 */
extern struct cfg *cfg_load_daemon(const char *path, struct diag *d);

/* cfg_certificate_find, cfg_bounce_profile_find - the entry of c's
 * certificates or bounce_profiles named name, or NULL (also for NULL). */
extern const struct cfg_certificate *cfg_certificate_find(const struct cfg *c,
							          const char *name);
extern const struct cfg_bounce_profile *cfg_bounce_profile_find(const struct cfg *c,
								        const char *name);

/* cfg_free - free a snapshot (NULL is fine); returns NULL. */
extern struct cfg *cfg_free(struct cfg *c);

/*
 * cfg_load_destinations - read a destinations file (path) into a new table,
 * validated against c (names of certificates and bounce profiles). NULL when d
 * got errors. A missing file is an error here (import needs a file).
 */
extern struct profile_table *cfg_load_destinations(const struct cfg *c,
					               const char *path,
						               struct diag *d);

/*
 * cfg_check_profiles - validate a table as it would be written (combinations,
 * references to certificates and bounce profiles); add errors and warnings to
 * d, each naming the profile's file and line (or "destination x" when it has
 * none yet). Returns the number of errors added.
 */
extern int cfg_check_profiles(const struct cfg *c, const struct profile_table *t,
			              struct diag *d);

/* cfg_print_keys - print every key with its default and meaning (for --help). */
extern void cfg_print_keys(FILE *fp);

/*
 * cfg_write_destinations - append the text of a destinations file for t to
 * out: header (comment lines, may be NULL), the default profile, then every
 * destination in order, each with only the keys it sets. Loading that text
 * gives back the same table: export then import is an exact round trip.
 */
extern void cfg_write_destinations(const struct profile_table *t,
				           const char *header, struct buf *out);

/* cfg_setting_type - "a string", "an integer"... for messages (libconfig type). */
extern const char *cfg_type_phrase(int config_type);

#endif
