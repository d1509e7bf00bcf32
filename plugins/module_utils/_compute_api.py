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
CLOUDS_DIRS = ("~/.config/openstack", "/etc/openstack")
AUTH_KEYS = (
    "auth_url", "username", "user_id", "password", "project_name", "project_id",
    "user_domain_name", "user_domain_id", "project_domain_name", "project_domain_id",
    "application_credential_id", "application_credential_name", "application_credential_secret",
)
SECRET_KEYS = ("password", "application_credential_secret")
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


def ask_control_plane(settings, host_name, timeout):
    """(services, error, endpoint) from keystone + ``GET /os-services``.

    ``error`` (why the API could not be asked) never contains a credential.
    """
    secrets = [settings.get(k) for k in SECRET_KEYS]
    try:
        body = json.dumps(keystone_auth_body(settings))
        status, headers, text = request(settings, tokens_url(settings["auth_url"]), timeout, "POST", body)
        if status != 201:
            return None, mask("keystone: %s" % api_error_message(status, mask(text, secrets)), secrets), None
        token = headers.get("X-Subject-Token")
        secrets.append(token)
        endpoint = find_endpoint(json.loads(text), "compute", settings.get("interface") or "public",
                                 settings.get("region_name"))
        status, _headers, text = request(settings, services_url(endpoint, host_name), timeout, headers={
            "X-Auth-Token": token,
            "OpenStack-API-Version": "compute %s" % NOVA_API_MICROVERSION,
            "X-OpenStack-Nova-API-Version": NOVA_API_MICROVERSION,
        })
        if status != 200:
            return None, mask("Compute API: %s" % api_error_message(status, mask(text, secrets)), secrets), endpoint
        return parse_os_services(json.loads(text), host_name), None, endpoint
    except LookupError as exc:
        return None, mask("keystone catalog: %s" % to_native(exc), secrets), None
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return None, mask(to_native(reason), secrets), None
