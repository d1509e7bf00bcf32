# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova.conf's keystoneauth sections from the nova_compute role's variables."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nova_compute_keystoneauth
short_description: nova.conf's keystoneauth sections from the nova_compute role's variables
version_added: 0.1.0
description:
  - Builds the sections of the services nova-compute calls with a keystoneauth password login (such as
    C([placement]) and C([neutron])), as section -> option -> value.
  - Each section holds C(auth_type = password) and each of its options from the role variable
    C(nova_compute_<section>_<option>) (null when unset, which novaops.compute.oslo_ini leaves out).
positional: _input
options:
  _input:
    description: Every C(nova_compute_*) variable of the role, name -> value.
    type: dict
    required: true
seealso:
  - plugin: novaops.compute.oslo_ini
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Render the keystoneauth sections of nova.conf
  ansible.builtin.copy:
    content: "{{ settings | novaops.compute.nova_compute_keystoneauth | novaops.compute.oslo_ini }}"
    dest: /tmp/keystoneauth.conf
    mode: "0600"
  vars:
    settings:
      nova_compute_placement_auth_url: http://controller:5000/v3
      nova_compute_placement_password: "{{ vault_placement_password }}"
"""

RETURN = r"""
_value:
  description: Section -> option -> value.
  type: dict
"""

from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf


def nova_compute_keystoneauth(settings):
    return _nova_conf.keystoneauth_sections(dict(settings))


class FilterModule:
    def filters(self):
        return {"nova_compute_keystoneauth": nova_compute_keystoneauth}
