#!/usr/bin/env bash
# tests/run.sh STAGE... — runs test stages against the binaries in $BUILD (default build).
#   unit         every cmocka binary in $BUILD/tests
#   integration  tests/integration/test_*.py against both daemons and two private PostgreSQL clusters
#   fault        tests/fault/test_*.py (stops and restarts dependencies) on the same set-up
# Each stage appends "<stage> <passed> <failed>" to $RESULTS (default run/test-results.txt).
# The clusters live under run/test-<build> and are destroyed on exit, even when a test fails.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
RESULTS=${RESULTS:-$ROOT/run/test-results.txt}
mkdir -p "$(dirname "$RESULTS")"
export BUILD
status=0

record() { echo "$1[$BUILD] $2 $3" >>"$RESULTS"; [ "$3" = 0 ] || status=1; }

run_unit() {
  local passed=0 failed=0 out n
  for t in "$ROOT/$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    out=$("$t" 2>&1)
    local rc=$?
    echo "$out" | grep -E '^\[  (PASSED|FAILED|  OK  |  ERROR ) \]|FAILED|ERROR' | grep -v '^\[       OK \]' || true
    n=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    passed=$((passed + ${n:-0}))
    n=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    failed=$((failed + ${n:-0}))
    if [ $rc -ne 0 ] && [ "${n:-0}" = 0 ]; then
      echo "unit: $(basename "$t") exited with $rc"; echo "$out" | tail -20; failed=$((failed + 1))
    fi
  done
  echo "unit ($BUILD): $passed passed, $failed failed"
  record unit "$passed" "$failed"
}

DB_UP=0
setup_databases() {
  [ "$DB_UP" = 1 ] && return 0
  export TEST_RUN_DIR="${TEST_RUN_DIR:-$ROOT/run/test-$BUILD}"
  RUN_DIR=$TEST_RUN_DIR
  unset USER_DB_URL DEST_DB_URL
  # shellcheck source=../scripts/env.sh
  . "$ROOT/scripts/env.sh"
  "$PG" destroy "$RUN_DIR" users >/dev/null 2>&1 || true
  "$PG" destroy "$RUN_DIR" destinations >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
  trap teardown_databases EXIT
  PG_FAST=1 ecomovex_databases_up || return 1
  ecomovex_secrets
  export INTERNAL_TOKEN
  # Each database is migrated by its own daemon's `migrate --seed` (skipped when that
  # binary is not built, for a suite run with SERVICES naming one side only).
  if [ -x "$ROOT/$BUILD/user-service" ]; then
    MIGRATIONS_DIR="$ROOT/migrations/users" "$ROOT/$BUILD/user-service" migrate --seed >/dev/null || return 1
  fi
  if [ -x "$ROOT/$BUILD/destination-service" ]; then
    MIGRATIONS_DIR="$ROOT/migrations/destinations" "$ROOT/$BUILD/destination-service" migrate --seed >/dev/null || return 1
  fi
  DB_UP=1
}

teardown_databases() {
  "$PG" destroy "$TEST_RUN_DIR" users >/dev/null 2>&1 || true
  "$PG" destroy "$TEST_RUN_DIR" destinations >/dev/null 2>&1 || true
}

run_suite() {
  local suite=$1 out
  if ! setup_databases; then
    echo "$suite: could not set up the databases"; record "$suite" 0 1; return
  fi
  out=$(mktemp)
  python3 "$ROOT/tests/lib/runner.py" "$ROOT/tests/$suite" "${TEST_FILTER:-}" 2>&1 | tee "$out"
  local line passed failed
  line=$(grep -E "^$suite: [0-9]+ passed, [0-9]+ failed" "$out" | tail -1)
  passed=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
  failed=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
  [ -n "$line" ] || { passed=0; failed=1; echo "$suite: the runner did not finish"; }
  rm -f "$out"
  record "$suite" "${passed:-0}" "${failed:-1}"
}

[ $# -gt 0 ] || set -- unit integration fault
for stage in "$@"; do
  case $stage in
    unit) run_unit ;;
    integration|fault) run_suite "$stage" ;;
    *) echo "tests/run.sh: unknown stage $stage" >&2; exit 2 ;;
  esac
done
exit $status
