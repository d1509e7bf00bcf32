"""Benchmark: guest_info against the obvious per-domain virsh loop, on a compute node.

Runs on the node (run.sh copies it into the bed's compute1 and runs it
there). Defines N inactive domains bench-novaops-NNN shaped like Nova's (Nova
metadata, a qcow2 disk on a raw _base entry, a tap interface, a VNC console;
never started), then times:

  module  plugins/modules/guest_info.py run directly with an args file (as
          AnsiballZ runs it on the node, without the controller's share):
          one virsh process for list + domstats, one for all dumpxml and
          domiflist, one qemu-img per disk (inactive domains' XML has no
          backing chain)
  loop    what one writes by hand: `virsh list --all --name`, then for each
          domain `virsh domstate --reason`, `virsh dumpxml`, `virsh domiflist`
          and `qemu-img info --backing-chain` of its disk

checks both found the same facts (state, Nova UUID and name, _base entry,
interfaces, console), writes results.md (path given with --out) and removes
every bench domain and file (also on failure).

Usage (root, on a node with libvirtd and qemu-img):
  python3 bench.py --collection DIR --pythonpath DIR [--domains 200] [--repeat 3] [--out FILE]
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

URI = "qemu:///system"
PREFIX = "bench-novaops-"
WORK = "/tmp/novaops-bench"
ENV = dict(os.environ, LANGUAGE="C", LC_ALL="C")
NOVA_NS = "http://openstack.org/xmlns/libvirt/nova/1.1"


def run(argv, check=True):
    proc = subprocess.run(argv, env=ENV, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(argv[:4]), proc.stderr))
    return proc


def virsh(*args, check=True):
    return run(["virsh", "-c", URI] + list(args), check)


def domain_xml(index, instances, base):
    name = "%s%03d" % (PREFIX, index)
    server = str(uuid.UUID(int=0xbe00 << 112 | index))
    disk = os.path.join(instances, server, "disk")
    xml = (
        "<domain type='qemu'><name>%(name)s</name><uuid>%(uuid)s</uuid>"
        "<metadata><nova:instance xmlns:nova='%(ns)s'><nova:package version='26.2.2'/>"
        "<nova:name>bench-vm-%(index)03d</nova:name><nova:creationTime>2026-11-30 20:00:00</nova:creationTime>"
        "<nova:flavor name='m1.bench'><nova:memory>64</nova:memory><nova:disk>1</nova:disk><nova:swap>0</nova:swap>"
        "<nova:ephemeral>0</nova:ephemeral><nova:vcpus>1</nova:vcpus></nova:flavor>"
        "<nova:owner><nova:user uuid='u1'>bench</nova:user><nova:project uuid='p1'>bench</nova:project></nova:owner>"
        "<nova:root type='image' uuid='95c5c184-ac90-42a3-a104-d44ec63f8a60'/></nova:instance></metadata>"
        "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>"
        "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%(disk)s'/>"
        "<target dev='vda' bus='virtio'/></disk>"
        "<interface type='ethernet'><mac address='fa:16:3e:be:%(hi)02x:%(lo)02x'/>"
        "<target dev='tap%(tap)s'/><model type='virtio'/></interface>"
        "<graphics type='vnc' autoport='yes' listen='0.0.0.0'/></devices></domain>"
        % {"name": name, "uuid": server, "ns": NOVA_NS, "index": index, "disk": disk, "hi": index // 256,
           "lo": index % 256, "tap": server[:11]})
    return name, server, disk, xml


def batch(commands):
    """Run virsh commands (argv lists) in as few processes as fit 32 KiB each."""
    current, size = [], 0
    for command in commands + [None]:
        text = None if command is None else " ".join("'%s'" % a.replace("'", "'\\''") for a in command)
        if current and (command is None or size + len(text) > 32768):
            virsh(" ; ".join(current))
            current, size = [], 0
        if text:
            current.append(text)
            size += len(text) + 3


def set_up(count, workdir):
    instances = os.path.join(WORK, "instances")
    base = os.path.join(instances, "_base", hashlib.sha1(b"95c5c184-ac90-42a3-a104-d44ec63f8a60").hexdigest())
    os.makedirs(os.path.dirname(base))
    run(["qemu-img", "create", "-q", "-f", "raw", base, "64M"])
    commands = []
    for index in range(count):
        name, _server, disk, xml = domain_xml(index, instances, base)
        os.makedirs(os.path.dirname(disk))
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", base, disk, "1G"])
        path = os.path.join(workdir, name + ".xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml)
        commands.append(["define", path])
    batch(commands)
    with open(os.path.join(WORK, "nova.conf"), "w", encoding="utf-8") as f:
        f.write("[DEFAULT]\ninstances_path = %s\nhost = bench\n" % instances)


def clean_up():
    names = [n for n in virsh("list", "--all", "--name", check=False).stdout.split("\n") if n.startswith(PREFIX)]
    if names:
        batch([["undefine", "--domain", n] for n in names])
    shutil.rmtree(WORK, ignore_errors=True)
    return len(names)


def facts_of(guests):
    """The facts both variants must agree on, by domain (bench domains only)."""
    return {g["domain"]: (g["state"], g["uuid"], (g["nova"] or {}).get("name"), tuple(d.get("base") for d in g["disks"]),
                          tuple(i["interface"] for i in g["interfaces"]), (g["console"] or {}).get("type"))
            for g in guests if g["domain"].startswith(PREFIX)}


def module_variant(collection, pythonpath):
    module = os.path.join(collection, "plugins", "modules", "guest_info.py")
    args = os.path.join(WORK, "args.json")
    with open(args, "w", encoding="utf-8") as f:
        json.dump({"ANSIBLE_MODULE_ARGS": {"nova_conf": os.path.join(WORK, "nova.conf")}}, f)
    env = dict(ENV, PYTHONPATH=pythonpath)

    def variant():
        proc = subprocess.run([sys.executable, module, args], env=env, capture_output=True, text=True, check=False)
        result = json.loads(proc.stdout)
        if result.get("failed"):
            raise RuntimeError(result["msg"])
        return facts_of(result["guests"])

    return variant


def loop_variant(pythonpath):
    sys.path.insert(0, pythonpath)
    from ansible_collections.novaops.compute.plugins.module_utils import _virsh as VU  # noqa: E402 pylint: disable=import-outside-toplevel
    from ansible_collections.novaops.compute.plugins.module_utils._qemu_img import parse_info  # noqa: E402 pylint: disable=import-outside-toplevel
    base_dir = os.path.join(WORK, "instances", "_base")

    def variant():
        guests = []
        for name in VU.parse_name_list(virsh("list", "--all", "--name").stdout):
            state = virsh("domstate", "--reason", name).stdout.split("(")[0].strip()
            domain = VU.parse_domain(virsh("dumpxml", name).stdout)
            interfaces = VU.parse_domiflist(virsh("domiflist", name).stdout)
            for disk in domain["disks"]:
                disk["base"] = None
                if disk["source"] and os.path.isfile(disk["source"]):
                    chain = parse_info(run(["qemu-img", "info", "-U", "--output=json", "--backing-chain",
                                            disk["source"]]).stdout)
                    disk["base"] = next((os.path.basename(layer["filename"]) for layer in chain[1:]
                                         if os.path.dirname(layer["filename"]) == base_dir), None)
            graphics = [g for g in domain["graphics"] if g["type"] in ("vnc", "spice")]
            guests.append({"domain": name, "state": {"shut off": "shutoff"}.get(state, state), "uuid": domain["uuid"],
                           "nova": domain["nova"], "disks": domain["disks"], "interfaces": interfaces,
                           "console": graphics[0] if graphics else None})
        return facts_of(guests)

    return variant


def timed(func, repeat):
    times, result = [], None
    for _run in range(repeat):
        started = time.monotonic()
        result = func()
        times.append(time.monotonic() - started)
    return times, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--collection", required=True, help="the collection's root")
    parser.add_argument("--pythonpath", required=True, help="holds ansible/ and ansible_collections/")
    parser.add_argument("--domains", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="results.md")
    args = parser.parse_args()

    others = [n for n in virsh("list", "--all", "--name").stdout.split("\n") if n and not n.startswith(PREFIX)]
    workdir = tempfile.mkdtemp(prefix="novaops-bench-xml-")
    rows, results = [], {}
    try:
        clean_up()
        started = time.monotonic()
        set_up(args.domains, workdir)
        setup_time = time.monotonic() - started
        for label, func in (("guest_info (module)", module_variant(args.collection, args.pythonpath)),
                            ("per-domain virsh loop", loop_variant(args.pythonpath))):
            times, results[label] = timed(func, args.repeat)
            rows.append((label, times))
            print(label, ["%.3f" % t for t in times], flush=True)
        assert len(results["per-domain virsh loop"]) == args.domains
        assert results["guest_info (module)"] == results["per-domain virsh loop"], "the variants disagree"
    finally:
        removed = clean_up()
        shutil.rmtree(workdir, ignore_errors=True)
    print("removed %d bench domains" % removed)

    medians = {label: statistics.median(times) for label, times in rows}
    ratio = medians["guest_info (module)"] / medians["per-domain virsh loop"]
    versions = [v.strip() for v in virsh("version").stdout.splitlines() if v.strip()]
    lines = [
        "# guest_info benchmark",
        "",
        "Produced by `bench/guest_info/run.sh` on %s, in the bed's compute1 container." % datetime.date.today(),
        "",
        "- Machine: %d CPUs (nproc), %s, Python %s" % (os.cpu_count(), platform.platform(), platform.python_version()),
        "- libvirt: %s; %s" % ("; ".join(versions), run(["qemu-img", "--version"]).stdout.splitlines()[0]),
        "- Domains: %d inactive `%sNNN` shaped like Nova's (Nova metadata, a qcow2 disk on a raw `_base` entry, a tap,"
        " a VNC console; never started), plus %d other domains on the node; set-up %.1f s"
        % (args.domains, PREFIX, len(others), setup_time),
        "- %d runs each; both variants found the same state, Nova UUID and name, `_base` entry, interfaces and"
        " console for every bench domain." % args.repeat,
        "- The module runs `plugins/modules/guest_info.py` directly with an args file (Python start-up and"
        " `ansible.module_utils.basic` included; no controller round trip).",
        "",
        "| variant | runs (s) | median (s) | vs. loop |",
        "| --- | --- | ---: | ---: |",
    ]
    for label, times in rows:
        runs = ", ".join("%.3f" % t for t in times)
        share = medians[label] / medians["per-domain virsh loop"]
        lines.append("| %s | %s | %.3f | %.2fx |" % (label, runs, medians[label], share))
    lines += ["", "Goal: the module at most 0.2x the loop's time. Measured: %.2fx (%s)."
              % (ratio, "met" if ratio <= 0.2 else "NOT met"), ""]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0 if ratio <= 0.2 else 1


if __name__ == "__main__":
    sys.exit(main())
