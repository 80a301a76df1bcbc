#!/usr/bin/env bash
# make lint (also a stage of make test): the style and structure the build enforces.
#   1. clang-format --dry-run: every C file is formatted as .clang-format says
#   2. cppcheck: warnings, performance and portability
#   3. clang-tidy with the checks .clang-tidy keeps
#   4. scripts/lint-layers.py: no include circle, libpq only in stores, area arrows one way
# Prints one line per stage and "lint: N of 4 stages failed"; exits non-zero on any failure.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PKGS="libevent libpq libcjson libcurl libsodium"
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
USER_INC="-Iuser-service"
for d in user-service/*/; do USER_INC="$USER_INC -I${d%/}"; done
DEST_INC="-Idestination-service"
for d in destination-service/*/; do DEST_INC="$DEST_INC -I${d%/}"; done
mapfile -t C_FILES < <(git ls-files '*.c' '*.h')
mapfile -t COMMON < <(git ls-files 'common/*.c')
mapfile -t USER < <(git ls-files 'user-service/*.c')
mapfile -t DEST < <(git ls-files 'destination-service/*.c')
failed=0

stage() { # name command...
  local name=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "lint: $name ok"
  else
    echo "$out" | tail -40
    echo "lint: $name FAILED"
    failed=$((failed + 1))
  fi
}

tidy() {
  clang-tidy --quiet "${COMMON[@]}" "${DEST[@]}" -- -std=c11 -D_GNU_SOURCE -Icommon $DEST_INC \
    $PKG_CFLAGS &&
    clang-tidy --quiet "${USER[@]}" -- -std=c11 -D_GNU_SOURCE -Icommon $USER_INC $PKG_CFLAGS
}

stage clang-format clang-format --dry-run -Werror "${C_FILES[@]}"
stage cppcheck cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
  --suppress=missingIncludeSystem -D_GNU_SOURCE -Icommon $DEST_INC $USER_INC \
  "${COMMON[@]}" "${USER[@]}" "${DEST[@]}"
stage clang-tidy tidy
stage layers python3 scripts/lint-layers.py
echo "lint: $failed of 4 stages failed"
[ $failed -eq 0 ]
