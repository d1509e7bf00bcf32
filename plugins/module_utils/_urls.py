# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""URLs in nova.conf: oslo.messaging transport URLs, SQLAlchemy database URLs
and plain http(s) URLs; and the noVNC console URLs Nova hands out.

Pure: text in, data out.  The one parser of each URL kind in the collection.
No message built here contains any part of a URL's value, and the masked
forms never contain a password: a URL that cannot be split without doubt is
masked as a whole.

Transport URLs are split exactly as oslo.messaging's ``TransportURL.parse``
splits them (``urllib.parse.urlparse``, the host list split on ``,``, each
entry on its last ``@``, the credentials on their first ``:``, user name and
password unquoted, ``oslo_utils.netutils.parse_host_port`` for host and
port); database URLs exactly as SQLAlchemy's ``make_url`` does (its regular
expression).  What the services would do with a value is what is checked.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qs, parse_qsl, quote, quote_plus, unquote, urlparse, urlsplit

MASK = "********"
DEFAULT_BROKER_PORT = 5672  # oslo.messaging's rabbit driver: host.port or 5672
DEFAULT_BROKER_HOST = "localhost"  # kombu's default host for a URL without one
TRANSPORT_SCHEMES = ("rabbit", "amqp")
DB_DIALECTS = ("mysql", "mariadb", "postgresql", "sqlite")

TRANSPORT_HINT = "percent-encode / ? # , @ : in the password, e.g. / as %2F"
DATABASE_HINT = "percent-encode @ / : ? # in the password, e.g. @ as %40"

# What urlsplit removes or skips before it looks at a URL.
_C0_AND_SPACE = "".join(chr(i) for i in range(0x21))
_REMOVED = ("\t", "\r", "\n")

# SQLAlchemy 2.0's sqlalchemy.engine.url._parse_url pattern, verbatim.
_DATABASE_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
        """,
    re.X,
)
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


class UrlError(ValueError):
    """The URL cannot be used; the message never contains the URL's value."""


# --------------------------------------------------------------------------
# hosts and ports
# --------------------------------------------------------------------------

def is_ip(value):
    """True for an IPv4 or IPv6 address (IPv6 with or without brackets)."""
    try:
        ipaddress.ip_address(str(value).strip("[]"))
    except ValueError:
        return False
    return True


def is_hostname(value):
    """A DNS name whose labels are letters, digits, ``-`` and ``_``.

    ``_`` is not valid in RFC 1123 host names but is common in broker and
    container names and resolves fine, so it is accepted.
    """
    text = str(value)
    if not text or len(text) > 253 or not text.isascii():
        return False
    return all(_HOST_LABEL.match(label) for label in text[:-1 if text.endswith(".") else None].split("."))


def is_host(value):
    return bool(value) and (is_ip(value) or is_hostname(value))


def _port_ok(port):
    return port is None or 0 < port < 65536


# --------------------------------------------------------------------------
# oslo.messaging transport URLs
# --------------------------------------------------------------------------

def _parse_host_port(address, index):
    """oslo_utils.netutils.parse_host_port(address), keeping the port text."""
    if not address:
        return None, None, None
    if address[0] == "[":
        pieces = address[1:].split("]")
        if len(pieces) != 2:
            raise UrlError("host %d has unbalanced [ ]" % index)
        host, tail = pieces
        port_text = tail.split(":")[1] if ":" in tail else None
    elif address.count(":") == 1:
        host, port_text = address.split(":")
    else:
        host, port_text = address, None
    if port_text is None:
        return host, None, None
    try:
        return host, int(port_text), port_text
    except ValueError:
        raise UrlError("host %d has a port that is not a number between 1 and 65535" % index) from None


def _split(url):
    """The one transport URL splitter: oslo.messaging's, with the raw pieces kept."""
    if not isinstance(url, str):
        raise UrlError("is not a string")
    try:
        parts = urlparse(url)
    except ValueError:
        raise UrlError("cannot be split into scheme, hosts and path "
                       "(unbalanced [ ], or characters that change under Unicode normalization)") from None
    if not parts.scheme:
        raise UrlError("has no scheme")
    cleaned = url.lstrip(_C0_AND_SPACE)
    for char in _REMOVED:
        cleaned = cleaned.replace(char, "")
    if cleaned[len(parts.scheme) + 1:len(parts.scheme) + 3] != "//":
        raise UrlError("has no scheme (it must start with scheme://)")
    hosts = []
    empty = 0
    for index, entry in enumerate(parts.netloc.split(","), 1):
        if not entry:
            if parts.netloc:
                empty += 1
            continue
        username = password = raw_username = raw_password = None
        hostport = entry
        if "@" in entry:
            raw_username, hostport = entry.rsplit("@", 1)
            if ":" in raw_username:
                raw_username, raw_password = raw_username.split(":", 1)
                password = unquote(raw_password)
            username = unquote(raw_username)
        host, port, _port_text = _parse_host_port(hostport, index)
        hosts.append({"host": host, "port": port, "username": username, "password": password,
                      "raw_username": raw_username, "raw_password": raw_password, "raw_hostport": hostport})
    query = {}
    if parts.query:
        for key, values in parse_qs(parts.query).items():
            query[key] = ",".join(values)
    return {
        "scheme": parts.scheme,
        "virtual_host": unquote(parts.path[1:]) if parts.path.startswith("/") else None,
        "query": query,
        "hosts": hosts,
        "empty_entries": empty,
        "parts": parts,
    }


def split_transport_url(url):
    """Split a transport URL exactly as oslo.messaging's TransportURL.parse does.

    Returns ``{scheme, virtual_host, query, hosts: [{host, port, username,
    password}]}`` (``virtual_host`` None without a path, ``query`` a dict
    with repeated keys joined by ``,``, ``port`` None when not given).
    Raises UrlError (no part of the value in it) where oslo.messaging
    raises, and for a URL without ``scheme://``.
    """
    split = _split(url)
    return {
        "scheme": split["scheme"],
        "virtual_host": split["virtual_host"],
        "query": split["query"],
        "hosts": [{key: host[key] for key in ("host", "port", "username", "password")} for host in split["hosts"]],
    }


def _credential_form(host):
    if host["username"] is None:
        return "host"
    return "user" if host["password"] is None else "user:password"


def _ambiguity(split):
    """Why a split transport URL may not be what its author meant, or None.

    A password with an unencoded ``/ ? #`` cuts the host list short (its
    ``@`` lands after it); one with ``,`` splits it into more hosts.
    """
    parts = split["parts"]
    if "@" in parts.path or "@" in parts.params or "@" in parts.query or "@" in parts.fragment:
        return "has an @ after its host list (a / ? or # in a password cut the URL short)"
    if len({_credential_form(host) for host in split["hosts"]}) > 1:
        return ("does not give every host in the same form (user:password@host, user@host or host); "
                "a , in a password splits the host list")
    return None


def _transport_problems(split, need_host=True):
    problems = []
    hosts = split["hosts"]
    if split["empty_entries"]:
        problems.append("has an empty entry in its host list (two commas in a row, or one at an end)")
    if need_host and not hosts and not split["empty_entries"]:
        problems.append("names no message-bus host")
    for index, host in enumerate(hosts, 1):
        if not host["host"]:
            problems.append("host %d is empty" % index)
        elif not is_host(host["host"]):
            problems.append("host %d is not an IP address or a host name (letters, digits, - and _)" % index)
        if not _port_ok(host["port"]):
            problems.append("host %d has a port that is not a number between 1 and 65535" % index)
    ambiguity = _ambiguity(split)
    if ambiguity:
        problems.append(ambiguity)
    if split["parts"].fragment and not ambiguity:
        problems.append("has a #fragment, which oslo.messaging ignores")
    return problems


def check_transport_url(url, schemes=TRANSPORT_SCHEMES):
    """Value-free problems with a transport URL ([] when nova-compute can use it).

    oslo.messaging's parse, then: a scheme from ``schemes`` (None: any),
    at least one host, every host an IP address or a host name, every port
    1..65535, nothing after the host list that looks like the rest of a
    password, every host in the same credential form.  When the URL has
    credentials, the problems end with the hint to percent-encode the password.
    """
    if url is None or str(url).strip() == "":
        return ["is empty"]
    text = str(url)
    hint = " (%s)" % TRANSPORT_HINT if "@" in text else ""
    try:
        split = _split(text)
    except UrlError as exc:
        return [str(exc) + hint]
    if schemes and split["scheme"] not in schemes:
        return ["has scheme '%s': it must be one of %s" % (split["scheme"], ", ".join(s + "://" for s in schemes))]
    return [problem + hint for problem in _transport_problems(split)]


def _rebuild_transport(split):
    parts = split["parts"]
    entries = []
    for host in split["hosts"]:
        form = _credential_form(host)
        if form == "host":
            entries.append(host["raw_hostport"])
        elif form == "user":
            entries.append(host["raw_username"] + "@" + host["raw_hostport"])
        else:
            entries.append(host["raw_username"] + ":" + MASK + "@" + host["raw_hostport"])
    tail = parts.path
    if parts.params:
        tail += ";" + parts.params
    if parts.query:
        tail += "?" + parts.query
    if parts.fragment:
        tail += "#" + parts.fragment
    return parts.scheme + "://" + ",".join(entries) + tail


def mask_transport_url(url):
    """``url`` rebuilt from its split parts with every password ``********``.

    User names, hosts, ports, virtual host and query are kept, so a diff
    shows which broker or user changed.  A URL that does not split, or whose
    split is in doubt (bad host or port, an ``@`` after the host list, hosts
    in different credential forms), is masked whole: ``********``.
    """
    if url is None:
        return None
    try:
        split = _split(str(url))
    except UrlError:
        return MASK
    if _transport_problems(split, need_host=False):
        return MASK
    return _rebuild_transport(split)


def parse_transport_url(url):
    """Parse an oslo.messaging transport URL; the password never leaves.

    ``rabbit://u:p@h1:5672,u:p@h2:5672/vhost?ssl=1`` gives ``scheme``,
    ``hosts`` (``[{host, port, username}]``, port 5672 when not given, as
    oslo.messaging's rabbit driver does), ``virtual_host``, ``query`` (the
    query text), ``masked`` (mask_transport_url) and ``passwords`` (every
    spelling of the passwords, so callers and tests can check that none
    leaks: never return it).  A URL without hosts (``rabbit://``,
    oslo.messaging's default) means ``localhost:5672``, as for kombu.
    Raises UrlError for an empty URL, one without ``scheme://``, one that
    oslo.messaging cannot parse, an empty host in a host list or a port
    outside 1..65535.
    """
    if not url or not str(url).strip():
        raise UrlError("transport_url is empty")
    url = str(url).strip()
    split = _split(url)
    if split["empty_entries"]:
        raise UrlError("transport_url has an empty host")
    hosts, passwords = [], set()
    if not split["hosts"]:
        hosts.append({"host": DEFAULT_BROKER_HOST, "port": DEFAULT_BROKER_PORT, "username": None})
    for index, host in enumerate(split["hosts"], 1):
        if not host["host"]:
            raise UrlError("transport_url has an empty host")
        if not _port_ok(host["port"]):
            raise UrlError("transport_url host %d has a port outside 1..65535" % index)
        hosts.append({"host": host["host"], "port": host["port"] or DEFAULT_BROKER_PORT,
                      "username": host["username"]})
        if host["password"]:
            passwords.update((host["password"], host["raw_password"]))
    return {
        "scheme": split["scheme"],
        "hosts": hosts,
        "virtual_host": split["virtual_host"] or "",
        "query": split["parts"].query,
        "masked": mask_transport_url(url),
        "passwords": sorted(passwords),
    }


# --------------------------------------------------------------------------
# SQLAlchemy database URLs
# --------------------------------------------------------------------------

def _db_split(url):
    if not isinstance(url, str):
        raise UrlError("is not a string")
    match = _DATABASE_URL.match(url)
    if match is None:
        raise UrlError("is not a database URL (expected dialect+driver://user:password@host/database)")
    return match


def split_database_url(url):
    """Split a database URL exactly as SQLAlchemy's make_url does.

    Returns ``{drivername, dialect, driver, username, password, host, port,
    database, query}`` (``query`` a dict, values lists when a key repeats;
    ``unparsed``: True when SQLAlchemy ignores text at the end).  Raises
    UrlError where make_url raises (no ``dialect://``, a port that is not
    a number).
    """
    match = _db_split(url)
    parts = match.groupdict()
    port = None
    if parts["port"] is not None:  # make_url: int() of it, also when empty
        try:
            port = int(parts["port"])
        except ValueError:
            raise UrlError("has a port that is not a number between 1 and 65535") from None
    query = None
    if parts["query"] is not None:
        query = {}
        for key, value in parse_qsl(parts["query"]):
            if key in query:
                query[key] = (query[key] if isinstance(query[key], list) else [query[key]]) + [value]
            else:
                query[key] = value
    dialect, _sep, driver = parts["name"].partition("+")
    return {
        "drivername": parts["name"],
        "dialect": dialect,
        "driver": driver or None,
        "username": unquote(parts["username"]) if parts["username"] is not None else None,
        "password": unquote(parts["password"]) if parts["password"] is not None else None,
        "host": parts["ipv4host"] or parts["ipv6host"],
        "port": port,
        "database": parts["database"],
        "query": query,
        "unparsed": match.end() != len(url),
    }


def _database_structure(url):
    """(split, problems) for the parts of a database URL masking depends on."""
    split = split_database_url(url)
    problems = []
    if split["unparsed"]:
        problems.append("has text after the host that SQLAlchemy ignores")
    if split["host"] is not None and not is_host(split["host"]):
        problems.append("has a host that is not an IP address or a host name")
    if not _port_ok(split["port"]) or split["port"] == 0:
        problems.append("has a port that is not a number between 1 and 65535")
    if "@" in (split["database"] or "") or "@" in (_db_split(url).group("query") or ""):
        problems.append("has an @ after the host (an @ in the password cut it short)")
    return split, problems


def check_database_url(url, dialects=DB_DIALECTS):
    """Value-free problems with an SQLAlchemy URL ([] when oslo.db can use it).

    The dialect one of ``dialects``; a host and a database unless sqlite.
    None or "" means "not configured" and gives no problem.
    """
    if url is None or url == "":
        return []
    text = str(url)
    hint = " (%s)" % DATABASE_HINT if "@" in text else ""
    try:
        split, problems = _database_structure(text)
    except UrlError as exc:
        return [str(exc) + hint]
    if dialects and split["dialect"] not in dialects:
        return ["uses the unknown dialect '%s': expected one of %s" % (split["dialect"], ", ".join(dialects))]
    problems = [problem + hint for problem in problems]
    if split["dialect"] != "sqlite" and not problems:
        if not split["host"]:
            problems.append("names no database host")
        elif not split["database"]:
            problems.append("names no database")
    return problems


def mask_database_url(url):
    """``url`` rebuilt from its split parts with the password ``********``;
    ``********`` alone when it does not split without doubt."""
    if url is None:
        return None
    text = str(url)
    try:
        _split_parts, problems = _database_structure(text)
    except UrlError:
        return MASK
    if problems:
        return MASK
    parts = _db_split(text).groupdict()
    out = parts["name"] + "://"
    if parts["username"] is not None:
        out += parts["username"] + ("" if parts["password"] is None else ":" + MASK) + "@"
    if parts["ipv6host"] is not None:
        out += "[" + parts["ipv6host"] + "]"
    elif parts["ipv4host"] is not None:
        out += parts["ipv4host"]
    if parts["port"] is not None:
        out += ":" + parts["port"]
    if parts["database"] is not None:
        out += "/" + parts["database"]
    if parts["query"] is not None:
        out += "?" + parts["query"]
    return out


def is_database_url(url):
    """True when ``url`` starts like an SQLAlchemy URL of a known dialect."""
    match = re.match(r"^([\w+]+)://", str(url or ""))
    return bool(match) and match.group(1).partition("+")[0].lower() in DB_DIALECTS


# --------------------------------------------------------------------------
# http(s) URLs
# --------------------------------------------------------------------------

def check_http_url(url):
    """Value-free problems with an http:// or https:// URL (auth_url, console base URLs)."""
    if url is None or str(url).strip() == "":
        return ["is empty"]
    try:
        parts = urlsplit(str(url))
        host = parts.hostname
        port = parts.port
    except ValueError:
        return ["is not a valid URL (unbalanced [ ], a bad port or a bad IPv6 address)"]
    if parts.scheme not in ("http", "https") or not host:
        return ["must be an http:// or https:// URL with a host"]
    if not is_host(host):
        return ["has a host that is not an IP address or a host name"]
    if port == 0:
        return ["has a port that is not a number between 1 and 65535"]
    return []


def http_url_host(url):
    """The host of an http(s) URL, or None when it has none or does not split."""
    try:
        return urlsplit(str(url)).hostname if url else None
    except ValueError:
        return None


# --------------------------------------------------------------------------
# noVNC console URLs (what `openstack console url show` prints)
# --------------------------------------------------------------------------

# page scheme -> (WebSocket scheme, default port)
CONSOLE_SCHEMES = {"http": ("ws", 80), "https": ("wss", 443), "ws": ("ws", 80), "wss": ("wss", 443)}
NOVNC_DEFAULT_PATH = "websockify"
TOKEN_MASK = "***"
# what a browser leaves as it is in a WebSocket URL's path and query
_RESOURCE_SAFE = "!$&'()*+,-./:;=?@_~%"
_TOKEN_VALUE = re.compile(r"(?<=[?&#]token=)[^&#]*")
_PATH_VALUE = re.compile(r"(?<=[?&#]path=)[^&#]*")
_PATH_TOKEN_VALUE = re.compile(r"(?<=[?&]token=)[^&]*")  # a decoded path's # is sent encoded


def _novnc_var(url, fragment, name):
    """noVNC's ``WebUtil.getConfigVar(name)``: ``#name=`` in the fragment first,
    else the last ``?name=``/``&name=`` of the URL, percent-decoded; None if absent.

    noVNC 1.3 (tag v1.3.0, commit 463c39e4af; Debian 12's) app/webutil.js
    getHashVar and getQueryVar, the same regular expressions since noVNC
    1.0.
    """
    hash_text = "#" + fragment if fragment else ""
    match = re.match(r".*[&#]" + re.escape(name) + r"=([^&]*)", hash_text, re.S)
    if match is None:
        match = re.match(r".*[?&]" + re.escape(name) + r"=([^&#]*)", url + hash_text, re.S)
    return unquote(match.group(1)) if match else None


def _inject_token(path, token):
    """Old noVNC's ``WebUtil.injectParamIfMissing(path, "token", token)``
    (noVNC 1.0, tag v1.0.0, commit e91a095ad6, app/webutil.js): ``websockify``
    -> ``websockify?token=T``."""
    base, sep, query = path.partition("?")
    items = query.split("&") if sep and query else []
    if not any(item.startswith("token=") for item in items):
        items.append("token=" + quote(token, safe="-_.!~*'()"))
    return base + "?" + "&".join(items)


def _host_port(host, port, default):
    shown = "[%s]" % host if ":" in host else host
    return shown if port == default else "%s:%d" % (shown, port)


def console_token_spellings(tokens):
    """How each token may be written in a URL or echoed back: as it is,
    percent-encoded once and twice, form-encoded, as a WebSocket request
    carries it; longest first."""
    spellings = set()
    for token in tokens:
        if token:
            once = quote(token, safe="")
            spellings.update((token, once, quote(once, safe=""), quote_plus(token), quote(token),
                              quote(token, safe=_RESOURCE_SAFE)))
    return sorted(spellings, key=len, reverse=True)


def mask_console_tokens(text, tokens):
    """``text`` with every spelling of the tokens replaced by ``***``."""
    for spelling in console_token_spellings(tokens):
        text = text.replace(spelling, TOKEN_MASK)
    return text


def _mask_path_value(raw):
    """A noVNC ``path`` value (percent-encoded) with its token values ``***``."""
    path = unquote(raw)
    pieces = _PATH_TOKEN_VALUE.split(path)
    if len(pieces) == 1:
        return raw
    return TOKEN_MASK.join(quote(piece, safe="") for piece in pieces)


def mask_page_url(url):
    """A console URL with every ``token=`` value ``***``: in its query and
    fragment, and inside each ``path=`` value (decoded, masked, encoded again)."""
    url = _PATH_VALUE.sub(lambda m: _mask_path_value(m.group(0)), url)
    return _TOKEN_VALUE.sub(TOKEN_MASK, url)


def mask_token_pieces(text, tokens, size=4):
    """``text`` with every run holding a ``size``-character piece of a token
    (in any spelling of it) replaced by ``***``: for what a server sent back,
    which may echo a token whole or cut."""
    if not text:
        return text
    marked = [False] * len(text)
    for spelling in console_token_spellings(tokens):
        pieces = {spelling[i:i + size] for i in range(len(spelling) - size + 1)} or {spelling}
        for piece in pieces:
            start = text.find(piece)
            while start >= 0:
                marked[start:start + len(piece)] = [True] * len(piece)
                start = text.find(piece, start + 1)
    out, index = [], 0
    while index < len(text):
        if marked[index]:
            while index < len(text) and marked[index]:
                index += 1
            out.append(TOKEN_MASK)
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def split_console_url(url):
    """Where a noVNC console URL's page connects its WebSocket, as noVNC does.

    ``url`` is what Nova's API returns for a noVNC console:
    ``http://proxy:6080/vnc_auto.html?path=%3Ftoken%3DT`` (Nova since 19.0,
    nova/objects/console_auth_token.py ``access_url``) or the older
    ``...vnc_auto.html?token=T``; ``vnc_lite.html`` and ``vnc.html`` alike.
    noVNC (1.3 vnc_lite.html and app/ui.js, 1.0 vnc_lite.html for ``token``)
    builds ``ws[s]://HOST[:PORT]/PATH``: ws for http, wss for https; HOST and
    PORT from the ``host``/``port`` parameters, else the page's; PATH from
    ``path``, else ``websockify``, with old noVNC adding ``token=T`` to it.
    A ``ws://`` or ``wss://`` URL is taken as the WebSocket URL itself.
    vnc.html's ``encrypt`` parameter is not read: the scheme decides, as in
    vnc_lite.html (Nova's URLs never carry it).

    Returns ``{tls, host, port, resource, host_header, origin, token, tokens,
    websocket_url, masked_url}``: ``resource`` is the request target
    (``/?token=T``), ``origin`` the page's origin (what a browser sends),
    ``token`` the one the proxy reads (the last ``token=`` of ``resource``),
    ``tokens`` every token value in the URL, as read and as written (secrets:
    never return them),
    ``websocket_url`` and ``masked_url`` with every token ``***``.  Raises
    UrlError (no part of the URL in it) for a URL that is not http(s) or
    ws(s), has no host, a bad port, or sends no token.
    """
    if not isinstance(url, str) or not url.strip():
        raise UrlError("is empty")
    url = url.strip()
    try:
        parts = urlsplit(url)
        page_port = parts.port
    except ValueError:
        raise UrlError("is not a valid URL (unbalanced [ ], a bad port or a bad IPv6 address)") from None
    scheme = parts.scheme.lower()
    if scheme not in CONSOLE_SCHEMES or not parts.hostname:
        raise UrlError("must be an http:// or https:// console URL with a host")
    ws_scheme, default_port = CONSOLE_SCHEMES[scheme]
    page_host = parts.hostname
    page_port = page_port or default_port
    tokens = []
    if scheme in ("ws", "wss"):
        host, port = page_host, page_port
        resource = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    else:
        host = (_novnc_var(url, parts.fragment, "host") or page_host).strip("[]").lower()
        port_text = _novnc_var(url, parts.fragment, "port")
        if port_text is None or port_text == "":
            port = page_port
        elif port_text.isdigit() and 0 < int(port_text) < 65536:
            port = int(port_text)
        else:
            raise UrlError("has a port parameter that is not a number between 1 and 65535")
        path = _novnc_var(url, parts.fragment, "path")
        path = NOVNC_DEFAULT_PATH if path is None else path
        token = _novnc_var(url, parts.fragment, "token")
        if token:
            tokens.append(token)
            path = _inject_token(path, token)
        resource = "/" + quote(path, safe=_RESOURCE_SAFE)
    # nova-novncproxy takes the last token= of the request's query
    # (nova/console/websocketproxy.py new_websocket_client)
    sent = [v for k, v in parse_qsl(urlsplit(resource).query) if k == "token" and v]
    # masked: the values as the proxy reads them and as the request writes them
    tokens.extend(sent + [raw for raw in _PATH_TOKEN_VALUE.findall(resource) if raw])
    if not sent:
        raise UrlError("has no console token (neither path=?token=... nor token=...): "
                       "take the URL from openstack console url show")
    host_header = _host_port(host, port, default_port)
    return {
        "tls": ws_scheme == "wss",
        "host": host,
        "port": port,
        "resource": resource,
        "host_header": host_header,
        "origin": "%s://%s" % ("https" if ws_scheme == "wss" else "http", _host_port(page_host, page_port, default_port)),
        "token": sent[-1],
        "tokens": sorted(set(tokens)),
        "websocket_url": "%s://%s%s" % (ws_scheme, host_header, _PATH_TOKEN_VALUE.sub(TOKEN_MASK, resource)),
        "masked_url": mask_console_tokens(mask_page_url(url), tokens),
    }


# --------------------------------------------------------------------------
# any text: a URL, or a log line that may hold some
# --------------------------------------------------------------------------

_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")


def _mask_credentials(piece):
    """``user:password@rest`` -> ``user:********@rest``; the password runs to the LAST @."""
    creds, at, rest = piece.rpartition("@")
    user, colon, _password = creds.partition(":")
    if not at or not colon:
        return piece
    return user + ":" + MASK + "@" + rest


def _starts_with_scheme(text):
    scheme, sep, _rest = text.partition("://")
    return bool(sep) and bool(scheme) and scheme[0].isalpha() and all(c in _SCHEME_CHARS for c in scheme)


def mask_url(text):
    """``text`` with every password in it replaced by ``********``.

    A whole URL goes through mask_database_url (dialects mysql, mariadb,
    postgresql, sqlite) or mask_transport_url (anything else: rabbit,
    amqp, http...).  In other text (a log line), everything after the first
    ``://`` from the first ``:`` to the last ``@`` is masked, which may hide
    more than a password (several URLs on one line) but never less.  Without
    ``://`` the same is done to the whole text when it starts with
    ``user:`` (a URL that lost its scheme), else to each blank-separated
    word holding ``:`` before an ``@``.
    """
    if text is None:
        return None
    text = str(text)
    if _starts_with_scheme(text):
        return mask_database_url(text) if is_database_url(text) else mask_transport_url(text)
    if "://" in text:
        head, sep, rest = text.partition("://")
        return head + sep + _mask_credentials(rest)
    creds = text.rpartition("@")[0]
    user = creds.partition(":")[0]
    if ":" in creds and not any(c.isspace() for c in user):
        return _mask_credentials(text)
    return " ".join(_mask_credentials(word) for word in text.split(" "))
