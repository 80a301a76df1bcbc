#!/usr/bin/env bash
# `make run`: private PostgreSQL (unless USER_DB_URL / DEST_DB_URL are given), both
# databases created, migrated and seeded, then both daemons in the foreground.
# Ctrl-C stops the daemons and the private PostgreSQL.
set -euo pipefail
RUN_DIR=${1:-run}
BUILD=${BUILD:-build}
. "$(dirname "$0")/env.sh"
ecomovex_secrets

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "run: stopping"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ecomovex_databases_down
}
trap cleanup INT TERM EXIT

ecomovex_databases_up
"$ECOMOVEX_ROOT/scripts/db.sh" init all "$RUN_DIR"

export USER_SERVICE_ADDR=${USER_SERVICE_ADDR:-127.0.0.1:8081}
export DEST_SERVICE_ADDR=${DEST_SERVICE_ADDR:-127.0.0.1:8082}
export DESTINATION_SERVICE_URL=${DESTINATION_SERVICE_URL:-http://$DEST_SERVICE_ADDR}
export USER_SERVICE_URL=${USER_SERVICE_URL:-http://$USER_SERVICE_ADDR}
export MEDIA_DIR=${MEDIA_DIR:-$RUN_DIR/media}
mkdir -p "$MEDIA_DIR"

ecomovex_verifier_env "$ECOMOVEX_ROOT/$BUILD/destination-service" serve & pids+=($!)
"$ECOMOVEX_ROOT/$BUILD/user-service" serve & pids+=($!)

for url in "http://$DEST_SERVICE_ADDR/readyz" "http://$USER_SERVICE_ADDR/readyz"; do
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && break
    sleep 0.1
  done
done
echo "run: destination-service on http://$DEST_SERVICE_ADDR, user-service on http://$USER_SERVICE_ADDR (Ctrl-C stops everything)" >&2
wait -n "${pids[@]}" || true
