# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The problems with the nova_compute role's variables, checked before anything changes."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nova_compute_errors
short_description: The problems with the nova_compute role's variables (no secret shown)
version_added: 0.1.0
description:
  - Checks what the role's argument specs cannot - the message bus and database URLs, the addresses of the VNC
    console, the allocation ratios and reserved memory against the node's memory, the Neutron and Placement
    credentials, qemu.conf settings, and scheduler filter settings, which belong to the controllers.
  - The nova_compute role fails with these messages before anything on the node changes. Each message names the
    variable; none shows a secret.
positional: _input, facts, known_filters
options:
  _input:
    description: Every C(nova_compute_*) variable of the role, name -> value.
    type: dict
    required: true
  facts:
    description: What the role knows of the node - C(memtotal_mb) (its memory) and C(kvm) (whether C(/dev/kvm)
      exists).
    type: dict
  known_filters:
    description: The scheduler filter names of the node's Nova release (as in its option data); the unknown names
      of a scheduler filter setting are added to its refusal.
    type: list
    elements: str
seealso:
  - plugin: novaops.compute.nova_conf_override_errors
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Check the settings
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors }}"
    quiet: true
  vars:
    settings:
      nova_compute_transport_url: "{{ nova_compute_transport_url }}"
      nova_compute_my_ip: 10.0.0.31
      nova_compute_cpu_allocation_ratio: 16.0
    errors: "{{ settings | novaops.compute.nova_compute_errors({'memtotal_mb': 4096, 'kvm': true}) }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the settings are good.
  type: list
  elements: str
"""

from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf


def nova_compute_errors(settings, facts=None, known_filters=None):
    return _nova_conf.check_settings(dict(settings), dict(facts or {}), list(known_filters or []))


class FilterModule:
    def filters(self):
        return {"nova_compute_errors": nova_compute_errors}
