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
    --list-shutoff) only when inactive domains exist). QEMU processes keep running when nova-compute or
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
  - B(control_plane) - with credentials (O(auth_url) or O(cloud)), the Compute API's C(os-services)
    entry of this host's nova-compute is V(up) and V(enabled). Plain HTTPS to keystone v3 and Nova,
    no OpenStack SDK needed. Skipped without credentials.
  - Without systemd (a container, a node whose PID 1 is another init) the daemons are found by their
    process names in C(/proc) instead of their units.
  - The module never fails because the node is unhealthy unless O(fail_on_unhealthy=true); it fails
    on bad parameters or an internal error only.
author:
  - novaops.compute developers (@novaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same checks in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
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
  auth_url:
    description:
      - Keystone URL (V(http://controller:5000/v3); V(/v3) is added when missing). Enables the
        control_plane layer, with O(username), O(password) and O(project_name).
      - Overrides the value from O(cloud).
    type: str
  username:
    description: Keystone user name for the control_plane layer. Overrides the value from O(cloud).
    type: str
  password:
    description: Password of O(username). Overrides the value from O(cloud).
    type: str
  project_name:
    description: Project to scope the token to. Overrides the value from O(cloud).
    type: str
  user_domain_name:
    description: Domain of O(username); V(Default) when neither this nor O(cloud) sets it.
    type: str
  project_domain_name:
    description: Domain of O(project_name); V(Default) when neither this nor O(cloud) sets it.
    type: str
  region_name:
    description: Region of the compute endpoint in the catalog; the first compute endpoint of
      O(interface) when not set.
    type: str
  interface:
    description: Which catalog endpoint of the Compute API to use; V(public) when neither this nor O(cloud)
      sets it.
    type: str
    choices: [public, internal, admin]
  cloud:
    description:
      - Name of a cloud in C(clouds.yaml) to take the credentials from (C(auth_type) V(password) or
        V(v3applicationcredential)), searched like the OpenStack client does - C($OS_CLIENT_CONFIG_FILE),
        C(./clouds.yaml), C(~/.config/openstack/clouds.yaml), C(/etc/openstack/clouds.yaml) on the
        node - with C(secure.yaml) merged over it.
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
          compared)."
      type: dict
      sample:
        name: qemu
        status: ok
        code: not_compared
        summary: "1 qemu process running (guests alive); not compared with libvirt: libvirt does not answer"
        evidence: {processes: [{name: instance-0000002a, pid: 4242, uuid: 9b4d0c1e-0d64-4b6e-9f0a-1f0e1b2c3d4e,
                   accel: kvm}], defunct: [], other_namespaces: [], libvirt_active: null, missing: null,
                   unknown: null, crashed: null}
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

import fcntl
import json
import os
import pwd
import socket
import traceback
import uuid
from urllib.error import HTTPError, URLError

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import open_url

from ansible_collections.novaops.compute.plugins.module_utils import _health as health
from ansible_collections.novaops.compute.plugins.module_utils._virsh import (
    SHUTOFF,
    SHUTOFF_REASONS,
    VirshParseError,
    build_batch,
    parse_domstats_state,
    parse_name_list,
    split_batch,
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
KVM_GET_API_VERSION = 0xAE00
NOVA_API_MICROVERSION = "2.11"  # forced_down in os-services
VIRSH_COMMANDS = [["version"], ["list", "--all", "--name"], ["list", "--name"]]
CLOUDS_DIRS = ("~/.config/openstack", "/etc/openstack")


class Host:
    """Everything the module reads from the node itself, outside run_command.

    One small seam: unit tests replace it with a snapshot of a real node.
    """

    proc = "/proc"

    def _read(self, path, binary=False):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        return data if binary else data.decode("utf-8", "surrogateescape")

    def _link(self, path):
        try:
            return os.readlink(path)
        except OSError:
            return None

    def pids(self):
        return sorted(int(n) for n in os.listdir(self.proc) if n.isdigit())

    def process_entry(self, pid):
        base = "%s/%d/" % (self.proc, pid)
        return self._read(base + "stat"), self._read(base + "cmdline", binary=True), self._link(base + "ns/pid")

    def own_pid_ns(self):
        return self._link(self.proc + "/self/ns/pid")

    def fd_links(self, pid):
        base = "%s/%d/fd" % (self.proc, pid)
        try:
            names = os.listdir(base)
        except OSError:
            return {}
        links = {}
        for name in names:
            target = self._link(base + "/" + name)
            if target is not None:
                links[name] = target
        return links

    def net_tcp(self, pid):
        return [self._read("%s/%d/net/%s" % (self.proc, pid, n)) for n in ("tcp", "tcp6")]

    def cpuinfo(self):
        return self._read(self.proc + "/cpuinfo") or ""

    def kvm_modules(self):
        try:
            return sorted(n for n in os.listdir("/sys/module") if n == "kvm" or n.startswith("kvm_"))
        except OSError:
            return []

    def dev_kvm(self, path="/dev/kvm"):
        dev = {"path": path, "exists": os.path.exists(path), "usable": False, "api_version": None, "error": None}
        if not dev["exists"]:
            dev["error"] = "missing"
            return dev
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except OSError as exc:
            dev["error"] = "open read-write: %s" % exc.strerror
            return dev
        try:
            dev["api_version"] = fcntl.ioctl(fd, KVM_GET_API_VERSION)
        except OSError as exc:
            dev["error"] = "KVM_GET_API_VERSION: %s" % exc.strerror
        finally:
            os.close(fd)
        dev["usable"] = dev["api_version"] is not None and dev["api_version"] >= 12
        return dev

    def read_text(self, path):
        """(text, error); error is None on success."""
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace"), None
        except OSError as exc:
            return None, exc.strerror or str(exc)

    def exists(self, path):
        return os.path.exists(path)

    def mtime(self, path):
        try:
            return os.stat(path).st_mtime
        except OSError:
            return None

    def process_started(self, pid):
        """When PID started (seconds since the epoch), from /proc/PID/stat and /proc/stat's btime."""
        stat = self._read("%s/%d/stat" % (self.proc, pid))
        boot = self._read(self.proc + "/stat")
        if stat is None or boot is None:
            return None
        return health.process_start_time(stat, boot, os.sysconf("SC_CLK_TCK"))

    def hostname(self):
        return socket.gethostname()

    def resolve(self, host, port):
        """(sorted addresses, error)."""
        try:
            infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, socket.herror, UnicodeError) as exc:
            return [], to_native(exc)
        return sorted({health.normalize_ip(info[4][0]) for info in infos}), None


# ---------------------------------------------------------------------------
# gathering (glue): each returns plain data for the judges in _health
# ---------------------------------------------------------------------------

def read_nova_conf(host, path):
    info = {"path": path, "exists": host.exists(path), "readable": False, "error": None}
    text, error = host.read_text(path)
    if text is None:
        info["error"] = error
        return info, {}
    info["readable"] = True
    return info, health.parse_ini(text)


def read_processes(host):
    entries = [host.process_entry(pid) for pid in host.pids()]
    return health.process_table([e for e in entries if e[0] is not None], host.own_pid_ns())


def systemctl_show(module, units):
    """({Id: props}, None) or (None, why systemd could not be asked).

    Not wrapped in timeout(1): systemctl bounds its own D-Bus calls.
    """
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return None, "systemctl not found"
    rc, out, err = module.run_command(health.systemctl_show_argv(systemctl, units))
    if rc != 0:
        return None, health.first_line(err) or "systemctl show: rc=%s" % rc
    try:
        return health.parse_systemctl_show(out), None
    except health.HealthParseError as exc:
        return None, to_native(exc)


def _bounded(module, argv, timeout):
    tmo = module.get_bin_path("timeout")
    return ([tmo, "-k", "5", str(timeout)] + argv) if tmo else argv


def ask_libvirt(module, uri, timeout):
    virsh = module.get_bin_path("virsh")
    if not virsh:
        return {"answered": False, "missing_binary": True}
    token = uuid.uuid4().hex
    argv = _bounded(module, [virsh, "-c", uri, build_batch(VIRSH_COMMANDS, token)], timeout)
    rc, out, err = module.run_command(argv)
    result = {"answered": False, "rc": rc, "stderr": err, "timeout": timeout,
              "timed_out": argv[0] != virsh and rc in (124, 137)}
    try:
        version_text, defined, active = split_batch(out, token, len(VIRSH_COMMANDS))
        version = health.parse_virsh_version(version_text)
    except (VirshParseError, health.HealthParseError):
        return result
    result.update(answered=True, version=version, defined=parse_name_list(defined),
                  active=parse_name_list(active))
    return result


def ask_crashed(module, uri, timeout, inactive):
    """Names of the inactive domains libvirt shows shut off because their QEMU died (reason crashed)."""
    if not inactive:
        return []
    virsh = module.get_bin_path("virsh")
    rc, out, err = module.run_command(
        _bounded(module, [virsh, "-c", uri, "domstats", "--state", "--list-shutoff"], timeout))
    if rc != 0:
        return []
    try:
        states = parse_domstats_state(out)
    except VirshParseError:
        return []
    return sorted(name for name, st in states.items()
                  if name in inactive and st.get("state") == SHUTOFF
                  and SHUTOFF_REASONS.get(st.get("reason")) == "crashed")


def read_connections(module, host, processes):
    """(connections, source) of the given processes."""
    ss = module.get_bin_path("ss")
    if ss:
        rc, out, err = module.run_command([ss, "-tnpH"])
        if rc == 0:
            try:
                return health.parse_ss(out), "ss"
            except health.HealthParseError:
                pass
    conns = []
    for proc in processes:
        try:
            conns.extend(health.proc_connections(proc["pid"], proc["name"], host.net_tcp(proc["pid"]),
                                                 host.fd_links(proc["pid"])))
        except health.HealthParseError:
            continue
    return conns, "/proc"


def bus_evidence(module, host, conf, nova_conf, processes):
    """The message-bus evidence of nova-compute; the URL's password never leaves parse_transport_url."""
    if not nova_conf["readable"]:
        return {"error": "cannot read %s: %s" % (nova_conf["path"], nova_conf["error"])}
    # Unset, oslo.messaging uses rabbit:// (guest@localhost:5672), and so do we.
    url = health.conf_get(conf, "DEFAULT", "transport_url", health.DEFAULT_TRANSPORT_URL)
    try:
        parsed = health.parse_transport_url(url)
    except health.HealthParseError as exc:
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
        "connections": health.broker_connections(conns, brokers, [p["pid"] for p in processes]),
        "source": source,
    }


# ---------------------------------------------------------------------------
# control plane
# ---------------------------------------------------------------------------

def find_clouds_files(host):
    names = []
    env = os.environ.get("OS_CLIENT_CONFIG_FILE")
    if env:
        names.append(env)
    names.append(os.path.join(os.getcwd(), "clouds.yaml"))
    home = os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir
    names.extend(os.path.join(d.replace("~", home, 1), "clouds.yaml") for d in CLOUDS_DIRS)
    clouds = next((n for n in names if host.exists(n)), None)
    secure_names = [os.path.join(os.path.dirname(clouds), "secure.yaml")] if clouds else []
    secure = next((n for n in secure_names if host.exists(n)), None)
    return clouds, secure


def control_plane_settings(module, host):
    """Credentials for the control_plane layer, or None when none are given."""
    params = module.params
    settings = {}
    if params["cloud"]:
        if not HAS_YAML:
            module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)
        clouds_file, secure_file = find_clouds_files(host)
        if clouds_file is None:
            module.fail_json(msg="cloud=%s given but no clouds.yaml found on the node" % params["cloud"])
        docs = []
        for path in (clouds_file, secure_file):
            text, error = host.read_text(path) if path else (None, None)
            if error:
                module.fail_json(msg="cannot read %s: %s" % (path, error))
            try:
                docs.append(yaml.safe_load(text) if text else None)
            except yaml.YAMLError as exc:
                module.fail_json(msg="cannot parse %s: %s" % (path, to_native(exc)))
        try:
            settings = health.cloud_settings(docs[0], params["cloud"], docs[1])
        except KeyError as exc:
            module.fail_json(msg="%s (%s)" % (exc.args[0], clouds_file))
        if settings.get("auth_type") not in (None, "password", "v3password", "v3applicationcredential"):
            module.fail_json(msg="cloud %s uses auth_type %s; supported: password, v3applicationcredential" % (
                params["cloud"], settings["auth_type"]))
    for key in ("auth_url", "username", "password", "project_name", "user_domain_name", "project_domain_name",
                "region_name", "interface"):
        if params[key] is not None:
            settings[key] = params[key]
    if params["validate_certs"] is not None:
        settings["verify"] = params["validate_certs"]
    if params["ca_cert"] is not None:
        settings["cacert"] = params["ca_cert"]
    if not settings.get("auth_url"):
        if params["cloud"] or params["username"] or params["password"]:
            module.fail_json(msg="auth_url is required for the control_plane layer (give auth_url or a cloud "
                                 "that has auth.auth_url)")
        return None
    if not settings.get("password") and not settings.get("application_credential_secret"):
        module.fail_json(msg="auth_url needs a password (or a cloud with an application credential)")
    if settings.get("password") and not (settings.get("username") or settings.get("user_id")):
        module.fail_json(msg="auth_url with password needs username")
    return settings


def _http(settings, url, timeout, method="GET", data=None, headers=None):
    """(status, headers, body text); HTTP errors are returned, not raised."""
    headers = dict(headers or {}, Accept="application/json")
    if data is not None:
        headers["Content-Type"] = "application/json"
    verify = settings.get("verify", True)
    if isinstance(verify, str):
        verify = verify.lower() not in ("false", "no", "0")
    try:
        resp = open_url(url, method=method, data=data, headers=headers, timeout=timeout,
                        validate_certs=verify, ca_path=settings.get("cacert"), follow_redirects="safe")
        return resp.getcode(), resp.headers, to_text(resp.read(), errors="surrogate_or_strict")
    except HTTPError as exc:
        body = exc.read() if hasattr(exc, "read") else b""
        return exc.code, exc.headers, to_text(body or b"", errors="surrogate_or_strict")


def ask_control_plane(settings, host_name, timeout):
    """(services, error, endpoint) from keystone + GET /os-services."""
    body = json.dumps(health.keystone_auth_body(settings))
    try:
        status, headers, text = _http(settings, health.tokens_url(settings["auth_url"]), timeout, "POST", body)
        if status != 201:
            return None, "keystone: %s" % health.api_error_message(status, text), None
        token = headers.get("X-Subject-Token")
        endpoint = health.find_endpoint(json.loads(text), "compute", settings.get("interface") or "public",
                                        settings.get("region_name"))
        status, _headers, text = _http(settings, health.services_url(endpoint, host_name), timeout, headers={
            "X-Auth-Token": token,
            "OpenStack-API-Version": "compute %s" % NOVA_API_MICROVERSION,
            "X-OpenStack-Nova-API-Version": NOVA_API_MICROVERSION,
        })
        if status != 200:
            return None, "Compute API: %s" % health.api_error_message(status, text), endpoint
        return health.parse_os_services(json.loads(text), host_name), None, endpoint
    except LookupError as exc:
        return None, "keystone catalog: %s" % to_native(exc), None
    except (URLError, OSError, ValueError, health.HealthParseError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return None, to_native(reason), None


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def check_node(module, host, cp_settings):
    params = module.params
    timeout = params["timeout"]
    service = health.unit_name(params["service"])

    nova_conf, conf = read_nova_conf(host, params["nova_conf"])
    virt_type = health.conf_get(conf, "libvirt", "virt_type", "kvm") if nova_conf["readable"] else None

    lv_units = [health.unit_name(u) for u in params["libvirt_services"] or []]
    asked = [service] + (lv_units or list(health.MONOLITHIC_UNITS + health.MODULAR_UNITS))
    units, systemd_error = systemctl_show(module, asked)
    if units is not None:
        lv_units = lv_units or health.choose_libvirt_units(units)
        lv_unit_props = {u: units.get(u, {"Id": u}) for u in lv_units}
        nova_unit = units.get(service, {"Id": service})
    else:
        lv_unit_props = nova_unit = None

    # libvirt first, then /proc, so a guest started meanwhile is at worst
    # "unknown"; a domain that stopped meanwhile is rechecked once.
    local = health.is_local_uri(params["uri"])
    for attempt in range(2):
        virsh = ask_libvirt(module, params["uri"], timeout)
        table = read_processes(host)
        qemu = health.qemu_processes(table)
        active = virsh.get("active") if virsh.get("answered") and local else None
        names = {g["name"] for g in qemu["guests"]}
        if active is None or not set(active) - names:
            break

    daemons = [{"pid": p["pid"], "name": health.command_name(p)}
               for p in health.find_processes(table, health.LIBVIRT_DAEMONS)]
    layers = {}
    layers["kvm"] = health.judge_kvm(host.dev_kvm(), virt_type, health.parse_cpu_virt_flag(host.cpuinfo()),
                                     host.kvm_modules(), health.guests_by_accel(qemu))
    reason = None
    if not local:
        reason = "the URI %s is remote" % params["uri"]
    elif not virsh.get("answered"):
        reason = "libvirt does not answer"
    crashed = None
    if active is not None:
        inactive = set(virsh.get("defined") or []) - set(active)
        crashed = ask_crashed(module, params["uri"], timeout, inactive)
    layers["qemu"] = health.judge_qemu(qemu, active, reason, crashed)
    layers["libvirt"] = health.judge_libvirt(params["uri"], virsh, lv_unit_props, daemons)
    if lv_unit_props is None:
        layers["libvirt"]["evidence"]["systemd"] = systemd_error

    processes = health.service_processes(table, nova_unit, health.NOVA_COMPUTE_COMMAND)
    bus = bus_evidence(module, host, conf, nova_conf, processes)
    # a nova.conf newer than the running nova-compute: a change not in effect yet
    times = {"nova_conf_changed": host.mtime(params["nova_conf"]),
             "started": host.process_started(processes[0]["pid"]) if processes else None}
    layers["nova_compute"] = health.judge_nova_compute(service, nova_unit, processes, nova_conf, bus, times)
    layers["nova_compute"]["evidence"]["source"] = bus.get("source")
    if nova_unit is None:
        layers["nova_compute"]["evidence"]["systemd"] = systemd_error

    host_name = params["host"] or health.conf_get(conf, "DEFAULT", "host") or host.hostname()
    if cp_settings is None:
        layers["control_plane"] = health.judge_control_plane(host_name)
    else:
        services, error, endpoint = ask_control_plane(cp_settings, host_name, timeout)
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
            auth_url=dict(type="str"),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            project_name=dict(type="str"),
            user_domain_name=dict(type="str"),
            project_domain_name=dict(type="str"),
            region_name=dict(type="str"),
            interface=dict(type="str", choices=["public", "internal", "admin"]),
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
        diagnosis = health.diagnose(layers, health.unit_name(params["service"]))
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
