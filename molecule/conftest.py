"""Fixtures and helpers shared by the scenarios' testinfra tests.

Every scenario runs the same bed (.config/molecule/config.yml): a controller
and compute1. Tests reach the nodes with testinfra and run the collection's
playbooks with ansible-playbook from this checkout, as an operator would.
"""

import os
import re
import subprocess
import sys

import pytest
import testinfra

ROOT = os.environ["MOLECULE_PROJECT_DIRECTORY"]
# The collection's own parsers (nova.conf is read with _oslo_ini, as the
# modules read it): `make collection` links this checkout in there.
sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))
# Molecule's inventory is a directory (hosts, group_vars, host_vars).
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
# The bed's test-only secrets: no output may show them.
SECRETS = ("test-only-rabbit-pw", "test-only-placement-pw", "test-only-admin-pw")


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
    result = subprocess.run(
        [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", inventory,
         os.path.join(ROOT, "playbooks", playbook)] + list(args),
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return result.returncode, re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


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
    """{guest name: qemu PID} of the bed's running guests on HOST."""
    # [q]: the pattern must not match the shell that runs pgrep
    out = host.run("pgrep -a -f '[q]emu-system.*guest=bed-guest'").stdout
    return {re.search(r"guest=([^,\s]+)", line).group(1): int(line.split()[0]) for line in out.splitlines()}
