"""Tests for plugins/module_utils/_proc.py over real captured /proc snapshots.

Fixtures (tests/unit/fixtures/health/, see the VERSIONS.txt in each folder):
proc.json is a snapshot of what the modules read under /proc on that node -
host/ (this sandbox, no systemd, guests, a zombie QEMU, containers' processes
in other PID namespaces), bed/ (the Molecule bed's compute1), container/
(a systemd container walked through faults).
"""

import os

import pytest

from ansible_collections.novaops.compute.plugins.module_utils import _proc as proc
from ansible_collections.novaops.compute.plugins.module_utils import _systemd as systemd
from ansible_collections.novaops.compute.plugins.module_utils._health import LIBVIRT_DAEMONS
from health_captures import snapshot, stdout, table


def test_parse_cmdline():
    assert proc.parse_cmdline(b"") == []
    assert proc.parse_cmdline(b"/sbin/init\0") == ["/sbin/init"]
    assert proc.parse_cmdline(b"a\0b c\0\xff\0") == ["a", "b c", "\udcff"]
    assert proc.parse_cmdline("x\0y\0") == ["x", "y"]


@pytest.mark.parametrize(
    "stat, expected",
    [
        ("8524 (nova-compute) S 1 8524 8524 0 -1 4194560 513 0 0 0\n",
         {"pid": 8524, "comm": "nova-compute", "state": "S", "ppid": 1, "starttime": None}),
        ("14696 (qemu-system-x86) Z 14468 14468 14015 0 -1\n",
         {"pid": 14696, "comm": "qemu-system-x86", "state": "Z", "ppid": 14468, "starttime": None}),
        # a command name with spaces and parentheses: cut at the last ')'
        ("42 (odd) (name) R 7 42 42 0\n", {"pid": 42, "comm": "odd) (name", "state": "R", "ppid": 7, "starttime": None}),
    ],
)
def test_parse_proc_stat(stat, expected):
    assert proc.parse_proc_stat(stat) == expected


@pytest.mark.parametrize("stat", ["", "garbage", "12 (x)", "x (y) S 1"])
def test_parse_proc_stat_rejects(stat):
    with pytest.raises(proc.ProcParseError):
        proc.parse_proc_stat(stat)


def test_process_table_drops_unparsable_entries():
    assert proc.process_table([("", b"", None), ("7 (a) S 1 7", b"a\0", None)]) == [
        {"pid": 7, "comm": "a", "state": "S", "ppid": 1, "starttime": None, "argv": ["a"], "ns": None, "foreign": False}]


def test_host_table_marks_container_processes_foreign():
    procs = {p["pid"]: p for p in table("host")}
    # compute1's and the capture container's nova-compute and libvirtd, seen from the host
    foreign = sorted(proc.command_name(p) for p in procs.values() if p["foreign"])
    assert foreign == ["init", "init", "libvirtd", "nova-compute", "nova-compute"]
    assert [p["pid"] for p in proc.find_processes(list(procs.values()), ("nova-compute",))] == [14467]
    assert [p["pid"] for p in proc.find_processes(list(procs.values()), LIBVIRT_DAEMONS)] == [28634]


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
    assert proc.command_name({"argv": argv, "comm": "x"}) == name


def test_command_name_of_a_kernel_thread_is_its_comm():
    assert proc.command_name({"argv": [], "comm": "kworker/0:1"}) == "kworker/0:1"


def test_service_processes_bed_main_pid():
    units = systemd.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))
    assert proc.service_processes(table("bed"), units["nova-compute.service"], "nova-compute") == [
        {"pid": 8524, "name": "nova-compute"}]
    # the unit's main PID wins over a name search; an inactive unit's stale PID is not used
    assert proc.service_processes(table("bed"), units["libvirtd.service"], "nova-compute") == [
        {"pid": 7244, "name": "libvirtd"}]
    stopped = dict(units["nova-compute.service"], ActiveState="inactive")
    assert proc.service_processes(table("bed"), stopped, "nova-compute") == [{"pid": 8524, "name": "nova-compute"}]
    assert proc.service_processes(table("bed"), stopped, "no-such-command") == []


def test_service_processes_without_systemd_skips_other_namespaces():
    assert proc.service_processes(table("host"), None, "nova-compute") == [{"pid": 14467, "name": "nova-compute"}]


def test_service_processes_takes_descendants():
    procs = proc.process_table([("10 (nova-compute) S 1 10", b"/usr/bin/python3\0/usr/bin/nova-compute\0", None),
                                ("11 (privsep-helper) S 10 10", b"/usr/bin/privsep-helper\0", None),
                                ("12 (sh) S 1 12", b"sh\0", None)])
    assert proc.service_processes(procs, {"ActiveState": "active", "MainPID": "10"}, "nova-compute") == [
        {"pid": 10, "name": "nova-compute"}, {"pid": 11, "name": "privsep-helper"}]


def test_guests_by_accel():
    assert proc.guests_by_accel(proc.qemu_processes(table("host"))) == {"kvm": 1, "tcg": 4}
    assert proc.guests_by_accel({"guests": [{"accel": None}]}) == {"unknown": 1}


def test_descendants():
    procs = [{"pid": 1, "ppid": 0}, {"pid": 10, "ppid": 1}, {"pid": 11, "ppid": 10}, {"pid": 12, "ppid": 11},
             {"pid": 20, "ppid": 1}]
    assert proc.descendants(procs, 10) == {10, 11, 12}
    assert proc.descendants(procs, 99) == {99}


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
    assert proc.parse_qemu_opts(opts, implied) == expected


def test_qemu_processes_of_the_host():
    qemu = proc.qemu_processes(table("host"))
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
    assert proc.qemu_processes(table("bed")) == {"guests": [], "defunct": [], "other_namespaces": []}


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
    assert proc.parse_qemu_argv(argv) == expected


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
    assert proc.parse_cpu_virt_flag(cpuinfo) == flag


def test_process_start_time():
    stat = "8524 (nova-compute) S 1 8524 8524 0 -1 4194560 " + " ".join(["0"] * 8) + " 20 0 1 0 123456 0 0"
    starttime = proc.parse_proc_stat(stat)["starttime"]
    assert starttime == 123456
    assert proc.process_start_time(starttime, "cpu 1 2 3\nbtime 1795400000\nprocesses 9\n", 100) == 1795400000 + 1234.56
    assert proc.process_start_time(starttime, "cpu 1 2 3\n", 100) is None
    assert proc.process_start_time(proc.parse_proc_stat("8524 (x) S 1")["starttime"], "btime 1\n", 100) is None
    assert proc.process_start_time(starttime, None, 100) is None


@pytest.mark.parametrize(
    "value, ip",
    [("[::ffff:127.0.0.1]", "127.0.0.1"), ("[::1]", "::1"), ("127.0.0.53%lo", "127.0.0.53"),
     ("10.89.77.10", "10.89.77.10"), ("[fe80::1%eth0]", "fe80::1"), ("*", "*"), ("FD00::0010", "fd00::10")],
)
def test_normalize_ip(value, ip):
    assert proc.normalize_ip(value) == ip


def test_parse_proc_net_tcp_listen_and_hex_order():
    sample = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
              "   0: 0100007F:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 4242 1\n")
    assert proc.parse_proc_net_tcp(sample) == [{
        "state": "LISTEN", "local": {"ip": "127.0.0.1", "port": 5672}, "peer": {"ip": "0.0.0.0", "port": 0},
        "inode": 4242}]
    with pytest.raises(proc.ProcParseError):
        proc.parse_proc_net_tcp("header\nnot a line\n")


def test_socket_inodes():
    assert proc.socket_inodes({"0": "/dev/null", "8": "socket:[123]", "9": "pipe:[7]", "10": None}) == {123: 8}


# ---------------------------------------------------------------------------
# the reader, on this machine's own /proc
# ---------------------------------------------------------------------------

def test_host_reads_its_own_process_in_one_stat_read():
    host = proc.Host()
    pid = os.getpid()
    assert pid in host.pids()
    stat, cmdline, ns_link = host.process_entry(pid)
    (me,) = proc.process_table([(stat, cmdline, ns_link)], host.own_pid_ns())
    assert (me["pid"], me["foreign"]) == (pid, False)
    assert me["argv"] and me["starttime"] is not None
    started = proc.process_start_time(me["starttime"], host.stat(), host.clock_ticks())
    assert started is not None and started <= __import__("time").time() + 1


def test_host_files_and_resolver(tmp_path):
    host = proc.Host()
    path = tmp_path / "nova.conf"
    path.write_bytes(b"[DEFAULT]\nhost = n\xff1\n")
    assert host.read_text(str(path)) == ("[DEFAULT]\nhost = n\ufffd1\n", None)
    assert host.read_text(str(tmp_path / "missing")) == (None, "No such file or directory")
    assert host.exists(str(path)) and not host.exists(str(tmp_path / "missing"))
    assert host.mtime(str(path)) is not None and host.mtime(str(tmp_path / "missing")) is None
    assert host.resolve("127.0.0.1", 5672) == (["127.0.0.1"], None)
    assert host.dev_kvm(str(tmp_path / "kvm")) == {
        "path": str(tmp_path / "kvm"), "exists": False, "usable": False, "api_version": None, "error": "missing"}
    assert host.fd_links(2 ** 22 + 1) == {}
