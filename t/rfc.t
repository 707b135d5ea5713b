#!/usr/bin/perl
# rfc.t - the RFC edge cases of the one decision, through destctld and the
# real lab Postfix: MX host names that are CNAMEs (RFC 7672 2.2.2), null MX
# (RFC 7505) alone, mixed and with an MTA-STS enforce policy, DANE on some MX
# beside an enforce policy (RFC 8461 2), one MX host whose DNS fails, an
# _mta-sts TXT lookup and a policy host lookup that fail (RFC 8461 3.3, 5),
# and more than 16 MX records. Each case: the agent's exact answer, and
# what Postfix does with it (delivered, deferred or bounced).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Lab;
use Test::More;

enter_lab();

my $dir = "$ENV{LAB_DIR}/rfc";
my $sock = "$dir/destctld.sock";
# lookup_timeout above the resolver's own 8 s per query: the failing name
# servers give their answer within the first request.
my $extra = qq{mta_sts: { ca_file = "$ENV{LAB_CA}"; fetch_timeout = 3; };\n};
my $dest = qq{default = { tls = "preferred"; dane = "opportunistic"; mta_sts = true; };\n}
    . qq{destinations = ( { domain = "cname-mx.test"; dane = "mandatory"; },\n}
    . qq{  { domain = "nullmx-sts.test"; dane = "none"; mta_sts = true; } );\n};
my $pid = start_agent($dir, $dest, $extra);
my $conf = slurp("$dir/destctl.conf");
$conf =~ s/lookup_timeout = 5;/lookup_timeout = 20;/ or BAIL_OUT('no lookup_timeout in the lab config');
spew("$dir/destctl.conf", $conf);
kill 'HUP', $pid;
ok(wait_for(10, sub { slurp("$dir/agent.log") =~ /configuration reloaded/ }), 'lookup_timeout 20 in force');

# postmap KEY [MAP] - Postfix's own socketmap client on the agent's socket
sub postmap { return postmap_query($sock, @_) }

# send RCPT - one message through the lab Postfix: lab-send's line
sub send_to {
    my $out = `lab-send --wait 40 $_[0] 2>&1`;
    chomp $out;
    return $out;
}

# since(OFFSET) - the agent's log from byte OFFSET
sub since { return substr(slurp("$dir/agent.log"), $_[0]) }

my $secure_sts = 'secure match=mx1.dane-sts-partial.test:mx2.dane-sts-partial.test '
    . 'servername=hostname protocols=>=TLSv1.2';
my @answers = (
    # RFC 7672 2.2.2: TLSA at the expanded name of a secure CNAME chain
    ['cname-mx.test', 'dane-only', 'mandatory: TLSA found at the CNAME-expanded name'],
    ['cname-mismatch.test', 'dane', 'TLSA (mismatching) at the expanded name: DANE applies'],
    ['cname-chain.test', 'dane', 'two CNAMEs: TLSA at the end of the chain'],
    ['cname-insecure.test', 'dane', 'secure first CNAME, unsigned target: the original name\'s TLSA'],
    ['alias.cname-implicit.test', 'dane', 'no MX, the domain a CNAME: the implicit MX\'s TLSA at the expanded name'],
    # RFC 8461 4.1: every MX listed, MX RRset signed: each host its own name
    ['sts-swapped.test', 'secure match=hostname servername=hostname protocols=>=TLSv1.2',
     'enforce, every MX listed, signed MX RRset: match=hostname'],
    # RFC 7505
    ['nullmx.test', 'may', 'null MX: the level, so that Postfix returns the mail'],
    ['nullmx-mixed.test', 'may', 'null MX among other MX: the same'],
    ['nullmx-sts.test', 'may', 'null MX with an enforce policy: no TEMP loop'],
    # RFC 8461 2: DANE before MTA-STS
    ['dane-sts-partial.test', 'dane', 'DANE on one MX of two, enforce policy: dane'],
    # one MX host's DNS failing
    ['mx-fail.test', 'dane', 'the primary MX\'s zone is dead: DANE from the backup'],
    ['tlsa-fail.test', 'dane', 'the primary\'s TLSA lookup fails: DANE from the backup'],
    # RFC 8461 3.1, 3.3, 5: nothing cached, nothing to enforce
    ['sts-txt-timeout.test', 'may', 'the _mta-sts TXT lookup fails: no policy known'],
    ['sts-hostdns-fail.test', 'may', 'the policy host lookup fails: no policy'],
    # more than 16 MX: the most preferred, wherever it stands in the answer
    ['many-mx.test', 'dane', '20 MX records: the preference-1 DANE host is kept'],
);
for my $a (@answers) {
    is(postmap($a->[0]), $a->[1], "$a->[0]: $a->[2]");
}

my $log = slurp("$dir/agent.log");
like($log, qr/DANE outcome domain=cname-insecure\.test outcome=all /,
     'cname-insecure: the DANE outcome is "all"');
like($log, qr/debug: DNS answer name=mx1\.cname-insecure\.test type=CNAME status=data dnssec=secure/,
     'cname-insecure: the first CNAME is asked for and secure');
like($log, qr/debug: DNS query name=_25\._tcp\.host1\.cname-target\.test type=TLSA/,
     'cname-mx: TLSA asked at the expanded name');
unlike($log, qr/DNS query name=_25\._tcp\.a\.cname-target\.test /,
       'cname-chain: an intermediate name is never a TLSA base domain');
like($log, qr/DANE outcome domain=nullmx\.test outcome=null-mx /, 'nullmx: the DANE outcome is null-mx');
like($log, qr/DANE outcome domain=nullmx-mixed\.test outcome=null-mx .*published with other MX records/,
     'nullmx-mixed: null-mx, and the forbidden mix is said');
like($log, qr/MTA-STS policy fetched domain=nullmx-sts\.test id=\S+ mode=enforce/,
     'nullmx-sts: the enforce policy was fetched');
like($log, qr/MTA-STS outcome domain=nullmx-sts\.test state=null-mx /, 'nullmx-sts: the MTA-STS outcome is null-mx');
like($log, qr/MTA-STS \(if dane-sts-partial\.test has a policy\) not applied to its MX hosts without TLSA: DANE takes precedence \(RFC 8461 section 2\) domain=dane-sts-partial\.test/,
     'dane-sts-partial: the log says MTA-STS was not applied to the other MX');
like($log, qr/MX host unusable: DNS lookup failed domain=tlsa-fail\.test mx=mx0\.tlsa-fail\.test name=_25\._tcp\.mx0\.tlsa-fail\.test type=TLSA/,
     'tlsa-fail: the failing host is named');
like($log, qr/MX host address lookup failed domain=mx-fail\.test mx=mx0\.dead-zone\.test/,
     'mx-fail: the failing host is named');
like($log, qr/DANE outcome domain=mx-fail\.test outcome=all .*usable TLSA on 1 of 1 MX hosts of mx-fail\.test, the lookups of others failed/,
     'mx-fail: "all" of the usable hosts, the failed one said');
like($log, qr/MTA-STS TXT lookup failed and no policy is cached: delivering without MTA-STS domain=sts-txt-timeout\.test/,
     'sts-txt-timeout: the failed TXT lookup is logged with its consequence');
like($log, qr/MTA-STS policy fetch failed domain=sts-hostdns-fail\.test cause=connect/,
     'sts-hostdns-fail: the failed policy host lookup is a failed fetch');
like($log, qr/MX records past the first 16 by preference ignored domain=many-mx\.test count=4/,
     'many-mx: the ignored MX records are logged');
like($log, qr/DANE outcome domain=many-mx\.test outcome=some mx=16 /, 'many-mx: 16 hosts examined, DANE on some');

# Answered at once now: the failures are remembered, not waited for again.
my $t0 = time;
is(postmap('sts-txt-timeout.test'), 'may', 'sts-txt-timeout: the next request');
is(postmap('sts-hostdns-fail.test'), 'may', 'sts-hostdns-fail: the next request');
ok(time - $t0 < 4, 'both answered without waiting for the dead name server');
like(postmap('nullmx.test', 'profile'), qr/ reason=nullmx\.test%20has%20a%20null%20MX%20%28RFC%207505%29%3A%20it%20accepts%20no%20mail\S* .*refuse=none/,
     'the profile map gives the null MX as the reason');

like($log, qr/debug: DNS query name=_25\._tcp\.host5\.cname-target\.test type=TLSA/,
     'cname-implicit: TLSA asked at the expanded name of the domain itself');

# Real deliveries through the lab Postfix
system("postconf -c $ENV{LAB_POSTFIX} -e 'smtp_tls_policy_maps = socketmap:inet:127.0.0.1:10027:tlspolicy' && postfix reload >/dev/null 2>&1");
sleep 1;
my @deliveries = (
    ['cname-mx.test', qr/^delivered /],
    ['cname-mismatch.test', qr/^deferred /],
    ['cname-chain.test', qr/^delivered /],
    ['cname-insecure.test', qr/^delivered /],
    ['alias.cname-implicit.test', qr/^delivered /],
    ['sts-swapped.test', qr/^delivered .*relay=mx2\.sts-swapped\.test\[/],
    ['nullmx.test', qr/^bounced .*nullMX/],
    ['nullmx-mixed.test', qr/^bounced .*nullMX/],
    ['nullmx-sts.test', qr/^bounced .*nullMX/],
    ['dane-sts-partial.test', qr/^delivered .*relay=mx1\.dane-sts-partial\.test\[/],
    ['mx-fail.test', qr/^delivered .*relay=mx1\.mx-fail\.test\[/],
    ['tlsa-fail.test', qr/^delivered .*relay=mx1\.tlsa-fail\.test\[/],
    ['sts-txt-timeout.test', qr/^delivered /],
    ['sts-hostdns-fail.test', qr/^delivered /],
    ['many-mx.test', qr/^delivered .*relay=mx0\.many-mx\.test\[/],
);
for my $d (@deliveries) {
    my $r = send_to("user\@$d->[0]");
    like($r, $d->[1], "delivery to $d->[0]: $d->[1]") or diag($r);
}
my $ml = slurp($ENV{LAB_MAILLOG});
like($ml, qr/mx1\.sts-swapped\.test\[127\.0\.10\.55\]:25: (Server certificate not verified|.*certificate name mismatch|.*hostname mismatch)/i,
     'sts-swapped: mx1 presenting mx2\'s certificate is refused');
for my $v (['cname-mx.test', 'mx1.cname-mx.test'], ['cname-chain.test', 'mx1.cname-chain.test'],
           ['cname-insecure.test', 'mx1.cname-insecure.test'],
           ['alias.cname-implicit.test', 'alias.cname-implicit.test'],
           ['dane-sts-partial.test', 'mx1.dane-sts-partial.test'], ['many-mx.test', 'mx0.many-mx.test']) {
    like($ml, qr/Verified TLS connection established to \Q$v->[1]\E\[/, "$v->[0]: Postfix verified $v->[1] by DANE");
}

# DANE beside MTA-STS: the DANE host down, the other MX gets "may" (MTA-STS
# is not applied to it; Postfix cannot say DANE for one MX, MTA-STS for
# another), as logged above.
system('lab-mx stop mx1.dane-sts-partial.test');
like(send_to('user2@dane-sts-partial.test'), qr/^delivered .*relay=mx2\.dane-sts-partial\.test\[/,
     'dane-sts-partial with the DANE host down: the other MX, without MTA-STS');
system('lab-mx start mx1.dane-sts-partial.test');

is(stop_agent($pid), 0, 'agent stopped');
done_testing();
