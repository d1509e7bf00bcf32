"""Property tests for plugins/module_utils/_websocket.py: the frames of RFC 6455
section 5, generated, cut at any byte, with control frames between fragments;
and the byte stream the RFB handshake reads through them."""

import os
import struct

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils import _websocket as ws

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
PROFILE = dict(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# payload sizes around the length encodings' edges (7 bits, 16 bits, 64 bits)
SIZES = st.one_of(st.integers(0, 130), st.sampled_from([125, 126, 127, 65535, 65536, 65537]))


@st.composite
def payloads(draw, max_size=None):
    size = draw(SIZES if max_size is None else st.integers(0, max_size))
    if size > 512:
        return draw(st.binary(min_size=1, max_size=8)) * (size // 8) + b"\0" * (size % 8) if size >= 8 else b"\0" * size
    return draw(st.binary(min_size=size, max_size=size))


@st.composite
def server_frames(draw):
    """A valid sequence of server frames: messages (fragmented or not) with control frames between."""
    frames = []
    for _index in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            frames.append((True, draw(st.sampled_from([ws.OP_PING, ws.OP_PONG])), draw(payloads(ws.MAX_CONTROL))))
            continue
        opcode = draw(st.sampled_from([ws.OP_BINARY, ws.OP_TEXT]))
        pieces = draw(st.lists(payloads(), min_size=1, max_size=4))
        for index, piece in enumerate(pieces):
            frames.append((index == len(pieces) - 1, opcode if index == 0 else ws.OP_CONTINUATION, piece))
            if index < len(pieces) - 1 and draw(st.booleans()):
                frames.append((True, ws.OP_PING, draw(payloads(ws.MAX_CONTROL))))
    return frames


def cut(data, cuts):
    """``data`` split at the positions ``cuts``, as reads of a socket return it (never empty)."""
    points = sorted({min(c, len(data)) for c in cuts})
    return [piece for piece in (data[a:b] for a, b in zip([0] + points, points + [len(data)])) if piece]


@settings(**PROFILE)
@given(frames=server_frames(), cuts=st.lists(st.integers(0, 70000), max_size=8))
def test_frames_come_back_whatever_the_chunks(frames, cuts):
    """Every frame encodes and parses back to itself, however the bytes are cut."""
    data = b"".join(ws.encode_frame(op, payload, fin=fin) for fin, op, payload in frames)
    parser = ws.FrameParser()
    got = []
    for chunk in cut(data, cuts):
        got += parser.feed(chunk)
    assert got == frames
    assert not parser.buffer and not parser.in_message


@settings(**PROFILE)
@given(frames=server_frames(), mask=st.binary(min_size=4, max_size=4))
def test_a_masked_server_frame_is_refused(frames, mask):
    """RFC 6455 5.1: a client fails the connection on a masked frame."""
    fin, opcode, payload = frames[0]
    data = ws.encode_frame(opcode, payload, mask=mask, fin=fin)
    try:
        ws.FrameParser().feed(data)
    except ws.WebSocketError as exc:
        assert "masked" in str(exc)
    else:
        raise AssertionError("accepted a masked frame")


@settings(**PROFILE)
@given(data=st.binary(max_size=300), limit=st.integers(0, 200))
@example(data=b"\x82\x7f\xff\xff\xff\xff\xff\xff\xff\xff", limit=100)
@example(data=b"\x82\x7e\xff\xff", limit=100)
def test_any_bytes_parse_to_valid_frames_or_a_protocol_error(data, limit):
    """Arbitrary bytes give frames that respect the protocol (opcode, control size,
    the payload bound) or a WebSocketError - never another exception."""
    parser = ws.FrameParser(max_payload=limit)
    try:
        frames = parser.feed(data)
    except ws.WebSocketError:
        return
    for fin, opcode, payload in frames:
        assert opcode in ws.DATA_OPCODES + ws.CONTROL_OPCODES
        assert len(payload) <= limit
        if opcode in ws.CONTROL_OPCODES:
            assert fin and len(payload) <= ws.MAX_CONTROL


@settings(**PROFILE)
@given(length=st.integers(0, 2 ** 63 - 1), limit=st.integers(0, 1 << 20))
def test_a_frame_longer_than_the_bound_is_refused_before_its_payload(length, limit):
    """Only the header is needed to refuse a frame above the bound: no waiting for gigabytes."""
    header = b"\x82\x7f" + struct.pack("!Q", length)
    parser = ws.FrameParser(max_payload=limit)
    try:
        frames = parser.feed(header)
    except ws.WebSocketError:
        assert length > limit
    else:
        assert length <= limit and frames == ([(True, ws.OP_BINARY, b"")] if length == 0 else [])


@settings(**PROFILE)
@given(mask=st.binary(min_size=4, max_size=4), payload=st.binary(max_size=300))
def test_apply_mask_is_rfc_6455_s_xor_and_its_own_inverse(mask, payload):
    masked = ws.apply_mask(mask, payload)
    assert masked == bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert ws.apply_mask(mask, masked) == payload


@settings(**PROFILE)
@given(code=st.integers(1000, 4999), reason=st.text(max_size=40))
def test_close_payload_round_trip(code, reason):
    payload = ws.close_payload(code, reason)
    got_code, got_reason = ws.parse_close_payload(payload)
    assert got_code == code
    assert reason.encode("utf-8").startswith(got_reason.encode("utf-8")) or "\ufffd" in got_reason


class Chunks:
    """A socket handing out ``chunks`` one recv at a time, then EOF; records what is sent."""

    def __init__(self, chunks):
        self.chunks = list(chunks)
        self.sent = []

    def settimeout(self, value):
        pass

    def recv(self, size):
        return self.chunks.pop(0) if self.chunks else b""

    def sendall(self, data):
        self.sent.append(data)

    def close(self):
        pass


@settings(**PROFILE)
@given(frames=server_frames(), cuts=st.lists(st.integers(0, 70000), max_size=6),
       sizes=st.lists(st.integers(1, 70000), min_size=1, max_size=6))
def test_the_stream_delivers_every_data_byte_in_order_and_answers_each_ping(frames, cuts, sizes):
    """Whatever the framing, chunking and read sizes: the data messages' payload, in
    order, then EOF; one pong with the same payload per ping."""
    data = b"".join(ws.encode_frame(op, payload, fin=fin) for fin, op, payload in frames)
    sock = Chunks(cut(data, cuts))
    stream = ws.WebSocketStream(sock, mask_source=lambda n: b"\0\0\0\0")
    got, index = b"", 0
    while True:
        chunk = stream.recv(sizes[index % len(sizes)])
        index += 1
        if not chunk:
            break
        assert len(chunk) <= sizes[(index - 1) % len(sizes)]
        got += chunk
    assert got == b"".join(p for _fin, op, p in frames if op in ws.DATA_OPCODES)
    assert stream.eof and stream.received == len(got)
    pings = [p for _fin, op, p in frames if op == ws.OP_PING]
    assert sock.sent == [ws.encode_frame(ws.OP_PONG, p, mask=b"\0\0\0\0") for p in pings]


@settings(**PROFILE)
@given(head=st.binary(max_size=200))
@example(head=b"HTTP/1.1 101 \r\n\r\n")
@example(head=b"HTTP/1.0 200\r\n\r\n")
def test_any_answer_head_parses_or_is_refused(head):
    """Arbitrary bytes are an incomplete head (None), a parsed one, or NotHttp /
    WebSocketError - never another exception; a status is 3 digits."""
    try:
        parsed = ws.parse_answer_head(head)
    except ws.WebSocketError:
        return
    if parsed is not None:
        status, _reason, headers, _rest = parsed
        assert 100 <= status <= 999
        assert all(name == name.lower() for name in headers)
