"""Tests for plugins/module_utils/_ss.py over real ``ss -tnpH`` captures and the
/proc snapshots taken at the same moment (tests/unit/fixtures/health/)."""

import json
import types

import pytest

from ansible_collections.novaops.compute.plugins.module_utils import _proc as proc
from ansible_collections.novaops.compute.plugins.module_utils import _ss as ss
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import parse_ini
from ansible_collections.novaops.compute.plugins.module_utils._urls import parse_transport_url
from health_captures import container, meta, snapshot, stdout, text


def test_parse_ss_bed():
    conns = ss.parse_ss(stdout("bed", "ss"))
    assert len(conns) == 5
    assert conns[1] == {
        "state": "ESTAB",
        "local": {"ip": "10.89.77.11", "port": 53696},
        "peer": {"ip": "10.89.77.10", "port": 5672},
        "processes": [{"name": "nova-compute", "pid": 8524, "fd": 8}],
    }


def test_parse_ss_host_families_states_and_owners():
    conns = ss.parse_ss(stdout("host", "ss"))
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
    (conn,) = ss.parse_ss(out)
    assert [p["pid"] for p in conn["processes"]] == [10, 11]
    assert ss.parse_ss("") == []
    assert ss.parse_ss(stdout(container("broker-down"), "ss")) == []


def test_parse_ss_rejects_other_text():
    with pytest.raises(ss.SsParseError):
        ss.parse_ss("Cannot open netlink socket: Permission denied\n")


@pytest.mark.parametrize("where, pid", [("bed", "8524"), ("host", "14467")])
def test_proc_net_tcp_agrees_with_ss(where, pid):
    """/proc/PID/net/tcp{,6} + the fd inodes give exactly ss's connections of that process."""
    snap = snapshot(where)["procs"][pid]
    from_proc = proc.proc_connections(int(pid), "nova-compute", [snap["net_tcp"], snap["net_tcp6"]], snap["fd"])
    from_ss = [c for c in ss.parse_ss(stdout(where, "ss")) if any(p["pid"] == int(pid) for p in c["processes"])]

    def key(c):
        return (c["state"], c["local"]["ip"], c["local"]["port"], c["peer"]["ip"], c["peer"]["port"],
                c["processes"][0]["fd"])

    assert sorted(map(key, from_proc)) == sorted(map(key, from_ss))
    assert len(from_proc) == {"bed": 5, "host": 3}[where]


def brokers_of(where, resolved):
    conf = parse_ini(text(where, "nova.conf"))
    parsed = parse_transport_url(conf["DEFAULT"]["transport_url"])
    return [dict(b, addresses=resolved[b["host"]]) for b in parsed["hosts"]]


def bed_controller():
    """Addresses compute1 resolves "controller" to (getent ahostsv4 controller)."""
    return sorted({line.split()[0] for line in text("bed", "resolve-controller.txt").splitlines() if line.strip()})


def test_broker_connections_bed():
    assert bed_controller() == ["10.89.77.10"]
    brokers = brokers_of("bed", {"controller": bed_controller()})
    found = ss.broker_connections(ss.parse_ss(stdout("bed", "ss")), brokers, [8524])
    assert [(c["broker"], c["state"], c["peer"], c["pid"]) for c in found] == [
        ("controller:5672", "ESTAB", "10.89.77.10:5672", 8524)] * 3
    assert ss.broker_connections(ss.parse_ss(stdout("bed", "ss")), brokers, [1]) == []


def test_broker_connections_host_loopback_broker():
    ports = json.loads(text("host", "broker-ports.json"))
    brokers = brokers_of("host", {"localhost": ["127.0.0.1", "::1"], "127.0.0.2": ["127.0.0.2"]})
    assert brokers[0]["port"] == ports["v4"]
    found = ss.broker_connections(ss.parse_ss(stdout("host", "ss")), brokers, [14467])
    assert [(c["broker"], c["peer"]) for c in found] == [
        ("localhost:%d" % ports["v4"], "127.0.0.1:%d" % ports["v4"])]


# ---------------------------------------------------------------------------
# the runner: ss, else /proc
# ---------------------------------------------------------------------------

class SnapshotHost:
    def __init__(self, where):
        self.procs = snapshot(where)["procs"]

    def net_tcp(self, pid):
        p = self.procs[str(pid)]
        return [p.get("net_tcp"), p.get("net_tcp6")]

    def fd_links(self, pid):
        return self.procs[str(pid)].get("fd", {})


def ss_module(answer, binary="/usr/bin/ss"):
    calls = []

    def run_command(args):
        calls.append(args)
        return answer

    return types.SimpleNamespace(get_bin_path=lambda name: binary, run_command=run_command, calls=calls)


def test_read_connections_from_ss():
    module = ss_module((0, stdout("bed", "ss"), ""))
    conns, source = ss.read_connections(module, SnapshotHost("bed"), [{"pid": 8524, "name": "nova-compute"}])
    assert source == "ss" and len(conns) == 5
    assert module.calls == [["/usr/bin/ss"] + meta("bed", "ss")["argv"][1:]]


@pytest.mark.parametrize("answer, binary", [(None, None), ((1, "", "Cannot open netlink socket"), "/usr/bin/ss"),
                                            ((0, "Cannot open netlink socket: Permission denied\n", ""), "/bin/ss")])
def test_read_connections_falls_back_to_proc(answer, binary):
    module = ss_module(answer, binary)
    conns, source = ss.read_connections(module, SnapshotHost("bed"), [{"pid": 8524, "name": "nova-compute"}])
    assert source == "/proc"
    assert len(conns) == 5 and {c["processes"][0]["pid"] for c in conns} == {8524}
