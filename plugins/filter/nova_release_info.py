# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's option data says of a Nova release besides its options."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nova_release_info
short_description: What the collection's option data says of a Nova release besides its options
version_added: 0.1.0
description:
  - Gives the release, its name, the Nova package version its option data comes from, the namespaces of its
    sample nova.conf (what C(oslo-config-validator --namespace) loads) and its scheduler filter names.
  - Fails for a release the collection has no option data for.
positional: _input
options:
  _input:
    description: The Nova release, C(26) (2022.2 Zed) or C(31) (2025.1 Epoxy).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Validate nova.conf with the namespaces of the node's release
  ansible.builtin.command:
    argv: >-
      {{ ['oslo-config-validator', '--input-file', '/etc/nova/nova.conf']
         + (('31' | novaops.compute.nova_release_info).namespaces | map('regex_replace', '^', '--namespace=') | list) }}
  changed_when: false
"""

RETURN = r"""
_value:
  description: What the option data says of the release.
  type: dict
  contains:
    release:
      description: The release, C(31).
      type: str
    label:
      description: The release with its name, C(Nova 31 (2025.1 Epoxy)).
      type: str
    nova_version:
      description: The Nova package version the option data was generated from.
      type: str
    namespaces:
      description: oslo-config-generator's namespaces of the release's sample nova.conf.
      type: list
      elements: str
    filters:
      description: The release's scheduler filter class names.
      type: list
      elements: str
"""

from ansible_collections.novaops.compute.plugins.module_utils import _nova_releases
from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_release


def nova_release_info(release):
    data = _nova_release.filter_opt_data(release)
    return {"release": data["release"], "label": _nova_releases.label(data["release"]),
            "nova_version": data["nova_version"], "namespaces": list(data["namespaces"]),
            "filters": list(data["filters"])}


class FilterModule:
    def filters(self):
        return {"nova_release_info": nova_release_info}
