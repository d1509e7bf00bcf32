"""The built collection, installed alone, works.

Builds the tarball, installs it with --no-deps into a private collections
path, adds each dependency that galaxy.yml declares (copied from the `ansible`
package in the venv: Galaxy is not reachable), then, from a directory outside
the checkout and with nothing else on the collections path:

- ``ansible-playbook --syntax-check`` a playbook that imports every task file of
  every role and every playbook of the collection (static imports resolve
  every module and action name: an undeclared dependency fails here);
- ``ansible-doc`` for every module and role;
- a localhost play that calls every filter once.
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

from ansible.galaxy.dependency_resolution.versioning import meets_requirements

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
VENV_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(yaml.__file__)), "ansible_collections")
if not os.path.isdir(VENV_COLLECTIONS):  # the `ansible` package's collections, next to ansible-core
    import ansible
    VENV_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(ansible.__file__)), "ansible_collections")

# One call per filter, each an expression that must be true. A filter the
# collection ships without a call here fails test_every_filter_is_called.
FILTER_CALLS = {
    "health_line": "({} | novaops.compute.health_line('node1')) is search('node1: not checked')",
    "health_report": "({} | novaops.compute.health_report('node1'))[0] is search('node1')",
    "health_summary": "({'node1': none} | novaops.compute.health_summary).unhealthy | length == 1",
    "inventory_report": "({} | novaops.compute.inventory_report(none, 'node1'))[0] is search('node1: guests not read')",
    "mask_url": "'PW12' not in ('rabbit://nova:PW12@ctl:5672/' | novaops.compute.mask_url)",
    "mask_secrets": "'PW12' not in (['log rabbit://nova:PW12@ctl/'] | novaops.compute.mask_secrets(['PW12']) | join)",
    "nova_compute_errors": "({'nova_compute_transport_url': 'ctl:5672'} | novaops.compute.nova_compute_errors({}))"
                           " is sequence",
    "nova_compute_keystoneauth": "({'nova_compute_placement_password': 'PW12'}"
                                 " | novaops.compute.nova_compute_keystoneauth).placement.auth_type == 'password'",
    "nova_conf_override_errors": "({'DEFAULT': {'debug': true}} | novaops.compute.nova_conf_override_errors('26')) == []"
                                 " and ({'hyperv': {'vswitch_name': 'br0'}} | novaops.compute.nova_conf_override_errors('31'))"
                                 " is search('Nova 31')",
    "nova_conf_mask": "'PW12' not in ('[placement]\\npassword = PW12\\n' | novaops.compute.nova_conf_mask('26'))",
    "nova_compute_release": "('auto' | novaops.compute.nova_compute_release({'package': 'nova-common', 'installed':"
                            " '2:31.0.0-6+deb13u3'})).release == '31'",
    "nova_release_info": "('31' | novaops.compute.nova_release_info).namespaces | length == 17",
    "oslo_ini": "({'DEFAULT': {'debug': true, 'host': none}} | novaops.compute.oslo_ini)"
                " is search('(?m)^debug = true$')",
    "libvirt_conf_value": "(true | novaops.compute.libvirt_conf_value) == '1'",
    "libvirt_conf_apply": "('#a = 0\\n' | novaops.compute.libvirt_conf_apply({'a': true})) == 'a = 1\\n'",
    "ini_value": "(['a', 'b'] | novaops.compute.ini_value) == 'a,b'",
    "nova_conf_migration": "('[DEFAULT]\\nvncserver_listen = 0.0.0.0\\n' | novaops.compute.nova_conf_migration('26'))"
                           ".variables.nova_compute_vnc_server_listen == '0.0.0.0'",
    "systemctl_show": "('Id=libvirtd.service\\nActiveState=active\\n' | novaops.compute.systemctl_show)"
                      ".libvirtd.ActiveState == 'active'",
}

FORBIDDEN = (".config/", "tests/conftest.py", "tests/unit/", "tests/integration/", "molecule/", ".git/", ".venv/", ".cache/")


def _clean_env(collections):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False",
               ANSIBLE_NOCOLOR="1", ANSIBLE_HOME=os.path.join(collections, "..", "ansible-home"),
               ANSIBLE_ROLES_PATH=os.path.join(collections, "..", "no-roles"))
    return env


def run(argv, cwd, env=None):
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(tarball, collections path, the directory to run from, env)."""
    tmp = tmp_path_factory.mktemp("tarball")
    dist, collections, work = tmp / "dist", tmp / "collections", tmp / "work"
    work.mkdir()
    rc, output = run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(dist), ROOT],
                     cwd=str(work), env=_clean_env(str(collections)))
    assert rc == 0, output
    (tarball,) = dist.glob("novaops-compute-*.tar.gz")
    rc, output = run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", str(tarball),
                      "-p", str(collections)], cwd=str(work), env=_clean_env(str(collections)))
    assert rc == 0, output
    home = collections / "ansible_collections" / "novaops" / "compute"
    manifest = json.loads((home / "MANIFEST.json").read_text())
    for name, requirement in (manifest["collection_info"]["dependencies"] or {}).items():
        namespace, collection = name.split(".")
        source = os.path.join(VENV_COLLECTIONS, namespace, collection)
        assert os.path.isdir(source), "%s is not in the `ansible` package" % name
        with open(os.path.join(source, "MANIFEST.json"), encoding="utf-8") as handle:
            version = json.load(handle)["collection_info"]["version"]
        assert meets_requirements(version, requirement), "%s %s does not meet %s" % (name, version, requirement)
        shutil.copytree(source, collections / "ansible_collections" / namespace / collection, symlinks=True)
    return tarball, collections, work, _clean_env(str(collections))


def test_tarball_holds_no_test_or_tooling_files(installed):
    tarball = installed[0]
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    leaked = sorted(n for n in names if any(n.startswith(p) or ("/" + p) in n for p in FORBIDDEN))
    assert leaked == []
    # No tool caches or dot-directories (.pytest_cache, .hypothesis, .ansible, ...).
    hidden = sorted(n for n in names if any(part.startswith(".") for part in n.split("/")))
    assert hidden == []
    for needed in ("LICENSE", "README.md", "roles/nova_compute/README.md", "roles/vnc_client/README.md",
                   "plugins/module_utils/_nova_releases.py", "plugins/module_utils/_nova_opt_data_26.py",
                   "plugins/module_utils/_nova_opt_data_31.py", "plugins/plugin_utils/_nova_release.py",
                   "roles/nova_compute/vars/Debian_13.yml", "meta/runtime.yml"):
        assert needed in names, needed


def _collection_home(installed):
    return installed[1] / "ansible_collections" / "novaops" / "compute"


def test_every_task_file_and_playbook_resolves(installed):
    """Static imports make ansible resolve every module and action name."""
    home = _collection_home(installed)
    work, env = installed[2], installed[3]
    tasks = []
    for role in sorted(os.listdir(home / "roles")):
        for task_file in sorted((home / "roles" / role / "tasks").glob("*.yml")):
            tasks.append({"name": "Import %s %s" % (role, task_file.name),
                          "ansible.builtin.import_role": {"name": "novaops.compute." + role,
                                                          "tasks_from": task_file.name}})
    assert len(tasks) > 10
    plays = [{"name": "Every task file", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    playbooks = sorted(p.stem for p in (home / "playbooks").glob("*.yml"))
    assert "site" in playbooks
    plays += [{"name": "Playbook %s" % name, "ansible.builtin.import_playbook": "novaops.compute." + name}
              for name in playbooks]
    (work / "everything.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    rc, output = run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "--syntax-check",
                      "everything.yml"], cwd=str(work), env=env)
    assert rc == 0, output
    assert "couldn't resolve" not in output


def test_ansible_doc_for_every_module_and_role(installed):
    work, env = installed[2], installed[3]
    home = _collection_home(installed)
    for kind, names in (("module", [p.stem for p in (home / "plugins" / "modules").glob("*.py")]),
                        ("role", os.listdir(home / "roles"))):
        rc, output = run([os.path.join(BIN, "ansible-doc"), "-t", kind, "-l", "novaops.compute", "--json"],
                         cwd=str(work), env=env)
        assert rc == 0, output
        assert names and set("novaops.compute." + n for n in names) <= set(json.loads(output)), output
        for name in sorted(names):
            rc, output = run([os.path.join(BIN, "ansible-doc"), "-t", kind, "novaops.compute." + name],
                             cwd=str(work), env=env)
            assert rc == 0 and "ERROR" not in output, output


def _filters(installed):
    rc, output = run([os.path.join(BIN, "ansible-doc"), "-t", "filter", "-l", "novaops.compute", "--json"],
                     cwd=str(installed[2]), env=installed[3])
    assert rc == 0, output
    return sorted(name.split(".")[-1] for name in json.loads(output))


def test_every_filter_is_called(installed):
    filters = _filters(installed)
    assert filters and sorted(set(filters) - set(FILTER_CALLS)) == []


def test_every_filter_works_from_the_tarball(installed):
    work, env = installed[2], installed[3]
    filters = _filters(installed)
    play = [{
        "name": "Call every filter once", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Filter %s" % name, "ansible.builtin.assert": {"that": [FILTER_CALLS[name]]}}
                  for name in filters],
    }]
    (work / "filters.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    rc, output = run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "filters.yml",
                      "-e", "ansible_python_interpreter=%s" % sys.executable], cwd=str(work), env=env)
    assert rc == 0, output
    assert "ok=%d" % len(filters) in output, output
