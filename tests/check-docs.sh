#!/usr/bin/env bash
# tests/check-docs.sh — checks of the API description and the deployment files.
#   1. npm ci (only when node_modules is missing or older than package-lock.json)
#   2. redocly lint docs/openapi.yaml                 (@redocly/cli, pinned in package-lock.json)
#   3. nginx -t on deploy/gateway/nginx.conf, rendered by deploy/gateway/render.sh, with and
#      without GATEWAY_RESOLVER (run-time DNS), and render.sh's refusals
#   4. tests/docs/check-deploy.mjs: docker-compose.yml against the Compose Specification
#      schema, the Dockerfiles, and deploy/k8s/*.yaml against the Kubernetes API schemas,
#      each with the project's own rules (one line per check)
#   5. tests/docs/check-examples.py: every JSON request body and 2xx JSON response of
#      docs/openapi.yaml has an example, and every example validates against its schema
# The route-table equality test (tests/integration/test_openapi_routes.py) runs with the
# integration suite. Ends with "docs: N passed, M failed"; appends "docs P F" to $RESULTS
# when set (tests/run-all.sh's summary). BUILD (default build) names the binaries that
# the Dockerfile library check inspects.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1 npm_config_update_notifier=false
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
start=$(date +%s)

finish() {
  echo "docs: $passed passed, $failed failed ($(($(date +%s) - start)) s)"
  if [ -n "${RESULTS:-}" ]; then
    mkdir -p "$(dirname "$RESULTS")"
    echo "docs $passed $failed" >>"$RESULTS"
  fi
  [ "$failed" = 0 ]
  exit $?
}

# ---- 1. the npm tools, installed exactly as locked
# Node.js >= 20.19 (package.json "engines", for @redocly/cli 2): the machine's own node 20.
if ! command -v node >/dev/null || ! command -v npm >/dev/null ||
   ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  fail "Node.js >= 20.19 with npm is needed (found: $(node --version 2>/dev/null || echo none))"
  finish
fi
stamp=node_modules/.ecomovex-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  if out=$(npm ci --no-audit --no-fund 2>&1); then
    echo "$want" >"$stamp"
    pass "npm ci: the locked tools are installed"
  else
    echo "$out" | tail -20
    fail "npm ci"
    finish
  fi
fi

# ---- 2. OpenAPI lint
if out=$(npx --no-install redocly lint docs/openapi.yaml --format=stylish 2>&1); then
  pass "openapi: redocly lint docs/openapi.yaml (@redocly/cli $(node -p 'require("./node_modules/@redocly/cli/package.json").version'), redocly.yaml)"
else
  echo "$out" | grep -v '[║╔╚]' | tail -40
  fail "openapi: redocly lint docs/openapi.yaml"
fi

# ---- 3. the gateway configuration, rendered as in the containers, accepted by nginx
NGINX=${NGINX:-/usr/sbin/nginx}
if [ ! -x "$NGINX" ]; then
  fail "gateway: $NGINX is missing (Debian: nginx-light, in scripts/deps.sh)"
else
  prefix=$(mktemp -d /tmp/ecomovex-gateway-check.XXXXXX)
  chmod 755 "$prefix"
  if GATEWAY_PREFIX=$prefix GATEWAY_LISTEN=127.0.0.1:18080 USER_UPSTREAM=127.0.0.1:18081 \
     DEST_UPSTREAM=127.0.0.1:18082 GATEWAY_RESOLVER= GATEWAY_LOG_STDOUT=0 GATEWAY_EXEC=0 sh deploy/gateway/render.sh &&
     out=$("$NGINX" -t -q -p "$prefix" -c "$prefix/nginx.conf" -e stderr -g 'daemon off;' 2>&1); then
    pass "gateway: deploy/gateway/nginx.conf renders and passes nginx -t ($("$NGINX" -v 2>&1 | sed 's/.*: //'))"
  else
    echo "${out:-render.sh failed}"
    fail "gateway: deploy/gateway/nginx.conf renders and passes nginx -t"
  fi
  # With GATEWAY_RESOLVER: a `resolver` of the given servers (or, for auto, resolv.conf's first
  # usable one: nginx asks its servers in turn) and every proxy_pass through a variable, so that
  # nginx resolves the names per request; without it, keep-alive groups and no resolver.
  printf 'search example.org\nnameserver 10.89.0.1\nnameserver fe80::1%%eth0\nnameserver fd00::53\n' >"$prefix/resolv.conf"
  for c in "127.0.0.11|resolver 127.0.0.11 valid=5s;" "auto|resolver 10.89.0.1 valid=5s;" \
           "10.96.0.10,[fd00::a]|resolver 10.96.0.10 [fd00::a] valid=5s;" "auto6|resolver [fd00::53] valid=5s;"; do
    r=${c%%|*} want=${c#*|}
    if [ "$r" = auto6 ]; then
      r=auto
      printf 'nameserver fe80::1%%eth0\nnameserver fd00::53\nnameserver 10.89.0.1\n' >"$prefix/resolv.conf"
    fi
    if GATEWAY_PREFIX=$prefix GATEWAY_LISTEN=127.0.0.1:18080 USER_UPSTREAM=user-service:8081 \
       DEST_UPSTREAM=destination-service:8082 GATEWAY_RESOLVER=$r GATEWAY_RESOLV_CONF=$prefix/resolv.conf \
       GATEWAY_LOG_STDOUT=0 GATEWAY_EXEC=0 sh deploy/gateway/render.sh &&
       out=$("$NGINX" -t -q -p "$prefix" -c "$prefix/nginx.conf" -e stderr -g 'daemon off;' 2>&1) &&
       awk -v w="$want" '!/^ *#/ && index($0, w) { f = 1 } END { exit !f }' "$prefix/nginx.conf" && ! grep -q '^ *upstream ' "$prefix/nginx.conf" &&
       [ "$(grep -c '^ *proxy_pass \$\(user\|dest\)_upstream;$' "$prefix/nginx.conf")" = "$(grep -c '^ *proxy_pass ' "$prefix/nginx.conf")" ] &&
       grep -q 'map \$scheme \$user_upstream { default http://user-service:8081; }' "$prefix/nginx.conf"; then
      pass "gateway: GATEWAY_RESOLVER=$r renders '$want', every proxy_pass through a per-request variable, and passes nginx -t"
    else
      echo "${out:-render.sh failed or the rendered file lacks '$want' / variable proxy_pass}"
      fail "gateway: GATEWAY_RESOLVER=$r renders '$want' with variable proxy_pass"
    fi
    out=
  done
  if GATEWAY_PREFIX=$prefix GATEWAY_LISTEN=127.0.0.1:18080 USER_UPSTREAM=127.0.0.1:18081,127.0.0.1:18083 \
     DEST_UPSTREAM=127.0.0.1:18082 GATEWAY_RESOLVER= GATEWAY_LOG_STDOUT=0 GATEWAY_EXEC=0 sh deploy/gateway/render.sh &&
     ! grep -q '^ *resolver ' "$prefix/nginx.conf" &&
     grep -q '^ *upstream user_service { server 127.0.0.1:18081 max_fails=0; server 127.0.0.1:18083 max_fails=0; keepalive 32;' "$prefix/nginx.conf" &&
     [ "$(grep -c '^ *proxy_pass http://\(user\|destination\)_service;$' "$prefix/nginx.conf")" = "$(grep -c '^ *proxy_pass ' "$prefix/nginx.conf")" ]; then
    pass "gateway: without GATEWAY_RESOLVER, keep-alive upstream groups (one server per replica) and no resolver"
  else
    fail "gateway: without GATEWAY_RESOLVER, keep-alive upstream groups (one server per replica) and no resolver"
  fi
  bad=
  for c in "GATEWAY_RESOLVER=127.0.0.11 USER_UPSTREAM=a:1,b:1" "GATEWAY_RESOLVER=1.1.1.1;x" \
           "GATEWAY_RESOLVER=auto GATEWAY_RESOLV_CONF=/nonexistent" "GATEWAY_RESOLVER=1.1.1.1 GATEWAY_RESOLVER_VALID=5s;x"; do
    # shellcheck disable=SC2086 # word splitting into VAR=value assignments is intended
    if env GATEWAY_PREFIX="$prefix" GATEWAY_LOG_STDOUT=0 GATEWAY_EXEC=0 $c sh deploy/gateway/render.sh 2>/dev/null; then bad="$bad [$c]"; fi
  done
  if [ -z "$bad" ]; then
    pass "gateway: render.sh refuses a replica list with a resolver, unsafe resolver values and an empty resolv.conf"
  else
    fail "gateway: render.sh accepted$bad"
  fi
  rm -rf "$prefix"
fi

# ---- 4. compose, Dockerfiles, Kubernetes
out=$(node tests/docs/check-deploy.mjs --build "$BUILD" 2>&1)
echo "$out" | grep -v '^deploy checks:'
p=$(echo "$out" | grep -c '^PASS ')
f=$(echo "$out" | grep -c '^FAIL ')
passed=$((passed + p))
failed=$((failed + f))
if ! echo "$out" | grep -q '^deploy checks: '; then
  fail "tests/docs/check-deploy.mjs did not finish"
fi

# ---- 5. the spec's examples: present on every JSON body and 2xx answer, and valid
if out=$(python3 tests/docs/check-examples.py docs/openapi.yaml 2>&1); then
  pass "openapi: ${out##*$'\n'}"
else
  echo "$out" | grep -v '^examples: ' | head -80
  fail "openapi: ${out##*$'\n'}"
fi

finish
