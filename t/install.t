#!/bin/sh
# install.t - make install stages what it should with DESTDIR, and never
# overwrites an existing configuration.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
stage=$(mktemp -d)
user_before=$(getent passwd destctl || echo none)
trap 'rm -rf "$stage"' EXIT
n=0
fails=0
check() {	# check DESCRIPTION COMMAND...
    n=$((n + 1))
    d=$1; shift
    if "$@" >/dev/null 2>&1; then echo "ok $n - $d"; else echo "not ok $n - $d"; fails=$((fails + 1)); fi
}
echo "1..13"
make -C "$top" -s install DESTDIR="$stage" PREFIX=/usr >"$stage.log" 2>&1
check "make install DESTDIR=... succeeds" test $? -eq 0
check "destctl installed executable" test -x "$stage/usr/sbin/destctl"
check "destctld installed executable" test -x "$stage/usr/sbin/destctld"
check "destctl-milter installed executable" test -x "$stage/usr/sbin/destctl-milter"
check "the milter's systemd unit runs the installed destctl-milter" \
    grep -q '^ExecStart=/usr/sbin/destctl-milter$' "$stage/etc/systemd/system/destctl-milter.service"
check "the systemd unit runs the installed destctld" \
    grep -q '^ExecStart=/usr/sbin/destctld$' "$stage/etc/systemd/system/destctld.service"
check "the sweep service runs the installed destctl" \
    grep -q '^ExecStart=/usr/sbin/destctl sweep$' "$stage/etc/systemd/system/destctl-sweep.service"
check "the sweep timer is installed" test -s "$stage/etc/systemd/system/destctl-sweep.timer"
check "destctl.conf installed" cmp "$top/conf/destctl.conf" "$stage/etc/destctl/destctl.conf"
check "destinations.conf installed" cmp "$top/conf/destinations.conf" "$stage/etc/destctl/destinations.conf"
check "the installed example configuration is valid" \
    "$stage/usr/sbin/destctl" -c "$stage/etc/destctl/destctl.conf" check-config
echo "# edited" >>"$stage/etc/destctl/destinations.conf"
make -C "$top" -s install DESTDIR="$stage" PREFIX=/usr >>"$stage.log" 2>&1
check "a second install keeps the edited destinations file" \
    grep -q '^# edited' "$stage/etc/destctl/destinations.conf"
check "a staged install leaves the system's users alone" \
    test "$(getent passwd destctl || echo none)" = "$user_before"
rm -f "$stage.log"
exit $((fails > 0))
