#!/bin/sh
# Runs the connection examples against the test servers: each must connect to the real
# server (exit 0) and be refused when dialling a name the certificate does not carry.
set -u
pg_example="$1"; my_example="$2"; py_example="$3"
ca="$VERIFULL_PKI_DIR/ca.pem"
app="$VERIFULL_DB_USER:$VERIFULL_DB_PASSWORD"
failed=0
expect() {
  want=$1; shift
  "$@"; got=$?
  if [ "$got" -ne "$want" ]; then echo "FAIL: expected exit $want, got $got: $*"; failed=1; fi
}
expect 0 "$pg_example" "$ca" "postgres://$app@localhost:$VERIFULL_PG_PORT/$VERIFULL_DB_NAME"
expect 1 "$pg_example" "$ca" "postgres://$app@127.0.0.1:$VERIFULL_PG_PORT/$VERIFULL_DB_NAME"
expect 0 "$my_example" "$ca" "mysql://$app@localhost:$VERIFULL_MYSQL_PORT/$VERIFULL_DB_NAME"
expect 1 "$my_example" "$ca" "mysql://$app@127.0.0.1:$VERIFULL_MYSQL_PORT/$VERIFULL_DB_NAME"
expect 0 /usr/bin/python3 "$py_example" "$ca" "postgres://$app@localhost:$VERIFULL_PG_PORT/$VERIFULL_DB_NAME" \
  "mysql://$app@127.0.0.1:$VERIFULL_MYSQL_IP_PORT/$VERIFULL_DB_NAME"
expect 1 /usr/bin/python3 "$py_example" "$ca" "postgres://$app@localhost:$VERIFULL_PG_PORT/$VERIFULL_DB_NAME" \
  "mysql://$app@127.0.0.1:$VERIFULL_MYSQL_PORT/$VERIFULL_DB_NAME"
exit $failed
