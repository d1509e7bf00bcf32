#!/usr/bin/env bash
# Capture node_health_info's inputs on this host (a node without systemd as
# PID 1: libvirtd started by hand, as in a container or this sandbox).
#
# Needs root, libvirt-daemon-system, libvirt-clients, qemu-system-x86.
# Starts three small disk-less guests on qemu:///system (64 MiB, boot from
# the network without a NIC, VNC on 127.0.0.1: they send no packet), one
# KVM, one TCG, one with a comma and a space in its name (paused); a
# loopback "broker" with a "nova-compute" client holding connections to it
# over 127.0.0.1, ::1 and a v4-mapped socket; a zombie QEMU; a unix socket
# that never answers (a hung libvirtd). Captures, then removes everything it
# made on exit (libvirtd/virtlogd are stopped again only if it started them).
#
# Usage: tools/capture-fixtures/health/capture-host.sh [OUTDIR]
# HEALTH_CAPTURE_HOOK, when set, is run as "$HEALTH_CAPTURE_HOOK host NOVA_CONF"
# while everything is up (used to run the module itself against the host).
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
OUT=${1:-$HEALTH_ROOT/tests/unit/fixtures/health/host}
URI=qemu:///system
V=(virsh -c "$URI")
CAP=(python3 "$HEALTH_HERE/capture.py" "$OUT")
KVM=novaops-health-kvm
TCG=novaops-health-tcg
ODD='novaops-health odd,name'
DOMAINS=("$KVM" "$TCG" "$ODD")
WORK=$(mktemp -d /tmp/novaops-health.XXXXXX)
PIDS=()
started_libvirtd=""
started_virtlogd=""

cleanup() {
    local -
    set +e
    for d in "${DOMAINS[@]}"; do
        "${V[@]}" destroy --domain "$d" >/dev/null 2>&1
        "${V[@]}" undefine --domain "$d" >/dev/null 2>&1
    done
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    [ -n "$started_libvirtd" ] && kill "$started_libvirtd" 2>/dev/null
    [ -n "$started_virtlogd" ] && kill "$started_virtlogd" 2>/dev/null
    rm -rf "$WORK"
    return 0
}
trap cleanup EXIT

# --- libvirt: use the running daemon, or start one for the capture ---------
if ! "${V[@]}" uri >/dev/null 2>&1; then
    if ! pgrep -x virtlogd >/dev/null; then
        virtlogd -d
        started_virtlogd=$(pgrep -nx virtlogd)
    fi
    libvirtd -d
    started_libvirtd=$(pgrep -nx libvirtd)
    for _ in $(seq 100); do "${V[@]}" uri >/dev/null 2>&1 && break; sleep 0.2; done
fi
cleanup_domains_only() { for d in "${DOMAINS[@]}"; do "${V[@]}" destroy --domain "$d" >/dev/null 2>&1 || true; "${V[@]}" undefine --domain "$d" >/dev/null 2>&1 || true; done; }
cleanup_domains_only
mkdir -p "$OUT"

domain_xml "$KVM" kvm > "$WORK/kvm.xml"
domain_xml "$TCG" qemu > "$WORK/tcg.xml"
domain_xml "$ODD" qemu > "$WORK/odd.xml"
for x in kvm tcg odd; do "${V[@]}" define "$WORK/$x.xml" >/dev/null; done
for d in "${DOMAINS[@]}"; do "${V[@]}" start --domain "$d" >/dev/null; done
"${V[@]}" suspend --domain "$ODD" >/dev/null

# --- loopback broker + "nova-compute" client, a zombie QEMU, a hung socket --
cp "$HEALTH_HERE/broker_sim.py" "$WORK/nova-compute"
python3 "$HEALTH_HERE/broker_sim.py" listen "$WORK/ports.json" &
PIDS+=($!)
python3 "$WORK/nova-compute" "$WORK/ports.json" &
client=$!
PIDS+=("$client")
python3 -c 'import subprocess, time
subprocess.Popen(["qemu-system-x86_64", "-version"], stdout=subprocess.DEVNULL)
time.sleep(300)' &
PIDS+=($!)
python3 "$HEALTH_HERE/broker_sim.py" hang "$WORK/hung-libvirt-sock" &
PIDS+=($!)
for _ in $(seq 100); do [ -S "$WORK/hung-libvirt-sock" ] && [ -e "$WORK/ports.json" ] && break; sleep 0.1; done
sleep 1  # connections established, the zombie's child gone
ports=$(cat "$WORK/ports.json")
v4_port=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["v4"])' "$ports")
cat > "$WORK/nova.conf" <<CONF
[DEFAULT]
host = novaops-health-host
transport_url = rabbit://nova:capture-secret@localhost:$v4_port,nova:capture-secret@127.0.0.2:5672/nova
[libvirt]
virt_type = kvm
CONF

# --- captures ----------------------------------------------------------------
virsh_argv "$URI"
"${CAP[@]}" virsh-batch -- "${VIRSH_ARGV[@]}"
"${CAP[@]}" ss -- "${SS[@]}"
"${CAP[@]}" systemctl-show-auto -- "${SYSTEMCTL_SHOW[@]}" "${AUTO_UNITS[@]}"
python3 "$HEALTH_HERE/proc_snapshot.py" --deep "$client" \
    --match 'qemu-system|qemu-kvm|libvirtd|virtqemud|nova-compute' > "$OUT/proc.json"
echo "$ports" > "$OUT/broker-ports.json"
cp "$WORK/nova.conf" "$OUT/nova.conf"
python3 "$HEALTH_HERE/dev_kvm.py" > "$OUT/dev-kvm.json"
# as an unprivileged user: /dev/kvm is root-only here (crw-------)
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 - < "$HEALTH_HERE/dev_kvm.py" > "$OUT/dev-kvm-nobody.json"
# libvirt unreachable: no socket, and a socket that never answers
virsh_argv "qemu:///system?socket=/nonexistent/libvirt-sock"
"${CAP[@]}" virsh-batch-no-daemon -- "${VIRSH_ARGV[@]}"
VIRSH_TIMEOUT=2 virsh_argv "qemu:///system?socket=$WORK/hung-libvirt-sock"
"${CAP[@]}" virsh-batch-hung -- "${VIRSH_ARGV[@]}"

if [ -n "${HEALTH_CAPTURE_HOOK:-}" ]; then
    "$HEALTH_CAPTURE_HOOK" host "$WORK/nova.conf" || echo "hook failed (ignored)" >&2
fi

cleanup_domains_only
{
    echo "virsh: $(virsh --version)"
    echo "libvirtd: $(libvirtd --version)"
    echo "qemu: $(qemu-system-x86_64 --version | sed -n 1p)"
    echo "iproute2: $(ss -V)"
    echo "pid 1: $(ps -o comm= -p 1)"
    echo "captured: $(date -u +%Y-%m-%d) by tools/capture-fixtures/health/capture-host.sh"
} > "$OUT/VERSIONS.txt"
