/*
 * unit-cfg - the configuration loader: a good file, and one bad file per kind
 * of error, each with the exact "FILE:LINE: message" it must produce.
 * Run from the top of the source tree (prove does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "fsafe.h"
#include "log.h"
#include "tap.h"

#define DIR "t/data/cfg/"

static const struct {
    const char *file;
    const char *want;			/* the first error */
} bad[] = {
    {"bad-syntax.conf", DIR "bad-syntax.conf:2: syntax error"},
    {"bad-unknown-key.conf", DIR "bad-unknown-key.conf:3: unknown key \"agent.lisen\""},
    {"bad-unknown-top.conf", DIR "bad-unknown-top.conf:2: unknown key \"agnet\""},
    {"bad-type.conf", DIR "bad-type.conf:3: agent.lookup_timeout: expected an integer "
	"from 1 to 300, got a string"},
    {"bad-range.conf", DIR "bad-range.conf:3: agent.lookup_timeout: 0 is out of range: "
	"expected 1 to 300"},
    {"bad-choice.conf", DIR "bad-choice.conf:3: agent.log_level: invalid value "
	"\"verbose\": expected one of info, debug"},
    {"bad-facility.conf", DIR "bad-facility.conf:2: agent.log_facility: invalid value "
	"\"mial\": expected one of mail, daemon, user, local0 ... local7"},
    {"bad-endpoint.conf", DIR "bad-endpoint.conf:2: agent.listen: invalid endpoint "
	"\"tcp:127.0.0.1:10027\": endpoint must be unix:/path or inet:host:port"},
    {"bad-cidr.conf", DIR "bad-cidr.conf:3: milter.internal_networks: invalid network "
	"\"10.0.0.0/33\": expected ADDRESS/BITS, IPv4 or IPv6"},
    {"bad-chain.conf", DIR "bad-chain.conf:3: certificates: certificate \"partner\": "
	"chain_file \"" DIR "missing-chain.pem\" cannot be read: No such file or directory"},
    {"bad-dup-cert.conf", DIR "bad-dup-cert.conf:4: certificates: duplicate name \"a\""},
    {"bad-name.conf", DIR "bad-name.conf:3: certificates: invalid name \"part ner\": use "
	"at most 64 letters, digits, '-', '_' and '.'"},
    {"bad-dup-domain.conf", DIR "bad-dup-domain.dest:3: duplicate destination "
	"\"example.com\" (first at " DIR "bad-dup-domain.dest:2)"},
    {"bad-bad-domain.conf", DIR "bad-bad-domain.dest:2: destination \"ex_ample.com\": "
	"invalid domain name: invalid character '_'"},
    {"bad-enum.conf", DIR "bad-enum.dest:3: destination \"example.com\": invalid tls "
	"\"requried\": expected one of none, preferred, required, preferred-verify, "
	"required-verify, required-verify-hosted"},
    {"bad-combination.conf", DIR "bad-combination.dest:2: destination \"example.com\": "
	"mta_sts = true needs TLS, but tls = \"none\""},
    {"bad-inherited-combination.conf", DIR "bad-inherited-combination.dest:3: "
	"destination \"example.com\": dane = \"mandatory\" needs TLS, but tls = \"none\" "
	"(inherited from the default profile)"},
    {"bad-unknown-bounce-profile.conf", DIR "bad-unknown-bounce-profile.dest:2: "
	"destination \"example.com\": unknown bounce_profile \"slow\" (bounce_profiles "
	"defines: fast)"},
    {"bad-unknown-certificate.conf", DIR "bad-unknown-certificate.dest:2: destination "
	"\"example.com\": unknown client_certificate \"partner\" (certificates defines: "
	"none)"},
    {"bad-profile-type.conf", DIR "bad-profile-type.dest:2: destination \"example.com\": "
	"concurrency: expected an integer, got a string"},
    {"bad-profile-range.conf", DIR "bad-profile-range.dest:2: default: invalid "
	"concurrency \"0\": expected a number from 1 to 1000"},
    {"bad-no-domain.conf", DIR "bad-no-domain.dest:2: destination without a domain"},
    {"bad-profile-unknown-key.conf", DIR "bad-profile-unknown-key.dest:2: destination "
	"\"example.com\": unknown key \"mta-sts\" (did you mean mta_sts?)"},
    {"bad-rate-type.conf", DIR "bad-rate-type.dest:2: destination \"example.com\": "
	"recipient_limit: expected { count = N; minutes = M; } or \"none\", got an integer"},
    {"bad-bad-route.conf", DIR "bad-bad-route.dest:2: destination \"example.com\": "
	"invalid route \"relay.example.net\": expected [host]:port or host:port"},
    {"bad-proxy.conf", DIR "bad-proxy.conf:2: mta_sts.proxy: invalid proxy "
	"\"http://proxy.example.net:3128\": expected http://ADDRESS:PORT (an IP address: "
	"a name would need the system resolver)"},
    {"no-such-file.conf", DIR "no-such-file.conf: cannot read: No such file or directory"},
};

#define NBAD (sizeof(bad) / sizeof(bad[0]))

/* test_good - every kind of value lands where it should */
static void test_good(void)
{
    struct diag d;
    struct cfg *c;
    const struct profile *p;

    diag_init(&d);
    c = cfg_load(DIR "good.conf", &d);
    if (!ok(c != NULL, "good.conf loads") || c == NULL) {
	diag_print(&d, stdout);
	bail("cannot go on without good.conf");
    }
    is_int(0, d.nerrors, "good.conf: no errors");
    is_int(2, (long) c->agent_listen.n, "agent.listen has 2 entries");
    is_string("unix:sock", c->agent_listen.v[1], "unix socket path kept as written");
    is_string(DIR "run/destctld.pid", c->agent_pid_file,
	      "relative pid_file resolved against the config's directory");
    is_int(20, c->agent_lookup_timeout, "agent.lookup_timeout");
    is_string("debug", c->agent_log_level, "agent.log_level");
    is_string("mail", c->agent_log_facility, "agent.log_facility default");
    is_string("/usr/share/dns/root.key", c->resolver_trust_anchor_file,
	      "absolute default path unchanged");
    is_int(2, (long) c->resolver_forward.n, "resolver.forward");
    is_string("10.0.0.0/8", c->milter_internal_networks.v[0], "internal_networks");
    is_string(DIR "good-chain.pem", c->certificates[0].chain_file,
	      "chain_file resolved");
    is_int(3600, c->bounce_profiles[0].max_queue_lifetime, "max_queue_lifetime");
    is_string(DIR "good.dest", c->destinations_file, "destinations_file resolved");
    is_int(4, (long) c->profiles->n, "4 destinations");
    p = profile_table_find(c->profiles, "example.com");
    ok(p != NULL, "Example.COM. stored as example.com");
    is_int(TLS_REQUIRED_VERIFY, p ? p->eff.tls : -1, "its tls");
    is_int(DANE_OPPORTUNISTIC, p ? p->eff.dane : -1, "its dane, from the default");
    p = profile_table_find(c->profiles, "xn--bcher-kva.example");
    ok(p != NULL, "bücher.example stored as its A-label");
    is_int(100, p ? p->eff.recipient_count : -1, "recipient_limit count");
    is_int(10, p ? p->eff.recipient_minutes : -1, "recipient_limit minutes");
    p = profile_table_find(c->profiles, ".example.org");
    is_string("partner", p ? p->eff.client_certificate : NULL, "client_certificate");
    is_int(0, d.nwarnings, "no warnings: every setting of good.dest is applied");
    cfg_free(c);
    diag_release(&d);
}

/* test_minimal - a file with only destinations_file; an empty one */
static void test_minimal(void)
{
    struct diag d;
    struct cfg *c;

    diag_init(&d);
    c = cfg_load(DIR "minimal.conf", &d);
    ok(c != NULL && d.n == 0, "a config with only destinations_file is valid");
    if (c) {
	is_int(TLS_PREFERRED, c->profiles->def->eff.tls, "built-in default tls");
	is_int(10, c->agent_lookup_timeout, "built-in lookup_timeout");
	is_string("inet:127.0.0.1:10027", c->agent_listen.v[0], "built-in listen");
    } else {
	ok(false, "built-in default tls");
	ok(false, "built-in lookup_timeout");
	ok(false, "built-in listen");
    }
    cfg_free(c);
    diag_release(&d);
}

/* test_bad - each bad file fails with its message */
static void test_bad(void)
{
    char    path[256];

    for (size_t i = 0; i < NBAD; i++) {
	struct diag d;
	struct cfg *c;

	diag_init(&d);
	snprintf(path, sizeof(path), DIR "%s", bad[i].file);
	c = cfg_load(path, &d);
	ok(c == NULL, "%s is refused", bad[i].file);
	is_string(bad[i].want, diag_first_error(&d), "%s: its message", bad[i].file);
	cfg_free(c);
	diag_release(&d);
    }
}

/* test_route_warning - the default's route is shared by what inherits it */
static void test_route_warning(void)
{
    struct diag d;
    struct cfg *c;

    diag_init(&d);
    c = cfg_load(DIR "warn-route-default.conf", &d);
    ok(c != NULL, "a route shared with different TLS levels is only a warning");
    is_string(DIR "warn-route-default.dest:1: warning: route \"[relay.example.net]:25\" is "
	      "used with tls = \"preferred\" by lax.example and tls = \"required-verify\" "
	      "by the default profile: that next hop gets the strictest",
	      d.n ? d.v[d.n - 1].text : "", "the default profile's route counts");
    cfg_free(c);
    diag_release(&d);

    diag_init(&d);
    c = cfg_load(DIR "warn-limits.conf", &d);
    ok(c != NULL, "limits_per mx-ip is only a warning");
    is_int(1, d.nwarnings, "one warning");
    is_string(DIR "warn-limits.dest:2: warning: destination \"per-ip.example\": "
	      "limits_per mx-ip is not applied: not supported by Postfix: its limits "
	      "apply per next hop (the domain, or the route), not per MX address",
	      d.n ? d.v[0].text : "", "it says why, with FILE:LINE");
    cfg_free(c);
    diag_release(&d);
}

/* spew - write text to path */
static void spew(const char *path, const char *text)
{
    FILE   *fp = fopen(path, "w");

    if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
	bail("cannot write %s", path);
}

/* load_strict - cfg_load_daemon's first error for path, "" when none */
static void load_strict(const char *path, char *out, size_t outsz)
{
    struct diag d;
    struct cfg *c;

    diag_init(&d);
    c = cfg_load_daemon(path, &d);
    snprintf(out, outsz, "%s", c ? "" : diag_first_error(&d) ? diag_first_error(&d) : "?");
    cfg_free(c);
    diag_release(&d);
}

/*
 * test_daemon_load - what the daemons refuse besides errors: a destinations
 * file that would silently give every domain the built-in default, and
 * files that someone other than root or the daemon's user could change.
 */
static void test_daemon_load(void)
{
    char    dir[] = "/tmp/unit-cfg.XXXXXX", conf[300], dest[300], want[1024], got[1024];

    if (mkdtemp(dir) == NULL)
	bail("mkdtemp failed");
    snprintf(conf, sizeof(conf), "%s/destctl.conf", dir);
    snprintf(dest, sizeof(dest), "%s/destinations.conf", dir);
    spew(conf, "destinations_file = \"destinations.conf\";\n"
	 "bounce_verification: { key_file = \"batv.keys\"; };\n");

    load_strict(conf, got, sizeof(got));
    snprintf(want, sizeof(want), "%s: destinations file does not exist: every domain "
	     "would get the built-in default profile (write \"destinations = ( );\" if "
	     "that is meant)", dest);
    is_string(want, got, "a missing destinations file is refused");
    spew(dest, "");
    load_strict(conf, got, sizeof(got));
    snprintf(want, sizeof(want), "%s: destinations file is empty: it has neither "
	     "default nor destinations: every domain would get the built-in default "
	     "profile (write \"destinations = ( );\" if that is meant)", dest);
    is_string(want, got, "an empty destinations file is refused");
    spew(dest, "# only a comment\n");
    load_strict(conf, got, sizeof(got));
    is_string(want, got, "a destinations file of comments is refused");
    spew(dest, "destinations = ( );\n");
    load_strict(conf, got, sizeof(got));
    is_string("", got, "\"destinations = ( );\" on purpose is fine");
    spew(dest, "default = { tls = \"required\"; };\n");
    load_strict(conf, got, sizeof(got));
    is_string("", got, "a default alone is fine");
    spew(conf, "destinations_file = \"/dev/null\";\n");
    load_strict(conf, got, sizeof(got));
    is_string("/dev/null: destinations file is not a regular file: every domain would "
	      "get the built-in default profile (write \"destinations = ( );\" if that "
	      "is meant)", got, "/dev/null is refused");
    spew(conf, "destinations_file = \"destinations.conf\";\n"
	 "bounce_verification: { key_file = \"batv.keys\"; };\n");

    /* Files others can write */
    chmod(conf, 0666);
    load_strict(conf, got, sizeof(got));
    snprintf(want, sizeof(want), "%s: not safe to trust: %s is writable by others "
	     "(mode 0666) (only root and the daemon's user may be able to change it)",
	     conf, conf);
    is_string(want, got, "a world-writable config is refused");
    chmod(conf, 0620);
    load_strict(conf, got, sizeof(got));
    ok(strstr(got, "is writable by group") != NULL || getegid() == 0,
       "a group-writable config is refused (unless the group is root's): %s", got);
    chmod(conf, 0644);
    chmod(dest, 0666);
    load_strict(conf, got, sizeof(got));
    snprintf(want, sizeof(want), "%s: not safe to trust: %s is writable by others "
	     "(mode 0666) (only root and the daemon's user may be able to change it)",
	     dest, dest);
    is_string(want, got, "a world-writable destinations file is refused");
    chmod(dest, 0644);
    load_strict(conf, got, sizeof(got));
    is_string("", got, "safe files load");
    chmod(dir, 0777);
    load_strict(conf, got, sizeof(got));
    snprintf(want, sizeof(want), "%s: not safe to trust: %s is writable by others "
	     "(mode 0777) (only root and the daemon's user may be able to change it)",
	     conf, dir);
    is_string(want, got, "a world-writable directory above is refused");
    chmod(dir, 01777);
    load_strict(conf, got, sizeof(got));
    is_string("", got, "a sticky directory (like /tmp) above files of ours is fine");
    chmod(dir, 0755);
    {
	char    keys[300];

	snprintf(keys, sizeof(keys), "%s/batv.keys", dir);
	spew(keys, "1 secret\n");
	chmod(keys, 0646);
	load_strict(conf, got, sizeof(got));
	ok(strstr(got, "batv.keys: not safe to trust:") != NULL,
	   "a key file others can write is refused: %s", got);
	unlink(keys);
    }
    /* Links: walked as given, not only where they lead. */
    {
	char    sub[400], link[500], why[512];

	snprintf(sub, sizeof(sub), "%s/open", dir);
	snprintf(link, sizeof(link), "%s/open/conf", dir);
	mkdir(sub, 0755);
	symlink(conf, link);
	is_int(0, fsafe_check(link, (uid_t) -1, why, sizeof(why)), "a link in a safe "
	       "directory to a safe file: %s", why);
	chmod(sub, 0777);
	is_int(-1, fsafe_check(link, (uid_t) -1, why, sizeof(why)), "a link in a "
	       "directory others can write, to a safe file: refused");
	snprintf(want, sizeof(want), "%s is writable by others (mode 0777)", sub);
	is_string(want, why, "naming the directory of the link");
	chmod(sub, 01777);
	if (geteuid() == 0 && lchown(link, 65534, 65534) == 0) {
	    is_int(-1, fsafe_check(link, (uid_t) -1, why, sizeof(why)), "a link of "
		   "another user's in a sticky directory: refused");
	    /* The directory is judged before the link it holds. */
	    snprintf(want, sizeof(want), "%s is writable by others (mode 1777)", sub);
	    is_string(want, why, "naming the sticky directory");
	} else {
	    ok(1, "# SKIP lchown needs root");
	    ok(1, "# SKIP lchown needs root");
	}
	unlink(link);
	rmdir(sub);
    }
    unlink(conf);
    unlink(dest);
    rmdir(dir);
}

int     main(void)
{
    tap_log_capture();
    if (access(DIR "good.conf", R_OK) != 0)
	bail("run from the top of the source tree: " DIR "good.conf not found");
    plan(30 + 2 * (int) NBAD + 2 + 13 + 5);
    test_good();
    test_minimal();
    test_bad();
    test_route_warning();
    test_daemon_load();
    return exit_status();
}
