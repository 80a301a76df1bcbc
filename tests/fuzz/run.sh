#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS TARGET... — runs each libFuzzer target for SECONDS over its corpus.
#   FUZZ_BUILD   where the targets are (default build-fuzz; `make fuzz-bins` builds them)
#   FUZZ_FRESH=1 start each from a scratch corpus seeded by tests/fuzz/corpus/<target> only
#                (make fuzz-smoke); otherwise $FUZZ_BUILD/corpus/<target> keeps what earlier
#                runs found and grows (make fuzz)
#   FUZZ_LABEL   name in the summary line and in $RESULTS (default fuzz)
#   RESULTS      when set, "<label> <passed> <failed>" is appended to it (as tests/run.sh does)
# The committed seeds are only read, never written. A target passes when libFuzzer exits 0;
# a crash leaves its input in $FUZZ_BUILD/artifacts/<target>/ — fix the bug, then copy the
# input into tests/fuzz/corpus/<target>/ as a regression seed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
LABEL=${FUZZ_LABEL:-fuzz}
[ $# -ge 2 ] || { echo "usage: $0 SECONDS TARGET..." >&2; exit 2; }
seconds=$1
shift
out="$ROOT/$FUZZ_BUILD"
passed=0 failed=0

for t in "$@"; do
  bin="$out/fuzz/fuzz_$t" seeds="$ROOT/tests/fuzz/corpus/$t" log="$out/logs/$t.log"
  work="$out/corpus/$t" art="$out/artifacts/$t"
  [ "${FUZZ_FRESH:-0}" = 1 ] && work="$out/smoke-corpus/$t" && rm -rf "$work"
  mkdir -p "$work" "$art" "$out/logs"
  case $t in # longest input worth trying: past each parser's own limit
    json) max_len=70000 ;;  # JSON_BODY_MAX is 64 KiB
    ids) max_len=24000 ;;   # IDS_TEXT_MAX is 20000
    multipart) max_len=16384 ;;
    *) max_len=4096 ;;
  esac
  dict=()
  [ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
  if [ ! -x "$bin" ]; then
    echo "fuzz_$t: FAIL, $bin is not built"
    failed=$((failed + 1))
    continue
  fi
  # -timeout: an input taking longer is a hang (a finding); -rss_limit_mb: so is a memory blow-up.
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=$max_len -print_final_stats=1 \
    -artifact_prefix="$art/" "${dict[@]}" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    echo "fuzz_$t: ok, ${execs:-?} executions in ${seconds} s, $(find "$work" -type f | wc -l) inputs in corpus  [${done_line:-}]"
  else
    failed=$((failed + 1))
    echo "fuzz_$t: FAIL (libFuzzer exited $rc); log $log, crash input(s):"
    find "$art" -type f | sed "s|^|  |"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant broken|.*runtime error)' "$log" | head -5
  fi
done
echo "$LABEL: $passed passed, $failed failed"
[ -n "${RESULTS:-}" ] && echo "$LABEL $passed $failed" >>"$RESULTS"
[ $failed -eq 0 ]
