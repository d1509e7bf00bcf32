# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemctl show's output as data, so a role reads several units' state in one task."""

from __future__ import annotations

DOCUMENTATION = r"""
name: systemctl_show
short_description: The output of C(systemctl show) for several units, as unit -> property -> value
version_added: 0.1.0
description:
  - Parses what C(systemctl show --property=... -- UNIT...) prints (one block of C(Key=Value) lines per unit).
  - Each unit is keyed by its C(Id) (C(libvirtd.service)) and, for a service, also by its name without
    C(.service) (C(libvirtd)), the way roles usually name units.
  - The nova_compute role reads the libvirt units' state with one task and calls the systemd module only for
    the units that are not enabled or not running yet.
positional: _input
options:
  _input:
    description: The standard output of C(systemctl show). Every block must have the C(Id) property.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the units' state
  ansible.builtin.command:
    argv: [systemctl, show, "--property=Id,UnitFileState,ActiveState", --, libvirtd, libvirtd.socket]
  register: units
  changed_when: false
  check_mode: false

- name: Start the sockets that are not running
  ansible.builtin.systemd_service:
    name: "{{ item }}"
    state: started
  loop: "{{ ['libvirtd.socket'] | reject('in', running) | list }}"
  vars:
    running: >-
      {{ units.stdout | novaops.compute.systemctl_show | dict2items
         | selectattr('value.ActiveState', 'eq', 'active') | map(attribute='key') | list }}
"""

RETURN = r"""
_value:
  description: Unit name -> property -> value.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.module_utils import _systemd


def systemctl_show(text):
    try:
        units = _systemd.parse_systemctl_show(text)
    except _systemd.SystemctlParseError as exc:
        raise AnsibleFilterError("systemctl_show: %s" % exc) from None
    for unit_id, props in list(units.items()):
        if unit_id.endswith(".service"):
            units.setdefault(unit_id[:-len(".service")], props)
    return units


class FilterModule:
    def filters(self):
        return {"systemctl_show": systemctl_show}
