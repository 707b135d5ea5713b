#!/bin/sh
# demo.sh - destctl at work on a copy of the example configuration: what
# `make demo` shows until the agent exists. Nothing outside a temporary
# directory is touched.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/destctl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$top/conf/destctl.conf" "$top/conf/destinations.conf" "$work/"
# The example points pid_file at /run; keep the demo to its own directory.
sed -i 's|pid_file = "/run/destctl/destctld.pid";|pid_file = "destctld.pid";|' "$work/destctl.conf"

step() {
    printf '\n$ destctl %s\n' "$*"
    "$bin" -c "$work/destctl.conf" "$@"
}

echo "destctl demo on a copy of conf/ in $work"
step check-config
step list
step new partner.example --tls required-verify --dane opportunistic --mta-sts on
step edit partner.example --recipient-limit 100/10
step new bad.example --tls none --dane mandatory || echo "(refused, exit $?: nothing was written)"
step detail partner.example
step list
step export -
