#!/usr/bin/env bash
# Capture node_health_info's inputs on the Molecule test bed (`make demo`):
# compute1 with nova-compute active and connected to RabbitMQ on controller,
# and the Compute API's view of it. Strictly read-only: it changes nothing in
# the bed (no unit, no domain, no OpenStack resource); the API calls run
# inside `controller` against its own loopback address.
#
# Usage: [CRASHED="DOMAIN..."] tools/capture-fixtures/health/capture-bed.sh [OUTDIR]
#   CRASHED: domains whose qemu was killed (kill -9) before the capture
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
OUT=${1:-$HEALTH_ROOT/tests/unit/fixtures/health/bed}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HEALTH_ROOT/tools/podman/containers.conf}
COMPUTE=compute1
CONTROLLER=controller
CAP=(python3 "$HEALTH_HERE/capture.py" "$OUT")

for c in "$COMPUTE" "$CONTROLLER"; do
    if [ "$(podman inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" != true ]; then
        echo "container $c is not running: bring the bed up first (make demo)" >&2
        exit 1
    fi
done
if [ "$(podman exec "$COMPUTE" systemctl is-active nova-compute)" != active ]; then
    echo "nova-compute is not active on $COMPUTE: converge the bed first" >&2
    exit 1
fi
mkdir -p "$OUT"

# --- compute1: the commands the module runs, the files it reads -------------
"${CAP[@]}" systemctl-show-auto --via podman exec "$COMPUTE" -- "${SYSTEMCTL_SHOW[@]}" "${AUTO_UNITS[@]}"
"${CAP[@]}" ss --via podman exec "$COMPUTE" -- "${SS[@]}"
virsh_argv qemu:///system
"${CAP[@]}" virsh-batch --via podman exec "$COMPUTE" -- "${VIRSH_ARGV[@]}"
# a guest whose qemu died (libvirt: shut off, reason crashed): the domain
# states, and the crashed domains' XML (their Nova metadata names the server)
if [ -n "${CRASHED:-}" ]; then
    # shellcheck disable=SC2086  # CRASHED is a list of domain names
    "${CAP[@]}" virsh-domstats-shutoff --via podman exec "$COMPUTE" -- \
        /usr/bin/timeout -k 5 "$VIRSH_TIMEOUT" /usr/bin/virsh -c qemu:///system domstats --state --list-shutoff
    # shellcheck disable=SC2086
    "${CAP[@]}" virsh-dumpxml-crashed --via podman exec "$COMPUTE" -- \
        /usr/bin/timeout -k 5 "$VIRSH_TIMEOUT" /usr/bin/virsh -c qemu:///system "$(virsh_batch $CRASHED)"
fi
main_pid=$(podman exec "$COMPUTE" systemctl show -p MainPID --value nova-compute)
podman exec -i "$COMPUTE" python3 - --deep "$main_pid" \
    --match 'nova-compute|qemu-system|qemu-kvm|libvirtd|virtqemud|privsep' \
    < "$HEALTH_HERE/proc_snapshot.py" > "$OUT/proc.json"
# nova.conf as the role wrote it (TEST-ONLY bed passwords, see molecule.yml)
podman exec "$COMPUTE" cat /etc/nova/nova.conf > "$OUT/nova.conf"
podman exec "$COMPUTE" hostname > "$OUT/hostname.txt"
# how compute1 resolves the broker of its transport_url
podman exec "$COMPUTE" getent ahostsv4 controller > "$OUT/resolve-controller.txt"

# --- controller: keystone token + os-services, against its own loopback -----
podman exec -i "$CONTROLLER" python3 - < "$HEALTH_HERE/api_capture.py" > "$OUT/api.json"
# shellcheck disable=SC2016  # dpkg-query's format, not a shell expansion
{
    echo "compute1: $(podman exec "$COMPUTE" dpkg-query -W -f '${Package} ${Version}\n' nova-compute libvirt-daemon qemu-system-x86 | tr '\n' ' ')"
    echo "controller: $(podman exec "$CONTROLLER" dpkg-query -W -f '${Package} ${Version}\n' keystone nova-api rabbitmq-server | tr '\n' ' ')"
    echo "captured: $(date -u +%Y-%m-%d) by tools/capture-fixtures/health/capture-bed.sh"
} > "$OUT/VERSIONS.txt"
