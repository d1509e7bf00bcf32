#!/usr/bin/env bash
# P1: converge of a bare compute node with site.yml, against a bare
# `apt-get install` of the same packages on an identical container.
# A benchmark, not a test: it records both times and their ratio.
#   make collection image guest-image bed-deps && bench/molecule/p1.sh
# Brings up the default scenario's bed (create + prepare: the controller and a
# bare compute1, which has only the bed's Neutron agent), then:
#   1. commits the bare compute1 as an image;
#   2. baseline: a systemd container from that image, on the bed's network,
#      its apt archives empty, runs `apt-get update` and `apt-get install
#      --no-install-recommends` of the packages the two roles install
#      (nova_compute's and vnc_client's Debian lists), with nova-compute masked
#      as the role masks it (started by the package with Debian's default
#      nova.conf it would wait for a conductor until its start times out);
#   3. converge: compute1's apt archives emptied the same way,
#      `ansible-playbook playbooks/site.yml`, the whole playbook as an operator
#      runs it (packages, qemu.conf, nova.conf validated, services, nova-compute
#      up, the console check);
#   4. removes the container and the image, and the bed unless
#      NOVAOPS_BENCH_KEEP=1 (then it is a converged bed for rerun.sh and
#      p2b.sh), also when a step fails.
# NOVAOPS_BENCH_CONNECTION=ssh: the converge reaches compute1 over SSH with
# pipelining and ControlPersist, as an operator's control host does, instead
# of the bed's podman exec; openssh-server is then installed on the bare
# compute1 before step 1 (so on both containers: a node an operator reaches
# over SSH has it) and a throw-away key authorised.
# Results: bench/molecule/results.md (appended, with the machine).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH" CONTAINERS_CONF="$root/tools/podman/containers.conf"
export ANSIBLE_CONFIG="$root/ansible.cfg" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
results="$root/bench/molecule/results.md"
work="$root/.cache/bench-p1"
image=localhost/novaops/bench-p1-bare-compute1
mkdir -p "$work"
cleanup() {
  podman rm --force --ignore --time 0 bench-p1-baseline >/dev/null 2>&1 || true
  podman rmi --force "$image" >/dev/null 2>&1 || true
  [ "${NOVAOPS_BENCH_KEEP:-0}" = 1 ] || molecule destroy -s default >/dev/null 2>&1 || true
}
trap cleanup EXIT
packages="$(python3 - <<'PY'
import yaml
names = yaml.safe_load(open("roles/nova_compute/vars/Debian.yml"))["__nova_compute_packages"]
names += yaml.safe_load(open("roles/vnc_client/vars/Debian.yml"))["__vnc_client_packages"]
names.append(yaml.safe_load(open("roles/vnc_client/vars/Debian.yml"))["__vnc_client_sshd_package"])
print(" ".join(names))
PY
)"
seconds() { echo "$(( $1 / 1000 )).$(( ($1 % 1000) / 100 ))"; }

molecule destroy -s default > "$work/destroy.log" 2>&1
molecule create -s default > "$work/create.log" 2>&1
molecule prepare -s default > "$work/prepare.log" 2>&1
connection="${NOVAOPS_BENCH_CONNECTION:-podman exec}"
if [ "$connection" = ssh ]; then
  podman exec -e DEBIAN_FRONTEND=noninteractive compute1 \
    apt-get install -y -qq --no-install-recommends openssh-server > "$work/sshd.log" 2>&1
  rm -f "$work/id_ed25519" "$work/id_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C novaops-bench -f "$work/id_ed25519"
  podman exec -i compute1 sh -c 'mkdir -p -m 0700 /root/.ssh && cat >> /root/.ssh/authorized_keys' < "$work/id_ed25519.pub"
fi
podman exec compute1 apt-get clean
podman commit --pause compute1 "$image" > /dev/null

# the baseline
podman run -d --name bench-p1-baseline --privileged --systemd always --network novaops-bed \
  --hostname bench-p1-baseline "$image" /sbin/init > /dev/null
# systemd must be up (the packages' postinst start libvirt's units, as on compute1)
for _ in $(seq 30); do
  case "$(podman exec bench-p1-baseline systemctl is-system-running --wait 2>/dev/null)" in
    running|degraded) break ;;
  esac
  sleep 2
done
podman exec bench-p1-baseline ln -sf /dev/null /etc/systemd/system/nova-compute.service
start=$(date +%s%N)
# shellcheck disable=SC2086  # one word per package
podman exec -e DEBIAN_FRONTEND=noninteractive bench-p1-baseline sh -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages" > "$work/baseline.log" 2>&1
apt_ms=$(( ($(date +%s%N) - start) / 1000000 ))

# the converge
inventory="$(dirname "$(find "$HOME/.ansible/tmp" -path '*.default/inventory/ansible_inventory.yml' \
                         -newer "$work/destroy.log" | head -n 1)")"
if [ "$connection" = ssh ]; then
  # the same inventory, compute1 reached over SSH (host_vars win over the inventory's own)
  rm -rf "$work/inventory-ssh" && cp -r "$inventory" "$work/inventory-ssh"
  python3 bench/molecule/ssh_inventory.py "$work/inventory-ssh" "$work/id_ed25519" \
    "compute1=$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' compute1)"
  inventory="$work/inventory-ssh"
fi
start=$(date +%s%N)
status=ok
ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=12 \
  ansible-playbook -i "$inventory" playbooks/site.yml > "$work/converge.log" 2>&1 || status="FAILED (see $work/converge.log)"
site_ms=$(( ($(date +%s%N) - start) / 1000000 ))
ratio=$(awk -v a="$site_ms" -v b="$apt_ms" 'BEGIN { printf "%.2f", a / b }')

{
  echo
  echo "## P1: converge of a bare compute1 vs apt-get install, over $connection, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(git rev-parse --short HEAD)"
  echo
  echo "Packages: $packages (and what they depend on), from an empty apt archive on both$(
    [ "$connection" = ssh ] && echo " (openssh-server already installed on both, for the SSH connection)")."
  echo
  echo "| run | seconds | result |"
  echo "| --- | ---: | --- |"
  echo "| apt-get update + apt-get install --no-install-recommends | $(seconds "$apt_ms") | ok |"
  echo "| ansible-playbook playbooks/site.yml (bare compute1 to a running compute node) | $(seconds "$site_ms") | $status |"
  echo "| ratio | $ratio | target: at most 1.20 |"
  echo
  echo "The converge's largest tasks (profile_tasks):"
  echo
  echo '```'
  sed -n '/^TASKS RECAP/,$p' "$work/converge.log" | grep -E -- '-{3,} +[0-9.]+s$' | sed -E 's/ -{3,} +/  /'
  echo '```'
} >> "$results"
tail -n 26 "$results"
