# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every read-only node module starts with: its AnsibleModule and nova.conf."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import parse_ini

# the tools' messages and tables in the C locale, whatever the node's
ENVIRON = {"LANGUAGE": "C", "LC_ALL": "C"}


def node_module(argument_spec, **kwargs):
    """An AnsibleModule that only reads: check mode supported, commands in the C
    locale, a ``timeout`` option (when it has one) above 0. ``kwargs`` go to
    AnsibleModule (mutually_exclusive ...)."""
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **kwargs)
    module.run_command_environ_update = ENVIRON
    timeout = module.params.get("timeout")
    if timeout is not None and timeout <= 0:
        module.fail_json(msg="timeout must be more than 0, got %d" % timeout)
    return module


def read_nova_conf(module, host, path, required=True):
    """nova.conf parsed; unreadable: fail (``required``) or warn and use Nova's defaults."""
    text, error = host.read_text(path)
    if text is None:
        if required:
            hint = " (run the module with become=true)" if "denied" in str(error) else ""
            module.fail_json(msg="cannot read %s: %s%s" % (path, error, hint))
        module.warn("cannot read %s (%s): Nova's defaults are used" % (path, error))
    return parse_ini(text or "")
