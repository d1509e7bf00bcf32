# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node's package manager, asked for installed packages' versions
(dpkg-query on Debian/Ubuntu, rpm on EL): the one runner of both."""

from __future__ import annotations

# Nova's common package, which every Nova service depends on, per family.
NOVA_PACKAGES = (("dpkg-query", "nova-common"), ("rpm", "openstack-nova-common"))


# One line per package: name, status, version (dpkg keeps the epoch in the
# version; rpm gives "(none)" for a package without one).
_FORMATS = {"dpkg-query": "${Package}\t${db:Status-Status}\t${Version}\n",
            "rpm": "%{NAME}\tinstalled\t%{EPOCH}:%{VERSION}-%{RELEASE}\n"}


def _argv(tool, path, packages):
    if tool == "dpkg-query":
        return [path, "-W", "-f", _FORMATS[tool]] + list(packages)
    return [path, "-q", "--qf", _FORMATS[tool]] + list(packages)


def _version(tool, status, version):
    if status != "installed" or not version:
        return None
    if tool == "rpm" and version.startswith("(none):"):
        version = version[len("(none):"):]
    return version


def parse_versions(tool, stdout):
    """{package: version} of the installed packages in a dpkg-query or rpm
    answer (_FORMATS). Both print the packages they know and complain about the
    others (dpkg-query on stderr, rpm as "package X is not installed" on
    stdout, a line of another shape) and then exit 1: the exit code says
    nothing about the packages they did print. A package dpkg knows but has
    removed (status config-files, not-installed) is not installed."""
    versions = {}
    for line in stdout.splitlines():
        fields = line.split("\t")
        if len(fields) != 3:
            continue
        name, status, version = (field.strip() for field in fields)
        version = _version(tool, status, version)
        if name and version:
            versions[name] = version
    return versions


def _tool(module, tools):
    for tool in tools:
        path = module.get_bin_path(tool)
        if path:
            return tool, path
    return None, None


def installed_versions(module, packages, tools=("dpkg-query", "rpm")):
    """{package: version, or None when not installed} of each of ``packages``,
    in one call of the first of ``tools`` on the node; (versions, error), the
    error when no package manager could be asked."""
    packages = list(dict.fromkeys(packages))
    if not packages:
        return {}, None
    tool, path = _tool(module, tools)
    if not tool:
        return None, "neither %s is on the node" % " nor ".join(tools)
    _rc, stdout, _stderr = module.run_command(_argv(tool, path, packages))
    found = parse_versions(tool, stdout)
    # dpkg-query answers an arch-qualified name (libc6:amd64) by its bare name
    return {package: found.get(package, found.get(package.split(":")[0])) for package in packages}, None


def installed_version(module, packages=NOVA_PACKAGES):
    """(package, version) of the first of ``packages`` ((tool, name) pairs) installed
    on the node, else (None, None)."""
    for tool, package in packages:
        path = module.get_bin_path(tool)
        if not path:
            continue
        _rc, stdout, _stderr = module.run_command(_argv(tool, path, [package]))
        version = parse_versions(tool, stdout).get(package)
        if version:
            return package, version
    return None, None
