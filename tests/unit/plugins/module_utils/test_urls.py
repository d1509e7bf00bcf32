"""Unit tests for module_utils/_urls.py: transport, database and http URLs.

oslo.messaging's TransportURL.parse and SQLAlchemy's make_url are the
oracles: our splitting must agree with theirs, and nothing we show (masked
URLs, messages) may contain any 4-character piece of a password.
"""

import os
from urllib.parse import quote, urlparse

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils import _urls as u

oslo_messaging = pytest.importorskip("oslo_messaging")
cfg = pytest.importorskip("oslo_config.cfg")
sa_url = pytest.importorskip("sqlalchemy.engine.url")

PROFILE = dict(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "300")), deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PRINTABLE = st.characters(codec="utf-8").filter(str.isprintable)
ASCII_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7e)
PASSWORDS = st.text(st.one_of(ASCII_PRINTABLE, PRINTABLE), min_size=1, max_size=24)
EXAMPLE_PASSWORDS = ["p@ss word", "a/b", "x#y", "c,d", "q?r", "%41", "12345"]


def pieces(secret):
    """Every 4-character piece of a secret (the whole secret when shorter)."""
    if len(secret) < 4:
        return {secret}
    return {secret[i:i + 4] for i in range(len(secret) - 3)}


def transport(password, encode):
    return "rabbit://nova:%s@controller:5672/nova" % (quote(password, safe="") if encode else password)


# Text our outputs contain whatever the password: a piece of a password found
# in it is not a leak.
_SAMPLES = [transport("X" + c, False) for c in "/?#,@:[]% "] + [
    "rabbit://", "kafka://ctl/", "rabbit://a:b@h1,h2/", "rabbit://h1,,h2/", "rabbit://h1:0,h2:x,h3:99999/",
    "rabbit://h 1,h 2,h 3/#f", "nova:x@ctl/", "rabbit://u@h1,u:p@h2/", "rabbit://[::1", "rabbit://[a]]/",
    "mysql://n:x@db:0/n", "mysql://n:x@d b/n", "mysql://n:x@/n", "mysql://n:x@db/", "mysql:/x", "mysql://n:x@db/n@",
    "mysql://n:x@db:x/n", "oracle://db/n", "mysql://n:x@[::1]x@db/n",
]
VOCABULARY = "\n".join(
    [transport("", False), u.MASK, u.TRANSPORT_HINT, u.DATABASE_HINT]
    + [m for url in _SAMPLES for m in u.check_transport_url(url) + u.check_database_url(url)]
)


def oslo_verdict(url):
    """oslo.messaging's parse plus the host/port/shape rules of check_transport_url."""
    try:
        parsed = oslo_messaging.TransportURL.parse(cfg.CONF, url)
    except (ValueError, oslo_messaging.InvalidTransportURL):
        return False
    parts = urlparse(url)
    if not parsed.hosts or "" in parts.netloc.split(","):
        return False
    for host in parsed.hosts:
        if not host.hostname or not (u.is_ip(host.hostname) or _hostname(host.hostname)):
            return False
        if host.port is not None and not 0 < host.port < 65536:
            return False
    forms = {"host" if h.username is None else "user" if h.password is None else "both" for h in parsed.hosts}
    if len(forms) > 1:
        return False
    return "@" not in parts.path + parts.params + parts.query + parts.fragment and not parts.fragment


def _hostname(name):
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    return (name.isascii() and len(name) <= 253
            and all(0 < len(label) < 64 and label[0] != "-" and label[-1] != "-"
                    and all(c.isalnum() or c in "-_" for c in label) for label in labels))


# --------------------------------------------------------------------------
# split_transport_url agrees with oslo.messaging
# --------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "rabbit://nova:pw@ctl1:5672/",
    "rabbit://nova:pw@h1:5672,nova:pw2@h2/nova?ssl=1&x=a&x=b",
    "rabbit://u:p%40ss%2Fword@[fd00::10]:5671,u:p@[fd00::11]/%2F",
    "amqp://guest@broker.example.org:5673//",
    "rabbit://nova:p@ss word@controller:5672/",
    "rabbit://nova:12/34@controller:5672/",
    "rabbit://nova:12,34@controller/",
    "rabbit://h1,,h2/",
    "rabbit://",
    "rabbit://fd00::1/",
    "rabbit://nova:%41@controller/",
    "rabbit://nova:p:w@controller/",
])
def test_split_transport_url_is_oslo_messaging_s(url):
    ours = u.split_transport_url(url)
    theirs = oslo_messaging.TransportURL.parse(cfg.CONF, url)
    assert ours["scheme"] == theirs.transport
    assert ours["virtual_host"] == theirs.virtual_host
    assert ours["query"] == theirs.query
    assert [(h["host"], h["port"], h["username"], h["password"]) for h in ours["hosts"]] == [
        (h.hostname, h.port, h.username, h.password) for h in theirs.hosts]


@pytest.mark.parametrize("url", ["rabbit://[::1", "rabbit://nova:a/b@controller/", "rabbit://h:port/",
                                 "rabbit://[a]]/", "http://[x"])
def test_split_transport_url_refuses_what_oslo_refuses_without_the_value(url):
    with pytest.raises(ValueError):
        oslo_messaging.TransportURL.parse(cfg.CONF, url)
    with pytest.raises(u.UrlError) as raised:
        u.split_transport_url(url)
    assert not any(p in str(raised.value) for p in ("[::1", "a/b", "port", "[a]", "[x") if p != "port")


@pytest.mark.parametrize("url", ["controller:5672", "rabbit:controller", "", "   "])
def test_split_transport_url_wants_scheme_and_slashes(url):
    with pytest.raises(u.UrlError):
        u.split_transport_url(url)


# --------------------------------------------------------------------------
# check_transport_url
# --------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "rabbit://nova:pw@ctl1:5672/", "rabbit://nova:pw@my_broker:5672/", "amqp://nova:pw@10.0.0.1/",
    "rabbit://nova:pw@[fd00::1]:5672,nova:pw@[fd00::2]:5672/", "rabbit://nova:p%2Fw%23x%2Cy%40z%3F@ctl1/",
    "rabbit://nova:p@ss word@controller:5672/",
])
def test_good_transport_urls(url):
    assert u.check_transport_url(url) == []


@pytest.mark.parametrize("url, fragment", [
    ("rabbit://nova:pw@ctl1:99999/", "host 1 has a port that is not a number between 1 and 65535"),
    ("rabbit://nova:pw@ctl1:0/", "host 1 has a port"),
    ("rabbit://nova:pw@ctl1,nova:pw@ctl 2/", "host 2 is not an IP address or a host name"),
    ("rabbit:///", "names no message-bus host"),
    ("rabbit://h1,,h2/", "empty entry"),
    ("rabbit://nova:pw@h1,h2/", "same form"),
    ("rabbit://ctl/#x", "#fragment"),
    ("rabbit://[::1", "cannot be split"),
    ("kafka://ctl:9092/", "scheme 'kafka'"),
    ("ctl:5672", "has no scheme"),
])
def test_bad_transport_urls(url, fragment):
    problems = u.check_transport_url(url)
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize("password", EXAMPLE_PASSWORDS)
@pytest.mark.parametrize("encode", [False, True])
def test_example_passwords(password, encode):
    url = transport(password, encode)
    problems = u.check_transport_url(url)
    assert (problems == []) == oslo_verdict(url)
    if encode:
        assert problems == []
        assert u.mask_transport_url(url) == "rabbit://nova:********@controller:5672/nova"
    for shown in problems + [u.mask_transport_url(url), u.mask_url(url)]:
        assert not any(p in shown for p in pieces(password) if p not in VOCABULARY), shown


@pytest.mark.parametrize("password", ["a/b", "x#y", "c,d", "q?r", "12/34", "12?34", "12#34"])
def test_a_password_that_cuts_the_url_asks_for_percent_encoding(password):
    problems = u.check_transport_url(transport(password, False))
    assert problems and all("percent-encode" in p and "%2F" in p for p in problems), problems
    assert u.mask_transport_url(transport(password, False)) == u.MASK


# --------------------------------------------------------------------------
# masking
# --------------------------------------------------------------------------

@pytest.mark.parametrize("url, masked", [
    ("rabbit://nova:pw@ctl1:5672/", "rabbit://nova:********@ctl1:5672/"),
    ("rabbit://nova:pw@h1:5672,nova:pw2@h2:5672/nova?ssl=1", "rabbit://nova:********@h1:5672,nova:********@h2:5672/nova?ssl=1"),
    ("rabbit://u:pw@[fd00::10]:5672,u:pw@[fd00::11]/", "rabbit://u:********@[fd00::10]:5672,u:********@[fd00::11]/"),
    ("amqp://guest@broker:5673//", "amqp://guest@broker:5673//"),
    ("rabbit://", "rabbit://"),
    ("rabbit://nova:12/34@controller:5672/", u.MASK),
    ("rabbit://[::1", u.MASK),
    ("nova:pw@ctl:5672/", u.MASK),
    (None, None),
])
def test_mask_transport_url(url, masked):
    assert u.mask_transport_url(url) == masked


@pytest.mark.parametrize("url, masked", [
    ("mysql+pymysql://nova:p%40ss@db/nova", "mysql+pymysql://nova:********@db/nova"),
    ("mysql+pymysql://nova:pw@db:3306/nova?charset=utf8", "mysql+pymysql://nova:********@db:3306/nova?charset=utf8"),
    ("postgresql://nova:pw@[fd00::1]:5432/nova", "postgresql://nova:********@[fd00::1]:5432/nova"),
    ("sqlite:////var/lib/nova/nova.sqlite", "sqlite:////var/lib/nova/nova.sqlite"),
    ("mysql://nova:p@ss@db/nova", u.MASK),
    ("mysql://nova:pw@[::1]x@db/nova", u.MASK),
    ("not a url", u.MASK),
])
def test_mask_database_url(url, masked):
    assert u.mask_database_url(url) == masked


@pytest.mark.parametrize("line, masked", [
    ("rabbit://nova:pw@ctl1:5672/", "rabbit://nova:********@ctl1:5672/"),
    ("mysql+pymysql://nova:pw@db/nova", "mysql+pymysql://nova:********@db/nova"),
    ("ERROR connecting to rabbit://nova:p@ss word@ctl:5672/ (retry)", "ERROR connecting to rabbit://nova:********@ctl:5672/ (retry)"),
    ("a rabbit://nova:a://b@ctl x", "a rabbit://nova:********@ctl x"),
    ("nova:p@ss word@ctl1:5672/", "nova:********@ctl1:5672/"),
    ("Nov 30 13:16:00 node systemd[1]: Started user@0.service", "Nov 30 13:16:00 node systemd[1]: Started user@0.service"),
    ("host=ctl1:5672", "host=ctl1:5672"),
    (None, None),
])
def test_mask_url_on_urls_and_log_lines(line, masked):
    assert u.mask_url(line) == masked


# --------------------------------------------------------------------------
# parse_transport_url (node_health_info's view)
# --------------------------------------------------------------------------

def test_parse_transport_url_shape():
    parsed = u.parse_transport_url("rabbit://nova:p%40ss@h1,nova:p%40ss@h2:5671/nova?ssl=1")
    assert parsed["scheme"] == "rabbit"
    assert parsed["hosts"] == [{"host": "h1", "port": 5672, "username": "nova"},
                               {"host": "h2", "port": 5671, "username": "nova"}]
    assert parsed["virtual_host"] == "nova" and parsed["query"] == "ssl=1"
    assert parsed["masked"] == "rabbit://nova:********@h1,nova:********@h2:5671/nova?ssl=1"
    assert parsed["passwords"] == ["p%40ss", "p@ss"]
    assert u.parse_transport_url("rabbit://")["hosts"] == [{"host": "localhost", "port": 5672, "username": None}]


@pytest.mark.parametrize("url", ["", "controller:5672", "rabbit://u:p@h1,,u:p@h2/", "rabbit://h:99999/",
                                 "rabbit://h:port/", "rabbit://[::1"])
def test_parse_transport_url_rejects(url):
    with pytest.raises(u.UrlError):
        u.parse_transport_url(url)


# --------------------------------------------------------------------------
# database and http URLs
# --------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "mysql+pymysql://nova:pw@db/nova", "mysql+pymysql://nova:p%40ss@db:3306/nova?charset=utf8&a=1&a=2",
    "postgresql://nova:pw@[fd00::1]:5432/nova", "sqlite:////var/lib/nova/nova.sqlite", "sqlite://",
    "mysql://nova:p@ss@db/nova", "mysql://nova:a/b@db/nova", "mysql://nova@db/nova", "mysql://db/nova",
])
def test_split_database_url_is_sqlalchemy_s(url):
    ours = u.split_database_url(url)
    theirs = sa_url.make_url(url)
    assert (ours["drivername"], ours["username"], ours["password"], ours["host"], ours["port"], ours["database"]) == (
        theirs.drivername, theirs.username, theirs.password, theirs.host, theirs.port, theirs.database)
    assert (ours["query"] or {}) == {k: list(v) if isinstance(v, tuple) else v for k, v in theirs.query.items()}


@pytest.mark.parametrize("url, fragment", [
    ("oracle://nova:pw@db/nova", "unknown dialect 'oracle'"),
    ("mysql+pymysql://nova:pw@/nova_api", "names no database host"),
    ("mysql+pymysql://nova:pw@db/", "names no database"),
    ("mysql://nova:p@ss@db/nova", "percent-encode"),
    ("mysql://nova:pw@db:x/nova", "port"),
    ("mysql://nova:pw@db:0/nova", "port"),
    ("nova:pw@db/nova", "is not a database URL"),
])
def test_bad_database_urls(url, fragment):
    problems = u.check_database_url(url)
    assert any(fragment in p for p in problems), problems
    assert not any("pw" in p or "p@ss" in p for p in problems)


@pytest.mark.parametrize("url", ["mysql+pymysql://nova:pw@db/nova", "sqlite:////var/lib/nova/nova.sqlite", None, ""])
def test_good_database_urls(url):
    assert u.check_database_url(url) == []


@pytest.mark.parametrize("url, ok", [
    ("http://ctl1:5000/v3", True), ("https://console.example.org:6082/spice_auto.html", True),
    ("http://[fd00::1]:6080/", True), ("ctl1:5000", False), ("http://[x", False), ("http://ctl:99999/", False),
    ("ftp://ctl/", False), ("http:///v3", False), ("", False),
])
def test_check_http_url(url, ok):
    assert (u.check_http_url(url) == []) == ok


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

@settings(**PROFILE)
@given(password=PASSWORDS, encode=st.booleans())
@example(password="p@ss word", encode=False)
@example(password="x@y,z:w", encode=True)
def test_no_masked_url_or_message_shows_a_piece_of_the_password(password, encode):
    # An unencoded password holding both , and @ can spell a well-formed
    # multi-host URL ("nova:x@y,nova:w@controller"): nothing can tell it
    # from two brokers, so only its encoded form is held to this property.
    assume(encode or not ("," in password and "@" in password))
    secret_pieces = [p for p in pieces(password) if p not in VOCABULARY]
    assume(secret_pieces)
    url = transport(password, encode)
    database = "mysql+pymysql://nova:%s@controller/nova" % (quote(password, safe="") if encode else password)
    shown = [u.mask_transport_url(url), u.mask_url(url), u.mask_url("log: " + url + " failed"),
             u.mask_database_url(database), u.mask_url(database)]
    shown += u.check_transport_url(url) + u.check_database_url(database)
    for text in shown:
        assert not any(p in text for p in secret_pieces), (text, password)


_HOSTS = st.one_of(st.sampled_from(["controller", "ctl_1", "10.0.0.1", "[fd00::1]", "fd00::1", "h-1.example.org",
                                    "", "-bad", "a b", "[10.0.0.1]"]),
                   st.text(ASCII_PRINTABLE, max_size=8))
_PORTS = st.one_of(st.none(), st.integers(-1, 70000).map(str), st.text(ASCII_PRINTABLE, max_size=4))
_PIECE = st.text(st.one_of(ASCII_PRINTABLE, PRINTABLE), max_size=8)


@st.composite
def transport_urls(draw):
    entries = []
    for _entry in range(draw(st.integers(1, 3))):
        host, port = draw(_HOSTS), draw(_PORTS)
        entry = host + ("" if port is None else ":" + port)
        if draw(st.booleans()):
            user = draw(_PIECE)
            user = quote(user, safe="") if draw(st.booleans()) else user
            if draw(st.booleans()):
                password = draw(_PIECE)
                user += ":" + (quote(password, safe="") if draw(st.booleans()) else password)
            entry = user + "@" + entry
        entries.append(entry)
    vhost = draw(_PIECE)
    return "rabbit://" + ",".join(entries) + "/" + (quote(vhost, safe="") if draw(st.booleans()) else vhost)


@settings(**PROFILE)
@given(url=transport_urls())
@example(url="rabbit://nova:12,34@controller/")
@example(url="rabbit://nova:a@[::1]@controller/")
def test_verdict_agrees_with_oslo_messaging(url):
    problems = u.check_transport_url(url)
    assert (problems == []) == oslo_verdict(url), problems


@settings(**PROFILE)
@given(url=st.text(st.one_of(ASCII_PRINTABLE, PRINTABLE), max_size=40).map(lambda t: "mysql+pymysql://" + t))
def test_split_database_url_agrees_with_sqlalchemy(url):
    try:
        theirs = sa_url.make_url(url)
    except Exception:  # pylint: disable=broad-except
        with pytest.raises(u.UrlError):
            u.split_database_url(url)
        return
    ours = u.split_database_url(url)
    assert (ours["username"], ours["password"], ours["host"], ours["port"], ours["database"]) == (
        theirs.username, theirs.password, theirs.host, theirs.port, theirs.database)
