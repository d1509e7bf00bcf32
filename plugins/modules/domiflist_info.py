#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: domiflist_info
short_description: List the network interfaces of libvirt domains (virsh domiflist)
version_added: 0.1.0
author:
  - novaops.compute developers (@novaops)
description:
  - Runs C(virsh domiflist) for one libvirt domain or for every defined domain
    (running and shut off) and returns the interfaces per domain name.
  - Each interface carries C(port_id_prefix) when its device is named like a Neutron
    port (C(tap) or C(vhu) + the first 11 characters of the port UUID), so a playbook
    can join guests to Neutron ports.
  - With O(all=true) the module runs one C(virsh list --all --name) and then all the
    C(domiflist) commands in a single C(virsh) process (virsh's own command string,
    each domain name quoted for it), instead of one process per domain.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - novaops.compute.read_only
requirements:
  - virsh (Debian/Ubuntu package libvirt-clients, EL package libvirt-client)
  - C(timeout) (coreutils) to bound each virsh call; without it virsh runs unbounded.
options:
  domain:
    description:
      - Name, UUID or id of one domain.
      - The result is keyed by the domain's name even when a UUID or id is given.
      - As in virsh, the value is tried as a running domain's id first, then as a UUID,
        then as a name.
      - Exactly one of O(domain) and O(all=true) is required.
    type: str
  all:
    description:
      - List every defined domain, active and inactive.
      - Exactly one of O(domain) and O(all=true) is required.
    type: bool
    default: false
  inactive:
    description:
      - Report the persistent configuration instead of the live one
        (C(virsh domiflist --inactive)). Interface names that libvirt generates at
        start (C(vnet0), C(macvtap0)) are then null; names set in the configuration,
        such as Nova's C(tap) devices, stay.
    type: bool
    default: false
  uri:
    description: libvirt connection URI passed to C(virsh -c).
    type: str
    default: qemu:///system
  timeout:
    description:
      - Seconds each C(virsh) process may take (the listing, each batch, each single rerun); a
        C(virsh) that does not answer in time (a hung libvirt daemon) is killed and the module fails
        saying so.
    type: int
    default: 30
notes:
  - Output is read in the C locale, where virsh escapes non-ASCII bytes in table cells
    (a network named C(réseau) shows as C(r\xff\xffseau)); domain names, which come from
    C(virsh list --name), are not affected.
  - With O(all=true), a domain that is undefined between the listing and the
    C(domiflist) is left out with a warning.
seealso:
  - module: novaops.compute.vnc_check
  - module: community.libvirt.virt
"""

EXAMPLES = r"""
- name: Interfaces of one guest (name, UUID or id)
  novaops.compute.domiflist_info:
    domain: instance-0000002a
  register: guest

- name: Interfaces of every guest, as configured
  novaops.compute.domiflist_info:
    all: true
    inactive: true
  register: guests

- name: Neutron port id prefixes of every guest interface
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value | map(attribute='port_id_prefix') | select | list }}"
  loop: "{{ guests.domains | dict2items }}"
"""

RETURN = r"""
domains:
  description:
    - Interfaces per domain name. A domain without interfaces maps to an empty list.
    - Virsh's C(-) (no value) is returned as null.
  returned: success
  type: dict
  sample:
    instance-0000002a:
      - interface: tap3f2c1a9e-7b
        type: bridge
        source: br-int
        model: virtio
        mac: "fa:16:3e:12:34:56"
        port_id_prefix: 3f2c1a9e-7b
  contains:
    interface:
      description: Host-side device (target dev), null if none (a C(user) interface, or a generated name with O(inactive=true)).
      type: str
    type:
      description: Interface type (C(bridge), C(network), C(ethernet), C(direct), C(user), C(vhostuser), ...).
      type: str
    source:
      description: Bridge, network, lower device or socket path; null if none.
      type: str
    model:
      description: Device model (C(virtio), C(e1000), ...); null if none.
      type: str
    mac:
      description: Guest MAC address.
      type: str
    port_id_prefix:
      description:
        - First 11 characters of the Neutron port UUID when the device is named
          C(tap<prefix>) or C(vhu<prefix>), null otherwise.
        - Match it with C(port.id[:11]) or C(port.id.startswith(prefix)).
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novaops.compute.plugins.module_utils._virsh import (
    Virsh,
    VirshParseError,
    chunk,
    parse_domiflist,
    parse_dominfo_name,
    quote,
)

ENVIRON = {"LANGUAGE": "C", "LC_ALL": "C"}


def _dominfo_name(text):
    name = parse_dominfo_name(text)
    if name is None:
        raise VirshParseError("no Name: in dominfo output")
    return name


def one_domain(virsh, domain, flags):
    """{name: interfaces} for one domain given by name, UUID or id."""
    dominfo = ["dominfo", "--domain", domain]
    domiflist = ["domiflist"] + flags + ["--domain", domain]
    pieces = virsh.batch([dominfo, domiflist])
    try:
        interfaces = parse_domiflist(pieces[1])
    except VirshParseError:
        # Run it alone to report libvirt's own message, rc and output.
        interfaces = virsh.single_or_fail(domiflist, parse_domiflist, domain)
    name = parse_dominfo_name(pieces[0]) or virsh.single_or_fail(dominfo, _dominfo_name, domain)
    return {name: interfaces}


def all_domains(virsh, flags):
    """{name: interfaces} for every defined domain."""
    domains = {}
    # keep each command string far below Linux's 128 KiB limit for one argument
    for names in chunk(virsh.names(["list", "--all", "--name"]), weight=lambda n: len(quote(n)) + 100):
        commands = [["domiflist"] + flags + ["--domain", n] for n in names]
        for name, command, piece in zip(names, commands, virsh.batch(commands)):
            try:
                domains[name] = parse_domiflist(piece)
                continue
            except VirshParseError:
                pass
            interfaces, rc, out, err = virsh.single(command, parse_domiflist)
            if interfaces is not None:
                domains[name] = interfaces
            elif "failed to get domain" in err:
                virsh.module.warn("domain %s was undefined while being listed; left out" % name)
            else:
                virsh.fail("virsh domiflist failed for %s" % name, command, rc, out, err)
    return domains


def main():
    flag = dict(type="bool", default=False)
    module = AnsibleModule(
        argument_spec=dict(domain=dict(type="str"), all=dict(flag), inactive=dict(flag),
                           uri=dict(type="str", default="qemu:///system"), timeout=dict(type="int", default=30)),
        supports_check_mode=True,
    )
    module.run_command_environ_update = ENVIRON
    params = module.params
    if bool(params["domain"]) == params["all"]:
        module.fail_json(msg="exactly one of domain and all=true is required")
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be more than 0, got %d" % params["timeout"])

    virsh = Virsh(module, params["uri"], params["timeout"])
    flags = ["--inactive"] if params["inactive"] else []
    if params["all"]:
        domains = all_domains(virsh, flags)
    else:
        domains = one_domain(virsh, params["domain"], flags)
    module.exit_json(changed=False, domains=domains)


if __name__ == "__main__":
    main()
