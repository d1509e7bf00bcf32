"""inventory_report.yml's report filter: results in the shape guest_info and
image_cache_info return (their RETURN docs; the modules' own tests hold the
real values)."""

from ansible_collections.novaops.compute.plugins.filter.inventory_report import inventory_report

UUID = "7a1a0cfd-3eab-47c2-a772-51ef8f441750"
BASE = "38fe6ad71a1516782130b7589640467367709dc3"
GUESTS = {
    "changed": False,
    "guests": [
        {"domain": "bed-guest-tap", "uuid": "ae6a", "state": "running", "state_reason": None, "nova": None,
         "disks": [], "interfaces": [{"interface": "tap3f2c1a9e-7b", "mac": "fa:16:3e:11:22:33"}],
         "console": {"type": "vnc", "port": 5900, "listen": "0.0.0.0"}, "api": None},
        {"domain": "instance-00000002", "uuid": UUID, "state": "shutoff", "state_reason": "destroyed",
         "nova": {"name": "bed-vm-2", "flavor": {"name": "novaops.tiny"}},
         "disks": [{"base": BASE}], "interfaces": [{"interface": "tapef7d9c9d-a3", "mac": "fa:16:3e:9d:fb:14"}],
         "console": {"type": "vnc", "port": None, "listen": "0.0.0.0"}, "api": {"status": "ACTIVE"}},
    ],
    "problems": [
        {"code": "not_a_nova_instance", "domain": "bed-guest-tap", "message": "domain bed-guest-tap is not a Nova "
         "instance", "action": "remove it, or reserve what it uses for the host"},
        {"code": "active_but_shut_off", "domain": "instance-00000002", "message": "bed-vm-2 (%s) is ACTIVE in Nova "
         "but its domain is not running" % UUID, "action": "openstack server start %s" % UUID},
    ],
    "api": {"asked": True, "host": "compute1", "servers": 1, "error": None},
    "summary": {"domains": 2, "running": 1, "nova_instances": 1, "problems": 2},
}
CACHE = {
    "cache_dir": "/var/lib/nova/instances/_base",
    "entries": [
        {"name": BASE, "kind": "original", "size": 284491776, "in_use": True,
         "users": [{"instance_name": "bed-vm-2", "instance_uuid": UUID}], "reason": "the backing file of 1 disk"},
        {"name": "a" * 40, "kind": "original", "size": 1048576, "in_use": False, "users": [],
         "reason": "unused; Nova removes it once 86400s old"},
    ],
    "summary": {"entries": 2, "in_use": 1, "unused": 1, "size_bytes": 285540352, "reclaimable_bytes": 1048576,
                "reclaimable_now_bytes": 0},
    "manager": {"host": "compute1", "last_pass": "2026-11-30T21:00:00Z", "next_pass": "2026-11-30T21:00:30Z"},
    "missing_backing": [{"disk": "/var/lib/nova/instances/u/disk", "backing_file": "/var/lib/nova/instances/_base/x"}],
}


def test_one_line_per_guest_then_the_disagreements_then_the_cache():
    lines = inventory_report(GUESTS, CACHE, "compute1")
    assert lines[0] == "compute1: 2 domains, 1 running, 1 Nova instances; Nova's view: 1 servers here"
    assert "not a Nova instance" in lines[1] and "vnc 0.0.0.0:5900" in lines[1]
    assert "shutoff (destroyed)" in lines[2] and "bed-vm-2 %s" % UUID in lines[2]
    assert "_base %s" % BASE[:12] in lines[2] and "Nova ACTIVE" in lines[2]
    text = "\n".join(lines)
    assert "  libvirt and Nova disagree:" in lines
    assert "      do: openstack server start %s" % UUID in lines
    # the node-side advice names no role variable: the report adds where the role sets it
    assert "nova_compute_reserved_host_memory_mb" in text
    assert "image cache /var/lib/nova/instances/_base: 2 entries, 272.3 MiB on disk, 1 in use; 1.0 MiB" in text
    assert "in use by bed-vm-2 - never remove by hand" in text
    assert "MISSING /var/lib/nova/instances/_base/x (read by /var/lib/nova/instances/u/disk)" in text


def test_without_credentials_or_cache():
    guests = dict(GUESTS, problems=[], api={"asked": False, "error": None})
    lines = inventory_report(guests, None, "compute1")
    assert lines[0].endswith("Nova's view: not asked (no credentials)")
    assert not any("image cache" in line for line in lines)


def test_a_node_whose_modules_failed():
    assert inventory_report({"failed": True, "msg": "virsh failed"}, None, "c9") == [
        "c9: guests not read - virsh failed"]
    lines = inventory_report(GUESTS, {"failed": True, "msg": "cannot read /etc/nova/nova.conf"}, "compute1")
    assert lines[-1] == "  image cache not read - cannot read /etc/nova/nova.conf"
