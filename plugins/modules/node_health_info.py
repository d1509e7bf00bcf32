#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_health_info
short_description: Tell which layer of a Nova compute node failed, with evidence
version_added: 0.1.0
description:
  - Checks a Nova compute node bottom-up, one layer at a time, and returns one result per layer with
    the evidence it was judged on, then a diagnosis naming the lowest failed layer and what to do.
  - B(kvm) - C(/dev/kvm) opens read-write and answers C(KVM_GET_API_VERSION); without it the layer is
    still V(ok) when nova.conf's C([libvirt] virt_type) is V(qemu) (TCG), and V(failed) when it is V(kvm).
  - B(qemu) - one live QEMU process per domain libvirt lists as active (running or paused), found in
    C(/proc) by its C(-name guest=NAME) argument. A domain libvirt calls active without a QEMU process
    fails the layer, and so does a domain libvirt shows shut off with the reason V(crashed) (its QEMU
    process died without shutting down - killed, out of memory; asked with C(virsh domstats --state
    --list-shutoff) only when inactive domains exist). Such a domain is named with its Nova server's name
    and UUID when Nova manages it (its C(<nova:instance>) metadata, read with C(virsh dumpxml) for the
    crashed domains only). QEMU processes keep running when nova-compute or
    libvirt stop, so they are also reported when libvirt does not answer, and they make
    RV(diagnosis.guests_running).
  - B(libvirt) - the daemon (monolithic C(libvirtd) or modular C(virtqemud), with their sockets) is
    active and C(virsh -c URI version) answers within O(timeout); the domains are listed in the same
    C(virsh) process.
  - B(nova_compute) - the unit is active (C(systemctl show)) and its main process or a descendant holds
    an ESTABLISHED TCP connection to a host and port of nova.conf's C(transport_url) (resolved with the
    system resolver), read from C(ss -tnpH) or, without C(ss), from C(/proc/PID/net/tcp) and the
    process's socket file descriptors. The password of the URL is never returned.
  - A connected nova-compute whose nova.conf changed after it started is a V(warning) (V(restart_pending))
    because the running service does not use the file on disk yet.
  - B(control_plane) - with credentials (O(auth) or O(cloud)), the Compute API's C(os-services)
    entry of this host's nova-compute is V(up) and V(enabled). Plain HTTPS to keystone v3 and Nova,
    no OpenStack SDK needed. Skipped without credentials. No credential is returned, also not when
    Keystone echoes one in its error answer.
  - Without systemd (a container, a node whose PID 1 is another init) the daemons are found by their
    process names in C(/proc) instead of their units.
  - The module never fails because the node is unhealthy unless O(fail_on_unhealthy=true); it fails
    on bad parameters or an internal error only.
author:
  - novaops.compute developers (@novaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - novaops.compute.read_only
  - novaops.compute.compute_auth
requirements:
  - Linux with C(/proc).
  - virsh (Debian/Ubuntu package libvirt-clients, EL package libvirt-client).
  - ss (iproute2) for the message-bus check; C(/proc) is read without it.
  - C(timeout) (coreutils) to bound the virsh call.
  - PyYAML on the node when O(cloud) is used.
options:
  uri:
    description: libvirt connection URI passed to C(virsh -c). QEMU processes are compared with the
      domains only for a local URI (no host part).
    type: str
    default: qemu:///system
  nova_conf:
    description:
      - Path of nova.conf on the node, read for C([libvirt] virt_type), C([DEFAULT] transport_url) and
        C([DEFAULT] host). It is readable by root and the nova group only, so run the module with
        C(become=true).
    type: path
    default: /etc/nova/nova.conf
  service:
    description: Name of the nova-compute systemd unit (V(openstack-nova-compute) on EL).
    type: str
    default: nova-compute
  libvirt_services:
    description:
      - libvirt units to judge, for example V([virtqemud.service, virtqemud.socket]).
      - By default the module detects monolithic C(libvirtd) or modular C(virtqemud) from their units
        (the active, else the enabled, else the installed family).
    type: list
    elements: str
  timeout:
    description: Seconds allowed for the virsh call and for each HTTP request to the APIs.
    type: int
    default: 10
  fail_on_unhealthy:
    description:
      - Fail when a layer failed. The message carries the diagnosis, and the result still carries
        RV(layers) and RV(diagnosis).
    type: bool
    default: false
  auth:
    description:
      - Keystone credentials for the control_plane layer, the keys of a C(clouds.yaml) C(auth) entry plus
        O(auth.region_name) and O(auth.interface). Enables that layer with O(auth.auth_url) and either
        O(auth.password) (with O(auth.username) or O(auth.user_id)) or an application credential.
      - Each key given overrides the value from O(cloud).
  cloud:
    description:
      - Name of a cloud in C(clouds.yaml) to take the credentials from (C(auth_type) V(password) or
        V(v3applicationcredential)), searched like the OpenStack client does - C($OS_CLIENT_CONFIG_FILE),
        C(./clouds.yaml), C(~/.config/openstack/clouds.yaml), C(/etc/openstack/clouds.yaml) on the
        node - with C(secure.yaml) merged over it.
      - A C(clouds.yaml) or C(secure.yaml) that is not valid YAML, or not shaped like one, fails the module
        with the file's path and what is wrong.
    type: str
  host:
    description:
      - Host name of this node's nova-compute in the Compute API.
      - Defaults to nova.conf's C([DEFAULT] host), else the node's host name (Nova's own default).
    type: str
  validate_certs:
    description: Verify the APIs' TLS certificates. When not set, the value from O(cloud) (C(verify)) is
      used, else V(true).
    type: bool
  ca_cert:
    description: CA bundle to verify the APIs' certificates with. The value from O(cloud) (C(cacert)) is
      used when not set.
    type: path
notes:
  - Stopping nova-compute or libvirt does not stop the guests, so RV(diagnosis.guests_running) lists
    the guests whose QEMU process is alive whatever the layers above say.
  - Nova's default C(virt_type) is V(kvm); only nova.conf is read for it (Debian's
    C(/etc/nova/nova-compute.conf), which the novaops.compute.nova_compute role neutralises, is not).
  - Nodes that run libvirt in a container with its own PID namespace show their QEMU processes under
    C(evidence.other_namespaces) of the qemu layer; they are not compared with the domains.
seealso:
  - module: novaops.compute.vnc_check
  - module: novaops.compute.domiflist_info
  - module: novaops.compute.console_endpoints_info
"""

EXAMPLES = r"""
- name: Which layer of the compute node failed?
  novaops.compute.node_health_info:
  become: true
  register: health

- name: Show the diagnosis
  ansible.builtin.debug:
    msg: >-
      {{ inventory_hostname }}:
      {{ 'healthy' if health.healthy else health.diagnosis.failed_layer ~ ' failed' }} -
      {{ health.diagnosis.explanation }}
      {{ ('; do: ' ~ health.diagnosis.action) if health.diagnosis.action else '' }}
      (guests still running: {{ health.diagnosis.guests_running | map(attribute='name') | join(', ') or 'none' }})

# After `systemctl stop nova-compute` on the node the result says:
#   failed_layer: nova_compute
#   action: "start nova-compute: systemctl start nova-compute (running guests are not affected)"
# and guests_running still lists every guest with its qemu PID.
- name: Diagnose after a fault, and fail the play on an unhealthy node
  novaops.compute.node_health_info:
    fail_on_unhealthy: true
  become: true

- name: Include the Compute API's view (credentials from clouds.yaml on the node)
  novaops.compute.node_health_info:
    cloud: mycloud
    timeout: 5
  become: true
  register: health

- name: Same with explicit credentials
  novaops.compute.node_health_info:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: "{{ vault_admin_password }}"
      project_name: admin
      region_name: RegionOne
  become: true

- name: Modular libvirt daemons, EL unit name
  novaops.compute.node_health_info:
    service: openstack-nova-compute
    libvirt_services: [virtqemud.service, virtqemud.socket]
  become: true

- name: Assert on one layer
  ansible.builtin.assert:
    that: health.layers.nova_compute.evidence.connected
    fail_msg: "{{ health.layers.nova_compute.summary }}"
"""

RETURN = r"""
healthy:
  description: True when no layer failed (warnings and skipped layers do not count).
  returned: always
  type: bool
  sample: false
layers:
  description:
    - One result per layer, keyed by layer name, bottom-up - V(kvm), V(qemu), V(libvirt),
      V(nova_compute), V(control_plane).
    - "Every layer has the same five keys: C(name), C(status) (V(ok), V(failed), V(warning), V(skipped)),
      C(code) (machine-readable reason, listed per layer below), C(summary) (one line) and C(evidence)
      (a dict, keys listed per layer below)."
  returned: always
  type: dict
  contains:
    kvm:
      description:
        - "Codes: V(kvm_usable), V(tcg_by_choice) (usable, but virt_type = qemu), V(tcg) (not usable,
          virt_type = qemu: ok), V(kvm_unusable) (failed), V(kvm_unusable_virt_type_unknown) (warning:
          nova.conf not read), V(other_virt_type) (skipped)."
        - "Evidence: C(path), C(exists), C(usable), C(api_version) (KVM API, 12), C(error), C(virt_type),
          C(cpu_virt_flag) (V(vmx), V(svm) or null: a nested or paravirtualized KVM may work without it),
          C(kernel_modules) (C(kvm*) under /sys/module), C(guests_by_accel) (C({kvm: 2, tcg: 1}))."
      type: dict
      sample:
        name: kvm
        status: ok
        code: kvm_usable
        summary: /dev/kvm usable (KVM API 12)
        evidence: {path: /dev/kvm, exists: true, usable: true, api_version: 12, error: null, virt_type: kvm,
                   cpu_virt_flag: vmx, kernel_modules: [kvm, kvm_intel], guests_by_accel: {kvm: 1}}
    qemu:
      description:
        - "Codes: V(all_present), V(no_guests), V(not_compared) (libvirt did not answer or the URI is remote:
          ok), V(qemu_missing), V(qemu_crashed) (failed), V(qemu_unknown) (warning: QEMU processes libvirt
          does not list)."
        - "Evidence: C(processes) (C([{name, pid, uuid, accel}]) in this PID namespace), C(defunct) (zombie
          QEMU processes C([{pid, comm}])), C(other_namespaces) (C([{name, pid}])), C(libvirt_active)
          (active domain names, null when not compared), C(missing) (active domains without a process),
          C(unknown) (C([{name, pids}])), C(crashed) (domains shut off because their QEMU died, null when not
          compared), C(servers) (C({domain: {uuid, name}}) of the missing and crashed domains that are Nova
          instances, null when not compared)."
      type: dict
      sample:
        name: qemu
        status: ok
        code: not_compared
        summary: "1 qemu process running (guests alive); not compared with libvirt: libvirt does not answer"
        evidence: {processes: [{name: instance-0000002a, pid: 4242, uuid: 9b4d0c1e-0d64-4b6e-9f0a-1f0e1b2c3d4e,
                   accel: kvm}], defunct: [], other_namespaces: [], libvirt_active: null, missing: null,
                   unknown: null, crashed: null, servers: null}
    libvirt:
      description:
        - "Codes: V(answering), V(down) (daemon and sockets stopped), V(unit_failed), V(timeout),
          V(not_answering) (daemon active, virsh fails), V(virsh_missing), V(not_installed) (all failed)."
        - "Evidence: C(uri), C(answered), C(version) (C({compiled_against, library, api, hypervisor})),
          C(domains_defined) (count), C(domains_active) (names), C(units) (per unit the C(systemctl show)
          properties Id, LoadState, ActiveState, SubState, UnitFileState, Type, Result, MainPID,
          ExecMainPID, ExecMainStatus, NRestarts, ActiveEnterTimestamp, StateChangeTimestamp; null
          without systemd), C(daemon_processes) (C([{pid, name}])), when virsh did not answer C(rc) and
          C(stderr), and without systemd C(systemd) (why it could not be asked)."
      type: dict
      sample:
        name: libvirt
        status: failed
        code: down
        summary: libvirtd.service and libvirtd.socket inactive; virsh -c qemu:///system does not answer
        evidence: {uri: "qemu:///system", answered: false, rc: 1, stderr: "error: failed to connect to the hypervisor"}
    nova_compute:
      description:
        - "Codes: V(connected), V(not_installed), V(unit_not_loaded), V(not_running), V(unit_failed),
          V(activating) (Type=notify unit still waiting for nova-conductor), V(restarting) (it exits and
          systemd restarts it), V(stopping), V(no_bus_connection) (all failed), V(bus_unknown) (warning:
          transport_url not read), V(restart_pending) (warning: connected, but nova.conf changed after
          nova-compute started - a hand edit or a change not applied yet)."
        - "Evidence: C(unit), C(state) (its C(systemctl show) properties, null without systemd),
          C(processes) (C([{pid, name}]): main PID and descendants), C(nova_conf) (C({path, exists,
          readable, error})), C(transport_url) (password masked), C(brokers) (C([{host, port, addresses,
          error}])), C(connections) (C([{broker, state, local, peer, pid}]) of those processes to the
          brokers, from C(source)), C(source) (V(ss) or V(/proc)), C(connected) (bool, null when not judged),
          C(transport_url_error) (why the connection was not judged), C(systemd) (why systemd could not be
          asked, only without systemd), C(started) and C(nova_conf_changed) (UTC times of the main process's
          start and of nova.conf's last change, when nova-compute runs connected)."
      type: dict
      sample:
        name: nova_compute
        status: ok
        code: connected
        summary: nova-compute.service running (pid 8524), connected to RabbitMQ at controller:5672
        evidence:
          unit: nova-compute.service
          connected: true
          transport_url: "rabbit://nova:********@controller:5672/"
          connections: [{broker: "controller:5672", state: ESTAB, local: "10.89.77.11:53696",
                         peer: "10.89.77.10:5672", pid: 8524}]
    control_plane:
      description:
        - "Codes: V(up), V(no_credentials) (skipped), V(not_registered), V(service_down), V(forced_down)
          (failed), V(service_disabled) (warning, failed when Nova disabled it itself with an C(AUTO:)
          reason), V(api_error) (warning: the API could not be asked)."
        - "Evidence: C(host), C(compute_endpoint), C(service) (C({id, host, zone, state, status,
          updated_at, disabled_reason, forced_down}) from C(os-services)), C(error)."
      type: dict
      sample:
        name: control_plane
        status: ok
        code: up
        summary: the Compute API reports nova-compute on compute1 up and enabled (last update 2026-11-24T15:19:42.000000)
        evidence: {host: compute1, compute_endpoint: "http://controller:8774/v2.1",
                   service: {id: 5, host: compute1, zone: nova, state: up, status: enabled,
                             updated_at: "2026-11-24T15:19:42.000000", disabled_reason: null, forced_down: false}}
diagnosis:
  description: What failed, why, and what to do.
  returned: always
  type: dict
  contains:
    failed_layer:
      description: The lowest failed layer in the order kvm, qemu, libvirt, nova_compute, control_plane; null when none failed.
      type: str
      sample: nova_compute
    explanation:
      description: One line on what the failure means.
      type: str
      sample: "nova-compute is stopped: the cloud cannot schedule to or manage guests on this node;
        running guests keep running (1 guest still running in qemu)"
    action:
      description: The suggested action (for the lowest failed layer, else for the first warning); null when healthy.
      type: str
      sample: "start nova-compute: systemctl start nova-compute (running guests are not affected)"
    warnings:
      description: Names of the layers with status V(warning).
      type: list
      elements: str
      sample: []
    guests_running:
      description: Guests whose QEMU process is alive, whatever libvirt and nova-compute say.
      type: list
      elements: dict
      sample: [{name: instance-0000002a, pid: 4242}]
      contains:
        name:
          description: Domain name from QEMU's C(-name guest=) argument (null if QEMU was started without it).
          type: str
        pid:
          description: PID of the QEMU process.
          type: int
"""

import os
import pwd
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.novaops.compute.plugins.module_utils import _compute_api as api
from ansible_collections.novaops.compute.plugins.module_utils import _health as health
from ansible_collections.novaops.compute.plugins.module_utils import _proc as proc
from ansible_collections.novaops.compute.plugins.module_utils import _systemd as systemd
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import conf_get, parse_ini
from ansible_collections.novaops.compute.plugins.module_utils._proc import Host
from ansible_collections.novaops.compute.plugins.module_utils._ss import broker_connections, read_connections
from ansible_collections.novaops.compute.plugins.module_utils._urls import UrlError, parse_transport_url
from ansible_collections.novaops.compute.plugins.module_utils._virsh import (
    SHUTOFF,
    SHUTOFF_REASONS,
    Virsh,
    VirshParseError,
    is_local_uri,
    parse_domstats_state,
    parse_name_list,
    parse_virsh_version,
)

try:
    import yaml
except ImportError:
    YAML_IMPORT_ERROR = traceback.format_exc()
    HAS_YAML = False
else:
    YAML_IMPORT_ERROR = None
    HAS_YAML = True

ENVIRON = {"LANGUAGE": "C", "LC_ALL": "C"}
VIRSH_COMMANDS = [["version"], ["list", "--all", "--name"], ["list", "--name"]]
DEFAULT_TRANSPORT_URL = "rabbit://"  # oslo.messaging's default [DEFAULT] transport_url


# ---------------------------------------------------------------------------
# readers and runners -> parsed data for the judges
# ---------------------------------------------------------------------------

def read_nova_conf(host, path):
    info = {"path": path, "exists": host.exists(path), "readable": False, "error": None}
    text, error = host.read_text(path)
    if text is None:
        info["error"] = error
        return info, {}
    info["readable"] = True
    return info, parse_ini(text)


def read_processes(host):
    entries = [host.process_entry(pid) for pid in host.pids()]
    return proc.process_table([e for e in entries if e[0] is not None], host.own_pid_ns())


def ask_libvirt(virsh):
    """The one batched virsh run: version, defined and active domains."""
    if virsh.missing:
        return {"answered": False, "missing_binary": True}
    pieces, rc, _out, err = virsh.try_batch(VIRSH_COMMANDS)
    result = {"answered": False, "rc": rc, "stderr": err, "timeout": virsh.timeout, "timed_out": virsh.timed_out(rc)}
    if pieces is None:
        return result
    try:
        version = parse_virsh_version(pieces[0])
    except VirshParseError:
        return result
    result.update(answered=True, version=version, defined=parse_name_list(pieces[1]),
                  active=parse_name_list(pieces[2]))
    return result


def ask_crashed(virsh, inactive):
    """Names of the inactive domains libvirt shows shut off because their QEMU died (reason crashed)."""
    if not inactive:
        return []
    rc, out, _err = virsh.run(["domstats", "--state", "--list-shutoff"])
    if rc != 0:
        return []
    try:
        states = parse_domstats_state(out)
    except VirshParseError:
        return []
    return sorted(name for name, st in states.items()
                  if name in inactive and st.get("state") == SHUTOFF
                  and SHUTOFF_REASONS.get(st.get("reason")) == "crashed")


def bus_evidence(module, host, conf, nova_conf, processes):
    """The message-bus evidence of nova-compute; the URL's password never leaves parse_transport_url."""
    if not nova_conf["readable"]:
        return {"error": "cannot read %s: %s" % (nova_conf["path"], nova_conf["error"])}
    # Unset, oslo.messaging uses rabbit:// (guest@localhost:5672), and so do we.
    url = conf_get(conf, "DEFAULT", "transport_url", DEFAULT_TRANSPORT_URL)
    try:
        parsed = parse_transport_url(url)
    except UrlError as exc:
        return {"error": "transport_url: %s" % exc}
    # parsed["passwords"] is not added to module.no_log_values on purpose: Ansible would then mask
    # that string everywhere in the result, and a password such as "nova" or "guest" would turn
    # "nova-compute" and "guests_running" into "********...". Nothing returned is built from it.
    brokers = []
    for entry in parsed["hosts"]:
        addresses, error = host.resolve(entry["host"], entry["port"])
        brokers.append({"host": entry["host"], "port": entry["port"], "addresses": addresses, "error": error})
    conns, source = read_connections(module, host, processes)
    return {
        "transport_url": parsed["masked"],
        "brokers": brokers,
        "connections": broker_connections(conns, brokers, [p["pid"] for p in processes]),
        "source": source,
    }


def started_at(host, table, pid):
    """When ``pid`` started (seconds since the epoch), from its stat in the table and /proc/stat's btime."""
    entry = next((p for p in table if p["pid"] == pid), None)
    if entry is None:
        return None
    return proc.process_start_time(entry.get("starttime"), host.stat(), host.clock_ticks())


def load_cloud(module, host, cloud):
    """The settings of ``cloud`` from clouds.yaml and secure.yaml on the node, or fail_json."""
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)
    home = os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir
    candidates = api.clouds_yaml_candidates(os.environ.get("OS_CLIENT_CONFIG_FILE"), os.getcwd(), home)
    clouds_file = next((n for n in candidates if host.exists(n)), None)
    if clouds_file is None:
        module.fail_json(msg="cloud=%s given but no clouds.yaml found on the node" % cloud)
    secure_file = os.path.join(os.path.dirname(clouds_file), "secure.yaml")
    paths = (clouds_file, secure_file if host.exists(secure_file) else None)
    docs = []
    for path in paths:
        text, error = host.read_text(path) if path else (None, None)
        if error:
            module.fail_json(msg="cannot read %s: %s" % (path, error))
        try:
            docs.append(yaml.safe_load(text) if text else None)
        except yaml.YAMLError as exc:
            # never the YAML error's snippet of the file: it may show a password
            mark = getattr(exc, "problem_mark", None)
            where = " at line %d, column %d" % (mark.line + 1, mark.column + 1) if mark else ""
            module.fail_json(msg="cannot parse %s: not valid YAML (%s%s)" % (
                path, getattr(exc, "problem", None) or "syntax error", where))
    try:
        return api.cloud_settings(docs[0], cloud, docs[1], (clouds_file, secure_file))
    except KeyError as exc:
        module.fail_json(msg=exc.args[0])
    except api.CloudConfigError as exc:
        module.fail_json(msg=str(exc))


def control_plane_settings(module, host):
    """Credentials for the control_plane layer, or None when none are given."""
    params = module.params
    auth = api.auth_settings(params["auth"])
    settings = load_cloud(module, host, params["cloud"]) if params["cloud"] else {}
    settings.update(auth)
    if params["validate_certs"] is not None:
        settings["verify"] = params["validate_certs"]
    if params["ca_cert"] is not None:
        settings["cacert"] = params["ca_cert"]
    problem = api.settings_problem(settings, bool(params["cloud"] or auth))
    if problem:
        module.fail_json(msg=problem)
    return settings if settings.get("auth_url") else None


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def check_node(module, host, cp_settings):
    params = module.params
    service = systemd.unit_name(params["service"])

    nova_conf, conf = read_nova_conf(host, params["nova_conf"])
    virt_type = conf_get(conf, "libvirt", "virt_type", "kvm") if nova_conf["readable"] else None

    lv_units = [systemd.unit_name(u) for u in params["libvirt_services"] or []]
    asked = [service] + (lv_units or list(systemd.MONOLITHIC_UNITS + systemd.MODULAR_UNITS))
    units, systemd_error = systemd.show_units(module, asked)
    if units is not None:
        lv_units = lv_units or systemd.choose_libvirt_units(units)
        lv_unit_props = {u: units.get(u, {"Id": u}) for u in lv_units}
        nova_unit = units.get(service, {"Id": service})
    else:
        lv_unit_props = nova_unit = None

    # libvirt first, then /proc, so a guest started meanwhile is at worst
    # "unknown"; a domain that stopped meanwhile is rechecked once.
    virsh = Virsh(module, params["uri"], params["timeout"], required=False)
    local = is_local_uri(params["uri"])
    for _attempt in range(2):
        libvirt = ask_libvirt(virsh)
        table = read_processes(host)
        qemu = proc.qemu_processes(table)
        active = libvirt.get("active") if libvirt.get("answered") and local else None
        names = {g["name"] for g in qemu["guests"]}
        if active is None or not set(active) - names:
            break

    daemons = [{"pid": p["pid"], "name": proc.command_name(p)}
               for p in proc.find_processes(table, health.LIBVIRT_DAEMONS)]
    layers = {}
    layers["kvm"] = health.judge_kvm(host.dev_kvm(), virt_type, proc.parse_cpu_virt_flag(host.cpuinfo()),
                                     host.kvm_modules(), proc.guests_by_accel(qemu))
    reason = None
    if not local:
        reason = "the URI %s is remote" % params["uri"]
    elif not libvirt.get("answered"):
        reason = "libvirt does not answer"
    crashed = servers = None
    if active is not None:
        crashed = ask_crashed(virsh, set(libvirt.get("defined") or []) - set(active))
        servers = virsh.nova_servers(crashed)
    layers["qemu"] = health.judge_qemu(qemu, active, reason, crashed, servers)
    layers["libvirt"] = health.judge_libvirt(params["uri"], libvirt, lv_unit_props, daemons)
    if lv_unit_props is None:
        layers["libvirt"]["evidence"]["systemd"] = systemd_error

    processes = proc.service_processes(table, nova_unit, health.NOVA_COMPUTE_COMMAND)
    bus = bus_evidence(module, host, conf, nova_conf, processes)
    # a nova.conf newer than the running nova-compute: a change not in effect yet
    times = {"nova_conf_changed": host.mtime(params["nova_conf"]),
             "started": started_at(host, table, processes[0]["pid"]) if processes else None}
    layers["nova_compute"] = health.judge_nova_compute(service, nova_unit, processes, nova_conf, bus, times)
    layers["nova_compute"]["evidence"]["source"] = bus.get("source")
    if nova_unit is None:
        layers["nova_compute"]["evidence"]["systemd"] = systemd_error

    host_name = params["host"] or conf_get(conf, "DEFAULT", "host") or host.hostname()
    if cp_settings is None:
        layers["control_plane"] = health.judge_control_plane(host_name)
    else:
        services, error, endpoint = api.ask_control_plane(cp_settings, host_name, params["timeout"])
        layers["control_plane"] = health.judge_control_plane(host_name, services, error, endpoint)
    return layers


def main():
    module = AnsibleModule(
        argument_spec=dict(
            uri=dict(type="str", default="qemu:///system"),
            nova_conf=dict(type="path", default="/etc/nova/nova.conf"),
            service=dict(type="str", default="nova-compute"),
            libvirt_services=dict(type="list", elements="str"),
            timeout=dict(type="int", default=10),
            fail_on_unhealthy=dict(type="bool", default=False),
            auth=dict(type="dict", options=api.AUTH_OPTIONS),
            cloud=dict(type="str"),
            host=dict(type="str"),
            validate_certs=dict(type="bool"),
            ca_cert=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    module.run_command_environ_update = ENVIRON
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be more than 0, got %d" % params["timeout"])
    if not params["service"]:
        module.fail_json(msg="service must not be empty")
    if params["libvirt_services"] is not None and not all(params["libvirt_services"]):
        module.fail_json(msg="libvirt_services must not contain empty names")

    host = Host()
    cp_settings = control_plane_settings(module, host)
    try:
        layers = check_node(module, host, cp_settings)
        diagnosis = health.diagnose(layers, systemd.unit_name(params["service"]))
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg="node_health_info: internal error: %s" % to_native(exc),
                         exception=traceback.format_exc())
    healthy = diagnosis["failed_layer"] is None
    result = dict(changed=False, healthy=healthy, layers=layers, diagnosis=diagnosis)
    if params["fail_on_unhealthy"] and not healthy:
        module.fail_json(msg="%s failed: %s; action: %s" % (
            diagnosis["failed_layer"], diagnosis["explanation"], diagnosis["action"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
