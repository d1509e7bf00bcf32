"""Tests for the nova_conf_lint module: main() over the packstack-era fixture,
read from files (nova.conf + nova.conf.d) or given as content, with the
release given or read from the package manager's answer."""

import os

import pytest
from conftest import run_module

from ansible_collections.novaops.compute.plugins.module_utils import _packages
from ansible_collections.novaops.compute.plugins.modules import nova_conf_lint as mod

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "nova_conf_legacy",
                       "packstack-kilo-compute.conf")


@pytest.fixture
def node(answered_module, monkeypatch):
    state = answered_module
    state.bins.add("dpkg-query")
    state.unanswered = (1, "", "no packages found")
    state.mounts = ""

    class FileHost:
        def read_text(self, path):
            if path == "/proc/mounts":
                return state.mounts, None
            try:
                with open(path, encoding="utf-8") as handle:
                    return handle.read(), None
            except OSError as exc:
                return None, exc.strerror

    monkeypatch.setattr(mod, "Host", FileHost)
    return state


def run(args):
    return run_module(mod, args)


def legacy():
    with open(FIXTURE, encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("release", ["26", "31"])
def test_the_packstack_file_as_content(node, release, check_mode):
    out = run({"content": legacy(), "release": release, "_ansible_check_mode": check_mode})
    assert not out.failed, out.result
    result = out.result
    assert result["changed"] is False and result["release"] == release and result["files"] == []
    assert result["counts"] == {"error": 2, "warning": 28, "info": 4}
    assert node.calls == []  # a given release asks no package manager
    codes = {(f["section"], f["option"]): f["code"] for f in result["findings"]}
    assert codes[("DEFAULT", "vncserver_listen")] == "removed"
    assert not any("file" in f for f in result["findings"])


def test_files_and_conf_d_and_release_auto(node, tmp_path):
    (tmp_path / "nova.conf").write_text(legacy())
    conf_d = tmp_path / "nova.conf.d"
    conf_d.mkdir()
    # a later file wins: the VNC fix done right in nova.conf.d
    (conf_d / "50-vnc.conf").write_text("[vnc]\nserver_listen = 0.0.0.0\nserver_proxyclient_address = 10.0.0.31\n")
    (conf_d / "README").write_text("not read")
    node.answers["dpkg-query"] = (0, "nova-common\tinstalled\t2:26.2.2-1~deb12u5\n", "")
    node.mounts = "nfs-server:/export /var/lib/nova/instances nfs4 rw 0 0\n"
    out = run({"path": str(tmp_path / "nova.conf"), "config_dir": str(conf_d)})
    assert not out.failed, out.result
    result = out.result
    assert result["release"] == "26" and result["nova_version"] == "2:26.2.2-1~deb12u5"
    assert result["files"] == [str(tmp_path / "nova.conf"), str(conf_d / "50-vnc.conf")]
    assert node.calls == [["/usr/bin/dpkg-query", "-W", "-f", "${Package}\t${db:Status-Status}\t${Version}\n", "nova-common"]]
    codes = [f["code"] for f in result["findings"]]
    assert "console_address" not in codes
    assert "shared_image_cache_removal" in codes
    files = {f["option"]: f.get("file") for f in result["findings"]}
    assert files["vncserver_listen"] == str(tmp_path / "nova.conf")


def test_release_auto_without_nova_fails_with_what_to_do(node):
    out = run({"content": "[DEFAULT]\n"})
    assert out.failed and "give the release (26, 31)" in out.result["msg"]


def test_release_auto_of_a_release_without_data(node):
    node.bins = {"rpm"}
    node.answers["rpm"] = (0, "openstack-nova-common\tinstalled\t1:27.1.0-1.el9\n", "")
    out = run({"content": "[DEFAULT]\n"})
    assert out.failed and "Nova 27" in out.result["msg"] and out.result["nova_version"] == "1:27.1.0-1.el9"


def test_unknown_release_and_unreadable_file(node, tmp_path):
    out = run({"content": "[DEFAULT]\n", "release": "25"})
    assert out.failed and "supported are 26 (Zed), 31 (Epoxy)" in out.result["msg"]
    out = run({"path": str(tmp_path / "missing.conf"), "release": "26"})
    assert out.failed and "cannot read" in out.result["msg"]


def test_path_and_content_exclude_each_other(node):
    out = run({"content": "[DEFAULT]\n", "path": "/etc/nova/nova.conf", "release": "26"})
    assert out.failed and "mutually exclusive" in out.result["msg"]


@pytest.mark.parametrize("tool, stdout, versions", [
    ("dpkg-query", "nova-common\tinstalled\t2:31.0.0-6+deb13u3\n", {"nova-common": "2:31.0.0-6+deb13u3"}),
    # removed with its configuration kept; never installed; dpkg-query's complaint is on stderr
    ("dpkg-query", "nova-common\tconfig-files\t2:26.2.2-1\nxauth\tnot-installed\t\n", {}),
    ("dpkg-query", "", {}),
    ("rpm", "openstack-nova-common\tinstalled\t(none):31.0.0-1.el9\npackage xauth is not installed\n",
     {"openstack-nova-common": "31.0.0-1.el9"}),
])
def test_package_answers(tool, stdout, versions):
    assert _packages.parse_versions(tool, stdout) == versions
