"""Tests for the node_health_info module: main() against replayed real captures.

run_command answers each argv with what exactly that argv printed on a real
node (tests/unit/fixtures/health/*/NAME.{txt,json}); the Host seam (what the
module reads from /proc, /dev/kvm and files) is served from the proc.json
snapshot taken at the same moment; open_url replays the bed's real keystone
and Compute API answers. The tests prove the glue: the module runs the
captured command lines, wires the parsers and judges, and returns what the
same module returned when it ran for real on that node (module-runs/).
"""

import base64
import io
import json
import os
import types
from urllib.error import HTTPError, URLError

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novaops.compute.plugins.module_utils import _compute_api, _virsh
from ansible_collections.novaops.compute.plugins.modules import node_health_info as mod

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "health")
SCENARIOS = ("activating-connected", "broker-down", "libvirt-down", "nova-stopped", "nova-crashloop", "nova-failed")


def load(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as f:
        return f.read()


def module_run(name):
    return json.loads(load("module-runs", name + ".json"))


class Exit(Exception):
    def __init__(self, failed, result, module=None):
        super().__init__(result)
        self.failed = failed
        self.result = result
        self.module = module


class FakeHost:
    """The Host seam, answered from one capture folder."""

    def __init__(self, where, dev_kvm, kvm_modules, files, resolved, hostname):
        snap = json.loads(load(where, "proc.json"))
        self.snap = snap
        self.procs = {int(pid): p for pid, p in snap["procs"].items()}
        self.dev = dev_kvm
        self.modules = kvm_modules
        self.files = files
        self.resolved = resolved
        self.name = hostname
        # not captured: tests that need them set them
        self.mtimes = {}
        self.boot = None

    def pids(self):
        return sorted(self.procs)

    def process_entry(self, pid):
        p = self.procs[pid]
        return p["stat"], base64.b64decode(p["cmdline"]), p["ns_pid"]

    def own_pid_ns(self):
        return self.snap["self_ns_pid"]

    def fd_links(self, pid):
        return self.procs[pid].get("fd", {})

    def net_tcp(self, pid):
        p = self.procs[pid]
        return [p.get("net_tcp"), p.get("net_tcp6")]

    def cpuinfo(self):
        return self.snap["cpuinfo"]

    def kvm_modules(self):
        return self.modules

    def dev_kvm(self, path="/dev/kvm"):
        return dict(self.dev)

    def read_text(self, path):
        if path in self.files:
            return self.files[path], None
        return None, "No such file or directory"

    def exists(self, path):
        return path in self.files

    def mtime(self, path):
        return self.mtimes.get(path)

    def stat(self):
        return self.boot

    def clock_ticks(self):
        return 100

    def hostname(self):
        return self.name

    def resolve(self, host, port):
        return self.resolved.get(host, ([], "[Errno -2] Name or service not known"))


def captures(where):
    """{argv tuple: (rc, stdout, stderr)} of a capture folder."""
    by_argv = {}
    folder = os.path.join(FIXTURES, where)
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json") or not os.path.exists(os.path.join(folder, name[:-5] + ".txt")):
            continue
        meta = json.loads(load(where, name))
        by_argv[tuple(meta["argv"])] = (meta["rc"], load(where, name[:-5] + ".txt"), meta["stderr"])
    return by_argv


def resolved_controller():
    return sorted({line.split()[0] for line in load("bed", "resolve-controller.txt").splitlines() if line.strip()})


HOST_KVM = json.loads(load("host", "dev-kvm.json"))
HOST_DEV = {k: v for k, v in HOST_KVM.items() if k != "kernel_modules"}


def node(where):
    """FakeHost + captures for one capture folder."""
    if where == "host":
        conf = load("host", "nova.conf")
        return FakeHost("host", HOST_DEV, HOST_KVM["kernel_modules"], {"/etc/nova/nova.conf": conf},
                        {"localhost": (["127.0.0.1"], None), "127.0.0.2": (["127.0.0.2"], None)}, "vm")
    if where.startswith("bed"):
        # /dev/kvm was not captured on the bed: the host's device state stands in
        return FakeHost(where, HOST_DEV, HOST_KVM["kernel_modules"],
                        {"/etc/nova/nova.conf": load(where, "nova.conf")},
                        {"controller": (resolved_controller(), None)}, load(where, "hostname.txt").strip())
    # what the module itself read from the real device and resolver in that scenario
    real = module_run(where.split("/", 1)[1])["layers"]
    kvm = real["kvm"]["evidence"]
    dev = {k: kvm[k] for k in ("path", "exists", "usable", "api_version", "error")}
    resolved = {b["host"]: (b["addresses"], b["error"]) for b in real["nova_compute"]["evidence"]["brokers"]}
    return FakeHost(where, dev, kvm["kernel_modules"], {"/etc/nova/nova.conf": load(where, "nova.conf")},
                    resolved, "compute-capture")


@pytest.fixture
def fake(monkeypatch):
    """Replays run_command per argv and records the calls; select a node with .use(where)."""
    state = types.SimpleNamespace(calls=[], answers={}, host=None, bins=None, http=[], http_answers=None)

    def use(where):
        state.answers = captures(where)
        state.host = node(where)
        monkeypatch.setattr(mod, "Host", lambda: state.host)
        return state

    def run_command(self, args, **kwargs):
        assert isinstance(args, list), "argv list, never a shell string"
        assert self.run_command_environ_update == {"LANGUAGE": "C", "LC_ALL": "C"}
        state.calls.append(args)
        assert tuple(args) in state.answers, "no capture for %r" % (args,)
        return state.answers[tuple(args)]

    def get_bin_path(self, name, required=False, opt_dirs=None):
        if state.bins is not None and name not in state.bins:
            return None
        return "/usr/bin/" + name

    def exit_json(self, **kwargs):
        raise Exit(False, kwargs, self)

    def fail_json(self, **kwargs):
        raise Exit(True, kwargs, self)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(_virsh.uuid, "uuid4", lambda: types.SimpleNamespace(hex="fixture0"))
    state.use = use
    return state


def run(args):
    with patch_module_args(args):
        with pytest.raises(Exit) as info:
            mod.main()
    return info.value


def shape(result):
    """What a run concluded: per layer (status, code), the failed layer, the guests."""
    return {
        "layers": {name: (lay["status"], lay["code"]) for name, lay in result["layers"].items()},
        "failed_layer": result["diagnosis"]["failed_layer"],
        "guests": sorted(g["name"] for g in result["diagnosis"]["guests_running"]),
        "healthy": result["healthy"],
    }


# ---------------------------------------------------------------------------
# replays reach the conclusions of the real runs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", SCENARIOS)
def test_container_scenarios_conclude_like_the_real_run(fake, scenario):
    fake.use("container/" + scenario)
    out = run({})
    assert not out.failed
    assert shape(out.result) == shape(module_run(scenario))
    assert out.result["changed"] is False
    real = module_run(scenario)["layers"]
    for name in ("qemu", "libvirt", "nova_compute"):
        # (not the connection list: nova-compute may open one more between the capture and the real run)
        for key in ("processes", "connected", "brokers", "transport_url", "libvirt_active", "domains_active"):
            if key in real[name]["evidence"]:
                assert out.result["layers"][name]["evidence"][key] == real[name]["evidence"][key], (name, key)


def test_host_without_systemd_concludes_like_the_real_run(fake):
    fake.use("host")
    out = run({})
    real = module_run("host")
    assert shape(out.result) == shape(real)
    assert out.result["healthy"] is True
    nova = out.result["layers"]["nova_compute"]
    assert nova["evidence"]["state"] is None
    assert nova["evidence"]["systemd"].startswith("System has not been booted with systemd")
    assert nova["evidence"]["connections"] == real["layers"]["nova_compute"]["evidence"]["connections"]
    assert out.result["layers"]["libvirt"]["evidence"]["units"] is None


def test_command_lines_are_the_captured_ones(fake):
    fake.use("container/activating-connected")
    run({})
    assert [c[:2] for c in fake.calls] == [
        ["/usr/bin/systemctl", "show"], ["/usr/bin/timeout", "-k"], ["/usr/bin/ss", "-tnpH"]]


@pytest.mark.parametrize("check_mode", [False, True])
def test_check_mode_runs_the_same_reads(fake, check_mode):
    fake.use("container/nova-stopped")
    out = run({"_ansible_check_mode": check_mode})
    assert out.result["changed"] is False
    assert out.result["diagnosis"]["action"] == (
        "start nova-compute: systemctl start nova-compute (running guests are not affected)")
    assert len(fake.calls) == 3


def test_bed_healthy_with_the_compute_api(fake, monkeypatch):
    fake.use("bed")
    answers = json.loads(load("bed", "api.json"))["requests"]
    seen = []

    def open_url(url, method="GET", data=None, headers=None, **kwargs):
        seen.append((method, url, json.loads(data) if data else None, headers, kwargs))
        key = "token" if url.endswith("/v3/auth/tokens") else "services_compute1"
        answer = answers[key]
        return types.SimpleNamespace(
            getcode=lambda: answer["status"],
            read=io.BytesIO(answer["body"].encode("utf-8")).read,
            headers={"X-Subject-Token": "gAAAAAB-token"} if key == "token" else {})

    monkeypatch.setattr(_compute_api, "open_url", open_url)
    out = run({"auth": {"auth_url": "http://controller:5000/v3", "username": "admin",
                        "password": "test-only-admin-pw", "project_name": "admin", "region_name": "RegionOne"}})
    assert not out.failed
    assert out.result["healthy"] is True
    assert {n: lay["code"] for n, lay in out.result["layers"].items()} == {
        "kvm": "kvm_usable", "qemu": "no_guests", "libvirt": "answering", "nova_compute": "connected",
        "control_plane": "up"}
    assert out.result["diagnosis"]["explanation"] == "every layer checked is healthy"
    cp = out.result["layers"]["control_plane"]["evidence"]
    assert (cp["host"], cp["compute_endpoint"], cp["service"]["updated_at"]) == (
        "compute1", "http://controller:8774/v2.1", "2026-11-24T15:19:42.000000")
    (post, get) = seen
    assert post[:2] == ("POST", "http://controller:5000/v3/auth/tokens")
    assert post[2]["auth"]["identity"]["password"]["user"]["name"] == "admin"
    assert get[1] == "http://controller:8774/v2.1/os-services?binary=nova-compute&host=compute1"
    assert get[3]["X-Auth-Token"] == "gAAAAAB-token"
    assert get[3]["OpenStack-API-Version"] == "compute 2.11"
    assert post[4]["timeout"] == 10 and post[4]["validate_certs"] is True
    # the bed's secrets never come back (by construction, not by Ansible's no_log masking)
    dumped = json.dumps(out.result)
    assert "test-only-rabbit-pw" not in dumped and "test-only-admin-pw" not in dumped
    assert out.result["layers"]["nova_compute"]["evidence"]["transport_url"] == (
        "rabbit://nova:********@controller:5672/")


def test_bed_guest_whose_qemu_was_killed(fake):
    """kill -9 of bed-guest-tap's qemu on the bed: libvirt shows it shut off (crashed)."""
    fake.use("bed-guest-crashed")
    out = run({})
    assert not out.failed
    assert shape(out.result) == shape(module_run("bed-guest-crashed"))
    qemu = out.result["layers"]["qemu"]
    assert (qemu["status"], qemu["code"]) == ("failed", "qemu_crashed")
    assert qemu["evidence"]["crashed"] == ["bed-guest-tap"]
    assert qemu["summary"] == "the qemu process of bed-guest-tap died: libvirt shows it shut off (crashed)"
    diagnosis = out.result["diagnosis"]
    assert diagnosis["failed_layer"] == "qemu"
    assert diagnosis["explanation"].startswith("the guest bed-guest-tap is down")
    assert diagnosis["action"].startswith("read /var/log/libvirt/qemu/bed-guest-tap.log")
    assert [g["name"] for g in diagnosis["guests_running"]] == ["bed-guest-bridge"]
    # domstats only because an inactive domain exists; then the crashed domain's XML (no Nova metadata)
    assert fake.calls[-3][4:] == ["/usr/bin/virsh", "-c", "qemu:///system", "domstats", "--state", "--list-shutoff"]
    assert "'dumpxml' '--domain' 'bed-guest-tap'" in fake.calls[-2][-1]
    assert qemu["evidence"]["servers"] == {}
    assert diagnosis["action"].endswith("start it again: virsh start bed-guest-tap")


def test_bed_instance_whose_qemu_was_killed(fake):
    """kill -9 of a Nova instance's qemu (and of bed-guest-tap's) on the bed:
    the report names the server, from the domain's Nova metadata."""
    fake.use("bed-instance-crashed")
    out = run({})
    assert not out.failed
    assert shape(out.result) == shape(module_run("bed-instance-crashed"))
    qemu = out.result["layers"]["qemu"]
    assert (qemu["status"], qemu["code"]) == ("failed", "qemu_crashed")
    assert qemu["evidence"]["crashed"] == ["bed-guest-tap", "instance-00000002"]
    server = {"uuid": "77cb0890-0dbb-49fd-8dc4-e185f3c20b84", "name": "bed-vm-2"}
    assert qemu["evidence"]["servers"] == {"instance-00000002": server}
    assert qemu["summary"] == ("the qemu process of bed-guest-tap, instance-00000002 (Nova server bed-vm-2, %s) "
                               "died: libvirt shows them shut off (crashed)" % server["uuid"])
    assert [g["name"] for g in out.result["diagnosis"]["guests_running"]] == ["bed-guest-bridge", "instance-00000001"]
    # both crashed domains' XML in one virsh process
    assert "'dumpxml' '--domain' 'bed-guest-tap'" in fake.calls[-2][-1]
    assert "'dumpxml' '--domain' 'instance-00000002'" in fake.calls[-2][-1]


def test_domstats_is_not_asked_without_inactive_domains(fake):
    fake.use("bed")
    run({})
    assert not any("domstats" in call for call in fake.calls)


def test_bed_cloud_from_clouds_yaml_and_a_rejected_token(fake, monkeypatch):
    fake.use("bed")
    doc = json.loads(load("bed", "api.json"))
    fake.host.files["/etc/openstack/clouds.yaml"] = doc["clouds_yaml"]
    monkeypatch.setenv("HOME", "/nonexistent-home")
    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE", raising=False)
    bad = doc["requests"]["token_bad_password"]

    def open_url(url, **kwargs):
        raise HTTPError(url, bad["status"], "Unauthorized", {}, io.BytesIO(bad["body"].encode("utf-8")))

    monkeypatch.setattr(_compute_api, "open_url", open_url)
    out = run({"cloud": "bed"})
    assert not out.failed
    cp = out.result["layers"]["control_plane"]
    assert (cp["status"], cp["code"]) == ("warning", "api_error")
    assert cp["summary"] == ("Compute API not asked: keystone: HTTP 401: "
                             "The request you have made requires authentication.")
    assert out.result["healthy"] is True  # the node is fine; the check could not ask the API
    assert out.result["diagnosis"]["warnings"] == ["control_plane"]


def test_a_password_like_a_common_word_does_not_mangle_the_result(fake):
    """rabbit://guest:guest@...: the result keeps "guests_running" and "nova-compute" intact."""
    fake.use("container/nova-stopped")
    conf = load("container/nova-stopped", "nova.conf").replace("nova:novaops-capture-secret@", "guest:guest@")
    fake.host.files["/etc/nova/nova.conf"] = conf
    out = run({})
    assert "guests_running" in out.result["diagnosis"]
    assert out.result["layers"]["nova_compute"]["evidence"]["transport_url"] == (
        "rabbit://guest:********@localhost:5672,guest:********@127.0.0.2:5672/")
    assert "guest" not in out.module.no_log_values
    assert out.result["diagnosis"]["action"].startswith("start nova-compute: systemctl start nova-compute")


def test_unreachable_keystone_is_a_warning(fake, monkeypatch):
    fake.use("bed")

    def open_url(url, **kwargs):
        raise URLError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(_compute_api, "open_url", open_url)
    out = run({"auth": {"auth_url": "http://127.0.0.1:9/v3", "username": "u", "password": "secret-p"}})
    assert out.result["layers"]["control_plane"]["evidence"]["error"] == "[Errno 111] Connection refused"


# ---------------------------------------------------------------------------
# the glue's own paths
# ---------------------------------------------------------------------------

def test_host_connections_from_proc_without_ss(fake):
    fake.use("host")
    fake.bins = {"systemctl", "timeout", "virsh"}
    out = run({})
    nova = out.result["layers"]["nova_compute"]
    assert (nova["code"], nova["evidence"]["source"]) == ("connected", "/proc")
    assert [c[:1] for c in fake.calls] == [["/usr/bin/systemctl"], ["/usr/bin/timeout"]]


def test_hung_libvirt_times_out(fake):
    fake.use("host")
    (argv,) = [a for a in fake.answers if "hung-libvirt-sock" in " ".join(a)]
    out = run({"uri": argv[6], "timeout": int(argv[3])})
    lib = out.result["layers"]["libvirt"]
    assert (lib["status"], lib["code"], lib["evidence"]["rc"]) == ("failed", "timeout", 124)
    assert lib["summary"] == "libvirt does not answer on %s within 2s" % argv[6]
    assert out.result["layers"]["qemu"]["code"] == "not_compared"
    assert len(out.result["diagnosis"]["guests_running"]) == 5


def test_libvirt_without_daemon_socket(fake):
    fake.use("host")
    out = run({"uri": "qemu:///system?socket=/nonexistent/libvirt-sock"})
    lib = out.result["layers"]["libvirt"]
    # the host's libvirtd runs, only not behind that socket
    assert lib["code"] == "not_answering"
    assert lib["summary"].endswith("error: failed to connect to the hypervisor")


def test_virsh_missing(fake):
    fake.use("container/nova-stopped")
    fake.bins = {"systemctl", "timeout", "ss"}
    out = run({})
    assert out.result["diagnosis"]["failed_layer"] == "libvirt"
    assert out.result["layers"]["libvirt"]["code"] == "virsh_missing"


def test_unreadable_nova_conf(fake):
    fake.use("container/activating-connected")
    fake.host.files.clear()
    out = run({})
    assert out.result["layers"]["kvm"]["evidence"]["virt_type"] is None
    nova = out.result["layers"]["nova_compute"]
    assert (nova["code"], nova["evidence"]["connected"]) == ("activating", None)
    assert nova["evidence"]["transport_url_error"] == "cannot read /etc/nova/nova.conf: No such file or directory"


def test_fail_on_unhealthy_carries_the_diagnosis(fake):
    fake.use("container/libvirt-down")
    out = run({"fail_on_unhealthy": True})
    assert out.failed
    assert out.result["msg"] == (
        "libvirt failed: libvirt's daemon and its sockets are stopped, so Nova cannot manage guests; running "
        "guests keep running (1 guest still running in qemu); action: start libvirt's sockets: systemctl start "
        "libvirtd.socket (running guests are not affected)")
    assert out.result["layers"]["libvirt"]["code"] == "down"
    assert out.result["healthy"] is False


def test_fail_on_unhealthy_passes_a_healthy_node(fake):
    fake.use("host")
    assert not run({"fail_on_unhealthy": True}).failed


def test_explicit_libvirt_services(fake):
    fake.use("container/libvirt-down")
    units = ("nova-compute.service", "libvirtd.service", "libvirtd.socket", "virtqemud.service", "virtqemud.socket")
    argv = mod.systemd.systemctl_show_argv(
        "/usr/bin/systemctl", ["nova-compute.service", "virtqemud.service", "virtqemud.socket"])
    full = fake.answers[tuple(mod.systemd.systemctl_show_argv("/usr/bin/systemctl", units))]
    fake.answers[tuple(argv)] = full  # systemctl prints the blocks of the units it is asked for; extra are ignored
    out = run({"libvirt_services": ["virtqemud", "virtqemud.socket"]})
    assert sorted(out.result["layers"]["libvirt"]["evidence"]["units"]) == ["virtqemud.service", "virtqemud.socket"]
    assert out.result["layers"]["libvirt"]["code"] == "not_installed"


@pytest.mark.parametrize(
    "args, msg",
    [
        ({"timeout": 0}, "timeout must be more than 0, got 0"),
        ({"service": ""}, "service must not be empty"),
        ({"libvirt_services": ["libvirtd", ""]}, "libvirt_services must not contain empty names"),
        ({"auth": {"username": "admin"}}, "auth_url is required for the control_plane layer (give auth.auth_url "
                                          "or a cloud that has auth.auth_url)"),
        ({"auth": {"auth_url": "http://k:5000"}}, "auth_url needs a password (or an application credential)"),
        ({"auth": {"auth_url": "http://k:5000", "password": "x"}}, "auth_url with password needs username"),
        ({"auth": {"auth_url": "http://k:5000", "pasword": "x"}},
         "Unsupported parameters for (basic.py) module: auth.pasword. Supported parameters include: "),
        ({"cloud": "bed"}, "cloud=bed given but no clouds.yaml found on the node"),
    ],
)
def test_bad_parameters_fail_before_any_command(fake, monkeypatch, args, msg):
    fake.use("bed")
    monkeypatch.setenv("HOME", "/nonexistent-home")
    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE", raising=False)
    out = run(args)
    assert out.failed
    assert out.result["msg"].startswith(msg) and (msg.endswith(": ") or out.result["msg"] == msg)
    assert fake.calls == []


def test_internal_error_fails_without_a_traceback_in_msg(fake):
    fake.use("bed")

    def broken():
        raise RuntimeError("proc vanished")

    fake.host.pids = broken
    out = run({})
    assert out.failed
    assert out.result["msg"] == "node_health_info: internal error: proc vanished"
    assert "Traceback" in out.result["exception"]


# ---------------------------------------------------------------------------
# credentials and clouds.yaml
# ---------------------------------------------------------------------------

def use_clouds(fake, monkeypatch, clouds, secure=None):
    fake.use("bed")
    fake.host.files["/etc/openstack/clouds.yaml"] = clouds
    if secure is not None:
        fake.host.files["/etc/openstack/secure.yaml"] = secure
    monkeypatch.setenv("HOME", "/nonexistent-home")
    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE", raising=False)


@pytest.mark.parametrize(
    "clouds, secure, msg",
    [
        ("clouds:\n  - bed\n", None, "/etc/openstack/clouds.yaml: 'clouds' is a list, not a mapping"),
        ("clouds:\n  bed: s3cr3t\n", None, "/etc/openstack/clouds.yaml: cloud 'bed' is a str, not a mapping"),
        ("[clouds, bed]\n", None,
         "/etc/openstack/clouds.yaml: the file is a list, not a mapping with a 'clouds' key"),
        ("clouds:\n  bed:\n    auth: {password: s3cr3t}\n", "clouds: s3cr3t\n",
         "/etc/openstack/secure.yaml: 'clouds' is a str, not a mapping"),
        ("clouds:\n  bed:\n    auth:\n      password: \"s3cr3t\n", None,
         "cannot parse /etc/openstack/clouds.yaml: not valid YAML (found unexpected end of stream at line 5, column 1)"),
        ("clouds:\n  bed:\n    auth: {password: s3cr3t]\n", None,
         "cannot parse /etc/openstack/clouds.yaml: not valid YAML (expected ',' or '}', but got ']' "
         "at line 3, column 28)"),
    ],
)
def test_malformed_clouds_yaml_fails_naming_the_file(fake, monkeypatch, clouds, secure, msg):
    use_clouds(fake, monkeypatch, clouds, secure)
    out = run({"cloud": "bed"})
    assert out.failed
    assert out.result["msg"] == msg
    assert "s3cr3t" not in json.dumps(out.result) and "exception" not in out.result
    assert fake.calls == []


def test_a_numeric_password_keystone_echoes_is_masked(fake, monkeypatch):
    """password: 12345 in clouds.yaml is never among Ansible's no_log values."""
    use_clouds(fake, monkeypatch, "clouds:\n  bed:\n    auth:\n      auth_url: http://controller:5000/v3\n"
                                  "      username: admin\n      password: 12345\n      project_name: admin\n")
    sent = []

    def open_url(url, data=None, **kwargs):
        sent.append(json.loads(data))
        body = json.dumps({"error": {"code": 401, "title": "Unauthorized", "message": (
            "The request you have made requires authentication (password 12345 rejected for admin).")}})
        raise HTTPError(url, 401, "Unauthorized", {}, io.BytesIO(body.encode("utf-8")))

    monkeypatch.setattr(_compute_api, "open_url", open_url)
    out = run({"cloud": "bed"})
    assert sent[0]["auth"]["identity"]["password"]["user"]["password"] == "12345"
    cp = out.result["layers"]["control_plane"]
    assert cp["evidence"]["error"] == ("keystone: HTTP 401: The request you have made requires authentication "
                                       "(password ******** rejected for admin).")
    assert "12345" not in json.dumps(out.result)
    assert "12345" not in out.module.no_log_values


def test_auth_masks_its_secrets_only(fake, monkeypatch):
    """A user named nova: the result keeps "nova-compute"; the password is a no_log value."""
    fake.use("container/nova-stopped")

    def open_url(url, **kwargs):
        raise URLError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(_compute_api, "open_url", open_url)
    out = run({"auth": {"auth_url": "http://127.0.0.1:9/v3", "username": "nova", "password": "nova-pw-1",
                        "interface": "public"}})
    assert out.result["diagnosis"]["action"].startswith("start nova-compute: systemctl start nova-compute")
    assert "nova-pw-1" in out.module.no_log_values
    assert "nova" not in out.module.no_log_values and "public" not in out.module.no_log_values


def test_application_credential_from_auth(fake, monkeypatch):
    fake.use("bed")
    sent = []

    def open_url(url, data=None, **kwargs):
        sent.append(json.loads(data))
        raise URLError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(_compute_api, "open_url", open_url)
    run({"auth": {"auth_url": "http://controller:5000/v3", "application_credential_id": "ac1",
                  "application_credential_secret": "ac-secret"}})
    assert sent[0]["auth"]["identity"] == {"methods": ["application_credential"],
                                           "application_credential": {"id": "ac1", "secret": "ac-secret"}}


# ---------------------------------------------------------------------------
# a nova.conf newer than the running nova-compute (start time from the one stat read)
# ---------------------------------------------------------------------------

def test_restart_pending_from_the_process_table(fake):
    fake.use("bed")
    stat = fake.host.procs[8524]["stat"]
    starttime = int(stat.rpartition(")")[2].split()[19])
    fake.host.boot = "cpu 1 2 3\nbtime 1795540000\n"
    started = 1795540000 + starttime / 100.0
    fake.host.mtimes["/etc/nova/nova.conf"] = started + 600
    out = run({})
    nova = out.result["layers"]["nova_compute"]
    assert (nova["status"], nova["code"]) == ("warning", "restart_pending")
    assert out.result["healthy"] is True
    assert "takes effect at the next restart" in out.result["diagnosis"]["explanation"]
    fake.host.mtimes["/etc/nova/nova.conf"] = started - 600
    assert run({}).result["layers"]["nova_compute"]["code"] == "connected"
