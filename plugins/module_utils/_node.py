# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every read-only node module starts with: its AnsibleModule and nova.conf."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat

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


_TYPES = ((stat.S_ISREG, "file"), (stat.S_ISDIR, "directory"), (stat.S_ISLNK, "link"), (stat.S_ISCHR, "char"),
          (stat.S_ISBLK, "block"), (stat.S_ISSOCK, "socket"), (stat.S_ISFIFO, "fifo"))


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return None


def path_state(path, checksum=False):
    """What ``ansible.builtin.stat`` would say of PATH, without following a link:
    ``{exists, type, mode ('0640'), owner, group, uid, gid, size}``, a link's
    ``link_target``, a regular file's ``checksum`` (SHA-1, as ``stat`` and
    ``copy`` compute it) when asked; ``error`` when PATH cannot be inspected."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {"exists": False}
    except OSError as exc:
        return {"exists": None, "error": exc.strerror}
    kind = next((name for test, name in _TYPES if test(info.st_mode)), "other")
    out = {"exists": True, "type": kind, "mode": "%04o" % stat.S_IMODE(info.st_mode),
           "uid": info.st_uid, "gid": info.st_gid, "owner": _name(pwd.getpwuid, info.st_uid),
           "group": _name(grp.getgrgid, info.st_gid), "size": info.st_size}
    if kind == "link":
        out["link_target"] = os.readlink(path)
    if kind == "file" and checksum:
        digest = hashlib.sha1()
        try:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 16), b""):
                    digest.update(block)
            out["checksum"] = digest.hexdigest()
        except OSError as exc:
            out["checksum"], out["error"] = None, exc.strerror
    return out
