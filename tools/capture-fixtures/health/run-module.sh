#!/usr/bin/env bash
# Run novaops.compute.node_health_info for real and keep its result as JSON.
# Used as HEALTH_CAPTURE_HOOK by the capture scripts, while a scenario is up:
#   run-module.sh SCENARIO NOVA_CONF [CONTAINER]
# Without CONTAINER the module runs on this host; with it, inside that podman
# container (containers.podman.podman connection). Needs `make collection`.
# Writes $HEALTH_MODULE_OUT/SCENARIO.json (default: tests/unit/fixtures/health/module-runs/).
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
scenario=$1
nova_conf=$2
container=${3:-}
out=${HEALTH_MODULE_OUT:-$HEALTH_ROOT/tests/unit/fixtures/health/module-runs}
mkdir -p "$out"
export ANSIBLE_COLLECTIONS_PATH="$HEALTH_ROOT/.cache/collections:$HEALTH_ROOT/.venv/lib/python3.11/site-packages"
export ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=ansible.builtin.json
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HEALTH_ROOT/tools/podman/containers.conf}
if [ -n "$container" ]; then
    target=(-i "$container," -c containers.podman.podman "$container" -e ansible_python_interpreter=/usr/bin/python3)
else
    target=(-i "localhost," -c local localhost -e "ansible_python_interpreter=$(command -v python3)")
fi
LC_ALL=C.UTF-8 "$HEALTH_ROOT/.venv/bin/ansible" "${target[@]}" -m novaops.compute.node_health_info \
    -a "nova_conf=$nova_conf" > "$out/$scenario.raw.json" || true
python3 - "$out/$scenario.raw.json" "$out/$scenario.json" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    doc = json.load(f)
host = next(iter(doc["plays"][0]["tasks"][0]["hosts"].values()))
for key in ("_ansible_no_log", "_ansible_verbose_always", "invocation", "action", "_ansible_delegated_vars"):
    host.pop(key, None)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(host, f, indent=1, sort_keys=True)
    f.write("\n")
print("%s: healthy=%s failed_layer=%s" % (sys.argv[2], host.get("healthy"), (host.get("diagnosis") or {}).get("failed_layer")))
PY
rm -f "$out/$scenario.raw.json"
