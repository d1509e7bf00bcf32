"""Render nova.conf through ansible-playbook, as configure.yml does, and check
it option by option.

Each case is a set of inventory variables, rendered for each Nova release the
collection supports (26: Debian 12, 31: Debian 13); the rendered file is
parsed as INI and checked with oslo-config-validator against that release's
option data (tests/unit/data/nova_<release>_opt_data.yaml, generated from
Debian's packages), so the check runs without Nova installed.
"""

import configparser
import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
RELEASES = ("26", "31")


def opt_data(release):
    return os.path.join(ROOT, "tests", "unit", "data", "nova_%s_opt_data.yaml" % release)


BASE = {
    "nova_compute_transport_url": "rabbit://nova:RABBIT_SECRET@controller:5672/",
    "nova_compute_placement_auth_url": "http://controller:5000/v3",
    "nova_compute_placement_password": "PLACEMENT_SECRET",
    "nova_compute_neutron_auth_url": "http://controller:5000/v3",
    "nova_compute_neutron_password": "NEUTRON_SECRET",
    "nova_compute_my_ip": "10.88.0.11",
    "nova_compute_novncproxy_base_url": "http://controller:6080/vnc_auto.html",
    "__nova_compute_node": {"paths": {"/dev/kvm": {"exists": False}}},
    "__nova_compute_release": "26",
}

CASES = {
    # The operator's notes: 16.0 / 1.5, 512 MB reserved, qemu, the VNC fix.
    "notes": (["Debian"], {
        "nova_compute_cpu_allocation_ratio": 16.0,
        "nova_compute_ram_allocation_ratio": 1.5,
        "nova_compute_reserved_host_memory_mb": 512,
        "nova_compute_virt_type": "qemu",
        "nova_compute_vnc_server_listen": "0.0.0.0",
        "nova_compute_vnc_server_proxyclient_address": "10.88.0.11",
        "nova_compute_database_connection": "mysql+pymysql://nova:DB_SECRET@controller/nova",
        "nova_compute_api_database_connection": "mysql+pymysql://nova:DB_SECRET@controller/nova_api",
    }),
    # A KVM node (auto finds /dev/kvm) with a SPICE console and live migration.
    "kvm_spice": (["Debian"], {
        "__nova_compute_node": {"paths": {"/dev/kvm": {"exists": True}}},
        "nova_compute_console": "spice",
        "nova_compute_spice_html5proxy_base_url": "https://console.example.org:6082/spice_auto.html",
        "nova_compute_cpu_mode": "host-passthrough",
        "nova_compute_live_migration_scheme": "tls",
        "nova_compute_initial_cpu_allocation_ratio": 8.0,
    }),
    # A RedHat node: same template, RDO's package and service names.
    "redhat": (["RedHat"], {
        "__nova_compute_node": {"paths": {"/dev/kvm": {"exists": True}}},
        "nova_compute_oslo_policy": {"enforce_new_defaults": True, "enforce_scope": True},
    }),
    # Every [neutron] variable set: a region, domains and a project of their own.
    "neutron": (["Debian"], {
        "nova_compute_neutron_auth_url": "https://keystone.example.org:5000/v3",
        "nova_compute_neutron_username": "neutron-compute",
        "nova_compute_neutron_project_name": "services",
        "nova_compute_neutron_user_domain_name": "ServiceDomain",
        "nova_compute_neutron_project_domain_name": "ServiceDomain",
        "nova_compute_neutron_region_name": "RegionTwo",
        "nova_compute_neutron_valid_interfaces": ["internal", "public"],
    }),
    # Overrides: add, change and remove options, and a new section.
    "overrides": (["Debian"], {
        "nova_compute_nova_conf_overrides": {
            "DEFAULT": {"debug": True, "state_path": None, "resume_guests_state_on_host_boot": True},
            "compute": {"cpu_shared_set": "2-3"},
            "image_cache": {"manager_interval": 600},
            "placement": {"valid_interfaces": ["internal", "public"]},
            # Role-owned [neutron] options: the override wins, null removes; and one the role leaves alone.
            "neutron": {"region_name": "RegionTwo", "valid_interfaces": ["internal"], "project_domain_name": None,
                        "timeout": 30},
        },
    }),
}


def render(run_case_playbook, tmp_path, os_vars, variables):
    case = dict(BASE)
    case.update(variables)
    rc, output = run_case_playbook("render.yml", case, tmp_path, os_vars=os_vars, out=tmp_path)
    assert rc == 0, output
    assert "SECRET" not in output
    text = (tmp_path / "nova.conf").read_text()
    parser = configparser.ConfigParser(interpolation=None, default_section="__none__")
    parser.optionxform = str
    parser.read_string(text)
    return text, parser


@pytest.fixture(scope="module")
def rendered_by_release(tmp_path_factory, run_case_playbook):
    """release -> case name -> (text, parsed, directory): every case for every release."""
    out = {}
    for release in RELEASES:
        for name, (os_vars, variables) in CASES.items():
            tmp = tmp_path_factory.mktemp("%s-%s" % (name, release))
            case = dict(variables, __nova_compute_release=release)
            out.setdefault(release, {})[name] = render(run_case_playbook, tmp, os_vars, case) + (tmp,)
    return out


@pytest.fixture(scope="module")
def rendered(rendered_by_release):
    """The cases as rendered for Nova 26."""
    return rendered_by_release["26"]


def validate(path, release="26"):
    return subprocess.run(
        [os.path.join(BIN, "oslo-config-validator"), "--opt-data", opt_data(release), "--input-file", str(path),
         "--fatal-warnings"], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_each_release_accepts_every_file_rendered_for_it(rendered_by_release, release, name):
    result = validate(rendered_by_release[release][name][2] / "nova.conf", release)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_releases_render_the_same_options(rendered_by_release, name):
    """Every option the role writes is one of both releases (tests/unit/roles/
    test_release_data.py): the two renders differ in nothing but the release."""
    assert rendered_by_release["26"][name][0] == rendered_by_release["31"][name][0]


def test_nova_31_rejects_what_it_removed(tmp_path):
    """The opt data is real: Nova 31 removed the Hyper-V driver's and RDP's sections, which Nova 26 has."""
    old = tmp_path / "old.conf"
    old.write_text("[hyperv]\nvswitch_name = br0\n[rdp]\nenabled = false\n")
    assert validate(old, "26").returncode == 0
    result = validate(old, "31")
    assert result.returncode == 1
    for name in ("hyperv/vswitch_name", "rdp/enabled"):
        assert name in result.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_managed_header_and_no_empty_values(rendered, name):
    text, parser = rendered[name][:2]
    assert text.startswith("#\n# Ansible managed")
    for section in parser.sections():
        assert parser.items(section), "empty section [%s]" % section
        for option, value in parser.items(section):
            assert value.strip() != "" and value != "None", "[%s] %s = %r" % (section, option, value)


def test_notes_settings(rendered):
    conf = rendered["notes"][1]
    assert conf["DEFAULT"]["transport_url"] == "rabbit://nova:RABBIT_SECRET@controller:5672/"
    assert conf["DEFAULT"]["my_ip"] == "10.88.0.11"
    assert conf["DEFAULT"]["cpu_allocation_ratio"] == "16.0"
    assert conf["DEFAULT"]["ram_allocation_ratio"] == "1.5"
    assert conf["DEFAULT"]["reserved_host_memory_mb"] == "512"
    assert conf["DEFAULT"]["compute_driver"] == "libvirt.LibvirtDriver"
    assert "disk_allocation_ratio" not in conf["DEFAULT"]
    assert conf["libvirt"]["virt_type"] == "qemu"
    # The VNC fix, with the names Nova 26 reads.
    assert conf["vnc"]["enabled"] == "true"
    assert conf["vnc"]["server_listen"] == "0.0.0.0"
    assert conf["vnc"]["server_proxyclient_address"] == "10.88.0.11"
    assert conf["vnc"]["novncproxy_base_url"] == "http://controller:6080/vnc_auto.html"
    assert "vncserver_listen" not in conf["DEFAULT"]
    assert "vncserver_proxyclient_address" not in conf["DEFAULT"]
    assert not conf.has_section("spice")
    assert conf["database"]["connection"] == "mysql+pymysql://nova:DB_SECRET@controller/nova"
    assert conf["api_database"]["connection"] == "mysql+pymysql://nova:DB_SECRET@controller/nova_api"
    # Read by nova-scheduler on the controllers only: never written here.
    assert not conf.has_section("filter_scheduler")
    assert conf["image_cache"]["subdirectory_name"] == "_base"
    assert conf["image_cache"]["remove_unused_base_images"] == "true"
    assert conf["placement"]["password"] == "PLACEMENT_SECRET"
    assert conf["placement"]["region_name"] == "RegionOne"
    assert conf["placement"]["auth_type"] == "password"
    # [neutron]: the defaults, written as [placement] is.
    assert dict(conf["neutron"]) == {
        "auth_type": "password", "auth_url": "http://controller:5000/v3", "username": "neutron",
        "password": "NEUTRON_SECRET", "project_name": "service", "user_domain_name": "Default",
        "project_domain_name": "Default", "region_name": "RegionOne"}
    assert conf["oslo_concurrency"]["lock_path"] == "/var/lib/nova/tmp"
    assert not conf.has_section("oslo_policy")
    # Deprecated name never written; the new pair only when asked for.
    assert "live_migration_uri" not in conf["libvirt"]
    assert "live_migration_scheme" not in conf["libvirt"]
    assert conf["libvirt"]["live_migration_inbound_addr"] == "10.88.0.11"


def test_kvm_spice(rendered):
    conf = rendered["kvm_spice"][1]
    assert conf["libvirt"]["virt_type"] == "kvm"
    assert conf["libvirt"]["cpu_mode"] == "host-passthrough"
    assert conf["libvirt"]["live_migration_scheme"] == "tls"
    assert conf["spice"]["enabled"] == "true"
    assert conf["spice"]["server_proxyclient_address"] == "10.88.0.11"
    assert conf["spice"]["html5proxy_base_url"] == "https://console.example.org:6082/spice_auto.html"
    # Nova enables VNC by default: it must be switched off explicitly.
    assert dict(conf["vnc"]) == {"enabled": "false"}
    assert conf["DEFAULT"]["initial_cpu_allocation_ratio"] == "8.0"
    assert "cpu_allocation_ratio" not in conf["DEFAULT"]
    assert not conf.has_section("database") and not conf.has_section("api_database")


def test_redhat(rendered):
    conf = rendered["redhat"][1]
    assert conf["libvirt"]["virt_type"] == "kvm"
    assert conf["oslo_policy"]["enforce_new_defaults"] == "true"
    assert conf["oslo_policy"]["enforce_scope"] == "true"


def test_neutron(rendered):
    conf = rendered["neutron"][1]
    assert dict(conf["neutron"]) == {
        "auth_type": "password", "auth_url": "https://keystone.example.org:5000/v3",
        "username": "neutron-compute", "password": "NEUTRON_SECRET", "project_name": "services",
        "user_domain_name": "ServiceDomain", "project_domain_name": "ServiceDomain", "region_name": "RegionTwo",
        "valid_interfaces": "internal,public"}
    # [placement] keeps its own values.
    assert conf["placement"]["username"] == "placement" and conf["placement"]["region_name"] == "RegionOne"
    assert "valid_interfaces" not in conf["placement"]


def test_overrides(rendered):
    conf = rendered["overrides"][1]
    assert conf["DEFAULT"]["debug"] == "true"
    assert "state_path" not in conf["DEFAULT"]
    assert conf["DEFAULT"]["resume_guests_state_on_host_boot"] == "true"
    assert conf["compute"]["cpu_shared_set"] == "2-3"
    assert conf["image_cache"]["manager_interval"] == "600"
    assert conf["placement"]["valid_interfaces"] == "internal,public"
    assert conf["neutron"]["region_name"] == "RegionTwo"
    assert conf["neutron"]["valid_interfaces"] == "internal"
    assert "project_domain_name" not in conf["neutron"]
    assert conf["neutron"]["timeout"] == "30"
    assert conf["neutron"]["password"] == "NEUTRON_SECRET" and conf["neutron"]["user_domain_name"] == "Default"


def test_nova_compute_conf_only_names_the_driver(rendered):
    text = (rendered["notes"][2] / "nova-compute.conf").read_text()
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    assert parser.defaults() == {"compute_driver": "libvirt.LibvirtDriver"}
    assert parser.sections() == []


def test_validator_rejects_the_notes_legacy_options(tmp_path):
    """The opt data is real: the notes' pre-Yoga VNC fix is not a Nova 26 option."""
    legacy = tmp_path / "legacy.conf"
    legacy.write_text("[DEFAULT]\nvncserver_listen = 0.0.0.0\nvncserver_proxyclient_address = 10.0.0.1\n"
                      "[libvirt]\nvif_driver = nova.virt.libvirt.vif.LibvirtGenericVIFDriver\n")
    result = validate(legacy)
    assert result.returncode == 1
    for name in ("DEFAULT/vncserver_listen", "DEFAULT/vncserver_proxyclient_address", "libvirt/vif_driver"):
        assert name in result.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_render_is_what_configure_installs(rendered, name):
    """render.yml writes the text of render_conf.yml with copy, as configure.yml does;
    the template module renders the same bytes."""
    tmp = rendered[name][2]
    assert (tmp / "nova.conf").read_bytes() == (tmp / "nova.conf.template").read_bytes()
    assert (tmp / "nova.conf").read_text().endswith("\n")
    assert not (tmp / "nova.conf").read_text().endswith("\n\n")


def test_configure_validates_diffs_and_installs_the_one_render():
    tasks_dir = os.path.join(ROOT, "roles", "nova_compute", "tasks")
    with open(os.path.join(tasks_dir, "configure.yml"), encoding="utf-8") as handle:
        configure = yaml.safe_load(handle)
    flat = []
    for task in configure:
        flat.append(task)
        flat.extend(task.get("block", []) + task.get("always", []))
    imports = [task["ansible.builtin.import_tasks"] for task in flat if "ansible.builtin.import_tasks" in task]
    assert imports == ["render_conf.yml"]
    names = {task["name"]: task for task in flat}
    for name in ("Write the candidate nova.conf there", "Write nova.conf"):
        assert names[name]["ansible.builtin.copy"]["content"] == "{{ __nova_compute_conf_text }}"
    assert "__nova_compute_conf_text" in str(names["Diff the live nova.conf against the new one"])
    assert "nova.conf.j2" not in yaml.safe_dump(configure)
    write = names["Write nova.conf"]
    assert write["notify"] == "Restart nova-compute" and write["diff"] is False
    assert write["ansible.builtin.copy"]["backup"] is True
    assert write["ansible.builtin.copy"]["mode"] == "0640"
    assert write["no_log"] == "{{ nova_compute_secure_logging | bool }}"


def test_redhat_8_layers_over_redhat(tmp_path, run_case_playbook):
    """vars/RedHat_8.yml holds only what differs; loaded after RedHat.yml it
    gives EL8's monolithic libvirtd and keeps everything else."""
    vars_dir = os.path.join(ROOT, "roles", "nova_compute", "vars")
    with open(os.path.join(vars_dir, "RedHat.yml"), encoding="utf-8") as handle:
        el9 = yaml.safe_load(handle)
    with open(os.path.join(vars_dir, "RedHat_8.yml"), encoding="utf-8") as handle:
        el8 = yaml.safe_load(handle)
    assert sorted(el8) == ["__nova_compute_libvirt_services", "__nova_compute_libvirt_sockets"]
    assert el8["__nova_compute_libvirt_services"] == ["libvirtd"]
    for key, value in el8.items():
        assert el9[key] != value, "%s repeats RedHat.yml" % key
    text, conf = render(run_case_playbook, tmp_path, ["RedHat", "RedHat_8"],
                        {"__nova_compute_node": {"paths": {"/dev/kvm": {"exists": True}}}})
    assert conf["libvirt"]["virt_type"] == "kvm"
