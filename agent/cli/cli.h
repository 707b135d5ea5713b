/*
 * cli - the destctl admin command: what its modules share.
 *
 * destctl.c parses the command line and dispatches; cli_show.c has list and
 * detail; cli_change.c new, edit, delete, default and clear; cli_file.c
 * export, import, check-config and the atomic rewrite of the destinations
 * file; cli_agent.c status, flush, reload and ack-cache, through the running
 * agent's control socket. Each command returns the process exit status.
 */
#ifndef DESTCTL_CLI_H
#define DESTCTL_CLI_H

#include <stdbool.h>

#include "buf.h"
#include "cfg.h"
#include "sockmap.h"

/* Exit statuses, as INTERFACES.md fixes them. */
#define CLI_OK		0		/* success */
#define CLI_FAILED	1		/* what was asked about failed or is absent */
#define CLI_USAGE	2		/* usage error or invalid configuration */

struct cli {
    const char *config;			/* -c FILE */
    bool    json;			/* --json */
    bool    yes;			/* --yes */
    bool    merge;			/* --merge */
    bool    all;			/* --all */
    bool    apply;			/* --apply */
    bool    dry_run;			/* --dry-run */
    bool    fresh;			/* --fresh */
    int     argc;			/* command arguments, options removed */
    char  **argv;
    char  **opts;			/* --KEY VALUE pairs, flattened */
    int     nopts;
};

/* cli_load - load the configuration or print its errors; NULL: exit CLI_USAGE. */
extern struct cfg *cli_load(const struct cli *cli);

/* cli_usage - print "destctl: msg" and a hint to stderr; returns CLI_USAGE. */
extern int cli_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* cli_entry_name - normalise a DOMAIN argument (".x" kept) into out; -1 printed. */
extern int cli_entry_name(const char *arg, char *out, size_t outsz);

extern int cli_list(struct cli *cli);
extern int cli_detail(struct cli *cli);
extern int cli_new(struct cli *cli);
extern int cli_edit(struct cli *cli);
extern int cli_delete(struct cli *cli);
extern int cli_default(struct cli *cli);
extern int cli_clear(struct cli *cli);
extern int cli_export(struct cli *cli);
extern int cli_import(struct cli *cli);
extern int cli_check_config(struct cli *cli);
extern int cli_status(struct cli *cli);
extern int cli_flush(struct cli *cli);
extern int cli_reload(struct cli *cli);
extern int cli_ack_cache(struct cli *cli);
extern int cli_postfix(struct cli *cli);
extern int cli_sweep(struct cli *cli);
extern int cli_explain(struct cli *cli);

/*
 * cli_commit - validate table t against c, write it as c's destinations file
 * atomically (keeping the file's header comment), then ask a running agent to
 * reload. On validation errors prints them and returns CLI_USAGE, writing
 * nothing. Takes ownership of t. `done` is printed on success.
 */
extern int cli_commit(const struct cfg *c, struct profile_table *t, const char *done);

/*
 * cli_control - one request (cmd arg) on the agent's control socket: 0 with
 * *st and the value, or -1 with the reason printed (not running, needs root).
 */
extern int cli_control(const struct cfg *c, const char *cmd, const char *arg,
		               enum sockmap_status *st, struct buf *value);

/* One key=value field of an agent's answer, percent-decoded. */
struct cli_field {
    char   *key;
    char   *value;
};

/* cli_fields - split line ("k=v k=v", values percent-encoded) in place into
 * at most max fields; how many. cli_field_get: a value, "" when absent. */
extern int cli_fields(char *line, struct cli_field *f, int max);
extern const char *cli_field_get(const struct cli_field *f, int n, const char *key);

/*
 * cli_replace_file - write text to path atomically: a temporary file in the
 * same directory with path's mode, fsync, rename over path, fsync the
 * directory. A crash leaves the old file or the new one, never a mix. 0, or
 * -1 printed.
 */
extern int cli_replace_file(const char *path, const char *text, size_t len);

/*
 * cli_postfix_changed - after destinations changed to t (c the configuration
 * before): when the Postfix side it generates differs from what is installed,
 * say that `destctl postfix --apply` is needed, or apply it when
 * postfix.apply is "auto". Silent when c's Postfix directory has no main.cf.
 */
extern void cli_postfix_changed(const struct cfg *c, const struct profile_table *t);

/*
 * cli_load_locked - cli_load() under the exclusive lock that serialises destctl
 * writers (a flock on the destinations file's directory), so two changes at
 * once cannot lose one. *lockfd is the fd to close when done.
 */
extern struct cfg *cli_load_locked(const struct cli *cli, int *lockfd);

#endif
