#!/usr/bin/env bash
# P2b: the idempotent re-run of site.yml on N converged compute nodes against
# the same re-run on one. A benchmark, not a test (`make test` runs none of it).
#   make demo && bench/molecule/p2b.sh [N]        (N: 10 by default; needs /usr/bin/time)
# On a converged bed of the default scenario (`make demo`, or a Molecule
# converge):
#   1. commits compute1 as an image and starts N-1 clones of it (compute2...,
#      10.89.77.12..., the same privileges and devices), each in groups
#      nova_compute and vnc_clients of a copy of the bed's inventory, with its
#      own address as its console proxy-client address;
#   2. registers them: one site.yml run on the clones (their nova.conf gets
#      their own address, nova-compute restarts under their own host name),
#      then waits until the Compute API lists each one's nova-compute as up;
#   3. times site.yml (median of RUNS, 3 by default) on compute1 alone, then
#      on all N with forks = N, both with site.yml's default serial batches
#      ([1, "25%"]) and with every node in one batch (-e nova_compute_serial=N),
#      over podman exec; then compute1 alone and all N in one batch over SSH
#      with pipelining and ControlPersist (each node's sshd is the vnc_client
#      role's; a throw-away key is authorised for the time of the benchmark),
#      and those two again with inject_facts_as_vars = False;
#   4. removes the clones, their compute services (and so their resource
#      providers) and the image, also when a step fails; with
#      NOVAOPS_BENCH_KEEP=1 it keeps the clones and their inventories (in
#      .cache/bench-p2b) for a closer look, and the next run removes them first.
# Each row also gives the CPU time of ansible-playbook and its children on this
# machine (the controller: forks, templating, ssh or podman clients; not the
# nodes' module runs), the part of the cost that grows with the nodes wherever
# they run.
# Results: bench/molecule/results.md (appended, with the machine).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
nodes="${1:-10}"
runs="${RUNS:-3}"
export PATH="$root/.venv/bin:$PATH" CONTAINERS_CONF="$root/tools/podman/containers.conf"
export ANSIBLE_CONFIG="$root/ansible.cfg" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
results="$root/bench/molecule/results.md"
work="$root/.cache/bench-p2b"
image=localhost/novaops/bench-p2b-compute
clones=()
for i in $(seq 2 "$nodes"); do clones+=("compute$i"); done
openstack() { podman exec controller openstack --os-cloud bed "$@"; }

cleanup() {
  podman exec compute1 sed -i "/ novaops-bench$/d" /root/.ssh/authorized_keys > /dev/null 2>&1 || true
  for name in "${clones[@]}"; do
    podman rm --force --ignore --time 0 "$name" > /dev/null 2>&1 || true
    for id in $(openstack compute service list --service nova-compute --host "$name" -f value -c ID 2>/dev/null); do
      openstack compute service delete "$id" > /dev/null 2>&1 || true
    done
  done
  podman rmi --force "$image" > /dev/null 2>&1 || true
}
cleanup  # what a kept run left
trap '[ "${NOVAOPS_BENCH_KEEP:-0}" = 1 ] || cleanup' EXIT
rm -rf "$work" && mkdir -p "$work"
# shellcheck disable=SC2012  # newest first, names without spaces
inventory="$(dirname "$(ls -t "$HOME"/.ansible/tmp/molecule.*.default/inventory/ansible_inventory.yml | head -n 1)")"
cp -r "$inventory" "$work/inventory"
devices=()
[ -e /dev/kvm ] && devices=(--device /dev/kvm)

podman commit --pause compute1 "$image" > /dev/null
i=2
for name in "${clones[@]}"; do
  podman run -d --name "$name" --hostname "$name" --privileged --systemd always "${devices[@]}" \
    --network novaops-bed --ip "10.89.77.$((10 + i))" "$image" /sbin/init > /dev/null
  i=$((i + 1))
done
for name in "${clones[@]}"; do
  podman exec "$name" systemctl is-system-running --wait > /dev/null || true
done

python3 - "$work/inventory" "${clones[@]}" <<'PY'
import os, sys, yaml
inventory, clones = sys.argv[1], sys.argv[2:]
# Molecule's inventory: the groups in `hosts`, the connection in ansible_inventory.yml
groups_file, hosts_file = os.path.join(inventory, "hosts"), os.path.join(inventory, "ansible_inventory.yml")
groups, hosts = yaml.safe_load(open(groups_file)), yaml.safe_load(open(hosts_file))
compute1 = yaml.safe_load(open(os.path.join(inventory, "host_vars", "compute1")))
for number, name in enumerate(clones, start=2):
    for group in ("nova_compute", "vnc_clients"):
        groups["all"]["children"][group]["hosts"][name] = {}
    hosts["all"]["hosts"][name] = dict(hosts["all"]["hosts"]["compute1"])
    own = dict(compute1, ansible_host=name,
               nova_compute_vnc_server_proxyclient_address="10.89.77.%d" % (10 + number))
    yaml.safe_dump(own, open(os.path.join(inventory, "host_vars", name), "w"))
yaml.safe_dump(groups, open(groups_file, "w"))
yaml.safe_dump(hosts, open(hosts_file, "w"))
PY

ansible-playbook -i "$work/inventory" playbooks/site.yml --limit "$(IFS=,; echo "${clones[*]}")" -f "$nodes" \
  -e nova_compute_serial="$nodes" > "$work/register.log" 2>&1
for name in "${clones[@]}"; do
  for _ in $(seq 60); do
    [ "$(openstack compute service list --service nova-compute --host "$name" -f value -c State)" = up ] && break
    sleep 5
  done
  [ "$(openstack compute service list --service nova-compute --host "$name" -f value -c State)" = up ] || {
    echo "p2b: $name's nova-compute is not up in the Compute API" >&2; exit 1; }
done

declare -a rows=()
measure() {
  local name="$1" inv="$2"; shift 2
  local times=() cpus=() status=ok
  for run in $(seq "$runs"); do
    local start ms log="$work/${name//[^a-z0-9]/-}-$run.log"
    start=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$work/cpu" \
      ansible-playbook -i "$inv" playbooks/site.yml "$@" > "$log" 2>&1 || status="FAILED (see $log)"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    times+=("$ms")
    cpus+=("$(awk '{ printf "%.1f", $1 + $2 }' "$work/cpu")")
    if grep -E '^compute[0-9]+ +:' "$log" | grep -vq ' changed=0 '; then status="changed something (see $log)"; fi
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  echo "$median" > "$work/median-${name//[^a-z0-9]/-}"
  rows+=("| $name | $((median / 1000)).$(( (median % 1000) / 100 )) | $(printf '%s ' "${times[@]}" | awk '{for (i = 1; i <= NF; i++) printf "%.1f ", $i / 1000}')| ${cpus[*]} | $status |")
}
measure "1 node (compute1)" "$work/inventory" --limit compute1
measure "$nodes nodes, default serial batches" "$work/inventory" --limit nova_compute -f "$nodes"
measure "$nodes nodes, one batch" "$work/inventory" --limit nova_compute -f "$nodes" -e nova_compute_serial="$nodes"

# The same nodes over SSH
ssh-keygen -q -t ed25519 -N '' -C novaops-bench -f "$work/id_ed25519"
for name in compute1 "${clones[@]}"; do
  podman exec -i "$name" sh -c 'mkdir -p -m 0700 /root/.ssh && cat >> /root/.ssh/authorized_keys' < "$work/id_ed25519.pub"
done
cp -r "$work/inventory" "$work/inventory-ssh"
hosts=("compute1=10.89.77.11")
i=2
for name in "${clones[@]}"; do hosts+=("$name=10.89.77.$((10 + i))"); i=$((i + 1)); done
python3 bench/molecule/ssh_inventory.py "$work/inventory-ssh" "$work/id_ed25519" "${hosts[@]}"
measure "1 node (compute1), ssh" "$work/inventory-ssh" --limit compute1
measure "$nodes nodes, one batch, ssh" "$work/inventory-ssh" --limit nova_compute -f "$nodes" \
  -e nova_compute_serial="$nodes"
# The same over SSH without facts injected as top-level variables
# (inject_facts_as_vars = False: the roles read ansible_facts only), which
# spares the controller a copy of every host's facts per host and task.
ANSIBLE_INJECT_FACTS_AS_VARS=False measure "1 node (compute1), ssh, facts not injected" \
  "$work/inventory-ssh" --limit compute1
ANSIBLE_INJECT_FACTS_AS_VARS=False measure "$nodes nodes, one batch, ssh, facts not injected" \
  "$work/inventory-ssh" --limit nova_compute -f "$nodes" -e nova_compute_serial="$nodes"

ratio() { awk -v a="$(cat "$work/median-$1")" -v b="$(cat "$work/median-$2")" 'BEGIN { printf "%.2f", a / b }'; }

{
  echo
  echo "## P2b: site.yml re-run on $nodes converged compute nodes vs one, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(git rev-parse --short HEAD)"
  echo
  echo "| run | median s | each run, s | controller CPU s, each run | result |"
  echo "| --- | ---: | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Ratio to one node (target: at most 2), over podman exec: default serial batches" \
       "$(ratio "${nodes}-nodes--default-serial-batches" 1-node--compute1-)," \
       "one batch $(ratio "${nodes}-nodes--one-batch" 1-node--compute1-); over SSH, one batch" \
       "$(ratio "${nodes}-nodes--one-batch--ssh" 1-node--compute1---ssh); over SSH without injected facts," \
       "one batch $(ratio "${nodes}-nodes--one-batch--ssh--facts-not-injected" 1-node--compute1---ssh--facts-not-injected)."
} >> "$results"
tail -n $(( ${#rows[@]} + 6 )) "$results"
