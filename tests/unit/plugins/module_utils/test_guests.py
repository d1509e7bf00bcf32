"""Tests for _guests: libvirt's domains next to Nova's servers, judged by Nova 26's power-state sync rules."""

import pytest

from ansible_collections.novaops.compute.plugins.module_utils import _guests as guests

UUID1 = "77cb0890-0dbb-49fd-8dc4-e185f3c20b84"
UUID2 = "0f6c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"


def server(uuid=UUID1, name="bed-vm-1", vm_state="active", power=1, task=None, instance="instance-00000001"):
    # the fields of GET /servers/detail (microversion 2.1, admin) the join reads
    return guests.server_view({
        "id": uuid, "name": name, "status": {"active": "ACTIVE", "stopped": "SHUTOFF"}.get(vm_state, vm_state.upper()),
        "OS-EXT-STS:vm_state": vm_state, "OS-EXT-STS:task_state": task, "OS-EXT-STS:power_state": power,
        "OS-EXT-SRV-ATTR:instance_name": instance, "OS-EXT-SRV-ATTR:host": "compute1"})


def domain(name="instance-00000001", uuid=UUID1, state=1, reason=None, nova=True):
    return {"name": name, "uuid": uuid, "state": state, "state_reason": reason,
            "nova": {"name": "bed-vm-1"} if nova else None}


def codes(problems):
    return [p["code"] for p in problems]


def test_agreeing_node_has_no_problem():
    pairs, problems = guests.join([domain(), domain("instance-00000002", UUID2, state=5, reason="shutdown")],
                                  [server(), server(UUID2, "bed-vm-2", "stopped", 4, instance="instance-00000002")])
    assert problems == []
    assert pairs["instance-00000001"]["id"] == UUID1 and pairs["instance-00000002"]["vm_state"] == "stopped"


def test_virsh_destroy_of_an_active_instance():
    _pairs, problems = guests.join([domain(state=5, reason="destroyed")], [server()])
    (problem,) = problems
    assert problem["code"] == "active_but_shut_off"
    assert problem["instance_uuid"] == UUID1 and problem["domain"] == "instance-00000001"
    assert "libvirt: shutoff (destroyed)" in problem["message"]
    assert "openstack server start %s" % UUID1 in problem["action"]
    assert "Not virsh start" in problem["action"]


def test_virsh_start_behind_novas_back_is_undone_by_nova():
    (problem,) = guests.join([domain(state=1)], [server(vm_state="stopped", power=4)])[1]
    assert problem["code"] == "started_behind_novas_back"
    assert "force-stops it again" in problem["action"] and "never virsh start" in problem["action"]


def test_a_missing_domain_of_an_active_instance():
    (problem,) = guests.join([], [server()])[1]
    assert problem["code"] == "domain_missing" and problem["domain"] is None
    assert "reboot --hard %s" % UUID1 in problem["action"]


@pytest.mark.parametrize("srv", [
    server(task="spawning", vm_state="building", power=0),  # Nova is working on it
    server(vm_state="building", power=0),
    server(vm_state="shelved_offloaded", power=4),
])
def test_no_domain_is_expected(srv):
    assert guests.join([], [srv])[1] == []


def test_a_task_in_progress_is_left_alone_as_nova_does():
    assert guests.join([domain(state=5)], [server(task="powering-off")])[1] == []
    # a legitimate start: the domain runs before Nova records ACTIVE
    assert guests.join([domain(state=1)], [server(vm_state="stopped", power=4, task="powering-on")])[1] == []


def test_the_force_stop_nova_sends_after_a_virsh_start_is_named():
    (problem,) = guests.join([domain(state=1)], [server(vm_state="stopped", power=4, task="powering-off")])[1]
    assert problem["code"] == "started_behind_novas_back"
    assert "Nova is stopping it now" in problem["message"] and "never virsh start" in problem["action"]


def test_power_states_that_merely_differ():
    (problem,) = guests.join([domain(state=3, reason="ioerror")], [server(vm_state="stopped", power=4)])[1]
    assert problem["code"] == "started_behind_novas_back"  # paused counts as not stopped, as in Nova
    (problem,) = guests.join([domain(state=3, reason="ioerror")], [server(power=1)])[1]
    assert problem["code"] == "power_state_differs"
    assert "Nova records power state RUNNING, libvirt's domain is PAUSED" in problem["message"]


def test_domains_nova_does_not_know():
    found = guests.join([domain("instance-00000009", UUID2), domain("handmade", "1234", nova=False)], [])[1]
    assert codes(found) == ["not_a_nova_instance", "unknown_to_nova"]
    assert found[1]["instance_uuid"] == UUID2 and "openstack server show %s" % UUID2 in found[1]["action"]
    assert "reserved_host_memory_mb" in found[0]["action"]


def test_pairs_by_uuid_when_the_instance_name_is_not_given():
    # OS-EXT-SRV-ATTR:instance_name is admin only; the domain UUID is the instance UUID
    pairs, problems = guests.join([domain()], [server(instance=None)])
    assert problems == [] and list(pairs) == ["instance-00000001"]
