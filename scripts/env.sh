# Sourced by the run and db scripts: where the databases are and the secrets to use.
#   RUN_DIR must be set. Exports USER_DB_URL / DEST_DB_URL (a private cluster when unset),
#   JWT_SECRET and INTERNAL_TOKEN (generated once into $RUN_DIR/secrets.env when unset).
# shellcheck shell=bash

ECOMOVEX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG="$ECOMOVEX_ROOT/scripts/pg.sh"
USERS_DB_NAME=${USERS_DB_NAME:-ecomovex_users}
DEST_DB_NAME=${DEST_DB_NAME:-ecomovex_destinations}

# 1 when this database is the private cluster under $RUN_DIR (its URL was not given).
USERS_LOCAL=0
DEST_LOCAL=0
[ -n "${USER_DB_URL:-}" ] || USERS_LOCAL=1
[ -n "${DEST_DB_URL:-}" ] || DEST_LOCAL=1

ecomovex_secrets() {
  local f="$RUN_DIR/secrets.env"
  mkdir -p "$RUN_DIR"
  if [ ! -f "$f" ]; then
    (umask 077; {
      echo "JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n=+/')"
      echo "INTERNAL_TOKEN=$(head -c 32 /dev/urandom | base64 | tr -d '\n=+/')"
    } >"$f")
  fi
  # shellcheck disable=SC1090
  . "$f"
  export JWT_SECRET="${JWT_SECRET_OVERRIDE:-$JWT_SECRET}" INTERNAL_TOKEN="${INTERNAL_TOKEN_OVERRIDE:-$INTERNAL_TOKEN}"
}

# Starts the private clusters that are needed and exports both URLs.
ecomovex_databases_up() {
  if [ "$USERS_LOCAL" = 1 ]; then
    "$PG" start "$RUN_DIR" users >/dev/null
    "$PG" createdb "$RUN_DIR" users "$USERS_DB_NAME" >/dev/null
    USER_DB_URL=$("$PG" conninfo "$RUN_DIR" users "$USERS_DB_NAME")
  fi
  if [ "$DEST_LOCAL" = 1 ]; then
    "$PG" start "$RUN_DIR" destinations >/dev/null
    "$PG" createdb "$RUN_DIR" destinations "$DEST_DB_NAME" >/dev/null
    DEST_DB_URL=$("$PG" conninfo "$RUN_DIR" destinations "$DEST_DB_NAME")
  fi
  export USER_DB_URL DEST_DB_URL
}

ecomovex_databases_down() {
  [ "$USERS_LOCAL" = 1 ] && "$PG" stop "$RUN_DIR" users >/dev/null 2>&1 || true
  [ "$DEST_LOCAL" = 1 ] && "$PG" stop "$RUN_DIR" destinations >/dev/null 2>&1 || true
}
