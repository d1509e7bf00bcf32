"""Reduce oslo-config-generator's YAML option data to the JSON the role ships.

    python tools/compact-opt-data.py tests/unit/data/nova_26_opt_data.yaml \
        roles/nova_compute/files/nova-26-options.json

The full data (~900 KB of help text) stays with the tests; the role needs only
names, types, choices, bounds, secret flags and deprecated aliases, for the
checks it runs on the controller before anything on a node changes and for
masking secrets in diffs (plugins/module_utils/_nova_options.py).
"""

import json
import os
import sys
import types

import yaml

# Import the collection's code by its collection path straight from this
# checkout (no installed collection needed).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _name, _path in (("ansible_collections", []), ("ansible_collections.novaops", []),
                     ("ansible_collections.novaops.compute", [ROOT])):
    if _name not in sys.modules:
        sys.modules[_name] = types.ModuleType(_name)
        sys.modules[_name].__path__ = _path
from ansible_collections.novaops.compute.plugins.module_utils._nova_options import (  # noqa: E402  pylint: disable=wrong-import-position
    compact_opt_data,
)


def main(source, target):
    with open(source, encoding="utf-8") as handle:
        data = compact_opt_data(yaml.safe_load(handle))
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(data, handle, sort_keys=True, separators=(",", ":"))
        handle.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
