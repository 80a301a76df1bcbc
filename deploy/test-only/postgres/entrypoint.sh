#!/bin/sh
# TEST-ONLY postgres:15 stand-in: initialise PGDATA on first start from POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB as the official image does, then run the server in the
# foreground on 0.0.0.0:5432 with scram-sha-256 password authentication for TCP clients.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --no-instructions -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # The database is made by a server on a private socket only, so that neither clients nor
    # pg_isready (the health check) see it before the real server is up.
    sock=$(mktemp -d)
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$sock" start >/dev/null
    createdb --host="$sock" --username="$user" "$db"
    pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
  fi
  echo "test-only-postgres: initialised $PGDATA: role $user, database $db"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql
