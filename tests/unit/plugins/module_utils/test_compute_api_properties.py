"""Property tests for plugins/module_utils/_compute_api.py: no error text the
client returns shows a piece of a credential, whatever Keystone or Nova (or a
proxy in front of them) echoes of it in an error answer.

The client is driven as a module drives it (``ask_control_plane``, its
``open_url`` replaced by a fake server), so the error strings checked are the
ones it builds: ``api_error_message`` of the answer, masked with ``mask``.
"""

import io
import json
import os
from unittest import mock
from urllib.error import HTTPError
from urllib.parse import quote, quote_plus

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils import _compute_api as api
from health_captures import text

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
PROFILE = dict(max_examples=EXAMPLES, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
ASCII_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7e)
PRINTABLE = st.characters(blacklist_categories=("C", "Z"))  # printable text (spaces come from ASCII_PRINTABLE)
TEXT_CREDENTIALS = st.text(st.one_of(ASCII_PRINTABLE, PRINTABLE), min_size=1, max_size=40)
# a password in clouds.yaml may be a YAML integer (cloud_settings makes it
# text, a caller's own auth values may keep it a number)
CREDENTIALS = st.one_of(TEXT_CREDENTIALS, st.integers(-10 ** 12, 10 ** 30))
BED = {"auth_url": "http://controller:5000/v3", "username": "admin", "project_name": "admin",
       "region_name": "RegionOne"}
TOKEN_ANSWER = json.loads(text("bed", "api.json"))["requests"]["token"]


def pieces(secret):
    """Every 4-character piece of a secret (the whole secret when shorter)."""
    secret = str(secret)
    if len(secret) < 4:
        return {secret}
    return {secret[i:i + 4] for i in range(len(secret) - 3)}


# How an error answer may echo a credential.  Each takes the credential and the
# request body the client sent, returns (status, body).
KEYSTONE_ECHOES = {
    # keystone's schema validation quotes the offending value (JSON-encoded)
    "keystone-schema": lambda cred, sent: (400, json.dumps({"error": {"code": 400, "title": "Bad Request", "message": (
        "Invalid input for field 'identity/password/user/password': %s is not of type 'string'"
        % json.dumps(cred))}})),
    # a Python service quoting a value with repr()
    "keystone-repr": lambda cred, sent: (401, json.dumps({"error": {"code": 401, "title": "Unauthorized", "message": (
        "Could not authenticate with %r" % (cred,))}})),
    # the value as it is, title only
    "keystone-title": lambda cred, sent: (401, json.dumps({"error": {"code": 401, "title": "bad secret %s" % cred}})),
    # a front end (proxy, WAF) echoing the request body it refused, as text
    "proxy-echo": lambda cred, sent: (400, "Bad Request: the request body could not be parsed: %s\n" % sent),
    # a front end echoing a form-encoded or URL-quoted value in HTML
    "proxy-html": lambda cred, sent: (403, "<html><head><title>403</title></head><body>blocked: password=%s "
                                           "(%s)</body></html>" % (quote_plus(str(cred)), quote(str(cred), safe=""))),
}
NOVA_ECHOES = {
    "nova-json": lambda secret: (401, json.dumps({"unauthorized": {"code": 401, "message": (
        "Token %s is not valid" % secret)}})),
    "nova-text": lambda secret: (500, "Internal Server Error: auth token %r rejected\n" % secret),
}


def client_error(settings, answers):
    """The error ask_control_plane returns against a server answering ``answers``
    (functions of the request body sent) in turn."""
    todo = list(answers)

    def open_url(url, method="GET", data=None, headers=None, **kwargs):
        status, body, hdrs = todo.pop(0)(data)
        if status >= 400:
            raise HTTPError(url, status, "error", hdrs, io.BytesIO(body.encode("utf-8")))
        return mock.Mock(getcode=lambda: status, read=io.BytesIO(body.encode("utf-8")).read, headers=hdrs)

    with mock.patch.object(api, "open_url", open_url):
        services, error, _endpoint = api.ask_control_plane(settings, "compute1", 10)
    assert services is None
    return error


def _vocabulary():
    """Text the errors hold whatever the credential: a piece found in it is no leak."""
    sent = json.dumps(api.keystone_auth_body(dict(BED, password="")))
    bodies = [echo("", sent)[1] for echo in KEYSTONE_ECHOES.values()] + [echo("")[1] for echo in NOVA_ECHOES.values()]
    return "\n".join(bodies + [sent, api.MASK, "keystone: HTTP 400: 401: 403: 500: Compute API: "])


VOCABULARY = _vocabulary()


def assert_no_piece(error, secret):
    secret_pieces = [p for p in pieces(secret) if p not in VOCABULARY]
    leaked = [p for p in secret_pieces if p in error]
    assert not leaked, (error, secret, leaked)


@settings(**PROFILE)
@given(password=CREDENTIALS, echo=st.sampled_from(sorted(k for k in KEYSTONE_ECHOES if k != "proxy-echo")))
@example(password=12345, echo="keystone-schema")
@example(password='pä ss"w\'rd\\', echo="keystone-repr")
def test_keystone_error_shows_no_piece_of_the_password(password, echo):
    """An error answer from keystone (JSON, any of its message shapes) or an HTML
    page quoting the password (URL-quoted) leaves no 4-character piece of it."""
    error = client_error(dict(BED, password=password),
                         [lambda sent: KEYSTONE_ECHOES[echo](password, sent) + ({},)])
    assert_no_piece(error, password)


@settings(**PROFILE)
@given(secret=TEXT_CREDENTIALS, echo=st.sampled_from(sorted(k for k in KEYSTONE_ECHOES if k != "proxy-echo")))
def test_keystone_error_shows_no_piece_of_the_application_credential_secret(secret, echo):
    """The same for an application credential's secret."""
    settings = dict(BED, application_credential_id="0e1f", application_credential_secret=secret)
    error = client_error(settings, [lambda sent: KEYSTONE_ECHOES[echo](secret, sent) + ({},)])
    assert_no_piece(error, secret)


@settings(**PROFILE)
@given(token=TEXT_CREDENTIALS, password=TEXT_CREDENTIALS, echo=st.sampled_from(sorted(NOVA_ECHOES)),
       which=st.sampled_from(["token", "password"]))
def test_compute_api_error_shows_no_piece_of_the_token_or_password(token, password, echo, which):
    """A Compute API error answer echoing the keystone token (or the password) hides it."""
    secret = token if which == "token" else password
    error = client_error(dict(BED, password=password), [
        lambda sent: (TOKEN_ANSWER["status"], TOKEN_ANSWER["body"], {"X-Subject-Token": token}),
        lambda sent: NOVA_ECHOES[echo](secret) + ({},),
    ])
    assert_no_piece(error, secret)


@settings(**PROFILE)
@given(password=CREDENTIALS)
@example(password="abcdefghijklmnopqrstuvwxyz0123456789")
def test_proxy_echo_of_the_request_body_shows_no_piece_of_the_password(password):
    """A front end echoing the whole refused request body, as one line of text, leaves no piece of the password."""
    error = client_error(dict(BED, password=password),
                         [lambda sent: KEYSTONE_ECHOES["proxy-echo"](password, sent) + ({},)])
    assert_no_piece(error, password)


@settings(**PROFILE)
@given(status=st.integers(400, 599),
       message=st.text(st.one_of(ASCII_PRINTABLE, PRINTABLE), max_size=60).map(str.strip),
       key=st.sampled_from(["error", "badRequest", "itemNotFound", "conflictingRequest", "computeFault"]),
       field=st.sampled_from(["message", "title"]))
def test_api_error_message_carries_the_message_of_any_json_error(status, message, key, field):
    """``{"<kind>": {"message" or "title": M}}`` (keystone's and nova's shapes) gives ``HTTP <status>: M``."""
    body = json.dumps({key: {"code": status, field: message}})
    assert api.api_error_message(status, body) == "HTTP %d%s" % (status, ": " + message if message else "")


@settings(**PROFILE)
@given(values=st.lists(CREDENTIALS, min_size=1, max_size=3))
@example(values=["p@ss w\\\"rd", 12345])
@example(values=["**x*", "x"])
def test_mask_hides_every_spelling(values):
    """mask() leaves none of the spellings secret_spellings() knows (text, JSON, repr,
    URL-quoted) of any value: only mask characters remain where they were."""
    masked = api.mask("\n".join(api.secret_spellings(values)), values)
    assert set(masked) <= set(api.MASK + "\n"), masked
