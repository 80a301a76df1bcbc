#!/usr/bin/env bash
# tests/ha/run.sh — `make test-ha`: scale-out and fail-over under load (docs/operations.md,
# "Scaling out"). Sets up two private PostgreSQL clusters under $HA_RUN_DIR (default
# run/test-ha): users (full durability: a 2xx must mean the write is on the standby too) and
# destinations; migrates and seeds both, then runs tests/ha/ha.py, which adds a hot standby
# of users, both daemons twice behind nginx, and the load. Everything it starts is stopped
# on exit, also on failure or Ctrl-C (here the clusters; ha.py its own processes).
#   HA_PORT_BASE  first of eight consecutive loopback ports to use (default: free ports)
#   BUILD         the binaries (default build)
# Ends with the two summary lines and "ha: N passed, M failed"; appends "ha P F" to $RESULTS
# when set.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
export BUILD
export TEST_RUN_DIR=${HA_RUN_DIR:-$ROOT/run/test-ha}
RUN_DIR=$TEST_RUN_DIR
unset USER_DB_URL DEST_DB_URL
# shellcheck source=../../scripts/env.sh
. "$ROOT/scripts/env.sh"
start=$(date +%s)

cleanup() {
  "$PG" destroy "$RUN_DIR" users >/dev/null 2>&1 || true
  "$PG" destroy "$RUN_DIR" destinations >/dev/null 2>&1 || true
}
fail_setup() {
  echo "ha: $1"
  echo "ha: 0 passed, 1 failed ($(($(date +%s) - start)) s)"
  [ -z "${RESULTS:-}" ] || echo "ha 0 1" >>"$RESULTS"
  exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for b in user-service destination-service; do
  [ -x "$ROOT/$BUILD/$b" ] || fail_setup "$BUILD/$b is not built (make bins)"
done
cleanup
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
# users: no PG_FAST, since synchronous_commit=off would acknowledge a commit before the
# standby has it; destinations: PG_FAST, as in the other suites.
"$PG" start "$RUN_DIR" users >/dev/null 2>&1 || fail_setup "could not start the users cluster"
"$PG" createdb "$RUN_DIR" users "$USERS_DB_NAME" >/dev/null 2>&1 || fail_setup "createdb users"
PG_FAST=1 "$PG" start "$RUN_DIR" destinations >/dev/null 2>&1 || fail_setup "could not start the destinations cluster"
"$PG" createdb "$RUN_DIR" destinations "$DEST_DB_NAME" >/dev/null 2>&1 || fail_setup "createdb destinations"
# the owner / runtime roles of a deployment (deploy/postgres/roles.sql); the standbys copy them
"$PG" roles "$RUN_DIR" users "$USERS_DB_NAME" >/dev/null 2>&1 || fail_setup "roles users"
# shellcheck disable=SC2086  # a list of names
"$PG" roles "$RUN_DIR" destinations "$DEST_DB_NAME" $DEST_DB_EXTENSIONS >/dev/null 2>&1 || fail_setup "roles destinations"
USER_DB_URL=$("$PG" conninfo "$RUN_DIR" users "$USERS_DB_NAME" users_app)
DEST_DB_URL=$("$PG" conninfo "$RUN_DIR" destinations "$DEST_DB_NAME" destinations_app)
USER_DB_MIGRATE_URL=$("$PG" conninfo "$RUN_DIR" users "$USERS_DB_NAME" users_owner)
DEST_DB_MIGRATE_URL=$("$PG" conninfo "$RUN_DIR" destinations "$DEST_DB_NAME" destinations_owner)
export USER_DB_MIGRATE_URL DEST_DB_MIGRATE_URL
USERS_PGDATA="$(head -n 1 "$RUN_DIR/pg/users.path")/data"
DEST_PGDATA="$(head -n 1 "$RUN_DIR/pg/destinations.path")/data"
export USER_DB_URL DEST_DB_URL USERS_PGDATA DEST_PGDATA
ecomovex_secrets
MIGRATIONS_DIR="$ROOT/migrations/users" "$ROOT/$BUILD/user-service" migrate --seed >/dev/null ||
  fail_setup "user-service migrate failed"
MIGRATIONS_DIR="$ROOT/migrations/destinations" "$ROOT/$BUILD/destination-service" migrate --seed >/dev/null ||
  fail_setup "destination-service migrate failed"

out=$(mktemp /tmp/ecomovex-ha-out.XXXXXX)
timeout -k 10 540 python3 "$ROOT/tests/ha/ha.py" 2>&1 | tee "$out"
line=$(grep -E '^ha: [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
rm -f "$out"
passed=$(echo "$line" | sed -n 's/^ha: \([0-9]*\) passed.*/\1/p')
failed=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
if [ -z "$line" ]; then
  passed=0 failed=1
  echo "ha: the suite did not finish"
  echo "ha: 0 passed, 1 failed ($(($(date +%s) - start)) s)"
fi
[ -z "${RESULTS:-}" ] || echo "ha ${passed:-0} ${failed:-1}" >>"$RESULTS"
[ "${failed:-1}" = 0 ]
