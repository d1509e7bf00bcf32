"""Benchmark: vnc_check's concurrent probe vs. the obvious sequential loop.

Starts 100 loopback endpoints on 127.0.0.1: 90 fake RFB servers that replay
a real captured QEMU handshake (tests/unit/fixtures/rfb/qemu-vncauth.bin)
and 10 silent listeners that accept at the TCP level but never send.  Then
probes all of them with a 1 s timeout, first with check_endpoints() (what
the module runs: a bounded thread pool), then one by one with
check_endpoint().  Writes bench/vnc_check/results.md.

Bounded and self-stopping: loopback only, a fixed number of probes, every
socket closed and the server thread joined at the end.

Usage: python3 bench/vnc_check/bench.py [--repeat N]
"""

import argparse
import datetime
import importlib.util
import os
import platform
import selectors
import socket
import statistics
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RFB_PATH = os.path.join(ROOT, "plugins", "module_utils", "_rfb.py")
CAPTURE = os.path.join(ROOT, "tests", "unit", "fixtures", "rfb", "qemu-vncauth.bin")

REAL, SILENT, TIMEOUT = 90, 10, 1.0


def load_rfb():
    spec = importlib.util.spec_from_file_location("_rfb", RFB_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeServers:
    """REAL replaying listeners and SILENT never-sending listeners, one thread."""

    def __init__(self, data):
        self.greeting, self.rest = data[:12], data[12:]
        self.selector = selectors.DefaultSelector()
        self.listeners = []
        self.stop = threading.Event()
        self.real_ports = [self._listen(serve=True) for _index in range(REAL)]
        self.silent_ports = [self._listen(serve=False) for _index in range(SILENT)]
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _listen(self, serve):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        self.listeners.append(sock)
        if serve:
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, ("listener", None))
        return sock.getsockname()[1]

    def _loop(self):
        while not self.stop.is_set():
            for key, _events in self.selector.select(timeout=0.05):
                kind, state = key.data
                if kind == "listener":
                    try:
                        conn = key.fileobj.accept()[0]
                    except BlockingIOError:
                        continue
                    conn.sendall(self.greeting)  # 12 bytes: never blocks
                    conn.setblocking(False)
                    self.selector.register(conn, selectors.EVENT_READ, ("conn", {"got": b""}))
                    continue
                conn = key.fileobj
                try:
                    chunk = conn.recv(64)
                except OSError:
                    chunk = b""
                if not chunk:
                    self.selector.unregister(conn)
                    conn.close()
                    continue
                before = len(state["got"])
                state["got"] += chunk
                if before < 12 <= len(state["got"]):
                    conn.sendall(self.rest)

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()
        for sock in self.listeners:
            sock.close()
        self.selector.close()


def timed(func):
    started = time.monotonic()
    result = func()
    return time.monotonic() - started, result


def check(results, real, silent):
    errors = [r["error"] for r in results]
    assert errors.count(None) == real, errors
    assert errors.count("timed out") == silent, errors
    assert all(r["security_types"] == ["VNC Authentication"] for r in results if r["reachable"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = parser.parse_args()

    rfb = load_rfb()
    with open(CAPTURE, "rb") as f:
        data = f.read()
    servers = FakeServers(data)
    try:
        endpoints = [("127.0.0.1", p) for p in servers.real_ports + servers.silent_ports]
        concurrent, sequential = [], []
        for _run in range(args.repeat):
            elapsed, results = timed(lambda: rfb.check_endpoints(endpoints, TIMEOUT))
            check(results, REAL, SILENT)
            concurrent.append(elapsed)
        # The sequential loop takes ~SILENT x TIMEOUT each time; run it once.
        elapsed, results = timed(lambda: [rfb.check_endpoint(h, p, TIMEOUT) for h, p in endpoints])
        check(results, REAL, SILENT)
        sequential.append(elapsed)
        # Only the fast endpoints, to show the per-probe cost on its own.
        real_only = endpoints[:REAL]
        fast_concurrent = timed(lambda: rfb.check_endpoints(real_only, TIMEOUT))[0]
        fast_sequential = timed(lambda: [rfb.check_endpoint(h, p, TIMEOUT) for h, p in real_only])[0]
    finally:
        servers.close()

    median = statistics.median(concurrent)
    lines = [
        "# vnc_check benchmark",
        "",
        "Produced by `python3 bench/vnc_check/bench.py` on %s." % datetime.date.today().isoformat(),
        "",
        "- Machine: %d CPUs (nproc), %s, Python %s" % (os.cpu_count(), platform.platform(), platform.python_version()),
        "- Endpoints: %d on 127.0.0.1: %d fake RFB servers replaying a real QEMU 7.2 handshake"
        " (`tests/unit/fixtures/rfb/qemu-vncauth.bin`), %d silent listeners (accept, never send)" % (
            REAL + SILENT, REAL, SILENT),
        "- Timeout: %.1f s per endpoint (connect + handshake)" % TIMEOUT,
        "- Concurrent = `check_endpoints()` as the module runs it (thread pool, min(len, %d) workers)"
        % rfb.MAX_WORKERS,
        "",
        "| run | wall time (s) |",
        "| --- | ---: |",
    ]
    for i, elapsed in enumerate(concurrent, 1):
        lines.append("| concurrent, run %d | %.3f |" % (i, elapsed))
    lines += [
        "| sequential loop over `check_endpoint()` | %.3f |" % sequential[0],
        "| concurrent, the %d answering endpoints only | %.3f |" % (REAL, fast_concurrent),
        "| sequential, the %d answering endpoints only | %.3f |" % (REAL, fast_sequential),
        "",
        "Sequential / concurrent (median of %d): **%.1fx**. With %d silent endpoints the concurrent"
        " run costs about one timeout (%.1f s), the sequential loop about %d timeouts."
        % (len(concurrent), sequential[0] / median, SILENT, TIMEOUT, SILENT),
        "",
        "Every run returned %d reachable endpoints (security type \"VNC Authentication\") and %d"
        " \"timed out\"." % (REAL, SILENT),
        "",
    ]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
