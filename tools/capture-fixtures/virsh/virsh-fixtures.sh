#!/usr/bin/env bash
# Capture real `virsh` outputs for tests/unit/fixtures/virsh/.
#
# Needs root, libvirt-daemon-system, libvirt-clients, qemu-system-x86.
# Defines small disk-less guests (TCG, 64 MiB, no boot device, NIC option
# ROMs off, so the guests never send a packet), a test bridge br-novaops and
# a veth pair nvo-dir0/nvo-dir1 (the lower link of the macvtap interface),
# starts libvirt's `default` network if it is not running, captures, and
# removes everything it made on exit (the default network is stopped again
# only if this script started it).
#
# Usage: sudo tools/capture-fixtures/virsh/virsh-fixtures.sh [OUTDIR]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
OUT=${1:-$ROOT/tests/unit/fixtures/virsh}
URI=qemu:///system
export LC_ALL=C LANGUAGE=C
V=(virsh -c "$URI")
CAP=(python3 "$HERE/capture_cmd.py" "$OUT")

# Domain names as defined in domains/*.xml
MULTI=novaops-fx-multi
NOIF=novaops-fx-noif
SPACED='novaops fx spaced name'
SHUTOFF=novaops-fx-shutoff
QUOTE="novaops-fx-o'quote;\"semi"
DASHES=--novaops-fx-dashes
UNICODE=novaops-fx-ünïcode
ALL_DOMAINS=("$MULTI" "$NOIF" "$SPACED" "$SHUTOFF" "$QUOTE" "$DASHES" "$UNICODE")

started_default_net=no

cleanup() {
    local -
    set +e
    for d in "${ALL_DOMAINS[@]}"; do
        "${V[@]}" destroy --domain "$d" >/dev/null 2>&1
        "${V[@]}" undefine --domain "$d" >/dev/null 2>&1
    done
    if [ "$started_default_net" = yes ]; then
        "${V[@]}" net-destroy default >/dev/null 2>&1
    fi
    ip link del nvo-dir0 2>/dev/null
    ip link del br-novaops 2>/dev/null
    return 0
}
trap cleanup EXIT

ensure_daemons() {
    # Without systemd (containers) start the daemons by hand.
    if ! "${V[@]}" uri >/dev/null 2>&1; then
        pgrep -x virtlogd >/dev/null || virtlogd -d
        pgrep -x libvirtd >/dev/null || libvirtd -d
        for _ in $(seq 50); do "${V[@]}" uri >/dev/null 2>&1 && break; sleep 0.2; done
    fi
}

ensure_daemons
cleanup
mkdir -p "$OUT"

ip link add br-novaops type bridge
ip link set br-novaops up
ip link add nvo-dir0 type veth peer name nvo-dir1
ip link set nvo-dir0 up
ip link set nvo-dir1 up
net_info=$("${V[@]}" net-info default)
if ! grep -Eq '^Active:[[:space:]]+yes' <<<"$net_info"; then
    "${V[@]}" net-start default
    started_default_net=yes
fi

for xml in "$HERE"/domains/*.xml; do
    "${V[@]}" define "$xml" >/dev/null
done
for d in "$MULTI" "$NOIF" "$SPACED"; do
    "${V[@]}" start --domain "$d" >/dev/null
done

MULTI_ID=$("${V[@]}" domid --domain "$MULTI" | sed -n 1p)
MULTI_UUID=$("${V[@]}" domuuid --domain "$MULTI" | sed -n 1p)
NOIF_UUID=$("${V[@]}" domuuid --domain "$NOIF" | sed -n 1p)

# --- single commands, exactly as the module runs them when it falls back ---
"${CAP[@]}" domiflist-multi -- "${V[@]}" domiflist --domain "$MULTI"
"${CAP[@]}" domiflist-multi-inactive -- "${V[@]}" domiflist --inactive --domain "$MULTI"
"${CAP[@]}" domiflist-by-id -- "${V[@]}" domiflist --domain "$MULTI_ID"
"${CAP[@]}" domiflist-noif -- "${V[@]}" domiflist --domain "$NOIF"
"${CAP[@]}" domiflist-spaced-name -- "${V[@]}" domiflist --domain "$SPACED"
"${CAP[@]}" domiflist-shutoff -- "${V[@]}" domiflist --domain "$SHUTOFF"
"${CAP[@]}" domiflist-shutoff-inactive -- "${V[@]}" domiflist --inactive --domain "$SHUTOFF"
"${CAP[@]}" domiflist-quote-name -- "${V[@]}" domiflist --domain "$QUOTE"
"${CAP[@]}" domiflist-dashes-name -- "${V[@]}" domiflist --domain "$DASHES"
"${CAP[@]}" domiflist-unicode-name -- "${V[@]}" domiflist --domain "$UNICODE"
"${CAP[@]}" domiflist-unknown -- "${V[@]}" domiflist --domain novaops-fx-does-not-exist
"${CAP[@]}" domiflist-no-daemon -- virsh -c 'qemu:///system?socket=/nonexistent/libvirt-sock' domiflist --domain "$MULTI"
"${CAP[@]}" dominfo-by-id -- "${V[@]}" dominfo --domain "$MULTI_ID"
"${CAP[@]}" dominfo-by-uuid -- "${V[@]}" dominfo --domain "$MULTI_UUID"
"${CAP[@]}" dominfo-spaced-name -- "${V[@]}" dominfo --domain "$SPACED"
"${CAP[@]}" dominfo-unknown -- "${V[@]}" dominfo --domain novaops-fx-does-not-exist
"${CAP[@]}" list-all-name -- "${V[@]}" list --all --name

# --- batches, built by the module's own helper (fixed token for the tests) ---
batch() { # name: then the domain names, read by python from argv
    python3 - "$ROOT/plugins/module_utils/_virsh.py" "$@" <<'EOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("_virsh", sys.argv[1])
virsh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(virsh)
mode, domains = sys.argv[2], sys.argv[3:]
flags = ["--inactive"] if mode == "inactive" else []
if mode == "single":
    commands = [["dominfo", "--domain", domains[0]], ["domiflist", "--domain", domains[0]]]
else:
    commands = [["domiflist"] + flags + ["--domain", d] for d in domains]
sys.stdout.write(virsh.build_batch(commands, "fixture0"))
EOF
}
mapfile -t NAMES < <("${V[@]}" list --all --name | sed '/^$/d')
"${CAP[@]}" batch-all -- "${V[@]}" "$(batch all "${NAMES[@]}")"
"${CAP[@]}" batch-all-inactive -- "${V[@]}" "$(batch inactive "${NAMES[@]}")"
"${CAP[@]}" batch-with-vanished -- "${V[@]}" "$(batch all "$NOIF" novaops-fx-vanished "$QUOTE")"
"${CAP[@]}" batch-single-by-uuid -- "${V[@]}" "$(batch single "$NOIF_UUID")"
"${CAP[@]}" batch-single-unknown -- "${V[@]}" "$(batch single novaops-fx-does-not-exist)"
"${CAP[@]}" batch-single-spaced-name -- "${V[@]}" "$(batch single "$SPACED")"

cleanup
trap - EXIT
# After cleanup: no domain left (on a host that had none of its own).
if [ -z "$("${V[@]}" list --all --name | sed '/^$/d')" ]; then
    "${CAP[@]}" list-all-name-empty -- "${V[@]}" list --all --name
fi
{
    echo "virsh: $(virsh --version)"
    echo "libvirtd: $(libvirtd --version)"
    echo "qemu: $(qemu-system-x86_64 --version | sed -n 1p)"
    echo "captured: $(date -u +%Y-%m-%d) by tools/capture-fixtures/virsh/virsh-fixtures.sh"
} > "$OUT/VERSIONS.txt"
