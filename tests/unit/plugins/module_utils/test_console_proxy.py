"""Tests for plugins/module_utils/_console_proxy.py over real console-proxy sessions.

tests/unit/fixtures/websocket/ holds what websockify 0.10 (Debian 12's, the
library under nova-novncproxy), the bed's real nova-novncproxy 26.2.2 (a valid
console and a made-up token) and Nova 26.2.2's own request handler on
websockify (``derived``: Nova's database and RPC stubbed, for what the bed
cannot show at will) sent back to the url mode,
recorded by tools/capture-fixtures/websocket/ws-fixtures.sh; tests/ws_captures.py
replays them behind a fake socket and from loopback listeners.  Sessions
written inline are synthetic, built per RFC 6455, and say so.  Sockets:
127.0.0.1 and ::1 only, short timeouts.
"""

import os
import shutil
import socket
import ssl
import subprocess
import threading

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import ws_captures as cap
from ansible_collections.novaops.compute.plugins.module_utils import _console_proxy as cp
from ansible_collections.novaops.compute.plugins.module_utils import _websocket as ws
from ansible_collections.novaops.compute.plugins.module_utils._rfb import security_type_name

TOKEN = cap.TOKEN
OK = (None, None, 101, None)
# capture -> (layer, code, http_status, close_code); OK: the guest's console answered through the proxy
EXPECTED = {
    "websockify-ok": OK,
    "websockify-token-form-ok": OK,
    "websockify-wrong-path-ok": OK,
    "websockify-ipv6-ok": OK,
    "websockify-wss-ok": OK,
    "websockify-tokenfile-ok": OK,
    "nova-26.2.2-ok": OK,
    "nova-26.2.2-ipv6-ok": OK,
    "websockify-target-refused": ("proxy_to_compute", "target_unreachable", 101, 1011),
    "websockify-target-silent": ("proxy_to_compute", "no_greeting", 101, None),
    "websockify-target-ssh": ("rfb", "not_rfb", 101, None),
    "websockify-target-hangup": ("rfb", "target_closed", 101, 1000),
    "websockify-ssl-only-plain": ("proxy_http", "no_answer", None, None),
    "websockify-tokenfile-unknown": ("proxy_http", "no_answer", None, None),
    "websockify-tls-to-plain": ("proxy_connect", "tls", None, None),
    "web-server-not-proxy": ("proxy_http", "http_status", 200, None),
    # Nova 26 closes the same way for both: only the Compute API tells them apart
    "nova-26.2.2-invalid-token": (cp.TOKEN_OR_COMPUTE, "closed_after_upgrade", 101, None),
    "nova-26.2.2-target-refused": (cp.TOKEN_OR_COMPUTE, "closed_after_upgrade", 101, None),
}
ERRORS = {
    "websockify-target-refused": "the proxy closed the WebSocket (1011: Failed to connect to downstream server): "
                                 "it cannot connect to the guest's VNC server",
    "websockify-target-ssh": "not an RFB server (sent: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\\r\\n')",
    "websockify-target-hangup": "the proxy closed the WebSocket (1000: Target closed): the guest's VNC server hung "
                                "up before its greeting",
    "websockify-target-silent": "the proxy accepted the WebSocket, but no VNC greeting came in time",
    "websockify-ssl-only-plain": "the proxy closed the connection without an HTTP answer",
    "websockify-tls-to-plain": "TLS handshake with the proxy failed (connection reset by peer)",
    "web-server-not-proxy": "the proxy answered HTTP 200 OK, not 101 Switching Protocols",
    "nova-26.2.2-invalid-token": "the proxy accepted the WebSocket, then closed the connection before any VNC byte, "
                                 "with no close frame",
}


def test_every_capture_is_expected():
    assert set(cap.names()) == set(EXPECTED)


@pytest.mark.parametrize("name", cap.names())
def test_capture_metadata(name):
    fixture = cap.load(name)
    # only Nova's proxy could not be run here: its captures say so until a real one replaces them
    assert not fixture["derived"] or name.startswith("nova-")
    assert fixture["source"] and fixture["captured_with"] == "tools/capture-fixtures/websocket/ws_capture.py"
    assert "***" in fixture["url"] and "***" in fixture["websocket_url"]
    assert fixture["token_scrubbed"] is False
    if fixture["derived"]:
        assert fixture["note"].startswith("Derived, to be replaced by a capture of a real nova-novncproxy")
    sends = [e for e in fixture["events"] if e["op"] == "send"]
    if not cap.uses_tls(name) or sends:  # a failed TLS handshake ends before the request
        assert "token=*** HTTP/1.1" in sends[0]["request"]
    assert all(set(e) <= {"t", "op", "bytes", "what", "request"} for e in sends)  # no client bytes kept


class FakeContext:
    """TLS without TLS: the replay's bytes are what came out of the captured TLS session."""

    def __init__(self, fail=None):
        self.fail = fail

    def wrap_socket(self, sock, server_hostname=None):
        if self.fail:
            raise self.fail
        return sock


def replay(monkeypatch, name, url=None, client=None, timeout=2.0):
    fixture = cap.load(name)
    fake = cap.ReplaySocket(fixture["events"])
    monkeypatch.setattr(cp, "connect", lambda host, port, deadline: fake)
    monkeypatch.setattr(ws, "new_key", lambda: fixture["client_key"])
    failed = next((e for e in fixture["events"] if e["op"] == "tls_failed"), None)
    context = FakeContext(ConnectionResetError(104, "Connection reset by peer") if failed else None)
    return cp.check_console(url or cap.url(name), timeout, context, client), fake


def assert_expected(name, result):
    layer, code, status, close_code = EXPECTED[name]
    assert (result["layer"], result["code"], result["http_status"], result["close_code"]) == (
        layer, code, status, close_code), result
    assert result["reachable"] is (layer is None)
    if layer is None:
        assert (result["rfb_version"], result["negotiated_version"]) == ("3.8", "3.8")
        assert result["security_types"] == [security_type_name(1)] and result["auth_required"] is False
        assert result["error"] is None and result["action"] is None
    else:
        assert result["error"] and result["action"]
        assert result["security_types"] == [] and result["auth_required"] is None
    if name in ERRORS:
        assert result["error"] == ERRORS[name]
    assert result["url"] == cap.load(name)["url"]
    assert result["websocket_url"] == cap.load(name)["websocket_url"]


@pytest.mark.parametrize("name", cap.names())
def test_replayed_captures(monkeypatch, name):
    result, fake = replay(monkeypatch, name)
    assert_expected(name, result)
    assert fake.closed
    if result["http_status"] == 101 and result["close_code"] is None and not fake.sent[-1].startswith(b"GET"):
        assert fake.sent[-1][0] == 0x88  # the probe closes the WebSocket politely


def test_the_probe_sends_what_a_browser_sends_then_its_version(monkeypatch):
    _result, fake = replay(monkeypatch, "nova-26.2.2-ok")
    request = fake.sent[0].decode("ascii")
    assert request.startswith("GET /?token=%s HTTP/1.1\r\n" % TOKEN)
    # the bed's nova-novncproxy accepted this Origin: the URL's own scheme, host and port, as a browser sends it
    assert "Origin: http://10.89.77.10:6080\r\n" in request and "Host: 10.89.77.10:6080\r\n" in request
    version = fake.sent[1]
    assert version[:2] == b"\x82\x8c"  # one masked binary frame of 12 bytes
    assert ws.apply_mask(version[2:6], version[6:]) == b"RFB 003.008\n"


class FakeClient:
    """The Compute API as _console_proxy asks it (synthetic answers, Nova 26's shapes)."""

    def __init__(self, lookup=None, urls=None):
        self.lookup = lookup
        self.urls = urls or {}
        self.asked = []

    def console_connection(self, token):
        self.asked.append(token)
        return self.lookup

    def remote_console_url(self, server):
        return self.urls[server]


@pytest.mark.parametrize("name", ["nova-26.2.2-invalid-token", "nova-26.2.2-target-refused"])
@pytest.mark.parametrize("lookup, layer, code, address", [
    ((404, None, "Compute API: HTTP 404: Token not found"), "token", "token_unknown", None),
    ((200, {"host": "127.0.0.1", "port": 5900}, None), "proxy_to_compute", "loopback_address",
     {"host": "127.0.0.1", "port": 5900}),
    ((200, {"host": "::1", "port": 5901}, None), "proxy_to_compute", "loopback_address", {"host": "::1", "port": 5901}),
    ((200, {"host": "10.89.77.11", "port": 5900}, None), "proxy_to_compute", "token_known",
     {"host": "10.89.77.11", "port": 5900}),
    ((403, None, "Compute API: HTTP 403: Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed."),
     cp.TOKEN_OR_COMPUTE, "closed_after_upgrade", None),
])
def test_the_compute_api_tells_token_from_compute_node(monkeypatch, name, lookup, layer, code, address):
    client = FakeClient(lookup)
    result, _fake = replay(monkeypatch, name, client=client)
    assert client.asked == [TOKEN]
    assert (result["layer"], result["code"], result["console_address"]) == (layer, code, address)
    if code == "loopback_address":
        assert "a loopback address" in result["action"] and "server_proxyclient_address" in result["action"]
        assert result["error"].endswith("the proxy connects to %s:%s for it" % (address["host"], address["port"]))
    if layer == cp.TOKEN_OR_COMPUTE:
        assert result["error"].endswith("(Compute API: HTTP 403: Policy doesn't allow "
                                        "os_compute_api:os-console-auth-tokens to be performed.)")


def test_the_compute_api_is_asked_only_when_the_proxy_cannot_say(monkeypatch):
    client = FakeClient((404, None, "x"))
    for name in ("nova-26.2.2-ok", "websockify-target-refused", "web-server-not-proxy"):
        replay(monkeypatch, name, client=client)
    assert client.asked == []


def test_check_server_asks_for_the_url_then_opens_it(monkeypatch):
    server = "6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
    client = FakeClient(urls={server: (cap.url("nova-26.2.2-ok"), None),
                              "gone": (None, "Compute API: HTTP 404: Instance gone could not be found.")})
    fixture = cap.load("nova-26.2.2-ok")
    monkeypatch.setattr(cp, "connect", lambda host, port, deadline: cap.ReplaySocket(fixture["events"]))
    monkeypatch.setattr(ws, "new_key", lambda: fixture["client_key"])
    ok, gone = cp.check_servers(client, [server, "gone"], 2.0)
    assert (ok["server"], ok["reachable"], ok["url"]) == (server, True, fixture["url"])
    assert (gone["server"], gone["layer"], gone["code"], gone["url"]) == ("gone", "compute_api", "console_request", None)
    assert gone["error"] == "Compute API: HTTP 404: Instance gone could not be found."
    assert "ACTIVE" in gone["action"]
    assert cp.failure_summary([ok, gone]) == (
        "server gone: compute_api: Compute API: HTTP 404: Instance gone could not be found.")


def test_a_bad_url_from_the_api_is_named_without_its_token():
    client = FakeClient(urls={"s1": ("spice://h/?token=" + TOKEN, None)})
    (result,) = cp.check_servers(client, ["s1"], 1.0)
    assert (result["layer"], result["code"]) == ("compute_api", "bad_url")
    assert TOKEN[:4] not in str(result)


# --- the same sessions from loopback listeners, through real sockets ----------------

def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


TCP_REPLAYS = [n for n in cap.names() if not cap.uses_tls(n)]


@pytest.mark.parametrize("name", TCP_REPLAYS)
def test_captures_replayed_over_tcp(name):
    if cap.is_ipv6(name) and not ipv6_loopback():
        pytest.skip("no IPv6 loopback here")
    fixture = cap.load(name)
    family = socket.AF_INET6 if cap.is_ipv6(name) else socket.AF_INET
    with cap.ReplayServer(name, family=family) as server:
        result = cp.check_console(cap.url(name, server.port), 1.0)
    assert_expected(name, dict(result, url=fixture["url"], websocket_url=fixture["websocket_url"]))
    assert ":%d/" % server.port in result["url"]


def test_a_silent_proxy_costs_one_timeout_for_many_consoles():
    with cap.ReplayServer("websockify-target-silent") as server:
        results = cp.check_urls([cap.url("websockify-target-silent", server.port)] * 12, 0.5)
    assert {r["code"] for r in results} == {"no_greeting"}
    assert max(r["elapsed_ms"] for r in results) < 2000


def test_nothing_listening_is_proxy_connect():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = cp.check_console("http://127.0.0.1:%d/vnc_auto.html?path=%%3Ftoken%%3D%s" % (port, TOKEN), 1.0)
    assert (result["layer"], result["code"], result["error"]) == (
        "proxy_connect", "refused", "cannot connect to the proxy: connection refused")
    assert result["action"].startswith("nothing listens at the console URL's host and port")


# --- TLS (a throw-away certificate made by openssl for the test) ----------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    pem = tmp_path_factory.mktemp("tls") / "proxy.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(pem), "-out", str(pem)],
                   check=True, capture_output=True)
    return str(pem)


@pytest.fixture
def tls_proxy(certificate):
    """websockify-wss-ok's session, from a TLS listener with the test certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate)
    server = cap.ReplayServer("websockify-wss-ok")
    plain = server.handler

    def serve(conn):
        with context.wrap_socket(conn, server_side=True) as tls:
            plain(tls)

    server.handler = serve
    yield server
    server.close()


def test_wss_with_the_proxy_s_ca(tls_proxy, certificate):
    url = cap.url("websockify-wss-ok", tls_proxy.port)
    result = cp.check_console(url, 2.0, cp.tls_context(True, certificate))
    assert result["reachable"] is True and result["websocket_url"].startswith("wss://127.0.0.1:")


def test_wss_with_an_unknown_ca_is_tls_certificate(tls_proxy):
    result = cp.check_console(cap.url("websockify-wss-ok", tls_proxy.port), 2.0, cp.tls_context())
    assert (result["layer"], result["code"]) == ("proxy_connect", "tls_certificate")
    assert result["error"].startswith("TLS: the proxy's certificate is not trusted (")
    assert "ca_path" in result["action"]


def test_wss_without_verification(tls_proxy):
    result = cp.check_console(cap.url("websockify-wss-ok", tls_proxy.port), 2.0, cp.tls_context(False))
    assert result["reachable"] is True


def test_https_to_a_plain_proxy_is_tls():
    with cap.ReplayServer("nova-26.2.2-ok") as server:
        url = cap.url("nova-26.2.2-ok", server.port).replace("http://", "https://")
        result = cp.check_console(url, 2.0, cp.tls_context(False))
    assert (result["layer"], result["code"]) == ("proxy_connect", "tls")


def test_a_bad_ca_file_is_an_error(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    with pytest.raises(ssl.SSLError):
        cp.tls_context(True, str(bad))


# --- no piece of a token in what the proxy echoes (synthetic sessions) ---------------------

ACCEPT_101 = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: %s\r\n\r\n" % ws.accept_value("a2V5a2V5a2V5a2V5a2V5aw=="))


def close_frame(code, reason):
    return ws.encode_frame(ws.OP_CLOSE, ws.close_payload(code, reason))


ECHOES = {
    # a front end's status line quoting the request
    "status": lambda echo: cap.synthetic(("HTTP/1.1 400 bad request /?token=%s\r\n\r\n" % echo).encode()),
    # a proxy closing with a reason that quotes the token
    "close": lambda echo: cap.synthetic(ACCEPT_101.encode() + close_frame(1008, "token %s refused" % echo)),
    # something that is not a VNC server, echoing it back
    "banner": lambda echo: cap.synthetic(
        ACCEPT_101.encode() + ws.encode_frame(ws.OP_BINARY, ("ERR %s\r\n" % echo).encode()), end="timeout"),
    # a garbage answer instead of HTTP
    "not_http": lambda echo: cap.synthetic(("XX %s\n" % echo).encode()),
}


def run_session(events, token):
    url = "http://127.0.0.1:6080/vnc_auto.html?path=%%3Ftoken%%3D%s" % token
    fake = cap.ReplaySocket(events)
    original_connect, original_key = cp.connect, ws.new_key
    cp.connect, ws.new_key = (lambda host, port, deadline: fake), (lambda: "a2V5a2V5a2V5a2V5a2V5aw==")
    try:
        return cp.check_console(url, 1.0)
    finally:
        cp.connect, ws.new_key = original_connect, original_key


def pieces(secret, size=4):
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def shown(result):
    return "\n".join(str(v) for v in result.values() if isinstance(v, str))


@pytest.mark.parametrize("echo", sorted(ECHOES))
def test_an_echoed_token_is_masked(echo):
    result = run_session(ECHOES[echo](TOKEN[:13] + " " + TOKEN[20:]), TOKEN)
    assert result["layer"] is not None
    assert not [p for p in pieces(TOKEN) if p in shown(result)], shown(result)


PROFILE = dict(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "100")), deadline=None,
               suppress_health_check=[HealthCheck.too_slow])
TOKENS = st.one_of(st.uuids().map(str),
                   st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_"), min_size=8, max_size=40))
# what our results say whatever the token: a piece found in it is no leak
VOCABULARY = "\n".join(shown(run_session(make("Q"), "Q" * 36)) for make in ECHOES.values())


@settings(**PROFILE)
@given(token=TOKENS, echo=st.sampled_from(sorted(ECHOES)), start=st.integers(0, 30), length=st.integers(4, 40))
@example(token=TOKEN, echo="close", start=0, length=36)
def test_no_result_shows_a_piece_of_the_token(token, echo, start, length):
    """Whatever part of the token the proxy echoes (in a status line, a close
    reason, bytes that are not RFB), no 4-character piece of it is in the result."""
    result = run_session(ECHOES[echo](token[start:start + length]), token)
    leaked = [p for p in pieces(token) if p in shown(result) and p not in VOCABULARY]
    assert not leaked, (shown(result), leaked)


def test_threads_do_not_share_the_replay():
    # check_urls runs the probes in threads: each gets its own connection
    seen = []
    lock = threading.Lock()
    fixture = cap.load("nova-26.2.2-ok")

    def connect(host, port, deadline):
        with lock:
            seen.append(port)
        return cap.ReplaySocket(fixture["events"])

    original_connect, original_key = cp.connect, ws.new_key
    cp.connect, ws.new_key = connect, (lambda: fixture["client_key"])
    try:
        results = cp.check_urls([cap.url("nova-26.2.2-ok")] * 8, 2.0)
    finally:
        cp.connect, ws.new_key = original_connect, original_key
    assert [r["reachable"] for r in results] == [True] * 8 and len(seen) == 8
