"""The role's pre-change checks, run through Ansible: bad input fails with a
message that names the variable and never shows a secret."""

import pytest

GOOD = {
    "nova_compute_transport_url": "rabbit://nova:RABBIT_SECRET@controller:5672/",
    "nova_compute_placement_auth_url": "http://controller:5000/v3",
    "nova_compute_placement_password": "PLACEMENT_SECRET",
    "nova_compute_my_ip": "10.88.0.11",
    "nova_compute_novncproxy_base_url": "http://controller:6080/vnc_auto.html",
    "nova_compute_cpu_allocation_ratio": 16.0,
    "nova_compute_ram_allocation_ratio": 1.5,
    "__nova_compute_kvm": {"stat": {"exists": False}},
}


def run_check(run_case_playbook, tmp_path, **changes):
    case = dict(GOOD)
    case.update(changes)
    rc, output = run_case_playbook("check.yml", case, tmp_path, os_vars=["Debian"])
    for secret in ("RABBIT_SECRET", "PLACEMENT_SECRET", "DB_SECRET"):
        assert secret not in output
    return rc, output


def test_good_settings_pass(tmp_path, run_case_playbook):
    rc, output = run_check(run_case_playbook, tmp_path)
    assert rc == 0, output


@pytest.mark.parametrize("changes, fragment", [
    ({"nova_compute_cpu_allocation_ratio": -2.0}, "nova_compute_cpu_allocation_ratio must be greater than 0"),
    ({"nova_compute_virt_type": "kvm"}, "nova_compute_virt_type is kvm but /dev/kvm does not exist"),
    ({"nova_compute_transport_url": "controller:5672"}, "nova_compute_transport_url is not a valid transport URL"),
    ({"nova_compute_database_connection": "oracle://nova:DB_SECRET@db/nova"},
     "nova_compute_database_connection (oracle://nova:********@db/nova) uses the unknown dialect"),
    # Read by nova-scheduler on the controllers, not by nova-compute: refused with the reason.
    ({"nova_compute_scheduler_enabled_filters": ["ComputeFilter"]}, "nova_compute_scheduler_enabled_filters"),
    ({"nova_compute_config_backups": -1}, "nova_compute_config_backups (-1) must be a whole number, 0 or more"),
    ({"nova_compute_nova_conf_overrides": {"DEFAULT": {"vncserver_listen": "0.0.0.0"}}},
     "[DEFAULT] vncserver_listen is not an option in Nova 26"),
    ({"nova_compute_vnc_server_proxyclient_address": "0.0.0.0"}, "nova_compute_vnc_server_proxyclient_address is 0.0.0.0"),
    ({"nova_compute_my_ip": "300.1.1.1"}, "nova_compute_my_ip (300.1.1.1) is not a valid IP address"),
    ({"nova_compute_console": "spice", "nova_compute_nova_conf_overrides": {"vnc": {"enabled": True}}},
     "VNC and SPICE are both enabled"),
])
def test_bad_settings_fail_naming_the_variable(tmp_path, run_case_playbook, changes, fragment):
    rc, output = run_check(run_case_playbook, tmp_path, **changes)
    assert rc != 0
    assert fragment in output, output


# A line break would let a value add options or sections of its own to nova.conf
# or qemu.conf: every place a value reaches the file is refused, naming the variable.
@pytest.mark.parametrize("changes, name", [
    ({"nova_compute_host": "compute1\n[DEFAULT]\ndebug = true"}, "nova_compute_host"),
    ({"nova_compute_cpu_mode": "custom", "nova_compute_cpu_models": ["Haswell\nvif_driver = x"]},
     "nova_compute_cpu_models"),
    ({"nova_compute_oslo_policy": {"policy_file": "policy.yaml\n[DEFAULT]\ndebug = true"}},
     "nova_compute_oslo_policy"),
    ({"nova_compute_nova_conf_overrides": {"DEFAULT": {"debug": "true\r\n[x]"}}},
     "nova_compute_nova_conf_overrides"),
    ({"nova_compute_libvirt_qemu_conf": {"user": "root\ngroup = \"root\""}}, "nova_compute_libvirt_qemu_conf"),
    ({"nova_compute_libvirt_qemu_conf": {"user = \"root\"\nx": "qemu"}}, "nova_compute_libvirt_qemu_conf"),
])
def test_line_breaks_are_refused_naming_the_variable(tmp_path, run_case_playbook, changes, name):
    rc, output = run_check(run_case_playbook, tmp_path, **changes)
    assert rc != 0, output
    failure = output[output.index("fatal:"):] if "fatal:" in output else output
    assert name in failure, output
