"""Fixtures and helpers shared by the scenarios' testinfra tests.

Every scenario runs the same bed (.config/molecule/config.yml): a controller
and compute1. Tests reach the nodes with testinfra and run the collection's
playbooks with ansible-playbook from this checkout, as an operator would.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import time

import pytest
import testinfra

ROOT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
# The collection's own parsers (nova.conf is read with _oslo_ini, as the
# modules read it): `make collection` links this checkout in there.
sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))
# tools/novnc_console.py: a noVNC console URL in headless Chromium
sys.path.insert(0, os.path.join(ROOT, "tools"))
# Molecule's inventory is a directory (hosts, group_vars, host_vars).
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
# The bed's admin, as modules take it (their `auth` option; molecule.yml's
# novaops_diagnose_auth). TEST-ONLY credentials.
ADMIN_AUTH = {"auth_url": "http://controller:5000/v3", "username": "admin", "password": "test-only-admin-pw",
              "project_name": "admin", "region_name": "RegionOne"}
# The bed's addresses: its /24 (config.yml's NOVAOPS_BED_NET, which a second
# bed beside the default one sets), controller .10 and compute1 .11.
BED_NET = os.environ.get("NOVAOPS_BED_NET") or "10.89.77"
CONTROLLER_IP, COMPUTE_IP = BED_NET + ".10", BED_NET + ".11"
# The bed's test-only secrets: no output may show them.
SECRETS = ("test-only-rabbit-pw", "test-only-placement-pw", "test-only-admin-pw", "test-only-neutron-pw")


def pytest_collection_modifyitems(items):
    """The faults tests (molecule/faults/tests) break and heal the bed: run them
    after every other scenario's tests on the same bed, which read the start
    times the first converge recorded. Molecule lists them first."""
    items.sort(key=lambda item: "faults" in item.path.parts)


def bed_host(name):
    return testinfra.get_host("ansible://" + name, ansible_inventory=INVENTORY)


@pytest.fixture(scope="module")
def compute1():
    return bed_host("compute1")


@pytest.fixture(scope="module")
def controller():
    return bed_host("controller")


def ansible_playbook(playbook, *args, inventory=INVENTORY):
    """Run playbooks/PLAYBOOK from this checkout; return (rc, plain-text output).

    With the checkout's ansible.cfg, as an operator runs it (Molecule points
    ANSIBLE_CONFIG at its own, which prints results as JSON and adds timings),
    and without colours (Molecule exports ANSIBLE_FORCE_COLOR).
    """
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    start = time.monotonic()
    result = subprocess.run(
        [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", inventory,
         os.path.join(ROOT, "playbooks", playbook)] + list(args),
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    # shown with a failing test's output (and with pytest -s): where its time went
    print("%s %s: rc %d in %.1f s" % (playbook, " ".join(args), result.returncode, time.monotonic() - start))
    return result.returncode, re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


def diagnose(sample=None):
    """(rc, output) of diagnose.yml for compute1 (the bed's node); rc != 0 when the node is unhealthy.

    With NOVAOPS_DIAGNOSE_SAMPLES=DIR set, the report is also kept as
    DIR/SAMPLE.txt (README's Troubleshooting section shows them).
    """
    rc, output = ansible_playbook("diagnose.yml", "--limit", "compute1")
    assert_no_secret(output)
    samples = os.environ.get("NOVAOPS_DIAGNOSE_SAMPLES")
    if sample and samples:
        os.makedirs(samples, exist_ok=True)
        with open(os.path.join(samples, sample + ".txt"), "w", encoding="utf-8") as f:
            f.write(output)
    return rc, output


def report(output):
    """The report block diagnose.yml printed for compute1 (for failure messages)."""
    match = re.search(r"^ *compute1: (healthy|UNHEALTHY).*?(?=^\S|\Z)", output, re.M | re.S)
    return match.group(0) if match else output[-3000:]


def recap(output, host):
    """The PLAY RECAP line of HOST ('' when the host never ran)."""
    lines = [line for line in output.splitlines() if re.match(r"^%s\s+:" % re.escape(host), line)]
    return lines[-1] if lines else ""


def assert_no_secret(output):
    for secret in SECRETS:
        assert secret not in output, "a test-only secret appears in the output"


def assert_no_piece(output, secret, size=4):
    """No SIZE-character piece of SECRET anywhere in OUTPUT (nor of its JSON-escaped form)."""
    for text in (secret, secret.encode("unicode_escape").decode("ascii")):
        for start in range(len(text) - size + 1):
            piece = text[start:start + size]
            assert piece not in output, "a %d-character piece of a secret appears in the output" % size


def guest_pids(host):
    """{guest name: qemu PID} of the running guests on HOST: the bed's own
    (bed-guest-*) and Nova's instances (instance-*)."""
    # [q]: the pattern must not match the shell that runs pgrep
    out = host.run("pgrep -a -f '[q]emu-system.*guest=(bed-guest|instance-)'").stdout
    return {re.search(r"guest=([^,\s]+)", line).group(1): int(line.split()[0]) for line in out.splitlines()}


# No openstack CLI call may hang a run: on the bed, one `server create` once
# got its 202 from nova-api's uwsgi and then waited forever on the kept-alive
# connection (no timeout in the client).
CLI_TIMEOUT = 120
TIMED_OUT = 124  # timeout(1)


def openstack(controller, *args, parse=True, retry=True):
    """The openstack CLI on the controller as the bed's admin (clouds.yaml "bed").

    Returns the parsed ``-f json`` output (``parse=False``: the plain stdout).
    Each call is bounded by CLI_TIMEOUT; one that times out runs once more
    (``retry=False`` for a call that must not be sent twice).
    """
    command = "timeout -k 5 %d openstack --os-cloud bed %s" % (
        CLI_TIMEOUT, " ".join(shlex.quote(str(arg)) for arg in args))
    for _attempt in range(2 if retry else 1):
        result = controller.run(command + (" -f json" if parse else ""))
        if result.rc != TIMED_OUT:
            break
    why = "timed out" if result.rc == TIMED_OUT else result.stderr.strip()[-2000:]
    assert result.rc == 0, "%s: %s" % (command, why)
    return json.loads(result.stdout) if parse else result.stdout


def create_server(controller, name, image, flavor="novaops.tiny", network="bed-net"):
    """`openstack server create` of NAME, sent once: when the CLI times out, the
    server is looked up by name and created again only if Nova has none."""
    for _attempt in range(2):
        try:
            return openstack(controller, "server", "create", "--image", image, "--flavor", flavor,
                             "--network", network, name, retry=False)
        except AssertionError as exc:
            if "timed out" not in str(exc):
                raise
            found = openstack(controller, "server", "list", "--name", "^%s$" % name)
            if found:
                return found[0]
    raise AssertionError("server create %s timed out twice" % name)


# The two instances the instance and fault tests share (Nova boots them
# once per bed; the tests never delete them).
INSTANCES = ("bed-vm-1", "bed-vm-2")


def wait_for_server(controller, server, statuses=("ACTIVE",), timeout=300):
    """`openstack server show` of SERVER once its status is in STATUSES."""
    deadline = time.monotonic() + timeout
    while True:
        shown = openstack(controller, "server", "show", server)
        if shown["status"] in statuses:
            return shown
        assert shown["status"] != "ERROR", "%s went to ERROR: %s" % (server, shown.get("fault"))
        assert time.monotonic() < deadline, "%s still %s after %d s" % (server, shown["status"], timeout)
        time.sleep(3)


@pytest.fixture(scope="session")
def nova_instances():
    """{name: `server show`} of the bed's two instances, booted through the
    Compute API from the guest image, the flavor and the flat network
    prepare.yml made; booted on first use, reused after."""
    controller = bed_host("controller")
    known = {server["Name"] for server in openstack(controller, "server", "list")}
    for name in INSTANCES:
        if name not in known:
            create_server(controller, name, "novaops-guest")
    return {name: wait_for_server(controller, name) for name in INSTANCES}


def instance_ports(controller, server_id):
    """`openstack port show` of each Neutron port of the instance SERVER_ID."""
    return [openstack(controller, "port", "show", port["ID"])
            for port in openstack(controller, "port", "list", "--server", server_id)]


def console_url(controller, server_id):
    """The noVNC URL Nova hands out for the instance (it holds a secret token)."""
    return openstack(controller, "console", "url", "show", "--novnc", server_id)["url"]
