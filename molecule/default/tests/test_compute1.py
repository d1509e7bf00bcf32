"""compute1 as configured by playbooks/site.yml: files, services, tools."""

import re

from conftest import COMPUTE_IP, CONTROLLER_IP

from ansible_collections.novaops.compute.plugins.module_utils import _nova_releases
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import parse_ini

testinfra_hosts = ["compute1"]

NOVA_CONF = "/etc/nova/nova.conf"
SECRETS = ("test-only-rabbit-pw", "test-only-placement-pw", "test-only-neutron-pw")


def conf(host):
    """nova.conf as {section: {option: value}} (read as root on the node)."""
    return parse_ini(host.file(NOVA_CONF).content_string)


def test_nova_conf_is_private_and_managed(host):
    nova_conf = host.file(NOVA_CONF)
    assert nova_conf.user == "root"
    assert nova_conf.group == "nova"
    assert nova_conf.mode == 0o640
    assert nova_conf.content_string.startswith("#\n# Ansible managed")


def test_nova_conf_has_the_notes_settings_with_current_names(host):
    c = conf(host)
    assert c["DEFAULT"]["transport_url"].startswith("rabbit://nova:")
    assert c["DEFAULT"]["transport_url"].endswith("@controller:5672/")
    assert c["DEFAULT"]["cpu_allocation_ratio"] == "16.0"
    assert c["DEFAULT"]["ram_allocation_ratio"] == "1.5"
    assert c["DEFAULT"]["reserved_host_memory_mb"] == "512"
    assert c["DEFAULT"]["my_ip"] == COMPUTE_IP
    assert c["vnc"] == {
        "enabled": "true",
        "server_listen": "0.0.0.0",
        "server_proxyclient_address": COMPUTE_IP,
        "novncproxy_base_url": "http://%s:6080/vnc_lite.html" % CONTROLLER_IP,
    }
    assert "vncserver_listen" not in c["DEFAULT"]
    assert c["libvirt"]["virt_type"] == "qemu"  # the bed's choice (.config/molecule/config.yml)
    assert c["placement"]["region_name"] == "RegionOne"
    # nova-compute binds and plugs the instances' ports through Neutron's API
    assert {k: c["neutron"][k] for k in ("auth_type", "auth_url", "username", "region_name")} == {
        "auth_type": "password", "auth_url": "http://controller:5000/v3", "username": "neutron",
        "region_name": "RegionOne"}
    assert c["neutron"]["password"] == "test-only-neutron-pw"
    assert "database" not in c and "api_database" not in c


def test_nova_compute_conf_does_not_override_nova_conf(host):
    """Debian reads it after nova.conf; the package's copy set virt_type and vif_driver."""
    options = [line.split("=")[0].strip()
               for line in host.file("/etc/nova/nova-compute.conf").content_string.splitlines()
               if "=" in line and not line.lstrip().startswith("#")]
    assert options == ["compute_driver"]


def test_the_nodes_own_validator_accepts_nova_conf(host):
    # the option namespaces of the node's release (Nova 26 or 31), as the role loads them
    release = _nova_releases.release_of_version(host.package("nova-common").version)
    namespaces = _nova_releases.opt_data(release)["namespaces"]
    # Fixed words only: testinfra would quote a joined string as one argument.
    cmd = host.run("oslo-config-validator " + " ".join("--namespace=" + n for n in namespaces)
                   + " --fatal-warnings --input-file " + NOVA_CONF)
    assert cmd.rc == 0, cmd.stderr


def test_services_are_active_and_enabled(host):
    nova = host.service("nova-compute")
    assert nova.is_running and nova.is_enabled
    assert host.service("libvirtd").is_enabled
    assert host.service("libvirtd.socket").is_running
    assert host.run("virsh -c qemu:///system version").rc == 0


# .config/molecule/config.yml sets one qemu.conf value of each type.
QEMU_CONF = {
    "log_timestamp": r"1",
    "migration_port_min": r"49152",
    "stdio_handler": r'"logd"',
    "namespaces": r'\[\s*"mount"\s*\]',
}


def test_qemu_conf_is_written_in_libvirts_syntax_and_libvirt_loads_it(host):
    lines = [line.strip() for line in host.file("/etc/libvirt/qemu.conf").content_string.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    for key, value in QEMU_CONF.items():
        found = [line for line in lines if re.match(r"^%s\s*=" % key, line)]
        assert len(found) == 1 and re.fullmatch(r"%s\s*=\s*%s" % (key, value), found[0]), (key, found)
    # libvirt's qemu driver refuses to load a qemu.conf with a value of the
    # wrong type ("true" for a bool, JSON's null): then no qemu:/// URI answers.
    assert host.run("virsh -c qemu:///system capabilities").rc == 0
    # ... and the daemon that answered read this file: it started after the file was written.
    started = int(host.check_output('date -d "$(systemctl show -p ExecMainStartTimestamp --value libvirtd)" +%s'))
    written = int(host.check_output("stat -c %Y /etc/libvirt/qemu.conf"))
    assert started >= written - 1, (started, written)


def test_idempotent_run_restarted_nothing(host):
    """converge.yml recorded the start times; the idempotence run came after."""
    recorded = host.file("/root/novaops-converged-starts.txt").content_string.split()
    # systemctl separates the units' values with a blank line.
    now = host.check_output("systemctl show -p ActiveEnterTimestampMonotonic --value nova-compute libvirtd.socket")
    assert len(recorded) == 2 and now.split() == recorded


def test_nova_conf_backups_stay_private(host):
    for backup in host.run("ls /etc/nova/ | grep '^nova.conf\\..*~$' || true").stdout.split():
        assert host.file("/etc/nova/" + backup).mode == 0o640


def test_vnc_client_tools(host):
    assert host.package("tigervnc-viewer").is_installed
    assert host.package("xauth").is_installed
    assert "TigerVNC" in host.run("vncviewer -h").stderr + host.run("vncviewer -h").stdout
