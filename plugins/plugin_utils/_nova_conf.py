# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure checks and helpers for the nova_compute role (controller side).

Everything here works on plain Python values so it is unit-tested without a
node: the role hands its variables over through the filters in
``plugins/filter/nova_conf.py`` and fails with the messages returned here
before anything on the node changes. Every message names the variable and
never shows a secret in clear.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from urllib.parse import urlsplit

MASK = "********"

TRANSPORT_SCHEMES = ("rabbit", "amqp")
DB_DIALECTS = ("mysql", "mariadb", "postgresql", "sqlite")
CONSOLES = ("vnc", "spice", "none")
VIRT_TYPES = ("auto", "kvm", "qemu")
CPU_MODES = ("host-model", "host-passthrough", "custom", "none")
MIGRATION_SCHEMES = ("tcp", "ssh", "tls")

# Options whose value is a secret wherever they appear in nova.conf.
_SECRET_OPTION = re.compile(
    r"(password|passwd|secret|token|_key$|^key$|transport_url$|^connection$|"
    r"^slave_connection$|backend_argument)",
    re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@,\s]*:)(?P<pw>[^@\s]*)(?P<at>@)",
                              re.IGNORECASE)
# A URL someone forgot the scheme of ("nova:PASSWORD@ctl1:5672/") still
# carries the password.
_BARE_CREDENTIALS = re.compile(r"^(?P<head>[^:/@,\s]*:)(?P<pw>[^@\s]*)(?P<at>@)")

# Names removed from Nova (still found in old notes and blog posts) that a
# running Nova 26 silently ignores, with what to use instead. Deprecated
# aliases that still work come from the option data instead.
LEGACY_OPTIONS = {
    ("DEFAULT", "vncserver_listen"): "[vnc] server_listen (nova_compute_vnc_server_listen)",
    ("DEFAULT", "vncserver_proxyclient_address"):
        "[vnc] server_proxyclient_address (nova_compute_vnc_server_proxyclient_address)",
    ("DEFAULT", "osapi_volume_listen"): "nothing: Cinder's API is not part of Nova",
    ("api", "fping_path"): "nothing: the os-fping API was removed",
    ("libvirt", "vif_driver"): "nothing: os-vif plugs interfaces now",
    ("libvirt", "live_migration_uri"):
        "[libvirt] live_migration_scheme and live_migration_inbound_addr "
        "(nova_compute_live_migration_scheme, nova_compute_live_migration_inbound_addr)",
    ("DEFAULT", "scheduler_default_filters"):
        "[filter_scheduler] enabled_filters (nova_compute_scheduler_enabled_filters)",
}


# --------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------

def mask_url(url):
    """Return ``url`` with every password in it replaced by the mask.

    Works for multi-host transport URLs (``rabbit://u:p@h1,u:p@h2/``), whose
    second and later credentials urlsplit would not see.
    """
    if url is None:
        return None
    text = str(url)
    # Credentials after the first one in a multi-host URL have no scheme.
    text = re.sub(r"(,[^:/@,\s]*:)[^@,\s]*(@)", r"\1" + MASK + r"\2", text)
    if "://" not in text:
        text = _BARE_CREDENTIALS.sub(lambda m: m.group("head") + MASK + m.group("at"), text)
    return _URL_CREDENTIALS.sub(lambda m: m.group("head") + MASK + m.group("at"), text)


def is_secret_option(name):
    return bool(_SECRET_OPTION.search(str(name)))


def mask_ini(text):
    """Mask the value of every secret option in an INI text (nova.conf).

    URLs keep their shape (only the password is hidden) so a diff still shows
    which host or user changed.
    """
    if text is None:
        return None
    out = []
    for line in str(text).splitlines(True):
        match = re.match(r"^(\s*)([^#;\s=\[][^=]*?)(\s*=\s*)(.*?)(\r?\n)?$", line)
        if match and is_secret_option(match.group(2)) and match.group(4):
            value = match.group(4)
            masked = mask_url(value) if "://" in value else MASK
            if masked == value:
                # A URL without a password (sqlite, a host-only URL) is not secret.
                masked = value
            line = "".join((match.group(1), match.group(2), match.group(3), masked, match.group(5) or ""))
        out.append(line)
    return "".join(out)


# --------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------

def ini_value(value):
    """Render a Python value the way oslo.config reads it back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(ini_value(v) for v in value)
    if isinstance(value, dict):
        return ",".join("%s:%s" % (k, ini_value(v)) for k, v in value.items())
    return str(value)


# --------------------------------------------------------------------------
# Settings checks
# --------------------------------------------------------------------------

def _number(value, whole=False):
    """``value`` as an int or float, else None.

    Numeric strings count: ``-e nova_compute_cpu_allocation_ratio=8.0`` on
    the command line gives the string '8.0'. Booleans, NaN and infinity do not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        pattern = r"[+-]?\d+" if whole else r"[+-]?(\d+(\.\d*)?|\.\d+)"
        if not re.fullmatch(pattern, value.strip()):
            return None
        return int(value) if whole else float(value)
    if isinstance(value, int) or (isinstance(value, float) and not whole and math.isfinite(value)):
        return value
    return None


def _ip(value):
    try:
        return ipaddress.ip_address(str(value).strip("[]"))
    except ValueError:
        return None


def _is_hostname(value):
    text = str(value)
    if not text or len(text) > 253:
        return False
    return all(re.match(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$", label) for label in text.rstrip(".").split("."))


def _is_loopback_host(host):
    if host is None:
        return True
    if str(host).lower() in ("localhost", "localhost.localdomain"):
        return True
    address = _ip(host)
    return bool(address and address.is_loopback)


def check_transport_url(name, url):
    """Errors for an oslo.messaging transport URL (rabbit:// or amqp://)."""
    if url is None or str(url).strip() == "":
        return ["%s is required (e.g. rabbit://nova:PASSWORD@controller:5672/)" % name]
    text = str(url)
    shown = mask_url(text)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return ["%s (%s) has no scheme: it must start with %s" % (
            name, shown, " or ".join(s + "://" for s in TRANSPORT_SCHEMES))]
    if scheme not in TRANSPORT_SCHEMES:
        return ["%s (%s) has scheme '%s': it must be one of %s" % (
            name, shown, scheme, ", ".join(s + "://" for s in TRANSPORT_SCHEMES))]
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    errors = []
    hosts = netloc.split(",")
    if not netloc or not any(h.rpartition("@")[2] for h in hosts):
        return ["%s (%s) names no message-bus host" % (name, shown)]
    for entry in hosts:
        hostport = entry.rpartition("@")[2]
        if not hostport:
            errors.append("%s (%s) has an empty host in its host list" % (name, shown))
            continue
        host, port = hostport, None
        if hostport.startswith("["):
            host, _sep, tail = hostport[1:].partition("]")
            port = tail[1:] if tail.startswith(":") else None
        elif hostport.count(":") == 1:
            host, port = hostport.split(":")
        if port is not None and (not port.isdigit() or not 0 < int(port) < 65536):
            errors.append("%s (%s) has an invalid port '%s' for host %s" % (name, shown, port, host))
        if not (_ip(host) or _is_hostname(host)):
            errors.append("%s (%s) has an invalid host '%s'" % (name, shown, host))
    return errors


def check_database_url(name, url):
    """Errors for an SQLAlchemy URL; None means "not configured"."""
    if url is None or url == "":
        return []
    text = str(url)
    shown = mask_url(text)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return ["%s (%s) is not a database URL: expected e.g. mysql+pymysql://nova:PASSWORD@db/nova" % (
            name, shown)]
    dialect = scheme.split("+", 1)[0]
    if dialect not in DB_DIALECTS:
        return ["%s (%s) uses the unknown dialect '%s': expected one of %s" % (
            name, shown, dialect, ", ".join(DB_DIALECTS))]
    if dialect != "sqlite":
        host = urlsplit(text).hostname
        if not host:
            return ["%s (%s) names no database host" % (name, shown)]
        if "/" not in rest.split("?", 1)[0] or not rest.split("?", 1)[0].split("/", 1)[1]:
            return ["%s (%s) names no database" % (name, shown)]
    return []


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


def _check_base_url(name, url, console):
    if url is None or str(url).strip() == "":
        return ["%s is required when nova_compute_console is %s: set it to the URL your "
                "console proxy publishes to users" % (name, console)]
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ["%s (%s) must be an http:// or https:// URL with a host" % (name, url)]
    return []


def _check_console_addresses(prefix, listen, proxyclient, base_url):
    """Listen/proxy-client rules shared by VNC and SPICE."""
    errors = []
    listen_name = "nova_compute_%s_server_listen" % prefix
    client_name = "nova_compute_%s_server_proxyclient_address" % prefix
    listen_ip = _ip(listen)
    if listen_ip is None:
        errors.append("%s (%s) must be an IP address (0.0.0.0, :: or one of the node's)" % (listen_name, listen))
    if proxyclient is None or str(proxyclient) == "":
        errors.append("%s is empty: set it to the node's management address" % client_name)
        return errors
    client_ip = _ip(proxyclient)
    if client_ip is None and not _is_hostname(proxyclient):
        errors.append("%s (%s) is neither an IP address nor a host name" % (client_name, proxyclient))
        return errors
    if client_ip is not None and client_ip.is_unspecified:
        errors.append("%s is %s: the console proxy cannot connect to a wildcard address; "
                      "use the node's management IP" % (client_name, proxyclient))
        return errors
    proxy_host = urlsplit(str(base_url)).hostname if base_url else None
    proxy_is_remote = proxy_host is not None and not _is_loopback_host(proxy_host)
    if proxy_is_remote and _is_loopback_host(proxyclient):
        errors.append("%s is %s but the console proxy (%s) runs on another host: "
                      "use the node's management IP" % (client_name, proxyclient, proxy_host))
    if proxy_is_remote and listen_ip is not None and listen_ip.is_loopback:
        errors.append("%s is %s: consoles would only answer on loopback while the console "
                      "proxy (%s) is another host; use 0.0.0.0 or the node's management IP"
                      % (listen_name, listen, proxy_host))
    if (listen_ip is not None and client_ip is not None and not listen_ip.is_unspecified
            and not listen_ip.is_loopback and listen_ip != client_ip):
        errors.append("%s (%s) must be 0.0.0.0, :: or the same address as %s (%s): the proxy "
                      "connects to the proxy-client address" % (listen_name, listen, client_name, proxyclient))
    return errors


def _override_bool(overrides, section, option):
    value = (overrides.get(section) or {}).get(option)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def check_settings(settings, facts=None, known_filters=None):
    """Return the list of problems with the role's variables.

    ``settings`` maps variable names (``nova_compute_*``) to their values;
    ``facts`` may hold ``memtotal_mb`` and ``kvm`` (bool: /dev/kvm exists);
    ``known_filters`` lists the scheduler filters Nova ships.
    """
    s = settings
    facts = facts or {}
    errors = []
    errors += check_transport_url("nova_compute_transport_url", s.get("nova_compute_transport_url"))
    for name in ("nova_compute_database_connection", "nova_compute_api_database_connection"):
        errors += check_database_url(name, s.get(name))

    my_ip = s.get("nova_compute_my_ip")
    if my_ip in (None, ""):
        errors.append("nova_compute_my_ip is empty: the node has no default IPv4 address; "
                      "set it to the node's management IP")
    elif _ip(my_ip) is None:
        errors.append("nova_compute_my_ip (%s) is not a valid IP address" % my_ip)
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
        errors.append("nova_compute_virt_type (%s) must be one of %s" % (virt_type, ", ".join(VIRT_TYPES)))
    elif virt_type == "kvm" and facts.get("kvm") is False:
        errors.append("nova_compute_virt_type is kvm but /dev/kvm does not exist on this node; "
                      "use auto (falls back to qemu) or qemu")
    cpu_mode = s.get("nova_compute_cpu_mode")
    if cpu_mode is not None and cpu_mode not in CPU_MODES:
        errors.append("nova_compute_cpu_mode (%s) must be one of %s" % (cpu_mode, ", ".join(CPU_MODES)))
    if cpu_mode == "custom" and not s.get("nova_compute_cpu_models"):
        errors.append("nova_compute_cpu_mode is custom but nova_compute_cpu_models is empty")
    scheme = s.get("nova_compute_live_migration_scheme")
    if scheme is not None and scheme not in MIGRATION_SCHEMES:
        errors.append("nova_compute_live_migration_scheme (%s) must be one of %s" % (
            scheme, ", ".join(MIGRATION_SCHEMES)))
    inbound = s.get("nova_compute_live_migration_inbound_addr")
    if inbound not in (None, "") and _ip(inbound) is None and not _is_hostname(inbound):
        errors.append("nova_compute_live_migration_inbound_addr (%s) is neither an IP address nor a host name"
                      % inbound)

    overrides = s.get("nova_compute_nova_conf_overrides") or {}
    errors += check_override_shape(overrides)
    console = s.get("nova_compute_console", "vnc")
    if console not in CONSOLES:
        errors.append("nova_compute_console (%s) must be one of %s" % (console, ", ".join(CONSOLES)))
    if isinstance(overrides, dict):
        vnc_on = console == "vnc" or _override_bool(overrides, "vnc", "enabled")
        spice_on = console == "spice" or _override_bool(overrides, "spice", "enabled")
        if vnc_on and spice_on:
            errors.append("VNC and SPICE are both enabled (nova_compute_console is %s and "
                          "nova_compute_nova_conf_overrides enables the other): enable only one" % console)
    if console == "vnc":
        errors += _check_base_url("nova_compute_novncproxy_base_url", s.get("nova_compute_novncproxy_base_url"),
                                  console)
        errors += _check_console_addresses("vnc", s.get("nova_compute_vnc_server_listen"),
                                           s.get("nova_compute_vnc_server_proxyclient_address"),
                                           s.get("nova_compute_novncproxy_base_url"))
    elif console == "spice":
        errors += _check_base_url("nova_compute_spice_html5proxy_base_url",
                                  s.get("nova_compute_spice_html5proxy_base_url"), console)
        errors += _check_console_addresses("spice", s.get("nova_compute_spice_server_listen"),
                                           s.get("nova_compute_spice_server_proxyclient_address"),
                                           s.get("nova_compute_spice_html5proxy_base_url"))

    filters = s.get("nova_compute_scheduler_enabled_filters")
    if filters is not None:
        known = list(known_filters or []) + list(s.get("nova_compute_scheduler_custom_filters") or [])
        if not isinstance(filters, list):
            errors.append("nova_compute_scheduler_enabled_filters must be a list of filter class names")
        else:
            for item in filters:
                if known and item not in known:
                    close = difflib.get_close_matches(str(item), known, n=1)
                    hint = " (did you mean %s?)" % close[0] if close else ""
                    errors.append("nova_compute_scheduler_enabled_filters: %s is not a filter Nova ships%s; "
                                  "add your own classes to nova_compute_scheduler_custom_filters" % (item, hint))

    interval = s.get("nova_compute_image_cache_manager_interval")
    if interval is not None and (not isinstance(interval, int) or isinstance(interval, bool) or interval < -1):
        errors.append("nova_compute_image_cache_manager_interval must be a whole number >= -1 "
                      "(-1 disables the image cache manager), got %r" % (interval,))
    for name in ("nova_compute_image_cache_remove_unused_original_minimum_age_seconds",
                 "nova_compute_image_cache_remove_unused_resized_minimum_age_seconds"):
        if s.get(name) is not None:
            errors += _check_nonnegative_int(name, s[name])
    subdir = s.get("nova_compute_image_cache_subdirectory_name")
    if subdir is not None and (not subdir or "/" in str(subdir) or str(subdir) in (".", "..")):
        errors.append("nova_compute_image_cache_subdirectory_name (%s) must be a plain directory name" % subdir)

    auth_url = s.get("nova_compute_placement_auth_url")
    parts = urlsplit(str(auth_url or ""))
    if not auth_url:
        errors.append("nova_compute_placement_auth_url is required (keystone, e.g. http://controller:5000/v3)")
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append("nova_compute_placement_auth_url (%s) must be an http:// or https:// URL with a host"
                      % mask_url(auth_url))
    if not s.get("nova_compute_placement_password"):
        errors.append("nova_compute_placement_password is required (the placement service user's password)")

    qemu_conf = s.get("nova_compute_libvirt_qemu_conf") or {}
    if not isinstance(qemu_conf, dict):
        errors.append("nova_compute_libvirt_qemu_conf must be a mapping of qemu.conf keys to values")
    else:
        for key in qemu_conf:
            if not re.match(r"^[a-z][a-z0-9_]*$", str(key)):
                errors.append("nova_compute_libvirt_qemu_conf: '%s' is not a qemu.conf key" % key)
    return errors


def check_override_shape(overrides):
    """Structure of nova_compute_nova_conf_overrides: section -> option -> value."""
    name = "nova_compute_nova_conf_overrides"
    if not isinstance(overrides, dict):
        return ["%s must be a mapping of section -> option -> value" % name]
    errors = []
    for section, options in overrides.items():
        if not re.match(r"^[A-Za-z0-9_.-]+$", str(section)):
            errors.append("%s: '%s' is not a valid section name" % (name, section))
            continue
        if not isinstance(options, dict):
            errors.append("%s: [%s] must map option names to values" % (name, section))
            continue
        for option, value in options.items():
            if not re.match(r"^[A-Za-z0-9_.-]+$", str(option)):
                errors.append("%s: [%s] '%s' is not a valid option name" % (name, section, option))
            shown = MASK if is_secret_option(option) else repr(value)
            values = value if isinstance(value, (list, tuple)) else [value]
            if any(isinstance(v, (dict, list, tuple)) for v in values) and not isinstance(value, dict):
                errors.append("%s: [%s] %s has a nested value %s" % (name, section, option, shown))
            if any(isinstance(v, str) and ("\n" in v or "\r" in v) for v in values):
                errors.append("%s: [%s] %s contains a line break, which would corrupt nova.conf"
                              % (name, section, option))
    return errors


# --------------------------------------------------------------------------
# Overrides against Nova's option data
# --------------------------------------------------------------------------

def compact_opt_data(opt_data):
    """Reduce oslo-config-generator's machine-readable data to what checks need.

    Returns ``{"options": {group: {name: spec}}, "deprecated": {group: {name: [group, name]}}}``
    where spec holds ``type`` and, when set, ``choices``, ``min``, ``max``.
    """
    options = {}
    deprecated = {}
    for group, data in sorted(opt_data.get("options", {}).items()):
        specs = {}
        for opt in data.get("opts", []):
            spec = {"type": opt.get("type")}
            choices = [c[0] if isinstance(c, (list, tuple)) else c for c in (opt.get("choices") or [])]
            if choices:
                spec["choices"] = [str(c) if c is not None else None for c in choices]
            for bound in ("min", "max"):
                if opt.get(bound) is not None:
                    spec[bound] = opt[bound]
            for name in {opt.get("name"), opt.get("dest")} - {None}:
                specs[name] = spec
            for old in opt.get("deprecated_opts") or []:
                old_group = old.get("group") or group
                if old.get("name"):
                    deprecated.setdefault(old_group, {})[old["name"]] = [group, opt.get("dest") or opt.get("name")]
        options[group] = specs
    return {"options": options, "deprecated": deprecated}


def _type_problem(spec, value):
    """Why ``value`` does not fit an option's spec, or None."""
    kind = (spec.get("type") or "").lower()
    values = value if isinstance(value, (list, tuple)) and "list" not in kind and "multi" in kind else [value]
    for item in values:
        text = ini_value(item)
        if "boolean" in kind:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                return "is a boolean option, got %r" % (item,)
        elif "integer" in kind or "port" in kind:
            try:
                number = int(text)
            except ValueError:
                return "is an integer option, got %r" % (item,)
            if spec.get("min") is not None and number < spec["min"]:
                return "must be at least %s, got %s" % (spec["min"], number)
            if spec.get("max") is not None and number > spec["max"]:
                return "must be at most %s, got %s" % (spec["max"], number)
        elif "floating" in kind:
            try:
                number = float(text)
            except ValueError:
                return "is a floating point option, got %r" % (item,)
            if spec.get("min") is not None and number < spec["min"]:
                return "must be at least %s, got %s" % (spec["min"], number)
        if spec.get("choices") and text not in [str(c) for c in spec["choices"] if c is not None]:
            return "must be one of %s, got %r" % (", ".join(str(c) for c in spec["choices"] if c is not None), item)
    return None


def check_overrides(overrides, data, release="26"):
    """Check nova_compute_nova_conf_overrides against compact option data.

    Catches what the node's validator would reject (unknown sections and
    options) plus what it cannot see: renamed options, wrong types, values
    outside choices or bounds. None values (removals) are always accepted.
    """
    name = "nova_compute_nova_conf_overrides"
    if not isinstance(overrides, dict) or not data:
        return []
    options = data.get("options", {})
    deprecated = data.get("deprecated", {})
    errors = []
    for section, opts in overrides.items():
        if not isinstance(opts, dict):
            continue
        for option, value in opts.items():
            if value is None:
                continue
            renamed = deprecated.get(section, {}).get(option)
            if renamed:
                errors.append("%s: [%s] %s is deprecated in Nova %s; use [%s] %s"
                              % (name, section, option, release, renamed[0], renamed[1]))
                continue
            legacy = LEGACY_OPTIONS.get((section, option))
            if legacy:
                errors.append("%s: [%s] %s is not an option in Nova %s (a running Nova ignores it); use %s"
                              % (name, section, option, release, legacy))
                continue
            if section not in options:
                close = difflib.get_close_matches(section, list(options), n=1)
                hint = " (did you mean [%s]?)" % close[0] if close else ""
                errors.append("%s: [%s] is not a section Nova %s knows%s" % (name, section, release, hint))
                continue
            spec = options[section].get(option)
            if spec is None:
                close = difflib.get_close_matches(option, list(options[section]), n=1)
                hint = " (did you mean %s?)" % close[0] if close else ""
                errors.append("%s: [%s] %s is not an option Nova %s knows%s" % (name, section, option, release, hint))
                continue
            problem = _type_problem(spec, value)
            if problem:
                if is_secret_option(option):
                    problem = problem.split(",")[0] + " (value hidden)"
                errors.append("%s: [%s] %s %s" % (name, section, option, problem))
    return errors
