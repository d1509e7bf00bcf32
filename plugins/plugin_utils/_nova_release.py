# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Nova release a node runs (or will run), for the nova_compute role.

Pure: the role's probes of the node (set_vars.yml: the installed Nova
package's version, else the version the package manager would install) come
in, the release whose option data the role renders and checks with comes out,
or an error that names ``nova_compute_release`` and the supported releases.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.module_utils import _nova_releases

NAME = "nova_compute_release"
AUTO = "auto"


def _supported():
    return ", ".join("%s (%s %s)" % (r, _nova_releases.SERIES[r], _nova_releases.NAMES[r])
                     for r in _nova_releases.SUPPORTED)


def _setting(value):
    """The setting as a string ("auto", "26"), or None when it is no string or whole number."""
    if value is None:
        return AUTO
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return AUTO if text.lower() in (AUTO, "") else text


def installed_version(entries):
    """The version of an installed package as package_facts reports it (a list
    of dicts; Debian's version holds the epoch, RPM's comes as epoch,
    version and release), a version string as is; None when not installed."""
    if isinstance(entries, str) or entries is None:
        return entries or None
    if isinstance(entries, dict):
        entries = [entries]
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("version"):
            epoch, version, release = entry.get("epoch"), str(entry["version"]), entry.get("release")
            return "%s%s%s" % ("%s:" % epoch if epoch not in (None, "", 0, "0") else "", version,
                               "-%s" % release if release else "")
    return None


def candidate_version(output):
    """The version a package manager would install, from ``apt-cache policy PKG``
    ("Candidate: 2:31.0.0-6+deb13u3"; "(none)" when no source has it) or from
    ``dnf repoquery --qf ...`` (the version alone, the last line); None when
    there is none."""
    lines = [line.strip() for line in str(output or "").splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Candidate:"):
            version = line[len("Candidate:"):].strip()
            return None if version in ("", "(none)") else version
    if lines and not any(":" in line and line.split(":", 1)[0].isalpha() for line in lines):
        return lines[-1]
    return None


def _answer(release, found, error=None):
    return {"release": release, "label": _nova_releases.label(release) if release else None,
            "found": found, "error": error,
            "message": error or "%s, %s" % (_nova_releases.label(release), found)}


def choose_release(setting, probe=None):
    """The release the role works with, as a dict: ``release`` ("31" or None),
    ``label`` ("Nova 31 (2025.1 Epoxy)"), ``found`` (where it came from),
    ``error`` (None, or why the role must stop) and ``message`` (one line
    for the play's output: the error, or the label and where it came from).

    ``setting`` is nova_compute_release: "auto" (or null), or a release.
    ``probe`` holds what the role read on the node: ``package`` (the Nova
    package whose version says the release, e.g. nova-common),
    ``installed`` (its version, or package_facts' entries of it: see
    installed_version), ``candidate`` (the version the package manager
    would install, or its output: see candidate_version), ``manager``
    (who offers the candidate, e.g. "apt", "dnf") and ``check_mode`` (the
    probes ran under --check, which does not refresh the package index).
    """
    probe = dict(probe or {})
    package = probe.get("package") or "the Nova package"
    installed = installed_version(probe.get("installed"))
    candidate = candidate_version(probe.get("candidate"))
    manager = probe.get("manager") or "the package manager"
    wanted = _setting(setting)
    if wanted is None or (wanted != AUTO and wanted not in _nova_releases.SUPPORTED):
        shown = "%r" % (setting,) if wanted is None else "'%s'" % wanted
        return _answer(None, None, "%s is %s: it must be auto (the release of the node's %s) or one of the "
                                   "releases the collection has option data for: %s"
                       % (NAME, shown, package, _supported()))
    installed_release = _nova_releases.release_of_version(installed) if installed else None
    if wanted != AUTO:
        if installed and installed_release != wanted:
            return _answer(None, None, "%s is %s but the node's installed %s %s is %s: the role would write a "
                                       "nova.conf for a release the node does not run; set %s to auto or %s"
                           % (NAME, wanted, package, installed, _nova_releases.label(installed_release or "?"),
                              NAME, installed_release or "the installed release"))
        return _answer(wanted, "as %s says" % NAME)
    if installed:
        version, found = installed, "from the installed %s %s" % (package, installed)
    elif candidate:
        version, found = candidate, "from %s's candidate %s %s (not installed yet)" % (manager, package, candidate)
    else:
        hint = (" (--check leaves the package index as it is: on a node whose index is empty, run without "
                "--check or set %s)" % NAME) if probe.get("check_mode") else ""
        return _answer(None, None, "%s is auto but %s is not installed and %s offers no version of it, so the "
                                   "node's Nova release is unknown: enable the repository that ships Nova, or "
                                   "set %s to one of %s%s" % (NAME, package, manager, NAME, _supported(), hint))
    release = _nova_releases.release_of_version(version)
    if release not in _nova_releases.SUPPORTED:
        what = _nova_releases.label(release) if release else "not a Nova version the role can read"
        return _answer(None, None, "%s is auto and %s is %s; the collection has option data for %s only: "
                                   "install one of those, or set %s" % (NAME, found[len("from "):], what,
                                                                        _supported(), NAME))
    return _answer(release, found)


def filter_opt_data(release):
    """The collection's option data of Nova (release), for a filter: a
    release without data fails the filter (AnsibleFilterError) with the
    supported releases."""
    try:
        return _nova_releases.opt_data(release)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None
