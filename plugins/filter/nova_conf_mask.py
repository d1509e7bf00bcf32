# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""nova.conf text with the value of every secret option masked."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nova_conf_mask
short_description: nova.conf text with the value of every secret option masked
version_added: 0.1.0
description:
  - Masks the value of each option the C(secret) flag of Nova's option data marks (of the given release);
    an option the data does not know, or every option when no release is given, is secret when its name looks
    like one (C(password), C(secret), C(token), ...).
  - C(transport_url) and C(connection) keep their user, hosts and ports, so a diff still shows which host changed.
  - The number of lines does not change. Fails for a release the collection has no option data for.
positional: _input, release
options:
  _input:
    description: nova.conf text.
    type: str
    required: true
  release:
    description: The Nova release whose option data says which options are secret, C(26) or C(31).
    type: str
seealso:
  - plugin: novaops.compute.oslo_ini
    plugin_type: filter
  - plugin: novaops.compute.mask_secrets
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Show what would change in nova.conf, without its secrets
  ansible.builtin.debug:
    msg: "{{ lookup('ansible.builtin.file', '/etc/nova/nova.conf') | novaops.compute.nova_conf_mask('26') }}"
"""

RETURN = r"""
_value:
  description: The text, each secret value replaced by C(********).
  type: str
"""

from ansible_collections.novaops.compute.plugins.module_utils import _nova_options, _oslo_ini
from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_release


def nova_conf_mask(text, release=None):
    data = {} if release in (None, "") else _nova_release.filter_opt_data(release)
    return _oslo_ini.mask_ini(text, lambda section, option: _nova_options.is_secret(data, section, option))


class FilterModule:
    def filters(self):
        return {"nova_conf_mask": nova_conf_mask}
