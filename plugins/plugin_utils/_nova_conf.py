# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure checks and helpers for the nova_compute role (controller side).

Everything here works on plain Python values so it is unit-tested without a
node: the role hands its variables over through the filters in
``plugins/filter/`` (nova_compute_errors.py, ...) and fails with the messages returned here
before anything on the node changes. Every message names the variable and
never shows a secret: URLs, INI, libvirt's syntax and Nova's option data
are parsed by the module_utils of each format, never here.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus, unquote

from ansible_collections.novaops.compute.plugins.module_utils import _urls
from ansible_collections.novaops.compute.plugins.module_utils._libvirt_conf import (
    LibvirtConfValueError,
    check_key as libvirt_check_key,
    render_value as libvirt_render_value,
)
from ansible_collections.novaops.compute.plugins.module_utils import _nova_conf_checks, _nova_options, _nova_releases
from ansible_collections.novaops.compute.plugins.module_utils._nova_conf_checks import (
    CONTROLLER_ONLY,
    KEYSTONEAUTH_OPTIONS,
    KEYSTONEAUTH_SECTIONS,
    ROLE_VARIABLES,
    controller_where as _controller_where,
    ip as _ip,
    is_true,
    number as _number,
    shown as _shown,
)
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import has_line_break

MASK = _urls.MASK

TRANSPORT_SCHEMES = _urls.TRANSPORT_SCHEMES
DB_DIALECTS = _urls.DB_DIALECTS
CONSOLES = ("vnc", "spice", "none")
VIRT_TYPES = ("auto", "kvm", "qemu")
CPU_MODES = ("host-model", "host-passthrough", "custom", "none")
MIGRATION_SCHEMES = ("tcp", "ssh", "tls")

OVERRIDES = "nova_compute_nova_conf_overrides"
# The role variable that writes each nova.conf option (module_utils/_nova_conf_checks.py,
# shared with nova_conf_lint), so a refusal of a removed name can say what to set instead.
ROLE_SETTINGS = ROLE_VARIABLES


# --------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------

def mask_url(url):
    """``url`` (or a log line) with every password in it replaced by the mask."""
    return _urls.mask_url(url)


def _spellings(secret):
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), unquote(secret)} - {""}


def mask_secrets(text_or_lines, secrets):
    """Replace every occurrence of each non-empty secret (as written, URL-quoted
    or unquoted) with the mask; a string or a list of strings, same shape back."""
    if text_or_lines is None:
        return None
    spellings = set()
    for secret in secrets or []:
        if secret is not None and str(secret) != "":
            spellings |= _spellings(str(secret))
    ordered = sorted(spellings, key=len, reverse=True)

    def mask(text):
        text = str(text)
        for spelling in ordered:
            text = text.replace(spelling, MASK)
        return text

    if isinstance(text_or_lines, (list, tuple)):
        return [mask(line) for line in text_or_lines]
    return mask(text_or_lines)


# --------------------------------------------------------------------------
# Small value tests
# --------------------------------------------------------------------------

# --------------------------------------------------------------------------
# Line breaks anywhere
# --------------------------------------------------------------------------

def _path(name, keys):
    return name + "".join("[%d]" % k if isinstance(k, int) and not isinstance(k, bool) else "['%s']" % k
                          for k in keys)


def check_line_breaks(name, value, keys=()):
    """A finding for every string in ``value`` (any depth: list items, dict keys
    and values) holding a line break or NUL; names the path, never the value."""
    if isinstance(value, str):
        if has_line_break(value):
            return ["%s contains a line break or NUL, which would write new lines into a config file"
                    % _path(name, keys)]
        return []
    errors = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and has_line_break(key):
                errors.append("%s has a key containing a line break or NUL" % _path(name, keys))
                continue
            errors += check_line_breaks(name, item, keys + (key,))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            errors += check_line_breaks(name, item, keys + (index,))
    return errors


# --------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------

def check_transport_url(name, url):
    """Errors for an oslo.messaging transport URL (rabbit:// or amqp://); nothing of the value shown."""
    if url is None or str(url).strip() == "":
        return ["%s is required (e.g. rabbit://nova:PASSWORD@controller:5672/)" % name]
    if has_line_break(url):
        return []  # reported by check_line_breaks
    problems = _urls.check_transport_url(str(url), None)
    if not problems:
        scheme = _urls.split_transport_url(str(url))["scheme"]
        if scheme not in TRANSPORT_SCHEMES:
            return ["%s has scheme '%s': it must be one of %s" % (
                name, scheme, ", ".join(s + "://" for s in TRANSPORT_SCHEMES))]
        return []
    return ["%s is not a valid transport URL: %s" % (name, problem) for problem in problems]


def check_database_url(name, url):
    """Errors for an SQLAlchemy URL; None means "not configured"."""
    if url is None or url == "":
        return []
    if has_line_break(url):
        return []  # reported by check_line_breaks
    problems = _urls.check_database_url(str(url))
    if len(problems) == 1 and problems[0].startswith("uses the unknown dialect"):
        return ["%s (%s) %s" % (name, _urls.mask_database_url(str(url)), problems[0])]
    return ["%s is not a valid database URL: %s" % (name, problem) for problem in problems]


def _check_http_url(name, url, required_msg):
    if url is None or str(url).strip() == "":
        return [required_msg]
    if has_line_break(url):
        return []
    return ["%s%s %s" % (name, _shown(url), problem) for problem in _urls.check_http_url(str(url))]


# --------------------------------------------------------------------------
# Settings checks
# --------------------------------------------------------------------------

def _check_ratio(name, value):
    if value is None:
        return []
    number = _number(value)
    if number is None:
        return ["%s must be a number, got %r" % (name, value)]
    if number <= 0:
        return ["%s must be greater than 0, got %s" % (name, value)]
    return []


def _check_nonnegative_int(name, value):
    number = _number(value, whole=True)
    if number is None:
        return ["%s must be a whole number, got %r" % (name, value)]
    if number < 0:
        return ["%s must be 0 or more, got %s" % (name, value)]
    return []


def _check_console_addresses(prefix, listen, proxyclient, base_url):
    """Listen/proxy-client rules shared by VNC and SPICE (and by nova_conf_lint)."""
    return _nova_conf_checks.console_address_problems(
        listen, proxyclient, base_url,
        "nova_compute_%s_server_listen" % prefix, "nova_compute_%s_server_proxyclient_address" % prefix)


def _override_bool(overrides, section, option):
    return is_true((overrides.get(section) or {}).get(option))


def _unknown_filters_note(filters, known_filters):
    unknown = _nova_conf_checks.unknown_filters(filters, known_filters)
    return "; it also names filters this Nova release does not have: %s" % ", ".join(unknown) if unknown else ""


def _check_controller_only(settings, overrides, known_filters=None):
    """The retired scheduler variables, and overrides of CONTROLLER_ONLY options (values never shown).

    Filter names not in ``known_filters`` (the release's filters) are named too,
    so the setting does not move to the controllers with a filter nova-scheduler
    would refuse to start with."""
    errors = []
    enabled = settings.get("nova_compute_scheduler_enabled_filters")
    if enabled is not None:
        errors.append("nova_compute_scheduler_enabled_filters is not a nova_compute setting any more: "
                      + _controller_where("filter_scheduler", "enabled_filters")
                      + _unknown_filters_note(enabled, known_filters))
    if settings.get("nova_compute_scheduler_custom_filters"):
        errors.append("nova_compute_scheduler_custom_filters is not a nova_compute setting any more: "
                      + _controller_where("filter_scheduler", "available_filters"))
    if isinstance(overrides, dict):
        for section, option in CONTROLLER_ONLY:
            options = overrides.get(section)
            if isinstance(options, dict) and options.get(option) is not None:
                note = _unknown_filters_note(options[option], known_filters) if option == "enabled_filters" else ""
                errors.append("%s: [%s] %s has no effect on a compute node: %s%s"
                              % (OVERRIDES, section, option, _controller_where(section, option), note))
    return errors


def _check_qemu_conf(qemu_conf):
    name = "nova_compute_libvirt_qemu_conf"
    if qemu_conf is None:
        return []
    if not isinstance(qemu_conf, dict):
        return ["%s must be a mapping of qemu.conf keys to values" % name]
    errors = []
    for key, value in qemu_conf.items():
        if isinstance(key, str) and has_line_break(key):
            continue  # reported by check_line_breaks
        try:
            libvirt_check_key(key)
        except LibvirtConfValueError as exc:
            errors.append("%s: '%s' is not a qemu.conf key: it %s" % (name, key, exc))
            continue
        if check_line_breaks(name, value):
            continue
        try:
            libvirt_render_value(value)
        except LibvirtConfValueError as exc:
            errors.append("%s: %s: %s" % (name, key, exc))
    return errors


# --------------------------------------------------------------------------
# keystoneauth sections ([placement], [neutron])
# --------------------------------------------------------------------------

def _keystoneauth_name(section, option):
    return "nova_compute_%s_%s" % (section, option)


def keystoneauth_sections(settings):
    """nova.conf's keystoneauth sections from the role's variables.

    Returns section -> option -> value for every KEYSTONEAUTH_SECTIONS entry:
    ``auth_type = password``, then each KEYSTONEAUTH_OPTIONS option from
    ``nova_compute_<section>_<option>`` (None, left out of nova.conf, when unset).
    """
    return {section: dict([("auth_type", "password")]
                          + [(option, settings.get(_keystoneauth_name(section, option)))
                             for option in KEYSTONEAUTH_OPTIONS])
            for section in KEYSTONEAUTH_SECTIONS}


def check_keystoneauth(settings, section):
    """Errors for one keystoneauth section's variables: the keystone URL and the
    service user's password are required, the URL must be http(s) with a host.
    The password is never shown (nor is a URL that may hold credentials)."""
    auth_url, password = _keystoneauth_name(section, "auth_url"), _keystoneauth_name(section, "password")
    errors = _check_http_url(auth_url, settings.get(auth_url),
                             "%s is required (keystone, e.g. http://controller:5000/v3)" % auth_url)
    if not settings.get(password):
        errors.append("%s is required (the %s service user's password)" % (password, section))
    return errors


def check_settings(settings, facts=None, known_filters=None):
    """Return the list of problems with the role's variables.

    ``settings`` maps variable names (``nova_compute_*``) to their values;
    ``facts`` may hold ``memtotal_mb`` and ``kvm`` (bool: /dev/kvm exists).
    ``known_filters`` (the option data's ``filters`` of the node's release)
    adds the unknown filter names to the refusal of scheduler filter settings,
    which belong to the controllers; nothing is judged without it.
    """
    s = settings
    facts = facts or {}
    errors = []
    for name in sorted(s):
        if str(name).startswith("nova_compute_"):
            errors += check_line_breaks(name, s[name])

    errors += check_transport_url("nova_compute_transport_url", s.get("nova_compute_transport_url"))
    for name in ("nova_compute_database_connection", "nova_compute_api_database_connection"):
        errors += check_database_url(name, s.get(name))

    my_ip = s.get("nova_compute_my_ip")
    if my_ip in (None, ""):
        errors.append("nova_compute_my_ip is empty: the node has no default IPv4 address; "
                      "set it to the node's management IP")
    elif _ip(my_ip) is None:
        errors.append("nova_compute_my_ip%s is not a valid IP address" % _shown(my_ip))
    elif _ip(my_ip).is_unspecified:
        errors.append("nova_compute_my_ip (%s) must be the node's own address, not a wildcard" % my_ip)

    for kind in ("cpu", "ram", "disk"):
        for fmt in ("nova_compute_%s_allocation_ratio", "nova_compute_initial_%s_allocation_ratio"):
            errors += _check_ratio(fmt % kind, s.get(fmt % kind))

    for name in ("nova_compute_reserved_host_memory_mb", "nova_compute_reserved_host_cpus",
                 "nova_compute_reserved_host_disk_mb"):
        if name in s:
            errors += _check_nonnegative_int(name, s[name])
    reserved = s.get("nova_compute_reserved_host_memory_mb")
    memtotal = facts.get("memtotal_mb")
    reserved_mb, memtotal_mb = _number(reserved), _number(memtotal)
    if reserved_mb is not None and memtotal_mb is not None and reserved_mb >= memtotal_mb:
        errors.append("nova_compute_reserved_host_memory_mb (%s) is not less than the node's memory "
                      "(%s MB): no memory would be left for guests" % (reserved, memtotal))

    virt_type = s.get("nova_compute_virt_type", "auto")
    if virt_type not in VIRT_TYPES:
        errors.append("nova_compute_virt_type%s must be one of %s" % (_shown(virt_type), ", ".join(VIRT_TYPES)))
    elif virt_type == "kvm" and facts.get("kvm") is False:
        errors.append("nova_compute_virt_type is kvm but /dev/kvm does not exist on this node; "
                      "use auto (falls back to qemu) or qemu")
    cpu_mode = s.get("nova_compute_cpu_mode")
    if cpu_mode is not None and cpu_mode not in CPU_MODES:
        errors.append("nova_compute_cpu_mode%s must be one of %s" % (_shown(cpu_mode), ", ".join(CPU_MODES)))
    if cpu_mode == "custom" and not s.get("nova_compute_cpu_models"):
        errors.append("nova_compute_cpu_mode is custom but nova_compute_cpu_models is empty")
    scheme = s.get("nova_compute_live_migration_scheme")
    if scheme is not None and scheme not in MIGRATION_SCHEMES:
        errors.append("nova_compute_live_migration_scheme%s must be one of %s" % (
            _shown(scheme), ", ".join(MIGRATION_SCHEMES)))
    inbound = s.get("nova_compute_live_migration_inbound_addr")
    if inbound not in (None, "") and not _urls.is_host(inbound) and not has_line_break(inbound):
        errors.append("nova_compute_live_migration_inbound_addr%s is neither an IP address nor a host name"
                      % _shown(inbound))

    overrides = s.get(OVERRIDES) or {}
    errors += check_override_shape(overrides)
    console = s.get("nova_compute_console", "vnc")
    if console not in CONSOLES:
        errors.append("nova_compute_console%s must be one of %s" % (_shown(console), ", ".join(CONSOLES)))
    if isinstance(overrides, dict):
        vnc_on = console == "vnc" or _override_bool(overrides, "vnc", "enabled")
        spice_on = console == "spice" or _override_bool(overrides, "spice", "enabled")
        if vnc_on and spice_on:
            errors.append("VNC and SPICE are both enabled (nova_compute_console is %s and "
                          "%s enables the other): enable only one" % (console, OVERRIDES))
    for kind, base in (("vnc", "nova_compute_novncproxy_base_url"), ("spice", "nova_compute_spice_html5proxy_base_url")):
        if console != kind:
            continue
        errors += _check_http_url(base, s.get(base),
                                  "%s is required when nova_compute_console is %s: set it to the URL your "
                                  "console proxy publishes to users" % (base, console))
        errors += _check_console_addresses(kind, s.get("nova_compute_%s_server_listen" % kind),
                                           s.get("nova_compute_%s_server_proxyclient_address" % kind), s.get(base))

    errors += _check_controller_only(s, overrides, known_filters)

    interval = s.get("nova_compute_image_cache_manager_interval")
    number = _number(interval, whole=True)
    if interval is not None and (number is None or number < -1):
        errors.append("nova_compute_image_cache_manager_interval must be a whole number >= -1 "
                      "(-1 disables the image cache manager), got %r" % (interval,))
    for name in ("nova_compute_image_cache_remove_unused_original_minimum_age_seconds",
                 "nova_compute_image_cache_remove_unused_resized_minimum_age_seconds"):
        if s.get(name) is not None:
            errors += _check_nonnegative_int(name, s[name])
    subdir = s.get("nova_compute_image_cache_subdirectory_name")
    if subdir is not None and (not subdir or "/" in str(subdir) or str(subdir) in (".", "..")):
        errors.append("nova_compute_image_cache_subdirectory_name%s must be a plain directory name" % _shown(subdir))

    for section in KEYSTONEAUTH_SECTIONS:
        errors += check_keystoneauth(s, section)

    errors += _check_qemu_conf(s.get("nova_compute_libvirt_qemu_conf"))
    return errors


_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def check_override_shape(overrides):
    """Structure of nova_compute_nova_conf_overrides: section -> option -> value.

    Values are never shown (an override may be a secret); line breaks are
    reported by check_line_breaks.
    """
    name = OVERRIDES
    if not isinstance(overrides, dict):
        return ["%s must be a mapping of section -> option -> value" % name]
    errors = []
    for section, options in overrides.items():
        if has_line_break(section):
            continue
        if not _NAME.fullmatch(str(section)):
            errors.append("%s: '%s' is not a valid section name" % (name, section))
            continue
        if options is None:
            continue
        if not isinstance(options, dict):
            errors.append("%s: [%s] must map option names to values" % (name, section))
            continue
        for option, value in options.items():
            if has_line_break(option):
                continue
            if not _NAME.fullmatch(str(option)):
                errors.append("%s: [%s] '%s' is not a valid option name" % (name, section, option))
            values = value if isinstance(value, (list, tuple)) else [value]
            if any(isinstance(v, (dict, list, tuple)) for v in values) and not isinstance(value, dict):
                errors.append("%s: [%s] %s has a nested value, which nova.conf cannot carry" % (name, section, option))
            elif isinstance(value, dict) and any(isinstance(v, (dict, list, tuple)) for v in value.values()):
                errors.append("%s: [%s] %s has a nested value, which nova.conf cannot carry" % (name, section, option))
    return errors


def check_overrides(overrides, release="26", data=None):
    """nova_compute_nova_conf_overrides against the option data of Nova ``release``
    (``data``, compact form, when given instead), naming the role variable that
    replaces a removed option. No release and no data: nothing to check.
    Raises ValueError for a release the collection has no data for."""
    if data is None:
        if release in (None, ""):
            return []
        data = _nova_releases.opt_data(release)
    others = {r: _nova_releases.opt_data(r) for r in _nova_releases.SUPPORTED if r != str(release)}
    return _nova_options.check_overrides(overrides, data, str(release), OVERRIDES, ROLE_SETTINGS, others)
