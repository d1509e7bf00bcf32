# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node_health_info result's verdict in one line."""

from __future__ import annotations

DOCUMENTATION = r"""
name: health_line
short_description: The verdict of a novaops.compute.node_health_info result in one line
version_added: 0.1.0
description:
  - "Gives C(HOST: healthy) (with the layers that warned, if any), or C(HOST: LAYER failed - why; do: action)
    naming the lowest failed layer, for failure messages and summaries."
  - "A result that is not a node_health_info result (the host was unreachable, the module failed) gives
    C(HOST: not checked) with the result's C(msg), if any."
positional: _input, host
options:
  _input:
    description: A registered novaops.compute.node_health_info result.
    type: raw
    required: true
  host:
    description: The name the line starts with, usually C(inventory_hostname).
    type: str
    required: true
seealso:
  - module: novaops.compute.node_health_info
  - plugin: novaops.compute.health_report
    plugin_type: filter
  - plugin: novaops.compute.health_summary
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Check the node
  novaops.compute.node_health_info:
  register: health

- name: Say what failed, in one line
  ansible.builtin.debug:
    msg: "{{ health | novaops.compute.health_line(inventory_hostname) }}"
  # compute1: nova_compute failed - nova-compute is stopped: ...; do: start nova-compute: ...
"""

RETURN = r"""
_value:
  description: One line, starting with the host's name.
  type: str
"""

from ansible_collections.novaops.compute.plugins.plugin_utils import _health_report


def health_line(result, host):
    return _health_report.health_line(result, host)


class FilterModule:
    def filters(self):
        return {"health_line": health_line}
