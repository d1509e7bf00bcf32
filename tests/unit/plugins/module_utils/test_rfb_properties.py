"""Property tests for plugins/module_utils/_rfb.py: the ProtocolVersion and
security messages of RFC 6143 section 7.1, generated, and how a non-RFB
banner is shown."""

import ast
import os
import re
import struct

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils._rfb import (
    GREETING_LEN,
    MAX_REASON,
    SHOWN_BYTES,
    NotRfbServer,
    describe_bytes,
    is_greeting_prefix,
    parse_security_message,
    parse_server_version,
)

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
PROFILE = dict(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VERSIONS = ((3, 3), (3, 7), (3, 8))


def is_greeting(data):
    """RFC 6143 7.1.1: "RFB xxx.yyy\\n", three ASCII digits each, 12 bytes; no
    server announces a major version below 3."""
    match = re.fullmatch(rb"RFB ([0-9]{3})\.([0-9]{3})\n", data)
    return match is not None and int(match.group(1)) >= 3


@st.composite
def near_greetings(draw):
    """12 bytes that are a greeting or one byte away from one."""
    data = bytearray(b"RFB %03d.%03d\n" % (draw(st.integers(0, 999)), draw(st.integers(0, 999))))
    if draw(st.booleans()):
        data[draw(st.integers(0, GREETING_LEN - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@settings(**PROFILE)
@given(data=st.one_of(near_greetings(), st.binary(min_size=GREETING_LEN, max_size=GREETING_LEN)))
@example(data=b"RFB 003.008\n")
@example(data=b"RFB 000.000\n")
@example(data=b"RFB 003.008\r")
@example(data=b"RFB 003.0\xd98\n")
def test_parse_server_version_accepts_exactly_greetings(data):
    """12 bytes are accepted exactly when they are ``RFB ddd.ddd\\n`` (major >= 3),
    and then give the numbers they spell."""
    if is_greeting(data):
        assert parse_server_version(data) == (int(data[4:7]), int(data[8:11]))
        assert is_greeting_prefix(data)
    else:
        try:
            parse_server_version(data)
        except NotRfbServer as exc:
            assert exc.detail == data
        else:
            raise AssertionError("accepted %r" % data)


@settings(**PROFILE)
@given(major=st.integers(3, 999), minor=st.integers(0, 999), extra=st.binary(max_size=20))
def test_parse_server_version_prefixes_and_what_follows(major, minor, extra):
    """Every proper prefix of a greeting is refused (and can still become one);
    bytes after the 12 are not looked at."""
    greeting = b"RFB %03d.%03d\n" % (major, minor)
    assert parse_server_version(greeting + extra) == (major, minor)
    for cut in range(GREETING_LEN):
        assert is_greeting_prefix(greeting[:cut])
        try:
            parse_server_version(greeting[:cut])
        except NotRfbServer:
            continue
        raise AssertionError("accepted a prefix %r" % greeting[:cut])


def security_message(version, types):
    """The server's security message offering ``types`` (RFC 6143 7.1.2; 3.3: 7.1.2's U32 form)."""
    if version >= (3, 7):
        return bytes([len(types)] + types)
    return struct.pack("!I", types[0])


def refusal(version, reason):
    """The server's refusal: no type (0), then U32 length and the reason."""
    head = b"\0" if version >= (3, 7) else struct.pack("!I", 0)
    return head + struct.pack("!I", len(reason)) + reason


@settings(**PROFILE)
@given(version=st.sampled_from(VERSIONS), data=st.data(), extra=st.binary(max_size=20))
def test_parse_security_message_returns_the_offered_types(version, data, extra):
    """A valid security message gives its types (whatever follows: the 3.3
    VNC-auth challenge); every proper prefix of it is incomplete."""
    if version >= (3, 7):
        types = data.draw(st.lists(st.integers(1, 255), min_size=1, max_size=255))
    else:
        types = [data.draw(st.integers(1, 2 ** 32 - 1))]
    message = security_message(version, types)
    assert parse_security_message(version, message + extra) == (types, None)
    for cut in range(len(message)):
        assert parse_security_message(version, message[:cut]) is None


@settings(**PROFILE)
@given(version=st.sampled_from(VERSIONS),
       reason=st.one_of(st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")),
                        st.binary(max_size=80)),
       extra=st.binary(max_size=8))
@example(version=(3, 8), reason=b"", extra=b"")
@example(version=(3, 3), reason=b"Too many security failures", extra=b"")
@example(version=(3, 7), reason=b" \t\n", extra=b"\x02")
def test_parse_security_message_returns_the_refusal_reason(version, reason, extra):
    """A refusal gives no type and its reason (UTF-8, stripped; a blank one named as such)."""
    message = refusal(version, reason)
    expected = reason.decode("utf-8", "replace").strip() or "no reason given"
    assert parse_security_message(version, message + extra) == ([], expected)
    for cut in range(len(message)):
        assert parse_security_message(version, message[:cut]) is None


@settings(**PROFILE)
@given(version=st.sampled_from(VERSIONS), length=st.integers(MAX_REASON + 1, 2 ** 32 - 1))
def test_a_huge_refusal_reason_is_cut(version, length):
    """An untrusted length above MAX_REASON needs only MAX_REASON bytes, and shows that many."""
    head = b"\0" if version >= (3, 7) else struct.pack("!I", 0)
    message = head + struct.pack("!I", length) + b"x" * MAX_REASON
    assert parse_security_message(version, message) == ([], "x" * MAX_REASON + "...")
    assert parse_security_message(version, message[:-1]) is None


@settings(**PROFILE)
@given(data=st.binary(max_size=3 * SHOWN_BYTES), limit=st.integers(0, 2 * SHOWN_BYTES))
@example(data=b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", limit=SHOWN_BYTES)
@example(data=b"'\"\\..." * 20, limit=10)
def test_describe_bytes_shows_at_most_limit_bytes(data, limit):
    """The shown text is a bytes literal of at most ``limit`` bytes - the first
    ones of ``data`` - followed by ``...`` exactly when some were left out."""
    shown = describe_bytes(data, limit)
    cut = len(data) > limit
    literal = shown[:-3] if cut else shown
    assert shown.endswith("...") == cut  # a bytes literal itself ends with its quote
    assert ast.literal_eval("b" + literal) == data[:limit]
    assert describe_bytes(data) == describe_bytes(data, SHOWN_BYTES)
