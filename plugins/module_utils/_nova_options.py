# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova's option data: what nova.conf options exist, their types, and which
are secret.

Pure: data in, data out.  The data comes from oslo-config-generator's
machine-readable output (``--format yaml``), reduced by compact_opt_data to
what the checks need and shipped as one Python module per Nova release
(``_nova_opt_data_<release>.py``, loaded by ``_nova_releases.opt_data``).
"""

from __future__ import annotations

import difflib
import re

from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import format_value

# Names removed from Nova (still found in old notes, blog posts and nova.conf
# files carried from packstack/RDO installs) that the option data of the
# supported releases no longer carries: a running Nova silently ignores them.
# Each: the release that removed the name, the upstream change (commit in
# openstack/nova, or openstack/oslo.messaging for the rabbit_* names) and what
# replaces it - the options that do, or a sentence when nothing does.
# Deprecated aliases that still work come from the option data instead.
# ``removed_in`` is Nova's major version (the year.N release before 12).
REMOVED_OPTIONS = {
    ("DEFAULT", "vncserver_listen"): {
        "replacement": [("vnc", "server_listen")], "removed_in": "25 (Yoga)",
        "change": "openstack/nova cec9e7f1f13f 'Remove deprecated opts from VNC conf'"},
    ("DEFAULT", "vncserver_proxyclient_address"): {
        "replacement": [("vnc", "server_proxyclient_address")], "removed_in": "25 (Yoga)",
        "change": "openstack/nova cec9e7f1f13f 'Remove deprecated opts from VNC conf'"},
    ("vnc", "vncserver_listen"): {
        "replacement": [("vnc", "server_listen")], "removed_in": "25 (Yoga)",
        "change": "openstack/nova cec9e7f1f13f 'Remove deprecated opts from VNC conf'"},
    ("vnc", "vncserver_proxyclient_address"): {
        "replacement": [("vnc", "server_proxyclient_address")], "removed_in": "25 (Yoga)",
        "change": "openstack/nova cec9e7f1f13f 'Remove deprecated opts from VNC conf'"},
    ("DEFAULT", "vnc_keymap"): {
        "replacement": "nothing: set the keyboard layout in the guest", "removed_in": "22 (Victoria)",
        "change": "openstack/nova 46b1ff4e8025 'libvirt: Remove [vnc] keymap, [spice] keymap options'"},
    ("vnc", "keymap"): {
        "replacement": "nothing: set the keyboard layout in the guest", "removed_in": "22 (Victoria)",
        "change": "openstack/nova 46b1ff4e8025 'libvirt: Remove [vnc] keymap, [spice] keymap options'"},
    ("DEFAULT", "osapi_volume_listen"): {
        "replacement": "nothing: Cinder's API is not part of Nova", "removed_in": "2013.1 (Grizzly)",
        "change": "openstack/nova 7e2b93acc59d 'removes the nova-volume code from nova'"},
    ("api", "fping_path"): {
        "replacement": "nothing: the os-fping API was removed", "removed_in": "18 (Rocky)",
        "change": "openstack/nova 02661caabce8 'Remove support for /os-fping REST API'"},
    ("DEFAULT", "fping_path"): {
        "replacement": "nothing: the os-fping API was removed", "removed_in": "18 (Rocky)",
        "change": "openstack/nova 02661caabce8 'Remove support for /os-fping REST API'"},
    ("libvirt", "vif_driver"): {
        "replacement": "nothing: os-vif plugs interfaces now", "removed_in": "2014.2 (Juno)",
        "change": "openstack/nova 7561c8ded211 'libvirt: remove vif_driver config parameter'"},
    ("libvirt", "live_migration_uri"): {
        "replacement": [("libvirt", "live_migration_scheme"), ("libvirt", "live_migration_inbound_addr")],
        "removed_in": None, "change": None},
    ("DEFAULT", "scheduler_default_filters"): {
        "replacement": "nothing on a compute node: nova-scheduler reads [filter_scheduler] enabled_filters "
                       "from the controllers' nova.conf, not nova-compute; set it in the control plane's nova.conf",
        "removed_in": "24 (Xena)", "change": "openstack/nova 50a7a3050a2f 'conf: Remove deprecated aliases'"},
    ("DEFAULT", "scheduler_available_filters"): {
        "replacement": "nothing on a compute node: nova-scheduler reads [filter_scheduler] available_filters "
                       "from the controllers' nova.conf, not nova-compute; set it in the control plane's nova.conf",
        "removed_in": "24 (Xena)", "change": "openstack/nova 50a7a3050a2f 'conf: Remove deprecated aliases'"},
    ("DEFAULT", "network_api_class"): {
        "replacement": "nothing: Neutron is the only network API", "removed_in": "14 (Newton)",
        "change": "openstack/nova d82db52a0935 'Remove deprecated network_api_class option'"},
    ("DEFAULT", "security_group_api"): {
        "replacement": "nothing: Neutron's security groups are the only ones", "removed_in": "14 (Newton)",
        "change": "openstack/nova 34eed4a4d487 'Remove deprecated security_group_api config option'"},
    ("DEFAULT", "linuxnet_interface_driver"): {
        "replacement": "nothing: nova-network was removed", "removed_in": "21 (Ussuri)",
        "change": "openstack/nova f5f73b4c4e00 'nova-net: Kill it'"},
    ("DEFAULT", "use_neutron"): {
        "replacement": "nothing: Neutron is the only network service", "removed_in": "21 (Ussuri)",
        "change": "openstack/nova df001770938a 'nova-net: Remove final references to nova-network'"},
    ("DEFAULT", "firewall_driver"): {
        "replacement": "nothing: Neutron's security groups filter traffic", "removed_in": "21 (Ussuri)",
        "change": "openstack/nova 9b321e41f60b 'nova-net: Remove firewall support (pt. 3)'"},
    ("neutron", "url"): {
        "replacement": [("neutron", "auth_url")], "removed_in": "20 (Train)",
        "change": "openstack/nova 8f53a051cc7f 'Remove deprecated [neutron]/url option' "
                  "(the endpoint comes from keystone's catalog)"},
}
# The message bus names oslo.messaging 9.0.0 (Stein, Nova 19) removed, read
# from [DEFAULT] (before Liberty) and [oslo_messaging_rabbit] (Liberty on).
for _rabbit_group in ("DEFAULT", "oslo_messaging_rabbit"):
    for _rabbit_name in ("rabbit_host", "rabbit_port", "rabbit_hosts", "rabbit_userid", "rabbit_password",
                         "rabbit_virtual_host"):
        REMOVED_OPTIONS[(_rabbit_group, _rabbit_name)] = {
            "replacement": [("DEFAULT", "transport_url")], "removed_in": "19 (Stein)",
            "change": "openstack/oslo.messaging b0d3bfceb8ea 'Remove deprecated rabbit options' (9.0.0)"}
# Neutron's old admin_* credentials, replaced by keystoneauth's options in [neutron].
for _old, _new in (("admin_username", "username"), ("admin_password", "password"),
                   ("admin_tenant_name", "project_name"), ("admin_auth_url", "auth_url"),
                   ("admin_user_id", None), ("admin_tenant_id", None), ("auth_strategy", None)):
    REMOVED_OPTIONS[("neutron", _old)] = {
        "replacement": [("neutron", _new)] if _new else "nothing: [neutron] auth_type = password and its options",
        "removed_in": "13 (Mitaka)", "change": "openstack/nova a67394a05872 'Remove deprecated neutron auth options'"}
REMOVED_OPTIONS[("DEFAULT", "rpc_backend")] = {
    "replacement": [("DEFAULT", "transport_url")], "removed_in": "19 (Stein)",
    "change": "openstack/oslo.messaging d3f6ca0b47e2 'Remove rpc_backend and ConfFixture.transport_driver' (9.0.0)"}
del _rabbit_group, _rabbit_name, _old, _new

# What replaces each removed name (the form check_overrides and replacement() take).
LEGACY_OPTIONS = {key: entry["replacement"] for key, entry in REMOVED_OPTIONS.items()}

# For an option the data does not know (a hand-edited nova.conf, an option
# of a library outside the data, unknown data): a conservative name test, so
# that a secret nobody declared still never shows in a diff.
_SECRET_NAME = re.compile(r"password|passwd|secret|token|credential|transport_url|connection", re.IGNORECASE)


def _compact_spec(opt):
    """One option of the generator's data, reduced (no help text)."""
    spec = {"type": opt.get("type")}
    choices = [c[0] if isinstance(c, (list, tuple)) else c for c in (opt.get("choices") or [])]
    if choices:
        spec["choices"] = [str(c) if c is not None else None for c in choices]
    for key in ("min", "max", "default", "sample_default", "deprecated_since"):
        if opt.get(key) is not None:
            spec[key] = opt[key]
    if opt.get("deprecated_reason"):
        # help text wrapped over lines: one line, for messages
        spec["deprecated_reason"] = " ".join(str(opt["deprecated_reason"]).split())
    for flag in ("secret", "deprecated_for_removal", "advanced"):
        if opt.get(flag):
            spec[flag] = True
    return spec


def compact_opt_data(opt_data, release_data=None):
    """Reduce oslo-config-generator's machine-readable data to what checks need.

    Returns ``{"options": {group: {name: spec}}, "deprecated": {group: {name: [group, name]}}}``.
    A spec holds ``type`` and, when set, ``choices``, ``min``, ``max``,
    ``default`` (as the generator gives it: computed defaults such as
    ``[DEFAULT] host`` are those of the machine that generated the data, and
    ``sample_default`` then says what the sample config shows instead),
    ``deprecated_since``, ``deprecated_reason`` (on one line), and the flags ``secret``,
    ``deprecated_for_removal`` and ``advanced`` (True). ``deprecated`` maps
    each old name (deprecated_opts) to the option's current group and name.

    ``release_data`` (tools/gen-nova-opt-data.sh's nova_<release>_release.yaml)
    adds ``release`` (e.g. "26"), ``nova_version`` (the Debian package
    version), ``namespaces`` (the option namespaces of the release's sample
    nova.conf) and ``filters`` (the scheduler filter class names it ships).
    """
    options = {}
    deprecated = {}
    for group, data in sorted(opt_data.get("options", {}).items()):
        specs = {}
        for opt in data.get("opts", []):
            spec = _compact_spec(opt)
            for name in {opt.get("name"), opt.get("dest")} - {None}:
                specs[name] = spec
            for old in opt.get("deprecated_opts") or []:
                old_group = old.get("group") or group
                if old.get("name"):
                    deprecated.setdefault(old_group, {})[old["name"]] = [group, opt.get("dest") or opt.get("name")]
        options[group] = specs
    compact = {"options": options, "deprecated": deprecated}
    if release_data:
        compact["release"] = str(release_data["release"])
        compact["nova_version"] = str(release_data["nova_version"])
        compact["namespaces"] = list(release_data.get("namespaces") or [])
        compact["filters"] = sorted(release_data.get("scheduler_filters") or [])
    return compact


def _group(section):
    """oslo.config's group name normalization: DEFAULT as is, others lowercased."""
    section = str(section)
    return section if section == "DEFAULT" else section.lower()


def option_spec(data, section, option):
    """The spec of ``[section] option`` (deprecated names resolved), or None."""
    data = data or {}
    options = data.get("options", {})
    group, name = _group(section), str(option).lower()
    spec = options.get(group, {}).get(name)
    if spec is None:
        renamed = data.get("deprecated", {}).get(group, {}).get(name)
        if renamed:
            spec = options.get(renamed[0], {}).get(renamed[1])
    return spec


def is_secret(data, section, option):
    """True when ``[section] option`` holds a secret.

    Decided by the option data's own ``secret`` flag; an option the data
    does not know is secret when its name contains password, passwd, secret,
    token, credential, transport_url or connection (a hand-edited or unknown
    option must not leak in a diff).
    """
    spec = option_spec(data, section, option)
    if spec is not None:
        return bool(spec.get("secret"))
    return bool(_SECRET_NAME.search(str(option)))


def _type_problem(spec, value, secret=False):
    """Why ``value`` does not fit an option's spec, or None (the value left out when ``secret``)."""
    kind = (spec.get("type") or "").lower()
    values = value if isinstance(value, (list, tuple)) and "list" not in kind and "multi" in kind else [value]
    for item in values:
        text = format_value(item)
        got = " (value hidden)" if secret else ", got %r" % (item,)
        if "boolean" in kind:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                return "is a boolean option" + got
        elif any(number_kind in kind for number_kind in ("integer", "port", "floating")):
            convert, what = (float, "a floating point") if "floating" in kind else (int, "an integer")
            try:
                number = convert(text)
            except ValueError:
                return "is %s option%s" % (what, got)
            if spec.get("min") is not None and number < spec["min"]:
                return "must be at least %s%s" % (spec["min"], got)
            if spec.get("max") is not None and number > spec["max"]:
                return "must be at most %s%s" % (spec["max"], got)
        if spec.get("choices") and text not in [str(c) for c in spec["choices"] if c is not None]:
            return "must be one of %s%s" % (", ".join(str(c) for c in spec["choices"] if c is not None), got)
    return None


def replacement(legacy, settings=None):
    """What replaces a LEGACY_OPTIONS entry, in words.

    ``settings`` may map ``(section, option)`` to the name of the setting
    that writes it (a role variable), which is then named in brackets.
    """
    if isinstance(legacy, str):
        return legacy
    named = []
    for section, option in legacy:
        setting = (settings or {}).get((section, option))
        named.append("[%s] %s%s" % (section, option, " (%s)" % setting if setting else ""))
    return " and ".join(named)


def _elsewhere(others, release, section, option=None):
    """" (an option of Nova 26, removed since)" when another release's data
    (``others``: release -> data) knows what ``release`` does not; else ""."""
    for other, data in sorted((others or {}).items(), key=lambda item: int(item[0])):
        known = data.get("options", {}).get(section)
        if known is not None and (option is None or option in known):
            what = "a section" if option is None else "an option"
            when = "removed since" if int(other) < int(release) else "new after Nova %s" % release
            return " (%s of Nova %s, %s)" % (what, other, when)
    return ""


def check_overrides(overrides, data, release="26", name="overrides", settings=None, others=None):
    """Check nova.conf overrides (section -> option -> value) against compact option data.

    Catches what the node's validator would reject (unknown sections and
    options) plus what it cannot see: renamed options, wrong types, values
    outside choices or bounds.  None values (removals) are always accepted.
    The value of a secret option is never shown.  ``name`` is what messages
    call the overrides; ``settings`` is passed to ``replacement``;
    ``others`` (release -> data of the other releases) says when an unknown
    name is one of another release (removed since, or new after this one).
    """
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
                              % (name, section, option, release, replacement(legacy, settings)))
                continue
            if section not in options:
                close = difflib.get_close_matches(str(section), list(options), n=1)
                hint = _elsewhere(others, release, section) or (" (did you mean [%s]?)" % close[0] if close else "")
                errors.append("%s: [%s] is not a section Nova %s knows%s" % (name, section, release, hint))
                continue
            spec = options[section].get(option)
            if spec is None:
                close = difflib.get_close_matches(str(option), list(options[section]), n=1)
                hint = (_elsewhere(others, release, section, option)
                        or (" (did you mean %s?)" % close[0] if close else ""))
                errors.append("%s: [%s] %s is not an option Nova %s knows%s" % (name, section, option, release, hint))
                continue
            problem = _type_problem(spec, value, is_secret(data, section, option))
            if problem:
                errors.append("%s: [%s] %s %s" % (name, section, option, problem))
    return errors
