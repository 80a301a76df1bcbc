#!/usr/bin/env bash
# tests/check-docs.sh — checks of the API description and the deployment files.
#   1. npm ci (only when node_modules is missing or older than package-lock.json)
#   2. redocly lint docs/openapi.yaml                 (@redocly/cli, pinned in package-lock.json)
#   3. nginx -t on deploy/gateway/nginx.conf, rendered by deploy/gateway/render.sh
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
     DEST_UPSTREAM=127.0.0.1:18082 GATEWAY_LOG_STDOUT=0 GATEWAY_EXEC=0 sh deploy/gateway/render.sh &&
     out=$("$NGINX" -t -q -p "$prefix" -c "$prefix/nginx.conf" -e stderr -g 'daemon off;' 2>&1); then
    pass "gateway: deploy/gateway/nginx.conf renders and passes nginx -t ($("$NGINX" -v 2>&1 | sed 's/.*: //'))"
  else
    echo "${out:-render.sh failed}"
    fail "gateway: deploy/gateway/nginx.conf renders and passes nginx -t"
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
