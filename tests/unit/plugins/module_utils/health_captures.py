"""Readers of the real captures under tests/unit/fixtures/health/ (see the
VERSIONS.txt in each folder), shared by the tests of the node-side libraries.

host/ is this sandbox (no systemd, guests, a zombie QEMU, containers'
processes in other PID namespaces), bed/ the Molecule bed's compute1,
container/<scenario>/ a systemd container walked through faults.
"""

import base64
import json
import os

from ansible_collections.novaops.compute.plugins.module_utils import _proc as proc

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "health")


def text(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as f:
        return f.read()


def meta(*parts):
    """A command's captured rc/stderr: PARTS.json."""
    return json.loads(text(*parts[:-1], parts[-1] + ".json"))


def stdout(*parts):
    """A command's captured stdout: PARTS.txt."""
    return text(*parts[:-1], parts[-1] + ".txt")


def snapshot(where):
    """What the modules read under /proc on that node (proc.json)."""
    return json.loads(text(where, "proc.json"))


def table(where):
    """The snapshot's process table, as _proc.process_table builds it."""
    snap = snapshot(where)
    entries = [(p["stat"], base64.b64decode(p["cmdline"]), p["ns_pid"]) for p in snap["procs"].values()]
    return proc.process_table(entries, snap["self_ns_pid"])


def container(scenario):
    return os.path.join("container", scenario)
