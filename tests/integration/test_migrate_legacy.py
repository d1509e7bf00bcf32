"""playbooks/migrate_legacy.yml on localhost, against a copy of the
packstack-era nova.conf in a temporary directory: it reports, diffs and
changes nothing; with novaops_migrate_apply it writes the role's nova.conf,
which nova_conf_lint then finds clean of removed names. No secret shows."""

import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "nova_conf_legacy", "packstack-kilo-compute.conf")
SECRETS = {"RABBIT_PASS": "rabbit-S3cret-4711", "NEUTRON_PASS": "neutron-S3cret-4712",
           "NOVA_DBPASS": "db-S3cret-4713"}


def playbook(tmp_path, **extra):
    inventory = tmp_path / "inventory"
    inventory.write_text("[nova_compute]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n"
                         % sys.executable)
    extra = dict({"novaops_migrate_nova_conf": str(tmp_path / "nova.conf"),
                  "novaops_migrate_config_dir": str(tmp_path / "nova.conf.d"),
                  "novaops_migrate_become": False}, **extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
         os.path.join(ROOT, "playbooks", "migrate_legacy.yml"), "-e", json.dumps(extra)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def live(tmp_path):
    with open(FIXTURE, encoding="utf-8") as handle:
        text = handle.read()
    text = text[text.index("[DEFAULT]"):]  # the header names the placeholders
    for placeholder, secret in SECRETS.items():
        text = text.replace(placeholder, secret)
    path = tmp_path / "nova.conf"
    path.write_text(text)
    os.chmod(path, 0o640)
    return path, text


@pytest.mark.parametrize("release", ["26", "31"])
def test_report_and_diff_change_nothing(tmp_path, live, release):
    path, text = live
    rc, out = playbook(tmp_path, novaops_migrate_release=release)
    assert rc == 0, out
    assert path.read_text() == text
    assert sorted(os.listdir(tmp_path)) == ["inventory", "nova.conf"]
    for secret in SECRETS.values():
        assert secret not in out
    assert "nova_compute_vnc_server_listen: 0.0.0.0" in out
    assert "nova_compute_transport_url: rabbit://openstack:********@controller:5672/" in out
    assert "-vncserver_listen = 0.0.0.0" in out and "+server_listen = 0.0.0.0" in out
    assert "-connection = mysql://nova:********@controller/nova" in out
    assert "nova_compute_placement_auth_url" in out  # missing, required
    assert re.search(r"counts:\n\s+error: 2\n\s+info: 4\n\s+warning: 28", out), out
    # the role's nova.conf: only the forced ratios left
    assert re.search(r"counts:\n\s+error: 0\n\s+info: 0\n\s+warning: 2", out), out
    assert "changed=0" in out


def test_apply_writes_the_roles_nova_conf_with_a_backup(tmp_path, live):
    path, text = live
    rc, out = playbook(tmp_path, novaops_migrate_release="26", novaops_migrate_apply=True)
    assert rc == 0, out
    for secret in SECRETS.values():
        assert secret not in out
    new = path.read_text()
    assert new != text and "vncserver_listen" not in new and "[vnc]\nenabled = true\nserver_listen = 0.0.0.0" in new
    assert "transport_url = rabbit://openstack:rabbit-S3cret-4711@controller:5672/" in new
    assert oct(os.stat(path).st_mode & 0o777) == "0o640"
    backups = [n for n in os.listdir(tmp_path) if n.startswith("nova.conf.") and n.endswith("~")]
    assert len(backups) == 1 and (tmp_path / backups[0]).read_text() == text
    # a second run finds the role's file: nothing removed or renamed left to report
    rc, out = playbook(tmp_path, novaops_migrate_release="26")
    assert rc == 0, out
    assert re.search(r"counts:\n\s+error: 0\n\s+info: 0\n\s+warning: 2", out), out
    assert "was removed in Nova" not in out
