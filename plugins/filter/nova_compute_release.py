# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Nova release the nova_compute role works with."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nova_compute_release
short_description: The Nova release the nova_compute role works with, from its setting and the node's packages
version_added: 0.1.0
description:
  - Chooses the release from the role's C(nova_compute_release) (C(auto) or a release) and what the role read on
    the node - the Nova package's installed version, else the version the package manager would install.
  - A release the collection has no option data for, or a setting the installed package contradicts, gives an
    C(error) naming C(nova_compute_release) and the supported releases.
positional: _input, probe
options:
  _input:
    description: The setting, C(auto) or a release (C(26), C(31)).
    type: raw
    required: true
  probe:
    description:
      - What the role read on the node - C(package) (the Nova package whose version says the release, such as
        C(nova-common)), C(installed) (its version, or package_facts' entries of it), C(candidate) (the version the
        package manager would install, or its output), C(manager) (C(apt), C(dnf)) and C(check_mode).
    type: dict
"""

EXAMPLES = r"""
- name: Find the release of the node's Nova
  ansible.builtin.assert:
    that: choice.error is none
    fail_msg: "{{ choice.message }}"
    success_msg: "{{ choice.message }}"
  vars:
    choice: "{{ 'auto' | novaops.compute.nova_compute_release(probe) }}"
    probe:
      package: nova-common
      installed: "{{ ansible_facts.packages['nova-common'] | default(none) }}"
"""

RETURN = r"""
_value:
  description: The release and where it came from.
  type: dict
  contains:
    release:
      description: The release (C(26), C(31)), or null on error.
      type: str
    label:
      description: The release with its name, C(Nova 31 (2025.1 Epoxy)).
      type: str
    found:
      description: Where the release came from (the installed package, the package manager, the setting).
      type: str
    error:
      description: Why the role must stop, or null.
      type: str
    message:
      description: One line for the play's output - the error, or the label and where it came from.
      type: str
"""

from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_release


def nova_compute_release(setting, probe=None):
    return _nova_release.choose_release(setting, dict(probe or {}))


class FilterModule:
    def filters(self):
        return {"nova_compute_release": nova_compute_release}
