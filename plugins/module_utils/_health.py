# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A compute node's health: the layer judgments and the diagnosis.

Pure: the judges take what the readers and parsers found (``_proc``,
``_systemd``, ``_ss``, ``_virsh``, ``_compute_api``) and judge one layer
each, bottom-up, in the order of ``LAYERS``::

    kvm -> qemu -> libvirt -> nova_compute -> control_plane

Each judgment returns a layer dict ``{name, status, code, summary,
evidence}``; ``diagnose`` takes them all and names the lowest failed layer
with one explanation and one suggested action, from ``ADVICE``.  Running
guests live in their qemu processes, which survive a stopped nova-compute or
libvirtd, so ``guests_running`` is read from the processes alone.
"""

from __future__ import annotations

import time

from ansible_collections.novaops.compute.plugins.module_utils._systemd import result_text, unit_summary

LAYERS = ("kvm", "qemu", "libvirt", "nova_compute", "control_plane")
OK, FAILED, WARNING, SKIPPED = "ok", "failed", "warning", "skipped"
# /proc/stat's btime has whole seconds: a nova.conf written in the second
# nova-compute started is not "newer".
RESTART_PENDING_SLACK = 2.0
LIBVIRT_DAEMONS = ("libvirtd", "virtqemud")
NOVA_COMPUTE_COMMAND = "nova-compute"


def layer(name, status, code, summary, evidence):
    return {"name": name, "status": status, "code": code, "summary": summary, "evidence": evidence}


def first_line(text):
    """The first non-blank line of ``text``, stripped ('' if none)."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def _utc(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


# ---------------------------------------------------------------------------
# layer judgments
# ---------------------------------------------------------------------------

def judge_kvm(dev, virt_type, cpu_flag=None, modules=None, accels=None):
    """The ``kvm`` layer.

    ``dev``: ``{path, exists, usable, api_version, error}`` from opening
    /dev/kvm read-write (and KVM_GET_API_VERSION).  ``virt_type``: nova.conf's
    ``[libvirt] virt_type`` (None: unknown, nova.conf unreadable).
    ``accels``: accelerators of the running guests (``{"kvm": 2, "tcg": 1}``).
    """
    evidence = dict(dev)
    evidence.update({
        "virt_type": virt_type,
        "cpu_virt_flag": cpu_flag,
        "kernel_modules": sorted(modules or []),
        "guests_by_accel": dict(accels or {}),
    })
    usable = dev.get("usable")
    where = dev.get("path", "/dev/kvm")
    why = dev.get("error") or ("missing" if not dev.get("exists") else "not usable")
    if virt_type not in (None, "kvm", "qemu"):
        return layer("kvm", SKIPPED, "other_virt_type",
                     "virt_type = %s: KVM is not used" % virt_type, evidence)
    if usable:
        if virt_type == "qemu":
            return layer("kvm", OK, "tcg_by_choice",
                         "%s usable, but virt_type = qemu: guests run with TCG (software emulation)" % where,
                         evidence)
        return layer("kvm", OK, "kvm_usable", "%s usable (KVM API %s)" % (where, dev.get("api_version")), evidence)
    if virt_type == "qemu":
        return layer("kvm", OK, "tcg",
                     "no usable %s (%s); fine: virt_type = qemu, guests run with TCG" % (where, why), evidence)
    if virt_type is None:
        return layer("kvm", WARNING, "kvm_unusable_virt_type_unknown",
                     "no usable %s (%s); virt_type unknown (nova.conf not read)" % (where, why), evidence)
    return layer("kvm", FAILED, "kvm_unusable",
                 "virt_type = kvm but %s is not usable (%s)" % (where, why), evidence)


def guest_label(name, servers):
    """A domain's name, with its Nova server's name and UUID when Nova manages it."""
    server = (servers or {}).get(name)
    if not server:
        return name
    return "%s (Nova server %s, %s)" % (name, server.get("name"), server.get("uuid"))


def judge_qemu(qemu, active_domains, compared_reason=None, crashed=None, servers=None):
    """The ``qemu`` layer: one live QEMU process per active libvirt domain.

    ``qemu``: ``qemu_processes()`` output.  ``active_domains``: names libvirt
    lists as active (running or paused), or None when libvirt did not answer
    or is remote (``compared_reason`` says which).  ``crashed``: names of the
    domains libvirt keeps shut off because their QEMU died without shutting
    down (shut off, reason crashed: killed, out of memory, a QEMU bug).
    ``servers``: ``{domain: {uuid, name}}`` of those that are Nova
    instances (their domain metadata), so that reports name the server.
    """
    guests = qemu["guests"]
    named = {}
    for guest in guests:
        named.setdefault(guest["name"], []).append(guest["pid"])
    evidence = {
        "processes": [{"name": g["name"], "pid": g["pid"], "uuid": g["uuid"], "accel": g["accel"]} for g in guests],
        "defunct": qemu["defunct"],
        "other_namespaces": [{"name": g["name"], "pid": g["pid"]} for g in qemu["other_namespaces"]],
        "libvirt_active": sorted(active_domains) if active_domains is not None else None,
    }
    count = "%d qemu process%s" % (len(guests), "" if len(guests) == 1 else "es")
    if active_domains is None:
        evidence["missing"] = evidence["unknown"] = evidence["crashed"] = evidence["servers"] = None
        if guests:
            return layer("qemu", OK, "not_compared",
                         "%s running (guests alive); not compared with libvirt: %s" % (count, compared_reason),
                         evidence)
        return layer("qemu", OK, "not_compared",
                     "no qemu process; not compared with libvirt: %s" % compared_reason, evidence)
    missing = sorted(set(active_domains) - set(named))
    unknown = sorted(n for n in named if n not in active_domains)
    evidence["missing"] = missing
    evidence["unknown"] = [{"name": n, "pids": named[n]} for n in unknown]
    evidence["crashed"] = sorted(crashed or [])
    evidence["servers"] = {name: server for name, server in (servers or {}).items()
                           if name in evidence["crashed"] or name in missing}
    if missing:
        return layer("qemu", FAILED, "qemu_missing",
                     "libvirt lists %s as active but no qemu process runs for %s" % (
                         ", ".join(missing), "it" if len(missing) == 1 else "them"), evidence)
    if evidence["crashed"]:
        return layer("qemu", FAILED, "qemu_crashed",
                     "the qemu process of %s died: libvirt shows %s shut off (crashed)" % (
                         ", ".join(guest_label(n, evidence["servers"]) for n in evidence["crashed"]),
                         "it" if len(evidence["crashed"]) == 1 else "them"),
                     evidence)
    if unknown:
        return layer("qemu", WARNING, "qemu_unknown",
                     "%s; libvirt does not list %s" % (count, ", ".join(str(n) for n in unknown)), evidence)
    if not guests:
        return layer("qemu", OK, "no_guests", "no active domain, no qemu process", evidence)
    return layer("qemu", OK, "all_present",
                 "%s, one per active domain" % count, evidence)


def _unit_active(props):
    return bool(props) and props.get("ActiveState") in ("active", "reloading")


def judge_libvirt(uri, virsh, units=None, daemons=None):
    """The ``libvirt`` layer.

    ``virsh``: ``{answered, timed_out, rc, stderr, version, defined, active,
    missing_binary}`` from the one batched virsh run.  ``units``: ``{Id:
    props}`` of the chosen libvirt units, or None without systemd.
    ``daemons``: ``[{pid, name}]`` libvirt daemon processes found in /proc.
    """
    evidence = {
        "uri": uri,
        "answered": bool(virsh.get("answered")),
        "version": virsh.get("version"),
        "domains_defined": len(virsh["defined"]) if virsh.get("defined") is not None else None,
        "domains_active": virsh.get("active"),
        "units": {name: unit_summary(props) for name, props in (units or {}).items()} if units is not None else None,
        "daemon_processes": daemons or [],
    }
    if not virsh.get("answered"):
        evidence.update({"rc": virsh.get("rc"), "stderr": (virsh.get("stderr") or "").strip()})
    if virsh.get("missing_binary"):
        return layer("libvirt", FAILED, "virsh_missing",
                     "virsh not found (install libvirt-clients)", evidence)
    if virsh.get("answered"):
        version = virsh.get("version") or {}
        active = virsh.get("active") or []
        return layer("libvirt", OK, "answering",
                     "libvirt answers on %s (%s, %s); %d of %d domains active" % (
                         uri, "libvirt " + version.get("library", "?").replace("libvirt ", ""),
                         version.get("hypervisor", "hypervisor unknown"), len(active),
                         len(virsh.get("defined") or [])), evidence)
    if virsh.get("timed_out"):
        return layer("libvirt", FAILED, "timeout",
                     "libvirt does not answer on %s within %ss" % (uri, virsh.get("timeout")), evidence)
    if units is not None:
        loaded = {n: p for n, p in units.items() if p.get("LoadState") == "loaded"}
        if not loaded:
            return layer("libvirt", FAILED, "not_installed",
                         "no libvirt daemon unit (%s) on this node" % ", ".join(sorted(units)), evidence)
        failed = sorted(n for n, p in loaded.items() if p.get("ActiveState") == "failed")
        if failed:
            return layer("libvirt", FAILED, "unit_failed",
                         "%s failed (Result=%s); virsh -c %s does not answer" % (
                             ", ".join(failed), loaded[failed[0]].get("Result"), uri), evidence)
        if not any(_unit_active(p) for p in loaded.values()):
            return layer("libvirt", FAILED, "down",
                         "%s inactive; virsh -c %s does not answer" % (" and ".join(sorted(loaded)), uri),
                         evidence)
    elif not daemons:
        return layer("libvirt", FAILED, "down",
                     "no libvirt daemon process (%s); virsh -c %s does not answer" % (
                         "/".join(LIBVIRT_DAEMONS), uri), evidence)
    return layer("libvirt", FAILED, "not_answering",
                 "libvirt daemon active but virsh -c %s fails: %s" % (
                     uri, first_line(virsh.get("stderr")) or "rc=%s" % virsh.get("rc")), evidence)


def judge_nova_compute(unit_id, unit, processes, nova_conf, bus, times=None):
    """The ``nova_compute`` layer: the unit runs and holds a message-bus connection.

    ``unit``: systemctl show props of the service, or None without systemd.
    ``processes``: ``[{pid, name}]`` nova-compute processes (the unit's main
    PID and descendants, or found by name without systemd).
    ``nova_conf``: ``{path, readable, error}``.  ``bus``: ``{transport_url
    (masked), brokers: [{host, port, addresses, error}], connections}`` or
    None when transport_url could not be read (with ``bus_error``).
    ``times``: ``{nova_conf_changed, started}`` (seconds since the epoch, or
    None): nova.conf's mtime and when the running nova-compute started; a
    connected nova-compute older than its nova.conf is a warning (the change
    is not in effect until a restart).
    """
    evidence = {
        "unit": unit_id,
        "state": unit_summary(unit),
        "processes": processes,
        "nova_conf": nova_conf,
        "transport_url": (bus or {}).get("transport_url"),
        "brokers": (bus or {}).get("brokers"),
        "connections": (bus or {}).get("connections"),
        "connected": None,
    }
    if bus and bus.get("error"):
        evidence["transport_url_error"] = bus["error"]
    conns = (bus or {}).get("connections") or []
    established = [c for c in conns if c["state"] == "ESTAB"]
    judged = bus is not None and not bus.get("error") and bus.get("brokers") is not None
    if judged:
        evidence["connected"] = bool(established)
    brokers = ", ".join("%s:%s" % (b["host"], b["port"]) for b in (bus or {}).get("brokers") or []) or "?"
    if established:
        via = "connected to RabbitMQ at %s" % ", ".join(sorted({c["broker"] for c in established}))
    else:
        via = "no connection to RabbitMQ at %s" % brokers

    if unit is not None:
        state = unit.get("ActiveState")
        if unit.get("LoadState") != "loaded":
            code = "not_installed" if unit.get("LoadState") == "not-found" else "unit_not_loaded"
            return layer("nova_compute", FAILED, code,
                         "%s is not installed here (LoadState=%s)" % (unit_id, unit.get("LoadState")), evidence)
        if state == "failed":
            return layer("nova_compute", FAILED, "unit_failed",
                         "%s failed: %s" % (unit_id, result_text(unit)), evidence)
        if state == "activating":
            restarts = unit.get("NRestarts") or "0"
            restarts = int(restarts) if restarts.isdigit() else 0
            if unit.get("SubState") == "auto-restart":
                return layer("nova_compute", FAILED, "restarting",
                             "%s %s; systemd restarts it (%d restarts so far)" % (
                                 unit_id, result_text(unit), restarts), evidence)
            if restarts and not established:
                return layer("nova_compute", FAILED, "restarting",
                             "%s starting again after %d restarts, no message-bus connection" % (unit_id, restarts),
                             evidence)
            if not judged:
                detail = "message-bus connection not judged: %s" % _bus_unknown_reason(bus, nova_conf)
            else:
                detail = via + (": waiting for nova-conductor" if established else "")
            return layer("nova_compute", FAILED, "activating",
                         "%s activating (%s) since %s: %s" % (
                             unit_id, unit.get("SubState"), unit.get("StateChangeTimestamp") or "?", detail),
                         evidence)
        if state == "deactivating":
            return layer("nova_compute", FAILED, "stopping", "%s is stopping" % unit_id, evidence)
        if state != "active" or not processes:
            return layer("nova_compute", FAILED, "not_running",
                         "%s not running (ActiveState=%s, SubState=%s)" % (unit_id, state, unit.get("SubState")),
                         evidence)
    elif not processes:
        if not nova_conf.get("exists", True):
            return layer("nova_compute", FAILED, "not_installed",
                         "no nova-compute process and no %s: nova-compute is not installed here" % nova_conf["path"],
                         evidence)
        return layer("nova_compute", FAILED, "not_running",
                     "no nova-compute process (no systemd: judged from /proc)", evidence)

    running = "%s running (pid %d)" % (unit_id if unit is not None else NOVA_COMPUTE_COMMAND, processes[0]["pid"])
    if not judged:
        return layer("nova_compute", WARNING, "bus_unknown",
                     "%s; message-bus connection not judged: %s" % (running, _bus_unknown_reason(bus, nova_conf)),
                     evidence)
    if not established:
        return layer("nova_compute", FAILED, "no_bus_connection",
                     "running but has no message-bus connection (RabbitMQ at %s)" % brokers, evidence)
    changed, started = (times or {}).get("nova_conf_changed"), (times or {}).get("started")
    if changed is not None and started is not None:
        evidence["started"], evidence["nova_conf_changed"] = _utc(started), _utc(changed)
        if changed > started + RESTART_PENDING_SLACK:
            return layer("nova_compute", WARNING, "restart_pending",
                         "%s, %s; but %s changed at %s, after it started (%s): the change is not in effect" % (
                             running, via, nova_conf["path"], evidence["nova_conf_changed"], evidence["started"]),
                         evidence)
    return layer("nova_compute", OK, "connected", "%s, %s" % (running, via), evidence)


def _bus_unknown_reason(bus, nova_conf):
    return (bus or {}).get("error") or nova_conf.get("error") or "no transport_url"


def judge_control_plane(host, services=None, error=None, endpoint=None):
    """The ``control_plane`` layer: the Compute API's view of this host's nova-compute.

    ``services``: the ``os-services`` entries for ``binary=nova-compute`` and
    ``host``; ``error``: why the API could not be asked (then a warning: the
    node itself may be fine).  Call with neither to get the skipped layer.
    """
    evidence = {"host": host, "compute_endpoint": endpoint}
    if services is None and error is None:
        return layer("control_plane", SKIPPED, "no_credentials",
                     "no API credentials given (auth or cloud)", evidence)
    if error is not None:
        evidence["error"] = error
        return layer("control_plane", WARNING, "api_error", "Compute API not asked: %s" % error, evidence)
    if not services:
        evidence["service"] = None
        return layer("control_plane", FAILED, "not_registered",
                     "the Compute API knows no nova-compute service on host %s" % host, evidence)
    svc = services[0]
    keep = ("id", "host", "zone", "state", "status", "updated_at", "disabled_reason", "forced_down")
    evidence["service"] = {k: svc.get(k) for k in keep}
    when = svc.get("updated_at") or "never"
    if svc.get("forced_down"):
        return layer("control_plane", FAILED, "forced_down",
                     "nova-compute on %s is forced down (last update %s)" % (host, when), evidence)
    if svc.get("state") != "up":
        return layer("control_plane", FAILED, "service_down",
                     "the Compute API reports nova-compute on %s %s (last update %s)" % (
                         host, svc.get("state"), when), evidence)
    if svc.get("status") != "enabled":
        reason = svc.get("disabled_reason") or "no reason given"
        # Nova disables the service by itself ("AUTO: ...") when it loses libvirt.
        status = FAILED if reason.startswith("AUTO:") else WARNING
        return layer("control_plane", status, "service_disabled",
                     "nova-compute on %s is up but disabled (%s)" % (host, reason), evidence)
    return layer("control_plane", OK, "up",
                 "the Compute API reports nova-compute on %s up and enabled (last update %s)" % (host, when),
                 evidence)


# ---------------------------------------------------------------------------
# diagnosis: what a failed or warning layer means, and what to do
# ---------------------------------------------------------------------------

NOT_AFFECTED = "running guests are not affected"
EXITS = ("journalctl -u {service_short} -n 50 and /var/log/nova/nova-compute.log show why it exits "
         "(often nova.conf); fix it, then systemctl restart {service_short} ({guests})")
KVM_ACTION = "{kvm_fix}, or set [libvirt] virt_type = qemu (slow software emulation)"
READ_CONF = "run the check as root (become: true) so nova.conf can be read"
NOTIFY = "the unit is Type=notify: it stays activating until"

# (layer, code) -> (explanation, action): format strings filled from the
# layer's context (_context).  A few codes have variants (_variant), written
# "code:variant".  A layer's code that is not here gets "LAYER: CODE".
ADVICE = {
    ("kvm", "kvm_unusable"): (
        "Nova is set to virt_type = kvm but this node cannot run KVM guests: new guests fail to start",
        KVM_ACTION),
    ("kvm", "kvm_unusable_virt_type_unknown"): (
        "KVM is not usable and nova.conf could not be read to tell whether Nova needs it",
        KVM_ACTION),
    ("qemu", "qemu_missing"): (
        "libvirt believes {missing} running, but no qemu process exists: the guest is gone",
        "read /var/log/libvirt/qemu/{first_missing}.log, then virsh destroy and start the domain "
        "(or openstack server reboot --hard)"),
    ("qemu", "qemu_crashed"): (
        "the guest {crashed} is down: its qemu process died without a shutdown (killed, out of memory "
        "or a QEMU fault); the other guests are not affected",
        "read /var/log/libvirt/qemu/{first_crashed}.log and the kernel log (dmesg | grep -iE 'oom|killed'), then "
        "start it again: {start_crashed}"),
    ("qemu", "qemu_unknown"): (
        "qemu processes run that this node's libvirt does not list ({unknown}): another libvirt instance "
        "or a leftover",
        "compare with virsh list --all and ps; do not kill a guest that Nova still tracks"),
    ("libvirt", "virsh_missing"): (
        "virsh is not installed, so libvirt could not be asked",
        "install libvirt-clients (Debian) / libvirt-client (EL)"),
    ("libvirt", "not_installed"): (
        "libvirt is not installed on this node",
        "install libvirt and re-apply the managed configuration"),
    ("libvirt", "timeout"): (
        "libvirt's daemon accepts connections but does not answer: it hangs",
        "journalctl -u {daemon}; then systemctl restart {daemon} ({guests})"),
    ("libvirt", "unit_failed"): (
        "libvirt's daemon failed, so Nova cannot manage guests; running guests keep running",
        "journalctl -u {services}; then systemctl restart {services} ({guests})"),
    ("libvirt", "down"): (
        "libvirt's daemon and its sockets are stopped, so Nova cannot manage guests; running guests keep running",
        "start libvirt's sockets: systemctl start {sockets} ({guests})"),
    ("libvirt", "down:no_systemd"): (
        "no libvirt daemon runs, so Nova cannot manage guests; running guests keep running",
        "start libvirtd (no systemd here: libvirtd -d) ({guests})"),
    ("libvirt", "not_answering"): (
        "libvirt's daemon runs but virsh -c {uri} fails: {stderr}",
        "check the URI and permissions (virsh -c {uri} version as root) and journalctl -u {daemon}"),
    ("nova_compute", "not_installed"): (
        "nova-compute is not installed or not configured on this node",
        "install nova-compute and re-apply the managed configuration to this node"),
    ("nova_compute", "unit_not_loaded"): (
        "the {service} unit could not be loaded",
        "systemctl status {service}; systemctl daemon-reload"),
    ("nova_compute", "not_running"): (
        "nova-compute is stopped: the cloud cannot schedule to or manage guests on this node; "
        "running guests keep running",
        "start nova-compute: systemctl start {service_short} ({guests})"),
    ("nova_compute", "not_running:no_systemd"): (
        "nova-compute is not running (no systemd here); running guests keep running",
        "start nova-compute the way this node runs its services ({guests})"),
    ("nova_compute", "unit_failed"): (
        "nova-compute failed and systemd does not restart it; running guests keep running", EXITS),
    ("nova_compute", "restarting"): (
        "nova-compute exits soon after each start and systemd keeps restarting it", EXITS),
    ("nova_compute", "stopping"): (
        "nova-compute is stopping", "wait, then systemctl status {service_short}"),
    ("nova_compute", "activating"): (
        "nova-compute is starting but cannot reach the message bus (" + NOTIFY + " it reaches nova-conductor)",
        "{unreachable}"),
    ("nova_compute", "activating:connected"): (
        "nova-compute reached RabbitMQ but is still waiting for nova-conductor to answer (" + NOTIFY + " then)",
        "check nova-conductor on the control plane (openstack compute service list; "
        "journalctl -u nova-conductor) and that it uses the same transport_url"),
    ("nova_compute", "activating:not_judged"): (
        "nova-compute is starting (" + NOTIFY + " it reaches nova-conductor); its message-bus connection "
        "could not be judged",
        READ_CONF),
    ("nova_compute", "no_bus_connection"): (
        "nova-compute runs but holds no connection to the message bus: the control plane cannot reach it",
        "{unreachable}"),
    ("nova_compute", "restart_pending"): (
        "nova-compute runs with an older nova.conf than the one on disk ({nova_conf_path} changed at "
        "{nova_conf_changed}, after nova-compute started at {started}): the change takes effect at the next restart",
        "review the change (a hand edit?), then re-apply the managed configuration, which restarts "
        "nova-compute only if needed"),
    ("nova_compute", "bus_unknown"): (
        "nova-compute runs, but its message-bus connection could not be judged", READ_CONF),
    ("control_plane", "not_registered"): (
        "the Compute API has no nova-compute service for host {host}",
        "check that [DEFAULT] host matches the host name the cloud expects, that nova-compute "
        "reached nova-conductor, then nova-manage cell_v2 discover_hosts on the controller"),
    ("control_plane", "forced_down"): (
        "nova-compute on {host} is forced down in the Compute API (an operator or a fencing tool set it)",
        "once the node is fine: openstack compute service set --up {host} nova-compute"),
    ("control_plane", "service_down"): (
        "the control plane sees nova-compute on {host} as down{below_ok}",
        "nova-compute reports its state through RabbitMQ and nova-conductor: check nova-conductor "
        "and the clocks (NTP) of node and controllers"),
    ("control_plane", "service_disabled"): (
        "nova-compute on {host} is disabled ({disabled_reason}): no new guests are scheduled here",
        "openstack compute service set --enable {host} nova-compute (once the reason is fixed)"),
    ("control_plane", "api_error"): (
        "the Compute API could not be asked: {error}",
        "check auth_url, the credentials and the region"),
}


def _variant(name, code, ev):
    """The ADVICE key of a layer: its code, refined where the evidence changes the advice."""
    if (name, code) == ("libvirt", "down") and ev.get("units") is None:
        return "down:no_systemd"
    if (name, code) == ("nova_compute", "not_running") and ev.get("state") is None:
        return "not_running:no_systemd"
    if (name, code) == ("nova_compute", "activating"):
        if ev.get("connected") is None:
            return "activating:not_judged"
        if ev.get("connected"):
            return "activating:connected"
    return code


def _units_text(ev, suffix):
    return " ".join(n for n in sorted((ev.get("units") or {}).keys()) if n.endswith(suffix))


def _kvm_fix(ev):
    mods = ev.get("kernel_modules") or []
    if ev.get("exists"):
        return "check %s's permissions and the kernel log (dmesg | grep -i kvm)" % ev.get("path")
    if mods:
        return "KVM modules %s are loaded but %s is missing: check udev and the kernel log" % (
            ", ".join(mods), ev.get("path"))
    fix = "load the KVM module (modprobe kvm_intel or kvm_amd)"
    if ev.get("cpu_virt_flag") is None:
        fix += "; the CPU shows no vmx/svm flag: enable virtualization in the firmware"
    return fix


def _unreachable(ev):
    brokers = ", ".join("%s:%s" % (b["host"], b["port"]) for b in ev.get("brokers") or []) or "the message bus"
    text = ("RabbitMQ at %s unreachable from this node: check the broker and [DEFAULT] transport_url "
            "in nova.conf" % brokers)
    errors = ["%s: %s" % (b["host"], b["error"]) for b in ev.get("brokers") or [] if b.get("error")]
    if errors:
        text += " (name resolution: %s)" % "; ".join(errors)
    return text


def _start_command(domain, server):
    """How to start a crashed guest again: through Nova for its instances."""
    if server:
        return ("openstack server start %s (not virsh start: Nova's power-state sync marks the server stopped "
                "and stops a domain started behind its back)" % server.get("uuid"))
    return "virsh start %s" % domain


def _context(name, ev, ctx):
    """The values ADVICE's format strings of layer ``name`` use."""
    service = ctx.get("service") or "nova-compute"
    out = {"service": service, "guests": NOT_AFFECTED,
           "service_short": service[:-len(".service")] if service.endswith(".service") else service}
    if name == "kvm":
        out["kvm_fix"] = _kvm_fix(ev)
    elif name == "qemu":
        missing, crashed, servers = ev.get("missing") or [], ev.get("crashed") or [], ev.get("servers") or {}
        first = crashed[0] if crashed else "DOMAIN"
        out.update(missing=", ".join(guest_label(n, servers) for n in missing),
                   first_missing=missing[0] if missing else "DOMAIN",
                   crashed=", ".join(guest_label(n, servers) for n in crashed), first_crashed=first,
                   start_crashed=_start_command(first, servers.get(first)),
                   unknown=", ".join(u["name"] or "?" for u in ev.get("unknown") or []))
    elif name == "libvirt":
        services = _units_text(ev, ".service")
        out.update(uri=ev.get("uri"), services=services, daemon=services or "libvirtd",
                   sockets=_units_text(ev, ".socket") or services, stderr=first_line(ev.get("stderr")))
    elif name == "nova_compute":
        out.update(unreachable=_unreachable(ev), nova_conf_path=(ev.get("nova_conf") or {}).get("path"),
                   nova_conf_changed=ev.get("nova_conf_changed"), started=ev.get("started"))
    elif name == "control_plane":
        svc = ev.get("service") or {}
        out.update(host=ev.get("host"), error=ev.get("error"),
                   disabled_reason=svc.get("disabled_reason") or "no reason given",
                   below_ok=" although the layers on this node look fine" if ctx.get("below_ok") else "")
    return out


def advice(name, code, ev, ctx):
    """(explanation, action) for a failed or warning layer."""
    texts = ADVICE.get((name, _variant(name, code, ev)))
    if texts is None:
        return ("%s: %s" % (name, code), None)
    values = _context(name, ev, ctx)
    return tuple(text.format(**values) for text in texts)


def _guests_running(layers):
    qemu = layers.get("qemu") or {}
    processes = (qemu.get("evidence") or {}).get("processes") or []
    return [{"name": p["name"], "pid": p["pid"]} for p in processes]


def diagnose(layers, service="nova-compute"):
    """Name the lowest failed layer, why, and what to do.

    ``layers``: ``{name: layer}`` (any subset of LAYERS).  Returns
    ``{failed_layer, explanation, action, warnings, guests_running}``;
    ``failed_layer`` is None when no layer failed (warnings do not make a
    node unhealthy; they are listed by name).
    """
    ordered = [layers[n] for n in LAYERS if n in layers]
    failed = [lay for lay in ordered if lay["status"] == FAILED]
    warnings = [lay["name"] for lay in ordered if lay["status"] == WARNING]
    guests = _guests_running(layers)
    if failed:
        first = failed[0]
        below_ok = all(lay["status"] in (OK, SKIPPED, WARNING) for lay in ordered[:ordered.index(first)])
        explanation, action = advice(first["name"], first["code"], first["evidence"],
                                     {"service": service, "below_ok": below_ok})
        if guests and first["name"] in ("libvirt", "nova_compute"):
            explanation += " (%d guest%s still running in qemu)" % (len(guests), "" if len(guests) == 1 else "s")
        return {
            "failed_layer": first["name"],
            "explanation": explanation,
            "action": action,
            "warnings": warnings,
            "guests_running": guests,
        }
    if warnings:
        first = layers[warnings[0]]
        explanation, action = advice(first["name"], first["code"], first["evidence"], {"service": service})
        return {
            "failed_layer": None,
            "explanation": "no layer failed; warning on %s: %s" % (", ".join(warnings), explanation),
            "action": action,
            "warnings": warnings,
            "guests_running": guests,
        }
    skipped = [lay["name"] for lay in ordered if lay["status"] == SKIPPED]
    return {
        "failed_layer": None,
        "explanation": "every layer checked is healthy" + (" (skipped: %s)" % ", ".join(skipped) if skipped else ""),
        "action": None,
        "warnings": [],
        "guests_running": guests,
    }
