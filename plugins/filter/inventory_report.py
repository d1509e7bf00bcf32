# -*- coding: utf-8 -*-
# Copyright: novaops.compute contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter that turns guest_info and image_cache_info results into the
report playbooks/inventory_report.yml prints per node."""

from __future__ import annotations

DOCUMENTATION = r"""
name: inventory_report
short_description: A compute node's guests and image cache in a few lines
version_added: 0.1.0
description:
  - "C(inventory_report(guests, cache, host)) - the lines playbooks/inventory_report.yml prints for one node:
    one line per guest (domain, state, Nova name and UUID, flavor, C(_base) entry, interfaces, console, Nova's
    status), each disagreement with Nova and what to do, then the image cache - each entry with its users or
    when Nova will remove it - and the reclaimable total."
positional: _input, cache, host
options:
  _input:
    description: A registered M(novaops.compute.guest_info) result.
    type: dict
    required: true
  cache:
    description: A registered M(novaops.compute.image_cache_info) result (or null to leave the cache out).
    type: dict
  host:
    description: The node's name in the report.
    type: str
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.debug:
    msg: "{{ guests | novaops.compute.inventory_report(cache, inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: The report's lines.
  type: list
  elements: str
"""


# The node-side advice names no role variable; where the nova_compute role
# sets what the advice names, the report says how.
HINTS = {
    "not_a_nova_instance": "the nova_compute role sets them from nova_compute_reserved_host_memory_mb and "
                           "nova_compute_reserved_host_cpus",
}


def _size(num):
    num = float(num or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if num < 1024 or unit == "TiB":
            return ("%d %s" % (num, unit)) if unit == "B" else ("%.1f %s" % (num, unit))
        num /= 1024
    return None  # not reached


def _guest_line(guest):
    nova = guest.get("nova") or {}
    state = guest.get("state") or "?"
    if guest.get("state_reason"):
        state += " (%s)" % guest["state_reason"]
    who = ("%s %s" % (nova.get("name"), guest.get("uuid"))) if nova else "not a Nova instance"
    flavor = (nova.get("flavor") or {}).get("name")
    bases = sorted({d["base"][:12] for d in guest.get("disks") or [] if d.get("base")})
    taps = ["%s %s" % (i.get("interface") or "-", i.get("mac") or "") for i in guest.get("interfaces") or []]
    console = guest.get("console") or {}
    api = guest.get("api") or {}
    parts = [who]
    if flavor:
        parts.append("flavor " + flavor)
    if bases:
        parts.append("_base " + ", ".join(bases))
    if taps:
        parts.append("if " + ", ".join(t.strip() for t in taps))
    if console.get("port"):
        parts.append("%s %s:%s" % (console.get("type"), console.get("listen"), console.get("port")))
    if api:
        parts.append("Nova %s" % api.get("status"))
    return "    %-20s %-20s %s" % (guest.get("domain"), state, "; ".join(parts))


def inventory_report(guests, cache=None, host=None):
    """The report's lines for one node."""
    guests = guests or {}
    if guests.get("failed") or "guests" not in guests:
        return ["%s: guests not read - %s" % (host, guests.get("msg") or "no result")]
    summary = guests.get("summary") or {}
    api = guests.get("api") or {}
    view = ("Nova's view: %s servers here" % api.get("servers") if api.get("asked")
            else "Nova's view: not asked (%s)" % (api.get("error") or "no credentials"))
    lines = ["%s: %d domains, %d running, %d Nova instances; %s" % (
        host, summary.get("domains", 0), summary.get("running", 0), summary.get("nova_instances", 0), view)]
    lines += [_guest_line(g) for g in guests.get("guests") or []]
    problems = guests.get("problems") or []
    if problems:
        lines.append("  libvirt and Nova disagree:")
        for problem in problems:
            lines.append("    %s: %s" % (problem.get("code"), problem.get("message")))
            lines.append("      do: %s" % problem.get("action"))
            if problem.get("code") in HINTS:
                lines.append("      (%s)" % HINTS[problem["code"]])
    elif api.get("asked"):
        lines.append("  libvirt and Nova agree")
    if cache is not None:
        lines += _cache_lines(cache)
    return lines


def _cache_lines(cache):
    if cache.get("failed") or "entries" not in cache:
        return ["  image cache not read - %s" % (cache.get("msg") or "no result")]
    totals = cache.get("summary") or {}
    manager = cache.get("manager") or {}
    lines = ["  image cache %s: %d entries, %s on disk, %d in use; %s reclaimable (%s now); next manager pass %s" % (
        cache.get("cache_dir"), totals.get("entries", 0), _size(totals.get("size_bytes")), totals.get("in_use", 0),
        _size(totals.get("reclaimable_bytes")), _size(totals.get("reclaimable_now_bytes")),
        manager.get("next_pass") or "never")]
    for entry in cache.get("entries") or []:
        if entry.get("in_use"):
            users = ", ".join((u.get("instance_name") or u.get("instance_uuid") or u.get("disk") or "?")
                              for u in entry.get("users") or []) or "an instance's image"
            verdict = "in use by %s - never remove by hand" % users
        else:
            verdict = entry.get("reason")
        name = entry.get("name", "")[:12] + ".."
        lines.append("    %-14s %-9s %9s  %s" % (name, entry.get("kind"), _size(entry.get("size")), verdict))
    for item in cache.get("missing_backing") or []:
        lines.append("    MISSING %s (read by %s): its instance cannot start"
                     % (item.get("backing_file"), item.get("disk")))
    return lines


class FilterModule:
    def filters(self):
        return {"inventory_report": inventory_report}
