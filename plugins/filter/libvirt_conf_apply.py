# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A libvirt config file (qemu.conf) with settings applied, in one pass."""

from __future__ import annotations

DOCUMENTATION = r"""
name: libvirt_conf_apply
short_description: A libvirt config file's text (qemu.conf, libvirtd.conf) with settings applied
version_added: 0.1.0
description:
  - For each key and value of O(settings), in order, a value in libvirt's syntax (as
    P(novaops.compute.libvirt_conf_value#filter) writes it) replaces the last line that sets C(key) or is its
    commented-out example (C(#key = ...)), or is appended when there is none. A null value removes every line
    that sets C(key); its commented example stays.
  - This is what one M(ansible.builtin.lineinfile) per key does, in one pass over text already read, so a role can
    read the file once and write it only when the result differs. Applying the same settings twice changes
    nothing.
  - Fails naming the key, never the value, for a name or a value the syntax cannot carry.
positional: _input, settings
options:
  _input:
    description: The file's current text.
    type: str
    required: true
  settings:
    description: Key to value (a string, an integer, a boolean, a list of those, or null to remove the key).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Read qemu.conf
  ansible.builtin.slurp:
    src: /etc/libvirt/qemu.conf
  register: qemu_conf

- name: Write qemu.conf when the settings change it
  ansible.builtin.copy:
    content: "{{ new_text }}"
    dest: /etc/libvirt/qemu.conf
    backup: true
    mode: "0600"
  when: new_text != (qemu_conf.content | b64decode)
  vars:
    new_text: "{{ qemu_conf.content | b64decode | novaops.compute.libvirt_conf_apply({'log_timestamp': true}) }}"
"""

RETURN = r"""
_value:
  description: The file's text with the settings applied.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.module_utils import _libvirt_conf


def libvirt_conf_apply(text, settings):
    settings = dict(settings or {})
    for key in settings:
        try:
            _libvirt_conf.apply_settings("", {key: settings[key]})
        except _libvirt_conf.LibvirtConfValueError as exc:
            raise AnsibleFilterError("libvirt config setting %s: %s" % (key, exc)) from None
    return _libvirt_conf.apply_settings(str(text), settings)


class FilterModule:
    def filters(self):
        return {"libvirt_conf_apply": libvirt_conf_apply}
