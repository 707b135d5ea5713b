#!/usr/bin/perl
# cli.t - destctl round trips on a temporary configuration: every offline
# command, its exit status (0, 1, 2), its exact output, and the destinations
# file left untouched by a rejected change. Runs each build named in
# DESTCTL_BUILDS (make check: the normal one and the sanitizer one).
use strict;
use warnings;
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;

my @builds = split ' ', ($ENV{DESTCTL_BUILDS} // 'build');
my ($dir, $conf, $dest, $bin);

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or return undef; local $/; my $s = <$fh>; close $fh; return $s; }
sub spew { my ($f, $s) = @_; open(my $fh, '>', $f) or die "$f: $!"; print $fh $s; close $fh; }

# run(STDIN, ARGS...) -> (exit status, stdout, stderr)
sub run {
    my ($in, @args) = @_;
    spew("$dir/in", $in // '');
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', "$dir/in"); open(STDOUT, '>', "$dir/out"); open(STDERR, '>', "$dir/err");
        exec($bin, '-c', $conf, @args) or exit 127;
    }
    waitpid($pid, 0);
    return ($? >> 8, slurp("$dir/out"), slurp("$dir/err"));
}

# refused(WHAT, STATUS, STDERR, ARGS...): the command fails as said and the file stays as it was
sub refused {
    my ($what, $status, $err, @args) = @_;
    my $before = slurp($dest);
    my ($rc, $o, $e) = run(undef, @args);
    is($rc, $status, "$what: exit $status");
    is($e, $err, "$what: message");
    is(slurp($dest), $before, "$what: destinations file unchanged");
}

sub suite {
    $dir = tempdir(CLEANUP => 1);
    $conf = "$dir/destctl.conf";
    $dest = "$dir/destinations.conf";
    # Its own Postfix directory (none: the host's /etc/postfix is never read).
    spew($conf, qq{agent: { pid_file = "agent.pid"; };\npostfix: { config_directory = "postfix"; };\nbounce_profiles = ( { name = "fast"; max_queue_lifetime = 3600; } );\n});
    my ($rc, $out, $err);

    ($rc, $out, $err) = run(undef, 'list');
    is($rc, 0, 'list on a missing destinations file');
    is($out, "DOMAIN     CONN  MSG/CONN  RCPT LIMIT  TLS        DANE  MTA-STS  BOUNCE-VERIF  BOUNCE-PROFILE  IP-PREFERENCE   ROUTE\n"
            . "(default)  500   50        none        preferred  none  off      off           none            ipv6-preferred  none\n",
       'list shows the built-in default');

    ($rc, $out) = run(undef, qw(new example.com --tls required-verify --dane opportunistic));
    is($rc, 0, 'new example.com');
    is($out, "destctl: added destination example.com\n", 'new says what it did');
    like(slurp($dest), qr/^# Managed by destctl/, 'the file starts with the managed-by header');
    is((split /\n\n/, slurp($dest), 2)[1],
       qq{default = { };\n\ndestinations = (\n  { domain = "example.com"; tls = "required-verify"; dane = "opportunistic"; }\n);\n},
       'the file holds exactly the set keys');

    ($rc, $out) = run(undef, qw(new Bücher.Example. --mta-sts=on));
    is($out, "destctl: added destination xn--bcher-kva.example\n", 'a Unicode name is stored as its A-label');

    refused('new on an existing entry', 1,
            qq{destctl: destination "example.com" exists; use 'destctl edit example.com'\n},
            qw(new EXAMPLE.com --tls none));
    refused('new with a bad domain', 2, qq{destctl: invalid domain "ex_ample.com": invalid character '_'\n},
            qw(new ex_ample.com));
    refused('new with a bad value', 2,
            qq{destctl: invalid tls "strict": expected one of none, preferred, required, preferred-verify, required-verify, required-verify-hosted\nTry 'destctl help new'.\n},
            qw(new x.example --tls strict));
    refused('new with an unknown option', 2, qq{destctl: unknown option "--colour"\nTry 'destctl help new'.\n},
            qw(new x.example --colour blue));
    refused('new with an invalid combination', 2,
            qq{$dest: destination "x.example": mta_sts = true needs TLS, but tls = "none"\ndestctl: nothing changed\n},
            qw(new x.example --tls none --mta-sts on));
    refused('new with an unknown bounce profile', 2,
            qq{$dest: destination "x.example": unknown bounce_profile "slow" (bounce_profiles defines: fast)\ndestctl: nothing changed\n},
            qw(new x.example --bounce-profile slow));
    refused('edit of a missing entry', 1, qq{destctl: no destination "missing.example"; use 'destctl new missing.example'\n},
            qw(edit missing.example --tls required));
    refused('edit without options', 2, qq{destctl: edit needs at least one --KEY VALUE\nTry 'destctl help edit'.\n},
            qw(edit example.com));

    ($rc, $out) = run(undef, qw(edit example.com --concurrency 20 --recipient-limit 100/10));
    is($rc, 0, 'edit example.com');
    ($rc, $out) = run(undef, qw(detail example.com));
    like($out, qr/^destination example\.com  \(\Q$dest\E:7\)\n/, 'detail names the entry and where it is');
    like($out, qr/^  concurrency               20$/m, 'detail: own value');
    like($out, qr/^  concurrency               destctl-c20-r100per10m_destination_concurrency_limit = 1: with a rate delay Postfix delivers one at a time$/m,
         'detail: how Postfix applies it (a rate delay means one at a time)');
    like($out, qr/^  recipient_limit           destctl-c20-r100per10m_destination_recipient_limit = 2, _destination_rate_delay = 12s: at most 2 recipients every 12 s$/m,
         'detail: the recipient limit as Postfix applies it');
    unlike($out, qr/not applied|not enforced/, 'detail: nothing flagged as not applied');
    like($out, qr/^  dane                      opportunistic$/m, 'detail: dane set here');
    like($out, qr/^  mta_sts                   off                       \(from default\)$/m, 'detail: inherited value');

    ($rc, $out) = run(undef, qw(default --dane mandatory));
    is($out, "destctl: changed the default profile\n", 'default --dane mandatory');
    refused('new inheriting a combination it cannot have', 2,
            qq{$dest: destination "plain.example": dane = "mandatory" (inherited from the default profile) needs TLS, but tls = "none"\ndestctl: nothing changed\n},
            qw(new plain.example --tls none));

    ($rc, $out) = run(undef, qw(detail --json example.com));
    my $j = decode_json($out);
    is($j->[0]{settings}{tls}{value}, 'required-verify', 'detail --json: value');
    is($j->[0]{settings}{tls}{from}, 'set', 'detail --json: set here');
    is($j->[0]{settings}{mta_sts}{from}, 'default', 'detail --json: inherited');
    is_deeply($j->[0]{settings}{recipient_limit}{value}, { count => 100, minutes => 10 }, 'detail --json: recipient limit');
    is($j->[0]{settings}{concurrency}{enforced}, JSON::PP::true, 'detail --json: applied');
    is($j->[0]{settings}{route}{applied}, 'transport table: example.com destctl-c20-r100per10m:', 'detail --json: how');
    ($rc, $out) = run(undef, qw(list --json));
    $j = decode_json($out);
    is(scalar @$j, 3, 'list --json: the default and two destinations');
    is($j->[0]{default}, JSON::PP::true, 'list --json: the default first');
    is($j->[2]{domain}, 'xn--bcher-kva.example', 'list --json: file order');
    is($j->[1]{dane}, 'opportunistic', 'list --json: effective value');
    is($j->[2]{dane}, 'mandatory', 'list --json: inherited effective value');

    ($rc, $out, $err) = run(undef, qw(detail mail.example.com));
    is($rc, 1, 'detail of a domain without an entry: exit 1');
    is($err, qq{destctl: no destination "mail.example.com"; mail for mail.example.com gets the default profile\n},
       'detail says which profile applies instead');

    # export, import: an exact round trip
    ($rc) = run(undef, 'export', "$dir/e1");
    is($rc, 0, 'export FILE');
    ($rc, $out) = run(undef, 'export', '-');
    is($out, slurp("$dir/e1"), 'export - writes the same text');
    is($out, slurp($dest), 'export writes the destinations file as it is');
    run(undef, qw(clear --yes));
    ($rc, $out) = run(undef, 'import', "$dir/e1");
    is($out, "destctl: imported 2 destinations\n", 'import FILE');
    run(undef, 'export', "$dir/e2");
    is(slurp("$dir/e2"), slurp("$dir/e1"), 'export, import, export: identical');
    ($rc, $out) = run(slurp("$dir/e1"), 'import', '-');
    is($rc, 0, 'import - reads standard input');

    spew("$dir/bad.conf", qq{destinations = (\n  { domain = "a.example"; },\n  { domain = "b.example"; tls = "sometimes"; }\n);\n});
    refused('import of an invalid file', 2,
            qq{$dir/bad.conf:3: destination "b.example": invalid tls "sometimes": expected one of none, preferred, required, preferred-verify, required-verify, required-verify-hosted\ndestctl: nothing imported\n},
            'import', "$dir/bad.conf");
    spew("$dir/more.conf", qq{destinations = ( { domain = ".example.org"; tls = "required"; }, { domain = "example.com"; tls = "required"; } );\n});
    ($rc, $out) = run(undef, qw(import --merge), "$dir/more.conf");
    is($out, "destctl: merged 2 destinations\n", 'import --merge');
    ($rc, $out) = run(undef, qw(list --json));
    $j = decode_json($out);
    is(join(' ', map { $_->{domain} // '(default)' } @$j), '(default) example.com xn--bcher-kva.example .example.org',
       'merge replaced example.com in place and appended .example.org');
    is($j->[1]{tls}, 'required', 'merged entry replaced');
    is($j->[0]{dane}, 'mandatory', 'merge without a default group keeps the default');

    ($rc, $out) = run(undef, qw(delete example.com));
    is($out, "destctl: deleted destination example.com\n", 'delete');
    refused('delete again', 1, qq{destctl: no destination "example.com"\n}, qw(delete example.com));
    refused('clear off a terminal without --yes', 2,
            "destctl: clear removes all 2 destinations; not on a terminal, so give --yes to confirm\n", 'clear');
    ($rc, $out) = run(undef, qw(clear --yes));
    is($out, "destctl: removed 2 destinations\n", 'clear --yes');

    # the header comment survives a rewrite; other comments do not
    spew($dest, "# Managed by destctl.\n# Site: relay-3, owner postmaster\n\n// a comment that goes\ndefault = { tls = \"required\"; };\n");
    run(undef, qw(new kept.example));
    is(slurp($dest), "# Managed by destctl.\n# Site: relay-3, owner postmaster\n\ndefault = { tls = \"required\"; };\n\n"
                     . "destinations = (\n  { domain = \"kept.example\"; }\n);\n", 'header kept, file rewritten');

    # a broken destinations file: changes are refused, the file is left alone
    spew($dest, "default = { tls = \"required\" ;\n");
    refused('a change on a broken file', 2,
            "$dest:2: syntax error\ndestctl: invalid configuration; see 'destctl -c $conf check-config'\n",
            qw(new other.example));
    ($rc, $out, $err) = run(undef, 'check-config');
    is($rc, 2, 'check-config on a broken file: exit 2');
    is($err, "$dest:2: syntax error\n$conf: configuration invalid: 1 error\n", 'check-config names file and line');
    unlink $dest;

    # a running agent is told to reload
    my $agent = fork // die;
    if ($agent == 0) {
        $SIG{HUP} = sub { spew("$dir/hup", "got it\n"); exit 0 };
        sleep 30; exit 1;
    }
    spew("$dir/agent.pid", "$agent\n");
    select(undef, undef, undef, 0.2);
    ($rc, $out) = run(undef, qw(new reload.example));
    waitpid($agent, 0);
    is($out, "destctl: added destination reload.example\ndestctl: told destctld (pid $agent) to reload\n", 'the change signals the agent');
    is(slurp("$dir/hup"), "got it\n", 'the agent got SIGHUP');
    unlink "$dir/agent.pid";

    # usage errors
    ($rc, $out, $err) = run(undef, 'frobnicate');
    is($rc, 2, 'unknown command: exit 2');
    is($err, "destctl: no command \"frobnicate\"\nTry 'destctl --help'.\n", 'unknown command: message');
    ($rc, $out) = run(undef, '--help');
    is($rc, 0, '--help: exit 0');
    like($out, qr/^SYNOPSIS\n  destctl \[-c FILE\] COMMAND \[ARGS\] \[--json\]$/m, '--help reads like a man page');
    ($rc, $out) = run(undef, qw(help new));
    like($out, qr/^  --recipient-limit\s+at most N recipients per M minutes/m, 'help new lists the keys');

    # limits_per = mx-ip: not supported by Postfix, said everywhere
    ($rc, $out) = run(undef, qw(new mxip.example --limits-per mx-ip));
    is($rc, 0, 'new with limits_per mx-ip is stored');
    ($rc, $out) = run(undef, qw(list));
    like($out, qr/^\* limits_per: not supported by Postfix: its limits apply per next hop \(the domain, or the route\), not per MX address$/m,
         'list: the footnote says why');
    ($rc, $out) = run(undef, qw(detail mxip.example));
    like($out, qr/^  limits_per                mx-ip                     \[not applied\]$/m, 'detail: flagged');
    like($out, qr/^  limits_per                not supported by Postfix: /m, 'detail: why');
    ($rc, $out, $err) = run(undef, qw(check-config));
    like($out . $err, qr/\Q$dest\E:\d+: warning: destination "mxip.example": limits_per mx-ip is not applied: not supported by Postfix/,
         'check-config warns, with FILE:LINE');
    ($rc, $out) = run(undef, qw(list --json));
    my ($mx) = grep { ($_->{domain} // '') eq 'mxip.example' } @{ decode_json($out) };
    is_deeply($mx->{not_enforced}, ['limits_per'], 'list --json: not_enforced names it');
    run(undef, qw(delete mxip.example));

    # destctl postfix: what it would write, and the differences
    mkdir("$dir/postfix");
    spew("$dir/postfix/main.cf", "# the operator's own\nmyhostname = relay.example\nmaximal_queue_lifetime = 1800s\n");
    spew("$dir/postfix/master.cf", "smtp      unix  -       -       y       -       -       smtp\n"
         . "tlsproxy  unix  -       -       y       -       0       tlsproxy\n");
    ($rc, $out) = run(undef, qw(new postfix.example --concurrency 3));
    like($out, qr/^destctl: the Postfix side changed: run `destctl postfix --apply` to apply it/m,
         'a change says when Postfix needs --apply');
    ($rc, $out, $err) = run(undef, qw(postfix));
    is($rc, 0, 'postfix: exit 0');
    like($out, qr/^postfix\.example\tdestctl-c3:$/m, 'postfix: the transport entry');
    like($out, qr/^destctl-c3 unix  -       -       y       -       -       smtp\n  -o smtp_address_preference=ipv6$/m,
         'postfix: the service, chrooted as the stock smtp service is');
    like($out, qr/^destctl-c3_destination_concurrency_limit = 3$/m, 'postfix: its main.cf parameter');
    like($out, qr/^default_transport = destctl-base$/m, 'postfix: default_transport');
    unlike($out, qr/^tlsproxy/m, 'postfix: no second tlsproxy');
    like($out, qr/^--- \Q$dir\E\/postfix\/main\.cf \(installed\)\n\+\+\+ \Q$dir\E\/postfix\/main\.cf \(generated\)\n\@\@ -1,3 \+1,\d+ \@\@\n # the operator's own\n myhostname = relay\.example\n maximal_queue_lifetime = 1800s\n\+# BEGIN destctl: /m,
         'postfix: a diff against what is installed: the operator\'s lines kept, the block added');
    like($out, qr/^destctl: run `destctl postfix --apply` to install this$/m, 'postfix: says how to install');
    like($err, qr/^destctl: warning: \Q$dir\E\/postfix\/main.cf has no transport_maps = hash:\Q$dir\E\/postfix\/destctl_transport: /m,
         'postfix: warns that main.cf does not use the table');
    like($err, qr/^destctl: warning: bounce profile "fast": max_queue_lifetime 3600 s is longer than Postfix's maximal_queue_lifetime \(1800s\), which returns mail first$/m,
         'postfix: warns about a bounce profile Postfix cuts short');
    # --apply refuses what would be wrong, before writing anything
    spew("$dir/postfix/main.cf", "myhostname = relay.example\ndefault_transport = smtp:[smarthost]\n");
    my %before = map { $_ => slurp("$dir/postfix/$_") } qw(main.cf master.cf);
    ($rc, $out, $err) = run(undef, qw(postfix --apply));
    is($rc, 1, 'postfix --apply with the operator\'s own default_transport: exit 1');
    like($err, qr/^destctl: \Q$dir\E\/postfix\/main.cf:2 sets default_transport = smtp:\[smarthost\]: destctl's default profile needs default_transport = destctl-base; remove that line/m,
         'postfix --apply: names the line');
    is(slurp("$dir/postfix/$_"), $before{$_}, "postfix --apply refused: $_ unchanged") for qw(main.cf master.cf);
    ok(!-e "$dir/postfix/destctl_transport", 'postfix --apply refused: no table written');
    run(undef, qw(delete postfix.example));

    # explain without a running agent: the configuration part, exit 1
    ($rc, $out, $err) = run(undef, qw(explain www.example.com));
    is($rc, 1, 'explain, no agent: exit 1');
    like($out, qr/^www\.example\.com: default profile/m, 'explain, no agent: the profile that matches');
    like($out, qr/^the agent \(not reachable\):$/m, 'explain, no agent: said');
    like($err, qr/^destctl: cannot ask destctld on /m, 'explain, no agent: why');
    ($rc, $out, $err) = run(undef, qw(explain .example.com));
    is($rc, 2, 'explain .parent: a usage error');

    # the setup dialogue, on a terminal (script(1) gives it one)
  SKIP: {
        skip 'script(1) not installed', 2 unless -x '/usr/bin/script';
        spew("$dir/answers", "20\n\n5/1\n9\n5\nmandatory\non\n\nfast\nipv4-only\n");
        system("script -qec '$bin -c $conf new tty.example' /dev/null < $dir/answers > $dir/tty 2>&1");
        like(slurp("$dir/tty"), qr/TLS setting \(1-6\) \[2\]: .*invalid tls "9"/s, 'the dialogue re-asks after a bad answer');
        like(slurp($dest), qr/\{ domain = "tty.example"; tls = "required-verify"; dane = "mandatory"; mta_sts = true; ip_preference = "ipv4-only"; concurrency = 20; recipient_limit = \{ count = 5; minutes = 1; \}; bounce_profile = "fast"; \}/,
             'the dialogue stored every answer, and nothing for kept values');
    }
}

for my $b (@builds) {
    $bin = "$b/destctl";
    if (!-x $bin) { fail("$bin is built"); next; }
    note("build: $b");
    suite();
}

# the shipped example configuration loads as it is
$bin = "$builds[0]/destctl";
my $out = `$bin -c conf/destctl.conf list`;
is($? >> 8, 0, 'conf/destctl.conf: list works');
is(scalar(() = $out =~ /^\S/mg), 7, 'conf/destctl.conf: header, default, 5 destinations, nothing not applied');
done_testing();
