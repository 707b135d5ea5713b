#!/bin/sh
# demo-lab.sh - the body of `make demo`, run inside the lab by t/demo.sh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$LAB_DIR/demo
mkdir -p "$dir"
chown nobody:nogroup "$dir"
ctl() { echo "\$ destctl $*"; "$top/build/destctl" -c "$dir/destctl.conf" "$@"; echo; }

cat >"$dir/destctl.conf" <<CONF
destinations_file = "destinations.conf";
agent: {
  listen = [ "inet:127.0.0.1:10027", "unix:$dir/destctld.sock" ];
  control_socket = "$dir/control.sock";
  pid_file = "$dir/destctld.pid";
  cache_file = "$dir/cache.db";
  user = "nobody";
};
resolver: { trust_anchor_file = ""; unbound_conf = "$LAB_UNBOUND_CONF"; };
mta_sts: { ca_file = "$LAB_CA"; fetch_timeout = 3; };
milter: { listen = "inet:10028@127.0.0.1"; agent = "unix:$dir/destctld.sock"; };
CONF

echo "== destctl: the profiles"
ctl default --tls preferred --dane opportunistic --mta-sts on
ctl new dnssec-notlsa.test --tls required --dane mandatory
ctl new dane-partial.test --tls required-verify --dane opportunistic
ctl new plain.test --tls required
ctl list

echo "== destctld: started for the lab"
"$top/build/destctld" -f -c "$dir/destctl.conf" 2>"$dir/agent.log" &
agent=$!
"$top/build/destctl-milter" -f -c "$dir/destctl.conf" 2>"$dir/milter.log" &
milter=$!
i=0
while [ ! -S "$dir/destctld.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -S "$dir/destctld.sock" ]; then
    cat "$dir/agent.log" >&2
    echo "demo: destctld did not start" >&2
    exit 1
fi
head -n 1 "$dir/agent.log"
postconf -c "$LAB_POSTFIX" -e 'smtp_tls_policy_maps = socketmap:inet:127.0.0.1:10027:tlspolicy'
postfix reload >/dev/null 2>&1
sleep 1
echo

printf '%-24s %-20s %-40s %-10s %s\n' DOMAIN PROFILE "DESTCTLD ANSWER" POSTFIX "TLS LOG LINE"
for d in dane-valid.test dane-ta.test dane-mismatch.test dane-partial.test \
	dane-nostarttls.test dnssec-notlsa.test implicit-mx.test bogus.test \
	expired.test plain.test dane-sts.test sts-enforce.test sts-badcert.test \
	sts-mx-mismatch.test sts-testing.test sts-none.test sts-nohost.test \
	sts-policy-badcert.test sts-redirect.test sts-big.test sts-slow.test \
	sts-two-txt.test sts-wildcard.test sts-wildcard-deep.test; do
    profile=$("$top/build/destctl" -c "$dir/destctl.conf" detail "$d" >/dev/null 2>&1 && echo "$d" || echo default)
    answer=$(postmap -q "$d" "socketmap:unix:$dir/destctld.sock:tlspolicy" 2>&1 | tail -n 1) || true
    case $answer in *"lookup error"*|*fatal*) answer="TEMP (defer)" ;; esac
    before=$(wc -l <"$LAB_MAILLOG")
    result=$(lab-send --wait 20 "demo@$d")
    tls=$(tail -n "+$((before + 1))" "$LAB_MAILLOG" | grep -E 'TLS connection established|TLSA|certificate verification failed|Server certificate not' | head -n 1 | sed 's/.*postfix\/smtp\[[0-9]*\]: //' | cut -c1-90)
    printf '%-24s %-20s %-40s %-10s %s\n' "$d" "$profile" "$answer" "${result%% *}" "${tls:--}"
done
echo
echo "== destctld's log (decisions, MTA-STS)"
grep -E 'policy decision|DNSSEC validation failed|DANE not applied|MTA-STS' "$dir/agent.log" |
    sed 's/^destctld: //' | cut -c1-200

echo
echo "== destctl-milter: one message to two domains, as the lab MX received it"
postconf -c "$LAB_POSTFIX" -e 'smtpd_milters = inet:127.0.0.1:10028' 'milter_default_action = tempfail'
postfix reload >/dev/null 2>&1
sleep 1
swaks --server 127.0.0.1 --from alice@sender.lab-sender.test \
    --to demo-tag@dane-valid.test,demo-tag@plain.test --header 'Subject: tagged' \
    >"$dir/swaks.log" 2>&1 || { cat "$dir/swaks.log"; tail -5 "$dir/milter.log"; }
i=0
while ! grep -q demo-tag@plain.test "$LAB_RECEIVED.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
eml=$(grep -l '^Subject: tagged' "$LAB_RECEIVED"/plain.test/*.eml 2>/dev/null | head -n 1)
[ -n "$eml" ] && sed -n '1,/^\r*$/p' "$eml" | grep -v '^X-Lab-'
kill "$agent" "$milter"
wait 2>/dev/null || true
