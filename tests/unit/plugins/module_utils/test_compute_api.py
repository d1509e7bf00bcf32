"""Tests for plugins/module_utils/_compute_api.py over the bed's real keystone and
Compute API answers and its clouds.yaml (tests/unit/fixtures/health/bed/api.json)."""

import io
import json
import os
import types
from urllib.error import HTTPError, URLError

import pytest
import yaml  # the test environment has PyYAML (ansible-core needs it)

from ansible_collections.novaops.compute.plugins.module_utils import _compute_api as api

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "health")


def text(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as f:
        return f.read()


def answer(name):
    return json.loads(text("bed", "api.json"))["requests"][name]


def bed_cloud():
    return yaml.safe_load(json.loads(text("bed", "api.json"))["clouds_yaml"])


def test_cloud_settings_from_the_beds_clouds_yaml():
    settings = api.cloud_settings(bed_cloud(), "bed")
    assert settings == {
        "auth_url": "http://controller:5000/v3", "username": "admin", "password": "test-only-admin-pw",
        "project_name": "admin", "user_domain_name": "Default", "project_domain_name": "Default",
        "region_name": "RegionOne"}
    merged = api.cloud_settings(bed_cloud(), "bed", {"clouds": {"bed": {"auth": {"password": "from-secure"},
                                                                        "verify": False}}})
    assert (merged["password"], merged["verify"]) == ("from-secure", False)
    with pytest.raises(KeyError, match="cloud 'other' is not in clouds.yaml .defined: bed."):
        api.cloud_settings(bed_cloud(), "other")


def test_keystone_auth_body_is_what_keystone_accepted():
    """The body built from the bed's clouds.yaml is the one that got the 201 token."""
    body = api.keystone_auth_body(api.cloud_settings(bed_cloud(), "bed"))
    assert body == {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": "test-only-admin-pw"}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
    }}
    assert answer("token")["status"] == 201


def test_keystone_auth_body_variants():
    body = api.keystone_auth_body({"application_credential_id": "ac1", "application_credential_secret": "s"})
    assert body == {"auth": {"identity": {"methods": ["application_credential"],
                                          "application_credential": {"id": "ac1", "secret": "s"}}}}
    body = api.keystone_auth_body({"application_credential_name": "ac", "application_credential_secret": "s",
                                   "username": "u", "user_domain_id": "default"})
    assert body["auth"]["identity"]["application_credential"]["user"] == {"name": "u", "domain": {"id": "default"}}
    body = api.keystone_auth_body({"user_id": "u1", "password": "p", "project_id": "p1"})
    assert body["auth"]["identity"]["password"]["user"] == {"id": "u1", "password": "p"}
    assert body["auth"]["scope"] == {"project": {"id": "p1"}}
    assert "scope" not in api.keystone_auth_body({"username": "u", "password": "p"})["auth"]


@pytest.mark.parametrize("auth_url", ["http://controller:5000/v3", "http://controller:5000/v3/",
                                      "http://controller:5000", "http://controller:5000/"])
def test_tokens_url(auth_url):
    assert api.tokens_url(auth_url) == "http://controller:5000/v3/auth/tokens"


def test_find_endpoint_in_the_real_catalog():
    token = json.loads(answer("token")["body"])
    assert api.find_endpoint(token) == "http://controller:8774/v2.1"
    assert api.find_endpoint(token, interface="internal", region="RegionOne") == "http://controller:8774/v2.1"
    assert api.find_endpoint(token, interface="publicURL") == "http://controller:8774/v2.1"
    with pytest.raises(LookupError, match="no compute endpoint for interface public in region regionOne"):
        api.find_endpoint(token, region="regionOne")  # region names are case-sensitive
    with pytest.raises(LookupError, match="the catalog has no volumev3 service"):
        api.find_endpoint(token, "volumev3")


def test_services_url_is_the_captured_request():
    url = api.services_url("http://controller:8774/v2.1", "compute1")
    assert url == answer("services_compute1")["url"]


def test_parse_os_services():
    assert api.parse_os_services(json.loads(answer("services_unknown_host")["body"]), "no-such-host") == []
    (svc,) = api.parse_os_services(json.loads(answer("services_compute1")["body"]), "compute1")
    assert (svc["state"], svc["status"]) == ("up", "enabled")
    # an answer for another host (an API ignoring the filter) is not this host's
    assert api.parse_os_services(json.loads(answer("services_compute1")["body"]), "compute2") == []
    with pytest.raises(api.ComputeApiParseError):
        api.parse_os_services({"error": {}}, "compute1")


@pytest.mark.parametrize(
    "name, message",
    [
        ("token_bad_password", "HTTP 401: The request you have made requires authentication."),
        ("services_bad_token", "HTTP 401: The request you have made requires authentication."),
    ],
)
def test_api_error_message_real_answers(name, message):
    reply = answer(name)
    assert api.api_error_message(reply["status"], reply["body"]) == message


def test_api_error_message_other_bodies():
    assert api.api_error_message(502, "<html>Bad Gateway</html>") == "HTTP 502: <html>Bad Gateway</html>"
    assert api.api_error_message(500, "") == "HTTP 500"


# ---------------------------------------------------------------------------
# clouds.yaml shapes and settings
# ---------------------------------------------------------------------------

def test_clouds_yaml_candidates_in_the_clients_order():
    assert api.clouds_yaml_candidates("/e/c.yaml", "/work", "/home/u") == [
        "/e/c.yaml", "/work/clouds.yaml", "/home/u/.config/openstack/clouds.yaml", "/etc/openstack/clouds.yaml"]
    assert api.clouds_yaml_candidates(None, "/w", "/h")[0] == "/w/clouds.yaml"


def test_cloud_settings_numeric_password_is_text():
    clouds = yaml.safe_load("clouds:\n  c:\n    auth:\n      auth_url: http://k:5000\n      username: u\n"
                            "      password: 12345\n")
    assert api.cloud_settings(clouds, "c")["password"] == "12345"


@pytest.mark.parametrize(
    "clouds, secure, message",
    [
        ("- a\n- b\n", None, "/etc/openstack/clouds.yaml: the file is a list, not a mapping with a 'clouds' key"),
        ("just text\n", None, "/etc/openstack/clouds.yaml: the file is a str, not a mapping with a 'clouds' key"),
        ("clouds:\n  - bed\n", None, "/etc/openstack/clouds.yaml: 'clouds' is a list, not a mapping"),
        ("clouds:\n  bed: admin-pw-in-a-string\n", None, "/etc/openstack/clouds.yaml: cloud 'bed' is a str, not a mapping"),
        ("clouds:\n  bed:\n    auth: [secret]\n", None, "/etc/openstack/clouds.yaml: clouds.bed.auth is a list, not a mapping"),
        ("clouds:\n  bed: {}\n", "clouds: [x]\n", "/etc/openstack/secure.yaml: 'clouds' is a list, not a mapping"),
        ("clouds:\n  bed: {}\n", "clouds:\n  bed: pw\n", "/etc/openstack/secure.yaml: cloud 'bed' is a str, not a mapping"),
    ],
)
def test_cloud_settings_malformed_files_name_the_file_and_the_problem(clouds, secure, message):
    names = ("/etc/openstack/clouds.yaml", "/etc/openstack/secure.yaml")
    with pytest.raises(api.CloudConfigError) as info:
        api.cloud_settings(yaml.safe_load(clouds), "bed", yaml.safe_load(secure) if secure else None, names)
    assert str(info.value) == message
    assert "secret" not in str(info.value) and "pw" not in str(info.value).replace("openstack", "")


def test_cloud_settings_empty_file_has_no_cloud():
    with pytest.raises(KeyError, match="cloud 'bed' is not in /c.yaml .defined: none."):
        api.cloud_settings(None, "bed", None, ("/c.yaml", "/s.yaml"))


@pytest.mark.parametrize(
    "settings, given, problem",
    [
        ({}, False, None),
        ({"username": "admin"}, True, "auth_url is required for the control_plane layer (give auth.auth_url or a "
                                      "cloud that has auth.auth_url)"),
        ({"auth_url": "http://k:5000"}, True, "auth_url needs a password (or an application credential)"),
        ({"auth_url": "http://k:5000", "password": "x"}, True, "auth_url with password needs username"),
        ({"auth_url": "http://k:5000", "password": "x", "user_id": "u1"}, True, None),
        ({"auth_url": "http://k:5000", "application_credential_id": "a", "application_credential_secret": "s"},
         True, None),
        ({"auth_url": "http://k:5000", "auth_type": "token"}, True,
         "auth_type token is not supported (supported: password, v3applicationcredential)"),
    ],
)
def test_settings_problem(settings, given, problem):
    assert api.settings_problem(settings, given) == problem


# ---------------------------------------------------------------------------
# the client: no credential in any error it returns
# ---------------------------------------------------------------------------

def test_mask_every_spelling():
    assert api.mask('bad "p@ss w\\"rd" p%40ss+w%5C%22rd p%40ss%20w%5C%22rd', ['p@ss w\\"rd']) == (
        'bad "********" ******** ********')
    assert api.mask("password 12345 is not a string: '12345'", [12345]) == (
        "password ******** is not a string: '********'")
    assert api.mask("nothing", [None, "", True]) == "nothing"


def replay(monkeypatch, *answers):
    """open_url answering from ``answers`` (status, body, headers) in turn; returns the requests."""
    seen = []
    todo = list(answers)

    def open_url(url, method="GET", data=None, headers=None, **kwargs):
        seen.append((method, url, json.loads(data) if data else None, headers, kwargs))
        status, body, hdrs = todo.pop(0)
        if status >= 400:
            raise HTTPError(url, status, "error", hdrs, io.BytesIO(body.encode("utf-8")))
        return types.SimpleNamespace(getcode=lambda: status, read=io.BytesIO(body.encode("utf-8")).read,
                                     headers=hdrs)

    monkeypatch.setattr(api, "open_url", open_url)
    return seen


BED = {"auth_url": "http://controller:5000/v3", "username": "admin", "password": "test-only-admin-pw",
       "project_name": "admin", "region_name": "RegionOne"}


def test_ask_control_plane_replays_the_bed(monkeypatch):
    token, services = answer("token"), answer("services_compute1")
    seen = replay(monkeypatch, (token["status"], token["body"], {"X-Subject-Token": "gAAAAAB-token"}),
                  (services["status"], services["body"], {}))
    found, error, endpoint = api.ask_control_plane(BED, "compute1", 10)
    assert (error, endpoint) == (None, "http://controller:8774/v2.1")
    assert [s["host"] for s in found] == ["compute1"]
    (post, get) = seen
    assert post[:2] == ("POST", "http://controller:5000/v3/auth/tokens")
    assert get[1] == services["url"]
    assert get[3]["X-Auth-Token"] == "gAAAAAB-token" and get[3]["OpenStack-API-Version"] == "compute 2.11"
    assert post[4]["timeout"] == 10 and post[4]["validate_certs"] is True


def test_ask_control_plane_real_rejection(monkeypatch):
    bad = answer("token_bad_password")
    replay(monkeypatch, (bad["status"], bad["body"], {}))
    assert api.ask_control_plane(BED, "compute1", 10) == (
        None, "keystone: HTTP 401: The request you have made requires authentication.", None)


@pytest.mark.parametrize("password", [12345, "12345", "pä ss\"w'rd"])
def test_keystone_echoing_the_password_is_masked(monkeypatch, password):
    # keystone's 400 for a body that fails its schema quotes the offending value
    body = json.dumps({"error": {"code": 400, "title": "Bad Request", "message": (
        "Invalid input for field 'identity/password/user/password': %s is not of type 'string' "
        "(also %r, %s)" % (json.dumps(password), str(password), quote_all(password)))}})
    replay(monkeypatch, (400, body, {}))
    _found, error, _endpoint = api.ask_control_plane(dict(BED, password=password), "compute1", 10)
    assert error.startswith("keystone: HTTP 400: Invalid input for field 'identity/password/user/password': ")
    assert str(password) not in error and json.dumps(str(password))[1:-1] not in error
    assert quote_all(password) not in error
    assert "********" in error


def quote_all(value):
    from urllib.parse import quote
    return quote(str(value), safe="")


def test_compute_api_error_and_unreachable_keystone(monkeypatch):
    token, bad = answer("token"), answer("services_bad_token")
    replay(monkeypatch, (token["status"], token["body"], {"X-Subject-Token": "gAAAAAB-token"}),
           (bad["status"], bad["body"], {}))
    assert api.ask_control_plane(BED, "compute1", 10) == (
        None, "Compute API: HTTP 401: The request you have made requires authentication.",
        "http://controller:8774/v2.1")

    def refused(url, **kwargs):
        raise URLError(ConnectionRefusedError(111, "Connection refused (sent test-only-admin-pw)"))

    monkeypatch.setattr(api, "open_url", refused)
    assert api.ask_control_plane(BED, "compute1", 10) == (
        None, "[Errno 111] Connection refused (sent ********)", None)


def test_catalog_without_the_region(monkeypatch):
    token = answer("token")
    replay(monkeypatch, (token["status"], token["body"], {"X-Subject-Token": "gAAAAAB-token"}))
    services, error, endpoint = api.ask_control_plane(dict(BED, region_name="regionOne"), "compute1", 10)
    assert (services, endpoint) == (None, None)
    assert error.startswith("keystone catalog: no compute endpoint for interface public in region regionOne")


# ---------------------------------------------------------------------------
# console URLs and console tokens (no capture of these answers yet: bodies as
# Nova 26.2.2 builds them, nova/api/openstack/compute/remote_consoles.py and
# console_auth_tokens.py, with the messages of nova/exception.py; synthetic)
# ---------------------------------------------------------------------------

SERVER = "6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"
CONSOLE_TOKEN = "5f0b2c1e-1111-4b6e-9f0a-1f0e1b2c3d4e"
CONSOLE_URL = "http://controller:6080/vnc_auto.html?path=%3Ftoken%3D" + CONSOLE_TOKEN


def logged_in(monkeypatch, *answers):
    """A ComputeClient logged in with the bed's real token answer, then ``answers``."""
    token = answer("token")
    seen = replay(monkeypatch, (token["status"], token["body"], {"X-Subject-Token": "gAAAAAB-token"}), *answers)
    client = api.ComputeClient(BED, 10)
    assert client.login() is None
    return client, seen


def test_remote_console_url_asks_for_a_novnc_console(monkeypatch):
    body = json.dumps({"remote_console": {"protocol": "vnc", "type": "novnc", "url": CONSOLE_URL}})
    client, seen = logged_in(monkeypatch, (200, body, {}))
    assert client.remote_console_url(SERVER) == (CONSOLE_URL, None)
    method, url, sent, headers, _kwargs = seen[1]
    assert (method, url) == ("POST", "http://controller:8774/v2.1/servers/%s/remote-consoles" % SERVER)
    assert sent == {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    assert headers["OpenStack-API-Version"] == "compute 2.6"
    assert headers["X-OpenStack-Nova-API-Version"] == "2.6"
    assert headers["X-Auth-Token"] == "gAAAAAB-token"


@pytest.mark.parametrize("status, body, error", [
    (400, {"badRequest": {"code": 400, "message": "Unavailable console type vnc."}},
     "Compute API: HTTP 400: Unavailable console type vnc."),
    (404, {"itemNotFound": {"code": 404, "message": "Instance %s could not be found." % SERVER}},
     "Compute API: HTTP 404: Instance %s could not be found." % SERVER),
    (409, {"conflictingRequest": {"code": 409, "message": "Instance %s is not ready" % SERVER}},
     "Compute API: HTTP 409: Instance %s is not ready" % SERVER),
    (200, {"remote_console": {"protocol": "vnc", "type": "novnc"}}, "Compute API: HTTP 200 without remote_console.url"),
    (200, ["not", "a", "console"], "Compute API: HTTP 200 without remote_console.url"),
])
def test_remote_console_url_errors_are_novas_answer(monkeypatch, status, body, error):
    client, _seen = logged_in(monkeypatch, (status, json.dumps(body), {}))
    assert client.remote_console_url(SERVER) == (None, error)


def test_console_connection_is_where_the_proxy_connects(monkeypatch):
    body = json.dumps({"console": {"instance_uuid": SERVER, "host": "127.0.0.1", "port": 5900,
                                   "internal_access_path": None}})
    client, seen = logged_in(monkeypatch, (200, body, {}))
    status, console, error = client.console_connection(CONSOLE_TOKEN)
    assert (status, error) == (200, None)
    assert console == {"instance_uuid": SERVER, "host": "127.0.0.1", "port": 5900, "internal_access_path": None}
    _method, url, _sent, headers, _kwargs = seen[1]
    assert url == "http://controller:8774/v2.1/os-console-auth-tokens/" + CONSOLE_TOKEN
    assert headers["OpenStack-API-Version"] == "compute 2.31"


@pytest.mark.parametrize("status, body", [
    (404, {"itemNotFound": {"code": 404, "message": "Token not found"}}),
    (403, {"forbidden": {"code": 403, "message": "Policy doesn't allow os_compute_api:os-console-auth-tokens to be "
                                                 "performed."}}),
    # a front end echoing the request path, token and all
    (502, "<html>bad gateway for /v2.1/os-console-auth-tokens/%s</html>" % CONSOLE_TOKEN),
])
def test_console_connection_errors_never_show_the_token(monkeypatch, status, body):
    client, _seen = logged_in(monkeypatch, (status, body if isinstance(body, str) else json.dumps(body), {}))
    got_status, console, error = client.console_connection(CONSOLE_TOKEN)
    assert (got_status, console) == (status, None)
    assert error.startswith("Compute API: HTTP %d" % status)
    assert CONSOLE_TOKEN not in error and CONSOLE_TOKEN[:8] not in error


def test_a_console_url_is_masked_in_later_errors(monkeypatch):
    body = json.dumps({"remote_console": {"protocol": "vnc", "type": "novnc", "url": CONSOLE_URL}})
    echo = json.dumps({"computeFault": {"code": 500, "message": "boom near %s" % CONSOLE_URL}})
    client, _seen = logged_in(monkeypatch, (200, body, {}), (500, echo, {}))
    client.remote_console_url(SERVER)
    _status, _data, error = client.call("GET", "/servers", "2.1")
    assert error == "Compute API: HTTP 500: boom near ********"


def test_auth_settings_keeps_what_was_given():
    assert api.auth_settings(None) == {}
    assert api.auth_settings({"auth_url": "http://k:5000", "username": None, "password": "p"}) == {
        "auth_url": "http://k:5000", "password": "p"}
    assert set(api.AUTH_OPTIONS) == set(api.AUTH_KEYS) | {"region_name", "interface"}
    assert [k for k, v in api.AUTH_OPTIONS.items() if v.get("no_log")] == list(api.SECRET_KEYS)
