"""Tests for the node_state_info module: main() over real paths in a temporary
directory (a file, a directory, a link to /dev/null, a missing path), with
systemctl's and debconf-show's answers replayed from captures of a converged
Debian 12 compute node."""

import hashlib
import os

import pytest
from conftest import run_module

from ansible_collections.novaops.compute.plugins.module_utils._debconf import parse_debconf_show
from ansible_collections.novaops.compute.plugins.modules import node_state_info as mod

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "debconf")
# systemctl show --property=... -- nova-compute.service libvirtd.socket no-such.service, as systemd 252 prints it
SYSTEMCTL_SHOW = (
    "Id=nova-compute.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n"
    "Type=notify\nResult=success\nMainPID=812\nExecMainPID=812\nExecMainStatus=0\nNRestarts=0\n\n"
    "Id=libvirtd.socket\nLoadState=loaded\nActiveState=active\nSubState=listening\nUnitFileState=enabled\n"
    "Result=success\n\n"
    "Id=no-such.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\n"
    "Type=simple\nResult=success\nMainPID=0\n")


@pytest.fixture
def node(answered_module):
    answered_module.bins.update({"systemctl", "debconf-show"})
    return answered_module


def run(args):
    return run_module(mod, args)


def debconf_capture():
    with open(os.path.join(FIXTURES, "nova-common.txt"), encoding="utf-8") as handle:
        return handle.read()


def test_paths_as_stat_sees_them_without_following_links(node, tmp_path):
    conf = tmp_path / "nova.conf"
    conf.write_text("[DEFAULT]\nmy_ip = 10.0.0.1\n")
    conf.chmod(0o640)
    lock = tmp_path / "lock"
    lock.mkdir(mode=0o750)
    lock.chmod(0o750)
    mask = tmp_path / "nova-compute.service"
    mask.symlink_to("/dev/null")
    missing = tmp_path / "missing"
    result = run({"paths": [str(conf), str(lock), str(mask), str(missing)]})
    assert not result.failed and result.result["changed"] is False
    paths = result.result["paths"]
    assert paths[str(conf)]["type"] == "file" and paths[str(conf)]["mode"] == "0640"
    assert paths[str(conf)]["checksum"] == hashlib.sha1(conf.read_bytes()).hexdigest()
    assert paths[str(conf)]["size"] == len(conf.read_bytes())
    assert paths[str(lock)]["type"] == "directory" and paths[str(lock)]["mode"] == "0750"
    assert "checksum" not in paths[str(lock)]
    assert paths[str(mask)]["type"] == "link" and paths[str(mask)]["link_target"] == "/dev/null"
    assert paths[str(missing)] == {"exists": False}
    assert paths[str(conf)]["owner"] == __import__("pwd").getpwuid(os.getuid())[0]
    assert node.calls == []  # paths alone: no command runs


def test_no_checksum_when_not_asked(node, tmp_path):
    conf = tmp_path / "nova.conf"
    conf.write_text("x")
    assert "checksum" not in run({"paths": [str(conf)], "checksum": False}).result["paths"][str(conf)]


def test_read_returns_text_and_none_for_a_missing_file(node, tmp_path):
    qemu = tmp_path / "qemu.conf"
    qemu.write_bytes(b'#user = "root"\nlog_timestamp = 1\n\xff\n')
    contents = run({"read": [str(qemu), str(tmp_path / "gone")]}).result["contents"]
    assert contents[str(qemu)] == '#user = "root"\nlog_timestamp = 1\n\ufffd\n'
    assert contents[str(tmp_path / "gone")] is None


def test_units_by_the_names_given_in_one_systemctl_call(node):
    node.answers["systemctl"] = (0, SYSTEMCTL_SHOW, "")
    units = run({"units": ["nova-compute", "libvirtd.socket", "no-such"]}).result["units"]
    assert len(node.calls) == 1 and node.calls[0][:2] == ["/usr/bin/systemctl", "show"]
    assert node.calls[0][-3:] == ["libvirtd.socket", "no-such.service", "nova-compute.service"]
    assert units["nova-compute"]["ActiveState"] == "active" and units["nova-compute"]["MainPID"] == 812
    assert units["libvirtd.socket"]["SubState"] == "listening"
    assert units["no-such"]["LoadState"] == "not-found" and units["no-such"]["UnitFileState"] == ""


def test_units_when_systemd_cannot_be_asked(node):
    node.bins.discard("systemctl")
    result = run({"units": ["nova-compute"]})
    assert not result.failed and result.result["units"] == {}
    assert node.warnings == ["cannot ask systemd about nova-compute: systemctl not found"]


def test_debconf_answers_of_each_package(node):
    node.answers["debconf-show"] = (0, debconf_capture(), "")
    debconf = run({"debconf": ["nova-common"]}).result["debconf"]
    assert node.calls == [["/usr/bin/debconf-show", "nova-common"]]
    assert debconf["nova-common"]["nova/configure_db"] == "false"
    assert debconf["nova-common"]["nova/cinder_os_region_name"] == ""  # asked, answered with nothing
    assert debconf["nova-common"]["nova/rabbit-password"] == "(password omitted)"  # debconf never shows them
    assert len(debconf["nova-common"]) == 27
    assert debconf["nova-common"] == parse_debconf_show(debconf_capture())


# dpkg-query -W -f ... on compute1 (Debian 12) for two installed packages, one
# removed with its configuration kept and one it never heard of (exit 1, that
# one on stderr)
DPKG_QUERY = ("nova-compute\tinstalled\t2:26.2.2-1~deb12u5\n"
              "libvirt-daemon-system\tinstalled\t9.0.0-4+deb12u2\n"
              "tigervnc-viewer\tconfig-files\t1.12.0+dfsg-8\n")


def test_packages_in_one_dpkg_query_call(node):
    node.bins.add("dpkg-query")
    node.answers["dpkg-query"] = (1, DPKG_QUERY, "dpkg-query: no packages found matching xauth\n")
    asked = ["nova-compute", "libvirt-daemon-system", "tigervnc-viewer", "xauth", "nova-compute"]
    result = run({"packages": asked}).result
    assert result["packages"] == {"nova-compute": "2:26.2.2-1~deb12u5", "libvirt-daemon-system": "9.0.0-4+deb12u2",
                                  "tigervnc-viewer": None, "xauth": None}
    assert node.calls == [["/usr/bin/dpkg-query", "-W", "-f", "${Package}\t${db:Status-Status}\t${Version}\n",
                           "nova-compute", "libvirt-daemon-system", "tigervnc-viewer", "xauth"]]


def test_packages_with_rpm(node):
    node.bins.add("rpm")
    node.answers["rpm"] = (1, "openstack-nova-compute\tinstalled\t(none):27.1.0-1.el9\n"
                              "libvirt-daemon-kvm\tinstalled\t1:9.5.0-7.el9\npackage xauth is not installed\n", "")
    result = run({"packages": ["openstack-nova-compute", "libvirt-daemon-kvm", "xauth"]}).result
    assert result["packages"] == {"openstack-nova-compute": "27.1.0-1.el9", "libvirt-daemon-kvm": "1:9.5.0-7.el9",
                                  "xauth": None}


def test_packages_without_a_package_manager(node):
    result = run({"packages": ["xauth"]})
    assert not result.failed and result.result["packages"] == {}
    assert node.warnings == ["cannot ask which of xauth are installed: neither dpkg-query nor rpm is on the node"]
    assert run({}).result["packages"] == {} and node.calls == []


def test_debconf_without_debconf_show_is_empty(node):
    node.bins.discard("debconf-show")
    assert run({"debconf": ["nova-common"]}).result["debconf"] == {"nova-common": {}}


def test_parse_debconf_show_asked_unasked_and_noise():
    text = ("* nova/configure_db: false\n"
            "  nova/cinder_os_region_name:\n"
            "  nova/my-ip: 10.0.0.1 \n"
            "debconf: unable to initialize frontend: Dialog\n")
    assert parse_debconf_show(text) == {"nova/configure_db": "false", "nova/cinder_os_region_name": "",
                                        "nova/my-ip": "10.0.0.1"}
    assert parse_debconf_show("") == {} and parse_debconf_show(None) == {}
