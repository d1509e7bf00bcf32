# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node's package manager, asked for an installed package's version
(dpkg-query on Debian/Ubuntu, rpm on EL): the one runner of both."""

from __future__ import annotations

# Nova's common package, which every Nova service depends on, per family.
NOVA_PACKAGES = (("dpkg-query", "nova-common"), ("rpm", "openstack-nova-common"))


def _argv(tool, path, package):
    if tool == "dpkg-query":
        return [path, "-W", "-f", "${db:Status-Status} ${Version}", package]
    return [path, "-q", "--qf", "installed %{EPOCH}:%{VERSION}-%{RELEASE}", package]


def parse_answer(tool, rc, stdout):
    """The version in a dpkg-query or rpm answer, or None (not installed)."""
    if rc != 0:
        return None
    status, _sep, version = stdout.strip().partition(" ")
    if status != "installed" or not version:
        return None
    if tool == "rpm" and version.startswith("(none):"):
        version = version[len("(none):"):]
    return version


def installed_version(module, packages=NOVA_PACKAGES):
    """(package, version) of the first of ``packages`` ((tool, name) pairs) installed
    on the node, else (None, None)."""
    for tool, package in packages:
        path = module.get_bin_path(tool)
        if not path:
            continue
        rc, stdout, _stderr = module.run_command(_argv(tool, path, package))
        version = parse_answer(tool, rc, stdout)
        if version:
            return package, version
    return None, None
