"""Each role's contract: argument specs, defaults, usages and README agree."""

import glob
import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLES = sorted(os.listdir(os.path.join(ROOT, "roles")))


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def specs(role):
    return load(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml"))["argument_specs"]["main"]["options"]


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_documented_and_every_optional_spec_has_a_default(role):
    options = specs(role)
    defaults = load(os.path.join(ROOT, "roles", role, "defaults", "main.yml"))
    assert sorted(set(defaults) - set(options)) == []
    missing = [name for name, spec in options.items() if not spec.get("required") and name not in defaults]
    assert missing == []
    for name in defaults:
        assert name.startswith(role + "_"), "public variables are prefixed with the role name: %s" % name


@pytest.mark.parametrize("role", ROLES)
def test_required_and_secret_variables_have_no_default(role):
    defaults = load(os.path.join(ROOT, "roles", role, "defaults", "main.yml"))
    for name, spec in specs(role).items():
        if spec.get("required"):
            assert name not in defaults, name
        if spec.get("no_log"):
            assert defaults.get(name) is None, "secret %s must not have a default" % name


@pytest.mark.parametrize("role", ROLES)
def test_every_variable_the_role_uses_is_documented(role):
    options = set(specs(role))
    used = set()
    for path in glob.glob(os.path.join(ROOT, "roles", role, "**", "*"), recursive=True):
        if os.path.isfile(path) and path.endswith((".yml", ".j2")) and "/meta/" not in path:
            with open(path, encoding="utf-8") as handle:
                used |= set(re.findall(r"(?<![_\w.])%s_\w+" % role, handle.read()))
    assert sorted(used - options) == []


@pytest.mark.parametrize("template", sorted(glob.glob(os.path.join(ROOT, "roles", "*", "templates", "*.j2"))))
def test_templates_start_with_the_managed_header(template):
    with open(template, encoding="utf-8") as handle:
        assert handle.readline().strip() == "{{ ansible_managed | comment }}"


def test_readme_variable_tables_are_current():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "role-vars-table.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_readme_starts_with_the_two_commands():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        head = handle.read(1500)
    assert "make demo" in head and "make test" in head
