"""Replay of the console-proxy captures under tests/unit/fixtures/websocket/.

Each NAME.json was recorded by tools/capture-fixtures/websocket/ws_capture.py:
every byte the proxy sent (``recv``), how the connection ended (``eof``,
``reset``, ``timeout``), what the client did (``send``, ``close``), with
times.  ``client_key`` is the Sec-WebSocket-Key of the capture: a replay
hands the client that key (``_websocket.new_key``) so the recorded
Sec-WebSocket-Accept matches.

``ReplaySocket`` plays a capture behind a socket-like object;
``ReplayServer`` plays it from a loopback TCP listener, keeping the
capture's pauses (scaled), for tests that run the module's own sockets;
it answers the key the client really sent (the capture's
Sec-WebSocket-Accept recomputed per RFC 6455 4.2.2), so several replays can
run at once.
Shared by the tests of _console_proxy and of vnc_check (this folder is on
sys.path through tests/conftest.py).
"""

import base64
import hashlib
import json
import os
import re
import socket
import struct
import time

from loopback import Loopback

FIXTURES = os.path.join(os.path.dirname(__file__), "unit", "fixtures", "websocket")
# a console token for the URLs of the replays (the captures hold none)
TOKEN = "5f0b2c1e-1111-4b6e-9f0a-1f0e1b2c3d4e"


def accept(key):
    """RFC 6455 4.2.2's Sec-WebSocket-Accept of ``key`` (written out here, not taken from _websocket)."""
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode("ascii")).digest()
    return base64.b64encode(digest)


def names():
    return sorted(f[:-5] for f in os.listdir(FIXTURES) if f.endswith(".json"))


def load(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def url(name, port=None, token=TOKEN):
    """The capture's URL with ``token`` for its ``***``; with ``port``, the URL of
    its replay server on the loopback address of the capture's family (a capture
    of a remote proxy, such as the bed's, replays from loopback too)."""
    masked = load(name)["url"]
    if port is not None:
        scheme, rest = masked.split("://", 1)
        _netloc, slash, tail = rest.partition("/")
        host = "[::1]" if is_ipv6(name) else "127.0.0.1"
        masked = "%s://%s:%d%s%s" % (scheme, host, port, slash, tail)
    return masked.replace("***", token)


def synthetic(*chunks, end="eof", request=True):
    """Events of a made-up session: the proxy's ``chunks`` (after the client's
    request, with ``request``), then ``end`` (``eof``, ``reset`` or ``timeout``)."""
    events = [{"t": 0, "op": "send", "bytes": 1, "what": "upgrade request"}] if request else []
    events += [{"t": 0, "op": "recv", "data": base64.b64encode(c).decode("ascii")} for c in chunks]
    return events + [{"t": 0, "op": end}]


def is_ipv6(name):
    return "://[" in load(name)["url"]


def uses_tls(name):
    return any(e["op"] in ("tls", "tls_failed") for e in load(name)["events"])


class ReplaySocket:
    """A capture's proxy behind a socket-like object.

    ``recv`` hands out the recorded bytes in order once the client has sent
    what it had sent before them in the capture; ``eof``, ``reset``,
    ``timeout`` and ``would_block`` end a read the recorded way; past the
    end it times out, as a silent proxy does.
    """

    def __init__(self, events):
        self.events = [dict(e) for e in events if e["op"] not in ("connect", "tls", "tls_failed", "close")]
        self.sends = 0      # what the client sent so far
        self.consumed = 0   # the capture's sends passed so far
        self.sent = []
        self.closed = False
        self.timeouts = []

    def settimeout(self, value):
        self.timeouts.append(value)

    def recv(self, size):
        while self.events and self.events[0]["op"] == "send":
            if self.sends <= self.consumed:
                raise socket.timeout("timed out (the capture's client had sent more by now)")
            self.events.pop(0)
            self.consumed += 1
        if not self.events:
            raise socket.timeout("timed out")
        event = self.events[0]
        op = event["op"]
        if op == "recv":
            data = base64.b64decode(event["data"])
            out, rest = data[:size], data[size:]
            if rest:
                event["data"] = base64.b64encode(rest).decode("ascii")
            else:
                self.events.pop(0)
            return out
        if op == "eof":
            return b""
        if op == "reset":
            raise ConnectionResetError(104, "Connection reset by peer")
        if op == "would_block":
            self.events.pop(0)
            raise BlockingIOError(11, "Resource temporarily unavailable")
        raise socket.timeout("timed out")

    def sendall(self, data):
        self.sends += 1
        self.sent.append(bytes(data))

    def close(self):
        self.closed = True


class ReplayServer(Loopback):
    """A capture's proxy on 127.0.0.1 (or ::1): one replay per connection.

    Sends each recorded ``recv`` when the client has sent as many times as
    the capture's client had, after the recorded pause times ``pace``;
    ``eof`` closes, ``reset`` closes with RST, ``timeout`` and the end of the
    capture keep the connection open and silent until the client leaves.
    """

    def __init__(self, name, pace=0.0, family=socket.AF_INET):
        fixture = load(name)
        self.events = fixture["events"]
        self.recorded_accept = accept(fixture["client_key"]) if fixture["client_key"] else None
        self.pace = pace
        super().__init__(self._serve, backlog=16, family=family)

    def _wait_for_sends(self, conn, wanted, got, keys):
        """Read client bytes until ``wanted`` sends have come (a send: one write of the client)."""
        while got < wanted:
            data = conn.recv(65536)
            if not data:
                return None
            keys += re.findall(rb"Sec-WebSocket-Key: (\S+)\r\n", data)
            got += self._count_writes(data)
        return got

    @staticmethod
    def _count_writes(data):
        """The client's writes in ``data``: the HTTP request, then one WebSocket frame each."""
        if data.startswith(b"GET "):
            _head, _sep, rest = data.partition(b"\r\n\r\n")
            return 1 + ReplayServer._count_writes(rest) if rest else 1
        count = 0
        while len(data) >= 2:
            length, offset = data[1] & 0x7F, 2
            if length == 126:
                length, offset = struct.unpack("!H", data[2:4])[0], 4
            elif length == 127:
                length, offset = struct.unpack("!Q", data[2:10])[0], 10
            offset += 4 if data[1] & 0x80 else 0
            data = data[offset + length:]
            count += 1
        return count

    def _serve(self, conn):
        conn.settimeout(5)
        sends = got = 0
        last = 0.0
        keys = []
        for event in self.events:
            op = event["op"]
            if op == "send":
                sends += 1
                continue
            if op in ("connect", "tls", "close", "would_block"):
                continue
            got = self._wait_for_sends(conn, sends, got, keys)
            if got is None:
                return
            time.sleep(max(0.0, event["t"] - last) * self.pace)
            last = event["t"]
            if op == "recv":
                data = base64.b64decode(event["data"])
                if keys and self.recorded_accept:
                    data = data.replace(self.recorded_accept, accept(keys[0].decode("ascii")))
                conn.sendall(data)
            elif op == "eof":
                return
            elif op in ("reset", "tls_failed"):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            else:  # timeout: silence
                break
        while not self.stop.is_set() and conn.recv(65536):
            pass

    def close(self):
        self.__exit__()
