"""image_cache_info run by ansible on localhost over a Nova-shaped instances
directory built with the real qemu-img (no libvirt: the instances are named by
their directories): entries in use and their users, an unused entry and when
Nova removes it, a name Nova ignores, a disk whose backing file is gone, and
the deprecated option names Nova still reads."""

import calendar
import hashlib
import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
IMAGE = "95c5c184-ac90-42a3-a104-d44ec63f8a60"
SHA = hashlib.sha1(IMAGE.encode()).hexdigest()
OLD = "0123456789abcdef0123456789abcdef01234567"
UUIDS = ("77cb0890-0dbb-49fd-8dc4-e185f3c20b84", "0f6c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b")


def qemu_img(*args):
    subprocess.run(["qemu-img"] + list(args), check=True, capture_output=True)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    root = tmp_path_factory.mktemp("nova")
    instances = root / "instances"
    base = instances / "_base"
    base.mkdir(parents=True)
    qemu_img("create", "-q", "-f", "raw", str(base / SHA), "64M")
    with open(base / SHA, "r+b") as f:
        f.write(os.urandom(1 << 20))  # 1 MiB allocated
    for uuid in UUIDS:
        (instances / uuid).mkdir()
        qemu_img("create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(base / SHA), str(instances / uuid / "disk"), "1G")
        (instances / uuid / "disk.info").write_text("{}")
    (base / OLD).write_bytes(os.urandom(4096))
    two_days_ago = time.time() - 2 * 86400
    os.utime(base / OLD, (two_days_ago, two_days_ago))
    (base / "notes.txt").write_text("kept by hand\n")
    (instances / "orphan").mkdir()
    qemu_img("create", "-q", "-f", "qcow2", "-u", "-F", "raw", "-b", str(base / "gone"), str(instances / "orphan" / "disk"),
             "1G")
    last_pass = time.time() - 300
    (instances / "compute_nodes").write_text(json.dumps({"node1": last_pass}))
    conf = root / "nova.conf"
    # deprecated names Nova 26 still reads, and one the new name overrides
    conf.write_text("[DEFAULT]\nhost = node1\nstate_path = %s\ninstances_path = $state_path/instances\n"
                    "image_cache_manager_interval = 9999\nremove_unused_original_minimum_age_seconds = 86400\n"
                    "[image_cache]\nmanager_interval = 600\n" % root)
    return {"root": root, "conf": conf, "instances": instances, "last_pass": last_pass}


def run_module(node, check=False):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1")
    argv = [os.path.join(BIN, "ansible"), "localhost", "-m", "novaops.compute.image_cache_info",
            "-a", json.dumps({"nova_conf": str(node["conf"])})] + (["--check"] if check else [])
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert not result.get("failed"), result.get("msg")
    return result


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


@pytest.mark.parametrize("check", [False, True])
def test_the_cache_as_nova_judges_it(node, check):
    result = run_module(node, check)
    assert result["changed"] is False
    assert result["cache_dir"] == str(node["instances"] / "_base")
    assert result["settings"]["manager_interval"] == 600
    assert result["settings"]["sources"]["manager_interval"] == "[image_cache] manager_interval"
    assert result["settings"]["sources"]["remove_unused_original_minimum_age_seconds"] == (
        "[DEFAULT] remove_unused_original_minimum_age_seconds")
    entries = {e["name"]: e for e in result["entries"]}
    assert sorted(entries) == sorted([SHA, OLD, "notes.txt"])

    used = entries[SHA]
    assert used["in_use"] and used["kind"] == "original" and used["format"] == "raw"
    assert used["virtual_size"] == 64 << 20 and used["size"] >= 1 << 20
    assert sorted(u["instance_uuid"] for u in used["users"]) == sorted(UUIDS)
    assert used["removal_expected"] is None

    old = entries[OLD]
    assert not old["in_use"] and old["removable_now"] and old["age_seconds"] >= 2 * 86400 - 60
    # the next pass after the last one recorded in compute_nodes
    assert epoch(old["removal_expected"]) == pytest.approx(node["last_pass"] + 600, abs=1)
    assert entries["notes.txt"]["kind"] == "unmanaged" and entries["notes.txt"]["removal_expected"] is None

    assert result["summary"]["reclaimable_now_bytes"] == old["size"]
    assert result["missing_backing"] == [{"disk": str(node["instances"] / "orphan" / "disk"),
                                          "backing_file": str(node["instances"] / "_base" / "gone")}]
    assert result["manager"]["host"] == "node1"
    warnings = " ".join(result.get("warnings", []))
    assert "never remove it by hand" in warnings and "which does not exist" in warnings


def test_a_bad_setting_is_named(node, tmp_path):
    conf = tmp_path / "nova.conf"
    conf.write_text("[image_cache]\nremove_unused_base_images = perhaps\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(BIN, "ansible"), "localhost", "-m", "novaops.compute.image_cache_info", "-a",
                           "nova_conf=%s" % conf], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "[image_cache] remove_unused_base_images = 'perhaps' is not a boolean" in proc.stdout
