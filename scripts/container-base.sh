#!/usr/bin/env bash
# Make a local Debian 12 base image for podman when no registry can be reached, once.
#
# Usage: scripts/container-base.sh
#
# If docker.io/library/debian:12 and debian:12-slim are both in podman's local store, nothing
# is done (the second and later runs of `make test-containers`). Otherwise, when neither can
# be pulled (CONTAINER_PULL=1 tries a pull first), Debian 12 is bootstrapped with
#   debootstrap --variant=minbase bookworm
# from the same Debian mirror this machine's apt uses (or DEBIAN_MIRROR), trimmed the way
# Debian's slim images are (no documentation, manual pages or translations, no apt lists or
# package cache, dpkg told not to install them again), imported as debian:12 and tagged
# debian:12-slim too. The Dockerfiles stay standard: where a registry is reachable the
# official images are used instead and this script is not needed.
set -euo pipefail

IMAGE=docker.io/library/debian:12
SLIM=docker.io/library/debian:12-slim
PODMAN=(podman --cgroup-manager cgroupfs --runtime runc)

have() { "${PODMAN[@]}" image exists "$1"; }

if have "$IMAGE" && have "$SLIM"; then
  echo "base: $IMAGE and $SLIM present, reused"
  exit 0
fi

if [[ "${CONTAINER_PULL:-0}" == 1 ]] && "${PODMAN[@]}" pull -q "$IMAGE" >/dev/null 2>&1 &&
  "${PODMAN[@]}" pull -q "$SLIM" >/dev/null 2>&1; then
  echo "base: pulled $IMAGE and $SLIM"
  exit 0
fi

# The Debian archive (not the security one) that apt on this machine is configured with.
mirror_from_apt() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] || continue
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "$f" ]] || continue
    awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /security/ && $3 ~ /^bookworm$/ { print $2; exit }' "$f"
  done
}
MIRROR=${DEBIAN_MIRROR:-$(mirror_from_apt | head -n 1)}
if [[ -z "$MIRROR" ]]; then
  echo "base: no Debian mirror found in apt's sources; set DEBIAN_MIRROR" >&2
  exit 2
fi
command -v debootstrap >/dev/null || { echo "base: debootstrap missing (scripts/deps.sh)" >&2; exit 2; }

dir=$(mktemp -d /tmp/ecomovex-base.XXXXXX)
trap 'rm -rf "$dir"' EXIT
root="$dir/rootfs"
start=$(date +%s)
echo "base: debootstrap --variant=minbase bookworm from $MIRROR (about a minute)"
if ! debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$dir/debootstrap.log" 2>&1; then
  tail -n 20 "$dir/debootstrap.log" >&2
  echo "base: debootstrap failed" >&2
  exit 1
fi

# As Debian's slim images: keep documentation and translations out, now and on later installs.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
cat >"$root/etc/apt/apt.conf.d/docker-no-languages" <<'EOF'
Acquire::Languages "none";
EOF
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$MIRROR" "$MIRROR" >"$root/etc/apt/sources.list"
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/usr/share/lintian" "$root/usr/share/linda"
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb \
  "$root/var/log/"*.log "$root/var/log/apt/"* "$root/var/cache/debconf/"*-old "$root/var/lib/dpkg/"*-old
rm -f "$root/etc/hostname" "$root/etc/resolv.conf"
: >"$root/etc/machine-id"

tar --numeric-owner -C "$root" -c . |
  "${PODMAN[@]}" import --change 'CMD ["bash"]' - "$IMAGE" >/dev/null
"${PODMAN[@]}" tag "$IMAGE" "$SLIM"
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")
echo "base: made $IMAGE and $SLIM locally ($((size / 1000000)) MB) in $(($(date +%s) - start)) s"
