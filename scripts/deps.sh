#!/usr/bin/env bash
# Ensure the Debian packages EcomoveX services needs are installed.
#
# Usage: scripts/deps.sh          install missing packages (as root) or
#                                 print the command to do so (not root)
#        scripts/deps.sh --list   print the package list, one per line
set -euo pipefail

PACKAGES=(
  build-essential
  pkg-config
  libevent-dev
  libpq-dev
  libcjson-dev
  libcurl4-gnutls-dev
  libcmocka-dev
  libsodium-dev
  postgresql
  postgresql-contrib
  python3
  python3-yaml
  python3-jsonschema
  curl
  openssl
  nginx-light
  wrk
  clang
  libclang-rt-14-dev
  valgrind
  cppcheck
  clang-tidy
  clang-format
  jq
  # make test-containers: podman (as root) and docker-compose against its API socket;
  # debootstrap makes the Debian 12 base image where no registry can be reached
  podman
  runc
  containernetworking-plugins
  golang-github-containernetworking-plugin-dnsname
  iptables
  docker-compose
  debootstrap
)

usage() {
  echo "usage: $0 [--list]" >&2
}

if [[ $# -gt 1 ]]; then
  usage
  exit 2
fi

if [[ $# -eq 1 ]]; then
  case "$1" in
    --list)
      printf '%s\n' "${PACKAGES[@]}"
      exit 0
      ;;
    -h|--help)
      usage
      exit 0
      ;;
    *)
      usage
      exit 2
      ;;
  esac
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
  echo "installing missing Debian packages: ${missing[*]}" >&2
  apt-get update
  status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" || status=$?
  exit "$status"
fi

{
  echo "missing Debian packages; run:"
  echo "sudo apt-get install -y ${missing[*]}"
} >&2
exit 1
