# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nova.conf overrides that a Nova release would reject or ignore."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nova_conf_override_errors
short_description: The nova.conf overrides that a Nova release would reject or ignore
version_added: 0.1.0
description:
  - Checks overrides (section -> option -> value, such as the nova_compute role's
    C(nova_compute_nova_conf_overrides)) against the collection's option data of a Nova release - options
    the release does not know, removed or deprecated ones, values of the wrong type, and scheduler settings,
    which belong to the controllers.
  - Each message names C([section] option); none shows a value.
positional: _input, release
options:
  _input:
    description: Section -> option -> value.
    type: dict
    required: true
  release:
    description:
      - The Nova release, C(26) (2022.2 Zed) or C(31) (2025.1 Epoxy).
      - Null or empty checks nothing (an empty list); a release without option data fails.
    type: str
    default: "26"
seealso:
  - plugin: novaops.compute.nova_compute_errors
    plugin_type: filter
  - module: novaops.compute.nova_conf_lint
"""

EXAMPLES = r"""
- name: Check the overrides against Nova 31
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors }}"
  vars:
    errors: "{{ {'DEFAULT': {'vncserver_listen': '0.0.0.0'}} | novaops.compute.nova_conf_override_errors('31') }}"
"""

RETURN = r"""
_value:
  description: One message per override Nova would reject or ignore; empty when all are good.
  type: list
  elements: str
"""

from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf, _nova_release


def nova_conf_override_errors(overrides, release="26"):
    if release in (None, ""):
        return []
    return _nova_conf.check_overrides(overrides, release, _nova_release.filter_opt_data(release))


class FilterModule:
    def filters(self):
        return {"nova_conf_override_errors": nova_conf_override_errors}
