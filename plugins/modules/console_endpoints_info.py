#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: console_endpoints_info
short_description: Where the console proxy will connect to each running guest's VNC console
version_added: 0.1.0
author:
  - novaops.compute developers (@novaops)
description:
  - Reads nova.conf's C([vnc]) section - C(enabled), C(server_proxyclient_address) (the address Nova
    hands to the console proxy) and C(server_listen) (where guests' VNC servers listen) - and each
    running guest's VNC console (port and listen address) from its live domain XML.
  - Returns one endpoint per running guest as the console proxy will use it (the proxy client address
    and the guest's port), and the same ports on the node's loopback, so a playbook can probe both with
    M(novaops.compute.vnc_check) and tell a listen problem from a network one.
  - Runs one C(virsh list --name --state-running), then all the C(virsh dumpxml) in a single C(virsh)
    process (virsh's own command string, each domain name quoted for it).
  - Guests without a VNC console on a TCP port (no C(<graphics type='vnc'>), a console on a UNIX socket,
    a port not allocated yet) are left out of RV(endpoints).
  - For the guests Nova manages, RV(guests[].instance_uuid) and RV(guests[].instance_name) name the server
    (from the C(<nova:instance>) metadata Nova writes into the domain XML), so a playbook can hand them to
    M(novaops.compute.vnc_check)'s O(novaops.compute.vnc_check#module:servers) and open each console through
    the console proxy too.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - novaops.compute.read_only
requirements:
  - virsh (Debian/Ubuntu package libvirt-clients, EL package libvirt-client).
  - C(timeout) (coreutils) to bound each virsh call; without it virsh runs unbounded.
options:
  nova_conf:
    description:
      - Path of nova.conf on the node. It is readable by root and the nova group only, so run the module
        with C(become=true).
      - Unset options take Nova's defaults (C(enabled) V(true), both addresses V(127.0.0.1)); the
        deprecated C([DEFAULT] vnc_enabled) is read too, as Nova does. The C(vncserver_*) names that
        Nova no longer reads are ignored.
    type: path
    default: /etc/nova/nova.conf
  uri:
    description: libvirt connection URI passed to C(virsh -c).
    type: str
    default: qemu:///system
  timeout:
    description: Seconds each C(virsh) process may take; a C(virsh) that does not answer in time is
      killed and the module fails saying so.
    type: int
    default: 30
notes:
  - Nova builds a console's connection info from C(server_proxyclient_address) and the port in the guest's
    live XML; that is what RV(endpoints) holds.
seealso:
  - module: novaops.compute.vnc_check
  - module: novaops.compute.node_health_info
"""

EXAMPLES = r"""
- name: Where does the console proxy connect to each guest?
  novaops.compute.console_endpoints_info:
  become: true
  register: consoles

- name: Open every console from the console proxy's host, concurrently
  novaops.compute.vnc_check:
    endpoints: "{{ consoles.endpoints }}"
    fail_on_unreachable: false
  delegate_to: "{{ groups['controller'][0] }}"
  when: consoles.enabled
  register: probes
"""

RETURN = r"""
enabled:
  description: Nova's C([vnc] enabled) (V(true) when unset).
  returned: success
  type: bool
  sample: true
proxyclient_address:
  description: Nova's C([vnc] server_proxyclient_address), the host the console proxy connects to.
  returned: success
  type: str
  sample: 10.89.77.11
listen:
  description: Nova's C([vnc] server_listen), where Nova asks libvirt to have new guests' VNC servers listen.
  returned: success
  type: str
  sample: 0.0.0.0
guests:
  description: One entry per running guest with a VNC console on a TCP port, sorted by domain name;
    RV(endpoints) and RV(loopback_endpoints) list the same consoles in the same order.
  returned: success
  type: list
  elements: dict
  sample: [{domain: instance-0000002a, port: 5900, listen: 0.0.0.0,
            instance_uuid: 9b4d0c1e-0d64-4b6e-9f0a-1f0e1b2c3d4e, instance_name: web-1}]
  contains:
    domain:
      description: Domain name.
      type: str
    instance_uuid:
      description: The Nova server's UUID (the domain's C(<uuid>), which Nova sets to it); null for a domain
        without Nova's C(<nova:instance>) metadata.
      type: str
    instance_name:
      description: The Nova server's display name (C(<nova:name>)); null for a domain Nova does not manage.
      type: str
    port:
      description: The VNC server's TCP port from the live domain XML.
      type: int
    listen:
      description: The address the guest's VNC server listens on (its live XML), null when the XML names none.
      type: str
endpoints:
  description: Each guest's console where the console proxy connects (RV(proxyclient_address) and the
    guest's port), in the shape M(novaops.compute.vnc_check)'s O(novaops.compute.vnc_check#module:endpoints)
    takes.
  returned: success
  type: list
  elements: dict
  sample: [{host: 10.89.77.11, port: 5900}]
  contains:
    host:
      description: RV(proxyclient_address).
      type: str
    port:
      description: The VNC server's TCP port.
      type: int
loopback_endpoints:
  description: The same consoles on the node's loopback (host V(127.0.0.1)), in the same order.
  returned: success
  type: list
  elements: dict
  sample: [{host: 127.0.0.1, port: 5900}]
  contains:
    host:
      description: V(127.0.0.1).
      type: str
    port:
      description: The VNC server's TCP port.
      type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import conf_get, parse_ini
from ansible_collections.novaops.compute.plugins.module_utils._proc import Host
from ansible_collections.novaops.compute.plugins.module_utils._virsh import (
    Virsh,
    VirshParseError,
    chunk,
    parse_domain,
    quote,
)

ENVIRON = {"LANGUAGE": "C", "LC_ALL": "C"}
LOOPBACK = "127.0.0.1"
NOVA_DEFAULT_ADDRESS = "127.0.0.1"  # nova's default of both [vnc] addresses
# oslo.config's BoolOpt spellings (oslo_utils.strutils.bool_from_string)
TRUE = ("1", "t", "true", "on", "y", "yes")
FALSE = ("0", "f", "false", "off", "n", "no")


def vnc_settings(conf):
    """(enabled, proxyclient_address, listen) from parsed nova.conf, as Nova reads them.

    Raises ValueError for an ``enabled`` that is not a boolean.
    """
    enabled = conf_get(conf, "vnc", "enabled", conf_get(conf, "DEFAULT", "vnc_enabled", "true"))
    if enabled.lower() not in TRUE + FALSE:
        raise ValueError("[vnc] enabled = %s is not a boolean" % enabled)
    return (enabled.lower() in TRUE,
            conf_get(conf, "vnc", "server_proxyclient_address", NOVA_DEFAULT_ADDRESS),
            conf_get(conf, "vnc", "server_listen", NOVA_DEFAULT_ADDRESS))


def vnc_consoles(virsh):
    """``[(domain, port, listen, instance_uuid, instance_name)]`` of the running guests' VNC
    consoles on TCP ports (the last two None for a domain Nova does not manage)."""
    names = virsh.names(["list", "--name", "--state-running"])
    consoles = []
    # keep each command string far below Linux's 128 KiB limit for one argument
    for batch in chunk(names, weight=lambda n: len(quote(n)) + 100):
        commands = [["dumpxml", "--domain", name] for name in batch]
        for name, command, piece in zip(batch, commands, virsh.batch(commands)):
            try:
                domain = parse_domain(piece)
            except VirshParseError:
                # stopped since the listing, or another failure: run it alone for libvirt's own message
                domain, rc, out, err = virsh.single(command, parse_domain)
                if domain is None:
                    if "failed to get domain" in err or "domain is not running" in err:
                        virsh.module.warn("domain %s stopped while being listed; left out" % name)
                        continue
                    virsh.fail("virsh dumpxml failed for %s" % name, command, rc, out, err)
            nova = domain["nova"]
            for graphics in domain["graphics"]:
                if graphics["type"] == "vnc" and graphics["port"] is not None:
                    consoles.append((name, graphics["port"], graphics["listen"],
                                     domain["uuid"] if nova else None, nova["name"] if nova else None))
                    break
    return sorted(consoles)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nova_conf=dict(type="path", default="/etc/nova/nova.conf"),
            uri=dict(type="str", default="qemu:///system"),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    module.run_command_environ_update = ENVIRON
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be more than 0, got %d" % params["timeout"])
    text, error = Host().read_text(params["nova_conf"])
    if text is None:
        module.fail_json(msg="cannot read %s: %s" % (params["nova_conf"], error))
    try:
        enabled, proxyclient, listen = vnc_settings(parse_ini(text))
    except ValueError as exc:
        module.fail_json(msg="%s: %s" % (params["nova_conf"], exc))

    consoles = vnc_consoles(Virsh(module, params["uri"], params["timeout"]))
    module.exit_json(
        changed=False,
        enabled=enabled,
        proxyclient_address=proxyclient,
        listen=listen,
        guests=[{"domain": c[0], "port": c[1], "listen": c[2], "instance_uuid": c[3], "instance_name": c[4]}
                for c in consoles],
        endpoints=[{"host": proxyclient, "port": c[1]} for c in consoles],
        loopback_endpoints=[{"host": LOOPBACK, "port": c[1]} for c in consoles],
    )


if __name__ == "__main__":
    main()
