# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ss -tnpH`` (iproute2): its output, its runner, and who holds which connection.

Without ss the same connections are read from ``/proc`` (``_proc``).
"""

from __future__ import annotations

import re

from ansible_collections.novaops.compute.plugins.module_utils._proc import (
    ProcParseError,
    normalize_ip,
    proc_connections,
)

SS_ARGS = ["-tnpH"]
# ss prints a process's name as /proc/PID/stat has it, up to its first ")",
# with no escaping: the name is everything up to '",pid='.
SS_USER_RE = re.compile(r'\("([^)]*)",pid=(\d+),fd=(\d+)\)')


class SsParseError(ValueError):
    """The text is not what ``ss -tn`` prints."""


def _split_endpoint(text):
    host, sep, port = text.rpartition(":")
    if not sep:
        raise SsParseError("no port in %r" % text)
    return normalize_ip(host), (int(port) if port.isdigit() else None)


def parse_ss(text):
    """``ss -tnpH`` -> list of TCP connections.

    Each: ``state`` (``ESTAB``, ``SYN-SENT``...), ``local``/``peer``
    (``{ip, port}``), ``processes`` (``[{name, pid, fd}]``, empty when ss
    could not see the owner).  A header line (ss without ``-H``) is skipped.
    """
    conns = []
    # "\n" only: ss prints a name holding \r or another of splitlines()'s breaks as it is
    for line in text.split("\n"):
        if not line.strip() or line.startswith("State ") or line.startswith("Recv-Q"):
            continue
        fields = line.split(None, 5)
        if len(fields) < 5 or not fields[1].isdigit():
            raise SsParseError("not an ss -tn line: %r" % line)
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


def read_connections(module, host, processes):
    """``(connections, source)``: every TCP connection from ``ss -tnpH``
    (source ``ss``), or, without a working ss, those of ``processes``
    (``[{pid, name}]``) from ``host``'s /proc (source ``/proc``)."""
    ss = module.get_bin_path("ss")
    if ss:
        rc, out, _err = module.run_command([ss] + SS_ARGS)
        if rc == 0:
            try:
                return parse_ss(out), "ss"
            except SsParseError:
                pass
    conns = []
    for proc in processes:
        try:
            conns.extend(proc_connections(proc["pid"], proc["name"], host.net_tcp(proc["pid"]),
                                          host.fd_links(proc["pid"])))
        except ProcParseError:
            continue
    return conns, "/proc"


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
