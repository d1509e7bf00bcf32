"""Stand-in for pypa's get-pip.py, for ansible-test's pip bootstrap.

ansible-test builds each sanity virtualenv without pip and downloads a
get-pip script from a host this project's CI cannot reach; it reads the script
from ~/.ansible/test/cache/get_pip_<version>.py when that exists. This one
installs the pip bundled with Python (ensurepip), then the packages asked for
(e.g. pip==24.2) from the configured package index, accepting get-pip's own
--no-setuptools/--no-wheel flags.
"""

import subprocess
import sys


def main(argv):
    args = [a for a in argv if a not in ("--no-setuptools", "--no-wheel")]
    # In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null in the
    # process that runs it, which would hide the machine's pip configuration
    # (index, certificates) from the install below.
    rc = subprocess.call([sys.executable, "-m", "ensurepip", "--upgrade"])
    if rc:
        return rc
    return subprocess.call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
