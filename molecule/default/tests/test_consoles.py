"""The collection's modules against the bed's real guests (issue: console and
interface checks): vnc_check from the console proxy's host (the controller),
domiflist_info on compute1; vnc_check's url mode against the controller's
nova-novncproxy, once the bed runs one."""

import json
import uuid

import pytest
from conftest import ADMIN_AUTH, COMPUTE_IP, assert_no_piece

testinfra_hosts = ["controller"]


def vnc_check(host, args):
    return host.ansible("novaops.compute.vnc_check", args, check=False)


@pytest.mark.parametrize("display", [0, 1])
def test_guest_consoles_answer_where_the_proxy_connects(host, display):
    result = vnc_check(host, "host=%s display=%d" % (COMPUTE_IP, display))
    (endpoint,) = result["endpoints"]
    assert result["reachable"] is True, result
    assert endpoint["port"] == 5900 + display
    assert endpoint["rfb_version"] == "3.8"
    assert endpoint["error"] is None
    assert endpoint["auth_required"] is False and "None" in endpoint["security_types"]


def test_closed_port_is_refused(host):
    result = vnc_check(host, "host=%s port=5999 fail_on_unreachable=false" % COMPUTE_IP)
    assert result["reachable"] is False
    assert result["endpoints"][0]["error"] == "connection refused"


def test_ssh_port_is_not_an_rfb_server(host):
    result = vnc_check(host, "host=%s port=22 fail_on_unreachable=false" % COMPUTE_IP)
    error = result["endpoints"][0]["error"]
    assert error.startswith("not an RFB server") and "SSH-2.0" in error, error


def test_unreachable_console_fails_naming_host_port(host):
    # (testinfra's result of a failed module carries msg/rc but not "failed")
    result = vnc_check(host, "host=%s port=5999" % COMPUTE_IP)
    assert result["reachable"] is False
    assert result["msg"] == "1 of 1 VNC endpoint(s) unreachable: %s:5999 (connection refused)" % COMPUTE_IP


def test_domiflist_info_returns_the_defined_interfaces(compute1):
    result = compute1.ansible("novaops.compute.domiflist_info", "all=true", check=False)
    domains = result["domains"]
    (tap,) = domains["bed-guest-tap"]
    assert tap["interface"] == "tap3f2c1a9e-7b"
    assert tap["type"] == "ethernet"
    assert tap["mac"] == "fa:16:3e:11:22:33"
    assert tap["model"] == "virtio"
    assert tap["source"] is None
    assert tap["port_id_prefix"] == "3f2c1a9e-7b"
    (bridge,) = domains["bed-guest-bridge"]
    assert bridge["type"] == "bridge"
    assert bridge["source"] == "br-bed"
    assert bridge["mac"] == "52:54:00:aa:bb:cc"
    assert bridge["model"] == "e1000"
    assert bridge["port_id_prefix"] is None


def test_unknown_domain_fails_with_libvirts_message(compute1):
    # (testinfra's result of a failed module carries msg/rc but not "failed")
    result = compute1.ansible("novaops.compute.domiflist_info", "domain=no-such-guest", check=False)
    assert result["rc"] == 1
    assert "failed to get domain 'no-such-guest'" in result["msg"]
    assert "domains" not in result


NOVNC_URL = "http://controller:6080/vnc_auto.html?path=%%3Ftoken%%3D%s"  # Nova 26's form


def test_a_made_up_console_token_is_the_token_layer(host):
    """Nova 26's proxy closes after the WebSocket upgrade for a token it does not
    know; the Compute API (admin) then tells the module it is the token."""
    token = str(uuid.uuid4())
    args = {"urls": [NOVNC_URL % token], "auth": ADMIN_AUTH, "fail_on_unreachable": False}
    result = host.ansible("novaops.compute.vnc_check", json.dumps(args), check=False)
    (console,) = result["consoles"]
    assert (console["layer"], console["code"], console["http_status"], console["close_code"]) == (
        "token", "token_unknown", 101, None), console
    assert_no_piece(json.dumps(result), token)


def test_a_made_up_console_token_without_auth_names_both_layers(host):
    token = str(uuid.uuid4())
    result = host.ansible("novaops.compute.vnc_check", json.dumps({"urls": [NOVNC_URL % token]}), check=False)
    assert result["reachable"] is False
    (console,) = result["consoles"]
    assert (console["layer"], console["code"]) == ("token_or_proxy_to_compute", "closed_after_upgrade"), console
    assert result["msg"].startswith("1 of 1 console(s) failed through the proxy: "
                                    "http://controller:6080/vnc_auto.html?path=%3Ftoken%3D***: ")
    assert_no_piece(json.dumps(result), token)
