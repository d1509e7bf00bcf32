"""Bad input against the converged compute1: site.yml fails before anything on
the node changes, with a message that names the variable and shows no secret.
nova.conf's checksum, the backups, the services' start times and the guests'
qemu PIDs are compared before and after every case.

The second half runs at -vvv, Ansible's most talkative level: passwords with
the characters oslo.messaging splits a transport URL on, line breaks in every
kind of variable, qemu.conf values libvirt's syntax cannot carry and
malformed URLs. None may leave any 4-character piece of a secret in the
output."""

import json
import os

import pytest
import yaml

from conftest import INVENTORY, ansible_playbook, assert_no_piece, assert_no_secret, guest_pids, recap

testinfra_hosts = ["compute1"]

RABBIT_SECRET = "test-only-rabbit-pw"  # the bed's, so the masking is proven on it

CASES = [
    ("negative-ratio", {"nova_compute_cpu_allocation_ratio": -2.0},
     "nova_compute_cpu_allocation_ratio must be greater than 0, got -2.0"),
    ("non-numeric-ratio", {"nova_compute_ram_allocation_ratio": "lots"},
     # the role's argument_specs.yml catches it first
     "argument 'nova_compute_ram_allocation_ratio' is of type str and we were unable to convert to float"),
    ("virt-type-xen", {"nova_compute_virt_type": "xen"}, "nova_compute_virt_type"),
    ("vnc-and-spice", {"nova_compute_nova_conf_overrides": {"spice": {"enabled": True}}},
     "VNC and SPICE are both enabled (nova_compute_console is vnc"),
    ("transport-url-no-scheme", {"nova_compute_transport_url": "nova:%s@controller:5672/" % RABBIT_SECRET},
     "nova_compute_transport_url is not a valid transport URL: has no scheme"),
    ("transport-url-no-host", {"nova_compute_transport_url": "rabbit://nova:%s@/" % RABBIT_SECRET},
     "nova_compute_transport_url is not a valid transport URL: host 1 is empty"),
    ("database-unknown-dialect",
     {"nova_compute_database_connection": "oracle://nova:%s@controller/nova" % RABBIT_SECRET},
     "nova_compute_database_connection (oracle://nova:********@controller/nova) uses the unknown dialect 'oracle'"),
    # nova-scheduler reads its filters from the controllers' nova.conf, never a compute node's
    ("scheduler-filters-on-a-compute-node", {"nova_compute_scheduler_enabled_filters": ["ComputeFilter"]},
     "nova_compute_scheduler_enabled_filters is not a nova_compute setting any more: nova-scheduler reads it "
     "on the controllers"),
    ("override-unknown-to-nova", {"nova_compute_nova_conf_overrides": {"DEFAULT": {"vncserver_listen": "0.0.0.0"}}},
     "nova_compute_nova_conf_overrides: [DEFAULT] vncserver_listen is not an option in Nova 26"),
    ("override-wrong-type", {"nova_compute_nova_conf_overrides": {"DEFAULT": {"reserved_host_cpus": "two"}}},
     "nova_compute_nova_conf_overrides: [DEFAULT] reserved_host_cpus is an integer option, got 'two'"),
    ("proxyclient-wildcard", {"nova_compute_vnc_server_proxyclient_address": "0.0.0.0"},
     "nova_compute_vnc_server_proxyclient_address is 0.0.0.0"),
    ("listen-loopback-remote-proxy", {"nova_compute_vnc_server_listen": "127.0.0.1"},
     "nova_compute_vnc_server_listen is 127.0.0.1: consoles would only answer on loopback while the console "
     "proxy (10.89.77.10) is another host"),  # the bed's console base URL is by address
    ("my-ip-invalid", {"nova_compute_my_ip": "10.89.77.300"},
     "nova_compute_my_ip (10.89.77.300) is not a valid IP address"),
    ("reserved-memory-above-ram", {"nova_compute_reserved_host_memory_mb": 99999999},
     "nova_compute_reserved_host_memory_mb (99999999) is not less than the node's memory"),
    ("reserved-memory-negative", {"nova_compute_reserved_host_memory_mb": -512},
     "nova_compute_reserved_host_memory_mb must be 0 or more, got -512"),
    ("novncproxy-url-without-scheme", {"nova_compute_novncproxy_base_url": "controller:6080/vnc_auto.html"},
     "nova_compute_novncproxy_base_url (controller:6080/vnc_auto.html) must be an http:// or https:// URL"),
    ("image-cache-interval", {"nova_compute_image_cache_manager_interval": -5},
     "nova_compute_image_cache_manager_interval must be a whole number >= -1"),
]

# (name, extra vars, fragments the output must hold, a secret no piece of which may show).
# A password holding / ? # , [ or ] unencoded is cut where oslo.messaging
# cuts it: refused before the node changes, with a hint to percent-encode it.
SECRET = "Zq7%sKp9Wx"
PASSWORD_CASES = [
    ("transport-url-password-%s" % name,
     {"nova_compute_transport_url": "rabbit://nova:%s@controller:5672/" % (SECRET % char)},
     ["nova_compute_transport_url", "percent-encode"], SECRET % char)
    for name, char in (("slash", "/"), ("question-mark", "?"), ("hash", "#"), ("comma", ","),
                       ("bracket", "["), ("closing-bracket", "]"))
]
BROKEN_URL_CASES = [
    ("transport-url-unclosed-ipv6", {"nova_compute_transport_url": "rabbit://nova:Vb3kR8pQ@[fd00::1:5672/"},
     ["nova_compute_transport_url"], "Vb3kR8pQ"),
    ("database-url-unclosed-ipv6",
     {"nova_compute_database_connection": "mysql+pymysql://nova:Vb3kR8pQ@[fd00::5/nova"},
     ["nova_compute_database_connection"], "Vb3kR8pQ"),
    ("auth-url-unclosed-ipv6", {"nova_compute_placement_auth_url": "http://[fd00::5:5000/v3"},
     ["nova_compute_placement_auth_url"], None),
]
LINE_BREAK = "\n[DEFAULT]\ndebug = true"
LINE_BREAK_CASES = [
    ("line-break-in-a-string", {"nova_compute_host": "compute1" + LINE_BREAK}, ["nova_compute_host"], None),
    ("line-break-in-a-list", {"nova_compute_cpu_mode": "custom",
                              "nova_compute_cpu_models": ["Haswell", "Broadwell" + LINE_BREAK]},
     ["nova_compute_cpu_models"], None),
    ("line-break-in-a-dict", {"nova_compute_oslo_policy": {"enforce_scope": "false" + LINE_BREAK}},
     ["nova_compute_oslo_policy"], None),
    ("line-break-in-an-override", {"nova_compute_nova_conf_overrides": {"DEFAULT": {"host": "c1" + LINE_BREAK}}},
     ["nova_compute_nova_conf_overrides"], None),
    ("line-break-in-a-secret", {"nova_compute_placement_password": "Mh4tLq9Z\nWr2c"},
     ["nova_compute_placement_password"], "Mh4tLq9Z\nWr2c"),
    ("line-break-in-a-qemu-conf-value", {"nova_compute_libvirt_qemu_conf": {"stdio_handler": "logd\nuser = \"root\""}},
     ["nova_compute_libvirt_qemu_conf", "stdio_handler"], None),
    ("line-break-in-a-qemu-conf-key", {"nova_compute_libvirt_qemu_conf": {"user\ngroup": "root"}},
     ["nova_compute_libvirt_qemu_conf"], None),
]
QEMU_CONF_CASES = [
    ("qemu-conf-both-quotes", {"nova_compute_libvirt_qemu_conf": {"stdio_handler": "it's \"logd\""}},
     ["nova_compute_libvirt_qemu_conf", "stdio_handler"], None),
    ("qemu-conf-mapping", {"nova_compute_libvirt_qemu_conf": {"namespaces": {"mount": True}}},
     ["nova_compute_libvirt_qemu_conf", "namespaces"], None),
    ("qemu-conf-float", {"nova_compute_libvirt_qemu_conf": {"max_core": 1.5}},
     ["nova_compute_libvirt_qemu_conf", "max_core"], None),
    ("qemu-conf-bad-key", {"nova_compute_libvirt_qemu_conf": {"max-core": 0}},
     ["nova_compute_libvirt_qemu_conf", "max-core"], None),
]
VERBOSE_CASES = PASSWORD_CASES + BROKEN_URL_CASES + LINE_BREAK_CASES + QEMU_CONF_CASES

# Fixed words only: testinfra would quote a joined string as one argument.
STATE_COMMAND = (
    "sha256sum /etc/nova/nova.conf /etc/nova/nova-compute.conf /etc/libvirt/qemu.conf ; ls /etc/nova ; "
    "systemctl show -p MainPID -p ActiveEnterTimestampMonotonic nova-compute libvirtd.service libvirtd.socket ; "
    "pgrep -f '[q]emu-system.*guest=(bed-guest|instance-)'"
)


def node_state(host):
    return host.check_output(STATE_COMMAND)


@pytest.fixture(scope="module")
def before(host, nova_instances):
    """The node's state with its guests running: the bed's two and Nova's two instances."""
    instances = sorted(server["OS-EXT-SRV-ATTR:instance_name"] for server in nova_instances.values())
    assert sorted(guest_pids(host)) == ["bed-guest-bridge", "bed-guest-tap"] + instances
    return node_state(host)


def fails_without_change(host, before, output, rc, fragment):
    assert rc != 0, output[-3000:]
    assert fragment in output, output[-3000:]
    assert_no_secret(output)
    assert "changed=0" in recap(output, "compute1"), recap(output, "compute1")
    assert node_state(host) == before


@pytest.mark.parametrize("extra_vars, fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_fails_before_the_node_changes(host, before, tmp_path, extra_vars, fragment):
    case = tmp_path / "case.json"
    case.write_text(json.dumps(extra_vars))
    rc, output = ansible_playbook("site.yml", "--limit", "compute1", "-e", "@%s" % case)
    fails_without_change(host, before, output, rc, fragment)


@pytest.mark.parametrize("extra_vars, fragments, secret", [c[1:] for c in VERBOSE_CASES],
                         ids=[c[0] for c in VERBOSE_CASES])
def test_bad_input_at_vvv_shows_no_piece_of_a_secret(host, before, tmp_path, extra_vars, fragments, secret):
    case = tmp_path / "case.json"
    case.write_text(json.dumps(extra_vars))
    rc, output = ansible_playbook("site.yml", "--limit", "compute1", "-vvv", "-e", "@%s" % case)
    for fragment in fragments[1:]:
        assert fragment in output, output[-3000:]
    fails_without_change(host, before, output, rc, fragments[0])
    if secret:
        assert_no_piece(output, secret)


def test_missing_secret_fails_naming_it(host, before, tmp_path):
    """An inventory without nova_compute_placement_password (a secret has no default)."""
    inventory = tmp_path / "inventory"
    for root, _dirs, files in os.walk(INVENTORY):
        target = inventory / os.path.relpath(root, INVENTORY)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8") as f:
                (target / name).write_text(f.read())
    host_vars = inventory / "host_vars" / "compute1"
    settings = yaml.safe_load(host_vars.read_text())
    del settings["nova_compute_placement_password"]
    host_vars.write_text(yaml.safe_dump(settings))
    rc, output = ansible_playbook("site.yml", "--limit", "compute1", inventory=str(inventory))
    fails_without_change(host, before, output, rc, "nova_compute_placement_password")
    assert "missing required arguments: nova_compute_placement_password" in output
