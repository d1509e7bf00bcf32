#!/usr/bin/env bash
# Wall time of each phase of the default Molecule scenario, of the faults
# scenario as a whole, and of an idempotent
# re-run of site.yml on one converged node (plain ansible-playbook, no
# Molecule around it). A benchmark, not a test: it records, it asserts
# nothing. Results: bench/molecule/results.md (appended, with the machine).
#   make venv collection image && bench/molecule/run.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"
export CONTAINERS_CONF="$root/tools/podman/containers.conf"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
results="$root/bench/molecule/results.md"
declare -a rows=()

phase() {
  local name="$1"; shift
  local start ms status=ok
  start=$(date +%s%N)
  # A failing phase is recorded as such; the benchmark goes on.
  "$@" > "$root/.cache/bench-${name// /-}.log" 2>&1 || status="FAILED (see .cache/bench-${name// /-}.log)"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  rows+=("| $name | $((ms / 1000)).$(( (ms % 1000) / 100 )) | $status |")
}

trap 'molecule destroy -s default >/dev/null 2>&1 || true; molecule destroy -s faults >/dev/null 2>&1 || true' EXIT
mkdir -p "$root/.cache"
phase destroy molecule destroy -s default
marker="$root/.cache/bench-marker"
touch "$marker"
phase create+prepare molecule create -s default
phase converge molecule converge -s default
phase idempotence molecule idempotence -s default
# This checkout's ephemeral Molecule inventory: the one written since create.
inventory="$(dirname "$(find "$HOME/.ansible/tmp" -path '*.default/inventory/ansible_inventory.yml' \
                         -newer "$marker" | head -n 1)")"
for run in 1 2 3; do
  phase "site.yml re-run $run" ansible-playbook -i "$inventory" playbooks/site.yml
done
phase verify molecule verify -s default
phase destroy molecule destroy -s default
# The second scenario, whole: its own bed, 18 bad inputs and six real faults.
phase "faults scenario (molecule test -s faults)" molecule test -s faults

{
  echo
  echo "## $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(free -g | awk '/^Mem/ {print $2}') GiB, $(uname -m)"
  echo
  echo "| phase | seconds | result |"
  echo "| --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} >> "$results"
tail -n $(( ${#rows[@]} + 4 )) "$results"
