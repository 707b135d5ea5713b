# Lab.pm - what the integration tests share: re-running a test inside the lab,
# starting destctld on a lab configuration, a socketmap client, waiting.
package Lab;
use strict;
use warnings;
use Exporter 'import';
use IO::Socket::UNIX;
use Time::HiRes qw(sleep time);
use Test::More;

our @EXPORT = qw(enter_lab start_agent stop_agent sockmap_query sockmap_raw postmap_query slurp spew
                 wait_for destctl connections deliveries max_overlap $TOP);

our $TOP;
BEGIN { ($TOP = __FILE__) =~ s{/?t/lib/Lab\.pm$}{}; $TOP = '.' if $TOP eq ''; }

sub slurp { my ($f) = @_; open(my $fh, '<', $f) or return ''; local $/; my $s = <$fh>; close $fh; return $s; }
sub spew { my ($f, $s) = @_; open(my $fh, '>', $f) or die "$f: $!"; print $fh $s; close $fh; }

# enter_lab - outside the lab, re-run this test inside a fresh one (or skip)
sub enter_lab {
    return if $ENV{LAB_DIR};
    plan(skip_all => 'the lab needs root') if $> != 0;
    plan(skip_all => 'unshare not available') unless -x '/usr/bin/unshare';
    plan(skip_all => 'build/destctld not built') unless -x "$TOP/build/destctld";
    # Tests open many connections: room for them (root may raise the limit).
    exec('/bin/sh', '-c', 'ulimit -n 8192 2>/dev/null; exec "$@"', 'sh',
         "$TOP/t/lab/run", $^X, "-I$TOP/t/lib", $0) or die "t/lab/run: $!";
}

# postmap_query(SOCKET, KEY[, MAP]) - Postfix's own socketmap client (postmap -q)
# on the agent's unix socket: the value, "NOTFOUND", or "ERROR: <its output>"
sub postmap_query {
    my ($sock, $key, $map) = @_;
    $map //= 'tlspolicy';
    my $out = `postmap -q '$key' socketmap:unix:$sock:$map 2>&1`;
    my $rc = $? >> 8;
    chomp $out;
    return $out if $rc == 0;
    return 'NOTFOUND' if $rc == 1 && $out eq '';
    return "ERROR: $out";
}

# wait_for(SECONDS, CODE) - poll CODE until true; its last value
sub wait_for {
    my ($secs, $code) = @_;
    my $end = time + $secs;
    while (1) {
        my $v = $code->();
        return $v if $v || time > $end;
        sleep 0.05;
    }
}

# start_agent(DIR, DESTINATIONS, EXTRA[, CACHE_FILE[, LISTEN...]]) - write a
# lab config in DIR, start destctld (the MTA-STS cache in DIR/cache.db unless
# CACHE_FILE; more agent.listen endpoints after it)
sub start_agent {
    my ($dir, $dest, $extra, $cache, @listen) = @_;
    my $more = join('', map { qq{, "$_"} } @listen);
    $cache //= "$dir/cache.db";
    mkdir $dir;
    chmod 0755, $dir;
    # Like /run/destctl: the agent's own directory, so that it can remove its
    # sockets after dropping privileges to agent.user.
    my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
    chown $uid, $gid, $dir;
    $extra //= '';
    spew("$dir/destctl.conf", <<"EOF");
destinations_file = "destinations.conf";
agent: {
  listen = [ "unix:$dir/destctld.sock", "inet:127.0.0.1:10027"$more ];
  control_socket = "$dir/control.sock";
  pid_file = "$dir/destctld.pid";
  cache_file = "$cache";
  user = "nobody";
  lookup_timeout = 5;
  log_level = "debug";
};
resolver: { trust_anchor_file = ""; unbound_conf = "$ENV{LAB_UNBOUND_CONF}"; };
$extra
EOF
    spew("$dir/destinations.conf", $dest) if defined $dest;
    my $pid = fork // die;
    if ($pid == 0) {
        open(STDERR, '>>', "$dir/agent.log");
        open(STDOUT, '>&', \*STDERR);
        exec("$TOP/build/destctld", '-f', '-c', "$dir/destctl.conf") or exit 127;
    }
    my $up = wait_for(10, sub { -S "$dir/destctld.sock" && -s "$dir/destctld.pid" });
    ok($up, 'destctld starts') or diag(slurp("$dir/agent.log"));
    return $pid;
}

# stop_agent(PID) - SIGTERM, wait; the exit status
sub stop_agent {
    my ($pid) = @_;
    kill 'TERM', $pid;
    waitpid($pid, 0);
    return $?;
}

# destctl(DIR, ARGS...) - run the CLI on the lab config; (status, output)
sub destctl {
    my ($dir, @args) = @_;
    my $out = `$TOP/build/destctl -c $dir/destctl.conf @args 2>&1`;
    return ($? >> 8, $out);
}

# sockmap_raw(SOCKET, BYTES) - send bytes, read until the peer closes or 10 s
sub sockmap_raw {
    my ($sock, $bytes) = @_;
    my $s = IO::Socket::UNIX->new(Peer => $sock) or die "connect $sock: $!";
    print $s $bytes;
    shutdown($s, 1);
    my $got = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 10;
        while (sysread($s, my $buf, 65536)) { $got .= $buf; }
        alarm 0;
    };
    close $s;
    return $got;
}

# sockmap_query(SOCKET, MAP, KEY) - one request, as Postfix sends it (no
# half-close); the reply without its framing
sub sockmap_query {
    my ($sock, $map, $key) = @_;
    my $req = "$map $key";
    my $s = IO::Socket::UNIX->new(Peer => $sock) or die "connect $sock: $!";
    print $s length($req) . ":$req,";
    my $got = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 30;
        # until one whole netstring is in: "<len>:" then len bytes and ","
        until ($got =~ /^(\d+):/ && length($got) >= length("$1:") + $1 + 1) {
            sysread($s, my $buf, 65536) or last;
            $got .= $buf;
        }
        alarm 0;
    };
    close $s;
    return $got =~ /^(\d+):(.*),$/s && length($2) == $1 ? $2 : "MALFORMED: $got";
}

# lab_lines(FILE, HOST, FIELDS...) - FILE's lines as hashrefs of FIELDS, those
# whose "host" is HOST (all when HOST is undef), in file order
sub lab_lines {
    my ($file, $host, @fields) = @_;
    my @rows;
    for my $line (split /\n/, slurp($file // '')) {
        my %row;
        @row{@fields} = split ' ', $line;
        push @rows, \%row if !defined $host || $row{host} eq $host;
    }
    return @rows;
}

# connections([HOST]) - the connections the lab MX hosts saw end so far
# ($LAB_CONNECTIONS), HOST's only unless HOST is undef: hashrefs {host,
# local, peer, family (4|6), start, end (epoch seconds), messages (accepted
# DATA), cert (verified client certificate CN, or "-")}, in order of ending
sub connections {
    my ($host) = @_;
    return lab_lines($ENV{LAB_CONNECTIONS}, $host,
                     qw(host local peer family start end messages cert));
}

# deliveries([HOST]) - the messages the lab MX hosts accepted so far
# ($LAB_DELIVERIES), HOST's only unless HOST is undef: hashrefs {time, host,
# local, peer, from ("<>" for the null sender), nrcpt}, in order
sub deliveries {
    my ($host) = @_;
    return lab_lines($ENV{LAB_DELIVERIES}, $host, qw(time host local peer from nrcpt));
}

# max_overlap(CONNECTIONS...) - the largest number of CONNECTIONS (hashrefs
# with start and end, as connections() returns) open at one time; one that
# ends when another starts does not overlap it
sub max_overlap {
    # At equal times the end (-1) sorts before the start (+1).
    my @events = sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] }
                 map { ([$_->{start}, 1], [$_->{end}, -1]) } @_;
    my ($open, $max) = (0, 0);
    for my $e (@events) {
        $open += $e->[1];
        $max = $open if $open > $max;
    }
    return $max;
}

1;
