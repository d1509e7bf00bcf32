"""Instances started by Nova on the converged compute1, and their consoles
opened the way the dashboard opens them.

Two instances boot through the Compute API from the bed's guest image (it
prints NOVAOPS GUEST and its instance UUID on its console). Each must land
on compute1, reach ACTIVE with a bound, ACTIVE Neutron port, and show its
banner through nova-novncproxy in headless Chromium. The collection's
modules are then checked against them: domiflist_info's tap interface is
the instance's Neutron port, vnc_check's url mode does the RFB handshake
through the proxy's websocket, check_consoles.yml passes.
"""

import json
import os

import novnc_console

from conftest import CONTROLLER_IP, ROOT, ansible_playbook, assert_no_piece, console_url, instance_ports, recap

testinfra_hosts = ["controller"]

SCREENSHOTS = os.environ.get("NOVAOPS_SCREENSHOTS", os.path.join(ROOT, ".cache", "screenshots"))


def test_instances_are_active_on_compute1(nova_instances):
    for name, server in nova_instances.items():
        assert server["status"] == "ACTIVE", name
        assert server["OS-EXT-SRV-ATTR:host"] == "compute1", name
        assert server["OS-EXT-STS:power_state"] in ("Running", 1), name


def test_each_instance_has_a_bound_active_port(host, nova_instances):
    for name, server in nova_instances.items():
        (port,) = instance_ports(host, server["id"])
        assert port["status"] == "ACTIVE", (name, port)
        assert port["binding_host_id"] == "compute1", (name, port)
        assert port["binding_vif_type"] == "bridge", (name, port)


def test_instance_directories_and_base_image_on_compute1(compute1, nova_instances):
    for server in nova_instances.values():
        assert compute1.file("/var/lib/nova/instances/%s/disk" % server["id"]).exists
    # both instances come from one image: their disks read from one cached base file
    backing = {json.loads(compute1.check_output("qemu-img info -U --output=json /var/lib/nova/instances/%s/disk"
                                                % server["id"]))["backing-filename"]
               for server in nova_instances.values()}
    (base,) = backing
    assert base.startswith("/var/lib/nova/instances/_base/"), base
    assert compute1.file(base).exists


def test_domiflist_info_gives_the_instances_neutron_port(host, compute1, nova_instances):
    for name, server in nova_instances.items():
        (port,) = instance_ports(host, server["id"])
        domain = server["OS-EXT-SRV-ATTR:instance_name"]
        result = compute1.ansible("novaops.compute.domiflist_info", "domain=%s" % domain, check=False)
        (interface,) = result["domains"][domain]
        assert interface["port_id_prefix"] == port["id"][:11], (name, interface, port["id"])
        assert interface["interface"] == "tap" + port["id"][:11]
        assert interface["mac"] == port["mac_address"]
        assert interface["type"] == "bridge"


def test_console_opens_in_a_browser_and_shows_the_guest(host, nova_instances):
    """What the dashboard's console tab does: the URL Nova hands out, noVNC in
    a browser, the proxy's websocket, the guest's screen. The banner read off
    the screenshot proves it is this instance's console."""
    os.makedirs(SCREENSHOTS, exist_ok=True)
    for name, server in nova_instances.items():
        url = console_url(host, server["id"])
        assert url.startswith("http://%s:6080/vnc_lite.html?path=" % CONTROLLER_IP), url.split("?")[0]
        screenshot = os.path.join(SCREENSHOTS, name + ".png")
        result = novnc_console.open_console(url, screenshot=screenshot, expect=["NOVAOPS GUEST", server["id"]],
                                            timeout=90)
        assert result.ok, result.as_dict()
        assert result.connected and "Connected" in result.status
        assert os.path.getsize(screenshot) > 10000


def test_vnc_check_url_mode_through_the_proxy(host, nova_instances):
    """vnc_check's RFB handshake through nova-novncproxy's websocket, from the
    controller (as a dashboard user's browser would)."""
    server = nova_instances["bed-vm-1"]
    url = console_url(host, server["id"])
    token = url.split("token%3D")[-1]
    result = host.ansible("novaops.compute.vnc_check", json.dumps({"urls": [url]}), check=False)
    assert result["reachable"] is True, result
    (console,) = result["consoles"]
    assert console["rfb_version"] == "3.8", console
    assert_no_piece(str(result), token)


def test_check_consoles_playbook_checks_the_instances_through_the_proxy(nova_instances):
    """site.yml's console check (molecule.yml sets novaops_console_auth): every
    instance's console through the proxy; -v shows each result."""
    rc, output = ansible_playbook("check_consoles.yml", "-v")
    assert rc == 0, output[-3000:]
    assert "failed=0" in recap(output, "compute1")
    for server in nova_instances.values():
        assert "server: %s" % server["id"] in output
