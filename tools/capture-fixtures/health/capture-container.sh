#!/usr/bin/env bash
# Capture node_health_info's inputs on a real systemd node: a privileged
# podman container (Debian 12 + systemd, the bed's base image) with Debian's
# nova-compute, libvirt and a loopback-only RabbitMQ, walked through the
# faults operators meet. No nova-conductor exists, so nova-compute (Type=notify)
# stays "activating" after reaching RabbitMQ: the real state of a compute node
# whose control plane is missing.
#
#   activating-connected  nova-compute activating, ESTABLISHED to RabbitMQ, a KVM guest running
#   broker-down           rabbitmq-server stopped: nova-compute has no bus connection
#   libvirt-down          libvirtd and its sockets stopped: the guest's qemu keeps running
#   nova-stopped          libvirt back, nova-compute stopped: the guest keeps running
#   nova-crashloop        a typo in nova.conf: nova-compute exits, systemd restarts it
#   nova-failed           the same without Restart=: the unit fails
#
# Needs root, podman, the base image (make image) and tools/podman/containers.conf.
# The container (novaops-health-capture) is removed on exit, whatever happens.
# Packages come from Debian's mirrors through apt, cached in
# /var/tmp/novaops-health-apt (seeded from the bed's caches when present).
#
# Usage: tools/capture-fixtures/health/capture-container.sh [OUTDIR]
# HEALTH_CAPTURE_HOOK, when set, is run as "$HEALTH_CAPTURE_HOOK SCENARIO
# /etc/nova/nova.conf novaops-health-capture" in every scenario.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
OUT=${1:-$HEALTH_ROOT/tests/unit/fixtures/health/container}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HEALTH_ROOT/tools/podman/containers.conf}
C=novaops-health-capture
IMAGE=localhost/novaops/debian12-systemd:latest
APT_CACHE=/var/tmp/novaops-health-apt
GUEST=novaops-health-c1
# TEST-ONLY password of the throw-away broker inside the container
RABBIT_PASSWORD=novaops-capture-secret

cleanup() {
    podman rm -f "$C" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

X() { podman exec "$C" "$@"; }
XI() { podman exec -i "$C" "$@"; }  # with stdin: heredocs and pipes reach tee
CAP() { # NAME ARGV...
    local name=$1
    shift
    python3 "$HEALTH_HERE/capture.py" "$OUT/$scenario" "$name" --via podman exec "$C" -- "$@"
}
wait_for() { # SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq "$((seconds * 2))"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    echo "timed out waiting for: $what" >&2
    return 1
}
nova_connected() { X ss -tnpH state established '( dport = :5672 )' | grep -q nova-compute; }
nova_disconnected() { ! nova_connected; }
unit_is() { [ "$(X systemctl show -p ActiveState --value "$1")" = "$2" ]; }

capture_scenario() { # SCENARIO
    scenario=$1
    mkdir -p "$OUT/$scenario"
    CAP systemctl-show-auto "${SYSTEMCTL_SHOW[@]}" "${AUTO_UNITS[@]}"
    CAP ss "${SS[@]}"
    virsh_argv qemu:///system
    CAP virsh-batch "${VIRSH_ARGV[@]}"
    local main
    main=$(X systemctl show -p MainPID --value nova-compute)
    local deep=()
    [ "$main" != 0 ] && deep=(--deep "$main")
    podman exec -i "$C" python3 - "${deep[@]}" \
        --match 'nova-compute|qemu-system|qemu-kvm|libvirtd|virtqemud|beam.smp' \
        < "$HEALTH_HERE/proc_snapshot.py" > "$OUT/$scenario/proc.json"
    X cat /etc/nova/nova.conf > "$OUT/$scenario/nova.conf"
    if [ -n "${HEALTH_CAPTURE_HOOK:-}" ]; then
        "$HEALTH_CAPTURE_HOOK" "$scenario" /etc/nova/nova.conf "$C" || echo "hook failed (ignored)" >&2
    fi
}

write_nova_conf() { # [EXTRA [DEFAULT] LINE]
    XI tee /etc/nova/nova.conf >/dev/null <<CONF
[DEFAULT]
host = compute-capture
state_path = /var/lib/nova
compute_driver = libvirt.LibvirtDriver
${1:-}
transport_url = rabbit://nova:$RABBIT_PASSWORD@localhost:5672,nova:$RABBIT_PASSWORD@127.0.0.2:5672/
[libvirt]
virt_type = kvm
[oslo_concurrency]
lock_path = /var/lib/nova/tmp
CONF
    X grep -q '^transport_url = rabbit://' /etc/nova/nova.conf
    X chown root:nova /etc/nova/nova.conf
    X chmod 0640 /etc/nova/nova.conf
}

# --- the node ----------------------------------------------------------------
mkdir -p "$APT_CACHE" "$OUT"
for seed in "$HEALTH_ROOT"/.cache/apt-archives/compute1 "$HEALTH_ROOT"/.cache/apt-archives/controller; do
    [ -d "$seed" ] && find "$seed" -maxdepth 1 -name '*.deb' -exec cp -n {} "$APT_CACHE"/ \;
done
podman run -d --name "$C" --hostname compute-capture --privileged --systemd=always \
    -v "$APT_CACHE:/var/cache/apt/archives" "$IMAGE" /sbin/init >/dev/null
wait_for 60 "systemd in $C" X systemctl is-system-running --wait
# Type=notify services started by postinst would block apt: start nothing.
X sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
X env DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends nova-compute rabbitmq-server iproute2 procps >/tmp/apt.log 2>&1' \
    || { X tail -20 /tmp/apt.log >&2; exit 1; }
X rm -f /usr/sbin/policy-rc.d

# RabbitMQ's AMQP listeners on loopback only
X mkdir -p /etc/rabbitmq
XI tee /etc/rabbitmq/rabbitmq.conf >/dev/null <<'CONF'
listeners.tcp.1 = 127.0.0.1:5672
listeners.tcp.2 = ::1:5672
CONF
# (the Erlang distribution port stays on the container's own address: the
# CLI, rabbitmqctl, reaches the node through its host name)
X systemctl restart rabbitmq-server
X ss -tlnH | grep -q '127.0.0.1:5672'
X rabbitmqctl add_user nova "$RABBIT_PASSWORD" >/dev/null
X rabbitmqctl set_permissions nova '.*' '.*' '.*' >/dev/null

write_nova_conf
X truncate -s 0 /etc/nova/nova-compute.conf  # Debian's virt_type override, as the role does
# Keep one activation for the whole capture (Debian's unit has the default
# TimeoutStartSec=90s, then restarts): not a property the module reads.
X mkdir -p /etc/systemd/system/nova-compute.service.d
XI tee /etc/systemd/system/nova-compute.service.d/capture.conf >/dev/null <<'CONF'
[Service]
TimeoutStartSec=15min
CONF
X systemctl daemon-reload
X systemctl start libvirtd
domain_xml "$GUEST" kvm | podman exec -i "$C" sh -c 'cat > /tmp/guest.xml'
X virsh -c qemu:///system define /tmp/guest.xml >/dev/null
X virsh -c qemu:///system start --domain "$GUEST" >/dev/null

# --- scenarios ---------------------------------------------------------------
X systemctl start --no-block nova-compute
wait_for 120 "nova-compute connected to RabbitMQ" nova_connected
capture_scenario activating-connected

X systemctl stop rabbitmq-server
wait_for 60 "nova-compute without a RabbitMQ connection" nova_disconnected
capture_scenario broker-down
X systemctl start rabbitmq-server
wait_for 120 "nova-compute reconnected" nova_connected

X systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket
capture_scenario libvirt-down
X systemctl start libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket

X systemctl stop nova-compute
capture_scenario nova-stopped

# A typo in nova.conf that oslo.config rejects when nova-compute sets up its
# logging: it exits at start. (A bad compute_driver would not do: without a
# conductor, nova-compute waits for it before loading the driver.) Debian's
# unit restarts it (Restart=on-failure) after 100 ms, forever: each start
# takes longer than the start-limit window. RestartSec=10s (capture drop-in)
# makes the auto-restart phase long enough to be captured.
write_nova_conf "debug = ture"
restart_dropin() { # SETTINGS...
    printf '[Service]\nTimeoutStartSec=15min\n%s\n' "$@" | XI tee /etc/systemd/system/nova-compute.service.d/capture.conf >/dev/null
    X systemctl daemon-reload
}
restart_dropin RestartSec=10s
X systemctl start --no-block nova-compute
substate_is() { [ "$(X systemctl show -p SubState --value nova-compute)" = "$1" ]; }
wait_for 120 "nova-compute in auto-restart" substate_is auto-restart
capture_scenario nova-crashloop
X systemctl stop nova-compute
# Without Restart= (a unit that does not restart), the same fault: failed.
restart_dropin Restart=no
X systemctl reset-failed nova-compute
X systemctl start --no-block nova-compute
wait_for 120 "nova-compute failed" unit_is nova-compute failed
capture_scenario nova-failed

# shellcheck disable=SC2016  # dpkg-query's format, not a shell expansion
{
    echo "container: $(X dpkg-query -W -f '${Package} ${Version}\n' nova-compute libvirt-daemon qemu-system-x86 rabbitmq-server systemd | tr '\n' ' ')"
    echo "captured: $(date -u +%Y-%m-%d) by tools/capture-fixtures/health/capture-container.sh"
} > "$OUT/VERSIONS.txt"
