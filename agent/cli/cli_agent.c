/*
 * cli_agent - destctl's commands for the running agent: status, flush,
 * reload, ack-cache, each one request on the root-only control socket
 * (agent.control_socket), in the socketmap protocol the agent serves there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "domain.h"
#include "sockmap.h"
#include "util.h"

#define CLI_CONTROL_TIMEOUT_MS	10000
#define CLI_STATUS_FIELDS	40

/* cli_control - ask the agent (see cli.h) */
int     cli_control(const struct cfg *c, const char *cmd, const char *arg,
		               enum sockmap_status *st, struct buf *value)
{
    char    endpoint[600], why[256];
    struct sockmap_client *sc;
    int     rc;

    snprintf(endpoint, sizeof(endpoint), "unix:%s", c->agent_control_socket);
    if ((sc = sockmap_client_new(endpoint, CLI_CONTROL_TIMEOUT_MS, why, sizeof(why))) == NULL) {
	fprintf(stderr, "destctl: agent.control_socket %s: %s\n", c->agent_control_socket, why);
	return -1;
    }
    rc = sockmap_client_query(sc, cmd, arg, st, value);
    if (rc < 0) {
	if (access(c->agent_control_socket, F_OK) < 0)
	    fprintf(stderr, "destctl: destctld is not running (no control socket %s)\n",
		    c->agent_control_socket);
	else if (access(c->agent_control_socket, W_OK) < 0 && errno == EACCES)
	    fprintf(stderr, "destctl: permission denied on the control socket %s: "
		    "it is root's (run destctl as root)\n", c->agent_control_socket);
	else
	    fprintf(stderr, "destctl: cannot ask destctld on %s: %s\n",
		    c->agent_control_socket, value->data);
    }
    sockmap_client_free(sc);
    return rc;
}

/* cli_fields - line into fields (in place, see cli.h) */
int     cli_fields(char *line, struct cli_field *f, int max)
{
    int     n = 0;

    for (char *tok = strtok(line, " "); tok && n < max; tok = strtok(NULL, " ")) {
	char   *eq = strchr(tok, '=');

	if (eq == NULL)
	    continue;
	*eq = '\0';
	f[n].key = tok;
	f[n].value = pct_decode(eq + 1);
	n++;
    }
    return n;
}

/* cli_field_get - a field's value, "" when absent */
const char *cli_field_get(const struct cli_field *f, int n, const char *key)
{
    for (int i = 0; i < n; i++)
	if (strcmp(f[i].key, key) == 0)
	    return f[i].value;
    return "";
}

/* json_string - s as a JSON string */
static void json_string(const char *s)
{
    struct buf *b = buf_alloc(64, 1 << 20);

    buf_put_json(b, s);
    fputs(b->data, stdout);
    buf_free(b);
}

/* status_json - every field; numbers as numbers */
static void status_json(const struct cli_field *f, int n)
{
    printf("{");
    for (int i = 0; i < n; i++) {
	const char *v = f[i].value;
	bool    num = *v != '\0' && strspn(v, "0123456789") == strlen(v);

	printf("%s\"%s\": ", i ? ", " : "", f[i].key);
	if (num)
	    printf("%s", v);
	else
	    json_string(v);
    }
    printf("}\n");
}

/* duration - "3d 4h", "2h 5m", "12m 3s", "40s" */
static void duration(long s, char *out, size_t outsz)
{
    if (s >= 86400)
	snprintf(out, outsz, "%ldd %ldh", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
	snprintf(out, outsz, "%ldh %ldm", s / 3600, s % 3600 / 60);
    else if (s >= 60)
	snprintf(out, outsz, "%ldm %lds", s / 60, s % 60);
    else
	snprintf(out, outsz, "%lds", s);
}

/* status_human - the report, problems first */
static void status_human(const struct cli_field *f, int n)
{
    char    up[32], when[32];
    time_t  loaded = (time_t) atol(cli_field_get(f, n, "loaded"));
    struct tm tm;
    const char *cache = cli_field_get(f, n, "cache");

    if (strcmp(cache, "ok") != 0)
	printf("PROBLEM: MTA-STS policy cache %s (%s)%s\n", cache,
	       cli_field_get(f, n, "cache_file"),
	       strstr(cache, "lost=") ? "; see 'destctl help ack-cache'" : "");
    duration(atol(cli_field_get(f, n, "uptime")), up, sizeof(up));
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&loaded, &tm));
    printf("destctld %s, up %s\n", cli_field_get(f, n, "version"), up);
    printf("%-13s %s (loaded %s, generation %s), %s destinations\n", "config",
	   cli_field_get(f, n, "config"), when, cli_field_get(f, n, "generation"), cli_field_get(f, n, "destinations"));
    printf("%-13s %s requests, %s clients connected\n", "socketmap",
	   cli_field_get(f, n, "requests"), cli_field_get(f, n, "clients"));
    printf("%-13s ok %s, notfound %s, temp %s, perm %s\n", "answers",
	   cli_field_get(f, n, "answers_ok"), cli_field_get(f, n, "answers_notfound"),
	   cli_field_get(f, n, "answers_temp"), cli_field_get(f, n, "answers_perm"));
    printf("%-13s %s\n", "TEMP causes",
	   *cli_field_get(f, n, "temp_top") ? cli_field_get(f, n, "temp_top") : "none");
    printf("%-13s %s in flight, %s queued, %s answers cached\n", "DNS",
	   cli_field_get(f, n, "dns_inflight"), cli_field_get(f, n, "dns_queued"), cli_field_get(f, n, "dns_cached"));
    printf("%-13s %s outcomes cached, %s lookups running\n", "DANE",
	   cli_field_get(f, n, "dane_cached"), cli_field_get(f, n, "dane_running"));
    printf("%-13s policies in force: enforce %s, testing %s, none %s; %s lookups running\n",
	   "MTA-STS", cli_field_get(f, n, "sts_enforce"), cli_field_get(f, n, "sts_testing"),
	   cli_field_get(f, n, "sts_none"), cli_field_get(f, n, "sts_running"));
    printf("%-13s %s (%s)\n", "policy cache", cache, cli_field_get(f, n, "cache_file"));
}

/* cli_status - status [--json] */
int     cli_status(struct cli *cli)
{
    struct cfg *c;
    struct buf *value;
    struct cli_field f[CLI_STATUS_FIELDS];
    enum sockmap_status st;
    int     n, rc = CLI_FAILED;

    if (cli->argc || cli->nopts)
	return cli_usage("status", "status takes no arguments");
    if ((c = cli_load(cli)) == NULL)
	return CLI_USAGE;
    value = buf_alloc(512, SOCKMAP_MAX_REPLY);
    if (cli_control(c, "status", "-", &st, value) == 0) {
	if (st != SOCKMAP_OK) {
	    fprintf(stderr, "destctl: destctld answered %s %s\n", sockmap_status_name(st),
		    value->data);
	} else {
	    n = cli_fields(value->data, f, CLI_STATUS_FIELDS);
	    if (cli->json)
		status_json(f, n);
	    else
		status_human(f, n);
	    rc = strcmp(cli_field_get(f, n, "cache"), "ok") == 0 ? CLI_OK : CLI_FAILED;
	}
    }
    buf_free(value);
    cfg_free(c);
    return rc;
}

/* cli_simple - one control request; its OK text printed after done */
static int cli_simple(struct cli *cli, const char *cmd, const char *arg, const char *done)
{
    struct cfg *c;
    struct buf *value;
    enum sockmap_status st;
    int     rc = CLI_FAILED;

    if ((c = cli_load(cli)) == NULL) {
	if (strcmp(cmd, "reload") == 0)
	    fprintf(stderr, "destctl: destctld was not asked to reload: it keeps "
		    "running its last good configuration\n");
	return CLI_USAGE;
    }
    value = buf_alloc(256, SOCKMAP_MAX_REPLY);
    if (cli_control(c, cmd, arg, &st, value) == 0) {
	if (st == SOCKMAP_OK) {
	    printf("destctl: %s\n", done);
	    rc = CLI_OK;
	} else {
	    fprintf(stderr, "destctl: %s refused: %s\n", cmd, value->data);
	    rc = strcmp(cmd, "reload") == 0 ? CLI_USAGE : CLI_FAILED;
	}
    }
    buf_free(value);
    cfg_free(c);
    return rc;
}

/* cli_flush - flush DOMAIN|--all */
int     cli_flush(struct cli *cli)
{
    char    domain[DOMAIN_MAX + 2], done[DOMAIN_MAX + 64];

    if (cli->nopts || (cli->all ? cli->argc != 0 : cli->argc != 1))
	return cli_usage("flush", "flush takes one DOMAIN, or --all");
    if (cli->all)
	return cli_simple(cli, "flush", "-", "destctld forgot everything it had cached");
    if (cli->argv[0][0] == '.' || cli_entry_name(cli->argv[0], domain, sizeof(domain)) < 0)
	return cli_usage("flush", "flush needs a domain name");
    snprintf(done, sizeof(done), "destctld forgot what it had cached for %s", domain);
    return cli_simple(cli, "flush", domain, done);
}

/* cli_reload - reload */
int     cli_reload(struct cli *cli)
{
    if (cli->argc || cli->nopts)
	return cli_usage("reload", "reload takes no arguments");
    return cli_simple(cli, "reload", "-", "destctld reloaded its configuration");
}

/* cli_ack_cache - ack-cache */
int     cli_ack_cache(struct cli *cli)
{
    if (cli->argc || cli->nopts)
	return cli_usage("ack-cache", "ack-cache takes no arguments");
    return cli_simple(cli, "ack-cache", "-", "the lost MTA-STS policies are acknowledged");
}
