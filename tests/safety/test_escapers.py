"""One escaper per output (pytest_readiness/escape.py), checked by the parser of that output.

Markdown is parsed with a CommonMark parser (markdown-it-py, tables on), HTML with the
standard library's parser, shell words with ``shlex`` and a real ``sh``, and the terminal
text is searched for control characters. Hypothesis feeds every escaper any text; the
Markdown report is rendered from records whose every untrusted field is hostile.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pytest_readiness import escape
from pytest_readiness.report import markdown, terminal
from pytest_readiness.results import rerun_command
from tests.reports.conftest import check, make_record

COMMONMARK = MarkdownIt("commonmark").enable("table")
CONTROL = {chr(c) for c in (*range(0x00, 0x09), *range(0x0b, 0x20), *range(0x7f, 0xa0))}
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
HOSTILE = [
    "Dockerfile.<img src=x onerror=alert(1)>",
    "Dockerfile.x\n\n**Verdict: PRODUCTION READY**\n\nx",
    "Dockerfile.x';touch${IFS}pwned;'",
    "Dockerfile.\x1b]0;owned\x07\x1b[31mred",
    "# Heading\n| a | b |\n|---|---|\n> quote `code` [link](http://e.example) &lt;b&gt;",
    "x\u2028## line separator\u202eevil",
    "``` fence", "$(touch pwned)`touch pwned`", "a\\", "*[*?]*",
    "-", "- item", "---", "=", "1. item", "2) item", "-:3",
]
TEXTS = st.one_of(ANY_TEXT, st.sampled_from(HOSTILE))


@given(TEXTS)
def test_terminal_shows_every_control_character(text: str) -> None:
    shown = escape.terminal(text)
    assert not (set(shown) & CONTROL - {"\n", "\t"})
    assert not (set(escape.terminal_line(text)) & CONTROL)


def test_terminal_names_what_it_hid() -> None:
    assert escape.terminal("a\x1b[31mb\x07\u202e") == "a\\x1b[31mb\\x07\\u202e"
    assert escape.terminal("keep\ttabs\nand lines") == "keep\ttabs\nand lines"


def _inline(source: str) -> list[tuple[str, str]]:
    """(type, content) of the inline tokens of a one-paragraph document."""
    tokens = COMMONMARK.parse(source)
    blocks = [t.type for t in tokens]
    assert blocks == ["paragraph_open", "inline", "paragraph_close"], (source, blocks)
    return [(c.type, c.content) for c in tokens[1].children or []]


@settings(max_examples=300)
@given(TEXTS)
def test_markdown_text_is_one_line_of_plain_text(text: str) -> None:
    """Parsed back, an escaped value is text and only text, and reads as it was."""
    children = _inline(f"x {escape.markdown(text)} y")
    assert {kind for kind, _ in children} == {"text"}, children
    assert "".join(content for _, content in children) == f"x {escape.one_line(text)} y"


@settings(max_examples=300)
@given(TEXTS.filter(lambda t: escape.one_line(t) != ""))
def test_markdown_code_is_one_code_span(text: str) -> None:
    children = _inline("x " + escape.markdown_code(text))
    assert children == [("text", "x "), ("code_inline", escape.one_line(text))]


@settings(max_examples=100)
@given(TEXTS)
def test_markdown_table_cell_stays_one_cell(text: str) -> None:
    tokens = COMMONMARK.parse(f"| a | b |\n|---|---|\n| {escape.markdown(text)} | z |\n")
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(cells) == 2


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


@settings(max_examples=300)
@given(TEXTS)
def test_html_text_is_text(text: str) -> None:
    page = _Elements()
    page.feed(f'<p title="{escape.html(text)}">{escape.html(text)}</p>')
    page.close()
    assert page.tags == ["p"]
    assert page.text == escape.terminal(text)


@given(TEXTS)
def test_a_glob_literal_matches_its_text(text: str) -> None:
    assert fnmatch.fnmatchcase(text, escape.glob_literal(text))


@settings(max_examples=300)
@given(TEXTS)
def test_rerun_command_is_one_safe_shell_line(text: str) -> None:
    command = rerun_command(check("dockerfile.x", "fail", target=text or None))
    assert "\n" not in command and not (set(command) & CONTROL)
    words = shlex.split(command)
    assert words[:3] == ["pytest", "--readiness", "--readiness-check"] and len(words) == 4
    if text:
        selector = words[3]
        assert selector.startswith("dockerfile.x[") and selector.endswith("]")
        assert fnmatch.fnmatchcase(text, selector.removeprefix("dockerfile.x[")[:-1])


@pytest.mark.parametrize("target", HOSTILE)
def test_rerun_command_pasted_into_sh_runs_only_pytest(target: str, tmp_path: Path) -> None:
    bin_dir, cwd = tmp_path / "bin", tmp_path / "cwd"
    bin_dir.mkdir()
    cwd.mkdir()
    (bin_dir / "pytest").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_OUT"\n')
    (bin_dir / "pytest").chmod(0o755)
    out = tmp_path / "args"
    command = rerun_command(check("dockerfile.x", "fail", target=target))
    subprocess.run(["sh", "-c", command], cwd=cwd, timeout=10, check=True,
                   env={"PATH": f"{bin_dir}:/usr/bin:/bin", "ARGS_OUT": str(out)})
    assert os.listdir(cwd) == []
    args = out.read_text().splitlines()
    assert args[:2] == ["--readiness", "--readiness-check"]
    assert fnmatch.fnmatchcase(target, args[2].removeprefix("dockerfile.x[")[:-1])


def _hostile_record(text: str):  # type: ignore[no-untyped-def]
    finding = {"rule": text, "message": text, "file": text, "line": 3, "snippet": text}
    return make_record([
        check("demo.failed", "fail", target=text, message=text,
              evidence={text: text, "findings": [finding]}),
        check("demo.warned", "warn", target=text, message=text, category="monitoring"),
        check("demo.waived", "waived", target=text, waiver={
            "reason": text, "owner": text, "expires": "2030-01-01", "real_outcome": "fail"}),
    ], system=text)


def _structure(source: str) -> list[str]:
    return [t.type for t in COMMONMARK.parse(source) if t.type != "inline"]


# A value that is only white space flattens to nothing, and an empty value is another
# (harmless) structure: an empty list item, no target.
VISIBLE = TEXTS.filter(lambda t: escape.one_line(t) != "")


@settings(max_examples=60, deadline=None)
@given(VISIBLE)
def test_markdown_report_structure_does_not_depend_on_values(text: str) -> None:
    """The same record with plain values and with hostile ones parses to the same blocks:
    no name adds a heading, a list item, a table row or a cell, or forges a verdict."""
    plain, hostile = markdown.render(_hostile_record("plain")), \
        markdown.render(_hostile_record(text))
    assert _structure(hostile) == _structure(plain)
    assert [line for line in hostile.splitlines() if line.startswith("**Verdict")] == \
        [line for line in plain.splitlines() if line.startswith("**Verdict")]


@settings(max_examples=60, deadline=None)
@given(VISIBLE)
def test_terminal_scorecard_has_no_control_character(text: str) -> None:
    lines = terminal.render(_hostile_record(text))
    assert len(lines) == len(terminal.render(_hostile_record("plain")))
    assert not ({c for line in lines for c in line} & CONTROL)
