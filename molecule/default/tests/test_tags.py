"""`site.yml --tags config` on the converged compute1: one nova.conf override
changes, and the run writes nova.conf and restarts nova-compute, nothing else
(no other file, not libvirt, not a guest). A second run without the override
puts the file back.

It restarts nova-compute, so molecule/conftest.py runs it after this
scenario's other tests (test_compute1.py compares the converge's start times).
"""

import json
import re

from conftest import ansible_playbook, assert_no_secret, guest_pids, recap

testinfra_hosts = ["compute1"]

NOVA_CONF = "/etc/nova/nova.conf"
STAMP = "/root/novaops-tags-stamp"
# Harmless on the bed: read by nova-compute only when the host boots.
OVERRIDE = {"nova_compute_nova_conf_overrides": {"DEFAULT": {"resume_guests_state_on_host_boot": True}}}
LIBVIRT_UNITS = "libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket"
# A task of each other tag: none may run under --tags config.
OTHER_TASKS = ("Install the compute packages (Debian)", "Set qemu.conf options", "Read the libvirt units' state",
               "Enable and start nova-compute", "Apply pending restarts", "Install the VNC viewer and xauth",
               "Find each running guest's console as the console proxy will use it")


def units(host, names):
    """systemctl show's MainPID and ActiveEnterTimestampMonotonic of NAMES, as text."""
    return host.check_output("systemctl show -p Id -p MainPID -p ActiveEnterTimestampMonotonic " + names)


def config_run(*args):
    rc, output = ansible_playbook("site.yml", "--limit", "compute1", "--tags", "config", *args)
    assert_no_secret(output)
    assert rc == 0, output[-3000:]
    return output


def test_tags_config_writes_nova_conf_and_restarts_nova_compute_only(host, tmp_path):
    before_conf = host.check_output("sha256sum " + NOVA_CONF)
    before_nova = units(host, "nova-compute")
    before_libvirt = units(host, LIBVIRT_UNITS)
    before_guests = guest_pids(host)
    assert "resume_guests_state_on_host_boot" not in host.file(NOVA_CONF).content_string
    case = tmp_path / "override.json"
    case.write_text(json.dumps(OVERRIDE))
    host.check_output("touch " + STAMP)
    try:
        output = config_run("-e", "@%s" % case)
        # Files under /etc written by the run (a backup keeps its original's mtime).
        written = host.check_output("find /etc -xdev -type f -newer " + STAMP).split()
        assert written == [NOVA_CONF], written
        assert re.search(r"^resume_guests_state_on_host_boot = true$",
                         host.file(NOVA_CONF).content_string, re.M)
        assert re.search(r"TASK \[novaops\.compute\.nova_compute : Write nova\.conf\][^\n]*\nchanged: \[compute1\]",
                         output), output[-3000:]
        assert "RUNNING HANDLER [novaops.compute.nova_compute : Restart nova-compute]" in output
        assert "RUNNING HANDLER [novaops.compute.nova_compute : Wait for the compute service to become active]" \
            in output
        for task in OTHER_TASKS:
            assert ": %s]" % task not in output and "TASK [%s]" % task not in output, task
        # nova-compute restarted (and the handler waited for it to be active); libvirt and the guests did not.
        assert units(host, "nova-compute") != before_nova
        assert host.service("nova-compute").is_running
        assert units(host, LIBVIRT_UNITS) == before_libvirt
        assert guest_pids(host) == before_guests
        assert "failed=0" in recap(output, "compute1")
    finally:
        # The bed as it was: nova.conf without the override (and nova-compute restarted once more).
        config_run()
    assert host.check_output("sha256sum " + NOVA_CONF) == before_conf
    assert units(host, LIBVIRT_UNITS) == before_libvirt
    assert guest_pids(host) == before_guests
