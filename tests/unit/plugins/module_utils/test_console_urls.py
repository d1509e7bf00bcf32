"""Unit tests for the noVNC console URLs of module_utils/_urls.py.

The oracle is noVNC's own page code: where noVNC 1.3's vnc_lite.html and
vnc.html (app/ui.js, app/webutil.js getConfigVar) and noVNC 1.0's
vnc_lite.html (the ``token`` parameter, injectParamIfMissing) point the
WebSocket for a URL; the URLs are the shapes Nova 26.2.2 hands out
(nova/objects/console_auth_token.py access_url).  A console token is a
secret: no masked URL and no message may hold any 4-character piece of it.
"""

import os
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils import _urls as u

PROFILE = dict(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "300")), deadline=None,
               suppress_health_check=[HealthCheck.too_slow])
TOKEN = "5f0b2c1e-1111-4b6e-9f0a-1f0e1b2c3d4e"


def nova_url(base, token=TOKEN):
    """What Nova 26 returns for a novnc console: the base URL + urlencode({'path': '?token=T'})."""
    return "%s?%s" % (base, urlencode({"path": "?token=%s" % token}))


def test_nova_builds_the_path_form():
    assert nova_url("http://10.89.77.10:6080/vnc_auto.html") == (
        "http://10.89.77.10:6080/vnc_auto.html?path=%3Ftoken%3D" + TOKEN)


@pytest.mark.parametrize("url, tls, host, port, resource, host_header, origin, websocket_url, masked", [
    # Nova >= 19 (noVNC >= 1.1 reads the token from path)
    (nova_url("http://10.89.77.10:6080/vnc_auto.html"), False, "10.89.77.10", 6080, "/?token=" + TOKEN,
     "10.89.77.10:6080", "http://10.89.77.10:6080", "ws://10.89.77.10:6080/?token=***",
     "http://10.89.77.10:6080/vnc_auto.html?path=%3Ftoken%3D***"),
    (nova_url("http://ctl:6080/vnc_lite.html"), False, "ctl", 6080, "/?token=" + TOKEN, "ctl:6080",
     "http://ctl:6080", "ws://ctl:6080/?token=***", "http://ctl:6080/vnc_lite.html?path=%3Ftoken%3D***"),
    (nova_url("http://ctl:6080/vnc.html"), False, "ctl", 6080, "/?token=" + TOKEN, "ctl:6080",
     "http://ctl:6080", "ws://ctl:6080/?token=***", "http://ctl:6080/vnc.html?path=%3Ftoken%3D***"),
    # the older form: old noVNC adds token= to its default path, websockify
    ("http://ctl:6080/vnc_auto.html?token=" + TOKEN, False, "ctl", 6080, "/websockify?token=" + TOKEN,
     "ctl:6080", "http://ctl:6080", "ws://ctl:6080/websockify?token=***", "http://ctl:6080/vnc_auto.html?token=***"),
    # https -> wss; the default port is left out of Host and Origin, as a browser does
    (nova_url("https://Console.Example.org/vnc_lite.html"), True, "console.example.org", 443, "/?token=" + TOKEN,
     "console.example.org", "https://console.example.org", "wss://console.example.org/?token=***",
     "https://Console.Example.org/vnc_lite.html?path=%3Ftoken%3D***"),
    (nova_url("https://proxy:443/vnc_auto.html"), True, "proxy", 443, "/?token=" + TOKEN, "proxy",
     "https://proxy", "wss://proxy/?token=***", "https://proxy:443/vnc_auto.html?path=%3Ftoken%3D***"),
    (nova_url("http://proxy/vnc_auto.html"), False, "proxy", 80, "/?token=" + TOKEN, "proxy",
     "http://proxy", "ws://proxy/?token=***", "http://proxy/vnc_auto.html?path=%3Ftoken%3D***"),
    # IPv6: brackets in Host and Origin, not in the address connected to
    (nova_url("http://[fd00:89::10]:6080/vnc_auto.html"), False, "fd00:89::10", 6080, "/?token=" + TOKEN,
     "[fd00:89::10]:6080", "http://[fd00:89::10]:6080", "ws://[fd00:89::10]:6080/?token=***",
     "http://[fd00:89::10]:6080/vnc_auto.html?path=%3Ftoken%3D***"),
    # noVNC's host and port parameters; the Origin stays the page's
    (nova_url("https://h/vnc.html") + "&host=proxy2&port=8443", True, "proxy2", 8443, "/?token=" + TOKEN,
     "proxy2:8443", "https://h", "wss://proxy2:8443/?token=***",
     "https://h/vnc.html?path=%3Ftoken%3D***&host=proxy2&port=8443"),
    # a path with its own prefix, and the fragment (noVNC reads #name= first)
    ("http://h:6080/vnc.html?path=novnc%2Fwebsockify%3Ftoken%3D" + TOKEN, False, "h", 6080,
     "/novnc/websockify?token=" + TOKEN, "h:6080", "http://h:6080", "ws://h:6080/novnc/websockify?token=***",
     "http://h:6080/vnc.html?path=novnc%2Fwebsockify%3Ftoken%3D***"),
    ("http://h:6080/vnc.html?path=ignored#path=%3Ftoken%3D" + TOKEN, False, "h", 6080, "/?token=" + TOKEN,
     "h:6080", "http://h:6080", "ws://h:6080/?token=***", "http://h:6080/vnc.html?path=ignored#path=%3Ftoken%3D***"),
    # a WebSocket URL as it is
    ("ws://h:6080/?token=" + TOKEN, False, "h", 6080, "/?token=" + TOKEN, "h:6080", "http://h:6080",
     "ws://h:6080/?token=***", "ws://h:6080/?token=***"),
])
def test_split_console_url_as_novnc_does(url, tls, host, port, resource, host_header, origin, websocket_url, masked):
    target = u.split_console_url(url)
    assert (target["tls"], target["host"], target["port"], target["resource"]) == (tls, host, port, resource)
    assert (target["host_header"], target["origin"]) == (host_header, origin)
    assert (target["websocket_url"], target["masked_url"]) == (websocket_url, masked)
    assert target["token"] == TOKEN and target["tokens"] == [TOKEN]


def test_the_proxy_reads_the_last_token():
    target = u.split_console_url("http://h:6080/vnc.html?path=%3Ftoken%3Dfirst-one%26token%3D" + TOKEN)
    assert target["token"] == TOKEN
    assert target["tokens"] == sorted(["first-one", TOKEN])
    assert "first-one" not in target["masked_url"] + target["websocket_url"]


def test_an_old_form_token_already_in_the_path_is_not_added_twice():
    url = "http://h:6080/vnc_auto.html?token=%s&path=websockify%%3Ftoken%%3D%s" % (TOKEN, TOKEN)
    assert u.split_console_url(url)["resource"] == "/websockify?token=" + TOKEN


@pytest.mark.parametrize("url, message", [
    ("", "is empty"),
    ("http://ctl:6080/vnc_auto.html", "has no console token"),
    ("http://ctl:6080/vnc_auto.html?path=%3Ftoken%3D", "has no console token"),
    ("http://ctl:6080/vnc_auto.html?path=websockify&other=" + TOKEN, "has no console token"),
    ("ftp://ctl/vnc_auto.html?token=" + TOKEN, "must be an http:// or https:// console URL with a host"),
    ("vnc_auto.html?token=" + TOKEN, "must be an http:// or https:// console URL with a host"),
    ("http://ctl:99999/vnc_auto.html?token=" + TOKEN, "is not a valid URL"),
    ("http://[fd00::1/vnc_auto.html?token=" + TOKEN, "is not a valid URL"),
    ("http://ctl/vnc.html?port=http&token=" + TOKEN, "has a port parameter that is not a number"),
])
def test_split_console_url_refuses_without_showing_the_url(url, message):
    with pytest.raises(u.UrlError) as info:
        u.split_console_url(url)
    assert str(info.value).startswith(message)
    assert TOKEN[:4] not in str(info.value) and "ctl" not in str(info.value)


def test_mask_token_pieces_hides_cut_and_encoded_echoes():
    text = "404 for /?token=%s; also %s...; %s" % (TOKEN[:10], TOKEN[20:], quote(quote(TOKEN, safe=""), safe=""))
    masked = u.mask_token_pieces(text, [TOKEN])
    assert masked == "404 for /?token=***; also ***...; ***"
    assert u.mask_token_pieces(None, [TOKEN]) is None
    assert u.mask_token_pieces("Target closed", [TOKEN]) == "Target closed"


def pieces(secret, size=4):
    return {secret[i:i + size] for i in range(len(secret) - size + 1)} or {secret}


# Tokens as a proxy may see them: Nova's are UUIDs; any URL-safe text (and
# characters a URL must percent-encode) for other proxies.
TOKENS = st.one_of(st.uuids().map(str),
                   st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"),
                           min_size=4, max_size=40),
                   st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e), min_size=4, max_size=24))
BASES = st.sampled_from(["http://10.89.77.10:6080/vnc_auto.html", "https://console.example.org/vnc_lite.html",
                         "http://[fd00:89::10]:6080/vnc.html"])


def shown_text(target):
    return "\n".join([target["masked_url"], target["websocket_url"], target["host_header"], target["origin"]])


@settings(**PROFILE)
@given(token=TOKENS, base=BASES, old_form=st.booleans())
@example(token=TOKEN, base="http://10.89.77.10:6080/vnc_auto.html", old_form=False)
@example(token="abc%2Fdef", base="http://10.89.77.10:6080/vnc_auto.html", old_form=True)
@example(token="000:#", base="http://10.89.77.10:6080/vnc_auto.html", old_form=False)
def test_no_url_shown_holds_a_piece_of_the_token(token, base, old_form):
    """Both URL forms: the masked URL and the WebSocket URL hold no 4-character
    piece of a token the proxy would read (the generated token itself, unless
    it holds a character a query decodes or ends at: & # + space %) or of the
    text that carries it, except pieces that the rest of the URL holds anyway."""
    def console_url(value):
        return "%s?token=%s" % (base, quote(value, safe="")) if old_form else nova_url(base, value)

    assume(not token.startswith(("&", "#")))  # an empty token: refused, tested above
    target = u.split_console_url(console_url(token))
    if not set(token) & set("&#+ %"):
        assert target["token"] == token
    scaffold = shown_text(u.split_console_url(console_url("ZZZZ"))) + u.TOKEN_MASK
    url = console_url(token)
    for secret in [t for t in target["tokens"] if len(t) >= 4]:  # a shorter one is any digit or letter
        leaked = [p for p in pieces(secret) if p in shown_text(target) and p not in scaffold]
        assert not leaked, (url, leaked)


@settings(**PROFILE)
@given(token=TOKENS, prefix=st.text(max_size=20), suffix=st.text(max_size=20), cut=st.integers(0, 12))
def test_mask_token_pieces_leaves_no_piece(token, prefix, suffix, cut):
    """Whatever a server echoes - the token whole, cut, or percent-encoded -
    no 4-character piece of any spelling of it is left."""
    spellings = u.console_token_spellings([token])
    text = prefix + "|".join(s[cut:] for s in spellings) + suffix
    masked = u.mask_token_pieces(text, [token])
    for spelling in spellings:
        assert not [p for p in pieces(spelling) if p in masked and p not in u.TOKEN_MASK], masked
