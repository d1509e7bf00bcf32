# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of ``node_health_info``: parsers, layer judgments, diagnosis.

Nothing here runs a process, opens a file or a socket: the module reads
``/proc``, runs ``systemctl``/``ss``/``virsh`` and calls the APIs, then hands
the text to these functions.  A compute node is judged bottom-up, one layer
at a time, in the order of ``LAYERS``::

    kvm -> qemu -> libvirt -> nova_compute -> control_plane

Each judgment returns a layer dict ``{name, status, code, summary,
evidence}``; ``diagnose`` takes them all and names the lowest failed layer
with one explanation and one suggested action.  Running guests live in their
qemu processes, which survive a stopped nova-compute or libvirtd, so
``guests_running`` is read from the processes alone.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from urllib.parse import unquote, urlencode

LAYERS = ("kvm", "qemu", "libvirt", "nova_compute", "control_plane")
OK, FAILED, WARNING, SKIPPED = "ok", "failed", "warning", "skipped"
MASK = "********"
# /proc/stat's btime has whole seconds: a nova.conf written in the second
# nova-compute started is not "newer".
RESTART_PENDING_SLACK = 2.0
DEFAULT_BROKER_PORT = 5672  # oslo.messaging's rabbit driver: host.port or 5672
DEFAULT_BROKER_HOST = "localhost"  # kombu's default host for a URL without one
DEFAULT_TRANSPORT_URL = "rabbit://"  # oslo.messaging's default [DEFAULT] transport_url

SYSTEMCTL_PROPERTIES = (
    "Id", "LoadState", "ActiveState", "SubState", "UnitFileState", "Type", "Result",
    "MainPID", "ExecMainPID", "ExecMainStatus", "NRestarts", "ActiveEnterTimestamp",
    "StateChangeTimestamp",
)
# systemd's Result= of a service, in words
RESULT_TEXT = {
    "success": "no error",
    "exit-code": "exited with an error status",
    "signal": "killed by a signal",
    "core-dump": "crashed with a core dump",
    "timeout": "timed out",
    "protocol": "exited without telling systemd it was ready",
    "watchdog": "missed its watchdog",
    "start-limit-hit": "restarted too often",
    "resources": "lacked resources to start",
    "oom-kill": "killed by the OOM killer",
}
MONOLITHIC_UNITS = ("libvirtd.service", "libvirtd.socket")
MODULAR_UNITS = ("virtqemud.service", "virtqemud.socket")
LIBVIRT_DAEMONS = ("libvirtd", "virtqemud")
NOVA_COMPUTE_COMMAND = "nova-compute"

# The kernel's TCP states (include/net/tcp_states.h) under the names ss prints.
TCP_STATES = {
    1: "ESTAB", 2: "SYN-SENT", 3: "SYN-RECV", 4: "FIN-WAIT-1", 5: "FIN-WAIT-2",
    6: "TIME-WAIT", 7: "UNCONN", 8: "CLOSE-WAIT", 9: "LAST-ACK", 10: "LISTEN",
    11: "CLOSING", 12: "NEW-SYN-RECV",
}

QEMU_BINARY_RE = re.compile(r"^(?:qemu-system-[A-Za-z0-9_.-]+|qemu-kvm)$")


class HealthParseError(ValueError):
    """The text is not what the command or file gives on success."""


def layer(name, status, code, summary, evidence):
    return {"name": name, "status": status, "code": code, "summary": summary, "evidence": evidence}


# ---------------------------------------------------------------------------
# nova.conf
# ---------------------------------------------------------------------------

def parse_ini(text):
    """Parse an oslo.config INI file into ``{section: {option: value}}``.

    Like oslo.config: ``#`` and ``;`` start comment lines only (never inline),
    an indented line continues the previous value, option names are taken as
    written (lowercased), the last of repeated options wins, and ``[DEFAULT]``
    keeps its spelling.  Lines outside any section are ignored.
    """
    sections = {}
    current = None
    last = None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip()[:1] in ("#", ";"):
            continue
        if raw[:1] in (" ", "\t") and last is not None and current is not None:
            current[last] = (current[last] + "\n" + raw.strip()).strip()
            continue
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
            last = None
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep or current is None:
            last = None
            continue
        last = key.strip().lower()
        current[last] = value.strip()
    return sections


def conf_get(conf, section, option, default=None):
    value = conf.get(section, {}).get(option)
    return default if value in (None, "") else value


def _split_hostport(hostport, default_port):
    """``host:port`` / ``[v6]:port`` / ``host`` -> (host, port)."""
    if hostport.startswith("["):
        host, _sep, tail = hostport[1:].partition("]")
        port = tail[1:] if tail.startswith(":") else ""
    elif hostport.count(":") == 1:
        host, port = hostport.split(":")
    else:
        host, port = hostport, ""
    if port == "":
        return host, default_port
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise HealthParseError("invalid port %r" % port)
    return host, int(port)


def parse_transport_url(url):
    """Parse an oslo.messaging transport URL; the password never leaves.

    ``rabbit://u:p@h1:5672,u:p@h2:5672/vhost?ssl=1`` gives ``scheme``,
    ``hosts`` (``[{host, port, username}]``, port 5672 when not given, as
    oslo.messaging's rabbit driver does), ``virtual_host``, ``query``,
    ``masked`` (the URL with every password replaced by ``********``) and
    ``passwords`` (every spelling of the passwords, so callers and tests can
    check that none leaks: never return it).
    Like ``urlsplit``, the host list ends at the first ``/``, ``?`` or ``#``.
    A URL without hosts (``rabbit://``, oslo.messaging's default) means
    ``localhost:5672``, as for kombu.  Raises HealthParseError for a URL
    without scheme, or with an empty host in a host list.
    """
    if not url or not url.strip():
        raise HealthParseError("transport_url is empty")
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", scheme):
        raise HealthParseError("transport_url has no scheme")
    match = re.match(r"^([^/?#]*)(.*)$", rest)
    netloc, tail = match.group(1), match.group(2)
    path, _sep, query = tail.partition("?")
    query = query.partition("#")[0]
    hosts, passwords, shown = [], [], []
    if netloc == "":
        hosts.append({"host": DEFAULT_BROKER_HOST, "port": DEFAULT_BROKER_PORT, "username": None})
    for entry in netloc.split(",") if netloc else []:
        creds, at, hostport = entry.rpartition("@")
        username, colon, password = creds.partition(":")
        if not hostport:
            raise HealthParseError("transport_url has an empty host")
        host, port = _split_hostport(hostport, DEFAULT_BROKER_PORT)
        hosts.append({"host": host, "port": port, "username": unquote(username) if at else None})
        if colon and password:
            passwords.extend({password, unquote(password)})
            creds = username + ":" + MASK
        shown.append(creds + at + hostport)
    masked = scheme + "://" + ",".join(shown) + tail
    return {
        "scheme": scheme,
        "hosts": hosts,
        "virtual_host": unquote(path[1:]) if path.startswith("/") else "",
        "query": query,
        "masked": masked,
        "passwords": sorted(passwords),
    }


# ---------------------------------------------------------------------------
# processes (/proc)
# ---------------------------------------------------------------------------

def parse_cmdline(raw):
    """``/proc/PID/cmdline`` bytes -> argv (str, undecodable bytes escaped).

    Empty for kernel threads and zombies.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if not raw:
        return []
    parts = raw.split(b"\0")
    if parts and parts[-1] == b"":
        parts.pop()
    return [p.decode("utf-8", "surrogateescape") for p in parts]


def parse_proc_stat(text):
    """``/proc/PID/stat`` -> ``{pid, comm, state, ppid}``.

    The command name sits between the first ``(`` and the *last* ``)``; it
    may itself contain spaces and parentheses.
    """
    head, sep, tail = text.rpartition(")")
    pid, open_paren, comm = head.partition("(")
    fields = tail.split()
    if not sep or not open_paren or len(fields) < 2 or not pid.strip().isdigit():
        raise HealthParseError("not a /proc/PID/stat line: %r" % text[:100])
    return {"pid": int(pid), "comm": comm, "state": fields[0], "ppid": int(fields[1])}


def process_start_time(stat_text, proc_stat_text, clock_ticks):
    """When a process started, in seconds since the epoch.

    ``/proc/PID/stat`` field 22 is the start time in clock ticks after boot;
    ``/proc/stat``'s ``btime`` is the boot time.  None when either is missing.
    """
    fields = stat_text.rpartition(")")[2].split()
    match = re.search(r"^btime (\d+)$", proc_stat_text, re.M)
    if len(fields) < 20 or not fields[19].isdigit() or not match:
        return None
    return int(match.group(1)) + int(fields[19]) / float(clock_ticks)


def _utc(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def process_table(entries, own_ns=None):
    """``[(stat_text, cmdline_bytes, ns_link)]`` -> list of process dicts.

    Each dict: ``pid``, ``ppid``, ``comm``, ``state``, ``argv``, ``ns`` and
    ``foreign``: the process lives in another PID namespace than ``own_ns``
    (a container's, seen from the host), so it belongs to another "node"
    and is never taken for this node's daemons or guests.  Entries whose
    stat does not parse (a process that ended mid-read) are left out.
    """
    table = []
    for stat, cmdline, ns_link in entries:
        try:
            proc = parse_proc_stat(stat)
        except HealthParseError:
            continue
        proc["argv"] = parse_cmdline(cmdline)
        proc["ns"] = ns_link
        proc["foreign"] = bool(own_ns and ns_link and ns_link != own_ns)
        table.append(proc)
    return table


def _basename(path):
    return path.rstrip("/").rpartition("/")[2]


def command_name(proc):
    """The program a process runs: argv[0]'s basename, or the script's for
    an interpreter (``python3 /usr/bin/nova-compute``), else the comm."""
    argv = proc.get("argv") or []
    if not argv:
        return proc.get("comm", "")
    name = _basename(argv[0].split(" ")[0])
    if re.match(r"^(?:python[0-9.]*|platform-python)$", name):
        args = iter(argv[1:])
        for arg in args:
            if arg == "-c":
                break
            if arg == "-m":
                return next(args, name)
            if not arg.startswith("-"):
                return _basename(arg)
    return name


def find_processes(table, names):
    """Live processes (not zombies) of this PID namespace whose command is one of ``names``."""
    return [p for p in table if p["state"] != "Z" and not p.get("foreign") and command_name(p) in names]


def descendants(table, root):
    """PIDs of ``root`` and all its descendants."""
    children = {}
    for proc in table:
        children.setdefault(proc["ppid"], []).append(proc["pid"])
    seen, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(children.get(pid, []))
    return seen


def parse_qemu_opts(text, implied=None):
    """QEMU's ``key=value,key=value`` option string (``,,`` is a literal comma).

    A first element without ``=`` is the value of the ``implied`` key.
    """
    items, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == ",":
            if text[i + 1:i + 2] == ",":
                current.append(",")
                i += 2
                continue
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    items.append("".join(current))
    opts = {}
    for index, item in enumerate(items):
        key, sep, value = item.partition("=")
        if not sep:
            if index == 0 and implied:
                opts[implied] = item
            continue
        opts.setdefault(key, value)
    return opts


def _arg_after(argv, flag):
    for index, arg in enumerate(argv[:-1]):
        if arg in (flag, "-" + flag):
            return argv[index + 1]
    return None


def parse_qemu_argv(argv):
    """A guest's QEMU command line -> ``{binary, name, uuid, accel}``, else None.

    libvirt starts QEMU with ``-name guest=NAME,debug-threads=on`` (commas in
    NAME doubled), ``-uuid`` and ``-accel kvm|tcg``; older command lines use
    ``-machine ...,accel=`` or ``-enable-kvm``.  ``name`` is None for a QEMU
    started without ``-name``.
    """
    if not argv or not QEMU_BINARY_RE.match(_basename(argv[0])):
        return None
    name = _arg_after(argv, "-name")
    accel = None
    accel_arg = _arg_after(argv, "-accel")
    if accel_arg:
        accel = parse_qemu_opts(accel_arg, implied="accel").get("accel")
    if accel is None:
        machine = _arg_after(argv, "-machine") or _arg_after(argv, "-M")
        if machine:
            accel = parse_qemu_opts(machine, implied="type").get("accel")
    if accel is None and ("-enable-kvm" in argv or "--enable-kvm" in argv):
        accel = "kvm"
    return {
        "binary": argv[0],
        "name": parse_qemu_opts(name, implied="guest").get("guest") if name is not None else None,
        "uuid": _arg_after(argv, "-uuid"),
        "accel": accel.split(":")[0] if accel else None,
    }


def qemu_processes(table):
    """Guests' QEMU processes from the process table.

    Returns ``{"guests": [...], "defunct": [...], "other_namespaces": [...]}``:
    live QEMU processes in this PID namespace (``pid``, ``name``, ``uuid``,
    ``accel``, ``binary``), zombie QEMU processes (``pid``: the guest is gone,
    its parent has not reaped it), and QEMU processes of other PID namespaces
    (a container's libvirt, which this node's libvirt does not manage).
    """
    guests, defunct, others = [], [], []
    for proc in table:
        if proc["state"] == "Z":
            if not proc.get("foreign") and (QEMU_BINARY_RE.match(proc["comm"])
                                            or proc["comm"].startswith("qemu-system-")):
                defunct.append({"pid": proc["pid"], "comm": proc["comm"]})
            continue
        qemu = parse_qemu_argv(proc["argv"])
        if qemu is None:
            continue
        qemu = dict(qemu, pid=proc["pid"])
        if proc.get("foreign"):
            others.append(qemu)
        else:
            guests.append(qemu)
    return {"guests": sorted(guests, key=_by_name_pid), "defunct": defunct,
            "other_namespaces": sorted(others, key=_by_name_pid)}


def _by_name_pid(qemu):
    return (qemu["name"] or "", qemu["pid"])


def guests_by_accel(qemu):
    """``{"kvm": 2, "tcg": 1}``: how many guests run with each accelerator."""
    counts = {}
    for guest in qemu["guests"]:
        accel = guest["accel"] or "unknown"
        counts[accel] = counts.get(accel, 0) + 1
    return counts


def service_processes(table, unit, command):
    """``[{pid, name}]`` of a service: its unit's main PID and descendants.

    ``unit``: its ``systemctl show`` properties, or None without systemd; then
    (or when the unit reports no main PID) the processes running ``command``
    in this PID namespace and their descendants.  Main processes first.
    """
    by_pid = {p["pid"]: p for p in table}
    main = 0
    if unit and unit.get("ActiveState") in ("active", "activating", "reloading", "deactivating"):
        # ExecMainPID still names the process that exited (auto-restart): only a live one counts
        for key in ("MainPID", "ExecMainPID"):
            value = unit.get(key) or "0"
            if value.isdigit() and int(value) in by_pid and by_pid[int(value)]["state"] != "Z":
                main = int(value)
                break
    roots = [main] if main else [p["pid"] for p in find_processes(table, (command,))]
    pids = set()
    for root in roots:
        pids |= descendants(table, root)
    ordered = sorted(pids, key=lambda pid: (pid not in roots, pid))
    return [{"pid": pid, "name": command_name(by_pid[pid])} for pid in ordered]


def parse_cpu_virt_flag(cpuinfo):
    """``vmx`` (Intel VT-x) or ``svm`` (AMD-V) from /proc/cpuinfo's flags, else None."""
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            flags = value.split()
            for flag in ("vmx", "svm"):
                if flag in flags:
                    return flag
            return None
    return None


# ---------------------------------------------------------------------------
# systemd
# ---------------------------------------------------------------------------

def systemctl_show_argv(systemctl, units):
    return [systemctl, "show", "--property=" + ",".join(SYSTEMCTL_PROPERTIES), "--"] + list(units)


def unit_name(name):
    """``nova-compute`` -> ``nova-compute.service`` (systemctl's own default)."""
    return name if re.search(r"\.(service|socket|target|timer|path|mount|scope|slice)$", name) else name + ".service"


def parse_systemctl_show(text):
    """``systemctl show`` for several units -> ``{Id: {Property: value}}``.

    systemctl prints one block of ``Key=Value`` lines per unit, blocks
    separated by an empty line, in the order the units were given.  A unit
    that does not exist still gets a block (``LoadState=not-found``).
    """
    units = {}
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        props = {}
        for line in block.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                props[key] = value
        if props:
            if "Id" not in props:
                raise HealthParseError("systemctl show block without Id: %r" % block[:200])
            units[props["Id"]] = props
    return units


def unit_summary(props):
    """The evidence kept for one unit (PIDs as int, empty values dropped)."""
    if props is None:
        return None
    out = {}
    for key in SYSTEMCTL_PROPERTIES:
        value = props.get(key)
        if value in (None, "", "[not set]"):
            continue
        if key in ("MainPID", "ExecMainPID", "ExecMainStatus", "NRestarts") and value.isdigit():
            value = int(value)
        out[key] = value
    return out


def choose_libvirt_units(units):
    """Auto-detect monolithic libvirtd or modular virtqemud from their units.

    The active family wins; else the enabled one; else whichever is installed
    (libvirtd first, the default of Debian 12 and EL 8).  Returns the unit
    names to judge.
    """
    def loaded(name):
        return units.get(name, {}).get("LoadState") == "loaded"

    def any_state(names, key, values):
        return any(units.get(n, {}).get(key) in values for n in names)

    for key, values in (("ActiveState", ("active", "activating", "reloading")),
                        ("UnitFileState", ("enabled", "enabled-runtime", "static", "indirect"))):
        if any_state(MODULAR_UNITS, key, values) and not any_state(MONOLITHIC_UNITS, key, values):
            return list(MODULAR_UNITS)
        if any_state(MONOLITHIC_UNITS, key, values):
            return list(MONOLITHIC_UNITS)
    if not any(loaded(n) for n in MONOLITHIC_UNITS) and any(loaded(n) for n in MODULAR_UNITS):
        return list(MODULAR_UNITS)
    return list(MONOLITHIC_UNITS)


# ---------------------------------------------------------------------------
# sockets: ss and /proc/PID/net/tcp
# ---------------------------------------------------------------------------

def normalize_ip(text):
    """``[::ffff:10.0.0.1]`` / ``10.0.0.1%eth0`` / ``::1`` -> canonical IP text.

    IPv4-mapped IPv6 addresses become plain IPv4.  Returns the input for
    anything that is not an address (``*``).
    """
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.partition("%")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _split_endpoint(text):
    host, sep, port = text.rpartition(":")
    if not sep:
        raise HealthParseError("no port in %r" % text)
    return normalize_ip(host), (int(port) if port.isdigit() else None)


SS_USER_RE = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)')


def parse_ss(text):
    """``ss -tnpH`` -> list of TCP connections.

    Each: ``state`` (``ESTAB``, ``SYN-SENT``...), ``local``/``peer``
    (``{ip, port}``), ``processes`` (``[{name, pid, fd}]``, empty when ss
    could not see the owner).  A header line (ss without ``-H``) is skipped.
    """
    conns = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("State ") or line.startswith("Recv-Q"):
            continue
        fields = line.split(None, 5)
        if len(fields) < 5 or not fields[1].isdigit():
            raise HealthParseError("not an ss -tn line: %r" % line)
        local_ip, local_port = _split_endpoint(fields[3])
        peer_ip, peer_port = _split_endpoint(fields[4])
        rest = fields[5] if len(fields) > 5 else ""
        processes = [{"name": m.group(1), "pid": int(m.group(2)), "fd": int(m.group(3))}
                     for m in SS_USER_RE.finditer(rest)]
        conns.append({
            "state": fields[0],
            "local": {"ip": local_ip, "port": local_port},
            "peer": {"ip": peer_ip, "port": peer_port},
            "processes": processes,
        })
    return conns


def _hex_ip(text):
    raw = bytes.fromhex(text)
    # the kernel prints each 32-bit word in host (little-endian) order
    words = [raw[i:i + 4][::-1] for i in range(0, len(raw), 4)]
    return normalize_ip(str(ipaddress.ip_address(b"".join(words))))


def parse_proc_net_tcp(text):
    """``/proc/PID/net/tcp`` or ``tcp6`` -> list of ``{state, local, peer, inode}``.

    Addresses are hex in the host's (little-endian) word order; states use
    ss's names.
    """
    conns = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 10 or not fields[0].endswith(":"):
            raise HealthParseError("not a /proc/net/tcp line: %r" % line)
        local, peer = fields[1].split(":"), fields[2].split(":")
        conns.append({
            "state": TCP_STATES.get(int(fields[3], 16), fields[3]),
            "local": {"ip": _hex_ip(local[0]), "port": int(local[1], 16)},
            "peer": {"ip": _hex_ip(peer[0]), "port": int(peer[1], 16)},
            "inode": int(fields[9]),
        })
    return conns


def socket_inodes(fd_links):
    """``{fd: link target}`` of /proc/PID/fd -> ``{inode: fd}`` of its sockets."""
    inodes = {}
    for fd, target in fd_links.items():
        match = re.match(r"^socket:\[(\d+)\]$", target or "")
        if match:
            inodes[int(match.group(1))] = int(fd)
    return inodes


def proc_connections(pid, name, net_tcp_texts, fd_links):
    """The TCP connections process ``pid`` holds, from its net/tcp{,6} and fds.

    Same shape as ``parse_ss``; every socket of the network namespace is in
    net/tcp, so only those whose inode is one of the process's fds are kept.
    """
    inodes = socket_inodes(fd_links)
    conns = []
    for text in net_tcp_texts:
        for conn in parse_proc_net_tcp(text or ""):
            fd = inodes.get(conn.pop("inode"))
            if fd is not None:
                conn["processes"] = [{"name": name, "pid": pid, "fd": fd}]
                conns.append(conn)
    return conns


def broker_connections(conns, brokers, pids):
    """Connections of ``pids`` to any broker endpoint.

    ``brokers``: ``[{host, port, addresses}]`` (addresses already resolved).
    Returns ``[{broker, state, local, peer, pid}]``, ESTABLISHED first.
    """
    pids = set(pids)
    found = []
    for conn in conns:
        owners = [p["pid"] for p in conn["processes"] if p["pid"] in pids]
        if not owners:
            continue
        for broker in brokers:
            if conn["peer"]["port"] == broker["port"] and conn["peer"]["ip"] in broker["addresses"]:
                found.append({
                    "broker": "%s:%s" % (broker["host"], broker["port"]),
                    "state": conn["state"],
                    "local": "%s:%s" % (conn["local"]["ip"], conn["local"]["port"]),
                    "peer": "%s:%s" % (conn["peer"]["ip"], conn["peer"]["port"]),
                    "pid": owners[0],
                })
                break
    found.sort(key=lambda c: (c["state"] != "ESTAB", c["broker"], c["local"]))
    return found


# ---------------------------------------------------------------------------
# virsh
# ---------------------------------------------------------------------------

def parse_virsh_version(text):
    """``virsh version`` -> ``{compiled_against, library, api, hypervisor}``."""
    keys = {
        "Compiled against library": "compiled_against",
        "Using library": "library",
        "Using API": "api",
        "Running hypervisor": "hypervisor",
    }
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in keys:
            out[keys[key.strip()]] = value.strip()
    if "library" not in out:
        raise HealthParseError("no 'Using library:' in virsh version output: %r" % text[:200])
    return out


def is_local_uri(uri):
    """A libvirt URI whose daemon runs on this node (no host part)."""
    rest = uri.partition("://")[2] if "://" in uri else ""
    return rest.startswith("/") or rest == ""


# ---------------------------------------------------------------------------
# layer judgments
# ---------------------------------------------------------------------------

def judge_kvm(dev, virt_type, cpu_flag=None, modules=None, accels=None):
    """The ``kvm`` layer.

    ``dev``: ``{path, exists, usable, api_version, error}`` from opening
    /dev/kvm read-write (and KVM_GET_API_VERSION).  ``virt_type``: nova.conf's
    ``[libvirt] virt_type`` (None: unknown, nova.conf unreadable).
    ``accels``: accelerators of the running guests (``{"kvm": 2, "tcg": 1}``).
    """
    evidence = dict(dev)
    evidence.update({
        "virt_type": virt_type,
        "cpu_virt_flag": cpu_flag,
        "kernel_modules": sorted(modules or []),
        "guests_by_accel": dict(accels or {}),
    })
    usable = dev.get("usable")
    where = dev.get("path", "/dev/kvm")
    why = dev.get("error") or ("missing" if not dev.get("exists") else "not usable")
    if virt_type not in (None, "kvm", "qemu"):
        return layer("kvm", SKIPPED, "other_virt_type",
                     "virt_type = %s: KVM is not used" % virt_type, evidence)
    if usable:
        if virt_type == "qemu":
            return layer("kvm", OK, "tcg_by_choice",
                         "%s usable, but virt_type = qemu: guests run with TCG (software emulation)" % where,
                         evidence)
        return layer("kvm", OK, "kvm_usable", "%s usable (KVM API %s)" % (where, dev.get("api_version")), evidence)
    if virt_type == "qemu":
        return layer("kvm", OK, "tcg",
                     "no usable %s (%s); fine: virt_type = qemu, guests run with TCG" % (where, why), evidence)
    if virt_type is None:
        return layer("kvm", WARNING, "kvm_unusable_virt_type_unknown",
                     "no usable %s (%s); virt_type unknown (nova.conf not read)" % (where, why), evidence)
    return layer("kvm", FAILED, "kvm_unusable",
                 "virt_type = kvm but %s is not usable (%s)" % (where, why), evidence)


def judge_qemu(qemu, active_domains, compared_reason=None, crashed=None):
    """The ``qemu`` layer: one live QEMU process per active libvirt domain.

    ``qemu``: ``qemu_processes()`` output.  ``active_domains``: names libvirt
    lists as active (running or paused), or None when libvirt did not answer
    or is remote (``compared_reason`` says which).  ``crashed``: names of the
    domains libvirt keeps shut off because their QEMU died without shutting
    down (shut off, reason crashed: killed, out of memory, a QEMU bug).
    """
    guests = qemu["guests"]
    named = {}
    for guest in guests:
        named.setdefault(guest["name"], []).append(guest["pid"])
    evidence = {
        "processes": [{"name": g["name"], "pid": g["pid"], "uuid": g["uuid"], "accel": g["accel"]} for g in guests],
        "defunct": qemu["defunct"],
        "other_namespaces": [{"name": g["name"], "pid": g["pid"]} for g in qemu["other_namespaces"]],
        "libvirt_active": sorted(active_domains) if active_domains is not None else None,
    }
    count = "%d qemu process%s" % (len(guests), "" if len(guests) == 1 else "es")
    if active_domains is None:
        evidence["missing"] = evidence["unknown"] = evidence["crashed"] = None
        if guests:
            return layer("qemu", OK, "not_compared",
                         "%s running (guests alive); not compared with libvirt: %s" % (count, compared_reason),
                         evidence)
        return layer("qemu", OK, "not_compared",
                     "no qemu process; not compared with libvirt: %s" % compared_reason, evidence)
    missing = sorted(set(active_domains) - set(named))
    unknown = sorted(n for n in named if n not in active_domains)
    evidence["missing"] = missing
    evidence["unknown"] = [{"name": n, "pids": named[n]} for n in unknown]
    evidence["crashed"] = sorted(crashed or [])
    if missing:
        return layer("qemu", FAILED, "qemu_missing",
                     "libvirt lists %s as active but no qemu process runs for %s" % (
                         ", ".join(missing), "it" if len(missing) == 1 else "them"), evidence)
    if evidence["crashed"]:
        return layer("qemu", FAILED, "qemu_crashed",
                     "the qemu process of %s died: libvirt shows %s shut off (crashed)" % (
                         ", ".join(evidence["crashed"]), "it" if len(evidence["crashed"]) == 1 else "them"),
                     evidence)
    if unknown:
        return layer("qemu", WARNING, "qemu_unknown",
                     "%s; libvirt does not list %s" % (count, ", ".join(str(n) for n in unknown)), evidence)
    if not guests:
        return layer("qemu", OK, "no_guests", "no active domain, no qemu process", evidence)
    return layer("qemu", OK, "all_present",
                 "%s, one per active domain" % count, evidence)


def _unit_active(props):
    return bool(props) and props.get("ActiveState") in ("active", "reloading")


def judge_libvirt(uri, virsh, units=None, daemons=None):
    """The ``libvirt`` layer.

    ``virsh``: ``{answered, timed_out, rc, stderr, version, defined, active,
    missing_binary}`` from the one batched virsh run.  ``units``: ``{Id:
    props}`` of the chosen libvirt units, or None without systemd.
    ``daemons``: ``[{pid, name}]`` libvirt daemon processes found in /proc.
    """
    evidence = {
        "uri": uri,
        "answered": bool(virsh.get("answered")),
        "version": virsh.get("version"),
        "domains_defined": len(virsh["defined"]) if virsh.get("defined") is not None else None,
        "domains_active": virsh.get("active"),
        "units": {name: unit_summary(props) for name, props in (units or {}).items()} if units is not None else None,
        "daemon_processes": daemons or [],
    }
    if not virsh.get("answered"):
        evidence.update({"rc": virsh.get("rc"), "stderr": (virsh.get("stderr") or "").strip()})
    if virsh.get("missing_binary"):
        return layer("libvirt", FAILED, "virsh_missing",
                     "virsh not found (install libvirt-clients)", evidence)
    if virsh.get("answered"):
        version = virsh.get("version") or {}
        active = virsh.get("active") or []
        return layer("libvirt", OK, "answering",
                     "libvirt answers on %s (%s, %s); %d of %d domains active" % (
                         uri, "libvirt " + version.get("library", "?").replace("libvirt ", ""),
                         version.get("hypervisor", "hypervisor unknown"), len(active),
                         len(virsh.get("defined") or [])), evidence)
    if virsh.get("timed_out"):
        return layer("libvirt", FAILED, "timeout",
                     "libvirt does not answer on %s within %ss" % (uri, virsh.get("timeout")), evidence)
    if units is not None:
        loaded = {n: p for n, p in units.items() if p.get("LoadState") == "loaded"}
        if not loaded:
            return layer("libvirt", FAILED, "not_installed",
                         "no libvirt daemon unit (%s) on this node" % ", ".join(sorted(units)), evidence)
        failed = sorted(n for n, p in loaded.items() if p.get("ActiveState") == "failed")
        if failed:
            return layer("libvirt", FAILED, "unit_failed",
                         "%s failed (Result=%s); virsh -c %s does not answer" % (
                             ", ".join(failed), loaded[failed[0]].get("Result"), uri), evidence)
        if not any(_unit_active(p) for p in loaded.values()):
            return layer("libvirt", FAILED, "down",
                         "%s inactive; virsh -c %s does not answer" % (" and ".join(sorted(loaded)), uri),
                         evidence)
    elif not daemons:
        return layer("libvirt", FAILED, "down",
                     "no libvirt daemon process (%s); virsh -c %s does not answer" % (
                         "/".join(LIBVIRT_DAEMONS), uri), evidence)
    return layer("libvirt", FAILED, "not_answering",
                 "libvirt daemon active but virsh -c %s fails: %s" % (
                     uri, first_line(virsh.get("stderr")) or "rc=%s" % virsh.get("rc")), evidence)


def first_line(text):
    """The first non-blank line of ``text``, stripped ('' if none)."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def judge_nova_compute(unit_id, unit, processes, nova_conf, bus, times=None):
    """The ``nova_compute`` layer: the unit runs and holds a message-bus connection.

    ``unit``: systemctl show props of the service, or None without systemd.
    ``processes``: ``[{pid, name}]`` nova-compute processes (the unit's main
    PID and descendants, or found by name without systemd).
    ``nova_conf``: ``{path, readable, error}``.  ``bus``: ``{transport_url
    (masked), brokers: [{host, port, addresses, error}], connections}`` or
    None when transport_url could not be read (with ``bus_error``).
    ``times``: ``{nova_conf_changed, started}`` (seconds since the epoch, or
    None): nova.conf's mtime and when the running nova-compute started; a
    connected nova-compute older than its nova.conf is a warning (the change
    is not in effect until a restart).
    """
    evidence = {
        "unit": unit_id,
        "state": unit_summary(unit),
        "processes": processes,
        "nova_conf": nova_conf,
        "transport_url": (bus or {}).get("transport_url"),
        "brokers": (bus or {}).get("brokers"),
        "connections": (bus or {}).get("connections"),
        "connected": None,
    }
    if bus and bus.get("error"):
        evidence["transport_url_error"] = bus["error"]
    conns = (bus or {}).get("connections") or []
    established = [c for c in conns if c["state"] == "ESTAB"]
    judged = bus is not None and not bus.get("error") and bus.get("brokers") is not None
    if judged:
        evidence["connected"] = bool(established)
    brokers = ", ".join("%s:%s" % (b["host"], b["port"]) for b in (bus or {}).get("brokers") or []) or "?"
    if established:
        via = "connected to RabbitMQ at %s" % ", ".join(sorted({c["broker"] for c in established}))
    else:
        via = "no connection to RabbitMQ at %s" % brokers

    if unit is not None:
        state = unit.get("ActiveState")
        if unit.get("LoadState") != "loaded":
            code = "not_installed" if unit.get("LoadState") == "not-found" else "unit_not_loaded"
            return layer("nova_compute", FAILED, code,
                         "%s is not installed here (LoadState=%s)" % (unit_id, unit.get("LoadState")), evidence)
        if state == "failed":
            return layer("nova_compute", FAILED, "unit_failed",
                         "%s failed: %s" % (unit_id, result_text(unit)), evidence)
        if state == "activating":
            restarts = unit.get("NRestarts") or "0"
            restarts = int(restarts) if restarts.isdigit() else 0
            if unit.get("SubState") == "auto-restart":
                return layer("nova_compute", FAILED, "restarting",
                             "%s %s; systemd restarts it (%d restarts so far)" % (
                                 unit_id, result_text(unit), restarts), evidence)
            if restarts and not established:
                return layer("nova_compute", FAILED, "restarting",
                             "%s starting again after %d restarts, no message-bus connection" % (unit_id, restarts),
                             evidence)
            if not judged:
                detail = "message-bus connection not judged: %s" % _bus_unknown_reason(bus, nova_conf)
            else:
                detail = via + (": waiting for nova-conductor" if established else "")
            return layer("nova_compute", FAILED, "activating",
                         "%s activating (%s) since %s: %s" % (
                             unit_id, unit.get("SubState"), unit.get("StateChangeTimestamp") or "?", detail),
                         evidence)
        if state == "deactivating":
            return layer("nova_compute", FAILED, "stopping", "%s is stopping" % unit_id, evidence)
        if state != "active" or not processes:
            return layer("nova_compute", FAILED, "not_running",
                         "%s not running (ActiveState=%s, SubState=%s)" % (unit_id, state, unit.get("SubState")),
                         evidence)
    elif not processes:
        if not nova_conf.get("exists", True):
            return layer("nova_compute", FAILED, "not_installed",
                         "no nova-compute process and no %s: nova-compute is not installed here" % nova_conf["path"],
                         evidence)
        return layer("nova_compute", FAILED, "not_running",
                     "no nova-compute process (no systemd: judged from /proc)", evidence)

    running = "%s running (pid %d)" % (unit_id if unit is not None else NOVA_COMPUTE_COMMAND, processes[0]["pid"])
    if not judged:
        return layer("nova_compute", WARNING, "bus_unknown",
                     "%s; message-bus connection not judged: %s" % (running, _bus_unknown_reason(bus, nova_conf)),
                     evidence)
    if not established:
        return layer("nova_compute", FAILED, "no_bus_connection",
                     "running but has no message-bus connection (RabbitMQ at %s)" % brokers, evidence)
    changed, started = (times or {}).get("nova_conf_changed"), (times or {}).get("started")
    if changed is not None and started is not None:
        evidence["started"], evidence["nova_conf_changed"] = _utc(started), _utc(changed)
        if changed > started + RESTART_PENDING_SLACK:
            return layer("nova_compute", WARNING, "restart_pending",
                         "%s, %s; but %s changed at %s, after it started (%s): the change is not in effect" % (
                             running, via, nova_conf["path"], evidence["nova_conf_changed"], evidence["started"]),
                         evidence)
    return layer("nova_compute", OK, "connected", "%s, %s" % (running, via), evidence)


def result_text(unit):
    """``exited without telling systemd it was ready (Result=protocol, status 0)``."""
    result = unit.get("Result") or "?"
    return "%s (Result=%s, status %s)" % (RESULT_TEXT.get(result, result), result, unit.get("ExecMainStatus", "?"))


def _bus_unknown_reason(bus, nova_conf):
    return (bus or {}).get("error") or nova_conf.get("error") or "no transport_url"


def judge_control_plane(host, services=None, error=None, endpoint=None):
    """The ``control_plane`` layer: the Compute API's view of this host's nova-compute.

    ``services``: the ``os-services`` entries for ``binary=nova-compute`` and
    ``host``; ``error``: why the API could not be asked (then a warning: the
    node itself may be fine).  Call with neither to get the skipped layer.
    """
    evidence = {"host": host, "compute_endpoint": endpoint}
    if services is None and error is None:
        return layer("control_plane", SKIPPED, "no_credentials",
                     "no API credentials given (auth_url or cloud)", evidence)
    if error is not None:
        evidence["error"] = error
        return layer("control_plane", WARNING, "api_error", "Compute API not asked: %s" % error, evidence)
    if not services:
        evidence["service"] = None
        return layer("control_plane", FAILED, "not_registered",
                     "the Compute API knows no nova-compute service on host %s" % host, evidence)
    svc = services[0]
    keep = ("id", "host", "zone", "state", "status", "updated_at", "disabled_reason", "forced_down")
    evidence["service"] = {k: svc.get(k) for k in keep}
    when = svc.get("updated_at") or "never"
    if svc.get("forced_down"):
        return layer("control_plane", FAILED, "forced_down",
                     "nova-compute on %s is forced down (last update %s)" % (host, when), evidence)
    if svc.get("state") != "up":
        return layer("control_plane", FAILED, "service_down",
                     "the Compute API reports nova-compute on %s %s (last update %s)" % (
                         host, svc.get("state"), when), evidence)
    if svc.get("status") != "enabled":
        reason = svc.get("disabled_reason") or "no reason given"
        # Nova disables the service by itself ("AUTO: ...") when it loses libvirt.
        status = FAILED if reason.startswith("AUTO:") else WARNING
        return layer("control_plane", status, "service_disabled",
                     "nova-compute on %s is up but disabled (%s)" % (host, reason), evidence)
    return layer("control_plane", OK, "up",
                 "the Compute API reports nova-compute on %s up and enabled (last update %s)" % (host, when),
                 evidence)


# ---------------------------------------------------------------------------
# diagnosis
# ---------------------------------------------------------------------------

def _guests_running(layers):
    qemu = layers.get("qemu") or {}
    processes = (qemu.get("evidence") or {}).get("processes") or []
    return [{"name": p["name"], "pid": p["pid"]} for p in processes]


def _units_text(ev, suffix):
    names = sorted((ev.get("units") or {}).keys())
    wanted = [n for n in names if n.endswith(suffix)]
    return " ".join(wanted)


def _action(name, code, ev, ctx):
    """(explanation, action) for a failed or warning layer."""
    service = ctx.get("service") or "nova-compute"
    service_short = service[:-len(".service")] if service.endswith(".service") else service
    guests = "running guests are not affected"
    if name == "kvm":
        flag = ev.get("cpu_virt_flag")
        mods = ev.get("kernel_modules") or []
        if not ev.get("exists"):
            if not mods:
                fix = "load the KVM module (modprobe kvm_intel or kvm_amd)"
                if flag is None:
                    fix += "; the CPU shows no vmx/svm flag: enable virtualization in the firmware"
            else:
                fix = "KVM modules %s are loaded but %s is missing: check udev and the kernel log" % (
                    ", ".join(mods), ev.get("path"))
        else:
            fix = "check %s's permissions and the kernel log (dmesg | grep -i kvm)" % ev.get("path")
        if code == "kvm_unusable_virt_type_unknown":
            return ("KVM is not usable and nova.conf could not be read to tell whether Nova needs it",
                    fix + ", or set [libvirt] virt_type = qemu (slow software emulation)")
        return ("Nova is set to virt_type = kvm but this node cannot run KVM guests: new guests fail to start",
                fix + ", or set [libvirt] virt_type = qemu (slow software emulation)")
    if name == "qemu":
        if code == "qemu_missing":
            missing = ev.get("missing") or []
            return ("libvirt believes %s running, but no qemu process exists: the guest is gone" % ", ".join(missing),
                    "read /var/log/libvirt/qemu/%s.log, then virsh destroy and start the domain "
                    "(or openstack server reboot --hard)" % (missing[0] if missing else "DOMAIN"))
        if code == "qemu_crashed":
            crashed = ev.get("crashed") or []
            return ("the guest %s is down: its qemu process died without a shutdown (killed, out of memory "
                    "or a QEMU fault); the other guests are not affected" % ", ".join(crashed),
                    "read /var/log/libvirt/qemu/%s.log and the kernel log (dmesg | grep -iE 'oom|killed'), then "
                    "start it again: openstack server start (virsh start for a domain Nova does not manage)"
                    % (crashed[0] if crashed else "DOMAIN"))
        unknown = ", ".join(u["name"] or "?" for u in ev.get("unknown") or [])
        return ("qemu processes run that this node's libvirt does not list (%s): another libvirt instance "
                "or a leftover" % unknown,
                "compare with virsh list --all and ps; do not kill a guest that Nova still tracks")
    if name == "libvirt":
        uri = ev.get("uri")
        units = ev.get("units")
        sockets = _units_text(ev, ".socket")
        services = _units_text(ev, ".service")
        if code == "virsh_missing":
            return ("virsh is not installed, so libvirt could not be asked",
                    "install libvirt-clients (Debian) / libvirt-client (EL)")
        if code == "not_installed":
            return ("libvirt is not installed on this node",
                    "install and configure it with the novaops.compute.nova_compute role")
        if code == "timeout":
            return ("libvirt's daemon accepts connections but does not answer: it hangs",
                    "journalctl -u %s; then systemctl restart %s (%s)" % (services or "libvirtd", services or "libvirtd",
                                                                          guests))
        if code == "unit_failed":
            return ("libvirt's daemon failed, so Nova cannot manage guests; running guests keep running",
                    "journalctl -u %s; then systemctl restart %s (%s)" % (services, services, guests))
        if code == "down":
            if units is None:
                return ("no libvirt daemon runs, so Nova cannot manage guests; running guests keep running",
                        "start libvirtd (no systemd here: libvirtd -d) (%s)" % guests)
            return ("libvirt's daemon and its sockets are stopped, so Nova cannot manage guests; "
                    "running guests keep running",
                    "start libvirt's sockets: systemctl start %s (%s)" % (sockets or services, guests))
        return ("libvirt's daemon runs but virsh -c %s fails: %s" % (uri, first_line(ev.get("stderr"))),
                "check the URI and permissions (virsh -c %s version as root) and journalctl -u %s" % (
                    uri, services or "libvirtd"))
    if name == "nova_compute":
        brokers = ", ".join("%s:%s" % (b["host"], b["port"]) for b in ev.get("brokers") or []) or "the message bus"
        unreachable = ("RabbitMQ at %s unreachable from this node: check the broker and "
                       "nova_compute_transport_url" % brokers)
        errors = ["%s: %s" % (b["host"], b["error"]) for b in ev.get("brokers") or [] if b.get("error")]
        if errors:
            unreachable += " (name resolution: %s)" % "; ".join(errors)
        if code == "not_installed":
            return ("nova-compute is not installed or not configured on this node",
                    "apply the novaops.compute.nova_compute role to this node")
        if code == "unit_not_loaded":
            return ("the %s unit could not be loaded" % service,
                    "systemctl status %s; systemctl daemon-reload" % service)
        if code == "not_running":
            if ev.get("state") is None:
                return ("nova-compute is not running (no systemd here); running guests keep running",
                        "start nova-compute the way this node runs its services (%s)" % guests)
            return ("nova-compute is stopped: the cloud cannot schedule to or manage guests on this node; "
                    "running guests keep running",
                    "start nova-compute: systemctl start %s (%s)" % (service_short, guests))
        if code == "unit_failed":
            return ("nova-compute failed and systemd does not restart it; running guests keep running",
                    "journalctl -u %s -n 50 and /var/log/nova/nova-compute.log show why it exits "
                    "(often nova.conf); fix it, then systemctl restart %s (%s)" % (
                        service_short, service_short, guests))
        if code == "restarting":
            return ("nova-compute exits soon after each start and systemd keeps restarting it",
                    "journalctl -u %s -n 50 and /var/log/nova/nova-compute.log show why it exits "
                    "(often nova.conf); fix it, then systemctl restart %s (%s)" % (
                        service_short, service_short, guests))
        if code == "stopping":
            return ("nova-compute is stopping", "wait, then systemctl status %s" % service_short)
        if code == "activating":
            if ev.get("connected") is None:
                return ("nova-compute is starting (the unit is Type=notify: it stays activating until it reaches "
                        "nova-conductor); its message-bus connection could not be judged",
                        "run the check as root (become: true) so nova.conf can be read")
            if ev.get("connected"):
                return ("nova-compute reached RabbitMQ but is still waiting for nova-conductor to answer "
                        "(the unit is Type=notify: it stays activating until then)",
                        "check nova-conductor on the control plane (openstack compute service list; "
                        "journalctl -u nova-conductor) and that it uses the same transport_url")
            return ("nova-compute is starting but cannot reach the message bus "
                    "(the unit is Type=notify: it stays activating until it reaches nova-conductor)",
                    unreachable)
        if code == "no_bus_connection":
            return ("nova-compute runs but holds no connection to the message bus: the control plane cannot "
                    "reach it", unreachable)
        if code == "restart_pending":
            return ("nova-compute runs with an older nova.conf than the one on disk (%s changed at %s, after "
                    "nova-compute started at %s): the change takes effect at the next restart" % (
                        (ev.get("nova_conf") or {}).get("path"), ev.get("nova_conf_changed"), ev.get("started")),
                    "review the change (a hand edit? ansible-playbook playbooks/site.yml --check --diff shows it), "
                    "then apply the managed file with site.yml, which restarts nova-compute only if needed")
        if code == "bus_unknown":
            return ("nova-compute runs, but its message-bus connection could not be judged",
                    "run the check as root (become: true) so nova.conf can be read")
    if name == "control_plane":
        host = ev.get("host")
        if code == "not_registered":
            return ("the Compute API has no nova-compute service for host %s" % host,
                    "check that [DEFAULT] host matches the host name the cloud expects, that nova-compute "
                    "reached nova-conductor, then nova-manage cell_v2 discover_hosts on the controller")
        if code == "forced_down":
            return ("nova-compute on %s is forced down in the Compute API (an operator or a fencing tool set it)"
                    % host, "once the node is fine: openstack compute service set --up %s nova-compute" % host)
        if code == "service_down":
            explanation = "the control plane sees nova-compute on %s as down" % host
            if ctx.get("below_ok"):
                explanation += " although the layers on this node look fine"
            return (explanation,
                    "nova-compute reports its state through RabbitMQ and nova-conductor: check nova-conductor "
                    "and the clocks (NTP) of node and controllers")
        if code == "service_disabled":
            svc = ev.get("service") or {}
            return ("nova-compute on %s is disabled (%s): no new guests are scheduled here" % (
                host, svc.get("disabled_reason") or "no reason given"),
                "openstack compute service set --enable %s nova-compute (once the reason is fixed)" % host)
        if code == "api_error":
            return ("the Compute API could not be asked: %s" % ev.get("error"),
                    "check auth_url, the credentials and the region")
    return ("%s: %s" % (name, code), None)


def diagnose(layers, service="nova-compute"):
    """Name the lowest failed layer, why, and what to do.

    ``layers``: ``{name: layer}`` (any subset of LAYERS).  Returns
    ``{failed_layer, explanation, action, warnings, guests_running}``;
    ``failed_layer`` is None when no layer failed (warnings do not make a
    node unhealthy; they are listed by name).
    """
    ordered = [layers[n] for n in LAYERS if n in layers]
    failed = [lay for lay in ordered if lay["status"] == FAILED]
    warnings = [lay["name"] for lay in ordered if lay["status"] == WARNING]
    guests = _guests_running(layers)
    if failed:
        first = failed[0]
        below_ok = all(lay["status"] in (OK, SKIPPED, WARNING) for lay in ordered[:ordered.index(first)])
        explanation, action = _action(first["name"], first["code"], first["evidence"],
                                      {"service": service, "below_ok": below_ok})
        if guests and first["name"] in ("libvirt", "nova_compute"):
            explanation += " (%d guest%s still running in qemu)" % (len(guests), "" if len(guests) == 1 else "s")
        return {
            "failed_layer": first["name"],
            "explanation": explanation,
            "action": action,
            "warnings": warnings,
            "guests_running": guests,
        }
    if warnings:
        first = layers[warnings[0]]
        explanation, action = _action(first["name"], first["code"], first["evidence"], {"service": service})
        return {
            "failed_layer": None,
            "explanation": "no layer failed; warning on %s: %s" % (", ".join(warnings), explanation),
            "action": action,
            "warnings": warnings,
            "guests_running": guests,
        }
    skipped = [lay["name"] for lay in ordered if lay["status"] == SKIPPED]
    return {
        "failed_layer": None,
        "explanation": "every layer checked is healthy" + (" (skipped: %s)" % ", ".join(skipped) if skipped else ""),
        "action": None,
        "warnings": [],
        "guests_running": guests,
    }


# ---------------------------------------------------------------------------
# control plane (keystone v3 + Compute API), pure parts
# ---------------------------------------------------------------------------

AUTH_KEYS = (
    "auth_url", "username", "user_id", "password", "project_name", "project_id",
    "user_domain_name", "user_domain_id", "project_domain_name", "project_domain_id",
    "application_credential_id", "application_credential_name", "application_credential_secret",
)


def cloud_settings(clouds, cloud, secure=None):
    """Settings of one ``clouds.yaml`` entry, ``secure.yaml`` merged over it.

    ``clouds``/``secure``: the parsed YAML documents.  Returns ``{auth
    keys..., region_name, interface, verify, cacert, auth_type}``; raises
    KeyError naming the cloud when it is not defined.
    """
    entries = (clouds or {}).get("clouds") or {}
    if cloud not in entries:
        raise KeyError("cloud %r is not in clouds.yaml (defined: %s)" % (cloud, ", ".join(sorted(entries)) or "none"))
    entry = dict(entries[cloud] or {})
    extra = ((secure or {}).get("clouds") or {}).get(cloud) or {}
    auth = dict(entry.get("auth") or {})
    auth.update(extra.get("auth") or {})
    for key, value in extra.items():
        if key != "auth":
            entry[key] = value
    out = {k: auth.get(k) for k in AUTH_KEYS if auth.get(k) not in (None, "")}
    for key in ("region_name", "interface", "verify", "cacert", "auth_type"):
        if entry.get(key) not in (None, ""):
            out[key] = entry[key]
    return out


def tokens_url(auth_url):
    base = auth_url.rstrip("/")
    if not re.search(r"/v3$", base):
        base += "/v3"
    return base + "/auth/tokens"


def keystone_auth_body(settings):
    """The keystone v3 ``POST /auth/tokens`` body for password or application
    credential authentication, scoped to the project when one is named."""
    if settings.get("application_credential_secret"):
        cred = {"secret": settings["application_credential_secret"]}
        if settings.get("application_credential_id"):
            cred["id"] = settings["application_credential_id"]
        else:
            cred["name"] = settings.get("application_credential_name")
            cred["user"] = _named(settings, "username", "user_id", "user_domain")
        return {"auth": {"identity": {"methods": ["application_credential"], "application_credential": cred}}}
    user = _named(settings, "username", "user_id", "user_domain")
    user["password"] = settings.get("password")
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}
    if settings.get("project_id"):
        body["auth"]["scope"] = {"project": {"id": settings["project_id"]}}
    elif settings.get("project_name"):
        body["auth"]["scope"] = {"project": _named(settings, "project_name", "project_id", "project_domain")}
    return body


def _named(settings, name_key, id_key, domain_prefix):
    if settings.get(id_key):
        return {"id": settings[id_key]}
    out = {"name": settings.get(name_key)}
    if settings.get(domain_prefix + "_id"):
        out["domain"] = {"id": settings[domain_prefix + "_id"]}
    else:
        out["domain"] = {"name": settings.get(domain_prefix + "_name") or "Default"}
    return out


def find_endpoint(token_body, service_type="compute", interface="public", region=None):
    """The URL of ``service_type``'s endpoint in a keystone v3 token's catalog.

    Raises LookupError naming what is there when no endpoint matches.
    """
    interface = (interface or "public").replace("URL", "")
    catalog = ((token_body or {}).get("token") or {}).get("catalog") or []
    seen = []
    for service in catalog:
        if service.get("type") != service_type:
            continue
        for ep in service.get("endpoints") or []:
            ep_region = ep.get("region_id") or ep.get("region")
            seen.append("%s/%s" % (ep.get("interface"), ep_region))
            if ep.get("interface") == interface and (not region or ep_region == region):
                return ep["url"]
    if not seen:
        raise LookupError("the catalog has no %s service" % service_type)
    raise LookupError("no %s endpoint for interface %s%s (catalog has: %s)" % (
        service_type, interface, " in region %s" % region if region else "", ", ".join(sorted(seen))))


def services_url(endpoint, host):
    return endpoint.rstrip("/") + "/os-services?" + urlencode([("binary", "nova-compute"), ("host", host)])


def parse_os_services(body, host):
    """``GET /os-services`` JSON -> the nova-compute entries of ``host``."""
    services = (body or {}).get("services")
    if not isinstance(services, list):
        raise HealthParseError("no services list in the os-services answer")
    return [s for s in services if s.get("binary") == "nova-compute" and s.get("host") == host]


def api_error_message(status, body_text):
    """One line for an OpenStack API error answer (keystone and nova shapes)."""
    detail = ""
    try:
        data = json.loads(body_text or "{}")
        if isinstance(data, dict) and data:
            inner = next(iter(data.values()))
            if isinstance(inner, dict):
                detail = inner.get("message") or inner.get("title") or ""
    except ValueError:
        detail = first_line(body_text)[:200]
    return "HTTP %s%s" % (status, ": " + detail if detail else "")
