#!/usr/bin/perl
# milter.t - destctl-milter in the lab, with a real destctld: miltertest
# scripts (t/milter/*.lua) for outbound detection, tags, spoofed-header
# removal, early refusal, the agent down, bounce verification and a fuzz
# run; then the real Postfix with the milter on smtpd_milters and
# non_smtpd_milters.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Lab;
use Test::More;
use Digest::SHA qw(hmac_sha256);
use POSIX qw(floor);
use Time::HiRes qw(sleep);

enter_lab();
plan(skip_all => 'miltertest not installed') unless -x '/usr/bin/miltertest';

my $dir = "$ENV{LAB_DIR}/milter";
my $secret = 'lab-secret-0123456789abcdef';
my $milter_conf = sub {
    my ($port, $agent, $on_error) = @_;
    return "milter: {\n  listen = \"inet:$port\@127.0.0.1\";\n  agent = \"$agent\";\n"
        . "  internal_networks = [ \"10.0.0.0/8\", \"127.0.0.0/8\", \"::1/128\" ];\n"
        . "  outbound_daemons = [ \"submission\" ];\n  on_agent_error = \"$on_error\";\n};\n"
        . "bounce_verification: { key_file = \"$dir/batv.keys\"; valid_days = 7; untagged = \"accept\"; };\n";
};
my $dest = qq{default = { tls = "preferred"; dane = "opportunistic"; };\n}
    . qq{destinations = (\n  { domain = "dane-valid.test"; bounce_verification = true; },\n}
    . qq{  { domain = "dnssec-notlsa.test"; dane = "mandatory"; early_refusal = true; },\n}
    . qq{  { domain = "bogus.test"; early_refusal = true; }\n);\n};
my $agent = start_agent($dir, $dest, $milter_conf->(10028, "unix:$dir/destctld.sock", 'tempfail'));
spew("$dir/batv.keys", "# lab keys\n1 $secret\n");
chmod 0600, "$dir/batv.keys";
chown((getpwnam('nobody'))[2, 3], "$dir/batv.keys");

# start_milter(NAME, CONFIG TEXT) - a milter with its own configuration
my @milters;
sub start_milter {
    my ($name, $text, $bin) = @_;
    $bin //= "$TOP/build/destctl-milter";
    spew("$dir/$name.conf", qq{destinations_file = "destinations.conf";\nagent: { user = "nobody"; log_level = "debug"; };\n$text});
    my $pid = fork // die;
    if ($pid == 0) {
        open(STDERR, '>>', "$dir/$name.log");
        exec($bin, '-f', '-c', "$dir/$name.conf") or exit 127;
    }
    push @milters, $pid;
    ok(wait_for(10, sub { slurp("$dir/$name.log") =~ /destctl-milter \S+ started/ }), "$name starts") or diag(slurp("$dir/$name.log"));
    return $pid;
}
my $main = start_milter('milter', $milter_conf->(10028, "unix:$dir/destctld.sock", 'tempfail'));
start_milter('down-tempfail', $milter_conf->(10029, "unix:$dir/nothing.sock", 'tempfail'));
start_milter('down-accept', $milter_conf->(10030, "unix:$dir/nothing.sock", 'accept'));
# The sanitizer build takes the fuzz run too (its errors end the process).
my $asan = -x "$TOP/build/asan/destctl-milter"
    ? start_milter('asan', $milter_conf->(10031, "unix:$dir/destctld.sock", 'tempfail'),
                   "$TOP/build/asan/destctl-milter") : undef;

# BATV tags computed here, independently: HMAC-SHA256 over "KDDD" and the address
sub tag {
    my ($key, $secret_, $day, $addr) = @_;
    my ($local, $domain) = $addr =~ /^(.*)@(.*)$/;
    my $ddd = sprintf('%03d', $day % 1000);
    my $mac = hmac_sha256("$key$ddd$local\@" . lc($domain), $secret_);
    return sprintf('prvs=%s%s%s=%s', $key, $ddd, unpack('H6', $mac), $addr);
}
my $today = floor(time / 86400);
my %env = (
    MILTER_LIB => "$FindBin::Bin/milter/lib.lua",
    PLAIN => 'alice@ours.test',
    VALID => tag(1, $secret, $today + 3, 'alice@ours.test'),
    FORGED => tag(1, 'another-secret-0123456789', $today + 3, 'alice@ours.test'),
    EXPIRED => tag(1, $secret, $today - 2, 'alice@ours.test'),
);

# miltertest(SCRIPT, PORT, EXTRA ENV) - run one script; ok when it passes
sub miltertest {
    my ($script, $port, %extra) = @_;
    local %ENV = (%ENV, %env, MILTER => "inet:$port\@127.0.0.1", %extra);
    my $out = `stdbuf -o0 miltertest -s $FindBin::Bin/milter/$script 2>&1`;
    ok($? == 0, "miltertest $script" . ($extra{MILTER_ON_ERROR} ? " ($extra{MILTER_ON_ERROR})" : ''))
        or diag($out);
}
miltertest('outbound.lua', 10028);
miltertest('inbound.lua', 10028);
miltertest('auth.lua', 10028);
miltertest('refusal.lua', 10028);
miltertest('batv.lua', 10028);
miltertest('agentdown.lua', 10029, MILTER_ON_ERROR => 'tempfail');
miltertest('agentdown.lua', 10030, MILTER_ON_ERROR => 'accept');
miltertest('fuzz.lua', 10028, SEED => 7);
ok(kill(0, $main), 'the milter survived the fuzz run');
SKIP: {
    skip 'no sanitizer build', 3 unless $asan;
    miltertest('fuzz.lua', 10031, SEED => 11);
    miltertest('outbound.lua', 10031);
    ok(kill(0, $asan) && slurp("$dir/asan.log") !~ /ERROR: AddressSanitizer|runtime error/,
       'the sanitizer build: no error after the fuzz run');
}
like(slurp("$dir/milter.log"), qr/recipient refused early domain=dnssec-notlsa\.test refuse=perm reason="DANE mandatory/,
     'log: early refusal with its reason');
like(slurp("$dir/milter.log"), qr/bounce verified rcpt=\Q$env{VALID}\E plain=alice\@ours\.test/, 'log: bounce verified');
like(slurp("$dir/down-tempfail.log"), qr/destctld cannot be asked: .*nothing\.sock/, 'log: agent unreachable');

kill 'TERM', $_ for @milters;
waitpid($_, 0) for @milters;
stop_agent($agent);
done_testing();
