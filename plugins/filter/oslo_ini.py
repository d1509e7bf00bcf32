# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova.conf text from a mapping section -> option -> value."""

from __future__ import annotations

DOCUMENTATION = r"""
name: oslo_ini
short_description: nova.conf (oslo.config INI) text from a mapping section -> option -> value
version_added: 0.1.0
description:
  - Writes each value as oslo.config reads it back - booleans as C(true)/C(false), lists joined with commas,
    mappings as C(k:v,k:v); a value oslo.config would change on reading (blanks at either end, the same quote at
    both ends) is quoted.
  - Null values, and sections with only null values, are left out.
  - Fails naming C([section] option), never the value, when a name or value holds a line break or NUL (which would
    write new lines into the file).
positional: _input, header
options:
  _input:
    description: Section -> option -> value.
    type: dict
    required: true
  header:
    description: Comment lines written first, such as C(ansible_managed | comment).
    type: str
    default: ""
seealso:
  - plugin: novaops.compute.nova_conf_mask
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write nova.conf
  ansible.builtin.copy:
    content: "{{ conf | novaops.compute.oslo_ini(ansible_managed | comment) }}"
    dest: /etc/nova/nova.conf
    owner: root
    group: nova
    mode: "0640"
  vars:
    conf:
      DEFAULT:
        my_ip: 10.0.0.31
        debug: false
      vnc:
        server_listen: 10.0.0.31
"""

RETURN = r"""
_value:
  description: The INI text.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.module_utils import _oslo_ini


def oslo_ini(mapping, header=""):
    try:
        return _oslo_ini.render_ini(mapping, header or "")
    except _oslo_ini.IniValueError as exc:
        raise AnsibleFilterError("nova.conf: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"oslo_ini": oslo_ini}
