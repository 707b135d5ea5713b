#!/bin/sh
# demo.sh - `make demo`: destctl and destctld at work in the lab.
#
# As root: starts the lab (signed DNS, policy hosts, MX hosts, a sending
# Postfix), shows the CLI on a lab configuration, starts destctld, sends one
# message to each DANE scenario through the lab Postfix and prints a table:
# domain, profile, destctld's answer, what Postfix did, its TLS log line.
# Not root: shows the CLI on a copy of conf/ only (the lab needs root).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" != 0 ]; then
    echo "demo: not root, so no lab; destctl on a copy of conf/ instead"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cp "$top/conf/destctl.conf" "$top/conf/destinations.conf" "$work/"
    sed -i 's|pid_file = "/run/destctl/destctld.pid";|pid_file = "destctld.pid";|' "$work/destctl.conf"
    "$top/build/destctl" -c "$work/destctl.conf" check-config
    "$top/build/destctl" -c "$work/destctl.conf" list
    exit 0
fi
exec "$top/t/lab/run" sh "$top/t/demo-lab.sh"
