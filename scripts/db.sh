#!/usr/bin/env bash
# Database chores: scripts/db.sh ACTION WHICH [RUN_DIR]
#   ACTION: init (create if missing, migrate, load demo data) | reset (drop, then init) | drop
#   WHICH:  users | destinations | all
# Without USER_DB_URL / DEST_DB_URL the private clusters under RUN_DIR (default "run") are
# used, each database with its owner and runtime roles (deploy/postgres/roles.sql); with
# them, those servers are (there "drop" empties the public schema, since the database itself
# belongs to whoever gave us the URL). Migrations run as USER_DB_MIGRATE_URL /
# DEST_DB_MIGRATE_URL when given (the owner role), else as the daemon's URL.
set -euo pipefail
ACTION=${1:?usage: db.sh init|reset|drop users|destinations|all [RUN_DIR]}
WHICH=${2:?usage: db.sh init|reset|drop users|destinations|all [RUN_DIR]}
RUN_DIR=${3:-run}
BUILD=${BUILD:-build}
. "$(dirname "$0")/env.sh"

bin_of() { [ "$1" = users ] && echo "$ECOMOVEX_ROOT/$BUILD/user-service" || echo "$ECOMOVEX_ROOT/$BUILD/destination-service"; }
dbname_of() { [ "$1" = users ] && echo "$USERS_DB_NAME" || echo "$DEST_DB_NAME"; }
local_of() { [ "$1" = users ] && echo "$USERS_LOCAL" || echo "$DEST_LOCAL"; }
url_of() { [ "$1" = users ] && echo "${USER_DB_MIGRATE_URL:-${USER_DB_URL:-}}" || echo "${DEST_DB_MIGRATE_URL:-${DEST_DB_URL:-}}"; }
admin_url_of() { [ "$1" = users ] && echo "${USER_DB_ADMIN_URL:-$(url_of users)}" || echo "${DEST_DB_ADMIN_URL:-$(url_of destinations)}"; }
migrations_of() { [ "$1" = users ] && echo "$ECOMOVEX_ROOT/migrations/users" || echo "$ECOMOVEX_ROOT/migrations/destinations"; }

init_one() {
  local db=$1 url
  if [ "$(local_of "$db")" = 1 ]; then
    if [ "$db" = users ]; then
      ecomovex_database_up users "$USERS_DB_NAME"
    else
      # shellcheck disable=SC2086  # a list of names
      ecomovex_database_up destinations "$DEST_DB_NAME" $DEST_DB_EXTENSIONS
    fi
    url=$("$PG" conninfo "$RUN_DIR" "$db" "$(dbname_of "$db")" "${db}_owner")
  else
    url=$(url_of "$db")
  fi
  if [ "$db" = users ]; then
    USER_DB_MIGRATE_URL=$url MIGRATIONS_DIR=$(migrations_of "$db") "$(bin_of "$db")" migrate --seed
  else
    DEST_DB_MIGRATE_URL=$url MIGRATIONS_DIR=$(migrations_of "$db") "$(bin_of "$db")" migrate --seed
  fi
}

drop_one() {
  local db=$1
  if [ "$(local_of "$db")" = 1 ]; then
    if "$PG" status "$RUN_DIR" "$db"; then
      "$PG" dropdb "$RUN_DIR" "$db" "$(dbname_of "$db")"
    fi
  else
    psql -X -q -v ON_ERROR_STOP=1 "$(admin_url_of "$db")" -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public'
  fi
  echo "db: dropped $db"
}

case $WHICH in
  all) targets="users destinations" ;;
  users|destinations) targets=$WHICH ;;
  *) echo "db.sh: WHICH must be users, destinations or all" >&2; exit 2 ;;
esac
for t in $targets; do
  case $ACTION in
    init) init_one "$t" ;;
    drop) drop_one "$t" ;;
    reset) drop_one "$t"; init_one "$t" ;;
    *) echo "db.sh: ACTION must be init, reset or drop" >&2; exit 2 ;;
  esac
done
