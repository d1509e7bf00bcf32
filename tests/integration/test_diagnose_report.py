"""playbooks/diagnose.yml's report, printed from real node_health_info
results (tests/unit/fixtures/health/module-runs/), under a stock ansible.cfg
and under this repository's: one line of the report per line of output in
both. No node: the check itself is skipped (--start-at-task Report) and each
host's result is its canned one (a host variable, as the check registers it).
"""

import json
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.novaops.compute.plugins.filter.health_report import health_report

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RUNS = os.path.join(ROOT, "tests", "unit", "fixtures", "health", "module-runs")
HOSTS = {"compute1": "broker-down", "compute2": "host"}


def canned(name):
    with open(os.path.join(RUNS, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def diagnose(tmp_path, config):
    """(rc, output) of diagnose.yml from its report on, with ANSIBLE_CONFIG=CONFIG and no other ANSIBLE_* setting."""
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"nova_compute": {"hosts": {
        host: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
               "novaops_health": canned(run)} for host, run in HOSTS.items()}}}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(config), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"))
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
         os.path.join(ROOT, "playbooks", "diagnose.yml"), "--start-at-task", "Report"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


def report_section(output):
    """The output of the Report task (up to the next task or play)."""
    start = output.index("TASK [Report]")
    return output[start:output.index("\nPLAY ", start)]


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stock")
    config = tmp / "ansible.cfg"
    config.write_text("[defaults]\n")  # Ansible's defaults: the default callback, results as JSON
    return diagnose(tmp, config)


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("repository")
    return diagnose(tmp, os.path.join(ROOT, "ansible.cfg"))


def test_the_canned_runs_are_one_unhealthy_and_one_healthy_node():
    assert health_report(canned(HOSTS["compute1"]), "compute1")[0] == "compute1: UNHEALTHY - nova_compute failed"
    assert health_report(canned(HOSTS["compute2"]), "compute2")[0].startswith("compute2: healthy")


def test_under_a_stock_ansible_cfg_each_report_line_is_a_line(stock):
    rc, output = stock
    assert rc != 0, output  # compute1 is unhealthy
    section = report_section(output)
    assert "\\n" not in section, section
    for host, run in HOSTS.items():
        for line in health_report(canned(run), host):
            # a JSON list item of its own: the line, quoted, and nothing else
            assert re.search(r"^ +%s,?$" % re.escape(json.dumps(line)), section, re.M), (line, section)


def test_under_this_repositorys_ansible_cfg_the_report_is_one_block(repository):
    rc, output = repository
    assert rc != 0, output
    section = report_section(output)
    assert "\\n" not in section, section
    for host, run in HOSTS.items():
        lines = health_report(canned(run), host)
        block = "\n".join(" " * 8 + line for line in lines)  # YAML's literal block, as the lines are
        assert "    msg: |-\n" + block + "\n" in section, section


@pytest.mark.parametrize("fixture", ["stock", "repository"])
def test_the_summary_names_the_unhealthy_node_on_one_line(request, fixture):
    _rc, output = request.getfixturevalue(fixture)
    verdict = "  compute1: nova_compute failed - nova-compute is starting but cannot reach the message bus"
    assert re.search(r"^\[ERROR\]: Task failed: Action failed: unhealthy:\n%s" % re.escape(verdict), output, re.M), \
        output
