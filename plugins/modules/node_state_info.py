#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_state_info
short_description: Read paths, files, systemd units, packages and debconf answers of a node in one call
version_added: 0.1.0
description:
  - Everything a role needs to know about a node before it decides what to change, read in one module
    call instead of one task per C(stat), C(slurp), C(systemctl show), C(package_facts) and
    C(debconf-show). Each task
    costs a connection round trip (about 0.7 s over C(podman exec), less over SSH with pipelining); a
    converged node's re-run of the C(novaops.compute.nova_compute) role asks this module once instead
    of running seven such tasks, and skips the writes whose result it already sees in place.
  - Paths are inspected without following links (a link's target is returned), as a mask in
    C(/etc/systemd/system) must be seen as the link it is.
  - The module only reads. A file's text is returned only for the paths in O(read); run the task with
    C(no_log) when one of them holds a secret, or ask for its checksum in RV(paths) instead.
author:
  - novaops.compute developers (@novaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - novaops.compute.read_only
requirements:
  - systemctl for O(units); dpkg-query (Debian) or rpm (EL) for O(packages); debconf-show (Debian's
    debconf) for O(debconf).
options:
  paths:
    description: Paths to inspect (type, owner, group, mode, link target, checksum of a regular file).
    type: list
    elements: path
    default: []
  checksum:
    description: Return the SHA-1 of each regular file of O(paths), as C(ansible.builtin.stat) and
      C(ansible.builtin.copy) compute it.
    type: bool
    default: true
  read:
    description: Files whose text to return (UTF-8; bytes that are not are replaced). A missing file gives
      V(null).
    type: list
    elements: path
    default: []
  units:
    description: systemd units to ask C(systemctl show) about, in one call. A name without a suffix is a
      V(.service).
    type: list
    elements: str
    default: []
  packages:
    description:
      - Packages whose installed version to return, in one call of C(dpkg-query) or C(rpm). Unlike
        C(ansible.builtin.package_facts), which lists every installed package (about 2 s on a compute
        node), only these are asked about.
    type: list
    elements: str
    default: []
    version_added: 0.1.0
  debconf:
    description: Packages whose debconf answers to read with C(debconf-show). A package with no answers
      (not installed, or no debconf) gives an empty mapping.
    type: list
    elements: str
    default: []
notes:
  - Run it with C(become=true) to read root-only files such as nova.conf.
seealso:
  - module: ansible.builtin.stat
  - module: ansible.builtin.slurp
  - module: novaops.compute.node_health_info
"""

EXAMPLES = r"""
- name: What the role needs to know, in one call
  novaops.compute.node_state_info:
    paths: [/dev/kvm, /etc/nova/nova.conf, /etc/systemd/system/nova-compute.service]
    read: [/etc/libvirt/qemu.conf]
    units: [nova-compute, libvirtd.service, libvirtd.socket]
    packages: [nova-compute, libvirt-daemon-system]
    debconf: [nova-common]
  become: true
  register: node

- name: Install what is missing
  ansible.builtin.apt:
    name: "{{ node.packages | dict2items | rejectattr('value') | map(attribute='key') | list }}"
  when: node.packages | dict2items | rejectattr('value') | list | length > 0

- name: Start nova-compute unless it already runs
  ansible.builtin.systemd_service:
    name: nova-compute
    state: started
  when: node.units['nova-compute'].ActiveState != 'active'
"""

RETURN = r"""
paths:
  description: Each path of O(paths) as given, with what was found there.
  returned: always
  type: dict
  sample:
    /dev/kvm: {exists: true, type: char, mode: "0660", owner: root, group: kvm, uid: 0, gid: 104, size: 0}
    /etc/nova/nova.conf: {exists: true, type: file, mode: "0640", owner: root, group: nova, uid: 0, gid: 110,
                          size: 1873, checksum: 2b4e0c8f4a1f0e6b5b1f2c3d4e5f60718293a4b5}
    /etc/systemd/system/nova-compute.service: {exists: true, type: link, link_target: /dev/null, mode: "0777",
                                               owner: root, group: root, uid: 0, gid: 0, size: 9}
    /var/lib/nova/tmp: {exists: false}
  contains:
    exists:
      description: Whether the path exists (a dangling link exists); V(null) when it could not be inspected.
      type: bool
    type:
      description: V(file), V(directory), V(link), V(char), V(block), V(socket), V(fifo) or V(other).
      type: str
    mode:
      description: Permission bits, four octal digits.
      type: str
    owner:
      description: Owner's name (V(null) for a UID without a name).
      type: str
    group:
      description: Group's name (V(null) for a GID without a name).
      type: str
    link_target:
      description: A link's target, as written in the link.
      type: str
    checksum:
      description: SHA-1 of a regular file's bytes, with O(checksum=true); V(null) when it cannot be read.
      type: str
    error:
      description: Why the path or the file could not be read.
      type: str
contents:
  description: The text of each file of O(read), V(null) for a file that does not exist or cannot be read.
  returned: always
  type: dict
  sample:
    /etc/libvirt/qemu.conf: "# Master configuration file for the QEMU driver.\n"
units:
  description: Each unit of O(units), by the name given, with the properties C(systemctl show) gives
    (V(LoadState=not-found) for a unit that does not exist). C(LoadState), C(ActiveState), C(SubState)
    and C(UnitFileState) are always there (empty when systemd has no value). Empty when systemd could
    not be asked (a warning says why).
  returned: always
  type: dict
  sample:
    nova-compute: {Id: nova-compute.service, LoadState: loaded, ActiveState: active,
                           SubState: running, UnitFileState: enabled, Type: notify, MainPID: 812}
packages:
  description: Each package of O(packages) with its installed version as the package manager gives it
    (Debian's with its epoch; EL's epoch:version-release, without an epoch when it has none), V(null)
    when it is not installed (never installed, or removed with its configuration kept). Empty when
    neither C(dpkg-query) nor C(rpm) is on the node (a warning says so).
  returned: always
  type: dict
  sample:
    nova-compute: "2:26.2.2-1~deb12u5"
    xauth: null
debconf:
  description: Each package of O(debconf) with its answers (question to value), values as debconf stores
    them (strings); debconf-show prints V((password omitted\)) for a password.
  returned: always
  type: dict
  sample:
    nova-common: {nova/configure_db: "false", nova/configure_ksat: "false"}
"""

from ansible_collections.novaops.compute.plugins.module_utils._debconf import parse_debconf_show
from ansible_collections.novaops.compute.plugins.module_utils._node import node_module, path_state
from ansible_collections.novaops.compute.plugins.module_utils._packages import installed_versions
from ansible_collections.novaops.compute.plugins.module_utils._proc import Host
from ansible_collections.novaops.compute.plugins.module_utils._systemd import show_units, unit_name, unit_summary


UNIT_STATES = ("LoadState", "ActiveState", "SubState", "UnitFileState")


def main():
    module = node_module(dict(
        paths=dict(type="list", elements="path", default=[]),
        checksum=dict(type="bool", default=True),
        read=dict(type="list", elements="path", default=[]),
        units=dict(type="list", elements="str", default=[]),
        packages=dict(type="list", elements="str", default=[]),
        debconf=dict(type="list", elements="str", default=[]),
    ))
    params = module.params
    paths = {path: path_state(path, params["checksum"]) for path in params["paths"]}
    host = Host()
    contents = {path: host.read_text(path)[0] for path in params["read"]}

    units = {}
    if params["units"]:
        names = {name: unit_name(name) for name in params["units"]}
        shown, error = show_units(module, sorted(set(names.values())))
        if shown is None:
            module.warn("cannot ask systemd about %s: %s" % (", ".join(params["units"]), error))
        else:
            for name, full in names.items():
                units[name] = unit_summary(shown.get(full, {"Id": full, "LoadState": "not-found"}))
                for key in UNIT_STATES:  # present, if empty, for a `when` to compare
                    units[name].setdefault(key, "")

    packages, error = installed_versions(module, params["packages"])
    if packages is None:
        module.warn("cannot ask which of %s are installed: %s" % (", ".join(params["packages"]), error))
        packages = {}

    debconf = {}
    if params["debconf"]:
        debconf_show = module.get_bin_path("debconf-show")
        for package in params["debconf"]:
            answers = {}
            if debconf_show:
                rc, out, _err = module.run_command([debconf_show, package])
                answers = parse_debconf_show(out) if rc == 0 else {}
            debconf[package] = answers

    module.exit_json(changed=False, paths=paths, contents=contents, units=units, packages=packages,
                     debconf=debconf)


if __name__ == "__main__":
    main()
