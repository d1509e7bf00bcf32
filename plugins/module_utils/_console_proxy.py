# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A guest's console opened through the console proxy, as the dashboard does.

The dashboard shows noVNC's page from nova-novncproxy; the page opens a
WebSocket to the proxy with the console token, and the proxy, once it has
checked the token, connects to the guest's VNC server on the compute node
and relays RFB.  ``check_console`` does the same from a noVNC console URL:
TCP (and TLS) to the proxy, the HTTP Upgrade, then ``_rfb``'s handshake over
the WebSocket's byte stream, and tells which layer failed:

  proxy_connect     TCP or TLS to the proxy
  proxy_http        the proxy's HTTP answer is not a WebSocket (a status, no answer)
  token             the proxy refuses the token (invalid or expired)
  proxy_to_compute  the proxy took the token but cannot reach the guest's VNC server
  rfb               the bytes relayed are not a VNC server's handshake
  compute_api       (servers) the Compute API gave no console URL

How the proxy signals each case, from the code it runs:

- websockify 0.10 (tag v0.10.0, commit 71d55fcaa8; Debian 12's
  python3-websockify, the library under nova-novncproxy), websockify/websocketproxy.py
  ProxyRequestHandler.new_websocket_client: a target it cannot connect to
  -> close frame 1011 "Failed to connect to downstream server" after the
  101; a target that hangs up -> close frame 1000 "Target closed".
  websocketserver.py handle_upgrade: a bad Upgrade request -> HTTP 400
  with the problem as the reason phrase.  websockifyserver.py
  top_new_client: any other exception in the handler is logged and the TCP
  connection closed, with no close frame; a token plugin's unknown token
  (EClose in validate_connection, before the 101) and ``--ssl-only`` against
  a plain connection close it with no HTTP answer at all.
- Nova 26.2.2 (tag 26.2.2, commit 226f3e95c1), nova/console/websocketproxy.py
  NovaProxyRequestHandler.new_websocket_client replaces websockify's: it
  validates the token (ConsoleAuthToken.validate -> InvalidToken, "The token
  '***' is invalid or has expired") and connects to the compute node
  (websockify's socket(): ConnectionRefusedError and the like) *after* the
  101, and lets both exceptions out, so both end in the same TCP close with
  no close frame, before any RFB byte.  Only the proxy's log tells them
  apart - or the Compute API: ``GET /os-console-auth-tokens/{token}``
  (nova/api/openstack/compute/console_auth_tokens.py, microversion 2.31,
  admin by default) answers 404 for a token Nova does not know and the
  host and port the proxy connects to for one it does.  Without that
  answer the layer is ``token_or_proxy_to_compute``.  A connection to a
  filtered address, or a compute node that does not answer the proxy's
  validate_console_port RPC, hangs: the 101 comes, the greeting does not.
- The Origin check (same method) also comes after the 101 and closes the
  same way; the probe sends the Origin a browser on the noVNC page sends,
  which passes it.
"""

from __future__ import annotations

import ipaddress
import ssl

from ansible_collections.novaops.compute.plugins.module_utils._rfb import (
    ERR_CLOSED,
    ERR_REFUSED,
    ERR_TIMEOUT,
    ERR_UNREACHABLE,
    ERR_UNRESOLVED,
    NotRfbServer,
    RfbError,
    ServerRefused,
    classify_error,
    connect,
    describe_bytes,
    probe,
    remaining,
    run_concurrently,
)
from ansible_collections.novaops.compute.plugins.module_utils._urls import (
    UrlError,
    mask_token_pieces,
    split_console_url,
)
from ansible_collections.novaops.compute.plugins.module_utils._websocket import (
    NoAnswer,
    NotHttp,
    UpgradeRefused,
    WebSocketError,
    upgrade,
)

LAYERS = ("compute_api", "proxy_connect", "proxy_http", "token", "proxy_to_compute", "rfb")
TOKEN_OR_COMPUTE = "token_or_proxy_to_compute"
WEBSOCKIFY_TARGET_FAILED = 1011   # websockify: "Failed to connect to downstream server"
WEBSOCKIFY_TARGET_CLOSED = (1000, "Target closed")

SERVER_PROXYCLIENT = ("[vnc] server_proxyclient_address on the compute node must be an address of that node "
                      "which the proxy's host reaches (never 127.0.0.1), inside [vnc] server_listen; "
                      "nova-compute reads it when a console is requested")
PROXY_LOG = ("nova-novncproxy's log names the cause: \"The token '***' is invalid or has expired\", or an error "
             "connecting to the compute node")

# (layer, code) -> what to do.  {console_host} and {console_port}: where the
# Compute API says the proxy connects for the token.
ADVICE = {
    ("compute_api", "console_request"): (
        "the Compute API gave no console URL: the server must exist, be ACTIVE and have VNC enabled "
        "([vnc] enabled on its compute node); the error is Nova's answer"),
    ("compute_api", "bad_url"): (
        "the Compute API's console URL cannot be opened: check [vnc] novncproxy_base_url on the compute node"),
    ("proxy_connect", "refused"): (
        "nothing listens at the console URL's host and port: start nova-novncproxy there, or fix "
        "[vnc] novncproxy_base_url on the compute nodes"),
    ("proxy_connect", "timed_out"): (
        "no answer from the console URL's host and port: a firewall, or a wrong [vnc] novncproxy_base_url"),
    ("proxy_connect", "unreachable"): (
        "no route to the console URL's host: a wrong [vnc] novncproxy_base_url, or the network"),
    ("proxy_connect", "unresolved"): (
        "the console URL's host name does not resolve here: fix DNS or use an address in "
        "[vnc] novncproxy_base_url"),
    ("proxy_connect", "tls"): (
        "the URL is https but the TLS handshake failed: the proxy does not serve TLS there "
        "(nova.conf [DEFAULT] cert, key, ssl_only) or a TLS front end is misconfigured"),
    ("proxy_connect", "tls_certificate"): (
        "the proxy's certificate is not trusted here: give its CA with ca_path (validate_certs=false skips "
        "the check)"),
    ("proxy_connect", "other"): "check the network between this host and the proxy",
    ("proxy_http", "no_answer"): (
        "the proxy closed the connection without an HTTP answer: an ssl_only proxy reached with http://, or "
        "a websockify token plugin that does not know the token"),
    ("proxy_http", "not_http"): "something other than a web server answers at the console URL's port",
    ("proxy_http", "http_status"): (
        "another web server or a load balancer answers at the console URL, or the proxy refused the "
        "WebSocket request: check [vnc] novncproxy_base_url and what listens there"),
    ("proxy_http", "bad_upgrade"): (
        "the WebSocket answer is not valid: a load balancer or proxy in front of nova-novncproxy that does "
        "not pass WebSocket upgrades"),
    ("proxy_http", "websocket_protocol"): (
        "the WebSocket broke the protocol: a front end in front of nova-novncproxy that alters WebSocket frames"),
    ("proxy_http", "timed_out"): "the proxy took the connection but did not answer in time: it hangs or is overloaded",
    ("proxy_http", "other"): "check the network between this host and the proxy",
    ("token", "token_unknown"): (
        "get a new console URL (tokens live [consoleauth] token_ttl seconds, 600 by default); a token refused "
        "just after it was issued means the proxy's clock is ahead of the compute node's, or the proxy reads "
        "another cell database than the compute node writes"),
    ("proxy_to_compute", "target_unreachable"): "the proxy cannot connect to the guest's VNC server: " + SERVER_PROXYCLIENT,
    ("proxy_to_compute", "loopback_address"): (
        "the proxy connects to {console_host}:{console_port}, a loopback address: its own host, not the compute "
        "node. " + SERVER_PROXYCLIENT),
    ("proxy_to_compute", "token_known"): (
        "Nova knows the token and tells the proxy to connect to {console_host}:{console_port}: check that the "
        "proxy's host reaches it. " + SERVER_PROXYCLIENT + ". If the proxy's log says the token is invalid, "
        "its clock or its database differs from the compute node's"),
    ("proxy_to_compute", "no_greeting"): (
        "the proxy's connection to the guest's VNC server hangs (a firewall dropping packets to the compute "
        "node's console ports), or the compute node does not answer the proxy's console check over RPC"),
    (TOKEN_OR_COMPUTE, "closed_after_upgrade"): (
        "Nova's proxy closes like this both for an invalid or expired token and when it cannot reach the guest's "
        "VNC server; " + PROXY_LOG + ". With auth (an admin), this check asks the Compute API which it is"),
    (TOKEN_OR_COMPUTE, "closed_by_proxy"): "the proxy's close reason tells why; " + PROXY_LOG,
    ("rfb", "target_closed"): (
        "the proxy reached the console port, whose server closed at once: the guest's VNC server refused "
        "the connection, or another service holds the port"),
    ("rfb", "not_rfb"): (
        "the proxy reached something that is not a VNC server: another service on the console's port of "
        "the compute node"),
    ("rfb", "refused"): "the guest's VNC server refused the connection for the reason shown",
    ("rfb", "closed"): "the guest's VNC server hung up during the handshake: read the guest's QEMU log",
    ("rfb", "timed_out"): "the guest's VNC server stopped in the middle of its handshake",
    ("rfb", "other"): "check the guest's VNC server",
}

_CONNECT_CODES = {ERR_REFUSED: "refused", ERR_TIMEOUT: "timed_out", ERR_UNREACHABLE: "unreachable",
                  ERR_UNRESOLVED: "unresolved"}


def tls_context(validate_certs=True, ca_path=None):
    """The TLS settings for wss:// (and https://) proxies; raises ssl.SSLError/OSError for a bad CA file."""
    context = ssl.create_default_context(cafile=ca_path)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def empty_result(url=None, websocket_url=None, server=None):
    return {
        "url": url,
        "websocket_url": websocket_url,
        "server": server,
        "reachable": False,
        "layer": None,
        "code": None,
        "error": None,
        "action": None,
        "http_status": None,
        "close_code": None,
        "close_reason": None,
        "console_address": None,
        "rfb_version": None,
        "negotiated_version": None,
        "security_types": [],
        "auth_required": None,
        "elapsed_ms": 0,
    }


def _is_timeout(exc):
    return classify_error(exc) == ERR_TIMEOUT


def judge_connect(exc):
    """(code, error) of a failure to connect to the proxy over TCP."""
    error = classify_error(exc)
    return _CONNECT_CODES.get(error, "other"), "cannot connect to the proxy: %s" % error


def judge_tls(exc):
    """(code, error) of a failed TLS handshake with the proxy."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "tls_certificate", "TLS: the proxy's certificate is not trusted (%s)" % exc.verify_message
    if isinstance(exc, ssl.SSLError):
        return "tls", "TLS handshake with the proxy failed (%s)" % (exc.reason or exc)
    if _is_timeout(exc):
        return "tls", "TLS handshake with the proxy failed (no answer in time)"
    return "tls", "TLS handshake with the proxy failed (%s)" % classify_error(exc)


def judge_http(exc):
    """(code, error) of an HTTP answer that is not a WebSocket's."""
    if isinstance(exc, UpgradeRefused):
        if exc.status != 101:
            return "http_status", "the proxy answered HTTP %d%s, not 101 Switching Protocols" % (
                exc.status, " " + exc.reason if exc.reason else "")
        return "bad_upgrade", "the proxy's 101 answer is not a WebSocket's: %s" % exc.problem
    if isinstance(exc, NoAnswer):
        if exc.data:
            return "no_answer", "the proxy closed the connection in the middle of its HTTP answer (sent: %s)" % (
                describe_bytes(exc.data))
        return "no_answer", "the proxy closed the connection without an HTTP answer"
    if isinstance(exc, NotHttp):
        return "not_http", "the proxy did not answer with HTTP (sent: %s)" % describe_bytes(exc.data)
    if isinstance(exc, WebSocketError):
        return "not_http", str(exc)
    if _is_timeout(exc):
        return "timed_out", "no HTTP answer from the proxy in time"
    return "other", classify_error(exc)


def _close_text(stream):
    return "%d%s" % (stream.close_code, ": " + stream.close_reason if stream.close_reason else "")


def judge_websocket(exc, stream):
    """(layer, code, error) of a failure once the proxy accepted the WebSocket."""
    if isinstance(exc, WebSocketError):
        return "proxy_http", "websocket_protocol", "the proxy broke the WebSocket protocol: %s" % exc
    if stream.received == 0:  # nothing of the VNC server came through
        if stream.close_code is not None:
            shown = _close_text(stream)
            if stream.close_code == WEBSOCKIFY_TARGET_FAILED:
                return ("proxy_to_compute", "target_unreachable",
                        "the proxy closed the WebSocket (%s): it cannot connect to the guest's VNC server" % shown)
            if (stream.close_code, stream.close_reason) == WEBSOCKIFY_TARGET_CLOSED:
                return ("rfb", "target_closed",
                        "the proxy closed the WebSocket (%s): the guest's VNC server hung up before its greeting"
                        % shown)
            return (TOKEN_OR_COMPUTE, "closed_by_proxy",
                    "the proxy closed the WebSocket (%s) before any VNC byte" % shown)
        if stream.eof:
            return (TOKEN_OR_COMPUTE, "closed_after_upgrade",
                    "the proxy accepted the WebSocket, then closed the connection before any VNC byte, "
                    "with no close frame")
        if _is_timeout(exc):
            return ("proxy_to_compute", "no_greeting",
                    "the proxy accepted the WebSocket, but no VNC greeting came in time")
    if isinstance(exc, NotRfbServer):
        return "rfb", "not_rfb", exc.error
    if isinstance(exc, ServerRefused) and exc.detail != ERR_CLOSED:
        return "rfb", "refused", exc.error
    if isinstance(exc, RfbError) or stream.closed:
        how = " (the proxy closed the WebSocket: %s)" % _close_text(stream) if stream.close_code is not None else ""
        return "rfb", "closed", "the guest's VNC server hung up during the handshake%s" % how
    if _is_timeout(exc):
        return "rfb", "timed_out", "the guest's VNC server stopped in the middle of its handshake"
    return "rfb", "other", classify_error(exc)


def advice(layer, code, context=None):
    """What to do about ``(layer, code)``, from ADVICE; None for an unknown pair."""
    text = ADVICE.get((layer, code))
    return text.format(**(context or {})) if text else None


def _fail(result, layer, code, error, context=None):
    result.update(reachable=False, layer=layer, code=code, error=error, action=advice(layer, code, context))


def _scrub(result, tokens):
    """No piece of a token in any text the proxy or the server sent back."""
    for key in ("error", "close_reason"):
        result[key] = mask_token_pieces(result[key], tokens)


class _Attempt:
    """How far one connection got: the stage that failed and the WebSocket, once open."""

    def __init__(self):
        self.stage = "proxy_connect"
        self.stream = None


def _opener(target, context, attempt, result):
    def open_stream(deadline):
        sock = connect(target["host"], target["port"], deadline)
        try:
            if target["tls"]:
                attempt.stage = "tls"
                sock.settimeout(remaining(deadline))
                sock = context.wrap_socket(sock, server_hostname=target["host"])
            attempt.stage = "proxy_http"
            attempt.stream, _protocol = upgrade(sock, target["resource"], target["host_header"], target["origin"],
                                                lambda: remaining(deadline))
        except BaseException as exc:
            result["http_status"] = getattr(exc, "status", None)
            sock.close()
            raise
        result["http_status"] = 101
        attempt.stage = "websocket"
        return attempt.stream

    return open_stream


def _describer(attempt, result):
    def describe(exc):
        if attempt.stage in ("proxy_connect", "tls"):
            code, error = (judge_connect if attempt.stage == "proxy_connect" else judge_tls)(exc)
            return {"layer": "proxy_connect", "code": code, "error": error}
        if attempt.stage == "proxy_http":
            code, error = judge_http(exc)
            return {"layer": "proxy_http", "code": code, "error": error}
        stream = attempt.stream
        layer, code, error = judge_websocket(exc, stream)
        return {"layer": layer, "code": code, "error": error,
                "close_code": stream.close_code, "close_reason": stream.close_reason}

    return describe


def resolve_token_or_compute(result, client, token):
    """Ask the Compute API which of token or proxy_to_compute failed."""
    status, console, error = client.console_connection(token)
    if status == 404:
        _fail(result, "token", "token_unknown",
              "the proxy closed the connection after the upgrade, and the Compute API does not know the token "
              "(invalid or expired)")
        return
    if console is None:
        result["error"] += "; the Compute API could not tell token from compute node (%s)" % error
        return
    host, port = console.get("host"), console.get("port")
    result["console_address"] = {"host": host, "port": port}
    code = "loopback_address" if _is_loopback(host) else "token_known"
    _fail(result, "proxy_to_compute", code,
          "the proxy closed the connection after the upgrade, though the Compute API knows the token: the proxy "
          "connects to %s:%s for it" % (host, port), {"console_host": host, "console_port": port})


def _is_loopback(host):
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return str(host).lower() == "localhost"


def check_console(url, timeout, context=None, client=None, server=None):
    """Open one noVNC console URL through its proxy, up to the RFB security types; never raises.

    ``client``: a logged-in ``_compute_api.ComputeClient``, asked when the
    proxy's answer cannot tell a token from a compute-node problem.  Without
    one, only Python's standard library runs.  No text of the result holds a
    piece of the URL's token.
    """
    try:
        target = split_console_url(url)
    except UrlError as exc:
        result = empty_result(server=server)
        _fail(result, "compute_api", "bad_url", "the console URL %s" % exc)
        return result
    result = empty_result(target["masked_url"], target["websocket_url"], server)
    if target["tls"] and context is None:
        context = tls_context()
    attempt = _Attempt()
    probe(result, timeout, _opener(target, context, attempt, result), _describer(attempt, result))
    if result["reachable"]:
        return result
    result["action"] = advice(result["layer"], result["code"])
    if result["layer"] == TOKEN_OR_COMPUTE and client is not None:
        resolve_token_or_compute(result, client, target["token"])
    _scrub(result, target["tokens"])
    return result


def check_urls(urls, timeout, context=None, client=None):
    """``check_console`` of each URL, concurrently; results in the same order."""
    return run_concurrently(lambda url: check_console(url, timeout, context, client), urls)


def check_server(client, server, timeout, context=None):
    """Ask the Compute API for a noVNC console URL of ``server``, then open it."""
    url, error = client.remote_console_url(server)
    if error:
        result = empty_result(server=server)
        _fail(result, "compute_api", "console_request", error)
        return result
    return check_console(url, timeout, context, client, server)


def check_servers(client, servers, timeout, context=None):
    """``check_server`` of each server, concurrently; results in the same order."""
    return run_concurrently(lambda server: check_server(client, server, timeout, context), servers)


def failure_summary(results):
    """``<server or URL>: <layer>: <error>`` for each failed console, joined by ``; ``."""
    return "; ".join(
        "%s: %s: %s" % ("server %s" % r["server"] if r["server"] else r["url"], r["layer"], r["error"])
        for r in results if not r["reachable"]
    )
