"""The nova_compute role takes whatever depends on a Nova release from the
collection's option data, never from lists typed by hand, and what it writes
and documents agrees with each release's data."""

import os
import re

import pytest
import yaml

from ansible_collections.novaops.compute.plugins.module_utils import _nova_releases
from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "nova_compute")


def load(*path):
    with open(os.path.join(ROLE, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def read(*path):
    with open(os.path.join(*path), encoding="utf-8") as handle:
        return handle.read()


def written_options():
    """Every (section, option) of nova.conf the role writes from its variables."""
    base = load("vars", "main.yml")["__nova_compute_conf_base"]
    names = [(section, option) for section, options in base.items() if isinstance(options, dict)
             for option in options]
    names += [(section, option) for section in _nova_conf.KEYSTONEAUTH_SECTIONS
              for option in ("auth_type",) + _nova_conf.KEYSTONEAUTH_OPTIONS]
    return names


@pytest.mark.parametrize("release", _nova_releases.SUPPORTED)
def test_every_option_the_role_writes_is_one_of_each_release_and_not_deprecated(release):
    data = _nova_releases.opt_data(release)
    problems = []
    for section, option in written_options():
        spec = data["options"].get(section, {}).get(option)
        if spec is None:
            problems.append("[%s] %s is not an option of Nova %s" % (section, option, release))
        elif spec.get("deprecated_for_removal") or spec.get("deprecated_since"):
            problems.append("[%s] %s is deprecated in Nova %s" % (section, option, release))
        elif data.get("deprecated", {}).get(section, {}).get(option):
            problems.append("[%s] %s is a deprecated name in Nova %s" % (section, option, release))
    assert problems == []


def test_no_release_is_typed_into_the_vars():
    """The release comes from the node (or nova_compute_release), the
    validator's namespaces from the release's data."""
    for name in os.listdir(os.path.join(ROLE, "vars")):
        data = load("vars", name)
        assert "__nova_compute_release" not in data or "nova_compute_release_choice" in str(
            data["__nova_compute_release"]), name
        namespaces = data.get("__nova_compute_validator_namespaces")
        assert namespaces is None or "nova_release_info" in namespaces, name
    assert "nova_release_info" in load("vars", "main.yml")["__nova_compute_validator_namespaces"]


def test_the_release_variable_names_every_supported_release():
    spec = load("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]["nova_compute_release"]
    text = " ".join(spec["description"])
    for release in _nova_releases.SUPPORTED:
        assert "C(%s) (%s %s," % (release, _nova_releases.SERIES[release], _nova_releases.NAMES[release]) in text \
            or "C(%s) (%s %s" % (release, _nova_releases.SERIES[release], _nova_releases.NAMES[release]) in text
    assert spec["default"] == "auto" and load("defaults", "main.yml")["nova_compute_release"] == "auto"


def _number(value):
    return ("%.1f" % value) if isinstance(value, float) else str(value)


@pytest.mark.parametrize("kind", ["cpu", "ram", "disk"])
def test_documented_initial_ratio_defaults_are_each_releases(kind):
    """The argument specs (and so both READMEs) and defaults/main.yml say the
    initial ratios' defaults per release: they must be the data's."""
    option = "initial_%s_allocation_ratio" % kind
    spec = load("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]["nova_compute_" + option]
    text = spec["description"] if isinstance(spec["description"], str) else " ".join(spec["description"])
    defaults = {r: _nova_releases.opt_data(r)["options"]["DEFAULT"][option]["default"]
                for r in _nova_releases.SUPPORTED}
    if len(set(defaults.values())) == 1:
        value = _number(defaults["26"])
        assert "%s in Nova %s" % (value, " and ".join(_nova_releases.SUPPORTED)) in text, text
    else:
        for release, value in defaults.items():
            assert "%s in Nova %s" % (_number(value), release) in text, text
    comment = read(ROLE, "defaults", "main.yml")
    for release in _nova_releases.SUPPORTED:
        values = " / ".join(_number(_nova_releases.opt_data(release)["options"]["DEFAULT"]["initial_%s_allocation_ratio"
                                                                                           % k]["default"])
                            for k in ("cpu", "ram", "disk"))
        assert "%s in Nova %s" % (values, release) in comment


def test_readme_initial_ratio_defaults_are_each_releases():
    readme = read(ROOT, "README.md")
    for release in _nova_releases.SUPPORTED:
        values = " / ".join(_number(_nova_releases.opt_data(release)["options"]["DEFAULT"]["initial_%s_allocation_ratio"
                                                                                           % k]["default"])
                            for k in ("cpu", "ram", "disk"))
        assert "Nova %s: %s" % (release, values) in readme, release
    assert not re.search(r"Nova 26 defaults: 4\.0", readme)
