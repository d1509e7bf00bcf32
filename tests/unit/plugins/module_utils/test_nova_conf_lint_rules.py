"""Unit tests for module_utils/_nova_conf_lint.py: a packstack-era nova.conf
(tests/unit/fixtures/nova_conf_legacy/) linted and migrated against the real
option data of both supported releases."""

import os
import re

import pytest
import yaml

from ansible_collections.novaops.compute.plugins.module_utils import _nova_conf_checks as checks
from ansible_collections.novaops.compute.plugins.module_utils import _nova_conf_lint as lint
from ansible_collections.novaops.compute.plugins.module_utils import _nova_options, _nova_releases
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import parse_ini

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
LEGACY = os.path.join(ROOT, "tests", "unit", "fixtures", "nova_conf_legacy", "packstack-kilo-compute.conf")
SECRETS = {"RABBIT_PASS": "rabbit-S3cret-4711", "NEUTRON_PASS": "neutron-S3cret-4712",
           "NOVA_DBPASS": "db-S3cret-4713"}
# The notes' options: each must be reported as a removed name with its replacement.
NOTES = {("DEFAULT", "vncserver_listen"): "25 (Yoga)", ("DEFAULT", "vncserver_proxyclient_address"): "25 (Yoga)",
         ("DEFAULT", "osapi_volume_listen"): "2013.1 (Grizzly)", ("api", "fping_path"): "18 (Rocky)",
         ("libvirt", "vif_driver"): "2014.2 (Juno)", ("DEFAULT", "scheduler_default_filters"): "24 (Xena)",
         ("oslo_messaging_rabbit", "rabbit_password"): "19 (Stein)"}
# Findings on the fixture, per release: (severity, code) -> number.
EXPECTED = {
    "26": {("error", "console_address"): 2, ("warning", "removed"): 21, ("warning", "unknown_option"): 3,
           ("warning", "forced_allocation_ratio"): 2, ("warning", "database_on_compute"): 1,
           ("warning", "unknown_filter"): 1, ("info", "deprecated_name"): 4},
    "31": {("error", "console_address"): 2, ("warning", "removed"): 21, ("warning", "unknown_option"): 3,
           ("warning", "forced_allocation_ratio"): 2, ("warning", "database_on_compute"): 1,
           ("warning", "unknown_filter"): 1, ("info", "deprecated_name"): 4},
}


def legacy_text(secrets=False):
    with open(LEGACY, encoding="utf-8") as handle:
        text = handle.read()
    if secrets:
        body = text[text.index("[DEFAULT]"):]
        for placeholder, secret in SECRETS.items():
            body = body.replace(placeholder, secret)
        text = body
    return text


def others():
    return [(r, _nova_releases.opt_data(r)) for r in _nova_releases.SUPPORTED]


def run(conf, release, **kwargs):
    if isinstance(conf, str):
        conf = parse_ini(conf)
    return lint.lint(conf, _nova_releases.opt_data(release), others(), **kwargs)


def by_key(findings):
    return {(f["section"], f["option"], f["code"]): f for f in findings}


@pytest.mark.parametrize("release", _nova_releases.SUPPORTED)
def test_the_packstack_file_on_each_release(release):
    findings = run(legacy_text(), release)
    counted = {}
    for finding in findings:
        counted[(finding["severity"], finding["code"])] = counted.get((finding["severity"], finding["code"]), 0) + 1
    assert counted == EXPECTED[release]
    assert [f["severity"] for f in findings] == sorted((f["severity"] for f in findings),
                                                       key=lint.SEVERITIES.index)
    found = by_key(findings)
    for (section, option), removed_in in NOTES.items():
        finding = found[(section, option, "removed")]
        assert finding["removed_in"] == removed_in and finding["change"].startswith("openstack/")
        assert "a running Nova %s ignores it" % release in finding["message"]
    listen = found[("DEFAULT", "vncserver_listen", "removed")]
    assert listen["replacement"] == [{"section": "vnc", "option": "server_listen",
                                      "variable": "nova_compute_vnc_server_listen"}]
    # the ignored VNC fix leaves Nova's loopback defaults, which a remote proxy cannot reach
    client = found[("vnc", "server_proxyclient_address", "console_address")]
    assert "127.0.0.1 but the console proxy (controller) runs on another host" in client["message"]
    assert found[("DEFAULT", "image_cache_manager_interval", "deprecated_name")]["replacement"][0]["variable"] == \
        "nova_compute_image_cache_manager_interval"
    filters = found[("DEFAULT", "scheduler_default_filters", "unknown_filter")]["filters"]
    assert "RetryFilter" in filters and "RamFilter" in filters
    assert ("AvailabilityZoneFilter" in filters) == (release == "31")


@pytest.mark.parametrize("release", _nova_releases.SUPPORTED)
def test_no_secret_in_any_finding_or_masked_migration(release):
    text = legacy_text(secrets=True)
    findings = run(text, release)
    data = _nova_releases.opt_data(release)
    masked = lint.mask_migration(lint.migrate(parse_ini(text), data, compute_only=False), data)
    shown = repr(findings) + repr(masked)
    for secret in SECRETS.values():
        assert secret not in shown
    assert masked["variables"]["nova_compute_transport_url"] == "rabbit://openstack:********@controller:5672/"
    assert masked["variables"]["nova_compute_database_connection"] == "mysql://nova:********@controller/nova"
    assert masked["variables"]["nova_compute_neutron_password"] == "********"


def test_bad_values_are_errors_and_secret_values_stay_hidden():
    findings = by_key(run("[DEFAULT]\nreserved_host_memory_mb = lots\n[libvirt]\nvirt_type = xen\n"
                          "[placement]\npassword = 2\n[vnc]\nnovncproxy_port = 70000\n", "26"))
    assert "got 'lots'" in findings[("DEFAULT", "reserved_host_memory_mb", "bad_value")]["message"]
    assert "must be one of" in findings[("libvirt", "virt_type", "bad_value")]["message"]
    assert "must be at most 65535" in findings[("vnc", "novncproxy_port", "bad_value")]["message"]
    assert ("placement", "password", "bad_value") not in findings


def test_a_current_file_of_the_role_has_no_error_or_removed_name():
    text = ("[DEFAULT]\nmy_ip = 10.0.0.31\ntransport_url = rabbit://nova:x@controller:5672/\n"
            "[vnc]\nenabled = true\nserver_listen = 0.0.0.0\nserver_proxyclient_address = $my_ip\n"
            "novncproxy_base_url = http://controller:6080/vnc_auto.html\n")
    for release in _nova_releases.SUPPORTED:
        assert run(text, release) == []


def test_proxy_client_on_a_wildcard_and_both_consoles():
    findings = by_key(run("[vnc]\nserver_proxyclient_address = 0.0.0.0\n"
                          "novncproxy_base_url = http://controller:6080/\n[spice]\nenabled = true\n", "26"))
    assert "cannot connect to a wildcard address" in findings[
        ("vnc", "server_proxyclient_address", "console_address")]["message"]
    assert findings[("spice", "enabled", "consoles_both_enabled")]["severity"] == "error"


def test_deprecated_name_shadowed_by_the_current_one():
    findings = by_key(run("[DEFAULT]\nimage_cache_manager_interval = 60\n[image_cache]\nmanager_interval = 120\n",
                          "26"))
    finding = findings[("DEFAULT", "image_cache_manager_interval", "deprecated_name")]
    assert finding["severity"] == "warning" and "Nova reads only the new one" in finding["message"]


def test_the_other_releases_data_dates_a_removal():
    """[DEFAULT] notification_driver is an alias in Nova 26's data and gone from 31's."""
    in_26 = by_key(run("[DEFAULT]\nnotification_driver = messagingv2\n", "26"))
    assert ("DEFAULT", "notification_driver", "deprecated_name") in in_26
    in_31 = by_key(run("[DEFAULT]\nnotification_driver = messagingv2\n", "31"))
    finding = in_31[("DEFAULT", "notification_driver", "removed")]
    assert finding["removed_in"] == "after 26"
    assert finding["replacement"] == [{"section": "oslo_messaging_notifications", "option": "driver",
                                       "variable": None}]


def test_semantic_checks_that_need_context():
    text = "[database]\nconnection = mysql+pymysql://nova:x@db/nova\n"
    assert by_key(run(text, "26"))[("database", "connection", "database_on_compute")]
    assert run(text, "26", compute_only=False) == []
    assert run("", "26", shared_instances_path=True)[0]["code"] == "shared_image_cache_removal"
    assert run("[image_cache]\nremove_unused_base_images = false\n", "26", shared_instances_path=True) == []
    findings = by_key(run("[filter_scheduler]\nenabled_filters = ComputeFilter,NoSuchFilter,my.own.Filter\n"
                          "[neutron]\nmetadata_proxy_shared_secret = s\n", "26"))
    assert findings[("filter_scheduler", "enabled_filters", "unknown_filter")]["filters"] == ["NoSuchFilter"]
    assert ("filter_scheduler", "enabled_filters", "controller_only") in findings
    assert "nova-api" in findings[("neutron", "metadata_proxy_shared_secret", "controller_only")]["message"]


def test_unknown_section_and_option_suggest_names():
    findings = by_key(run("[computer]\nx = 1\n[libvirt]\nvirt_typ = kvm\n", "26"))
    assert "did you mean [compute]?" in findings[("computer", "x", "unknown_section")]["message"]
    assert "did you mean virt_type?" in findings[("libvirt", "virt_typ", "unknown_option")]["message"]


def test_substitution():
    conf = {"DEFAULT": {"my_ip": "10.0.0.5"}}
    assert lint.substitute(conf, "$my_ip") == "10.0.0.5"
    assert lint.substitute(conf, "${DEFAULT.my_ip}:1") == "10.0.0.5:1"
    assert lint.substitute({}, "$my_ip") is None


@pytest.mark.parametrize("release", _nova_releases.SUPPORTED)
def test_migration_of_the_packstack_file(release):
    result = lint.migrate(parse_ini(legacy_text()), _nova_releases.opt_data(release))
    variables = result["variables"]
    assert variables["nova_compute_vnc_server_listen"] == "0.0.0.0"
    assert variables["nova_compute_vnc_server_proxyclient_address"] == "10.0.0.31"
    assert variables["nova_compute_console"] == "vnc"
    assert variables["nova_compute_cpu_allocation_ratio"] == 16.0
    assert variables["nova_compute_reserved_host_memory_mb"] == 512
    assert variables["nova_compute_image_cache_remove_unused_base_images"] is True
    assert variables["nova_compute_neutron_username"] == "neutron"
    assert "nova_compute_database_connection" not in variables
    assert result["overrides"] == {}
    dropped = {(d["section"], d["option"]) for d in result["dropped"]}
    moved = {("DEFAULT", "vncserver_listen"), ("DEFAULT", "vncserver_proxyclient_address")}
    assert set(NOTES) - moved <= dropped and not moved & dropped and ("database", "connection") in dropped
    assert result["missing"] == ["nova_compute_placement_auth_url", "nova_compute_placement_password"]
    assert result["notes"] and "v2.0" in result["notes"][0]


def test_transport_url_from_rabbit_hosts():
    conf = {"DEFAULT": {"rabbit_hosts": "r1:5672,r2", "rabbit_userid": "nova", "rabbit_password": "p@ss/1",
                        "rabbit_virtual_host": "/openstack"}}
    assert lint.migrate(conf, _nova_releases.opt_data("26"))["variables"]["nova_compute_transport_url"] == \
        "rabbit://nova:p%40ss%2F1@r1:5672,nova:p%40ss%2F1@r2:5672/openstack"


def test_overrides_keep_other_current_options_and_rename_aliases():
    conf = parse_ini("[DEFAULT]\nnotify_on_state_change = vm_state\ncompute_driver = libvirt.LibvirtDriver\n"
                     "[libvirt]\nvirt_type = lxc\ncpu_model = Haswell\n[compute]\ncpu_shared_set = 0-3\n")
    result = lint.migrate(conf, _nova_releases.opt_data("26"))
    assert result["overrides"] == {"compute": {"cpu_shared_set": "0-3"}, "libvirt": {"virt_type": "lxc"},
                                   "notifications": {"notify_on_state_change": "vm_state"}}
    assert result["variables"]["nova_compute_cpu_models"] == ["Haswell"]


def test_role_variables_match_the_roles_template():
    """Every "{{ nova_compute_* }}" of __nova_compute_conf_base is the variable ROLE_VARIABLES names."""
    with open(os.path.join(ROOT, "roles", "nova_compute", "vars", "main.yml"), encoding="utf-8") as handle:
        base = yaml.safe_load(handle)["__nova_compute_conf_base"]
    seen = 0
    for section, opts in base.items():
        if not isinstance(opts, dict):
            continue
        for option, value in opts.items():
            names = set(re.findall(r"\bnova_compute_[a-z0-9_]+", str(value)))
            if names:
                seen += 1
                assert checks.ROLE_VARIABLES.get((section, option)) in names, (section, option, names)
    assert seen >= 35


def test_the_history_table_names_only_what_no_data_has():
    for (section, option), entry in _nova_options.REMOVED_OPTIONS.items():
        if entry["removed_in"] is None:
            continue  # deprecated, still an option: refused by the role, judged by the data in the lint
        assert entry["change"] and re.match(r"openstack/[a-z.]+ [0-9a-f]{12} ", entry["change"])
        for release in _nova_releases.SUPPORTED:
            data = _nova_releases.opt_data(release)
            assert _nova_options.option_spec(data, section, option) is None, (release, section, option)
