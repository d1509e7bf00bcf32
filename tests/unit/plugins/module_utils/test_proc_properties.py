"""Property tests for plugins/module_utils/_proc.py: /proc/PID/cmdline and
stat, QEMU option strings, IP address text and /proc/net/tcp{,6}, each
generated the way the kernel (or QEMU) writes it."""

import ipaddress
import os
import struct

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils import _proc as proc

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
PROFILE = dict(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOT_NUL = st.characters(blacklist_characters="\0", blacklist_categories=("Cs",))


# ---------------------------------------------------------------------------
# /proc/PID/cmdline and /proc/PID/stat
# ---------------------------------------------------------------------------

@settings(**PROFILE)
@given(argv=st.lists(st.binary(min_size=1, max_size=20).filter(lambda b: b"\0" not in b), max_size=8),
       trailing=st.booleans())
@example(argv=[b"\xff\xfe", b"\xed\xa0\x80", b"caf\xc3\xa9"], trailing=True)
def test_parse_cmdline_round_trips_any_argv(argv, trailing):
    """Non-empty arguments joined by NUL (the kernel ends the last one with NUL
    too) come back as the same bytes: undecodable bytes are escaped, never lost."""
    raw = b"\0".join(argv) + (b"\0" if trailing and argv else b"")
    parsed = proc.parse_cmdline(raw)
    assert [a.encode("utf-8", "surrogateescape") for a in parsed] == argv
    assert proc.parse_cmdline(raw.decode("utf-8", "surrogateescape")) == parsed


# The kernel keeps up to 15 bytes of a command name (TASK_COMM_LEN 16 with the
# NUL); prctl(PR_SET_NAME) takes any of them but NUL, spaces and parentheses
# included, and /proc/PID/stat prints it as it is.  16 covers a kernel
# that would keep one more.
COMMS = st.text(st.one_of(st.sampled_from(" ()) (( )x"), NOT_NUL), min_size=1, max_size=16)


def stat_line(pid, comm, state, ppid, starttime):
    """/proc/PID/stat as fs/proc/array.c do_task_stat() prints it (52 fields)."""
    fields = [state, ppid, pid, pid, 0, -1, 4194560, 513, 0, 0, 0, 12, 3, 0, 0, 20, 0, 1, 0, starttime,
              12345678, 321] + [0] * 30
    return "%d (%s) %s\n" % (pid, comm, " ".join(str(f) for f in fields))


@settings(**PROFILE)
@given(pid=st.integers(1, 4194304), comm=COMMS, state=st.sampled_from("RSDZTtXIPKWx"),
       ppid=st.integers(0, 4194304), starttime=st.integers(0, 2 ** 63))
@example(pid=7, comm=") S 1 (", state="S", ppid=1, starttime=5)
@example(pid=7, comm="((((((((((((((((", state="Z", ppid=0, starttime=0)
@example(pid=7, comm="a\nb) R 9", state="R", ppid=3, starttime=1)
def test_parse_proc_stat_recovers_pid_comm_state_ppid(pid, comm, state, ppid, starttime):
    """Whatever the command name (spaces, parentheses, newlines), the fields around it are found."""
    assert proc.parse_proc_stat(stat_line(pid, comm, state, ppid, starttime)) == {
        "pid": pid, "comm": comm, "state": state, "ppid": ppid, "starttime": starttime}


# ---------------------------------------------------------------------------
# QEMU option strings
# ---------------------------------------------------------------------------

QEMU_KEYS = st.from_regex(r"[a-z][a-z0-9.-]{0,12}", fullmatch=True)
QEMU_VALUES = st.text(st.one_of(st.sampled_from(",=,,"), NOT_NUL), max_size=20)


def qemu_opts(opts, implied_value=None):
    """What libvirt writes: key=value joined by commas, commas in values doubled."""
    items = [] if implied_value is None else [implied_value.replace(",", ",,")]
    items += ["%s=%s" % (key, value.replace(",", ",,")) for key, value in opts.items()]
    return ",".join(items)


@settings(**PROFILE)
@given(opts=st.dictionaries(QEMU_KEYS, QEMU_VALUES, min_size=1, max_size=6))
@example(opts={"guest": "a,b", "debug-threads": "on"})
@example(opts={"guest": ",", "x": ",,"})
@example(opts={"guest": "x=,y", "z": ""})
def test_parse_qemu_opts_round_trips(opts):
    """key=value lists come back whole, values with commas (doubled) or '=' included."""
    assert proc.parse_qemu_opts(qemu_opts(opts)) == opts


@settings(**PROFILE)
@given(implied=QEMU_VALUES.filter(lambda v: "=" not in v),
       opts=st.dictionaries(QEMU_KEYS.filter(lambda k: k != "type"), QEMU_VALUES, max_size=4))
def test_parse_qemu_opts_implied_first_value(implied, opts):
    """A first element without '=' is the implied key's value (``-machine pc,accel=kvm``)."""
    assert proc.parse_qemu_opts(qemu_opts(opts, implied), implied="type") == dict(opts, type=implied)


# ---------------------------------------------------------------------------
# IP address text
# ---------------------------------------------------------------------------

IPV4 = st.ip_addresses(v=4)
IPV6 = st.ip_addresses(v=6)
ZONES = st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True)


def canonical(address):
    """The address normalize_ip should give: IPv4 for an IPv4-mapped IPv6 address."""
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


@st.composite
def address_spellings(draw):
    """(text, canonical): an address as ss, getaddrinfo or a config may spell it."""
    address = draw(st.one_of(IPV4, IPV6, IPV4.map(lambda a: ipaddress.ip_address("::ffff:%s" % a))))
    text = str(address) if address.version == 4 else draw(st.sampled_from([
        str(address), address.exploded, address.exploded.upper(), str(address).upper()]))
    if draw(st.booleans()):
        text += "%" + draw(ZONES)
    if address.version == 6 and draw(st.booleans()):
        text = "[%s]" % text
    return draw(st.sampled_from(["", " "])) + text, canonical(address)


@settings(**PROFILE)
@given(spelled=address_spellings())
@example(spelled=("[::ffff:127.0.0.1]", "127.0.0.1"))
@example(spelled=("[fe80::1%eth0]", "fe80::1"))
def test_normalize_ip_canonical_and_idempotent(spelled):
    """Bracketed, zoned, upper case or exploded: the canonical address, IPv4 for an
    IPv4-mapped address; and normalizing the result changes nothing."""
    text, expected = spelled
    assert proc.normalize_ip(text) == expected
    assert proc.normalize_ip(expected) == expected


@settings(**PROFILE)
@given(address=IPV4)
def test_normalize_ip_maps_ipv4_mapped_to_ipv4(address):
    """Every IPv4-mapped IPv6 spelling of an address is that IPv4 address."""
    for text in ("::ffff:%s" % address, "[::ffff:%s]" % address,
                 ipaddress.ip_address("::ffff:%s" % address).exploded):
        assert proc.normalize_ip(text) == str(address)


@settings(**PROFILE)
@given(text=st.text(st.one_of(st.sampled_from("[]%: .0f"), st.characters(codec="utf-8")), max_size=20))
@example(text="[[0]]")
@example(text="[fe80::1]%eth0")
def test_normalize_ip_is_idempotent_on_any_text(text):
    """normalize_ip(normalize_ip(x)) == normalize_ip(x), for any text."""
    once = proc.normalize_ip(text)
    assert proc.normalize_ip(once) == once


# ---------------------------------------------------------------------------
# /proc/net/tcp and /proc/net/tcp6
# ---------------------------------------------------------------------------

TCP_HEADER = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
              "inode\n")
TCP6_HEADER = ("  sl  local_address                         remote_address                        st tx_queue "
               "rx_queue tr tm->when retrnsmt   uid  timeout inode\n")


def kernel_hex(address):
    """An address as net/ipv4/tcp_ipv4.c and net/ipv6/tcp_ipv6.c print it: each
    32-bit word of the network-order address printed with %08X as a host
    (little-endian) integer."""
    packed = address.packed
    return "".join("%08X" % struct.unpack("<I", packed[i:i + 4])[0] for i in range(0, len(packed), 4))


def tcp_line(slot, local, lport, peer, pport, state, uid, inode):
    return "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d %d %d %d %d\n" % (
        slot, kernel_hex(local), lport, kernel_hex(peer), pport, state, 0, 0, 0, 0, 0, uid, 0, inode, 1,
        0xffff8f0b12345678, 20, 4, 30, 10, -1)


CONNECTIONS = st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 65535), st.integers(1, 12),
                                 st.integers(0, 65535), st.integers(0, 2 ** 32 - 1)), max_size=6)


@settings(**PROFILE)
@given(family=st.sampled_from([4, 6]), conns=CONNECTIONS, data=st.data())
def test_parse_proc_net_tcp_recovers_endpoints(family, conns, data):
    """Generated sockets, written in the kernel's word order, come back with their
    addresses (IPv4-mapped as IPv4), ports, ss state names and inodes."""
    addresses = IPV4 if family == 4 else st.one_of(IPV6, IPV4.map(lambda a: ipaddress.ip_address("::ffff:%s" % a)))
    text = TCP_HEADER if family == 4 else TCP6_HEADER
    expected = []
    for slot, (lport, pport, state, uid, inode) in enumerate(conns):
        local, peer = data.draw(addresses), data.draw(addresses)
        text += tcp_line(slot, local, lport, peer, pport, state, uid, inode)
        expected.append({"state": proc.TCP_STATES[state], "local": {"ip": canonical(local), "port": lport},
                         "peer": {"ip": canonical(peer), "port": pport}, "inode": inode})
    assert proc.parse_proc_net_tcp(text) == expected


def test_kernel_hex_is_the_captured_spelling():
    """The writer agrees with a real line: 127.0.0.1 is 0100007F, ::1 is four words ending 01000000."""
    assert kernel_hex(ipaddress.ip_address("127.0.0.1")) == "0100007F"
    assert kernel_hex(ipaddress.ip_address("::1")) == "00000000000000000000000001000000"
    assert kernel_hex(ipaddress.ip_address("::ffff:127.0.0.1")) == "0000000000000000FFFF00000100007F"
