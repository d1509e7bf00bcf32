"""Unit tests for the nova_compute role's pure checks (plugin_utils/_nova_conf.py)
and the filters that hand them the role's variables (plugins/filter/, one file per filter)."""

import os
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.filter.libvirt_conf_value import libvirt_conf_value
from ansible_collections.novaops.compute.plugins.filter.mask_secrets import mask_secrets
from ansible_collections.novaops.compute.plugins.filter.mask_url import mask_url
from ansible_collections.novaops.compute.plugins.filter.nova_compute_keystoneauth import nova_compute_keystoneauth
from ansible_collections.novaops.compute.plugins.filter.nova_conf_mask import nova_conf_mask
from ansible_collections.novaops.compute.plugins.filter.nova_conf_override_errors import nova_conf_override_errors
from ansible_collections.novaops.compute.plugins.filter.oslo_ini import oslo_ini
from ansible_collections.novaops.compute.plugins.module_utils._nova_options import compact_opt_data
from ansible_collections.novaops.compute.plugins.module_utils import _nova_releases
from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf as nc

PROFILE = dict(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "300")), deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PRINTABLE = st.characters(codec="utf-8").filter(str.isprintable)

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
    "nova_compute_neutron_auth_url": "http://ctl1:5000/v3",
    "nova_compute_neutron_password": "n3utron",
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
    ({"transport_url": "rabbit://nova:pw@ctl1:99999/"}, "nova_compute_transport_url",
     "host 1 has a port that is not a number between 1 and 65535"),
    ({"transport_url": "rabbit://[::1"}, "nova_compute_transport_url", "is not a valid transport URL"),
    ({"transport_url": "rabbit://nova:a/b@controller:5672/"}, "nova_compute_transport_url", "percent-encode"),
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
    ({"scheduler_enabled_filters": ["ComputeFilter"]}, "nova_compute_scheduler_enabled_filters",
     "nova-scheduler reads it on the controllers, not nova-compute"),
    ({"scheduler_enabled_filters": []}, "nova_compute_scheduler_enabled_filters", "control plane's nova.conf"),
    ({"scheduler_custom_filters": ["MyFilter"]}, "nova_compute_scheduler_custom_filters", "on the controllers"),
    ({"nova_conf_overrides": {"filter_scheduler": {"enabled_filters": "ComputeFilter"}}},
     "nova_compute_nova_conf_overrides", "[filter_scheduler] enabled_filters has no effect on a compute node"),
    ({"nova_conf_overrides": {"filter_scheduler": {"available_filters": "x"}}},
     "nova_compute_nova_conf_overrides", "nova-scheduler reads it on the controllers"),
    ({"image_cache_manager_interval": -2}, "nova_compute_image_cache_manager_interval", ">= -1"),
    ({"image_cache_subdirectory_name": "../base"}, "nova_compute_image_cache_subdirectory_name", "plain directory"),
    ({"placement_password": ""}, "nova_compute_placement_password", "is required"),
    ({"placement_auth_url": "ctl1:5000"}, "nova_compute_placement_auth_url", "http:// or https://"),
    ({"placement_auth_url": "http://[x"}, "nova_compute_placement_auth_url", "is not a valid URL"),
    # [neutron] is checked exactly as [placement] is (one helper for both).
    ({"neutron_password": ""}, "nova_compute_neutron_password", "is required (the neutron service user's password)"),
    ({"neutron_password": None}, "nova_compute_neutron_password", "is required"),
    ({"neutron_auth_url": None}, "nova_compute_neutron_auth_url", "is required (keystone, e.g. http://"),
    ({"neutron_auth_url": " "}, "nova_compute_neutron_auth_url", "is required"),
    ({"neutron_auth_url": "ctl1:5000"}, "nova_compute_neutron_auth_url (ctl1:5000) must be an http:// or https://",
     "with a host"),
    ({"neutron_auth_url": "http://[x"}, "nova_compute_neutron_auth_url", "is not a valid URL"),
    ({"neutron_auth_url": "http://ctl 1:5000/v3"}, "nova_compute_neutron_auth_url", "not an IP address or a host"),
    ({"neutron_auth_url": "http://ctl1:0/v3"}, "nova_compute_neutron_auth_url", "port that is not a number"),
    # The metadata proxy is nova-api's, on the controllers.
    ({"nova_conf_overrides": {"neutron": {"service_metadata_proxy": True}}}, "nova_compute_nova_conf_overrides",
     "[neutron] service_metadata_proxy has no effect on a compute node: nova-api's metadata service reads it "
     "on the controllers"),
    ({"nova_conf_overrides": {"neutron": {"metadata_proxy_shared_secret": "x"}}},
     "nova_compute_nova_conf_overrides", "set [neutron] metadata_proxy_shared_secret in the control plane's"),
    ({"novncproxy_base_url": "http://[x"}, "nova_compute_novncproxy_base_url", "is not a valid URL"),
    ({"database_connection": "mysql+pymysql://nova:p@ss@db/nova"}, "nova_compute_database_connection",
     "percent-encode"),
    ({"cpu_mode": "custom"}, "nova_compute_cpu_models", "is empty"),
    ({"live_migration_scheme": "rdma"}, "nova_compute_live_migration_scheme", "must be one of"),
    ({"nova_conf_overrides": {"DEFAULT": {"my_ip": "a\nb"}}}, "nova_compute_nova_conf_overrides", "line break"),
    ({"nova_conf_overrides": {"DEFAULT": "x"}}, "nova_compute_nova_conf_overrides", "must map option names"),
    ({"libvirt_qemu_conf": {"Bad Key": 1}}, "nova_compute_libvirt_qemu_conf", "not a qemu.conf key"),
    ({"libvirt_qemu_conf": {"user": 1.5}}, "nova_compute_libvirt_qemu_conf: user", "floating point"),
    ({"libvirt_qemu_conf": {"vnc_password": "it's \"x\""}}, "nova_compute_libvirt_qemu_conf: vnc_password",
     "both"),
    ({"libvirt_qemu_conf": {"cgroup_device_acl": [["x"]]}}, "nova_compute_libvirt_qemu_conf: cgroup_device_acl",
     "nested list"),
    ({"libvirt_qemu_conf": {"user": None}}, "nova_compute_libvirt_qemu_conf: user", "null"),
    ({"image_cache_manager_interval": "often"}, "nova_compute_image_cache_manager_interval", ">= -1"),
    ({"image_cache_manager_interval": True}, "nova_compute_image_cache_manager_interval", ">= -1"),
])
def test_bad_settings_name_the_variable(changes, variable, fragment):
    errors = errors_for(**changes)
    assert any(variable in e and fragment in e for e in errors), errors


def test_keystoneauth_sections_from_the_role_variables():
    """One helper writes every keystoneauth section from nova_compute_<section>_*."""
    sections = nova_compute_keystoneauth(dict(
        GOOD, nova_compute_placement_username="placement", nova_compute_placement_region_name="RegionTwo",
        nova_compute_placement_valid_interfaces=["internal"], nova_compute_neutron_username="neutron",
        nova_compute_neutron_project_name="service"))
    assert list(sections) == ["placement", "neutron"] == list(nc.KEYSTONEAUTH_SECTIONS)
    for section in sections.values():
        assert list(section) == ["auth_type"] + list(nc.KEYSTONEAUTH_OPTIONS)
        assert section["auth_type"] == "password"
    placement, neutron = sections["placement"], sections["neutron"]
    assert placement["auth_url"] == "http://ctl1:5000/v3" and placement["password"] == "pl4cement"
    assert placement["region_name"] == "RegionTwo" and placement["valid_interfaces"] == ["internal"]
    assert placement["project_name"] is None  # unset: left out of nova.conf
    assert neutron["auth_url"] == "http://ctl1:5000/v3" and neutron["password"] == "n3utron"
    assert neutron["username"] == "neutron" and neutron["project_name"] == "service"
    assert neutron["region_name"] is None and neutron["valid_interfaces"] is None
    # No metadata-proxy option: nova-api reads those on the controllers.
    assert not {"service_metadata_proxy", "metadata_proxy_shared_secret"} & set(neutron)


def test_keystoneauth_options_are_options_of_every_section_in_nova_26(nova26):
    for section in nc.KEYSTONEAUTH_SECTIONS:
        for option in ("auth_type",) + nc.KEYSTONEAUTH_OPTIONS:
            assert option in nova26["options"][section], (section, option)
        assert nova26["options"][section]["password"].get("secret") is True


@pytest.mark.parametrize("section", ["placement", "neutron"])
def test_each_keystoneauth_section_is_checked_alike(section):
    """The same refusals, naming the section's own variables."""
    other = [s for s in nc.KEYSTONEAUTH_SECTIONS if s != section]
    errors = errors_for(**{section + "_auth_url": "ftp://ctl1/", section + "_password": ""})
    assert errors == ["nova_compute_%s_auth_url (ftp://ctl1/) must be an http:// or https:// URL with a host"
                      % section,
                      "nova_compute_%s_password is required (the %s service user's password)" % (section, section)]
    assert not any("nova_compute_%s_" % o in e for o in other for e in errors)


def test_metadata_proxy_overrides_left_unset_or_null_pass():
    assert errors_for(nova_conf_overrides={"neutron": {"service_metadata_proxy": None,
                                                       "metadata_proxy_shared_secret": None,
                                                       "region_name": "RegionTwo", "timeout": 30}}) == []


def test_kvm_without_dev_kvm_is_refused():
    errors = nc.check_settings(dict(GOOD, nova_compute_virt_type="kvm"), {"kvm": False}, FILTERS)
    assert any("/dev/kvm does not exist" in e for e in errors)


def test_auto_without_dev_kvm_is_fine():
    assert nc.check_settings(dict(GOOD), {"kvm": False, "memtotal_mb": 4096}, FILTERS) == []


def test_local_console_proxy_accepts_loopback():
    errors = errors_for(vnc_server_listen="127.0.0.1", vnc_server_proxyclient_address="127.0.0.1",
                        novncproxy_base_url="http://127.0.0.1:6080/vnc_auto.html")
    assert errors == []


def test_scheduler_settings_left_unset_or_empty_pass():
    assert errors_for(scheduler_enabled_filters=None, scheduler_custom_filters=[]) == []


def test_filter_scheduler_options_read_by_nova_compute_stay_allowed():
    assert errors_for(nova_conf_overrides={"filter_scheduler": {"track_instance_changes": False,
                                                                "enabled_filters": None}}) == []


@pytest.mark.parametrize("changes", [
    {"image_cache_manager_interval": "600"},  # -e nova_compute_image_cache_manager_interval=600
    {"image_cache_manager_interval": "-1"},
    {"transport_url": "rabbit://nova:pw@rabbit_1:5672,nova:pw@rabbit_2.example.org:5672/"},
    {"transport_url": "rabbit://nova:p%2Fw@ctl1:5672/"},
    {"transport_url": "rabbit://nova:p@ss word@ctl1:5672/"},
    {"libvirt_qemu_conf": {"user": "nova", "vnc_tls": True, "max_files": 32768, "cgroup_device_acl": ["/dev/null"]}},
    {"oslo_policy": {"enforce_scope": True}, "cpu_models": ["Haswell", "Skylake"]},
])
def test_good_values_pass(changes):
    assert errors_for(**changes) == []


@pytest.mark.parametrize("name, value, path", [
    ("nova_compute_host", "node1\n[DEFAULT]\ndebug = true", "nova_compute_host"),
    ("nova_compute_oslo_policy", {"enforce_scope": "true\r\n[x]"}, "nova_compute_oslo_policy['enforce_scope']"),
    ("nova_compute_cpu_models", ["Haswell", "Sky\u2028lake"], "nova_compute_cpu_models[1]"),
    ("nova_compute_nova_conf_overrides", {"DEFAULT": {"my_ip": "a\x0bb"}},
     "nova_compute_nova_conf_overrides['DEFAULT']['my_ip']"),
    ("nova_compute_placement_password", "pw\x00", "nova_compute_placement_password"),
    ("nova_compute_neutron_password", "pw\r\n[DEFAULT]", "nova_compute_neutron_password"),
    ("nova_compute_neutron_auth_url", "http://ctl1:5000/v3\n[x]", "nova_compute_neutron_auth_url"),
    ("nova_compute_neutron_valid_interfaces", ["internal", "public\n[x]"], "nova_compute_neutron_valid_interfaces[1]"),
    ("nova_compute_transport_url", "rabbit://nova:pw@ctl1/\n[x]", "nova_compute_transport_url"),
    ("nova_compute_libvirt_qemu_conf", {"user": ["a", {"b": "c\x85"}]}, "nova_compute_libvirt_qemu_conf['user'][1]['b']"),
    ("nova_compute_whatever_new", {"deep": [[{"x": "\x1c"}]]}, "nova_compute_whatever_new['deep'][0][0]['x']"),
])
def test_a_line_break_in_any_setting_is_refused_naming_the_path(name, value, path):
    errors = nc.check_settings(dict(GOOD, **{name: value}), FACTS)
    assert any(e.startswith(path + " contains a line break") for e in errors), errors
    assert not any("\n" in e or "[DEFAULT]" in e or "[x]" in e for e in errors), errors


def test_a_line_break_in_a_key_is_refused():
    errors = errors_for(oslo_policy={"enforce\nscope": True})
    assert errors == ["nova_compute_oslo_policy has a key containing a line break or NUL"]


@pytest.mark.parametrize("changes", [
    {"transport_url": "rabbit://nova:TOPSECRET@ctl1:99999/"},
    {"database_connection": "oracle://nova:TOPSECRET@db/nova"},
    {"transport_url": "rabbit://nova:x@ok:5672,nova:TOPSECRET@bad host:5672/"},
    # found on the bed: a URL without its scheme still carries the password
    {"transport_url": "nova:TOPSECRET@controller:5672/"},
    {"transport_url": "rabbit://nova:TOP/SECRET@controller:5672/"},
    {"transport_url": "rabbit://nova:TOPSECRET,x@controller:5672/"},
    {"transport_url": "rabbit://[TOPSECRET"},
    {"database_connection": "mysql://nova:TOPSECRET@x@db/nova"},
    {"nova_conf_overrides": {"placement": {"password": ["TOPSECRET", ["x"]]}}},
    {"nova_conf_overrides": {"placement": {"password": "TOPSECRET\n"}}},
    {"libvirt_qemu_conf": {"vnc_password": "TOPSECRET'\""}},
    {"libvirt_qemu_conf": {"spice_password": 1.5, "vnc_password": ["TOPSECRET", ["x"]]}},
    {"placement_auth_url": "http://admin:TOPSECRET@[x/v3"},
    {"neutron_auth_url": "http://admin:TOPSECRET@[x/v3"},
    {"neutron_auth_url": "admin:TOPSECRET@ctl1:5000/v3"},
    {"neutron_password": "TOPSECRET\n"},
    {"neutron_password": ["TOPSECRET", "\x00"]},
    {"nova_conf_overrides": {"neutron": {"password": ["TOPSECRET", ["x"]]}}},
    {"nova_conf_overrides": {"neutron": {"metadata_proxy_shared_secret": "TOPSECRET"}}},
    {"novncproxy_base_url": "ftp://admin:TOPSECRET@ctl/"},
])
def test_errors_never_show_secrets(changes):
    errors = errors_for(**changes)
    assert errors
    assert not any("TOPSECRET" in e for e in errors), errors


def test_malformed_values_never_raise():
    for url in ("rabbit://[::1", "http://[x", "rabbit://]", "mysql://[", "rabbit://h:99999999999999999999/"):
        settings = dict(GOOD, nova_compute_transport_url=url, nova_compute_database_connection=url,
                        nova_compute_placement_auth_url=url, nova_compute_neutron_auth_url=url,
                        nova_compute_novncproxy_base_url=url)
        assert nc.check_settings(settings, FACTS)


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


def test_nova_conf_mask_filter_follows_the_secret_flag():
    text = ("[DEFAULT]\ntransport_url = rabbit://nova:RABBITPW@ctl1:5672/\nmy_ip = 10.0.0.11\n"
            "[libvirt]\nrbd_secret_uuid = 457eb676\n[placement]\npassword = PLACEMENTPW\n"
            "[neutron]\npassword = NEUTRONPW\nusername = neutron\n")
    masked = nova_conf_mask(text, "26")
    assert "RABBITPW" not in masked and "PLACEMENTPW" not in masked and "NEUTRONPW" not in masked
    assert "username = neutron" in masked
    assert "rbd_secret_uuid = 457eb676" in masked  # in the data, not secret
    assert "rabbit://nova:********@ctl1:5672/" in masked


def test_oslo_ini_filter_names_the_option_not_the_value():
    assert oslo_ini({"DEFAULT": {"debug": True, "host": None}}) == "\n[DEFAULT]\ndebug = true\n"
    with pytest.raises(Exception) as raised:
        oslo_ini({"placement": {"password": "TOPSECRET\n[DEFAULT]"}})
    assert "[placement] password" in str(raised.value) and "TOPSECRET" not in str(raised.value)


def test_libvirt_conf_value_filter():
    assert libvirt_conf_value(True) == "1"
    assert libvirt_conf_value(["/dev/null", "/dev/kvm"]) == '[ "/dev/null", "/dev/kvm" ]'
    with pytest.raises(Exception) as raised:
        libvirt_conf_value("TOPSECRET'\"")
    assert "TOPSECRET" not in str(raised.value)


@pytest.mark.parametrize("text, secrets, masked", [
    ("connect rabbit://nova:p@ss word@ctl/ failed", ["p@ss word"], "connect rabbit://nova:********@ctl/ failed"),
    ("url=rabbit://nova:p%40ss%20word@ctl/", ["p@ss word"], "url=rabbit://nova:********@ctl/"),
    ("url=rabbit://nova:p%40ss+word@ctl/", ["p@ss word"], "url=rabbit://nova:********@ctl/"),
    ("x%2Fy and x/y", ["x/y"], "******** and ********"),
    (["a 12345 b", "c"], ["12345", "", None], ["a ******** b", "c"]),
    (None, ["x"], None),
])
def test_mask_secrets(text, secrets, masked):
    assert mask_secrets(text, secrets) == masked


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
    errors = nc.check_overrides(overrides, "26", compact_opt_data(OPT_DATA))
    assert any(fragment in e and "nova_compute_nova_conf_overrides" in e for e in errors), errors


def test_good_overrides_and_removals_pass():
    overrides = {"compute": {"resume_guests_state_on_host_boot": True, "max_concurrent_builds": 4,
                             "cpu_shared_set": None},
                 "libvirt": {"virt_type": "qemu"}, "DEFAULT": {"debug": "true", "whatever_removed": None}}
    assert nc.check_overrides(overrides, "26", compact_opt_data(OPT_DATA)) == []


@pytest.fixture(scope="module")
def nova26():
    return _nova_releases.opt_data("26")


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
def test_overrides_against_nova_26(overrides, fragment):
    errors = nc.check_overrides(overrides, "26")
    assert any(fragment in e for e in errors), errors


def test_real_overrides_pass_nova_26():
    overrides = {"compute": {"cpu_shared_set": "2-3"},
                 "libvirt": {"virt_type": "kvm", "images_type": "qcow2"},
                 "neutron": {"auth_url": "http://ctl:5000/v3", "password": "x"},
                 "DEFAULT": {"debug": True, "log_dir": None, "resume_guests_state_on_host_boot": True}}
    assert nc.check_overrides(overrides, "26") == []


def test_override_errors_filter_takes_a_release():
    assert nova_conf_override_errors({"DEFAULT": {"debug": True}}, "26") == []
    assert nova_conf_override_errors({"DEFAULT": {"debug": True}}, 31) == []
    # no release (RDO: the role does not know which): nothing to check against
    assert nova_conf_override_errors({"nope": {"x": 1}}, None) == []
    errors = nova_conf_override_errors({"filter_scheduler": {"nope": 1}}, "31")
    assert errors == ["nova_compute_nova_conf_overrides: [filter_scheduler] nope is not an option Nova 31 knows"]
    with pytest.raises(Exception) as raised:
        nova_conf_override_errors({}, "27")
    assert "27" in str(raised.value) and "26 (Zed), 31 (Epoxy)" in str(raised.value)


def test_nova_conf_mask_filter_without_a_release_goes_by_the_name():
    text = "[libvirt]\nrbd_secret_uuid = 457eb676\n[placement]\npassword = PLACEMENTPW\n"
    masked = nova_conf_mask(text)
    assert "PLACEMENTPW" not in masked and "457eb676" not in masked
    assert "457eb676" in nova_conf_mask(text, "31") and "PLACEMENTPW" not in nova_conf_mask(text, "31")
    with pytest.raises(Exception):
        nova_conf_mask(text, "27")


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

def _pieces(secret):
    return {secret[i:i + 4] for i in range(len(secret) - 3)} if len(secret) >= 4 else {secret}


# Text check_settings writes whatever the password is: a password piece found
# in it is not a leak.
_VOCABULARY = "\n".join(
    ["rabbit://nova:@controller:5672/nova mysql+pymysql://nova:@controller/nova ********"]
    + [e for c in "/?#,@:[]% "
       for e in errors_for(transport_url="rabbit://nova:X%s@controller:5672/nova" % c,
                           database_connection="mysql+pymysql://nova:X%s@controller/nova" % c,
                           placement_password="X" + c, neutron_password="X" + c)]
    + errors_for(transport_url="rabbit://nova:pw@h1,,h 2:0,h3:x/#a@b", database_connection="mysql://n:x@d b:0/")
    + errors_for(transport_url="rabbit://u@h1,u:p@h2/", database_connection="mysql://n:x@[::1]x@db/n")
    + errors_for(nova_conf_overrides={"placement": {"password": ["X", ["X"]]},
                                      "neutron": {"password": ["X", ["X"]], "metadata_proxy_shared_secret": "X"}},
                 libvirt_qemu_conf={"vnc_password": "X'\"", "spice_password": ["X", 1.5]})
)


@settings(**PROFILE)
@given(password=st.text(st.one_of(st.characters(min_codepoint=0x20, max_codepoint=0x7e), PRINTABLE),
                        min_size=1, max_size=24),
       encode=st.booleans())
@example(password="p@ss word", encode=False)
@example(password="a/b", encode=False)
@example(password="x#y", encode=False)
@example(password="c,d", encode=False)
@example(password="q?r", encode=False)
@example(password="12345", encode=False)
def test_no_message_or_masked_text_shows_a_piece_of_a_password(password, encode):
    # An unencoded password with both , and @ can spell a well-formed
    # multi-host URL; see test_urls.
    assume(encode or not ("," in password and "@" in password))
    pieces = [p for p in _pieces(password) if p not in _VOCABULARY]
    assume(pieces)
    written = quote(password, safe="") if encode else password
    url = "rabbit://nova:%s@controller:5672/nova" % written
    database = "mysql+pymysql://nova:%s@controller/nova" % written
    errors = errors_for(transport_url=url, database_connection=database, placement_password=password,
                        neutron_password=password,
                        neutron_auth_url="http://neutron:%s@ctl1:5000/v3" % written,
                        nova_conf_overrides={"placement": {"password": [password, [password]]},
                                             "neutron": {"password": [password, [password]],
                                                         "metadata_proxy_shared_secret": password}},
                        libvirt_qemu_conf={"vnc_password": password, "spice_password": [password, 1.5]})
    shown = errors + [mask_url(url), mask_url("log " + database),
                      mask_secrets("%s %s %s" % (url, database, password), [password])]
    for text in shown:
        assert not any(p in text for p in pieces), (text, password)


@settings(**PROFILE)
@given(password=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), min_size=1, max_size=12),
       host=st.sampled_from(["controller", "rabbit_1", "10.0.0.1", "[fd00::1]", "a b", ""]),
       port=st.sampled_from(["", ":5672", ":0", ":99999", ":x"]))
def test_a_refused_transport_url_names_the_variable(password, host, port):
    url = "rabbit://nova:%s@%s%s/" % (password, host, port)
    errors = errors_for(transport_url=url)
    if nc._urls.check_transport_url(url):  # pylint: disable=protected-access
        assert errors and all(e.startswith("nova_compute_transport_url ") for e in errors), errors
    else:
        assert errors == []
