"""Tests for the vnc_check module: main() against loopback listeners.

The listeners (127.0.0.1 only) replay real captured server bytes from
tests/unit/fixtures/rfb/, or accept and stay silent, or are closed ports.
"""

import os
import socket
import threading

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novaops.compute.plugins.modules import vnc_check
from ansible_collections.novaops.compute.plugins.modules.vnc_check import build_endpoints

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "rfb")


def capture(name):
    with open(os.path.join(FIXTURES, name + ".bin"), "rb") as f:
        return f.read()


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result)
        self.failed = failed
        self.result = result


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    def exit_json(self, **kwargs):
        raise Exit(False, kwargs)

    def fail_json(self, **kwargs):
        raise Exit(True, kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run(args):
    with patch_module_args(args):
        with pytest.raises(Exit) as info:
            vnc_check.main()
    return info.value


class Server:
    """127.0.0.1 listener replaying ``data`` (greeting, then the rest after the reply).

    ``data=None`` accepts nothing and never sends (a silent endpoint).
    """

    def __init__(self, data=None, at_once=False):
        self.at_once = at_once
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.data = data
        self.stop = threading.Event()
        self.thread = None
        if data is not None:
            self.sock.settimeout(0.05)
            self.thread = threading.Thread(target=self.serve, daemon=True)
            self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn = self.sock.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    if self.at_once:  # like sshd: the whole banner at once
                        conn.sendall(self.data)
                        conn.recv(1)
                        continue
                    conn.sendall(self.data[:12])
                    got = b""
                    while len(got) < 12:
                        chunk = conn.recv(12 - len(got))
                        if not chunk:
                            break
                        got += chunk
                    conn.sendall(self.data[12:])
                    conn.recv(1)
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        if self.thread:
            self.thread.join(2)
        self.sock.close()


@pytest.fixture
def servers():
    made = []

    def make(data=None, at_once=False):
        server = Server(data, at_once)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.mark.parametrize("check_mode", [False, True])
def test_single_host(servers, check_mode):
    qemu = servers(capture("qemu-none"))
    out = run({"host": "127.0.0.1", "port": qemu.port, "_ansible_check_mode": check_mode})
    assert not out.failed
    assert out.result["changed"] is False
    assert out.result["reachable"] is True
    (result,) = out.result["endpoints"]
    assert result["host"] == "127.0.0.1"
    assert result["port"] == qemu.port
    assert result["rfb_version"] == "3.8"
    assert result["negotiated_version"] == "3.8"
    assert result["security_types"] == ["None"]
    assert result["auth_required"] is False
    assert result["error"] is None
    assert isinstance(result["elapsed_ms"], int)


def test_endpoints_all_reachable(servers):
    tiger = servers(capture("tigervnc-default"))
    x33 = servers(capture("x11vnc-3.3-vncauth"))
    out = run({"endpoints": [{"host": "127.0.0.1", "port": tiger.port}, {"host": "127.0.0.1", "port": x33.port}]})
    assert not out.failed
    assert out.result["reachable"] is True
    assert [r["security_types"] for r in out.result["endpoints"]] == [
        ["VeNCrypt", "VNC Authentication"], ["VNC Authentication"]]
    assert [r["rfb_version"] for r in out.result["endpoints"]] == ["3.8", "3.3"]


def test_unreachable_fails_naming_each_endpoint(servers):
    good = servers(capture("tigervnc-vncauth"))
    silent = servers()
    refused = closed_port()
    out = run({
        "endpoints": [
            {"host": "127.0.0.1", "port": good.port},
            {"host": "127.0.0.1", "port": silent.port},
            {"host": "127.0.0.1", "port": refused},
        ],
        "timeout": 0.3,
    })
    assert out.failed
    assert out.result["msg"] == "2 of 3 VNC endpoint(s) unreachable: 127.0.0.1:%d (timed out); 127.0.0.1:%d (connection refused)" % (
        silent.port, refused)
    assert out.result["reachable"] is False
    assert out.result["changed"] is False
    assert [r["reachable"] for r in out.result["endpoints"]] == [True, False, False]


def test_refusal_reason_in_message(servers):
    refusing = servers(capture("tigervnc-refused-3.8"))
    out = run({"host": "127.0.0.1", "port": refusing.port})
    assert out.failed
    assert out.result["msg"].endswith(
        "127.0.0.1:%d (server refused: Client needs protocol version 4.0, server has 3.8)" % refusing.port)


def test_report_only(servers):
    ssh = servers(capture("ssh-banner"), at_once=True)
    out = run({"host": "127.0.0.1", "port": ssh.port, "fail_on_unreachable": False})
    assert not out.failed
    assert out.result["reachable"] is False
    assert out.result["endpoints"][0]["error"] == (
        "not an RFB server (sent: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\\r\\n')")


def test_empty_endpoint_list():
    out = run({"endpoints": []})
    assert out.result == {"changed": False, "reachable": True, "endpoints": []}


@pytest.mark.parametrize(
    "args, message",
    [
        ({}, "one of the following is required: host, endpoints"),
        ({"host": "h", "port": 5901, "display": 1}, "parameters are mutually exclusive: port|display"),
        ({"host": "h", "endpoints": [{"host": "h"}]}, "parameters are mutually exclusive: host|endpoints"),
        ({"endpoints": [{"host": "h"}], "display": 1}, "parameters are mutually exclusive: endpoints|display"),
        ({"endpoints": [{"port": 1}]}, "missing required arguments: host"),
        ({"host": "h", "timeout": 0}, "timeout must be more than 0, got 0.0"),
        ({"host": "h", "port": 70000}, "port must be between 1 and 65535, got 70000 for h"),
        ({"host": "h", "display": -1}, "display must be 0 or more, got -1"),
        ({"host": ""}, "host must not be empty"),
    ],
)
def test_bad_arguments(args, message):
    out = run(args)
    assert out.failed
    assert message in out.result["msg"]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"host": "h", "port": 5900, "display": None, "endpoints": None}, [("h", 5900)]),
        ({"host": "h", "port": 5900, "display": 3, "endpoints": None}, [("h", 5903)]),
        ({"host": "h", "port": 5911, "display": None, "endpoints": None}, [("h", 5911)]),
        ({"host": None, "port": 5900, "display": None,
          "endpoints": [{"host": "a", "port": 5900}, {"host": "b", "port": 5901}]}, [("a", 5900), ("b", 5901)]),
    ],
)
def test_build_endpoints(params, expected):
    assert build_endpoints(params) == expected
