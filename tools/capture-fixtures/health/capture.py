"""Run one command exactly as node_health_info runs it and store what it printed.

Usage: python3 capture.py OUTDIR NAME [--via PREFIX...] -- ARGV...

Writes OUTDIR/NAME.txt (stdout, byte for byte) and OUTDIR/NAME.json
(argv, rc, stderr), the layout of tests/unit/fixtures/virsh/.  ``--via``
runs ARGV through a prefix (``podman exec CONTAINER``) that is not
recorded: the json keeps the argv the module itself runs.  The locale is
pinned like the module pins it (LANGUAGE=C, LC_ALL=C).
"""

import json
import os
import subprocess
import sys


def main():
    args = sys.argv[1:]
    if len(args) < 4 or "--" not in args:
        sys.exit(__doc__)
    outdir, name = args[0], args[1]
    sep = args.index("--")
    via = args[2:sep]
    argv = args[sep + 1:]
    if via and via[0] == "--via":
        via = via[1:]
    elif via:
        sys.exit(__doc__)
    if not argv:
        sys.exit(__doc__)
    env = dict(os.environ, LANGUAGE="C", LC_ALL="C")
    run = argv
    if via:
        # podman exec: pin the locale inside the container too
        run = via[:2] + ["--env", "LANGUAGE=C", "--env", "LC_ALL=C"] + via[2:] + argv
    proc = subprocess.run(run, env=env, capture_output=True, check=False)
    with open(os.path.join(outdir, name + ".txt"), "wb") as f:
        f.write(proc.stdout)
    meta = {
        "argv": argv,
        "rc": proc.returncode,
        "stderr": proc.stderr.decode("utf-8", "surrogateescape"),
    }
    with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("%-40s rc=%d %d bytes" % (name, proc.returncode, len(proc.stdout)))


if __name__ == "__main__":
    main()
