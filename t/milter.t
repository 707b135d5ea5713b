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
# As INSTALL says: root's, readable by agent.user's group, by nobody else.
chmod 0640, "$dir/batv.keys";
chown(0, (getpwnam('nobody'))[3], "$dir/batv.keys");

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
# SIGHUP: a broken configuration is refused and the old one keeps working;
# a good one is taken.
my $mconf = slurp("$dir/milter.conf");
spew("$dir/milter.conf", $mconf . "milter: { oops = 1; };\n");
kill 'HUP', $main;
ok(wait_for(10, sub { slurp("$dir/milter.log") =~ /reload refused: \Q$dir\E\/milter\.conf is not valid/ }),
   'SIGHUP with a broken configuration: refused');
like(slurp("$dir/milter.log"), qr/\Q$dir\E\/milter\.conf:\d+: /, 'the log names file and line');
miltertest('outbound.lua', 10028);
spew("$dir/milter.conf", $mconf);
kill 'HUP', $main;
ok(wait_for(10, sub { slurp("$dir/milter.log") =~ /configuration reloaded/ }), 'SIGHUP: reloaded');
ok(kill(0, $main), 'and still running after two SIGHUPs');
# A configuration others could change: refused on reload, and at start.
chmod 0666, "$dir/milter.conf";
my $from = length(slurp("$dir/milter.log"));
kill 'HUP', $main;
ok(wait_for(10, sub { substr(slurp("$dir/milter.log"), $from) =~ /reload refused/ }),
   'SIGHUP with a world-writable configuration: refused');
like(substr(slurp("$dir/milter.log"), $from),
     qr/\Q$dir\E\/milter\.conf: not safe to trust: \Q$dir\E\/milter\.conf is writable by others \(mode 0666\)/,
     'the log says which file and why');
my $refused = `$TOP/build/destctl-milter -f -c $dir/milter.conf 2>&1`;
isnt($? >> 8, 0, 'a world-writable configuration: the milter does not start');
like($refused, qr/milter\.conf: not safe to trust: .*writable by others/, 'and says why');
chmod 0644, "$dir/milter.conf";

# The key file: secret, and readable after the privilege drop, or refused
# at start (a reload as agent.user could not read it again).
chmod 0644, "$dir/batv.keys";
$refused = `$TOP/build/destctl-milter -f -c $dir/milter.conf 2>&1`;
like($refused, qr/bounce verification keys: \Q$dir\E\/batv\.keys is readable by others \(mode 0644\): keys are secret; chown root:nobody and chmod 0640/,
     'a key file others can read: refused, with the fix');
chmod 0600, "$dir/batv.keys";
$refused = `$TOP/build/destctl-milter -f -c $dir/milter.conf 2>&1`;
like($refused, qr/bounce verification keys: \Q$dir\E\/batv\.keys cannot be read by nobody \(agent\.user\) after the privilege drop, so a reload would fail/,
     'a root-only key file: refused at start, not at the first reload');
chmod 0640, "$dir/batv.keys";
kill 'HUP', $main;
$from = length(slurp("$dir/milter.log"));
kill 'HUP', $main;
ok(wait_for(10, sub { substr(slurp("$dir/milter.log"), $from) =~ /configuration reloaded/ }),
   'SIGHUP with the key file root:nogroup 0640: reloaded after the drop');

# A unix socket: agent.user's, group postfix (Postfix's smtpd), mode 0660.
SKIP: {
    skip 'no postfix group', 5 unless defined getgrnam('postfix');
    (my $utext = $milter_conf->(10039, "unix:$dir/destctld.sock", 'tempfail'))
        =~ s/listen = "inet:10039\@127\.0\.0\.1";/listen = "unix:$dir\/milter.sock";/;
    start_milter('unix', $utext);
    like(slurp("$dir/unix.log"), qr/milter socket \Q$dir\E\/milter\.sock owner=nobody gid=\d+ mode=0660/,
         'a unix milter socket, logged');
    my @st = stat("$dir/milter.sock");
    is(sprintf('%04o', $st[2] & 07777), '0660', 'mode 0660');
    is(scalar getgrgid($st[5]), 'postfix', 'group postfix');
    is(system("runuser -u postfix -- perl -MIO::Socket::UNIX -e 'exit(IO::Socket::UNIX->new(Peer => \"$dir/milter.sock\") ? 0 : 1)'"), 0,
       'Postfix\'s user can connect');
}
like(slurp("$dir/milter.log"), qr/recipient refused early domain=dnssec-notlsa\.test refuse=perm reason="DANE mandatory/,
     'log: early refusal with its reason');
like(slurp("$dir/milter.log"), qr/bounce verified rcpt=\Q$env{VALID}\E plain=alice\@ours\.test/, 'log: bounce verified');
like(slurp("$dir/down-tempfail.log"), qr/destctld cannot be asked: .*nothing\.sock/, 'log: agent unreachable');

# The real Postfix with the milter: smtpd_milters and non_smtpd_milters,
# the shipped snippets. 127.0.0.1 is internal; 127.0.0.9 plays the Internet.
start_milter('postfix', $milter_conf->(10032, "unix:$dir/destctld.sock", 'tempfail')
             =~ s{"10\.0\.0\.0/8", "127\.0\.0\.0/8", "::1/128"}{"127.0.0.1/32"}r);
my $pf = $ENV{LAB_POSTFIX};
system("cp $TOP/conf/postfix/destctl-header-checks $TOP/conf/postfix/destctl-prvs $pf/");
spew("$pf/virtual", "alice\@sender.lab-sender.test bounces\@plain.test\n");
my @pfconf = (
    'smtp_tls_policy_maps = socketmap:inet:127.0.0.1:10027:tlspolicy',
    'smtpd_milters = inet:127.0.0.1:10032', 'non_smtpd_milters = inet:127.0.0.1:10032',
    'milter_default_action = tempfail',
    "local_recipient_maps = regexp:$pf/destctl-prvs", "virtual_alias_maps = texthash:$pf/virtual",
    'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
    'mynetworks = 127.0.0.1/32',
);
system('postconf', '-c', $pf, '-e', @pfconf);
system('postconf', '-c', $pf, '-P', 'cleanup/unix/milter_macro_daemon_name=local');
system('postfix reload >/dev/null 2>&1');
sleep 1;

# swaks(ARGS) - one SMTP session; its transcript
sub swaks { my $o = `swaks --server 127.0.0.1 --timeout 30 @_ 2>&1`; return $o; }
sub received { return slurp("$ENV{LAB_RECEIVED}.log"); }
sub wait_received { my ($re) = @_; return wait_for(30, sub { received() =~ $re }); }
my $tag_dv = 'X-Destctl-Destination: dane-valid.test; profile=dane-valid.test; tls=preferred; '
    . 'dane=opportunistic; mta-sts=off; decision=dane; service=destctl-base';
my $tag_plain = 'X-Destctl-Destination: plain.test; profile=default; tls=preferred; '
    . 'dane=opportunistic; mta-sts=off; decision=may; service=destctl-base';

# Tags kept (no smtp_header_checks): at the lab MX
my $t = swaks('--from alice@sender.lab-sender.test --to tagged@dane-valid.test,tagged@plain.test',
              '--header "X-Destctl-Destination: spoofed.test; decision=none" --header "Subject: kept"');
like($t, qr/^<-  250 2\.0\.0 Ok: queued/m, 'SMTP submission accepted') or diag($t);
ok(wait_received(qr/mx1\.plain\.test \S+ \S+ \S+ tagged\@plain\.test/), 'delivered to plain.test');
my ($eml) = glob("$ENV{LAB_RECEIVED}/plain.test/*.eml");
my $msg = slurp($eml // '');
like($msg, qr/^\Q$tag_dv\E\r?$/m, 'the delivered message carries the dane-valid.test tag');
like($msg, qr/^\Q$tag_plain\E\r?$/m, 'and the plain.test tag');
unlike($msg, qr/spoofed/, 'the spoofed tag is gone');
# Delivered apart from plain.test's copy: wait for it too.
ok(wait_received(qr/mx1\.dane-valid\.test \S+ \S+ prvs=1\d{3}[0-9a-f]{6}=alice\@sender\.lab-sender\.test tagged\@dane-valid\.test/),
   'dane-valid.test asks for bounce verification: the envelope sender is prvs= tagged')
    or diag(received());

# The shipped stripping on: no tag leaves
system('postconf', '-c', $pf, '-e', "smtp_header_checks = regexp:$pf/destctl-header-checks");
system('postfix reload >/dev/null 2>&1');
sleep 1;
unlink glob("$ENV{LAB_RECEIVED}/plain.test/*.eml");
swaks('--from alice@sender.lab-sender.test --to stripped@plain.test --header "Subject: stripped"');
ok(wait_received(qr/stripped\@plain\.test/), 'delivered with stripping on');
($eml) = glob("$ENV{LAB_RECEIVED}/plain.test/*.eml");
unlike(slurp($eml // ''), qr/^X-Destctl-/mi, 'no X-Destctl header at the MX');
like(`postconf -c $pf -h smtp_header_checks`, qr/destctl-header-checks/, 'the shipped header_checks file is in use');

# Early refusal in the SMTP dialogue
$t = swaks('--from alice@sender.lab-sender.test --to u@dnssec-notlsa.test');
like($t, qr/^<\*\* 550 5\.7\.5 mail for dnssec-notlsa\.test cannot be delivered securely: DANE mandatory/m,
     'early refusal: 550 5.7.5 at RCPT, naming domain and reason') or diag($t);
$t = swaks('--from alice@sender.lab-sender.test --to u@bogus.test');
like($t, qr/^<\*\* 450 4\.7\.5 mail for bogus\.test cannot be delivered securely/m, 'bogus DNSSEC: 450 4.7.5')
    or diag($t);

# Local submission to a refusable domain: tagged, queued, not stuck
my $before = length(slurp($ENV{LAB_MAILLOG}));
system(qq{printf 'Subject: local\\n\\nhi\\n' | sendmail -f alice\@sender.lab-sender.test u\@dnssec-notlsa.test});
ok(wait_for(20, sub { substr(slurp($ENV{LAB_MAILLOG}), $before) =~ /to=<u\@dnssec-notlsa\.test>.*status=deferred/ }),
   'local submission: queued and deferred by the dane-only policy, not refused');
unlike(substr(slurp($ENV{LAB_MAILLOG}), $before), qr/milter-reject|milter configuration error|non_smtpd/,
       'no milter rejection or configuration error for local submission');
my ($qid) = substr(slurp($ENV{LAB_MAILLOG}), $before) =~ /([0-9A-F]{6,}): to=<u\@dnssec-notlsa\.test>/;
like(`postcat -hq $qid 2>&1`, qr/^X-Destctl-Destination: dnssec-notlsa\.test; profile=dnssec-notlsa\.test; /m,
     'the queued message carries its tag');
system("postsuper -d $qid >/dev/null 2>&1") if $qid;

# Bounces: a valid tag is delivered to the plain address; forged and expired refused
my %b = (
    valid => tag(1, $secret, $today + 3, 'alice@sender.lab-sender.test'),
    forged => tag(1, 'another-secret-0123456789', $today + 3, 'alice@sender.lab-sender.test'),
    expired => tag(1, $secret, $today - 2, 'alice@sender.lab-sender.test'),
);
$t = `swaks --server 127.0.0.1 --local-interface 127.0.0.9 --from '<>' --to $b{valid} --header 'Subject: bounce' 2>&1`;
like($t, qr/^<-  250 2\.0\.0 Ok: queued/m, 'a bounce to a valid tag: accepted') or diag($t);
ok(wait_received(qr/mx1\.plain\.test \S+ \S+ <> bounces\@plain\.test/),
   'and delivered to the plain address (here aliased to bounces@plain.test)');
for my $k ('forged', 'expired') {
    $t = `swaks --server 127.0.0.1 --local-interface 127.0.0.9 --from '<>' --to $b{$k} 2>&1`;
    like($t, qr/^<\*\* 550 5\.7\.1 bounce to \Q$b{$k}\E refused: bounce address tag /m,
         "a bounce to a $k tag: 550 5.7.1, not an unknown user") or diag($t);
}

kill 'TERM', $_ for @milters;
waitpid($_, 0) for @milters;
stop_agent($agent);
done_testing();
