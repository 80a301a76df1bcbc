#!/usr/bin/env bash
# bench/run.sh — `make bench`: the daemons under wrk, side by side with their ceilings.
#
# Builds the default -O2 binaries (no sanitizers) and bench/bare_evhttp.c, starts two private
# PostgreSQL clusters under run/bench (like tests/run.sh), migrates both databases, initializes a
# pgbench database (scale 10) in the destinations cluster, then hands over to bench/bench.py,
# which loads the data set, runs every scenario and writes bench/results/<UTC>.md.
# Everything it started is stopped on exit, also on failure or Ctrl-C.
#
#   BENCH_SECONDS=10   length of each timed run (BENCH_SECONDS=60 make bench: the soak)
#   BENCH_CONNECTIONS=64 BENCH_THREADS=2 BENCH_LOG_LEVEL=info BENCH_WORKERS= BENCH_PG_FAST=0
#   BENCH_PG_SHARED_BUFFERS=1GB   PostgreSQL's shared_buffers (default 128MB); the 1 M runs of
#                      docs/performance.md are recorded with both
#   BENCH_KEEP=1       leave the daemons' logs and data in run/bench (clusters are still destroyed)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export ROOT BUILD=build
export RUN_DIR="$ROOT/run/bench"

for tool in wrk pgbench psql python3 pkg-config; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done

echo "bench: building (make -s bins, -O2, no sanitizers) and bench/bare_evhttp"
make -s bins
mkdir -p "$RUN_DIR/bin"
# Measure copies: a concurrent `make` relinking build/ must not change (or unmap) what runs.
cp "$BUILD/user-service" "$BUILD/destination-service" "$RUN_DIR/bin/"
export BIN_DIR="$RUN_DIR/bin"
export BARE_BIN="$RUN_DIR/bare_evhttp"
# shellcheck disable=SC2046  # pkg-config output is meant to split
cc -O2 -Wall -Wextra -o "$BARE_BIN" bench/bare_evhttp.c $(pkg-config --cflags --libs libevent)

unset USER_DB_URL DEST_DB_URL WORKERS LOG_LEVEL
# shellcheck source=../scripts/env.sh
. "$ROOT/scripts/env.sh"

cleanup() {
  local rc=$?
  if [ -f "$RUN_DIR/pids" ]; then
    while read -r pid; do
      kill "$pid" 2>/dev/null || true
    done <"$RUN_DIR/pids"
    rm -f "$RUN_DIR/pids"
  fi
  "$PG" destroy "$RUN_DIR" users >/dev/null 2>&1 || true
  "$PG" destroy "$RUN_DIR" destinations >/dev/null 2>&1 || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "${RUN_DIR:?}/media" "$RUN_DIR/tokens.txt" "$RUN_DIR/hold.env" "$RUN_DIR"/pgbench_log*
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh set-up every run: leftovers of an interrupted run are removed first.
"$PG" destroy "$RUN_DIR" users >/dev/null 2>&1 || true
"$PG" destroy "$RUN_DIR" destinations >/dev/null 2>&1 || true
rm -rf "$RUN_DIR/logs" "$RUN_DIR/secrets.env" "$RUN_DIR/pids"

echo "bench: starting PostgreSQL clusters under run/bench"
PG_FAST=${BENCH_PG_FAST:-0} PG_SHARED_BUFFERS=${BENCH_PG_SHARED_BUFFERS:-} ecomovex_databases_up
ecomovex_secrets
export INTERNAL_TOKEN
MIGRATIONS_DIR="$ROOT/migrations/users" "$BIN_DIR/user-service" migrate --seed >/dev/null
MIGRATIONS_DIR="$ROOT/migrations/destinations" "$BIN_DIR/destination-service" migrate --seed >/dev/null

echo "bench: pgbench -i -s 10 (database pgbench in the destinations cluster)"
"$PG" createdb "$RUN_DIR" destinations pgbench >/dev/null 2>&1
PGBENCH_DB_URL=$("$PG" conninfo "$RUN_DIR" destinations pgbench)
export PGBENCH_DB_URL
pgbench -i -s 10 -q "$PGBENCH_DB_URL" >"$RUN_DIR/pgbench-init.log" 2>&1 ||
  { cat "$RUN_DIR/pgbench-init.log" >&2; exit 1; }

python3 "$ROOT/bench/bench.py"
