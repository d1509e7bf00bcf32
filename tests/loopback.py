"""A loopback listener for the tests of the probes (RFB servers, console proxies):
one thread per connection, each running a handler; nothing leaves the host.
(This folder is on sys.path through tests/conftest.py.)"""

import socket
import threading


class Loopback:
    """A listener on 127.0.0.1 (or ::1) that runs ``handler(conn)`` per connection.

    Without a handler it never accepts: the kernel completes the TCP
    handshake and the client then waits for a greeting that never comes.
    """

    def __init__(self, handler=None, backlog=64, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.stop = threading.Event()
        self.threads = []
        if handler:
            self.sock.settimeout(0.05)
            self._start(self._accept_loop)

    def _start(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _accept_loop(self):
        while not self.stop.is_set():
            try:
                conn = self.sock.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(2)
            self._start(self._handle, conn)

    def _handle(self, conn):
        try:
            self.handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(2)
        self.sock.close()


def rfb_replay(data, all_at_once=False):
    """A handler replaying a captured RFB server: the 12-byte greeting, the rest
    once the client answered its version; with ``all_at_once`` everything at
    once, then hang up (TigerVNC's blacklist; an SSH banner)."""
    def handler(conn):
        if all_at_once:
            conn.sendall(data)
            return
        conn.sendall(data[:12])
        got = b""
        while len(got) < 12:
            chunk = conn.recv(12 - len(got))
            if not chunk:
                return
            got += chunk
        conn.sendall(data[12:])
        conn.recv(1)  # wait for the probe to close

    return handler
