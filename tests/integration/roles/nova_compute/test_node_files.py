"""The role's tasks that edit files on the node, run by Ansible on localhost
against files under a temporary directory: qemu.conf settings in libvirt's
syntax, pruning of nova.conf backups, and the masked failure of wait_active.yml."""

import json
import os
import time

import pytest

QEMU_CONF = """\
# Master configuration file for the QEMU driver.
#
#stdio_handler = "logd"
#max_files = 1024
#log_timestamp = 0
#namespaces = [ "mount" ]
user = "libvirt-qemu"
#vnc_listen = "0.0.0.0"
"""


def write_qemu_conf(run_case_playbook, tmp_path, settings):
    path = tmp_path / "qemu.conf"
    if not path.exists():
        path.write_text(QEMU_CONF)
    rc, output = run_case_playbook(
        "qemu.yml", {"nova_compute_libvirt_qemu_conf": settings}, tmp_path,
        __nova_compute_qemu_conf_path=str(path), nova_compute_libvirt_services=[])
    return rc, output, path


def test_qemu_conf_values_in_libvirt_syntax(tmp_path, run_case_playbook):
    (tmp_path / "qemu.conf").write_text(QEMU_CONF)
    (tmp_path / "qemu.conf").chmod(0o600)  # Debian's: the file may hold console passwords
    rc, output, path = write_qemu_conf(run_case_playbook, tmp_path, {
        "log_timestamp": True, "max_files": 32768, "stdio_handler": "logd", "namespaces": ["mount"],
        "user": None})
    assert rc == 0, output
    lines = path.read_text().splitlines()
    assert "log_timestamp = 1" in lines
    assert "max_files = 32768" in lines
    assert 'stdio_handler = "logd"' in lines
    assert any(line.replace(" ", "") == 'namespaces=["mount"]' for line in lines), lines
    # null removes the setting; the commented examples that were replaced are gone,
    # the untouched ones stay.
    assert not any(line.startswith("user") for line in lines)
    assert '#vnc_listen = "0.0.0.0"' in lines
    assert not any(line.startswith("#max_files") for line in lines)
    assert path.stat().st_mode & 0o777 == 0o600  # the written file keeps the live one's mode
    assert list(tmp_path.glob("qemu.conf.*~")), "the old file is kept as a backup"
    # Idempotent: the same settings change nothing.
    before = path.read_text()
    rc, output, path = write_qemu_conf(run_case_playbook, tmp_path, {
        "log_timestamp": True, "max_files": 32768, "stdio_handler": "logd", "namespaces": ["mount"],
        "user": None})
    assert rc == 0, output
    assert "changed=0" in output, output
    assert path.read_text() == before


def test_qemu_conf_null_leaves_comments_alone(tmp_path, run_case_playbook):
    rc, output, path = write_qemu_conf(run_case_playbook, tmp_path, {"vnc_listen": None})
    assert rc == 0, output
    assert path.read_text() == QEMU_CONF


BACKUP_TIMES = ["2024-01-0%d@10:00:00" % day for day in range(1, 6)]


def make_backups(directory):
    """Five backups of each file (oldest first), and files that are not ours."""
    made = {"nova.conf": [], "nova-compute.conf": []}
    for name, backups in made.items():
        (directory / name).write_text("[DEFAULT]\n")
        for age, stamp in enumerate(reversed(BACKUP_TIMES)):
            backup = directory / ("%s.%d.%s~" % (name, 1000 + age, stamp))
            backup.write_text("password = old%d\n" % age)
            mtime = time.time() - 3600 * (age + 1)
            os.utime(backup, (mtime, mtime))
            backups.insert(0, backup.name)
    others = ["nova.conf.bak", "nova.conf.d~", "api-paste.ini", "nova.conf.12.2024-01-01~",
              "rootwrap.conf.12.2024-01-01@10:00:00~"]
    for name in others:
        (directory / name).write_text("x\n")
    return made, others


@pytest.mark.parametrize("keep", [0, 2, 3, 7])
def test_prune_keeps_the_newest_backups_of_each_file(tmp_path, run_case_playbook, keep):
    etc = tmp_path / "etc-nova"
    etc.mkdir()
    made, others = make_backups(etc)
    rc, output = run_case_playbook(
        "prune.yml", {"nova_compute_config_backups": keep}, tmp_path,
        nova_compute_nova_conf_path=str(etc / "nova.conf"),
        __nova_compute_extra_conf_path=str(etc / "nova-compute.conf"))
    assert rc == 0, output
    left = set(os.listdir(etc))
    for name, backups in made.items():
        assert name in left
        newest_first = list(reversed(backups))
        assert set(newest_first[:keep]) <= left
        assert not set(newest_first[keep:]) & left
    assert set(others) <= left
    assert "old" not in output


def test_prune_without_nova_compute_conf(tmp_path, run_case_playbook):
    """RedHat has no nova-compute.conf (__nova_compute_extra_conf_path null)."""
    etc = tmp_path / "etc-nova"
    etc.mkdir()
    made, _others = make_backups(etc)
    rc, output = run_case_playbook(
        "prune.yml", {"nova_compute_config_backups": 1}, tmp_path,
        nova_compute_nova_conf_path=str(etc / "nova.conf"), __nova_compute_extra_conf_path=None)
    assert rc == 0, output
    left = set(os.listdir(etc))
    assert set(made["nova.conf"]) & left == {made["nova.conf"][-1]}
    assert set(made["nova-compute.conf"]) <= left


RABBIT_PASSWORD = "Zq@x9Lm/7kW"
DB_PASSWORD = "Hv4nQe8rTy"
PLACEMENT_PASSWORD = "Pk2wRs9dJf"
NEUTRON_PASSWORD = "Nq8v@Ty3 Hm5"
OVERRIDE_PASSWORD = "Mb6tYc3uXo"


def pieces(secret, size=4):
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


def test_wait_active_failure_masks_every_secret(tmp_path, run_case_playbook):
    quoted_rabbit = RABBIT_PASSWORD.replace("@", "%40").replace("/", "%2F")
    transport_url = "rabbit://nova:%s@controller:5672/" % quoted_rabbit
    database = "mysql+pymysql://nova:%s@controller/nova" % DB_PASSWORD
    log = tmp_path / "nova-compute.log"
    log.write_text("\n".join([
        "ERROR oslo.messaging AMQP server on controller:5672 is unreachable: %s" % transport_url,
        "ERROR transport_url = %s" % transport_url,
        "ERROR unquoted password %s in a traceback" % RABBIT_PASSWORD,
        "ERROR sqlalchemy %s" % database,
        "ERROR keystoneauth placement password=%s" % PLACEMENT_PASSWORD,
        "ERROR nova.network.neutron Unauthorized for neutron password=%s" % NEUTRON_PASSWORD,
        "ERROR port binding failed: http://neutron:%s@controller:9696/" % NEUTRON_PASSWORD.replace(" ", "%20"),
        "ERROR keystone_authtoken password %s" % OVERRIDE_PASSWORD,
        "INFO the last line",
    ]) + "\n")
    nova_conf = tmp_path / "nova.conf"
    nova_conf.write_text("[DEFAULT]\ntransport_url = %s\n[placement]\npassword = %s\n[neutron]\npassword = %s\n"
                         % (transport_url, PLACEMENT_PASSWORD, NEUTRON_PASSWORD))
    case = {
        "nova_compute_transport_url": transport_url,
        "nova_compute_database_connection": database,
        "nova_compute_placement_password": PLACEMENT_PASSWORD,
        "nova_compute_neutron_password": NEUTRON_PASSWORD,
        "nova_compute_nova_conf_overrides": {"keystone_authtoken": {"password": OVERRIDE_PASSWORD}},
    }
    rc, output = run_case_playbook(
        "wait.yml", case, tmp_path, "-v",
        nova_compute_service_name="novaops-test-no-such-unit", nova_compute_restart_timeout=1,
        nova_compute_nova_conf_path=str(nova_conf), __nova_compute_log_file=str(log))
    assert rc != 0, output
    assert "novaops-test-no-such-unit is" in output, output
    assert "INFO the last line" in output, output
    assert "controller:5672" in output, output
    for secret in (RABBIT_PASSWORD, quoted_rabbit, DB_PASSWORD, PLACEMENT_PASSWORD, NEUTRON_PASSWORD,
                   OVERRIDE_PASSWORD):
        leaked = sorted(piece for piece in pieces(secret) if piece in output)
        assert leaked == [], "pieces of %s in the output: %s\n%s" % (secret, leaked, output)


# node_state_info's answers on a bare Debian 12 node and on a converged one
# (packages: version or null; debconf-show's answers, as strings).
BARE = {"packages": {"nova-compute": None, "nova-compute-kvm": None, "libvirt-daemon-system": None,
                     "qemu-system-x86": None, "python3-oslo.config": None, "python3-osprofiler": None,
                     "nova-common": None},
        "debconf": {"nova-common": {}}}
CONVERGED = {"packages": {name: "2:26.2.2-1~deb12u5" for name in BARE["packages"]},
             "debconf": {"nova-common": {"nova/configure_db": "false", "nova/configure_ksat": "false",
                                         "nova/configure_neutron": "false", "nova/configure_placement": "false",
                                         "nova/cinder_os_region_name": "", "nova/my-ip": "10.89.77.11"}}}


def derive(run_case_playbook, tmp_path, reading):
    out = tmp_path / "derived.json"
    rc, output = run_case_playbook("derive.yml", {"__nova_compute_node_found": reading}, tmp_path, out=str(out))
    assert rc == 0, output
    return json.loads(out.read_text())


def test_a_bare_node_gets_every_package_and_every_debconf_answer(tmp_path, run_case_playbook):
    derived = derive(run_case_playbook, tmp_path, BARE)
    assert derived["missing"] == ["nova-compute", "nova-compute-kvm", "libvirt-daemon-system", "qemu-system-x86",
                                  "python3-oslo.config", "python3-osprofiler"]
    assert "nova-common" in derived["asked"]  # its version says the release
    # the lines debconf-set-selections reads, as ansible.builtin.debconf would write them one call each
    assert derived["debconf"].splitlines() == [
        "nova-common nova/configure_db boolean false", "nova-common nova/configure_ksat boolean false",
        "nova-common nova/configure_neutron boolean false", "nova-common nova/configure_placement boolean false",
        "nova-common nova/cinder_os_region_name string "]


def test_a_converged_node_gets_nothing(tmp_path, run_case_playbook):
    derived = derive(run_case_playbook, tmp_path, CONVERGED)
    assert derived["missing"] == []
    assert not (derived["debconf"] or "").strip()


def test_only_the_missing_and_the_changed(tmp_path, run_case_playbook):
    reading = json.loads(json.dumps(CONVERGED))
    reading["packages"]["python3-osprofiler"] = None
    reading["debconf"]["nova-common"]["nova/configure_db"] = "true"  # someone answered yes by hand
    del reading["debconf"]["nova-common"]["nova/cinder_os_region_name"]
    derived = derive(run_case_playbook, tmp_path, reading)
    assert derived["missing"] == ["python3-osprofiler"]
    assert derived["debconf"].splitlines() == ["nova-common nova/configure_db boolean false",
                                               "nova-common nova/cinder_os_region_name string "]
