"""Real faults on the converged bed, each with its running guests (the bed's
two and Nova's two instances): playbooks/diagnose.yml names the failed
layer, playbooks/site.yml heals the node, and the guests' qemu processes are
the same before and after.

The cases run in order; each starts from, and returns to, a healthy node.
"""

import time

import pytest

from conftest import (ansible_playbook, assert_no_secret, bed_host, diagnose, guest_pids, openstack, recap, report,
                      wait_for_server)

testinfra_hosts = ["compute1"]

GUESTS = ["bed-guest-bridge", "bed-guest-tap"]
LIBVIRT_UNITS = "libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd.service"
# compute1's nova-compute service row in Nova's database (the controller's MariaDB)
SERVICE_UPDATED = ("mysql -N -B nova -e \"SELECT updated_at FROM services WHERE host = 'compute1' "
                   "AND \\`binary\\` = 'nova-compute' AND deleted = 0\"")


def wait_healthy(timeout=120):
    """diagnose.yml until compute1 is healthy without warnings; its output."""
    deadline = time.monotonic() + timeout
    while True:
        rc, output = diagnose()
        if rc == 0 and "compute1: healthy\n" in output:
            return output
        assert time.monotonic() < deadline, "compute1 not healthy after %d s:\n%s" % (timeout, report(output))
        time.sleep(5)


def wait_reporting(timeout=300):
    """Until nova-compute on compute1 sends a new state report (every 10 s,
    report_interval): its row in Nova's database changes.

    "up" lasts service_down_time (60 s) after the last report, so a service
    whose reports stalled (after a broker restart its calls to nova-conductor
    can wait rpc_response_timeout for a lost reply) still looks up for a
    while, and the next case would see it go down. A poll of one row, not a
    diagnose.yml run each time.
    """
    controller = bed_host("controller")
    first = controller.check_output(SERVICE_UPDATED)
    deadline = time.monotonic() + timeout
    while controller.check_output(SERVICE_UPDATED) == first:
        assert time.monotonic() < deadline, "no state report from compute1's nova-compute in %d s" % timeout
        time.sleep(2)


def site(*args):
    rc, output = ansible_playbook("site.yml", "--limit", "compute1", *args)
    assert_no_secret(output)
    return rc, output


def heal_with_site(host, guests):
    """site.yml heals compute1: it succeeds, diagnose.yml turns healthy, the guests kept their qemu PIDs."""
    rc, output = site()
    assert rc == 0, output[-3000:]
    wait_healthy()
    assert guest_pids(host) == guests


def without(pids, name):
    """PIDS ({guest: qemu PID}) without the guest NAME."""
    return {guest: pid for guest, pid in pids.items() if guest != name}


@pytest.fixture
def guests(host, nova_instances):
    """The guests' qemu PIDs before the case, which starts from a healthy node
    whose state reports reach the control plane; the case compares them after."""
    wait_reporting()
    wait_healthy(timeout=300)
    pids = guest_pids(host)
    assert sorted(pids) == sorted(GUESTS + [s["OS-EXT-SRV-ATTR:instance_name"] for s in nova_instances.values()])
    return pids


def test_nova_compute_stopped(host, guests):
    host.check_output("systemctl stop nova-compute")
    rc, output = diagnose("nova-compute-stopped")
    assert rc != 0
    text = report(output)
    assert "compute1: UNHEALTHY - nova_compute failed" in text, text
    assert "why: nova-compute is stopped" in text and "%d guests still running in qemu" % len(guests) in text, text
    assert "do:  start nova-compute: systemctl start nova-compute" in text, text
    for name, pid in guests.items():
        assert "%s (pid %d)" % (name, pid) in text, text
    assert guest_pids(host) == guests

    heal_with_site(host, guests)


def test_libvirt_stopped_with_its_sockets(host, guests):
    host.check_output("systemctl stop " + LIBVIRT_UNITS)
    rc, output = diagnose("libvirt-stopped")
    assert rc != 0
    text = report(output)
    assert "compute1: UNHEALTHY - libvirt failed" in text, text
    assert "libvirt's daemon and its sockets are stopped" in text, text
    assert "do:  start libvirt's sockets: systemctl start libvirtd.socket" in text, text
    assert guest_pids(host) == guests

    # the advice heals it: nova-compute reconnects to libvirt by itself
    host.check_output("systemctl start libvirtd.socket")
    wait_healthy()
    assert guest_pids(host) == guests


def test_rabbitmq_stopped_recovers_without_a_restart(host, controller, guests):
    before = host.check_output("systemctl show -p MainPID -p ActiveEnterTimestampMonotonic nova-compute")
    controller.check_output("systemctl stop rabbitmq-server")
    try:
        rc, output = diagnose("rabbitmq-stopped")
        assert rc != 0
        text = report(output)
        assert "compute1: UNHEALTHY - nova_compute failed" in text, text
        assert "nova-compute runs but holds no connection to the message bus" in text, text
        assert "RabbitMQ at controller:5672 unreachable from this node" in text, text
    finally:
        controller.check_output("systemctl start rabbitmq-server")
    # oslo.messaging reconnects by itself: no restart from us
    wait_healthy()
    assert host.check_output("systemctl show -p MainPID -p ActiveEnterTimestampMonotonic nova-compute") == before
    assert guest_pids(host) == guests


def test_serial_rollout_stops_at_a_node_whose_nova_compute_does_not_come_back(host, controller, guests, tmp_path):
    """compute2 comes after compute1 in the roll-out and must never be touched
    (it does not exist: any attempt would show up as [compute2])."""
    compute2 = tmp_path / "compute2.yml"  # a second inventory source, read after the bed's
    compute2.write_text("nova_compute:\n  hosts:\n    compute2:\n      ansible_connection: podman\n"
                        "      ansible_host: novaops-no-such-node\n")
    args = ["-i", str(compute2), "-e", "nova_compute_serial=1", "-e", "nova_compute_restart_timeout=30",
            # a change that needs a restart, while nova-compute cannot reach RabbitMQ
            "-e", "nova_compute_cpu_allocation_ratio=8.0"]
    controller.check_output("systemctl stop rabbitmq-server")
    try:
        rc, output = ansible_playbook("site.yml", *args)
    finally:
        controller.check_output("systemctl start rabbitmq-server")
    assert_no_secret(output)
    assert rc != 0
    assert "compute1: nova-compute is activating after 30 s, not active" in output, output[-3000:]
    assert "diagnosis: compute1: nova_compute failed - nova-compute is starting but cannot" in output
    assert "stay as they were: compute2" in output.replace("\n        ", " ")
    assert "[compute2]" not in output and not recap(output, "compute2")
    assert "failed=1" in recap(output, "compute1")

    heal_with_site(host, guests)


def test_guest_qemu_killed(host, guests):
    host.check_output("kill -9 %d" % guests["bed-guest-tap"])
    time.sleep(2)  # libvirt sees the monitor close and marks the domain crashed
    rc, output = diagnose("guest-qemu-killed")
    assert rc != 0
    text = report(output)
    assert "compute1: UNHEALTHY - qemu failed" in text, text
    assert "the guest bed-guest-tap is down: its qemu process died" in text, text
    assert "bed-guest-bridge (pid %d)" % guests["bed-guest-bridge"] in text, text
    assert guest_pids(host) == without(guests, "bed-guest-tap")

    # site.yml does not start guests: the operator (or Nova) does
    host.check_output("virsh -c qemu:///system start bed-guest-tap")
    wait_healthy()
    assert guest_pids(host)["bed-guest-bridge"] == guests["bed-guest-bridge"]


def test_instance_qemu_killed_then_nova_stops_it(host, controller, guests, nova_instances):
    """A Nova instance's qemu killed: diagnose.yml names the server; Nova's
    power-state sync (libvirt's lifecycle event) then marks it SHUTOFF, and
    `openstack server start`, as advised, brings it back."""
    server = nova_instances["bed-vm-2"]
    domain = server["OS-EXT-SRV-ATTR:instance_name"]
    host.check_output("kill -9 %d" % guests[domain])
    time.sleep(2)  # libvirt sees the monitor close and marks the domain crashed
    rc, output = diagnose("instance-qemu-killed")
    assert rc != 0
    text = report(output)
    assert "compute1: UNHEALTHY - qemu failed" in text, text
    assert "the guest %s (Nova server bed-vm-2, %s) is down" % (domain, server["id"]) in text, text
    assert "openstack server start %s" % server["id"] in text, text
    assert guest_pids(host) == without(guests, domain)

    # What Nova makes of it, recorded: the server goes SHUTOFF without anyone asking
    stopped = wait_for_server(controller, server["id"], statuses=("SHUTOFF",), timeout=180)
    actions = openstack(controller, "server", "event", "list", server["id"])
    print("after kill -9 of %s's qemu, Nova reports: status %s, power state %s, task state %s; events: %s" % (
        domain, stopped["status"], stopped["OS-EXT-STS:power_state"], stopped["OS-EXT-STS:task_state"],
        ", ".join(sorted({a["Action"] for a in actions}))))
    assert stopped["OS-EXT-STS:power_state"] in ("Shutdown", 4)
    assert host.check_output("virsh -c qemu:///system domstate --reason %s" % domain).startswith("shut off")

    openstack(controller, "server", "start", server["id"], parse=False)
    wait_for_server(controller, server["id"])
    wait_healthy()
    after = guest_pids(host)
    assert after[domain] != guests[domain]
    assert without(after, domain) == without(guests, domain)
