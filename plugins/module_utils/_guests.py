# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guests of a compute node next to Nova's view of them (pure functions).

libvirt's domain states map to Nova's power states as Nova 26 maps them
(nova/virt/libvirt/guest.py LIBVIRT_POWER_STATE); what Nova does about a
disagreement is its power-state sync's rule
(nova/compute/manager.py ``_sync_instance_power_state``), which runs on
libvirt's lifecycle events and every ``sync_power_state_interval`` (600 s):

- vm_state ``active`` and the domain shut off or crashed: Nova stops the
  instance (it becomes SHUTOFF); paused: ignored; missing: ignored.
- vm_state ``stopped`` and the domain running or paused: Nova force-stops it.
  So ``virsh start`` of a stopped instance is undone: start it with
  ``openstack server start``.
- vm_state ``paused`` and the domain shut off: Nova stops it.
- an instance with a task in progress (``task_state`` set) is left alone.
"""

from __future__ import annotations

# virDomainState (libvirt-domain.h)
DOMAIN_STATES = {0: "nostate", 1: "running", 2: "blocked", 3: "paused", 4: "shutdown", 5: "shutoff",
                 6: "crashed", 7: "pmsuspended"}
# Nova's power states (nova/compute/power_state.py) and libvirt's mapped to them
POWER_STATES = {0: "NOSTATE", 1: "RUNNING", 3: "PAUSED", 4: "SHUTDOWN", 6: "CRASHED", 7: "SUSPENDED"}
LIBVIRT_TO_NOVA = {0: 0, 1: 1, 2: 1, 3: 3, 4: 4, 5: 4, 6: 6, 7: 7}
RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED, NOSTATE = 1, 3, 4, 6, 7, 0
# vm_states Nova keeps a domain for (not building, deleted, shelved_offloaded, error)
EXPECT_DOMAIN = ("active", "stopped", "paused", "suspended", "rescued", "resized")
SYNC = "Nova's power-state sync (on libvirt's event, else within sync_power_state_interval, 600 s)"


def server_view(server):
    """The fields of a ``GET /servers/detail`` server the join needs."""
    return {
        "id": server.get("id"),
        "name": server.get("name"),
        "status": server.get("status"),
        "vm_state": server.get("OS-EXT-STS:vm_state"),
        "task_state": server.get("OS-EXT-STS:task_state"),
        "power_state": server.get("OS-EXT-STS:power_state"),
        "instance_name": server.get("OS-EXT-SRV-ATTR:instance_name"),
        "host": server.get("OS-EXT-SRV-ATTR:host"),
    }


def _label(server):
    return "%s (%s)" % (server["name"], server["id"])


def _problem(code, server, domain, message, action):
    return {"code": code, "instance_uuid": server["id"] if server else (domain or {}).get("uuid"),
            "instance_name": server["name"] if server else None,
            "domain": (domain or {}).get("name"), "message": message, "action": action}


def _judge_pair(server, domain):
    """The disagreement of one Nova server with its domain, or None."""
    vm_state, task = server["vm_state"], server["task_state"]
    cmd = "openstack server %%s %s" % server["id"]
    if task:
        # Nova is working on it, and its own sync leaves it alone too; except
        # the force-stop its sync sends a stopped instance whose domain runs
        if task == "powering-off" and vm_state == "stopped" and domain is not None \
                and LIBVIRT_TO_NOVA.get(domain["state"]) not in (NOSTATE, SHUTDOWN, CRASHED):
            return _problem("started_behind_novas_back", server, domain,
                            "%s is SHUTOFF in Nova but its domain runs, started outside Nova (virsh start); Nova "
                            "is stopping it now (task_state powering-off)" % _label(server),
                            "start instances with %s, never virsh start" % (cmd % "start"))
        return None
    if domain is None:
        if vm_state not in EXPECT_DOMAIN:
            return None
        return _problem(
            "domain_missing", server, None,
            "Nova places %s on this node as %s (status %s) but libvirt has no domain %s"
            % (_label(server), vm_state, server["status"], server["instance_name"]),
            "%s: Nova defines the domain again from its database (a hard reboot of a stopped instance also "
            "starts it)" % (cmd % "reboot --hard"))
    state = domain["state"]
    power = LIBVIRT_TO_NOVA.get(state)
    seen = "libvirt: %s%s" % (DOMAIN_STATES.get(state, state),
                              " (%s)" % domain["state_reason"] if domain.get("state_reason") else "")
    nova = "Nova: %s, power state %s" % (vm_state, POWER_STATES.get(server["power_state"], server["power_state"]))
    if vm_state == "active" and power in (SHUTDOWN, CRASHED):
        return _problem("active_but_shut_off", server, domain,
                        "%s is ACTIVE in Nova but its domain is not running (%s; %s)" % (_label(server), nova, seen),
                        "%s will mark it SHUTOFF; then %s. Or %s now. Not virsh start: Nova does not know of it"
                        % (SYNC, cmd % "start", cmd % "reboot --hard"))
    if vm_state == "active" and power == SUSPENDED:
        return _problem("active_but_suspended", server, domain,
                        "%s is ACTIVE in Nova but its guest suspended itself (%s; %s)" % (_label(server), nova, seen),
                        "%s stops it; then %s" % (SYNC, cmd % "start"))
    if vm_state == "stopped" and power not in (NOSTATE, SHUTDOWN, CRASHED):
        return _problem("started_behind_novas_back", server, domain,
                        "%s is SHUTOFF in Nova but its domain runs (%s; %s): started outside Nova, with virsh start"
                        % (_label(server), nova, seen),
                        "%s force-stops it again: start instances with %s, never virsh start"
                        % (SYNC, cmd % "start"))
    if vm_state == "paused" and power in (SHUTDOWN, CRASHED):
        return _problem("paused_but_shut_off", server, domain,
                        "%s is PAUSED in Nova but its domain is not running (%s; %s)" % (_label(server), nova, seen),
                        "%s stops it; then %s" % (SYNC, cmd % "start"))
    if server["power_state"] is not None and power is not None and server["power_state"] != power:
        return _problem("power_state_differs", server, domain,
                        "%s: Nova records power state %s, libvirt's domain is %s (%s; %s)"
                        % (_label(server), POWER_STATES.get(server["power_state"], server["power_state"]),
                           POWER_STATES.get(power, power), nova, seen),
                        "%s updates Nova's record; nothing to do unless it persists" % SYNC)
    return None


def join(domains, servers):
    """Pair each Nova server on this node with its domain and judge each pair.

    ``domains``: ``[{name, uuid, state, state_reason, nova}]`` (``nova`` the
    domain's Nova metadata or None); ``servers``: ``server_view`` dicts of
    the servers Nova places on this node.  Returns ``(pairs, problems)``:
    ``pairs`` maps a domain name to its server, ``problems`` one dict per
    disagreement ``{code, instance_uuid, instance_name, domain, message,
    action}``.
    """
    by_name = {d["name"]: d for d in domains}
    by_uuid = {d["uuid"]: d for d in domains if d.get("uuid")}
    pairs, problems = {}, []
    for server in sorted(servers, key=lambda s: (s["name"] or "", s["id"] or "")):
        domain = by_name.get(server["instance_name"]) or by_uuid.get(server["id"])
        if domain is not None:
            pairs[domain["name"]] = server
        problem = _judge_pair(server, domain)
        if problem:
            problems.append(problem)
    for domain in sorted(domains, key=lambda d: d["name"]):
        if domain["name"] in pairs:
            continue
        if domain.get("nova"):
            problems.append(_problem(
                "unknown_to_nova", None, domain,
                "domain %s carries Nova's metadata for %s (%s), which Nova does not place on this node: left "
                "behind by a failed delete, evacuation or migration" % (domain["name"], domain["uuid"],
                                                                        domain["nova"].get("name")),
                "check with openstack server show %s; if Nova deleted it, Nova's running_deleted_instance_action "
                "reaps a running one; undefine it with virsh only after keeping what its disks hold"
                % domain["uuid"]))
        else:
            problems.append(_problem(
                "not_a_nova_instance", None, domain,
                "domain %s is not a Nova instance (no Nova metadata): placement does not count its memory and CPUs"
                % domain["name"],
                "remove it, or reserve what it uses for the host ([DEFAULT] reserved_host_memory_mb and "
                "reserved_host_cpus)"))
    return pairs, problems
