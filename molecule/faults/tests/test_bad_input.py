"""Bad input against the converged compute1: site.yml fails before anything on
the node changes, with a message that names the variable and shows no secret.
nova.conf's checksum, the backups, the services' start times and the guests'
qemu PIDs are compared before and after every case.

One case of each kind; tests/integration/roles/nova_compute/test_bad_input.py
runs all the others against the role's checks alone. The second half runs at
-vvv, Ansible's most talkative level: none may leave any 4-character piece of
a secret in the output."""

import json
import os

import pytest
import yaml

from conftest import INVENTORY, ansible_playbook, assert_no_piece, assert_no_secret, guest_pids, recap

testinfra_hosts = ["compute1"]

RABBIT_SECRET = "test-only-rabbit-pw"  # the bed's, so the masking is proven on it

# One case of each kind the role refuses, run through site.yml against the real
# node (tests/integration/roles/nova_compute/test_bad_input.py runs every case
# against the role's checks alone): the argument specs, a check of the
# settings, one that needs the node's facts, the bed's own console proxy
# address, the notes' removed option names, a secret in a URL.
CASES = [
    ("non-numeric-ratio", {"nova_compute_ram_allocation_ratio": "lots"},
     # the role's argument_specs.yml catches it first
     "argument 'nova_compute_ram_allocation_ratio' is of type str and we were unable to convert to float"),
    ("vnc-and-spice", {"nova_compute_nova_conf_overrides": {"spice": {"enabled": True}}},
     "VNC and SPICE are both enabled (nova_compute_console is vnc"),
    ("transport-url-no-scheme", {"nova_compute_transport_url": "nova:%s@controller:5672/" % RABBIT_SECRET},
     "nova_compute_transport_url is not a valid transport URL: has no scheme"),
    ("override-unknown-to-nova", {"nova_compute_nova_conf_overrides": {"DEFAULT": {"vncserver_listen": "0.0.0.0"}}},
     "nova_compute_nova_conf_overrides: [DEFAULT] vncserver_listen is not an option in Nova 26"),
    ("listen-loopback-remote-proxy", {"nova_compute_vnc_server_listen": "127.0.0.1"},
     "nova_compute_vnc_server_listen is 127.0.0.1: consoles would only answer on loopback while the console "
     "proxy (10.89.77.10) is another host"),  # the bed's console base URL is by address
    ("reserved-memory-above-ram", {"nova_compute_reserved_host_memory_mb": 99999999},
     "nova_compute_reserved_host_memory_mb (99999999) is not less than the node's memory"),
]

# (name, extra vars, fragments the output must hold, a secret no piece of which may show) at -vvv:
# a password with a character oslo.messaging cuts a URL on, a broken URL, a line
# break in a secret, a qemu.conf key libvirt's syntax cannot carry.
VERBOSE_CASES = [
    ("transport-url-password-slash", {"nova_compute_transport_url": "rabbit://nova:Zq7/Kp9Wx@controller:5672/"},
     ["nova_compute_transport_url", "percent-encode"], "Zq7/Kp9Wx"),
    ("database-url-unclosed-ipv6",
     {"nova_compute_database_connection": "mysql+pymysql://nova:Vb3kR8pQ@[fd00::5/nova"},
     ["nova_compute_database_connection"], "Vb3kR8pQ"),
    ("line-break-in-a-secret", {"nova_compute_placement_password": "Mh4tLq9Z\nWr2c"},
     ["nova_compute_placement_password"], "Mh4tLq9Z\nWr2c"),
    ("qemu-conf-bad-key", {"nova_compute_libvirt_qemu_conf": {"max-core": 0}},
     ["nova_compute_libvirt_qemu_conf", "max-core"], None),
]

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
