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
  user = "nobody";
};
resolver: { trust_anchor_file = ""; unbound_conf = "$LAB_UNBOUND_CONF"; };
CONF

echo "== destctl: the profiles"
ctl default --tls preferred --dane opportunistic
ctl new dnssec-notlsa.test --tls required --dane mandatory
ctl new dane-partial.test --tls required-verify --dane opportunistic
ctl new plain.test --tls required
ctl list

echo "== destctld: started for the lab"
"$top/build/destctld" -f -c "$dir/destctl.conf" 2>"$dir/agent.log" &
agent=$!
i=0
while [ ! -S "$dir/destctld.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
head -n 1 "$dir/agent.log"
postconf -c "$LAB_POSTFIX" -e 'smtp_tls_policy_maps = socketmap:inet:127.0.0.1:10027:tlspolicy'
postfix reload >/dev/null 2>&1
sleep 1
echo

printf '%-22s %-20s %-34s %-10s %s\n' DOMAIN PROFILE "DESTCTLD ANSWER" POSTFIX "TLS LOG LINE"
for d in dane-valid.test dane-ta.test dane-mismatch.test dane-partial.test \
	dane-nostarttls.test dnssec-notlsa.test implicit-mx.test bogus.test \
	expired.test plain.test; do
    profile=$("$top/build/destctl" -c "$dir/destctl.conf" detail "$d" >/dev/null 2>&1 && echo "$d" || echo default)
    answer=$(postmap -q "$d" "socketmap:unix:$dir/destctld.sock:tlspolicy" 2>&1 | tail -n 1) || true
    case $answer in *"lookup error"*|*fatal*) answer="TEMP (defer)" ;; esac
    before=$(wc -l <"$LAB_MAILLOG")
    result=$(lab-send --wait 20 "demo@$d")
    tls=$(tail -n "+$((before + 1))" "$LAB_MAILLOG" | grep -E 'TLS connection established|TLSA|certificate verification failed|Server certificate not' | head -n 1 | sed 's/.*postfix\/smtp\[[0-9]*\]: //' | cut -c1-90)
    printf '%-22s %-20s %-34s %-10s %s\n' "$d" "$profile" "$answer" "${result%% *}" "${tls:--}"
done
echo
echo "== destctld's log (decisions)"
grep -E 'policy decision|DNSSEC validation failed|DANE not applied' "$dir/agent.log" | sed 's/^destctld: //'
kill "$agent"
wait "$agent" 2>/dev/null || true
