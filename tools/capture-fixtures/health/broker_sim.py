"""Loopback stand-ins for a message broker and a nova-compute client.

Usage:
  python3 broker_sim.py listen PORTFILE   listeners on 127.0.0.1, ::1 and
                                          ::ffff:127.0.0.1 (ports written to
                                          PORTFILE as JSON); accepts and holds
  python3 broker_sim.py hang SOCKPATH     a unix socket that accepts and never
                                          answers (a hung libvirt daemon)
  nova-compute PORTFILE                   (this file copied as "nova-compute")
                                          connect to each listener and hold

Everything stays on loopback; each process exits after 300 s at the latest.
"""

import json
import os
import socket
import sys
import time

HOLD = 300


def listen(portfile):
    socks = []
    ports = {}
    for key, family, addr in (("v4", socket.AF_INET, "127.0.0.1"),
                              ("v6", socket.AF_INET6, "::1"),
                              ("mapped", socket.AF_INET6, "::ffff:127.0.0.1")):
        s = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6 and key == "mapped":
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((addr, 0))
        s.listen(8)
        ports[key] = s.getsockname()[1]
        socks.append(s)
    with open(portfile + ".tmp", "w", encoding="utf-8") as f:
        json.dump(ports, f)
    os.rename(portfile + ".tmp", portfile)
    held = []
    deadline = time.time() + HOLD
    for s in socks:
        s.settimeout(0.2)
    while time.time() < deadline:
        for s in socks:
            try:
                held.append(s.accept()[0])
            except socket.timeout:
                pass


def hang(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)
    s.settimeout(HOLD)
    held = []
    deadline = time.time() + HOLD
    while time.time() < deadline:
        try:
            held.append(s.accept()[0])
        except socket.timeout:
            break


def client(portfile):
    for attempt in range(100):
        if os.path.exists(portfile) or attempt == 99:
            break
        time.sleep(0.05)
    with open(portfile, encoding="utf-8") as f:
        ports = json.load(f)
    conns = [
        socket.create_connection(("127.0.0.1", ports["v4"])),
        socket.create_connection(("::1", ports["v6"])),
        # an IPv4 client of the dual-stack listener: the peer shows as ::ffff:127.0.0.1 there
        socket.create_connection(("127.0.0.1", ports["mapped"])),
    ]
    time.sleep(HOLD)
    del conns


def main():
    if os.path.basename(sys.argv[0]) == "nova-compute":
        client(sys.argv[1])
    elif sys.argv[1:2] == ["listen"]:
        listen(sys.argv[2])
    elif sys.argv[1:2] == ["hang"]:
        hang(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
