#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nova_conf_lint
short_description: Lint a nova.conf against a Nova release's option data and the nova_compute role's checks
version_added: 0.1.0
author:
  - novaops.compute developers (@novaops)
description:
  - Reads nova.conf (and the C(*.conf) files of C(nova.conf.d), read after it, as Nova does) on the node, or takes
    a nova.conf's text in O(content) (so it also runs on the controller against a fetched file), and checks every
    line against the option data of Nova O(release) that the collection ships (generated from the release's own
    packages).
  - Finds options the release does not know (with the closest name), options removed from Nova with the release
    and upstream change that removed them and what replaces them (C([DEFAULT] vncserver_listen) is
    C([vnc] server_listen)), deprecated names that still work, options deprecated for removal, and values of the
    wrong type, outside their choices or bounds.
  - Finds what the nova_compute role refuses or warns about, judged on what a running Nova reads (a removed name
    counts for nothing, so the old VNC settings leave Nova's loopback defaults) - a console proxy-client address
    on a wildcard or loopback address while the console proxy is another host, VNC and SPICE both enabled,
    forced allocation ratios, database credentials on a compute-only node, options only the controllers read,
    scheduler filters the release does not have, and C(remove_unused_base_images) on a shared instances path.
  - Each finding names the current option and the nova_compute role variable that sets it, where one exists.
    No finding shows the value of a secret option.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - novaops.compute.read_only
options:
  path:
    description:
      - Path of nova.conf on the node (default C(/etc/nova/nova.conf)). It is readable by root and the nova group
        only, so run the module with C(become=true).
    type: path
  config_dir:
    description:
      - Directory whose C(*.conf) files are read after O(path), in name order, each option of a later file winning
        (Nova's C(--config-dir)). A missing directory is skipped. Not read with O(content).
    type: path
    default: /etc/nova/nova.conf.d
  content:
    description:
      - The text of a nova.conf to lint instead of O(path) (for example a file fetched to the controller). Never
        logged.
    type: str
  release:
    description:
      - The Nova major release whose option data judges the file - one of C(26) (Zed) and C(31) (Epoxy) - or
        C(auto), the release of the Nova package installed on the host the module runs on (C(nova-common) or
        C(openstack-nova-common)).
    type: str
    default: auto
  compute_only:
    description:
      - The node runs nova-compute and no control plane service, so database credentials are a finding.
    type: bool
    default: true
  shared_instances_path:
    description:
      - Whether the instances path is on storage shared with other nodes (C(remove_unused_base_images) is then
        a finding). Unset - with O(content) it is not judged; otherwise the file system of the instances path
        (C([DEFAULT] instances_path)) on the node decides (NFS, CephFS, GlusterFS ...).
    type: bool
notes:
  - Findings are about the file, not the running process - a service reads its configuration when it starts.
  - The history of names the option data no longer carries (the release that removed each and the upstream
    commit) is a table in the collection (plugins/module_utils/_nova_options.py, REMOVED_OPTIONS).
seealso:
  - name: Nova's configuration reference
    description: Every option of the current release.
    link: https://docs.openstack.org/nova/latest/configuration/config.html
"""

EXAMPLES = r"""
- name: Lint the node's nova.conf against its own Nova release
  novaops.compute.nova_conf_lint:
  become: true
  register: lint

- name: Show the findings
  ansible.builtin.debug:
    msg: "{{ lint.findings | map(attribute='message') | list }}"

- name: Lint a fetched nova.conf on the controller against Nova 31
  novaops.compute.nova_conf_lint:
    content: "{{ lookup('ansible.builtin.file', 'fetched/compute1/nova.conf') }}"
    release: "31"
  delegate_to: localhost
"""

RETURN = r"""
release:
  description: The Nova release whose option data judged the file.
  returned: always
  type: str
  sample: "26"
nova_version:
  description: The installed Nova package's version, with O(release=auto) (else null).
  returned: always
  type: str
  sample: "2:26.2.2-1~deb12u5"
files:
  description: The files read, in order (empty with O(content)).
  returned: always
  type: list
  elements: str
  sample: [/etc/nova/nova.conf]
counts:
  description: The number of findings of each severity.
  returned: always
  type: dict
  sample: {error: 2, warning: 28, info: 4}
findings:
  description: One per problem, errors first.
  returned: always
  type: list
  elements: dict
  contains:
    severity:
      description: C(error) (Nova refuses the value, or the node misbehaves with it), C(warning) (a running Nova
        ignores the line, or a problem the nova_compute role refuses) or C(info) (a deprecated name that still
        works).
      type: str
    code:
      description: What kind of finding - C(unknown_option), C(unknown_section), C(removed), C(deprecated_name),
        C(deprecated_for_removal), C(bad_value), C(console_address), C(consoles_both_enabled),
        C(forced_allocation_ratio), C(database_on_compute), C(controller_only), C(unknown_filter),
        C(shared_image_cache_removal).
      type: str
    section:
      description: The section (oslo.config's group name).
      type: str
    option:
      description: The option.
      type: str
    message:
      description: What is wrong and what to do; never a secret's value.
      type: str
    replacement:
      description: The current options that replace or fix it, each with C(section), C(option) and
        C(variable) (the nova_compute role variable that sets it, or null); empty when there is none.
      type: list
      elements: dict
    removed_in:
      description: For C(removed) - the Nova release that removed the name.
      type: str
      returned: when the option was removed
    change:
      description: For C(removed) - the upstream change that removed it (repository, commit, subject).
      type: str
      returned: when known
    file:
      description: The file the line is in (without O(content)).
      type: str
      returned: when read from files
  sample:
    - severity: warning
      code: removed
      section: DEFAULT
      option: vncserver_listen
      message: "[DEFAULT] vncserver_listen was removed in Nova 25 (Yoga) (openstack/nova cec9e7f1f13f 'Remove
        deprecated opts from VNC conf'): a running Nova 26 ignores it; use [vnc] server_listen
        (nova_compute_vnc_server_listen)"
      replacement: [{section: vnc, option: server_listen, variable: nova_compute_vnc_server_listen}]
      removed_in: 25 (Yoga)
      change: "openstack/nova cec9e7f1f13f 'Remove deprecated opts from VNC conf'"
      file: /etc/nova/nova.conf
"""

import os

from ansible_collections.novaops.compute.plugins.module_utils import _image_cache as cache
from ansible_collections.novaops.compute.plugins.module_utils import _nova_conf_lint as lint
from ansible_collections.novaops.compute.plugins.module_utils import _nova_releases as releases
from ansible_collections.novaops.compute.plugins.module_utils._node import node_module
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import parse_ini
from ansible_collections.novaops.compute.plugins.module_utils._packages import installed_version
from ansible_collections.novaops.compute.plugins.module_utils._proc import Host

DEFAULT_PATH = "/etc/nova/nova.conf"


def read_files(module, node, path, config_dir):
    """(merged conf, {(group, option): file}, files read): nova.conf, then nova.conf.d/*.conf."""
    paths = [path]
    if config_dir and os.path.isdir(config_dir):
        paths += [os.path.join(config_dir, n) for n in sorted(os.listdir(config_dir)) if n.endswith(".conf")]
    merged, origin, files = {}, {}, []
    for index, name in enumerate(paths):
        text, error = node.read_text(name)
        if text is None:
            if index == 0:
                hint = " (run the module with become=true)" if "denied" in str(error) else ""
                module.fail_json(msg="cannot read %s: %s%s" % (name, error, hint))
            module.warn("cannot read %s (%s): left out" % (name, error))
            continue
        files.append(name)
        for group, opts in lint.normalize(parse_ini(text)).items():
            merged.setdefault(group, {}).update(opts)
            for option in opts:
                origin[(group, option)] = name
    return merged, origin, files


def judge_release(module, requested):
    """(release, installed version or None); fails for a release without data."""
    version = None
    release = str(requested).strip()
    if release == "auto":
        package, version = installed_version(module)
        if not version:
            module.fail_json(msg="release=auto: no Nova package (nova-common, openstack-nova-common) is installed "
                                 "on this host; give the release (%s)" % ", ".join(releases.SUPPORTED))
        release = releases.release_of_version(version)
        if release not in releases.SUPPORTED:
            module.fail_json(msg="%s %s is Nova %s, which the collection has no option data for (it has %s): give "
                                 "the release to judge the file by" % (package, version, release,
                                                                       ", ".join(releases.SUPPORTED)),
                             nova_version=version)
    try:
        releases.opt_data(release)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    return release, version


def shared_storage(node, conf):
    """True when the instances path is on a shared file system, None when it cannot tell."""
    try:
        settings, _sources = cache.cache_settings(conf)
    except cache.CacheConfigError:
        return None
    mounts, _error = node.read_text("/proc/mounts")
    if not mounts:
        return None
    _mount_point, fstype = cache.mount_of(os.path.realpath(settings["instances_path"]), mounts)
    return fstype in cache.SHARED_FILESYSTEMS


def main():
    module = node_module(
        dict(
            path=dict(type="path"),
            config_dir=dict(type="path", default="/etc/nova/nova.conf.d"),
            content=dict(type="str", no_log=True),
            release=dict(type="str", default="auto"),
            compute_only=dict(type="bool", default=True),
            shared_instances_path=dict(type="bool"),
        ),
        mutually_exclusive=[("path", "content")],
    )
    params = module.params
    release, version = judge_release(module, params["release"])
    node = Host()
    shared = params["shared_instances_path"]
    if params["content"] is not None:
        conf, origin, files = lint.normalize(parse_ini(params["content"])), {}, []
    else:
        conf, origin, files = read_files(module, node, params["path"] or DEFAULT_PATH, params["config_dir"])
        if shared is None:
            shared = shared_storage(node, conf)
    others = [(r, releases.opt_data(r)) for r in releases.SUPPORTED]
    findings = lint.lint(conf, releases.opt_data(release), others, params["compute_only"], shared)
    for finding in findings:
        if (finding["section"], finding["option"]) in origin:
            finding["file"] = origin[(finding["section"], finding["option"])]
    module.exit_json(changed=False, release=release, nova_version=version, files=files,
                     counts=lint.count(findings), findings=findings)


if __name__ == "__main__":
    main()
