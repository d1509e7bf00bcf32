"""Reduce oslo-config-generator's YAML option data to the JSON the role ships.

    python tools/compact-opt-data.py tests/unit/data/nova_26_opt_data.yaml \
        roles/nova_compute/files/nova-26-options.json

The full data (~900 KB of help text) stays with the tests; the role needs only
names, types, choices, bounds and deprecated aliases, for the check it runs on
the controller before anything on a node changes (plugin_utils/_nova_conf.py).
"""

import json
import os
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plugins", "plugin_utils"))
from _nova_conf import compact_opt_data  # noqa: E402  pylint: disable=wrong-import-position


def main(source, target):
    with open(source, encoding="utf-8") as handle:
        data = compact_opt_data(yaml.safe_load(handle))
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(data, handle, sort_keys=True, separators=(",", ":"))
        handle.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
