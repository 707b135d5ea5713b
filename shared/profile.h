/*
 * profile - destination profiles: the settings, their names and values (one
 * table), inheritance from the default profile, and domain matching.
 *
 * A profile table holds the default profile and the destinations in file
 * order. A destination is "example.com" (that domain) or ".example.com" (its
 * subdomains, not itself). Matching: exact entry, else the longest ".parent"
 * entry, else the default; names are compared in domain_normalize() form, and
 * each lookup costs one hash probe per label.
 *
 * Each profile records which keys were written explicitly (`set`); the others
 * inherit from the default profile, whose unset keys take the built-in values.
 * profile_table_resolve() computes the effective settings (`eff`) of every
 * profile; call it after any change.
 */
#ifndef DESTCTL_PROFILE_H
#define DESTCTL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Name/value pairs of an enumerated setting; the list ends with name NULL. */
struct name_code {
    const char *name;
    int     code;
};

enum tls_level {
    TLS_NONE,
    TLS_PREFERRED,
    TLS_REQUIRED,
    TLS_PREFERRED_VERIFY,
    TLS_REQUIRED_VERIFY,
    TLS_REQUIRED_VERIFY_HOSTED,
};

enum dane_mode {
    DANE_NONE,
    DANE_OPPORTUNISTIC,
    DANE_MANDATORY,
};

enum ip_preference {
    IP_IPV6_PREFERRED,
    IP_IPV4_PREFERRED,
    IP_IPV6_ONLY,
    IP_IPV4_ONLY,
};

enum limits_per {
    LIMITS_PER_DOMAIN,
    LIMITS_PER_MX_IP,
};

extern const struct name_code profile_tls_names[];
extern const struct name_code profile_dane_names[];
extern const struct name_code profile_ip_names[];
extern const struct name_code profile_limits_names[];

/* name_code_name - the name of code in t, or "?"; name_code_find: code or -1. */
extern const char *name_code_name(const struct name_code *t, int code);
extern int name_code_find(const struct name_code *t, const char *name);

/* name_code_list - the names joined with ", " into out (for messages). */
extern void name_code_list(const struct name_code *t, struct buf *out);

/* The keys of a profile, in the order they are shown and written. */
enum profile_key {
    PK_TLS,
    PK_DANE,
    PK_MTA_STS,
    PK_IP_PREFERENCE,
    PK_CONCURRENCY,
    PK_MESSAGES_PER_CONNECTION,
    PK_RECIPIENT_LIMIT,
    PK_LIMITS_PER,
    PK_CLIENT_CERTIFICATE,
    PK_BOUNCE_VERIFICATION,
    PK_BOUNCE_PROFILE,
    PK_ROUTE,
    PK_EARLY_REFUSAL,
    PK_COUNT
};

#define PK_BIT(k) (1u << (k))

/* The values of every key; strings are owned by the profile they belong to. */
struct profile_settings {
    int     tls;			/* enum tls_level */
    int     dane;			/* enum dane_mode */
    bool    mta_sts;
    int     ip_preference;		/* enum ip_preference */
    int     concurrency;
    int     messages_per_connection;
    long    recipient_count;		/* < 0: no recipient limit */
    int     recipient_minutes;
    int     limits_per;			/* enum limits_per */
    char   *client_certificate;		/* NULL: the MTA's own */
    bool    bounce_verification;
    char   *bounce_profile;		/* NULL: the default bounce profile */
    char   *route;			/* NULL: no explicit route */
    bool    early_refusal;
};

enum profile_key_type {
    PKT_ENUM,
    PKT_BOOL,
    PKT_INT,
    PKT_RATE,
    PKT_NAME,				/* a name defined elsewhere in the config */
    PKT_ROUTE,
};

/* One row per key: every fact about a key lives here. */
struct profile_key_info {
    enum profile_key key;
    const char *name;			/* as in the destinations file */
    const char *option;			/* CLI option, without "--" */
    const char *title;			/* column/label for people */
    enum profile_key_type type;
    const struct name_code *names;	/* PKT_ENUM */
    long    min, max;			/* PKT_INT, PKT_RATE count */
    const char *unsupported;		/* why a non-built-in value is not applied
					 * (by Postfix), or NULL: applied */
    const char *doc;			/* one line of help */
};

extern const struct profile_key_info profile_keys[PK_COUNT];

/* profile_key_by_name - row for a file key name or CLI option name; NULL if none. */
extern const struct profile_key_info *profile_key_by_name(const char *name);

struct profile {
    char   *domain;			/* "example.com", ".example.com"; NULL: default */
    unsigned set;			/* PK_BIT of each key given explicitly */
    struct profile_settings own;	/* the explicit values (set keys only) */
    struct profile_settings eff;	/* effective values (strings borrowed) */
    char   *file;			/* where it was declared, or NULL */
    int     line;
};

/* profile_builtin - the built-in settings (what an empty default gives). */
extern void profile_builtin(struct profile_settings *s);

/* profile_new - a profile for domain (NULL: default) with nothing set. */
extern struct profile *profile_new(const char *domain);

/* profile_free - free a profile and its strings; returns NULL. */
extern struct profile *profile_free(struct profile *p);

/* profile_copy - a deep copy (eff is recomputed by profile_table_resolve). */
extern struct profile *profile_copy(const struct profile *p);

/*
 * profile_set_text - set key k of p from text as a person types it on the
 * command line ("required", "on", "20/5", "none", "[relay.example]:25"). The
 * word "inherit" unsets the key. Returns 0, or -1 with why.
 */
extern int profile_set_text(struct profile *p, enum profile_key k,
			            const char *text, char *why, size_t whysz);

/*
 * profile_format - append the value of key k in settings s to out, in style
 * PF_TEXT (for people: "required", "on", "20/5", "none"), PF_CONF (a libconfig
 * value: "\"required\"", "true", "{ count = 20; minutes = 5; }") or PF_JSON.
 */
enum profile_style { PF_TEXT, PF_CONF, PF_JSON };
extern void profile_format(const struct profile_settings *s, enum profile_key k,
			           enum profile_style style, struct buf *out);

/* Set of profiles with fast lookup. */
struct profile_table {
    struct profile *def;		/* the default profile, never NULL */
    struct profile **v;			/* destinations, in file order */
    size_t  n, cap;
    struct strmap *exact;		/* "example.com" -> profile */
    struct strmap *parent;		/* "example.com" (entry ".example.com") -> profile */
    bool    declared;			/* its file said default or destinations */
};

/* profile_table_new - empty table with an empty default profile. */
extern struct profile_table *profile_table_new(void);

/* profile_table_free - free the table and every profile; returns NULL. */
extern struct profile_table *profile_table_free(struct profile_table *t);

/* profile_table_add - take ownership of p, appended; -1 when its domain exists. */
extern int profile_table_add(struct profile_table *t, struct profile *p);

/* profile_table_remove - remove and free the entry named domain; -1 if absent. */
extern int profile_table_remove(struct profile_table *t, const char *domain);

/* profile_table_replace - put p in place of the same-named entry (or append). */
extern void profile_table_replace(struct profile_table *t, struct profile *p);

/* profile_table_set_default - take ownership of p as the default profile. */
extern void profile_table_set_default(struct profile_table *t, struct profile *p);

/* profile_table_find - the entry named exactly domain (".x" or "x"), or NULL. */
extern struct profile *profile_table_find(const struct profile_table *t,
				                  const char *domain);

/* profile_table_match - the profile for a normalised domain; never NULL. */
extern const struct profile *profile_table_match(const struct profile_table *t,
					                 const char *domain);

/* profile_table_resolve - recompute every profile's eff from the default. */
extern void profile_table_resolve(struct profile_table *t);

/* profile_table_copy - a deep copy. */
extern struct profile_table *profile_table_copy(const struct profile_table *t);

/* profile_unenforced - PK_BITs of keys whose value in p differs from the
 * built-in one and is not applied (profile_keys[k].unsupported says why). */
extern unsigned profile_unenforced(const struct profile *p);

#endif
