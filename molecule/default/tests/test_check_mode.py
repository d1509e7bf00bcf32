"""A check-mode run with --diff against the converged bed: nothing to change,
and no secret in its output."""

import os
import re
import subprocess

testinfra_hosts = ["compute1"]

# Molecule's inventory is a directory (hosts, group_vars, host_vars).
INVENTORY = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])

SECRETS = ("test-only-rabbit-pw", "test-only-placement-pw")


def test_check_diff_run_changes_nothing_and_shows_no_secret(host):
    root = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    # Molecule exports ANSIBLE_FORCE_COLOR: plain text is wanted here.
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    result = subprocess.run(
        [os.path.join(root, ".venv", "bin", "ansible-playbook"), "-i", INVENTORY,
         os.path.join(root, "playbooks", "site.yml"), "--check", "--diff", "-v"],
        cwd=root, env=env, capture_output=True, text=True, check=False)
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert result.returncode == 0, output[-3000:]
    for secret in SECRETS:
        assert secret not in output
    recap = [line for line in output.splitlines() if re.match(r"^compute1\s+:", line)]
    assert recap and "changed=0" in recap[-1], recap
