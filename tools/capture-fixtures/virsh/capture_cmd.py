"""Run one command exactly as the modules do and store what it printed.

Usage: python3 capture_cmd.py OUTDIR NAME -- ARGV...

Writes OUTDIR/NAME.txt (stdout, byte for byte) and OUTDIR/NAME.json
(argv, rc, stderr).  The locale is pinned like the modules pin it
(LANGUAGE=C, LC_ALL=C).
"""

import json
import os
import subprocess
import sys


def main():
    outdir, name, sep = sys.argv[1:4]
    argv = sys.argv[4:]
    if sep != "--" or not argv:
        sys.exit(__doc__)
    env = dict(os.environ, LANGUAGE="C", LC_ALL="C")
    proc = subprocess.run(argv, env=env, capture_output=True, check=False)
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
