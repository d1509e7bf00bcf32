# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RFB (VNC) handshake probe: pure parsing plus a driver over any byte stream.

The probe follows RFC 6143 section 7.1 up to the list of security types and
stops there: it never picks a security type and never sends credentials.

    server -> "RFB 003.008\\n"           ProtocolVersion (12 bytes)
    client -> "RFB 003.008\\n"           highest version both support
    server -> U8 n, U8[n] types          3.7 and 3.8
              (n = 0: U32 length + reason, the server refuses)
    server -> U32 type                   3.3 (0: U32 length + reason)

An endpoint is *reachable* when the server got as far as offering at least
one security type, whether or not one of them needs a password: the
console server is up and speaks RFB.  Everything else is unreachable with
one of the ``error`` strings documented in ``check_endpoint``.

``handshake`` reads and writes through any socket-like object (``recv``,
``sendall``, ``settimeout``): a TCP socket (``check_endpoint``) or the byte
stream of a WebSocket through a console proxy (``_console_proxy``), both
run by ``probe``.
"""

from __future__ import annotations

import errno
import re
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor

GREETING_LEN = 12
MAX_WORKERS = 64
MAX_REASON = 1024     # bytes of a refusal reason kept (the length field is untrusted)
SHOWN_BYTES = 64      # bytes of a non-RFB banner shown in the error

SUPPORTED_VERSIONS = ((3, 3), (3, 7), (3, 8))

# IANA "Remote Framebuffer Security Types" registry (plus the names the RFB
# community spec uses).  Numbers assigned only as vendor ranges (RealVNC
# 3-4, 7-15, 128-255; Apple 31-35) have no name and are returned as ints.
SECURITY_TYPE_NAMES = {
    0: "Invalid",
    1: "None",
    2: "VNC Authentication",
    5: "RA2",
    6: "RA2ne",
    16: "Tight",
    17: "Ultra",
    18: "TLS",
    19: "VeNCrypt",
    20: "GTK-VNC SASL",
    21: "MD5 hash authentication",
    22: "Colin Dean xvp",
    23: "Secure Tunnel",
    24: "Integrated SSH",
    30: "Apple Remote Desktop",
}
NONE_TYPE = 1

_GREETING_RE = re.compile(br"\ARFB (\d{3})\.(\d{3})\n\Z")
_GREETING_SHAPE = b"RFB ddd.ddd\n"

ERR_REFUSED = "connection refused"
ERR_TIMEOUT = "timed out"
ERR_UNREACHABLE = "host unreachable"
ERR_UNRESOLVED = "name not resolved"
ERR_CLOSED = "connection closed without a reason"

_UNREACHABLE_ERRNOS = frozenset(
    getattr(errno, name) for name in ("EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN") if hasattr(errno, name)
)


class RfbError(Exception):
    """The server answered, but not with a usable RFB handshake.

    ``error`` is the one line reported for the endpoint: ``TEMPLATE`` filled
    with ``shown()``, the detail as it may be shown.
    """

    TEMPLATE = "%s"

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail

    def shown(self):
        return self.detail

    @property
    def error(self):
        return self.TEMPLATE % self.shown()


class NotRfbServer(RfbError):
    """The first bytes (the detail) are not an RFB ProtocolVersion message."""

    TEMPLATE = "not an RFB server (sent: %s)"

    def shown(self):
        return describe_bytes(self.detail)


class ServerRefused(RfbError):
    """The server refused the connection (0 security types + reason, or hung up)."""

    TEMPLATE = "server refused: %s"


def describe_bytes(data, limit=SHOWN_BYTES):
    """Printable, escaped form of the first ``limit`` bytes (``'SSH-2.0-...\\r\\n'``)."""
    shown = repr(bytes(data[:limit]))[1:]  # drop the b of b'...'
    return shown + ("..." if len(data) > limit else "")


def is_greeting_prefix(data):
    """True while ``data`` can still become a ProtocolVersion message."""
    if len(data) > GREETING_LEN:
        return False
    for got, shape in zip(bytes(data), _GREETING_SHAPE):
        if shape == ord("d"):
            if not ord("0") <= got <= ord("9"):
                return False
        elif got != shape:
            return False
    return True


def parse_server_version(data):
    """Parse the 12-byte ProtocolVersion message into ``(major, minor)``.

    Raises NotRfbServer if it is not one (including major versions below 3,
    which no RFB server announces: ``RFB 000.000`` is UltraVNC's repeater).
    """
    match = _GREETING_RE.match(bytes(data[:GREETING_LEN]))
    if not match or len(data) < GREETING_LEN:
        raise NotRfbServer(data)
    version = (int(match.group(1)), int(match.group(2)))
    if version[0] < 3:
        raise NotRfbServer(data)
    return version


def choose_reply_version(server_version):
    """Version the client answers: the highest that both sides support.

    3.3, 3.7 and 3.8 are the only published versions.  The RFB spec asks
    for any other 3.x number (3.4 and 3.6 from old clients, 3.889 from
    Apple Remote Desktop) to be treated as 3.3.  A server announcing a
    major version above 3 is answered with 3.8, since a client never asks
    for more than it supports.
    """
    major, minor = server_version
    if major > 3:
        return (3, 8)
    if (major, minor) in SUPPORTED_VERSIONS:
        return (major, minor)
    return (3, 3)


def version_message(version):
    """``(3, 8)`` -> ``b"RFB 003.008\\n"``."""
    return ("RFB %03d.%03d\n" % version).encode("ascii")


def format_version(version):
    """``(3, 8)`` -> ``"3.8"``, ``(3, 889)`` -> ``"3.889"``."""
    return "%d.%d" % version


def security_type_name(number):
    """Registry name of a security type, or the number itself if it has none."""
    return SECURITY_TYPE_NAMES.get(number, number)


def auth_required(types):
    """True unless the server offers security type None (1)."""
    return NONE_TYPE not in types


def _reason(data, offset):
    """Parse ``U32 length + text`` at ``offset``; None if incomplete."""
    if len(data) < offset + 4:
        return None
    (length,) = struct.unpack("!I", bytes(data[offset:offset + 4]))
    wanted = min(length, MAX_REASON)
    if len(data) < offset + 4 + wanted:
        return None
    text = bytes(data[offset + 4:offset + 4 + wanted]).decode("utf-8", "replace")
    if length > MAX_REASON:
        text += "..."
    return text.strip() or "no reason given"


def parse_security_message(version, data):
    """Parse the server's security message that follows the version exchange.

    ``version`` is the version the client answered.  Returns None while
    ``data`` is incomplete, else ``(types, reason)``: the list of offered
    security type numbers, or ``([], reason)`` when the server refuses.
    Bytes after the message (the 3.3 VNC-auth challenge) are ignored.
    """
    data = bytes(data)
    if version >= (3, 7):
        if not data:
            return None
        count = data[0]
        if count == 0:
            reason = _reason(data, 1)
            return None if reason is None else ([], reason)
        if len(data) < 1 + count:
            return None
        return list(data[1:1 + count]), None
    if len(data) < 4:
        return None
    (sectype,) = struct.unpack("!I", data[:4])
    if sectype == 0:
        reason = _reason(data, 4)
        return None if reason is None else ([], reason)
    return [sectype], None


def classify_error(exc):
    """Map an exception from resolving, connecting or the handshake to an error string."""
    if isinstance(exc, RfbError):
        return exc.error
    if isinstance(exc, socket.gaierror):
        return ERR_UNRESOLVED
    if isinstance(exc, socket.timeout):
        return ERR_TIMEOUT
    if isinstance(exc, ConnectionRefusedError):
        return ERR_REFUSED
    if isinstance(exc, OSError):
        if exc.errno in _UNREACHABLE_ERRNOS:
            return ERR_UNREACHABLE
        if exc.errno == errno.ETIMEDOUT:
            return ERR_TIMEOUT
        if exc.errno == errno.ECONNREFUSED:
            return ERR_REFUSED
        return (exc.strerror or str(exc)).lower()
    return str(exc)


def remaining(deadline):
    """Seconds left before ``deadline``; raises socket.timeout when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("timed out")
    return left


def _recv(sock, deadline):
    sock.settimeout(remaining(deadline))
    return sock.recv(4096)


def connect(host, port, deadline):
    """Connect to the first address of ``host`` that accepts, before ``deadline``."""
    last = None
    for family, socktype, proto, _name, address in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, socktype, proto)
        try:
            sock.settimeout(remaining(deadline))
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
            if isinstance(exc, socket.timeout):
                break
    raise last


def _not_rfb(sock, data):
    """NotRfbServer with what the server sent, plus what has already arrived."""
    if len(data) <= SHOWN_BYTES:
        try:
            sock.settimeout(0)  # evidence only: do not wait for more
            data += sock.recv(SHOWN_BYTES)
        except OSError:
            pass
    return NotRfbServer(data)


def read_greeting(sock, deadline):
    """Read the ProtocolVersion message; returns ``(version, extra_bytes)``.

    Stops as soon as the bytes cannot be a greeting (an SSH or SMTP banner).
    """
    data = b""
    while len(data) < GREETING_LEN:
        try:
            chunk = _recv(sock, deadline)
        except (ConnectionResetError, ConnectionAbortedError):
            chunk = b""
        if not chunk:  # hung up before a whole greeting (what came so far fits one)
            raise ServerRefused(ERR_CLOSED)
        data += chunk
        if not is_greeting_prefix(data[:GREETING_LEN]):
            raise _not_rfb(sock, data)
    return parse_server_version(data[:GREETING_LEN]), data[GREETING_LEN:]


def handshake(sock, deadline):
    """Run the handshake on a connected socket-like object up to the security types.

    ``sock`` needs ``recv``, ``sendall`` and ``settimeout``.  Returns
    ``(server_version, reply_version, types)``; raises RfbError or socket
    errors.  Does not close ``sock``.
    """
    server_version, data = read_greeting(sock, deadline)
    reply = choose_reply_version(server_version)
    try:
        sock.settimeout(remaining(deadline))
        sock.sendall(version_message(reply))
    except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
        # A server that refuses may send its whole answer and hang up
        # before reading ours (TigerVNC's blacklist): read what it sent.
        pass
    while True:
        parsed = parse_security_message(reply, data)
        if parsed is not None:
            break
        try:
            chunk = _recv(sock, deadline)
        except (ConnectionResetError, ConnectionAbortedError):
            chunk = b""
        if not chunk:
            raise ServerRefused(ERR_CLOSED)
        data += chunk
    types, reason = parsed
    if not types:
        raise ServerRefused(reason)
    return server_version, reply, types


def empty_result(host, port):
    return {
        "host": host,
        "port": port,
        "reachable": False,
        "rfb_version": None,
        "negotiated_version": None,
        "security_types": [],
        "auth_required": None,
        "error": None,
        "elapsed_ms": 0,
    }


def rfb_fields(server_version, reply, types):
    """The result keys of a handshake that got as far as the security types."""
    return {
        "reachable": True,
        "rfb_version": format_version(server_version),
        "negotiated_version": format_version(reply),
        "security_types": [security_type_name(t) for t in types],
        "auth_required": auth_required(types),
    }


def probe(result, timeout, open_stream, describe=None):
    """Open a byte stream and run the handshake over it; fills ``result``, never raises.

    ``open_stream(deadline)`` returns a connected socket-like object (a TCP
    socket, or a WebSocket carrying RFB) or raises; ``timeout`` covers it and
    the handshake.  ``describe(exc)`` turns a failure into result keys
    (default: ``{"error": classify_error(exc)}``).  Sets ``elapsed_ms``.
    """
    started = time.monotonic()
    deadline = started + timeout
    stream = None
    try:
        stream = open_stream(deadline)
        server_version, reply, types = handshake(stream, deadline)
    except Exception as exc:  # any failure becomes evidence, never a traceback
        result.update(describe(exc) if describe else {"error": classify_error(exc)})
    else:
        result.update(rfb_fields(server_version, reply, types))
    finally:
        if stream is not None:
            stream.close()
        result["elapsed_ms"] = int(round((time.monotonic() - started) * 1000))
    return result


def check_endpoint(host, port, timeout):
    """Probe one endpoint; never raises.  ``timeout`` covers connect + handshake.

    ``error`` is None when reachable, else one of: "connection refused",
    "timed out", "host unreachable", "name not resolved",
    "not an RFB server (sent: ...)", "server refused: <reason>" (the server's
    own reason, or "connection closed without a reason" when it hung up
    during the handshake), or the operating system's message for any other
    socket error.
    """
    return probe(empty_result(host, port), timeout, lambda deadline: connect(host, port, deadline))


def run_concurrently(func, items, max_workers=MAX_WORKERS):
    """``[func(item) for item in items]``, up to ``max_workers`` at a time, in order."""
    items = list(items)
    if not items:
        return []
    workers = max(1, min(len(items), max_workers))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, items))


def check_endpoints(endpoints, timeout, max_workers=MAX_WORKERS):
    """Probe ``(host, port)`` pairs concurrently; results in the same order."""
    return run_concurrently(lambda ep: check_endpoint(ep[0], ep[1], timeout), endpoints, max_workers)


def failure_summary(results):
    """``host:port (error)`` for each unreachable endpoint, joined by ``; ``."""
    return "; ".join(
        "%s (%s)" % (format_endpoint(r["host"], r["port"]), r["error"]) for r in results if not r["reachable"]
    )


def format_endpoint(host, port):
    if ":" in host:
        return "[%s]:%s" % (host, port)
    return "%s:%s" % (host, port)
