"""The operator notes' black console, reproduced on a Nova instance, refused
by the role and fixed by it.

The notes "fixed" the VNC console with [DEFAULT] vncserver_listen and
vncserver_proxyclient_address: names Nova removed (25, Yoga) and Nova 26
ignores without a word. nova-compute then uses [vnc]
server_proxyclient_address's default, 127.0.0.1, and hands that address to
nova-novncproxy with each console token: the proxy, on the controller,
connects to its own loopback and the dashboard's console stays black. The
same browser check as the instance tests shows it, vnc_check's url mode
names the layer, the role refuses both of the notes' ways to write it, and
with the role's own settings the console works again. Until nova-compute
restarts, diagnose.yml warns that the hand-edited file takes effect at the
next restart. The fix is what an operator runs for nova.conf alone,
`site.yml --tags config --diff`: the setting checks still run (both of the
notes' ways are refused under that tag too), the diff shows what it takes
back, nova.conf is the only file under /etc it writes (the edited file kept
as a backup), no task of another tag runs, and only nova-compute restarts.
"""

import base64
import json

import novnc_console

from conftest import (ADMIN_AUTH, COMPUTE_IP, ansible_playbook, assert_no_secret, console_url, diagnose, guest_pids,
                      openstack, recap, report, wait_for_server)

testinfra_hosts = ["compute1"]

NOVA_CONF = "/etc/nova/nova.conf"
# the notes' settings, as they wrote them
NOTES_VNC = "vncserver_listen = 0.0.0.0\nvncserver_proxyclient_address = %s\n" % COMPUTE_IP
STAMP = "/root/novaops-tags-stamp"
# A task of each other tag of site.yml: none may run under --tags config.
OTHER_TASKS = ("Install the compute packages (Debian)", "Set qemu.conf options", "Keep the libvirt sockets listening",
               "Enable and start nova-compute", "Apply pending restarts", "Install the VNC viewer, xauth and the SSH server (Debian)",
               "Find each running guest's console as the console proxy will use it")


def legacy_conf(conf):
    """CONF with the notes' [DEFAULT] vncserver_* names instead of the role's [vnc] server_* options."""
    lines = [line for line in conf.splitlines(keepends=True)
             if not line.startswith(("server_listen", "server_proxyclient_address"))]
    text = "".join(lines)
    return text.replace("[DEFAULT]\n", "[DEFAULT]\n" + NOTES_VNC, 1)


def unit_starts(host, *units):
    """{unit: ActiveEnterTimestampMonotonic}: it changes only when the unit (re)starts."""
    return {unit: host.check_output("systemctl show -p ActiveEnterTimestampMonotonic --value " + unit)
            for unit in units}


def restart_nova_compute(host, controller):
    """Restart nova-compute and wait until the control plane sees it up again."""
    host.check_output("systemctl restart nova-compute")
    for _poll in range(40):
        services = openstack(controller, "compute", "service", "list", "--service", "nova-compute", "--host", "compute1")
        if services and services[0]["State"] == "up" and host.run("systemctl is-active nova-compute").rc == 0:
            return
        host.run("sleep 3")
    raise AssertionError("nova-compute on compute1 did not come back up")


def test_notes_settings_leave_the_console_black_and_the_role_fixes_it(host, controller, nova_instances):
    server = nova_instances["bed-vm-1"]
    pids = guest_pids(host)
    original = host.file(NOVA_CONF).content_string
    assert "vncserver_" not in original
    legacy = legacy_conf(original)
    host.check_output("echo %s | base64 -d > %s" % (base64.b64encode(legacy.encode()).decode(), NOVA_CONF))
    # nothing failed yet: the running nova-compute still uses the old file
    rc, output = diagnose("nova-conf-hand-edited")
    text = report(output)
    assert rc == 0, text
    assert "compute1: healthy (warning: nova_compute)" in text, text
    assert "the change takes effect at the next restart" in text, text
    restart_nova_compute(host, controller)

    # the browser: noVNC loads, the proxy accepts the token, cannot reach 127.0.0.1:590x
    url = console_url(controller, server["id"])
    black = novnc_console.open_console(url, timeout=60)
    assert not black.connected, black.as_dict()
    assert black.failed == "connect", black.as_dict()
    print("notes' settings, noVNC says: %r (%s)" % (black.status, black.detail))

    # vnc_check's url mode, from the controller, names the layer
    check = controller.ansible("novaops.compute.vnc_check", json.dumps(
        {"urls": [url], "auth": ADMIN_AUTH, "fail_on_unreachable": False}), check=False)
    assert check["reachable"] is False, check
    (console,) = check["consoles"]
    assert console["layer"] == "proxy_to_compute", console

    # the role refuses the notes' settings, both ways of writing them, before changing anything
    for extra in ('{"nova_compute_nova_conf_overrides": {"DEFAULT": {"vncserver_listen": "0.0.0.0", '
                  '"vncserver_proxyclient_address": "%s"}}}' % COMPUTE_IP,
                  '{"nova_compute_vnc_server_proxyclient_address": "127.0.0.1"}'):
        rc, output = ansible_playbook("site.yml", "--limit", "compute1", "--tags", "config", "-e", extra)
        assert_no_secret(output)
        assert rc != 0, output[-2000:]
        assert ("vncserver_listen" in output or "nova_compute_vnc_server_proxyclient_address is 127.0.0.1" in output), \
            output[-2000:]
        assert host.file(NOVA_CONF).content_string == legacy

    # the role's settings, nova.conf alone: --tags config writes [vnc] server_* back, restarts only
    # nova-compute, the console works
    starts = unit_starts(host, "nova-compute", "libvirtd.service", "libvirtd.socket")
    host.check_output("touch " + STAMP)
    rc, output = ansible_playbook("site.yml", "--limit", "compute1", "--tags", "config", "--diff")
    assert_no_secret(output)
    assert rc == 0, output[-3000:]
    assert "-vncserver_listen = 0.0.0.0" in output  # the diff shows what is taken back
    assert "changed=" in recap(output, "compute1")
    assert "failed=0" in recap(output, "compute1")
    # files under /etc the run wrote (a backup keeps its original's mtime)
    written = host.check_output("find /etc -xdev -type f -newer " + STAMP).split()
    assert written == [NOVA_CONF], written
    assert "RUNNING HANDLER [novaops.compute.nova_compute : Restart nova-compute]" in output
    for task in OTHER_TASKS:
        assert ": %s]" % task not in output and "TASK [%s]" % task not in output, task
    assert host.file(NOVA_CONF).content_string == original
    backups = host.run("grep -l '^vncserver_listen = 0.0.0.0' /etc/nova/nova.conf.*~").stdout.split()
    assert backups, "the hand-edited file is kept as a backup"
    after = unit_starts(host, "nova-compute", "libvirtd.service", "libvirtd.socket")
    assert after["nova-compute"] != starts["nova-compute"]
    assert after["libvirtd.service"] == starts["libvirtd.service"]
    assert after["libvirtd.socket"] == starts["libvirtd.socket"]
    wait_for_server(controller, server["id"])
    url = console_url(controller, server["id"])
    fixed = novnc_console.open_console(url, expect=["NOVAOPS GUEST", server["id"]], timeout=90)
    assert fixed.ok and fixed.connected, fixed.as_dict()
    assert guest_pids(host) == pids
