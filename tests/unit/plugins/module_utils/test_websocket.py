"""Tests for plugins/module_utils/_websocket.py: RFC 6455's own examples, the
answers websockify 0.10 sent in the captures of tests/unit/fixtures/websocket/
(tools/capture-fixtures/websocket/ws-fixtures.sh), and the byte stream the RFB
handshake runs over.  Byte strings written inline are RFC 6455's examples or
built per RFC 6455, and say so."""

import base64
import socket

import pytest

import ws_captures as cap
from ansible_collections.novaops.compute.plugins.module_utils import _websocket as ws

capture = cap.load


def received(name):
    """Every byte the proxy sent in a capture, in order."""
    return b"".join(base64.b64decode(e["data"]) for e in capture(name)["events"] if e["op"] == "recv")


# --- the opening handshake ---------------------------------------------------

def test_accept_value_of_rfc_6455_section_1_3():
    assert ws.accept_value("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_new_key_is_16_random_bytes():
    keys = {ws.new_key() for _index in range(20)}
    assert len(keys) == 20
    assert all(len(base64.b64decode(k)) == 16 for k in keys)


def test_websocket_request_is_what_a_browser_sends():
    request = ws.websocket_request("/?token=T", "10.89.77.10:6080", "http://10.89.77.10:6080", "a2V5a2V5a2V5a2V5a2V5aw==")
    assert request == (
        b"GET /?token=T HTTP/1.1\r\nHost: 10.89.77.10:6080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: a2V5a2V5a2V5a2V5a2V5aw==\r\nSec-WebSocket-Version: 13\r\n"
        b"Origin: http://10.89.77.10:6080\r\nSec-WebSocket-Protocol: binary\r\n\r\n")
    assert b"Sec-WebSocket-Protocol" not in ws.websocket_request("/", "h", "http://h", "k", protocols=())


def test_websockify_s_real_101_is_accepted():
    fixture = capture("websockify-ok")
    status, reason, headers, rest = ws.parse_answer_head(received("websockify-ok"))
    assert (status, reason) == (101, "Switching Protocols")
    assert headers["sec-websocket-protocol"] == "binary"
    assert ws.check_upgrade(status, reason, headers, fixture["client_key"]) == "binary"
    assert rest.startswith(b"\x82\x0cRFB 003.008\n")  # the greeting, one binary frame


def test_a_web_server_s_real_200_is_refused_with_its_status():
    status, reason, headers, _rest = ws.parse_answer_head(received("web-server-not-proxy"))
    assert (status, reason) == (200, "OK")
    assert headers["server"].startswith("SimpleHTTP/")
    with pytest.raises(ws.UpgradeRefused) as info:
        ws.check_upgrade(status, reason, headers, "key")
    assert (info.value.status, info.value.reason, info.value.problem) == (200, "OK", None)


@pytest.mark.parametrize("data", [b"", b"H", b"HTTP/1.", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: web"])
def test_an_incomplete_answer_head_waits(data):
    assert ws.parse_answer_head(data) is None


@pytest.mark.parametrize("data", [b"SSH-2.0-OpenSSH_9.2p1\r\n", b"RFB 003.008\n", b"HTTP/2 200\r\n\r\n",
                                  b"HTTP/1.1 OK\r\n\r\n", b"http/1.1 101 x\r\n\r\n"])
def test_what_is_not_http_is_refused_with_what_came(data):
    with pytest.raises(ws.NotHttp) as info:
        ws.parse_answer_head(data)
    assert info.value.data == data


def test_an_endless_answer_head_is_cut():
    with pytest.raises(ws.WebSocketError, match="longer than"):
        ws.parse_answer_head(b"HTTP/1.1 101 x\r\n" + b"X-A: b\r\n" * 3000)


def test_header_names_are_case_insensitive_and_repeats_join():
    # synthetic, per RFC 7230 3.2.2
    head = b"HTTP/1.1 101 Switching Protocols\r\nUPGRADE: WebSocket\r\nconnection: keep-alive\r\nConnection: Upgrade\r\n\r\n"
    status, _reason, headers, rest = ws.parse_answer_head(head + b"\x82\x00")
    assert headers == {"upgrade": "WebSocket", "connection": "keep-alive, Upgrade"}
    assert rest == b"\x82\x00"


@pytest.mark.parametrize("headers, problem", [
    ({"connection": "Upgrade", "sec-websocket-accept": "A"}, "no Upgrade: websocket"),
    ({"upgrade": "websocket", "sec-websocket-accept": "A"}, "no Connection: Upgrade"),
    ({"upgrade": "websocket", "connection": "Upgrade", "sec-websocket-accept": "wrong"}, "does not match"),
    ({"upgrade": "websocket", "connection": "Upgrade", "sec-websocket-accept": "A", "sec-websocket-protocol": "base64"},
     "not offered"),
])
def test_a_101_that_is_not_a_websocket_is_refused(headers, problem):
    headers = {k: (ws.accept_value("key") if v == "A" else v) for k, v in headers.items()}
    with pytest.raises(ws.UpgradeRefused) as info:
        ws.check_upgrade(101, "Switching Protocols", headers, "key")
    assert problem in info.value.problem


def test_a_101_without_a_subprotocol_is_accepted():
    headers = {"upgrade": "websocket", "connection": "upgrade", "sec-websocket-accept": ws.accept_value("key")}
    assert ws.check_upgrade(101, "", headers, "key") is None


# --- frames: RFC 6455 section 5.7's examples ----------------------------------

RFC_EXAMPLES = [
    ("a single-frame unmasked text message", b"\x81\x05Hello", [(True, ws.OP_TEXT, b"Hello")]),
    ("a fragmented unmasked text message", b"\x01\x03Hel\x80\x02lo",
     [(False, ws.OP_TEXT, b"Hel"), (True, ws.OP_CONTINUATION, b"lo")]),
    ("an unmasked ping", b"\x89\x05Hello", [(True, ws.OP_PING, b"Hello")]),
    ("256 bytes binary in a single unmasked frame", b"\x82\x7e\x01\x00" + b"x" * 256,
     [(True, ws.OP_BINARY, b"x" * 256)]),
    ("64 KiB binary in a single unmasked frame", b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00" + b"y" * 65536,
     [(True, ws.OP_BINARY, b"y" * 65536)]),
]


@pytest.mark.parametrize("what, data, frames", RFC_EXAMPLES, ids=[e[0] for e in RFC_EXAMPLES])
def test_parse_rfc_6455_examples(what, data, frames):
    assert ws.FrameParser().feed(data) == frames
    parser = ws.FrameParser()
    got = []
    for byte in data:  # one byte at a time
        got += parser.feed(bytes([byte]))
    assert got == frames


@pytest.mark.parametrize("what, data, frames", RFC_EXAMPLES, ids=[e[0] for e in RFC_EXAMPLES])
def test_encode_rfc_6455_examples(what, data, frames):
    assert b"".join(ws.encode_frame(op, payload, fin=fin) for fin, op, payload in frames) == data


def test_masked_hello_of_rfc_6455():
    assert ws.encode_frame(ws.OP_TEXT, b"Hello", mask=b"\x37\xfa\x21\x3d") == (
        b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")


@pytest.mark.parametrize("data, message", [
    (b"\xc2\x00", "reserved bits"),
    (b"\x83\x00", "reserved opcode 0x3"),
    (b"\x8b\x00", "reserved opcode 0xB"),
    (b"\x82\x80\x00\x00\x00\x00", "masked frame"),
    (b"\x09\x00", "fragmented or oversized control"),
    (b"\x89\x7e\x00\x7e" + b"p" * 126, "fragmented or oversized control"),
    (b"\x80\x01x", "continuation frame without a message"),
    (b"\x02\x01a\x82\x01b", "new message inside a fragmented one"),
    (b"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", "most significant bit"),
    (b"\x82\x7f\x00\x00\x00\x00\x00\x10\x00\x01", "more than"),
])
def test_frames_a_client_must_fail_on(data, message):
    with pytest.raises(ws.WebSocketError, match=message):
        ws.FrameParser().feed(data)


def test_control_frames_may_come_between_fragments():
    frames = ws.FrameParser().feed(b"\x02\x01a\x89\x00\x80\x01b")
    assert frames == [(False, ws.OP_BINARY, b"a"), (True, ws.OP_PING, b""), (True, ws.OP_CONTINUATION, b"b")]


@pytest.mark.parametrize("payload, parsed", [
    (b"", (1005, "")),
    (b"\x03\xe8", (1000, "")),
    (b"\x03\xf3Failed to connect to downstream server", (1011, "Failed to connect to downstream server")),
    (b"\x03\xe8\xff\xfe", (1000, "\ufffd\ufffd")),
])
def test_close_payload(payload, parsed):
    assert ws.parse_close_payload(payload) == parsed


def test_a_one_byte_close_payload_is_an_error():
    with pytest.raises(ws.WebSocketError):
        ws.parse_close_payload(b"\x03")


def test_close_payload_round_trip_and_bound():
    assert ws.parse_close_payload(ws.close_payload(1000, "bye")) == (1000, "bye")
    assert len(ws.close_payload(1000, "x" * 500)) == ws.MAX_CONTROL


# --- the byte stream ----------------------------------------------------------

MASK = b"\x01\x02\x03\x04"


def sent_frames(fake):
    """The client frames ``fake`` got, unmasked: [(opcode, payload)]."""
    out = []
    for data in fake.sent:
        assert data[1] & 0x80, "client frames are masked"
        length = data[1] & 0x7F
        offset = {126: 4, 127: 10}.get(length, 2)
        mask = data[offset:offset + 4]
        out.append((data[0] & 0x0F, ws.apply_mask(mask, data[offset + 4:])))
    return out


def stream(chunks, end="eof", initial=b""):
    fake = cap.ReplaySocket(cap.synthetic(*chunks, end=end, request=False))
    return ws.WebSocketStream(fake, initial, mask_source=lambda n: MASK), fake


def test_the_stream_joins_fragments_and_answers_pings():
    # synthetic: a greeting cut into fragments, a ping between them
    s, fake = stream([b"\x02\x04RFB \x89\x02hi\x00\x04003.", b"\x80\x04008\n"])
    data = b""
    while len(data) < 12:
        data += s.recv(12 - len(data))
    assert data == b"RFB 003.008\n"
    assert s.received == 12
    assert sent_frames(fake) == [(ws.OP_PONG, b"hi")]


def test_the_stream_reads_the_frames_that_came_with_the_answer_first():
    s, fake = stream([], initial=b"\x82\x03abc")
    assert s.recv(10) == b"abc"
    assert s.recv(10) == b"" and s.eof


def test_recv_hands_out_at_most_size_bytes():
    s, _fake = stream([b"\x82\x05abcde"])
    assert [s.recv(2), s.recv(2), s.recv(2)] == [b"ab", b"cd", b"e"]


def test_a_close_frame_ends_the_stream_and_is_answered():
    s, fake = stream([b"\x82\x01x\x88\x28\x03\xf3Failed to connect to downstream server\x82\x01y"])
    assert s.recv(10) == b"x"
    assert s.recv(10) == b""
    assert (s.close_code, s.close_reason) == (1011, "Failed to connect to downstream server")
    assert not s.eof
    assert sent_frames(fake) == [(ws.OP_CLOSE, b"\x03\xe8")]
    s.close()
    assert sent_frames(fake) == [(ws.OP_CLOSE, b"\x03\xe8")]  # answered once
    assert fake.closed


def test_a_tcp_close_without_a_close_frame_is_eof():
    s, fake = stream([])
    assert s.recv(12) == b""
    assert s.eof and s.close_code is None and s.closed
    s.close()
    assert fake.sent == [] and fake.closed  # nothing sent to a closed connection


def test_a_reset_is_eof():
    s, _fake = stream([], end="reset")
    assert s.recv(12) == b"" and s.eof


def test_a_timeout_comes_through():
    s, _fake = stream([b"\x82\x02RF"], end="timeout")
    assert s.recv(12) == b"RF"
    with pytest.raises(socket.timeout):
        s.recv(12)


def test_sendall_sends_one_masked_binary_frame():
    s, fake = stream([])
    s.sendall(b"RFB 003.008\n")
    assert fake.sent == [ws.encode_frame(ws.OP_BINARY, b"RFB 003.008\n", mask=MASK)]
    s.close()
    assert sent_frames(fake)[-1] == (ws.OP_CLOSE, b"\x03\xe8")


def test_a_protocol_violation_raises():
    s, _fake = stream([b"\x82\x81\x00\x00\x00\x00x"])
    with pytest.raises(ws.WebSocketError, match="masked frame"):
        s.recv(1)


# --- upgrade() over a replayed answer ------------------------------------------

def test_upgrade_replays_websockify_s_answer(monkeypatch):
    fixture = capture("websockify-ok")
    monkeypatch.setattr(ws, "new_key", lambda: fixture["client_key"])
    fake = cap.ReplaySocket(fixture["events"])
    s, protocol = ws.upgrade(fake, "/?token=T", "127.0.0.1:6181", "http://127.0.0.1:6181", lambda: 1.0)
    assert protocol == "binary"
    assert fake.sent[0].startswith(b"GET /?token=T HTTP/1.1\r\n")
    assert s.recv(12) == b"RFB 003.008\n"


@pytest.mark.parametrize("chunks, error", [
    ([], ws.NoAnswer),
    ([b"HTTP/1.1 101 Swi"], ws.NoAnswer),
    ([b"SSH-2.0-OpenSSH_9.2p1\r\n"], ws.NotHttp),
])
def test_upgrade_without_a_whole_answer(chunks, error):
    with pytest.raises(error) as info:
        ws.upgrade(cap.ReplaySocket(cap.synthetic(*chunks)), "/", "h", "http://h", lambda: 1.0)
    assert info.value.data == b"".join(chunks)
