# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every occurrence of the given secrets, masked."""

from __future__ import annotations

DOCUMENTATION = r"""
name: mask_secrets
short_description: A string or a list of strings with every occurrence of the given secrets masked
version_added: 0.1.0
description:
  - Replaces every occurrence of each non-empty secret - as written, URL-quoted or unquoted - by C(********).
positional: _input, secrets
options:
  _input:
    description: A string or a list of strings.
    type: raw
    required: true
  secrets:
    description: The secret values; empty and null ones are ignored.
    type: list
    elements: str
    required: true
seealso:
  - plugin: novaops.compute.mask_url
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Show the unit's log without any of the role's secrets
  ansible.builtin.debug:
    msg: "{{ log.stdout_lines | novaops.compute.mask_secrets([nova_compute_placement_password]) }}"
"""

RETURN = r"""
_value:
  description: The string or list of strings, each secret replaced by C(********).
  type: raw
"""

from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf


def mask_secrets(text_or_lines, secrets):
    return _nova_conf.mask_secrets(text_or_lines, list(secrets or []))


class FilterModule:
    def filters(self):
        return {"mask_secrets": mask_secrets}
