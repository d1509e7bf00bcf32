"""The role's pre-change checks, run through Ansible: bad input fails with a
message that names the variable and never shows a secret."""

import re

import pytest

GOOD = {
    "nova_compute_transport_url": "rabbit://nova:RABBIT_SECRET@controller:5672/",
    "nova_compute_placement_auth_url": "http://controller:5000/v3",
    "nova_compute_placement_password": "PLACEMENT_SECRET",
    "nova_compute_neutron_auth_url": "http://controller:5000/v3",
    "nova_compute_neutron_password": "NEUTRON_SECRET",
    "nova_compute_my_ip": "10.88.0.11",
    "nova_compute_novncproxy_base_url": "http://controller:6080/vnc_auto.html",
    "nova_compute_cpu_allocation_ratio": 16.0,
    "nova_compute_ram_allocation_ratio": 1.5,
    "__nova_compute_node": {"paths": {"/dev/kvm": {"exists": False}}},
    # What set_vars.yml reads on compute1 (Debian 12): node_state_info's version of nova-common.
    "__nova_compute_release_probe": {
        "package": "nova-common", "manager": "apt", "candidate": None, "installed": "2:26.2.2-1~deb12u5"},
}


def run_check(run_case_playbook, tmp_path, *args, drop=(), **changes):
    case = dict(GOOD)
    case.update(changes)
    for name in drop:
        del case[name]
    rc, output = run_case_playbook("check.yml", case, tmp_path, *args, os_vars=["Debian"])
    for secret in ("RABBIT_SECRET", "PLACEMENT_SECRET", "NEUTRON_SECRET", "DB_SECRET"):
        assert secret not in output
    return rc, output


def test_good_settings_pass(tmp_path, run_case_playbook):
    rc, output = run_check(run_case_playbook, tmp_path)
    assert rc == 0, output
    # said once, with where it came from
    assert words(output).count("Nova 26 (2022.2 Zed), from the installed nova-common 2:26.2.2-1~deb12u5") == 1, output


def words(output):
    """The output with Ansible's line wrapping undone."""
    return " ".join(output.split())


DEBIAN_13_FRESH = {"package": "nova-common", "manager": "apt", "installed": None,
                   "candidate": "nova-common:\n  Installed: (none)\n  Candidate: 2:31.0.0-6+deb13u3\n"}


def test_a_fresh_debian_13_node_is_nova_31_from_apts_candidate(tmp_path, run_case_playbook):
    """Checked against Nova 31's data: its removed [hyperv] is refused, naming the release that had it."""
    rc, output = run_check(run_case_playbook, tmp_path, __nova_compute_release_probe=DEBIAN_13_FRESH)
    assert rc == 0, output
    assert "Nova 31 (2025.1 Epoxy), from apt's candidate nova-common 2:31.0.0-6+deb13u3 (not installed yet)" \
        in words(output)
    rc, output = run_check(run_case_playbook, tmp_path, __nova_compute_release_probe=DEBIAN_13_FRESH,
                           nova_compute_nova_conf_overrides={"hyperv": {"vswitch_name": "br0"}})
    assert rc != 0
    assert "[hyperv] is not a section Nova 31 knows (a section of Nova 26, removed since)" in words(output), output


def test_a_given_release_is_used_when_the_node_cannot_tell(tmp_path, run_case_playbook):
    rc, output = run_check(run_case_playbook, tmp_path, nova_compute_release="31",
                           __nova_compute_release_probe=dict(DEBIAN_13_FRESH, candidate=None))
    assert rc == 0, output
    assert "Nova 31 (2025.1 Epoxy), as nova_compute_release says" in words(output)


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
    # [neutron], checked as [placement] is.
    ({"nova_compute_neutron_password": ""},
     "nova_compute_neutron_password is required (the neutron service user's password)"),
    ({"nova_compute_neutron_auth_url": ""},
     "nova_compute_neutron_auth_url is required (keystone, e.g. http://controller:5000/v3)"),
    ({"nova_compute_neutron_auth_url": "controller:5000/v3"},
     "nova_compute_neutron_auth_url (controller:5000/v3) must be an http:// or https:// URL with a host"),
    ({"nova_compute_neutron_auth_url": "http://[fd00::5:5000/v3"},
     "nova_compute_neutron_auth_url (http://[fd00::5:5000/v3) is not a valid URL"),
    ({"nova_compute_neutron_auth_url": "http://neutron:NEUTRON_SECRET@[fd00::5/v3"},
     "nova_compute_neutron_auth_url is not a valid URL"),
    ({"nova_compute_nova_conf_overrides": {"neutron": {"metadata_proxy_shared_secret": "NEUTRON_SECRET"}}},
     "[neutron] metadata_proxy_shared_secret has no effect on a compute node: nova-api's metadata service"),
])
def test_bad_settings_fail_naming_the_variable(tmp_path, run_case_playbook, changes, fragment):
    rc, output = run_check(run_case_playbook, tmp_path, **changes)
    assert rc != 0
    assert fragment in output, output


# A line break would let a value add options or sections of its own to nova.conf
# or qemu.conf: every place a value reaches the file is refused, naming the variable.
@pytest.mark.parametrize("name", ["nova_compute_neutron_password", "nova_compute_neutron_auth_url"])
def test_a_missing_neutron_setting_is_refused_naming_it(tmp_path, run_case_playbook, name):
    rc, output = run_check(run_case_playbook, tmp_path, drop=[name])
    assert rc != 0, output
    assert "%s is required" % name in output, output


# At -vvv, Ansible's most talkative level: no 4-character piece of the neutron
# password may show, whichever check refuses the settings.
NEUTRON_PASSWORD = "Nt7w@Qz4 Lx9/Rk"


def pieces(secret, size=4):
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def assert_no_piece(output, secret):
    leaked = sorted(piece for piece in pieces(secret) if piece in output)
    assert leaked == [], "pieces of the password in the output: %s\n%s" % (leaked, output)


@pytest.mark.parametrize("changes, fragment", [
    ({"nova_compute_neutron_password": NEUTRON_PASSWORD + "\n[DEFAULT]\ndebug = true"},
     "nova_compute_neutron_password contains a line break or NUL"),
    ({"nova_compute_neutron_password": NEUTRON_PASSWORD,
      "nova_compute_neutron_auth_url": "http://neutron:%s@[fd00::5/v3" % NEUTRON_PASSWORD},
     "nova_compute_neutron_auth_url has a host that is not an IP address or a host name"),
    ({"nova_compute_neutron_password": NEUTRON_PASSWORD,
      "nova_compute_neutron_auth_url": "http://neutron:%s@[fd00::5/v3" % NEUTRON_PASSWORD.replace("/", "%2F")},
     "nova_compute_neutron_auth_url is not a valid URL"),
    ({"nova_compute_neutron_password": NEUTRON_PASSWORD,
      "nova_compute_nova_conf_overrides": {"neutron": {"password": [NEUTRON_PASSWORD, [NEUTRON_PASSWORD]]}}},
     "nova_compute_nova_conf_overrides: [neutron] password has a nested value"),
    ({"nova_compute_neutron_password": NEUTRON_PASSWORD,
      "nova_compute_nova_conf_overrides": {"neutron": {"metadata_proxy_shared_secret": NEUTRON_PASSWORD}}},
     "[neutron] metadata_proxy_shared_secret has no effect on a compute node"),
    ({"nova_compute_neutron_password": NEUTRON_PASSWORD, "nova_compute_cpu_allocation_ratio": -1},
     "nova_compute_cpu_allocation_ratio must be greater than 0"),
])
def test_no_piece_of_the_neutron_password_at_vvv(tmp_path, run_case_playbook, changes, fragment):
    rc, output = run_check(run_case_playbook, tmp_path, "-vvv", **changes)
    assert rc != 0, output
    assert fragment in output, output
    assert_no_piece(output, NEUTRON_PASSWORD)


# The role's first task checks the variables against meta/argument_specs.yml:
# argspec.yml runs that check alone (the role's next tasks, the facts and the
# setting checks, are tagged always).
def run_argspec(run_case_playbook, tmp_path, *args, drop=(), **changes):
    case = dict(GOOD)
    case.update(changes)
    for name in drop:
        del case[name]
    return run_case_playbook("argspec.yml", case, tmp_path, "--check", *args)


def test_the_argument_specs_accept_the_good_settings(tmp_path, run_case_playbook):
    rc, output = run_argspec(run_case_playbook, tmp_path)
    assert rc == 0, output
    assert "Validating arguments against arg spec 'main'" in output, output
    assert re.search(r"localhost\s*: ok=1 ", output), output  # that check, and nothing of the role


@pytest.mark.parametrize("name", ["nova_compute_neutron_password", "nova_compute_neutron_auth_url"])
def test_the_argument_specs_require_the_neutron_settings(tmp_path, run_case_playbook, name):
    rc, output = run_argspec(run_case_playbook, tmp_path, drop=[name])
    assert rc != 0, output
    assert "missing required arguments: %s" % name in output, output
    assert "NEUTRON_SECRET" not in output and "PLACEMENT_SECRET" not in output


@pytest.mark.parametrize("changes, fragment", [
    ({"nova_compute_neutron_password": NEUTRON_PASSWORD, "nova_compute_ram_allocation_ratio": "lots"},
     "argument 'nova_compute_ram_allocation_ratio' is of type str"),
    ({"nova_compute_neutron_password": {"password": NEUTRON_PASSWORD}, "nova_compute_ram_allocation_ratio": "lots"},
     "argument 'nova_compute_ram_allocation_ratio' is of type str"),
    ({"nova_compute_neutron_password": NEUTRON_PASSWORD, "nova_compute_neutron_valid_interfaces": {"internal": 1}},
     "argument 'nova_compute_neutron_valid_interfaces' is of type dict"),
])
def test_the_argument_specs_show_no_piece_of_the_neutron_password_at_vvv(
        tmp_path, run_case_playbook, changes, fragment):
    rc, output = run_argspec(run_case_playbook, tmp_path, "-vvv", **changes)
    assert rc != 0, output
    assert fragment in output, output
    assert_no_piece(output, NEUTRON_PASSWORD)


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


@pytest.mark.parametrize("release", [31, "26", "auto", "27"])
def test_the_argument_specs_leave_the_release_to_the_roles_own_check(tmp_path, run_case_playbook, release):
    """A string (an int from YAML too): which releases exist is the option data's
    to say (validate.yml's first task), not a list of choices typed into the specs."""
    rc, output = run_argspec(run_case_playbook, tmp_path, nova_compute_release=release)
    assert rc == 0, output


def test_an_int_release_is_the_release(tmp_path, run_case_playbook):
    rc, output = run_check(run_case_playbook, tmp_path, nova_compute_release=26)
    assert rc == 0, output
    assert "Nova 26 (2022.2 Zed), as nova_compute_release says" in words(output), output
