# shellcheck shell=bash
# Shell functions shared by the lab scripts; source it, do not run it.

# Scenario words such as mx=*.example.test are split unquoted: no globbing.
set -o noglob

# scen_lines TYPE [FILE] - the records of one type, comments and blanks dropped
scen_lines() {
	awk -v t="$1" '$1 == t' "${2:-$LAB_SCENARIOS}"
}

# scen_servers - "ADDR HOST CERT" once per SMTP server address: the first
# mx or host record with that ADDR (mx records without an address of their
# own, ADDR "-", and the null MX are no servers). The server at ADDR greets
# as HOST and presents HOST's certificate, whatever other names share ADDR.
scen_servers() {
	awk '$1 == "mx" && $5 != "-" && !seen[$5]++ { print $5, $4, $6 }
		$1 == "host" && !seen[$4]++ { print $4, $3, $5 }' "$LAB_SCENARIOS"
}

# scen_get KEY WORDS... - the value of KEY=value among WORDS ('' if absent)
scen_get() {
	local key=$1 w
	shift
	for w in "$@"; do
		if [[ $w == "$key="* ]]; then
			printf '%s\n' "${w#"$key"=}"
			return 0
		fi
	done
	printf '\n'
}

# scen_domain_line DOMAIN - the "domain" record of DOMAIN, or fail
scen_domain_line() {
	awk -v d="$1" '$1 == "domain" && $2 == d { print; found = 1 }
		END { exit !found }' "$LAB_SCENARIOS"
}

# scen_sts_line DOMAIN - the "sts" record of DOMAIN ('' if none)
scen_sts_line() {
	awk -v d="$1" '$1 == "sts" && $2 == d' "$LAB_SCENARIOS"
}

# die MESSAGE - report on stderr and stop
die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# zone_file NAME - path of the unsigned zone file of zone NAME ("." = root)
zone_file() {
	local name=${1%.}
	printf '%s/dns/zones/%s.zone\n' "$LAB_DIR" "${name:-root}"
}

# zone_sign NAME MODE [shared] - write the file NSD serves for zone NAME
#
# MODE: unsigned (NSD serves the zone file itself: nothing to do), signed,
# expired (signatures valid only in 2020), bogus (signed, then the apex MX
# RRset altered so that its RRSIG fails); those write ZONEFILE.signed.
# The zone's key is made on first use and kept in dns/keys/NAME.*, so a
# re-sign (lab-set-policy-id) keeps the parent's DS valid; with "shared" it
# is a copy of the key dns/keys/shared.* (generated domains: a key
# generation per zone would dominate the build). Callers signing many zones
# set LAB_SIGN_WINDOW ("-i INCEPTION -e EXPIRY") once. No subshells here:
# thousands of zones go through this function.
zone_sign() {
	local name=$1 mode=$2 keys base zf key line private window
	[[ $mode == unsigned ]] && return 0
	keys=$LAB_DIR/dns/keys
	base=${name%.}
	base=${base:-root}
	zf=$LAB_DIR/dns/zones/$base.zone # as zone_file says
	base=$keys/$base
	if [[ ! -e $base.name ]]; then
		if [[ ${3:-} == shared ]]; then
			read -r key <"$keys/shared.name"
			read -r line <"$keys/$key.key"
			private=$(<"$keys/$key.private")
			printf '%s.%s\n' "${name%.}" "${line#shared.}" >"$base.key"
			printf '%s\n' "$private" >"$base.private"
			printf '%s\n' "${base##*/}" >"$base.name"
		else
			(cd "$keys" && exec ldns-keygen -a ECDSAP256SHA256 -k "${name%.}.") >"$base.name"
		fi
		read -r key <"$base.name"
		ldns-key2ds -n -2 "$keys/$key.key" >"$base.ds"
	fi
	read -r key <"$base.name"
	window=${LAB_SIGN_WINDOW:-"-i $(date -u -d '-1 day' +%Y%m%d%H%M%S) -e $(date -u -d '+30 days' +%Y%m%d%H%M%S)"}
	[[ $mode == expired ]] && window="-i 20200101000000 -e 20200201000000"
	# shellcheck disable=SC2086 # window is two options with their values
	ldns-signzone $window -o "${name%.}." -f "$zf.signed" "$zf" "$keys/$key"
	if [[ $mode == bogus ]]; then
		# Change the MX preference after signing: the RRSIG no longer fits.
		awk -v o="${name%.}." 'BEGIN { FS = OFS = "\t" }
			$1 == o && $4 == "MX" { split($5, r, " "); $5 = (r[1] + 1) " " r[2] }
			{ print }' "$zf.signed" >"$zf.tmp"
		mv "$zf.tmp" "$zf.signed"
	fi
}

# lab_need_env - stop unless running inside the lab (t/lab/run)
lab_need_env() {
	[[ -n ${LAB_DIR:-} && -d $LAB_DIR ]] || die "not inside the lab: use t/lab/run"
}

# maillog_status QUEUEID FROM-LINE SECONDS - wait for QUEUEID's next delivery
# status in $LAB_MAILLOG, looking only at lines after FROM-LINE; print
# "delivered|deferred|bounced LINE", or "timeout QUEUEID" after SECONDS.
maillog_status() {
	local qid=$1 from=$2 secs=$3 line deadline
	deadline=$((SECONDS + secs))
	while :; do
		line=$(tail -n "+$((from + 1))" "$LAB_MAILLOG" |
			grep -E "postfix/[a-z]+\[[0-9]+\]: $qid: to=<.*status=" | head -n 1) || true
		case $line in
		*status=sent*) echo "delivered $line"; return 0 ;;
		*status=deferred*) echo "deferred $line"; return 0 ;;
		*status=bounced* | *status=expired*) echo "bounced $line"; return 0 ;;
		esac
		if ((SECONDS >= deadline)); then
			echo "timeout $qid"
			return 0
		fi
		sleep 0.1
	done
}

# maillog_lines - the number of lines in $LAB_MAILLOG now
maillog_lines() {
	wc -l <"$LAB_MAILLOG"
}
