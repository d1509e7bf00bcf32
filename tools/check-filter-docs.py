"""Every filter ansible-doc lists for this collection has documentation of its own.

    python tools/check-filter-docs.py   # run by `make docs`; ansible-doc must be on PATH

ansible-doc finds a filter's documentation by the name of the file the filter
lives in; a file exporting several filters shows its one DOCUMENTATION for
each of them. So each filter's page must carry the filter's own name.
"""

import json
import subprocess
import sys

COLLECTION = "novaops.compute"


def ansible_doc(*args):
    return json.loads(subprocess.run(["ansible-doc", "-t", "filter", "--json", *args],
                                     check=True, capture_output=True, text=True).stdout)


def main():
    names = sorted(ansible_doc("--list", COLLECTION))
    if not names:
        print("ansible-doc lists no filter of %s" % COLLECTION)
        return 1
    docs = ansible_doc(*names)
    bad = []
    for name in names:
        doc = (docs.get(name) or {}).get("doc") or {}
        if doc.get("name") != name.rsplit(".", 1)[-1] or not doc.get("version_added"):
            bad.append("%s (documented as %r)" % (name, doc.get("name")))
    for line in bad:
        print("filter without documentation of its own: %s" % line)
    if bad:
        return 1
    print("%d filters, each documented on its own" % len(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
