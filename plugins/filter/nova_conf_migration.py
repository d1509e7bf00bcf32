# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter playbooks/migrate_legacy.yml uses: a nova.conf's text to the
nova_compute role's variables and overrides that reproduce it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nova_conf_migration
short_description: The nova_compute role variables and overrides that reproduce a nova.conf, with current names
version_added: 0.1.0
description:
  - "C(nova_conf_migration(text, release, compute_only=true, mask=true)) - reads a nova.conf's text as Nova
    C(release) (C(26) or C(31)) does and returns C(variables) (nova_compute role variables, typed as the role
    takes them), C(overrides) (the C(nova_compute_nova_conf_overrides) mapping for every other option the
    release knows), C(dropped) (each line left out - removed or unknown to the release, read only by the
    controllers, database credentials on a compute-only node, or folded into another value - with C(section),
    C(option) and C(reason)), C(missing) (the role's required variables the file gives no value for) and
    C(notes) (values carried over that need a look, such as a Keystone v2.0 URL)."
  - Deprecated names move to their current ones (C([DEFAULT] vncserver_listen) to
    C(nova_compute_vnc_server_listen)); the pre-Stein C(rabbit_*) options become C(nova_compute_transport_url);
    Neutron's old C(admin_*) options become C(nova_compute_neutron_*).
  - With C(mask=true) (the default) every secret value is masked (URLs keep user, hosts and ports); C(mask=false)
    returns the file's secrets too, for a C(no_log) task only.
positional: _input, release
options:
  _input:
    description: The text of a nova.conf.
    type: str
    required: true
  release:
    description: The Nova release whose option data reads the file.
    type: str
    required: true
  compute_only:
    description: The node runs no control plane service (its database credentials are dropped).
    type: bool
    default: true
  mask:
    description: Mask every secret value.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: The role variables that reproduce the node's nova.conf (secrets masked)
  ansible.builtin.debug:
    msg: "{{ live_text | novaops.compute.nova_conf_migration('26') }}"
"""

RETURN = r"""
_value:
  description: C(variables), C(overrides), C(dropped), C(missing) and C(notes).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.module_utils import _nova_conf_lint, _nova_releases
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import parse_ini


def nova_conf_migration(text, release, compute_only=True, mask=True):
    """The nova_compute variables and overrides that reproduce a nova.conf."""
    try:
        data = _nova_releases.opt_data(release)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None
    result = _nova_conf_lint.migrate(parse_ini(str(text or "")), data, bool(compute_only))
    return _nova_conf_lint.mask_migration(result, data) if mask else result


class FilterModule:
    def filters(self):
        return {"nova_conf_migration": nova_conf_migration}
