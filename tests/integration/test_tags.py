"""The tags of playbooks/site.yml: what `--tags TAG` runs, as
`ansible-playbook --list-tasks --tags TAG` lists it against the example
inventory (no node is touched).

What each tag runs is written down here (TAG_FILES), as task files of the
roles and playbooks; the task names expected are read from those files, so a
task added to configure.yml is expected under `config` without an edit here,
and a task file imported without its tag (or with another) fails.
"""

import os
import re
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
INVENTORY = os.path.join(ROOT, "inventory", "example")

NOVA = "novaops.compute.nova_compute"
VNC = "novaops.compute.vnc_client"
NOVA_PLAY = "Configure Nova compute nodes"
VNC_PLAY = "Install the VNC client tools"
CONSOLES_PLAY = "Check guest consoles from the console proxy's point of view"

# The argument-spec check Ansible adds in front of a role's tasks (tagged always).
ARGSPEC = {NOVA: "Validating arguments against arg spec 'main' - Install and configure an OpenStack Nova compute node",
           VNC: "Validating arguments against arg spec 'main' - Install the VNC viewer and xauth used to look at "
                "guest consoles"}
# Run whatever the tags: the facts and the release the checks need, the checks.
ALWAYS = ["set_vars.yml", "validate.yml"]
# tag -> the files each play runs with it, besides the argument checks and ALWAYS.
TAG_FILES = {
    "config": {NOVA: ["configure.yml"]},
    "install": {NOVA: ["install.yml"], VNC: ["set_vars.yml", "install.yml"]},
    "libvirt": {NOVA: ["libvirt.yml"]},
    "service": {NOVA: ["service.yml"]},
    "verify": {NOVA: ["verify.yml"]},
    "consoles": {VNC: ["set_vars.yml", "install.yml", "x11_forwarding.yml"],
                 "playbooks": ["check_consoles.yml"]},
}


def task_names(path):
    """The names --list-tasks shows for a task file (or a playbook's tasks)."""
    with open(path, encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle) or []
    if tasks and "tasks" in tasks[0]:  # a playbook
        tasks = [task for play in tasks for task in play["tasks"]]
    return _flatten(tasks, os.path.dirname(path))


def _flatten(tasks, directory):
    """Blocks opened (--list-tasks shows no rescue or always section), static
    imports followed, a dynamic include listed as itself."""
    names = []
    for task in tasks:
        if "block" in task:
            names += _flatten(task["block"], directory)
        elif "ansible.builtin.import_tasks" in task:
            names += task_names(os.path.join(directory, task["ansible.builtin.import_tasks"]))
        else:
            names.append(task["name"])
    return names


def role_tasks(role, files):
    directory = os.path.join(ROOT, "roles", role.rsplit(".", 1)[1], "tasks")
    return [name for file in files for name in task_names(os.path.join(directory, file))]


def expected(tag):
    """{play: [task names]} that --tags TAG lists."""
    files = TAG_FILES[tag]
    nova = [ARGSPEC[NOVA]] + role_tasks(NOVA, ALWAYS + files.get(NOVA, []))
    vnc = [ARGSPEC[VNC]] + role_tasks(VNC, files.get(VNC, []))
    consoles = [name for file in files.get("playbooks", [])
                for name in task_names(os.path.join(ROOT, "playbooks", file))]
    return {NOVA_PLAY: nova, VNC_PLAY: vnc, CONSOLES_PLAY: consoles}


def list_tasks(*args):
    """{play name: [(task name, [tags])]} of site.yml --list-tasks ARGS."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", INVENTORY,
         os.path.join(ROOT, "playbooks", "site.yml"), "--list-tasks", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    plays, play = {}, None
    for line in result.stdout.splitlines():
        header = re.match(r"^  play #\d+ \([^)]*\): (.*)\tTAGS: \[.*\]$", line)
        task = re.match(r"^      (?:[\w.]+ : )?(.*)\tTAGS: \[(.*)\]$", line)
        if header:
            play = plays.setdefault(header.group(1), [])
        elif task:
            play.append((task.group(1), [t.strip() for t in task.group(2).split(",") if t.strip()]))
    return plays


@pytest.fixture(scope="module")
def listed():
    """{tag or None: list_tasks(--tags tag)}."""
    return {tag: list_tasks(*(["--tags", tag] if tag else [])) for tag in [None] + sorted(TAG_FILES)}


@pytest.mark.parametrize("tag", sorted(TAG_FILES))
def test_a_tag_runs_the_checks_and_exactly_its_tasks(listed, tag):
    plays = listed[tag]
    assert {play: [name for name, _tags in tasks] for play, tasks in plays.items()} == expected(tag)
    for name, tags in plays[NOVA_PLAY]:
        assert "always" in tags or tag in tags, (name, tags)


def test_config_is_nova_conf_its_checks_and_nothing_else(listed):
    """The one an operator uses most, spelled out."""
    nova = [name for name, _tags in listed["config"][NOVA_PLAY]]
    for name in ("Find the node's Nova release (nova_compute_release)",
                 "Check the settings (addresses, URLs, ratios, consoles, qemu.conf, overrides)",
                 "Render nova.conf from the role's settings", "Run oslo-config-validator on the candidate",
                 "Write nova.conf", "Prune old backups of nova.conf and nova-compute.conf"):
        assert name in nova
    for name in ("Install the compute packages (Debian)", "Set qemu.conf options", "Enable and start nova-compute",
                 "Apply pending restarts", "Wait for the compute service to become active"):
        assert name not in nova
    assert [name for name, _tags in listed["config"][VNC_PLAY]] == [ARGSPEC[VNC]]
    assert listed["config"][CONSOLES_PLAY] == []


def test_every_task_has_a_tag(listed):
    """A run without tags is the union of the tagged runs: no task is left
    out of every tag (a new task file imported without one)."""
    everything = {play: {name for name, _tags in tasks} for play, tasks in listed[None].items()}
    union = {play: set() for play in everything}
    for tag in TAG_FILES:
        for play, tasks in listed[tag].items():
            union[play] |= {name for name, _tags in tasks}
    assert union == everything
    for play, tasks in listed[None].items():
        for name, tags in tasks:
            assert tags, "%s: %s has no tag" % (play, name)


def test_the_restart_handlers_are_outside_the_tags():
    """Handlers run when notified, whatever the tags: `--tags config` restarts
    nova-compute after a change and waits for it (the wait is an include of
    wait_active.yml, whose tasks a handler runs untagged)."""
    with open(os.path.join(ROOT, "roles", "nova_compute", "handlers", "main.yml"), encoding="utf-8") as handle:
        handlers = yaml.safe_load(handle)
    assert not any("tags" in handler for handler in handlers)
    restart = next(h for h in handlers if h["name"] == "Restart nova-compute")
    assert restart["notify"] == "Wait for nova-compute"
    wait = next(h for h in handlers if h["name"] == "Wait for nova-compute")
    assert wait["ansible.builtin.include_tasks"] == "wait_active.yml"
