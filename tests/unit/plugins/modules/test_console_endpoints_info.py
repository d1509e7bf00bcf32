"""Tests for the console_endpoints_info module: main() against replayed virsh runs.

nova.conf is the bed's real one (tests/unit/fixtures/health/bed/nova.conf).
No ``virsh dumpxml`` of a running guest has been captured yet: the domain XML
below is written after libvirt's documented form of a VNC console
(https://libvirt.org/formatdomain.html#graphical-framebuffers), as libvirt
9.0 prints it for a running guest with autoport, and the batch output is
built the way virsh prints a ``build_batch`` command string (the marker
lines, then each command's stdout).  A Nova guest's ``<nova:instance>``
metadata is the form Nova 26.2.2's own tests expect of it
(nova/tests/unit/virt/libvirt/test_config.py).
"""

import os
import types
from xml.sax.saxutils import escape

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novaops.compute.plugins.module_utils import _virsh
from ansible_collections.novaops.compute.plugins.modules import console_endpoints_info as mod

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "health")
VIRSH = "/usr/bin/virsh"
BOUND = ["/usr/bin/timeout", "-k", "5", "30"]
TOKEN = "fixture0"
LISTING = ("list", "--name", "--state-running")


def load(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as f:
        return f.read()


NOVA_GUEST_UUID = "6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"


def nova_metadata(display_name):
    return ("  <metadata>\n    <nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\">\n"
            "      <nova:package version=\"26.2.2\"/>\n      <nova:name>%s</nova:name>\n"
            "      <nova:creationTime>2026-11-30 17:00:00</nova:creationTime>\n    </nova:instance>\n"
            "  </metadata>\n" % escape(display_name))


def domain_xml(name, graphics, uuid="9b4d0c1e-0d64-4b6e-9f0a-1f0e1b2c3d4e", metadata=""):
    return ("<domain type='kvm' id='1'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n%s"
            "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n%s  </devices>\n</domain>\n\n"
            % (name, uuid, metadata, graphics))


def vnc(port, listen="0.0.0.0"):
    return ("    <graphics type='vnc' port='%d' autoport='yes' listen='%s'>\n"
            "      <listen type='address' address='%s'/>\n    </graphics>\n" % (port, listen, listen))


GUESTS = {
    "instance-00000001": domain_xml("instance-00000001", vnc(5902), NOVA_GUEST_UUID, nova_metadata("web <1> & co")),
    "bed-guest-bridge": domain_xml("bed-guest-bridge", vnc(5901)),
    "bed-guest-tap": domain_xml("bed-guest-tap", vnc(5900)),
    "bed guest 'spice'": domain_xml("bed guest 'spice'", "    <graphics type='spice' port='5902' autoport='yes'/>\n"),
    "bed-guest-socket": domain_xml("bed-guest-socket", "    <graphics type='vnc'>\n      <listen type='socket' "
                                                       "socket='/run/libvirt/qemu/vnc-4.sock'/>\n    </graphics>\n"),
}


def batch_output(pieces):
    out = []
    for index, piece in enumerate(pieces):
        out.append(_virsh.marker(TOKEN, index) + "\n" + piece)
    out.append(_virsh.marker(TOKEN, "end") + "\n")
    return "".join(out)


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result)
        self.failed = failed
        self.result = result


@pytest.fixture
def node(monkeypatch):
    """Replays virsh per argv; nova.conf from the bed; records the calls."""
    state = types.SimpleNamespace(calls=[], answers={}, files={"/etc/nova/nova.conf": load("bed", "nova.conf")},
                                  warnings=[])

    def running(names):
        state.answers[LISTING] = (0, "".join(n + "\n" for n in names) + "\n", "")
        commands = [["dumpxml", "--domain", n] for n in names]
        batch = _virsh.build_batch(commands, TOKEN)
        errors = "".join("error: failed to get domain '%s'\n" % n for n in names if n not in GUESTS)
        state.answers[("-c", "qemu:///system", batch)] = (0, batch_output([GUESTS.get(n, "") for n in names]), errors)

    def run_command(self, args, **kwargs):
        assert isinstance(args, list), "argv list, never a shell string"
        assert args[:4] == BOUND and args[4] == VIRSH
        assert self.run_command_environ_update == {"LANGUAGE": "C", "LC_ALL": "C"}
        state.calls.append(args[4:])
        key = LISTING if tuple(args[7:]) == LISTING else tuple(args[5:])
        assert key in state.answers, "no answer for %r" % (args,)
        return state.answers[key]

    def exit_json(self, **kwargs):
        raise Exit(False, kwargs)

    def fail_json(self, **kwargs):
        raise Exit(True, kwargs)

    class FileHost:
        def read_text(self, path):
            if path in state.files:
                return state.files[path], None
            return None, "Permission denied"

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: "/usr/bin/" + name)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: state.warnings.append(msg))
    monkeypatch.setattr(_virsh.uuid, "uuid4", lambda: types.SimpleNamespace(hex=TOKEN))
    monkeypatch.setattr(mod, "Host", FileHost)
    state.running = running
    return state


def run(args):
    with patch_module_args(args):
        with pytest.raises(Exit) as info:
            mod.main()
    return info.value


@pytest.mark.parametrize("check_mode", [False, True])
def test_bed_guests_as_the_console_proxy_sees_them(node, check_mode):
    node.running(["bed-guest-tap", "bed-guest-bridge", "bed guest 'spice'", "bed-guest-socket"])
    out = run({"_ansible_check_mode": check_mode})
    assert not out.failed
    assert out.result == {
        "changed": False,
        "enabled": True,
        "proxyclient_address": "10.89.77.11",
        "listen": "0.0.0.0",
        "guests": [
            {"domain": "bed-guest-bridge", "port": 5901, "listen": "0.0.0.0", "instance_uuid": None,
             "instance_name": None},
            {"domain": "bed-guest-tap", "port": 5900, "listen": "0.0.0.0", "instance_uuid": None,
             "instance_name": None},
        ],
        "endpoints": [
            {"host": "10.89.77.11", "port": 5901},
            {"host": "10.89.77.11", "port": 5900},
        ],
        "loopback_endpoints": [
            {"host": "127.0.0.1", "port": 5901},
            {"host": "127.0.0.1", "port": 5900},
        ],
    }
    # the listing, then every dumpxml in one virsh process
    assert [c[3:] for c in node.calls[:1]] == [list(LISTING)]
    assert len(node.calls) == 2 and "'dumpxml' '--domain' 'bed guest '\\''spice'\\'''" in node.calls[1][3]


def test_a_nova_guest_is_named_by_its_server(node):
    node.running(["bed-guest-tap", "instance-00000001"])
    out = run({})
    assert out.result["guests"] == [
        {"domain": "bed-guest-tap", "port": 5900, "listen": "0.0.0.0", "instance_uuid": None, "instance_name": None},
        {"domain": "instance-00000001", "port": 5902, "listen": "0.0.0.0", "instance_uuid": NOVA_GUEST_UUID,
         "instance_name": "web <1> & co"},
    ]
    assert out.result["endpoints"] == [{"host": "10.89.77.11", "port": 5900}, {"host": "10.89.77.11", "port": 5902}]


def test_no_running_guest_runs_no_batch(node):
    node.running([])
    out = run({})
    assert (out.result["guests"], out.result["endpoints"], out.result["loopback_endpoints"]) == ([], [], [])
    assert len(node.calls) == 1


def test_a_guest_stopped_meanwhile_is_left_out_with_a_warning(node):
    node.running(["bed-guest-tap", "bed-guest-gone"])
    node.answers[("-c", "qemu:///system", "dumpxml", "--domain", "bed-guest-gone")] = (
        1, "", "error: failed to get domain 'bed-guest-gone'\n")
    out = run({})
    assert [g["domain"] for g in out.result["guests"]] == ["bed-guest-tap"]
    assert node.warnings == ["domain bed-guest-gone stopped while being listed; left out"]


@pytest.mark.parametrize(
    "vnc_section, enabled, proxyclient, listen",
    [
        ("[vnc]\nenabled = false\nserver_proxyclient_address = 10.0.0.5\n", False, "10.0.0.5", "127.0.0.1"),
        ("[vnc]\n", True, "127.0.0.1", "127.0.0.1"),  # Nova's defaults
        ("[DEFAULT]\nvnc_enabled = False\n[vnc]\nserver_listen = ::\n", False, "127.0.0.1", "::"),
        # names Nova no longer reads (a hand edit the role takes back)
        ("[vnc]\nvncserver_listen = 0.0.0.0\nvncserver_proxyclient_address = 10.0.0.9\n", True, "127.0.0.1",
         "127.0.0.1"),
    ],
)
def test_nova_conf_vnc_options_as_nova_reads_them(node, vnc_section, enabled, proxyclient, listen):
    node.files["/etc/nova/nova.conf"] = vnc_section
    node.running(["bed-guest-tap"])
    out = run({})
    assert (out.result["enabled"], out.result["proxyclient_address"], out.result["listen"]) == (
        enabled, proxyclient, listen)
    assert out.result["endpoints"][0]["host"] == proxyclient


@pytest.mark.parametrize(
    "args, files, msg",
    [
        ({}, {}, "cannot read /etc/nova/nova.conf: Permission denied"),
        ({}, {"/etc/nova/nova.conf": "[vnc]\nenabled = maybe\n"},
         "/etc/nova/nova.conf: [vnc] enabled = maybe is not a boolean"),
        ({"timeout": 0}, None, "timeout must be more than 0, got 0"),
    ],
)
def test_bad_input_fails_before_any_command(node, args, files, msg):
    if files is not None:
        node.files = files
    out = run(args)
    assert out.failed and out.result["msg"] == msg
    assert node.calls == []


def test_libvirt_down_fails_with_the_evidence(node):
    node.answers[LISTING] = (1, "", "error: failed to connect to the hypervisor\n")
    out = run({})
    assert out.failed
    assert out.result["msg"] == "virsh list failed: error: failed to connect to the hypervisor"
    assert out.result["cmd"] == BOUND + [VIRSH, "-c", "qemu:///system"] + list(LISTING)
