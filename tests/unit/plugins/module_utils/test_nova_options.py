"""Unit tests for module_utils/_nova_options.py: Nova's option data, its secret
flags, and overrides checked against it."""

import json
import os

import pytest
import yaml

from ansible_collections.novaops.compute.plugins.module_utils import _nova_options as no

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..", "..")
FULL_DATA = os.path.join(ROOT, "tests", "unit", "data", "nova_26_opt_data.yaml")
SHIPPED = os.path.join(ROOT, "roles", "nova_compute", "files", "nova-26-options.json")


@pytest.fixture(scope="module")
def full():
    with open(FULL_DATA, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def nova26():
    with open(SHIPPED, encoding="utf-8") as handle:
        return json.load(handle)


def test_shipped_data_is_the_compacted_full_data(full, nova26):
    """tools/compact-opt-data.py was re-run after compact_opt_data changed."""
    assert no.compact_opt_data(full) == nova26


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
