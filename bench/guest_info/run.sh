#!/usr/bin/env bash
# Run the guest_info benchmark in the bed's compute1 (a running bed: `make demo`
# or `molecule create` + `converge`). Copies this checkout's collection and
# ansible-core's module_utils into the container, runs bench.py there, copies
# results.md back, and removes what it copied (bench.py removes its domains).
# Usage: bench/guest_info/run.sh [--domains 200] [--repeat 3]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NODE=${NODE:-compute1}
STAGE=/tmp/novaops-bench-stage
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/tools/podman/containers.conf}
ANSIBLE_PKG=$("$ROOT/.venv/bin/python" -c 'import ansible, os; print(os.path.dirname(ansible.__file__))')

# shellcheck disable=SC2317  # run by the trap
cleanup() { podman exec "$NODE" rm -rf "$STAGE" || true; }
trap cleanup EXIT INT TERM
podman exec "$NODE" mkdir -p "$STAGE/lib/ansible_collections/novaops" "$STAGE/lib/ansible"
podman cp "$ANSIBLE_PKG/module_utils" "$NODE:$STAGE/lib/ansible/module_utils"
podman exec "$NODE" sh -c "cp /dev/null $STAGE/lib/ansible/__init__.py"
git -C "$ROOT" archive --format=tar --prefix=compute/ HEAD plugins | podman exec -i "$NODE" tar -x -C "$STAGE/lib/ansible_collections/novaops"
podman cp "$HERE/bench.py" "$NODE:$STAGE/bench.py"
status=0
podman exec "$NODE" python3 "$STAGE/bench.py" --collection "$STAGE/lib/ansible_collections/novaops/compute" \
    --pythonpath "$STAGE/lib" --out "$STAGE/results.md" "$@" || status=$?
podman cp "$NODE:$STAGE/results.md" "$HERE/results.md" || true
exit $status
