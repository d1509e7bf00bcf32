"""Run Nova's own console proxy code on websockify, with its database and RPC stubbed.

Usage:
  python3 nova_proxy_harness.py WEBSOCKETPROXY_PY LISTEN invalid-token
  python3 nova_proxy_harness.py WEBSOCKETPROXY_PY LISTEN target HOST:PORT

LISTEN: PORT (on 127.0.0.1) or [ADDRESS]:PORT (``[::1]:6194``).

WEBSOCKETPROXY_PY is nova/console/websocketproxy.py of the Nova release to
reproduce (Nova 26.2.2: ``git -C nova show 26.2.2:nova/console/websocketproxy.py``,
or Debian's /usr/lib/python3/dist-packages/nova/console/websocketproxy.py).
The file runs unchanged - NovaProxyRequestHandler, NovaWebSocketProxy - on
the installed websockify (Debian 12: python3-websockify 0.10), as
nova-novncproxy runs it (nova/cmd/baseproxy.py proxy()), listening on
LISTEN.  Only what needs a cloud is replaced:

  invalid-token  objects.ConsoleAuthToken.validate raises
                 exception.InvalidToken(token='***'), as Nova's does for an
                 unknown or expired token (nova/objects/console_auth_token.py)
  target H:P     validate returns a novnc connect_info for H:P (the
                 compute node's [vnc] server_proxyclient_address and the
                 guest's port), and the compute node's validate_console_port
                 RPC answers True

Needs python3-websockify, python3-oslo.log and python3-oslo.utils (Debian
packages); eventlet is stubbed (nova calls hubs.use_hub() only).  Stop it with
SIGTERM.  The captures made against it are *derived*: Nova's code on the
wire, the cloud around it stubbed; a capture against a real
nova-novncproxy replaces them.
"""

import sys
import types

ACCESS_URL_BASE = "http://%s:%d/vnc_auto.html"  # [vnc] novncproxy_base_url: its scheme is checked against Origin


class Invalid(Exception):
    msg_fmt = "Unacceptable parameters."

    def __init__(self, message=None, **kwargs):
        super().__init__(message or self.msg_fmt % kwargs)


class InvalidToken(Invalid):
    msg_fmt = "The token '%(token)s' is invalid or has expired"  # nova/exception.py, Nova 26.2.2


class ValidationError(Invalid):
    msg_fmt = "%(detail)s"


class ConnectInfo:
    """What ConsoleAuthToken.validate returns: attribute access and ``in``."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __contains__(self, name):
        return name in self.__dict__

    def __repr__(self):
        return "ConnectInfo(%s)" % ", ".join("%s=%r" % kv for kv in sorted(self.__dict__.items()))


def stub_modules(mode, target, listen_host, port):
    def module(name, **attrs):
        mod = types.ModuleType(name)
        mod.__dict__.update(attrs)
        sys.modules[name] = mod
        parent, _sep, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, mod)
        return mod

    def validate(ctxt, token):
        if mode == "invalid-token":
            raise InvalidToken(token="***")
        host, _sep, tport = target.rpartition(":")
        return ConnectInfo(instance_uuid="00000000-0000-4000-8000-000000000001", host=host.strip("[]"),
                           port=int(tport), console_type="novnc", internal_access_path=None,
                           access_url_base=ACCESS_URL_BASE % (listen_host, port), token=token)

    class ComputeAPI:
        def validate_console_port(self, ctxt, instance, port, console_type):
            return True

    module("eventlet", hubs=types.SimpleNamespace(use_hub=lambda *a: None))
    module("eventlet.hubs", use_hub=lambda *a: None)
    module("nova")
    module("nova.compute")
    module("nova.compute.rpcapi", ComputeAPI=ComputeAPI)
    conf = types.SimpleNamespace(console=types.SimpleNamespace(allowed_origins=[]))
    module("nova.conf", CONF=conf)
    module("nova.context", get_admin_context=object)
    module("nova.exception", InvalidToken=InvalidToken, ValidationError=ValidationError,
           InstanceNotFound=type("InstanceNotFound", (Exception,), {}),
           SecurityProxyNegotiationFailed=type("SecurityProxyNegotiationFailed", (Exception,), {}),
           InvalidConnectionInfo=type("InvalidConnectionInfo", (Exception,), {}))
    module("nova.i18n", _=lambda text: text)
    module("nova.objects",
           Instance=types.SimpleNamespace(get_by_uuid=lambda ctxt, uuid: object()),
           ConsoleAuthToken=types.SimpleNamespace(validate=validate))
    module("nova.console")


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[3] not in ("invalid-token", "target"):
        sys.exit(__doc__)
    source, listen, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    host, _sep, port = listen.rpartition(":")
    host, port = host.strip("[]") or "127.0.0.1", int(port)
    target = sys.argv[4] if mode == "target" else None
    if mode == "target" and not target:
        sys.exit(__doc__)
    stub_modules(mode, target, "[%s]" % host if ":" in host else host, port)
    with open(source, encoding="utf-8") as f:
        code = compile(f.read(), source, "exec")
    proxy = types.ModuleType("nova.console.websocketproxy")
    proxy.__file__ = source
    sys.modules[proxy.__name__] = proxy
    exec(code, proxy.__dict__)  # noqa: S102 - Nova's own file, run as nova-novncproxy runs it
    # nova/cmd/baseproxy.py proxy(): the same server, no TLS, files from noVNC
    proxy.NovaWebSocketProxy(
        listen_host=host,
        listen_port=port,
        source_is_ipv6=":" in host,
        cert="self.pem",
        key=None,
        ssl_only=False,
        ssl_ciphers=None,
        ssl_minimum_version="default",
        daemon=False,
        record="",
        traffic=False,
        web="/usr/share/novnc",
        file_only=True,
        RequestHandlerClass=proxy.NovaProxyRequestHandler,
        security_proxy=None,
    ).start_server()


if __name__ == "__main__":
    main()
