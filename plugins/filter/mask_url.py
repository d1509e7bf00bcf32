# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The passwords in a URL or a log line, masked."""

from __future__ import annotations

DOCUMENTATION = r"""
name: mask_url
short_description: A URL or a log line with every password in it masked
version_added: 0.1.0
description:
  - Replaces the password of every URL in the text (C(rabbit://USER:PASSWORD@HOST:5672/), SQLAlchemy URLs, several
    hosts separated by commas) by C(********); users, hosts and ports stay.
positional: _input
options:
  _input:
    description: A URL, or a line of text with URLs in it.
    type: str
    required: true
seealso:
  - plugin: novaops.compute.mask_secrets
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Show the journal without the passwords of its URLs
  ansible.builtin.debug:
    msg: "{{ journal.stdout_lines | map('novaops.compute.mask_url') }}"
"""

RETURN = r"""
_value:
  description: The text, each password replaced by C(********).
  type: str
"""

from ansible_collections.novaops.compute.plugins.module_utils import _urls


def mask_url(url):
    return _urls.mask_url(url)


class FilterModule:
    def filters(self):
        return {"mask_url": mask_url}
