"""Run galaxy-importer on the built tarball the way Galaxy would, and fail on
any ERROR and on any WARNING not in allowed-warnings.txt.

    python tools/galaxy-importer/check.py TARBALL DEPS_DIR WORK_DIR

Run it with the importer venv's python (`make publish-check` does).
DEPS_DIR is an `ansible_collections` directory that holds the collections
galaxy.yml depends on (the `ansible` package's, in .venv); WORK_DIR is
emptied and used as the importer's HOME and working directory, so that:

- its ansible-lint sees only the tarball and the declared dependencies (a
  copy of this collection installed in ~/.ansible/collections would
  otherwise shadow the tarball's), and
- with Galaxy unreachable, the dependencies come from DEPS_DIR, each
  checked against the range galaxy.yml declares.

It also requires that Galaxy gets documentation for every module and filter.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

from ansible.galaxy.dependency_resolution.versioning import meets_requirements

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "galaxy-importer.cfg")
ALLOWED = os.path.join(HERE, "allowed-warnings.txt")
DOCUMENTED = ("module", "filter")  # content Galaxy shows a documentation page for
LEVEL = re.compile(r"^(CRITICAL|ERROR|WARNING): (.*)$")


def allowed_patterns(path=ALLOWED):
    with open(path, encoding="utf-8") as handle:
        lines = [line.strip() for line in handle]
    return [re.compile(line) for line in lines if line and not line.startswith("#")]


def findings(output, allowed):
    """(problems, allowed warnings) of the importer's output lines."""
    problems, accepted = [], []
    for line in output.splitlines():
        match = LEVEL.match(line)
        if not match:
            continue
        level, message = match.groups()
        if level == "WARNING" and any(p.search(message) for p in allowed):
            accepted.append(line)
        else:
            problems.append(line)
    return problems, accepted


def undocumented(result):
    """Modules and filters Galaxy would show without documentation."""
    return sorted("%s %s" % (c["content_type"], c["content_name"]) for c in result["docs_blob"]["contents"]
                  if c["content_type"] in DOCUMENTED and not c.get("doc_strings"))


def install_dependencies(tarball, deps_dir, collections):
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    for name, requirement in sorted((manifest["collection_info"]["dependencies"] or {}).items()):
        namespace, collection = name.split(".")
        source = os.path.join(deps_dir, namespace, collection)
        if not os.path.isdir(source):
            sys.exit("%s (a dependency in galaxy.yml) is not in %s" % (name, deps_dir))
        with open(os.path.join(source, "MANIFEST.json"), encoding="utf-8") as handle:
            version = json.load(handle)["collection_info"]["version"]
        if not meets_requirements(version, requirement):
            sys.exit("%s %s in %s does not meet galaxy.yml's %s" % (name, version, deps_dir, requirement))
        shutil.copytree(source, os.path.join(collections, namespace, collection), symlinks=True)
        print("dependency %s %s (galaxy.yml: %s) from %s" % (name, version, requirement, deps_dir))


def main(argv):
    tarball, deps_dir, work = (os.path.abspath(a) for a in argv)
    shutil.rmtree(work, ignore_errors=True)
    collections = os.path.join(work, ".ansible", "collections", "ansible_collections")
    os.makedirs(collections)
    install_dependencies(tarball, deps_dir, collections)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "GALAXY_IMPORTER_"))}
    env.update(HOME=work, GALAXY_IMPORTER_CONFIG=CONFIG, ANSIBLE_NOCOLOR="1",
               PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-m", "galaxy_importer.main", tarball], cwd=work, env=env,
                          capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    print(output, end="")
    problems, accepted = findings(output, allowed_patterns())
    if proc.returncode != 0 or "Importer processing completed successfully" not in output:
        problems.append("galaxy-importer exited %d without completing" % proc.returncode)
    else:
        with open(os.path.join(work, "importer_result.json"), encoding="utf-8") as handle:
            problems += ["no documentation for Galaxy: %s" % c for c in undocumented(json.load(handle))]
    for line in accepted:
        print("allowed (tools/galaxy-importer/allowed-warnings.txt): %s" % line)
    if problems:
        print("\ngalaxy-importer: %d problem(s):" % len(problems))
        for line in problems:
            print("  %s" % line)
        return 1
    print("galaxy-importer: no error, no warning%s" % (" but the allowed ones" if accepted else ""))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
