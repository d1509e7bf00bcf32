"""Tests for plugins/module_utils/_health.py over real captured outputs.

Fixtures (tests/unit/fixtures/health/, see the VERSIONS.txt in each folder):

- host/       this sandbox: no systemd (PID 1 is not systemd), libvirtd started
              by hand, three guests (KVM, TCG, a paused one named with a comma
              and a space), a loopback "broker" and a "nova-compute" client
              holding IPv4, IPv6 and v4-mapped connections, a zombie QEMU, a
              hung libvirt socket (tools/capture-fixtures/health/capture-host.sh)
- bed/        the Molecule bed: compute1 with nova-compute active and connected
              to RabbitMQ on controller, keystone's token and the Compute API's
              os-services answers (capture-bed.sh, read-only)
- container/  a systemd container with Debian's nova-compute, libvirt and a
              loopback RabbitMQ, walked through faults (capture-container.sh)

NAME.txt is stdout byte for byte, NAME.json its argv, rc and stderr;
proc.json a snapshot of what the module reads under /proc.
"""

import base64
import json
import os

import pytest

from ansible_collections.novaops.compute.plugins.module_utils import _health as h
from ansible_collections.novaops.compute.plugins.module_utils._virsh import parse_name_list, split_batch

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "health")
SCENARIOS = ("activating-connected", "broker-down", "libvirt-down", "nova-stopped", "nova-crashloop", "nova-failed")
TOKEN = "fixture0"


def text(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as f:
        return f.read()


def meta(*parts):
    return json.loads(text(*parts[:-1], parts[-1] + ".json"))


def stdout(*parts):
    return text(*parts[:-1], parts[-1] + ".txt")


def snapshot(where):
    return json.loads(text(where, "proc.json"))


def table(where):
    snap = snapshot(where)
    entries = [(p["stat"], base64.b64decode(p["cmdline"]), p["ns_pid"]) for p in snap["procs"].values()]
    return h.process_table(entries, snap["self_ns_pid"])


def virsh_pieces(*where):
    return split_batch(stdout(*where, "virsh-batch"), TOKEN, 3)


def container(scenario):
    return os.path.join("container", scenario)


# ---------------------------------------------------------------------------
# nova.conf and transport_url
# ---------------------------------------------------------------------------

def test_parse_ini_bed_nova_conf():
    conf = h.parse_ini(text("bed", "nova.conf"))
    assert conf["DEFAULT"]["transport_url"] == "rabbit://nova:test-only-rabbit-pw@controller:5672/"
    assert conf["libvirt"]["virt_type"] == "kvm"
    assert conf["vnc"]["server_proxyclient_address"] == "10.89.77.11"
    assert h.conf_get(conf, "DEFAULT", "host") is None
    assert h.conf_get(conf, "DEFAULT", "host", "compute1") == "compute1"


def test_parse_ini_oslo_rules():
    conf = h.parse_ini(
        "orphan = ignored\n"
        "[DEFAULT]\n"
        "# transport_url = rabbit://commented\n"
        "; also a comment\n"
        "Host = a # not an inline comment\n"
        "host = node1\n"
        "enabled_filters = A,\n"
        "  B\n"
        "[libvirt]\n"
        "virt_type: qemu\n"
        "empty =\n"
    )
    assert conf == {
        "DEFAULT": {"host": "node1", "enabled_filters": "A,\nB"},
        "libvirt": {"virt_type": "qemu", "empty": ""},
    }
    assert h.conf_get(conf, "libvirt", "empty", "dflt") == "dflt"


@pytest.mark.parametrize(
    "url, hosts, vhost, masked",
    [
        # real nova.conf values (bed, host capture, container capture)
        ("rabbit://nova:test-only-rabbit-pw@controller:5672/",
         [("controller", 5672, "nova")], "", "rabbit://nova:********@controller:5672/"),
        ("rabbit://nova:novaops-capture-secret@localhost:5672,nova:novaops-capture-secret@127.0.0.2:5672/",
         [("localhost", 5672, "nova"), ("127.0.0.2", 5672, "nova")], "",
         "rabbit://nova:********@localhost:5672,nova:********@127.0.0.2:5672/"),
        # oslo.messaging's default: kombu's localhost:5672
        ("rabbit://", [("localhost", 5672, None)], "", "rabbit://"),
        ("rabbit://u:s3cr3t-1@h1,u:s3cr3t-2@h2:5671/nova?ssl=1",
         [("h1", 5672, "u"), ("h2", 5671, "u")], "nova", "rabbit://u:********@h1,u:********@h2:5671/nova?ssl=1"),
        ("rabbit://u:s3cr3t@[fd00::10]:5672,u:s3cr3t@[fd00::11]/",
         [("fd00::10", 5672, "u"), ("fd00::11", 5672, "u")], "",
         "rabbit://u:********@[fd00::10]:5672,u:********@[fd00::11]/"),
        ("amqp://guest@broker.example.org:5673//", [("broker.example.org", 5673, "guest")], "/",
         "amqp://guest@broker.example.org:5673//"),
        # a password with an encoded @ and a raw ':' in it
        ("rabbit://nova:p%40ss:word@ctl:5672/", [("ctl", 5672, "nova")], "", "rabbit://nova:********@ctl:5672/"),
    ],
)
def test_parse_transport_url(url, hosts, vhost, masked):
    parsed = h.parse_transport_url(url)
    assert [(x["host"], x["port"], x["username"]) for x in parsed["hosts"]] == hosts
    assert parsed["virtual_host"] == vhost
    assert parsed["masked"] == masked
    for secret in parsed["passwords"]:
        assert secret not in parsed["masked"]
        assert secret not in json.dumps(parsed["hosts"])


def test_parse_transport_url_lists_every_password_spelling():
    parsed = h.parse_transport_url("rabbit://nova:p%40ss@ctl:5672/")
    assert parsed["passwords"] == ["p%40ss", "p@ss"]


@pytest.mark.parametrize("url", ["", "   ", "controller:5672", "rabbit://u:p@h1,,u:p@h2/", "rabbit://h:99999/",
                                 "rabbit://h:port/"])
def test_parse_transport_url_rejects(url):
    with pytest.raises(h.HealthParseError):
        h.parse_transport_url(url)


@pytest.mark.parametrize("where", ["bed", "host", container("activating-connected")])
def test_transport_url_of_every_captured_nova_conf(where):
    conf = h.parse_ini(text(where, "nova.conf"))
    parsed = h.parse_transport_url(conf["DEFAULT"]["transport_url"])
    assert parsed["hosts"]
    assert "********" in parsed["masked"]


# ---------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------

def test_parse_cmdline():
    assert h.parse_cmdline(b"") == []
    assert h.parse_cmdline(b"/sbin/init\0") == ["/sbin/init"]
    assert h.parse_cmdline(b"a\0b c\0\xff\0") == ["a", "b c", "\udcff"]
    assert h.parse_cmdline("x\0y\0") == ["x", "y"]


@pytest.mark.parametrize(
    "stat, expected",
    [
        ("8524 (nova-compute) S 1 8524 8524 0 -1 4194560 513 0 0 0\n",
         {"pid": 8524, "comm": "nova-compute", "state": "S", "ppid": 1}),
        ("14696 (qemu-system-x86) Z 14468 14468 14015 0 -1\n",
         {"pid": 14696, "comm": "qemu-system-x86", "state": "Z", "ppid": 14468}),
        # a command name with spaces and parentheses: cut at the last ')'
        ("42 (odd) (name) R 7 42 42 0\n", {"pid": 42, "comm": "odd) (name", "state": "R", "ppid": 7}),
    ],
)
def test_parse_proc_stat(stat, expected):
    assert h.parse_proc_stat(stat) == expected


@pytest.mark.parametrize("stat", ["", "garbage", "12 (x)", "x (y) S 1"])
def test_parse_proc_stat_rejects(stat):
    with pytest.raises(h.HealthParseError):
        h.parse_proc_stat(stat)


def test_process_table_drops_unparsable_entries():
    assert h.process_table([("", b"", None), ("7 (a) S 1 7", b"a\0", None)]) == [
        {"pid": 7, "comm": "a", "state": "S", "ppid": 1, "argv": ["a"], "ns": None, "foreign": False}]


def test_host_table_marks_container_processes_foreign():
    procs = {p["pid"]: p for p in table("host")}
    # compute1's and the capture container's nova-compute and libvirtd, seen from the host
    foreign = sorted(h.command_name(p) for p in procs.values() if p["foreign"])
    assert foreign == ["init", "init", "libvirtd", "nova-compute", "nova-compute"]
    assert [p["pid"] for p in h.find_processes(list(procs.values()), ("nova-compute",))] == [14467]
    assert [p["pid"] for p in h.find_processes(list(procs.values()), h.LIBVIRT_DAEMONS)] == [28634]


@pytest.mark.parametrize(
    "argv, name",
    [
        (["/usr/bin/python3", "/usr/bin/nova-compute", "--config-file=/etc/nova/nova.conf"], "nova-compute"),
        (["python3", "/tmp/novaops-health.x/nova-compute", "/tmp/ports.json"], "nova-compute"),
        (["python3", "-u", "/usr/bin/nova-compute"], "nova-compute"),
        (["python3", "-c", "import nova"], "python3"),
        (["python3", "-m", "nova.cmd.compute"], "nova.cmd.compute"),
        (["/usr/sbin/libvirtd", "--timeout", "120"], "libvirtd"),
        (["libvirtd -d"], "libvirtd"),  # a process that rewrote its argv into one string
    ],
)
def test_command_name(argv, name):
    assert h.command_name({"argv": argv, "comm": "x"}) == name


def test_command_name_of_a_kernel_thread_is_its_comm():
    assert h.command_name({"argv": [], "comm": "kworker/0:1"}) == "kworker/0:1"


def test_service_processes_bed_main_pid():
    units = h.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))
    assert h.service_processes(table("bed"), units["nova-compute.service"], "nova-compute") == [
        {"pid": 8524, "name": "nova-compute"}]
    # the unit's main PID wins over a name search; an inactive unit's stale PID is not used
    assert h.service_processes(table("bed"), units["libvirtd.service"], "nova-compute") == [
        {"pid": 7244, "name": "libvirtd"}]
    stopped = dict(units["nova-compute.service"], ActiveState="inactive")
    assert h.service_processes(table("bed"), stopped, "nova-compute") == [{"pid": 8524, "name": "nova-compute"}]
    assert h.service_processes(table("bed"), stopped, "no-such-command") == []


def test_service_processes_without_systemd_skips_other_namespaces():
    assert h.service_processes(table("host"), None, "nova-compute") == [{"pid": 14467, "name": "nova-compute"}]


def test_service_processes_takes_descendants():
    procs = h.process_table([("10 (nova-compute) S 1 10", b"/usr/bin/python3\0/usr/bin/nova-compute\0", None),
                             ("11 (privsep-helper) S 10 10", b"/usr/bin/privsep-helper\0", None),
                             ("12 (sh) S 1 12", b"sh\0", None)])
    assert h.service_processes(procs, {"ActiveState": "active", "MainPID": "10"}, "nova-compute") == [
        {"pid": 10, "name": "nova-compute"}, {"pid": 11, "name": "privsep-helper"}]


def test_guests_by_accel():
    assert h.guests_by_accel(h.qemu_processes(table("host"))) == {"kvm": 1, "tcg": 4}
    assert h.guests_by_accel({"guests": [{"accel": None}]}) == {"unknown": 1}


def test_descendants():
    procs = [{"pid": 1, "ppid": 0}, {"pid": 10, "ppid": 1}, {"pid": 11, "ppid": 10}, {"pid": 12, "ppid": 11},
             {"pid": 20, "ppid": 1}]
    assert h.descendants(procs, 10) == {10, 11, 12}
    assert h.descendants(procs, 99) == {99}


@pytest.mark.parametrize(
    "opts, implied, expected",
    [
        ("guest=novaops-health odd,,name,debug-threads=on", "guest",
         {"guest": "novaops-health odd,name", "debug-threads": "on"}),
        ("instance-0000002a", "guest", {"guest": "instance-0000002a"}),
        ("kvm", "accel", {"accel": "kvm"}),
        ("tcg,tb-size=64", "accel", {"accel": "tcg", "tb-size": "64"}),
        ("pc-i440fx-7.2,usb=off,accel=kvm", "type", {"type": "pc-i440fx-7.2", "usb": "off", "accel": "kvm"}),
        ("a,,,,b=1", None, {"a,,b": "1"}),  # ",," is a literal comma, in keys too
        ("", "guest", {"guest": ""}),
    ],
)
def test_parse_qemu_opts(opts, implied, expected):
    assert h.parse_qemu_opts(opts, implied) == expected


def test_qemu_processes_of_the_host():
    qemu = h.qemu_processes(table("host"))
    guests = {g["name"]: g for g in qemu["guests"]}
    # three of the capture's guests and two of a colleague's capture running at the same time
    assert sorted(guests) == ["novaops-fx-vnc", "novaops-fx-vncauth", "novaops-health odd,name",
                              "novaops-health-kvm", "novaops-health-tcg"]
    assert guests["novaops-health-kvm"]["accel"] == "kvm"
    assert guests["novaops-health-tcg"]["accel"] == "tcg"
    assert guests["novaops-health odd,name"]["accel"] == "tcg"
    assert guests["novaops-health-kvm"]["uuid"] == "583b00f5-fecc-403a-8b26-737761ab6b2b"
    assert guests["novaops-health-kvm"]["binary"] == "/usr/bin/qemu-system-x86_64"
    assert qemu["defunct"] == [{"pid": 14696, "comm": "qemu-system-x86"}]
    assert qemu["other_namespaces"] == []


def test_qemu_processes_in_the_bed_none():
    assert h.qemu_processes(table("bed")) == {"guests": [], "defunct": [], "other_namespaces": []}


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["/usr/libexec/qemu-kvm", "-name", "guest=instance-00000001,debug-threads=on", "-machine",
          "pc-q35-rhel9.2.0,accel=kvm,usb=off", "-uuid", "u-1"],
         {"binary": "/usr/libexec/qemu-kvm", "name": "instance-00000001", "uuid": "u-1", "accel": "kvm"}),
        (["qemu-system-x86_64", "-enable-kvm", "-name", "vm1"],
         {"binary": "qemu-system-x86_64", "name": "vm1", "uuid": None, "accel": "kvm"}),
        (["qemu-system-aarch64", "-M", "virt", "-accel", "tcg"],
         {"binary": "qemu-system-aarch64", "name": None, "uuid": None, "accel": "tcg"}),
        (["qemu-img", "info", "x"], None),
        (["/usr/bin/python3", "qemu-system-x86_64"], None),
        ([], None),
    ],
)
def test_parse_qemu_argv_other_forms(argv, expected):
    assert h.parse_qemu_argv(argv) == expected


@pytest.mark.parametrize(
    "cpuinfo, flag",
    [
        (None, None),  # the host's own cpuinfo: a PVM guest with /dev/kvm but no vmx/svm flag
        ("processor\t: 0\nflags\t\t: fpu vme vmx sse\n", "vmx"),
        ("flags\t\t: fpu svm\n", "svm"),
        ("processor\t: 0\n", None),
    ],
)
def test_parse_cpu_virt_flag(cpuinfo, flag):
    if cpuinfo is None:
        cpuinfo = snapshot("host")["cpuinfo"]
        assert "hypervisor" in cpuinfo
    assert h.parse_cpu_virt_flag(cpuinfo) == flag


# ---------------------------------------------------------------------------
# systemd
# ---------------------------------------------------------------------------

def test_systemctl_show_argv_is_the_captured_one():
    captured = meta("bed", "systemctl-show-auto")["argv"]
    units = ["nova-compute.service"] + list(h.MONOLITHIC_UNITS + h.MODULAR_UNITS)
    assert h.systemctl_show_argv("/usr/bin/systemctl", units) == captured


@pytest.mark.parametrize("name, unit", [("nova-compute", "nova-compute.service"),
                                        ("libvirtd.socket", "libvirtd.socket"),
                                        ("openstack-nova-compute.service", "openstack-nova-compute.service")])
def test_unit_name(name, unit):
    assert h.unit_name(name) == unit


def test_parse_systemctl_show_bed():
    units = h.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))
    assert list(units) == ["nova-compute.service", "libvirtd.service", "libvirtd.socket",
                           "virtqemud.service", "virtqemud.socket"]
    nova = units["nova-compute.service"]
    assert (nova["ActiveState"], nova["SubState"], nova["Type"], nova["MainPID"]) == (
        "active", "running", "notify", "8524")
    assert units["virtqemud.service"]["LoadState"] == "not-found"
    assert h.unit_summary(nova) == {
        "Id": "nova-compute.service", "LoadState": "loaded", "ActiveState": "active", "SubState": "running",
        "UnitFileState": "enabled", "Type": "notify", "Result": "success", "MainPID": 8524, "ExecMainPID": 8524,
        "ExecMainStatus": 0, "NRestarts": 0, "ActiveEnterTimestamp": "Tue 2026-11-24 15:08:54 UTC",
        "StateChangeTimestamp": "Tue 2026-11-24 15:08:54 UTC"}
    # empty values are dropped
    assert "UnitFileState" not in h.unit_summary(units["virqemud.socket".replace("virq", "virtq")])
    assert h.unit_summary(None) is None


def test_systemctl_without_systemd_prints_nothing():
    assert meta("host", "systemctl-show-auto")["rc"] == 1
    assert "has not been booted with systemd" in meta("host", "systemctl-show-auto")["stderr"]
    assert h.parse_systemctl_show(stdout("host", "systemctl-show-auto")) == {}


def test_parse_systemctl_show_rejects_a_block_without_id():
    with pytest.raises(h.HealthParseError):
        h.parse_systemctl_show("ActiveState=active\n")


@pytest.mark.parametrize(
    "states, expected",
    [
        ("bed", list(h.MONOLITHIC_UNITS)),
        ({"virtqemud.service": ("loaded", "inactive", "enabled"), "virtqemud.socket": ("loaded", "active", "enabled"),
          "libvirtd.service": ("loaded", "inactive", "disabled"), "libvirtd.socket": ("loaded", "inactive", "disabled")},
         list(h.MODULAR_UNITS)),
        ({"virtqemud.service": ("loaded", "inactive", "enabled"), "virtqemud.socket": ("loaded", "inactive", "enabled"),
          "libvirtd.service": ("loaded", "inactive", "disabled"), "libvirtd.socket": ("loaded", "inactive", "masked")},
         list(h.MODULAR_UNITS)),
        ({"virtqemud.service": ("loaded", "inactive", "disabled"),
          "libvirtd.service": ("not-found", "inactive", "")}, list(h.MODULAR_UNITS)),
        ({}, list(h.MONOLITHIC_UNITS)),
    ],
)
def test_choose_libvirt_units(states, expected):
    if states == "bed":
        units = h.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))
    else:
        units = {name: {"Id": name, "LoadState": s[0], "ActiveState": s[1], "UnitFileState": s[2]}
                 for name, s in states.items()}
    assert h.choose_libvirt_units(units) == expected


# ---------------------------------------------------------------------------
# sockets
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, ip",
    [("[::ffff:127.0.0.1]", "127.0.0.1"), ("[::1]", "::1"), ("127.0.0.53%lo", "127.0.0.53"),
     ("10.89.77.10", "10.89.77.10"), ("[fe80::1%eth0]", "fe80::1"), ("*", "*"), ("FD00::0010", "fd00::10")],
)
def test_normalize_ip(value, ip):
    assert h.normalize_ip(value) == ip


def test_parse_ss_bed():
    conns = h.parse_ss(stdout("bed", "ss"))
    assert len(conns) == 5
    assert conns[1] == {
        "state": "ESTAB",
        "local": {"ip": "10.89.77.11", "port": 53696},
        "peer": {"ip": "10.89.77.10", "port": 5672},
        "processes": [{"name": "nova-compute", "pid": 8524, "fd": 8}],
    }


def test_parse_ss_host_families_states_and_owners():
    conns = h.parse_ss(stdout("host", "ss"))
    states = sorted({c["state"] for c in conns})
    assert states == ["CLOSE-WAIT", "ESTAB", "FIN-WAIT-2"]
    # ss shows no owner for sockets whose process is gone or not visible
    assert any(c["processes"] == [] for c in conns)
    peers = {(c["peer"]["ip"], c["peer"]["port"]) for c in conns if c["processes"]
             and c["processes"][0]["pid"] == 14466}
    # the dual-stack listener's peer, printed [::ffff:127.0.0.1], is plain IPv4
    assert peers == {("127.0.0.1", 36388), ("::1", 47018), ("127.0.0.1", 58610)}


def test_parse_ss_several_owners_header_and_empty():
    out = ("State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
           'ESTAB 0 0 10.0.0.2:40000 10.0.0.1:5672 users:(("nova-compute",pid=10,fd=8),("nova-compute",pid=11,fd=8))\n')
    (conn,) = h.parse_ss(out)
    assert [p["pid"] for p in conn["processes"]] == [10, 11]
    assert h.parse_ss("") == []
    assert h.parse_ss(stdout(container("broker-down"), "ss")) == []


def test_parse_ss_rejects_other_text():
    with pytest.raises(h.HealthParseError):
        h.parse_ss("Cannot open netlink socket: Permission denied\n")


@pytest.mark.parametrize("where, pid", [("bed", "8524"), ("host", "14467")])
def test_proc_net_tcp_agrees_with_ss(where, pid):
    """/proc/PID/net/tcp{,6} + the fd inodes give exactly ss's connections of that process."""
    proc = snapshot(where)["procs"][pid]
    from_proc = h.proc_connections(int(pid), "nova-compute", [proc["net_tcp"], proc["net_tcp6"]], proc["fd"])
    from_ss = [c for c in h.parse_ss(stdout(where, "ss")) if any(p["pid"] == int(pid) for p in c["processes"])]

    def key(c):
        return (c["state"], c["local"]["ip"], c["local"]["port"], c["peer"]["ip"], c["peer"]["port"],
                c["processes"][0]["fd"])

    assert sorted(map(key, from_proc)) == sorted(map(key, from_ss))
    assert len(from_proc) == {"bed": 5, "host": 3}[where]


def test_parse_proc_net_tcp_listen_and_hex_order():
    sample = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
              "   0: 0100007F:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 4242 1\n")
    assert h.parse_proc_net_tcp(sample) == [{
        "state": "LISTEN", "local": {"ip": "127.0.0.1", "port": 5672}, "peer": {"ip": "0.0.0.0", "port": 0},
        "inode": 4242}]
    with pytest.raises(h.HealthParseError):
        h.parse_proc_net_tcp("header\nnot a line\n")


def test_socket_inodes():
    assert h.socket_inodes({"0": "/dev/null", "8": "socket:[123]", "9": "pipe:[7]", "10": None}) == {123: 8}


def brokers_of(where, resolved):
    conf = h.parse_ini(text(where, "nova.conf"))
    parsed = h.parse_transport_url(conf["DEFAULT"]["transport_url"])
    return [dict(b, addresses=resolved[b["host"]]) for b in parsed["hosts"]]


def bed_controller():
    """Addresses compute1 resolves "controller" to (getent ahostsv4 controller)."""
    return sorted({line.split()[0] for line in text("bed", "resolve-controller.txt").splitlines() if line.strip()})


def test_broker_connections_bed():
    assert bed_controller() == ["10.89.77.10"]
    brokers = brokers_of("bed", {"controller": bed_controller()})
    found = h.broker_connections(h.parse_ss(stdout("bed", "ss")), brokers, [8524])
    assert [(c["broker"], c["state"], c["peer"], c["pid"]) for c in found] == [
        ("controller:5672", "ESTAB", "10.89.77.10:5672", 8524)] * 3
    assert h.broker_connections(h.parse_ss(stdout("bed", "ss")), brokers, [1]) == []


def test_broker_connections_host_loopback_broker():
    ports = json.loads(text("host", "broker-ports.json"))
    brokers = brokers_of("host", {"localhost": ["127.0.0.1", "::1"], "127.0.0.2": ["127.0.0.2"]})
    assert brokers[0]["port"] == ports["v4"]
    found = h.broker_connections(h.parse_ss(stdout("host", "ss")), brokers, [14467])
    assert [(c["broker"], c["peer"]) for c in found] == [
        ("localhost:%d" % ports["v4"], "127.0.0.1:%d" % ports["v4"])]


# ---------------------------------------------------------------------------
# virsh
# ---------------------------------------------------------------------------

def test_virsh_batch_host():
    version, defined, active = virsh_pieces("host")
    assert h.parse_virsh_version(version) == {
        "compiled_against": "libvirt 9.0.0", "library": "libvirt 9.0.0", "api": "QEMU 9.0.0",
        "hypervisor": "QEMU 7.2.22"}
    assert "novaops-health odd,name" in parse_name_list(active)  # paused counts as active
    assert len(parse_name_list(defined)) == 5


@pytest.mark.parametrize("name, rc", [("virsh-batch-no-daemon", 1), ("virsh-batch-hung", 124)])
def test_virsh_batch_failures_print_no_marker(name, rc):
    assert meta("host", name)["rc"] == rc
    assert stdout("host", name) == ""
    with pytest.raises(ValueError):
        split_batch(stdout("host", name), TOKEN, 3)


def test_parse_virsh_version_rejects():
    with pytest.raises(h.HealthParseError):
        h.parse_virsh_version("")


@pytest.mark.parametrize("uri, local", [("qemu:///system", True), ("qemu:///session", True),
                                        ("qemu:///system?socket=/run/x", True), ("qemu+ssh://n1/system", False),
                                        ("qemu+tcp://10.0.0.1/system", False), ("test:///default", True)])
def test_is_local_uri(uri, local):
    assert h.is_local_uri(uri) is local


# ---------------------------------------------------------------------------
# layer judgments
# ---------------------------------------------------------------------------

def dev_kvm():
    dev = json.loads(text("host", "dev-kvm.json"))
    dev.pop("kernel_modules")
    return dev


MISSING = {"path": "/dev/kvm", "exists": False, "usable": False, "api_version": None, "error": "missing"}


@pytest.mark.parametrize(
    "dev, virt_type, status, code",
    [
        ("host", "kvm", "ok", "kvm_usable"),
        ("host", None, "ok", "kvm_usable"),
        ("host", "qemu", "ok", "tcg_by_choice"),
        (MISSING, "qemu", "ok", "tcg"),
        (MISSING, "kvm", "failed", "kvm_unusable"),
        (MISSING, None, "warning", "kvm_unusable_virt_type_unknown"),
        (MISSING, "lxc", "skipped", "other_virt_type"),
    ],
)
def test_judge_kvm(dev, virt_type, status, code):
    dev = dev_kvm() if dev == "host" else dev
    lay = h.judge_kvm(dev, virt_type, None, ["kvm", "kvm_pvm"], {"kvm": 1, "tcg": 4})
    assert (lay["name"], lay["status"], lay["code"]) == ("kvm", status, code)
    assert lay["evidence"]["guests_by_accel"] == {"kvm": 1, "tcg": 4}
    assert lay["evidence"]["kernel_modules"] == ["kvm", "kvm_pvm"]


def test_judge_kvm_summary_of_the_host():
    lay = h.judge_kvm(dev_kvm(), "kvm")
    assert lay["summary"] == "/dev/kvm usable (KVM API 12)"


def test_judge_kvm_permission_denied():
    """/dev/kvm opened by an unprivileged user (crw------- root)."""
    dev = json.loads(text("host", "dev-kvm-nobody.json"))
    modules = dev.pop("kernel_modules")
    lay = h.judge_kvm(dev, "kvm", None, modules)
    assert (lay["status"], lay["code"]) == ("failed", "kvm_unusable")
    assert lay["summary"] == "virt_type = kvm but /dev/kvm is not usable (open read-write: Permission denied)"
    diag = h.diagnose({"kvm": lay})
    assert diag["action"].startswith("check /dev/kvm's permissions and the kernel log")


def test_judge_qemu_host_all_present():
    qemu = h.qemu_processes(table("host"))
    active = parse_name_list(virsh_pieces("host")[2])
    lay = h.judge_qemu(qemu, active)
    assert (lay["status"], lay["code"]) == ("ok", "all_present")
    assert lay["summary"] == "5 qemu processes, one per active domain"
    assert lay["evidence"]["missing"] == [] and lay["evidence"]["unknown"] == []


def test_judge_qemu_missing_and_unknown():
    qemu = h.qemu_processes(table("host"))
    lay = h.judge_qemu(qemu, ["novaops-health-kvm", "instance-gone"])
    assert (lay["status"], lay["code"]) == ("failed", "qemu_missing")
    assert lay["evidence"]["missing"] == ["instance-gone"]
    assert lay["summary"] == "libvirt lists instance-gone as active but no qemu process runs for it"
    lay = h.judge_qemu(qemu, parse_name_list(virsh_pieces("host")[2])[1:])
    assert (lay["status"], lay["code"]) == ("warning", "qemu_unknown")
    assert lay["evidence"]["unknown"] == [{"name": "novaops-fx-vnc", "pids": [13924]}]


def test_judge_qemu_not_compared_keeps_the_guests():
    qemu = h.qemu_processes(table(container("libvirt-down")))
    lay = h.judge_qemu(qemu, None, "libvirt does not answer")
    assert (lay["status"], lay["code"]) == ("ok", "not_compared")
    assert [p["name"] for p in lay["evidence"]["processes"]] == ["novaops-health-c1"]
    assert lay["summary"].startswith("1 qemu process running (guests alive)")


def test_judge_qemu_crashed_domain_fails_the_layer():
    qemu = h.qemu_processes(table("bed"))
    lay = h.judge_qemu(qemu, [], crashed=["instance-0000002a"])
    assert (lay["status"], lay["code"]) == ("failed", "qemu_crashed")
    assert lay["evidence"]["crashed"] == ["instance-0000002a"]
    diagnosis = h.diagnose({"qemu": lay})
    assert diagnosis["failed_layer"] == "qemu"
    assert "instance-0000002a is down" in diagnosis["explanation"]
    assert "/var/log/libvirt/qemu/instance-0000002a.log" in diagnosis["action"]
    # not compared (libvirt silent): nothing is called crashed
    assert h.judge_qemu(qemu, None, "libvirt does not answer")["evidence"]["crashed"] is None


def test_judge_qemu_no_guests():
    lay = h.judge_qemu(h.qemu_processes(table("bed")), [])
    assert (lay["status"], lay["code"]) == ("ok", "no_guests")


def virsh_result(*where, name="virsh-batch"):
    m = meta(*where, name)
    out = stdout(*where, name)
    result = {"answered": False, "rc": m["rc"], "stderr": m["stderr"], "timeout": 10, "timed_out": m["rc"] == 124}
    try:
        version, defined, active = split_batch(out, TOKEN, 3)
    except ValueError:
        return result
    result.update(answered=True, version=h.parse_virsh_version(version), defined=parse_name_list(defined),
                  active=parse_name_list(active))
    return result


def units_of(where, names):
    units = h.parse_systemctl_show(stdout(where, "systemctl-show-auto"))
    return {n: units[n] for n in names}


@pytest.mark.parametrize(
    "where, name, units, daemons, status, code",
    [
        ("bed", "virsh-batch", h.MONOLITHIC_UNITS, [], "ok", "answering"),
        ("host", "virsh-batch", None, [{"pid": 28634, "name": "libvirtd"}], "ok", "answering"),
        ("host", "virsh-batch-hung", None, [{"pid": 28634, "name": "libvirtd"}], "failed", "timeout"),
        ("host", "virsh-batch-no-daemon", None, [], "failed", "down"),
        ("host", "virsh-batch-no-daemon", None, [{"pid": 28634, "name": "libvirtd"}], "failed", "not_answering"),
        (container("libvirt-down"), "virsh-batch", h.MONOLITHIC_UNITS, [], "failed", "down"),
        (container("libvirt-down"), "virsh-batch", h.MODULAR_UNITS, [], "failed", "not_installed"),
        (container("nova-stopped"), "virsh-batch", h.MONOLITHIC_UNITS, [], "ok", "answering"),
    ],
)
def test_judge_libvirt(where, name, units, daemons, status, code):
    unit_props = units_of(where, units) if units is not None else None
    lay = h.judge_libvirt("qemu:///system", virsh_result(where, name=name), unit_props, daemons)
    assert (lay["status"], lay["code"]) == (status, code)
    if status == "failed":
        assert "rc" in lay["evidence"]


def test_judge_libvirt_summary_and_evidence():
    lay = h.judge_libvirt("qemu:///system", virsh_result(container("libvirt-down")),
                          units_of(container("libvirt-down"), h.MONOLITHIC_UNITS))
    assert lay["summary"] == "libvirtd.service and libvirtd.socket inactive; virsh -c qemu:///system does not answer"
    assert lay["evidence"]["stderr"].startswith("error: failed to connect to the hypervisor")
    lay = h.judge_libvirt("qemu:///system", virsh_result("bed"), units_of("bed", h.MONOLITHIC_UNITS))
    assert lay["summary"] == ("libvirt answers on qemu:///system (libvirt 9.0.0, QEMU 7.2.22); "
                              "0 of 0 domains active")
    assert lay["evidence"]["units"]["libvirtd.socket"]["ActiveState"] == "active"


def test_judge_libvirt_failed_unit_and_missing_virsh():
    units = {"libvirtd.service": {"Id": "libvirtd.service", "LoadState": "loaded", "ActiveState": "failed",
                                  "Result": "core-dump"},
             "libvirtd.socket": {"Id": "libvirtd.socket", "LoadState": "loaded", "ActiveState": "active"}}
    lay = h.judge_libvirt("qemu:///system", virsh_result("host", name="virsh-batch-no-daemon"), units)
    assert (lay["code"], lay["summary"]) == (
        "unit_failed", "libvirtd.service failed (Result=core-dump); virsh -c qemu:///system does not answer")
    lay = h.judge_libvirt("qemu:///system", {"answered": False, "missing_binary": True})
    assert (lay["status"], lay["code"]) == ("failed", "virsh_missing")


def nova_layer(where, resolved, unit=True, conf_text=None, source="ss", times=None):
    """The nova_compute layer from one capture, as the module builds it."""
    units = h.parse_systemctl_show(stdout(where, "systemctl-show-auto"))
    props = units.get("nova-compute.service") if unit else None
    processes = h.service_processes(table(where), props, "nova-compute")
    pids = [p["pid"] for p in processes]
    conf = h.parse_ini(conf_text if conf_text is not None else text(where, "nova.conf"))
    parsed = h.parse_transport_url(h.conf_get(conf, "DEFAULT", "transport_url", h.DEFAULT_TRANSPORT_URL))
    brokers = [dict(b, addresses=resolved.get(b["host"], []), error=None) for b in parsed["hosts"]]
    bus = {"transport_url": parsed["masked"], "brokers": brokers, "source": source,
           "connections": h.broker_connections(h.parse_ss(stdout(where, "ss")), brokers, pids)}
    nova_conf = {"path": "/etc/nova/nova.conf", "exists": True, "readable": True, "error": None}
    return h.judge_nova_compute("nova-compute.service", props, processes, nova_conf, bus, times)


LOOPBACK = {"localhost": ["127.0.0.1", "::1"], "127.0.0.2": ["127.0.0.2"]}


@pytest.mark.parametrize(
    "where, status, code, connected",
    [
        ("bed", "ok", "connected", True),
        (container("activating-connected"), "failed", "activating", True),
        (container("broker-down"), "failed", "activating", False),
        (container("nova-stopped"), "failed", "not_running", False),
        (container("nova-crashloop"), "failed", "restarting", False),
        (container("nova-failed"), "failed", "unit_failed", False),
    ],
)
def test_judge_nova_compute_scenarios(where, status, code, connected):
    lay = nova_layer(where, dict(LOOPBACK, controller=["10.89.77.10"]))
    assert (lay["status"], lay["code"], lay["evidence"]["connected"]) == (status, code, connected)
    for secret in ("test-only-rabbit-pw", "novaops-capture-secret"):
        assert secret not in json.dumps(lay)


def test_nova_conf_newer_than_the_running_nova_compute_is_a_warning():
    started = 1795544459.5  # 2026-11-24T18:20:59Z
    resolved = {"controller": ["10.89.77.10"]}
    lay = nova_layer("bed", resolved, times={"nova_conf_changed": started + 600, "started": started})
    assert (lay["status"], lay["code"]) == ("warning", "restart_pending")
    assert lay["evidence"]["started"] == "2026-11-24T18:20:59Z"
    assert lay["evidence"]["nova_conf_changed"] == "2026-11-24T18:30:59Z"
    assert lay["summary"].endswith("but /etc/nova/nova.conf changed at 2026-11-24T18:30:59Z, after it started "
                                   "(2026-11-24T18:20:59Z): the change is not in effect")
    diagnosis = h.diagnose({"nova_compute": lay})
    assert diagnosis["failed_layer"] is None and diagnosis["warnings"] == ["nova_compute"]
    assert "takes effect at the next restart" in diagnosis["explanation"]
    assert "site.yml --check --diff" in diagnosis["action"]
    # written in the second it started (btime has whole seconds), or before: fine
    for changed in (started + 1.5, started - 3600):
        lay = nova_layer("bed", resolved, times={"nova_conf_changed": changed, "started": started})
        assert (lay["status"], lay["code"]) == ("ok", "connected")
    # unknown times: not judged
    assert nova_layer("bed", resolved, times={"nova_conf_changed": None, "started": started})["code"] == "connected"


def test_process_start_time():
    stat = "8524 (nova-compute) S 1 8524 8524 0 -1 4194560 " + " ".join(["0"] * 8) + " 20 0 1 0 123456 0 0"
    assert h.process_start_time(stat, "cpu 1 2 3\nbtime 1795400000\nprocesses 9\n", 100) == 1795400000 + 1234.56
    assert h.process_start_time(stat, "cpu 1 2 3\n", 100) is None
    assert h.process_start_time("8524 (x) S 1", "btime 1\n", 100) is None


def test_judge_nova_compute_summaries():
    lay = nova_layer("bed", {"controller": ["10.89.77.10"]})
    assert lay["summary"] == "nova-compute.service running (pid 8524), connected to RabbitMQ at controller:5672"
    lay = nova_layer(container("activating-connected"), LOOPBACK)
    assert lay["summary"].endswith("connected to RabbitMQ at localhost:5672: waiting for nova-conductor")
    lay = nova_layer(container("broker-down"), LOOPBACK)
    assert lay["summary"].endswith("no connection to RabbitMQ at localhost:5672, 127.0.0.2:5672")


def test_judge_nova_compute_broken_config_real_states():
    """A typo in nova.conf: Debian's init-script wrapper exits 0 without READY=1: Result=protocol."""
    lay = nova_layer(container("nova-crashloop"), LOOPBACK)
    assert lay["summary"] == ("nova-compute.service exited without telling systemd it was ready "
                              "(Result=protocol, status 0); systemd restarts it (0 restarts so far)")
    assert lay["evidence"]["state"]["SubState"] == "auto-restart"
    assert lay["evidence"]["processes"] == []
    lay = nova_layer(container("nova-failed"), LOOPBACK)
    assert lay["summary"] == ("nova-compute.service failed: exited without telling systemd it was ready "
                              "(Result=protocol, status 0)")


@pytest.mark.parametrize("props, words", [
    ({"Result": "exit-code", "ExecMainStatus": "1"}, "exited with an error status (Result=exit-code, status 1)"),
    ({"Result": "start-limit-hit"}, "restarted too often (Result=start-limit-hit, status ?)"),
    ({"Result": "something-new", "ExecMainStatus": "0"}, "something-new (Result=something-new, status 0)"),
])
def test_result_text(props, words):
    assert h.result_text(props) == words


def test_judge_nova_compute_restarted_after_start_timeouts():
    unit = {"Id": "nova-compute.service", "LoadState": "loaded", "ActiveState": "activating", "SubState": "start",
            "NRestarts": "3", "Result": "success"}
    conf = {"path": "/etc/nova/nova.conf", "exists": True, "readable": True, "error": None}
    bus = {"transport_url": "rabbit://", "connections": [],
           "brokers": [{"host": "localhost", "port": 5672, "addresses": ["127.0.0.1"], "error": None}]}
    lay = h.judge_nova_compute("nova-compute.service", unit, [{"pid": 9, "name": "nova-compute"}], conf, bus)
    assert (lay["code"], lay["summary"]) == (
        "restarting", "nova-compute.service starting again after 3 restarts, no message-bus connection")


def test_judge_nova_compute_running_without_bus_connection():
    # the bed's active nova-compute, if the broker were elsewhere: active but not connected
    lay = nova_layer("bed", {"controller": ["10.89.77.99"]})
    assert (lay["status"], lay["code"]) == ("failed", "no_bus_connection")
    assert lay["summary"] == "running but has no message-bus connection (RabbitMQ at controller:5672)"


def test_judge_nova_compute_without_systemd():
    lay = nova_layer("host", LOOPBACK, unit=False)
    assert (lay["status"], lay["code"]) == ("ok", "connected")
    assert lay["summary"].startswith("nova-compute running (pid 14467), connected to RabbitMQ at localhost:")
    missing = {"path": "/etc/nova/nova.conf", "exists": False, "readable": False, "error": "No such file or directory"}
    lay = h.judge_nova_compute("nova-compute.service", None, [], missing, {"error": "cannot read"})
    assert (lay["code"], lay["status"]) == ("not_installed", "failed")
    lay = h.judge_nova_compute("nova-compute.service", None, [], dict(missing, exists=True), None)
    assert lay["code"] == "not_running"


def test_judge_nova_compute_unreadable_conf_is_a_warning():
    unit = h.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))["nova-compute.service"]
    conf = {"path": "/etc/nova/nova.conf", "exists": True, "readable": False, "error": "Permission denied"}
    lay = h.judge_nova_compute("nova-compute.service", unit, [{"pid": 8524, "name": "nova-compute"}], conf,
                               {"error": "cannot read /etc/nova/nova.conf: Permission denied"})
    assert (lay["status"], lay["code"], lay["evidence"]["connected"]) == ("warning", "bus_unknown", None)
    assert lay["summary"].endswith("not judged: cannot read /etc/nova/nova.conf: Permission denied")


def test_judge_nova_compute_not_installed_unit():
    unit = h.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))["virtqemud.service"]
    lay = h.judge_nova_compute("virtqemud.service", unit, [], {"path": "x", "readable": False}, None)
    assert (lay["code"], lay["summary"]) == ("not_installed", "virtqemud.service is not installed here (LoadState=not-found)")


def api(name):
    return json.loads(text("bed", "api.json"))["requests"][name]


def test_judge_control_plane_bed():
    services = h.parse_os_services(json.loads(api("services_compute1")["body"]), "compute1")
    lay = h.judge_control_plane("compute1", services, endpoint="http://controller:8774/v2.1")
    assert (lay["status"], lay["code"]) == ("ok", "up")
    assert lay["evidence"]["service"] == {
        "id": 5, "host": "compute1", "zone": "nova", "state": "up", "status": "enabled",
        "updated_at": "2026-11-24T15:19:42.000000", "disabled_reason": None, "forced_down": False}


@pytest.mark.parametrize(
    "change, status, code",
    [
        # the real entry with the field an outage or an operator changes
        ({"state": "down"}, "failed", "service_down"),
        ({"forced_down": True, "state": "down"}, "failed", "forced_down"),
        ({"status": "disabled", "disabled_reason": "maintenance"}, "warning", "service_disabled"),
        ({"status": "disabled", "disabled_reason": "AUTO: Connection to libvirt lost: 1"}, "failed",
         "service_disabled"),
    ],
)
def test_judge_control_plane_states(change, status, code):
    (svc,) = h.parse_os_services(json.loads(api("services_compute1")["body"]), "compute1")
    lay = h.judge_control_plane("compute1", [dict(svc, **change)])
    assert (lay["status"], lay["code"]) == (status, code)


def test_judge_control_plane_unknown_host_skipped_and_error():
    services = h.parse_os_services(json.loads(api("services_unknown_host")["body"]), "no-such-host")
    assert h.judge_control_plane("no-such-host", services)["code"] == "not_registered"
    lay = h.judge_control_plane("compute1")
    assert (lay["status"], lay["code"]) == ("skipped", "no_credentials")
    lay = h.judge_control_plane("compute1", error="keystone: HTTP 401: The request you have made requires authentication.")
    assert (lay["status"], lay["code"]) == ("warning", "api_error")


# ---------------------------------------------------------------------------
# diagnosis
# ---------------------------------------------------------------------------

def ok(name):
    return h.layer(name, "ok", "fine", "fine", {})


def test_diagnose_healthy():
    layers = {n: ok(n) for n in h.LAYERS}
    layers["control_plane"] = h.judge_control_plane("compute1")
    diag = h.diagnose(layers)
    assert diag == {"failed_layer": None, "explanation": "every layer checked is healthy (skipped: control_plane)",
                    "action": None, "warnings": [], "guests_running": []}


def test_diagnose_names_the_lowest_failed_layer_and_keeps_the_guests():
    qemu = h.qemu_processes(table(container("libvirt-down")))
    layers = {
        "kvm": h.judge_kvm(dev_kvm(), "kvm"),
        "qemu": h.judge_qemu(qemu, None, "libvirt does not answer"),
        "libvirt": h.judge_libvirt("qemu:///system", virsh_result(container("libvirt-down")),
                                   units_of(container("libvirt-down"), h.MONOLITHIC_UNITS)),
        "nova_compute": nova_layer(container("libvirt-down"), LOOPBACK),
        "control_plane": h.judge_control_plane("compute-capture"),
    }
    diag = h.diagnose(layers)
    assert diag["failed_layer"] == "libvirt"
    assert diag["action"] == ("start libvirt's sockets: systemctl start libvirtd.socket "
                              "(running guests are not affected)")
    assert diag["explanation"].endswith("(1 guest still running in qemu)")
    assert [g["name"] for g in diag["guests_running"]] == ["novaops-health-c1"]


@pytest.mark.parametrize(
    "where, action",
    [
        (container("nova-stopped"), "start nova-compute: systemctl start nova-compute (running guests are not affected)"),
        (container("broker-down"), "RabbitMQ at localhost:5672, 127.0.0.2:5672 unreachable from this node: "
                                   "check the broker and nova_compute_transport_url"),
        (container("activating-connected"), "check nova-conductor on the control plane (openstack compute service "
                                            "list; journalctl -u nova-conductor) and that it uses the same "
                                            "transport_url"),
        (container("nova-crashloop"), "journalctl -u nova-compute -n 50 and /var/log/nova/nova-compute.log show why "
                                      "it exits (often nova.conf); fix it, then systemctl restart nova-compute "
                                      "(running guests are not affected)"),
    ],
)
def test_diagnose_nova_compute_actions(where, action):
    layers = {n: ok(n) for n in h.LAYERS}
    layers["nova_compute"] = nova_layer(where, LOOPBACK)
    diag = h.diagnose(layers, "nova-compute.service")
    assert diag["failed_layer"] == "nova_compute"
    assert diag["action"] == action


def test_diagnose_no_bus_connection_action():
    layers = {n: ok(n) for n in h.LAYERS}
    layers["nova_compute"] = nova_layer("bed", {"controller": ["10.89.77.99"]})
    assert h.diagnose(layers)["action"] == (
        "RabbitMQ at controller:5672 unreachable from this node: check the broker and nova_compute_transport_url")


@pytest.mark.parametrize(
    "name, lay, needle",
    [
        ("kvm", h.judge_kvm(MISSING, "kvm", None, []), "modprobe kvm_intel or kvm_amd"),
        ("kvm", h.judge_kvm(MISSING, "kvm", "vmx", ["kvm", "kvm_intel"]), "are loaded but /dev/kvm is missing"),
        ("qemu", h.judge_qemu({"guests": [], "defunct": [], "other_namespaces": []}, ["instance-1"]),
         "/var/log/libvirt/qemu/instance-1.log"),
        ("libvirt", h.judge_libvirt("qemu:///system", {"answered": False, "timed_out": True, "timeout": 10},
                                    {"libvirtd.service": {"Id": "libvirtd.service", "LoadState": "loaded",
                                                          "ActiveState": "active"}}),
         "systemctl restart libvirtd.service"),
        ("libvirt", h.judge_libvirt("qemu:///system", {"answered": False, "rc": 1}, None, []), "libvirtd -d"),
        ("control_plane", h.judge_control_plane("compute1", []), "nova-manage cell_v2 discover_hosts"),
        ("control_plane", h.judge_control_plane("compute1", [{"state": "down", "status": "enabled"}]), "NTP"),
        ("control_plane", h.judge_control_plane("compute1", [{"state": "up", "status": "disabled",
                                                              "disabled_reason": "AUTO: libvirt lost"}]),
         "openstack compute service set --enable compute1 nova-compute"),
    ],
)
def test_diagnose_actions_per_layer(name, lay, needle):
    layers = {n: ok(n) for n in h.LAYERS}
    layers[name] = lay
    diag = h.diagnose(layers)
    assert diag["failed_layer"] == name
    assert needle in diag["action"]


def test_diagnose_warning_only():
    layers = {n: ok(n) for n in h.LAYERS}
    layers["control_plane"] = h.judge_control_plane("compute1", error="keystone: HTTP 401")
    diag = h.diagnose(layers)
    assert diag["failed_layer"] is None
    assert diag["warnings"] == ["control_plane"]
    assert diag["explanation"].startswith("no layer failed; warning on control_plane")
    assert diag["action"] == "check auth_url, the credentials and the region"


# ---------------------------------------------------------------------------
# control plane requests and answers
# ---------------------------------------------------------------------------

def bed_cloud():
    import yaml  # the test environment has PyYAML (ansible-core needs it)
    return yaml.safe_load(json.loads(text("bed", "api.json"))["clouds_yaml"])


def test_cloud_settings_from_the_beds_clouds_yaml():
    settings = h.cloud_settings(bed_cloud(), "bed")
    assert settings == {
        "auth_url": "http://controller:5000/v3", "username": "admin", "password": "test-only-admin-pw",
        "project_name": "admin", "user_domain_name": "Default", "project_domain_name": "Default",
        "region_name": "RegionOne"}
    merged = h.cloud_settings(bed_cloud(), "bed", {"clouds": {"bed": {"auth": {"password": "from-secure"},
                                                                      "verify": False}}})
    assert (merged["password"], merged["verify"]) == ("from-secure", False)
    with pytest.raises(KeyError, match="cloud 'other' is not in clouds.yaml .defined: bed."):
        h.cloud_settings(bed_cloud(), "other")


def test_keystone_auth_body_is_what_keystone_accepted():
    """The body built from the bed's clouds.yaml is the one that got the 201 token."""
    body = h.keystone_auth_body(h.cloud_settings(bed_cloud(), "bed"))
    assert body == {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": "test-only-admin-pw"}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
    }}
    assert api("token")["status"] == 201


def test_keystone_auth_body_variants():
    body = h.keystone_auth_body({"application_credential_id": "ac1", "application_credential_secret": "s"})
    assert body == {"auth": {"identity": {"methods": ["application_credential"],
                                          "application_credential": {"id": "ac1", "secret": "s"}}}}
    body = h.keystone_auth_body({"application_credential_name": "ac", "application_credential_secret": "s",
                                 "username": "u", "user_domain_id": "default"})
    assert body["auth"]["identity"]["application_credential"]["user"] == {"name": "u", "domain": {"id": "default"}}
    body = h.keystone_auth_body({"user_id": "u1", "password": "p", "project_id": "p1"})
    assert body["auth"]["identity"]["password"]["user"] == {"id": "u1", "password": "p"}
    assert body["auth"]["scope"] == {"project": {"id": "p1"}}
    assert "scope" not in h.keystone_auth_body({"username": "u", "password": "p"})["auth"]


@pytest.mark.parametrize("auth_url", ["http://controller:5000/v3", "http://controller:5000/v3/",
                                      "http://controller:5000", "http://controller:5000/"])
def test_tokens_url(auth_url):
    assert h.tokens_url(auth_url) == "http://controller:5000/v3/auth/tokens"


def test_find_endpoint_in_the_real_catalog():
    token = json.loads(api("token")["body"])
    assert h.find_endpoint(token) == "http://controller:8774/v2.1"
    assert h.find_endpoint(token, interface="internal", region="RegionOne") == "http://controller:8774/v2.1"
    assert h.find_endpoint(token, interface="publicURL") == "http://controller:8774/v2.1"
    with pytest.raises(LookupError, match="no compute endpoint for interface public in region regionOne"):
        h.find_endpoint(token, region="regionOne")  # the spelling trap DESIGN.md warns about
    with pytest.raises(LookupError, match="the catalog has no volumev3 service"):
        h.find_endpoint(token, "volumev3")


def test_services_url_is_the_captured_request():
    url = h.services_url("http://controller:8774/v2.1", "compute1")
    assert url == api("services_compute1")["url"]


def test_parse_os_services():
    assert h.parse_os_services(json.loads(api("services_unknown_host")["body"]), "no-such-host") == []
    (svc,) = h.parse_os_services(json.loads(api("services_compute1")["body"]), "compute1")
    assert (svc["state"], svc["status"]) == ("up", "enabled")
    # an answer for another host (an API ignoring the filter) is not this host's
    assert h.parse_os_services(json.loads(api("services_compute1")["body"]), "compute2") == []
    with pytest.raises(h.HealthParseError):
        h.parse_os_services({"error": {}}, "compute1")


@pytest.mark.parametrize(
    "name, message",
    [
        ("token_bad_password", "HTTP 401: The request you have made requires authentication."),
        ("services_bad_token", "HTTP 401: The request you have made requires authentication."),
    ],
)
def test_api_error_message_real_answers(name, message):
    answer = api(name)
    assert h.api_error_message(answer["status"], answer["body"]) == message


def test_api_error_message_other_bodies():
    assert h.api_error_message(502, "<html>Bad Gateway</html>") == "HTTP 502: <html>Bad Gateway</html>"
    assert h.api_error_message(500, "") == "HTTP 500"
