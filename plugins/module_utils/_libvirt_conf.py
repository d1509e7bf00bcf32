# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt's configuration file syntax (qemu.conf, libvirtd.conf, ...).

Pure: value in, text out.  libvirt reads these files with its own parser
(src/util/virconf.c), not INI and not JSON:

- ``name = value``; a name starts with a letter, then letters, digits, ``_``;
- a value is an integer (optional sign, digits), a string in double quotes or
  in single quotes, or a list ``[ value, value ]`` of those;
- strings have NO escape sequences: a string ends at the next quote of its
  kind and may not span lines, so a string holding both quote kinds, a line
  break or NUL cannot be written;
- ``#`` starts a comment outside strings.

Booleans are integers (``1``/``0``) in libvirt's files.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# virconf ends a string at \n or \r; str.splitlines() breaks at more: refuse all.
_BAD_CHARS = frozenset("\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029\x00")
_LONG_MIN, _LONG_MAX = -(2 ** 63), 2 ** 63 - 1


class LibvirtConfValueError(ValueError):
    """A value or name libvirt's config syntax cannot carry; never shows the value."""


def check_key(key):
    """Return ``key`` when it is a valid name, else raise LibvirtConfValueError."""
    if not isinstance(key, str) or not _NAME.match(key):
        raise LibvirtConfValueError("is not a valid name (a letter, then letters, digits and _)")
    return key


def _scalar(value, in_list=False):
    where = "a list item" if in_list else "the value"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        if not _LONG_MIN <= value <= _LONG_MAX:
            raise LibvirtConfValueError("%s is an integer outside the 64-bit range libvirt reads" % where)
        return str(value)
    if isinstance(value, str):
        if any(char in _BAD_CHARS for char in value):
            raise LibvirtConfValueError("%s contains a line break or NUL, which libvirt's config syntax cannot carry"
                                        % where)
        if "\"" not in value:
            return "\"%s\"" % value
        if "'" not in value:
            return "'%s'" % value
        raise LibvirtConfValueError("%s contains both \" and ': libvirt's strings have no escape sequences" % where)
    if value is None:
        raise LibvirtConfValueError("%s is null: leave the key out instead" % where)
    if isinstance(value, float):
        raise LibvirtConfValueError("%s is a floating point number: libvirt's config syntax has only integers"
                                    % where)
    if isinstance(value, (list, tuple)):
        raise LibvirtConfValueError("%s is a nested list, which libvirt's config syntax cannot carry" % where)
    raise LibvirtConfValueError("%s is a %s: use a string, an integer, a boolean or a list of those"
                                % (where, type(value).__name__))


def render_value(value):
    """``value`` in libvirt's config syntax.

    bool -> ``1``/``0``, int -> digits, str -> ``"..."`` (``'...'`` when it
    holds ``"``), list of str/int/bool -> ``[ "a", 1 ]``.  Raises
    LibvirtConfValueError for what the syntax cannot carry.
    """
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[ %s ]" % ", ".join(_scalar(item, in_list=True) for item in value)
    return _scalar(value)


def render_setting(key, value):
    """``key = value`` for one line of a libvirt config file."""
    return "%s = %s" % (check_key(key), render_value(value))


def _setting_line(key):
    """A line that sets ``key``, or its commented-out example (``#key = ...``)."""
    return re.compile(r"^#?\s*%s\s*=" % re.escape(key))


def _active_line(key):
    return re.compile(r"^\s*%s\s*=" % re.escape(key))


def apply_settings(text, settings):
    """``text`` (a libvirt config file) with ``settings`` applied, in one pass.

    For each ``key: value`` in order: a null value removes every line that
    sets ``key`` (its commented example stays); any other value replaces the
    last line that sets ``key`` or is its commented example with
    ``key = value``, or is appended when there is none. This is what one
    ``lineinfile`` per key did, so a file the role wrote before reads the
    same; applying the same settings twice changes nothing.
    """
    lines = text.splitlines(keepends=True)
    for key, value in (settings or {}).items():
        check_key(key)
        if value is None:
            pattern = _active_line(key)
            lines = [line for line in lines if not pattern.match(line)]
            continue
        new = render_setting(key, value) + "\n"
        pattern = _setting_line(key)
        matches = [index for index, line in enumerate(lines) if pattern.match(line)]
        if matches:
            lines[matches[-1]] = new
        else:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            lines.append(new)
    return "".join(lines)
