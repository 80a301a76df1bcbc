#!/usr/bin/env bash
# tests/containers/run.sh — `make test-containers`: the images built from the committed
# Dockerfiles and run as deployed, with podman (as root). Parts, each ending with a summary line:
#   base     a Debian 12 base image: present, pulled, or made once (scripts/container-base.sh)
#   build    user-service, destination-service, gateway and the test-only PostgreSQL stand-in,
#            each from its digest-pinned base (the local base's digest); later runs reuse layers
#   image    what the images hold: no curl in the service images, libcurl in both (each calls
#            the other), HEALTHCHECK = the daemon's `healthcheck`, the OCI labels
#   run      each service image on its own: uid 10001, read-only root, `migrate --seed` as a
#            one-off container, serve, /healthz, /readyz, the image's own HEALTHCHECK
#   between  user-service's review creation calls destination-service in the other container;
#            with that container stopped (SIGTERM -> exit 0 within the grace period) user-only
#            routes answer 2xx and validated writes 503 fast; then user-service's SIGTERM too
#   compose  docker-compose.yml itself (+ deploy/compose.test-only.yml) through docker-compose
#            against podman's Docker-compatible API: register, log in, destination 1, a review,
#            /internal/ refused at the gateway, X-Forwarded-For trusted from the gateway only
#            (login_attempts keys), destination-service moved to another address and found by
#            the running gateway (GATEWAY_RESOLVER), `down -v` leaves nothing behind
# Ends with the images' sizes and "containers: N passed, M failed". A failure names the image,
# the step and the container's last log line. Appends "containers P F" to $RESULTS when set.
#
# Podman here: --cgroup-manager cgroupfs --runtime runc, ulimits at or below the current ones,
# builds with --isolation chroot --network host --format docker (keeps HEALTHCHECK). Without
# systemd, podman cannot schedule health checks by itself; this script runs each container's
# own HEALTHCHECK with `podman healthcheck run`, which is what podman's timer would do.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2

TAG=ctest
LABEL=ecomovex-test=containers
PROJECT=ecomovexct
NAME=ecomovex-ct
PODMAN=(podman --cgroup-manager cgroupfs --runtime runc)
# ulimits at or below this shell's (podman refuses to raise them).
min() { if [[ "$1" == unlimited || "$1" -gt "$2" ]]; then echo "$2"; else echo "$1"; fi; }
NOFILE=$(min "$(ulimit -Sn)" 1024)
NPROC=$(min "$(ulimit -Su)" 4096)
ULIMITS=(--ulimit "nofile=$NOFILE:$NOFILE" --ulimit "nproc=$NPROC:$NPROC")
BUILD_FLAGS=(--isolation chroot --network host --format docker "${ULIMITS[@]}")
# As deployed (docker-compose.yml, deploy/k8s): read-only root, no capabilities.
HARDEN=(--read-only --cap-drop ALL --security-opt no-new-privileges)

WORK=$(mktemp -d /tmp/ecomovex-containers.XXXXXX)
# Throwaway secrets for this run only.
DBPASS=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
# the token key pair, as `user-service keygen` makes it (scripts/env.sh: openssl)
# shellcheck source=../../scripts/env.sh
RUN_DIR=$WORK . "$ROOT/scripts/env.sh"
read -r JWT_KID JWT_KEY JWT_PUB < <(ecomovex_keypair k1)
ITOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

passed=0
failed=0
part_p=0
part_f=0
part_name=
part_start=0
start=$(date +%s)
declare -A SIZE

pm() { "${PODMAN[@]}" "$@" 2> >(grep -v 'systemd' >&2); }
last_log() { # container -> its last log line, or a note
  local l
  l=$("${PODMAN[@]}" logs --tail 1 "$1" 2>&1 | tail -n 1)
  echo "${l:-(no log output)}"
}
pass() { passed=$((passed + 1)); part_p=$((part_p + 1)); echo "PASS $1"; }
# fail IMAGE STEP DETAIL [CONTAINER]
fail() {
  failed=$((failed + 1))
  part_f=$((part_f + 1))
  local msg="FAIL [$1] $2: $3"
  if [[ -n "${4:-}" ]]; then msg+=" | last log of $4: $(last_log "$4")"; fi
  echo "$msg"
}
part() {
  [[ -n "$part_name" ]] && echo "containers $part_name: $part_p passed, $part_f failed ($(($(date +%s) - part_start)) s)"
  part_name=$1
  part_p=0
  part_f=0
  part_start=$(date +%s)
  [[ -n "$part_name" ]] && echo "---- $part_name"
}

cleanup() {
  [[ -n "${PUMP_PID:-}" ]] && kill "$PUMP_PID" 2>/dev/null
  if [[ -n "${SOCK_PID:-}" ]]; then
    (cd "$ROOT" && DOCKER_HOST="unix://$WORK/podman.sock" timeout 60 docker-compose -p "$PROJECT" \
      -f docker-compose.yml -f deploy/compose.test-only.yml --env-file "$WORK/compose.env" \
      down -v --remove-orphans >/dev/null 2>&1)
    kill "$SOCK_PID" 2>/dev/null
    wait "$SOCK_PID" 2>/dev/null
  fi
  local ids
  ids=$("${PODMAN[@]}" ps -aq --filter "label=$LABEL" 2>/dev/null; "${PODMAN[@]}" ps -aq --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null)
  [[ -n "$ids" ]] && "${PODMAN[@]}" rm -f -t 2 $ids >/dev/null 2>&1
  ids=$("${PODMAN[@]}" volume ls -q --filter "label=$LABEL" 2>/dev/null; "${PODMAN[@]}" volume ls -q --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null)
  [[ -n "$ids" ]] && "${PODMAN[@]}" volume rm -f $ids >/dev/null 2>&1
  "${PODMAN[@]}" network rm -f "$NAME-net" >/dev/null 2>&1
  "${PODMAN[@]}" network rm -f "${PROJECT}_default" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
  part ""
  local img
  for img in user-service destination-service gateway; do
    [[ -n "${SIZE[$img]:-}" ]] && echo "image ecomovex/$img:$TAG: ${SIZE[$img]} MB"
  done
  echo "containers: $passed passed, $failed failed ($(($(date +%s) - start)) s)"
  if [[ -n "${RESULTS:-}" ]]; then
    mkdir -p "$(dirname "$RESULTS")"
    echo "containers $passed $failed" >>"$RESULTS"
  fi
  [[ "$failed" == 0 ]]
  exit
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# req METHOD URL [BODY] [TOKEN]: sets CODE, TIME (s) and BODY_FILE.
BODY_FILE="$WORK/body"
req() {
  local args=(-s -m 10 -o "$BODY_FILE" -w '%{http_code} %{time_total}' -X "$1" "$2")
  [[ -n "${3:-}" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [[ -n "${4:-}" ]] && args+=(-H "Authorization: Bearer $4")
  local out
  out=$(curl "${args[@]}" 2>/dev/null) || out="000 0"
  CODE=${out%% *}
  TIME=${out##* }
}
body() { head -c 300 "$BODY_FILE" 2>/dev/null; }
jfield() { jq -r "$1" "$BODY_FILE" 2>/dev/null; }

# wait_http URL SECONDS: until 200.
wait_http() {
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    [[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" == 200 ]] && return 0
    sleep 0.2
  done
  return 1
}
# wait_pg CONTAINER USER DB: pg_isready inside the database container, as compose does.
wait_pg() {
  local i
  for ((i = 0; i < 100; i++)); do
    pm exec "$1" pg_isready -q -U "$2" -d "$3" 2>/dev/null && return 0
    sleep 0.3
  done
  return 1
}
# health CONTAINER: the image's own HEALTHCHECK, then podman's recorded status.
health() {
  pm healthcheck run "$1" >/dev/null 2>&1 || return 1
  [[ "$("${PODMAN[@]}" inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null)" == healthy ]]
}
# log_has CONTAINER PATTERN: the container's log holds PATTERN. The log is read whole first:
# `podman logs | grep -q` fails under pipefail when grep stops reading before podman ends.
log_has() {
  local text
  text=$("${PODMAN[@]}" logs "$1" 2>&1)
  grep -q -- "$2" <<<"$text"
}
# stop_graceful IMAGE CONTAINER GRACE: SIGTERM, drained, exit 0 within GRACE seconds.
stop_graceful() {
  local t0 t1 code
  t0=$(date +%s%N)
  pm stop -t "$3" "$2" >/dev/null 2>&1
  t1=$(date +%s%N)
  code=$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$2" 2>/dev/null)
  local ms=$(((t1 - t0) / 1000000))
  if [[ "$code" == 0 && "$ms" -lt $(($3 * 1000)) ]] && log_has "$2" 'draining'; then
    pass "$1: SIGTERM -> drained -> exit 0 in $ms ms (grace $3 s)"
  else
    fail "$1" "SIGTERM" "exit code ${code:-?} after $ms ms (grace $3 s), or no 'draining' log line" "$2"
  fi
}

command -v podman >/dev/null && command -v docker-compose >/dev/null && command -v jq >/dev/null || {
  echo "FAIL [-] setup: podman, docker-compose or jq missing (scripts/deps.sh installs them)"
  failed=1
  finish
}
if [[ "$(id -u)" != 0 ]]; then
  echo "FAIL [-] setup: run as root (podman with the cgroupfs manager needs it here)"
  failed=1
  finish
fi
# Leftovers of an interrupted earlier run.
( WORK=/nonexistent; SOCK_PID=; PUMP_PID=; cleanup ) 2>/dev/null

# ------------------------------------------------------------------------------ base
part base
if out=$(scripts/container-base.sh 2>&1); then
  pass "base: $(echo "$out" | tail -n 1 | sed 's/^base: //')"
else
  fail "debian:12" "base image" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"
  finish
fi

# ------------------------------------------------------------------------------ build
part build
# The Dockerfiles pin their base by digest (BASE_BUILD, BASE_RUNTIME; user-service/Dockerfile
# says how). No registry here: the same pins, pointed at the digest of the local base image.
BASE_DIGEST=$("${PODMAN[@]}" image inspect --format '{{.Digest}}' docker.io/library/debian:12-slim 2>/dev/null)
BASE_BUILD_REF="docker.io/library/debian:12@$("${PODMAN[@]}" image inspect --format '{{.Digest}}' docker.io/library/debian:12 2>/dev/null)"
BASE_RUNTIME_REF="docker.io/library/debian:12-slim@$BASE_DIGEST"
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
build() { # NAME DOCKERFILE TAG
  local t0 log="$WORK/build-$1.log"
  t0=$(date +%s)
  if pm build "${BUILD_FLAGS[@]}" --build-arg "BASE_BUILD=$BASE_BUILD_REF" --build-arg "BASE_RUNTIME=$BASE_RUNTIME_REF" \
    --build-arg "VERSION=$VERSION" --build-arg "COMMIT=$COMMIT" -f "$2" -t "$3" . >"$log" 2>&1; then
    local cached size
    cached=$(grep -c 'Using cache' "$log")
    size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$3")
    SIZE[$1]=$(((size + 500000) / 1000000))
    pass "$1: built from $2 as $3 in $(($(date +%s) - t0)) s ($cached cached steps, ${SIZE[$1]} MB)"
    return 0
  fi
  fail "$1" "build ($2)" "$(grep -v '^\s*$' "$log" | tail -n 3 | tr '\n' ' ')"
  return 1
}
ok=1
build user-service user-service/Dockerfile "localhost/ecomovex/user-service:$TAG" || ok=0
build destination-service destination-service/Dockerfile "localhost/ecomovex/destination-service:$TAG" || ok=0
build gateway deploy/gateway/Dockerfile "localhost/ecomovex/gateway:$TAG" || ok=0
build test-only-postgres deploy/test-only/postgres/Dockerfile localhost/ecomovex/test-only-postgres:15 || ok=0
[[ "$ok" == 1 ]] || finish

# ------------------------------------------------------------------------------ image
# What the images contain, read from inside them (docs/operations.md "Images").
part image
# in_image IMAGE SCRIPT: runs SCRIPT with the image's sh, its output in $WORK/in-image.
in_image() {
  pm run --rm "${ULIMITS[@]}" --network none --entrypoint /bin/sh "localhost/ecomovex/$1:$TAG" -c "$2" >"$WORK/in-image" 2>&1
}
label() { "${PODMAN[@]}" image inspect --format "{{index .Config.Labels \"org.opencontainers.image.$2\"}}" "localhost/ecomovex/$1:$TAG" 2>/dev/null; }
for img in user-service destination-service; do
  # No curl: neither the program nor its package (the HEALTHCHECK uses the daemon itself).
  if in_image "$img" 'command -v curl; dpkg-query -W -f "\${Status}\n" curl 2>/dev/null | grep -q "install ok installed" && echo "package curl installed"; true' &&
    [[ ! -s "$WORK/in-image" ]]; then
    pass "$img: no curl in the image (neither on PATH nor as a package)"
  else
    fail "$img" "no curl" "found: $(tr '\n' ' ' <"$WORK/in-image" | head -c 200)"
  fi
  hc=$("${PODMAN[@]}" image inspect --format '{{join .Config.Healthcheck.Test " "}}' "localhost/ecomovex/$img:$TAG" 2>/dev/null)
  if [[ "$hc" == "CMD /usr/local/bin/$img healthcheck"* && "$hc" != *curl* ]]; then
    pass "$img: HEALTHCHECK is the daemon's own subcommand ($hc)"
  else
    fail "$img" "HEALTHCHECK" "is '$hc', want 'CMD /usr/local/bin/$img healthcheck'"
  fi
done
for img in user-service destination-service gateway; do
  got="$(label "$img" title)|$(label "$img" version)|$(label "$img" revision)|$(label "$img" base.name)"
  want="$img|$VERSION|$COMMIT|$BASE_RUNTIME_REF"
  if [[ "$got" == "$want" && -n "$(label "$img" description)" ]]; then
    pass "$img: OCI labels title, description, version $VERSION, revision $COMMIT, base.name (the base by digest)"
  else
    fail "$img" "OCI labels" "title|version|revision|base.name are '$got', want '$want' (and a description)"
  fi
done
# Both call out, so both need libcurl, the GnuTLS build (the library, not the curl program, checked above):
# user-service calls destination-service; destination-service's session check asks
# user-service whether an admin token is still valid (issue 19, item 1).
for img in user-service destination-service; do
  if in_image "$img" "ldd /usr/local/bin/$img | grep -q 'libcurl-gnutls.so.4 => /' && /usr/local/bin/$img --version"; then
    pass "$img: libcurl present and the binary loads ($(tail -n 1 "$WORK/in-image"))"
  else
    fail "$img" "libcurl" "$(tr '\n' ' ' <"$WORK/in-image" | head -c 300)"
  fi
done

# ------------------------------------------------------------------------------ run
part run
pm network create --label "$LABEL" "$NAME-net" >/dev/null || {
  fail "-" "network" "podman network create $NAME-net failed"
  finish
}
NET=(--network "$NAME-net")
start_db() { # CONTAINER DB
  pm run -d --name "$1" --label "$LABEL" "${NET[@]}" "${ULIMITS[@]}" \
    -e POSTGRES_USER=ecomovex -e POSTGRES_PASSWORD="$DBPASS" -e POSTGRES_DB="$2" \
    localhost/ecomovex/test-only-postgres:15 >/dev/null
}
start_db "$NAME-users-db" ecomovex_users
start_db "$NAME-dest-db" ecomovex_destinations
for pair in "$NAME-users-db ecomovex_users" "$NAME-dest-db ecomovex_destinations"; do
  set -- $pair
  if wait_pg "$1" ecomovex "$2"; then
    pass "test-only-postgres: $2 accepts connections (pg_isready)"
  else
    fail test-only-postgres "start" "pg_isready never answered for $2" "$1"
    finish
  fi
done
# Password authentication over TCP: a wrong password is refused, the right one accepted.
if ! pm exec -e PGPASSWORD=wrong-password "$NAME-users-db" psql -h 127.0.0.1 -U ecomovex -d ecomovex_users -c 'select 1' >/dev/null 2>&1 &&
  pm exec -e PGPASSWORD="$DBPASS" "$NAME-users-db" psql -h 127.0.0.1 -U ecomovex -d ecomovex_users -tAc 'select 1' >/dev/null 2>&1; then
  pass "test-only-postgres: TCP needs the password (wrong one refused)"
else
  fail test-only-postgres "password authentication" "wrong password accepted or right one refused" "$NAME-users-db"
fi

USER_ENV=(-e PGPASSWORD="$DBPASS" -e "USER_DB_URL=postgresql://ecomovex@$NAME-users-db:5432/ecomovex_users")
DEST_ENV=(-e PGPASSWORD="$DBPASS" -e "DEST_DB_URL=postgresql://ecomovex@$NAME-dest-db:5432/ecomovex_destinations")
# both get the public key; only user-service gets the private one (USER_SECRETS)
SECRETS=(-e "JWT_VERIFY_KEYS=$JWT_KID:$JWT_PUB" -e "INTERNAL_TOKEN=$ITOKEN" -e SHUTDOWN_GRACE_SECONDS=5)
USER_SECRETS=("${SECRETS[@]}" -e "JWT_SIGNING_KID=$JWT_KID" -e "JWT_SIGNING_KEY=$JWT_KEY")
GRACE=10 # podman stop -t: the grace period given, above the daemons' SHUTDOWN_GRACE_SECONDS
pm volume create --label "$LABEL" "$NAME-media" >/dev/null

migrate() { # IMAGE ENV...
  local img=$1
  shift
  local c="$NAME-$img-migrate"
  if pm run --name "$c" --label "$LABEL" "${NET[@]}" "${ULIMITS[@]}" "${HARDEN[@]}" "$@" \
    "localhost/ecomovex/$img:$TAG" migrate --seed >"$WORK/$img-migrate.log" 2>&1; then
    pass "$img: migrate --seed as a one-off read-only container: exit 0 ($(grep -c applied "$WORK/$img-migrate.log") files applied)"
  else
    fail "$img" "migrate --seed" "exit $("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$c" 2>/dev/null)" "$c"
  fi
  pm rm -f "$c" >/dev/null 2>&1
}
migrate user-service "${USER_ENV[@]}"
migrate destination-service "${DEST_ENV[@]}"

UPORT=$(free_port)
DPORT=$(free_port)
US="$NAME-user-service"
DS="$NAME-destination-service"
pm run -d --name "$DS" --label "$LABEL" "${NET[@]}" "${ULIMITS[@]}" "${HARDEN[@]}" \
  -p "127.0.0.1:$DPORT:8082" "${DEST_ENV[@]}" "${SECRETS[@]}" -e "USER_SERVICE_URL=http://$US:8081" \
  "localhost/ecomovex/destination-service:$TAG" >/dev/null
# user-service writes only its media volume (and /tmp): docs/operations.md.
pm run -d --name "$US" --label "$LABEL" "${NET[@]}" "${ULIMITS[@]}" "${HARDEN[@]}" --tmpfs /tmp \
  -v "$NAME-media:/var/lib/ecomovex/media" -p "127.0.0.1:$UPORT:8081" "${USER_ENV[@]}" "${USER_SECRETS[@]}" \
  -e "DESTINATION_SERVICE_URL=http://$DS:8082" "localhost/ecomovex/user-service:$TAG" >/dev/null

serve_checks() { # IMAGE CONTAINER PORT
  local img=$1 c=$2 port=$3 uid ro
  if wait_http "http://127.0.0.1:$port/healthz" 20; then
    pass "$img: serve: /healthz 200 on the published port"
  else
    fail "$img" "serve /healthz" "no 200 within 20 s" "$c"
    return 1
  fi
  if wait_http "http://127.0.0.1:$port/readyz" 20; then
    pass "$img: /readyz 200 (database reached)"
  else
    fail "$img" "/readyz" "no 200 within 20 s" "$c"
  fi
  uid=$("${PODMAN[@]}" top "$c" huser 2>/dev/null | sed -n 2p | tr -d ' ')
  ro=$("${PODMAN[@]}" inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$c")
  if [[ "$uid" == 10001 && "$ro" == true ]] && ! pm exec "$c" sh -c 'echo x >/usr/local/bin/probe' 2>/dev/null; then
    pass "$img: runs as uid 10001 on a read-only root file system"
  else
    fail "$img" "non-root, read-only" "uid '$uid', read-only '$ro' or the root file system was writable" "$c"
  fi
  if health "$c"; then
    pass "$img: the image's own HEALTHCHECK: healthy ($("${PODMAN[@]}" inspect --format '{{.Config.Healthcheck.Test}}' "$c" | head -c 80))"
  else
    fail "$img" "HEALTHCHECK" "podman healthcheck run did not report healthy" "$c"
  fi
}
serve_checks destination-service "$DS" "$DPORT"
serve_checks user-service "$US" "$UPORT"

# ------------------------------------------------------------------------------ between
part between
UB="http://127.0.0.1:$UPORT"
req POST "$UB/api/v1/auth/register" '{"username":"ctuser","email":"ct@example.org","password":"container-test-pw"}'
if [[ "$CODE" == 201 ]]; then
  pass "user-service: register 201"
else
  fail user-service "register" "status $CODE: $(body)" "$US"
fi
req POST "$UB/api/v1/auth/login" '{"email":"ct@example.org","password":"container-test-pw"}'
TOKEN=$(jfield .access_token)
if [[ "$CODE" == 200 && -n "$TOKEN" && "$TOKEN" != null ]]; then
  pass "user-service: login 200 with a token"
else
  fail user-service "login" "status $CODE: $(body)" "$US"
fi
req GET "http://127.0.0.1:$DPORT/api/v1/destinations/1"
if [[ "$CODE" == 200 && "$(jfield .id)" == 1 ]]; then
  pass "destination-service: destination 1 (seeded by migrate --seed) 200"
else
  fail destination-service "GET /api/v1/destinations/1" "status $CODE: $(body)" "$DS"
fi
req POST "$UB/api/v1/reviews" '{"destination_id":1,"rating":5,"content":"from a container"}' "$TOKEN"
if [[ "$CODE" == 201 && "$(jfield .destination_verified)" == true ]] &&
  log_has "$DS" '/internal/v1/destinations'; then
  pass "user-service -> destination-service container: review of destination 1 verified, 201"
else
  fail user-service "review via destination-service" "status $CODE: $(body)" "$US"
fi
stop_graceful destination-service "$DS" "$GRACE"
req GET "$UB/api/v1/users/me" "" "$TOKEN"
if [[ "$CODE" == 200 ]]; then
  pass "user-service with destination-service stopped: GET /api/v1/users/me 200"
else
  fail user-service "user-only route, destination down" "status $CODE: $(body)" "$US"
fi
req GET "$UB/api/v1/reviews?limit=5" "" "$TOKEN"
if [[ "$CODE" == 200 ]]; then
  pass "user-service with destination-service stopped: GET /api/v1/reviews 200"
else
  fail user-service "user-only route, destination down" "status $CODE: $(body)" "$US"
fi
# Destination 2 was never checked, so no cached answer: strict validation must answer 503 fast.
req POST "$UB/api/v1/reviews" '{"destination_id":2,"rating":4}' "$TOKEN"
ms=$(awk -v t="$TIME" 'BEGIN { printf "%d", t * 1000 }')
if [[ "$CODE" == 503 && "$ms" -lt 2000 ]]; then
  pass "user-service with destination-service stopped: validated write 503 in $ms ms"
else
  fail user-service "validated write, destination down" "status $CODE in $ms ms (want 503 < 2000 ms): $(body)" "$US"
fi
stop_graceful user-service "$US" "$GRACE"
pm rm -f -t 2 "$US" "$DS" "$NAME-users-db" "$NAME-dest-db" >/dev/null 2>&1
pm volume rm -f "$NAME-media" >/dev/null 2>&1
pm network rm -f "$NAME-net" >/dev/null 2>&1

# ------------------------------------------------------------------------------ compose
part compose
# podman's Docker-compatible API on a private socket, with this machine's settings.
cat >"$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
EOF
CONTAINERS_CONF="$WORK/containers.conf" podman system service --time=0 "unix://$WORK/podman.sock" \
  >"$WORK/podman-service.log" 2>&1 &
SOCK_PID=$!
export DOCKER_HOST="unix://$WORK/podman.sock" COMPOSE_INTERACTIVE_NO_CLI=1
for ((i = 0; i < 50; i++)); do
  curl -s --unix-socket "$WORK/podman.sock" http://d/_ping >/dev/null 2>&1 && break
  sleep 0.2
done
GPORT=$(free_port)
printf 'POSTGRES_PASSWORD=%s\nDB_OWNER_PASSWORD=%s\nDB_APP_PASSWORD=%s\nJWT_SIGNING_KID=%s\nJWT_SIGNING_KEY=%s\nJWT_VERIFY_KEYS=%s\nINTERNAL_TOKEN=%s\nECOMOVEX_TAG=%s\nGATEWAY_PORT=%s\n' \
  "$DBPASS" "$DBPASS-owner" "$DBPASS-app" "$JWT_KID" "$JWT_KEY" "$JWT_KID:$JWT_PUB" "$ITOKEN" "$TAG" "127.0.0.1:$GPORT" >"$WORK/compose.env"
COMPOSE=(docker-compose -p "$PROJECT" -f docker-compose.yml -f deploy/compose.test-only.yml --env-file "$WORK/compose.env")

# The health-check timer podman would run under systemd: each project container's own check.
(
  while sleep 2; do
    for c in $("${PODMAN[@]}" ps -q --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null); do
      "${PODMAN[@]}" healthcheck run "$c" >/dev/null 2>&1
    done
  done
) &
PUMP_PID=$!

t0=$(date +%s)
if timeout 300 "${COMPOSE[@]}" up -d --no-build >"$WORK/compose-up.log" 2>&1; then
  pass "compose: docker-compose.yml + deploy/compose.test-only.yml up (all healthy, migrations completed) in $(($(date +%s) - t0)) s"
else
  fail compose "up" "$(grep -v '^\s*$' "$WORK/compose-up.log" | tail -n 3 | tr '\n' ' ')" "${PROJECT}_gateway_1"
  "${PODMAN[@]}" ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}} {{.Status}}' | sed 's/^/  /'
fi
GB="http://127.0.0.1:$GPORT"
if wait_http "$GB/healthz" 30; then
  pass "gateway: /healthz 200 on the published port"
else
  fail gateway "/healthz" "no 200 within 30 s on 127.0.0.1:$GPORT" "${PROJECT}_gateway_1"
fi
req POST "$GB/api/v1/auth/register" '{"username":"composeuser","email":"compose@example.org","password":"compose-test-pw"}'
if [[ "$CODE" == 201 ]]; then
  pass "compose via gateway: register 201"
else
  fail user-service "compose: register via gateway" "status $CODE: $(body)" "${PROJECT}_user-service_1"
fi
req POST "$GB/api/v1/auth/login" '{"email":"compose@example.org","password":"compose-test-pw"}'
TOKEN=$(jfield .access_token)
if [[ "$CODE" == 200 && -n "$TOKEN" && "$TOKEN" != null ]]; then
  pass "compose via gateway: login 200"
else
  fail user-service "compose: login via gateway" "status $CODE: $(body)" "${PROJECT}_user-service_1"
fi
req GET "$GB/api/v1/destinations/1"
if [[ "$CODE" == 200 && "$(jfield .id)" == 1 ]]; then
  pass "compose via gateway: destination 1 200"
else
  fail destination-service "compose: destination 1 via gateway" "status $CODE: $(body)" "${PROJECT}_destination-service_1"
fi
req POST "$GB/api/v1/reviews" '{"destination_id":1,"rating":4,"content":"through the gateway"}' "$TOKEN"
if [[ "$CODE" == 201 && "$(jfield .destination_verified)" == true ]]; then
  pass "compose via gateway: review of destination 1 201, verified"
else
  fail user-service "compose: review via gateway" "status $CODE: $(body)" "${PROJECT}_user-service_1"
fi
curl -s -m 5 -o "$BODY_FILE" -w '%{http_code}' -X POST -H "X-Internal-Token: $ITOKEN" \
  -H 'Content-Type: application/json' --data-binary '{"ids":[1]}' \
  "$GB/internal/v1/destinations/validate" >"$WORK/code" 2>/dev/null
CODE=$(cat "$WORK/code")
if [[ "$CODE" == 404 ]]; then
  pass "compose via gateway: /internal/ refused (404), even with the token"
else
  fail gateway "compose: /internal/ at the gateway" "status $CODE: $(body)" "${PROJECT}_gateway_1"
fi

# TRUSTED_PROXIES is the gateway's fixed address only: any other container that reaches
# user-service directly is counted under its own address, whatever X-Forwarded-For it sends,
# and a client of the gateway under the address nginx saw, not the one it forged. The keys
# are read back from login_attempts ("email:<email>|ip:<address>", accounts/auth_routes.c).
UDB="${PROJECT}_users-db_1"
DSC="${PROJECT}_destination-service_1"
GWC="${PROJECT}_gateway_1"
# login_ip EMAIL: the address user-service counted EMAIL's failed logins under.
login_ip() {
  pm exec -e PGPASSWORD="$DBPASS" "$UDB" psql -h 127.0.0.1 -U ecomovex -d ecomovex_users -tA \
    -c "SELECT string_agg(split_part(key, '|ip:', 2), ',') FROM login_attempts WHERE key LIKE 'email:$1|ip:%'" 2>/dev/null
}
# Least privilege (docs/security.md "Database roles"): the services hold their connections
# as the runtime role, which is no superuser, and the tables belong to the owner role.
for pair in "$UDB ecomovex_users users" "${PROJECT}_destinations-db_1 ecomovex_destinations destinations"; do
  read -r dbc dbn pre <<<"$pair"
  got=$(pm exec -e PGPASSWORD="$DBPASS" "$dbc" psql -h 127.0.0.1 -U ecomovex -d "$dbn" -tA -F ' ' -c \
    "SELECT (SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE datname = '$dbn' AND application_name = 'ecomovex'),
            (SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'),
            (SELECT rolsuper FROM pg_roles WHERE rolname = '${pre}_app')" 2>/dev/null)
  if [[ "$got" == "${pre}_app ${pre}_owner f" ]]; then
    pass "compose: the $pre service connects as ${pre}_app (no superuser), the tables belong to ${pre}_owner"
  else
    fail "$pre-db" "compose: database roles" "got '$got' (want '${pre}_app ${pre}_owner f')" "$dbc"
  fi
done
ds_addr=$("${PODMAN[@]}" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$DSC" 2>/dev/null)
# The image has no curl: bash's /dev/tcp sends the request, and the status is read from the
# answer's first line.
code=$(pm exec "$DSC" timeout 10 bash -c '
  body="{\"email\":\"direct@example.org\",\"password\":\"wrong-password\"}"
  exec 3<>/dev/tcp/user-service/8081 || exit 1
  printf "POST /api/v1/auth/login HTTP/1.0\r\nHost: user-service\r\nContent-Type: application/json\r\nX-Forwarded-For: 203.0.113.7\r\nContent-Length: %d\r\n\r\n%s" "${#body}" "$body" >&3
  IFS=" " read -r _ status _ <&3 && echo "$status"' 2>/dev/null)
got=$(login_ip direct@example.org)
if [[ "$code" == 401 && -n "$ds_addr" && "$got" == "$ds_addr" ]]; then
  pass "compose: a login sent straight to user-service from another container with a forged X-Forwarded-For is counted under that container's $ds_addr, not 203.0.113.7"
else
  fail user-service "compose: X-Forwarded-For from a container that is not the gateway" \
    "status $code, counted under '${got:-nothing}' (want 401 under the container's own '$ds_addr')" "${PROJECT}_user-service_1"
fi
curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'X-Forwarded-For: 203.0.113.8' \
  --data-binary '{"email":"forged@example.org","password":"wrong-password"}' "$GB/api/v1/auth/login" >"$WORK/code" 2>/dev/null
code=$(cat "$WORK/code")
got=$(login_ip forged@example.org)
# What nginx saw: the "client" of its access log line for that request (stdout, JSON).
seen=$("${PODMAN[@]}" logs "$GWC" 2>/dev/null | grep '"forwarded_for":"203.0.113.8"' | tail -n 1 | jq -r .client 2>/dev/null)
if [[ "$code" == 401 && -n "$seen" && "$got" == "$seen" ]]; then
  pass "compose via gateway: a login with a forged X-Forwarded-For is counted under the address nginx saw ($seen), not 203.0.113.8"
else
  fail user-service "compose: forged X-Forwarded-For through the gateway" \
    "status $code, counted under '${got:-nothing}' (want 401 under nginx's client '${seen:-?}')" "${PROJECT}_user-service_1"
fi

# GATEWAY_RESOLVER (compose: auto): destination-service moved to another address is found by
# the running gateway, which resolves names per request. (docker-compose 1.29 cannot re-create
# one service on podman's network, "IPAM option driver has changed", so the container is
# stopped, taken off the network and put back at another address under its service name.)
rendered=$(pm exec "$GWC" sh -c 'grep -o "resolver [^;]*;" /tmp/gateway/nginx.conf | grep -v "^resolver <" | tail -n 1' 2>/dev/null)
gw_started=$("${PODMAN[@]}" inspect --format '{{.State.StartedAt}}' "$GWC" 2>/dev/null)
moved_to="${ds_addr%.*}.200"
[[ "$moved_to" == "$ds_addr" ]] && moved_to="${ds_addr%.*}.201"
{
  pm stop -t 10 "$DSC" && pm network disconnect "${PROJECT}_default" "$DSC" &&
    pm network connect --ip "$moved_to" --alias destination-service "${PROJECT}_default" "$DSC" && pm start "$DSC"
} >"$WORK/compose-recreate.log" 2>&1
new_addr=$("${PODMAN[@]}" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$DSC" 2>/dev/null)
CODE=000
for ((i = 0; i < 100; i++)); do
  req GET "$GB/api/v1/destinations/1"
  [[ "$CODE" == 200 ]] && break
  sleep 0.3
done
if [[ "$CODE" == 200 && -n "$new_addr" && "$new_addr" != "$ds_addr" &&
  "$("${PODMAN[@]}" inspect --format '{{.State.StartedAt}}' "$GWC" 2>/dev/null)" == "$gw_started" ]]; then
  pass "compose via gateway: destination-service moved to $new_addr (was $ds_addr) answers through the same gateway process (${rendered:-no resolver})"
else
  fail gateway "compose: moved upstream" "GET destination 1 $CODE after moving destination-service to '${new_addr:-?}' (was $ds_addr); rendered: '${rendered:-no resolver}'; $(tail -n 2 "$WORK/compose-recreate.log" | tr '\n' ' ')" "$GWC"
fi

kill "$PUMP_PID" 2>/dev/null
wait "$PUMP_PID" 2>/dev/null
PUMP_PID=
if timeout 120 "${COMPOSE[@]}" down -v >"$WORK/compose-down.log" 2>&1; then
  left=$("${PODMAN[@]}" ps -aq --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
  leftv=$("${PODMAN[@]}" volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
  leftn=$("${PODMAN[@]}" network ls -q --filter "name=^${PROJECT}_" | wc -l)
  if [[ "$left$leftv$leftn" == 000 ]]; then
    pass "compose: down -v leaves no container, volume or network behind"
  else
    fail compose "down -v" "left $left containers, $leftv volumes, $leftn networks"
  fi
else
  fail compose "down -v" "$(tail -n 3 "$WORK/compose-down.log" | tr '\n' ' ')"
fi

finish
