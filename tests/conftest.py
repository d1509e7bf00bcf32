"""Make the checkout importable as ``ansible_collections.novaops.compute``.

Unit tests import module_utils and modules by their collection path, exactly as
Ansible does on a node; integration tests run ansible-playbook, ansible-doc and
ansible-galaxy on localhost. The checkout is linked into a throw-away
``ansible_collections`` tree under ``.cache/`` (where ansible.cfg's
collections_path looks) so tests run from a plain clone.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "novaops", "compute")


def _link_collection():
    if os.path.islink(LINK) and os.path.realpath(LINK) == ROOT:
        return
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    if os.path.lexists(LINK):
        os.unlink(LINK)
    os.symlink(ROOT, LINK)


# When ansible-test runs the units it has already staged the collection.
if "ansible_collections.novaops.compute" not in sys.modules and not ROOT.endswith(
    os.path.join("ansible_collections", "novaops", "compute")
):
    _link_collection()
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)
