# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linux's ``/proc`` (and the node's other files): the formats and the reader.

The parsers are pure: text in, data out.  ``Host`` is the one place that
reads the node itself - ``/proc``, ``/dev/kvm``, ``/sys/module``, files, the
resolver - so unit tests replace it with a snapshot of a real node.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import re
import socket

KVM_GET_API_VERSION = 0xAE00

# The kernel's TCP states (include/net/tcp_states.h) under the names ss prints.
TCP_STATES = {
    1: "ESTAB", 2: "SYN-SENT", 3: "SYN-RECV", 4: "FIN-WAIT-1", 5: "FIN-WAIT-2",
    6: "TIME-WAIT", 7: "UNCONN", 8: "CLOSE-WAIT", 9: "LAST-ACK", 10: "LISTEN",
    11: "CLOSING", 12: "NEW-SYN-RECV",
}

QEMU_BINARY_RE = re.compile(r"^(?:qemu-system-[A-Za-z0-9_.-]+|qemu-kvm)$")
STARTTIME_FIELD = 19  # /proc/PID/stat field 22, counted after the command name


class ProcParseError(ValueError):
    """The text is not what the kernel prints in that /proc file."""


# ---------------------------------------------------------------------------
# processes: /proc/PID/{stat,cmdline}, /proc/stat
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
    """``/proc/PID/stat`` -> ``{pid, comm, state, ppid, starttime}``.

    The command name sits between the first ``(`` and the *last* ``)``; it
    may itself contain spaces and parentheses.  ``starttime`` is field 22,
    the start in clock ticks after boot (None when the line is shorter).
    """
    head, sep, tail = text.rpartition(")")
    pid, open_paren, comm = head.partition("(")
    fields = tail.split()
    if not sep or not open_paren or len(fields) < 2 or not pid.strip().isdigit():
        raise ProcParseError("not a /proc/PID/stat line: %r" % text[:100])
    start = fields[STARTTIME_FIELD] if len(fields) > STARTTIME_FIELD else ""
    return {"pid": int(pid), "comm": comm, "state": fields[0], "ppid": int(fields[1]),
            "starttime": int(start) if start.isdigit() else None}


def process_start_time(starttime, proc_stat_text, clock_ticks):
    """When a process started, in seconds since the epoch.

    ``starttime``: ``parse_proc_stat``'s (clock ticks after boot);
    ``/proc/stat``'s ``btime`` is the boot time.  None when either is missing.
    """
    match = re.search(r"^btime (\d+)$", proc_stat_text or "", re.M)
    if starttime is None or not match:
        return None
    return int(match.group(1)) + starttime / float(clock_ticks)


def process_table(entries, own_ns=None):
    """``[(stat_text, cmdline_bytes, ns_link)]`` -> list of process dicts.

    Each dict: ``parse_proc_stat``'s keys, ``argv``, ``ns`` and ``foreign``:
    the process lives in another PID namespace than ``own_ns`` (a
    container's, seen from the host), so it belongs to another "node" and is
    never taken for this node's daemons or guests.  Entries whose stat does
    not parse (a process that ended mid-read) are left out.
    """
    table = []
    for stat, cmdline, ns_link in entries:
        try:
            proc = parse_proc_stat(stat)
        except ProcParseError:
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


# ---------------------------------------------------------------------------
# QEMU command lines
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# /proc/cpuinfo
# ---------------------------------------------------------------------------

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
# sockets: /proc/PID/net/tcp{,6} and /proc/PID/fd
# ---------------------------------------------------------------------------

def normalize_ip(text):
    """``[::ffff:10.0.0.1]`` / ``10.0.0.1%eth0`` / ``[fe80::1]%eth0`` / ``::1`` -> canonical IP text.

    IPv4-mapped IPv6 addresses become plain IPv4; a zone (``%eth0``, which ss
    prints after the closing bracket) is dropped.  Returns the input
    unchanged for anything that is not an address (``*``), so it is
    idempotent.
    """
    address_text = text.strip()
    if address_text.startswith("["):
        inner, closed, rest = address_text[1:].partition("]")
        if closed and (rest == "" or rest.startswith("%")):
            address_text = inner
    try:
        address = ipaddress.ip_address(address_text.partition("%")[0])
    except ValueError:
        return text
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


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
            raise ProcParseError("not a /proc/net/tcp line: %r" % line)
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

    Same shape as ``_ss.parse_ss``; every socket of the network namespace is
    in net/tcp, so only those whose inode is one of the process's fds are kept.
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


# ---------------------------------------------------------------------------
# the reader
# ---------------------------------------------------------------------------

class Host:
    """Everything a module reads from the node itself, outside run_command.

    Raw text and bytes only; the functions above parse them.  One small seam:
    unit tests replace it with a snapshot of a real node.
    """

    proc = "/proc"

    def _read(self, path, binary=False):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        return data if binary else data.decode("utf-8", "surrogateescape")

    def _link(self, path):
        try:
            return os.readlink(path)
        except OSError:
            return None

    def pids(self):
        return sorted(int(n) for n in os.listdir(self.proc) if n.isdigit())

    def process_entry(self, pid):
        """(stat text, cmdline bytes, PID namespace link) of one process; stat None when it is gone."""
        base = "%s/%d/" % (self.proc, pid)
        return self._read(base + "stat"), self._read(base + "cmdline", binary=True), self._link(base + "ns/pid")

    def own_pid_ns(self):
        return self._link(self.proc + "/self/ns/pid")

    def fd_links(self, pid):
        base = "%s/%d/fd" % (self.proc, pid)
        try:
            names = os.listdir(base)
        except OSError:
            return {}
        links = {}
        for name in names:
            target = self._link(base + "/" + name)
            if target is not None:
                links[name] = target
        return links

    def net_tcp(self, pid):
        return [self._read("%s/%d/net/%s" % (self.proc, pid, n)) for n in ("tcp", "tcp6")]

    def stat(self):
        """/proc/stat (its btime dates the processes' start times), or None."""
        return self._read(self.proc + "/stat")

    def clock_ticks(self):
        return os.sysconf("SC_CLK_TCK")

    def cpuinfo(self):
        return self._read(self.proc + "/cpuinfo") or ""

    def kvm_modules(self):
        try:
            return sorted(n for n in os.listdir("/sys/module") if n == "kvm" or n.startswith("kvm_"))
        except OSError:
            return []

    def dev_kvm(self, path="/dev/kvm"):
        dev = {"path": path, "exists": os.path.exists(path), "usable": False, "api_version": None, "error": None}
        if not dev["exists"]:
            dev["error"] = "missing"
            return dev
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except OSError as exc:
            dev["error"] = "open read-write: %s" % exc.strerror
            return dev
        try:
            dev["api_version"] = fcntl.ioctl(fd, KVM_GET_API_VERSION)
        except OSError as exc:
            dev["error"] = "KVM_GET_API_VERSION: %s" % exc.strerror
        finally:
            os.close(fd)
        dev["usable"] = dev["api_version"] is not None and dev["api_version"] >= 12
        return dev

    def read_text(self, path):
        """(text, error); error is None on success."""
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace"), None
        except OSError as exc:
            return None, exc.strerror or str(exc)

    def exists(self, path):
        return os.path.exists(path)

    def mtime(self, path):
        try:
            return os.stat(path).st_mtime
        except OSError:
            return None

    def hostname(self):
        return socket.gethostname()

    def resolve(self, host, port):
        """(sorted addresses, error) from the system resolver."""
        try:
            infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, socket.herror, UnicodeError) as exc:
            return [], str(exc)
        return sorted({normalize_ip(info[4][0]) for info in infos}), None
