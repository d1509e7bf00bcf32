"""The collection run from its execution environment, as AWX runs it.

`make ee` builds localhost/novaops/compute-ee (execution-environment.yml):
ansible-core, ansible-runner and the collection's tarball in an image. AWX's
engine is ansible-runner inside such an image, given a private data
directory (the project, the inventory, a machine credential). So is this
test: ansible-runner in the image, with process isolation off (the image is
the isolation, as in an AWX job), runs site.yml in check mode (the converged
bed needs no change) and diagnose.yml (compute1 is healthy) against the bed.

The image reaches the nodes the way AWX reaches real ones: over SSH, from a
container on the bed's podman network, with the job's key in ssh-agent
(ansible-runner loads env/ssh_key), the nodes' host keys checked, pipelining
and ControlPersist. The test starts sshd on each node (compute1 has it from
the vnc_client role; the controller gets openssh-server) and authorises a
key of its own, which it removes at the end.

Only playbooks/ and ansible.cfg of this checkout go into the project: the
roles, modules and filters come from the image's collections.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import time
import uuid

import pytest
import yaml
from conftest import INVENTORY, ROOT, assert_no_secret, recap
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

EE_IMAGE = os.environ.get("NOVAOPS_EE_IMAGE", "localhost/novaops/compute-ee:latest")
KEY_COMMENT = "novaops-ee-test"
RUN_TIMEOUT = 900

# On a node, with the test's public key as $1: sshd up (installed if
# missing), the key authorised for root; prints the node's ed25519 host key.
NODE_SSHD = r"""
set -e
if ! [ -x /usr/sbin/sshd ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends openssh-server >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends openssh-server >/dev/null; }
fi
systemctl start ssh
install -d -m 0700 /root/.ssh
grep -qxF "$1" /root/.ssh/authorized_keys 2>/dev/null || printf '%s\n' "$1" >> /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
cat /etc/ssh/ssh_host_ed25519_key.pub
"""


def podman(*args, timeout=120):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False, timeout=timeout)


def inventory_nodes(inventory_dir):
    """{host: its podman container} of Molecule's inventory (the container is
    the host's ansible_host in host_vars, else the host's own name)."""
    with open(os.path.join(inventory_dir, "ansible_inventory.yml"), encoding="utf-8") as f:
        names = sorted(yaml.safe_load(f)["all"]["hosts"])
    return {name: host_vars(inventory_dir, name).get("ansible_host", name) for name in names}


def host_vars(inventory_dir, name):
    path = os.path.join(inventory_dir, "host_vars", name)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def node_network(name):
    """(network, address) of the container NAME: the bed's podman network and its address there."""
    result = podman("inspect", "--format", "{{json .NetworkSettings.Networks}}", name)
    assert result.returncode == 0, result.stderr
    ((network, settings),) = json.loads(result.stdout).items()
    return network, settings["IPAddress"]


def new_key():
    """(private key in OpenSSH's format, authorized_keys line) of a new ed25519 key."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private, "%s %s" % (public.decode(), KEY_COMMENT)


def prepare_node(name, public_line):
    """sshd on NODE with PUBLIC_LINE authorised for root; returns the node's host key ("type base64")."""
    result = podman("exec", name, "sh", "-c", NODE_SSHD, "sh", public_line, timeout=300)
    assert result.returncode == 0, "%s: sshd not ready: %s" % (name, result.stderr[-2000:])
    return " ".join(result.stdout.split()[:2])


def forget_key(name):
    podman("exec", name, "sed", "-i", "/ %s$/d" % KEY_COMMENT, "/root/.ssh/authorized_keys")


def private_data_dir(path, inventory_dir, addresses, private_key, host_keys, playbooks):
    """ansible-runner's private data directory, laid out as AWX lays out a job's:
    project/ (PLAYBOOKS and ansible.cfg), inventory/ (Molecule's groups and
    variables, each node reached over SSH at its address), env/ssh_key (the
    machine credential) and env/envvars (the job's settings)."""
    shutil.copytree(playbooks, path / "project" / "playbooks")
    shutil.copy(os.path.join(ROOT, "ansible.cfg"), path / "project" / "ansible.cfg")
    shutil.copytree(inventory_dir, path / "inventory", ignore=shutil.ignore_patterns("ansible_inventory.yml"))
    for name in addresses:  # the container's name means nothing over SSH: the address below instead
        own = host_vars(inventory_dir, name)
        if own.pop("ansible_host", None) is not None:
            (path / "inventory" / "host_vars" / name).write_text(yaml.safe_dump(own))
    hosts = {name: {"ansible_host": address, "ansible_user": "root", "ansible_connection": "ssh"}
             for name, address in addresses.items()}
    (path / "inventory" / "ansible_inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    (path / "known_hosts").write_text("".join("%s %s\n" % (addresses[name], key) for name, key in host_keys.items()))
    (path / "env").mkdir()
    (path / "env" / "ssh_key").write_text(private_key)
    (path / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_PIPELINING": "True",
        # ansible-runner turns host key checking off unless told otherwise
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=120s",
        "ANSIBLE_SSH_COMMON_ARGS": "-o UserKnownHostsFile=/runner/known_hosts -o StrictHostKeyChecking=yes",
        "ANSIBLE_NOCOLOR": "1",
    }))
    os.chmod(path / "env" / "ssh_key", 0o600)
    # The image runs as its own user (an EE's default, 1000), which must own
    # the directory as AWX's worker does (it writes artifacts/ there).
    user = podman("image", "inspect", "--format", "{{.Config.User}}", EE_IMAGE).stdout.strip()
    if user.isdigit():
        for root, dirs, files in os.walk(path):
            for entry in [root] + [os.path.join(root, name) for name in dirs + files]:
                os.chown(entry, int(user), 0)


def run_in_ee(data_dir, network, playbook, *args):
    """ansible-runner in the EE image runs PROJECT/PLAYBOOK with ARGS; returns (rc, plain-text output)."""
    name = "novaops-ee-test-%s" % uuid.uuid4().hex[:8]
    # ansible-runner keeps the first run's --cmdline as env/cmdline and uses it
    # for a later run given none: each run says its own.
    (data_dir / "env" / "cmdline").unlink(missing_ok=True)
    argv = ["run", "--rm", "--name", name, "--network", network, "--volume", "%s:/runner" % data_dir,
            EE_IMAGE, "ansible-runner", "run", "/runner", "--ident", name, "-p", playbook]
    if args:
        argv.append("--cmdline=" + " ".join(shlex.quote(arg) for arg in args))
    start = time.monotonic()
    try:
        result = podman(*argv, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        podman("rm", "-f", name)
        raise
    print("%s %s in the EE: rc %d in %.1f s" % (playbook, " ".join(args), result.returncode, time.monotonic() - start))
    return result.returncode, re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


@pytest.fixture(scope="module")
def ee_bed(tmp_path_factory):
    """(private data dir, network) for runs in the EE against the bed's nodes, over SSH."""
    assert podman("image", "exists", EE_IMAGE).returncode == 0, "%s is missing: run make ee" % EE_IMAGE
    nodes = inventory_nodes(INVENTORY)
    networks = {name: node_network(container) for name, container in nodes.items()}
    (network,) = {net for net, _address in networks.values()}
    private_key, public_line = new_key()
    path = tmp_path_factory.mktemp("ee-runner")
    try:
        host_keys = {name: prepare_node(container, public_line) for name, container in nodes.items()}
        private_data_dir(path, INVENTORY, {name: address for name, (_net, address) in networks.items()},
                         private_key, host_keys, os.path.join(ROOT, "playbooks"))
        yield path, network
    finally:
        for container in nodes.values():
            forget_key(container)
        shutil.rmtree(path / "env", ignore_errors=True)  # the key (authorised no more, all the same)


def test_site_in_check_mode_from_the_ee_changes_nothing(ee_bed):
    # -v: every module's result is printed, and none may show a secret (this is the bed's
    # one full check-mode run: test_check_mode.py's own runs --tags config)
    rc, output = run_in_ee(*ee_bed, "playbooks/site.yml", "--check", "--diff", "-v")
    assert rc == 0, output[-3000:]
    assert_no_secret(output)
    # (the controller is reached too: check_consoles.yml opens the consoles from there)
    assert re.search(r"changed=0 .*unreachable=0 +failed=0", recap(output, "compute1")), recap(output, "compute1")


def test_diagnose_from_the_ee_finds_compute1_healthy(ee_bed):
    rc, output = run_in_ee(*ee_bed, "playbooks/diagnose.yml")
    assert rc == 0, output[-3000:]
    assert_no_secret(output)
    assert re.search(r"^ *compute1: healthy", output, re.M), output[-3000:]
