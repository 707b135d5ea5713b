#!/bin/sh
# mkcerts.sh DIR - test PKI for t/unit-sts-fetch: a CA (ca.pem), a server
# certificate it signs for every mta-sts.<case>.good.test name (good.pem),
# one it signs for the wrong name mta-sts.other.test (wrong.pem), and a
# self-signed one for mta-sts.unknown.test (self.pem). Keys: <name>.key.
set -e
dir=$1
cd "$dir"
cases="ok charset upper octet notype notfound redirect biglen bigchunk exact
exactchunk slow cancel proxy two tls11 plain"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

key ca
openssl req -x509 -new -key ca.key -subj "/CN=destctl sts-fetch test CA" \
    -days 2 -addext "basicConstraints=critical,CA:true" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem

# leaf NAME SAN... - a CA-signed server certificate NAME.pem
leaf() {
    name=$1; shift
    san=""
    for h in "$@"; do san="${san:+$san,}DNS:$h"; done
    key "$name"
    openssl req -new -key "$name.key" -subj "/CN=$1" -out "$name.csr"
    printf 'subjectAltName=%s\nbasicConstraints=CA:false\nextendedKeyUsage=serverAuth\n' \
	"$san" >"$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key \
	-CAcreateserial -days 2 -extfile "$name.ext" -out "$name.pem" 2>/dev/null
}

names=""
for c in $cases; do names="$names mta-sts.$c.good.test"; done
# shellcheck disable=SC2086
leaf good $names
leaf wrong mta-sts.other.test

key self
openssl req -x509 -new -key self.key -subj "/CN=mta-sts.unknown.test" -days 2 \
    -addext "subjectAltName=DNS:mta-sts.unknown.test" -out self.pem
