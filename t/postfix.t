#!/usr/bin/perl
# postfix.t - every delivery setting applied by the real lab Postfix, as
# `destctl postfix --apply` installs it, observed at the receiving hosts:
# concurrency, messages per connection, a recipient rate, IP preference,
# a client certificate, a route, and a bounce profile (destctl sweep).
# Applying twice changes nothing; a failed step leaves every file as it was.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Lab;
use Test::More;
use Time::HiRes qw(sleep time);

enter_lab();

my $dir = "$ENV{LAB_DIR}/postfix-t";
my $pf = $ENV{LAB_POSTFIX};
my $extra = qq{certificates = ( { name = "client"; chain_file = "$ENV{LAB_CLIENT_CHAIN}"; },\n}
    . qq{  { name = "broken"; chain_file = "$dir/broken.pem"; } );\n}
    . qq{bounce_profiles = ( { name = "fast"; max_queue_lifetime = 60; } );\n}
    . qq{postfix: { config_directory = "$pf"; };\n};
my %dest = (
    'limits-slow.test' => 'concurrency = 2;',
    'limits-reuse.test' => 'concurrency = 1; messages_per_connection = 3;',
    'limits-rate.test' => 'recipient_limit = { count = 30; minutes = 1; };',
    'dual-stack.test' => 'ip_preference = "ipv4-only";',
    'client-cert.test' => 'client_certificate = "client";',
    'routed.test' => 'route = "[relay.routed.test]:25";',
    'bounce-dead.test' => 'bounce_profile = "fast";',
);

# destinations() - the destinations file for %dest
sub destinations {
    return qq{default = { tls = "preferred"; };\ndestinations = (\n}
        . join(",\n", map { qq{  { domain = "$_"; $dest{$_} }} } sort keys %dest) . "\n);\n";
}

mkdir $dir;
spew("$dir/broken.pem", "not a key\n");
# An ipv6-only service asks the agent over IPv6.
my $pid = start_agent($dir, destinations(), $extra, undef, $ENV{LAB_IPV6} ? ('inet:[::1]:10027') : ());
# With IPv6, an address of each family: an ipv6-only service sends from ::1.
system('postconf', '-c', $pf, '-e', 'smtp_tls_policy_maps = socketmap:inet:127.0.0.1:10027:tlspolicy',
       "transport_maps = hash:$pf/destctl_transport",
       $ENV{LAB_IPV6} ? 'inet_interfaces = 127.0.0.1, [::1]' : ());

# files() - what destctl may change, byte for byte
sub files {
    return join("\0", map { slurp("$pf/$_") } qw(main.cf master.cf destctl_transport destctl_transport.db));
}

# apply() - destctl postfix --apply: (status, output)
sub apply { return destctl($dir, 'postfix', '--apply') }

my ($rc, $out) = apply();
is($rc, 0, 'postfix --apply: exit 0') or diag($out);
like($out, qr/^destctl: installed 6 delivery services for 7 destinations in \Q$pf\E; Postfix reloaded$/m,
     'postfix --apply: says what it installed');
my $installed = files();
($rc, $out) = apply();
is($rc, 0, 'postfix --apply again: exit 0');
like($out, qr/^destctl: Postfix is up to date; nothing to do$/m, 'postfix --apply again: nothing to do');
is(files(), $installed, 'postfix --apply again: every file byte-identical');
my $services = `postconf -c $pf -M`;
like($services, qr/^destctl-c2 +unix .* smtp -o smtp_address_preference=ipv6 /m, 'master.cf: destctl-c2');
like(`postconf -c $pf -h destctl-r30per1m_destination_rate_delay`, qr/^4s$/, 'main.cf: the rate delay');
like(`postconf -c $pf -h default_transport`, qr/^destctl-base$/, 'main.cf: default_transport');
is(system("postfix -c $pf check >/dev/null 2>&1"), 0, 'postfix check is clean');

# A broken step leaves everything as it was.
$dest{'broken.test'} = 'client_certificate = "broken";';
spew("$dir/destinations.conf", destinations());
($rc, $out) = apply();
is($rc, 1, 'an unusable chain file: exit 1');
like($out, qr/^destctl: certificate "broken": \Q$dir\E\/broken.pem does not start with a private key/m,
     'an unusable chain file: said');
is(files(), $installed, 'an unusable chain file: main.cf, master.cf and the table byte-identical');
delete $dest{'broken.test'};
spew("$dir/destinations.conf", destinations());
SKIP: {
    skip 'this Postfix has lmdb', 3 if `postconf -m` =~ /^lmdb$/m;
    my $conf = slurp("$dir/destctl.conf");
    (my $lmdb = $conf) =~ s/config_directory = "\Q$pf\E";/config_directory = "$pf"; table_type = "lmdb";/
        or BAIL_OUT('no postfix group in the test config');
    spew("$dir/destctl.conf", $lmdb);
    $dest{'limits-slow2.test'} = 'concurrency = 7;';
    spew("$dir/destinations.conf", destinations());
    ($rc, $out) = apply();
    is($rc, 1, 'postmap failing (no lmdb here): exit 1');
    like($out, qr/^destctl: postmap failed on \S+; nothing changed$/m, 'postmap failing: said');
    is(files(), $installed, 'postmap failing: every file byte-identical');
    delete $dest{'limits-slow2.test'};
    spew("$dir/destctl.conf", $conf);
    spew("$dir/destinations.conf", destinations());
}

# send_many(N, RCPT-DOMAIN) - N messages, at once
sub send_many {
    my ($n, $domain) = @_;
    for my $i (1 .. $n) {
        open(my $sm, '|-', "sendmail -f sender\@lab-sender.test m$i\@$domain") or die "sendmail: $!";
        print $sm "Subject: $domain $i\n\nmessage $i\n";
        close($sm);
    }
}

# delivered(HOST, N, SECONDS) - wait until HOST accepted N messages
sub delivered {
    my ($host, $n, $secs) = @_;
    return wait_for($secs, sub { scalar(deliveries($host)) >= $n });
}

# overlap(HOST) - the most connections HOST had open at once; 50 ms of slack
# at each end, since the server sees a close a moment after the client did it
sub overlap {
    return max_overlap(map { { start => $_->{start}, end => $_->{end} - 0.05 } } connections($_[0]));
}

# concurrency 2 against a slow MX (2 s per message); the default sees more
send_many(20, 'limits-slow.test');
send_many(20, 'limits-slow2.test');
ok(delivered('mx.limits-slow.test', 20, 90), 'concurrency 2: 20 messages delivered');
ok(delivered('mx.limits-slow2.test', 20, 90), 'default profile: 20 messages delivered');
# logged(HOST) - the messages of HOST's connections that have ended
sub logged { my $n = 0; $n += $_->{messages} for connections($_[0]); return $n }
ok(wait_for(15, sub { logged('mx.limits-slow.test') == 20 && logged('mx.limits-slow2.test') == 20 }),
   'every connection to both slow MX hosts closed and logged');
my $slow = overlap('mx.limits-slow.test');
is($slow, 2, 'concurrency 2: the MX never saw more than 2 connections at once');
cmp_ok(overlap('mx.limits-slow2.test'), '>', 2, 'the default service opens more');

# messages_per_connection 3 (one connection at a time, so reuse shows)
send_many(10, 'limits-reuse.test');
ok(delivered('mx.limits-reuse.test', 10, 60), 'messages_per_connection 3: 10 messages delivered');
ok(wait_for(10, sub { logged('mx.limits-reuse.test') == 10 }), 'messages_per_connection 3: every connection closed');
my @per = map { $_->{messages} } connections('mx.limits-reuse.test');
my ($most) = sort { $b <=> $a } @per;
is($most, 3, 'messages_per_connection 3: no connection carried more than 3, and reuse happened')
    or diag("messages per connection: @per");

# recipient_limit 30/1: at most 2 recipients every 4 s
send_many(4, 'limits-rate.test');
ok(delivered('mx.limits-rate.test', 4, 60), 'recipient_limit: 4 messages delivered');
my @t = sort { $a <=> $b } map { $_->{time} } deliveries('mx.limits-rate.test');
my @gaps = map { $t[$_] - $t[$_ - 1] } 1 .. $#t;
is(scalar @gaps, 3, 'recipient_limit: three gaps measured');
ok(!grep({ $_ < 3.5 || $_ > 8 } @gaps), 'recipient_limit 30/1: one delivery every 4 s (2 recipients each)')
    or diag("gaps: @gaps");

# client_certificate: the MX sees the named certificate; others see none
is(`lab-send x\@client-cert.test` =~ /^delivered/ ? 1 : 0, 1, 'client_certificate: delivered');
my ($cc) = connections('mx.client-cert.test');
ok(wait_for(10, sub { ($cc) = connections('mx.client-cert.test'); $cc }), 'client_certificate: connection recorded');
is($cc && $cc->{cert}, 'client.lab-sender.test', 'client_certificate: the MX saw its subject')
    or diag(slurp($ENV{LAB_CONNECTIONS}), `grep client-cert $ENV{LAB_MAILLOG}`);
($rc, $out) = destctl($dir, 'edit', 'client-cert.test', '--client-certificate', 'inherit');
is($rc, 0, 'client_certificate inherit: edited') or diag($out);
($rc, $out) = apply();
like($out, qr/^destctl: installed \d+ delivery services/m, 'client_certificate inherit: applied');
like(`lab-send x\@client-cert.test`, qr/^delivered/, 'without client_certificate: delivered');
ok(wait_for(10, sub { connections('mx.client-cert.test') >= 2 }), 'without client_certificate: connection recorded');
my @cc = connections('mx.client-cert.test');
is($cc[-1]{cert}, '-', 'a destination without it presents none (the lab Postfix has none of its own)');

# route: to the relay, not the MX; the relay's TLS key answered as before
like(`lab-send x\@routed.test`, qr/^delivered .*relay=relay\.routed\.test\[127\.0\.10\.67\]:25/,
     'route: delivered to the relay');
is(scalar(deliveries('mx.routed.test')), 0, 'route: nothing at the MX');
is(scalar(deliveries('relay.routed.test')), 1, 'route: the relay received it');
is(postmap_query("$dir/destctld.sock", '[relay.routed.test]:25'), 'may', 'route: its TLS policy key answered');

# ip_preference on an MX with an IPv4 and an IPv6 address
SKIP: {
    skip 'no IPv6 in this lab', 8 unless $ENV{LAB_IPV6};
    for my $case (['ipv4-only', 4], ['ipv6-only', 6], ['ipv6-preferred', 6], ['ipv4-preferred', 4]) {
        my ($pref, $family) = @$case;
        ($rc, $out) = destctl($dir, 'edit', 'dual-stack.test', '--ip-preference', $pref);
        # ipv4-only is the starting value: nothing to apply then.
        ($rc, $out) = apply();
        like($out, $pref eq 'ipv4-only' ? qr/^destctl: Postfix is up to date; nothing to do$/m
             : qr/^destctl: installed \d+ delivery services/m, "ip_preference $pref: applied");
        my $before = () = connections('mx.dual-stack.test');
        my $sent = `lab-send x\@dual-stack.test`;
        wait_for(10, sub { connections('mx.dual-stack.test') > $before });
        my @c = connections('mx.dual-stack.test');
        is(@c > $before ? $c[-1]{family} : 'none', $family, "ip_preference $pref: IPv$family used")
            or diag($sent, $out, `grep -E 'tlsproxy|warning' $ENV{LAB_MAILLOG} | grep -v makedefs | tail -n 20`);
    }
}

# bounce profile: fast (60 s) returns mail for an unreachable MX; the
# default profile's message stays queued
system('lab-mx stop mx.limits-slow2.test >/dev/null');
like(`lab-send --from bouncer\@plain.test x\@bounce-dead.test`, qr/^deferred /, 'bounce profile: deferred first');
like(`lab-send --from keeper\@plain.test y\@limits-slow2.test`, qr/^deferred /, 'default profile: deferred');
($rc, $out) = destctl($dir, 'sweep');
like($out, qr/^destctl: sweep: \d+ deferred messages: 0 expired, \d+ kept$/m, 'sweep before the lifetime: nothing expired');
sleep 61;
($rc, $out) = destctl($dir, 'sweep');
is($rc, 0, 'sweep: exit 0');
like($out, qr/sweep: \w+: expired after \d+ s in the queue \(bounce profile fast: 60 s\): from=<bouncer\@plain.test> to=<x\@bounce-dead.test>/,
     'sweep: the expiry logged');
like($out, qr/^destctl: sweep: \d+ deferred messages: 1 expired, \d+ kept$/m, 'sweep: one expired, one kept');
ok(wait_for(20, sub { grep { $_->{from} eq '<>' } deliveries('mx1.plain.test') }),
   'the bounce arrived at the sender\'s MX');
like(`postqueue -j`, qr/"recipients": \[\{"address": "y\@limits-slow2.test"/, 'the default profile\'s message is still queued');

# postfix.apply = "auto": a change applies itself
my $conf = slurp("$dir/destctl.conf");
(my $auto = $conf) =~ s/config_directory = "\Q$pf\E";/config_directory = "$pf"; apply = "auto";/
    or BAIL_OUT('no postfix group in the test config');
spew("$dir/destctl.conf", $auto);
($rc, $out) = destctl($dir, 'edit', 'limits-rate.test', '--concurrency', '4');
is($rc, 0, 'apply = auto: edit succeeds');
like($out, qr/^destctl: installed \d+ delivery services for 7 destinations in \Q$pf\E; Postfix reloaded$/m,
     'apply = auto: the edit installed the Postfix side');
like(`postconf -c $pf -M`, qr/^destctl-c4-r30per1m +unix /m, 'apply = auto: the new service is in master.cf');
($rc, $out) = destctl($dir, 'postfix');
like($out, qr/^destctl: Postfix is up to date$/m, 'apply = auto: nothing left to apply');

stop_agent($pid);
done_testing();
