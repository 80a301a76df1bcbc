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

# The values go into sed replacements and nginx directives: allow only what an address,
# a host:port or a path needs.
for v in "$prefix" $(echo "$listen,$user_up,$dest_up" | tr ',' ' ') ; do
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
listens=$(echo "$listen" | tr ',' '\n' | while read -r a; do printf 'listen %s backlog=1024; ' "$a"; done | sed 's/ $//')
user_servers=$(servers "$user_up")
dest_servers=$(servers "$dest_up")

mkdir -p "$prefix/logs" "$prefix/tmp"
sed -e "s|@LISTEN@|$listens|g" -e "s|@USER_SERVERS@|$user_servers|g" \
    -e "s|@DEST_SERVERS@|$dest_servers|g" -e "s|@PREFIX@|$prefix|g" "$template" >"$prefix/nginx.conf.new"
if grep -q '@[A-Z_]*@' "$prefix/nginx.conf.new"; then
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
