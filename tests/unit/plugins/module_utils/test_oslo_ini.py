"""Unit tests for module_utils/_oslo_ini.py: nova.conf read, written and masked
as oslo.config reads it (oslo_config.iniparser is the oracle)."""

import os
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils import _oslo_ini as oi
from ansible_collections.novaops.compute.plugins.module_utils._nova_options import is_secret

iniparser = pytest.importorskip("oslo_config.iniparser")

PROFILE = dict(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "300")), deadline=None,
               suppress_health_check=[HealthCheck.too_slow])
PRINTABLE = st.characters(codec="utf-8").filter(str.isprintable)
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)


class OsloParser(iniparser.BaseParser):
    """oslo.config's own INI parser, collecting {section: {key: value}}."""

    def __init__(self):
        self.sections = {}
        self.section = None

    def new_section(self, section):
        self.section = self.sections.setdefault(section, {})

    def assignment(self, key, value):
        self.section[key] = "\n".join(value)


def oslo_parse(text):
    parser = OsloParser()
    parser.parse(text.split("\n"))
    return parser.sections


def test_line_breaks_are_what_splitlines_breaks_at():
    breaks = {chr(i) for i in range(0x110000) if len(("a%sb" % chr(i)).splitlines()) > 1}
    assert breaks | {"\x00"} == set(oi.LINE_BREAKS)


def test_parse_ini_oslo_rules():
    conf = oi.parse_ini(
        "orphan = ignored\n"
        "[DEFAULT]\n"
        "# transport_url = rabbit://commented\n"
        "; also a comment\n"
        "Host = a # not an inline comment\n"
        "host = node1\n"
        "enabled_filters = A,\n"
        "  B\n"
        "[libvirt]\n"
        "virt_type: qemu\n"
        "a:b = c\n"
        "quoted = \" padded \"\n"
        "empty =\n"
    )
    assert conf == {
        "DEFAULT": {"host": "node1", "enabled_filters": "A,\nB"},
        "libvirt": {"virt_type": "qemu", "a": "b = c", "quoted": " padded ", "empty": ""},
    }
    assert oi.conf_get(conf, "libvirt", "empty", "dflt") == "dflt"


@pytest.mark.parametrize("value, text", [
    (True, "true"), (False, "false"), (16.0, "16.0"), (512, "512"),
    (["ComputeFilter", "ImagePropertiesFilter"], "ComputeFilter,ImagePropertiesFilter"),
    ({"a": 1, "b": True}, "a:1,b:true"), ("x", "x"), (" x", "\" x\""), ("'x'", "\"'x'\""), ("", ""),
])
def test_render_value(value, text):
    assert oi.render_value(value) == text


def test_render_ini_leaves_out_nulls_and_empty_sections():
    text = oi.render_ini({"DEFAULT": {"debug": True, "host": None}, "vnc": {"enabled": None}, "spice": None,
                          "libvirt": {"cpu_models": ["a", "b"]}}, "# managed")
    assert text == "# managed\n\n[DEFAULT]\ndebug = true\n\n[libvirt]\ncpu_models = a,b\n"


@pytest.mark.parametrize("char", sorted(oi.LINE_BREAKS))
@pytest.mark.parametrize("where", ["value", "list", "dict", "option", "section"])
def test_render_ini_refuses_line_breaks_naming_the_option(char, where):
    value = "SECRET" + char + "[DEFAULT]"
    mapping = {
        "value": {"placement": {"password": value}},
        "list": {"placement": {"password": ["a", value]}},
        "dict": {"placement": {"password": {"k": value}}},
        "option": {"placement": {"pass" + char + "word": "x"}},
        "section": {"place" + char + "ment": {"password": "x"}},
    }[where]
    with pytest.raises(oi.IniValueError) as raised:
        oi.render_ini(mapping)
    assert "SECRET" not in str(raised.value)
    if where in ("value", "list", "dict"):
        assert "[placement] password" in str(raised.value)


def test_render_ini_refuses_names_it_cannot_write():
    for mapping in ({"DEFAULT": {"a=b": 1}}, {"DEFAULT": {"#a": 1}}, {"a]": {"b": 1}}, {"DEFAULT": {" a": 1}},
                    {"DEFAULT": {"a": [None]}}, {"DEFAULT": {"a": [[1]]}}, {"DEFAULT": "x"}):
        with pytest.raises(oi.IniValueError):
            oi.render_ini(mapping)


@settings(**PROFILE)
@given(mapping=st.dictionaries(
    st.one_of(st.just("DEFAULT"), NAMES),
    st.dictionaries(NAMES, st.one_of(st.text(PRINTABLE, max_size=20), st.booleans(),
                                     st.integers(), st.lists(st.text(PRINTABLE.filter(lambda c: c != ","), min_size=1,
                                                                     max_size=5), max_size=3)),
                    min_size=1, max_size=4),
    max_size=4))
def test_render_then_parse_round_trips(mapping):
    text = oi.render_ini(mapping, "# header")
    expected = {section: {option: oi.format_value(value) for option, value in options.items()}
                for section, options in mapping.items()}
    assert oi.parse_ini(text) == expected
    assert oslo_parse(text) == expected


# --------------------------------------------------------------------------
# masking
# --------------------------------------------------------------------------

NOVA_DATA = {"options": {
    "DEFAULT": {"transport_url": {"type": "string value", "secret": True}, "my_ip": {"type": "string value"}},
    "database": {"connection": {"type": "string value", "secret": True}},
    "placement": {"password": {"type": "string value", "secret": True}, "username": {"type": "string value"}},
    "neutron": {"metadata_proxy_shared_secret": {"type": "string value", "secret": True}},
}}


def secret(section, option):
    return is_secret(NOVA_DATA, section, option)


def test_mask_ini_hides_every_secret_but_keeps_shape():
    text = (
        "[DEFAULT]\n"
        "transport_url = rabbit://nova:RABBITPW@ctl1:5672/\n"
        "my_ip = 10.0.0.11\n"
        "[database]\n"
        "connection = mysql+pymysql://nova:DBPW@db/nova\n"
        "[placement]\n"
        "password = PLACEMENTPW\n"
        "  CONTINUEDPW\n"
        "username = placement\n"
        "[neutron]\n"
        "metadata_proxy_shared_secret: METASECRET\n"
        "[keystone_authtoken]\n"
        "password = UNKNOWNPW\n"
        "# password = commented\n"
    )
    masked = oi.mask_ini(text, secret)
    for value in ("RABBITPW", "DBPW", "PLACEMENTPW", "CONTINUEDPW", "METASECRET", "UNKNOWNPW"):
        assert value not in masked
    assert "transport_url = rabbit://nova:********@ctl1:5672/" in masked
    assert "connection = mysql+pymysql://nova:********@db/nova" in masked
    assert "password = ********" in masked
    assert "my_ip = 10.0.0.11" in masked
    assert "username = placement" in masked
    assert "# password = commented" in masked
    assert masked.count("\n") == text.count("\n")


@settings(**PROFILE)
@given(password=st.text(PRINTABLE, min_size=4, max_size=24), encode=st.booleans())
def test_mask_ini_never_shows_a_piece_of_a_password(password, encode):
    assume(encode or not ("," in password and "@" in password))  # see test_urls
    fixed = "[DEFAULT]\ntransport_url = rabbit://nova:@controller:5672/nova\n[placement]\npassword = \n********"
    pieces = {password[i:i + 4] for i in range(len(password) - 3)} - {p for p in
                                                                      {password[i:i + 4] for i in range(len(password) - 3)}
                                                                      if p in fixed}
    assume(pieces)
    written = quote(password, safe="") if encode else password
    text = ("[DEFAULT]\ntransport_url = rabbit://nova:%s@controller:5672/nova\n[placement]\npassword = %s\n"
            % (written, password))
    masked = oi.mask_ini(text, secret)
    assert not any(p in masked for p in pieces), masked
