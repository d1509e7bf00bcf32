"""Benchmark: domiflist_info with all=true vs. one virsh process per domain.

Defines N inactive domains bench-novaops-NNN (no disk, never started, 1-2
interfaces each) on qemu:///system, then times:

  module     the module itself (plugins/modules/domiflist_info.py run directly
             with an args file, as AnsiballZ would run it on the node):
             `virsh list --all --name` + one batched virsh process
  sequential `virsh list --all --name` + one `virsh domiflist` process per
             domain, one after the other
  pool-8     the same per-domain processes, 8 at a time (a bounded pool)

checks that all three give the same result, writes results.md next to this
file and undefines every bench-novaops-* domain (also on failure; run.sh
adds a trap for signals).

Usage (root, libvirtd running): .venv/bin/python bench/domiflist_info/bench.py [--domains 200]
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
URI = "qemu:///system"
PREFIX = "bench-novaops-"
ENV = dict(os.environ, LANGUAGE="C", LC_ALL="C")


def load_virsh_utils():
    spec = importlib.util.spec_from_file_location("_virsh", os.path.join(ROOT, "plugins", "module_utils", "_virsh.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VU = load_virsh_utils()


def virsh(*args, check=True):
    proc = subprocess.run(["virsh", "-c", URI] + list(args), env=ENV, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("virsh %s failed: %s" % (" ".join(args[:2]), proc.stderr))
    return proc


def domain_xml(index):
    name = "%s%03d" % (PREFIX, index)
    tap = "tap%08x-%02x" % (0xbe000000 + index, index % 256)
    interfaces = [
        "<interface type='ethernet'><mac address='52:54:00:be:%02x:%02x'/>"
        "<target dev='%s'/><model type='virtio'/></interface>" % (index // 256, index % 256, tap)
    ]
    if index % 2:
        interfaces.append(
            "<interface type='network'><mac address='52:54:00:bf:%02x:%02x'/>"
            "<source network='default'/><model type='virtio'/></interface>" % (index // 256, index % 256))
    return name, (
        "<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>"
        "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>%s</devices></domain>"
        % (name, "".join(interfaces)))


def bench_domains():
    return [n for n in VU.parse_name_list(virsh("list", "--all", "--name").stdout) if n.startswith(PREFIX)]


def run_batched(commands):
    for names in VU.chunk(commands, weight=lambda c: sum(len(a) + 3 for a in c)):
        script = " ; ".join(" ".join(VU.quote(a) for a in c) for c in names)
        virsh(script)


def define_domains(count, workdir):
    commands = []
    for index in range(count):
        name, xml = domain_xml(index)
        path = os.path.join(workdir, name + ".xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml)
        commands.append(["define", path])
    run_batched(commands)


def undefine_all():
    names = bench_domains()
    if names:
        run_batched([["undefine", "--domain", n] for n in names])
    return len(names)


def per_domain(name):
    proc = virsh("domiflist", "--domain", name)
    return name, VU.parse_domiflist(proc.stdout)


def sequential():
    names = VU.parse_name_list(virsh("list", "--all", "--name").stdout)
    return dict(per_domain(n) for n in names)


def pooled(workers=8):
    names = VU.parse_name_list(virsh("list", "--all", "--name").stdout)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(per_domain, names))


def module_runner(workdir):
    """Run the real module file with an args file, importable as the collection."""
    collections = os.path.join(workdir, "collections")
    link = os.path.join(collections, "ansible_collections", "novaops", "compute")
    os.makedirs(os.path.dirname(link))
    os.symlink(ROOT, link)
    args = os.path.join(workdir, "args.json")
    with open(args, "w", encoding="utf-8") as f:
        json.dump({"ANSIBLE_MODULE_ARGS": {"all": True, "uri": URI}}, f)
    env = dict(os.environ, PYTHONPATH=collections)
    module = os.path.join(ROOT, "plugins", "modules", "domiflist_info.py")

    def run():
        proc = subprocess.run([sys.executable, module, args], env=env, capture_output=True, text=True, check=False)
        result = json.loads(proc.stdout)
        if result.get("failed"):
            raise RuntimeError(result["msg"])
        return result["domains"]

    return run


def timed(func, repeat):
    times, result = [], None
    for _run in range(repeat):
        started = time.monotonic()
        result = func()
        times.append(time.monotonic() - started)
    return times, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--domains", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = parser.parse_args()

    others = [n for n in VU.parse_name_list(virsh("list", "--all", "--name").stdout) if not n.startswith(PREFIX)]
    workdir = tempfile.mkdtemp(prefix="novaops-bench-")
    try:
        undefine_all()
        started = time.monotonic()
        define_domains(args.domains, workdir)
        define_time = time.monotonic() - started
        assert len(bench_domains()) == args.domains
        module = module_runner(workdir)
        rows = []
        results = {}
        for label, func in (("module (all: true, batched)", module), ("sequential, 1 process per domain", sequential),
                            ("pool of 8 processes", pooled)):
            times, results[label] = timed(func, args.repeat)
            rows.append((label, times))
            print(label, ["%.3f" % t for t in times])
        reference = results["sequential, 1 process per domain"]
        for label, result in results.items():
            assert result == reference, "%s differs from the sequential result" % label
        interfaces = sum(len(v) for k, v in reference.items() if k.startswith(PREFIX))
        prefixes = sum(1 for k, v in reference.items() if k.startswith(PREFIX) for i in v if i["port_id_prefix"])
    finally:
        removed = undefine_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print("undefined %d bench domains" % removed)

    versions = virsh("version").stdout.strip().splitlines()
    medians = {label: statistics.median(times) for label, times in rows}
    base = medians["module (all: true, batched)"]
    lines = [
        "# domiflist_info benchmark",
        "",
        "Produced by `bench/domiflist_info/run.sh` on %s." % datetime.date.today().isoformat(),
        "",
        "- Machine: %d CPUs (nproc), %s, Python %s" % (os.cpu_count(), platform.platform(), platform.python_version()),
        "- libvirt: %s" % "; ".join(v.strip() for v in versions if v.strip()),
        "- Domains: %d inactive `%sNNN` (no disk, never started), %d interfaces, %d with a Neutron-style tap"
        % (args.domains, PREFIX, interfaces, prefixes),
        "  (plus %d other domains already defined on the host)" % len(others),
        "- Defining them (batched `virsh define`): %.2f s" % define_time,
        "- Each variant includes its `virsh list --all --name`; %d runs each; all variants returned the same"
        " domains and interfaces." % args.repeat,
        "- \"module\" runs `plugins/modules/domiflist_info.py` directly with an args file (no controller,"
        " no AnsiballZ), so it includes Python start-up and importing `ansible.module_utils.basic`.",
        "",
        "| variant | runs (s) | median (s) | vs. module |",
        "| --- | --- | ---: | ---: |",
    ]
    for label, times in rows:
        lines.append("| %s | %s | %.3f | %.1fx |" % (
            label, ", ".join("%.3f" % t for t in times), medians[label], medians[label] / base))
    lines.append("")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
