"""inventory/example is complete and cannot go stale: the groups the
playbooks use, every variable the roles require for every host of the group
site.yml applies them to, secrets only as vault variables (each listed in
vault.yml.example, which holds placeholders only), and settings the roles'
own checks accept (example_inventory.yml, with stand-ins for the vault)."""

import glob
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
INVENTORY = os.path.join(ROOT, "inventory", "example")
VAULT_EXAMPLE = os.path.join(INVENTORY, "group_vars", "nova_compute", "vault.yml.example")
VAULT_REFERENCE = re.compile(r"\{\{\s*(vault_\w+)\s*\}\}")


def tool():
    """tools/role-vars-table.py: which options a role requires, which group site.yml applies it to."""
    spec = importlib.util.spec_from_file_location("role_vars_table", os.path.join(ROOT, "tools", "role-vars-table.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ansible(command, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), command), *args],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(scope="module")
def inventory():
    """ansible-inventory --list of the example: {"_meta": {"hostvars": ...}, group: {"hosts": [...]}, ...}."""
    rc, out, err = ansible("ansible-inventory", "-i", INVENTORY, "--list")
    assert rc == 0, err
    return json.loads(out)


def hosts(inventory, group):
    found = list(inventory.get(group, {}).get("hosts", []))
    for child in inventory.get(group, {}).get("children", []):
        found += hosts(inventory, child)
    return found


def vault_example():
    with open(VAULT_EXAMPLE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def roles():
    return sorted(os.listdir(os.path.join(ROOT, "roles")))


def options(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def test_the_groups_the_playbooks_use_have_hosts(inventory):
    used = set()
    for path in glob.glob(os.path.join(ROOT, "playbooks", "*.yml")):
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        used |= {play["hosts"] for play in yaml.safe_load(text) if "hosts" in play}
        used |= set(re.findall(r"groups\['(\w+)'\]", text))
    assert used >= {"nova_compute", "vnc_clients", "controller"}, used  # the console proxy's: controller
    for group in sorted(used):
        assert hosts(inventory, group), "the example inventory has no host in %s" % group


@pytest.mark.parametrize("role", roles())
def test_every_host_has_every_variable_the_role_requires(inventory, role):
    table = tool()
    specs = options(role)
    required = sorted(name for name, spec in specs.items() if table._required(spec, specs))
    if role == "nova_compute":
        # required: true, and required by the default console (novncproxy_base_url)
        assert "nova_compute_transport_url" in required and "nova_compute_novncproxy_base_url" in required
    group = table._example_hosts(role)
    assert hosts(inventory, group), group
    for host in hosts(inventory, group):
        missing = [name for name in required if name not in inventory["_meta"]["hostvars"][host]]
        assert missing == [], "%s lacks %s" % (host, missing)


def test_secrets_are_vault_variables_listed_in_the_example_vault(inventory):
    """Each secret option (no_log in a role's specs) and every other secret the
    inventory sets (the playbooks' auth passwords) refers to a vault variable;
    vault.yml.example lists exactly the vault variables the inventory uses."""
    secret_names = {name for role in roles() for name, spec in options(role).items() if spec.get("no_log")}
    used = set()
    for host, variables in inventory["_meta"]["hostvars"].items():
        for name, value in variables.items():
            text = json.dumps(value)
            used |= set(VAULT_REFERENCE.findall(text))
            if name in secret_names:
                assert VAULT_REFERENCE.search(text), "%s: %s is a secret but no vault variable" % (host, name)
        for auth in ("novaops_diagnose_auth", "novaops_console_auth", "novaops_inventory_auth"):
            value = variables.get(auth)
            if isinstance(value, dict):
                assert VAULT_REFERENCE.fullmatch(value["password"]), (host, auth)
    assert used == set(vault_example()), (sorted(used), sorted(vault_example()))


def test_the_example_vault_holds_placeholders_only():
    for name, value in vault_example().items():
        assert name.startswith("vault_")
        assert re.fullmatch(r"\{\{ undef\(hint='%s: [^']*'\) \}\}" % name, value), (name, value)
    # and Ansible never reads it as a vars file (only vault.yml would be)
    assert not VAULT_EXAMPLE.endswith((".yml", ".yaml", ".json"))


def test_the_example_settings_pass_the_roles_checks(tmp_path):
    """With a stand-in for each vault variable: the roles' argument specs and
    the nova_compute role's own checks accept every host's settings."""
    stand_ins = {name: "stand-in-%d-Pw" % number for number, name in enumerate(sorted(vault_example()))}
    extra = tmp_path / "vault.json"
    extra.write_text(json.dumps(dict(stand_ins, ansible_python_interpreter=sys.executable)))
    rc, out, err = ansible("ansible-playbook", "-i", INVENTORY, os.path.join(HERE, "example_inventory.yml"),
                           "-e", "@%s" % extra)
    output = out + err
    assert rc == 0, output
    for host in ("compute1.example.org", "compute2.example.org"):
        assert re.search(r"^%s\s*: ok=\d+ .*failed=0" % re.escape(host), output, re.M), output
    assert "Nova 26 (2022.2 Zed), from the installed nova-common" in output
    for value in stand_ins.values():
        assert value not in output
