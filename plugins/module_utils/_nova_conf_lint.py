# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lint of nova.conf against one Nova release's option data, and the
nova_compute role's variables that reproduce a nova.conf with current names.

Pure: a parsed nova.conf (``_oslo_ini.parse_ini``) and the release's compact
option data (``_nova_releases.opt_data``) in, findings out. The history of
removed names comes from the option data (deprecated names and groups), from
the other supported releases' data (what one release has and the other has
not) and from ``_nova_options.REMOVED_OPTIONS`` (the release and upstream
change of what no data carries any more). The semantic checks are those of
the role (``_nova_conf_checks``). No finding shows the value of a secret.
"""

from __future__ import annotations

import difflib
import re
from urllib.parse import quote

from ansible_collections.novaops.compute.plugins.module_utils import _nova_conf_checks as checks
from ansible_collections.novaops.compute.plugins.module_utils import _nova_options as options_data
from ansible_collections.novaops.compute.plugins.module_utils import _urls

SEVERITIES = ("error", "warning", "info")
MASK = _urls.MASK

# The role's values of nova_compute_virt_type; another [libvirt] virt_type is
# not something the role writes.
_ROLE_VIRT_TYPES = ("kvm", "qemu")
_FORCED_RATIOS = ("cpu", "ram", "disk")
_DATABASES = (("database", "connection"), ("api_database", "connection"))
# Options the role writes with a fixed value.
_ROLE_FIXED = {("DEFAULT", "compute_driver"): "libvirt.LibvirtDriver"}
_RABBIT = ("rabbit_host", "rabbit_port", "rabbit_hosts", "rabbit_userid", "rabbit_password", "rabbit_virtual_host")
_SUBSTITUTION = re.compile(r"\$(?:\{([A-Za-z0-9_.]+)\}|([A-Za-z0-9_.]+))")


def group_name(section):
    """oslo.config's group name: DEFAULT as is, any other section lowercased."""
    return "DEFAULT" if str(section).upper() == "DEFAULT" else str(section).lower()


def normalize(conf):
    """A parsed nova.conf with oslo.config's group names (``[VNC]`` is ``[vnc]``);
    of sections spelled twice, the later options win."""
    out = {}
    for section, opts in (conf or {}).items():
        out.setdefault(group_name(section), {}).update(opts or {})
    return out


def _spec(data, group, option):
    return data.get("options", {}).get(group, {}).get(option)


def _renamed(data, group, option):
    """The current (group, option) of a deprecated name in the option data, else None."""
    target = data.get("deprecated", {}).get(group, {}).get(option)
    return tuple(target) if target else None


def _replacement(pairs):
    """[{section, option, variable}] of a REMOVED_OPTIONS replacement (none for a sentence)."""
    if isinstance(pairs, str) or not pairs:
        return []
    return [{"section": s, "option": o, "variable": checks.ROLE_VARIABLES.get((s, o))} for s, o in pairs]


def _named(pairs):
    return " and ".join("[%s] %s%s" % (r["section"], r["option"], " (%s)" % r["variable"] if r["variable"] else "")
                        for r in pairs)


def _finding(severity, code, section, option, message, replacement=None, **extra):
    finding = {"severity": severity, "code": code, "section": section, "option": option, "message": message,
               "replacement": replacement or []}
    finding.update(extra)
    return finding


def _in_other_releases(group, option, others):
    """(release, how) of the first other release's data that has ``[group] option``:
    how is "option" or the current name it is deprecated for."""
    for release, data in others:
        if _spec(data, group, option) is not None:
            return release, "option"
        renamed = _renamed(data, group, option)
        if renamed:
            return release, renamed
    return None


# --------------------------------------------------------------------------
# Effective values: what a running Nova reads
# --------------------------------------------------------------------------

def effective(conf, data, group, option, default=True):
    """The value Nova reads for ``[group] option``: the option's own line, else a
    deprecated name of it (as the option data lists them), else its default
    (``default=False``: None). Names a running Nova ignores count for nothing."""
    value = conf.get(group, {}).get(option)
    if value is not None:
        return value
    for old_group, names in data.get("deprecated", {}).items():
        for old_option, target in names.items():
            if tuple(target) == (group, option) and conf.get(old_group, {}).get(old_option) is not None:
                return conf[old_group][old_option]
    if not default:
        return None
    spec = _spec(data, group, option) or {}
    return spec.get("default")


def substitute(conf, value):
    """oslo.config's ``$option`` / ``${group.option}`` substitution (one level), or
    None when a name it refers to is not set in the file (its value is then
    the node's: my_ip's default is the node's address)."""
    if not isinstance(value, str) or "$" not in value:
        return value
    missing = []

    def repl(match):
        name = match.group(1) or match.group(2)
        group, _dot, option = name.rpartition(".")
        found = conf.get(group or "DEFAULT", {}).get(option)
        if found is None:
            missing.append(name)
            return ""
        return found

    text = _SUBSTITUTION.sub(repl, value)
    return None if missing else text


# --------------------------------------------------------------------------
# The lint
# --------------------------------------------------------------------------

def _check_option(conf, data, release, group, option, value, others):
    """Findings about one line's name and value."""
    findings = []
    spec = _spec(data, group, option)
    secret = options_data.is_secret(data, group, option)
    removed = options_data.REMOVED_OPTIONS.get((group, option))
    if spec is not None:
        if spec.get("deprecated_for_removal"):
            since = spec.get("deprecated_since")
            reason = spec.get("deprecated_reason")
            replacement = _replacement(removed["replacement"]) if removed else []
            findings.append(_finding(
                "warning", "deprecated_for_removal", group, option,
                "[%s] %s is deprecated for removal%s%s%s" % (
                    group, option, " since Nova %s" % since if since else "", ": %s" % reason if reason else "",
                    "; use %s" % _named(replacement) if replacement else ""),
                replacement))
        problem = options_data._type_problem(spec, value, secret)  # pylint: disable=protected-access
        if problem:
            findings.append(_finding("error", "bad_value", group, option, "[%s] %s %s" % (group, option, problem)))
        return findings
    renamed = _renamed(data, group, option)
    if renamed:
        replacement = _replacement([renamed])
        shadowed = conf.get(renamed[0], {}).get(renamed[1]) is not None
        findings.append(_finding(
            "info" if not shadowed else "warning", "deprecated_name", group, option,
            "[%s] %s is a deprecated name of %s in Nova %s%s" % (
                group, option, _named(replacement), release,
                ": both are set and Nova reads only the new one" if shadowed else "; it still works"),
            replacement))
        target = _spec(data, *renamed)
        problem = options_data._type_problem(target, value, secret) if target else None  # pylint: disable=protected-access
        if problem:
            findings.append(_finding("error", "bad_value", group, option, "[%s] %s %s" % (group, option, problem)))
        return findings
    if removed:
        replacement = _replacement(removed["replacement"])
        use = "use " + _named(replacement) if replacement else removed["replacement"]
        findings.append(_finding(
            "warning", "removed", group, option,
            "[%s] %s was removed in Nova %s (%s): a running Nova %s ignores it; %s" % (
                group, option, removed["removed_in"], removed["change"], release, use),
            replacement, removed_in=removed["removed_in"], change=removed["change"]))
        return findings
    elsewhere = _in_other_releases(group, option, others)
    if elsewhere:
        other, how = elsewhere
        if how == "option":
            what = "an option of Nova %s" % other
        else:
            what = "a deprecated name of [%s] %s in Nova %s" % (how[0], how[1], other)
        replacement = _replacement([how]) if how != "option" and _spec(data, *how) is not None else []
        findings.append(_finding(
            "warning", "removed" if int(other) < int(release) else "unknown_option", group, option,
            "[%s] %s is not an option of Nova %s (it is %s): a running Nova %s ignores it%s" % (
                group, option, release, what, release, "; use %s" % _named(replacement) if replacement else ""),
            replacement, removed_in="after %s" % other if int(other) < int(release) else None,
            change=None))
        return findings
    known = data.get("options", {})
    if group not in known and group not in data.get("deprecated", {}):
        close = difflib.get_close_matches(group, list(known), n=1)
        findings.append(_finding(
            "warning", "unknown_section", group, option,
            "[%s] is not a section Nova %s knows%s: a running Nova ignores %s" % (
                group, release, " (did you mean [%s]?)" % close[0] if close else "", option)))
        return findings
    close = difflib.get_close_matches(option, list(known.get(group, {})), n=1)
    findings.append(_finding(
        "warning", "unknown_option", group, option,
        "[%s] %s is not an option Nova %s knows%s: a running Nova ignores it" % (
            group, option, release, " (did you mean %s?)" % close[0] if close else "")))
    return findings


def _check_consoles(conf, data, release):
    findings = []
    vnc_on = checks.is_true(effective(conf, data, "vnc", "enabled"))
    spice_on = checks.is_true(effective(conf, data, "spice", "enabled"))
    if vnc_on and spice_on:
        findings.append(_finding(
            "error", "consoles_both_enabled", "spice", "enabled",
            "VNC and SPICE are both enabled ([vnc] enabled and [spice] enabled): enable only one "
            "(nova_compute_console)",
            [{"section": "vnc", "option": "enabled", "variable": "nova_compute_console"}]))
    for kind, on, base in (("vnc", vnc_on, "novncproxy_base_url"), ("spice", spice_on, "html5proxy_base_url")):
        if not on:
            continue
        listen = substitute(conf, effective(conf, data, kind, "server_listen"))
        client = substitute(conf, effective(conf, data, kind, "server_proxyclient_address"))
        base_url = substitute(conf, effective(conf, data, kind, base))
        if listen is None or client is None:
            continue  # $my_ip & co. not in the file: the node's own address
        where = "" if conf.get(kind, {}).get("server_proxyclient_address") else " (Nova %s's default)" % release
        for message in checks.console_address_problems(
                listen, client, base_url, "[%s] server_listen" % kind, "[%s] server_proxyclient_address" % kind):
            option = "server_listen" if message.startswith("[%s] server_listen" % kind) else "server_proxyclient_address"
            findings.append(_finding(
                "error", "console_address", kind, option, message + (where if option != "server_listen" else ""),
                _replacement([(kind, option)])))
    return findings


def _check_semantics(conf, data, release, compute_only, shared_instances_path):
    """The problems the nova_compute role refuses or warns about, in a nova.conf."""
    findings = _check_consoles(conf, data, release)
    for kind in _FORCED_RATIOS:
        option = "%s_allocation_ratio" % kind
        value = effective(conf, data, "DEFAULT", option, default=False)
        if value in (None, ""):
            continue
        initial = "initial_%s_allocation_ratio" % kind
        findings.append(_finding(
            "warning", "forced_allocation_ratio", "DEFAULT", option,
            "[DEFAULT] %s%s is forced: nova-compute writes it to placement on every update, overwriting "
            "any ratio set through the placement API; to seed placement once use [DEFAULT] %s (%s), "
            "or keep it and set %s" % (option, checks.shown(value), initial, "nova_compute_" + initial,
                                       "nova_compute_" + option),
            _replacement([("DEFAULT", initial)])))
    if compute_only:
        for group, option in _DATABASES:
            if effective(conf, data, group, option, default=False) not in (None, ""):
                findings.append(_finding(
                    "warning", "database_on_compute", group, option,
                    "[%s] %s holds database credentials on a compute-only node: nova-compute reaches the "
                    "database through nova-conductor and never uses them; remove them (leave %s unset)"
                    % (group, option, checks.ROLE_VARIABLES[(group, option)])))
    for (group, option), service in checks.CONTROLLER_ONLY.items():
        if effective(conf, data, group, option, default=False) not in (None, ""):
            findings.append(_finding("warning", "controller_only", group, option,
                                     "[%s] %s has no effect on a compute node: %s"
                                     % (group, option, checks.controller_where(group, option)),
                                     service=service))
    known = data.get("filters") or []
    for group, option in (("filter_scheduler", "enabled_filters"), ("DEFAULT", "scheduler_default_filters")):
        value = conf.get(group, {}).get(option)
        unknown = checks.unknown_filters(value, known) if value else []
        if unknown:
            findings.append(_finding(
                "warning", "unknown_filter", group, option,
                "[%s] %s names scheduler filters Nova %s does not have: %s (nova-scheduler would not start "
                "with them)" % (group, option, release, ", ".join(unknown)),
                _replacement([("filter_scheduler", "enabled_filters")]), filters=unknown))
    if shared_instances_path and checks.is_true(effective(conf, data, "image_cache", "remove_unused_base_images")):
        findings.append(_finding(
            "warning", "shared_image_cache_removal", "image_cache", "remove_unused_base_images",
            "[image_cache] remove_unused_base_images is on and the instances path is shared: each node's cache "
            "manager removes entries it judges unused from the others' instances too; turn it on for one node "
            "of the storage only",
            _replacement([("image_cache", "remove_unused_base_images")])))
    return findings


def lint(conf, data, others=(), compute_only=True, shared_instances_path=None):
    """Findings about a parsed nova.conf against a release's option data.

    ``others`` is a sequence of (release, data) of the other supported
    releases, whose data tells an option removed after one of them (or added
    later) from one no Nova knows. ``compute_only``: the node runs no
    control plane service (database credentials are then a finding).
    ``shared_instances_path``: True when the instances path is on shared
    storage (None: unknown, not checked).

    Each finding: ``severity`` (error: Nova refuses the value or the node
    misbehaves; warning: ignored, removed, or a problem the role refuses;
    info: a deprecated name that still works), ``code``, ``section``,
    ``option``, ``message`` and ``replacement`` (the current options, each
    with the role variable that sets it, or null; empty when none);
    removed options also carry ``removed_in`` and ``change``.
    """
    conf = normalize(conf)
    release = str(data.get("release") or "?")
    others = [(str(r), d) for r, d in others if str(r) != release]
    findings = []
    for group in conf:
        for option, value in conf[group].items():
            findings += _check_option(conf, data, release, group, option, value, others)
    findings += _check_semantics(conf, data, release, compute_only, shared_instances_path)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (order[f["severity"]], f["section"], f["option"] or "", f["code"]))


def count(findings):
    """{severity: number of findings} for every severity."""
    return {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES}


# --------------------------------------------------------------------------
# Migration: the role's variables and overrides that reproduce a nova.conf
# --------------------------------------------------------------------------

def _typed(spec, value):
    """A nova.conf value as the role variable's type (by the option's type)."""
    kind = ((spec or {}).get("type") or "").lower()
    text = value.strip() if isinstance(value, str) else value
    try:
        if "boolean" in kind:
            return checks.is_true(text)
        if "integer" in kind or "port" in kind:
            return int(text)
        if "floating" in kind:
            return float(text)
    except (TypeError, ValueError):
        return value
    if "list" in kind:
        return [item.strip() for item in str(text).split(",") if item.strip()]
    return value


def _transport_url(conf):
    """The transport_url of the pre-Stein rabbit_* options (oslo.messaging's defaults
    for what is not set), or None when none is set."""
    found = {}
    for group in ("DEFAULT", "oslo_messaging_rabbit"):
        for name in _RABBIT:
            if conf.get(group, {}).get(name) is not None:
                found[name] = conf[group][name]
    if not found:
        return None
    user = quote(found.get("rabbit_userid", "guest"), safe="")
    password = quote(found.get("rabbit_password", "guest"), safe="")
    if found.get("rabbit_hosts"):
        hosts = [h.strip() for h in found["rabbit_hosts"].split(",") if h.strip()]
    else:
        hosts = ["%s:%s" % (found.get("rabbit_host", "localhost"), found.get("rabbit_port", "5672"))]
    hosts = [h if ":" in h.rsplit("]", 1)[-1] else "%s:%s" % (h, found.get("rabbit_port", "5672")) for h in hosts]
    vhost = found.get("rabbit_virtual_host", "/")
    path = "" if vhost in ("", "/") else quote(vhost.lstrip("/"), safe="")
    return "rabbit://%s/%s" % (",".join("%s:%s@%s" % (user, password, h) for h in hosts), path)


def _target(conf, data, group, option):
    """Where a line's value goes with current names: (group, option), or (None, why)."""
    if _spec(data, group, option) is not None:
        return group, option
    renamed = _renamed(data, group, option)
    if renamed:
        if conf.get(renamed[0], {}).get(renamed[1]) is not None:
            return None, "the current name [%s] %s is set too, and wins" % renamed
        return renamed
    removed = options_data.REMOVED_OPTIONS.get((group, option))
    if removed and not isinstance(removed["replacement"], str) and len(removed["replacement"]) == 1:
        new_group, new_option = removed["replacement"][0]
        if (new_group, new_option) == ("DEFAULT", "transport_url"):
            return None, "folded into [DEFAULT] transport_url"
        if _spec(data, new_group, new_option) is not None and (group, option) != ("neutron", "url"):
            if conf.get(new_group, {}).get(new_option) is not None:
                return None, "the current name [%s] %s is set too, and wins" % (new_group, new_option)
            return new_group, new_option
    if removed:
        return None, "removed in Nova %s" % removed["removed_in"]
    return None, "not an option of Nova %s" % data.get("release")


def migrate(conf, data, compute_only=True):
    """The nova_compute role's variables and overrides that reproduce a nova.conf.

    Returns ``{"variables": {name: value}, "overrides": {section: {option: value}},
    "dropped": [{"section", "option", "reason"}], "missing": [variable], "notes": [text]}``:
    every option with a current
    name goes to the role variable that writes it (typed as the role takes
    it) or to nova_compute_nova_conf_overrides (as written); deprecated and
    renamed names move to their current ones; the pre-Stein rabbit_* options
    become ``nova_compute_transport_url``; what a running Nova ignores, what
    belongs to the controllers and (``compute_only``) database credentials
    are dropped, with why. ``missing`` names the role's required variables
    the file gives no value for; ``notes`` what to check in a value carried
    over. Values are the file's, secrets included: mask the
    result with ``mask_migration`` before showing it.
    """
    conf = normalize(conf)
    variables, overrides, dropped = {}, {}, []
    consoles = {"vnc": checks.is_true(effective(conf, data, "vnc", "enabled")),
                "spice": checks.is_true(effective(conf, data, "spice", "enabled"))}
    for group in conf:
        for option, value in conf[group].items():
            new_group, new_option = _target(conf, data, group, option)
            if new_group is None:
                dropped.append({"section": group, "option": option, "reason": new_option})
                continue
            key = (new_group, new_option)
            if key in checks.CONTROLLER_ONLY:
                dropped.append({"section": group, "option": option,
                                "reason": "no effect on a compute node: " + checks.controller_where(*key)})
                continue
            if compute_only and key in _DATABASES:
                dropped.append({"section": group, "option": option,
                                "reason": "database credentials: a compute-only node needs none"})
                continue
            if key in _ROLE_FIXED and str(value).strip() == _ROLE_FIXED[key]:
                continue
            if key[1] == "enabled" and key[0] in consoles:
                continue
            variable = checks.ROLE_VARIABLES.get(key)
            if variable and key == ("libvirt", "virt_type") and value not in _ROLE_VIRT_TYPES:
                variable = None  # not a value of nova_compute_virt_type: an override keeps it
            if variable:
                variables[variable] = _typed(_spec(data, *key), value)
            else:
                overrides.setdefault(new_group, {})[new_option] = value
    if consoles["vnc"] and consoles["spice"]:
        dropped.append({"section": "spice", "option": "enabled",
                        "reason": "VNC and SPICE both enabled: the role enables one, VNC kept"})
    variables["nova_compute_console"] = "vnc" if consoles["vnc"] else "spice" if consoles["spice"] else "none"
    if "nova_compute_transport_url" not in variables:
        url = _transport_url(conf)
        if url:
            variables["nova_compute_transport_url"] = url
    notes = []
    for name in sorted(variables):
        if name.endswith("_auth_url") and re.search(r"/v2\.0/?$", str(variables[name])):
            notes.append("%s is a Keystone v2.0 URL (from the old file): Keystone has only v3 now, "
                         "give its /v3 URL" % name)
    required = ["nova_compute_transport_url"] + [
        "nova_compute_%s_%s" % (s, o) for s in checks.KEYSTONEAUTH_SECTIONS for o in ("auth_url", "password")]
    required += {"vnc": ["nova_compute_novncproxy_base_url"],
                 "spice": ["nova_compute_spice_html5proxy_base_url"]}.get(variables["nova_compute_console"], [])
    return {"variables": dict(sorted(variables.items())),
            "overrides": {g: dict(sorted(o.items())) for g, o in sorted(overrides.items())},
            "dropped": dropped, "notes": notes,
            "missing": [name for name in required if variables.get(name) in (None, "")]}


def _variable_option(variable):
    for key, name in checks.ROLE_VARIABLES.items():
        if name == variable:
            return key
    return None


def mask_value(data, section, option, value):
    """``value`` of ``[section] option`` for showing: a secret masked (URLs keep their shape)."""
    if value is None or not options_data.is_secret(data, section, option):
        return value
    text = str(value)
    if option == "transport_url" or text.startswith(("rabbit://", "amqp://", "kafka://")):
        return _urls.mask_transport_url(text)
    if option in ("connection", "slave_connection"):
        return _urls.mask_database_url(text)
    return MASK


def mask_migration(result, data):
    """``migrate``'s result with every secret value masked."""
    variables = {}
    for name, value in result["variables"].items():
        key = _variable_option(name)
        variables[name] = mask_value(data, key[0], key[1], value) if key else value
    overrides = {g: {o: mask_value(data, g, o, v) for o, v in opts.items()} for g, opts in result["overrides"].items()}
    return dict(result, variables=variables, overrides=overrides)
