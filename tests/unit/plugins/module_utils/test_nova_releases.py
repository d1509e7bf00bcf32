"""Unit tests for module_utils/_nova_releases.py: the Nova releases the
collection has option data for (Debian 12's Nova 26, Debian 13's Nova 31)."""

import pytest

from ansible_collections.novaops.compute.plugins.module_utils import _nova_options as no
from ansible_collections.novaops.compute.plugins.module_utils import _nova_releases as nr


def test_supported_releases_and_names():
    assert nr.SUPPORTED == ("26", "31")
    assert nr.NAMES == {"26": "Zed", "31": "Epoxy"}


@pytest.mark.parametrize("release, version, debian", [("26", "2:26.", "deb12"), ("31", "2:31.", "deb13")])
def test_both_releases_load(release, version, debian):
    data = nr.opt_data(release)
    assert data["release"] == release
    assert data["nova_version"].startswith(version) and debian in data["nova_version"]
    assert nr.release_of_version(data["nova_version"]) == release
    assert len(data["options"]) > 50 and len(data["options"]["DEFAULT"]) > 100
    assert "ComputeFilter" in data["filters"] and data["filters"] == sorted(data["filters"])
    assert data["namespaces"][0] == "nova.conf"
    assert data["options"]["placement"]["password"]["secret"] is True


def test_an_int_is_a_release_too():
    assert nr.opt_data(26) is nr.opt_data("26")
    assert nr.opt_data(" 31 ") is nr.opt_data("31")


@pytest.mark.parametrize("release", ["27", 25, "", None, "zed", True, 26.0, "26.2"])
def test_other_releases_name_the_supported_ones(release):
    with pytest.raises(ValueError) as raised:
        nr.opt_data(release)
    assert "26 (Zed), 31 (Epoxy)" in str(raised.value)


@pytest.mark.parametrize("version, release", [
    ("2:26.2.2-1~deb12u1", "26"),  # Debian 12
    ("2:26.2.2-1~deb12u5", "26"),  # Debian 12, python3-nova in bookworm-security
    ("2:31.0.0-6+deb13u3", "31"),  # Debian 13
    ("2:31.0.0-6", "31"),
    ("31.0.0-6", "31"),  # no epoch
    ("1:27.5.1-1.el9", "27"),  # RDO on EL9 (Antelope): parsed, not supported
    ("27.5.1-1.el9", "27"),
    ("26.2.2", "26"),
    ("26", "26"),
    ("2:26~rc1-1", "26"),
    (" 2:26.2.2-1~deb12u1\n", "26"),  # as a shell's output gives it
    ("", None),
    ("(none)", None),  # dpkg-query of a package that is not installed
    ("nova", None),
    ("2:", None),
    ("v26.2.2", None),
    ("26a.1", None),
    (None, None),
    (26, None),
])
def test_release_of_version(version, release):
    assert nr.release_of_version(version) == release


def test_each_release_knows_options_the_other_does_not():
    nova26, nova31 = nr.opt_data("26"), nr.opt_data("31")
    # New in Nova 31: CPU power management (2023.2), the manila share section
    # (2025.1), SPICE compression settings (2024.2).
    for section, option in (("libvirt", "cpu_power_management"), ("manila", "auth_url"), ("spice", "require_secure")):
        assert no.option_spec(nova31, section, option) is not None
        assert no.option_spec(nova26, section, option) is None
        assert no.check_overrides({section: {option: "true"}}, nova26, "26")
    # Gone by Nova 31: the Hyper-V driver and RDP consoles (removed in 2024.1),
    # the AMQP 1.0 messaging driver.
    for section, option in (("hyperv", "vswitch_name"), ("rdp", "enabled"), ("oslo_messaging_amqp", "ssl")):
        assert no.option_spec(nova26, section, option) is not None
        assert no.option_spec(nova31, section, option) is None
    errors = no.check_overrides({"hyperv": {"vswitch_name": "br0"}}, nova31, "31")
    assert errors == ["overrides: [hyperv] is not a section Nova 31 knows"]


def test_an_option_deprecated_for_removal_in_26_is_gone_in_31():
    spec = no.option_spec(nr.opt_data("26"), "scheduler", "query_placement_for_availability_zone")
    assert spec["deprecated_for_removal"] is True and spec["deprecated_since"] == "24.0.0"
    assert no.option_spec(nr.opt_data("31"), "scheduler", "query_placement_for_availability_zone") is None


def test_defaults_differ_between_releases():
    """Nova 28 (2023.2) lowered the initial allocation ratios; the data says so."""
    nova26, nova31 = nr.opt_data("26")["options"], nr.opt_data("31")["options"]
    assert nova26["DEFAULT"]["initial_cpu_allocation_ratio"]["default"] == 16.0
    assert nova31["DEFAULT"]["initial_cpu_allocation_ratio"]["default"] == 4.0
    assert nova31["oslo_policy"]["enforce_new_defaults"]["default"] is True


def test_scheduler_filters_come_from_each_release():
    """AvailabilityZoneFilter was removed in Nova 29 (2024.1): placement does it."""
    nova26, nova31 = nr.opt_data("26")["filters"], nr.opt_data("31")["filters"]
    assert "AvailabilityZoneFilter" in nova26 and "AvailabilityZoneFilter" not in nova31
    assert sorted(set(nova26) - set(nova31)) == ["AvailabilityZoneFilter"]
    assert len(nova26) == 23 and len(nova31) == 22
    for name in ("ComputeFilter", "ImagePropertiesFilter", "ServerGroupAffinityFilter", "NUMATopologyFilter"):
        assert name in nova26 and name in nova31
