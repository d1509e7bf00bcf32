# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Short reports of node_health_info results, for playbooks/diagnose.yml and
the nova_compute role (the filters health_line, health_report and
health_summary hand their input over to these pure functions)."""

from __future__ import annotations

from ansible_collections.novaops.compute.plugins.module_utils._health import LAYERS

# The node-side advice names no role or playbook; where this collection's
# playbooks fix a problem, the report says how.
HINTS = {
    ("libvirt", "not_installed"): "playbooks/site.yml (the novaops.compute.nova_compute role) installs it",
    ("nova_compute", "not_installed"): "playbooks/site.yml (the novaops.compute.nova_compute role) installs it",
    ("nova_compute", "no_bus_connection"): "the nova_compute role writes transport_url from nova_compute_transport_url",
    ("nova_compute", "activating"): "the nova_compute role writes transport_url from nova_compute_transport_url",
    ("nova_compute", "restart_pending"): ("ansible-playbook playbooks/site.yml --check --diff shows the change; "
                                          "site.yml applies the managed file"),
}


def _guests(result):
    guests = (result.get("diagnosis") or {}).get("guests_running") or []
    return ", ".join("%s (pid %s)" % (g.get("name") or "?", g.get("pid")) for g in guests) or "none"


def _checked(result):
    return isinstance(result, dict) and isinstance(result.get("diagnosis"), dict) and "layers" in result


def _healthy_verdict(diagnosis):
    warned = diagnosis.get("warnings") or []
    return "healthy" + ((" (warning: %s)" % ", ".join(warned)) if warned else "")


def health_line(result, host):
    """One line: ``HOST: healthy`` or ``HOST: LAYER failed - why; do: action``."""
    if not _checked(result):
        msg = result.get("msg") if isinstance(result, dict) else None
        return "%s: not checked%s" % (host, (" - " + msg) if msg else " (unreachable?)")
    diagnosis = result["diagnosis"]
    if diagnosis.get("failed_layer") is None:
        return "%s: %s" % (host, _healthy_verdict(diagnosis))
    line = "%s: %s failed - %s" % (host, diagnosis["failed_layer"], diagnosis.get("explanation"))
    if diagnosis.get("action"):
        line += "; do: %s" % diagnosis["action"]
    return line


def _hint(result):
    """The playbook-level hint for the layer the diagnosis speaks of, or None."""
    diagnosis = result["diagnosis"]
    name = diagnosis.get("failed_layer") or next(iter(diagnosis.get("warnings") or []), None)
    lay = result["layers"].get(name) or {}
    connected = (lay.get("evidence") or {}).get("connected")
    if (name, lay.get("code")) == ("nova_compute", "activating") and connected is not False:
        return None  # started, or not judged: the broker is not the problem
    return HINTS.get((name, lay.get("code")))


def health_report(result, host):
    """The lines diagnose.yml prints for one node."""
    if not _checked(result):
        return [health_line(result, host)]
    diagnosis = result["diagnosis"]
    failed = diagnosis.get("failed_layer")
    if failed is None:
        verdict = _healthy_verdict(diagnosis)
    else:
        verdict = "UNHEALTHY - %s failed" % failed
    lines = ["%s: %s" % (host, verdict), "  why: %s" % diagnosis.get("explanation")]
    if diagnosis.get("action"):
        lines.append("  do:  %s" % diagnosis["action"])
        hint = _hint(result)
        if hint:
            lines.append("  hint: %s" % hint)
    lines.append("  guests still running: %s" % _guests(result))
    lines.append("  layers:")
    layers = result["layers"]
    for name in [n for n in LAYERS if n in layers] + sorted(set(layers) - set(LAYERS)):
        lay = layers[name]
        status = lay.get("status", "?")
        lines.append("    %-14s %-8s %s" % (name, status.upper() if status == "failed" else status, lay.get("summary")))
    return lines


def health_summary(results):
    """``{healthy: [host], unhealthy: [line]}`` of ``{host: result or None}``."""
    healthy, unhealthy = [], []
    for host, result in results.items():
        if _checked(result) and result.get("healthy"):
            healthy.append(host)
        else:
            unhealthy.append(health_line(result, host))
    return {"healthy": healthy, "unhealthy": unhealthy}
