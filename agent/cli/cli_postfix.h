/*
 * cli_postfix - what destctl postfix and destctl sweep share: reading and
 * generating the Postfix side (delivery.h), running Postfix's commands.
 */
#ifndef DESTCTL_CLI_POSTFIX_H
#define DESTCTL_CLI_POSTFIX_H

#include <stdbool.h>

#include "cfg.h"
#include "delivery.h"

/* What is installed (old) and what destctl generates (new). */
struct pf_state {
    struct dlv_plan *plan;
    char   *main_path, *master_path, *db_path;
    char   *main_old, *master_old, *table_old;	/* table_old NULL: absent */
    char   *main_new, *master_new, *table_new;
};

/* pf_slurp - a whole file (caller frees), or NULL with errno. */
extern char *pf_slurp(const char *path);

/* pf_splice - text with destctl's block (DLV_BEGIN..DLV_END) replaced by
 * block, or block appended when text has none (caller frees). */
extern char *pf_splice(const char *text, const char *block);

/* pf_main_value - the last value of main.cf parameter name in text, outside
 * destctl's block, continuation lines joined; NULL when not set; *line its
 * line number (caller frees). */
extern char *pf_main_value(const char *text, const char *name, int *line);

/* pf_master_field - field (0-based) of master.cf service name (a trailing
 * '*' matches a prefix) of type outside destctl's block; NULL when none;
 * *line its line number (caller frees). */
extern char *pf_master_field(const char *text, const char *name, const char *type,
			             int field, int *line);

/* pf_run - run argv without a shell: its exit status, or -1 (said). quiet:
 * its output to /dev/null. */
extern int pf_run(char *const argv[], bool quiet);

/* pf_capture - run argv without a shell, its standard output appended to
 * out (bounded by out's maximum): its exit status, or -1 (said). */
extern int pf_capture(char *const argv[], struct buf *out);

/* pf_state_load - read the installed files and generate for table t; 0, or
 * -1 printed with *rc CLI_USAGE (configuration) or CLI_FAILED. */
extern int pf_state_load(const struct cfg *c, const struct profile_table *t,
			         struct pf_state *st, int *rc);

/* pf_state_free - release what pf_state_load made. */
extern void pf_state_free(struct pf_state *st);

/* pf_up_to_date - the installed files are what would be generated. */
extern bool pf_up_to_date(const struct cfg *c, const struct pf_state *st);

/* pf_apply - install st safely (see cli_postfix.c): CLI_OK or CLI_FAILED. */
extern int pf_apply(const struct cfg *c, struct pf_state *st);

#endif
