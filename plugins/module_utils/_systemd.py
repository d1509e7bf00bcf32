# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd: ``systemctl show`` (its command line, its output) and unit names.

Pure parsers, and ``show_units``, the one runner of ``systemctl show``.
"""

from __future__ import annotations

import re

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
# libvirt's two daemon layouts: monolithic libvirtd, or modular virtqemud
MONOLITHIC_UNITS = ("libvirtd.service", "libvirtd.socket")
MODULAR_UNITS = ("virtqemud.service", "virtqemud.socket")


class SystemctlParseError(ValueError):
    """The text is not what ``systemctl show`` prints."""


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
        for line in block.split("\n"):  # systemctl prints \r and the like as they are
            key, sep, value = line.partition("=")
            if sep:
                props[key] = value
        if props:
            if "Id" not in props:
                raise SystemctlParseError("systemctl show block without Id: %r" % block[:200])
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


def result_text(unit):
    """``exited without telling systemd it was ready (Result=protocol, status 0)``."""
    result = unit.get("Result") or "?"
    return "%s (Result=%s, status %s)" % (RESULT_TEXT.get(result, result), result, unit.get("ExecMainStatus", "?"))


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


def show_units(module, units):
    """``({Id: props}, None)``, or ``(None, why systemd could not be asked)``.

    Not wrapped in timeout(1): systemctl bounds its own D-Bus calls.
    """
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return None, "systemctl not found"
    rc, out, err = module.run_command(systemctl_show_argv(systemctl, units))
    if rc != 0:
        first = next((line.strip() for line in (err or "").splitlines() if line.strip()), "")
        return None, first or "systemctl show: rc=%s" % rc
    try:
        return parse_systemctl_show(out), None
    except SystemctlParseError as exc:
        return None, str(exc)
