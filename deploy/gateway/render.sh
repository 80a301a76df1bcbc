#!/bin/sh
# Renders the gateway template (deploy/gateway/nginx.conf) and starts nginx on it.
# Used as the gateway container's entrypoint (docker-compose.yml, deploy/k8s) and by the
# integration tests (GATEWAY_EXEC=0: render only), so every place runs the same file.
#
#   GATEWAY_TEMPLATE    template path           (default: nginx.conf beside this script)
#   GATEWAY_PREFIX      writable directory      (default /tmp/gateway): nginx.conf, pid, logs, temp
#   GATEWAY_LISTEN      listen addresses, a comma list (default 8080,[::]:8080: IPv4 and IPv6;
#                       8080 alone where the kernel has no IPv6)
#   USER_UPSTREAM       user-service host:port, or a comma list of them, one per replica
#                       (default user-service:8081)
#   DEST_UPSTREAM       destination-service, the same way (default destination-service:8082)
#   GATEWAY_RESOLVER    the DNS server(s) nginx asks again while it runs, so that an upstream
#                       whose address changes (a recreated container) is found (default: empty)
#                         empty   names are looked up once, at start: static upstream groups
#                                 with keep-alive pools (Kubernetes Services, the tests' lists)
#                         auto    the first nameserver of /etc/resolv.conf (compose: Docker's
#                                 127.0.0.11, podman's aardvark-dns on the network's gateway;
#                                 Kubernetes: kube-dns)
#                         a comma list of addresses, IPv6 in brackets: 10.96.0.10,[fd00::a]
#                                 (nginx uses them in turn, not as fallbacks: list only servers
#                                 that all know the service names)
#                       With a resolver, USER_UPSTREAM and DEST_UPSTREAM are one host:port each
#                       (a name may resolve to several addresses: round robin over them), and
#                       connections to the daemons are not kept alive (docs/operations.md).
#   GATEWAY_RESOLVER_VALID  how long nginx reuses an answer, whatever its TTL (default 5s)
#   GATEWAY_RESOLV_CONF the file `auto` reads (default /etc/resolv.conf)
#   GATEWAY_LOG_STDOUT  1: access log to stdout, error log to stderr (default 1, for containers)
#   GATEWAY_EXEC        1: exec nginx in the foreground after rendering (default 1)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
template=${GATEWAY_TEMPLATE:-$here/nginx.conf}
prefix=${GATEWAY_PREFIX:-/tmp/gateway}
if [ -e /proc/net/if_inet6 ]; then default_listen='8080,[::]:8080'; else default_listen=8080; fi
listen=${GATEWAY_LISTEN:-$default_listen}
user_up=${USER_UPSTREAM:-user-service:8081}
dest_up=${DEST_UPSTREAM:-destination-service:8082}
resolver=${GATEWAY_RESOLVER:-}
valid=${GATEWAY_RESOLVER_VALID:-5s}
if [ "$resolver" = auto ]; then
  conf=${GATEWAY_RESOLV_CONF:-/etc/resolv.conf}
  # The first nameserver only: nginx asks its servers in turn and takes any answer, "no such
  # name" included, so a second, outside server (podman lists the host's after aardvark-dns)
  # would make the service names fail now and then. The engine's DNS (or kube-dns) forwards
  # other names itself. nginx takes IPv6 servers in brackets, and none with a zone index.
  resolver=$(awk '$1 == "nameserver" && $2 !~ /%/ { print ($2 ~ /:/ ? "[" $2 "]" : $2); exit }' "$conf" 2>/dev/null)
  if [ -z "$resolver" ]; then
    echo "render.sh: GATEWAY_RESOLVER=auto but $conf names no usable nameserver" >&2
    exit 2
  fi
fi

# The values go into sed replacements and nginx directives: allow only what an address,
# a host:port or a path needs.
case $valid in
  *[!0-9smh]* | '' | [!0-9]*) echo "render.sh: GATEWAY_RESOLVER_VALID '$valid' is not a time like 5s" >&2; exit 2 ;;
esac
for v in "$prefix" $(echo "$listen,$user_up,$dest_up${resolver:+,$resolver}" | tr ',' ' ') ; do
  case $v in
    '' | *[!A-Za-z0-9._:/\[\]-]*)
      echo "render.sh: refusing unsafe value '$v'" >&2
      exit 2
      ;;
  esac
done
case "$listen,$user_up,$dest_up" in
  ,* | *, | *,,*) echo "render.sh: empty entry in GATEWAY_LISTEN, USER_UPSTREAM or DEST_UPSTREAM" >&2; exit 2 ;;
esac

# One `server` directive per comma-separated entry, on one line.
servers() {
  echo "$1" | tr ',' '\n' | while read -r a; do printf 'server %s max_fails=0; ' "$a"; done | sed 's/ $//'
}
# A keep-alive upstream group (the comment above @UPSTREAMS@ in the template says why these values).
group() { # NAME HOSTPORTS
  printf 'upstream %s { %s keepalive 32; keepalive_timeout 20s; keepalive_requests 1000; }' "$1" "$(servers "$2")"
}
listens=$(echo "$listen" | tr ',' '\n' | while read -r a; do printf 'listen %s backlog=1024; ' "$a"; done | sed 's/ $//')
if [ -z "$resolver" ]; then
  upstreams="$(group user_service "$user_up") $(group destination_service "$dest_up")"
  user_pass=http://user_service
  dest_pass=http://destination_service
else
  case "$user_up,$dest_up" in
    *,*,*) echo "render.sh: with GATEWAY_RESOLVER, USER_UPSTREAM and DEST_UPSTREAM are one host:port each" >&2; exit 2 ;;
  esac
  # A variable in proxy_pass makes nginx resolve the name per request (through `resolver`,
  # answers reused for `valid`), instead of once at start.
  upstreams="resolver $(echo "$resolver" | tr ',' ' ') valid=$valid; resolver_timeout 2s;"
  upstreams="$upstreams map \$scheme \$user_upstream { default http://$user_up; }"
  upstreams="$upstreams map \$scheme \$dest_upstream { default http://$dest_up; }"
  user_pass='$user_upstream'
  dest_pass='$dest_upstream'
fi

mkdir -p "$prefix/logs" "$prefix/tmp"
# Directives only: the template's comments name the placeholders and keep them as written.
nc='/^[[:space:]]*#/!'
sed -e "${nc}s|@LISTEN@|$listens|g" -e "${nc}s|@UPSTREAMS@|$upstreams|g" -e "${nc}s|@USER_PASS@|$user_pass|g" \
    -e "${nc}s|@DEST_PASS@|$dest_pass|g" -e "${nc}s|@PREFIX@|$prefix|g" "$template" >"$prefix/nginx.conf.new"
if grep -v '^[[:space:]]*#' "$prefix/nginx.conf.new" | grep -q '@[A-Z_]*@'; then
  echo "render.sh: placeholders left in $prefix/nginx.conf.new" >&2
  exit 2
fi
mv "$prefix/nginx.conf.new" "$prefix/nginx.conf"

if [ "${GATEWAY_LOG_STDOUT:-1}" = 1 ]; then
  ln -sf /dev/stdout "$prefix/logs/access.log"
  ln -sf /dev/stderr "$prefix/logs/error.log"
fi

if [ "${GATEWAY_EXEC:-1}" = 1 ]; then
  exec nginx -p "$prefix" -c "$prefix/nginx.conf" -e stderr -g 'daemon off;'
fi
