# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nova's image cache (``$instances_path/_base``) judged the way its cache manager judges it.

Pure functions; the module gathers the facts.  The rules are Nova 26's
(nova/virt/libvirt/imagecache.py, nova/compute/manager.py
``_run_image_cache_manager_pass``, nova/virt/storage_users.py):

- An entry named by 40 characters (the SHA-1 of a Glance image ID) is an
  *original*; one named ``<40 characters>_<more>`` a *resized* copy (or a
  Folsom-era ``_sm`` file); ``swap_N`` and ``ephemeral_N_xxxxxxx`` are swap and
  ephemeral bases.  Nova ignores every other name: it never removes them.
- An entry is in use when an instance disk of this node (or of a node sharing
  the storage) reads from it as its backing file, or when it is the
  fingerprint of an instance's image.
- Each pass, every unused entry whose mtime is older than its minimum age
  (``remove_unused_original_minimum_age_seconds`` for originals, swap and
  ephemeral bases, ``..._resized_...`` for the rest) is removed, if
  ``remove_unused_base_images`` is true.  Nova touches an entry whenever it
  creates a disk from it, so the age counts from the last instance built
  from it.
- Passes run every ``manager_interval`` seconds (0: each 60-second periodic
  tick, -1: never).  Each pass writes ``{host: time}`` into
  ``$instances_path/compute_nodes``: the last pass of each node sharing the
  storage.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time

from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import conf_get

DIGEST_SIZE = 40  # hashlib.sha1().hexdigest()
PERIODIC_TICK = 60  # oslo.service's default periodic interval (manager_interval 0)
STORAGE_USER_TTL = 24 * 3600  # nova/virt/storage_users.py TWENTY_FOUR_HOURS

# (key, new section, new option, [(deprecated section, deprecated option)], default)
SETTINGS = (
    ("manager_interval", "image_cache", "manager_interval",
     [("DEFAULT", "image_cache_manager_interval")], 2400),
    ("subdirectory_name", "image_cache", "subdirectory_name",
     [("DEFAULT", "image_cache_subdirectory_name")], "_base"),
    ("remove_unused_base_images", "image_cache", "remove_unused_base_images",
     [("DEFAULT", "remove_unused_base_images")], True),
    ("remove_unused_original_minimum_age_seconds", "image_cache", "remove_unused_original_minimum_age_seconds",
     [("DEFAULT", "remove_unused_original_minimum_age_seconds")], 24 * 3600),
    ("remove_unused_resized_minimum_age_seconds", "image_cache", "remove_unused_resized_minimum_age_seconds",
     [("libvirt", "remove_unused_resized_minimum_age_seconds")], 3600),
)

# file systems on which several compute nodes may share one instances_path
SHARED_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3", "ceph", "fuse.cephfs", "glusterfs", "fuse.glusterfs",
                      "lustre", "gpfs", "ocfs2", "gfs2", "beegfs", "fuse.sshfs", "9p", "virtiofs")

_TRUE = ("true", "1", "yes", "on", "y", "t")
_FALSE = ("false", "0", "no", "off", "n", "f")


class CacheConfigError(ValueError):
    """nova.conf gives a value nova-compute itself would refuse."""


def _convert(key, value, default, where):
    if isinstance(default, bool):
        lowered = value.strip().lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise CacheConfigError("%s = %r is not a boolean" % (where, value))
    if isinstance(default, int):
        try:
            number = int(value.strip())
        except ValueError:
            raise CacheConfigError("%s = %r is not an integer" % (where, value)) from None
        if key == "manager_interval" and number < -1:
            raise CacheConfigError("%s = %d is below its minimum, -1" % (where, number))
        return number
    return value.strip()


def cache_settings(conf):
    """The cache manager's settings from a parsed nova.conf.

    Returns ``(settings, sources)``: ``settings[key]`` the value nova-compute
    uses (the new name wins over its deprecated names, as oslo.config does),
    ``sources[key]`` where it came from (``[section] option`` or ``default``).
    Also ``instances_path`` and ``state_path`` (``$state_path`` expanded;
    Debian's and the role's state_path, /var/lib/nova, when unset).
    """
    settings, sources = {}, {}
    for key, section, option, deprecated, default in SETTINGS:
        for where_section, where_option in [(section, option)] + deprecated:
            value = conf_get(conf, where_section, where_option)
            if value is not None:
                where = "[%s] %s" % (where_section, where_option)
                settings[key], sources[key] = _convert(key, value, default, where), where
                break
        else:
            settings[key], sources[key] = default, "default"
    state_path = conf_get(conf, "DEFAULT", "state_path")
    sources["state_path"] = "[DEFAULT] state_path" if state_path else "default"
    state_path = (state_path or "/var/lib/nova").strip().rstrip("/") or "/"
    instances_path = conf_get(conf, "DEFAULT", "instances_path")
    sources["instances_path"] = "[DEFAULT] instances_path" if instances_path else "default"
    instances_path = (instances_path or "$state_path/instances").strip()
    instances_path = re.sub(r"\$\{?state_path\}?", lambda _m: state_path, instances_path).rstrip("/") or "/"
    settings.update(state_path=state_path, instances_path=instances_path)
    name = settings["subdirectory_name"]
    if not name or "/" in name or name in (".", ".."):
        raise CacheConfigError("%s = %r is not a directory name" % (sources["subdirectory_name"], name))
    return settings, sources


def fingerprint(image_id):
    """The cache entry name of a Glance image (nova.virt.libvirt.imagecache.get_cache_fname)."""
    return hashlib.sha1(image_id.encode("utf-8")).hexdigest()


def entry_kind(name):
    """What Nova's ``_scan_base_images`` makes of a file name in the cache directory.

    ``original``, ``resized``, ``swap``, ``ephemeral``, or ``unmanaged`` (a
    name Nova's cache manager ignores and never removes).
    """
    if len(name) == DIGEST_SIZE:
        return "original"
    if len(name) > DIGEST_SIZE + 2 and name[DIGEST_SIZE] == "_":
        return "resized"
    parts = name.split("_")
    if len(parts) == 2 and parts[0] == "swap" and parts[1].isdigit():
        return "swap"
    if len(parts) == 3 and parts[0] == "ephemeral" and parts[1].isdigit() and len(parts[2]) == 7:
        return "ephemeral"
    return "unmanaged"


def minimum_age(kind, settings):
    if kind == "resized":
        return settings["remove_unused_resized_minimum_age_seconds"]
    return settings["remove_unused_original_minimum_age_seconds"]


def parse_storage_users(text, now, ttl=STORAGE_USER_TTL):
    """``$instances_path/compute_nodes`` -> ``{host: last pass (epoch)}`` of the nodes using the storage.

    Nova counts a node as a user of the storage for 24 hours after its last
    pass.  Text that is not Nova's JSON object gives ``{}``.
    """
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {host: float(at) for host, at in data.items()
            if isinstance(at, (int, float)) and not isinstance(at, bool) and now - at < ttl}


def mount_of(path, mounts):
    """The ``(mount point, fs type)`` holding PATH from ``/proc/mounts`` text (longest prefix)."""
    best = ("/", None)
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, fields[2])
    return best


def next_pass(after, interval, last_pass=None):
    """The first cache-manager pass at or after AFTER (epoch), or None when passes are off.

    Knowing the last pass, passes fall at ``last + k * interval``; not knowing
    it, the answer is the latest it can be (``after + interval``).
    """
    if interval < 0:
        return None
    step = interval or PERIODIC_TICK
    if last_pass is None:
        return after + step
    if after <= last_pass:
        return last_pass + step
    return last_pass + math.ceil((after - last_pass) / float(step)) * step


def iso(epoch):
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def judge_entry(entry, users, image_ids, settings, now, last_pass=None):
    """Add Nova's verdict to one cache entry.

    ``entry``: ``{name, path, size, mtime, ...}``; ``users``: the disks that
    read from it; ``image_ids``: the instances' Glance image IDs whose
    fingerprint it is.  Adds ``kind``, ``in_use``, ``users``, ``image_id``,
    ``age_seconds``, ``minimum_age_seconds``, ``removable_now``,
    ``removable_at`` and ``removal_expected`` (ISO times, None when Nova will
    not remove it) and ``reason``.
    """
    kind = entry_kind(entry["name"])
    age = max(0, int(now - entry["mtime"]))
    min_age = minimum_age(kind, settings) if kind != "unmanaged" else None
    in_use = bool(users) or bool(image_ids)
    out = dict(entry, kind=kind, in_use=in_use, users=users, image_id=image_ids[0] if image_ids else None,
               age_seconds=age, minimum_age_seconds=min_age, mtime=iso(entry["mtime"]),
               removable_now=False, removable_at=None, removal_expected=None)
    interval = settings["manager_interval"]
    if in_use:
        count = len(users)
        out["reason"] = ("the backing file of %d disk%s: Nova keeps it; removing it by hand breaks %s"
                         % (count, "" if count == 1 else "s", "that disk" if count == 1 else "those disks")
                         if users else "the image of an instance on this node: Nova keeps it")
    elif kind == "unmanaged":
        out["reason"] = "not a name Nova's cache manager manages: it never removes this file"
    elif not settings["remove_unused_base_images"]:
        out["reason"] = "unused; Nova keeps it: remove_unused_base_images is false"
    elif interval < 0:
        out["reason"] = "unused; Nova keeps it: the cache manager is off (manager_interval = -1)"
    else:
        eligible = entry["mtime"] + min_age
        expected = next_pass(max(eligible, now), interval, last_pass)
        out.update(removable_now=age >= min_age, removable_at=iso(eligible), removal_expected=iso(expected))
        if age >= min_age:
            out["reason"] = ("unused for %ds, older than %ds: Nova removes it at its next pass (by %s)"
                             % (age, min_age, out["removal_expected"]))
        else:
            out["reason"] = ("unused; Nova removes it once %ds old (%s), at the first pass after that (by %s)"
                             % (min_age, out["removable_at"], out["removal_expected"]))
    return out


def summarize(entries):
    """Totals over judged entries: sizes on disk in bytes."""
    unused = [e for e in entries if not e["in_use"]]
    removable = [e for e in unused if e["removable_at"] is not None]
    return {
        "entries": len(entries),
        "in_use": len(entries) - len(unused),
        "unused": len(unused),
        "size_bytes": sum(e["size"] or 0 for e in entries),
        "reclaimable_bytes": sum(e["size"] or 0 for e in removable),
        "reclaimable_now_bytes": sum(e["size"] or 0 for e in removable if e["removable_now"]),
    }
