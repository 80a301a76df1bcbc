#!/usr/bin/env bash
# Private PostgreSQL clusters for EcomoveX services.
#
# Usage: scripts/pg.sh COMMAND RUNDIR NAME [DBNAME] [psql args...]
#
#   start    RUNDIR NAME          create the cluster if needed, start it (idempotent)
#   stop     RUNDIR NAME          stop it if running (ok if not running / not created)
#   status   RUNDIR NAME          exit 0 if running, 1 otherwise
#   conninfo RUNDIR NAME DBNAME [ROLE]   print a libpq connection string (as ROLE;
#                                 default the superuser "postgres")
#   createdb RUNDIR NAME DBNAME   create the database if it does not exist
#   roles    RUNDIR NAME DBNAME [EXTENSION...]   give the database its two roles,
#                                 NAME_owner (owns it, runs the migrations) and NAME_app
#                                 (DML only, what the daemon serves with), and create the
#                                 extensions only a superuser may (deploy/postgres/roles.sql)
#   dropdb   RUNDIR NAME DBNAME   drop the database if it exists (WITH (FORCE))
#   destroy  RUNDIR NAME          stop and delete the cluster
#   psql     RUNDIR NAME DBNAME [args...]   exec psql connected to the database
#
# RUNDIR is a directory (absolute or relative, e.g. "run" or "run/test");
# NAME is the instance name (e.g. "users" or "destinations").
#
# Layout when not root: the cluster lives in RUNDIR/pg/NAME
#   (data dir RUNDIR/pg/NAME/data, socket dir RUNDIR/pg/NAME,
#    log RUNDIR/pg/NAME/postgres.log).
# When root (PostgreSQL refuses to run as root), or when that socket path
# would be too long, the cluster lives in a fresh /tmp/ecomovex-pg.XXXXXX
# directory (owned by the postgres system user when root) whose path is
# recorded in RUNDIR/pg/NAME.path.  Server programs (initdb, pg_ctl) then run
# as the postgres user; client programs (psql) run as the caller and connect
# as database user "postgres" over the trust-authenticated unix socket.
#
# Environment: PGBIN   directory of the PostgreSQL binaries
#                      (default: newest /usr/lib/postgresql/*/bin)
#              PG_FAST=1   start the server with synchronous_commit=off
#              PG_SHARED_BUFFERS=SIZE   start it with that shared_buffers (e.g. 1GB;
#                          default: 128MB, the setting written at initdb)
set -euo pipefail

PROG=${0##*/}
PG_PORT=5432
PG_SUPERUSER=postgres
TMP_PREFIX=/tmp/ecomovex-pg.
# sun_path is 108 bytes; stay well below it.
MAX_SOCKET_PATH=99

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

info() {
  echo "$PROG: $*" >&2
}

usage() {
  cat >&2 <<EOF
usage: $PROG start    RUNDIR NAME
       $PROG stop     RUNDIR NAME
       $PROG status   RUNDIR NAME
       $PROG conninfo RUNDIR NAME DBNAME [ROLE]
       $PROG createdb RUNDIR NAME DBNAME
       $PROG roles    RUNDIR NAME DBNAME [EXTENSION...]
       $PROG dropdb   RUNDIR NAME DBNAME
       $PROG destroy  RUNDIR NAME
       $PROG psql     RUNDIR NAME DBNAME [psql args...]
EOF
}

# ---------------------------------------------------------------- arguments

if [[ $# -ge 1 && ( "$1" == "-h" || "$1" == "--help" || "$1" == "help" ) ]]; then
  usage
  exit 0
fi
if [[ $# -lt 3 ]]; then
  usage
  exit 2
fi

CMD=$1
RUNDIR_ARG=$2
NAME=$3
shift 3
DBNAME=""
ROLE=$PG_SUPERUSER
EXTENSIONS=""

case "$CMD" in
  start|stop|status|destroy)
    if [[ $# -ne 0 ]]; then usage; exit 2; fi
    ;;
  createdb|dropdb)
    if [[ $# -ne 1 ]]; then usage; exit 2; fi
    DBNAME=$1
    shift
    ;;
  conninfo)
    if [[ $# -lt 1 || $# -gt 2 ]]; then usage; exit 2; fi
    DBNAME=$1
    ROLE=${2:-$PG_SUPERUSER}
    shift $#
    [[ "$ROLE" =~ ^[A-Za-z0-9_]+$ ]] || die "invalid role name '$ROLE'"
    ;;
  roles)
    if [[ $# -lt 1 ]]; then usage; exit 2; fi
    DBNAME=$1
    shift
    for e in "$@"; do
      [[ "$e" =~ ^[a-z_][a-z0-9_]*$ ]] || die "invalid extension name '$e'"
    done
    EXTENSIONS="$*"
    shift $#
    ;;
  psql)
    if [[ $# -lt 1 ]]; then usage; exit 2; fi
    DBNAME=$1
    shift
    ;;
  *)
    usage
    die "unknown command '$CMD'"
    ;;
esac

[[ -n "$RUNDIR_ARG" ]] || die "RUNDIR must not be empty"
[[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] ||
  die "invalid instance name '$NAME' (expected e.g. 'users' or 'destinations')"
if [[ -n "$DBNAME" || "$CMD" == conninfo || "$CMD" == createdb ||
      "$CMD" == dropdb || "$CMD" == psql || "$CMD" == roles ]]; then
  [[ -n "$DBNAME" ]] || die "DBNAME must not be empty"
fi

# ---------------------------------------------------------------- binaries

if [[ -z "${PGBIN:-}" ]]; then
  # shellcheck disable=SC2012  # paths are fixed and simple
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
[[ -n "${PGBIN:-}" ]] ||
  die "no PostgreSQL binaries found under /usr/lib/postgresql/*/bin (install postgresql or set PGBIN)"
for prog in initdb pg_ctl psql; do
  [[ -x "$PGBIN/$prog" ]] || die "$PGBIN/$prog not found or not executable (set PGBIN)"
done

# Never let the caller's environment redirect us to another server.
unset PGHOST PGHOSTADDR PGPORT PGSERVICE PGSERVICEFILE PGDATA PGUSER PGDATABASE

IS_ROOT=0
if [[ "$(id -u)" -eq 0 ]]; then
  IS_ROOT=1
  id -u "$PG_SUPERUSER" >/dev/null 2>&1 ||
    die "running as root but there is no '$PG_SUPERUSER' system user to run PostgreSQL as"
  command -v runuser >/dev/null 2>&1 || die "running as root but 'runuser' is not available"
  OWNER=$PG_SUPERUSER
else
  OWNER=$(id -un)
fi

# Run a server-side program (initdb, pg_ctl): as the postgres user when root.
# Runs from / so an untraversable current directory does not matter.
server_run() {
  if [[ $IS_ROOT -eq 1 ]]; then
    (cd / && runuser -u "$PG_SUPERUSER" -- "$@")
  else
    (cd / && "$@")
  fi
}

# ---------------------------------------------------------------- locations

# Only `start` creates RUNDIR; the other commands just look into it.
if [[ "$CMD" == start ]]; then
  mkdir -p -- "$RUNDIR_ARG" || die "cannot create RUNDIR '$RUNDIR_ARG'"
fi
RUNDIR=$(realpath -m -- "$RUNDIR_ARG") || die "cannot resolve RUNDIR '$RUNDIR_ARG'"
PGROOT="$RUNDIR/pg"
PATHFILE="$PGROOT/$NAME.path"
LOCKFILE="$PGROOT/$NAME.lock"
DIRECT_BASE="$PGROOT/$NAME"

BASE=""        # directory holding data/, the socket and the log; "" = not created

# Validate a recorded /tmp location; prints nothing and returns 1 if it is gone.
check_recorded_base() {
  local dir=$1 owner
  [[ "$dir" =~ ^/tmp/ecomovex-pg\.[A-Za-z0-9]+$ ]] ||
    die "$PATHFILE does not contain a valid cluster location: '$dir'"
  if [[ ! -e "$dir" && ! -L "$dir" ]]; then
    return 1
  fi
  [[ -d "$dir" && ! -L "$dir" ]] || die "cluster location '$dir' is not a directory"
  owner=$(stat -c %U -- "$dir")
  if [[ "$owner" != "$OWNER" ]]; then
    if [[ $IS_ROOT -eq 0 && "$owner" == "$PG_SUPERUSER" ]]; then
      die "instance '$NAME' was created by root (cluster in $dir owned by $owner); run this as root"
    fi
    die "cluster location '$dir' is owned by '$owner', expected '$OWNER'"
  fi
  return 0
}

# Find an existing cluster location (sets BASE, or leaves it empty).
resolve_base() {
  local recorded
  BASE=""
  if [[ -f "$PATHFILE" ]]; then
    recorded=$(head -n 1 -- "$PATHFILE")
    if check_recorded_base "$recorded"; then
      BASE=$recorded
    fi
    return 0
  fi
  if [[ $IS_ROOT -eq 0 && -d "$DIRECT_BASE" ]]; then
    BASE=$DIRECT_BASE
  fi
  return 0
}

# Pick a location for a new cluster (sets BASE).
create_base() {
  local sock_path="$DIRECT_BASE/.s.PGSQL.$PG_PORT"
  mkdir -p -- "$PGROOT"
  if [[ $IS_ROOT -eq 0 && ${#sock_path} -le $MAX_SOCKET_PATH ]]; then
    mkdir -p -- "$DIRECT_BASE"
    chmod 700 -- "$DIRECT_BASE"
    rm -f -- "$PATHFILE"
    BASE=$DIRECT_BASE
    return 0
  fi
  if [[ $IS_ROOT -eq 0 ]]; then
    info "socket path '$sock_path' is too long; placing the cluster under /tmp"
  fi
  BASE=$(mktemp -d "${TMP_PREFIX}XXXXXX") || die "mktemp failed"
  if [[ $IS_ROOT -eq 1 ]]; then
    chown "$PG_SUPERUSER:" -- "$BASE" || die "cannot chown $BASE to $PG_SUPERUSER"
  fi
  chmod 700 -- "$BASE"
  printf '%s\n' "$BASE" >"$PATHFILE.tmp"
  mv -f -- "$PATHFILE.tmp" "$PATHFILE"
}

set_paths() {
  DATADIR="$BASE/data"
  SOCKDIR="$BASE"
  LOGFILE="$BASE/postgres.log"
}

is_created() {
  [[ -n "$BASE" && -f "$BASE/data/PG_VERSION" ]]
}

is_running() {
  local rc=0
  is_created || return 1
  server_run "$PGBIN/pg_ctl" -D "$DATADIR" status >/dev/null 2>&1 || rc=$?
  [[ $rc -eq 0 ]]
}

require_running() {
  is_created || die "instance '$NAME' in $RUNDIR is not created; run: $PROG start $RUNDIR_ARG $NAME"
  is_running || die "instance '$NAME' in $RUNDIR is not running; run: $PROG start $RUNDIR_ARG $NAME"
}

# Serialise start/stop/createdb/dropdb/destroy of one instance.  Without
# RUNDIR/pg there is nothing to protect (only `start` creates it).
take_lock() {
  if [[ "$CMD" == start ]]; then
    mkdir -p -- "$PGROOT"
  elif [[ ! -d "$PGROOT" ]]; then
    return 0
  fi
  exec 9>"$LOCKFILE" || die "cannot open lock file $LOCKFILE"
  flock -w 120 9 || die "timed out waiting for lock $LOCKFILE"
}

# Quote a libpq conninfo value if needed.
conn_quote() {
  local v=$1
  if [[ -z "$v" || "$v" =~ [[:space:]\'\\] ]]; then
    v=${v//\\/\\\\}
    v=${v//\'/\\\'}
    printf "'%s'" "$v"
  else
    printf '%s' "$v"
  fi
}

# Run psql (as the caller) against the instance; extra args passed through.
run_psql() {
  local db=$1
  shift
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKDIR" -p "$PG_PORT" \
    -U "$PG_SUPERUSER" -d "$db" "$@"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  take_lock
  resolve_base
  if [[ -z "$BASE" ]]; then
    create_base
  fi
  set_paths

  local sock_path="$SOCKDIR/.s.PGSQL.$PG_PORT"
  [[ ${#sock_path} -le $MAX_SOCKET_PATH ]] ||
    die "socket path '$sock_path' is too long (${#sock_path} > $MAX_SOCKET_PATH)"

  if ! is_created; then
    if [[ -d "$DATADIR" ]] && [[ -n "$(ls -A -- "$DATADIR")" ]]; then
      die "$DATADIR exists, is not empty and is not a PostgreSQL cluster; remove it or run: $PROG destroy $RUNDIR_ARG $NAME"
    fi
    local locale_opt=(--locale=C.UTF-8)
    if ! locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
      info "locale C.UTF-8 not available; using --no-locale"
      locale_opt=(--no-locale)
    fi
    info "creating cluster '$NAME' in $DATADIR"
    local initlog="$BASE/initdb.log"
    if ! server_run "$PGBIN/initdb" -D "$DATADIR" --auth=trust -U "$PG_SUPERUSER" \
        --encoding=UTF8 "${locale_opt[@]}" 9>&- >"$initlog" 2>&1; then
      if [[ "${locale_opt[0]}" != --no-locale ]] &&
         grep -qi 'locale' -- "$initlog"; then
        info "initdb with C.UTF-8 failed; retrying with --no-locale"
        server_run rm -rf -- "$DATADIR" 9>&-
        if ! server_run "$PGBIN/initdb" -D "$DATADIR" --auth=trust -U "$PG_SUPERUSER" \
            --encoding=UTF8 --no-locale 9>&- >"$initlog" 2>&1; then
          tail -n 20 -- "$initlog" >&2 || true
          die "initdb failed (log: $initlog)"
        fi
      else
        tail -n 20 -- "$initlog" >&2 || true
        die "initdb failed (log: $initlog)"
      fi
    fi
    local sockdir_q=${SOCKDIR//\'/\'\'}
    cat >>"$DATADIR/postgresql.conf" <<EOF

# ---- added by scripts/pg.sh (EcomoveX services, instance '$NAME') ----
listen_addresses = ''
unix_socket_directories = '$sockdir_q'
port = $PG_PORT
max_connections = 200
shared_buffers = 128MB
log_min_messages = warning
logging_collector = off
EOF
  fi

  if is_running; then
    info "instance '$NAME' already running (socket $SOCKDIR)"
    return 0
  fi

  local opts=()
  local flags=""
  if [[ "${PG_FAST:-0}" == 1 ]]; then
    flags+=" -c synchronous_commit=off"
  fi
  if [[ -n "${PG_SHARED_BUFFERS:-}" ]]; then
    [[ "$PG_SHARED_BUFFERS" =~ ^[1-9][0-9]*(kB|MB|GB)$ ]] ||
      die "PG_SHARED_BUFFERS must be a size such as 512MB or 1GB, not '$PG_SHARED_BUFFERS'"
    flags+=" -c shared_buffers=$PG_SHARED_BUFFERS"
  fi
  if [[ -n "$flags" ]]; then
    opts=(-o "${flags# }")
  fi
  # fd 9 (the lock) must not leak into the postmaster.
  if ! server_run "$PGBIN/pg_ctl" -D "$DATADIR" -w -t 30 -l "$LOGFILE" "${opts[@]}" start \
      9>&- >/dev/null 2>"$BASE/pg_ctl.err"; then
    echo "$PROG: error: failed to start instance '$NAME' (data $DATADIR)" >&2
    cat -- "$BASE/pg_ctl.err" >&2 2>/dev/null || true
    echo "---- last 20 lines of $LOGFILE ----" >&2
    tail -n 20 -- "$LOGFILE" >&2 2>/dev/null || echo "(no log)" >&2
    exit 1
  fi
  rm -f -- "$BASE/pg_ctl.err"
  info "instance '$NAME' started (socket $SOCKDIR, log $LOGFILE)"
}

cmd_stop() {
  take_lock
  resolve_base
  if [[ -z "$BASE" ]]; then
    info "instance '$NAME' not created; nothing to stop"
    return 0
  fi
  set_paths
  if ! is_running; then
    info "instance '$NAME' not running"
    return 0
  fi
  if ! server_run "$PGBIN/pg_ctl" -D "$DATADIR" -m fast -w -t 60 stop 9>&- >/dev/null; then
    die "failed to stop instance '$NAME' (data $DATADIR, log $LOGFILE)"
  fi
  info "instance '$NAME' stopped"
}

cmd_status() {
  resolve_base
  [[ -n "$BASE" ]] || exit 1
  set_paths
  if is_running; then
    exit 0
  fi
  exit 1
}

cmd_conninfo() {
  resolve_base
  [[ -n "$BASE" ]] ||
    die "instance '$NAME' in $RUNDIR is not created; run: $PROG start $RUNDIR_ARG $NAME"
  set_paths
  printf 'host=%s port=%s dbname=%s user=%s\n' \
    "$(conn_quote "$SOCKDIR")" "$PG_PORT" "$(conn_quote "$DBNAME")" "$ROLE"
}

db_exists() {
  local out
  out=$(run_psql postgres -tA -v db="$DBNAME" <<'SQL'
SELECT 1 FROM pg_database WHERE datname = :'db';
SQL
) || die "cannot query databases of instance '$NAME'"
  [[ "$out" == 1 ]]
}

cmd_createdb() {
  take_lock
  resolve_base
  if [[ -n "$BASE" ]]; then set_paths; fi
  require_running
  if db_exists; then
    return 0
  fi
  if ! run_psql postgres -v db="$DBNAME" <<'SQL'
CREATE DATABASE :"db";
SQL
  then
    db_exists || die "failed to create database '$DBNAME' in instance '$NAME'"
  fi
  info "database '$DBNAME' created in instance '$NAME'"
}

# The owner / runtime split of one database; the same SQL as compose's and the docs'.
# No passwords: the private cluster authenticates its socket with trust.
cmd_roles() {
  local sql
  sql="$(dirname -- "$(realpath -- "$0")")/../deploy/postgres/roles.sql"
  [[ -f "$sql" ]] || die "$sql not found"
  take_lock
  resolve_base
  if [[ -n "$BASE" ]]; then set_paths; fi
  require_running
  run_psql "$DBNAME" -v db="$DBNAME" -v owner="${NAME//-/_}_owner" -v app="${NAME//-/_}_app" \
    -v owner_password= -v app_password= -v extensions="$EXTENSIONS" -f "$sql" >/dev/null ||
    die "failed to set up the roles of database '$DBNAME' in instance '$NAME'"
}

cmd_dropdb() {
  case "$DBNAME" in
    postgres|template0|template1) die "refusing to drop system database '$DBNAME'" ;;
  esac
  take_lock
  resolve_base
  if [[ -n "$BASE" ]]; then set_paths; fi
  require_running
  run_psql postgres -v db="$DBNAME" <<'SQL' || die "failed to drop database '$DBNAME' in instance '$NAME'"
SET client_min_messages = warning;
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
SQL
}

cmd_destroy() {
  take_lock
  resolve_base
  if [[ -n "$BASE" ]]; then
    set_paths
    if is_running; then
      server_run "$PGBIN/pg_ctl" -D "$DATADIR" -m fast -w -t 60 stop 9>&- >/dev/null ||
        die "failed to stop instance '$NAME' (data $DATADIR); not deleting it"
    fi
    case "$BASE" in
      "$DIRECT_BASE"|"$TMP_PREFIX"?*) ;;
      *) die "refusing to delete unexpected location '$BASE'" ;;
    esac
    rm -rf -- "$BASE"
    info "instance '$NAME' destroyed ($BASE)"
  else
    info "instance '$NAME' not created; nothing to destroy"
  fi
  rm -f -- "$PATHFILE" "$LOCKFILE"
  # Leftover (e.g. a root-mode record whose /tmp dir vanished, or an empty dir).
  if [[ $IS_ROOT -eq 1 && -d "$DIRECT_BASE" ]]; then
    rmdir -- "$DIRECT_BASE" 2>/dev/null || true
  fi
  rmdir -- "$PGROOT" 2>/dev/null || true
}

cmd_psql() {
  resolve_base
  if [[ -n "$BASE" ]]; then set_paths; fi
  require_running
  exec "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -h "$SOCKDIR" -p "$PG_PORT" \
    -U "$PG_SUPERUSER" -d "$DBNAME" "$@"
}

case "$CMD" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  conninfo) cmd_conninfo ;;
  createdb) cmd_createdb ;;
  roles) cmd_roles ;;
  dropdb) cmd_dropdb ;;
  destroy) cmd_destroy ;;
  psql) cmd_psql "$@" ;;
esac
