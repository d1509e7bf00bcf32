# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A minimal WebSocket client (RFC 6455), Python's standard library only.

Enough to speak to a websockify proxy (nova-novncproxy is one) the way
noVNC does: the HTTP Upgrade request, masked client frames, the server's
frames (fragmented or not, ping, pong, close with a code and a reason), and
a socket-like byte stream of the binary messages' payload, over which the
RFB handshake of ``_rfb`` runs unchanged.

Pure parts (request, answer, frames) take and return bytes; the stream
needs a connected socket-like object with ``recv``, ``sendall``,
``settimeout`` and ``close``.  Every read is bounded: an answer head by
``MAX_HEAD``, a frame by ``MAX_PAYLOAD``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import struct

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
VERSION = "13"
SUBPROTOCOL = "binary"   # what noVNC 0.6 to 1.1 offered; websockify 0.10 answers it (see websocket_request)
MAX_HEAD = 16384          # bytes of an HTTP answer head read before giving up on it
MAX_PAYLOAD = 1 << 20     # bytes of one frame's payload (an RFB handshake needs a few dozen)
MAX_CONTROL = 125         # RFC 6455 5.5: control frames carry at most 125 bytes

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
DATA_OPCODES = (OP_CONTINUATION, OP_TEXT, OP_BINARY)
CONTROL_OPCODES = (OP_CLOSE, OP_PING, OP_PONG)

CLOSE_NORMAL = 1000
CLOSE_NO_STATUS = 1005    # RFC 6455 7.4.1: a close frame without a code (never sent)

_STATUS_LINE = re.compile(rb"\AHTTP/1\.[01] (\d{3})(?: ([^\r\n]*))?\Z")
_HTTP_PREFIX = b"HTTP/1."


class WebSocketError(Exception):
    """The server broke the protocol (the message names how, never a value we sent)."""


class NotHttp(WebSocketError):
    """The first bytes of the answer are not an HTTP status line; ``data`` holds them."""

    def __init__(self, data):
        super().__init__("not an HTTP answer")
        self.data = data


class NoAnswer(WebSocketError):
    """The server closed the connection before a whole HTTP answer; ``data`` holds what came."""

    def __init__(self, data):
        super().__init__("closed without an HTTP answer")
        self.data = data


class UpgradeRefused(WebSocketError):
    """The server answered, but not with a valid ``101 Switching Protocols``."""

    def __init__(self, status, reason, problem=None):
        super().__init__(problem or "HTTP %s" % status)
        self.status = status
        self.reason = reason
        self.problem = problem


def new_key():
    """A fresh Sec-WebSocket-Key: 16 random bytes, base64 (RFC 6455 4.1)."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def accept_value(key):
    """The Sec-WebSocket-Accept a server must answer to ``key`` (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def websocket_request(resource, host_header, origin, key, protocols=(SUBPROTOCOL,)):
    """The HTTP Upgrade request a browser sends for ``new WebSocket(url, protocols)``.

    ``Origin`` is the page's origin: nova-novncproxy compares its host with
    the ``Host`` header and its scheme with the console base URL's (Nova
    26.2.2 nova/console/websocketproxy.py, new_websocket_client), so it must
    be what a browser showing the noVNC page would send.  Sub-protocol
    ``binary``: noVNC 0.6 to 1.1 offered it (core/rfb.js; noVNC 1.2 and 1.3,
    Debian 12's, offer none); websockify 0.10 (tag v0.10.0, commit 71d55fcaa8)
    answers it and accepts a request without one too, and refuses (400) a
    list that lacks it (websockifyserver.py CompatibleWebSocket, websocket.py
    accept).
    """
    lines = [
        "GET %s HTTP/1.1" % resource,
        "Host: %s" % host_header,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: %s" % key,
        "Sec-WebSocket-Version: %s" % VERSION,
        "Origin: %s" % origin,
    ]
    if protocols:
        lines.append("Sec-WebSocket-Protocol: %s" % ", ".join(protocols))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def is_http_prefix(data):
    """True while ``data`` can still be the start of an HTTP/1.x status line."""
    head = bytes(data[:len(_HTTP_PREFIX)])
    return _HTTP_PREFIX.startswith(head)


def parse_answer_head(data):
    """Split an HTTP answer into ``(status, reason, headers, rest)``; None while incomplete.

    ``headers`` maps lower-case names to values (repeated names joined with
    ``, ``); ``rest`` is what followed the blank line (the first frames).
    Raises NotHttp when ``data`` cannot be an HTTP answer, WebSocketError
    when the head grows past MAX_HEAD.
    """
    data = bytes(data)
    if not is_http_prefix(data):
        raise NotHttp(data)
    end = data.find(b"\r\n\r\n")
    if end < 0:
        if len(data) > MAX_HEAD:
            raise WebSocketError("the HTTP answer's head is longer than %d bytes" % MAX_HEAD)
        return None
    lines = data[:end].split(b"\r\n")
    match = _STATUS_LINE.match(lines[0])
    if match is None:
        raise NotHttp(data)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        key = name.strip().decode("latin-1").lower()
        value = value.strip().decode("latin-1")
        headers[key] = headers[key] + ", " + value if key in headers else value
    reason = (match.group(2) or b"").decode("latin-1")
    return int(match.group(1)), reason, headers, data[end + 4:]


def _tokens(value):
    return [t.strip().lower() for t in (value or "").split(",") if t.strip()]


def check_upgrade(status, reason, headers, key, protocols=(SUBPROTOCOL,)):
    """Raise UpgradeRefused unless the answer accepts the WebSocket (RFC 6455 4.1).

    101, ``Upgrade: websocket``, ``Connection: Upgrade``, the Sec-WebSocket-Accept
    of ``key``, and a sub-protocol that was offered (or none).  Returns the
    sub-protocol (None without one).
    """
    if status != 101:
        raise UpgradeRefused(status, reason)
    if "websocket" not in _tokens(headers.get("upgrade")):
        raise UpgradeRefused(status, reason, "the 101 answer has no Upgrade: websocket")
    if "upgrade" not in _tokens(headers.get("connection")):
        raise UpgradeRefused(status, reason, "the 101 answer has no Connection: Upgrade")
    if headers.get("sec-websocket-accept") != accept_value(key):
        raise UpgradeRefused(status, reason, "the 101 answer's Sec-WebSocket-Accept does not match the key sent")
    protocol = headers.get("sec-websocket-protocol")
    if protocol is not None and protocol not in protocols:
        raise UpgradeRefused(status, reason, "the server chose a sub-protocol that was not offered")
    return protocol


def apply_mask(mask, payload):
    """XOR ``payload`` with the 4-byte ``mask`` (RFC 6455 5.3); its own inverse."""
    if not payload:
        return b""
    repeated = (mask * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def encode_frame(opcode, payload=b"", mask=None, fin=True):
    """One frame; masked with ``mask`` (4 bytes) as every client frame must be."""
    payload = bytes(payload)
    head = bytearray([(0x80 if fin else 0) | opcode])
    flag = 0x80 if mask is not None else 0
    length = len(payload)
    if length < 126:
        head.append(flag | length)
    elif length < 1 << 16:
        head.append(flag | 126)
        head += struct.pack("!H", length)
    else:
        head.append(flag | 127)
        head += struct.pack("!Q", length)
    if mask is None:
        return bytes(head) + payload
    return bytes(head) + bytes(mask) + apply_mask(bytes(mask), payload)


def close_payload(code, reason=""):
    """A close frame's payload: the code (2 bytes) and a UTF-8 reason."""
    return struct.pack("!H", code) + reason.encode("utf-8")[:MAX_CONTROL - 2]


def parse_close_payload(payload):
    """``(code, reason)`` of a close frame; ``(1005, "")`` when it carries no code.

    Raises WebSocketError for a 1-byte payload (RFC 6455 5.5.1).  An invalid
    UTF-8 reason is shown with replacement characters.
    """
    if not payload:
        return CLOSE_NO_STATUS, ""
    if len(payload) == 1:
        raise WebSocketError("a close frame with a 1-byte payload")
    (code,) = struct.unpack("!H", payload[:2])
    return code, payload[2:].decode("utf-8", "replace")


class FrameParser:
    """Incremental parser of the frames a server sends (RFC 6455 5.2).

    ``feed(data)`` returns the frames completed so far as ``(fin, opcode,
    payload)``; a partial frame waits for more bytes.  Raises WebSocketError
    for what a client must fail the connection on: reserved bits without an
    extension, an unknown opcode, a masked frame, a fragmented or oversized
    control frame, a continuation with no message started or a new message
    inside a fragmented one, a 64-bit length with its top bit set, and any
    payload above ``max_payload``.
    """

    def __init__(self, max_payload=MAX_PAYLOAD):
        self.buffer = bytearray()
        self.max_payload = max_payload
        self.in_message = False  # a fragmented data message is open

    def feed(self, data):
        self.buffer += data
        frames = []
        while True:
            frame = self._next()
            if frame is None:
                return frames
            frames.append(frame)

    def _next(self):
        data = self.buffer
        if len(data) < 2:
            return None
        first, second = data[0], data[1]
        fin, opcode = bool(first & 0x80), first & 0x0F
        if first & 0x70:
            raise WebSocketError("a frame with reserved bits set (no extension was negotiated)")
        if opcode not in DATA_OPCODES + CONTROL_OPCODES:
            raise WebSocketError("a frame with the reserved opcode 0x%X" % opcode)
        if second & 0x80:
            raise WebSocketError("a masked frame from the server")
        length, offset = second & 0x7F, 2
        if opcode in CONTROL_OPCODES and (not fin or length > MAX_CONTROL):
            raise WebSocketError("a fragmented or oversized control frame")
        if length == 126:
            if len(data) < 4:
                return None
            (length,) = struct.unpack("!H", bytes(data[2:4]))
            offset = 4
        elif length == 127:
            if len(data) < 10:
                return None
            (length,) = struct.unpack("!Q", bytes(data[2:10]))
            if length >> 63:
                raise WebSocketError("a frame length with its most significant bit set")
            offset = 10
        if length > self.max_payload:
            raise WebSocketError("a frame of %d bytes (more than %d)" % (length, self.max_payload))
        if len(data) < offset + length:
            return None
        if opcode == OP_CONTINUATION and not self.in_message:
            raise WebSocketError("a continuation frame without a message started")
        if opcode in (OP_TEXT, OP_BINARY) and self.in_message:
            raise WebSocketError("a new message inside a fragmented one")
        if opcode in DATA_OPCODES:
            self.in_message = not fin
        payload = bytes(data[offset:offset + length])
        del data[:offset + length]
        return fin, opcode, payload


def upgrade(sock, resource, host_header, origin, time_left):
    """Open a WebSocket on a connected socket: send the Upgrade request, read the answer.

    ``time_left()`` gives the seconds left for each read (it raises
    ``socket.timeout`` when none are).  Returns ``(stream, protocol)``.
    Raises NoAnswer, NotHttp, UpgradeRefused, WebSocketError or socket errors;
    the caller closes ``sock`` then.
    """
    key = new_key()
    sock.settimeout(time_left())
    sock.sendall(websocket_request(resource, host_header, origin, key))
    data = b""
    parsed = None
    while parsed is None:
        sock.settimeout(time_left())
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, ConnectionAbortedError):
            chunk = b""
        if not chunk:
            raise NoAnswer(data)
        data += chunk
        parsed = parse_answer_head(data)
    status, reason, headers, rest = parsed
    protocol = check_upgrade(status, reason, headers, key)
    return WebSocketStream(sock, rest), protocol


class WebSocketStream:
    """The payload of a WebSocket's data messages as a socket-like byte stream.

    ``recv(n)`` returns payload bytes in order, whatever the framing
    (fragments are joined; ping is answered with pong; pong is ignored); it
    returns ``b""`` once the server closed, with a close frame (``close_code``,
    ``close_reason``, answered with a close frame) or without one (``eof``).
    ``sendall(data)`` sends one masked binary frame.  ``received`` counts the
    payload bytes delivered so far.  Socket errors and timeouts come through
    unchanged; a protocol violation raises WebSocketError.
    """

    def __init__(self, sock, initial=b"", mask_source=os.urandom):
        self.sock = sock
        self.parser = FrameParser()
        self.pending = bytes(initial)  # bytes read with the answer head, not parsed yet
        self.data = bytearray()        # payload not handed out yet (deleting its head is cheap)
        self.mask_source = mask_source
        self.received = 0
        self.close_code = None
        self.close_reason = None
        self.eof = False
        self.sent_close = False

    @property
    def closed(self):
        return self.eof or self.close_code is not None

    def settimeout(self, value):
        self.sock.settimeout(value)

    def _send_frame(self, opcode, payload):
        self.sock.sendall(encode_frame(opcode, payload, mask=self.mask_source(4)))

    def _handle(self, frames):
        for _fin, opcode, payload in frames:
            if self.close_code is not None:
                return  # nothing counts after the close frame
            if opcode in DATA_OPCODES:
                self.data += payload
            elif opcode == OP_PING:
                self._send_frame(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                self.close_code, self.close_reason = parse_close_payload(payload)
                self._answer_close()

    def _answer_close(self):
        if not self.sent_close:
            self.sent_close = True
            try:
                self._send_frame(OP_CLOSE, close_payload(CLOSE_NORMAL))
            except OSError:
                pass  # the server may have gone already

    def recv(self, size):
        while not self.data and not self.closed:
            if self.pending:
                chunk, self.pending = self.pending, b""
            else:
                try:
                    chunk = self.sock.recv(4096)
                except (ConnectionResetError, ConnectionAbortedError):
                    chunk = b""
                if not chunk:
                    self.eof = True
                    break
            self._handle(self.parser.feed(chunk))
        out = bytes(self.data[:size])
        del self.data[:size]
        self.received += len(out)
        return out

    def sendall(self, data):
        self._send_frame(OP_BINARY, data)

    def close(self):
        """Close politely (a close frame, unless the server closed first), then the socket."""
        if not self.eof:
            try:
                self.sock.settimeout(0.2)
                self._answer_close()
            except OSError:
                pass
        self.sock.close()
