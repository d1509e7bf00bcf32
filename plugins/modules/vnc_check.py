#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vnc_check
short_description: Check that VNC (RFB) consoles answer with a real handshake
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
author:
  - novaops.compute developers (@novaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - novaops.compute.read_only
options:
  host:
    description:
      - Host name or IP address of a single endpoint.
      - Exactly one of O(host) and O(endpoints) is required.
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
      - Exactly one of O(host) and O(endpoints) is required.
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
  timeout:
    description:
      - Seconds allowed per endpoint for connecting and for the handshake together
        (name resolution is left to the system resolver).
    type: float
    default: 3
  fail_on_unreachable:
    description:
      - Fail when any endpoint is unreachable. The failure message names each failing
        C(host:port) with its reason, and the result still carries RV(endpoints).
      - Set to V(false) to only report, for example to register the result and assert on it.
    type: bool
    default: true
notes:
  - Connections go only where the options point; nothing is sent beyond the 12-byte
    ProtocolVersion answer.
seealso:
  - name: RFC 6143, The Remote Framebuffer Protocol
    description: The handshake this module performs (section 7.1).
    link: https://www.rfc-editor.org/rfc/rfc6143#section-7.1
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
"""

RETURN = r"""
reachable:
  description: Whether every endpoint is reachable (true for an empty list).
  returned: always
  type: bool
  sample: true
endpoints:
  description: One result per endpoint, in the order given.
  returned: always
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
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novaops.compute.plugins.module_utils._rfb import (
    check_endpoints,
    failure_summary,
)

DEFAULT_PORT = 5900


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
            timeout=dict(type="float", default=3.0),
            fail_on_unreachable=dict(type="bool", default=True),
        ),
        mutually_exclusive=[
            ("host", "endpoints"),
            ("port", "display"),
            ("endpoints", "port"),
            ("endpoints", "display"),
        ],
        required_one_of=[("host", "endpoints")],
        supports_check_mode=True,
    )
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be more than 0, got %s" % params["timeout"])
    try:
        endpoints = build_endpoints(params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    results = check_endpoints(endpoints, params["timeout"])
    reachable = all(r["reachable"] for r in results)
    if params["fail_on_unreachable"] and not reachable:
        failed = sum(1 for r in results if not r["reachable"])
        module.fail_json(
            msg="%d of %d VNC endpoint(s) unreachable: %s" % (failed, len(results), failure_summary(results)),
            changed=False,
            reachable=False,
            endpoints=results,
        )
    module.exit_json(changed=False, reachable=reachable, endpoints=results)


if __name__ == "__main__":
    main()
