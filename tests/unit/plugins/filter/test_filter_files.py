"""Every filter is documented on its own: ansible-doc (and Galaxy's importer)
find a filter's documentation by its file name, so a file that exports two
filters documents at most one of them."""

import glob
import importlib
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FILES = sorted(glob.glob(os.path.join(ROOT, "plugins", "filter", "*.py")))


def _plugin(path):
    name = os.path.basename(path)[:-3]
    return name, importlib.import_module("ansible_collections.novaops.compute.plugins.filter." + name)


def test_there_are_filter_files():
    assert len(FILES) >= 17


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_a_file_exports_the_one_filter_it_is_named_after(path):
    name, plugin = _plugin(path)
    assert list(plugin.FilterModule().filters()) == [name]


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_a_filter_is_documented_in_its_own_file(path):
    name, plugin = _plugin(path)
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc["name"] == name
    assert doc["short_description"] and doc["description"]
    assert "_input" in doc["options"]
    assert yaml.safe_load(plugin.EXAMPLES)
    assert "_value" in yaml.safe_load(plugin.RETURN)
