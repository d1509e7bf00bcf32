# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The healthy and unhealthy nodes of several node_health_info results."""

from __future__ import annotations

DOCUMENTATION = r"""
name: health_summary
short_description: The healthy and unhealthy nodes of several novaops.compute.node_health_info results
version_added: 0.1.0
description:
  - Sorts a dict of node_health_info results by host into the healthy hosts and a line for each unhealthy one
    (the line novaops.compute.health_line gives).
  - A host without a result (null, because it was unreachable or the check failed) counts as unhealthy.
positional: _input
options:
  _input:
    description: Host name -> registered novaops.compute.node_health_info result (or null).
    type: dict
    required: true
seealso:
  - module: novaops.compute.node_health_info
  - plugin: novaops.compute.health_line
    plugin_type: filter
  - plugin: novaops.compute.health_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Every compute node is healthy
  ansible.builtin.assert:
    that: summary.unhealthy | length == 0
    fail_msg: "{{ (['unhealthy:'] + summary.unhealthy) | join('\n  ') }}"
  run_once: true
  vars:
    # every host of the play, the unreachable ones too (no result: unhealthy)
    summary: >-
      {{ dict(ansible_play_hosts_all
              | zip(ansible_play_hosts_all | map('extract', hostvars) | map(attribute='health', default=none)))
         | novaops.compute.health_summary }}
"""

RETURN = r"""
_value:
  description: The healthy hosts and the unhealthy ones' lines.
  type: dict
  contains:
    healthy:
      description: The names of the healthy hosts.
      type: list
      elements: str
    unhealthy:
      description: One line per unhealthy host, as novaops.compute.health_line gives it.
      type: list
      elements: str
"""

from ansible_collections.novaops.compute.plugins.plugin_utils import _health_report


def health_summary(results):
    return _health_report.health_summary(results)


class FilterModule:
    def filters(self):
        return {"health_summary": health_summary}
