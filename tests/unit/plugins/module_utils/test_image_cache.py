"""Tests for _image_cache: Nova 26's image cache manager rules (nova/virt/libvirt/imagecache.py)."""

import hashlib

import pytest

from ansible_collections.novaops.compute.plugins.module_utils import _image_cache as cache
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import parse_ini

DEFAULTS = dict(manager_interval=2400, subdirectory_name="_base", remove_unused_base_images=True,
                remove_unused_original_minimum_age_seconds=86400, remove_unused_resized_minimum_age_seconds=3600)
NOW = 1_800_000_000.0
SHA = "6052df28e51f313a438ec3a07865dd2e5ee037f3"


def test_settings_defaults_are_novas_and_debians_paths():
    settings, sources = cache.cache_settings(parse_ini("[DEFAULT]\n"))
    assert settings == dict(DEFAULTS, state_path="/var/lib/nova", instances_path="/var/lib/nova/instances")
    assert set(sources.values()) == {"default"}


def test_new_names_win_over_deprecated_ones_and_state_path_expands():
    conf = parse_ini("[DEFAULT]\nstate_path = /srv/nova/\ninstances_path = $state_path/guests\n"
                     "image_cache_manager_interval = 60\nremove_unused_base_images = False\n"
                     "image_cache_subdirectory_name = cache\n"
                     "[image_cache]\nmanager_interval = 120\n"
                     "[libvirt]\nremove_unused_resized_minimum_age_seconds = 10\n")
    settings, sources = cache.cache_settings(conf)
    assert settings["instances_path"] == "/srv/nova/guests"
    assert settings["manager_interval"] == 120 and sources["manager_interval"] == "[image_cache] manager_interval"
    assert settings["remove_unused_base_images"] is False
    assert sources["remove_unused_base_images"] == "[DEFAULT] remove_unused_base_images"
    assert settings["subdirectory_name"] == "cache"
    assert settings["remove_unused_resized_minimum_age_seconds"] == 10


@pytest.mark.parametrize("text, message", [
    ("[image_cache]\nmanager_interval = soon\n", "[image_cache] manager_interval = 'soon' is not an integer"),
    ("[image_cache]\nmanager_interval = -5\n", "below its minimum, -1"),
    ("[image_cache]\nremove_unused_base_images = maybe\n", "remove_unused_base_images = 'maybe' is not a boolean"),
    ("[image_cache]\nsubdirectory_name = a/b\n", "subdirectory_name = 'a/b' is not a directory name"),
])
def test_values_nova_would_refuse(text, message):
    with pytest.raises(cache.CacheConfigError, match=None) as info:
        cache.cache_settings(parse_ini(text))
    assert message in str(info.value)


@pytest.mark.parametrize("name, kind", [
    (SHA, "original"),
    (SHA + "_10737418240", "resized"),
    (SHA + "_sm", "resized"),
    (SHA + "_5", "unmanaged"),  # Nova wants more than two characters after the digest  # Folsom-era names are judged with the resized age
    ("swap_512", "swap"),
    ("ephemeral_1_0706d66", "ephemeral"),
    ("ephemeral_1_0706d6", "unmanaged"),
    ("swap_x", "unmanaged"),
    ("README", "unmanaged"),
])
def test_entry_kind(name, kind):
    assert cache.entry_kind(name) == kind


def test_fingerprint_is_novas_cache_name():
    image = "95c5c184-ac90-42a3-a104-d44ec63f8a60"
    assert cache.fingerprint(image) == hashlib.sha1(image.encode()).hexdigest() == SHA


def entry(name=SHA, age=0.0, size=1024):
    return {"name": name, "path": "/var/lib/nova/instances/_base/" + name, "size": size, "mtime": NOW - age}


def test_in_use_entry_is_kept_and_says_why():
    users = [{"disk": "/var/lib/nova/instances/u/disk"}]
    judged = cache.judge_entry(entry(age=10 * 86400), users, [], DEFAULTS, NOW)
    assert judged["in_use"] and not judged["removable_now"] and judged["removal_expected"] is None
    assert "removing it by hand breaks that disk" in judged["reason"]


def test_the_image_of_an_instance_here_is_in_use_without_a_disk():
    judged = cache.judge_entry(entry(age=10 * 86400), [], ["95c5c184"], DEFAULTS, NOW)
    assert judged["in_use"] and judged["image_id"] == "95c5c184"


def test_unused_young_original_waits_for_its_age_then_the_next_pass():
    last_pass = NOW - 100
    judged = cache.judge_entry(entry(age=3600), [], [], DEFAULTS, NOW, last_pass)
    assert not judged["removable_now"]
    eligible = NOW - 3600 + 86400
    assert judged["removable_at"] == cache.iso(eligible)
    passes = (eligible - last_pass) // 2400 + 1
    assert judged["removal_expected"] == cache.iso(last_pass + passes * 2400)
    assert judged["minimum_age_seconds"] == 86400


def test_unused_old_entry_goes_at_the_next_pass():
    judged = cache.judge_entry(entry(SHA + "_10", age=7200), [], [], DEFAULTS, NOW, NOW - 2000)
    assert judged["removable_now"] and judged["minimum_age_seconds"] == 3600
    assert judged["removal_expected"] == cache.iso(NOW + 400)


@pytest.mark.parametrize("settings, words", [
    (dict(DEFAULTS, remove_unused_base_images=False), "remove_unused_base_images is false"),
    (dict(DEFAULTS, manager_interval=-1), "manager_interval = -1"),
])
def test_nova_keeps_unused_entries_when_told_to(settings, words):
    judged = cache.judge_entry(entry(age=10 * 86400), [], [], settings, NOW)
    assert not judged["removable_now"] and judged["removable_at"] is None and words in judged["reason"]


def test_unmanaged_names_are_never_removed():
    judged = cache.judge_entry(entry("notes.txt", age=10 * 86400), [], [], DEFAULTS, NOW)
    assert judged["kind"] == "unmanaged" and judged["removable_at"] is None


@pytest.mark.parametrize("after, interval, last, expected", [
    (1000, 600, None, 1600),   # unknown last pass: the latest it can be
    (1000, 600, 900, 1500),
    (1000, 600, 400, 1000),    # a pass falls exactly then
    (1000, 0, 990, 1050),      # 0: every 60-second periodic tick
    (1000, -1, 990, None),
    (500, 600, 900, 1500),     # already eligible before the last pass: the next one
])
def test_next_pass(after, interval, last, expected):
    assert cache.next_pass(after, interval, last) == expected


def test_storage_users_forget_nodes_after_a_day():
    text = '{"compute1": %f, "compute2": %f, "bad": "x"}' % (NOW - 60, NOW - 25 * 3600)
    assert cache.parse_storage_users(text, NOW) == {"compute1": NOW - 60}
    assert cache.parse_storage_users("not json", NOW) == {}
    assert cache.parse_storage_users(None, NOW) == {}


def test_mount_of_takes_the_longest_prefix():
    mounts = ("/dev/vda1 / ext4 rw 0 0\n"
              "nfs1:/export/nova /var/lib/nova/instances nfs4 rw 0 0\n"
              "tmpfs /var/lib/nova/instances-old tmpfs rw 0 0\n")
    assert cache.mount_of("/var/lib/nova/instances/_base", mounts) == ("/var/lib/nova/instances", "nfs4")
    assert cache.mount_of("/var/lib/nova/instancesX", mounts) == ("/", "ext4")


def test_summary_totals_sizes_on_disk():
    judged = [cache.judge_entry(entry(SHA, age=10), [{"disk": "d"}], [], DEFAULTS, NOW),
              cache.judge_entry(entry("a" * 40, age=90000, size=300), [], [], DEFAULTS, NOW),
              cache.judge_entry(entry("b" * 40, age=10, size=200), [], [], DEFAULTS, NOW),
              cache.judge_entry(entry("README", age=10, size=7), [], [], DEFAULTS, NOW)]
    assert cache.summarize(judged) == {"entries": 4, "in_use": 1, "unused": 3, "size_bytes": 1531,
                                       "reclaimable_bytes": 500, "reclaimable_now_bytes": 300}
