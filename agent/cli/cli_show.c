/*
 * cli_show - destctl list and detail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "delivery.h"
#include "domain.h"
#include "util.h"

#define CLI_CELL_MAX 1024

/* The columns of `list`, in order: a key, or a composite. */
static const int cli_list_keys[] = {
    -1,					/* domain */
    PK_CONCURRENCY, PK_MESSAGES_PER_CONNECTION, PK_RECIPIENT_LIMIT,
    PK_TLS, PK_DANE, PK_MTA_STS, PK_BOUNCE_VERIFICATION, PK_BOUNCE_PROFILE,
    PK_IP_PREFERENCE, PK_ROUTE,
};

static const char *cli_list_titles[] = {
    "DOMAIN", "CONN", "MSG/CONN", "RCPT LIMIT", "TLS", "DANE", "MTA-STS",
    "BOUNCE-VERIF", "BOUNCE-PROFILE", "IP-PREFERENCE", "ROUTE",
};

#define CLI_NCOLS (sizeof(cli_list_keys) / sizeof(cli_list_keys[0]))

/* cli_profile_name - what people call a profile */
static const char *cli_profile_name(const struct profile *p)
{
    return p->domain ? p->domain : "(default)";
}

/* cli_cell - the text of one cell of the list */
static void cli_cell(const struct profile *p, int col, unsigned unenforced,
		             struct buf *out)
{
    int     k = cli_list_keys[col];

    buf_reset(out);
    if (k < 0) {
	buf_puts(out, cli_profile_name(p));
	return;
    }
    profile_format(&p->eff, (enum profile_key) k, PF_TEXT, out);
    if (unenforced & PK_BIT(k))
	buf_putc(out, '*');
}

/* cli_list_text - the table for people */
static void cli_list_text(const struct profile_table *t)
{
    size_t  width[CLI_NCOLS], rows = t->n + 1;
    struct buf *cell = buf_alloc(64, CLI_CELL_MAX);
    unsigned starred = 0;

    for (size_t c = 0; c < CLI_NCOLS; c++)
	width[c] = strlen(cli_list_titles[c]);
    for (size_t r = 0; r < rows; r++) {
	const struct profile *p = r == 0 ? t->def : t->v[r - 1];
	unsigned un = profile_unenforced(p);

	starred |= un;
	for (size_t c = 0; c < CLI_NCOLS; c++) {
	    cli_cell(p, (int) c, un, cell);
	    if (cell->len > width[c])
		width[c] = cell->len;
	}
    }
    for (size_t c = 0; c < CLI_NCOLS; c++)
	printf("%-*s%s", c + 1 < CLI_NCOLS ? (int) width[c] : 0, cli_list_titles[c],
	       c + 1 < CLI_NCOLS ? "  " : "\n");
    for (size_t r = 0; r < rows; r++) {
	const struct profile *p = r == 0 ? t->def : t->v[r - 1];
	unsigned un = profile_unenforced(p);

	for (size_t c = 0; c < CLI_NCOLS; c++) {
	    cli_cell(p, (int) c, un, cell);
	    if (c + 1 < CLI_NCOLS)
		printf("%-*s  ", (int) width[c], cell->data);
	    else
		printf("%s\n", cell->data);
	}
    }
    for (int k = 0; k < PK_COUNT; k++)
	if (starred & PK_BIT(k))
	    printf("* %s: %s\n", profile_keys[k].name, profile_keys[k].unsupported);
    buf_free(cell);
}

/* cli_json_profile - one profile's effective settings as a JSON object */
static void cli_json_profile(const struct cfg *c, const struct profile *p,
			             bool detail, struct buf *out)
{
    unsigned un = profile_unenforced(p);
    bool    first = true;
    struct buf *how = buf_alloc(64, CLI_CELL_MAX);

    buf_puts(out, "{\"domain\": ");
    if (p->domain)
	buf_printf(out, "\"%s\"", p->domain);	/* an A-label: nothing to escape */
    else
	buf_puts(out, "null");
    buf_printf(out, ", \"default\": %s", p->domain ? "false" : "true");
    if (detail && p->file)
	buf_printf(out, ", \"line\": %d", p->line);
    buf_puts(out, detail ? ", \"settings\": {" : ", ");
    for (int k = 0; k < PK_COUNT; k++) {
	const char *from = (p->set & PK_BIT(k)) ? "set"
	: p->domain ? "default" : "built-in";

	buf_printf(out, "%s\"%s\": ", first ? "" : ", ", profile_keys[k].name);
	first = false;
	if (!detail) {
	    profile_format(&p->eff, (enum profile_key) k, PF_JSON, out);
	    continue;
	}
	buf_puts(out, "{\"value\": ");
	profile_format(&p->eff, (enum profile_key) k, PF_JSON, out);
	buf_printf(out, ", \"from\": \"%s\", \"enforced\": %s, \"applied\": ", from,
		   (un & PK_BIT(k)) ? "false" : "true");
	buf_reset(how);
	dlv_describe(c, p, (enum profile_key) k, how);
	buf_put_json(out, how->data);
	buf_putc(out, '}');
    }
    buf_free(how);
    if (detail)
	buf_putc(out, '}');
    else {
	buf_puts(out, ", \"not_enforced\": [");
	first = true;
	for (int k = 0; k < PK_COUNT; k++)
	    if (un & PK_BIT(k)) {
		buf_printf(out, "%s\"%s\"", first ? "" : ", ", profile_keys[k].name);
		first = false;
	    }
	buf_putc(out, ']');
    }
    buf_putc(out, '}');
}

/* cli_json_array - several profiles as a JSON array */
static void cli_json_array(const struct cfg *c, const struct profile **v, size_t n,
			           bool detail)
{
    struct buf *out = buf_alloc(4096, (size_t) 1 << 30);

    buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
	buf_puts(out, i ? ",\n " : "");
	cli_json_profile(c, v[i], detail, out);
    }
    buf_puts(out, "]\n");
    fputs(out->data, stdout);
    buf_free(out);
}

/* cli_all - the default then every destination */
static const struct profile **cli_all(const struct profile_table *t, size_t *n)
{
    const struct profile **v = xcalloc(t->n + 1, sizeof(*v));

    v[0] = t->def;
    for (size_t i = 0; i < t->n; i++)
	v[i + 1] = t->v[i];
    *n = t->n + 1;
    return v;
}

/* cli_list - list */
int     cli_list(struct cli *cli)
{
    struct cfg *c;
    const struct profile **v;
    size_t  n;

    if (cli->argc > 0 || cli->nopts > 0)
	return cli_usage("list", "list takes no arguments");
    if ((c = cli_load(cli)) == NULL)
	return CLI_USAGE;
    if (cli->json) {
	v = cli_all(c->profiles, &n);
	cli_json_array(c, v, n, false);
	free(v);
    } else {
	cli_list_text(c->profiles);
    }
    cfg_free(c);
    return CLI_OK;
}

/* cli_detail_text - every setting of one profile, then how each is applied */
static void cli_detail_text(const struct cfg *c, const struct profile *p)
{
    struct buf *val = buf_alloc(64, CLI_CELL_MAX);
    unsigned un = profile_unenforced(p);

    if (p->domain)
	printf("destination %s", p->domain);
    else
	printf("default profile");
    if (p->file)
	printf("  (%s:%d)", p->file, p->line);
    printf("\n");
    for (int k = 0; k < PK_COUNT; k++) {
	const char *from = (p->set & PK_BIT(k)) ? "" : p->domain
	    ? "  (from default)" : "  (built-in)";
	const char *note = (un & PK_BIT(k)) ? "  [not applied]" : "";

	buf_reset(val);
	profile_format(&p->eff, (enum profile_key) k, PF_TEXT, val);
	if (*from || *note)
	    printf("  %-25s %-24s%s%s\n", profile_keys[k].name, val->data, from, note);
	else
	    printf("  %-25s %s\n", profile_keys[k].name, val->data);
    }
    printf("applied (the Postfix side once `destctl postfix --apply` ran):\n");
    for (int k = 0; k < PK_COUNT; k++) {
	buf_reset(val);
	dlv_describe(c, p, (enum profile_key) k, val);
	printf("  %-25s %s\n", profile_keys[k].name, val->data);
    }
    buf_free(val);
}

/* cli_detail - detail [DOMAIN] */
int     cli_detail(struct cli *cli)
{
    struct cfg *c;
    const struct profile *p = NULL;
    const struct profile **v;
    char    name[DOMAIN_MAX + 2];
    size_t  n;
    int     rc = CLI_OK;

    if (cli->argc > 1 || cli->nopts > 0)
	return cli_usage("detail", "detail takes at most one DOMAIN");
    if (cli->argc == 1 && strcmp(cli->argv[0], "default") != 0
	&& cli_entry_name(cli->argv[0], name, sizeof(name)) < 0)
	return CLI_USAGE;
    if ((c = cli_load(cli)) == NULL)
	return CLI_USAGE;
    if (cli->argc == 0) {
	v = cli_all(c->profiles, &n);
    } else {
	if (strcmp(cli->argv[0], "default") == 0)
	    p = c->profiles->def;
	else if ((p = profile_table_find(c->profiles, name)) == NULL) {
	    const struct profile *m = name[0] == '.' ? NULL
	    : profile_table_match(c->profiles, name);

	    fprintf(stderr, "destctl: no destination \"%s\"", name);
	    if (m)
		fprintf(stderr, "; mail for %s gets %s%s", name, m->domain
			? "the profile of " : "the default profile",
			m->domain ? m->domain : "");
	    fprintf(stderr, "\n");
	    cfg_free(c);
	    return CLI_FAILED;
	}
	v = xcalloc(1, sizeof(*v));
	v[0] = p;
	n = 1;
    }
    if (cli->json) {
	cli_json_array(c, v, n, true);
    } else {
	for (size_t i = 0; i < n; i++) {
	    if (i)
		printf("\n");
	    cli_detail_text(c, v[i]);
	}
    }
    free(v);
    cfg_free(c);
    return rc;
}
