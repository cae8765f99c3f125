#!/bin/sh
# Runs examples/verify_offline against a freshly generated PKI: the server's certificate
# must verify (exit 0), the impostor's and the wrong name's must be refused (exit 1),
# and a private key as CA must be bad input (exit 2).
set -u
make_pki="$1"; example="$2"
dir=$(mktemp -d /tmp/verifull-example-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$make_pki" "$dir" >/dev/null || exit 1
failed=0
expect() {
  want=$1; shift
  "$example" "$@"; got=$?
  if [ "$got" -ne "$want" ]; then echo "FAIL: expected exit $want, got $got: $*"; failed=1; fi
}
expect 0 "$dir/ca.pem" "$dir/server.pem" localhost
expect 1 "$dir/ca.pem" "$dir/impostor.pem" localhost
expect 1 "$dir/ca.pem" "$dir/wrong-name.pem" localhost
expect 2 "$dir/server.key" "$dir/server.pem" localhost
exit $failed
