# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A value in libvirt's config file syntax (qemu.conf)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: libvirt_conf_value
short_description: A value in libvirt's config file syntax (qemu.conf, libvirtd.conf)
version_added: 0.1.0
description:
  - Booleans as C(1)/C(0), integers as digits, strings in double quotes (single quotes when the string holds a
    double quote), lists of those as C([ "a", "b" ]).
  - Fails for what the syntax cannot carry (a string with both quotes or a line break, nested lists, mappings).
positional: _input
options:
  _input:
    description: The value.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Set qemu.conf's cgroup_device_acl
  ansible.builtin.lineinfile:
    path: /etc/libvirt/qemu.conf
    regexp: '^#?\s*cgroup_device_acl\s*='
    line: "cgroup_device_acl = {{ ['/dev/null', '/dev/kvm'] | novaops.compute.libvirt_conf_value }}"
"""

RETURN = r"""
_value:
  description: The value as written after C(key = ).
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.module_utils import _libvirt_conf


def libvirt_conf_value(value):
    try:
        return _libvirt_conf.render_value(value)
    except _libvirt_conf.LibvirtConfValueError as exc:
        raise AnsibleFilterError("libvirt config value: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"libvirt_conf_value": libvirt_conf_value}
