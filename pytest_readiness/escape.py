"""One escaper per output: untrusted text made inert for a terminal, Markdown, HTML or a
shell. Pure.

Everything an audit shows may come from what it audits: file names, banners, headers,
certificate fields, error bodies. Each renderer passes every such value through the
escaper of its output, in one place (docs/safety.md lists them):

- :func:`terminal`: control characters (ANSI escapes, BEL, carriage returns, bidirectional
  overrides) shown as ``\\x1b`` / ``\\u202e``, so no value recolours, retitles or rewrites
  the terminal of whoever reads the output, ``-q`` included;
- :func:`markdown` and :func:`markdown_code`: one line, inert (no heading, list, table cell,
  emphasis, link or HTML), so a value can neither start a line nor forge a verdict;
- :func:`html`: ``html.escape`` with quotes, after :func:`terminal`;
- :func:`shell_word` and :func:`shell_command`: ``shlex.quote`` for every word, after
  :func:`glob_literal` for values a selector matches as a glob.
"""

from __future__ import annotations

import html as _html
import re
import shlex
from collections.abc import Iterable
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and the invisible characters that
# reorder or hide text (bidirectional overrides and isolates, zero-width characters).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069"
                      "\ufeff]")
_LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _shown(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: Any) -> str:
    """Control and invisible characters shown (``\\x1b``); newlines and tabs kept."""
    return _CONTROL.sub(lambda m: _shown(m.group(0)), str(text).replace("\r\n", "\n"))


def terminal_line(text: Any) -> str:
    """:func:`terminal` for text that must stay one line: line breaks shown too (``\\x0a``)."""
    return terminal(text).replace("\n", "\\x0a").replace("\t", " ")


def one_line(text: Any) -> str:
    """Every line break and run of white space one space, then :func:`terminal`."""
    return terminal(" ".join(str(text).split()))


def cut(text: str, limit: int) -> str:
    """``text`` cut at ``limit`` characters, saying how much was left out."""
    return text if len(text) <= limit else text[: limit - 1] + f"… (+{len(text) - limit} chars)"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")
# What starts a block only at the start of a line (a list item, a thematic break, a setext
# underline): escaped where a value starts, since a value may start a list item's text.
_MD_LINE_START = re.compile(r"^(?:(\d{1,9})([.)])|[-=])")


def markdown(text: Any, limit: int | None = None) -> str:
    """One line of inert Markdown: every character with a meaning is backslash-escaped
    (emphasis, headings, lists, tables, links, HTML), so a value cannot start a line, end a
    table cell or forge report content."""
    flat = one_line(text)
    escaped = _MD_SPECIAL.sub(r"\\\1", cut(flat, limit) if limit else flat)
    return _MD_LINE_START.sub(
        lambda m: f"{m[1]}\\{m[2]}" if m[1] else "\\" + m[0], escaped, count=1)


def markdown_code(text: Any) -> str:
    """An inline code span holding ``text`` on one line: fenced with one more backtick than
    the longest run inside (CommonMark), so nothing in it can end the span."""
    flat = one_line(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def html(text: Any) -> str:
    """Text for HTML content or a quoted attribute: controls shown, ``<>&"'`` escaped."""
    return _html.escape(terminal(text), quote=True)


_GLOB = re.compile(r"([*?\[])")


def glob_literal(text: str) -> str:
    """``text`` as an fnmatch pattern matching itself: ``*``, ``?`` and ``[`` bracketed;
    a character a command line cannot carry (a control or a line break) becomes ``?``."""
    text = _GLOB.sub(r"[\1]", text)
    return _LINE_BREAKS.sub("?", _CONTROL.sub("?", text))


def shell_word(word: str, always: bool = False) -> str:
    """One word of a POSIX shell command: single-quoted (``shlex.quote``) unless it is plain,
    or always with ``always`` (a selector reads the same whatever it holds)."""
    quoted = shlex.quote(word)
    return "'" + word.replace("'", "'\"'\"'") + "'" if always and quoted == word else quoted


def shell_command(words: Iterable[str]) -> str:
    """A command line that runs ``words`` exactly when pasted into a POSIX shell."""
    return " ".join(shell_word(w) for w in words)
