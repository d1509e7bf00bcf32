"""Tests for plugins/module_utils/_health.py (the judges and the diagnosis) over
real captured outputs.

Fixtures (tests/unit/fixtures/health/, see the VERSIONS.txt in each folder):

- host/       this sandbox: no systemd (PID 1 is not systemd), libvirtd started
              by hand, three guests (KVM, TCG, a paused one named with a comma
              and a space), a loopback "broker" and a "nova-compute" client
              holding IPv4, IPv6 and v4-mapped connections, a zombie QEMU, a
              hung libvirt socket (tools/capture-fixtures/health/capture-host.sh)
- bed/        the Molecule bed: compute1 with nova-compute active and connected
              to RabbitMQ on controller, keystone's token and the Compute API's
              os-services answers (capture-bed.sh, read-only)
- container/  a systemd container with Debian's nova-compute, libvirt and a
              loopback RabbitMQ, walked through faults (capture-container.sh)

NAME.txt is stdout byte for byte, NAME.json its argv, rc and stderr;
proc.json a snapshot of what the module reads under /proc. The judges' inputs
are built with the same parsers the module uses (_proc, _systemd, _ss,
_virsh, _compute_api, and nova.conf's _oslo_ini and _urls).
"""

import json

import pytest

from ansible_collections.novaops.compute.plugins.module_utils import _compute_api as api
from ansible_collections.novaops.compute.plugins.module_utils import _health as h
from ansible_collections.novaops.compute.plugins.module_utils import _proc as proc
from ansible_collections.novaops.compute.plugins.module_utils import _ss as ss
from ansible_collections.novaops.compute.plugins.module_utils import _systemd as systemd
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import conf_get, parse_ini
from ansible_collections.novaops.compute.plugins.module_utils._urls import UrlError, parse_transport_url
from ansible_collections.novaops.compute.plugins.module_utils._virsh import parse_name_list, parse_virsh_version, split_batch
from health_captures import container, meta, stdout, table, text


SCENARIOS = ("activating-connected", "broker-down", "libvirt-down", "nova-stopped", "nova-crashloop", "nova-failed")
TOKEN = "fixture0"
DEFAULT_TRANSPORT_URL = "rabbit://"  # oslo.messaging's default


def virsh_pieces(*where):
    return split_batch(stdout(*where, "virsh-batch"), TOKEN, 3)


# ---------------------------------------------------------------------------
# nova.conf and transport_url: the inputs of the nova_compute judge
# (parsed by _oslo_ini and _urls)
# ---------------------------------------------------------------------------

def test_parse_ini_bed_nova_conf():
    conf = parse_ini(text("bed", "nova.conf"))
    assert conf["DEFAULT"]["transport_url"] == "rabbit://nova:test-only-rabbit-pw@controller:5672/"
    assert conf["libvirt"]["virt_type"] == "kvm"
    assert conf["vnc"]["server_proxyclient_address"] == "10.89.77.11"
    assert conf_get(conf, "DEFAULT", "host") is None
    assert conf_get(conf, "DEFAULT", "host", "compute1") == "compute1"


@pytest.mark.parametrize(
    "url, hosts, vhost, masked",
    [
        # real nova.conf values (bed, host capture, container capture)
        ("rabbit://nova:test-only-rabbit-pw@controller:5672/",
         [("controller", 5672, "nova")], "", "rabbit://nova:********@controller:5672/"),
        ("rabbit://nova:novaops-capture-secret@localhost:5672,nova:novaops-capture-secret@127.0.0.2:5672/",
         [("localhost", 5672, "nova"), ("127.0.0.2", 5672, "nova")], "",
         "rabbit://nova:********@localhost:5672,nova:********@127.0.0.2:5672/"),
        # oslo.messaging's default: kombu's localhost:5672
        ("rabbit://", [("localhost", 5672, None)], "", "rabbit://"),
        ("rabbit://u:s3cr3t-1@h1,u:s3cr3t-2@h2:5671/nova?ssl=1",
         [("h1", 5672, "u"), ("h2", 5671, "u")], "nova", "rabbit://u:********@h1,u:********@h2:5671/nova?ssl=1"),
        ("rabbit://u:s3cr3t@[fd00::10]:5672,u:s3cr3t@[fd00::11]/",
         [("fd00::10", 5672, "u"), ("fd00::11", 5672, "u")], "",
         "rabbit://u:********@[fd00::10]:5672,u:********@[fd00::11]/"),
        ("amqp://guest@broker.example.org:5673//", [("broker.example.org", 5673, "guest")], "/",
         "amqp://guest@broker.example.org:5673//"),
        # a password with an encoded @ and a raw ':' in it
        ("rabbit://nova:p%40ss:word@ctl:5672/", [("ctl", 5672, "nova")], "", "rabbit://nova:********@ctl:5672/"),
    ],
)
def test_parse_transport_url(url, hosts, vhost, masked):
    parsed = parse_transport_url(url)
    assert [(x["host"], x["port"], x["username"]) for x in parsed["hosts"]] == hosts
    assert parsed["virtual_host"] == vhost
    assert parsed["masked"] == masked
    for secret in parsed["passwords"]:
        assert secret not in parsed["masked"]
        assert secret not in json.dumps(parsed["hosts"])


def test_parse_transport_url_lists_every_password_spelling():
    parsed = parse_transport_url("rabbit://nova:p%40ss@ctl:5672/")
    assert parsed["passwords"] == ["p%40ss", "p@ss"]


@pytest.mark.parametrize("url", ["", "   ", "controller:5672", "rabbit://u:p@h1,,u:p@h2/", "rabbit://h:99999/",
                                 "rabbit://h:port/"])
def test_parse_transport_url_rejects(url):
    with pytest.raises(UrlError):
        parse_transport_url(url)


@pytest.mark.parametrize("where", ["bed", "host", container("activating-connected")])
def test_transport_url_of_every_captured_nova_conf(where):
    conf = parse_ini(text(where, "nova.conf"))
    parsed = parse_transport_url(conf["DEFAULT"]["transport_url"])
    assert parsed["hosts"]
    assert "********" in parsed["masked"]


def dev_kvm():
    dev = json.loads(text("host", "dev-kvm.json"))
    dev.pop("kernel_modules")
    return dev


MISSING = {"path": "/dev/kvm", "exists": False, "usable": False, "api_version": None, "error": "missing"}


@pytest.mark.parametrize(
    "dev, virt_type, status, code",
    [
        ("host", "kvm", "ok", "kvm_usable"),
        ("host", None, "ok", "kvm_usable"),
        ("host", "qemu", "ok", "tcg_by_choice"),
        (MISSING, "qemu", "ok", "tcg"),
        (MISSING, "kvm", "failed", "kvm_unusable"),
        (MISSING, None, "warning", "kvm_unusable_virt_type_unknown"),
        (MISSING, "lxc", "skipped", "other_virt_type"),
    ],
)
def test_judge_kvm(dev, virt_type, status, code):
    dev = dev_kvm() if dev == "host" else dev
    lay = h.judge_kvm(dev, virt_type, None, ["kvm", "kvm_pvm"], {"kvm": 1, "tcg": 4})
    assert (lay["name"], lay["status"], lay["code"]) == ("kvm", status, code)
    assert lay["evidence"]["guests_by_accel"] == {"kvm": 1, "tcg": 4}
    assert lay["evidence"]["kernel_modules"] == ["kvm", "kvm_pvm"]


def test_judge_kvm_summary_of_the_host():
    lay = h.judge_kvm(dev_kvm(), "kvm")
    assert lay["summary"] == "/dev/kvm usable (KVM API 12)"


def test_judge_kvm_permission_denied():
    """/dev/kvm opened by an unprivileged user (crw------- root)."""
    dev = json.loads(text("host", "dev-kvm-nobody.json"))
    modules = dev.pop("kernel_modules")
    lay = h.judge_kvm(dev, "kvm", None, modules)
    assert (lay["status"], lay["code"]) == ("failed", "kvm_unusable")
    assert lay["summary"] == "virt_type = kvm but /dev/kvm is not usable (open read-write: Permission denied)"
    diag = h.diagnose({"kvm": lay})
    assert diag["action"].startswith("check /dev/kvm's permissions and the kernel log")


def test_judge_qemu_host_all_present():
    qemu = proc.qemu_processes(table("host"))
    active = parse_name_list(virsh_pieces("host")[2])
    lay = h.judge_qemu(qemu, active)
    assert (lay["status"], lay["code"]) == ("ok", "all_present")
    assert lay["summary"] == "5 qemu processes, one per active domain"
    assert lay["evidence"]["missing"] == [] and lay["evidence"]["unknown"] == []


def test_judge_qemu_missing_and_unknown():
    qemu = proc.qemu_processes(table("host"))
    lay = h.judge_qemu(qemu, ["novaops-health-kvm", "instance-gone"])
    assert (lay["status"], lay["code"]) == ("failed", "qemu_missing")
    assert lay["evidence"]["missing"] == ["instance-gone"]
    assert lay["summary"] == "libvirt lists instance-gone as active but no qemu process runs for it"
    lay = h.judge_qemu(qemu, parse_name_list(virsh_pieces("host")[2])[1:])
    assert (lay["status"], lay["code"]) == ("warning", "qemu_unknown")
    assert lay["evidence"]["unknown"] == [{"name": "novaops-fx-vnc", "pids": [13924]}]


def test_judge_qemu_not_compared_keeps_the_guests():
    qemu = proc.qemu_processes(table(container("libvirt-down")))
    lay = h.judge_qemu(qemu, None, "libvirt does not answer")
    assert (lay["status"], lay["code"]) == ("ok", "not_compared")
    assert [p["name"] for p in lay["evidence"]["processes"]] == ["novaops-health-c1"]
    assert lay["summary"].startswith("1 qemu process running (guests alive)")


def test_judge_qemu_crashed_domain_fails_the_layer():
    qemu = proc.qemu_processes(table("bed"))
    lay = h.judge_qemu(qemu, [], crashed=["instance-0000002a"])
    assert (lay["status"], lay["code"]) == ("failed", "qemu_crashed")
    assert lay["evidence"]["crashed"] == ["instance-0000002a"]
    diagnosis = h.diagnose({"qemu": lay})
    assert diagnosis["failed_layer"] == "qemu"
    assert "instance-0000002a is down" in diagnosis["explanation"]
    assert "/var/log/libvirt/qemu/instance-0000002a.log" in diagnosis["action"]
    # not compared (libvirt silent): nothing is called crashed
    assert h.judge_qemu(qemu, None, "libvirt does not answer")["evidence"]["crashed"] is None


def test_judge_qemu_crashed_nova_instance_is_named_and_started_through_nova():
    qemu = proc.qemu_processes(table("bed"))
    server = {"uuid": "77cb0890-0dbb-49fd-8dc4-e185f3c20b84", "name": "bed-vm-2"}
    lay = h.judge_qemu(qemu, [], crashed=["instance-00000002"],
                       servers={"instance-00000002": server, "instance-00000009": server})
    assert lay["evidence"]["servers"] == {"instance-00000002": server}  # only the crashed or missing ones
    diagnosis = h.diagnose({"qemu": lay})
    assert "instance-00000002 (Nova server bed-vm-2, %s) is down" % server["uuid"] in diagnosis["explanation"]
    # not virsh start: Nova's power-state sync would stop it again
    assert "openstack server start %s (not virsh start" % server["uuid"] in diagnosis["action"]


def test_judge_qemu_no_guests():
    lay = h.judge_qemu(proc.qemu_processes(table("bed")), [])
    assert (lay["status"], lay["code"]) == ("ok", "no_guests")


def virsh_result(*where, name="virsh-batch"):
    m = meta(*where, name)
    out = stdout(*where, name)
    result = {"answered": False, "rc": m["rc"], "stderr": m["stderr"], "timeout": 10, "timed_out": m["rc"] == 124}
    try:
        version, defined, active = split_batch(out, TOKEN, 3)
    except ValueError:
        return result
    result.update(answered=True, version=parse_virsh_version(version), defined=parse_name_list(defined),
                  active=parse_name_list(active))
    return result


def units_of(where, names):
    units = systemd.parse_systemctl_show(stdout(where, "systemctl-show-auto"))
    return {n: units[n] for n in names}


@pytest.mark.parametrize(
    "where, name, units, daemons, status, code",
    [
        ("bed", "virsh-batch", systemd.MONOLITHIC_UNITS, [], "ok", "answering"),
        ("host", "virsh-batch", None, [{"pid": 28634, "name": "libvirtd"}], "ok", "answering"),
        ("host", "virsh-batch-hung", None, [{"pid": 28634, "name": "libvirtd"}], "failed", "timeout"),
        ("host", "virsh-batch-no-daemon", None, [], "failed", "down"),
        ("host", "virsh-batch-no-daemon", None, [{"pid": 28634, "name": "libvirtd"}], "failed", "not_answering"),
        (container("libvirt-down"), "virsh-batch", systemd.MONOLITHIC_UNITS, [], "failed", "down"),
        (container("libvirt-down"), "virsh-batch", systemd.MODULAR_UNITS, [], "failed", "not_installed"),
        (container("nova-stopped"), "virsh-batch", systemd.MONOLITHIC_UNITS, [], "ok", "answering"),
    ],
)
def test_judge_libvirt(where, name, units, daemons, status, code):
    unit_props = units_of(where, units) if units is not None else None
    lay = h.judge_libvirt("qemu:///system", virsh_result(where, name=name), unit_props, daemons)
    assert (lay["status"], lay["code"]) == (status, code)
    if status == "failed":
        assert "rc" in lay["evidence"]


def test_judge_libvirt_summary_and_evidence():
    lay = h.judge_libvirt("qemu:///system", virsh_result(container("libvirt-down")),
                          units_of(container("libvirt-down"), systemd.MONOLITHIC_UNITS))
    assert lay["summary"] == "libvirtd.service and libvirtd.socket inactive; virsh -c qemu:///system does not answer"
    assert lay["evidence"]["stderr"].startswith("error: failed to connect to the hypervisor")
    lay = h.judge_libvirt("qemu:///system", virsh_result("bed"), units_of("bed", systemd.MONOLITHIC_UNITS))
    assert lay["summary"] == ("libvirt answers on qemu:///system (libvirt 9.0.0, QEMU 7.2.22); "
                              "0 of 0 domains active")
    assert lay["evidence"]["units"]["libvirtd.socket"]["ActiveState"] == "active"


def test_judge_libvirt_failed_unit_and_missing_virsh():
    units = {"libvirtd.service": {"Id": "libvirtd.service", "LoadState": "loaded", "ActiveState": "failed",
                                  "Result": "core-dump"},
             "libvirtd.socket": {"Id": "libvirtd.socket", "LoadState": "loaded", "ActiveState": "active"}}
    lay = h.judge_libvirt("qemu:///system", virsh_result("host", name="virsh-batch-no-daemon"), units)
    assert (lay["code"], lay["summary"]) == (
        "unit_failed", "libvirtd.service failed (Result=core-dump); virsh -c qemu:///system does not answer")
    lay = h.judge_libvirt("qemu:///system", {"answered": False, "missing_binary": True})
    assert (lay["status"], lay["code"]) == ("failed", "virsh_missing")


def nova_layer(where, resolved, unit=True, conf_text=None, source="ss", times=None):
    """The nova_compute layer from one capture, as the module builds it."""
    units = systemd.parse_systemctl_show(stdout(where, "systemctl-show-auto"))
    props = units.get("nova-compute.service") if unit else None
    processes = proc.service_processes(table(where), props, "nova-compute")
    pids = [p["pid"] for p in processes]
    conf = parse_ini(conf_text if conf_text is not None else text(where, "nova.conf"))
    parsed = parse_transport_url(conf_get(conf, "DEFAULT", "transport_url", DEFAULT_TRANSPORT_URL))
    brokers = [dict(b, addresses=resolved.get(b["host"], []), error=None) for b in parsed["hosts"]]
    bus = {"transport_url": parsed["masked"], "brokers": brokers, "source": source,
           "connections": ss.broker_connections(ss.parse_ss(stdout(where, "ss")), brokers, pids)}
    nova_conf = {"path": "/etc/nova/nova.conf", "exists": True, "readable": True, "error": None}
    return h.judge_nova_compute("nova-compute.service", props, processes, nova_conf, bus, times)


LOOPBACK = {"localhost": ["127.0.0.1", "::1"], "127.0.0.2": ["127.0.0.2"]}


@pytest.mark.parametrize(
    "where, status, code, connected",
    [
        ("bed", "ok", "connected", True),
        (container("activating-connected"), "failed", "activating", True),
        (container("broker-down"), "failed", "activating", False),
        (container("nova-stopped"), "failed", "not_running", False),
        (container("nova-crashloop"), "failed", "restarting", False),
        (container("nova-failed"), "failed", "unit_failed", False),
    ],
)
def test_judge_nova_compute_scenarios(where, status, code, connected):
    lay = nova_layer(where, dict(LOOPBACK, controller=["10.89.77.10"]))
    assert (lay["status"], lay["code"], lay["evidence"]["connected"]) == (status, code, connected)
    for secret in ("test-only-rabbit-pw", "novaops-capture-secret"):
        assert secret not in json.dumps(lay)


def test_nova_conf_newer_than_the_running_nova_compute_is_a_warning():
    started = 1795544459.5  # 2026-11-24T18:20:59Z
    resolved = {"controller": ["10.89.77.10"]}
    lay = nova_layer("bed", resolved, times={"nova_conf_changed": started + 600, "started": started})
    assert (lay["status"], lay["code"]) == ("warning", "restart_pending")
    assert lay["evidence"]["started"] == "2026-11-24T18:20:59Z"
    assert lay["evidence"]["nova_conf_changed"] == "2026-11-24T18:30:59Z"
    assert lay["summary"].endswith("but /etc/nova/nova.conf changed at 2026-11-24T18:30:59Z, after it started "
                                   "(2026-11-24T18:20:59Z): the change is not in effect")
    diagnosis = h.diagnose({"nova_compute": lay})
    assert diagnosis["failed_layer"] is None and diagnosis["warnings"] == ["nova_compute"]
    assert "takes effect at the next restart" in diagnosis["explanation"]
    assert diagnosis["action"] == ("review the change (a hand edit?), then re-apply the managed configuration, "
                                   "which restarts nova-compute only if needed")
    # written in the second it started (btime has whole seconds), or before: fine
    for changed in (started + 1.5, started - 3600):
        lay = nova_layer("bed", resolved, times={"nova_conf_changed": changed, "started": started})
        assert (lay["status"], lay["code"]) == ("ok", "connected")
    # unknown times: not judged
    assert nova_layer("bed", resolved, times={"nova_conf_changed": None, "started": started})["code"] == "connected"


def test_judge_nova_compute_summaries():
    lay = nova_layer("bed", {"controller": ["10.89.77.10"]})
    assert lay["summary"] == "nova-compute.service running (pid 8524), connected to RabbitMQ at controller:5672"
    lay = nova_layer(container("activating-connected"), LOOPBACK)
    assert lay["summary"].endswith("connected to RabbitMQ at localhost:5672: waiting for nova-conductor")
    lay = nova_layer(container("broker-down"), LOOPBACK)
    assert lay["summary"].endswith("no connection to RabbitMQ at localhost:5672, 127.0.0.2:5672")


def test_judge_nova_compute_broken_config_real_states():
    """A typo in nova.conf: Debian's init-script wrapper exits 0 without READY=1: Result=protocol."""
    lay = nova_layer(container("nova-crashloop"), LOOPBACK)
    assert lay["summary"] == ("nova-compute.service exited without telling systemd it was ready "
                              "(Result=protocol, status 0); systemd restarts it (0 restarts so far)")
    assert lay["evidence"]["state"]["SubState"] == "auto-restart"
    assert lay["evidence"]["processes"] == []
    lay = nova_layer(container("nova-failed"), LOOPBACK)
    assert lay["summary"] == ("nova-compute.service failed: exited without telling systemd it was ready "
                              "(Result=protocol, status 0)")


def test_judge_nova_compute_restarted_after_start_timeouts():
    unit = {"Id": "nova-compute.service", "LoadState": "loaded", "ActiveState": "activating", "SubState": "start",
            "NRestarts": "3", "Result": "success"}
    conf = {"path": "/etc/nova/nova.conf", "exists": True, "readable": True, "error": None}
    bus = {"transport_url": "rabbit://", "connections": [],
           "brokers": [{"host": "localhost", "port": 5672, "addresses": ["127.0.0.1"], "error": None}]}
    lay = h.judge_nova_compute("nova-compute.service", unit, [{"pid": 9, "name": "nova-compute"}], conf, bus)
    assert (lay["code"], lay["summary"]) == (
        "restarting", "nova-compute.service starting again after 3 restarts, no message-bus connection")


def test_judge_nova_compute_running_without_bus_connection():
    # the bed's active nova-compute, if the broker were elsewhere: active but not connected
    lay = nova_layer("bed", {"controller": ["10.89.77.99"]})
    assert (lay["status"], lay["code"]) == ("failed", "no_bus_connection")
    assert lay["summary"] == "running but has no message-bus connection (RabbitMQ at controller:5672)"


def test_judge_nova_compute_without_systemd():
    lay = nova_layer("host", LOOPBACK, unit=False)
    assert (lay["status"], lay["code"]) == ("ok", "connected")
    assert lay["summary"].startswith("nova-compute running (pid 14467), connected to RabbitMQ at localhost:")
    missing = {"path": "/etc/nova/nova.conf", "exists": False, "readable": False, "error": "No such file or directory"}
    lay = h.judge_nova_compute("nova-compute.service", None, [], missing, {"error": "cannot read"})
    assert (lay["code"], lay["status"]) == ("not_installed", "failed")
    lay = h.judge_nova_compute("nova-compute.service", None, [], dict(missing, exists=True), None)
    assert lay["code"] == "not_running"


def test_judge_nova_compute_unreadable_conf_is_a_warning():
    unit = systemd.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))["nova-compute.service"]
    conf = {"path": "/etc/nova/nova.conf", "exists": True, "readable": False, "error": "Permission denied"}
    lay = h.judge_nova_compute("nova-compute.service", unit, [{"pid": 8524, "name": "nova-compute"}], conf,
                               {"error": "cannot read /etc/nova/nova.conf: Permission denied"})
    assert (lay["status"], lay["code"], lay["evidence"]["connected"]) == ("warning", "bus_unknown", None)
    assert lay["summary"].endswith("not judged: cannot read /etc/nova/nova.conf: Permission denied")


def test_judge_nova_compute_not_installed_unit():
    unit = systemd.parse_systemctl_show(stdout("bed", "systemctl-show-auto"))["virtqemud.service"]
    lay = h.judge_nova_compute("virtqemud.service", unit, [], {"path": "x", "readable": False}, None)
    assert (lay["code"], lay["summary"]) == ("not_installed", "virtqemud.service is not installed here (LoadState=not-found)")


def answer(name):
    return json.loads(text("bed", "api.json"))["requests"][name]


def test_judge_control_plane_bed():
    services = api.parse_os_services(json.loads(answer("services_compute1")["body"]), "compute1")
    lay = h.judge_control_plane("compute1", services, endpoint="http://controller:8774/v2.1")
    assert (lay["status"], lay["code"]) == ("ok", "up")
    assert lay["evidence"]["service"] == {
        "id": 5, "host": "compute1", "zone": "nova", "state": "up", "status": "enabled",
        "updated_at": "2026-11-24T15:19:42.000000", "disabled_reason": None, "forced_down": False}


@pytest.mark.parametrize(
    "change, status, code",
    [
        # the real entry with the field an outage or an operator changes
        ({"state": "down"}, "failed", "service_down"),
        ({"forced_down": True, "state": "down"}, "failed", "forced_down"),
        ({"status": "disabled", "disabled_reason": "maintenance"}, "warning", "service_disabled"),
        ({"status": "disabled", "disabled_reason": "AUTO: Connection to libvirt lost: 1"}, "failed",
         "service_disabled"),
    ],
)
def test_judge_control_plane_states(change, status, code):
    (svc,) = api.parse_os_services(json.loads(answer("services_compute1")["body"]), "compute1")
    lay = h.judge_control_plane("compute1", [dict(svc, **change)])
    assert (lay["status"], lay["code"]) == (status, code)


def test_judge_control_plane_unknown_host_skipped_and_error():
    services = api.parse_os_services(json.loads(answer("services_unknown_host")["body"]), "no-such-host")
    assert h.judge_control_plane("no-such-host", services)["code"] == "not_registered"
    lay = h.judge_control_plane("compute1")
    assert (lay["status"], lay["code"]) == ("skipped", "no_credentials")
    lay = h.judge_control_plane("compute1", error="keystone: HTTP 401: The request you have made requires authentication.")
    assert (lay["status"], lay["code"]) == ("warning", "api_error")


def ok(name):
    return h.layer(name, "ok", "fine", "fine", {})


def test_diagnose_healthy():
    layers = {n: ok(n) for n in h.LAYERS}
    layers["control_plane"] = h.judge_control_plane("compute1")
    diag = h.diagnose(layers)
    assert diag == {"failed_layer": None, "explanation": "every layer checked is healthy (skipped: control_plane)",
                    "action": None, "warnings": [], "guests_running": []}


def test_diagnose_names_the_lowest_failed_layer_and_keeps_the_guests():
    qemu = proc.qemu_processes(table(container("libvirt-down")))
    layers = {
        "kvm": h.judge_kvm(dev_kvm(), "kvm"),
        "qemu": h.judge_qemu(qemu, None, "libvirt does not answer"),
        "libvirt": h.judge_libvirt("qemu:///system", virsh_result(container("libvirt-down")),
                                   units_of(container("libvirt-down"), systemd.MONOLITHIC_UNITS)),
        "nova_compute": nova_layer(container("libvirt-down"), LOOPBACK),
        "control_plane": h.judge_control_plane("compute-capture"),
    }
    diag = h.diagnose(layers)
    assert diag["failed_layer"] == "libvirt"
    assert diag["action"] == ("start libvirt's sockets: systemctl start libvirtd.socket "
                              "(running guests are not affected)")
    assert diag["explanation"].endswith("(1 guest still running in qemu)")
    assert [g["name"] for g in diag["guests_running"]] == ["novaops-health-c1"]


@pytest.mark.parametrize(
    "where, action",
    [
        (container("nova-stopped"), "start nova-compute: systemctl start nova-compute (running guests are not affected)"),
        (container("broker-down"), "RabbitMQ at localhost:5672, 127.0.0.2:5672 unreachable from this node: "
                                   "check the broker and [DEFAULT] transport_url in nova.conf"),
        (container("activating-connected"), "check nova-conductor on the control plane (openstack compute service "
                                            "list; journalctl -u nova-conductor) and that it uses the same "
                                            "transport_url"),
        (container("nova-crashloop"), "journalctl -u nova-compute -n 50 and /var/log/nova/nova-compute.log show why "
                                      "it exits (often nova.conf); fix it, then systemctl restart nova-compute "
                                      "(running guests are not affected)"),
    ],
)
def test_diagnose_nova_compute_actions(where, action):
    layers = {n: ok(n) for n in h.LAYERS}
    layers["nova_compute"] = nova_layer(where, LOOPBACK)
    diag = h.diagnose(layers, "nova-compute.service")
    assert diag["failed_layer"] == "nova_compute"
    assert diag["action"] == action


def test_diagnose_no_bus_connection_action():
    layers = {n: ok(n) for n in h.LAYERS}
    layers["nova_compute"] = nova_layer("bed", {"controller": ["10.89.77.99"]})
    assert h.diagnose(layers)["action"] == (
        "RabbitMQ at controller:5672 unreachable from this node: check the broker and [DEFAULT] transport_url "
        "in nova.conf")


@pytest.mark.parametrize(
    "name, lay, needle",
    [
        ("kvm", h.judge_kvm(MISSING, "kvm", None, []), "modprobe kvm_intel or kvm_amd"),
        ("kvm", h.judge_kvm(MISSING, "kvm", "vmx", ["kvm", "kvm_intel"]), "are loaded but /dev/kvm is missing"),
        ("qemu", h.judge_qemu({"guests": [], "defunct": [], "other_namespaces": []}, ["instance-1"]),
         "/var/log/libvirt/qemu/instance-1.log"),
        ("libvirt", h.judge_libvirt("qemu:///system", {"answered": False, "timed_out": True, "timeout": 10},
                                    {"libvirtd.service": {"Id": "libvirtd.service", "LoadState": "loaded",
                                                          "ActiveState": "active"}}),
         "systemctl restart libvirtd.service"),
        ("libvirt", h.judge_libvirt("qemu:///system", {"answered": False, "rc": 1}, None, []), "libvirtd -d"),
        ("control_plane", h.judge_control_plane("compute1", []), "nova-manage cell_v2 discover_hosts"),
        ("control_plane", h.judge_control_plane("compute1", [{"state": "down", "status": "enabled"}]), "NTP"),
        ("control_plane", h.judge_control_plane("compute1", [{"state": "up", "status": "disabled",
                                                              "disabled_reason": "AUTO: libvirt lost"}]),
         "openstack compute service set --enable compute1 nova-compute"),
    ],
)
def test_diagnose_actions_per_layer(name, lay, needle):
    layers = {n: ok(n) for n in h.LAYERS}
    layers[name] = lay
    diag = h.diagnose(layers)
    assert diag["failed_layer"] == name
    assert needle in diag["action"]


def test_diagnose_warning_only():
    layers = {n: ok(n) for n in h.LAYERS}
    layers["control_plane"] = h.judge_control_plane("compute1", error="keystone: HTTP 401")
    diag = h.diagnose(layers)
    assert diag["failed_layer"] is None
    assert diag["warnings"] == ["control_plane"]
    assert diag["explanation"].startswith("no layer failed; warning on control_plane")
    assert diag["action"] == "check auth_url, the credentials and the region"
