# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the nova_compute role uses to check and render nova.conf."""

from __future__ import annotations

DOCUMENTATION = r"""
name: nova_conf
short_description: Check and render nova.conf settings (internal helpers of the nova_compute role)
version_added: 0.1.0
description:
  - C(nova_compute_errors), C(nova_conf_override_errors), C(nova_conf_mask), C(mask_url) and C(ini_value).
  - See the module docstring of C(plugin_utils/_nova_conf.py) for each function's contract.
positional: _input
options:
  _input:
    description: The value to check or render.
    type: raw
    required: true
"""

from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf


def nova_compute_errors(settings, facts=None, known_filters=None):
    """List the problems with the role's variables (secrets masked)."""
    return _nova_conf.check_settings(dict(settings), dict(facts or {}), list(known_filters or []))


def nova_conf_override_errors(overrides, opt_data, release="26"):
    """List the overrides that Nova (release) would reject or ignore."""
    return _nova_conf.check_overrides(overrides, opt_data, str(release))


def nova_conf_mask(text):
    """Mask secret values in an INI text."""
    return _nova_conf.mask_ini(text)


def mask_url(url):
    """Mask the passwords in a URL."""
    return _nova_conf.mask_url(url)


def ini_value(value):
    """Render a value as oslo.config reads it."""
    return _nova_conf.ini_value(value)


class FilterModule:
    def filters(self):
        return {
            "nova_compute_errors": nova_compute_errors,
            "nova_conf_override_errors": nova_conf_override_errors,
            "nova_conf_mask": nova_conf_mask,
            "mask_url": mask_url,
            "ini_value": ini_value,
        }
