# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""debconf: what ``debconf-show PACKAGE`` prints, as data."""

from __future__ import annotations

import re

# "* nova/configure_db: false" (asked, '*') or "  nova/region-name: " (never asked)
_LINE = re.compile(r"^[* ] (?P<question>[^:\s][^:]*):(?: (?P<value>.*))?$")


def parse_debconf_show(text):
    """``debconf-show`` output -> ``{question: value}`` (values as debconf stores them, strings).

    A line that is not ``question: value`` (a warning on stderr mixed in, say)
    is ignored: a question the text does not carry is simply absent.
    """
    answers = {}
    for line in (text or "").splitlines():
        match = _LINE.match(line.rstrip("\n"))
        if match:
            answers[match.group("question")] = (match.group("value") or "").strip()
    return answers
