"""playbooks/check_consoles.yml's console-proxy check, templated as Ansible
templates it: when it runs, which servers it asks for, and the failure
message it builds from vnc_check's results (results in vnc_check's shape,
written here)."""

import os

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

PLAYBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "..", "playbooks", "check_consoles.yml")
AUTH = {"auth_url": "http://controller:5000/v3", "username": "admin", "password": "pw", "project_name": "admin"}
GUESTS = [
    {"domain": "instance-00000001", "port": 5900, "listen": "0.0.0.0", "instance_uuid": "u-1", "instance_name": "web-1"},
    {"domain": "bed-guest-tap", "port": 5901, "listen": "0.0.0.0", "instance_uuid": None, "instance_name": None},
    {"domain": "instance-00000002", "port": 5902, "listen": "0.0.0.0", "instance_uuid": "u-2", "instance_name": "db"},
]


def tasks():
    with open(PLAYBOOK, encoding="utf-8") as f:
        play = yaml.safe_load(f)[0]
    block = next(t for t in play["tasks"] if "block" in t)["block"]
    return {t["name"]: t for t in block}


def templar(task, **variables):
    variables.update({k: trust_as_template(v) for k, v in task.get("vars", {}).items()})
    return Templar(loader=DataLoader(), variables=variables)


def runs(task, **variables):
    t = templar(task, **variables)
    return all(t.template(trust_as_template("{{ %s }}" % cond)) for cond in task["when"])


PROXIED = "Open every Nova instance's console through the console proxy, as the dashboard does"
VERDICT = "Every Nova instance's console opens through the console proxy"


def test_the_proxy_check_needs_novaops_console_auth_and_nova_guests():
    task = tasks()[PROXIED]
    assert not runs(task, __consoles={"guests": GUESTS})
    assert runs(task, __consoles={"guests": GUESTS}, novaops_console_auth=AUTH)
    assert not runs(task, __consoles={"guests": GUESTS[1:2]}, novaops_console_auth=AUTH)
    assert task["novaops.compute.vnc_check"]["auth"] == "{{ novaops_console_auth }}"


def test_the_servers_are_the_nova_guests():
    task = tasks()[PROXIED]
    servers = templar(task, __consoles={"guests": GUESTS}).template(
        trust_as_template(task["novaops.compute.vnc_check"]["servers"]))
    assert servers == ["u-1", "u-2"]


def test_the_failure_names_each_server_its_layer_and_what_to_do():
    task = tasks()[VERDICT]
    proxied = {"reachable": False, "consoles": [
        {"server": "u-1", "reachable": False, "layer": "proxy_to_compute", "error": "the proxy connects to "
         "127.0.0.1:5900 for it", "action": "set [vnc] server_proxyclient_address"},
        {"server": "u-2", "reachable": True, "layer": None, "error": None, "action": None},
        {"server": "u-3", "reachable": False, "layer": "token", "error": "invalid", "action": "get a new URL"},
    ]}
    message = templar(task, __consoles={"guests": GUESTS}, __consoles_proxied=proxied).template(
        trust_as_template(task["ansible.builtin.assert"]["fail_msg"]))
    assert " ".join(message.split()) == (
        "consoles that do not open through the console proxy: web-1 (u-1): layer proxy_to_compute failed - "
        "the proxy connects to 127.0.0.1:5900 for it; do: set [vnc] server_proxyclient_address "
        "(in the role: nova_compute_vnc_server_proxyclient_address and _listen); "
        "u-3 (u-3): layer token failed - invalid; do: get a new URL;")
    assert task["when"] == "__consoles_proxied is not skipped"
    # with every console open the message is still a string: Ansible 2.19 makes an empty one None,
    # which assert refuses even when its condition holds
    proxied = {"reachable": True, "consoles": [
        {"server": "u-2", "reachable": True, "layer": None, "error": None, "action": None}]}
    message = templar(task, __consoles={"guests": GUESTS}, __consoles_proxied=proxied).template(
        trust_as_template(task["ansible.builtin.assert"]["fail_msg"]))
    assert message.strip() == "consoles that do not open through the console proxy:"


@pytest.mark.parametrize("name", [PROXIED, VERDICT])
def test_the_direct_checks_come_first(name):
    names = list(tasks())
    assert names.index(name) > names.index("Every console answers where the console proxy will look for it")
