"""Runs one of this folder's localhost playbooks (render.yml, check.yml, ...)
for a test case: the case's variables go to a file the playbook loads, the
playbook's own parameters are passed as extra vars (JSON)."""

import json
import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))


def _run_case_playbook(playbook, case, case_dir, *args, **extra_vars):
    """Return (rc, stdout + stderr) of ansible-playbook on localhost."""
    case_file = case_dir / "case.yml"
    case_file.write_text(yaml.safe_dump(case))
    extra = dict(extra_vars, case_file=str(case_file), ansible_python_interpreter=sys.executable)
    extra_file = case_dir / "extra-vars.json"
    extra_file.write_text(json.dumps(extra, default=str))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
         os.path.join(HERE, playbook), "-e", "@%s" % extra_file, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="session")
def run_case_playbook():
    return _run_case_playbook
