/*
 * delivery - how Postfix applies the delivery settings of the profiles:
 * concurrency, messages per connection, recipient rate, IP preference,
 * client certificate and route (DESIGN.md decision 1: from the
 * configuration alone, as static Postfix configuration).
 *
 * Every distinct set of those settings becomes one smtp(8) service in
 * master.cf, named after what differs from the built-in values
 * ("destctl-c2-m3", "destctl-base" for none), with its -o overrides and the
 * per-transport queue manager parameters in main.cf. Each destination gets
 * a transport table entry naming its service (and its route as next hop);
 * the default profile's service becomes default_transport. Pure: text out,
 * no I/O; destctl postfix writes it, the agent names the service in its
 * `profile` answers (the milter's tag).
 */
#ifndef DESTCTL_DELIVERY_H
#define DESTCTL_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "cfg.h"
#include "diag.h"
#include "profile.h"

#define DLV_NAME_MAX	128		/* a service name */
#define DLV_MAX_PARAMS	8

/* One parameter: name = value (a master.cf -o or a main.cf line). */
struct dlv_param {
    char    name[DLV_NAME_MAX + 64];
    char   *value;
};

/* One generated smtp(8) service. */
struct dlv_service {
    char    name[DLV_NAME_MAX];
    const struct profile_settings *s;	/* the settings (of its first user) */
    struct dlv_param opt[DLV_MAX_PARAMS];	/* master.cf -o overrides */
    int     nopt;
    struct dlv_param main[DLV_MAX_PARAMS];	/* main.cf, read by qmgr */
    int     nmain;
    size_t  users;			/* profiles delivered through it */
    const char *chain_file;		/* its own tlsproxy service holds this
					 * client certificate ("NAME-tlsproxy") */
};

/* One transport table entry. */
struct dlv_entry {
    const struct profile *p;		/* the destination */
    char   *value;			/* "service:" or "service:[relay]:25" */
};

struct dlv_plan {
    struct dlv_service *svc;
    size_t  nsvc;
    struct dlv_entry *ent;		/* one per destination, in file order */
    size_t  nent;
    char   *default_transport;		/* for the default profile */
};

/*
 * dlv_transport - the master.cf service that carries mail for settings s
 * ("destctl-c2"), or "retry" when s holds mail (a recipient limit of 0).
 * Returns out.
 */
extern const char *dlv_transport(const struct profile_settings *s, char *out,
				         size_t outsz);

/*
 * dlv_rate - the Postfix form of "count recipients per minutes minutes": a
 * recipient limit per delivery (*rcpt, at least 2: with 1, Postfix's
 * destination becomes the recipient, not the domain) and a delay between
 * deliveries to one destination (*delay seconds), whose long-run rate
 * rcpt/delay never exceeds count/(60 minutes). count must be > 0.
 */
extern void dlv_rate(long count, int minutes, int *rcpt, int *delay);

/*
 * dlv_plan_build - the services and entries for table t under c, or NULL
 * with errors in d (what Postfix cannot name: a chain file path with blanks
 * or commas, two certificate names that give one service name).
 */
extern struct dlv_plan *dlv_plan_build(const struct cfg *c,
				               const struct profile_table *t,
				               struct diag *d);

/*
 * dlv_plan_interfaces - give each one-family service (ip_preference ipv4-only,
 * ipv6-only) the addresses of its family from ifaces, main.cf's
 * inet_interfaces: 0, or -1 with an error in d (placed at file) when the
 * list names addresses but none of that family.
 */
extern int dlv_plan_interfaces(struct dlv_plan *plan, const char *ifaces,
			               const char *file, struct diag *d);

/*
 * dlv_plan_policy_maps - give each one-family service whose family cannot
 * reach the destctld address in maps (main.cf's smtp_tls_policy_maps) the
 * same map at an address of its family from listen (agent.listen): 0, or -1
 * with an error in d when listen has none.
 */
extern int dlv_plan_policy_maps(struct dlv_plan *plan, const char *maps,
				        const struct strlist *listen, const char *file,
				        struct diag *d);

/* dlv_plan_free - free a plan (NULL is fine); returns NULL. */
extern struct dlv_plan *dlv_plan_free(struct dlv_plan *plan);

/* dlv_plan_service - the service named name, or NULL. */
extern const struct dlv_service *dlv_plan_service(const struct dlv_plan *plan,
						          const char *name);

/*
 * Text for Postfix, each appended to out: the transport table source (with
 * a header comment naming source, the destinations file); the master.cf
 * block (services with chroot column `chroot`, as the stock smtp service
 * has it, plus the tlsproxy(8) service that TLS connection reuse needs when
 * with_tlsproxy: master.cf has none of its own); the main.cf block. Both blocks start with DLV_BEGIN and end with
 * DLV_END lines, which mark what destctl owns in those files.
 */
#define DLV_BEGIN	"# BEGIN destctl"
#define DLV_END		"# END destctl"
extern void dlv_plan_transport(const struct dlv_plan *plan, const char *source,
			               struct buf *out);
extern void dlv_plan_master(const struct dlv_plan *plan, const char *chroot,
			            bool with_tlsproxy, struct buf *out);

/* dlv_plan_reuses_tls - some service reuses TLS connections (tlsproxy). */
extern bool dlv_plan_reuses_tls(const struct dlv_plan *plan);
extern void dlv_plan_main(const struct dlv_plan *plan, struct buf *out);

/*
 * dlv_describe - how Postfix applies key k of profile p (for detail): the
 * service and parameter, or who else applies it ("the agent's tlspolicy
 * answer", "destctl-milter"); appended to out. Nothing for keys that have
 * no effect in p's settings.
 */
extern void dlv_describe(const struct cfg *c, const struct profile *p,
			         enum profile_key k, struct buf *out);

#endif
