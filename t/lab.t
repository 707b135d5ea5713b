#!/usr/bin/perl
# lab.t - prove that the lab (t/lab/) publishes what t/lab/scenarios says.
#
# Run by prove as root: the script re-runs itself inside a fresh lab
# (t/lab/run) and checks, for every scenario, the validating resolver's
# answers (AD bit, SERVFAIL; CNAME chains, null MX, lookups below the dead
# name server), each MX host's STARTTLS and certificate, each policy host's
# answer, the TLSA data against the live certificates, and one delivery per
# mail domain through the lab Postfix under each static TLS policy (dane,
# dane-only, secure, may); then what the MX hosts record (connections,
# messages, the delay of a slow server, client certificates, IPv6) and the
# helper commands.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Spec;
use Cwd qw(abs_path);
use FindBin;
use IO::Socket::IP;
use Time::HiRes qw(time);
use Test::More;
use lib "$FindBin::Bin/lib";
use Lab qw(connections deliveries max_overlap slurp wait_for);

my $t_dir = dirname(abs_path($0));

if (!$ENV{LAB_DIR}) {
	if ($> != 0) {
		print "1..0 # SKIP the lab needs root\n";
		exit 0;
	}
	if (system('unshare --net --pid --fork --mount-proc true >/dev/null 2>&1') != 0) {
		print "1..0 # SKIP unshare (net, pid namespaces) unavailable\n";
		exit 0;
	}
	exec "$t_dir/lab/run", $^X, abs_path($0) or die "cannot run the lab: $!\n";
}

# --- reading the scenario file ---------------------------------------------

my (@domains, %dom, %mx, %sts, %hosts, %cname, %cnames_in, %cuts_in, @cuts);
my (@servers, %server_at, %addr_of, %tlsa_at, %addr6_of, %delay_at, %down_at);
my %clientauth_at; # address -> 1: the server asks for a client certificate
open my $sf, '<', $ENV{LAB_SCENARIOS} or BAIL_OUT("$ENV{LAB_SCENARIOS}: $!");
while (<$sf>) {
	next if /^\s*(#|$)/;
	my ($type, $d, @w) = split;
	my %m;
	if ($type eq 'domain') {
		push @domains, $d;
		$dom{$d} = { map { split /=/, $_, 2 } @w };
		push @cuts, $d if $dom{$d}{dnssec} eq 'dead';
		next;
	} elsif ($type eq 'mx') {
		@m{qw(pref host addr cert tlsa)} = @w;
		push @{ $mx{$d} }, \%m;
	} elsif ($type eq 'host') {
		@m{qw(host addr cert tlsa)} = @w;
		push @{ $hosts{$d} }, \%m;
	} elsif ($type eq 'cname') {
		$cname{$w[0]} = $w[1];
		push @{ $cnames_in{$d} }, $w[0];
		next;
	} elsif ($type eq 'dead') {
		push @cuts, $w[0];
		push @{ $cuts_in{$d} }, $w[0];
		next;
	} elsif ($type eq 'sts') {
		$sts{$d} = { addr => shift(@w), map { split /=/, $_, 2 } @w };
		next;
	} elsif ($type eq 'addr6') {
		$addr6_of{$w[0]} = $w[1];
		next;
	} elsif ($type eq 'delay') {
		$delay_at{$w[0]} = $w[1];
		next;
	} elsif ($type eq 'down') {
		$down_at{$w[0]} = 1;
		next;
	} elsif ($type eq 'clientauth') {
		$clientauth_at{$w[0]} = 1;
		next;
	} else {
		next;
	}
	# An mx or host record: the first name at an address is its server.
	next if $m{host} eq '.';
	$tlsa_at{$m{host}} = $m{tlsa};
	next if $m{addr} eq '-';
	$addr_of{$m{host}} = $m{addr};
	next if $server_at{$m{addr}};
	$server_at{$m{addr}} = \%m;
	push @servers, $m{addr};
}
close $sf;

# under NAME ZONE - NAME is ZONE or below it
sub under {
	my ($name, $zone) = @_;
	return $name eq $zone || $name =~ /\.\Q$zone\E\z/;
}

# dead NAME - lookups of NAME fail: it is in a dead zone or below a dead cut
sub dead {
	my ($name) = @_;
	return scalar grep { under($name, $_) } @cuts;
}

# zone_of NAME - the scenario domain whose zone holds NAME
sub zone_of {
	my ($name) = @_;
	my ($z) = sort { length $b <=> length $a } grep { under($name, $_) } @domains;
	return $z;
}

# chain NAME - NAME and the CNAME targets it leads to, in order
sub chain {
	my @c = ($_[0]);
	push @c, $cname{ $c[-1] } while exists $cname{ $c[-1] } && @c < 16;
	return @c;
}

# server_addr NAME - the address of the server NAME leads to (through CNAMEs)
sub server_addr {
	my ($name) = @_;
	return $addr_of{ (chain($name))[-1] } // '';
}

# all_signed NAMES - every zone holding one of NAMES is signed (the answer
# for the whole chain is secure)
sub all_signed {
	return !grep { ($dom{ zone_of($_) // '' }{dnssec} // '') ne 'signed' } @_;
}

# sh CMD - run a shell command; (exit status, stdout+stderr)
sub sh {
	my ($cmd) = @_;
	my $out = `$cmd 2>&1`;
	return ($? >> 8, $out);
}

# dig_cmd NAME TYPE - the dig command; a name below the dead server gets
# time for its SERVFAIL (about 2 s)
sub dig_cmd {
	my ($name, $type) = @_;
	my $time = dead($name) ? 6 : 2;
	return "dig +time=$time +tries=1 \@127.0.0.1 $type $name";
}

my %dig_early; # "NAME TYPE" -> dig output, asked in parallel beforehand

# dig NAME TYPE - (status, ad flag, answer rdata list) from the lab resolver
sub dig {
	my ($name, $type) = @_;
	my $out = delete $dig_early{"$name $type"} // (sh(dig_cmd($name, $type)))[1];
	my ($status) = $out =~ /status: (\w+)/;
	my ($flags) = $out =~ /;; flags: ([^;]*);/;
	my @rdata;
	for (split /\n/, $out) {
		next if /^;/ || !/\S/;
		my @f = split /\s+/, $_, 5;
		push @rdata, $f[4] if @f == 5 && $f[3] eq $type;
	}
	return ($status // 'TIMEOUT', ($flags // '') =~ /\bad\b/ ? 1 : 0, @rdata);
}

# spki PEM - SHA-256 of the certificate's public key (TLSA "x 1 1" data)
sub spki {
	my ($pem) = @_;
	my $tmp = "$ENV{LAB_DIR}/spki.$$.pem";
	open my $fh, '>', $tmp or die "$tmp: $!";
	print $fh $pem;
	close $fh;
	my (undef, $out) = sh("openssl x509 -in $tmp -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum");
	unlink $tmp;
	return (split ' ', $out)[0];
}

# ehlo ADDR - the greeting and EHLO reply of the SMTP server at ADDR:25
sub ehlo {
	my ($addr) = @_;
	my $sock = IO::Socket::IP->new(PeerHost => $addr, PeerPort => 25, Timeout => 5)
		or return "connect: $!";
	my $text = '';
	# reply - one SMTP reply, its continuation lines included
	my $reply = sub {
		while (defined(my $line = <$sock>)) {
			$text .= $line;
			last if $line =~ /^\d{3} /;
		}
	};
	$reply->();
	print $sock "EHLO client.test\r\n";
	$reply->();
	print $sock "QUIT\r\n";
	close $sock;
	return $text;
}

my %want_ad = (signed => 1, unsigned => 0);

# --- DNS -------------------------------------------------------------------

# check_address DOMAIN RECORD - the A lookup of an mx or host record's HOST
sub check_address {
	my ($d, $m) = @_;
	my $host = $m->{host};
	my ($st, $ad, @a) = dig($host, 'A');
	if (dead($host)) {
		is($st, 'SERVFAIL', "$d: A of $host fails (dead zone)");
		return;
	}
	my @chain = chain($host);
	my $want = "NOERROR ad=" . (all_signed(@chain) ? 1 : 0) . ' ' . server_addr($host);
	if (@chain == 1) {
		is("$st ad=$ad @a", $want, "$d: A of $host");
	} else {
		is("$st ad=$ad @a", $want, "$d: A of $host, a CNAME chain to $chain[-1]");
	}
	# AAAA: an addr6 record's address, else none (NODATA). The lab zones
	# publish them whether or not the host has IPv6.
	my ($st6, $ad6, @aaaa) = dig($host, 'AAAA');
	my $six = $addr6_of{ $chain[-1] };
	is("$st6 ad=$ad6 @aaaa", "NOERROR ad=" . (all_signed(@chain) ? 1 : 0) . ' ' . ($six // ''),
		$six ? "$d: AAAA of $host" : "$d: no AAAA for $host");
}

# The lookups below the dead server, each a SERVFAIL after about 2 s: ask
# them all at once, before the checks below (which use each answer once).
{
	my @q;
	for my $d (@domains) {
		push @q, [$d, 'MX'] if $dom{$d}{dnssec} eq 'dead';
		push @q, map { [$_, 'A'] } @{ $cuts_in{$d} };
		for my $m (@{ $mx{$d} }, @{ $hosts{$d} }) {
			push @q, [$m->{host}, 'A'] if dead($m->{host});
			push @q, ["_25._tcp.$m->{host}", 'TLSA'] if dead("_25._tcp.$m->{host}");
		}
		next unless $sts{$d};
		push @q, ["_mta-sts.$d", 'TXT'] if dead("_mta-sts.$d");
		push @q, ["mta-sts.$d", 'A'] if dead("mta-sts.$d");
	}
	my $dir = "$ENV{LAB_DIR}/dig-early";
	mkdir $dir;
	sh(join('', map { dig_cmd(@{ $q[$_] }) . " >$dir/$_ 2>&1 & " } 0 .. $#q) . 'wait');
	for (0 .. $#q) {
		$dig_early{"@{ $q[$_] }"} = do { local (@ARGV, $/) = ("$dir/$_"); <> };
	}
}

for my $d (@domains) {
	my $sec = $dom{$d}{dnssec};
	if ($sec eq 'dead') {
		my ($status) = dig($d, 'MX');
		is($status, 'SERVFAIL', "$d: MX lookup fails (delegated to the dead server)");
		next;
	}
	my $implicit = grep { $_->{pref} eq '-' } @{ $mx{$d} };
	my $type = $implicit ? 'A' : 'MX';
	# libunbound with $LAB_UNBOUND_CONF, as the agent will use it.
	my %lib_state = (signed => 'secure', unsigned => 'insecure',
		bogus => 'BOGUS', expired => 'BOGUS');
	my (undef, $lib) = sh("unbound-host -v -C $ENV{LAB_UNBOUND_CONF} -t $type $d");
	my $state = $lib_state{$sec};
	like($lib, qr/\(\Q$state\E[ )]/, "$d: libunbound with \$LAB_UNBOUND_CONF: $state");
	my ($status, $ad, @rr) = dig($d, $type);
	if ($sec eq 'bogus' || $sec eq 'expired') {
		is($status, 'SERVFAIL', "$d: $type is SERVFAIL ($sec)");
		next;
	}
	is("$status ad=$ad", "NOERROR ad=$want_ad{$sec}", "$d: $type validates as $sec");
	# The null MX's target is the root: dig shows "0 .".
	my @want = $implicit ? map { $_->{addr} } @{ $mx{$d} }
		: map { $_->{host} eq '.' ? "$_->{pref} ." : "$_->{pref} $_->{host}." } @{ $mx{$d} };
	is(join(',', sort @rr), join(',', sort @want), "$d: $type records");
	for my $m (@{ $mx{$d} }) {
		next if $implicit || $m->{host} eq '.';
		check_address($d, $m);
	}
	check_address($d, $_) for @{ $hosts{$d} };
	for my $name (@{ $cnames_in{$d} }) {
		my ($st, $c_ad, @c) = dig($name, 'CNAME');
		is("$st ad=$c_ad @c", "NOERROR ad=$want_ad{$sec} $cname{$name}.", "$d: $name CNAME $cname{$name}");
	}
	for my $cut (@{ $cuts_in{$d} }) {
		my ($st) = dig($cut, 'A');
		is($st, 'SERVFAIL', "$d: lookups at $cut fail (delegated to the dead server)");
	}
	if (my $s = $sts{$d}) {
		my ($st, undef, @txt) = dig("_mta-sts.$d", 'TXT');
		my @ids = map { "\"v=STSv1; id=$_\"" } split /,/, $s->{txt};
		if (dead("_mta-sts.$d")) {
			is("$st @txt", 'SERVFAIL ', "$d: _mta-sts TXT lookup fails");
		} else {
			is(join(',', sort @txt), join(',', sort @ids), "$d: _mta-sts TXT");
		}
		my ($hs, undef, @ha) = dig("mta-sts.$d", 'A');
		if (dead("mta-sts.$d")) {
			is($hs, 'SERVFAIL', "$d: policy host lookup fails");
		} elsif ($s->{addr} eq '-') {
			is($hs, 'NXDOMAIN', "$d: no policy host");
		} else {
			is("$hs @ha", "NOERROR $s->{addr}", "$d: policy host address");
		}
	}
}

# --- MX hosts: STARTTLS, certificates, TLSA --------------------------------

# One server per address: the first mx or host record with that address
# (names sharing it are served by that one server, with its certificate).
my %spki_at;    # address -> SPKI of the certificate the server presents
my %ta_spki_at; # address -> SPKI of the last certificate of its chain
{
	for my $addr (@servers) {
		my ($host, $cert) = @{ $server_at{$addr} }{qw(host cert)};
		my $reply = ehlo($addr);
		if ($down_at{$addr}) {
			like($reply, qr/^connect: /, "$host: down from the start (connection refused)");
			$spki_at{$addr} = spki(do { local (@ARGV, $/) = ("$ENV{LAB_DIR}/certs/$host.crt"); <> });
			next;
		}
		like($reply, qr/^250[- ]\Q$host\E/m, "$host: answers EHLO as itself");
		if ($cert eq 'none') {
			unlike($reply, qr/^250[- ]STARTTLS/mi, "$host: no STARTTLS");
			# Its TLSA still names a key: the one in the lab's files.
			$spki_at{$addr} = spki(do { local (@ARGV, $/) = ("$ENV{LAB_DIR}/certs/$host.crt"); <> });
			next;
		}
		like($reply, qr/^250[- ]STARTTLS/mi, "$host: offers STARTTLS");
		my ($rc, $out) = sh("openssl s_client -starttls smtp -connect $addr:25 -servername $host"
			. " -verify_hostname $host -CAfile $ENV{LAB_CA} -showcerts </dev/null");
		my @pem = $out =~ /(-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n)/sg;
		my ($verify) = $out =~ /Verify return code: (\d+)/;
		my %want_verify = (ca => 0, self => 18, ta => 19);
		is($verify, $want_verify{$cert}, "$host: $cert certificate (verify code vs \$LAB_CA)");
		# A "ta" file holds the TA after the certificate. A clientauth
		# server has loaded the lab CA to verify clients, and OpenSSL
		# completes a chain its file leaves at one certificate from there:
		# a "ca" one sends the CA too. The others send their file's chain.
		my $with_ca = $clientauth_at{$addr} && $cert eq 'ca';
		is(scalar @pem, $cert eq 'ta' || $with_ca ? 2 : 1, "$host: chain length");
		if ($with_ca) {
			is(@pem ? spki($pem[-1]) : '', spki(slurp($ENV{LAB_CA})),
				"$host: the lab CA after its certificate (clientauth)");
		}
		$spki_at{$addr} = @pem ? spki($pem[0]) : '';
		$ta_spki_at{$addr} = @pem ? spki($pem[-1]) : '';
		if ($cert eq 'ta') {
			my ($trc, $tout) = sh("openssl s_client -starttls smtp -connect $addr:25 -servername $host"
				. " -verify_hostname $host -CAfile $ENV{LAB_DIR}/certs/ta.crt </dev/null");
			like($tout, qr/Verify return code: 0 /, "$host: verifies with the TA alone");
		}
	}
}

# The IPv6 addresses of servers (addr6): the same server, when the host has
# IPv6 (else the lab skips them: LAB_IPV6=0).
for my $name (sort keys %addr6_of) {
	my $six = $addr6_of{$name};
	my $addr = $addr_of{$name};
	my $host = $server_at{$addr}{host};
	SKIP: {
		skip "$name: no IPv6 on this host (LAB_IPV6=0)", 1 unless $ENV{LAB_IPV6};
		if ($down_at{$addr}) {
			like(ehlo($six), qr/^connect: /, "$host: down on [$six]:25 too");
		} else {
			like(ehlo($six), qr/^250[- ]\Q$host\E/m, "$host: answers EHLO on [$six]:25");
		}
	}
}

# TLSA records at _25._tcp.HOST as written (for a CNAME, the original name;
# its target's own records come with the target's host line).
for my $d (@domains) {
	next unless $dom{$d}{dnssec} eq 'signed';
	for my $m (@{ $mx{$d} }, @{ $hosts{$d} }) {
		next if $m->{host} eq '.';
		my ($st, $ad, @tlsa) = dig("_25._tcp.$m->{host}", 'TLSA');
		if (dead("_25._tcp.$m->{host}")) {
			is($st, 'SERVFAIL', "$m->{host}: TLSA lookup fails (dead)");
			next;
		}
		my $key = $spki_at{ server_addr($m->{host}) } // 'no server';
		if ($m->{tlsa} eq '-') {
			is("$st ad=$ad n=" . @tlsa, "NXDOMAIN ad=1 n=0", "$m->{host}: no TLSA (proven)");
			next;
		}
		is("$st ad=$ad n=" . @tlsa, "NOERROR ad=1 n=1", "$m->{host}: one secure TLSA");
		my ($usage, $sel, $mt, @hex) = split ' ', $tlsa[0] // '';
		my $data = lc join '', @hex;
		my $t = $m->{tlsa};
		if ($t eq '311') {
			is("$usage $sel $mt $data", "3 1 1 $key", "$m->{host}: TLSA 3 1 1 matches the key of the server at "
				. server_addr($m->{host}));
		} elsif ($t eq '311-wrong') {
			ok("$usage $sel $mt" eq '3 1 1' && $data ne $key,
				"$m->{host}: TLSA 3 1 1 does not match the key");
		} elsif ($t eq '211') {
			is("$usage $sel $mt $data", "2 1 1 " . ($ta_spki_at{ server_addr($m->{host}) } // ''),
				"$m->{host}: TLSA 2 1 1 matches the TA sent");
		}
	}
}

# --- policy hosts -----------------------------------------------------------

for my $d (sort keys %sts) {
	my $s = $sts{$d};
	next if $s->{addr} eq '-';
	my $body = "$ENV{LAB_DIR}/policy.$$";
	my ($rc, $out) = sh("curl -sS -m 3 --cacert $ENV{LAB_CA} --resolve mta-sts.$d:443:$s->{addr}"
		. " -o $body -w '%{http_code} %{size_download} %{redirect_url}'"
		. " https://mta-sts.$d/.well-known/mta-sts.txt");
	my $policy = -e $body ? do { local (@ARGV, $/) = ($body); <> } : '';
	unlink $body;
	if ($s->{cert} eq 'self') {
		is($rc, 60, "$d: policy host certificate rejected");
		next;
	}
	my ($code, $size, $url) = split ' ', $out;
	my $serve = $s->{serve};
	if ($serve eq 'slow') {
		is($rc, 28, "$d: policy fetch times out");
	} elsif ($serve eq 'redirect') {
		is("$code $url", "301 https://mta-sts.$d/.well-known/policy.txt", "$d: policy redirected");
	} else {
		is($code, 200, "$d: policy served");
		my $want = "version: STSv1\r\nmode: $s->{mode}\r\n"
			. join('', map { "mx: $_\r\n" } split /,/, $s->{mx})
			. "max_age: $s->{max_age}\r\n";
		is(substr($policy, 0, length $want), $want, "$d: policy text");
		if ($serve eq 'big') {
			cmp_ok($size, '>', 65536, "$d: policy over 64 KiB");
		} else {
			is($size, length $want, "$d: policy size");
		}
	}
}

# --- deliveries under static Postfix TLS policies ---------------------------

# secure_match DOMAIN - Postfix match= list for "secure" (see t/lab/scenarios)
sub secure_match {
	my ($d) = @_;
	return 'hostname' unless $sts{$d};
	return join ':', map { s/^\*\./\./r } split /,/, $sts{$d}{mx};
}

# The domains that receive mail: those with expectations (the others only
# hold CNAME targets, or are dead).
my @mail = grep { defined $dom{$_}{expect_dane} } @domains;

# dane_applies DOMAIN MX - Postfix's "dane" authenticates MX by DANE: the MX
# RRset is secure and there are TLSA records at the CNAME-expanded name
# (if the whole chain is secure) or else at the name itself (if its own
# zone, and so its CNAME, is secure: RFC 7672 2.2.2)
sub dane_applies {
	my ($d, $m) = @_;
	return 0 unless $m && $dom{$d}{dnssec} eq 'signed';
	my @chain = chain($m->{host});
	return 1 if all_signed(@chain) && ($tlsa_at{ $chain[-1] } // '-') ne '-';
	return all_signed($chain[0]) && ($tlsa_at{ $chain[0] } // '-') ne '-';
}

# deliver LEVEL - one message per mail domain with LEVEL as its static policy
sub deliver {
	my ($level) = @_;
	my $map = "$ENV{LAB_POSTFIX}/tls_policy";
	open my $fh, '>', $map or die "$map: $!";
	for my $d (@mail) {
		my $extra = $level eq 'secure' ? ' match=' . secure_match($d) : '';
		print $fh "$d $level$extra\n";
	}
	close $fh;
	sh("postconf -c $ENV{LAB_POSTFIX} -e smtp_tls_policy_maps=texthash:$map && postfix reload && postsuper -d ALL");
	my $out = "$ENV{LAB_DIR}/deliver.$level";
	mkdir $out;
	my $rcpts = join ' ', map { "$level\@$_" } @mail;
	sh("for r in $rcpts; do lab-send --wait 30 \$r >$out/\${r#*@} & done; wait");
	my $key = 'expect_' . ($level =~ s/-//r);
	for my $d (@mail) {
		my $res = do { local (@ARGV, $/) = ("$out/$d"); <> } // '';
		my ($word) = split ' ', $res;
		my $seen = $word // 'nothing';
		my $want = $dom{$d}{$key};
		if ($want =~ /^delivered\@(.+)/ && $seen eq 'delivered') {
			my $host = $1;
			$seen .= $res =~ /relay=\Q$host\E\[/ ? "\@$host" : '@another MX';
		}
		is($seen, $want, "$d: $level -> $want") or diag($res);
		my ($pid) = $res =~ /postfix\/smtp\[(\d+)\]: /;
		if ($seen eq 'bounced' && grep { $_->{host} eq '.' } @{ $mx{$d} }) {
			like($res, qr/relay=none, .*dsn=5\.1\.0, status=bounced \(Domain \Q$d\E does not accept mail \(nullMX\)\)/,
				"$d: $level: bounced as a null MX, nothing tried");
		}
		# An MX whose TLSA lookup fails is skipped by the DANE levels, and
		# says so; the others look up no TLSA.
		if ($seen =~ /^delivered/ && $pid) {
			for my $bad (grep { dead("_25._tcp.$_->{host}") && !dead($_->{host}) } @{ $mx{$d} }) {
				my (undef, $warn) = sh("grep -F 'postfix/smtp[$pid]: warning: TLS policy lookup for $d/$bad->{host}: TLSA lookup error' $ENV{LAB_MAILLOG}");
				if ($level =~ /^dane/) {
					like($warn, qr/TLSA lookup error for \Q$bad->{host}\E:25/, "$d: $level: $bad->{host} skipped, TLSA lookup error");
				} else {
					is($warn, '', "$d: $level: no TLSA lookup for $bad->{host}");
				}
			}
		}
		next unless $seen =~ /^delivered/ && $level ne 'may';
		# dane-only and secure always authenticate; dane does where the MX
		# has usable TLSA records (dane_applies), else it is opportunistic.
		# The TLS line of the same smtp process (it has no queue id) says
		# which. relay= names the MX host, not its CNAME target.
		my ($relay) = $res =~ /postfix\/smtp\[\d+\]: .* relay=([^\[,]+)\[/;
		my ($m) = grep { $_->{host} eq $relay } @{ $mx{$d} };
		my $verified = $level ne 'dane' || dane_applies($d, $m);
		my (undef, $tls) = sh("grep -F 'postfix/smtp[$pid]: ' $ENV{LAB_MAILLOG} | grep 'TLS connection established'");
		if ($verified) {
			like($tls, qr/Verified TLS connection established to \Q$relay\E\[/, "$d: $level delivery verified");
		} else {
			unlike($tls, qr/Verified TLS/, "$d: $level delivery opportunistic");
		}
	}
}

deliver($_) for qw(dane dane-only secure may);

# The last pass was "may": every delivery is in the MX hosts' records.
for my $d (@mail) {
	next unless $dom{$d}{expect_may} =~ /^delivered/;
	my @files = glob("$ENV{LAB_RECEIVED}/$d/*.eml");
	my @may = grep { my $f = $_; (do { local (@ARGV, $/) = ($f); <> }) =~ /^To: <may\@/m } @files;
	is(scalar @may, 1, "$d: the MX recorded the message");
}

# --- what the MX hosts record ----------------------------------------------

# Lab.pm's max_overlap on known intervals: one ending as another starts
# does not overlap it.
is(max_overlap(), 0, 'max_overlap: no connections');
# spans PAIRS - connection-like hashrefs from [start, end] pairs
sub spans { return map { +{ start => $_->[0], end => $_->[1] } } @_ }
is(max_overlap(spans([0, 2], [1, 3], [1.5, 2.5], [3, 5])), 3, 'max_overlap: the largest number open at once');
is(max_overlap(spans([0, 1], [1, 2])), 1, 'max_overlap: touching connections do not overlap');

{
	my $map = "$ENV{LAB_POSTFIX}/tls_policy";
	my $pf = "postconf -c $ENV{LAB_POSTFIX}";
	sh("echo 'limits-slow.test may' >$map && postfix reload");

	# The slow server answers the end of DATA after 2 s; one connection,
	# one message, in both logs.
	my $t0 = time;
	my (undef, $res) = sh('lab-send slow@limits-slow.test');
	my $took = time - $t0;
	like($res, qr/^delivered .*relay=mx\.limits-slow\.test\[127\.0\.10\.60\]:25/, 'limits-slow.test: delivered');
	cmp_ok($took, '>=', $delay_at{'127.0.10.60'}, "the server's 2 s delay makes the delivery take 2 s or more");
	my @c = grep { $_->{start} >= $t0 } connections('mx.limits-slow.test');
	is(join(' ', map { "$_->{local} $_->{peer} $_->{family} $_->{messages} $_->{cert}" } @c),
		'127.0.10.60 127.0.0.1 4 1 -', 'connections.log: one connection, one message, no client certificate');
	cmp_ok(@c ? $c[0]{end} - $c[0]{start} : 0, '>=', 2, 'connections.log: it stayed open through the delay');
	like(slurp($ENV{LAB_CONNECTIONS}), qr/^mx\.limits-slow\.test 127\.0\.10\.60 127\.0\.0\.1 4 \d+\.\d{3} \d+\.\d{3} 1 -$/m,
		'connections.log: line format');
	my @m = grep { $_->{time} >= $t0 } deliveries('mx.limits-slow.test');
	is(join(' ', map { "$_->{local} $_->{peer} $_->{from} $_->{nrcpt}" } @m),
		'127.0.10.60 127.0.0.1 sender@lab-sender.test 1', 'deliveries.log: the message');
	like(slurp($ENV{LAB_DELIVERIES}), qr/^\d+\.\d{3} mx\.limits-slow\.test 127\.0\.10\.60 127\.0\.0\.1 sender\@lab-sender\.test 1$/m,
		'deliveries.log: line format');
	ok(@c && @m && $c[0]{start} <= $m[0]{time} && $m[0]{time} <= $c[0]{end}, 'the message was accepted during the connection');

	# Three messages at once: the connections overlap.
	sh("echo 'limits-slow2.test may' >$map && postfix reload");
	$t0 = time;
	sh('for i in 1 2 3; do lab-send par$i@limits-slow2.test >/dev/null & done; wait');
	my @par = grep { $_->{start} >= $t0 } connections('mx.limits-slow2.test');
	is(scalar @par, 3, 'limits-slow2.test: three connections');
	cmp_ok(max_overlap(@par), '>=', 2, 'parallel deliveries to a slow server overlap');

	# The null sender and two recipients in one message.
	sh("echo 'limits-reuse.test may' >$map && postfix reload");
	$t0 = time;
	sh(q{printf 'Subject: bounce\n\nhi\n' | sendmail -f '' a@limits-reuse.test b@limits-reuse.test});
	wait_for(30, sub { scalar grep { $_->{time} >= $t0 } deliveries('mx.limits-reuse.test') });
	my ($null) = grep { $_->{time} >= $t0 } deliveries('mx.limits-reuse.test');
	is($null ? "$null->{from} $null->{nrcpt}" : 'nothing', '<> 2', 'deliveries.log: null sender "<>", 2 recipients');

	# Client certificates: only client-cert.test's server asks (its
	# clientauth record), optional. Postfix presents none by default (the
	# "may" pass above), then $LAB_CLIENT_CHAIN to it; a server that does
	# not ask gets none even then.
	ok($clientauth_at{ $addr_of{'mx.client-cert.test'} }, 'client-cert.test: its server asks for client certificates');
	is(join(' ', grep { $_ ne $addr_of{'mx.client-cert.test'} } sort keys %clientauth_at), '',
		'client-cert.test: the only server that asks');
	my ($may) = grep { slurp($_) =~ /^To: <may\@/m } glob("$ENV{LAB_RECEIVED}/client-cert.test/*.eml");
	like(slurp($may // ''), qr/^X-Lab-TLS: TLS\S+\r\nX-Lab-Client-Cert: none\r$/m, 'no client certificate: X-Lab-Client-Cert: none');
	my $chain = slurp($ENV{LAB_CLIENT_CHAIN});
	like($chain, qr/\A-----BEGIN PRIVATE KEY-----.*-----BEGIN CERTIFICATE-----/s, '$LAB_CLIENT_CHAIN: the key, then the certificate');
	is(sprintf('%o', (stat $ENV{LAB_CLIENT_CHAIN})[2] & 07777), '600', '$LAB_CLIENT_CHAIN: mode 0600');
	sh("$pf -e smtp_tls_chain_files=$ENV{LAB_CLIENT_CHAIN} && echo 'client-cert.test may' >$map && postfix reload");
	$t0 = time;
	my (undef, $cres) = sh('lab-send cert@client-cert.test');
	like($cres, qr/^delivered /, 'client-cert.test: delivered with a client certificate');
	my @cc = grep { $_->{start} >= $t0 } connections('mx.client-cert.test');
	is(join(' ', map { $_->{cert} } @cc), 'client.lab-sender.test', 'connections.log: the client certificate CN');
	my ($ceml) = grep { slurp($_) =~ /^To: <cert\@/m } glob("$ENV{LAB_RECEIVED}/client-cert.test/*.eml");
	like(slurp($ceml // ''), qr/^X-Lab-Client-Cert: client\.lab-sender\.test\r$/m, 'X-Lab-Client-Cert: the CN');
	sh("echo 'limits-reuse.test may' >$map && postfix reload");
	$t0 = time;
	my (undef, $nres) = sh('lab-send cert@limits-reuse.test');
	like($nres, qr/^delivered /, 'limits-reuse.test: delivered with $LAB_CLIENT_CHAIN configured');
	my @nc = grep { $_->{start} >= $t0 } connections('mx.limits-reuse.test');
	is(join(' ', map { $_->{cert} } @nc), '-', 'connections.log: a server that does not ask gets no client certificate');
	my ($neml) = grep { slurp($_) =~ /^To: <cert\@/m } glob("$ENV{LAB_RECEIVED}/limits-reuse.test/*.eml");
	like(slurp($neml // ''), qr/^X-Lab-TLS: TLS\S+\r\nX-Lab-Client-Cert: none\r$/m, 'X-Lab-Client-Cert: none there');
	sh("$pf -X smtp_tls_chain_files && postfix reload");

	# IPv6: Postfix uses both address families; the preference picks one.
	SKIP: {
		skip 'no IPv6 on this host (LAB_IPV6=0)', 4 unless $ENV{LAB_IPV6};
		sh("echo 'dual-stack.test may' >$map");
		for my $pref (qw(ipv6 ipv4)) {
			my ($ip, $fam) = $pref eq 'ipv6' ? ('fd00:10::64', 6) : ('127.0.10.64', 4);
			sh("$pf -e smtp_address_preference=$pref && postfix reload");
			$t0 = time;
			my (undef, $r) = sh("lab-send $pref\@dual-stack.test");
			like($r, qr/^delivered .*relay=mx\.dual-stack\.test\[\Q$ip\E\]:25/, "dual-stack.test, $pref preferred: delivered to $ip");
			my @d = grep { $_->{start} >= $t0 } connections('mx.dual-stack.test');
			is(join(' ', map { "$_->{local} $_->{family}" } @d), "$ip $fam", "connections.log: $ip, family $fam");
		}
		sh("$pf -X smtp_address_preference && postfix reload");
	}
}

# --- helpers ----------------------------------------------------------------

{
	# A deferred message is delivered by lab-flush once the policy allows it.
	my $map = "$ENV{LAB_POSTFIX}/tls_policy";
	sh("echo 'dane-mismatch.test dane-only' >$map && postfix reload");
	my (undef, $first) = sh("lab-send flush\@dane-mismatch.test");
	like($first, qr/^deferred /, 'lab-send: deferred under dane-only');
	my ($qid) = $first =~ /: ([0-9A-Za-z]+): to=/;
	sh("echo 'dane-mismatch.test may' >$map && postfix reload");
	my (undef, $again) = sh("lab-flush $qid");
	like($again, qr/^delivered .*\Q$qid\E: to=<flush\@dane-mismatch.test>/, 'lab-flush: delivered after the policy change');

	# Postfix takes mail by SMTP on 127.0.0.1:25 too.
	sh("echo 'plain.test may' >$map && postfix reload");
	my $smtp = IO::Socket::IP->new(PeerAddr => '127.0.0.1', PeerPort => 25, Timeout => 5);
	my $log = '';
	# One reply (continuation lines included) after each command; the
	# greeting comes first, before any command.
	for my $cmd (undef, 'EHLO client.test', 'MAIL FROM:<s@lab-sender.test>',
		'RCPT TO:<smtp@plain.test>', 'DATA', "Subject: by SMTP\r\n\r\nhello\r\n.", 'QUIT') {
		last unless $smtp;
		print $smtp "$cmd\r\n" if defined $cmd;
		while (defined(my $line = <$smtp>)) { $log .= $line; last if $line =~ /^\d{3} / }
	}
	my ($sqid) = $log =~ /^250 2\.0\.0 Ok: queued as (\w+)/m;
	ok($sqid, 'Postfix accepts mail on 127.0.0.1:25') or diag($log);
	my $status = '';
	for (1 .. 100) {
		(undef, $status) = sh("grep -E ': $sqid: to=<smtp\@plain.test>.*status=' $ENV{LAB_MAILLOG}");
		last if $status;
		select(undef, undef, undef, 0.1);
	}
	like($status, qr/status=sent/, 'mail submitted by SMTP is delivered');

	my $d = 'sts-idchange.test';
	my (undef, $id) = sh("lab-set-policy-id $d 2 enforce");
	is($id, "2\n", 'lab-set-policy-id prints the id');
	my (undef, undef, @txt) = dig("_mta-sts.$d", 'TXT');
	is("@txt", '"v=STSv1; id=2"', 'lab-set-policy-id: new TXT id');
	my (undef, $p) = sh("curl -sS --cacert $ENV{LAB_CA} https://mta-sts.$d/.well-known/mta-sts.txt");
	like($p, qr/^mode: enforce\r$/m, 'lab-set-policy-id: new policy served');

	my ($rc) = sh("lab-policy-host stop sts-enforce.test && curl -sS -m 3 --cacert $ENV{LAB_CA} https://mta-sts.sts-enforce.test/.well-known/mta-sts.txt");
	is($rc, 7, 'lab-policy-host stop: connection refused');
	($rc) = sh("lab-policy-host start sts-enforce.test && curl -sS -m 3 --cacert $ENV{LAB_CA} https://mta-sts.sts-enforce.test/.well-known/mta-sts.txt");
	is($rc, 0, 'lab-policy-host start: served again');

	sh("echo 'plain.test may' >$map && postfix reload");
	my (undef, $down) = sh('lab-mx stop mx1.plain.test && lab-send mxdown@plain.test');
	like($down, qr/^deferred .*Connection refused/, 'lab-mx stop: the MX refuses connections');
	my ($dqid) = $down =~ /: ([0-9A-Za-z]+): to=/;
	my (undef, $up) = sh("lab-mx start mx1.plain.test && lab-flush $dqid");
	like($up, qr/^delivered .*relay=mx1.plain.test\[/, 'lab-mx start: delivered again');

	# A server goes down and up with all its addresses, by name or address.
	sh('lab-mx stop mx.dual-stack.test');
	like(ehlo('127.0.10.64'), qr/^connect: /, 'lab-mx stop: the IPv4 address refuses connections');
	SKIP: {
		skip 'no IPv6 on this host (LAB_IPV6=0)', 2 unless $ENV{LAB_IPV6};
		like(ehlo('fd00:10::64'), qr/^connect: /, 'lab-mx stop: and the IPv6 address');
		sh('lab-mx start fd00:10::64');
		like(ehlo('127.0.10.64'), qr/^250[- ]mx\.dual-stack\.test/m, 'lab-mx start by the IPv6 address: IPv4 up too');
	}
	# Down again, then up by name: both addresses answer.
	sh('lab-mx stop mx.dual-stack.test');
	sh('lab-mx start mx.dual-stack.test');
	like(ehlo('127.0.10.64'), qr/^250[- ]mx\.dual-stack\.test/m, 'lab-mx start by name: the IPv4 address answers');
	like(ehlo('fd00:10::64'), qr/^250[- ]mx\.dual-stack\.test/m, 'lab-mx start by name: the IPv6 address answers')
		if $ENV{LAB_IPV6};
	# A server down from the start comes up with lab-mx start.
	sh('lab-mx start mx.bounce-dead.test');
	like(ehlo('127.0.10.68'), qr/^250[- ]mx\.bounce-dead\.test/m, 'lab-mx start: a down server comes up');
	sh('lab-mx stop mx.bounce-dead.test');

	sh('lab-dns stop child && lab-dns flush');
	my ($st) = dig('plain.test', 'MX');
	isnt($st, 'NOERROR', 'lab-dns stop child: no answer');
	sh('lab-dns start child && lab-dns flush');
	($st) = dig('plain.test', 'MX');
	is($st, 'NOERROR', 'lab-dns start child: answers again');
}

# --- generated domains (t/lab/run --domains), in a lab of their own -------

{
	my ($rc, $out) = sh("$t_dir/lab/run" . q{ --domains 4 bash -c '
		for d in gen1.test gen2.test gen3.test gen4.test; do
			echo "$d $(dig MX $d | grep -o "flags:[^;]*")"
			echo "$d $(lab-send x@$d | cut -d" " -f1)"
		done
		curl -sS -o /dev/null -w "gen2.test policy %{http_code}\n" --cacert $LAB_CA \
			https://mta-sts.gen2.test/.well-known/mta-sts.txt'});
	is($rc, 0, 'lab with --domains 4 runs');
	# By gen-domains: 1 signed+STS, 2 unsigned+STS, 3 unsigned, 4 signed.
	for (qw(gen1 gen4)) { like($out, qr/^$_.test flags: qr rd ra ad$/m, "$_.test is signed") }
	for (qw(gen2 gen3)) { like($out, qr/^$_.test flags: qr rd ra$/m, "$_.test is unsigned") }
	for (1 .. 4) { like($out, qr/^gen$_.test delivered$/m, "gen$_.test: delivered") }
	like($out, qr/^gen2.test policy 200$/m, 'gen2.test: policy served');
}

# On failure, the lab's logs (it is gone once this script exits).
if (!Test::More->builder->is_passing) {
	my (undef, $logs) = sh("tail -n 40 $ENV{LAB_MAILLOG} $ENV{LAB_DIR}/unbound/unbound.log"
		. " $ENV{LAB_DIR}/nginx/error.log $ENV{LAB_DIR}/mx/*.log $ENV{LAB_DIR}/dns/nsd-*/nsd.log");
	diag($logs);
}

done_testing();
