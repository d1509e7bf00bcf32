"""Print, as JSON, what node_health_info's Host.dev_kvm() and kvm_modules() see.

Same steps as the module: open /dev/kvm read-write, ask KVM_GET_API_VERSION.
"""

import fcntl
import json
import os
import sys

PATH = "/dev/kvm"
dev = {"path": PATH, "exists": os.path.exists(PATH), "usable": False, "api_version": None, "error": None}
if not dev["exists"]:
    dev["error"] = "missing"
else:
    try:
        fd = os.open(PATH, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        dev["error"] = "open read-write: %s" % exc.strerror
    else:
        try:
            dev["api_version"] = fcntl.ioctl(fd, 0xAE00)
        except OSError as exc:
            dev["error"] = "KVM_GET_API_VERSION: %s" % exc.strerror
        finally:
            os.close(fd)
        dev["usable"] = dev["api_version"] is not None and dev["api_version"] >= 12
dev["kernel_modules"] = sorted(n for n in os.listdir("/sys/module") if n == "kvm" or n.startswith("kvm_"))
json.dump(dev, sys.stdout, indent=1)
sys.stdout.write("\n")
