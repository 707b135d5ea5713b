#!/usr/bin/perl
# bench-agent.pl - destctld in the lab (t/lab/run --domains N): socketmap
# lookups per second for domains without an _mta-sts record, with mta_sts
# off and on in the default profile, cold (first contact: DNS) and warm
# (cached). The claim checked: mta_sts = true costs nothing measurable for
# such domains, because the TXT lookup's negative answer is cached.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../t/lib";
use Lab;
use IO::Socket::UNIX;
use Test::More ();
use Time::HiRes qw(time);

# start_agent reports through Test::More; a benchmark prints only figures.
Test::More->builder->output('/dev/null');
Test::More->builder->no_ending(1);
die "run me inside the lab: t/lab/run --domains N perl $0\n" unless $ENV{LAB_DIR};
my @plain = map { $_->[0] } grep { $_->[1] eq 'absent' && $_->[0] =~ /^gen\d+\.test$/ }
    map { [ /^domain (\S+) .*\bsts=(\S+)/ ] } grep { /^domain / } split /\n/, slurp($ENV{LAB_SCENARIOS});
die "no generated domains: t/lab/run --domains N\n" unless @plain;

# pass(SOCKET, DOMAINS) - one request after another on one connection; rate
sub pass {
    my ($sock, @d) = @_;
    my $s = IO::Socket::UNIX->new(Peer => $sock) or die "connect: $!";
    my $t0 = time;
    for my $d (@d) {
        my $req = "tlspolicy $d";
        print $s length($req) . ":$req,";
        my $got = '';
        while ($got !~ /^(\d+):/ || length($got) < length("$1:") + $1 + 1) {
            sysread($s, my $buf, 4096) or die "agent closed the connection";
            $got .= $buf;
        }
        die "unexpected reply for $d: $got" unless $got =~ /^\d+:OK may,$/;
    }
    return @d / (time - $t0);
}

my %rate;
for my $sts ('false', 'true') {
    my $dir = "$ENV{LAB_DIR}/bench-$sts";
    my $pid = start_agent($dir, qq{default = { tls = "preferred"; dane = "none"; mta_sts = $sts; };\n},
                          qq{mta_sts: { ca_file = "$ENV{LAB_CA}"; };\n});
    $rate{$sts}{cold} = pass("$dir/destctld.sock", @plain);
    $rate{$sts}{warm} = pass("$dir/destctld.sock", @plain);
    stop_agent($pid);
}
printf "destctld, %d domains without an _mta-sts record, one connection, sequential:\n", scalar @plain;
print "  (cold with mta_sts off needs no DNS at all; on, each first contact asks for the\n"
    . "  TXT record once: the warm ratio is the cost that stays)\n";
for my $phase ('cold', 'warm') {
    printf "  %-4s mta_sts off: %8.0f lookups/s   mta_sts on: %8.0f lookups/s   ratio on/off: %.2f\n",
        $phase, $rate{false}{$phase}, $rate{true}{$phase}, $rate{true}{$phase} / $rate{false}{$phase};
}
