# Sourced by the run and db scripts: where the databases are and the secrets to use.
#   RUN_DIR must be set. Exports USER_DB_URL / DEST_DB_URL (a private cluster when unset),
#   and for a private cluster also USER_DB_MIGRATE_URL / DEST_DB_MIGRATE_URL (its owner role,
#   which `migrate` uses) and USER_DB_ADMIN_URL / DEST_DB_ADMIN_URL (its superuser, for the
#   tests and scripts/db.sh only): the daemons serve as the runtime role, DML only,
#   exactly as in compose and Kubernetes (deploy/postgres/roles.sql).
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

# The extensions of the destinations database that its owner may not create (not trusted).
DEST_DB_EXTENSIONS="cube earthdistance"

# Creates (if needed) and starts one private cluster, its database and its two roles.
ecomovex_database_up() {
  local name=$1 db=$2
  shift 2
  "$PG" start "$RUN_DIR" "$name" >/dev/null
  "$PG" createdb "$RUN_DIR" "$name" "$db" >/dev/null
  "$PG" roles "$RUN_DIR" "$name" "$db" "$@" >/dev/null
}

# Starts the private clusters that are needed and exports the URLs.
ecomovex_databases_up() {
  if [ "$USERS_LOCAL" = 1 ]; then
    ecomovex_database_up users "$USERS_DB_NAME"
    USER_DB_URL=$("$PG" conninfo "$RUN_DIR" users "$USERS_DB_NAME" users_app)
    USER_DB_MIGRATE_URL=$("$PG" conninfo "$RUN_DIR" users "$USERS_DB_NAME" users_owner)
    USER_DB_ADMIN_URL=$("$PG" conninfo "$RUN_DIR" users "$USERS_DB_NAME")
    export USER_DB_MIGRATE_URL USER_DB_ADMIN_URL
  fi
  if [ "$DEST_LOCAL" = 1 ]; then
    # shellcheck disable=SC2086  # a list of names
    ecomovex_database_up destinations "$DEST_DB_NAME" $DEST_DB_EXTENSIONS
    DEST_DB_URL=$("$PG" conninfo "$RUN_DIR" destinations "$DEST_DB_NAME" destinations_app)
    DEST_DB_MIGRATE_URL=$("$PG" conninfo "$RUN_DIR" destinations "$DEST_DB_NAME" destinations_owner)
    DEST_DB_ADMIN_URL=$("$PG" conninfo "$RUN_DIR" destinations "$DEST_DB_NAME")
    export DEST_DB_MIGRATE_URL DEST_DB_ADMIN_URL
  fi
  export USER_DB_URL DEST_DB_URL
}

ecomovex_databases_down() {
  [ "$USERS_LOCAL" = 1 ] && "$PG" stop "$RUN_DIR" users >/dev/null 2>&1 || true
  [ "$DEST_LOCAL" = 1 ] && "$PG" stop "$RUN_DIR" destinations >/dev/null 2>&1 || true
}
