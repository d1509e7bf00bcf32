#!/usr/bin/env bash
# Build (once) the guest image that the novaops.compute test bed uploads to
# glance and boots as Nova instances:
#   .cache/guest-image/novaops-guest-<hash of this script>.qcow2
# and print its path.
#
# Nothing but Debian's mirror is reachable here, so the image is assembled
# from Debian packages, without mounts or loop devices (neither works in the
# bed's host): a 1 GiB FAT32 "superfloppy" (no partition table) made with
# mkfs.fat on a sparse file, SYSLINUX installed into it with mtools, Debian's
# cloud kernel (vmlinuz, from the linux-image .deb) and a tiny initramfs
# (busybox-static + an /init script). SeaBIOS boots it as any plain disk, so
# Nova needs no separate kernel or ramdisk image.
#
# At boot the guest reads its SMBIOS system UUID (Nova sets it to the
# instance UUID) and prints a banner, on the serial console (what
# `openstack console log show` returns) and, alone on a cleared screen in
# bright 80x25 text, on the VGA console (what the VNC console and a
# screenshot through noVNC show):
#   NOVAOPS GUEST / instance <uuid> / serial <SMBIOS serial>
# Kernel messages stay off the VGA console (console=ttyS0 only), and so
# does the screen blanker. (A 40x25 mode, larger letters, reads worse with
# OCR: the BIOS font doubled in width only.) Then it idles forever, and
# powers off at once when the ACPI power button is pressed (busybox acpid),
# so `openstack server stop` does not wait for a hard destroy.
#
# Boots under TCG and hardware-assisted KVM. Not under a software KVM
# without VT-x/AMD-V (kvm-pvm, as in nested sandboxes): SYSLINUX's
# protected-mode iret stops its instruction emulator, and an ordinary
# kernel would crawl there anyway; use TCG (Nova: virt_type = qemu) there.
#
# The image carries 256 MiB of random bytes (never read at boot), so it has
# the weight of a real cloud image: uploads, conversions and copies take
# realistic time and space. Virtual size 1 GiB fits a 1 GB flavor disk.
#
# Idempotent: exits at once when the image for this script's content exists;
# editing this script changes the name and so rebuilds (and removes images of
# older versions). Needs root; installs its own host prerequisites.
# Environment:
#   NOVAOPS_IMAGE_FORCE=1   rebuild even if the image exists
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"   # mkfs.fat

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cache="$root/.cache/guest-image"
hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
image="$cache/novaops-guest-$hash.qcow2"

# Debian's kernel for virtual machines: no FB_VESA (the console stays in VGA
# text mode), VGA_CONSOLE, DMIID and the 8250 serial console built in;
# 27 MB to download against the generic kernel's 71 MB.
kernel_meta=linux-image-cloud-amd64
disk_mib=1024
ballast_mib=256
cmdline="console=ttyS0,115200 quiet loglevel=3 consoleblank=0 panic=0"

log() { printf '%s %s\n' "[build-guest-image]" "$*" >&2; }

if [[ "${NOVAOPS_IMAGE_FORCE:-0}" != 1 && -f "$image" ]]; then
  echo "$image"
  exit 0
fi

apt_get() {
  # the shared host may be installing packages of its own: wait for dpkg's lock
  DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 "$@"
}

need=()
command -v syslinux >/dev/null || need+=(syslinux)
[[ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ]] || need+=(syslinux-common)
command -v mcopy >/dev/null || need+=(mtools)
command -v mkfs.fat >/dev/null || need+=(dosfstools)
command -v qemu-img >/dev/null || need+=(qemu-utils)
if ((${#need[@]})); then
  log "installing host prerequisites: ${need[*]}"
  apt_get update
  apt_get install -y --no-install-recommends "${need[@]}"
fi

start=$SECONDS
mkdir -p "$cache"
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The kernel and busybox: Debian's packages from the host's apt sources (the
# lists refreshed once if missing or stale), unpacked here: nothing of the
# host's own installation goes into the guest.
kernel_pkg() {
  apt-cache depends "$kernel_meta" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}'
}
download() {
  (cd "$work" && apt-get -q -o APT::Sandbox::User=root download "$@" >/dev/null)
}
pkg="$(kernel_pkg)"
if [[ -z "$pkg" ]] || ! download "$pkg" busybox-static; then
  apt_get update
  pkg="$(kernel_pkg)"
  [[ -n "$pkg" ]] || { log "no $kernel_meta in the apt sources"; exit 1; }
  download "$pkg" busybox-static
fi
log "kernel: $pkg"
mkdir "$work/deb"
dpkg-deb --fsys-tarfile "$work"/"$pkg"_*.deb |
  tar -x -C "$work/deb" --wildcards './boot/vmlinuz-*' '*/drivers/acpi/button.ko' '*/drivers/input/evdev.ko'
dpkg-deb --fsys-tarfile "$work"/busybox-static_*.deb | tar -x -C "$work/deb" ./bin/busybox
busybox="$work/deb/bin/busybox"

# The initramfs: busybox, the power button's modules, /init.
initrd="$work/initrd"
mkdir -p "$initrd"/{bin,dev,proc,sys,tmp,lib/modules,etc/acpi/PWRF}
cp "$busybox" "$initrd/bin/busybox"
ln -s busybox "$initrd/bin/sh"
find "$work/deb/lib/modules" -name '*.ko' -exec cp {} "$initrd/lib/modules/" \;

# busybox acpid maps the power button's key to the action PWRF/00000080
# (relative to its config directory) and runs it.
cat > "$initrd/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "NOVAOPS GUEST: power button pressed, powering off" > /dev/ttyS0
sync
poweroff -f
EOF

cat > "$initrd/init" <<'EOF'
#!/bin/sh
# PID 1 of the novaops test guest: print who we are, then idle forever.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
echo 1 > /proc/sys/kernel/printk   # only emergencies, on any console

dmi() { v="$(cat "/sys/class/dmi/id/$1" 2>/dev/null)"; echo "${v:-unknown}"; }
uuid="$(dmi product_uuid)"
serial="$(dmi product_serial)"
product="$(dmi sys_vendor) / $(dmi product_name)"
rule="$(printf '%60s' '' | tr ' ' =)"

# Serial console: plain lines, one fact per line, easy to grep.
printf '\n%s\nNOVAOPS GUEST\ninstance %s\nserial %s\nproduct %s\nkernel %s\n%s\n' \
  "$rule" "$uuid" "$serial" "$product" "$(uname -r)" "$rule" > /dev/ttyS0
# VGA console (80x25 text): clear, hide the cursor, bright white on black,
# blank lines between the facts and the UUID on a line of its own (OCR
# reads such lines best).
{
  printf '\033[0m\033[H\033[2J\033[?25l\033[1;37m\n'
  printf '  %s\n\n    NOVAOPS GUEST\n\n    instance\n    %s\n\n    serial\n    %s\n\n  %s\n' \
    "$rule" "$uuid" "$serial" "$rule"
} > /dev/tty0

# ACPI power button -> poweroff (the modules are optional: no ACPI, no button)
insmod /lib/modules/evdev.ko 2>/dev/null
insmod /lib/modules/button.ko 2>/dev/null
acpid -c /etc/acpi -l /dev/null

while :; do sleep 3600; done
EOF
chmod 0755 "$initrd/init" "$initrd/etc/acpi/PWRF/00000080"
(cd "$initrd" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -6 > "$work/initrd.gz"

# The disk: FAT32 over the whole (sparse) file, SYSLINUX in its boot sector.
raw="$work/disk.raw"
truncate -s "${disk_mib}M" "$raw"
mkfs.fat -F 32 -n NOVAOPS "$raw" >/dev/null
cat > "$work/syslinux.cfg" <<EOF
DEFAULT guest
PROMPT 0
TIMEOUT 0
LABEL guest
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND $cmdline
EOF
head -c "${ballast_mib}M" /dev/urandom > "$work/ballast.bin"
export MTOOLS_SKIP_CHECK=1
mcopy -i "$raw" "$work"/deb/boot/vmlinuz-* ::/vmlinuz
mcopy -i "$raw" "$work/initrd.gz" "$work/syslinux.cfg" ::/
mmd -i "$raw" ::/data
mcopy -i "$raw" "$work/ballast.bin" ::/data/ballast.bin
syslinux --install "$raw"

qemu-img convert -f raw -O qcow2 "$raw" "$work/disk.qcow2"
mv "$work/disk.qcow2" "$image"
for old in "$cache"/novaops-guest-*.qcow2; do
  [[ "$old" == "$image" ]] || rm -f "$old"
done
log "built $image in $((SECONDS - start)) s"
echo "$image"
