# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lines playbooks/diagnose.yml prints for one node."""

from __future__ import annotations

DOCUMENTATION = r"""
name: health_report
short_description: The report of a novaops.compute.node_health_info result, as the lines diagnose.yml prints
version_added: 0.1.0
description:
  - Turns one node's result into a short report - the verdict, why, what to do (with a hint naming this
    collection's playbook or role variable where one fixes it), the guests still running in qemu, then one
    line per layer with its status and summary.
  - A result that is not a node_health_info result (the host was unreachable, the module failed) gives one
    line, the one novaops.compute.health_line gives.
positional: _input, host
options:
  _input:
    description: A registered novaops.compute.node_health_info result.
    type: raw
    required: true
  host:
    description: The name the report starts with, usually C(inventory_hostname).
    type: str
    required: true
seealso:
  - module: novaops.compute.node_health_info
  - plugin: novaops.compute.health_line
    plugin_type: filter
  - plugin: novaops.compute.health_summary
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Check each layer, bottom-up
  novaops.compute.node_health_info:
  register: health

- name: Report
  ansible.builtin.debug:
    msg: "{{ health | novaops.compute.health_report(inventory_hostname) | join('\n') }}"
  # compute1: UNHEALTHY - nova_compute failed
  #   why: nova-compute is stopped: the cloud cannot schedule to or manage guests on this node; ...
  #   do:  start nova-compute: systemctl start nova-compute (running guests are not affected)
  #   guests still running: instance-00000001 (pid 7843)
  #   layers:
  #     kvm            ok       /dev/kvm usable (KVM API 12)
  #     ...
  #     nova_compute   FAILED   nova-compute.service not running (ActiveState=inactive, SubState=dead)
"""

RETURN = r"""
_value:
  description: The report's lines (join them with a line break to print them).
  type: list
  elements: str
"""

from ansible_collections.novaops.compute.plugins.plugin_utils import _health_report


def health_report(result, host):
    return _health_report.health_report(result, host)


class FilterModule:
    def filters(self):
        return {"health_report": health_report}
