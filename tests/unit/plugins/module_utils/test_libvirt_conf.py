"""Unit tests for module_utils/_libvirt_conf.py: values in libvirt's config
syntax (qemu.conf), read back by a small reader that follows virconf.c."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils import _libvirt_conf as lc

PROFILE = dict(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "300")), deadline=None,
               suppress_health_check=[HealthCheck.too_slow])
PRINTABLE = st.characters(codec="utf-8").filter(str.isprintable)


class VirConfSyntaxError(ValueError):
    pass


def read_value(text):
    """libvirt's virConfParseValue for one value, then only blanks and a comment may follow."""
    value, pos = _value(text, 0)
    rest = text[pos:].lstrip(" \t")
    if rest and not rest.startswith("#"):
        raise VirConfSyntaxError("garbage after the value")
    return value


def _value(text, pos):
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if pos >= len(text):
        raise VirConfSyntaxError("expecting a value")
    char = text[pos]
    if text.startswith('"""', pos):
        raise VirConfSyntaxError("triple quotes are not written by render_value")
    if char in "\"'":
        end = pos + 1
        while end < len(text) and text[end] != char and text[end] not in "\r\n":
            end += 1
        if end >= len(text) or text[end] != char:
            raise VirConfSyntaxError("unterminated string")
        return text[pos + 1:end], end + 1
    if char == "[":
        items, pos = [], pos + 1
        pos = _blanks(text, pos)
        if pos < len(text) and text[pos] != "]":
            item, pos = _value(text, pos)
            items.append(item)
            pos = _blanks(text, pos)
        while pos < len(text) and text[pos] != "]":
            if text[pos] != ",":
                raise VirConfSyntaxError("expecting a separator in list")
            pos = _blanks(text, pos + 1)
            if pos < len(text) and text[pos] == "]":
                break
            item, pos = _value(text, pos)
            if isinstance(item, list):
                raise VirConfSyntaxError("nested list")
            items.append(item)
            pos = _blanks(text, pos)
        if pos >= len(text):
            raise VirConfSyntaxError("list is not closed by ]")
        return items, pos + 1
    if char.isdigit() or char in "+-":
        end = pos + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        digits = text[pos:end]
        if not digits.lstrip("+-").isdigit():
            raise VirConfSyntaxError("unterminated number")
        return int(digits), end
    raise VirConfSyntaxError("expecting a value")


def _blanks(text, pos):
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def expected(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list):
        return [expected(v) for v in value]
    return value


@pytest.mark.parametrize("value, text", [
    (True, "1"), (False, "0"), (0, "0"), (-5, "-5"), ("/var/lib/nova", '"/var/lib/nova"'),
    ('say "hi"', "'say \"hi\"'"), ("", '""'), ("a # b", '"a # b"'),
    (["/dev/null", "/dev/kvm"], '[ "/dev/null", "/dev/kvm" ]'), ([], "[]"), ([1, True, "x"], '[ 1, 1, "x" ]'),
])
def test_render_value(value, text):
    assert lc.render_value(value) == text
    assert read_value(text) == expected(value)


@pytest.mark.parametrize("value", [
    "it's \"both\"", "a\nb", "a\rb", "a\u2028b", "a\x00b", 1.5, None, {"a": 1}, [[1]], ["a", None], [1.0], 2 ** 64,
])
def test_render_value_refuses_what_the_syntax_cannot_carry(value):
    with pytest.raises(lc.LibvirtConfValueError) as raised:
        lc.render_value(value)
    assert "both" not in str(raised.value).replace("both \"", "")


@pytest.mark.parametrize("key, ok", [("user", True), ("cgroup_device_acl", True), ("vnc_tls", True),
                                     ("Bad Key", False), ("1x", False), ("a-b", False), ("a\nb", False), ("", False),
                                     (1, False)])
def test_check_key(key, ok):
    if ok:
        assert lc.check_key(key) == key
    else:
        with pytest.raises(lc.LibvirtConfValueError):
            lc.check_key(key)


def test_render_setting():
    assert lc.render_setting("security_driver", "none") == 'security_driver = "none"'


SCALARS = st.one_of(st.booleans(), st.integers(-(2 ** 63), 2 ** 63 - 1), st.text(PRINTABLE, max_size=20))


@settings(**PROFILE)
@given(value=st.one_of(SCALARS, st.lists(SCALARS, max_size=5), st.floats(), st.none(),
                       st.dictionaries(st.text(max_size=3), SCALARS, max_size=2), st.text(max_size=10)))
def test_render_value_round_trips_or_refuses(value):
    try:
        text = lc.render_value(value)
    except lc.LibvirtConfValueError:
        return
    assert read_value(text) == expected(value)


# apply_settings: qemu.conf edited in one pass, as one lineinfile per key did.
QEMU_CONF = """# Master configuration file for the QEMU driver.
#
#log_timestamp = 0
#stdio_handler = "logd"
#migration_port_min = 49152
vnc_listen = "0.0.0.0"
"""


def test_apply_settings_replaces_the_commented_example_in_place():
    text = lc.apply_settings(QEMU_CONF, {"log_timestamp": True, "stdio_handler": "file"})
    assert text.splitlines()[2:4] == ["log_timestamp = 1", 'stdio_handler = "file"']
    assert text.count("\n") == QEMU_CONF.count("\n")


def test_apply_settings_appends_an_unknown_key_with_a_line_break_before_it():
    assert lc.apply_settings("a = 1", {"namespaces": ["mount"]}) == 'a = 1\nnamespaces = [ "mount" ]\n'
    assert lc.apply_settings("", {"b": 2}) == "b = 2\n"


def test_apply_settings_null_removes_the_setting_and_keeps_the_example():
    text = lc.apply_settings(QEMU_CONF + "log_timestamp = 1\n  log_timestamp=0\n", {"log_timestamp": None})
    assert "#log_timestamp = 0\n" in text
    assert "log_timestamp = 1" not in text and "log_timestamp=0" not in text


def test_apply_settings_changes_the_last_match_only():
    text = lc.apply_settings(QEMU_CONF + "migration_port_min = 1\n", {"migration_port_min": 49152})
    assert "#migration_port_min = 49152\n" in text
    assert text.endswith("migration_port_min = 49152\n")


def test_apply_settings_is_idempotent_and_leaves_similar_names_alone():
    settings = {"log_timestamp": False, "vnc": "x", "migration_port_min": 5, "gone": None}
    once = lc.apply_settings(QEMU_CONF, settings)
    assert lc.apply_settings(once, settings) == once
    assert 'vnc_listen = "0.0.0.0"' in once and 'vnc = "x"' in once


def test_apply_settings_refuses_a_bad_name_or_value():
    with pytest.raises(lc.LibvirtConfValueError):
        lc.apply_settings(QEMU_CONF, {"bad name": 1})
    with pytest.raises(lc.LibvirtConfValueError):
        lc.apply_settings(QEMU_CONF, {"log_timestamp": 1.5})
