#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: image_cache_info
short_description: What Nova's image cache (C(_base)) holds on a compute node, who uses each entry, and what Nova will remove
version_added: 0.1.0
author:
  - novaops.compute developers (@novaops)
description:
  - Reads nova.conf for C([DEFAULT] instances_path) and C(state_path) and the C([image_cache]) settings
    (their deprecated C([DEFAULT]) and C([libvirt]) names too, the new name winning as in Nova), then
    lists each file of the cache directory (C($instances_path/_base) by default) with its size on disk,
    virtual size, format and age.
  - Finds each entry's users, the instance disks that read from it as their backing file, with one
    C(qemu-img info -U --backing-chain) per instance disk under C(instances_path) (C(-U) reads the
    headers without the lock of the running guest's QEMU, which is never disturbed), and names each
    user by its Nova instance (the directory is the instance UUID; its display name and image come
    from the domain's C(<nova:instance)> metadata, read in one C(virsh) process).
  - Judges each entry as Nova 26's image cache manager does (nova/virt/libvirt/imagecache.py) - in use,
    or unused and removed at the first manager pass after it is
    C(remove_unused_original_minimum_age_seconds) old (C(remove_unused_resized_minimum_age_seconds)
    for resized copies) - and says when that pass will come, from the last pass recorded in
    C($instances_path/compute_nodes) and C(manager_interval).
  - Warns about what operators must know - an entry in use must never be removed by hand (the disks
    reading from it break); an instance disk whose backing file is missing; an C(instances_path) on a
    shared file system, or shared with other nodes, while C(remove_unused_base_images) is on.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - novaops.compute.read_only
requirements:
  - qemu-img (Debian/Ubuntu package qemu-utils, EL package qemu-img), as on every libvirt compute node.
  - virsh to name the instances (optional; without it the users are named by directory only).
  - C(timeout) (coreutils) to bound each command.
options:
  nova_conf:
    description:
      - Path of nova.conf on the node. It is readable by root and the nova group only, so run the
        module with C(become=true).
    type: path
    default: /etc/nova/nova.conf
  instances_path:
    description: The instances directory, instead of nova.conf's C([DEFAULT] instances_path).
    type: path
  host:
    description: This node's name in C(compute_nodes) (the last cache-manager pass); nova.conf's
      C([DEFAULT] host), else the node's hostname.
    type: str
  uri:
    description: libvirt connection URI passed to C(virsh -c) to name the instances.
    type: str
    default: qemu:///system
  timeout:
    description: Seconds each C(qemu-img) or C(virsh) process may take.
    type: int
    default: 30
notes:
  - Nova touches an entry each time it builds a disk from it, so an unused entry's age counts from the
    last instance created from it.
  - Nova counts an entry as in use also when it is the image of an instance on a node that shares the
    storage; this module sees the disks under C(instances_path), which on shared storage are all of
    them.
seealso:
  - module: novaops.compute.guest_info
  - name: Nova's image cache
    description: Nova's administrator guide on the image cache.
    link: https://docs.openstack.org/nova/latest/admin/image-caching.html
"""

EXAMPLES = r"""
- name: What is in the image cache, and what will Nova remove
  novaops.compute.image_cache_info:
  become: true
  register: cache

- name: Show the reclaimable space
  ansible.builtin.debug:
    msg: "{{ cache.summary.reclaimable_bytes | human_readable }} reclaimable in {{ cache.cache_dir }}"

- name: Entries in use (never remove these by hand)
  ansible.builtin.debug:
    msg: "{{ cache.entries | selectattr('in_use') | map(attribute='name') | list }}"
"""

RETURN = r"""
cache_dir:
  description: The cache directory (C(instances_path)/C(subdirectory_name)).
  returned: always
  type: str
  sample: /var/lib/nova/instances/_base
exists:
  description: Whether the cache directory exists (Nova creates it with the first instance).
  returned: always
  type: bool
settings:
  description: The cache manager's settings as nova-compute reads them, and where each came from.
  returned: always
  type: dict
  sample:
    instances_path: /var/lib/nova/instances
    state_path: /var/lib/nova
    subdirectory_name: _base
    manager_interval: 2400
    remove_unused_base_images: true
    remove_unused_original_minimum_age_seconds: 86400
    remove_unused_resized_minimum_age_seconds: 3600
    sources: {manager_interval: "[image_cache] manager_interval", subdirectory_name: default}
entries:
  description: One per file in the cache directory, by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: File name; an original's is the SHA-1 of its Glance image ID.
      type: str
    path:
      description: Absolute path.
      type: str
    kind:
      description: What Nova makes of the name - V(original), V(resized), V(swap), V(ephemeral), or
        V(unmanaged) (a name Nova's cache manager ignores and never removes).
      type: str
    format:
      description: Image format from C(qemu-img) (V(raw) for the images Nova converts).
      type: str
    size:
      description: Bytes on disk (allocated blocks).
      type: int
    virtual_size:
      description: Virtual size in bytes.
      type: int
    mtime:
      description: Last modification (UTC, ISO 8601); Nova touches it when it builds a disk from the entry.
      type: str
    age_seconds:
      description: Seconds since RV(entries[].mtime).
      type: int
    in_use:
      description: Whether an instance disk reads from it, or it is the image of an instance here.
      type: bool
    users:
      description: The disks that read from it.
      type: list
      elements: dict
      sample: [{disk: /var/lib/nova/instances/0f6c.../disk, instance_uuid: 0f6c..., instance_name: web-1,
                domain: instance-00000001}]
    image_id:
      description: The Glance image ID, when an instance here names it (the entry is its fingerprint).
      type: str
    minimum_age_seconds:
      description: The age Nova waits for before removing it unused; null for an unmanaged name.
      type: int
    removable_now:
      description: Unused, managed, removal on, and old enough - Nova removes it at its next pass.
      type: bool
    removable_at:
      description: When it becomes old enough (UTC, ISO 8601); null when Nova will not remove it.
      type: str
    removal_expected:
      description: The first cache-manager pass at or after RV(entries[].removable_at) (or now); null when
        Nova will not remove it.
      type: str
    reason:
      description: The verdict in words.
      type: str
      sample: "unused; Nova removes it once 86400s old (2026-12-01T18:46:40Z), at the first pass after that
        (by 2026-12-01T19:10:12Z)"
summary:
  description: Counts and totals in bytes on disk.
  returned: always
  type: dict
  sample: {entries: 2, in_use: 1, unused: 1, size_bytes: 570425344, reclaimable_bytes: 285212672,
           reclaimable_now_bytes: 0}
manager:
  description: The cache manager's passes on this node.
  returned: always
  type: dict
  contains:
    host:
      description: This node's name.
      type: str
    last_pass:
      description: This node's last pass (UTC, ISO 8601) from C(compute_nodes); null when unknown.
      type: str
    next_pass:
      description: The next pass expected (the latest it can be when the last one is unknown); null
        when the manager is off.
      type: str
storage:
  description: Where C(instances_path) lives and who shares it.
  returned: always
  type: dict
  sample: {mount_point: /, fstype: ext4, shared_filesystem: false,
           nodes: {compute1: "2026-11-30T19:10:12Z"}}
missing_backing:
  description: Instance disks whose backing file does not exist - the instance cannot start.
  returned: always
  type: list
  elements: dict
  sample: [{disk: /var/lib/nova/instances/0f6c.../disk, backing_file: /var/lib/nova/instances/_base/0a1b...}]
"""

import os
import time

from ansible_collections.novaops.compute.plugins.module_utils import _image_cache as cache
from ansible_collections.novaops.compute.plugins.module_utils._node import node_module, read_nova_conf
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import conf_get
from ansible_collections.novaops.compute.plugins.module_utils._proc import Host
from ansible_collections.novaops.compute.plugins.module_utils._qemu_img import QemuImg
from ansible_collections.novaops.compute.plugins.module_utils._virsh import Virsh

# files in an instance directory that are not disks (nova/virt/libvirt/driver.py)
NOT_DISKS = ("disk.info",)


def list_files(directory):
    """``[{name, path, size, mtime}]`` of the regular files in DIRECTORY, by name."""
    files = []
    with os.scandir(directory) as it:
        for entry in it:
            try:
                if not entry.is_file():
                    continue
                st = entry.stat()
            except OSError:
                continue  # removed while listed
            files.append({"name": entry.name, "path": entry.path, "size": st.st_blocks * 512,
                          "mtime": st.st_mtime})
    return sorted(files, key=lambda f: f["name"])


def instance_disks(instances_path, cache_dir):
    """``[(instance directory name, disk path)]`` of the disk files under instances_path."""
    disks = []
    try:
        names = sorted(os.listdir(instances_path))
    except OSError:
        return disks
    for name in names:
        directory = os.path.join(instances_path, name)
        if directory == cache_dir or not os.path.isdir(directory) or name == "locks":
            continue
        try:
            files = sorted(os.listdir(directory))
        except OSError:
            continue
        for file_name in files:
            if (file_name == "disk" or file_name.startswith("disk.")) and file_name not in NOT_DISKS:
                path = os.path.join(directory, file_name)
                if os.path.isfile(path):
                    disks.append((name, path))
    return disks


def nova_instances(module, uri, timeout):
    """``{instance UUID: {name, domain, image_id}}`` of the libvirt domains Nova manages."""
    virsh = Virsh(module, uri, timeout, required=False)
    if virsh.missing:
        return {}
    rc, out, err = virsh.run(["list", "--all", "--name"])
    if rc != 0:
        module.warn("instances are named by directory only: virsh list failed (%s)" % (err.strip() or rc))
        return {}
    found = {}
    for name, domain in virsh.domains([n for n in out.split("\n") if n]).items():
        if domain["nova"]:
            found[domain["uuid"]] = {"name": domain["nova"]["name"], "domain": name,
                                     "image_id": domain["nova"]["image_id"]}
    return found


def scan_users(module, qemu_img, disks, cache_dir, instances):
    """``(users by cache path, missing backing files)`` from each disk's backing chain."""
    users, missing = {}, []
    real_cache = os.path.realpath(cache_dir)
    for directory, disk in disks:
        layers, error = qemu_img.info(disk, chain=True)
        if layers is None:
            # a chain with a missing link fails as a whole: read the disk's own header
            layers, _error = qemu_img.info(disk)
            if layers is None:
                module.warn("cannot read %s (%s): the entries it may use are judged without it" % (disk, error))
                continue
            backing = layers[0]["backing_file"]
            if backing and not os.path.exists(backing):
                missing.append({"disk": disk, "backing_file": backing})
                continue
            module.warn("cannot read the backing chain of %s (%s)" % (disk, error))
        instance = instances.get(directory, {})
        user = {"disk": disk, "instance_uuid": directory if instance or _looks_like_uuid(directory) else None,
                "instance_name": instance.get("name"), "domain": instance.get("domain")}
        for layer in layers[1:]:
            path = os.path.realpath(layer["filename"])
            if os.path.dirname(path) == real_cache:
                users.setdefault(path, []).append(user)
    return users, missing


def _looks_like_uuid(name):
    return len(name) == 36 and name.count("-") == 4


def main():
    module = node_module(
        dict(
            nova_conf=dict(type="path", default="/etc/nova/nova.conf"),
            instances_path=dict(type="path"),
            host=dict(type="str"),
            uri=dict(type="str", default="qemu:///system"),
            timeout=dict(type="int", default=30),
        ),
    )
    params = module.params
    node = Host()
    conf = read_nova_conf(module, node, params["nova_conf"])
    try:
        settings, sources = cache.cache_settings(conf)
    except cache.CacheConfigError as exc:
        module.fail_json(msg="%s: %s" % (params["nova_conf"], exc))
    if params["instances_path"]:
        settings["instances_path"] = params["instances_path"].rstrip("/") or "/"
        sources["instances_path"] = "the instances_path option"
    instances_path = settings["instances_path"]
    cache_dir = os.path.join(instances_path, settings["subdirectory_name"])
    host = params["host"] or conf_get(conf, "DEFAULT", "host") or node.hostname()
    now = time.time()

    qemu_img = QemuImg(module, params["timeout"])
    if qemu_img.missing:
        module.fail_json(msg="qemu-img is not installed (Debian/Ubuntu package qemu-utils, EL qemu-img)")
    exists = os.path.isdir(cache_dir)
    files = list_files(cache_dir) if exists else []
    instances = nova_instances(module, params["uri"], params["timeout"])
    users, missing = scan_users(module, qemu_img, instance_disks(instances_path, cache_dir), cache_dir, instances)
    image_of = {}
    for uuid, instance in instances.items():
        if instance["image_id"]:
            image_of.setdefault(cache.fingerprint(instance["image_id"]), []).append(instance["image_id"])

    storage_text, _error = node.read_text(os.path.join(instances_path, "compute_nodes"))
    nodes = cache.parse_storage_users(storage_text, now)
    last_pass = nodes.get(host)
    entries = []
    for entry in files:
        layers, error = qemu_img.info(entry["path"])
        layer = layers[0] if layers else {}
        if error:
            module.warn("cannot read %s with qemu-img: %s" % (entry["path"], error))
        entry.update(format=layer.get("format"), virtual_size=layer.get("virtual_size"))
        entry_users = users.get(os.path.realpath(entry["path"]), [])
        entries.append(cache.judge_entry(entry, entry_users, sorted(set(image_of.get(entry["name"], []))),
                                         settings, now, last_pass))

    mounts, _error = node.read_text("/proc/mounts")
    mount_point, fstype = cache.mount_of(os.path.realpath(instances_path), mounts or "")
    shared_fs = fstype in cache.SHARED_FILESYSTEMS
    others = sorted(h for h in nodes if h != host)
    if settings["remove_unused_base_images"] and (shared_fs or others):
        module.warn(
            "%s is %s and remove_unused_base_images is on: each node's cache manager removes entries it judges "
            "unused, and Nova only counts the instances of the nodes that recorded a pass in compute_nodes within "
            "24 hours; turn removal on for one node of the storage only ([image_cache] remove_unused_base_images "
            "= false on the others)"
            % (instances_path, "on %s (%s)" % (fstype, mount_point) if shared_fs
               else "shared with %s" % ", ".join(others)))
    for item in missing:
        module.warn("%s reads from %s, which does not exist: its instance cannot start; never remove a cache "
                    "entry in use by hand" % (item["disk"], item["backing_file"]))
    in_use = [e["name"] for e in entries if e["in_use"]]
    if in_use:
        module.warn("%d cache entr%s in use (%s): never remove %s by hand, the disks reading from %s break"
                    % (len(in_use), "y is" if len(in_use) == 1 else "ies are", ", ".join(in_use),
                       "it" if len(in_use) == 1 else "them", "it" if len(in_use) == 1 else "them"))
    next_pass = cache.next_pass(now, settings["manager_interval"], last_pass)
    settings["sources"] = sources
    module.exit_json(
        changed=False,
        cache_dir=cache_dir,
        exists=exists,
        settings=settings,
        entries=entries,
        summary=cache.summarize(entries),
        manager={"host": host, "last_pass": cache.iso(last_pass), "next_pass": cache.iso(next_pass)},
        storage={"mount_point": mount_point, "fstype": fstype, "shared_filesystem": shared_fs,
                 "nodes": {h: cache.iso(t) for h, t in sorted(nodes.items())}},
        missing_backing=missing,
    )


if __name__ == "__main__":
    main()
