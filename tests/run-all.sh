#!/usr/bin/env bash
# `make test`: every suite on the normal build, a short run of every fuzz target, the integration
# suite (a reduced set) under valgrind memcheck, then every suite again on the ASan+UBSan build.
# Keeps going after a failure so the summary counts everything; exits non-zero if anything failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export RESULTS="$ROOT/run/test-results.txt"
mkdir -p "$ROOT/run"
: >"$RESULTS"
start=$(date +%s)
stage() { echo "== $1 ($(($(date +%s) - start)) s in)"; }

# The sanitizer and fuzz builds and the lint are CPU work the first suites, which mostly wait
# on sockets and the databases, leave idle: run them meanwhile, at low priority, logs kept apart.
prebuild="$ROOT/run/prebuild"
mkdir -p "$prebuild" && rm -f "$prebuild"/*.rc
(
  nice -n 15 make -C "$ROOT" -s BUILD=build-asan SANITIZE=1 bins unit-bins >"$prebuild/asan.log" 2>&1
  echo $? >"$prebuild/asan.rc"
  nice -n 15 make -C "$ROOT" -s fuzz-bins >"$prebuild/fuzz.log" 2>&1
  echo $? >"$prebuild/fuzz.rc"
  nice -n 15 "$ROOT/scripts/lint.sh" >"$prebuild/lint.log" 2>&1
  echo $? >"$prebuild/lint.rc"
) &
prebuild_pid=$!
built() { # built NAME: 0 when the background build NAME succeeded (its log shown if not)
  wait "$prebuild_pid" 2>/dev/null
  [ "$(cat "$prebuild/$1.rc" 2>/dev/null)" = 0 ] && return 0
  cat "$prebuild/$1.log"
  return 1
}

BUILD=build "$ROOT/tests/run.sh" unit integration fault
stage "lint (clang-format check, cppcheck, clang-tidy, include layers)"
if built lint; then cat "$prebuild/lint.log"; echo "lint 1 0" >>"$RESULTS"; else echo "lint 0 1" >>"$RESULTS"; fi
stage "docs and deployment files (OpenAPI lint, compose and Kubernetes schemas)"
"$ROOT/tests/check-docs.sh"
stage "fuzz smoke (libFuzzer + ASan + UBSan, each target a few seconds from its seed corpus)"
if built fuzz; then
  make -C "$ROOT" -s fuzz-smoke
else
  echo "fuzz-smoke 0 1" >>"$RESULTS"
fi
stage "memcheck (integration tests, a reduced set, with both daemons under valgrind)"
lines=$(wc -l <"$RESULTS")
make -C "$ROOT" -s memcheck
[ "$(wc -l <"$RESULTS")" -gt "$lines" ] || echo "memcheck 0 1" >>"$RESULTS"
stage "sanitizer build (clang, ASan + UBSan)"
if built asan; then
  BUILD=build-asan FAULT_LATENCY_SCALE=4 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$ROOT/tests/run.sh" unit integration fault
else
  echo "sanitize 0 1" >>"$RESULTS"
fi

echo "== summary ($(($(date +%s) - start)) s)"
awk '{ printf "  %-12s %4d passed, %d failed\n", $1, $2, $3; p += $2; f += $3 }
     END { printf "%d passed, %d failed\n", p, f; exit (f > 0) }' "$RESULTS"
