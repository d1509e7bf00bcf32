"""Benchmark: the first instance from a new image against the second from the same image on one node.

The notes' headline: "a second VM from the same image is created faster
because _base already holds the image". Runs from the host against a running
bed (`make demo`, or molecule create + converge). Each run uploads the guest
image as a new Glance image (a new ID, so a new _base entry), boots a first
server, then a second, each timed from the create request to ACTIVE
(boot.py in the controller), reads Nova's own build and spawn times from
nova-compute's log and the _base entry's times from compute1, then deletes
both servers and the image. Writes results.md.

Usage: .venv/bin/python bench/image_cache/bench.py [--runs 3]
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ENV = dict(os.environ, CONTAINERS_CONF=os.environ.get("CONTAINERS_CONF",
                                                      os.path.join(ROOT, "tools", "podman", "containers.conf")))
OS = ["openstack", "--os-cloud", "bed"]
FLAVOR, NETWORK = "novaops.tiny", "bed-net"
BASE = "/var/lib/nova/instances/_base"


def podman(node, *argv, stdin=None):
    proc = subprocess.run(["podman", "exec", "-i", node] + list(argv), env=ENV, capture_output=True, text=True,
                          input=stdin, check=False)
    if proc.returncode != 0:
        raise RuntimeError("%s on %s failed: %s" % (" ".join(argv[:4]), node, proc.stderr[-2000:]))
    return proc.stdout


def nova_times(uuid):
    """Nova's own 'Took X seconds to spawn / to build' of an instance, from nova-compute's log."""
    log = podman("compute1", "sh", "-c", "cat /var/log/nova/nova-compute.log")
    times = {}
    for what, key in (("spawn the instance on the hypervisor", "spawn"), ("build instance", "build")):
        match = re.search(r"\[instance: %s\] Took ([0-9.]+) seconds to %s" % (uuid, re.escape(what)), log)
        times[key] = float(match.group(1)) if match else None
    return times


def make_big_image(mib):
    """A qcow2 of MIB MiB of random data in the controller (not bootable: Nova
    reaches ACTIVE once the domain starts, whatever the guest then does)."""
    path = "/tmp/novaops-bench-%dm.qcow2" % mib
    podman("controller", "sh", "-c", "test -s %s || { head -c %dM /dev/urandom > %s.raw && "
           "qemu-img convert -f raw -O qcow2 %s.raw %s && rm -f %s.raw; }" % (path, mib, path, path, path, path))
    return path


def bench_flavor(mib):
    """A flavor whose root disk holds an image of MIB MiB (created once)."""
    name = "novaops.bench-%dg" % (mib // 1024 + 1)
    found = podman("controller", *OS, "flavor", "list", "-f", "value", "-c", "Name").split()
    if name not in found:
        podman("controller", *OS, "flavor", "create", "--vcpus", "1", "--ram", "128", "--disk",
               str(mib // 1024 + 1), name)
    return name


def one_run(index, image_file, flavor=FLAVOR):
    image = json.loads(podman("controller", *OS, "image", "create", "--disk-format", "qcow2", "--container-format",
                              "bare", "--file", image_file, "-f", "json", "bench-cache-%d" % index))
    entry = "%s/%s" % (BASE, hashlib.sha1(image["id"].encode()).hexdigest())
    servers = []
    try:
        row = {"image": image["id"]}
        for which in ("first", "second"):
            booted = json.loads(podman("controller", "python3", "/tmp/novaops-boot.py", "bench-cache-%d-%s"
                                       % (index, which), image["id"], flavor, NETWORK))
            servers.append(booted["id"])
            row[which] = dict(nova_times(booted["id"]), active=booted["seconds"])
            if which == "first":
                born, mtime, size = (int(v) for v in podman("compute1", "stat", "-c", "%W %Y %s", entry).split())
                # seconds after the first create request (the mtime where the file system keeps no birth time)
                row["entry_written"] = round((born or mtime) - booted["requested"], 1)
                row["entry_bytes"] = size
        return row
    finally:
        for server in servers:
            podman("controller", *OS, "server", "delete", "--wait", server)
        podman("controller", *OS, "image", "delete", image["id"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=0,
                        help="boot a random-data image of this size instead of the guest image")
    parser.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = parser.parse_args()
    subprocess.run(["podman", "cp", os.path.join(HERE, "boot.py"), "controller:/tmp/novaops-boot.py"], env=ENV,
                   check=True)
    flavor = FLAVOR
    if args.size_mib:
        image_file, flavor = make_big_image(args.size_mib), bench_flavor(args.size_mib)
    else:
        image_file = podman("controller", "sh", "-c", "ls /srv/guest-image/novaops-guest-*.qcow2").strip()
    rows = []
    for index in range(args.runs):
        row = one_run(index, image_file, flavor)
        rows.append(row)
        print(json.dumps(row), flush=True)

    def median(which, key):
        return statistics.median(r[which][key] for r in rows)

    if args.size_mib:
        what = "a qcow2 of %d MiB of random data (not bootable: Nova reaches ACTIVE once the domain starts)" % (
            args.size_mib)
    else:
        what = "the guest image (`tools/build-guest-image.sh`: qcow2, 1 GiB virtual, 272 MiB of data)"
    ratio = median("first", "active") / median("second", "active")
    build_ratio = median("first", "build") / median("second", "build")
    lines = [
        "# First and second instance from one image",
        "",
        "Produced by `bench/image_cache/bench.py` on %s, on the bed (compute1: Nova 26, libvirt 9, QEMU TCG)."
        % datetime.date.today(),
        "",
        "- Each run uploads %s (%d MiB in the raw `_base` entry) as a new Glance image, boots a first server from"
        " it, then a second one." % (what, rows[0]["entry_bytes"] >> 20),
        "- *to ACTIVE*: from the create request to the first API answer that says ACTIVE (openstacksdk, polled every"
        " 0.2 s). *build*, *spawn*: nova-compute's own `Took X seconds to build instance` / `to spawn the instance"
        " on the hypervisor`.",
        "- *entry written*: the `_base` entry's birth time (stat %W; its mtime where the file system keeps none),"
        " in seconds after the first server's create request: Nova writes it while the first server builds"
        " (download from Glance, conversion to raw); the second server finds it there.",
        "",
        "| run | first: to ACTIVE / build / spawn (s) | second: to ACTIVE / build / spawn (s) | entry written (s after"
        " the first request) |",
        "| ---: | --- | --- | ---: |",
    ]
    for index, row in enumerate(rows):
        first, second = row["first"], row["second"]
        lines.append("| %d | %.2f / %.2f / %.2f | %.2f / %.2f / %.2f | %s |" % (
            index + 1, first["active"], first["build"] or 0, first["spawn"] or 0, second["active"],
            second["build"] or 0, second["spawn"] or 0, row["entry_written"]))
    lines += [
        "",
        "Median to ACTIVE: first %.2f s, second %.2f s: **the second is %.1fx faster** (Nova's build time: %.1fx)."
        % (median("first", "active"), median("second", "active"), ratio, build_ratio),
        "Goal: at least 2x. %s." % ("Met" if ratio >= 2 else "NOT met"),
        "",
    ]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0 if ratio >= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
