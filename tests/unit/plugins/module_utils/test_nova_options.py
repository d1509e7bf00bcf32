"""Unit tests for module_utils/_nova_options.py: Nova's option data, its secret
flags, and overrides checked against it."""

import os

import pytest
import yaml

from ansible_collections.novaops.compute.plugins.module_utils import _nova_options as no
from ansible_collections.novaops.compute.plugins.module_utils import _nova_releases

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "..", "..", "data")


def _load(name):
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def full():
    return _load("nova_26_opt_data.yaml")


@pytest.fixture(scope="module")
def nova26():
    return _nova_releases.opt_data("26")


@pytest.mark.parametrize("release", _nova_releases.SUPPORTED)
def test_shipped_data_is_the_compacted_full_data(release):
    """tools/compact-opt-data.py was re-run after compact_opt_data or the data changed."""
    expected = no.compact_opt_data(_load("nova_%s_opt_data.yaml" % release), _load("nova_%s_release.yaml" % release))
    assert _nova_releases.opt_data(release) == expected


@pytest.mark.parametrize("release", _nova_releases.SUPPORTED)
def test_shipped_modules_say_how_they_were_made_and_keep_lines_short(release):
    path = os.path.join(HERE, "..", "..", "..", "..", "plugins", "module_utils", "_nova_opt_data_%s.py" % release)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "Generated (do not edit) by `python tools/compact-opt-data.py %s`" % release in text
    assert max(len(line) for line in text.splitlines()) <= 150


OPT = {"name": "config_drive_format", "dest": "config_drive_format", "type": "string value",
       "choices": [["iso9660", "A file system image standard"], ["vfat", "Legacy"]], "default": "iso9660",
       "sample_default": None, "min": None, "max": None, "secret": False, "advanced": True,
       "deprecated_for_removal": True, "deprecated_since": "19.0.0",
       "deprecated_reason": "\nThis option was originally added as a workaround for bug in libvirt,\nthat was resolved.\n",
       "help": "Config drive format.\n\nLong help text", "deprecated_opts": [{"group": "DEFAULT", "name": "old_format"}],
       "mutable": False, "namespace": "nova.conf"}


def test_compact_spec_keeps_what_a_lint_needs_and_no_help():
    data = no.compact_opt_data({"options": {"DEFAULT": {"opts": [OPT]}}})
    assert data == {
        "options": {"DEFAULT": {"config_drive_format": {
            "type": "string value", "choices": ["iso9660", "vfat"], "default": "iso9660",
            "deprecated_for_removal": True, "deprecated_since": "19.0.0", "advanced": True,
            "deprecated_reason": "This option was originally added as a workaround for bug in libvirt, that was resolved."}}},
        "deprecated": {"DEFAULT": {"old_format": ["DEFAULT", "config_drive_format"]}},
    }


def test_compact_spec_leaves_out_unset_fields_and_keeps_falsy_defaults():
    opts = [{"name": "a", "type": "integer value", "default": 0, "min": 0, "max": None, "secret": False,
             "deprecated_for_removal": False, "deprecated_reason": None, "deprecated_since": None, "advanced": False},
            {"name": "b", "type": "boolean value", "default": False},
            {"name": "c", "type": "string value", "default": None, "sample_default": "<current_hostname>", "secret": True}]
    specs = no.compact_opt_data({"options": {"g": {"opts": opts}}})["options"]["g"]
    assert specs == {"a": {"type": "integer value", "default": 0, "min": 0},
                     "b": {"type": "boolean value", "default": False},
                     "c": {"type": "string value", "sample_default": "<current_hostname>", "secret": True}}


def test_compact_data_of_a_release():
    release = {"release": 31, "nova_version": "2:31.0.0-6+deb13u3", "namespaces": ["nova.conf", "oslo.log"],
               "scheduler_filters": ["ComputeFilter", "AllHostsFilter"]}
    data = no.compact_opt_data({"options": {}}, release)
    assert data == {"options": {}, "deprecated": {}, "release": "31", "nova_version": "2:31.0.0-6+deb13u3",
                    "namespaces": ["nova.conf", "oslo.log"], "filters": ["AllHostsFilter", "ComputeFilter"]}
    assert "release" not in no.compact_opt_data({"options": {}})


def test_the_real_data_has_defaults_and_deprecations(nova26):
    libvirt = nova26["options"]["libvirt"]
    assert libvirt["virt_type"]["default"] == "kvm"
    assert nova26["options"]["DEFAULT"]["host"]["sample_default"] == "<current_hostname>"
    vcpu_pin_set = nova26["options"]["DEFAULT"]["vcpu_pin_set"]
    assert vcpu_pin_set["deprecated_for_removal"] is True and vcpu_pin_set["deprecated_since"] == "20.0.0"
    assert "cpu_dedicated_set" in vcpu_pin_set["deprecated_reason"] and "\n" not in vcpu_pin_set["deprecated_reason"]
    assert not any("help" in spec for group in nova26["options"].values() for spec in group.values())


def test_every_secret_of_the_full_data_is_flagged(full, nova26):
    secrets = [(group, opt["name"]) for group, data in full["options"].items() for opt in data["opts"] if opt.get("secret")]
    assert ("DEFAULT", "transport_url") in secrets and ("placement", "password") in secrets
    for group, name in secrets:
        assert no.is_secret(nova26, group, name), (group, name)


@pytest.mark.parametrize("section, option, secret", [
    ("DEFAULT", "transport_url", True),
    ("database", "connection", True),
    ("api_database", "connection", True),
    ("placement", "password", True),
    ("neutron", "metadata_proxy_shared_secret", True),
    ("key_manager", "fixed_key", True),
    ("cache", "backend_argument", True),
    ("DATABASE", "sql_connection", True),  # deprecated name of [database] connection
    ("vnc", "server_listen", False),
    ("placement", "username", False),
    ("libvirt", "rbd_secret_uuid", False),  # in the data, not secret: the data decides
    ("keystone_authtoken", "password", True),  # not in the data: the name decides
    ("my_plugin", "api_token", True),
    ("my_plugin", "db_connection", True),
    ("my_plugin", "color", False),
])
def test_is_secret(nova26, section, option, secret):
    assert no.is_secret(nova26, section, option) is secret


def test_is_secret_without_data_uses_the_name():
    assert no.is_secret({}, "placement", "password") and not no.is_secret({}, "vnc", "enabled")


def test_secret_override_values_are_never_shown(nova26):
    errors = no.check_overrides({"placement": {"password": ["TOPSECRET", "x"]},
                                 "vmware": {"host_password": {"a": "TOPSECRET"}}}, nova26)
    assert not any("TOPSECRET" in e for e in errors)


def test_type_problems_show_non_secret_values(nova26):
    errors = no.check_overrides({"DEFAULT": {"max_concurrent_builds": "four"}}, nova26)
    assert errors == ["overrides: [DEFAULT] max_concurrent_builds is an integer option, got 'four'"]


def test_scheduler_default_filters_points_to_the_controllers(nova26):
    errors = no.check_overrides({"DEFAULT": {"scheduler_default_filters": "ComputeFilter"}}, nova26)
    assert len(errors) == 1
    assert "[filter_scheduler] enabled_filters" in errors[0] and "controllers" in errors[0]
    assert "nova_compute_scheduler" not in errors[0]


def test_removed_names_point_to_their_replacements_and_the_settings_that_write_them(nova26):
    plain = no.check_overrides({"libvirt": {"live_migration_uri": "qemu+ssh://%s/system"}}, nova26)
    assert plain == ["overrides: [libvirt] live_migration_uri is not an option in Nova 26 (a running Nova "
                     "ignores it); use [libvirt] live_migration_scheme and [libvirt] live_migration_inbound_addr"]
    named = no.check_overrides({"DEFAULT": {"vncserver_listen": "0.0.0.0"}}, nova26, "26", "my_overrides",
                               {("vnc", "server_listen"): "my_listen"})
    assert named == ["my_overrides: [DEFAULT] vncserver_listen is not an option in Nova 26 (a running Nova "
                     "ignores it); use [vnc] server_listen (my_listen)"]


def test_no_data_no_check():
    assert no.check_overrides({"x": {"y": 1}}, {}) == []
