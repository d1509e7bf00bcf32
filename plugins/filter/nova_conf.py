# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the nova_compute role uses to check, render and mask its configuration files."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nova_conf
short_description: Check, render and mask nova.conf and qemu.conf settings (internal helpers of the nova_compute role)
version_added: 0.1.0
description:
  - This plugin file provides several filters; each is documented here. None of their messages shows a secret.
  - C(nova_compute_errors(settings, facts=None, known_filters=None)) - the list of problems with the role's
    variables (a mapping of every C(nova_compute_*) variable to its value); C(facts) may hold C(memtotal_mb)
    and C(kvm). C(known_filters) (a release's scheduler filter names, as in its option data) adds the unknown
    names to the refusal of a scheduler filter setting, which belongs to the controllers.
  - C(nova_compute_keystoneauth(settings)) - nova.conf's keystoneauth sections (those of the services nova-compute
    calls, such as C([placement])) from the role's variables, as section -> option -> value; each holds
    C(auth_type = password) and each option from C(nova_compute_<section>_<option>) (null when unset).
  - C(nova_conf_override_errors(overrides, release='26')) - the list of overrides (section -> option -> value)
    that Nova C(release) would reject or ignore, checked against the collection's option data of that release
    (C(26) or C(31); an empty list when C(release) is null or empty; fails for a release without data).
  - C(nova_compute_release(setting, probe=None)) - the Nova release the role works with, from
    C(nova_compute_release) (C(auto) or a release) and C(probe), what the role read on the node (C(package),
    C(installed) and C(candidate) versions, C(manager)); a dict of C(release), C(label), C(found) (where the
    release came from), C(error) (why the role must stop, naming C(nova_compute_release) and the supported
    releases, or null) and C(message).
  - C(nova_release_info(release)) - what the collection's option data says of Nova C(release) besides its
    options - C(release), C(label), C(nova_version) (the package version the data comes from), C(namespaces)
    (oslo-config-generator's namespaces of the release's sample nova.conf) and C(filters) (its scheduler
    filter class names). Fails for a release without data.
  - C(oslo_ini(mapping, header='')) - nova.conf text from a mapping section -> option -> value (null values and
    sections with only null values left out; booleans as true/false; lists joined with commas; mappings as
    k:v,k:v). Fails naming C([section] option), never the value, when a name or value holds a line break or NUL.
  - C(nova_conf_mask(text, release=None)) - nova.conf text with the value of every secret option masked, as the
    C(secret) flag of Nova C(release)'s option data says (an option the data does not know, or every option when
    C(release) is null, is secret when its name looks like one); transport_url and connection keep their user,
    hosts and ports. Fails for a release without data.
  - C(mask_url(text)) - a URL or a log line with every password in it replaced by C(********).
  - C(mask_secrets(text_or_lines, secrets)) - a string or a list of strings with every occurrence of each non-empty
    secret in C(secrets) (as written, URL-quoted or unquoted) replaced by C(********).
  - C(libvirt_conf_value(value)) - a value in libvirt's config file syntax (qemu.conf) - booleans as 1/0, integers,
    strings in double (or single) quotes, lists of those. Fails for what the syntax cannot carry.
  - C(ini_value(value)) - one value as oslo.config reads it back (fails on a line break or NUL).
positional: _input
options:
  _input:
    description: The value to check, render or mask.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Render nova.conf from a mapping
  ansible.builtin.copy:
    content: "{{ conf | novaops.compute.oslo_ini(ansible_managed | comment) }}"
    dest: /etc/nova/nova.conf
    mode: "0640"

- name: Show journal lines without secrets
  ansible.builtin.debug:
    msg: "{{ journal.stdout_lines | novaops.compute.mask_secrets([nova_compute_placement_password]) }}"
"""

RETURN = r"""
_value:
  description: A list of problems (the C(*_errors) filters) or the rendered or masked text.
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.module_utils import (
    _libvirt_conf,
    _nova_options,
    _nova_releases,
    _oslo_ini,
    _urls,
)
from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf, _nova_release


def nova_compute_errors(settings, facts=None, known_filters=None):
    """List the problems with the role's variables (secrets never shown)."""
    return _nova_conf.check_settings(dict(settings), dict(facts or {}), list(known_filters or []))


def nova_compute_keystoneauth(settings):
    """nova.conf's keystoneauth sections from the role's variables."""
    return _nova_conf.keystoneauth_sections(dict(settings))


def _opt_data(release):
    try:
        return _nova_releases.opt_data(release)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def nova_conf_override_errors(overrides, release="26"):
    """List the overrides that Nova (release) would reject or ignore."""
    if release in (None, ""):
        return []
    return _nova_conf.check_overrides(overrides, release, _opt_data(release))


def nova_compute_release(setting, probe=None):
    """The Nova release the role works with, from nova_compute_release and the node's probes."""
    return _nova_release.choose_release(setting, dict(probe or {}))


def nova_release_info(release):
    """The release, its label, package version, namespaces and scheduler filters (no options)."""
    data = _opt_data(release)
    return {"release": data["release"], "label": _nova_releases.label(data["release"]),
            "nova_version": data["nova_version"], "namespaces": list(data["namespaces"]),
            "filters": list(data["filters"])}


def oslo_ini(mapping, header=""):
    """Render nova.conf text from section -> option -> value."""
    try:
        return _oslo_ini.render_ini(mapping, header or "")
    except _oslo_ini.IniValueError as exc:
        raise AnsibleFilterError("nova.conf: %s" % exc) from None


def nova_conf_mask(text, release=None):
    """Mask secret values in nova.conf text, by the secret flags of Nova (release)'s option data."""
    data = {} if release in (None, "") else _opt_data(release)
    return _oslo_ini.mask_ini(text, lambda section, option: _nova_options.is_secret(data, section, option))


def mask_url(url):
    """Mask the passwords in a URL or a log line."""
    return _urls.mask_url(url)


def mask_secrets(text_or_lines, secrets):
    """Mask every occurrence of the given secrets."""
    return _nova_conf.mask_secrets(text_or_lines, list(secrets or []))


def libvirt_conf_value(value):
    """Render a value in libvirt's config syntax."""
    try:
        return _libvirt_conf.render_value(value)
    except _libvirt_conf.LibvirtConfValueError as exc:
        raise AnsibleFilterError("libvirt config value: %s" % exc) from None


def ini_value(value):
    """Render one value as oslo.config reads it."""
    try:
        return _oslo_ini.render_value(value)
    except _oslo_ini.IniValueError as exc:
        raise AnsibleFilterError("nova.conf: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {
            "nova_compute_errors": nova_compute_errors,
            "nova_compute_keystoneauth": nova_compute_keystoneauth,
            "nova_conf_override_errors": nova_conf_override_errors,
            "nova_compute_release": nova_compute_release,
            "nova_release_info": nova_release_info,
            "oslo_ini": oslo_ini,
            "nova_conf_mask": nova_conf_mask,
            "mask_url": mask_url,
            "mask_secrets": mask_secrets,
            "libvirt_conf_value": libvirt_conf_value,
            "ini_value": ini_value,
        }
