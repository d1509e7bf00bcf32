"""Point hosts of a copy of the bed's inventory at SSH: pipelining (ansible.cfg)
with ControlPersist, root with a throw-away key, each host at the address given.
host_vars win over the inventory's own connection settings.

    python3 bench/molecule/ssh_inventory.py INVENTORY KEY HOST=ADDRESS...

Used by rerun.sh, p1.sh and p2b.sh."""

import os
import sys

import yaml


def main(inventory, key, *hosts):
    for host in hosts:
        name, address = host.split("=", 1)
        path = os.path.join(inventory, "host_vars", name)
        data = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        data.update(ansible_connection="ssh", ansible_host=address, ansible_user="root",
                    ansible_ssh_private_key_file=key,
                    ansible_ssh_common_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
                                            " -o ControlMaster=auto -o ControlPersist=60s")
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle)


if __name__ == "__main__":
    main(*sys.argv[1:])
