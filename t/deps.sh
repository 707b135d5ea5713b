#!/bin/sh
# deps.sh PACKAGE... - install the Debian packages that are missing, and nothing
# else. Daemons in the list (nsd, unbound, nginx, postfix) must not start on the
# host: the lab runs its own copies inside namespaces, so a policy-rc.d that
# refuses every start is in place during the install.
set -eu

missing=""
for p in "$@"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
	missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run 'make deps' as root, or install them with apt-get" >&2
    exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then
    saved=$(mktemp)
    cp -p "$policy" "$saved"
fi
restore() {
    if [ -n "$saved" ]; then mv "$saved" "$policy"; else rm -f "$policy"; fi
}
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 755 "$policy"

# Postfix asks how to configure itself; the lab brings its own configuration.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

apt-get update -qq || apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing
