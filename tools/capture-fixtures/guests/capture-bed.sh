#!/usr/bin/env bash
# Capture guest_info's inputs on the Molecule test bed (`make demo`, with Nova
# instances running): the two virsh command strings the module runs on
# compute1, one instance disk's qemu-img backing chain, and the Compute API's
# answer to GET /servers/detail for compute1 (asked inside the controller).
# Read-only: it changes nothing in the bed.
#
# Usage: tools/capture-fixtures/guests/capture-bed.sh [OUTDIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../health/common.sh
source "$HERE/../health/common.sh"
OUT=${1:-$HEALTH_ROOT/tests/unit/fixtures/guests}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HEALTH_ROOT/tools/podman/containers.conf}
CAP=(python3 "$HEALTH_HERE/capture.py" "$OUT")
VIRSH=(/usr/bin/timeout -k 5 30 /usr/bin/virsh -c qemu:///system)
mkdir -p "$OUT"

batch() { # "list" | DOMAIN... : the command string guest_info builds (token fixture0)
    python3 - "$HEALTH_ROOT/plugins/module_utils/_virsh.py" "$@" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("_virsh", sys.argv[1])
virsh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(virsh)
if sys.argv[2:] == ["list"]:
    commands = [["list", "--all", "--name"], ["domstats", "--state"]]
else:
    commands = []
    for name in sys.argv[2:]:
        commands += [["dumpxml", "--domain", name], ["domiflist", "--domain", name]]
sys.stdout.write(virsh.build_batch(commands, "fixture0"))
PY
}

"${CAP[@]}" virsh-listing --via podman exec compute1 -- "${VIRSH[@]}" "$(batch list)"
mapfile -t domains < <(podman exec compute1 virsh -c qemu:///system list --all --name | sed '/^$/d' | sort)
"${CAP[@]}" virsh-domains --via podman exec compute1 -- "${VIRSH[@]}" "$(batch "${domains[@]}")"
disk=$(podman exec compute1 sh -c 'ls /var/lib/nova/instances/*/disk | head -1')
"${CAP[@]}" qemu-img-chain --via podman exec compute1 -- /usr/bin/timeout -k 5 30 /usr/bin/qemu-img info -U \
    --output=json --backing-chain -- "$disk"
# its qcow2 header (guest_info reads an inactive domain's chain from the headers)
podman exec compute1 head -c 1024 "$disk" > "$OUT/disk-header.bin"
podman exec -i controller python3 - > "$OUT/servers-detail.json" <<'PY'
import json, openstack
conn = openstack.connect(cloud="bed")
answer = conn.compute.get("/servers/detail?all_tenants=True&host=compute1&limit=1000",
                          microversion="2.1")
print(json.dumps(answer.json(), indent=1, sort_keys=True))
PY
{
    echo "captured: $(date -u +%F) by tools/capture-fixtures/guests/capture-bed.sh"
    podman exec compute1 virsh --version | sed 's/^/virsh: /'
    podman exec compute1 qemu-img --version | head -1
    podman exec compute1 dpkg-query -W -f 'nova-compute: ${Version}\n' nova-compute
} > "$OUT/VERSIONS.txt"
