#!/usr/bin/env bash
# Build (once) a local base image of the novaops.compute test bed:
#   localhost/novaops/<distro>-systemd:<hash of this script + distro>   and   :latest
# Debian + systemd as PID 1 + python3/python3-apt for Ansible, for
#   DISTRO=debian12  Debian 12 (bookworm), the bed's nodes (the default)
#   DISTRO=debian13  Debian 13 (trixie), e.g. Nova 31's option data
#                    (tools/gen-nova-opt-data.sh)
#
# No container registry is reachable here, so the image is made with
# debootstrap from Debian's mirror and `podman import`-ed. Idempotent: exits at
# once when the image for this script's content exists; editing this script
# changes the tag and so rebuilds.
#
# Needs root. Installs its own host prerequisites (podman, runc, debootstrap).
# Environment:
#   DISTRO                  debian12 (default) or debian13
#   DEBIAN_MIRROR           (default http://deb.debian.org/debian)
#   DEBIAN_SECURITY_MIRROR  (default http://deb.debian.org/debian-security)
#   NOVAOPS_IMAGE_FORCE=1   rebuild even if the image exists
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/tools/podman/containers.conf}"

distro="${DISTRO:-debian12}"
case "$distro" in
  debian12) suite=bookworm ;;
  debian13) suite=trixie ;;
  *) echo "build-base-image: DISTRO must be debian12 or debian13, not '$distro'" >&2; exit 2 ;;
esac
repo=localhost/novaops/$distro-systemd
# a new tag whenever this script changes, one per distro
tag="$({ cat "${BASH_SOURCE[0]}"; echo "$distro"; } | sha256sum | cut -c1-12)"
image="$repo:$tag"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

# What Ansible and systemd-in-a-container need, nothing more. The product's
# roles install their own packages (and apt is left with Debian's defaults,
# Recommends included, so the bed behaves like a real node). sudo: the
# playbooks use `become: true`, as on a real node.
packages=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,procps,ca-certificates,less,sudo

# Units that cannot work (or only spam) inside a container.
mask_units=(
  getty@tty1.service console-getty.service getty-static.service
  serial-getty@.service getty.target
  systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
  systemd-udev-trigger.service systemd-udev-settle.service
  systemd-remount-fs.service systemd-firstboot.service
  sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount
  sys-fs-fuse-connections.mount dev-hugepages.mount
  systemd-modules-load.service kmod-static-nodes.service
  systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer
  e2scrub_all.timer fstrim.timer
  proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-binfmt.service
)

log() { printf '%s %s\n' "[build-base-image]" "$*" >&2; }

need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v debootstrap >/dev/null || need+=(debootstrap)
if ((${#need[@]})); then
  log "installing host prerequisites: ${need[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

if [[ "${NOVAOPS_IMAGE_FORCE:-0}" != 1 ]] && podman image exists "$image"; then
  podman tag "$image" "$repo:latest"
  log "up to date: $image"
  echo "$image"
  exit 0
fi

start=$SECONDS
mkdir -p "$root/.cache"
work="$(mktemp -d "$root/.cache/base-image.XXXXXX")"
cleanup() {
  # debootstrap may leave /proc etc. mounted in the target on failure
  awk -v w="$work" '$2 ~ "^"w {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
rootfs="$work/rootfs"

log "debootstrap $suite (minbase) from $mirror into $rootfs"
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" \
  > "$work/debootstrap.log" 2>&1 || { tail -50 "$work/debootstrap.log" >&2; exit 1; }
log "debootstrap done after $((SECONDS - start)) s"

# bookworm and trixie alike: <suite>-updates, and <suite>-security on the
# security mirror (the naming since Debian 11).
cat > "$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF

# Keep downloaded .debs: the bed bind-mounts a host directory at
# /var/cache/apt/archives so later runs do not download again.
# (minbase has no docker-clean hook; make it explicit.)
cat > "$rootfs/etc/apt/apt.conf.d/90novaops-keep-debs" <<'EOF'
Binary::apt::APT::Keep-Downloaded-Packages "true";
APT::Keep-Downloaded-Packages "true";
EOF

# Throw-away containers: skip dpkg's fsync()s (as Debian's official container
# images do); package installs are noticeably faster on the bed.
echo force-unsafe-io > "$rootfs/etc/dpkg/dpkg.cfg.d/novaops-unsafe-io"

# Each container gets its own machine-id at first boot.
: > "$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$rootfs/var/lib/dbus/machine-id"

for u in "${mask_units[@]}"; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$u"
done
# multi-user is the default target (no graphical/getty bits)
ln -sf /lib/systemd/system/multi-user.target "$rootfs/etc/systemd/system/default.target"

chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/tmp/* \
  "$rootfs"/var/cache/debconf/*-old

log "importing $image"
tar --numeric-owner --xattrs -C "$rootfs" -c . |
  podman import \
    --change 'CMD ["/sbin/init"]' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change 'ENV container=podman' \
    --message "novaops $distro-systemd base ($tag)" \
    - "$image" >/dev/null
podman tag "$image" "$repo:latest"
# drop images of older versions of this script (the bed uses :latest)
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -v -e ":$tag\$" -e ':latest$'); do
  podman rmi "$old" >/dev/null 2>&1 || true
done
log "built $image in $((SECONDS - start)) s"
echo "$image"
