#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: guest_info
short_description: Every libvirt guest of a compute node with its Nova identity, disks, interfaces and console, next to Nova's view
version_added: 0.1.0
author:
  - novaops.compute developers (@novaops)
description:
  - Lists every libvirt domain of the node, running or not, with its state (and why it is shut off or
    paused), its Nova identity from the domain's own C(<nova:instance>) metadata (instance UUID, display
    name, flavor, project, user, image, ports), its disks with the image cache (C(_base)) entry each one
    reads from, its interfaces (as M(novaops.compute.domiflist_info) reads them) and its console
    endpoint.
  - Cost - one C(virsh) process for C(list --all) and C(domstats --state), and one for all the domain
    XMLs and interface tables (per 16 KiB of command string), whatever the number of domains; the
    backing file of a disk comes from libvirt's live XML of a running guest, else from the qcow2
    headers of its chain, read directly (no process).
  - With O(auth), asks the Compute API for the servers Nova places on this node (C(GET /servers/detail),
    every project) and reports each disagreement with what Nova's power-state sync will do and what
    the operator should do - an instance ACTIVE in Nova whose domain is shut off or missing, a stopped
    instance whose domain runs (started with C(virsh start) behind Nova's back, which Nova undoes),
    power states that differ, domains Nova does not know.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - novaops.compute.read_only
  - novaops.compute.compute_auth
requirements:
  - virsh (Debian/Ubuntu package libvirt-clients, EL package libvirt-client).
  - C(timeout) (coreutils) to bound each command.
options:
  uri:
    description: libvirt connection URI passed to C(virsh -c).
    type: str
    default: qemu:///system
  nova_conf:
    description:
      - Path of nova.conf on the node, read for C(instances_path), the image cache directory and
        C([DEFAULT] host). Nova's defaults are used when it cannot be read (with a warning).
    type: path
    default: /etc/nova/nova.conf
  host:
    description:
      - Host name of this node's nova-compute in the Compute API.
      - Defaults to nova.conf's C([DEFAULT] host), else the node's host name (Nova's own default).
    type: str
  timeout:
    description: Seconds each C(virsh) process or API request may take.
    type: int
    default: 30
  auth:
    description:
      - With these credentials (an admin's - listing every project's servers on a host is admin only),
        the guests are joined with Nova's view of this node. Without them only the node's own view is
        returned.
  validate_certs:
    description: Verify the APIs' TLS certificates.
    type: bool
    default: true
  ca_cert:
    description: CA bundle to verify the APIs' certificates with.
    type: path
notes:
  - Starting a domain with C(virsh start) behind Nova's back is undone - Nova's power-state sync
    force-stops an instance it records as stopped. Start instances with C(openstack server start).
seealso:
  - module: novaops.compute.image_cache_info
  - module: novaops.compute.node_health_info
  - module: novaops.compute.domiflist_info
"""

EXAMPLES = r"""
- name: The guests of this node
  novaops.compute.guest_info:
  become: true
  register: guests

- name: The guests next to Nova's view (credentials kept on the controller)
  novaops.compute.guest_info:
    auth: "{{ novaops_admin_auth }}"
  become: true
  register: guests

- name: Fail when libvirt and Nova disagree
  ansible.builtin.assert:
    that: guests.problems | length == 0
    fail_msg: "{{ guests.problems | map(attribute='message') | join('; ') }}"
"""

RETURN = r"""
guests:
  description: One per libvirt domain, by name.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The libvirt domain name (V(instance-0000002a) for Nova's).
      type: str
    uuid:
      description: The domain's UUID (a Nova instance's is its instance UUID).
      type: str
    state:
      description: libvirt's state - V(running), V(paused), V(shutoff), V(crashed), V(pmsuspended), ...
      type: str
    state_reason:
      description: Why a domain is shut off (V(destroyed), V(crashed), V(shutdown), ...) or paused
        (V(ioerror), V(user), ...); null otherwise.
      type: str
    nova:
      description: The Nova identity from the domain's metadata; null for a domain Nova does not manage.
      type: dict
      sample: {name: web-1, creation_time: "2026-11-30 18:46:33", package: 26.2.2,
               flavor: {name: m1.small, memory_mb: 2048, disk_gb: 20, vcpus: 1, swap_mb: 0, ephemeral_gb: 0},
               project: {id: 4d01..., name: demo}, user: {id: 6c64..., name: alice},
               image_id: 95c5c184-ac90-42a3-a104-d44ec63f8a60,
               ports: [{id: 137a71dd-e1e6-45cf-8734-930f71b7992d, ips: [192.0.2.138]}]}
    disks:
      description: The domain's disks.
      type: list
      elements: dict
      sample: [{target: vda, device: disk, type: file, format: qcow2,
                source: /var/lib/nova/instances/77cb.../disk,
                backing: [/var/lib/nova/instances/_base/6052df28e51f313a438ec3a07865dd2e5ee037f3],
                base: 6052df28e51f313a438ec3a07865dd2e5ee037f3}]
    interfaces:
      description: The C(virsh domiflist) rows, as M(novaops.compute.domiflist_info) returns them.
      type: list
      elements: dict
    console:
      description: The first VNC or SPICE console (C(type), C(port), C(listen)); null without one.
      type: dict
    api:
      description: Nova's record of the instance (C(status), C(vm_state), C(task_state), C(power_state)
        and its name); null without O(auth) or when Nova does not place it here.
      type: dict
problems:
  description: Each disagreement between libvirt and Nova, with what to do; empty without O(auth).
  returned: always
  type: list
  elements: dict
  contains:
    code:
      description: V(domain_missing), V(active_but_shut_off), V(active_but_suspended),
        V(started_behind_novas_back), V(paused_but_shut_off), V(power_state_differs), V(unknown_to_nova)
        or V(not_a_nova_instance).
      type: str
    instance_uuid:
      description: The instance's UUID (the domain's for a domain Nova does not know).
      type: str
    instance_name:
      description: The server's display name in Nova; null when Nova does not know it.
      type: str
    domain:
      description: The libvirt domain; null when it is missing.
      type: str
    message:
      description: What disagrees.
      type: str
    action:
      description: What to do.
      type: str
  sample:
    - code: active_but_shut_off
      instance_uuid: 77cb0890-0dbb-49fd-8dc4-e185f3c20b84
      instance_name: bed-vm-2
      domain: instance-00000002
      message: "bed-vm-2 (77cb0890-0dbb-49fd-8dc4-e185f3c20b84) is ACTIVE in Nova but its domain is not running
        (Nova: active, power state RUNNING; libvirt: shutoff (destroyed))"
      action: "Nova's power-state sync (on libvirt's event, else within sync_power_state_interval, 600 s) will
        mark it SHUTOFF; then openstack server start 77cb0890-0dbb-49fd-8dc4-e185f3c20b84. Or openstack server
        reboot --hard 77cb0890-0dbb-49fd-8dc4-e185f3c20b84 now. Not virsh start: Nova does not know of it"
api:
  description: Whether Nova was asked - C(asked), C(host) (the host name asked for), C(servers) (how many
    Nova places here) and C(error) (why not, masked).
  returned: always
  type: dict
  sample: {asked: true, host: compute1, servers: 2, error: null}
summary:
  description: Counts.
  returned: always
  type: dict
  sample: {domains: 3, running: 2, nova_instances: 2, problems: 1}
"""

import os

from ansible_collections.novaops.compute.plugins.module_utils import _compute_api as api
from ansible_collections.novaops.compute.plugins.module_utils import _guests as guests
from ansible_collections.novaops.compute.plugins.module_utils._image_cache import CacheConfigError, cache_settings
from ansible_collections.novaops.compute.plugins.module_utils._node import node_module, read_nova_conf
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import conf_get
from ansible_collections.novaops.compute.plugins.module_utils._proc import Host
from ansible_collections.novaops.compute.plugins.module_utils._qemu_img import QemuImgParseError, backing_chain
from ansible_collections.novaops.compute.plugins.module_utils._virsh import (
    SHUTOFF_REASONS,
    Virsh,
    VirshParseError,
    chunk,
    parse_domain,
    parse_domiflist,
    parse_domstats_state,
    parse_name_list,
    quote,
)

# virDomainPausedReason (libvirt-domain.h)
PAUSED_REASONS = {0: "unknown", 1: "user", 2: "migration", 3: "save", 4: "dump", 5: "ioerror", 6: "watchdog",
                  7: "from snapshot", 8: "shutting down", 9: "snapshot", 10: "starting up", 11: "postcopy",
                  12: "postcopy failed"}


def read_domains(virsh):
    """``[{domain XML parsed, state, state_reason, interfaces}]`` of every domain, by name."""
    listing, stats = virsh.batch([["list", "--all", "--name"], ["domstats", "--state"]])
    names = sorted(parse_name_list(listing))
    states = parse_domstats_state(stats)
    found = []
    for batch in chunk(names, max_chars=16384, weight=lambda n: 2 * len(quote(n)) + 200):
        commands = []
        for name in batch:
            commands += [["dumpxml", "--domain", name], ["domiflist", "--domain", name]]
        pieces = virsh.batch(commands)
        for index, name in enumerate(batch):
            try:
                domain = parse_domain(pieces[2 * index])
            except VirshParseError:
                virsh.module.warn("domain %s was undefined while being listed; left out" % name)
                continue
            try:
                interfaces = parse_domiflist(pieces[2 * index + 1])
            except VirshParseError:
                interfaces = []
            state = states.get(name, {})
            code, reason = state.get("state"), state.get("reason")
            reasons = SHUTOFF_REASONS if code == 5 else PAUSED_REASONS if code == 3 else {}
            domain.update(state=code, state_reason=reasons.get(reason), interfaces=interfaces)
            found.append(domain)
    return found


def add_bases(module, domains, cache_dir):
    """Fill each file disk's ``backing`` (from the qcow2 headers when libvirt's
    XML has none: an inactive domain) and its ``base`` entry."""
    real_cache = os.path.realpath(cache_dir)
    for domain in domains:
        for disk in domain["disks"]:
            path = disk["source"]
            if not disk["backing"] and disk["type"] == "file" and disk["device"] == "disk" \
                    and path and os.path.isfile(path):
                try:
                    disk["backing"] = backing_chain(path)
                except (OSError, QemuImgParseError) as exc:
                    module.warn("cannot read the backing chain of %s (%s): %s" % (path, domain["name"], exc))
            disk["base"] = next((os.path.basename(p) for p in disk["backing"]
                                 if os.path.dirname(os.path.realpath(p)) == real_cache), None)


def console_of(domain):
    for graphics in domain["graphics"]:
        if graphics["type"] in ("vnc", "spice"):
            return {"type": graphics["type"], "port": graphics["port"], "listen": graphics["listen"]}
    return None


def ask_nova(module, host_name):
    """``(server views or None, error)`` of the servers Nova places on host_name."""
    params = module.params
    settings, problem = api.api_settings(params["auth"], params["validate_certs"], params["ca_cert"])
    if problem:
        module.fail_json(msg=problem)
    client = api.ComputeClient(settings, params["timeout"])
    error = client.login() or None
    if error:
        return None, error
    servers, error = api.servers_on_host(client, host_name)
    if error:
        return None, error
    return [guests.server_view(s) for s in servers], None


def main():
    module = node_module(
        dict(
            uri=dict(type="str", default="qemu:///system"),
            nova_conf=dict(type="path", default="/etc/nova/nova.conf"),
            host=dict(type="str"),
            timeout=dict(type="int", default=30),
            auth=dict(type="dict", options=api.AUTH_OPTIONS),
            validate_certs=dict(type="bool", default=True),
            ca_cert=dict(type="path"),
        ),
    )
    params = module.params
    node = Host()
    conf = read_nova_conf(module, node, params["nova_conf"], required=False)
    try:
        settings, _sources = cache_settings(conf)
    except CacheConfigError as exc:
        module.fail_json(msg="%s: %s" % (params["nova_conf"], exc))
    host_name = params["host"] or conf_get(conf, "DEFAULT", "host") or node.hostname()

    domains = read_domains(Virsh(module, params["uri"], params["timeout"]))
    add_bases(module, domains, os.path.join(settings["instances_path"], settings["subdirectory_name"]))

    servers, api_error, problems, pairs = None, None, [], {}
    if params["auth"] is not None:
        servers, api_error = ask_nova(module, host_name)
        if api_error:
            module.warn("Nova's view is left out: %s" % api_error)
        else:
            pairs, problems = guests.join(domains, servers)

    out = []
    for domain in domains:
        out.append({
            "domain": domain["name"],
            "uuid": domain["uuid"],
            "state": guests.DOMAIN_STATES.get(domain["state"]),
            "state_reason": domain["state_reason"],
            "nova": domain["nova"],
            "disks": domain["disks"],
            "interfaces": domain["interfaces"],
            "console": console_of(domain),
            "api": pairs.get(domain["name"]),
        })
    module.exit_json(
        changed=False,
        guests=out,
        problems=problems,
        api={"asked": servers is not None, "host": host_name, "servers": len(servers) if servers is not None else None,
             "error": api_error},
        summary={"domains": len(out), "running": sum(1 for g in out if g["state"] == "running"),
                 "nova_instances": sum(1 for g in out if g["nova"]), "problems": len(problems)},
    )


if __name__ == "__main__":
    main()
