"""guest_info and image_cache_info on the bed's Nova instances (issue: the _base
image cache and the guest inventory).

The bed's cache manager passes each 20 s and removes an unused original image
once 45 s old (.config/molecule/config.yml), so the removal the module
predicts is watched happen.
"""

import calendar
import hashlib
import json
import time

import pytest
from conftest import (ADMIN_AUTH, INSTANCES, ansible_playbook, assert_no_secret, create_server, openstack,
                      wait_for_server)

testinfra_hosts = ["controller"]

CACHE = "/var/lib/nova/instances/_base"
CACHE_IMAGE = "novaops-guest-cache-test"
CACHE_SERVERS = ("bed-cache-1", "bed-cache-2")


def fingerprint(image_id):
    return hashlib.sha1(image_id.encode()).hexdigest()


def image_cache_info(compute1):
    return compute1.ansible("novaops.compute.image_cache_info", "", check=False)


def guest_info(compute1, auth=True):
    args = json.dumps({"auth": ADMIN_AUTH}) if auth else ""
    result = compute1.ansible("novaops.compute.guest_info", args, check=False)
    assert not result.get("failed"), result.get("msg")
    return result


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


@pytest.fixture(scope="module")
def image_id(host):
    """The ID of the image the bed's instances boot from."""
    return openstack(host, "image", "show", "novaops-guest")["id"]


def by_uuid(result):
    return {guest["uuid"]: guest for guest in result["guests"]}


def test_one_base_entry_used_by_both_instances(compute1, nova_instances, image_id):
    result = image_cache_info(compute1)
    assert not result.get("failed"), result.get("msg")
    entries = {entry["name"]: entry for entry in result["entries"]}
    entry = entries[fingerprint(image_id)]
    assert entry["in_use"] is True and entry["kind"] == "original" and entry["format"] == "raw"
    assert entry["image_id"] == image_id
    assert {user["instance_uuid"] for user in entry["users"]} == {s["id"] for s in nova_instances.values()}
    assert {user["instance_name"] for user in entry["users"]} == set(INSTANCES)
    assert entry["removal_expected"] is None and "removing it by hand breaks those disks" in entry["reason"]
    assert result["settings"]["manager_interval"] == 20
    # the bed's node has run a cache-manager pass (compute_nodes names it)
    assert result["manager"]["host"] == "compute1" and result["manager"]["last_pass"]
    assert result["storage"]["shared_filesystem"] is False


def test_guest_info_names_the_instances_by_their_nova_uuids(compute1, nova_instances, image_id):
    result = guest_info(compute1)
    guests = by_uuid(result)
    assert result["api"]["asked"] and result["api"]["host"] == "compute1"
    for name, server in nova_instances.items():
        guest = guests[server["id"]]
        assert guest["domain"] == server["OS-EXT-SRV-ATTR:instance_name"]
        assert guest["state"] == "running"
        assert guest["nova"]["name"] == name and guest["nova"]["flavor"]["name"] == "novaops.tiny"
        assert guest["nova"]["image_id"] == image_id
        (disk,) = [d for d in guest["disks"] if d["device"] == "disk"]
        assert disk["base"] == fingerprint(image_id)
        (interface,) = guest["interfaces"]
        assert interface["interface"].startswith("tap") and interface["type"] == "bridge"
        assert guest["console"]["type"] == "vnc" and guest["console"]["port"] >= 5900
        assert guest["api"]["status"] == "ACTIVE" and guest["api"]["id"] == server["id"]
    # both instances agree with Nova; the bed's hand-made guests are named as such
    problems = {p["instance_uuid"]: p for p in result["problems"]}
    assert not {s["id"] for s in nova_instances.values()} & set(problems)
    assert {p["code"] for p in result["problems"]} <= {"not_a_nova_instance"}


def test_without_credentials_the_node_view_alone(compute1, nova_instances):
    result = guest_info(compute1, auth=False)
    assert result["api"]["asked"] is False and result["problems"] == []
    assert {s["id"] for s in nova_instances.values()} <= set(by_uuid(result))


def problems_of(compute1, uuid):
    return [p for p in guest_info(compute1)["problems"] if p["instance_uuid"] == uuid]


def test_virsh_destroy_and_virsh_start_disagree_with_nova(host, compute1, nova_instances):
    """The notes' caveat: an instance stopped behind Nova's back, then started
    behind its back, and what Nova's power-state sync makes of each."""
    server = nova_instances[INSTANCES[1]]
    domain, uuid = server["OS-EXT-SRV-ATTR:instance_name"], server["id"]
    try:
        compute1.check_output("virsh -c qemu:///system destroy %s" % domain)
        # at once (Nova handles a stop event 15 s late): ACTIVE in Nova, shut off in libvirt
        (problem,) = problems_of(compute1, uuid)
        assert problem["code"] == "active_but_shut_off", problem
        assert "libvirt: shutoff (destroyed)" in problem["message"]
        assert "openstack server start %s" % uuid in problem["action"]
        # Nova's power-state sync stops it: then the two agree
        wait_for_server(host, uuid, statuses=("SHUTOFF",), timeout=180)
        assert problems_of(compute1, uuid) == []
        # virsh start behind Nova's back: Nova's sync force-stops it within seconds
        # (the unit tests hold what guest_info says in that window)
        compute1.check_output("virsh -c qemu:///system start %s" % domain)
        deadline = time.monotonic() + 180
        while "shut off" not in compute1.check_output("virsh -c qemu:///system domstate %s" % domain):
            assert time.monotonic() < deadline, "Nova did not stop the domain started behind its back"
            time.sleep(2)
        wait_for_server(host, uuid, statuses=("SHUTOFF",), timeout=60)
        deadline = time.monotonic() + 60
        while problems_of(compute1, uuid):  # until Nova's force-stop has ended
            assert time.monotonic() < deadline, "libvirt and Nova still disagree after Nova stopped the domain"
            time.sleep(3)
    finally:
        shown = openstack(host, "server", "show", uuid)
        if shown["status"] == "ACTIVE":
            compute1.run("virsh -c qemu:///system start %s" % domain)
        else:
            wait_for_server(host, uuid, statuses=("SHUTOFF",), timeout=180)
            openstack(host, "server", "start", uuid, parse=False)
        wait_for_server(host, uuid)
    deadline = time.monotonic() + 60
    while problems_of(compute1, uuid):
        assert time.monotonic() < deadline, "libvirt and Nova still disagree after the instance was started"
        time.sleep(3)


@pytest.fixture
def cache_image(host):
    """A second image (the same file, so a _base entry of its own), deleted after the test."""
    path = host.check_output("ls /srv/guest-image/novaops-guest-*.qcow2")
    image = openstack(host, "image", "create", "--disk-format", "qcow2", "--container-format", "bare",
                      "--file", path, CACHE_IMAGE, retry=False)
    try:
        yield image
    finally:
        for name in CACHE_SERVERS:
            host.run("openstack --os-cloud bed server delete --wait %s" % name)
        openstack(host, "image", "delete", image["id"], parse=False)


def test_an_unused_entry_and_when_nova_removes_it(host, compute1, cache_image):
    for name in CACHE_SERVERS:
        create_server(host, name, cache_image["id"])
    servers = [wait_for_server(host, name) for name in CACHE_SERVERS]
    name = fingerprint(cache_image["id"])
    entry = {e["name"]: e for e in image_cache_info(compute1)["entries"]}[name]
    assert entry["in_use"] and {u["instance_uuid"] for u in entry["users"]} == {s["id"] for s in servers}

    for server in servers:
        openstack(host, "server", "delete", "--wait", server["id"], parse=False)
    result = image_cache_info(compute1)
    entry = {e["name"]: e for e in result["entries"]}[name]
    assert entry["in_use"] is False and entry["users"] == [] and entry["minimum_age_seconds"] == 45
    removal, eligible = epoch(entry["removal_expected"]), epoch(entry["removable_at"])
    assert 0 <= removal - eligible <= 20 + 1, entry
    assert result["summary"]["reclaimable_bytes"] >= entry["size"] > 0
    # Nova removes it at the pass the module named (a pass may run a few seconds late)
    deadline = removal + 45
    while compute1.file("%s/%s" % (CACHE, name)).exists:
        assert time.time() < deadline, "entry still there 45 s after %s" % entry["removal_expected"]
        time.sleep(5)
    assert time.time() >= eligible - 1, "Nova removed the entry before the module said it could"


def test_inventory_report_playbook(nova_instances):
    rc, output = ansible_playbook("inventory_report.yml", "--limit", "compute1",
                                  "-e", json.dumps({"novaops_inventory_auth": ADMIN_AUTH}))
    assert rc == 0, output[-3000:]
    output = " ".join(output.split())  # the callback wraps long lines
    for name, server in nova_instances.items():
        assert "%s %s" % (name, server["id"]) in output
    assert "image cache /var/lib/nova/instances/_base" in output
    assert "never remove by hand" in output
    assert_no_secret(output)
