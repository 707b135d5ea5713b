#!/usr/bin/perl
# agent.t - destctld in the lab: Postfix's own socketmap client (postmap -q)
# gets the expected reply for every DANE scenario under several profiles,
# real deliveries through the lab Postfix land or defer as they must, and
# bad input (a broken reload, malformed requests, many clients, a client
# killed mid-request) leaves the agent answering.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Lab;
use Test::More;
use IO::Socket::UNIX;
use IO::Socket::INET;
use Time::HiRes qw(sleep);

enter_lab();

my $dir = "$ENV{LAB_DIR}/agent";
my $sock = "$dir/destctld.sock";
my $pid = start_agent($dir, qq{default = { tls = "preferred"; dane = "opportunistic"; };\n}
    . qq{destinations = ( { domain = "routed.test"; tls = "required"; route = "[mx1.plain.test]:25"; },\n}
    . qq{  { domain = "routed2.test"; tls = "required-verify"; route = "[mx1.plain.test]:25"; },\n}
    . qq{  { domain = "iproute.test"; tls = "required"; route = "[192.0.2.1]"; } );\n});

# postmap KEY [MAP] - Postfix's own socketmap client on the agent's socket
sub postmap { return postmap_query($sock, @_) }

# set_default(ARGS) - change the default profile; wait until the agent reloaded
sub set_default {
    my $before = length(slurp("$dir/agent.log"));
    my ($rc, $out) = destctl($dir, 'default', @_);
    is($rc, 0, "destctl default @_") or diag($out);
    ok(wait_for(10, sub { substr(slurp("$dir/agent.log"), $before) =~ /configuration reloaded/ }),
       'the agent reloaded after the change');
}

# The DANE scenarios under four profiles: the exact tlspolicy reply.
my @domains = qw(dane-valid.test dane-ta.test dane-mismatch.test dane-partial.test
                 dnssec-notlsa.test implicit-mx.test bogus.test expired.test plain.test);
my %want = (
    'preferred opportunistic' => [qw(dane dane dane dane may dane dane-only dane-only may)],
    'required opportunistic'  => [qw(dane-only dane-only dane-only encrypt encrypt dane-only dane-only dane-only encrypt)],
    'required-verify mandatory' => [('dane-only') x 9],
    'required-verify none'    => [('secure match=nexthop:dot-nexthop') x 9],
);
for my $profile ('preferred opportunistic', 'required opportunistic',
                 'required-verify mandatory', 'required-verify none') {
    my ($tls, $dane) = split ' ', $profile;
    set_default('--tls', $tls, '--dane', $dane) unless $profile eq 'preferred opportunistic';
    for my $i (0 .. $#domains) {
        is(postmap($domains[$i]), $want{$profile}[$i], "tls=$tls dane=$dane: $domains[$i]");
    }
}
set_default(qw(--tls preferred --dane opportunistic));

# Keys as Postfix sends them
is(postmap('DANE-VALID.test.'), 'dane', 'upper case and trailing dot');
is(postmap('.dane-valid.test'), 'NOTFOUND', 'a .parent key: NOTFOUND');
is(postmap('[127.0.10.1]'), 'NOTFOUND', 'an IP literal: NOTFOUND');
is(postmap('[mx1.plain.test]:25'), 'secure match=nexthop:dot-nexthop',
   'an explicit next hop gets the strictest level of the profiles routed to it');
is(postmap('[nowhere.test]:25'), 'NOTFOUND', 'a next hop no profile routes to: NOTFOUND');
is(postmap('[192.0.2.1]'), 'encrypt', 'a routed IP literal without a port gets its profile\'s level');
is(postmap('routed.test'), 'encrypt', 'the routed domain itself: its own TLS level');
unlike(slurp("$dir/agent.log"), qr/DNS query name=routed\.test /, 'and no DANE lookup for it');
like(postmap('bogus.test', 'profile'),
     qr/^domain=bogus\.test profile=default tls=preferred dane=opportunistic mta_sts=off decision=dane-only reason=\S+ bounce_verification=off refuse=temp early_refusal=off service=destctl-base dane_outcome=bogus sts_state=not-asked$/,
     'the profile map');
like(sockmap_query($sock, 'nosuchmap', 'x'), qr/^PERM unknown map$/, 'an unknown map: PERM');
like(sockmap_query($sock, 'tlspolicy', 'ex_ample.test'), qr/^PERM invalid domain name$/, 'an invalid domain: PERM');

my $log = slurp("$dir/agent.log");
like($log, qr/DNSSEC validation failed domain=bogus\.test name=\S+ type=\S+ why=.+/, 'bogus DNSSEC is logged with why');
like($log, qr/policy decision domain=dane-valid\.test profile=default dane=all mta_sts=not-asked reply="dane" reason=".+"/,
     'a decision is logged once per change');
like($log, qr/debug: DNS answer name=dane-valid\.test type=MX status=data dnssec=secure/, 'debug: each DNS answer with its state');

# Real deliveries through the lab Postfix
system("postconf -c $ENV{LAB_POSTFIX} -e 'smtp_tls_policy_maps = socketmap:inet:127.0.0.1:10027:tlspolicy' && postfix reload >/dev/null 2>&1");
sleep 1;
sub send_to {
    my ($rcpt) = @_;
    my $out = `lab-send --wait 30 $rcpt 2>&1`;
    chomp $out;
    return $out;
}
my $r = send_to('user@dane-valid.test');
like($r, qr/^delivered /, 'DANE-valid: delivered') or diag($r);
like(slurp($ENV{LAB_MAILLOG}), qr/Verified TLS connection established to mx1\.dane-valid\.test\[127\.0\.10\.1\]:25/,
     'Postfix logs a Verified DANE connection');
like(send_to('user@dane-mismatch.test'), qr/^deferred /, 'DANE mismatch: deferred');
like(send_to('user@bogus.test'), qr/^deferred /, 'bogus DNSSEC: deferred');
like(send_to('user@dnssec-notlsa.test'), qr/^delivered /, 'signed without TLSA, opportunistic: delivered');
set_default(qw(--tls preferred --dane mandatory));
like(send_to('user2@dnssec-notlsa.test'), qr/^deferred /, 'signed without TLSA, mandatory: deferred');
set_default(qw(--tls preferred --dane opportunistic));

# A broken configuration on SIGHUP: refused, the agent keeps answering
my $good = slurp("$dir/destinations.conf");
spew("$dir/destinations.conf", $good . "oops = ;\n");
my $before = length(slurp("$dir/agent.log"));
kill 'HUP', $pid;
ok(wait_for(10, sub { substr(slurp("$dir/agent.log"), $before) =~ /reload refused/ }), 'SIGHUP with a broken config: refused');
like(substr(slurp("$dir/agent.log"), $before), qr/\Q$dir\E\/destinations\.conf:\d+: syntax error/, 'the log names file and line');
is(postmap('dane-valid.test'), 'dane', 'and the old configuration keeps answering');
spew("$dir/destinations.conf", $good);

# A reload that would find no destinations, or files others could change:
# refused, named, the old configuration answering (else every domain would
# fall to the built-in default, weaker than what was set).
# refused_reload(WHAT, RE) - SIGHUP; the reload is refused with RE in the log
sub refused_reload {
    my ($what, $re) = @_;
    my $from = length(slurp("$dir/agent.log"));
    kill 'HUP', $pid;
    ok(wait_for(10, sub { substr(slurp("$dir/agent.log"), $from) =~ /reload refused/ }), "$what: reload refused");
    like(substr(slurp("$dir/agent.log"), $from), $re, "$what: the log says why");
    is(postmap('dane-valid.test'), 'dane', "$what: the old configuration keeps answering");
}
my $conf = slurp("$dir/destctl.conf");
spew("$dir/destinations.conf", '');
refused_reload('an empty destinations file',
               qr/\Q$dir\E\/destinations\.conf: destinations file is empty: it has neither default nor destinations: every domain would get the built-in default profile/);
unlink("$dir/destinations.conf");
refused_reload('a deleted destinations file', qr/\Q$dir\E\/destinations\.conf: destinations file does not exist/);
spew("$dir/destinations.conf", $good);
(my $devnull = $conf) =~ s/destinations_file = "destinations.conf";/destinations_file = "\/dev\/null";/;
spew("$dir/destctl.conf", $devnull);
refused_reload('destinations_file = /dev/null', qr/\/dev\/null: destinations file is not a regular file/);
spew("$dir/destctl.conf", $conf);
chmod 0666, "$dir/destctl.conf";
refused_reload('a world-writable destctl.conf',
               qr/\Q$dir\E\/destctl\.conf: not safe to trust: \Q$dir\E\/destctl\.conf is writable by others \(mode 0666\)/);
chmod 0644, "$dir/destctl.conf";
chmod 0777, $dir;
refused_reload('a world-writable directory above it',
               qr/\Q$dir\E\/destctl\.conf: not safe to trust: \Q$dir\E is writable by others \(mode 0777\)/);
chmod 0755, $dir;

# The same at start: destctld refuses to start, and says why on stderr.
my $dir2 = "$ENV{LAB_DIR}/agent-refused";
mkdir $dir2;
spew("$dir2/destctl.conf", $conf);
my $out = `$TOP/build/destctld -f -c $dir2/destctl.conf 2>&1`;
is($? >> 8, 2, 'start with a missing destinations file: exit 2');
like($out, qr/\Q$dir2\E\/destinations\.conf: destinations file does not exist: every domain would get the built-in default profile/,
     'and the reason on stderr');
spew("$dir2/destinations.conf", $good);
chmod 0666, "$dir2/destinations.conf";
$out = `$TOP/build/destctld -f -c $dir2/destctl.conf 2>&1`;
is($? >> 8, 2, 'start with a world-writable destinations file: exit 2');
like($out, qr/\Q$dir2\E\/destinations\.conf: not safe to trust: .*writable by others \(mode 0666\)/, 'and the reason');
chmod 0644, "$dir2/destinations.conf";
# The pid file is written as root: never through a link, never into a file
# that is not one of its own kind.
(my $pconf = $conf) =~ s/pid_file = "[^"]*";/pid_file = "$dir2\/destctld.pid";/ or die 'no pid_file';
$pconf =~ s/\Q$dir\E\/(destctld\.sock|control\.sock)/$dir2\/$1/g;
$pconf =~ s/inet:127\.0\.0\.1:10027/inet:127.0.0.1:10037/;
spew("$dir2/destctl.conf", $pconf);
spew("$dir2/victim", "root's own file\n");
symlink("$dir2/victim", "$dir2/destctld.pid");
$out = `$TOP/build/destctld -f -c $dir2/destctl.conf 2>&1`;
isnt($? >> 8, 0, 'a pid file that is a symbolic link: not started');
like($out, qr/cannot write pid file \Q$dir2\E\/destctld\.pid: Too many levels of symbolic links/, 'and says why');
is(slurp("$dir2/victim"), "root's own file\n", 'the file the link points at is untouched');

# Malformed requests: PERM and a closed connection, never a crash
for my $bad ('2:abc,', 'x:', '3:abcd', '0:,', '10:tlspolicyx,', '012:tlspolicy x,', "999999999:") {
    like(sockmap_raw($sock, $bad), qr/^\d+:PERM .+,$/, "malformed request \"$bad\": PERM");
}
for (1 .. 300) { sockmap_raw($sock, "4:ab c;") }
is(postmap('dane-valid.test'), 'dane', 'a flood of malformed requests: still answering');

# A client killed mid-request harms no one else
my $child = fork // die;
if ($child == 0) {
    my $s = IO::Socket::UNIX->new(Peer => $sock) or exit 1;
    print $s "30:tlspolicy dane-v";
    sleep 10;
    exit 0;
}
sleep 0.2;
kill 'KILL', $child;
waitpid($child, 0);
is(postmap('dane-ta.test'), 'dane', 'a client killed mid-request: others still answered');

# 1,000 concurrent connections, each with a request
my @conns;
for (1 .. 1000) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:10027') or last;
    push @conns, $s;
}
is(scalar @conns, 1000, '1,000 connections open');
my $req = "tlspolicy plain.test";
print $_ length($req) . ":$req," for @conns;
my $answered = 0;
for my $s (@conns) {
    my $got = '';
    sysread($s, $got, 100);
    $answered++ if $got eq '6:OK may,';
}
close $_ for @conns;
is($answered, 1000, 'every one answered');
is(postmap('dane-valid.test'), 'dane', 'and the agent still answers');

# A domain in use is refreshed ahead of its expiry, as a known domain (ahead
# of first contacts): it never waits for its own refresh. sts-idchange.test
# has TTL 1, so its DANE outcome lives the minimum, 5 s.
# Asked every half second: some request comes in the last third of the
# outcome's life, answered from the cache while the refresh starts.
my @answers;
my $refreshed = wait_for(15, sub {
    push @answers, postmap('sts-idchange.test');
    sleep 0.5;
    slurp("$dir/agent.log") =~ /DANE outcome refreshed ahead of expiry domain=sts-idchange\.test expires_in=[01]s/ });
ok($refreshed, 'a short-lived outcome in use is refreshed ahead of its expiry');
is(join(',', grep { $_ ne 'may' } @answers), '', 'every answer meanwhile: may, none waited or TEMP');

# Any local user can connect to the inet socket: 4,300 idle connections
# (more than the 4,000 the agent once held for all its listeners together,
# and over the 2,000 one listener takes now) and 200 that send a byte
# must not lock Postfix out. A new connection takes the idlest's place; a
# request must be complete 5 s after its first byte.
@conns = ();
for (1 .. 4500) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:10027') or last;
    push @conns, $s;
}
is(scalar @conns, 4500, '4,500 connections made to the inet socket');
print $_ '9' for @conns[4300 .. 4499];
my $t0 = time;
is(`postmap -q dane-valid.test socketmap:inet:127.0.0.1:10027:tlspolicy 2>&1`, "dane\n",
   'Postfix\'s own client over inet is answered all the same');
ok(time - $t0 < 5, 'at once');
is(postmap('dane-valid.test'), 'dane', 'the unix socket answers too');
ok(wait_for(10, sub { slurp("$dir/agent.log") =~ /socketmap listener full, closing its longest-idle connection for each new one max_clients=2000 endpoint=inet:127\.0\.0\.1:10027/ }),
   'the full listener is logged');
ok(wait_for(10, sub { slurp("$dir/agent.log") =~ /socketmap request not complete in time, closing peer=127\.0\.0\.1:\d+ endpoint=inet:127\.0\.0\.1:10027 timeout=5/ }),
   'the dripping requests are closed after 5 s');
close $_ for @conns;

# The control socket: root only
is((stat("$dir/control.sock"))[2] & 07777, 0600, 'the control socket is mode 0600');
is((stat($sock))[2] & 07777, 0660, 'the socketmap socket is mode 0660');
like(sockmap_query("$dir/control.sock", 'status', '-'), qr/^OK version=\S+ uptime=\d+ config=\S+ loaded=\d+ generation=\d+ destinations=3 clients=\d+ requests=\d+ /,
     'control: status');
is(sockmap_query("$dir/control.sock", 'flush', 'Bogus.Test.'), 'OK bogus.test', 'control: flush DOMAIN');
is(sockmap_query("$dir/control.sock", 'reload', '-'), 'OK reloaded', 'control: reload');
is(sockmap_query("$dir/control.sock", 'shutdown', '-'), 'PERM unknown command: status, flush DOMAIN|-, reload, ack-cache',
   'control: an unknown command');

# The same through destctl, as a postmaster types it
my ($rc, $st) = destctl($dir, 'status');
is($rc, 0, 'destctl status: exit 0');
like($st, qr/^destctld \S+, up \S+/, 'status: version and uptime first');
like($st, qr/^config +\Q$dir\E\/destctl\.conf \(loaded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, generation \d+\), 3 destinations$/m,
     'status: the configuration in force');
like($st, qr/^answers +ok \d+, notfound [1-9]\d*, temp \d+, perm [1-9]\d*$/m, 'status: answers by kind');
like($st, qr/^policy cache +ok \(\Q$dir\E\/cache\.db\)$/m, 'status: the policy cache');
my $gen = ($st =~ /generation (\d+)/)[0];
system('lab-dns stop child');
like(postmap('fresh.plain.test'), qr/^ERROR: .*DANE lookup not finished in time for fresh\.plain\.test/, 'a TEMP answer (DNS down)');
system('lab-dns start child');
like((destctl($dir, 'status'))[1], qr/^TEMP causes +dane=pending sts=not-asked:1$/m, 'status: TEMP answers by their cause');
($rc, my $json) = destctl($dir, 'status', '--json');
is($rc, 0, 'status --json: exit 0');
like($json, qr/^\{"version": "[^"]+", "uptime": \d+, "config": "\Q$dir\E\/destctl\.conf", .*"cache": "ok", "cache_file": "[^"]+"\}$/,
     'status --json: one object, numbers as numbers');
my $before_flush = length(slurp("$dir/agent.log"));
($rc, $out) = destctl($dir, 'flush', 'DANE-valid.test');
is("$rc $out", "0 destctl: destctld forgot what it had cached for dane-valid.test\n", 'destctl flush DOMAIN');
is(postmap('dane-valid.test'), 'dane', 'asked again after the flush');
like(substr(slurp("$dir/agent.log"), $before_flush), qr/debug: DNS query name=dane-valid\.test type=MX/,
     'and resolved anew (debug log)');
($rc, $out) = destctl($dir, 'flush', '--all');
is("$rc $out", "0 destctl: destctld forgot everything it had cached\n", 'destctl flush --all');
($rc, $out) = destctl($dir, 'reload');
is("$rc $out", "0 destctl: destctld reloaded its configuration\n", 'destctl reload');
like((destctl($dir, 'status'))[1], qr/generation @{[$gen + 1]}\)/, 'the generation moved on');
my $dgood = slurp("$dir/destinations.conf");
spew("$dir/destinations.conf", $dgood . "oops = ;\n");
($rc, $out) = destctl($dir, 'reload');
is($rc, 2, 'destctl reload with a broken configuration: exit 2');
like($out, qr/^\Q$dir\E\/destinations\.conf:\d+: syntax error\n.*\ndestctl: destctld was not asked to reload: it keeps running its last good configuration$/s,
     'the errors with FILE:LINE, and what that means');
like(sockmap_query("$dir/control.sock", 'reload', '-'), qr/^PERM \Q$dir\E\/destinations\.conf:\d+: syntax error$/,
     'asked anyway, the agent refuses with the first error');
spew("$dir/destinations.conf", $dgood);
is(postmap('dane-valid.test'), 'dane', 'the agent keeps answering');
($rc, $out) = destctl($dir, 'ack-cache');
is("$rc $out", "0 destctl: the lost MTA-STS policies are acknowledged\n", 'destctl ack-cache');
$out = `runuser -u nobody -- $TOP/build/destctl -c $dir/destctl.conf status 2>&1`;
is($? >> 8, 1, 'status as another user: exit 1');
like($out, qr/^destctl: permission denied on the control socket \Q$dir\E\/control\.sock: it is root's/, 'with a clear message');

# Debian's stock master.cf, smtp(8) chrooted in the queue directory: the inet
# socketmap still reaches the agent. The chroot gets what Debian's
# configure-instance.sh would copy into it.
my $q = '/var/spool/postfix';
system("cp /usr/share/postfix/master.cf.dist $ENV{LAB_POSTFIX}/master.cf");
system("postconf -c $ENV{LAB_POSTFIX} -P 'smtp/unix/max_use=1'");
system("mkdir -p $q/etc && cp /etc/resolv.conf /etc/services /etc/hosts /etc/host.conf /etc/nsswitch.conf $q/etc/ 2>/dev/null");
system("cd / && tar cf - lib/*/libnss* lib/*/libresolv* lib/*/libgcc_s* 2>/dev/null | tar xf - -C $q");
system('postfix reload >/dev/null 2>&1');
sleep 1;
like(`postconf -c $ENV{LAB_POSTFIX} -F smtp/unix/chroot`, qr/= y$/m, 'smtp runs chrooted now');
my $verified = () = slurp($ENV{LAB_MAILLOG}) =~ /Verified TLS connection established to mx1\.dane-valid\.test/g;
like(send_to('chroot@dane-valid.test'), qr/^delivered /, 'stock chrooted master.cf: DANE-valid delivered');
my $after = () = slurp($ENV{LAB_MAILLOG}) =~ /Verified TLS connection established to mx1\.dane-valid\.test/g;
is($after, $verified + 1, 'through a Verified DANE connection');

# destctl explain: the matched entry, the settings, the outcomes and rule,
# and each asker's answer, equal to what the MTAs get from the agent.
{
    use JSON::PP;
    my ($rc, $out) = destctl($dir, 'explain', 'dane-valid.test');
    is($rc, 0, 'explain: exit 0');
    like($out, qr/^dane-valid\.test: default profile \(\Q$dir\E\/destinations\.conf:\d+\)$/m, 'explain: the default profile matched, with FILE:LINE');
    like($out, qr/^  dane +opportunistic +set$/m, 'explain: a setting of the default, set there');
    like($out, qr/^  DANE outcome +all$/m, 'explain: the DANE outcome the agent decided from');
    like($out, qr/^  rule +DANE TLSA usable on every MX of dane-valid\.test$/m, 'explain: the rule');
    my $pm = postmap('dane-valid.test');
    like($out, qr/^  Postfix tlspolicy +OK \Q$pm\E$/m, "explain: Postfix's answer, as postmap -q gets it ($pm)");
    like($out, qr/^  milter tag +X-Destctl-Destination: dane-valid\.test; profile=default; tls=preferred; dane=opportunistic; mta-sts=off; decision=\Q$pm\E; service=destctl-base$/m,
         'explain: the milter tag');
    like($out, qr/^  milter at RCPT +accepts$/m, 'explain: the milter accepts');
    like($out, qr/^  Sendmail sts +NOTFOUND$/m, 'explain: no MTA-STS for Sendmail');

    ($rc, $out) = destctl($dir, 'explain', 'routed.test', '--json');
    my $j = eval { decode_json($out) } // {};
    is($j->{match}, 'exact', 'explain --json: an exact entry');
    my ($line) = grep { (split /\n/, slurp("$dir/destinations.conf"))[$_ - 1] =~ /domain = "routed\.test"/ }
        1 .. scalar(split /\n/, slurp("$dir/destinations.conf"));
    is("$j->{file}:$j->{line}", "$dir/destinations.conf:$line", 'explain --json: its FILE:LINE');
    is($j->{settings}{dane}{from}, 'default', 'explain --json: an inherited setting');
    is($j->{answers}{tlspolicy_route}, 'OK ' . postmap('[mx1.plain.test]:25'),
       "explain --json: the route's key answered as postmap -q gets it");
    is($j->{answers}{transport}, 'routed.test destctl-base:[mx1.plain.test]:25', 'explain --json: the transport entry');

    my $before = length(slurp("$dir/agent.log"));
    ($rc, $out) = destctl($dir, 'explain', '--fresh', 'dane-valid.test');
    is($rc, 0, 'explain --fresh: exit 0');
    ok(wait_for(5, sub { substr(slurp("$dir/agent.log"), $before) =~ /control: flushed cached results domain=dane-valid\.test/ }),
       'explain --fresh: the agent forgot the domain first');
    like(substr(slurp("$dir/agent.log"), $before), qr/DNS query name=_25\._tcp\.mx1\.dane-valid\.test type=TLSA/,
         'explain --fresh: and resolved it anew');
}

# A dead authoritative server: no answer at all. The request gets TEMP at
# agent.lookup_timeout (5 s here), never a weaker policy; the resolution
# runs on to its own deadline and its failure is cached, so the next request
# is answered TEMP at once.
system('lab-dns stop child');
$t0 = time;
like(sockmap_query($sock, 'tlspolicy', 'sts-enforce.test'),
     qr/^TEMP DANE lookup not finished in time for sts-enforce\.test/, 'DNS down: TEMP, not may');
my $waited = time - $t0;
ok($waited >= 4 && $waited <= 8, "after agent.lookup_timeout ($waited s)");
ok(wait_for(15, sub { slurp("$dir/agent.log") =~ /DANE outcome domain=sts-enforce\.test outcome=dns-error/ }),
   'the lookup ran on to its deadline: a DNS error, never "no DANE"');
$t0 = time;
like(sockmap_query($sock, 'tlspolicy', 'sts-enforce.test'), qr/^TEMP /, 'the next request: TEMP');
ok(time - $t0 <= 1, 'at once, from the cached failure');
system('lab-dns start child');

is(stop_agent($pid), 0, 'SIGTERM: a clean stop');
ok(!-e "$dir/destctld.sock", 'the socket file is removed');
done_testing();
