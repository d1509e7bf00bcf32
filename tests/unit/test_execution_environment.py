"""The execution environment's definition agrees with the rest of the checkout.

`make ee` builds it (tools/build-ee.sh) and the bed runs the playbooks from it
(molecule/default/tests/test_execution_environment.py); these checks keep its
pins and files from drifting apart without a build.
"""

import os
import re
import subprocess

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)$")


def load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def pins(path):
    """{lower-case name: version} of a requirements file; every line a comment or an exact pin."""
    found = {}
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line:
                match = PIN.match(line)
                assert match, "%s: not an exact pin: %s" % (path, line)
                found[match.group(1).lower()] = match.group(2)
    return found


EE = load("execution-environment.yml")


def test_the_ee_runs_the_ansible_core_of_the_checkout():
    assert EE["dependencies"]["ansible_core"]["package_pip"] in open(
        os.path.join(ROOT, "requirements-dev.txt"), encoding="utf-8").read().split()


def test_every_python_package_of_the_ee_is_pinned_once_and_alike():
    constraints = pins("tools/ee/constraints.txt")
    for key in ("ansible_core", "ansible_runner"):
        name, version = PIN.match(EE["dependencies"][key]["package_pip"]).groups()
        assert constraints[name.lower()] == version, key
    pins("tools/ee/requirements-builder.txt")


def test_every_from_is_a_local_image():
    assert EE["images"]["base_image"]["name"].startswith("localhost/")


def test_the_collection_declares_its_ee_requirements_and_ships_them():
    meta = load("meta/execution-environment.yml")
    ignored = load("galaxy.yml")["build_ignore"]
    for path in meta["dependencies"].values():
        assert os.path.isfile(os.path.join(ROOT, path)), path
        assert path not in ignored, "%s must be in the tarball: ansible-builder reads it there" % path
    # the controller side uses the standard library and ansible-core only
    assert pins(meta["dependencies"]["python"]) == {}


@pytest.mark.parametrize("path", ["tools/ee/apt-as-dnf", "tools/build-ee.sh"])
def test_the_build_scripts_are_executable(path):
    assert os.access(os.path.join(ROOT, path), os.X_OK)


def test_the_galaxy_stage_installs_what_build_ee_stages():
    names = [entry["name"] for entry in load("tools/ee/requirements.yml")["collections"]]
    assert names == ["/build/collections/novaops-compute.tar.gz", "/build/collections/ansible/utils"]
    script = open(os.path.join(ROOT, "tools", "build-ee.sh"), encoding="utf-8").read()
    assert '"$work/collections/novaops-compute.tar.gz"' in script
    assert '"$work/collections/ansible/utils"' in script
    assert {"src": ".cache/ee/collections", "dest": "collections"} in EE["additional_build_files"]


def test_apt_as_dnf_refuses_what_ansible_builder_never_asks():
    result = subprocess.run([os.path.join(ROOT, "tools", "ee", "apt-as-dnf"), "remove", "x"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "not 'remove'" in result.stderr


def test_the_tarball_leaves_the_ee_definition_out():
    """execution-environment.yml names files of this checkout (tools/ee/, .cache/ee/): no use in the tarball."""
    assert "execution-environment.yml" in load("galaxy.yml")["build_ignore"]
