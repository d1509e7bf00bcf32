# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Keystone v3 + Compute API client: plain HTTPS, no OpenStack SDK.

Settings come from a ``clouds.yaml`` entry (``secure.yaml`` merged over it,
as the OpenStack client does) and the caller's own values; one password or
application credential token request, then ``GET /os-services``.  No error
text this client returns contains a credential: Keystone may echo what it
was sent (a numeric password from clouds.yaml is never among Ansible's
no_log values), so every credential spelling is masked in it.
"""

from __future__ import annotations

import json
import os
import re
from urllib.error import HTTPError, URLError
from urllib.parse import quote, quote_plus, urlencode

from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import open_url

MASK = "********"
NOVA_API_MICROVERSION = "2.11"  # forced_down in os-services
CONSOLE_MICROVERSION = "2.6"     # POST /servers/{id}/remote-consoles
TOKEN_INFO_MICROVERSION = "2.31"  # GET /os-console-auth-tokens/{token} of a novnc token
SERVERS_MICROVERSION = "2.1"  # GET /servers/detail?host=: the OS-EXT-* admin fields are there from 2.1
SERVERS_PAGE = 1000  # Nova's default [api] max_limit
CLOUDS_DIRS = ("~/.config/openstack", "/etc/openstack")
AUTH_KEYS = (
    "auth_url", "username", "user_id", "password", "project_name", "project_id",
    "user_domain_name", "user_domain_id", "project_domain_name", "project_domain_id",
    "application_credential_id", "application_credential_name", "application_credential_secret",
)
SECRET_KEYS = ("password", "application_credential_secret")
# The argument spec of a module's ``auth`` option (doc fragment novaops.compute.compute_auth).
AUTH_OPTIONS = dict(
    {key: dict(type="str", no_log=key in SECRET_KEYS) for key in AUTH_KEYS},
    region_name=dict(type="str"),
    interface=dict(type="str", choices=["public", "internal", "admin"]),
)
CLOUD_KEYS = ("region_name", "interface", "verify", "cacert", "auth_type")
AUTH_TYPES = (None, "password", "v3password", "v3applicationcredential")


class CloudConfigError(ValueError):
    """clouds.yaml or secure.yaml is not shaped as the OpenStack client reads it."""


class ComputeApiParseError(ValueError):
    """An API answer is not what the API documents."""


# ---------------------------------------------------------------------------
# settings: clouds.yaml, secure.yaml and the caller's values
# ---------------------------------------------------------------------------

def clouds_yaml_candidates(env_file, cwd, home):
    """Where the OpenStack client looks for clouds.yaml, in its order."""
    names = [env_file] if env_file else []
    names.append(os.path.join(cwd, "clouds.yaml"))
    names.extend(os.path.join(d.replace("~", home, 1), "clouds.yaml") for d in CLOUDS_DIRS)
    return names


def _mapping(value, what, name):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CloudConfigError("%s: %s is a %s, not a mapping" % (name, what, type(value).__name__))
    return value


def _entries(doc, name):
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise CloudConfigError("%s: the file is a %s, not a mapping with a 'clouds' key" % (name, type(doc).__name__))
    return _mapping(doc.get("clouds"), "'clouds'", name)


def cloud_settings(clouds, cloud, secure=None, names=("clouds.yaml", "secure.yaml")):
    """Settings of one ``clouds.yaml`` entry, ``secure.yaml`` merged over it.

    ``clouds``/``secure``: the parsed YAML documents; ``names``: their paths,
    for messages.  Returns ``{auth keys..., region_name, interface, verify,
    cacert, auth_type}``; auth values are text (``password: 12345`` is the
    password ``"12345"``).  Raises KeyError naming the cloud when it is not
    defined, CloudConfigError naming the file and what is wrong when a
    document is not shaped like clouds.yaml (never a value from it).
    """
    entries = _entries(clouds, names[0])
    if cloud not in entries:
        raise KeyError("cloud %r is not in %s (defined: %s)" % (
            cloud, names[0], ", ".join(sorted(str(n) for n in entries)) or "none"))
    entry = dict(_mapping(entries[cloud], "cloud %r" % cloud, names[0]))
    extra = _mapping(_entries(secure, names[1]).get(cloud), "cloud %r" % cloud, names[1])
    auth = dict(_mapping(entry.get("auth"), "clouds.%s.auth" % cloud, names[0]))
    auth.update(_mapping(extra.get("auth"), "clouds.%s.auth" % cloud, names[1]))
    for key, value in extra.items():
        if key != "auth":
            entry[key] = value
    out = {k: str(auth[k]) for k in AUTH_KEYS if auth.get(k) not in (None, "")}
    for key in CLOUD_KEYS:
        if entry.get(key) not in (None, ""):
            out[key] = entry[key]
    return out


def auth_settings(auth):
    """The values given in a module's ``auth`` option (those not None)."""
    return {key: value for key, value in (auth or {}).items() if value is not None}


def api_settings(auth, verify=True, cacert=None):
    """``(settings, problem)`` of a module's ``auth`` option with its TLS options.

    ``problem``: what is missing to ask the Compute API (worded for an
    ``auth:`` error message), else None.
    """
    settings = auth_settings(auth)
    settings["verify"] = verify
    if cacert:
        settings["cacert"] = cacert
    problem = settings_problem(settings, True)
    return settings, problem and "auth: %s" % problem.replace("the control_plane layer", "the Compute API")


def settings_problem(settings, given):
    """What is missing from ``settings`` for the control plane, or None.

    ``given``: the caller asked for the control plane (a cloud or auth
    values); without it and without ``auth_url`` the check is just skipped.
    """
    if settings.get("auth_type") not in AUTH_TYPES:
        return "auth_type %s is not supported (supported: password, v3applicationcredential)" % settings["auth_type"]
    if not settings.get("auth_url"):
        if given:
            return ("auth_url is required for the control_plane layer (give auth.auth_url or a cloud "
                    "that has auth.auth_url)")
        return None
    if not settings.get("password") and not settings.get("application_credential_secret"):
        return "auth_url needs a password (or an application credential)"
    if settings.get("password") and not (settings.get("username") or settings.get("user_id")):
        return "auth_url with password needs username"
    return None


# ---------------------------------------------------------------------------
# requests and answers
# ---------------------------------------------------------------------------

def tokens_url(auth_url):
    base = auth_url.rstrip("/")
    if not re.search(r"/v3$", base):
        base += "/v3"
    return base + "/auth/tokens"


def keystone_auth_body(settings):
    """The keystone v3 ``POST /auth/tokens`` body for password or application
    credential authentication, scoped to the project when one is named."""
    if settings.get("application_credential_secret"):
        cred = {"secret": settings["application_credential_secret"]}
        if settings.get("application_credential_id"):
            cred["id"] = settings["application_credential_id"]
        else:
            cred["name"] = settings.get("application_credential_name")
            cred["user"] = _named(settings, "username", "user_id", "user_domain")
        return {"auth": {"identity": {"methods": ["application_credential"], "application_credential": cred}}}
    user = _named(settings, "username", "user_id", "user_domain")
    user["password"] = settings.get("password")
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}
    if settings.get("project_id"):
        body["auth"]["scope"] = {"project": {"id": settings["project_id"]}}
    elif settings.get("project_name"):
        body["auth"]["scope"] = {"project": _named(settings, "project_name", "project_id", "project_domain")}
    return body


def _named(settings, name_key, id_key, domain_prefix):
    if settings.get(id_key):
        return {"id": settings[id_key]}
    out = {"name": settings.get(name_key)}
    if settings.get(domain_prefix + "_id"):
        out["domain"] = {"id": settings[domain_prefix + "_id"]}
    else:
        out["domain"] = {"name": settings.get(domain_prefix + "_name") or "Default"}
    return out


def find_endpoint(token_body, service_type="compute", interface="public", region=None):
    """The URL of ``service_type``'s endpoint in a keystone v3 token's catalog.

    Raises LookupError naming what is there when no endpoint matches.
    """
    interface = (interface or "public").replace("URL", "")
    catalog = ((token_body or {}).get("token") or {}).get("catalog") or []
    seen = []
    for service in catalog:
        if service.get("type") != service_type:
            continue
        for ep in service.get("endpoints") or []:
            ep_region = ep.get("region_id") or ep.get("region")
            seen.append("%s/%s" % (ep.get("interface"), ep_region))
            if ep.get("interface") == interface and (not region or ep_region == region):
                return ep["url"]
    if not seen:
        raise LookupError("the catalog has no %s service" % service_type)
    raise LookupError("no %s endpoint for interface %s%s (catalog has: %s)" % (
        service_type, interface, " in region %s" % region if region else "", ", ".join(sorted(seen))))


def services_url(endpoint, host):
    """``endpoint`` + the ``os-services`` query of ``host``'s nova-compute ("" for the path alone)."""
    return endpoint.rstrip("/") + "/os-services?" + urlencode([("binary", "nova-compute"), ("host", host)])


def parse_os_services(body, host):
    """``GET /os-services`` JSON -> the nova-compute entries of ``host``."""
    services = (body or {}).get("services")
    if not isinstance(services, list):
        raise ComputeApiParseError("no services list in the os-services answer")
    return [s for s in services if s.get("binary") == "nova-compute" and s.get("host") == host]


def api_error_message(status, body_text):
    """One line for an OpenStack API error answer (keystone and nova shapes)."""
    detail = ""
    try:
        data = json.loads(body_text or "{}")
        if isinstance(data, dict) and data:
            inner = next(iter(data.values()))
            if isinstance(inner, dict):
                detail = inner.get("message") or inner.get("title") or ""
    except ValueError:
        detail = next((line.strip() for line in body_text.splitlines() if line.strip()), "")[:200]
    return "HTTP %s%s" % (status, ": " + detail if detail else "")


def secret_spellings(values):
    """Every spelling of each credential an error text may carry: as given
    (``str()`` of a number too), JSON- and repr-escaped, URL-quoted."""
    spellings = set()
    for value in values:
        if value is None or isinstance(value, bool) or value == "":
            continue
        text = str(value)
        spellings.update({text, json.dumps(text)[1:-1], repr(text)[1:-1], quote(text, safe=""), quote_plus(text)})
    spellings.discard("")
    return sorted(spellings, key=len, reverse=True)


def mask(text, secrets):
    """``text`` with every spelling of ``secrets`` replaced by ``********``."""
    for spelling in secret_spellings(secrets):
        text = text.replace(spelling, MASK)
    return text


def request(settings, url, timeout, method="GET", data=None, headers=None):
    """(status, headers, body text) of one HTTP request; HTTP errors are returned, not raised."""
    headers = dict(headers or {}, Accept="application/json")
    if data is not None:
        headers["Content-Type"] = "application/json"
    verify = settings.get("verify", True)
    if isinstance(verify, str):
        verify = verify.lower() not in ("false", "no", "0")
    try:
        resp = open_url(url, method=method, data=data, headers=headers, timeout=timeout,
                        validate_certs=verify, ca_path=settings.get("cacert"), follow_redirects="safe")
        return resp.getcode(), resp.headers, to_text(resp.read(), errors="surrogate_or_strict")
    except HTTPError as exc:
        body = exc.read() if hasattr(exc, "read") else b""
        return exc.code, exc.headers, to_text(body or b"", errors="surrogate_or_strict")


class ComputeClient:
    """One keystone token, then any number of Compute API requests.

    ``login()`` gets the token and the compute endpoint from the catalog;
    ``call()`` sends one request with a microversion.  Every error text is
    masked against the credentials, the keystone token and the ``secrets``
    a caller adds (a console token in a request path), in every spelling.
    """

    def __init__(self, settings, timeout):
        self.settings = settings
        self.timeout = timeout
        self.secrets = [settings.get(k) for k in SECRET_KEYS]
        self.token = None
        self.endpoint = None

    def mask(self, text, extra=()):
        return mask(text, self.secrets + list(extra))

    def login(self):
        """None once logged in, else why not (masked)."""
        try:
            body = json.dumps(keystone_auth_body(self.settings))
            status, headers, text = request(self.settings, tokens_url(self.settings["auth_url"]), self.timeout,
                                            "POST", body)
            if status != 201:
                return self.mask("keystone: %s" % api_error_message(status, self.mask(text)))
            self.token = headers.get("X-Subject-Token")
            self.secrets.append(self.token)
            self.endpoint = find_endpoint(json.loads(text), "compute", self.settings.get("interface") or "public",
                                          self.settings.get("region_name"))
        except LookupError as exc:
            return self.mask("keystone catalog: %s" % to_native(exc))
        except (URLError, OSError, ValueError) as exc:
            return self.mask(to_native(getattr(exc, "reason", None) or exc))
        return None

    def call(self, method, path, microversion, body=None, secrets=()):
        """``(status, data, error)``: ``data`` the parsed JSON of a 2xx answer,
        ``error`` (masked, also against ``secrets``) otherwise."""
        headers = {"X-Auth-Token": self.token, "OpenStack-API-Version": "compute %s" % microversion,
                   "X-OpenStack-Nova-API-Version": microversion}
        try:
            status, _headers, text = request(self.settings, self.endpoint.rstrip("/") + path, self.timeout, method,
                                             None if body is None else json.dumps(body), headers)
            if not 200 <= status < 300:
                message = api_error_message(status, self.mask(text, secrets))
                return status, None, self.mask("Compute API: %s" % message, secrets)
            return status, json.loads(text), None
        except (URLError, OSError, ValueError) as exc:
            return None, None, self.mask(to_native(getattr(exc, "reason", None) or exc), secrets)

    def remote_console_url(self, server_id):
        """``(url, error)``: a noVNC console URL of the server, from ``POST
        /servers/{id}/remote-consoles`` (microversion 2.6; Nova 26.2.2
        nova/api/openstack/compute/remote_consoles.py).  The URL holds a
        console token: it is masked in every later error of this client."""
        status, data, error = self.call("POST", "/servers/%s/remote-consoles" % quote(server_id, safe=""),
                                        CONSOLE_MICROVERSION,
                                        {"remote_console": {"protocol": "vnc", "type": "novnc"}})
        if error:
            return None, error
        url = (data.get("remote_console") or {}).get("url") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url:
            return None, "Compute API: HTTP %s without remote_console.url" % status
        self.secrets.append(url)
        return url, None

    def console_connection(self, token):
        """``(status, console, error)`` from ``GET /os-console-auth-tokens/{token}``
        (microversion 2.31, admin only by default; Nova 26.2.2
        nova/api/openstack/compute/console_auth_tokens.py): ``console`` is
        ``{instance_uuid, host, port, internal_access_path}``, where the console
        proxy connects for the token; 404: Nova does not know the token
        (invalid or expired)."""
        status, data, error = self.call("GET", "/os-console-auth-tokens/%s" % quote(token, safe=""),
                                        TOKEN_INFO_MICROVERSION, secrets=[token])
        if error:
            return status, None, error
        console = data.get("console") if isinstance(data, dict) else None
        if not isinstance(console, dict):
            return status, None, "Compute API: HTTP %s without console" % status
        return status, console, None


def servers_path(host, marker=None, limit=SERVERS_PAGE):
    """The ``/servers/detail`` query of every project's servers on ``host`` (admin only)."""
    query = [("all_tenants", "True"), ("host", host), ("limit", str(limit))]
    if marker:
        query.append(("marker", marker))
    return "/servers/detail?" + urlencode(query)


def servers_on_host(client, host, limit=SERVERS_PAGE):
    """``(servers, error)``: every server Nova places on ``host``, page after page
    (the next page starts after the last server of a full one)."""
    servers, marker = [], None
    while True:
        _status, data, error = client.call("GET", servers_path(host, marker, limit), SERVERS_MICROVERSION)
        if error:
            return None, error
        page = data.get("servers") if isinstance(data, dict) else None
        if not isinstance(page, list) or not all(isinstance(s, dict) for s in page):
            return None, "Compute API: /servers/detail without a servers list"
        servers.extend(page)
        if len(page) < limit or not data.get("servers_links"):
            return servers, None
        marker = page[-1].get("id")


def ask_control_plane(settings, host_name, timeout):
    """(services, error, endpoint) from keystone + ``GET /os-services``.

    ``error`` (why the API could not be asked) never contains a credential.
    """
    client = ComputeClient(settings, timeout)
    error = client.login()
    if error:
        return None, error, None
    _status, data, error = client.call("GET", services_url("", host_name), NOVA_API_MICROVERSION)
    if error:
        return None, error, client.endpoint
    try:
        return parse_os_services(data, host_name), None, client.endpoint
    except ComputeApiParseError as exc:
        return None, to_native(exc), client.endpoint
