"""Property tests for plugins/module_utils/_ss.py: ``ss -tnpH`` lines generated
the way iproute2's ss prints them (checked against the captures in
tests/unit/fixtures/health/*/ss.txt).

What ss prints (misc/ss.c, iproute2 6.1 as captured, and still on its
master): an IPv6 address in brackets, ``*`` for the IPv6 wildcard, then
``%IFNAME`` for a socket bound to an interface, ``:`` and the port;
``users:(("NAME",pid=N,fd=N),...)`` where NAME is the command name read
from /proc/PID/stat with ``%[^)]`` (so it stops at the first ``)``) and
printed as it is: ss escapes neither ``"`` nor ``\\`` (iproute2 7.0 only
turns control characters into ``?``).
"""

import ipaddress
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils import _ss as ss
from health_captures import stdout

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
PROFILE = dict(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LARGE = dict(PROFILE, max_examples=max(10, EXAMPLES // 2))  # several lines of several sockets each
STATES = ["ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSE-WAIT", "LAST-ACK",
          "LISTEN", "CLOSING"]
IPV4 = st.ip_addresses(v=4)
IPV6 = st.ip_addresses(v=6)
IFNAMES = st.sampled_from(["lo", "eth0", "enp1s0", "br-ex", "vlan100", "tap3f2c1a9e-7b"])


def canonical(address):
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@st.composite
def endpoints(draw, zoned_ipv6=False):
    """(text as ss prints it, {ip, port} parse_ss should give)."""
    kind = draw(st.sampled_from(["v4", "v6", "mapped", "wildcard"]))
    if kind == "wildcard":
        text, ip = "*", "*"
    else:
        address = draw(IPV4) if kind == "v4" else draw(IPV6) if kind == "v6" else ipaddress.ip_address(
            "::ffff:%s" % draw(IPV4))
        text, ip = (str(address) if address.version == 4 else "[%s]" % address), canonical(address)
        if (address.version == 4 or zoned_ipv6) and draw(st.booleans()):
            text += "%" + draw(IFNAMES)
    port = draw(st.integers(0, 65535))
    return "%s:%s" % (text, port or "*"), {"ip": ip, "port": port or None}


def shown_name(comm):
    """The process name ss shows for a command name: what ``%[^)]`` reads of it."""
    return comm.partition(")")[0]


# command names (prctl(PR_SET_NAME): up to 15 bytes, anything but NUL); a
# newline would cut ss's line in two, and is left out
def comms(alphabet):
    return st.text(alphabet, min_size=1, max_size=15)


LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines() breaks there too
PLAIN_COMM = st.characters(blacklist_characters='\n\0"\\' + LINE_BREAKS, blacklist_categories=("Cs",))
QUOTED_COMM = st.one_of(st.sampled_from('"\\'), PLAIN_COMM)
BREAKING_COMM = st.one_of(st.sampled_from(LINE_BREAKS), PLAIN_COMM)


@st.composite
def ss_lines(draw, comm_chars=PLAIN_COMM, zoned_ipv6=False):
    """(``ss -tnpH`` text, the connections parse_ss should give)."""
    text, expected = "", []
    for _line in range(draw(st.integers(0, 6))):
        state = draw(st.sampled_from(STATES))
        local, local_exp = draw(endpoints(zoned_ipv6))
        peer, peer_exp = draw(endpoints(zoned_ipv6))
        owners = draw(st.lists(st.tuples(comms(comm_chars), st.integers(1, 4194304), st.integers(0, 65535)),
                               max_size=3))
        users = ""
        if owners:
            users = "users:(%s)" % ",".join(
                '("%s",pid=%d,fd=%d)' % (shown_name(c), pid, fd) for c, pid, fd in owners)
        pad = draw(st.lists(st.integers(1, 12), min_size=5, max_size=5))
        text += "%s%s%-6d%s%-6d%s%s%s%s%s%s\n" % (
            state, " " * pad[0], draw(st.integers(0, 99999)), " " * pad[1], draw(st.integers(0, 99999)),
            " " * pad[2], local, " " * pad[3], peer, " " * pad[4], users)
        expected.append({"state": state, "local": local_exp, "peer": peer_exp,
                         "processes": [{"name": shown_name(c), "pid": pid, "fd": fd} for c, pid, fd in owners]})
    return text, expected


@pytest.mark.parametrize("where", ["bed", "host", "bed-guest-crashed"])
def test_the_generator_speaks_like_the_captures(where):
    """Every captured line has the shape the generator writes: 5 or 6 fields, users:(...) last."""
    for line in stdout(where, "ss").splitlines():
        fields = line.split(None, 5)
        assert fields[0] in STATES and fields[1].isdigit() and fields[2].isdigit()
        assert len(fields) == 5 or fields[5].startswith('users:(("')


@settings(**LARGE)
@given(generated=ss_lines())
@example(generated=('ESTAB 0 0 [::ffff:127.0.0.1]:4369 [::1]:1 users:(("a b(c",pid=1,fd=2),("",pid=3,fd=4))\n',
                    [{"state": "ESTAB", "local": {"ip": "127.0.0.1", "port": 4369},
                      "peer": {"ip": "::1", "port": 1},
                      "processes": [{"name": "a b(c", "pid": 1, "fd": 2}, {"name": "", "pid": 3, "fd": 4}]}]))
def test_parse_ss_recovers_generated_lines(generated):
    """States, IPv4 / [IPv6] / IPv4-mapped / * endpoints (IPv4 ones maybe %IFNAME), ports, and
    every owner of every socket, names with spaces and parentheses included."""
    text, expected = generated
    assert ss.parse_ss(text) == expected


@settings(**PROFILE)
@given(generated=ss_lines(comm_chars=QUOTED_COMM))
@example(generated=('ESTAB 0 0 10.0.0.2:40000 10.0.0.1:5672 users:(("a"b",pid=1,fd=2))\n',
                    [{"state": "ESTAB", "local": {"ip": "10.0.0.2", "port": 40000},
                      "peer": {"ip": "10.0.0.1", "port": 5672},
                      "processes": [{"name": 'a"b', "pid": 1, "fd": 2}]}]))
def test_parse_ss_process_names_with_quotes_and_backslashes(generated):
    """Command names holding " or \\ (prctl allows them) come back as ss printed them."""
    text, expected = generated
    assert ss.parse_ss(text) == expected


@settings(**PROFILE)
@given(generated=ss_lines(zoned_ipv6=True))
@example(generated=("ESTAB 0 0 [fe80::1]%eth0:22 [fe80::2]%eth0:50000\n",
                    [{"state": "ESTAB", "local": {"ip": "fe80::1", "port": 22},
                      "peer": {"ip": "fe80::2", "port": 50000}, "processes": []}]))
def test_parse_ss_zoned_ipv6_endpoints(generated):
    """Link-local / interface-bound IPv6 sockets, as ss prints them, give the bare address."""
    text, expected = generated
    assert ss.parse_ss(text) == expected


@settings(**PROFILE)
@given(generated=ss_lines(comm_chars=BREAKING_COMM))
@example(generated=('ESTAB 0 0 10.0.0.2:40000 10.0.0.1:5672 users:(("a\rb",pid=1,fd=2))\n',
                    [{"state": "ESTAB", "local": {"ip": "10.0.0.2", "port": 40000},
                      "peer": {"ip": "10.0.0.1", "port": 5672},
                      "processes": [{"name": "a\rb", "pid": 1, "fd": 2}]}]))
def test_parse_ss_process_names_with_line_separators(generated):
    """Command names holding a character Python counts as a line break (not \\n) come back whole."""
    text, expected = generated
    assert ss.parse_ss(text) == expected
