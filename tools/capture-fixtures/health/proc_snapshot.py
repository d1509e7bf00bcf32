"""Snapshot what node_health_info reads under /proc, as JSON on stdout.

Usage: python3 proc_snapshot.py [--deep PID]... [--match REGEX]...

Runs on the node (``podman exec -i C python3 - ARGS < proc_snapshot.py``
for a container).  For every process: ``stat`` (text), ``cmdline`` (bytes,
base64) and the ``ns/pid`` link.  With ``--match`` only processes whose
cmdline or stat (which holds the command name) matches one of the regexes are kept, plus their ancestors up to
PID 1 and their descendants (so PPid chains stay whole).  For each
``--deep`` PID and its descendants also every ``fd/*`` link and
``net/tcp`` / ``net/tcp6``.  Plus ``/proc/self/ns/pid`` of this process
(read as the module reads its own) and the first ``processor`` block of
``/proc/cpuinfo``.  Files that vanish while being read are left out.
"""

import base64
import json
import os
import re
import sys


def read(path, binary=False):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data if binary else data.decode("utf-8", "surrogateescape")


def link(path):
    try:
        return os.readlink(path)
    except OSError:
        return None


def main():
    deep, match = [], []
    args = sys.argv[1:]
    while args:
        opt = args.pop(0)
        if opt == "--deep":
            deep.append(args.pop(0))
        elif opt == "--match":
            match.append(re.compile(args.pop(0).encode()))
        else:
            sys.exit(__doc__)
    procs = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        stat = read("/proc/%s/stat" % name)
        cmdline = read("/proc/%s/cmdline" % name, binary=True)
        if stat is None or cmdline is None:
            continue
        procs[name] = {
            "stat": stat,
            "cmdline": base64.b64encode(cmdline).decode("ascii"),
            "ns_pid": link("/proc/%s/ns/pid" % name),
        }

    def ppid(pid):
        tail = procs[pid]["stat"].rsplit(")", 1)[1].split()
        return tail[1]

    children = {}
    for pid in procs:
        children.setdefault(ppid(pid), []).append(pid)

    def subtree(pid):
        out, todo = set(), [pid]
        while todo:
            cur = todo.pop()
            if cur in out or cur not in procs:
                continue
            out.add(cur)
            todo.extend(children.get(cur, []))
        return out

    if match:
        keep = set()
        for pid, info in procs.items():
            if pid == str(os.getpid()):
                continue
            text = base64.b64decode(info["cmdline"]) + b"\0" + info["stat"].encode("utf-8", "surrogateescape")
            if any(rx.search(text) for rx in match):
                keep |= subtree(pid)
                cur = pid
                while cur in procs:
                    keep.add(cur)
                    cur = ppid(cur)
        for pid in deep:
            keep |= subtree(pid)
        procs = {pid: info for pid, info in procs.items() if pid in keep}

    for root in deep:
        for pid in subtree(root):
            if pid not in procs:
                continue
            fds = {}
            try:
                names = os.listdir("/proc/%s/fd" % pid)
            except OSError:
                names = []
            for fd in names:
                target = link("/proc/%s/fd/%s" % (pid, fd))
                if target is not None:
                    fds[fd] = target
            procs[pid]["fd"] = fds
            procs[pid]["net_tcp"] = read("/proc/%s/net/tcp" % pid)
            procs[pid]["net_tcp6"] = read("/proc/%s/net/tcp6" % pid)

    cpuinfo = read("/proc/cpuinfo") or ""
    snapshot = {
        "self_ns_pid": link("/proc/self/ns/pid"),
        "cpuinfo": cpuinfo.split("\n\n", 1)[0] + "\n",
        "procs": dict(sorted(procs.items(), key=lambda kv: int(kv[0]))),
    }
    json.dump(snapshot, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
