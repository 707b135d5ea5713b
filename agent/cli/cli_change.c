/*
 * cli_change - destctl new, edit, delete, default and clear.
 *
 * Each works on a copy of the loaded table and hands it to cli_commit(),
 * which validates the whole result before anything is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "domain.h"
#include "log.h"
#include "util.h"

#define CLI_ANSWER_MAX 512

/* cli_apply_opts - apply --KEY VALUE pairs to p; CLI_OK or CLI_USAGE */
static int cli_apply_opts(const struct cli *cli, const char *cmd, struct profile *p)
{
    char    why[512];

    for (int i = 0; i < cli->nopts; i += 2) {
	const struct profile_key_info *ki = profile_key_by_name(cli->opts[i]);

	if (ki == NULL || strcmp(ki->option, cli->opts[i]) != 0)
	    return cli_usage(cmd, "unknown option \"--%s\"", cli->opts[i]);
	if (profile_set_text(p, ki->key, cli->opts[i + 1], why, sizeof(why)) < 0)
	    return cli_usage(cmd, "%s", why);
    }
    return CLI_OK;
}

/* cli_ask - print a question, read one line; NULL at end of input */
static char *cli_ask(const char *question, const char *current, char *answer,
		             size_t size)
{
    size_t  len;

    printf("%s [%s]: ", question, current);
    fflush(stdout);
    if (fgets(answer, (int) size, stdin) == NULL)
	return NULL;
    len = strcspn(answer, "\r\n");
    answer[len] = '\0';
    return answer;
}

/* The setup dialogue: the questions of the vendor's `destconfig new`, in order. */
static const struct {
    enum profile_key key;
    const char *question;
} cli_dialogue[] = {
    {PK_CONCURRENCY, "Maximum concurrent connections (1-1000)"},
    {PK_MESSAGES_PER_CONNECTION, "Maximum messages per connection (1-1000)"},
    {PK_RECIPIENT_LIMIT, "Recipient limit, N recipients per M minutes as N/M, or none"},
    {PK_TLS, "TLS setting (1-6)"},
    {PK_DANE, "DANE support (none, opportunistic, mandatory)"},
    {PK_MTA_STS, "MTA-STS (on, off)"},
    {PK_BOUNCE_VERIFICATION, "Perform bounce verification address tagging (on, off)"},
    {PK_BOUNCE_PROFILE, "Bounce profile"},
    {PK_IP_PREFERENCE, "IP address preference (ipv6-preferred, ipv4-preferred, "
	"ipv6-only, ipv4-only)"},
};

/* cli_tls_menu - the numbered TLS levels */
static void cli_tls_menu(void)
{
    static const char *what[] = {
	"no TLS", "TLS preferred", "TLS required", "TLS preferred, verify",
	"TLS required, verify", "TLS required, verify, hosted domain",
    };

    for (int i = 0; profile_tls_names[i].name; i++)
	printf("  %d. %-24s %s\n", i + 1, profile_tls_names[i].name, what[i]);
}

/* cli_question_default - the current value shown in brackets */
static void cli_question_default(const struct profile *p, enum profile_key k,
				         struct buf *out)
{
    buf_reset(out);
    if (k == PK_TLS)
	buf_printf(out, "%d", p->eff.tls + 1);
    else
	profile_format(&p->eff, k, PF_TEXT, out);
}

/* cli_interview - ask each question; -1 when input ended */
static int cli_interview(const struct cfg *c, struct profile *p,
			         struct profile_table *t)
{
    char    answer[CLI_ANSWER_MAX], why[512];
    struct buf *cur = buf_alloc(64, 1024);
    int     rc = 0;

    printf("New destination %s: press Enter to keep the value in brackets.\n",
	   p->domain);
    for (size_t i = 0; i < sizeof(cli_dialogue) / sizeof(cli_dialogue[0]); i++) {
	enum profile_key k = cli_dialogue[i].key;

	for (;;) {
	    const char *text = answer;

	    profile_table_resolve(t);
	    cli_question_default(p, k, cur);
	    if (k == PK_TLS)
		cli_tls_menu();
	    if (k == PK_BOUNCE_PROFILE) {
		printf("  bounce profiles: none");
		for (size_t j = 0; j < c->nbounce_profiles; j++)
		    printf(", %s", c->bounce_profiles[j].name);
		printf("\n");
	    }
	    if (cli_ask(cli_dialogue[i].question, cur->data, answer,
			sizeof(answer)) == NULL) {
		rc = -1;
		goto out;
	    }
	    if (answer[0] == '\0')
		break;			/* keep: nothing set, still inherited */
	    if (k == PK_TLS && answer[0] >= '1' && answer[0] <= '6' && answer[1] == '\0')
		text = profile_tls_names[answer[0] - '1'].name;
	    if (profile_set_text(p, k, text, why, sizeof(why)) == 0)
		break;
	    printf("  %s\n", why);
	}
    }
  out:
    buf_free(cur);
    return rc;
}

/* cli_new - new DOMAIN [--KEY VALUE ...] */
int     cli_new(struct cli *cli)
{
    char    name[DOMAIN_MAX + 2], done[DOMAIN_MAX + 64];
    struct profile_table *t;
    struct profile *p;
    struct cfg *c;
    int     lock, rc;

    if (cli->argc != 1)
	return cli_usage("new", "new takes one DOMAIN");
    if (cli_entry_name(cli->argv[0], name, sizeof(name)) < 0)
	return CLI_USAGE;
    if ((c = cli_load_locked(cli, &lock)) == NULL)
	return CLI_USAGE;
    if (profile_table_find(c->profiles, name) != NULL) {
	fprintf(stderr, "destctl: destination \"%s\" exists; use 'destctl edit %s'\n",
		name, name);
	rc = CLI_FAILED;
	goto out;
    }
    t = profile_table_copy(c->profiles);
    p = profile_new(name);
    if (profile_table_add(t, p) < 0)
	msg_panic("cli_new: cannot add %s", name);
    if (cli->nopts == 0 && isatty(0) && isatty(1)) {
	if (cli_interview(c, p, t) < 0) {
	    fprintf(stderr, "\ndestctl: input ended; nothing changed\n");
	    profile_table_free(t);
	    rc = CLI_FAILED;
	    goto out;
	}
    } else if ((rc = cli_apply_opts(cli, "new", p)) != CLI_OK) {
	profile_table_free(t);
	goto out;
    }
    snprintf(done, sizeof(done), "added destination %s", name);
    rc = cli_commit(c, t, done);
  out:
    cfg_free(c);
    close(lock);
    return rc;
}

/* cli_change_one - edit DOMAIN or default: apply options to one profile */
static int cli_change_one(struct cli *cli, const char *cmd, const char *name)
{
    struct profile_table *t;
    struct profile *p;
    struct cfg *c;
    char    done[DOMAIN_MAX + 64];
    int     lock, rc;

    if (cli->nopts == 0)
	return cli_usage(cmd, "%s needs at least one --KEY VALUE", cmd);
    if ((c = cli_load_locked(cli, &lock)) == NULL)
	return CLI_USAGE;
    t = profile_table_copy(c->profiles);
    p = name ? profile_table_find(t, name) : t->def;
    if (p == NULL) {
	fprintf(stderr, "destctl: no destination \"%s\"; use 'destctl new %s'\n",
		name, name);
	profile_table_free(t);
	rc = CLI_FAILED;
    } else if ((rc = cli_apply_opts(cli, cmd, p)) != CLI_OK) {
	profile_table_free(t);
    } else {
	snprintf(done, sizeof(done), "changed %s%s", name ? "destination " : "the "
		 "default profile", name ? name : "");
	rc = cli_commit(c, t, done);
    }
    cfg_free(c);
    close(lock);
    return rc;
}

/* cli_edit - edit DOMAIN --KEY VALUE ... */
int     cli_edit(struct cli *cli)
{
    char    name[DOMAIN_MAX + 2];

    if (cli->argc != 1)
	return cli_usage("edit", "edit takes one DOMAIN");
    if (cli_entry_name(cli->argv[0], name, sizeof(name)) < 0)
	return CLI_USAGE;
    return cli_change_one(cli, "edit", name);
}

/* cli_default - default --KEY VALUE ... */
int     cli_default(struct cli *cli)
{
    if (cli->argc != 0)
	return cli_usage("default", "default takes no DOMAIN, only --KEY VALUE");
    return cli_change_one(cli, "default", NULL);
}

/* cli_delete - delete DOMAIN */
int     cli_delete(struct cli *cli)
{
    char    name[DOMAIN_MAX + 2], done[DOMAIN_MAX + 64];
    struct profile_table *t;
    struct cfg *c;
    int     lock, rc;

    if (cli->argc != 1 || cli->nopts)
	return cli_usage("delete", "delete takes one DOMAIN");
    if (cli_entry_name(cli->argv[0], name, sizeof(name)) < 0)
	return CLI_USAGE;
    if ((c = cli_load_locked(cli, &lock)) == NULL)
	return CLI_USAGE;
    t = profile_table_copy(c->profiles);
    if (profile_table_remove(t, name) < 0) {
	fprintf(stderr, "destctl: no destination \"%s\"\n", name);
	profile_table_free(t);
	rc = CLI_FAILED;
    } else {
	snprintf(done, sizeof(done), "deleted destination %s", name);
	rc = cli_commit(c, t, done);
    }
    cfg_free(c);
    close(lock);
    return rc;
}

/* cli_clear - clear [--yes] */
int     cli_clear(struct cli *cli)
{
    struct profile_table *t;
    struct cfg *c;
    char    answer[CLI_ANSWER_MAX], done[64];
    int     lock, rc;

    if (cli->argc || cli->nopts)
	return cli_usage("clear", "clear takes no arguments");
    if ((c = cli_load_locked(cli, &lock)) == NULL)
	return CLI_USAGE;
    if (!cli->yes) {
	if (!isatty(0)) {
	    fprintf(stderr, "destctl: clear removes all %zu destinations; not on a "
		    "terminal, so give --yes to confirm\n", c->profiles->n);
	    rc = CLI_USAGE;
	    goto out;
	}
	printf("Remove all %zu destinations? (yes/no) ", c->profiles->n);
	fflush(stdout);
	if (fgets(answer, sizeof(answer), stdin) == NULL
	    || strncmp(answer, "yes", 3) != 0) {
	    printf("Nothing changed.\n");
	    rc = CLI_FAILED;
	    goto out;
	}
    }
    t = profile_table_new();
    profile_table_set_default(t, profile_copy(c->profiles->def));
    profile_table_resolve(t);
    snprintf(done, sizeof(done), "removed %zu destinations", c->profiles->n);
    rc = cli_commit(c, t, done);
  out:
    cfg_free(c);
    close(lock);
    return rc;
}
