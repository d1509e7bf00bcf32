"""Tests for plugins/module_utils/_systemd.py over real ``systemctl show`` captures.

NAME.txt is stdout byte for byte, NAME.json its argv, rc and stderr
(tests/unit/fixtures/health/: bed/ with systemd, host/ without).
"""

import types

import pytest

from ansible_collections.novaops.compute.plugins.module_utils import _systemd as systemd
from health_captures import meta, stdout


def test_systemctl_show_argv_is_the_captured_one():
    captured = meta("bed", "systemctl-show-auto")["argv"]
    units = ["nova-compute.service"] + list(systemd.MONOLITHIC_UNITS + systemd.MODULAR_UNITS)
    assert systemd.systemctl_show_argv("/usr/bin/systemctl", units) == captured


@pytest.mark.parametrize("name, unit", [("nova-compute", "nova-compute.service"),
                                        ("libvirtd.socket", "libvirtd.socket"),
                                        ("openstack-nova-compute.service", "openstack-nova-compute.service")])
def test_unit_name(name, unit):
    assert systemd.unit_name(name) == unit


def test_parse_systemctl_show_bed():
    units = systemd.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))
    assert list(units) == ["nova-compute.service", "libvirtd.service", "libvirtd.socket",
                           "virtqemud.service", "virtqemud.socket"]
    nova = units["nova-compute.service"]
    assert (nova["ActiveState"], nova["SubState"], nova["Type"], nova["MainPID"]) == (
        "active", "running", "notify", "8524")
    assert units["virtqemud.service"]["LoadState"] == "not-found"
    assert systemd.unit_summary(nova) == {
        "Id": "nova-compute.service", "LoadState": "loaded", "ActiveState": "active", "SubState": "running",
        "UnitFileState": "enabled", "Type": "notify", "Result": "success", "MainPID": 8524, "ExecMainPID": 8524,
        "ExecMainStatus": 0, "NRestarts": 0, "ActiveEnterTimestamp": "Tue 2026-11-24 15:08:54 UTC",
        "StateChangeTimestamp": "Tue 2026-11-24 15:08:54 UTC"}
    # empty values are dropped
    assert "UnitFileState" not in systemd.unit_summary(units["virqemud.socket".replace("virq", "virtq")])
    assert systemd.unit_summary(None) is None


def test_systemctl_without_systemd_prints_nothing():
    assert meta("host", "systemctl-show-auto")["rc"] == 1
    assert "has not been booted with systemd" in meta("host", "systemctl-show-auto")["stderr"]
    assert systemd.parse_systemctl_show(stdout("host", "systemctl-show-auto")) == {}


def test_parse_systemctl_show_rejects_a_block_without_id():
    with pytest.raises(systemd.SystemctlParseError):
        systemd.parse_systemctl_show("ActiveState=active\n")


@pytest.mark.parametrize(
    "states, expected",
    [
        ("bed", list(systemd.MONOLITHIC_UNITS)),
        ({"virtqemud.service": ("loaded", "inactive", "enabled"), "virtqemud.socket": ("loaded", "active", "enabled"),
          "libvirtd.service": ("loaded", "inactive", "disabled"), "libvirtd.socket": ("loaded", "inactive", "disabled")},
         list(systemd.MODULAR_UNITS)),
        ({"virtqemud.service": ("loaded", "inactive", "enabled"), "virtqemud.socket": ("loaded", "inactive", "enabled"),
          "libvirtd.service": ("loaded", "inactive", "disabled"), "libvirtd.socket": ("loaded", "inactive", "masked")},
         list(systemd.MODULAR_UNITS)),
        ({"virtqemud.service": ("loaded", "inactive", "disabled"),
          "libvirtd.service": ("not-found", "inactive", "")}, list(systemd.MODULAR_UNITS)),
        ({}, list(systemd.MONOLITHIC_UNITS)),
    ],
)
def test_choose_libvirt_units(states, expected):
    if states == "bed":
        units = systemd.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))
    else:
        units = {name: {"Id": name, "LoadState": s[0], "ActiveState": s[1], "UnitFileState": s[2]}
                 for name, s in states.items()}
    assert systemd.choose_libvirt_units(units) == expected


@pytest.mark.parametrize("props, words", [
    ({"Result": "exit-code", "ExecMainStatus": "1"}, "exited with an error status (Result=exit-code, status 1)"),
    ({"Result": "start-limit-hit"}, "restarted too often (Result=start-limit-hit, status ?)"),
    ({"Result": "something-new", "ExecMainStatus": "0"}, "something-new (Result=something-new, status 0)"),
])
def test_result_text(props, words):
    assert systemd.result_text(props) == words


# ---------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------

def fake_module(answer=None, binary="/usr/bin/systemctl"):
    calls = []

    def run_command(args):
        calls.append(args)
        return answer

    return types.SimpleNamespace(get_bin_path=lambda name: binary, run_command=run_command, calls=calls)


def test_show_units_replays_the_bed():
    m = meta("bed", "systemctl-show-auto")
    module = fake_module((m["rc"], stdout("bed", "systemctl-show-auto"), m["stderr"]))
    units, error = systemd.show_units(module, ["nova-compute.service"] + list(systemd.MONOLITHIC_UNITS
                                                                              + systemd.MODULAR_UNITS))
    assert error is None
    assert module.calls == [m["argv"]]
    assert units["nova-compute.service"]["MainPID"] == "8524"


def test_show_units_without_systemd_says_why():
    m = meta("host", "systemctl-show-auto")
    units, error = systemd.show_units(fake_module((m["rc"], "", m["stderr"])), ["nova-compute.service"])
    assert units is None
    assert error.startswith("System has not been booted with systemd")
    assert systemd.show_units(fake_module(binary=None), ["x.service"]) == (None, "systemctl not found")
    assert systemd.show_units(fake_module((3, "", "")), ["x.service"]) == (None, "systemctl show: rc=3")
    units, error = systemd.show_units(fake_module((0, "ActiveState=active\n", "")), ["x.service"])
    assert units is None and error.startswith("systemctl show block without Id")
