"""Record what an RFB (VNC) server sends during the handshake, on loopback.

Usage:
  python3 rfb_capture.py OUTDIR NAME PORT REPLY SOURCE [NOTE]

Connects to 127.0.0.1:PORT, reads the server's 12-byte ProtocolVersion
(or, for a non-RFB server, whatever it sends within a second), then sends
REPLY (a version like 3.8, meaning "RFB 003.008\\n"; "none" sends nothing)
and reads the server's security message until the server goes quiet for a
second or closes.  It never chooses a security type and never sends a
password.

Writes OUTDIR/NAME.bin: every byte the server sent, in order (the first 12
are the greeting), and OUTDIR/NAME.json describing the capture.
"""

import json
import os
import socket
import sys
import time

IDLE = 1.0
LIMIT = 4096


def read_until_idle(sock, want=None):
    data = b""
    sock.settimeout(IDLE)
    while len(data) < LIMIT and (want is None or len(data) < want):
        try:
            chunk = sock.recv(LIMIT if want is None else want - len(data))
        except socket.timeout:
            break
        except OSError as exc:
            return data, "%s: %s" % (type(exc).__name__, exc)
        if not chunk:
            return data, "closed by server"
        data += chunk
    return data, None


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    outdir, name, port, reply, source = sys.argv[1:6]
    note = sys.argv[6] if len(sys.argv) == 7 else None
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    started = time.time()
    events = []
    if reply == "none":
        data, end = read_until_idle(sock)
        sent = None
    else:
        major, minor = (int(x) for x in reply.split("."))
        sent = b"RFB %03d.%03d\n" % (major, minor)
        data, end = read_until_idle(sock, want=12)
        events.append("greeting: %r" % data)
        try:
            sock.sendall(sent)
            events.append("sent: %r" % sent)
        except OSError as exc:
            events.append("send failed: %s: %s" % (type(exc).__name__, exc))
        if end is None:
            rest, end = read_until_idle(sock)
            data += rest
    events.append("end: %s" % (end or "server idle for %.1f s" % IDLE))
    sock.close()

    with open(os.path.join(outdir, name + ".bin"), "wb") as f:
        f.write(data)
    meta = {
        "source": source,
        "synthetic": False,
        "client_reply": sent.decode("ascii") if sent else None,
        "server_bytes": len(data),
        "greeting": data[:12].decode("latin-1"),
        "events": events,
        "elapsed_s": round(time.time() - started, 3),
        "captured_with": "tools/capture-fixtures/rfb/rfb-fixtures.sh",
    }
    if note:
        meta["note"] = note
    with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print("%-28s %4d bytes  %r" % (name, len(data), data[:40]))


if __name__ == "__main__":
    main()
