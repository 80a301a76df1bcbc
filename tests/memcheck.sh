#!/usr/bin/env bash
# tests/memcheck.sh (make memcheck): the integration suite with both daemons under valgrind memcheck.
#   BUILD            binaries to check (default build: the normal -O2 -g build)
#   MEMCHECK_FILTER  the integration tests to run: space-separated runner.py name filters, each
#                    run with its own clusters and daemons (default: the reduced set below;
#                    MEMCHECK_FILTER=test_ runs the whole suite, ~4 minutes)
#   RESULTS          when set, "memcheck <passed> <failed>" is appended to it
# Fails on any test failure, any daemon exiting non-zero (valgrind exits 99 on an error:
# --error-exitcode), and on any "Invalid read/write", "definitely lost" or other memcheck
# error found in the valgrind logs — a daemon a test stopped midway has its exit code
# checked by no one, so the logs are what counts. "still reachable" and "possibly lost"
# (libcurl, libpq, libsodium and OpenSSL keep global state until exit) are not errors.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-build}
VG_DIR="$ROOT/run/memcheck/valgrind"
OUT_RESULTS=${RESULTS:-}
rm -rf "$ROOT/run/memcheck"
mkdir -p "$VG_DIR"

# Daemons under valgrind run 20-50x slower: two workers, longer readiness/stop timeouts
# (harness.py multiplies them when DAEMON_WRAPPER is set).
export DAEMON_WRAPPER="valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
--show-leak-kinds=definite --error-exitcode=99 --track-origins=no --num-callers=30 \
--log-file=$VG_DIR/%p.log"
export TEST_WORKERS=2
export TEST_RUN_DIR="$ROOT/run/memcheck/cluster"
export RESULTS="$ROOT/run/memcheck/results.txt"
: >"$RESULTS"
# The reduced set (the whole suite takes ~4 minutes under valgrind, beyond make test's budget):
# health, config and shutdown; accounts and tokens; reviews and plans; destinations; media; and
# the bad-input sweep, which drives every route's error paths.
FILTERS=${MEMCHECK_FILTER:-test_foundation test_accounts test_reviews_plans test_destinations test_media test_bad_input}

start=$(date +%s)
for filter in $FILTERS; do
  echo "== memcheck: integration tests matching '$filter', both daemons under valgrind"
  TEST_FILTER=$filter "$ROOT/tests/run.sh" integration
done
passed=$(awk '{ p += $2 } END { print p + 0 }' "$RESULTS")
failed=$(awk '{ f += $3 } END { print f + 0 }' "$RESULTS")
if [ "$(wc -l <"$RESULTS")" -ne "$(wc -w <<<"$FILTERS")" ] || [ "$passed" -eq 0 ]; then
  echo "memcheck: FAIL, a run did not finish or no test matched '$FILTERS'"
  failed=$((failed + 1))
fi

# Every daemon process left a log; each must be clean.
logs=("$VG_DIR"/*.log)
bad=0
if [ ! -e "${logs[0]}" ]; then
  echo "memcheck: FAIL, no valgrind log was written (did the daemons run under valgrind?)"
  bad=1
else
  for f in "${logs[@]}"; do
    if grep -qE 'Invalid (read|write|free)|definitely lost: [1-9]|ERROR SUMMARY: [1-9]' "$f"; then
      bad=$((bad + 1))
      echo "memcheck: FAIL in $f ($(sed -n 's/.*Command: //p' "$f" | head -1)):"
      grep -E 'Invalid|definitely lost|ERROR SUMMARY|^==[0-9]+== +(at|by) ' "$f" | head -40
    fi
  done
  echo "memcheck: ${#logs[@]} daemon processes checked, $bad with errors (logs in $VG_DIR)"
fi
failed=$((failed + bad))
echo "memcheck: $passed passed, $failed failed ($(($(date +%s) - start)) s)"
[ -n "$OUT_RESULTS" ] && echo "memcheck $passed $failed" >>"$OUT_RESULTS"
[ "$failed" -eq 0 ]
