"""compute1 seen from the controller: the message bus, the compute service,
the cell mapping and the capacity placement was told about."""

import json

from conftest import COMPUTE_IP

testinfra_hosts = ["controller"]


def openstack(host, *args):
    # Fixed words only: testinfra would quote a joined string as one argument.
    out = host.check_output("openstack --os-cloud bed " + " ".join(args) + " -f json")
    return json.loads(out)


def placement(host, path):
    token = host.check_output("openstack --os-cloud bed token issue -f value -c id")
    out = host.check_output("curl -sf -H 'X-Auth-Token: %s' -H 'OpenStack-API-Version: placement 1.20' "
                            "http://controller:8778%s", token, path)
    return json.loads(out)


def test_nova_compute_holds_an_amqp_connection_from_compute1(host):
    out = host.check_output("rabbitmqctl -q list_connections user peer_host state")
    rows = [line.split() for line in out.splitlines()]
    assert any(row[:2] == ["nova", COMPUTE_IP] and row[-1] == "running" for row in rows), out


def test_compute_service_is_up(host):
    services = openstack(host, "compute service list --service nova-compute")
    compute = [s for s in services if s["Host"] == "compute1"]
    assert compute and compute[0]["State"] == "up" and compute[0]["Status"] == "enabled", services


def test_compute1_is_mapped_to_cell1(host):
    host.check_output("nova-manage cell_v2 discover_hosts")
    out = host.check_output("nova-manage cell_v2 list_hosts")
    assert any("cell1" in line and "compute1" in line for line in out.splitlines()), out


def test_placement_capacity_is_the_notes_arithmetic(host, compute1):
    cores = int(compute1.check_output("virsh -c qemu:///system nodeinfo | awk '/^CPU\\(s\\)/ {print $2}'"))
    providers = placement(host, "/resource_providers?name=compute1")["resource_providers"]
    assert len(providers) == 1, providers
    inventories = placement(host, "/resource_providers/%s/inventories" % providers[0]["uuid"])["inventories"]
    vcpu, memory = inventories["VCPU"], inventories["MEMORY_MB"]
    assert vcpu["total"] == cores
    assert vcpu["allocation_ratio"] == 16.0
    assert memory["reserved"] == 512
    assert memory["allocation_ratio"] == 1.5
