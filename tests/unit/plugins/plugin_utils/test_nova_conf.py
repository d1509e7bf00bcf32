"""Unit tests for the nova_compute role's pure checks (plugin_utils/_nova_conf.py)."""

import json
import os

import pytest

from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf as nc

GOOD = {
    "nova_compute_transport_url": "rabbit://nova:s3cr3t@ctl1:5672/",
    "nova_compute_my_ip": "10.0.0.11",
    "nova_compute_reserved_host_memory_mb": 512,
    "nova_compute_reserved_host_cpus": 0,
    "nova_compute_reserved_host_disk_mb": 0,
    "nova_compute_cpu_allocation_ratio": 16.0,
    "nova_compute_ram_allocation_ratio": 1.5,
    "nova_compute_virt_type": "auto",
    "nova_compute_console": "vnc",
    "nova_compute_vnc_server_listen": "0.0.0.0",
    "nova_compute_vnc_server_proxyclient_address": "10.0.0.11",
    "nova_compute_novncproxy_base_url": "http://ctl1:6080/vnc_auto.html",
    "nova_compute_image_cache_manager_interval": 2400,
    "nova_compute_image_cache_subdirectory_name": "_base",
    "nova_compute_placement_auth_url": "http://ctl1:5000/v3",
    "nova_compute_placement_password": "pl4cement",
    "nova_compute_nova_conf_overrides": {},
}
FACTS = {"memtotal_mb": 8192, "kvm": True}
FILTERS = ["ComputeFilter", "ImagePropertiesFilter", "ServerGroupAffinityFilter"]


def errors_for(**changes):
    settings = dict(GOOD)
    for key, value in changes.items():
        settings["nova_compute_" + key] = value
    return nc.check_settings(settings, FACTS, FILTERS)


def test_good_settings_pass():
    assert errors_for() == []


def test_numbers_from_the_command_line_pass():
    """-e nova_compute_cpu_allocation_ratio=8.0 gives Ansible the string '8.0'."""
    assert errors_for(cpu_allocation_ratio="8.0", ram_allocation_ratio="1", reserved_host_memory_mb="1024") == []


@pytest.mark.parametrize("changes, variable, fragment", [
    ({"cpu_allocation_ratio": -1.0}, "nova_compute_cpu_allocation_ratio", "greater than 0"),
    ({"ram_allocation_ratio": 0}, "nova_compute_ram_allocation_ratio", "greater than 0"),
    ({"disk_allocation_ratio": "lots"}, "nova_compute_disk_allocation_ratio", "must be a number"),
    ({"initial_cpu_allocation_ratio": True}, "nova_compute_initial_cpu_allocation_ratio", "must be a number"),
    ({"cpu_allocation_ratio": "nan"}, "nova_compute_cpu_allocation_ratio", "must be a number"),
    ({"cpu_allocation_ratio": "-2.5"}, "nova_compute_cpu_allocation_ratio", "greater than 0"),
    ({"reserved_host_memory_mb": "1.5"}, "nova_compute_reserved_host_memory_mb", "whole number"),
    ({"reserved_host_memory_mb": "9000"}, "nova_compute_reserved_host_memory_mb", "node's memory"),
    ({"reserved_host_memory_mb": -5}, "nova_compute_reserved_host_memory_mb", "0 or more"),
    ({"reserved_host_memory_mb": 9000}, "nova_compute_reserved_host_memory_mb", "node's memory"),
    ({"virt_type": "xen"}, "nova_compute_virt_type", "must be one of auto, kvm, qemu"),
    ({"transport_url": "nova:pw@ctl1:5672/"}, "nova_compute_transport_url", "has no scheme"),
    ({"transport_url": "rabbit:///"}, "nova_compute_transport_url", "names no message-bus host"),
    ({"transport_url": "kafka://ctl1:9092/"}, "nova_compute_transport_url", "scheme 'kafka'"),
    ({"transport_url": "rabbit://nova:pw@ctl1:99999/"}, "nova_compute_transport_url", "invalid port"),
    ({"transport_url": None}, "nova_compute_transport_url", "is required"),
    ({"database_connection": "oracle://nova:pw@db/nova"}, "nova_compute_database_connection", "unknown dialect 'oracle'"),
    ({"api_database_connection": "mysql+pymysql://nova:pw@/nova_api"}, "nova_compute_api_database_connection",
     "names no database host"),
    ({"my_ip": "10.0.0.300"}, "nova_compute_my_ip", "not a valid IP address"),
    ({"my_ip": ""}, "nova_compute_my_ip", "is empty"),
    ({"vnc_server_proxyclient_address": "0.0.0.0"}, "nova_compute_vnc_server_proxyclient_address", "wildcard"),
    ({"vnc_server_proxyclient_address": "127.0.0.1"}, "nova_compute_vnc_server_proxyclient_address",
     "runs on another host"),
    ({"vnc_server_listen": "127.0.0.1"}, "nova_compute_vnc_server_listen", "only answer on loopback"),
    ({"vnc_server_listen": "10.0.0.99"}, "nova_compute_vnc_server_listen", "same address as"),
    ({"novncproxy_base_url": None}, "nova_compute_novncproxy_base_url", "is required when"),
    ({"novncproxy_base_url": "ctl1:6080"}, "nova_compute_novncproxy_base_url", "http:// or https://"),
    ({"console": "spice"}, "nova_compute_spice_html5proxy_base_url", "is required when"),
    ({"nova_conf_overrides": {"spice": {"enabled": True}}}, "nova_compute_console", "both enabled"),
    ({"scheduler_enabled_filters": ["ComputeFilter", "RamFilter"]}, "nova_compute_scheduler_enabled_filters",
     "RamFilter is not a filter"),
    ({"scheduler_enabled_filters": ["ComputFilter"]}, "nova_compute_scheduler_enabled_filters",
     "did you mean ComputeFilter"),
    ({"image_cache_manager_interval": -2}, "nova_compute_image_cache_manager_interval", ">= -1"),
    ({"image_cache_subdirectory_name": "../base"}, "nova_compute_image_cache_subdirectory_name", "plain directory"),
    ({"placement_password": ""}, "nova_compute_placement_password", "is required"),
    ({"placement_auth_url": "ctl1:5000"}, "nova_compute_placement_auth_url", "http:// or https://"),
    ({"cpu_mode": "custom"}, "nova_compute_cpu_models", "is empty"),
    ({"live_migration_scheme": "rdma"}, "nova_compute_live_migration_scheme", "must be one of"),
    ({"nova_conf_overrides": {"DEFAULT": {"my_ip": "a\nb"}}}, "nova_compute_nova_conf_overrides", "line break"),
    ({"nova_conf_overrides": {"DEFAULT": "x"}}, "nova_compute_nova_conf_overrides", "must map option names"),
    ({"libvirt_qemu_conf": {"Bad Key": 1}}, "nova_compute_libvirt_qemu_conf", "not a qemu.conf key"),
])
def test_bad_settings_name_the_variable(changes, variable, fragment):
    errors = errors_for(**changes)
    assert any(variable in e and fragment in e for e in errors), errors


def test_kvm_without_dev_kvm_is_refused():
    errors = nc.check_settings(dict(GOOD, nova_compute_virt_type="kvm"), {"kvm": False}, FILTERS)
    assert any("/dev/kvm does not exist" in e for e in errors)


def test_auto_without_dev_kvm_is_fine():
    assert nc.check_settings(dict(GOOD), {"kvm": False, "memtotal_mb": 4096}, FILTERS) == []


def test_local_console_proxy_accepts_loopback():
    errors = errors_for(vnc_server_listen="127.0.0.1", vnc_server_proxyclient_address="127.0.0.1",
                        novncproxy_base_url="http://127.0.0.1:6080/vnc_auto.html")
    assert errors == []


def test_custom_filters_are_accepted():
    settings = dict(GOOD, nova_compute_scheduler_enabled_filters=["ComputeFilter", "MyFilter"],
                    nova_compute_scheduler_custom_filters=["MyFilter"])
    assert nc.check_settings(settings, FACTS, FILTERS) == []


@pytest.mark.parametrize("changes", [
    {"transport_url": "rabbit://nova:TOPSECRET@ctl1:99999/"},
    {"database_connection": "oracle://nova:TOPSECRET@db/nova"},
    {"transport_url": "rabbit://nova:x@ok:5672,nova:TOPSECRET@bad host:5672/"},
    # found on the bed: a URL without its scheme still carries the password
    {"transport_url": "nova:TOPSECRET@controller:5672/"},
])
def test_errors_never_show_secrets(changes):
    errors = errors_for(**changes)
    assert errors
    assert not any("TOPSECRET" in e for e in errors), errors


@pytest.mark.parametrize("url, expected", [
    ("rabbit://nova:pw@ctl1:5672/", "rabbit://nova:********@ctl1:5672/"),
    ("rabbit://nova:pw@h1:5672,nova:pw2@h2:5672/nova", "rabbit://nova:********@h1:5672,nova:********@h2:5672/nova"),
    ("mysql+pymysql://nova:p%40ss@db/nova", "mysql+pymysql://nova:********@db/nova"),
    ("sqlite:////var/lib/nova/nova.sqlite", "sqlite:////var/lib/nova/nova.sqlite"),
    ("rabbit://ctl1:5672/", "rabbit://ctl1:5672/"),
    ("nova:pw@ctl1:5672/", "nova:********@ctl1:5672/"),
    ("ctl1:5672", "ctl1:5672"),
    (None, None),
])
def test_mask_url(url, expected):
    assert nc.mask_url(url) == expected


def test_mask_ini_hides_every_secret_but_keeps_shape():
    text = (
        "[DEFAULT]\n"
        "transport_url = rabbit://nova:RABBITPW@ctl1:5672/\n"
        "my_ip = 10.0.0.11\n"
        "[database]\n"
        "connection = mysql+pymysql://nova:DBPW@db/nova\n"
        "[placement]\n"
        "password = PLACEMENTPW\n"
        "username = placement\n"
        "[neutron]\n"
        "metadata_proxy_shared_secret = METASECRET\n"
        "# password = commented\n"
    )
    masked = nc.mask_ini(text)
    for secret in ("RABBITPW", "DBPW", "PLACEMENTPW", "METASECRET"):
        assert secret not in masked
    assert "transport_url = rabbit://nova:********@ctl1:5672/" in masked
    assert "password = ********" in masked
    assert "my_ip = 10.0.0.11" in masked
    assert "username = placement" in masked
    assert "# password = commented" in masked
    assert masked.count("\n") == text.count("\n")


@pytest.mark.parametrize("value, rendered", [
    (True, "true"), (False, "false"), (16.0, "16.0"), (512, "512"),
    (["ComputeFilter", "ImagePropertiesFilter"], "ComputeFilter,ImagePropertiesFilter"),
    ("x", "x"),
])
def test_ini_value(value, rendered):
    assert nc.ini_value(value) == rendered


OPT_DATA = {
    "options": {
        "DEFAULT": {"opts": [
            {"name": "my_ip", "type": "host address value"},
            {"name": "debug", "type": "boolean value"},
            {"name": "cpu_allocation_ratio", "type": "floating point value", "min": 0.0},
        ]},
        "vnc": {"opts": [
            {"name": "server_listen", "type": "host address value",
             "deprecated_opts": [{"group": "DEFAULT", "name": "vncserver_listen_old"}]},
        ]},
        "compute": {"opts": [
            {"name": "resume_guests_state_on_host_boot", "type": "boolean value"},
            {"name": "max_concurrent_builds", "type": "integer value", "min": 0},
            {"name": "cpu_shared_set", "type": "string value"},
        ]},
        "libvirt": {"opts": [
            {"name": "virt_type", "type": "string value", "choices": [["kvm", ""], ["qemu", ""]]},
        ]},
    },
}


@pytest.mark.parametrize("overrides, fragment", [
    ({"DEFAULT": {"vncserver_listen": "0.0.0.0"}}, "use [vnc] server_listen"),
    ({"libvirt": {"vif_driver": "x"}}, "os-vif"),
    ({"DEFAULT": {"vncserver_listen_old": "0.0.0.0"}}, "deprecated in Nova 26; use [vnc] server_listen"),
    ({"computer": {"x": 1}}, "[computer] is not a section Nova 26 knows (did you mean [compute]?)"),
    ({"compute": {"max_concurent_builds": 4}}, "did you mean max_concurrent_builds?"),
    ({"compute": {"max_concurrent_builds": "four"}}, "is an integer option"),
    ({"compute": {"max_concurrent_builds": -3}}, "must be at least 0"),
    ({"compute": {"resume_guests_state_on_host_boot": "maybe"}}, "is a boolean option"),
    ({"libvirt": {"virt_type": "xen"}}, "must be one of kvm, qemu"),
])
def test_overrides_checked_against_option_data(overrides, fragment):
    errors = nc.check_overrides(overrides, nc.compact_opt_data(OPT_DATA))
    assert any(fragment in e and "nova_compute_nova_conf_overrides" in e for e in errors), errors


def test_good_overrides_and_removals_pass():
    overrides = {"compute": {"resume_guests_state_on_host_boot": True, "max_concurrent_builds": 4,
                             "cpu_shared_set": None},
                 "libvirt": {"virt_type": "qemu"}, "DEFAULT": {"debug": "true", "whatever_removed": None}}
    assert nc.check_overrides(overrides, nc.compact_opt_data(OPT_DATA)) == []


REAL_DATA_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "nova_compute", "files",
                              "nova-26-options.json")


@pytest.fixture(scope="module")
def nova26():
    with open(REAL_DATA_PATH, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.mark.parametrize("overrides, fragment", [
    # The operator's notes, checked against Nova 26's real option data.
    ({"DEFAULT": {"vncserver_listen": "0.0.0.0"}}, "is not an option in Nova 26"),
    ({"DEFAULT": {"vncserver_proxyclient_address": "10.0.0.1"}}, "use [vnc] server_proxyclient_address"),
    ({"DEFAULT": {"osapi_volume_listen": "0.0.0.0"}}, "Cinder"),
    ({"api": {"fping_path": "/usr/sbin/fping"}}, "os-fping"),
    ({"libvirt": {"vif_driver": "x"}}, "os-vif"),
    ({"DEFAULT": {"novncproxy_base_url": "http://x:6080/"}}, "deprecated in Nova 26; use [vnc] novncproxy_base_url"),
    ({"libvirt": {"virt_type": "xen"}}, "must be one of kvm, lxc, qemu, parallels"),
    ({"vnc": {"novncproxy_port": 70000}}, "must be at most 65535"),
    ({"compute": {"no_such_option": 1}}, "is not an option Nova 26 knows"),
])
def test_overrides_against_nova_26(nova26, overrides, fragment):
    errors = nc.check_overrides(overrides, nova26)
    assert any(fragment in e for e in errors), errors


def test_real_overrides_pass_nova_26(nova26):
    overrides = {"compute": {"cpu_shared_set": "2-3"},
                 "libvirt": {"virt_type": "kvm", "images_type": "qcow2"},
                 "neutron": {"auth_url": "http://ctl:5000/v3", "password": "x"},
                 "DEFAULT": {"debug": True, "log_dir": None, "resume_guests_state_on_host_boot": True}}
    assert nc.check_overrides(overrides, nova26) == []
