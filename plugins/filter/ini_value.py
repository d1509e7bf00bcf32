# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One value as oslo.config reads it back."""

from __future__ import annotations

DOCUMENTATION = r"""
name: ini_value
short_description: One nova.conf value as oslo.config reads it back
version_added: 0.1.0
description:
  - Writes one value the way novaops.compute.oslo_ini writes each value - booleans as C(true)/C(false), lists
    joined with commas, mappings as C(k:v,k:v), quoted when oslo.config would otherwise change it on reading.
  - Fails on a null value, a line break or NUL.
positional: _input
options:
  _input:
    description: The value.
    type: raw
    required: true
seealso:
  - plugin: novaops.compute.oslo_ini
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Set one option in an existing nova.conf
  community.general.ini_file:
    path: /etc/nova/nova.conf
    section: filter_scheduler
    option: enabled_filters
    value: "{{ ['ComputeFilter', 'ImagePropertiesFilter'] | novaops.compute.ini_value }}"
    mode: "0640"
"""

RETURN = r"""
_value:
  description: The value as written after C(option = ).
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.module_utils import _oslo_ini


def ini_value(value):
    try:
        return _oslo_ini.render_value(value)
    except _oslo_ini.IniValueError as exc:
        raise AnsibleFilterError("nova.conf: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"ini_value": ini_value}
