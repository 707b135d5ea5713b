#!/usr/bin/perl
# sts.t - MTA-STS in the lab: destctld's answer for every MTA-STS scenario
# (Postfix's own socketmap client), real deliveries, each fetch failure
# logged with its cause, the durable cache across restarts (policy host
# down, kill -9), an id change, and a fetch through a real proxy.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Lab;
use Test::More;
use Time::HiRes qw(sleep);

enter_lab();

my $dir = "$ENV{LAB_DIR}/sts";
my $sock = "$dir/destctld.sock";
my $extra = qq{mta_sts: { ca_file = "$ENV{LAB_CA}"; fetch_timeout = 3; };\n};
my $dest = qq{default = { tls = "preferred"; mta_sts = true; };\n}
    . qq{destinations = ( { domain = "dane-sts.test"; dane = "opportunistic"; mta_sts = true; } );\n};
my $pid = start_agent($dir, $dest, $extra);

sub postmap {
    my $out = postmap_query($sock, $_[0]);
    return $out =~ /^ERROR: .*(temporary error|lookup error)/s ? 'TEMP' : $out;
}
sub secure { my ($mx) = @_; return "secure match=$mx servername=hostname protocols=>=TLSv1.2"; }
# log_has(RE[, OFFSET]) - the agent's log (after byte OFFSET) matches, within 5 s
sub log_has {
    my ($re, $off) = @_;
    return wait_for(5, sub { substr(slurp("$dir/agent.log"), $off // 0) =~ $re });
}

my @cases = (
    ['sts-enforce.test', secure('mx1.sts-enforce.test')],
    ['sts-badcert.test', secure('mx1.sts-badcert.test')],
    ['sts-wildcard.test', secure('mx1.sts-wildcard.test')],
    ['sts-mx-mismatch.test', 'TEMP'],
    ['sts-wildcard-deep.test', 'TEMP'],
    ['sts-testing.test', 'may'],
    ['sts-none.test', 'may'],
    ['sts-nohost.test', 'may'],
    ['sts-policy-badcert.test', 'may'],
    ['sts-redirect.test', 'may'],
    ['sts-big.test', 'may'],
    ['sts-slow.test', 'may'],
    ['sts-two-txt.test', 'may'],
    ['plain.test', 'may'],
    ['dane-sts.test', 'dane'],
);
for my $c (@cases) {
    is(postmap($c->[0]), $c->[1], "$c->[0]: $c->[1]");
}

# Sendmail's FEATURE(sts) map: the same state, in its format (SENDMAIL.md 4:
# servername=hostname last); no policy in force is NOTFOUND, undecided TEMP.
my @sts_map = (
    ['sts-enforce.test', 'secure match=mx1.sts-enforce.test servername=hostname'],
    ['sts-wildcard.test', 'secure match=mx1.sts-wildcard.test servername=hostname'],
    ['sts-mx-mismatch.test', 'TEMP'],
    ['sts-testing.test', 'NOTFOUND'],
    ['sts-none.test', 'NOTFOUND'],
    ['sts-two-txt.test', 'NOTFOUND'],
    ['sts-nohost.test', 'NOTFOUND'],
    ['plain.test', 'NOTFOUND'],
    ['[mx1.sts-enforce.test]:25', 'NOTFOUND', 'a next hop: not a domain'],
);
for my $c (@sts_map) {
    my $out = postmap_query($sock, $c->[0], 'sts');
    $out = 'TEMP' if $out =~ /^ERROR: .*(temporary error|lookup error)/s;
    is($out, $c->[1], "sts map: $c->[0]: $c->[1]" . ($c->[2] ? " ($c->[2])" : ''));
}

# A domain too long for "_mta-sts.<domain>" (253 characters at most) can
# publish no policy: answered as without one, never TEMP.
my $long = join('.', 'a' x 63, 'b' x 63, 'c' x 63, 'd' x 51, 'test');
is(length($long), 248, 'a 248-character domain');
is(postmap($long), 'may', 'a domain too long for _mta-sts: the profile level');
like(postmap_query($sock, $long, 'profile'), qr/reason=no%20MTA-STS%20policy%20for%20a+\S*too%20long%20for%20an%20_mta-sts%20record/,
     'and the reason says why');

# What an operator greps for
ok(log_has(qr/MTA-STS TXT record fetched domain=sts-enforce\.test id=20260101/), 'log: TXT fetched, with id');
ok(log_has(qr/MTA-STS policy fetched domain=sts-enforce\.test id=20260101 mode=enforce max_age=86400/), 'log: policy fetched');
ok(log_has(qr/MTA-STS policy applied domain=sts-enforce\.test id=20260101 mode=enforce max_age=86400/), 'log: policy applied');
for my $f (['sts-nohost.test', 'connect'], ['sts-policy-badcert.test', 'certificate'],
           ['sts-redirect.test', 'status'], ['sts-big.test', 'size'], ['sts-slow.test', 'timeout']) {
    ok(log_has(qr/MTA-STS policy fetch failed domain=\Q$f->[0]\E cause=$f->[1]/), "log: $f->[0] fetch failed, cause=$f->[1]");
}
# A failed first fetch is not repeated for every message
is(postmap('sts-redirect.test'), 'may', 'sts-redirect.test again: may');
my @fails = slurp("$dir/agent.log") =~ /MTA-STS policy fetch failed domain=sts-redirect\.test/g;
is(scalar @fails, 1, 'a failed fetch is not repeated at once: one fetch for two lookups');
unlike(slurp("$dir/agent.log"), qr/MTA-STS policy fetch\S* domain=dane-sts\.test/, 'DANE applies: no policy fetch for dane-sts.test');
unlike(slurp("$dir/agent.log"), qr/domain=plain\.test.*MTA-STS policy fetch|MTA-STS policy fetch\S* domain=plain\.test/,
       'no _mta-sts record: no fetch');

# Real deliveries
system("postconf -c $ENV{LAB_POSTFIX} -e 'smtp_tls_policy_maps = socketmap:inet:127.0.0.1:10027:tlspolicy' && postfix reload >/dev/null 2>&1");
sleep 1;
sub send_to { my $o = `lab-send --wait 30 $_[0] 2>&1`; chomp $o; return $o; }
like(send_to('u@sts-enforce.test'), qr/^delivered /, 'enforce, good certificate: delivered');
like(send_to('u@sts-badcert.test'), qr/^deferred /, 'enforce, wrong MX certificate: deferred');
like(send_to('u@sts-mx-mismatch.test'), qr/^deferred /, 'enforce, MX not in the policy: deferred');
like(send_to('u@sts-testing.test'), qr/^delivered /, 'testing, bad certificate: delivered');

# Restart with the policy host down: the enforce policy comes from the cache
is(stop_agent($pid), 0, 'agent stopped');
system('lab-policy-host stop sts-enforce.test');
my $restart = length(slurp("$dir/agent.log"));	# what this start logs comes after
$pid = start_agent($dir, undef, $extra);
is(postmap('sts-enforce.test'), secure('mx1.sts-enforce.test'), 'after a restart, policy host down: still enforced');
ok(log_has(qr/MTA-STS cache loaded policies=[1-9]\d*/, $restart), 'log: cache loaded, with policies');
ok(log_has(qr/MTA-STS valid cache entry found domain=sts-enforce\.test id=20260101/, $restart),
   'log: valid cache entry found');
system('lab-policy-host start sts-enforce.test');

# kill -9 right after an answer: the policy it was based on survives
is(postmap('sts-wildcard.test'), secure('mx1.sts-wildcard.test'), 'sts-wildcard.test enforced');
kill 'KILL', $pid;
waitpid($pid, 0);
system('lab-policy-host stop sts-wildcard.test');
unlink $sock;
$pid = start_agent($dir, undef, $extra);
is(postmap('sts-wildcard.test'), secure('mx1.sts-wildcard.test'), 'after kill -9, policy host down: still enforced');
system('lab-policy-host start sts-wildcard.test');

# An id change causes a refetch
is(postmap('sts-idchange.test'), 'may', 'sts-idchange.test: testing mode');
my $new = `lab-set-policy-id sts-idchange.test 20270101 enforce`;
chomp $new;
sleep 6;				# the TXT TTL is 1 s; the agent keeps answers 5 s at least
is(postmap('sts-idchange.test'), secure('mx1.sts-idchange.test'), 'the new id: refetched, now enforce');
ok(log_has(qr/MTA-STS policy changed domain=sts-idchange\.test old_id=1 new_id=20270101/), 'log: policy changed old id -> new id');

# A lost cache file: MTA-STS is trust on first use, so the copy beside it
# brings the policies back, and a cache gone with its copy is said loudly.
# restart(HOW) - stop the agent (HOW: TERM, or KILL after the copy was
# written), run the shell commands, start it again; the log offset
my $db = "$dir/cache.db";
sub restart {
    my ($how, @cmds) = @_;
    if ($how eq 'KILL') {
        ok(log_has(qr/MTA-STS policy cache copy written file=\Q$db\E\.copy policies=[1-9]/),
           'the copy is written soon after a change');
        kill 'KILL', $pid;
        waitpid($pid, 0);
        unlink $sock;
    } else {
        is(stop_agent($pid), 0, 'agent stopped');
    }
    system($_) for @cmds;
    my $off = length(slurp("$dir/agent.log"));
    $pid = start_agent($dir, undef, $extra);
    return $off;
}
system('lab-policy-host stop sts-enforce.test');
for my $case (['TERM', 'the cache file truncated to 0 bytes', ": >$db"],
              ['TERM', 'the cache file deleted', "rm -f $db $db-wal $db-shm"],
              ['KILL', 'kill -9, then the -wal deleted', "rm -f $db-wal $db-shm"],
              ['TERM', 'the cache file replaced by garbage', "head -c 8192 /dev/urandom >$db"]) {
    my ($how, $what, $cmd) = @$case;
    is(postmap('sts-wildcard.test'), secure('mx1.sts-wildcard.test'), "$what: a policy fetched before") if $how eq 'KILL';
    my $off = restart($how, $cmd);
    ok(log_has(qr/critical: MTA-STS policy cache restored from its copy: [1-9]\d* policies came back/, $off),
       "$what: a critical line says how many came back");
    is(postmap('sts-enforce.test'), secure('mx1.sts-enforce.test'), "$what, policy host down: still enforced");
}
like(sockmap_query("$dir/control.sock", 'status', '-'), qr/ cache=ok /, 'status: cache ok');
my $off = restart('TERM', "rm -f $db $db-wal $db-shm $db.copy");
ok(log_has(qr/critical: MTA-STS policy cache lost policies: [1-9]\d* of those it held are in neither the cache \(0 policies now\) nor its copy/, $off),
   'the cache and its copy gone: a critical line at start');
like(sockmap_query("$dir/control.sock", 'status', '-'), qr/ cache=lost%3D[1-9]\d* /, 'status: cache lost, with the count');
$off = restart('TERM');
ok(log_has(qr/critical: MTA-STS policy cache lost policies/, $off), 'said again at the next start');
is(sockmap_query("$dir/control.sock", 'ack-cache', '-'), 'OK acknowledged', 'an operator acknowledges it');
like(sockmap_query("$dir/control.sock", 'status', '-'), qr/ cache=ok /, 'status: cache ok again');
$off = restart('TERM');
sleep 1;
unlike(substr(slurp("$dir/agent.log"), $off), qr/policy cache lost/, 'and not said again');
system('lab-policy-host start sts-enforce.test');
is(stop_agent($pid), 0, 'agent stopped');

# A cache that cannot be written (a full disk): a critical line once, the
# policy kept in memory and written when there is room again.
SKIP: {
    my $full = "$ENV{LAB_DIR}/sts-full";
    mkdir $full;
    skip 'cannot mount a tmpfs', 8 if system("mount -t tmpfs -o size=1m tmpfs $full") != 0;
    chown((getpwnam('nobody'))[2, 3], $full);
    $dir = "$ENV{LAB_DIR}/sts-fullagent";
    $sock = "$dir/destctld.sock";
    $pid = start_agent($dir, $dest, $extra, "$full/cache.db");
    is(postmap('plain.test'), 'may', 'an agent with its cache on a small disk');
    system("dd if=/dev/zero of=$full/fill bs=4k 2>/dev/null");
    is(postmap('sts-enforce.test'), secure('mx1.sts-enforce.test'), 'disk full: the policy is applied all the same');
    ok(log_has(qr/critical: MTA-STS policy cache cannot be written: policies are kept in memory, written again every 30 s, .* domain=sts-enforce\.test/),
       'a critical line');
    like(sockmap_query("$dir/control.sock", 'status', '-'), qr/ cache=unwritable%20pending%3D1 /, 'status: unwritable, one pending');
    is(postmap('sts-wildcard.test'), secure('mx1.sts-wildcard.test'), 'a second policy');
    my @crit = slurp("$dir/agent.log") =~ /policy cache cannot be written/g;
    is(scalar @crit, 1, 'said once per state change');
    unlink "$full/fill";
    ok(wait_for(40, sub { slurp("$dir/agent.log") =~ /MTA-STS policy cache writable again saved=2/ }),
       'room again: written, and said');
    like(sockmap_query("$dir/control.sock", 'status', '-'), qr/ cache=ok /, 'status: ok');
    is(stop_agent($pid), 0, 'agent stopped');
}

# Through a real proxy (tinyproxy): CONNECT to the pinned address
SKIP: {
    skip 'tinyproxy not installed', 3 unless -x '/usr/bin/tinyproxy';
    my $pdir = "$ENV{LAB_DIR}/proxy";
    mkdir $pdir;
    spew("$pdir/tinyproxy.conf", "Port 3128\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nConnectPort 443\n"
         . "LogFile \"$pdir/tinyproxy.log\"\nLogLevel Connect\nPidFile \"$pdir/tinyproxy.pid\"\nUser root\nGroup root\n");
    system("/usr/bin/tinyproxy -c $pdir/tinyproxy.conf");
    wait_for(5, sub { -s "$pdir/tinyproxy.pid" });
    my $pxdir = "$ENV{LAB_DIR}/sts-proxy";
    (my $pextra = $extra) =~ s/fetch_timeout = 3;/fetch_timeout = 3; proxy = "http:\/\/127.0.0.1:3128";/;
    $pextra .= '';
    my $ppid = start_agent($pxdir, $dest, $pextra);
    my $psock = "$pxdir/destctld.sock";
    my $out = `postmap -q sts-enforce.test socketmap:unix:$psock:tlspolicy 2>&1`;
    chomp $out;
    is($out, secure('mx1.sts-enforce.test'), 'through the proxy: policy fetched and enforced');
    like(slurp("$pdir/tinyproxy.log"), qr/CONNECT.*127\.0\.20\.2:443|127\.0\.20\.2:443.*CONNECT|Established connection to host "127\.0\.20\.2"/,
         'the proxy was asked to CONNECT to the pinned address');
    stop_agent($ppid);
}
# DNS trouble with nothing cached: RFC 8461 3.1 and 5, only a cached policy
# protects, so "no policy known" and the profile's level (TEMP would defer
# mail to every domain with a flaky name server and protect nothing); the
# failure is remembered, so the next request is answered at once.
system('lab-dns stop child');
$pid = start_agent("$ENV{LAB_DIR}/sts-dnsdown", $dest, $extra);
my $q = "postmap -q implicit-mx.test socketmap:unix:$ENV{LAB_DIR}/sts-dnsdown/destctld.sock:tlspolicy 2>&1";
# The first answer waits: the lookup may still be trying when it is due.
like(`$q`, qr/^may$|temporary error: MTA-STS lookup not finished in time for implicit-mx\.test/m,
     'DNS down, nothing cached: the level, or TEMP while the lookup runs');
ok(wait_for(20, sub { slurp("$ENV{LAB_DIR}/sts-dnsdown/agent.log")
                          =~ /MTA-STS outcome domain=implicit-mx\.test state=dns-error/ }),
   'the TXT lookup ends as a DNS error');
like(slurp("$ENV{LAB_DIR}/sts-dnsdown/agent.log"),
     qr/MTA-STS TXT lookup failed and no policy is cached: delivering without MTA-STS domain=implicit-mx\.test why="TXT lookup failed: [^"]+" retry_in=60s/,
     'logged once, with the retry');
my $t0 = time;
is(`$q`, "may\n", 'the next request: the profile level, no policy known');
ok(time - $t0 < 3, 'answered at once from the remembered failure');
like(`postmap -q implicit-mx.test socketmap:unix:$ENV{LAB_DIR}/sts-dnsdown/destctld.sock:profile 2>&1`,
     qr/reason=no%20MTA-STS%20policy%20known%20for%20implicit-mx.test%3A%20the%20TXT%20lookup%20failed/,
     'the profile map says why');
stop_agent($pid);
system('lab-dns start child');
done_testing();
