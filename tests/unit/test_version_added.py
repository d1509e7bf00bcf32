"""Every module, filter and role entry point says in which release it came
(version_added), a version no later than the one galaxy.yml builds."""

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
                 + glob.glob(os.path.join(ROOT, "plugins", "filter", "*.py")))
SPECS = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")))


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _version(text):
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", str(text)), text
    return tuple(int(part) for part in str(text).split("."))


GALAXY_VERSION = _version(_load(os.path.join(ROOT, "galaxy.yml"))["version"])


def _documentation(path):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    match = re.search(r'^DOCUMENTATION = r"""\n(.*?)^"""', source, re.S | re.M)
    assert match, "%s has no DOCUMENTATION" % path
    return yaml.safe_load(match.group(1))


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: os.path.relpath(p, ROOT))
def test_plugin_says_when_it_came(path):
    assert _version(_documentation(path)["version_added"]) <= GALAXY_VERSION


@pytest.mark.parametrize("path", SPECS, ids=lambda p: os.path.relpath(p, ROOT))
def test_role_entry_points_say_when_they_came(path):
    entry_points = _load(path)["argument_specs"]
    assert entry_points
    for name, entry_point in entry_points.items():
        assert _version(entry_point["version_added"]) <= GALAXY_VERSION, name
