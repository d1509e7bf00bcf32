#!/usr/bin/env bash
# P2: wall time of an idempotent re-run of site.yml on one converged node,
# plain ansible-playbook with the checkout's ansible.cfg, as an operator runs
# it: over the bed's podman exec, and over SSH with pipelining and
# ControlPersist (compute1's sshd is the vnc_client role's). A benchmark, not
# a test: it records the median of RUNS runs of each and the tasks that ran;
# a run that changes something is recorded as such.
#   make demo            # or any converged bed of the default scenario
#   bench/molecule/rerun.sh [RUNS]
# Results: bench/molecule/results.md (appended, with the machine).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
runs="${1:-5}"
export PATH="$root/.venv/bin:$PATH" CONTAINERS_CONF="$root/tools/podman/containers.conf"
export ANSIBLE_CONFIG="$root/ansible.cfg" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
results="$root/bench/molecule/results.md"
work="$root/.cache/bench-rerun"
# shellcheck disable=SC2012  # newest first, names without spaces
# The newest inventory Molecule wrote for the default scenario (`make demo` or a converge).
inventory="$(dirname "$(ls -t "$HOME"/.ansible/tmp/molecule.*.default/inventory/ansible_inventory.yml | head -n 1)")"
compute_ip="$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' compute1)"

# SSH: a throw-away key, authorised on compute1 for the time of the benchmark.
rm -rf "$work" && mkdir -p "$work"
ssh-keygen -q -t ed25519 -N '' -C novaops-bench -f "$work/id_ed25519"
podman exec -i compute1 sh -c 'mkdir -p -m 0700 /root/.ssh && cat >> /root/.ssh/authorized_keys' < "$work/id_ed25519.pub"
trap 'podman exec compute1 sed -i "/ novaops-bench$/d" /root/.ssh/authorized_keys || true' EXIT
# The same inventory, with compute1 reached over SSH (host_vars win over the inventory's own).
cp -r "$inventory" "$work/inventory-ssh"
python3 bench/molecule/ssh_inventory.py "$work/inventory-ssh" "$work/id_ed25519" "compute1=$compute_ip"

declare -a rows=()
measure() {
  local name="$1" inv="$2" times=() recap="" status=ok
  for run in $(seq "$runs"); do
    local start ms log="$work/${name// /-}-$run.log"
    start=$(date +%s%N)
    ansible-playbook -i "$inv" playbooks/site.yml > "$log" 2>&1 || status="FAILED (see $log)"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    times+=("$ms")
    recap="$(grep -E '^compute1 +:' "$log" | tail -n 1 | tr -s ' ')"
    grep -qE '^compute1 +:.* changed=0 ' "$log" || status="changed something (see $log)"
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  rows+=("| $name | $((median / 1000)).$(( (median % 1000) / 100 )) | $(printf '%s ' "${times[@]}" | awk '{for (i = 1; i <= NF; i++) printf "%.1f ", $i / 1000}')| ${recap#compute1 : } | $status |")
}
measure "podman exec" "$inventory"
measure "SSH, pipelining, ControlPersist" "$work/inventory-ssh"

{
  echo
  echo "## site.yml re-run on converged compute1, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end, $(git rev-parse --short HEAD)"
  echo
  echo "| connection | median s | each run, s | compute1's recap (last run) | result |"
  echo "| --- | ---: | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} >> "$results"
tail -n $(( ${#rows[@]} + 4 )) "$results"
