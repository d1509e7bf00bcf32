"""Tests for the guest_info module: main() against the bed's real answers.

tests/unit/fixtures/guests/ holds what tools/capture-fixtures/guests/capture-bed.sh
captured on the bed with two Nova instances and two hand-made guests running:
the two virsh command strings the module runs, one instance disk's qemu-img
chain and the Compute API's GET /servers/detail for compute1. The faults are
made from them by changing one value (a domain's state, a server's vm_state).
"""

import json
import os
import types

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novaops.compute.plugins.module_utils import _compute_api as api
from ansible_collections.novaops.compute.plugins.module_utils import _qemu_img
from ansible_collections.novaops.compute.plugins.module_utils import _virsh
from ansible_collections.novaops.compute.plugins.modules import guest_info as mod

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "guests")
TOKEN = "fixture0"
AUTH = {"auth_url": "http://controller:5000/v3", "username": "admin", "password": "SECRET-PW-1234",
        "project_name": "admin"}
NOVA_CONF = "[DEFAULT]\nhost = compute1\nstate_path = /var/lib/nova\n"


def load(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


def captured(name):
    meta = json.loads(load(name + ".json"))
    return meta["argv"], (meta["rc"], load(name + ".txt"), meta["stderr"])


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result)
        self.failed = failed
        self.result = result


@pytest.fixture
def node(monkeypatch):
    state = types.SimpleNamespace(answers={}, calls=[], warnings=[], servers=None, api_error=None, logins=[])
    for name in ("virsh-listing", "virsh-domains", "qemu-img-chain"):
        argv, answer = captured(name)
        state.answers[tuple(argv)] = answer

    def run_command(self, args, **kwargs):
        assert isinstance(args, list), "argv list, never a shell string"
        assert self.run_command_environ_update == {"LANGUAGE": "C", "LC_ALL": "C"}
        state.calls.append(args)
        assert tuple(args) in state.answers, "no answer for %r" % (args,)
        return state.answers[tuple(args)]

    class FileHost:
        def read_text(self, path):
            return (NOVA_CONF, None) if path == "/etc/nova/nova.conf" else (None, "No such file or directory")

        def hostname(self):
            return "not-used"

    def login(client):
        state.logins.append(client.settings)
        return state.api_error

    servers = json.loads(load("servers-detail.json"))["servers"]
    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: "/usr/bin/" + name)

    def exit_json(self, **kwargs):
        raise Exit(False, kwargs)

    def fail_json(self, **kwargs):
        raise Exit(True, kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: state.warnings.append(msg))
    monkeypatch.setattr(_virsh.uuid, "uuid4", lambda: types.SimpleNamespace(hex=TOKEN))
    monkeypatch.setattr(mod, "Host", FileHost)
    monkeypatch.setattr(api.ComputeClient, "login", login)
    monkeypatch.setattr(api, "servers_on_host", lambda client, host: (
        (state.servers if state.servers is not None else servers), None) if host == "compute1" else ([], None))
    state.server_list = servers
    return state


def run(args):
    with patch_module_args(args):
        with pytest.raises(Exit) as info:
            mod.main()
    return info.value


def by_domain(result):
    return {g["domain"]: g for g in result["guests"]}


@pytest.mark.parametrize("check_mode", [False, True])
def test_the_bed_as_captured(node, check_mode):
    out = run({"auth": AUTH, "_ansible_check_mode": check_mode})
    assert not out.failed, out.result
    result = out.result
    assert result["changed"] is False
    guests = by_domain(result)
    assert sorted(guests) == ["bed-guest-bridge", "bed-guest-tap", "instance-00000001", "instance-00000002"]
    # two virsh processes, whatever the number of domains; no qemu-img: running guests' XML has the chain
    assert [c[4] for c in node.calls] == ["/usr/bin/virsh", "/usr/bin/virsh"]
    servers = {s["OS-EXT-SRV-ATTR:instance_name"]: s for s in node.server_list}
    for name in ("instance-00000001", "instance-00000002"):
        guest = guests[name]
        assert guest["uuid"] == servers[name]["id"] and guest["nova"]["name"] == servers[name]["name"]
        assert guest["state"] == "running" and guest["api"]["status"] == "ACTIVE"
        (disk,) = guest["disks"]
        assert disk["base"] == "38fe6ad71a1516782130b7589640467367709dc3"
        (interface,) = guest["interfaces"]
        assert interface["type"] == "bridge" and interface["port_id_prefix"] == interface["interface"][3:]
        assert guest["console"]["type"] == "vnc"
    assert guests["bed-guest-tap"]["nova"] is None and guests["bed-guest-tap"]["api"] is None
    assert sorted((p["code"], p["domain"]) for p in result["problems"]) == [
        ("not_a_nova_instance", "bed-guest-bridge"), ("not_a_nova_instance", "bed-guest-tap")]
    assert result["api"] == {"asked": True, "host": "compute1", "servers": 2, "error": None}
    assert result["summary"] == {"domains": 4, "running": 4, "nova_instances": 2, "problems": 2}
    assert "SECRET-PW" not in json.dumps(result)


def test_a_destroyed_instance_disagrees_with_nova(node):
    listing_argv = next(a for a in node.answers if "'domstats'" in a[-1])
    rc, text, err = node.answers[listing_argv]
    # instance-00000002 shut off, reason destroyed (state 5, reason 2), as virsh destroy leaves it
    text = text.replace("Domain: 'instance-00000002'\n  state.state=1\n  state.reason=1",
                        "Domain: 'instance-00000002'\n  state.state=5\n  state.reason=2")
    node.answers[listing_argv] = (rc, text, err)
    result = run({"auth": AUTH}).result
    (problem,) = [p for p in result["problems"] if p["domain"] == "instance-00000002"]
    assert problem["code"] == "active_but_shut_off"
    assert "libvirt: shutoff (destroyed)" in problem["message"]
    assert by_domain(result)["instance-00000002"]["state_reason"] == "destroyed"


def test_an_instance_nova_no_longer_places_here(node):
    node.servers = [s for s in node.server_list if s["OS-EXT-SRV-ATTR:instance_name"] != "instance-00000001"]
    result = run({"auth": AUTH}).result
    (problem,) = [p for p in result["problems"] if p["domain"] == "instance-00000001"]
    assert problem["code"] == "unknown_to_nova"


def test_without_auth_only_the_node(node):
    result = run({}).result
    assert result["api"]["asked"] is False and result["problems"] == [] and node.logins == []
    assert all(g["api"] is None for g in result["guests"])


def test_an_api_that_cannot_be_asked_is_a_warning_not_a_failure(node):
    node.api_error = "keystone: HTTP 401 Unauthorized"
    out = run({"auth": AUTH})
    assert not out.failed and out.result["api"]["error"] == "keystone: HTTP 401 Unauthorized"
    assert any("Nova's view is left out" in w for w in node.warnings)


def test_auth_without_a_password_is_refused_naming_it(node):
    out = run({"auth": {"auth_url": "http://controller:5000/v3", "username": "admin"}})
    assert out.failed and out.result["msg"].startswith("auth: ")
    assert "password" in out.result["msg"]


def test_a_shut_off_guest_s_backing_file_from_its_qcow2_header(node, monkeypatch):
    """An inactive domain's XML has no backing chain: the disk's qcow2 header
    (captured from the bed's disk) names it, with no process at all."""
    disk = json.loads(load("qemu-img-chain.txt"))[0]["filename"]
    domains_argv = next(a for a in node.answers if "'dumpxml'" in a[-1])
    rc, text, err = node.answers[domains_argv]
    source = text.index("<source file='%s'" % disk)
    start = text.index("<backingStore type='file'", source)
    end = text.index("</backingStore>", start) + len("</backingStore>")
    node.answers[domains_argv] = (rc, text[:start] + text[end:], err)
    with open(os.path.join(FIXTURES, "disk-header.bin"), "rb") as f:
        headers = {disk: f.read()}
    base = "/var/lib/nova/instances/_base/38fe6ad71a1516782130b7589640467367709dc3"
    headers[base] = b"\0" * 512  # raw: no header, no backing
    isfile, exists = os.path.isfile, os.path.exists
    monkeypatch.setattr(mod.os.path, "isfile", lambda path: path in headers or isfile(path))
    monkeypatch.setattr(_qemu_img.os.path, "exists", lambda path: path in headers or exists(path))
    monkeypatch.setattr(_qemu_img, "_read_header", lambda path: headers[path])
    result = run({}).result
    assert [c[4] for c in node.calls] == ["/usr/bin/virsh", "/usr/bin/virsh"]
    bases = [d["base"] for g in result["guests"] for d in g["disks"]]
    assert bases.count("38fe6ad71a1516782130b7589640467367709dc3") == 2
