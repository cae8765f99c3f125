#!/bin/sh
# Runs examples/ruby_connect.rb against the test servers: it must connect (exit 0), and be
# refused (exit 1) when the MySQL server's certificate does not carry the name dialled.
set -u
example="$1"
ca="$VERIFULL_PKI_DIR/ca.pem"
app="$VERIFULL_DB_USER:$VERIFULL_DB_PASSWORD"
pg="postgres://$app@localhost:$VERIFULL_PG_PORT/$VERIFULL_DB_NAME"
failed=0
expect() {
  want=$1; shift
  ruby "$@"; got=$?
  if [ "$got" -ne "$want" ]; then echo "FAIL: expected exit $want, got $got: $*"; failed=1; fi
}
expect 0 "$example" "$ca" "$pg" "mysql://$app@127.0.0.1:$VERIFULL_MYSQL_IP_PORT/$VERIFULL_DB_NAME"
expect 1 "$example" "$ca" "$pg" "mysql://$app@127.0.0.1:$VERIFULL_MYSQL_PORT/$VERIFULL_DB_NAME"
expect 1 "$example" "$ca" "postgres://$app@127.0.0.1:$VERIFULL_PG_PORT/$VERIFULL_DB_NAME" \
  "mysql://$app@127.0.0.1:$VERIFULL_MYSQL_IP_PORT/$VERIFULL_DB_NAME"
exit $failed
