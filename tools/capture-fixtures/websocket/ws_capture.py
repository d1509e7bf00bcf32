"""Record what a console proxy sends to vnc_check's url mode, with timings, as a test fixture.

Opens one noVNC console URL exactly as ``novaops.compute.vnc_check`` does in
url mode (plugins/module_utils/_console_proxy.py: TCP, TLS for https, the
WebSocket Upgrade, the RFB handshake up to the security types) and records
every byte the proxy sends back, when it came, and how the connection ended
(the proxy's close, a reset, or silence until the timeout).  The unit tests
replay the file through a fake socket and a loopback server
(tests/unit/plugins/module_utils/test_console_proxy.py).

The console token never reaches the file: the URLs are stored masked
(token=***), the request is stored masked, what the client sends after it
is stored as a length only, and any spelling of the token in the proxy's
answers is overwritten with X of the same length (``token_scrubbed``).

Examples:
  # a real nova-novncproxy (the bed's controller), URL read from stdin so the
  # token stays out of the shell history and the process list:
  openstack console url show -f value -c url SERVER \\
    | python3 tools/capture-fixtures/websocket/ws_capture.py --url - --name nova-26.2.2-ok \\
        --source "nova-novncproxy 26.2.2 (Debian 12), bed controller"

  # the same server after its token expired (10 minutes, [consoleauth] token_ttl)
  # or with a made-up token: the proxy's refusal
  ... --url 'http://10.89.77.10:6080/vnc_auto.html?path=%3Ftoken%3D00000000-0000-4000-8000-000000000000' \\
      --name nova-26.2.2-invalid-token --source "..."

Writes OUT/NAME.json (default OUT: tests/unit/fixtures/websocket).  Python's
standard library only; run it from the repository (it imports the
collection's module_utils from this checkout).
"""

import argparse
import base64
import datetime
import json
import os
import socket
import ssl
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_OUT = os.path.join(ROOT, "tests", "unit", "fixtures", "websocket")


def import_collection():
    """The collection's module_utils from this checkout, as ``ansible_collections.novaops.compute``."""
    base = os.path.join(ROOT, ".cache", "collections")
    link = os.path.join(base, "ansible_collections", "novaops", "compute")
    if not (os.path.islink(link) and os.path.realpath(link) == ROOT):
        base = tempfile.mkdtemp(prefix="novaops-ws-capture.")
        os.makedirs(os.path.join(base, "ansible_collections", "novaops"))
        os.symlink(ROOT, os.path.join(base, "ansible_collections", "novaops", "compute"))
    sys.path.insert(0, base)
    from ansible_collections.novaops.compute.plugins.module_utils import _console_proxy, _urls, _websocket
    return _console_proxy, _urls, _websocket


class Recorder:
    """A socket that logs what the proxy sends (bytes and time) and how it ends."""

    def __init__(self, sock, events, started):
        self.sock = sock
        self.events = events
        self.started = started
        self.sends = 0

    def _log(self, op, **fields):
        self.events.append(dict(t=round(time.monotonic() - self.started, 4), op=op, **fields))

    def settimeout(self, value):
        self.sock.settimeout(value)

    def recv(self, size):
        try:
            data = self.sock.recv(size)
        except socket.timeout:
            self._log("timeout")
            raise
        except (BlockingIOError, ssl.SSLWantReadError):
            self._log("would_block")
            raise
        except ConnectionResetError:
            self._log("reset")
            raise
        if data:
            self._log("recv", data=base64.b64encode(data).decode("ascii"), shown=repr(data[:120])[1:])
        else:
            self._log("eof")
        return data

    def sendall(self, data):
        self.sends += 1
        if self.sends == 1:
            self._log("send", bytes=len(data), what="upgrade request")
        else:
            self._log("send", bytes=len(data), what="frame")
        return self.sock.sendall(data)

    def close(self):
        self._log("close")
        self.sock.close()


class RecordingContext:
    """wrap_socket as the TLS context does, then records the decrypted bytes."""

    def __init__(self, context):
        self.context = context

    def wrap_socket(self, recorder, server_hostname=None):
        try:
            wrapped = self.context.wrap_socket(recorder.sock, server_hostname=server_hostname)
        except Exception as exc:
            recorder._log("tls_failed", error="%s: %s" % (type(exc).__name__, exc))
            raise
        recorder._log("tls", version=wrapped.version())
        return Recorder(wrapped, recorder.events, recorder.started)


def scrub(events, spellings):
    """Overwrite any spelling of the token in the proxy's bytes (same length, so frames stay valid)."""
    scrubbed = False
    for event in events:
        if event["op"] != "recv":
            continue
        data = base64.b64decode(event["data"])
        for spelling in spellings:
            raw = spelling.encode("utf-8")
            if raw in data:
                data = data.replace(raw, b"X" * len(raw))
                scrubbed = True
        event["data"] = base64.b64encode(data).decode("ascii")
        event["shown"] = repr(data[:120])[1:]
    return scrubbed


def main():
    summary, _sep, rest = __doc__.partition("\n\n")
    parser = argparse.ArgumentParser(
        description=summary,
        epilog=rest,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True,
                        help="the noVNC console URL with its token ('-': read it from stdin)")
    parser.add_argument("--name", required=True, help="fixture name: OUT/NAME.json")
    parser.add_argument("--source", required=True,
                        help="what answered: proxy, version, where (kept in the fixture)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="directory of the fixture (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds for the whole check, as vnc_check's timeout (default: %(default)s)")
    parser.add_argument("--note", help="anything a reader of the fixture should know")
    parser.add_argument("--derived", action="store_true",
                        help="the proxy is not the real thing (a harness); the fixture says so")
    parser.add_argument("--insecure", action="store_true", help="https: do not verify the certificate")
    parser.add_argument("--ca-path", help="https: CA bundle to verify the proxy's certificate with")
    args = parser.parse_args()
    url = sys.stdin.readline().strip() if args.url == "-" else args.url

    console_proxy, urls, websocket = import_collection()
    target = urls.split_console_url(url)  # fails with a value-free message for a bad URL
    keys = []
    real_new_key = websocket.new_key

    def recorded_key():
        keys.append(real_new_key())
        return keys[-1]

    events = []
    started = time.monotonic()
    real_connect = console_proxy.connect

    def recording_connect(host, port, deadline):
        sock = real_connect(host, port, deadline)
        recorder = Recorder(sock, events, started)
        recorder._log("connect", peer="%s:%s" % (host, port))
        return recorder

    websocket.new_key = recorded_key
    console_proxy.connect = recording_connect
    context = None
    if target["tls"]:
        context = RecordingContext(console_proxy.tls_context(not args.insecure, args.ca_path))
    result = console_proxy.check_console(url, args.timeout, context)

    spellings = urls.console_token_spellings(target["tokens"])
    scrubbed = scrub(events, spellings)
    for event in events:
        if event["op"] == "send" and event["what"] == "upgrade request":
            request = websocket.websocket_request(target["resource"], target["host_header"], target["origin"],
                                                  keys[0]).decode("ascii")
            event["request"] = urls.mask_console_tokens(request, target["tokens"])
    fixture = {
        "source": args.source,
        "derived": args.derived,
        "captured_with": "tools/capture-fixtures/websocket/ws_capture.py",
        "captured_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "url": target["masked_url"],
        "websocket_url": target["websocket_url"],
        "client_key": keys[0] if keys else None,
        "timeout": args.timeout,
        "token_scrubbed": scrubbed,
        "events": events,
        "result_at_capture": result,
    }
    if args.note:
        fixture["note"] = args.note
    text = json.dumps(fixture, indent=1) + "\n"
    leaked = [s for s in spellings if s in text]
    if leaked:
        sys.exit("refusing to write %s: the token would be in it" % args.name)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, args.name + ".json"), "w", encoding="utf-8") as f:
        f.write(text)
    print("%-36s %-26s %s" % (args.name, result["layer"] or "ok", result["error"] or result["security_types"]))


if __name__ == "__main__":
    main()
