#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vnc_check
short_description: Check that VNC (RFB) consoles answer with a real handshake, directly or through the console proxy
version_added: 0.1.0
description:
  - Connects to one or more VNC endpoints (a QEMU guest console, a TigerVNC server, ...)
    and performs the RFB handshake of RFC 6143 up to the list of security types the
    server offers. It then closes the connection. It never chooses a security type and
    never sends credentials, so it works against password-protected consoles too.
  - The client answers the server's ProtocolVersion with the highest version both
    support (3.3, 3.7 or 3.8). Unknown 3.x versions (3.4, 3.6, Apple's 3.889) are
    treated as 3.3, as the RFB specification asks.
  - >-
    An endpoint is B(reachable) when the server sent a valid ProtocolVersion and then
    offered at least one security type, even if every offered type needs a password
    (RV(endpoints[].auth_required=true)). A server that answers with zero security types
    and a reason, or hangs up during the handshake, is unreachable with
    C(server refused: <reason>).
  - Endpoints are checked concurrently (up to 64 at a time), so many silent endpoints
    cost about one O(timeout), not one per endpoint.
  - The check runs on the managed node (use C(delegate_to) to test from elsewhere, for
    example from the console proxy host).
  - >-
    With O(urls), it opens noVNC console URLs as the dashboard does: the WebSocket noVNC's page
    opens to nova-novncproxy (RFC 6455, with the token of the URL), then the same RFB handshake through
    the proxy to the guest's VNC server. A failure names the layer in RV(consoles[].layer) -
    V(proxy_connect) (TCP or TLS to the proxy), V(proxy_http) (its HTTP answer is not a WebSocket),
    V(token) (the proxy refuses the token), V(proxy_to_compute) (the proxy took the token but cannot reach
    the guest's VNC server - the black console of a C([vnc] server_proxyclient_address) on loopback),
    V(rfb) (what answered is not a VNC server) - with the evidence and what to do.
  - >-
    With O(servers) and O(auth), it first asks the Compute API for each server's noVNC console URL
    (C(POST /servers/{id}/remote-consoles), microversion 2.6; a failure there is layer V(compute_api)),
    then opens it.
  - >-
    Nova 26's proxy closes the connection the same way for an invalid or expired token and for a
    compute node it cannot reach (after accepting the WebSocket, with no close frame). With O(auth),
    the module then asks the Compute API (C(GET /os-console-auth-tokens/{token}), microversion 2.31, an
    admin's call by Nova's default policy) which it is, and where the proxy connects
    (RV(consoles[].console_address)); without that answer the layer is V(token_or_proxy_to_compute).
author:
  - novaops.compute developers (@novaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - novaops.compute.read_only
  - novaops.compute.compute_auth
options:
  host:
    description:
      - Host name or IP address of a single endpoint.
      - Exactly one of O(host), O(endpoints), O(urls) and O(servers) is required.
    type: str
  port:
    description:
      - TCP port of the endpoint given with O(host).
      - Mutually exclusive with O(display).
    type: int
    default: 5900
  display:
    description:
      - VNC display number of the endpoint given with O(host); the port is V(5900) + O(display).
      - Mutually exclusive with O(port).
    type: int
  endpoints:
    description:
      - Several endpoints to check concurrently.
      - Exactly one of O(host), O(endpoints), O(urls) and O(servers) is required.
      - An empty list checks nothing and returns RV(reachable=true).
    type: list
    elements: dict
    suboptions:
      host:
        description: Host name or IP address.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        default: 5900
  urls:
    description:
      - noVNC console URLs to open through their console proxy, concurrently, as
        C(openstack console url show) prints them for Nova 26 -
        C(http://proxy:6080/vnc_auto.html?path=%3Ftoken%3D<token>) - or in the older form
        C(...vnc_auto.html?token=<token>); C(vnc_lite.html) and C(vnc.html) alike; C(https://) uses TLS
        (wss). The WebSocket URL is derived as noVNC derives it - V(ws) or V(wss), the host and port of
        the URL (or its C(host) and C(port) parameters), the path from its C(path) parameter, else
        C(websockify) with the C(token) parameter.
      - A console token grants access to a guest's screen, so the URLs are secret - C(no_log), and every
        URL returned has its token replaced by C(***). A URL that sends no token fails the module before
        anything is opened.
      - An empty list checks nothing and returns RV(reachable=true).
      - Exactly one of O(host), O(endpoints), O(urls) and O(servers) is required.
    type: list
    elements: str
  servers:
    description:
      - Nova server UUIDs whose noVNC consoles to check through the console proxy, concurrently; the
        module asks the Compute API for each one's console URL with O(auth), then opens it as with O(urls).
      - One of O(host), O(endpoints), O(urls) and O(servers); an empty list checks nothing.
    type: list
    elements: str
  auth:
    description:
      - Required with O(servers), to ask the Compute API for the console URLs; the same keys as
        M(novaops.compute.node_health_info)'s O(novaops.compute.node_health_info#module:auth).
      - Optional with O(urls), to tell an invalid token from a proxy that cannot reach the compute node
        (layer V(token_or_proxy_to_compute)); that question needs an admin by Nova's default policy.
  api_timeout:
    description: Seconds allowed for each request to Keystone and to the Compute API.
    type: int
    default: 10
  validate_certs:
    description: Verify the TLS certificates of an C(https://) console proxy and of the APIs.
    type: bool
    default: true
  ca_path:
    description: PEM file of the CA certificates to verify them with, instead of the system's.
    type: path
  timeout:
    description:
      - Seconds allowed per endpoint for connecting and for the handshake together
        (name resolution is left to the system resolver).
      - With O(urls) and O(servers), per console, for connecting to the proxy, its WebSocket answer
        and the handshake through it.
    type: float
    default: 3
  fail_on_unreachable:
    description:
      - Fail when any endpoint is unreachable. The failure message names each failing
        C(host:port) with its reason (each failing console with its layer and error), and the
        result still carries RV(endpoints) (RV(consoles)).
      - Set to V(false) to only report, for example to register the result and assert on it.
    type: bool
    default: true
notes:
  - Connections go only where the options point; nothing is sent beyond the 12-byte
    ProtocolVersion answer (through a proxy, the WebSocket Upgrade request a browser sends, with the
    C(Origin) of the noVNC page, and the frames carrying those 12 bytes and the close).
  - It needs Python's standard library only (C(socket), C(ssl); the WebSocket client is the
    collection's own), so nodes without extra Python packages can run it.
  - With O(urls) and O(servers), run it where the dashboard's users are, or on the proxy's host with
    C(delegate_to); the console URL must be reachable from there.
seealso:
  - name: RFC 6143, The Remote Framebuffer Protocol
    description: The handshake this module performs (section 7.1).
    link: https://www.rfc-editor.org/rfc/rfc6143#section-7.1
  - name: RFC 6455, The WebSocket Protocol
    description: How the handshake reaches the guest through the console proxy.
    link: https://www.rfc-editor.org/rfc/rfc6455
  - module: novaops.compute.console_endpoints_info
  - module: novaops.compute.domiflist_info
"""

EXAMPLES = r"""
- name: The guest console on display 0 answers
  novaops.compute.vnc_check:
    host: 127.0.0.1
    display: 0

- name: Check every running guest's console from the console proxy's point of view
  novaops.compute.vnc_check:
    endpoints:
      - host: compute1.example.org
        port: 5900
      - host: compute1.example.org
        port: 5901
    timeout: 2
  delegate_to: "{{ groups['novncproxy'][0] }}"

- name: Report without failing, then insist that no console is open without a password
  novaops.compute.vnc_check:
    host: 127.0.0.1
    port: 5901
    fail_on_unreachable: false
  register: console

- name: Console requires authentication
  ansible.builtin.assert:
    that:
      - console.reachable
      - console.endpoints[0].auth_required

- name: Open a console URL as the dashboard does (openstack console url show -f value -c url SERVER)
  novaops.compute.vnc_check:
    urls:
      - "{{ console_url }}"
    timeout: 5

- name: Every instance's console through nova-novncproxy, with URLs from the Compute API
  novaops.compute.vnc_check:
    servers: "{{ consoles.guests | map(attribute='instance_uuid') | select | list }}"
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: "{{ vault_admin_password }}"
      project_name: admin
    fail_on_unreachable: false
  delegate_to: "{{ groups['controller'][0] }}"
  register: through_proxy

- name: Which layer failed, and what to do
  ansible.builtin.debug:
    msg: "{{ item.server }}: {{ item.layer }} - {{ item.error }}; do: {{ item.action }}"
  loop: "{{ through_proxy.consoles | rejectattr('reachable') }}"
"""

RETURN = r"""
reachable:
  description: Whether every endpoint (console) is reachable (true for an empty list).
  returned: always
  type: bool
  sample: true
endpoints:
  description: One result per endpoint, in the order given.
  returned: with O(host) or O(endpoints)
  type: list
  elements: dict
  contains:
    host:
      description: Host as given.
      type: str
      sample: 127.0.0.1
    port:
      description: TCP port checked.
      type: int
      sample: 5900
    reachable:
      description: The server sent a valid ProtocolVersion and offered at least one security type.
      type: bool
      sample: true
    rfb_version:
      description: Protocol version the server announced, null if none was received.
      type: str
      sample: "3.8"
    negotiated_version:
      description: Version the module answered (3.3, 3.7 or 3.8), null if none.
      type: str
      sample: "3.8"
    security_types:
      description:
        - Security types the server offered, by their IANA registry name
          (V(None), V(VNC Authentication), V(VeNCrypt), V(TLS), V(Tight), ...);
          the number (an int) for types without a name.
        - Empty when unreachable.
      type: list
      elements: raw
      sample: ["VeNCrypt", "VNC Authentication"]
    auth_required:
      description: True unless security type V(None) is offered; null when unreachable.
      type: bool
      sample: true
    error:
      description:
        - >-
          Null when reachable. Otherwise one of V(connection refused), V(timed out),
          V(host unreachable), V(name not resolved),
          C(not an RFB server (sent: <first bytes, escaped>)) (for example an SSH banner),
          C(server refused: <reason>) (the server's own reason, or
          V(connection closed without a reason) when it hung up during the handshake),
          or the operating system's message for any other socket error.
      type: str
      sample: "not an RFB server (sent: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\\r\\n')"
    elapsed_ms:
      description: Wall time spent on this endpoint, in milliseconds.
      type: int
      sample: 3
consoles:
  description: One result per URL or server, in the order given. No text in it holds any piece of a
    console token.
  returned: with O(urls) or O(servers)
  type: list
  elements: dict
  contains:
    url:
      description: The console URL with its token replaced by C(***); null when the Compute API gave none.
      type: str
      sample: "http://10.89.77.10:6080/vnc_auto.html?path=%3Ftoken%3D***"
    websocket_url:
      description: The WebSocket URL derived from it, token masked; null without a URL.
      type: str
      sample: "ws://10.89.77.10:6080/?token=***"
    server:
      description: The server UUID as given (O(servers)); null with O(urls).
      type: str
      sample: 9b4d0c1e-0d64-4b6e-9f0a-1f0e1b2c3d4e
    reachable:
      description: The guest's VNC server offered at least one security type through the proxy.
      type: bool
      sample: false
    layer:
      description:
        - Null when reachable, else the layer that failed - V(compute_api), V(proxy_connect),
          V(proxy_http), V(token), V(proxy_to_compute), V(rfb), or V(token_or_proxy_to_compute) when the
          proxy's answer cannot tell those two apart and the Compute API was not asked or could not say.
      type: str
      sample: proxy_to_compute
    code:
      description:
        - "Why, within the layer - compute_api: V(console_request), V(bad_url); proxy_connect: V(refused),
          V(timed_out), V(unreachable), V(unresolved), V(tls), V(tls_certificate), V(other); proxy_http:
          V(no_answer), V(not_http), V(http_status), V(bad_upgrade), V(websocket_protocol), V(timed_out),
          V(other); token: V(token_unknown); proxy_to_compute: V(target_unreachable) (websockify's close
          1011), V(loopback_address), V(token_known), V(no_greeting); rfb: V(target_closed), V(not_rfb),
          V(refused), V(closed), V(timed_out), V(other); token_or_proxy_to_compute: V(closed_after_upgrade),
          V(closed_by_proxy)."
      type: str
      sample: loopback_address
    error:
      description: Null when reachable, else one line with the evidence (HTTP status, close frame, the
        first bytes that were not RFB, the Compute API's answer).
      type: str
      sample: "the proxy closed the connection after the upgrade, though the Compute API knows the token:
        the proxy connects to 127.0.0.1:5900 for it"
    action:
      description: Null when reachable, else what to do.
      type: str
    http_status:
      description: The proxy's HTTP status (V(101) once it accepted the WebSocket); null without an answer.
      type: int
      sample: 101
    close_code:
      description: The code of the proxy's close frame, null when it sent none.
      type: int
      sample: 1011
    close_reason:
      description: The reason in the proxy's close frame, null when it sent none.
      type: str
      sample: Failed to connect to downstream server
    console_address:
      description: Where the proxy connects for this console (C(host), C(port)), as the Compute API
        told; null when it was not asked.
      type: dict
      sample: {host: 127.0.0.1, port: 5900}
    rfb_version:
      description: Protocol version the guest's VNC server announced through the proxy, null if none.
      type: str
      sample: "3.8"
    negotiated_version:
      description: Version the module answered, null if none.
      type: str
      sample: "3.8"
    security_types:
      description: Security types offered (see RV(endpoints[].security_types)); empty when unreachable.
      type: list
      elements: raw
      sample: ["None"]
    auth_required:
      description: True unless security type V(None) is offered; null when unreachable.
      type: bool
      sample: false
    elapsed_ms:
      description: Wall time of the connection through the proxy, in milliseconds.
      type: int
      sample: 24
"""

import ssl

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novaops.compute.plugins.module_utils import _compute_api as api
from ansible_collections.novaops.compute.plugins.module_utils import _console_proxy as proxy
from ansible_collections.novaops.compute.plugins.module_utils._rfb import (
    check_endpoints,
    failure_summary,
)
from ansible_collections.novaops.compute.plugins.module_utils._urls import UrlError, split_console_url

DEFAULT_PORT = 5900
MIN_NO_LOG_TOKEN = 8  # shorter tokens are not added to Ansible's no_log values (they would mask common text)


def _valid_port(port):
    return 0 < port < 65536


def build_endpoints(params):
    """List of (host, port) from the module parameters; raises ValueError."""
    if params["endpoints"] is not None:
        endpoints = [(ep["host"], ep["port"]) for ep in params["endpoints"]]
    elif params["display"] is not None:
        if params["display"] < 0:
            raise ValueError("display must be 0 or more, got %d" % params["display"])
        endpoints = [(params["host"], DEFAULT_PORT + params["display"])]
    else:
        endpoints = [(params["host"], params["port"])]
    for host, port in endpoints:
        if not host:
            raise ValueError("host must not be empty")
        if not _valid_port(port):
            raise ValueError("port must be between 1 and 65535, got %d for %s" % (port, host))
    return endpoints


def console_tokens(urls):
    """Every console token of ``urls``; raises ValueError naming the URL by its index, never its value."""
    tokens = []
    for index, url in enumerate(urls):
        try:
            tokens.extend(split_console_url(url)["tokens"])
        except UrlError as exc:
            raise ValueError("urls[%d] %s" % (index, exc)) from None
    return tokens


def compute_client(module):
    """A logged-in Compute API client from ``auth``; None without ``auth``."""
    params = module.params
    if params["auth"] is None:
        return None
    settings, problem = api.api_settings(params["auth"], params["validate_certs"], params["ca_path"])
    if problem:
        module.fail_json(msg=problem)
    client = api.ComputeClient(settings, params["api_timeout"])
    error = client.login()
    if error is None:
        return client
    if params["servers"] is not None:
        module.fail_json(msg="cannot ask the Compute API for console URLs: %s" % error)
    module.warn("the Compute API is not asked (%s): an invalid token and a proxy that cannot reach the compute "
                "node stay apart only as token_or_proxy_to_compute" % error)
    return None


def check_consoles(module):
    """The results of the urls or servers mode."""
    params = module.params
    try:
        tokens = console_tokens(params["urls"] or [])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.no_log_values.update(t for t in tokens if len(t) >= MIN_NO_LOG_TOKEN)
    try:
        context = proxy.tls_context(params["validate_certs"], params["ca_path"])
    except (ssl.SSLError, OSError) as exc:
        module.fail_json(msg="ca_path %s cannot be used: %s" % (params["ca_path"], exc))
    client = compute_client(module)
    if params["servers"] is not None:
        if not all(params["servers"]):
            module.fail_json(msg="servers must not contain empty IDs")
        return proxy.check_servers(client, params["servers"], params["timeout"], context)
    return proxy.check_urls(params["urls"], params["timeout"], context, client)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str"),
            port=dict(type="int", default=DEFAULT_PORT),
            display=dict(type="int"),
            endpoints=dict(
                type="list",
                elements="dict",
                options=dict(
                    host=dict(type="str", required=True),
                    port=dict(type="int", default=DEFAULT_PORT),
                ),
            ),
            urls=dict(type="list", elements="str", no_log=True),
            servers=dict(type="list", elements="str"),
            auth=dict(type="dict", options=api.AUTH_OPTIONS),
            api_timeout=dict(type="int", default=10),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="float", default=3.0),
            fail_on_unreachable=dict(type="bool", default=True),
        ),
        mutually_exclusive=[
            ("host", "endpoints", "urls", "servers"),
            ("port", "display"),
            ("endpoints", "port"),
            ("endpoints", "display"),
            ("urls", "port"),
            ("urls", "display"),
            ("servers", "port"),
            ("servers", "display"),
        ],
        required_one_of=[("host", "endpoints", "urls", "servers")],
        required_by={"servers": "auth"},
        supports_check_mode=True,
    )
    params = module.params
    for name in ("timeout", "api_timeout"):
        if params[name] <= 0:
            module.fail_json(msg="%s must be more than 0, got %s" % (name, params[name]))
    if params["urls"] is not None or params["servers"] is not None:
        finish(module, "consoles", check_consoles(module), "console(s) failed through the proxy",
               proxy.failure_summary)
    if params["auth"] is not None:
        module.fail_json(msg="auth goes with urls or servers, not with host or endpoints")
    try:
        endpoints = build_endpoints(params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    finish(module, "endpoints", check_endpoints(endpoints, params["timeout"]), "VNC endpoint(s) unreachable",
           failure_summary)


def finish(module, key, results, what, summary):
    """exit_json with the results under ``key``, or fail_json naming each failure."""
    reachable = all(r["reachable"] for r in results)
    if module.params["fail_on_unreachable"] and not reachable:
        failed = sum(1 for r in results if not r["reachable"])
        module.fail_json(msg="%d of %d %s: %s" % (failed, len(results), what, summary(results)),
                         changed=False, reachable=False, **{key: results})
    module.exit_json(changed=False, reachable=reachable, **{key: results})


if __name__ == "__main__":
    main()
