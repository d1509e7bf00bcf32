"""Tests for plugins/module_utils/_virsh.py over real captured virsh output.

Fixtures come from tools/capture-fixtures/virsh/virsh-fixtures.sh (libvirt 9.0,
Debian 12): NAME.txt is stdout byte for byte, NAME.json has argv, rc, stderr.
"""

import json
import os

import pytest

from ansible_collections.novaops.compute.plugins.module_utils import _virsh
from ansible_collections.novaops.compute.plugins.module_utils._virsh import (
    SHUTOFF_REASONS,
    VirshParseError,
    build_batch,
    chunk,
    parse_dominfo_name,
    parse_domiflist,
    parse_domstats_state,
    parse_name_list,
    port_id_prefix,
    quote,
    split_batch,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "virsh")
TOKEN = "fixture0"  # the token the capture script used for batches


def stdout(name):
    with open(os.path.join(FIXTURES, name + ".txt"), encoding="utf-8") as f:
        return f.read()


def meta(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def iface(interface, type_, source, model, mac, prefix=None):
    return {
        "interface": interface,
        "type": type_,
        "source": source,
        "model": model,
        "mac": mac,
        "port_id_prefix": prefix,
    }


MULTI_LIVE = [
    iface("tap3f2c1a9e-7b", "ethernet", None, "virtio", "52:54:00:3f:2c:1a", "3f2c1a9e-7b"),
    iface("vnet12", "bridge", "br-novaops", "e1000", "52:54:00:b1:00:01"),
    iface("macvtap6", "direct", "nvo-dir0", "virtio", "52:54:00:d1:00:01"),
    iface(None, "user", None, "rtl8139", "52:54:00:05:00:01"),
    iface("vnet13", "network", "default", "virtio", "52:54:00:4e:00:01"),
]
MULTI_INACTIVE = [
    iface("tap3f2c1a9e-7b", "ethernet", None, "virtio", "52:54:00:3f:2c:1a", "3f2c1a9e-7b"),
    iface(None, "bridge", "br-novaops", "e1000", "52:54:00:b1:00:01"),
    iface(None, "direct", "nvo-dir0", "virtio", "52:54:00:d1:00:01"),
    iface(None, "user", None, "rtl8139", "52:54:00:05:00:01"),
    iface(None, "network", "default", "virtio", "52:54:00:4e:00:01"),
]
SHUTOFF = [
    iface("tap0c9d2e71-44", "ethernet", None, "virtio", "52:54:00:5f:00:01", "0c9d2e71-44"),
    iface(None, "bridge", "br-novaops", "virtio", "52:54:00:5f:00:02"),
    iface(None, "network", "novaops fx net with spaces", "virtio", "52:54:00:5f:00:03"),
    # C locale: virsh escapes the UTF-8 bytes of 'réseau-網絡' (lossily)
    iface(None, "network", r"r\xff\xffseau-\xff\xff\xff\xff\xff\xff", "e1000", "52:54:00:5f:00:04"),
    iface("vhu7e1d3b5a-0c", "vhostuser", "/run/novaops fx/vhu7e1d3b5a-0c", "virtio", "52:54:00:5f:00:05",
          "7e1d3b5a-0c"),
    iface(None, "direct", "nvo-dir0", "rtl8139", "52:54:00:5f:00:06"),
]
SPACED = [iface("tapa8e0c4d2-19", "network", "default", "virtio", "52:54:00:4e:00:02", "a8e0c4d2-19")]
QUOTE = [iface(None, "user", None, "virtio", "52:54:00:05:00:02")]
UNICODE = [iface("tapfe1d2c3b-4a", "bridge", "br-novaops", "virtio", "52:54:00:0c:00:01", "fe1d2c3b-4a")]


@pytest.mark.parametrize(
    "fixture, expected",
    [
        ("domiflist-multi", MULTI_LIVE),
        ("domiflist-by-id", MULTI_LIVE),
        ("domiflist-multi-inactive", MULTI_INACTIVE),
        ("domiflist-noif", []),
        ("domiflist-dashes-name", []),
        ("domiflist-spaced-name", SPACED),
        ("domiflist-shutoff", SHUTOFF),
        ("domiflist-shutoff-inactive", SHUTOFF),
        ("domiflist-quote-name", QUOTE),
        ("domiflist-unicode-name", UNICODE),
    ],
)
def test_parse_domiflist_fixtures(fixture, expected):
    assert meta(fixture)["rc"] == 0
    assert parse_domiflist(stdout(fixture)) == expected


def test_inactive_config_keeps_nova_tap_but_drops_generated_names():
    live = {i["mac"]: i for i in parse_domiflist(stdout("domiflist-multi"))}
    config = {i["mac"]: i for i in parse_domiflist(stdout("domiflist-multi-inactive"))}
    assert config["52:54:00:3f:2c:1a"]["interface"] == live["52:54:00:3f:2c:1a"]["interface"] == "tap3f2c1a9e-7b"
    assert live["52:54:00:b1:00:01"]["interface"] == "vnet12"
    assert config["52:54:00:b1:00:01"]["interface"] is None


@pytest.mark.parametrize(
    "fixture, stderr",
    [
        ("domiflist-unknown", "error: failed to get domain 'novaops-fx-does-not-exist'\n"),
        ("domiflist-no-daemon", "error: failed to connect to the hypervisor\n"),
    ],
)
def test_error_output_is_not_a_table(fixture, stderr):
    captured = meta(fixture)
    assert captured["rc"] == 1
    assert captured["stderr"].startswith(stderr)
    with pytest.raises(VirshParseError):
        parse_domiflist(stdout(fixture))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "error: failed to get domain 'x'\n",
        " Interface   Type   Source   Model   MAC\n",  # header without its rule
        " Interface   Type   Model   MAC\n------------\n",  # a column missing
        " Interface   Type   Source   Model   MAC\nnot a rule\n",
    ],
)
def test_parse_domiflist_rejects_non_tables(text):
    with pytest.raises(VirshParseError):
        parse_domiflist(text)


def test_header_only_is_no_interfaces():
    header = " Interface   Type   Source   Model   MAC\n------------------------------------------\n"
    assert parse_domiflist(header) == []
    assert parse_domiflist(header + "\n") == []
    assert parse_domiflist("\n\n" + header) == []


def test_rows_end_at_blank_line():
    text = stdout("domiflist-spaced-name") + "trailing text\n"
    assert parse_domiflist(text) == SPACED


def test_misaligned_row_is_an_error():
    text = stdout("domiflist-spaced-name").replace("19   network", "19-xxnetwork")
    with pytest.raises(VirshParseError, match="line up"):
        parse_domiflist(text)


@pytest.mark.parametrize(
    "device, prefix",
    [
        ("tap3f2c1a9e-7b", "3f2c1a9e-7b"),
        ("vhu7e1d3b5a-0c", "7e1d3b5a-0c"),
        ("tap3f2c1a9e-7", None),
        ("tap3f2c1a9e-7bc", None),
        ("tapXf2c1a9e-7b", None),
        ("tap0", None),
        ("vnet0", None),
        ("macvtap0", None),
        ("qvo3f2c1a9e-7b", None),
        (None, None),
        ("", None),
    ],
)
def test_port_id_prefix(device, prefix):
    assert port_id_prefix(device) == prefix


def test_port_id_prefix_matches_port_uuid():
    port_id = "3f2c1a9e-7b44-4c1d-9a57-0e4b3c2d1f00"
    assert port_id_prefix("tap" + port_id[:11]) == port_id[:11]


@pytest.mark.parametrize(
    "fixture, name",
    [
        ("dominfo-by-id", "novaops-fx-multi"),
        ("dominfo-by-uuid", "novaops-fx-multi"),
        ("dominfo-spaced-name", "novaops fx spaced name"),
    ],
)
def test_parse_dominfo_name(fixture, name):
    assert parse_dominfo_name(stdout(fixture)) == name


def test_parse_dominfo_name_keeps_spaces_at_the_edges():
    assert parse_dominfo_name("Id:             -\nName:            odd \nUUID: x\n") == " odd "


@pytest.mark.parametrize("text", ["", "\n", "error: failed to get domain 'x'\n"])
def test_parse_dominfo_name_absent(text):
    assert parse_dominfo_name(text) is None


def test_dominfo_unknown_is_an_error():
    captured = meta("dominfo-unknown")
    assert captured["rc"] == 1
    assert parse_dominfo_name(stdout("dominfo-unknown")) is None


def test_parse_name_list():
    assert parse_name_list(stdout("list-all-name")) == [
        "novaops-fx-multi",
        "novaops-fx-noif",
        "novaops fx spaced name",
        "--novaops-fx-dashes",
        "novaops-fx-o'quote;\"semi",
        "novaops-fx-shutoff",
        "novaops-fx-ünïcode",
    ]
    assert parse_name_list(stdout("list-all-name-empty")) == []
    assert parse_name_list("") == []


@pytest.mark.parametrize(
    "arg, quoted",
    [
        ("plain", "'plain'"),
        ("with space", "'with space'"),
        ("semi;colon", "'semi;colon'"),
        ("o'quote", "'o'\\''quote'"),
        ('dq"x', "'dq\"x'"),
        ("back\\slash", "'back\\slash'"),
        ("#comment", "'#comment'"),
        ("--dashes", "'--dashes'"),
        ("", "''"),
    ],
)
def test_quote(arg, quoted):
    assert quote(arg) == quoted


def test_build_batch_matches_what_was_captured():
    names = parse_name_list(stdout("list-all-name"))
    commands = [["domiflist", "--domain", n] for n in names]
    assert meta("batch-all")["argv"][3] == build_batch(commands, TOKEN)
    commands = [["domiflist", "--inactive", "--domain", n] for n in names]
    assert meta("batch-all-inactive")["argv"][3] == build_batch(commands, TOKEN)


def test_build_batch_rejects_odd_tokens():
    with pytest.raises(ValueError):
        build_batch([["list"]], "a b")


@pytest.mark.parametrize(
    "fixture, expected",
    [
        ("batch-all", [MULTI_LIVE, [], SPACED, [], QUOTE, SHUTOFF, UNICODE]),
        ("batch-all-inactive", [MULTI_INACTIVE, [], SPACED, [], QUOTE, SHUTOFF, UNICODE]),
    ],
)
def test_split_batch_all(fixture, expected):
    pieces = split_batch(stdout(fixture), TOKEN, 7)
    assert [parse_domiflist(p) for p in pieces] == expected


def test_split_batch_with_vanished_domain():
    captured = meta("batch-with-vanished")
    assert captured["rc"] == 0  # virsh goes on after a failing command
    assert "failed to get domain 'novaops-fx-vanished'" in captured["stderr"]
    noif, vanished, quoted = split_batch(stdout("batch-with-vanished"), TOKEN, 3)
    assert parse_domiflist(noif) == []
    with pytest.raises(VirshParseError):
        parse_domiflist(vanished)
    assert parse_domiflist(quoted) == QUOTE


def test_split_batch_single_domain_by_uuid():
    info, table = split_batch(stdout("batch-single-by-uuid"), TOKEN, 2)
    assert parse_dominfo_name(info) == "novaops-fx-noif"
    assert parse_domiflist(table) == []


def test_split_batch_single_spaced_name():
    info, table = split_batch(stdout("batch-single-spaced-name"), TOKEN, 2)
    assert parse_dominfo_name(info) == "novaops fx spaced name"
    assert parse_domiflist(table) == SPACED


def test_split_batch_single_unknown():
    info, table = split_batch(stdout("batch-single-unknown"), TOKEN, 2)
    assert parse_dominfo_name(info) is None
    with pytest.raises(VirshParseError):
        parse_domiflist(table)


@pytest.mark.parametrize("cut", [0, 30, -25])
def test_split_batch_truncated_output(cut):
    text = stdout("batch-all")[:cut] if cut else ""
    with pytest.raises(VirshParseError, match="stops before"):
        split_batch(text, TOKEN, 7)


def test_split_batch_ignores_markers_of_other_tokens():
    text = "@@novaops:other:0@@\n" + stdout("batch-single-by-uuid")
    info, _table = split_batch(text, TOKEN, 2)
    assert parse_dominfo_name(info) == "novaops-fx-noif"


def test_chunk():
    assert chunk([]) == []
    assert chunk(["a", "b", "c"], max_chars=100) == [["a", "b", "c"]]
    assert chunk(["aa", "bb", "cc"], max_chars=4) == [["aa", "bb"], ["cc"]]
    assert chunk(["toolong", "x"], max_chars=3) == [["toolong"], ["x"]]
    names = ["n%03d" % i for i in range(1000)]
    chunks = chunk(names, max_chars=1000, weight=lambda n: len(n) + 80)
    assert sum(chunks, []) == names
    assert all(sum(len(n) + 80 for n in c) <= 1000 for c in chunks)


def test_parse_domstats_state_of_a_killed_guest():
    # virsh domstats --state --list-shutoff on the bed after kill -9 of the guest's qemu
    path = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "health", "bed-guest-crashed",
                        "virsh-domstats-shutoff.txt")
    with open(path, encoding="utf-8") as f:
        states = parse_domstats_state(f.read())
    assert states == {"bed-guest-tap": {"state": 5, "reason": 3}}  # shut off, crashed
    assert SHUTOFF_REASONS[states["bed-guest-tap"]["reason"]] == "crashed"


def test_parse_domstats_state_several_and_empty():
    text = "Domain: 'a b'\n  state.state=5\n  state.reason=1\n\nDomain: 'c'\n  state.state=1\n  state.reason=1\n\n"
    assert parse_domstats_state(text) == {"a b": {"state": 5, "reason": 1}, "c": {"state": 1, "reason": 1}}
    assert parse_domstats_state("") == {}
    with pytest.raises(VirshParseError):
        parse_domstats_state("  state.state=5\n")


# ---------------------------------------------------------------------------
# the batch node_health_info runs (version, defined, active), captured on the
# nodes of tests/unit/fixtures/health/
# ---------------------------------------------------------------------------

HEALTH = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "health")


def health_stdout(*parts):
    with open(os.path.join(HEALTH, *parts[:-1], parts[-1] + ".txt"), encoding="utf-8") as f:
        return f.read()


def health_meta(*parts):
    with open(os.path.join(HEALTH, *parts[:-1], parts[-1] + ".json"), encoding="utf-8") as f:
        return json.load(f)


def health_pieces(where):
    return split_batch(health_stdout(where, "virsh-batch"), TOKEN, 3)


def test_virsh_batch_host():
    version, defined, active = health_pieces("host")
    assert _virsh.parse_virsh_version(version) == {
        "compiled_against": "libvirt 9.0.0", "library": "libvirt 9.0.0", "api": "QEMU 9.0.0",
        "hypervisor": "QEMU 7.2.22"}
    assert "novaops-health odd,name" in parse_name_list(active)  # paused counts as active
    assert len(parse_name_list(defined)) == 5


@pytest.mark.parametrize("name, rc", [("virsh-batch-no-daemon", 1), ("virsh-batch-hung", 124)])
def test_virsh_batch_failures_print_no_marker(name, rc):
    assert health_meta("host", name)["rc"] == rc
    assert health_stdout("host", name) == ""
    with pytest.raises(ValueError):
        split_batch(health_stdout("host", name), TOKEN, 3)


def test_parse_virsh_version_rejects():
    with pytest.raises(_virsh.VirshParseError):
        _virsh.parse_virsh_version("")


@pytest.mark.parametrize("uri, local", [("qemu:///system", True), ("qemu:///session", True),
                                        ("qemu:///system?socket=/run/x", True), ("qemu+ssh://n1/system", False),
                                        ("qemu+tcp://10.0.0.1/system", False), ("test:///default", True)])
def test_is_local_uri(uri, local):
    assert _virsh.is_local_uri(uri) is local


# ---------------------------------------------------------------------------
# domain XML: <graphics> (no dumpxml capture exists: libvirt's documented
# forms, https://libvirt.org/formatdomain.html#graphical-framebuffers) and
# Nova's <metadata> (the XML Nova 26.2.2's own test expects of it,
# nova/tests/unit/virt/libvirt/test_config.py, LibvirtConfigGuestMetadataNovaTest)
# ---------------------------------------------------------------------------

NOVA_METADATA = """  <metadata>
    <nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>
      <nova:package version="2014.2.3"/>
      <nova:name>moonbuggy</nova:name>
      <nova:creationTime>2009-02-13 23:31:30</nova:creationTime>
      <nova:flavor name="m1.lowgravity">
        <nova:memory>2048</nova:memory>
        <nova:vcpus>8</nova:vcpus>
      </nova:flavor>
      <nova:owner>
        <nova:user uuid="3472c2a6-de91-4fb5-b618-42bc781ef670">buzz</nova:user>
        <nova:project uuid="f241e906-010e-4917-ae81-53f4fb8aa021">moonshot</nova:project>
      </nova:owner>
      <nova:root type="image" uuid="fe55c69a-8b2e-4bbc-811a-9ad2023a0426"/>
    </nova:instance>
  </metadata>
"""

DOMAIN_XML = """<domain type='kvm' id='3'>
  <name>instance-0000002a</name>
  <uuid>9b4d0c1e-0d64-4b6e-9f0a-1f0e1b2c3d4e</uuid>
  <devices>
    <graphics type='spice' port='5901' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <graphics type='vnc' port='5900' autoport='yes' listen='0.0.0.0'>
      <listen type='address' address='0.0.0.0'/>
    </graphics>
  </devices>
</domain>
"""


def test_parse_domain_documented_forms():
    parsed = _virsh.parse_domain(DOMAIN_XML)
    assert parsed == {"name": "instance-0000002a", "uuid": "9b4d0c1e-0d64-4b6e-9f0a-1f0e1b2c3d4e", "nova": None,
                      "disks": [],
                      "graphics": [
                          {"type": "spice", "port": 5901, "autoport": True, "listen": "127.0.0.1", "socket": None},
                          {"type": "vnc", "port": 5900, "autoport": True, "listen": "0.0.0.0", "socket": None}]}


@pytest.mark.parametrize("namespace", ["http://openstack.org/xmlns/libvirt/nova/1.1",
                                       "http://openstack.org/xmlns/libvirt/nova/1.0"])
def test_parse_domain_nova_metadata(namespace):
    xml = DOMAIN_XML.replace("  <devices>", NOVA_METADATA.replace(
        "http://openstack.org/xmlns/libvirt/nova/1.1", namespace) + "  <devices>")
    parsed = _virsh.parse_domain(xml)
    assert parsed["nova"] == {
        "name": "moonbuggy", "creation_time": "2009-02-13 23:31:30", "package": "2014.2.3",
        # elements Nova did not write are None, never a guess
        "flavor": {"name": "m1.lowgravity", "memory_mb": 2048, "vcpus": 8, "disk_gb": None, "swap_mb": None,
                   "ephemeral_gb": None},
        "user": {"id": "3472c2a6-de91-4fb5-b618-42bc781ef670", "name": "buzz"},
        "project": {"id": "f241e906-010e-4917-ae81-53f4fb8aa021", "name": "moonshot"},
        "image_id": "fe55c69a-8b2e-4bbc-811a-9ad2023a0426", "ports": []}
    assert parsed["uuid"] == "9b4d0c1e-0d64-4b6e-9f0a-1f0e1b2c3d4e"


@pytest.mark.parametrize("metadata", [
    "<metadata><app:instance xmlns:app='http://example.org/not-nova'><app:name>x</app:name></app:instance></metadata>",
    "<metadata><instance><name>no namespace</name></instance></metadata>",
    "<metadata/>",
])
def test_parse_domain_other_metadata_is_not_nova(metadata):
    xml = DOMAIN_XML.replace("  <devices>", metadata + "\n  <devices>")
    assert _virsh.parse_domain(xml)["nova"] is None


@pytest.mark.parametrize(
    "graphics, expected",
    [
        # an inactive domain's autoport: no port yet
        ("<graphics type='vnc' port='-1' autoport='yes'/>",
         {"type": "vnc", "port": None, "autoport": True, "listen": None, "socket": None}),
        # <listen type='network'>: libvirt fills in the network's address in the live XML
        ("<graphics type='vnc' port='5902' autoport='no'><listen type='network' network='default' "
         "address='192.168.122.1'/></graphics>",
         {"type": "vnc", "port": 5902, "autoport": False, "listen": "192.168.122.1", "socket": None}),
        # a console on a UNIX socket
        ("<graphics type='vnc'><listen type='socket' socket='/run/libvirt/qemu/vnc.sock'/></graphics>",
         {"type": "vnc", "port": None, "autoport": False, "listen": None, "socket": "/run/libvirt/qemu/vnc.sock"}),
        # the listen attribute alone (older XML)
        ("<graphics type='vnc' port='5903' listen='10.0.0.5'/>",
         {"type": "vnc", "port": 5903, "autoport": False, "listen": "10.0.0.5", "socket": None}),
    ],
)
def test_parse_domain_variants(graphics, expected):
    xml = "<domain><name>g</name><devices>%s</devices></domain>" % graphics
    assert _virsh.parse_domain(xml)["graphics"] == [expected]


def test_parse_domain_boot_from_volume_has_no_image():
    xml = DOMAIN_XML.replace("  <devices>", NOVA_METADATA.replace(
        '<nova:root type="image" uuid="fe55c69a-8b2e-4bbc-811a-9ad2023a0426"/>',
        '<nova:root type="volume" uuid="0b0e5a0c-6f0d-4e55-9c3c-6a0a3f0e0b11"/>') + "  <devices>")
    assert _virsh.parse_domain(xml)["nova"]["image_id"] is None


@pytest.mark.parametrize("disk, expected", [
    # a running instance: libvirt reports the qcow2 overlay's chain down to the _base entry
    ("<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/>"
     "<source file='/var/lib/nova/instances/u/disk' index='1'/>"
     "<backingStore type='file' index='2'><format type='raw'/>"
     "<source file='/var/lib/nova/instances/_base/0a1b'/><backingStore/></backingStore>"
     "<target dev='vda' bus='virtio'/></disk>",
     {"target": "vda", "device": "disk", "type": "file", "format": "qcow2",
      "source": "/var/lib/nova/instances/u/disk", "backing": ["/var/lib/nova/instances/_base/0a1b"]}),
    # an inactive domain: no chain in the XML
    ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
     "<source file='/var/lib/nova/instances/u/disk'/><target dev='vda' bus='virtio'/></disk>",
     {"target": "vda", "device": "disk", "type": "file", "format": "qcow2",
      "source": "/var/lib/nova/instances/u/disk", "backing": []}),
    # a Ceph RBD disk and an empty CD-ROM
    ("<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
     "<source protocol='rbd' name='vms/u_disk'><host name='10.0.0.1' port='6789'/></source>"
     "<target dev='vda' bus='virtio'/></disk>",
     {"target": "vda", "device": "disk", "type": "network", "format": "raw", "source": "rbd:vms/u_disk",
      "backing": []}),
    ("<disk type='file' device='cdrom'><target dev='hda' bus='ide'/></disk>",
     {"target": "hda", "device": "cdrom", "type": "file", "format": None, "source": None, "backing": []}),
])
def test_parse_domain_disks(disk, expected):
    xml = "<domain><name>g</name><devices>%s</devices></domain>" % disk
    assert _virsh.parse_domain(xml)["disks"] == [expected]


@pytest.mark.parametrize("text", ["", "\n", "error: failed to get domain 'x'\n", "<capabilities/>"])
def test_parse_domain_rejects(text):
    with pytest.raises(VirshParseError):
        _virsh.parse_domain(text)


# ---------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------

class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, answers=None, bins=("virsh", "timeout")):
        self.answers = list(answers or [])
        self.bins = bins
        self.calls = []

    def get_bin_path(self, name, required=False):
        if name in self.bins:
            return "/usr/bin/" + name
        if required:
            raise Failed("Failed to find required executable %s" % name)
        return None

    def run_command(self, args):
        self.calls.append(args)
        return self.answers.pop(0)

    def fail_json(self, **kwargs):
        raise Failed(kwargs)


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setattr(_virsh.uuid, "uuid4", type("U", (), {"hex": TOKEN}))


def test_virsh_bounded_by_timeout_runs_the_captured_argv(token):
    m = health_meta("host", "virsh-batch-hung")
    module = FakeModule([(m["rc"], "", m["stderr"])])
    virsh = _virsh.Virsh(module, m["argv"][6], int(m["argv"][3]))
    pieces, rc, _out, _err = virsh.try_batch([["version"], ["list", "--all", "--name"], ["list", "--name"]])
    assert module.calls == [["/usr/bin/timeout"] + m["argv"][1:4] + ["/usr/bin/virsh"] + m["argv"][5:]]
    assert (pieces, rc, virsh.timed_out(rc)) == (None, 124, True)
    with pytest.raises(Failed) as info:
        virsh.fail("virsh failed", ["version"], rc, "", "")
    assert info.value.args[0]["msg"] == "virsh failed: no answer within %ss" % m["argv"][3]


def test_virsh_unbounded_without_timeout_or_timeout_binary():
    module = FakeModule([(0, "a\n\n", ""), (0, "b\n\n", "")], bins=("virsh",))
    assert _virsh.Virsh(module, "qemu:///system", 5).names(["list", "--name"]) == ["a"]
    assert _virsh.Virsh(module, "qemu:///system").names(["list", "--name"]) == ["b"]
    assert module.calls == [["/usr/bin/virsh", "-c", "qemu:///system", "list", "--name"]] * 2
    assert not _virsh.Virsh(module, "qemu:///system").timed_out(124)


def test_virsh_missing_binary():
    virsh = _virsh.Virsh(FakeModule(bins=()), "qemu:///system", 10, required=False)
    assert virsh.missing
    with pytest.raises(Failed, match="required executable virsh"):
        _virsh.Virsh(FakeModule(bins=()), "qemu:///system")


def test_virsh_batch_splits_or_fails_with_the_evidence(token):
    argv = meta("batch-all")["argv"]
    module = FakeModule([(0, stdout("batch-all"), ""), (1, "", "error: failed to connect to the hypervisor\n")],
                        bins=("virsh",))
    virsh = _virsh.Virsh(module, "qemu:///system")
    names = parse_name_list(stdout("list-all-name"))
    pieces = virsh.batch([["domiflist", "--domain", n] for n in names])
    assert len(pieces) == len(names)
    assert module.calls[0][1:] == argv[1:]
    with pytest.raises(Failed) as info:
        virsh.batch([["domiflist", "--domain", n] for n in names])
    result = info.value.args[0]
    assert result["msg"] == "virsh failed: error: failed to connect to the hypervisor"
    assert result["cmd"] == module.calls[1] and result["rc"] == 1


def test_parse_domain_of_a_real_nova_instance():
    """instance-00000002 as Nova 26.2.2 defined it on the bed (captured shut off, reason crashed)."""
    with open(os.path.join(FIXTURES, "..", "health", "bed-instance-crashed", "virsh-dumpxml-crashed.txt"),
              encoding="utf-8") as f:
        pieces = split_batch(f.read(), TOKEN, 2)
    domain = _virsh.parse_domain(pieces[1])
    assert domain["name"] == "instance-00000002" and domain["uuid"] == "77cb0890-0dbb-49fd-8dc4-e185f3c20b84"
    nova = domain["nova"]
    assert nova["name"] == "bed-vm-2" and nova["package"] == "26.2.2"
    assert nova["flavor"] == {"name": "novaops.tiny", "memory_mb": 128, "disk_gb": 1, "swap_mb": 0, "ephemeral_gb": 0,
                              "vcpus": 1}
    assert nova["project"] == {"id": "4d018225af1f4f7d8b38a7b2651a8d02", "name": "admin"}
    assert nova["image_id"] == "95c5c184-ac90-42a3-a104-d44ec63f8a60"
    assert nova["ports"] == [{"id": "137a71dd-e1e6-45cf-8734-930f71b7992d", "ips": ["192.0.2.138"]}]
    (disk,) = domain["disks"]
    # shut off: libvirt's inactive XML carries no backing chain
    assert disk == {"target": "vda", "device": "disk", "type": "file", "format": "qcow2",
                    "source": "/var/lib/nova/instances/77cb0890-0dbb-49fd-8dc4-e185f3c20b84/disk", "backing": []}
    # the bed's hand-made guest has no Nova identity
    assert _virsh.parse_domain(pieces[0])["nova"] is None
