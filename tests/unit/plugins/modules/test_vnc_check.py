"""Tests for the vnc_check module: main() against loopback listeners.

The listeners (127.0.0.1 only, tests/loopback.py) replay real captured server
bytes from tests/unit/fixtures/rfb/, or never answer, or are closed ports;
for the urls and servers modes they replay the console-proxy sessions of
tests/unit/fixtures/websocket/ (tests/ws_captures.py).  The Compute API is a
fake answering in Nova 26's shapes (synthetic).
"""

import json
import os
import re
import socket

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

import yaml  # the test environment has PyYAML (ansible-core needs it)

import ws_captures as cap
from loopback import Loopback, rfb_replay
from ansible_collections.novaops.compute.plugins.module_utils import _console_proxy as proxy
from ansible_collections.novaops.compute.plugins.modules import vnc_check
from ansible_collections.novaops.compute.plugins.modules.vnc_check import build_endpoints

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "rfb")


def capture(name):
    with open(os.path.join(FIXTURES, name + ".bin"), "rb") as f:
        return f.read()


class Exit(Exception):
    def __init__(self, failed, result, module=None):
        super().__init__(result)
        self.failed = failed
        self.result = result
        self.module = module


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    def exit_json(self, **kwargs):
        raise Exit(False, kwargs, self)

    def fail_json(self, **kwargs):
        raise Exit(True, kwargs, self)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run(args):
    with patch_module_args(args):
        with pytest.raises(Exit) as info:
            vnc_check.main()
    return info.value


@pytest.fixture
def servers():
    made = []

    def make(data=None, at_once=False):
        """A listener replaying ``data`` (a captured RFB server); None: one that never answers."""
        server = Loopback(rfb_replay(data, at_once) if data is not None else None)
        made.append(server)
        return server

    yield make
    for server in made:
        server.__exit__()


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
        ({}, "one of the following is required: host, endpoints, urls, servers"),
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


# --- urls and servers: consoles through the console proxy -------------------------

TOKEN = cap.TOKEN
SERVER = "6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"


@pytest.fixture
def proxies():
    """Loopback replays of console-proxy captures; the URL of each."""
    made = []

    def make(name):
        server = cap.ReplayServer(name)
        made.append(server)
        return cap.url(name, server.port)

    yield make
    for server in made:
        server.close()


def no_piece_of_the_token(out):
    text = json.dumps(out.result)
    assert not [TOKEN[i:i + 4] for i in range(len(TOKEN) - 3) if TOKEN[i:i + 4] in text], text


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_console_url_through_the_proxy(proxies, check_mode):
    url = proxies("nova-26.2.2-ok")
    out = run({"urls": [url], "_ansible_check_mode": check_mode})
    assert not out.failed
    assert out.result["changed"] is False and out.result["reachable"] is True
    assert "endpoints" not in out.result
    (console,) = out.result["consoles"]
    assert console["url"] == url.replace(TOKEN, "***")
    assert (console["layer"], console["rfb_version"], console["security_types"]) == (None, "3.8", ["None"])
    # Ansible masks the URLs (no_log) and the tokens wherever they would show
    assert {url, TOKEN} <= out.module.no_log_values
    no_piece_of_the_token(out)


def test_failed_consoles_fail_naming_each_layer(proxies):
    refused = proxies("websockify-target-refused")
    web = proxies("web-server-not-proxy")
    out = run({"urls": [refused, web], "timeout": 1})
    assert out.failed and out.result["reachable"] is False
    assert out.result["msg"] == (
        "2 of 2 console(s) failed through the proxy: "
        "%s: proxy_to_compute: the proxy closed the WebSocket (1011: Failed to connect to downstream server): it "
        "cannot connect to the guest's VNC server; "
        "%s: proxy_http: the proxy answered HTTP 200 OK, not 101 Switching Protocols" % (
            refused.replace(TOKEN, "***"), web.replace(TOKEN, "***")))
    assert [c["layer"] for c in out.result["consoles"]] == ["proxy_to_compute", "proxy_http"]
    no_piece_of_the_token(out)


def test_report_only_through_the_proxy(proxies):
    out = run({"urls": [proxies("nova-26.2.2-invalid-token")], "fail_on_unreachable": False})
    assert not out.failed and out.result["reachable"] is False
    (console,) = out.result["consoles"]
    assert (console["layer"], console["code"], console["http_status"]) == (
        "token_or_proxy_to_compute", "closed_after_upgrade", 101)


def test_empty_url_list():
    out = run({"urls": []})
    assert out.result == {"changed": False, "reachable": True, "consoles": []}


class FakeApi:
    """Nova's Compute API in Nova 26's shapes (synthetic): console URLs and token lookups."""

    instances = []

    def __init__(self, settings, timeout, login_error=None, urls=None, lookup=None):
        self.settings, self.timeout = settings, timeout
        self.login_error, self.urls, self.lookup = login_error, urls or {}, lookup
        self.asked = []
        FakeApi.instances.append(self)

    def login(self):
        return self.login_error

    def remote_console_url(self, server):
        self.asked.append(server)
        return self.urls.get(server, (None, "Compute API: HTTP 404: Instance %s could not be found." % server))

    def console_connection(self, token):
        return self.lookup


AUTH = {"auth_url": "http://controller:5000/v3", "username": "admin", "password": "test-only-admin-pw",
        "project_name": "admin"}


@pytest.fixture
def api(monkeypatch):
    answers = {}
    FakeApi.instances = []
    monkeypatch.setattr(vnc_check.api, "ComputeClient", lambda settings, timeout: FakeApi(settings, timeout, **answers))
    return answers


def test_servers_ask_the_compute_api_then_open_each_console(proxies, api):
    api["urls"] = {SERVER: (proxies("nova-26.2.2-ok"), None)}
    out = run({"servers": [SERVER, "gone"], "auth": AUTH, "fail_on_unreachable": False, "api_timeout": 7})
    (client,) = FakeApi.instances
    assert client.asked == [SERVER, "gone"]
    assert client.timeout == 7 and client.settings["verify"] is True and client.settings["password"] == AUTH["password"]
    ok, gone = out.result["consoles"]
    assert (ok["server"], ok["reachable"]) == (SERVER, True)
    assert (gone["server"], gone["layer"], gone["code"]) == ("gone", "compute_api", "console_request")
    assert "test-only-admin-pw" not in json.dumps(out.result)


def test_the_compute_api_names_the_black_console(proxies, api):
    api["urls"] = {SERVER: (proxies("nova-26.2.2-target-refused"), None)}
    api["lookup"] = (200, {"host": "127.0.0.1", "port": 5900, "instance_uuid": SERVER}, None)
    out = run({"servers": [SERVER], "auth": AUTH})
    assert out.failed
    assert out.result["msg"] == (
        "1 of 1 console(s) failed through the proxy: server %s: proxy_to_compute: the proxy closed the connection "
        "after the upgrade, though the Compute API knows the token: the proxy connects to 127.0.0.1:5900 for it"
        % SERVER)
    (console,) = out.result["consoles"]
    assert console["console_address"] == {"host": "127.0.0.1", "port": 5900}
    assert console["code"] == "loopback_address"


def test_urls_with_auth_tell_an_invalid_token(proxies, api):
    api["lookup"] = (404, None, "Compute API: HTTP 404: Token not found")
    out = run({"urls": [proxies("nova-26.2.2-invalid-token")], "auth": AUTH, "fail_on_unreachable": False})
    assert out.result["consoles"][0]["layer"] == "token"
    no_piece_of_the_token(out)


def test_servers_fail_when_the_compute_api_refuses_the_login(api):
    api["login_error"] = "keystone: HTTP 401: The request you have made requires authentication."
    out = run({"servers": [SERVER], "auth": AUTH})
    assert out.failed
    assert out.result["msg"] == ("cannot ask the Compute API for console URLs: keystone: HTTP 401: The request you "
                                 "have made requires authentication.")


def test_urls_go_on_without_the_compute_api(proxies, api, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    api["login_error"] = "keystone: HTTP 401: The request you have made requires authentication."
    out = run({"urls": [proxies("nova-26.2.2-invalid-token")], "auth": AUTH, "fail_on_unreachable": False})
    assert out.result["consoles"][0]["layer"] == "token_or_proxy_to_compute"
    assert warnings and warnings[0].startswith("the Compute API is not asked (keystone: HTTP 401")


@pytest.mark.parametrize("args, message", [
    ({"urls": ["http://h:6080/vnc_auto.html?path=%3Ftoken%3D" + TOKEN, "http://h:6080/vnc_auto.html"]},
     "urls[1] has no console token"),
    ({"urls": ["ftp://h/?token=" + TOKEN]}, "urls[0] must be an http:// or https:// console URL with a host"),
    ({"urls": ["http://h/?token=" + TOKEN], "host": "h"}, "parameters are mutually exclusive: host|endpoints|urls|servers"),
    ({"urls": ["http://h/?token=" + TOKEN], "display": 1}, "parameters are mutually exclusive: urls|display"),
    ({"servers": [SERVER]}, "missing parameter(s) required by 'servers': auth"),
    ({"servers": [""], "auth": AUTH}, "servers must not contain empty IDs"),
    ({"servers": [SERVER], "auth": {"auth_url": "http://k:5000"}},
     "auth: auth_url needs a password (or an application credential)"),
    ({"servers": [SERVER], "auth": {"username": "admin", "password": "x"}},
     "auth: auth_url is required for the Compute API"),
    ({"host": "h", "auth": AUTH}, "auth goes with urls or servers, not with host or endpoints"),
    ({"urls": [], "api_timeout": 0}, "api_timeout must be more than 0, got 0"),
    ({"urls": ["http://h/?token=" + TOKEN], "ca_path": "/nonexistent/ca.pem"}, "ca_path /nonexistent/ca.pem cannot be used"),
])
def test_bad_console_arguments_fail_before_anything_is_opened(api, args, message):
    out = run(args)
    assert out.failed
    assert message in out.result["msg"], out.result["msg"]
    assert FakeApi.instances == [] or "auth" in message or "ID" in message
    assert TOKEN[:4] not in out.result["msg"]


def test_every_code_is_documented_and_has_advice():
    """The codes RETURN lists for consoles[].code are the ADVICE table's, and no other."""
    doc = yaml.safe_load(vnc_check.RETURN)["consoles"]["contains"]["code"]["description"][0]
    documented = set()
    for part in doc.split(";"):
        layer, _sep, codes = part.strip().partition(":")
        layer = layer.replace("Why, within the layer -", "").strip()
        documented |= {(layer, c) for c in re.findall(r"V\((\w+)\)", codes)}
    assert documented == set(proxy.ADVICE)
