# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oslo.config's INI format (nova.conf): reading, writing and masking it.

Pure: text in, data out.  The one parser and the one writer of nova.conf in
the collection.  They follow oslo_config/iniparser.py: ``#`` and ``;`` start
comment lines only (never inline), an indented line continues the previous
value, a key ends at the first ``=`` or ``:``, a value is stripped and loses
one pair of matching surrounding quotes.
"""

from __future__ import annotations

from ansible_collections.novaops.compute.plugins.module_utils._urls import (
    MASK,
    mask_database_url,
    mask_transport_url,
)

# Every character str.splitlines() breaks a line at (\n \v \f \r \x1c \x1d
# \x1e \x85 \u2028 \u2029), and NUL: none of them may reach a config file.
LINE_BREAKS = frozenset("\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029\x00")

# Secret options whose value is a URL: masked so a diff still shows hosts.
TRANSPORT_URL_OPTIONS = ("transport_url",)
DATABASE_URL_OPTIONS = ("connection", "slave_connection")


class IniValueError(ValueError):
    """A value nova.conf cannot carry; names ``[section] option``, never the value."""


def has_line_break(text):
    """True when ``text`` holds a line break (as str.splitlines() sees one) or NUL."""
    return any(char in LINE_BREAKS for char in str(text))


def _split_key_value(line):
    """oslo.config's BaseParser._split_key_value: (key, value) or None."""
    colon = line.find(":")
    equal = line.find("=")
    if colon < 0 and equal < 0:
        return None
    if colon < 0 or 0 <= equal < colon:
        key, value = line[:equal], line[equal + 1:]
    else:
        key, value = line[:colon], line[colon + 1:]
    value = value.strip()
    if value and value[0] == value[-1] and value.startswith(("\"", "'")):
        value = value[1:-1]
    return key.strip(), value


def parse_ini(text):
    """Parse an oslo.config INI file into ``{section: {option: value}}``.

    Like oslo.config: ``#`` and ``;`` start comment lines only (never inline),
    an indented line continues the previous value (joined with a newline), a
    blank line ends it, a key ends at the first ``=`` or ``:``, values are
    stripped and lose one pair of matching surrounding quotes, the last of
    repeated options wins.  Option names are lowercased and ``[DEFAULT]``
    keeps its spelling.  Lines outside any section are ignored.
    """
    sections = {}
    current = None
    last = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line:
            last = None
            continue
        if line[:1] in (" ", "\t"):
            if last is not None and current is not None:
                current[last] = (current[last] + "\n" + line.lstrip()).strip()
            continue
        last = None
        if line.startswith("["):
            if line.endswith("]") and len(line) > 2:
                current = sections.setdefault(line[1:-1].strip(), {})
            continue
        if line.startswith(("#", ";")):
            continue
        pair = _split_key_value(line)
        if pair is None or not pair[0] or current is None:
            continue
        last = pair[0].lower()
        current[last] = pair[1]
    return sections


def conf_get(conf, section, option, default=None):
    value = conf.get(section, {}).get(option)
    return default if value in (None, "") else value


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------

def format_value(value):
    """A Python value as oslo.config reads it back (no checks).

    bool as true/false, lists joined with ``,``, dicts as ``k:v,k:v``.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return ",".join("%s:%s" % (k, format_value(v)) for k, v in value.items())
    return str(value)


def render_value(value, where="value"):
    """One value as written after ``option = ``; raises IniValueError naming ``where``.

    A value oslo.config would change on reading (leading or trailing
    blanks, or the same quote at both ends) is written between double
    quotes, which oslo.config removes.
    """
    if value is None:
        raise IniValueError("%s is null" % where)
    items = value if isinstance(value, (list, tuple)) else list(value.values()) if isinstance(value, dict) else []
    for item in items:
        if item is None or isinstance(item, (list, tuple, dict)):
            raise IniValueError("%s has a null or nested item, which nova.conf cannot carry" % where)
    if isinstance(value, dict) and any(has_line_break(k) for k in value):
        raise IniValueError("%s has a key with a line break or NUL, which would write new lines into nova.conf"
                            % where)
    text = format_value(value)
    if has_line_break(text):
        raise IniValueError("%s contains a line break or NUL, which would write new lines into nova.conf" % where)
    if text != text.strip() or (text and text[0] == text[-1] and text[0] in "\"'"):
        text = "\"%s\"" % text
    return text


def _check_name(kind, name, where):
    text = str(name)
    if has_line_break(text):
        raise IniValueError("%s: the %s name contains a line break or NUL" % (where, kind))
    if not text or text != text.strip():
        raise IniValueError("%s: the %s name is empty or has leading or trailing blanks" % (where, kind))
    if kind == "section" and ("]" in text or "[" in text):
        raise IniValueError("%s: a section name cannot contain [ or ]" % where)
    if kind == "option" and ("=" in text or ":" in text or text[0] in "#;["):
        raise IniValueError("%s: an option name cannot contain = or : or start with # ; [" % where)
    return text


def render_ini(mapping, header=""):
    """nova.conf text from ``{section: {option: value}}``.

    None values and sections whose options are all None are left out.
    ``header`` (comment lines) is written first.  Raises IniValueError,
    naming ``[section] option`` and never the value, for a name or value
    with a line break (any character str.splitlines() breaks at) or NUL.
    """
    out = []
    if header:
        out.append(header if header.endswith("\n") else header + "\n")
    for section, options in (mapping or {}).items():
        if options is None:
            continue
        if not isinstance(options, dict):
            raise IniValueError("[%s] must map option names to values" % _check_name("section", section, "a section"))
        present = [(option, value) for option, value in options.items() if value is not None]
        if not present:
            continue
        name = _check_name("section", section, "a section")
        lines = ["", "[%s]" % name]
        for option, value in present:
            option = _check_name("option", option, "[%s]" % name)
            lines.append("%s = %s" % (option, render_value(value, "[%s] %s" % (name, option))))
        out.append("\n".join(lines) + "\n")
    return "".join(out)


# --------------------------------------------------------------------------
# masking
# --------------------------------------------------------------------------

def _mask_value(option, value):
    if option in TRANSPORT_URL_OPTIONS:
        return mask_transport_url(value)
    if option in DATABASE_URL_OPTIONS:
        return mask_database_url(value)
    return MASK


def mask_ini(text, is_secret):
    """Mask the value of every secret option in nova.conf text.

    ``is_secret(section, option) -> bool``.  Lines are read as oslo.config
    reads them (parse_ini); a secret's continuation lines are masked too.
    transport_url and connection keep their shape (only passwords hidden)
    so a diff still shows which host or user changed.  The number of lines
    does not change.
    """
    if text is None:
        return None
    out = []
    section = None
    secret = False
    for line in str(text).splitlines(True):
        body = line.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        end = line[len(body):]
        stripped = body.rstrip()
        if not stripped:
            secret = False
            out.append(line)
            continue
        if stripped[:1] in (" ", "\t"):
            out.append(body[:len(body) - len(body.lstrip())] + MASK + end if secret else line)
            continue
        secret = False
        if stripped.startswith("[") or stripped.startswith(("#", ";")):
            if stripped.startswith("[") and stripped.endswith("]"):
                section = stripped[1:-1].strip()
            out.append(line)
            continue
        pair = _split_key_value(stripped)
        if pair is None or not pair[0]:
            out.append(line)
            continue
        option = pair[0].lower()
        if not is_secret(section or "DEFAULT", option):
            out.append(line)
            continue
        secret = True
        separator = min(i for i in (stripped.find("="), stripped.find(":")) if i >= 0)
        head = stripped[:separator + 1]
        raw_value = stripped[separator + 1:]
        if pair[1] == "":
            out.append(line)
            continue
        spaces = raw_value[:len(raw_value) - len(raw_value.lstrip())]
        out.append(head + spaces + _mask_value(option, pair[1]) + end)
    return "".join(out)
