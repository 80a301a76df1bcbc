# Sourced by the run and db scripts: where the databases are and the secrets to use.
#   RUN_DIR must be set. Exports USER_DB_URL / DEST_DB_URL (a private cluster when unset),
#   and for a private cluster also USER_DB_MIGRATE_URL / DEST_DB_MIGRATE_URL (its owner role,
#   which `migrate` uses) and USER_DB_ADMIN_URL / DEST_DB_ADMIN_URL (its superuser, for the
#   tests and scripts/db.sh only): the daemons serve as the runtime role, DML only,
#   exactly as in compose and Kubernetes (deploy/postgres/roles.sql).
#   The token keys (JWT_SIGNING_KID / JWT_SIGNING_KEY, user-service's Ed25519 private key, and
#   JWT_VERIFY_KEYS, the public key every service verifies with) and INTERNAL_TOKEN, generated
#   once into $RUN_DIR/secrets.env. Start destination-service through ecomovex_verifier_env:
#   it refuses the signing key.
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

# Prints "KID KEY PUBLIC": a new Ed25519 key pair, base64url, as `user-service keygen` does
# (a PKCS#8 / SPKI DER file ends with the 32-byte seed / public key).
ecomovex_keypair() {
  local kid=$1 der
  der=$(mktemp)
  openssl genpkey -algorithm ed25519 -outform DER -out "$der" 2>/dev/null || { rm -f "$der"; return 1; }
  printf '%s %s %s\n' "$kid" \
    "$(tail -c 32 "$der" | base64 | tr '+/' '-_' | tr -d '=\n')" \
    "$(openssl pkey -inform DER -in "$der" -pubout -outform DER | tail -c 32 | base64 | tr '+/' '-_' | tr -d '=\n')"
  rm -f "$der"
}

ecomovex_secrets() {
  local f="$RUN_DIR/secrets.env" kid key pub
  mkdir -p "$RUN_DIR"
  # a secrets.env from before the Ed25519 keys (it held JWT_SECRET) is made again
  if [ ! -f "$f" ] || ! grep -q '^JWT_SIGNING_KEY=' "$f"; then
    read -r kid key pub < <(ecomovex_keypair "k$(date +%Y%m%d)")
    [ -n "$pub" ] || { echo "env.sh: could not make a key pair (openssl genpkey ed25519)" >&2; return 1; }
    (umask 077; {
      echo "JWT_SIGNING_KID=$kid"
      echo "JWT_SIGNING_KEY=$key"
      echo "JWT_VERIFY_KEYS=$kid:$pub"
      echo "INTERNAL_TOKEN=$(head -c 32 /dev/urandom | base64 | tr -d '\n=+/')"
    } >"$f")
  fi
  # shellcheck disable=SC1090
  . "$f"
  unset JWT_SECRET
  export JWT_SIGNING_KID JWT_SIGNING_KEY JWT_VERIFY_KEYS
  export INTERNAL_TOKEN="${INTERNAL_TOKEN_OVERRIDE:-$INTERNAL_TOKEN}"
}

# Runs "$@" without the signing key: for destination-service, which only verifies.
ecomovex_verifier_env() {
  env -u JWT_SIGNING_KEY -u JWT_SIGNING_KID "$@"
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
