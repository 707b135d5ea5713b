/*
 * NAME
 *	destctl - manage destctl's destination profiles
 * SYNOPSIS
 *	destctl [-c FILE] COMMAND [ARGS] [--json]
 *	destctl help [COMMAND]
 * DESCRIPTION
 *	destctl lists, shows, adds, changes and removes the per-domain
 *	profiles (TLS level, DANE, MTA-STS, limits, route...) that destctld
 *	applies to outbound mail, and checks the configuration. Every change is
 *	validated before it is written; the destinations file is replaced
 *	atomically and a running destctld is told to reload.
 * EXIT STATUS
 *	0 success; 1 what was asked about failed or does not exist; 2 usage
 *	error or invalid configuration.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "domain.h"
#include "log.h"
#include "util.h"

#ifndef DESTCTL_VERSION
#define DESTCTL_VERSION "0.1.0"
#endif

struct cli_command {
    const char *name;
    int     (*fn)(struct cli *);
    const char *synopsis;
    const char *help;
};

static const struct cli_command cli_commands[] = {
    {"list", cli_list, "list [--json]",
	"Print one row per destination and one for the default profile: domain,\n"
	"rate limiting (concurrent connections, messages per connection,\n"
	"recipients per minutes), TLS level, DANE, MTA-STS, bounce verification,\n"
	"bounce profile, IP version preference and route. A value marked '*' is\n"
	"stored but not applied (limits_per = mx-ip: Postfix limits per next\n"
	"hop); a note under the table says why. --json prints the effective\n"
	"settings of each profile as a JSON array.\n"},
    {"detail", cli_detail, "detail [DOMAIN|default] [--json]",
	"Print every setting of one destination (or of all, with no argument),\n"
	"saying for each whether the destination sets it, inherits it from the\n"
	"default profile, or has the built-in value, and how it is applied: the\n"
	"Postfix delivery service and parameter (see postfix), the agent's TLS\n"
	"policy answer, the milter, or destctl sweep; a setting Postfix cannot\n"
	"apply says so. For a domain without an entry, says which profile its\n"
	"mail gets and exits 1.\n"},
    {"new", cli_new, "new DOMAIN [--KEY VALUE ...]",
	"Add a destination: DOMAIN is example.com (that domain) or .example.com\n"
	"(its subdomains, not itself). Unicode names are stored as A-labels.\n"
	"Keys not given are inherited from the default profile. With no options\n"
	"on a terminal, asks for each setting like a setup dialogue, offering\n"
	"the current value; an empty answer keeps it. Exits 1 when DOMAIN\n"
	"already has an entry.\n"},
    {"edit", cli_edit, "edit DOMAIN --KEY VALUE ...",
	"Change settings of an existing destination (exit 1 when it has no\n"
	"entry). The value inherit removes the destination's own value so that\n"
	"it follows the default profile again.\n"},
    {"delete", cli_delete, "delete DOMAIN",
	"Remove a destination; its mail then gets the profile that matches next\n"
	"(a .parent entry, or the default). Exits 1 when there is no entry.\n"},
    {"default", cli_default, "default --KEY VALUE ...",
	"Change the default profile, which every domain without an entry gets\n"
	"and from which entries inherit the keys they do not set.\n"},
    {"clear", cli_clear, "clear [--yes]",
	"Remove every destination (the default profile stays). Asks for\n"
	"confirmation on a terminal; elsewhere needs --yes.\n"},
    {"export", cli_export, "export FILE|-",
	"Write the destinations (the default profile and every entry) in the\n"
	"destinations file format to FILE, or to standard output for -.\n"},
    {"import", cli_import, "import [--merge] FILE|-",
	"Validate FILE (or standard input), then replace the default profile\n"
	"and all destinations with its content. With --merge, add or replace\n"
	"only the entries FILE has (and the default profile when FILE has one);\n"
	"the others stay. export then import is an exact round trip.\n"},
    {"explain", cli_explain, "explain DOMAIN [--json] [--fresh]",
	"What happens to mail for DOMAIN, and why. From the configuration: the\n"
	"profile that matches (exact entry, .parent entry or the default, with\n"
	"FILE:LINE) and each effective setting with where it comes from. From\n"
	"the running destctld, asked on its socketmap listener exactly as the\n"
	"MTAs ask it: the DANE outcome and MTA-STS state it decided from, the\n"
	"rule that produced the answer, Postfix's tlspolicy answer (and the\n"
	"route's next-hop key), the Postfix transport (see postfix), the\n"
	"milter's X-Destctl-Destination tag and what it does at RCPT, and the\n"
	"answer of Sendmail's sts map. --fresh first makes the agent forget\n"
	"what it holds for DOMAIN (as flush does, through the control socket,\n"
	"as root), so that it resolves anew. --json gives the same facts. Exits\n"
	"1 when the agent cannot be asked (the configuration part is printed).\n"},
    {"status", cli_status, "status [--json]",
	"Ask the running destctld, through its root-only control socket\n"
	"(agent.control_socket), how it is: version, uptime, the configuration\n"
	"in force (file, when loaded, generation), requests and answers by kind,\n"
	"TEMP answers by the outcomes that caused them, DNS resolutions in flight\n"
	"and queued, cached DANE outcomes, MTA-STS policies in force by mode, and\n"
	"the state of the durable MTA-STS cache (ok; unwritable, with the\n"
	"policies kept in memory meanwhile; lost, when policies known to have\n"
	"existed were found nowhere at start: see ack-cache). With --json, the\n"
	"same facts as one JSON object. Exits 1 when the agent cannot be asked\n"
	"(not running, or the socket needs root), and when the cache is not ok.\n"},
    {"flush", cli_flush, "flush DOMAIN|--all",
	"Make the running destctld forget what it cached for DOMAIN and the\n"
	"names under it (DNS answers, the DANE outcome, the decision logged),\n"
	"or for everything with --all; an MTA-STS policy is read again from the\n"
	"durable cache, never forgotten. The next lookup resolves anew.\n"},
    {"reload", cli_reload, "reload",
	"Make the running destctld load its configuration again, now; a\n"
	"configuration with errors is refused (the first error is printed, all\n"
	"are logged) and the running one stays in force. Exits 2 then.\n"},
    {"ack-cache", cli_ack_cache, "ack-cache",
	"Acknowledge that the durable MTA-STS cache lost policies (status says\n"
	"cache lost=N, and destctld says so at every start until then): the\n"
	"domains concerned get their profile's TLS level until their policies\n"
	"are fetched again.\n"},
    {"postfix", cli_postfix, "postfix [--apply]",
	"Generate the Postfix side of the delivery settings from the\n"
	"configuration alone: one smtp(8) service per distinct set of\n"
	"concurrency, messages per connection, recipient limit, IP preference\n"
	"and client certificate (named destctl-..., e.g. destctl-c2 for\n"
	"concurrency 2, destctl-base for the built-in values), the queue\n"
	"manager's per-service parameters, a transport table entry per\n"
	"destination naming its service and route, and default_transport for\n"
	"the default profile. Without --apply, prints all of it and its\n"
	"differences from what is installed.\n\n"
	"With --apply, installs it: the transport table (postfix.transport_table,\n"
	"postmap'ed as postfix.table_type) and one block marked \"# BEGIN\n"
	"destctl\" ... \"# END destctl\" in each of main.cf and master.cf; nothing\n"
	"else in them is touched. It first checks the client certificate files\n"
	"(a private key, then its certificate), that main.cf does not set its own\n"
	"default_transport and master.cf has no destctl-* service of its own,\n"
	"and that tlsproxy exists; then runs `postfix check` and reloads a\n"
	"running Postfix. If any step fails, every file is put back as it was.\n"
	"Running it again changes nothing. main.cf needs, once, the line\n"
	"  transport_maps = hash:/etc/postfix/destctl_transport\n\n"
	"How the settings map (postconf(5)): concurrency is\n"
	"SERVICE_destination_concurrency_limit (per next hop, within the\n"
	"service's process limit); messages_per_connection N is\n"
	"smtp_connection_reuse_count_limit N-1 with connection caching on (and\n"
	"TLS connection reuse), 1 turns caching off; recipient_limit N/M is a\n"
	"recipient limit per delivery R (at least 2) and a rate delay D seconds\n"
	"so that R/D never exceeds N per M minutes: at 2 or more recipients a\n"
	"second, one delivery a second with N/(60 M) recipients, else 2 every\n"
	"ceil(120 M / N) s; a rate delay makes Postfix deliver one at a time,\n"
	"and a limit of 0 holds mail (transport retry). ip_preference:\n"
	"smtp_address_preference (preferred) or inet_protocols (only, with\n"
	"inet_interfaces narrowed to main.cf's addresses of that family).\n"
	"client_certificate: smtp_tls_chain_files, and a tlsproxy service of its\n"
	"own for reused TLS connections. route: the next hop in the transport\n"
	"entry. limits_per = mx-ip is not supported by Postfix.\n"},
    {"sweep", cli_sweep, "sweep [--dry-run]",
	"Bounce profiles on Postfix, which has one queue lifetime for all mail:\n"
	"read the deferred queue (postqueue -j) and expire (postsuper -e, then\n"
	"postqueue -i, so that Postfix returns it to its sender now) each message\n"
	"whose every remaining recipient's destination has a bounce profile whose\n"
	"max_queue_lifetime (bounce_queue_lifetime for bounces, when set) has\n"
	"passed. A message that also has a recipient without a bounce profile\n"
	"keeps Postfix's lifetime (maximal_queue_lifetime), so that recipient is\n"
	"not bounced early; a lifetime longer than Postfix's has no effect.\n"
	"Every expiry is logged (agent.log_facility). --dry-run says what would\n"
	"be expired. destctl-sweep.timer runs it every five minutes, so mail\n"
	"returns at most that much after its lifetime.\n"},
    {"check-config", cli_check_config, "check-config",
	"Validate the whole configuration (destctl.conf and the destinations\n"
	"file) and print every error and warning as FILE:LINE: message. Exits 2\n"
	"when there are errors.\n"},
};

#define CLI_NCOMMANDS (sizeof(cli_commands) / sizeof(cli_commands[0]))

/* cli_find - command by name */
static const struct cli_command *cli_find(const char *name)
{
    for (size_t i = 0; i < CLI_NCOMMANDS; i++)
	if (strcmp(cli_commands[i].name, name) == 0)
	    return &cli_commands[i];
    return NULL;
}

/* cli_print_keys - the profile keys, for help */
static void cli_print_keys(FILE *fp)
{
    for (int k = 0; k < PK_COUNT; k++)
	fprintf(fp, "  --%-25s %s\n", profile_keys[k].option, profile_keys[k].doc);
}

/* cli_help_command - one command's manual */
static void cli_help_command(const struct cli_command *cmd, FILE *fp)
{
    fprintf(fp, "Usage: destctl [-c FILE] %s\n\n%s", cmd->synopsis, cmd->help);
    if (cmd->fn == cli_new || cmd->fn == cli_edit || cmd->fn == cli_default) {
	fprintf(fp, "\nKEYS (option names are the profile keys with '_' as '-'; "
		"--KEY=VALUE works too):\n");
	cli_print_keys(fp);
	fprintf(fp, "Booleans take on or off; names and routes take none to clear "
		"them;\nKEY inherit (entries only) follows the default profile.\n");
    }
}

/* cli_help - the whole manual */
static void cli_help(FILE *fp)
{
    fprintf(fp,
	    "NAME\n"
	    "  destctl - manage the destination profiles of destctld\n\n"
	    "SYNOPSIS\n"
	    "  destctl [-c FILE] COMMAND [ARGS] [--json]\n"
	    "  destctl help [COMMAND]\n\n"
	    "DESCRIPTION\n"
	    "  Each destination domain gets a profile: TLS level, DANE, MTA-STS,\n"
	    "  route, limits. destctld applies it to outbound mail for Postfix and\n"
	    "  Sendmail. destctl edits the profiles: every change is validated\n"
	    "  first, the destinations file is replaced atomically, and a running\n"
	    "  destctld (agent.pid_file) is told to reload.\n\n"
	    "  A destination is example.com (that domain) or .example.com (all its\n"
	    "  subdomains, not itself). An exact entry beats a .parent entry, a\n"
	    "  longer .parent beats a shorter one, and a domain without a match\n"
	    "  gets the default profile.\n\n"
	    "COMMANDS\n");
    for (size_t i = 0; i < CLI_NCOMMANDS; i++)
	fprintf(fp, "  %s\n", cli_commands[i].synopsis);
    fprintf(fp, "  help [COMMAND]\n\n"
	    "  'destctl help COMMAND' explains one command.\n\n"
	    "OPTIONS\n"
	    "  -c FILE, --config FILE  the main configuration (default %s)\n"
	    "  --json                  machine-readable output (list, detail)\n"
	    "  -h, --help              this manual\n"
	    "  -V, --version           the version\n\n"
	    "PROFILE KEYS (destinations file key = option without '--', '-' as '_')\n",
	    CFG_DEFAULT_FILE);
    cli_print_keys(fp);
    fprintf(fp, "\nTLS LEVELS\n"
	    "  none                    never use TLS\n"
	    "  preferred               TLS when offered, certificate not checked\n"
	    "  required                TLS or no delivery, certificate not checked\n"
	    "  preferred-verify        TLS when offered, certificate checked and logged\n"
	    "  required-verify         TLS with a certificate for the domain, or no delivery\n"
	    "  required-verify-hosted  like required-verify, the MX host name accepted\n\n"
	    "CONFIGURATION KEYS (destctl.conf)\n");
    cfg_print_keys(fp);
    fprintf(fp, "\nEXIT STATUS\n"
	    "  0 success; 1 the thing asked about failed or does not exist;\n"
	    "  2 usage error or invalid configuration.\n\n"
	    "FILES\n"
	    "  %s, and the destinations_file it names.\n\n"
	    "EXAMPLES\n"
	    "  destctl new example.com --tls required-verify --dane opportunistic\n"
	    "  destctl edit example.com --mta-sts on --recipient-limit 100/10\n"
	    "  destctl detail example.com\n"
	    "  destctl export - > backup.conf && destctl import backup.conf\n",
	    CFG_DEFAULT_FILE);
}

/* cli_usage - print a usage error */
int     cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "destctl: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
	fprintf(stderr, "\nTry 'destctl help %s'.\n", cmd);
    else
	fprintf(stderr, "\nTry 'destctl --help'.\n");
    return CLI_USAGE;
}

/* cli_load - load, or print why not */
struct cfg *cli_load(const struct cli *cli)
{
    struct diag d;
    struct cfg *c;

    diag_init(&d);
    if ((c = cfg_load(cli->config, &d)) == NULL) {
	diag_print_errors(&d, stderr);
	fprintf(stderr, "destctl: invalid configuration; see 'destctl -c %s "
		"check-config'\n", cli->config);
    }
    diag_release(&d);
    return c;
}

/* cli_entry_name - normalise a DOMAIN argument */
int     cli_entry_name(const char *arg, char *out, size_t outsz)
{
    char    why[256];
    bool    parent = arg[0] == '.';

    if (outsz < DOMAIN_MAX + 2)
	msg_panic("cli_entry_name: buffer too small");
    out[0] = '.';
    if (domain_normalize(arg + parent, out + parent, why, sizeof(why)) < 0) {
	fprintf(stderr, "destctl: invalid domain \"%s\": %s\n", arg, why);
	return -1;
    }
    return 0;
}

/* cli_parse - split global options, command options and arguments */
static int cli_parse(struct cli *cli, int argc, char **argv,
		             const struct cli_command **cmd, bool *help)
{
    int     i = 1;

    cli->config = CFG_DEFAULT_FILE;
    for (; i < argc && argv[i][0] == '-'; i++) {
	if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
	    if (++i == argc)
		return cli_usage(NULL, "%s needs a FILE", argv[i - 1]);
	    cli->config = argv[i];
	} else if (strncmp(argv[i], "--config=", 9) == 0) {
	    cli->config = argv[i] + 9;
	} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
	    *help = true;
	} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
	    printf("destctl %s\n", DESTCTL_VERSION);
	    exit(CLI_OK);
	} else if (strcmp(argv[i], "--json") == 0) {
	    cli->json = true;
	} else {
	    return cli_usage(NULL, "unknown option \"%s\"", argv[i]);
	}
    }
    if (i == argc) {
	if (*help)
	    return CLI_OK;
	return cli_usage(NULL, "no command given");
    }
    if (strcmp(argv[i], "help") == 0) {
	*help = true;
	if (i + 1 < argc && (*cmd = cli_find(argv[i + 1])) == NULL)
	    return cli_usage(NULL, "no command \"%s\"", argv[i + 1]);
	return CLI_OK;
    }
    if ((*cmd = cli_find(argv[i])) == NULL)
	return cli_usage(NULL, "no command \"%s\"", argv[i]);
    cli->argv = xcalloc((size_t) argc, sizeof(char *));
    cli->opts = xcalloc((size_t) argc * 2, sizeof(char *));
    for (i++; i < argc; i++) {
	char   *a = argv[i];

	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
	    *help = true;
	} else if (strcmp(a, "--json") == 0) {
	    cli->json = true;
	} else if (strcmp(a, "--yes") == 0 || strcmp(a, "-y") == 0) {
	    cli->yes = true;
	} else if (strcmp(a, "--merge") == 0) {
	    cli->merge = true;
	} else if (strcmp(a, "--all") == 0) {
	    cli->all = true;
	} else if (strcmp(a, "--apply") == 0 && (*cmd)->fn == cli_postfix) {
	    cli->apply = true;
	} else if (strcmp(a, "--dry-run") == 0 && (*cmd)->fn == cli_sweep) {
	    cli->dry_run = true;
	} else if (strcmp(a, "--fresh") == 0 && (*cmd)->fn == cli_explain) {
	    cli->fresh = true;
	} else if (strncmp(a, "--", 2) == 0 && a[2]) {
	    char   *eq = strchr(a, '=');

	    if (eq) {
		*eq = '\0';
		cli->opts[cli->nopts++] = a + 2;
		cli->opts[cli->nopts++] = eq + 1;
	    } else if (i + 1 < argc) {
		cli->opts[cli->nopts++] = a + 2;
		cli->opts[cli->nopts++] = argv[++i];
	    } else {
		return cli_usage((*cmd)->name, "option %s needs a value", a);
	    }
	} else if (strcmp(a, "-") != 0 && a[0] == '-' && a[1] != '\0') {
	    return cli_usage((*cmd)->name, "unknown option \"%s\"", a);
	} else {
	    cli->argv[cli->argc++] = a;
	}
    }
    return CLI_OK;
}

/* main - parse, dispatch */
int     main(int argc, char **argv)
{
    struct cli cli;
    const struct cli_command *cmd = NULL;
    bool    help = false;
    int     rc;

    memset(&cli, 0, sizeof(cli));
    log_init("destctl", true);
    rc = cli_parse(&cli, argc, argv, &cmd, &help);
    if (rc == CLI_OK && help) {
	if (cmd)
	    cli_help_command(cmd, stdout);
	else
	    cli_help(stdout);
    } else if (rc == CLI_OK && cli.all && cmd->fn != cli_flush) {
	rc = cli_usage(cmd->name, "%s takes no --all (only flush does)", cmd->name);
    } else if (rc == CLI_OK) {
	rc = cmd->fn(&cli);
    }
    free(cli.argv);
    free(cli.opts);
    return rc;
}
