"""Test fixture on compute1: udev's one job the bed needs with Neutron's macvtap driver.

For an instance's macvtap port, libvirt makes a macvtap link and opens its
character device, /dev/tapIFINDEX, which udev creates on a real host. The bed's
containers run without udev (the base image masks it: a privileged
container's udev would act on the host's devices) and their /dev is a tmpfs,
so the node never appears and the guest fails to start ("cannot open macvtap
tap device /dev/tap11"). This service reads the kernel's uevents (which reach
the container's network namespace for its own links) and makes or removes
/dev/tapN as each macvtap device comes and goes. libvirt retries the open
for a while, which covers the few milliseconds this takes.
"""

import os
import socket
import stat

NETLINK_KOBJECT_UEVENT = 15
SYSFS = "/sys/class/macvtap"


def make(name, major, minor):
    try:
        os.mknod("/dev/" + name, 0o600 | stat.S_IFCHR, os.makedev(major, minor))
    except FileExistsError:
        pass


def main():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_KOBJECT_UEVENT)
    sock.bind((0, 1))  # the kernel's multicast group
    # devices made before this service listened
    for name in os.listdir(SYSFS) if os.path.isdir(SYSFS) else []:
        with open(os.path.join(SYSFS, name, "dev"), encoding="ascii") as dev:
            major, minor = dev.read().strip().split(":")
        make(name, int(major), int(minor))
    while True:
        fields = sock.recv(65536).split(b"\0")
        event = dict(field.decode("utf-8", "replace").split("=", 1) for field in fields[1:] if b"=" in field)
        if event.get("SUBSYSTEM") != "macvtap" or "/" in event.get("DEVNAME", "/"):
            continue
        if event.get("ACTION") == "add":
            make(event["DEVNAME"], int(event["MAJOR"]), int(event["MINOR"]))
        elif event.get("ACTION") == "remove":
            try:
                os.unlink("/dev/" + event["DEVNAME"])
            except FileNotFoundError:
                pass


if __name__ == "__main__":
    main()
