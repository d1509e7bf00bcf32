"""Property tests for plugins/module_utils/_virsh.py: quoting for virsh's own
command-string tokenizer, the batch markers, ``domiflist`` tables rendered
the way virsh renders them, ``list --name`` and ``chunk``.

The references here are small readers of what virsh does (libvirt 9.0,
tools/vsh.c and tools/vsh-table.c), checked against the captures in
tests/unit/fixtures/virsh/ where a capture exists.
"""

import os

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.novaops.compute.plugins.module_utils._virsh import (
    COLUMNS,
    KEYS,
    build_batch,
    chunk,
    marker,
    parse_domiflist,
    parse_name_list,
    port_id_prefix,
    quote,
    split_batch,
)

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "100"))
PROFILE = dict(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LARGE = dict(PROFILE, max_examples=max(10, EXAMPLES // 4))  # inputs that take long to draw
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "virsh")
ASCII_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7e)
# what a C string (argv, a command string) can hold: anything but NUL
ARG_CHARS = st.characters(blacklist_characters="\0", blacklist_categories=("Cs",))
TOKENS = st.from_regex(r"[0-9A-Za-z]{1,32}", fullmatch=True)


def stdout(name):
    with open(os.path.join(FIXTURES, name + ".txt"), encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------------------
# virsh's command-string tokenizer (vshCommandStringGetArg + vshCommandParse)
# ---------------------------------------------------------------------------

def virsh_commands(cmdstr):
    """The commands (argv lists) virsh runs for ``virsh -c URI 'CMDSTR'``.

    Blanks (space, tab) separate arguments, ``;`` and newline separate
    commands, ``#`` at the start of an argument comments to the end of the
    line.  Inside single quotes every character is literal (a backslash
    too); outside them a backslash escapes the next character (and a
    backslash-newline disappears), double quotes group.
    """
    commands, argv = [], []
    pos, end = 0, len(cmdstr)
    while True:
        while pos < end and (cmdstr[pos] in " \t" or cmdstr.startswith("\\\n", pos)):
            pos += 2 if cmdstr[pos] == "\\" else 1
        if pos >= end:
            break
        if cmdstr[pos] in ";\n":
            commands.append(argv)
            argv = []
            pos += 1
            continue
        if cmdstr[pos] == "#":
            newline = cmdstr.find("\n", pos)
            pos = end if newline < 0 else newline + 1
            commands.append(argv)
            argv = []
            continue
        single = double = False
        token = []
        while pos < end:
            ch = cmdstr[pos]
            if not single and not double and ch in " \t;\n":
                break
            if not double and ch == "'":
                single = not single
                pos += 1
                continue
            if not single and ch == "\\":
                pos += 1
                if pos >= end:
                    raise ValueError("dangling \\")
                if cmdstr[pos] == "\n":
                    pos += 1
                    continue
            elif not single and ch == '"':
                double = not double
                pos += 1
                continue
            token.append(cmdstr[pos])
            pos += 1
        if double:
            raise ValueError('missing "')
        argv.append("".join(token))
    commands.append(argv)
    return [argv for argv in commands if argv]


@pytest.mark.parametrize(
    "cmdstr, commands",
    [
        ("list --name", [["list", "--name"]]),
        ("a 'b c' ; d", [["a", "b c"], ["d"]]),
        ("a 'o'\\''q'", [["a", "o'q"]]),
        ("a \"x y\" b\\ c", [["a", "x y", "b c"]]),
        ("a '\\n;#' # comment\nb", [["a", "\\n;#"], ["b"]]),
        ("a ''", [["a", ""]]),
    ],
)
def test_the_tokenizer_reader(cmdstr, commands):
    """The reader itself, on what vsh.c documents."""
    assert virsh_commands(cmdstr) == commands


def test_the_tokenizer_reader_reads_the_captured_batch():
    """The batch command string of a capture reads back as the commands it was built from."""
    names = parse_name_list(stdout("list-all-name"))
    commands = [["domiflist", "--domain", n] for n in names]
    read = virsh_commands(build_batch(commands, "fixture0"))
    assert read[1::2] == commands
    assert read[0::2] == [["echo", marker("fixture0", i)] for i in range(len(names))] + [
        ["echo", marker("fixture0", "end")]]


@settings(**PROFILE)
@given(arg=st.text(ARG_CHARS, max_size=40))
@example(arg="'")
@example(arg="'\\''")
@example(arg="#x")
@example(arg="\\\n")
@example(arg=" ; \"")
def test_quote_round_trips_any_argument(arg):
    """Any argument without NUL (printable or not, unicode) reads back as itself, alone."""
    assert virsh_commands("cmd " + quote(arg)) == [["cmd", arg]]


@settings(**PROFILE)
@given(argv=st.lists(st.text(ARG_CHARS, max_size=12), min_size=1, max_size=6))
def test_quoted_arguments_stay_apart(argv):
    """Quoted arguments joined by a space are read as exactly those arguments."""
    assert virsh_commands(" ".join(quote(a) for a in argv)) == [argv]


COMMANDS = st.lists(st.lists(st.text(ARG_CHARS, max_size=10), min_size=1, max_size=4), min_size=1, max_size=5)


@settings(**PROFILE)
@given(commands=COMMANDS, token=TOKENS)
def test_build_batch_is_read_as_the_commands_between_markers(commands, token):
    """virsh reads a batch as echo marker, command, echo marker, ..., echo end marker."""
    expected = []
    for index, argv in enumerate(commands):
        expected += [["echo", marker(token, index)], argv]
    expected.append(["echo", marker(token, "end")])
    assert virsh_commands(build_batch(commands, token)) == expected


# A command's stdout: nothing, or text ending in a newline (what virsh's
# commands print); any character, line separators of every kind included.
OUTPUTS = st.one_of(st.just(""), st.text(st.characters(blacklist_categories=("Cs",))).map(lambda t: t + "\n"))


def run_batch(cmdstr, outputs):
    """What virsh prints for a batch: echo prints its arguments, other commands ``outputs`` in turn."""
    printed, todo = [], list(outputs)
    for argv in virsh_commands(cmdstr):
        printed.append(" ".join(argv[1:]) + "\n" if argv[0] == "echo" else todo.pop(0))
    return "".join(printed)


@settings(**PROFILE)
@given(outputs=st.lists(OUTPUTS, min_size=1, max_size=5), token=TOKENS)
@example(outputs=["a\r\n", "\x85\n", "\u2028\n", ""], token="t0")
def test_split_batch_returns_every_output(outputs, token):
    """split_batch cuts what the batch printed back into each command's output."""
    assume(not any("@@novaops:" + token in out for out in outputs))
    commands = [["domiflist", "--domain", "d%d" % i] for i in range(len(outputs))]
    text = run_batch(build_batch(commands, token), outputs)
    assert split_batch(text, token, len(outputs)) == outputs


# ---------------------------------------------------------------------------
# domiflist tables as vsh-table.c prints them
# ---------------------------------------------------------------------------

def render_domiflist(rows):
    """``virsh domiflist`` stdout for ``rows`` (dicts of KEYS, None printed as ``-``).

    vshTablePrint: every cell is a space then the text, padded to the
    column's widest cell plus 2 (the last cell is not padded); under the
    header a rule of sum(width + 3) dashes; a blank line after the table.
    """
    cells = [list(COLUMNS)] + [["-" if row[k] is None else row[k] for k in KEYS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]

    def line(values):
        out = ""
        for i, value in enumerate(values):
            out += " " + value
            if i != len(values) - 1:
                out += " " * (widths[i] - len(value) + 2)
        return out + "\n"

    rule = "-" * sum(w + 3 for w in widths) + "\n"
    return line(cells[0]) + rule + "".join(line(c) for c in cells[1:]) + "\n"


def iface(interface, type_, source, model, mac):
    row = dict(zip(KEYS, (interface, type_, source, model, mac)))
    row["port_id_prefix"] = port_id_prefix(interface)
    return row


@pytest.mark.parametrize(
    "fixture",
    ["domiflist-multi", "domiflist-multi-inactive", "domiflist-noif", "domiflist-spaced-name",
     "domiflist-shutoff", "domiflist-quote-name", "domiflist-unicode-name"],
)
def test_the_renderer_prints_what_virsh_printed(fixture):
    """The renderer reproduces each captured table byte for byte."""
    text = stdout(fixture)
    assert render_domiflist(parse_domiflist(text)) == text


_NAME = st.from_regex(r"[A-Za-z0-9_.:-]{1,15}", fullmatch=True).filter(lambda n: n != "-")
_PORT_DEVICE = st.builds(lambda kind, port: kind + port, st.sampled_from(["tap", "vhu"]),
                         st.from_regex(r"[0-9a-f]{8}-[0-9a-f]{2}", fullmatch=True))
# a source: a network or bridge name, a socket path; spaces inside (never at
# the edges: virsh's cell has no way to show them), C-locale escapes as text
_SOURCE = st.text(ASCII_PRINTABLE, min_size=1, max_size=40).map(str.strip).filter(lambda s: s not in ("", "-"))
_MAC = st.builds(lambda b: "52:54:00:%02x:%02x:%02x" % tuple(b),
                 st.lists(st.integers(0, 255), min_size=3, max_size=3))
ROWS = st.lists(st.builds(
    iface,
    st.one_of(st.none(), _PORT_DEVICE, _NAME),
    st.sampled_from(["ethernet", "bridge", "network", "direct", "user", "vhostuser", "hostdev", "mcast", "udp",
                     "vdpa", "null"]),
    st.one_of(st.none(), _SOURCE),
    st.one_of(st.none(), st.sampled_from(["virtio", "e1000", "e1000e", "rtl8139", "virtio-transitional"]),
              _NAME),
    _MAC,
), max_size=8)


@settings(**dict(PROFILE, max_examples=max(10, EXAMPLES // 2)))
@given(rows=ROWS)
def test_parse_domiflist_returns_the_rows_virsh_printed(rows):
    """Whatever the cells (spaces inside a source, widths of any size), the parse is the rows."""
    assert parse_domiflist(render_domiflist(rows)) == rows


@settings(**LARGE)
@given(rows=ROWS, token=TOKENS)
def test_domiflist_tables_survive_a_batch(rows, token):
    """Several tables printed in one batch come back each whole."""
    tables = [render_domiflist(rows), render_domiflist(rows[::-1]), render_domiflist([])]
    commands = [["domiflist", "--domain", str(i)] for i in range(len(tables))]
    pieces = split_batch(run_batch(build_batch(commands, token), tables), token, len(tables))
    assert [parse_domiflist(p) for p in pieces] == [rows, rows[::-1], []]


# ---------------------------------------------------------------------------
# list --name
# ---------------------------------------------------------------------------

# libvirt refuses a newline in a domain name; anything else goes
DOMAIN_NAMES = st.text(st.characters(blacklist_characters="\n\0", blacklist_categories=("Cs",)), min_size=1,
                       max_size=20)


@settings(**PROFILE)
@given(names=st.lists(DOMAIN_NAMES, max_size=8))
@example(names=[" ", "a\rb", "\x85", "--dashes", "o'q;\"s"])
def test_parse_name_list_returns_every_name(names):
    """``virsh list --name`` (a name a line, then a blank line) gives the names, in order."""
    text = "".join(n + "\n" for n in names) + "\n"
    assert parse_name_list(text) == names


# ---------------------------------------------------------------------------
# chunk
# ---------------------------------------------------------------------------

@settings(**PROFILE)
@given(items=st.lists(st.text(max_size=30), max_size=40), max_chars=st.integers(0, 100),
       extra=st.integers(0, 20))
def test_chunk_keeps_every_item_in_order_under_the_bound(items, max_chars, extra):
    """Every item is kept, in order; a chunk stays within max_chars unless it is a
    single item heavier than that; a chunk is only closed when the next item
    would not fit (no needless cuts)."""

    def weight(item):
        return len(item) + extra

    chunks = chunk(items, max_chars=max_chars, weight=weight)
    assert [item for c in chunks for item in c] == items
    assert all(c for c in chunks)
    for index, c in enumerate(chunks):
        total = sum(weight(item) for item in c)
        assert total <= max_chars or len(c) == 1
        if index + 1 < len(chunks):
            assert total + weight(chunks[index + 1][0]) > max_chars
