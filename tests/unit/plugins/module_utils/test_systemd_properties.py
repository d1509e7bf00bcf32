"""Property tests for plugins/module_utils/_systemd.py: ``systemctl show``
blocks generated the way systemctl prints them, and unit names."""

import os
import string

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils import _systemd as systemd
from health_captures import stdout

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
PROFILE = dict(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# unit names: systemd's allowed characters, a known suffix
UNIT_IDS = st.builds(lambda name, suffix: name + suffix,
                     st.text(st.sampled_from(string.ascii_letters + string.digits + ":_.\\@-"), min_size=1,
                             max_size=20),
                     st.sampled_from([".service", ".socket", ".target", ".timer", ".mount"]))
PROPERTY_NAMES = st.builds(lambda first, rest: first + rest, st.sampled_from(string.ascii_uppercase),
                           st.text(st.sampled_from(string.ascii_letters), max_size=20)).filter(lambda k: k != "Id")
# systemctl show prints a string property as it is unless it holds a newline
# (then "[unprintable]"); these values keep to printable text, '=' included
VALUES = st.text(st.one_of(st.sampled_from("= "), st.characters(blacklist_categories=("C", "Z"))),
                 max_size=30)


def render_show(units):
    """``systemctl show`` for several units: Key=Value lines, a blank line between blocks."""
    return "\n".join("".join("%s=%s\n" % kv for kv in props.items()) for props in units)


@st.composite
def show_blocks(draw, values=VALUES):
    ids = draw(st.lists(UNIT_IDS, min_size=1, max_size=4, unique=True))
    units = []
    for unit_id in ids:
        props = draw(st.dictionaries(PROPERTY_NAMES, values, max_size=6))
        items = list(props.items())
        at = draw(st.integers(0, len(items)))  # Id anywhere in its block
        units.append(dict(items[:at] + [("Id", unit_id)] + items[at:]))
    return units


def test_the_renderer_prints_what_systemctl_printed():
    """The renderer reproduces a captured ``systemctl show`` byte for byte."""
    text = stdout("bed", "systemctl-show-auto")
    units = systemd.parse_systemctl_show(text)
    assert render_show(units.values()) == text


@settings(**PROFILE)
@given(units=show_blocks())
@example(units=[{"Id": "a.service", "ExecStart": "{ path=/bin/x ; argv[]=/bin/x --a=b ; }", "Empty": ""}])
@example(units=[{"Id": "a.service", "Description": " = "}, {"Id": "b.socket"}])
def test_parse_systemctl_show_recovers_every_block(units):
    """Every unit's block comes back under its Id, values with '=' (or empty) intact."""
    assert systemd.parse_systemctl_show(render_show(units)) == {u["Id"]: u for u in units}


@settings(**PROFILE)
@given(units=show_blocks(values=st.text(st.one_of(st.sampled_from("\r\x0b\x0c\x1c\x85\u2028"),
                                                  st.characters(blacklist_characters="\n",
                                                                blacklist_categories=("Cs",))),
                                        max_size=12)))
@example(units=[{"Id": "a.service", "Description": "a\rb"}])
def test_parse_systemctl_show_keeps_control_characters_of_a_value(units):
    """Any value systemctl prints on its line (all but \\n) comes back intact."""
    assert systemd.parse_systemctl_show(render_show(units)) == {u["Id"]: u for u in units}


@settings(**PROFILE)
@given(name=st.one_of(UNIT_IDS, st.text(max_size=30)))
@example(name="nova-compute")
@example(name="libvirtd.socket")
@example(name="a.service.service")
def test_unit_name_is_idempotent(name):
    """unit_name(unit_name(x)) == unit_name(x); a name with a unit suffix is kept as it is."""
    once = systemd.unit_name(name)
    assert systemd.unit_name(once) == once
    assert once in (name, name + ".service")
