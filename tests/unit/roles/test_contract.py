"""Each role's contract: argument specs, defaults, usages and README agree."""

import glob
import importlib.util
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


def _role_docs_tool():
    spec = importlib.util.spec_from_file_location("role_vars_table", os.path.join(ROOT, "tools", "role-vars-table.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("role", ROLES)
def test_role_readme_is_generated_from_the_argument_specs(role):
    """roles/ROLE/README.md is what tools/role-vars-table.py generates, down to
    the hand-written marker: it drifts from meta/argument_specs.yml only when
    someone forgets to run the tool."""
    with open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8") as handle:
        current = handle.read()
    tool = _role_docs_tool()
    generated, marker = current.partition("\n" + tool.HAND_WRITTEN)[:2]
    assert marker and generated == tool.role_readme(role), "run python tools/role-vars-table.py"
    for name in specs(role):
        assert "| `%s` |" % name in current


def test_role_readme_keeps_the_hand_written_part():
    tool = _role_docs_tool()
    old = "# Role\n\nold table\n" + tool.HAND_WRITTEN + "\n## Notes\n\nBy hand.\n"
    assert tool.compose("# Role\n\nnew table\n", old) == ("# Role\n\nnew table\n\n" + tool.HAND_WRITTEN
                                                          + "\n## Notes\n\nBy hand.\n")
    assert tool.compose("# Role\n", None) == "# Role\n\n" + tool.HAND_WRITTEN + "\n"
    assert tool.compose("# Role\n", "# Role, all generated\n") == "# Role\n\n" + tool.HAND_WRITTEN + "\n"


@pytest.mark.parametrize("role", ROLES)
def test_os_vars_layers_hold_only_what_differs(role):
    """vars/<family>.yml, then <family>_<major>.yml, <distribution>.yml and
    <distribution>_<major>.yml: a more specific file only overrides its base."""
    vars_dir = os.path.join(ROOT, "roles", role, "vars")
    families = load(os.path.join(vars_dir, "main.yml"))["__%s_os_families" % role]
    files = {os.path.basename(p)[:-4]: load(p) for p in glob.glob(os.path.join(vars_dir, "*.yml"))}
    for family in families:
        assert family in files, "vars/%s.yml is missing" % family
    for name, data in files.items():
        base = name.rsplit("_", 1)[0]
        if name == "main" or "_" not in name or base not in files:
            continue
        assert set(data) <= set(files[base]), "%s.yml adds variables %s.yml lacks" % (name, base)
        for key, value in data.items():
            assert files[base][key] != value, "%s.yml repeats %s from %s.yml" % (name, key, base)


def test_no_scheduler_filters_on_a_compute_node():
    """[filter_scheduler] is read by nova-scheduler on the controllers only."""
    role = os.path.join(ROOT, "roles", "nova_compute")
    for path in glob.glob(os.path.join(role, "**", "*.yml"), recursive=True):
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        assert "filter_scheduler" not in text and "scheduler_enabled_filters" not in text, path


def test_keystoneauth_sections_share_one_contract():
    """[placement] and [neutron] (every section the keystoneauth helper writes)
    have the same variables: auth_url and the password required, the password
    secret, the rest with the same types and defaults (the user is named after
    the service)."""
    from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf

    options = specs("nova_compute")
    defaults = load(os.path.join(ROOT, "roles", "nova_compute", "defaults", "main.yml"))
    shapes = []
    for section in _nova_conf.KEYSTONEAUTH_SECTIONS:
        prefix = "nova_compute_%s_" % section
        names = sorted(name[len(prefix):] for name in options if name.startswith(prefix))
        assert names == sorted(_nova_conf.KEYSTONEAUTH_OPTIONS), section
        assert options[prefix + "auth_url"].get("required") and options[prefix + "password"].get("required")
        assert options[prefix + "password"].get("no_log") is True
        assert defaults[prefix + "username"] == section
        shapes.append({option: (options[prefix + option]["type"], options[prefix + option].get("elements"),
                                options[prefix + option].get("default"), defaults.get(prefix + option))
                       for option in _nova_conf.KEYSTONEAUTH_OPTIONS if option != "username"})
    assert all(shape == shapes[0] for shape in shapes)


def test_no_metadata_proxy_options_on_a_compute_node():
    """nova-api's metadata service reads them on the controllers."""
    role = os.path.join(ROOT, "roles", "nova_compute")
    for path in glob.glob(os.path.join(role, "**", "*"), recursive=True):
        if path.endswith((".yml", ".j2")) and "/meta/" not in path:  # meta: their description says so
            with open(path, encoding="utf-8") as handle:
                assert "metadata_proxy" not in handle.read(), path
