"""Untrusted target data in reports: escaped, never structure; oversize values truncated.

A check reports what a hostile target could send back (a header, a banner, a
certificate field, file contents): Markdown table syntax, HTML, ANSI escapes and
a 100,000-character value, in its message, evidence and finding. The Markdown
tables keep their columns, the HTML parses to the same structure with no new
element, the terminal shows no escape sequence, and no report carries the whole
oversize value.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out

HOSTILE = ("evil | injected | cells\n| new | row |\n`code` **bold** [x](http://e.example) "
           "<script>alert(1)</script><img src=x onerror=alert(2)> "
           "\x1b[31mRED\x1b[0m \x1b]0;title\x07")
HUGE = "A" * 100_000

CHECK = f'''
import pytest

pytestmark = pytest.mark.readiness(section="Hostile", category="security", severity="high")

HOSTILE = {HOSTILE!r}
HUGE = {HUGE[:10]!r} * 10_000

@pytest.mark.readiness(id="hostile.banner", fix="nothing | to <b>do</b>")
def test_banner(readiness):
    """A target answers with a hostile banner."""
    readiness.evidence(banner=HOSTILE, huge=HUGE)
    readiness.finding("hostile.rule", HOSTILE, file="a|b<c>.conf", line=3, snippet=HOSTILE)
    assert False, HOSTILE + HUGE
'''


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img" or any(name.startswith("on") for name, _ in attrs):
            raise AssertionError(f"injected element or handler: <{tag} {attrs}>")


def _tables(markdown: str) -> list[list[int]]:
    """Cell counts of the rows of each Markdown table (runs of lines starting with '|')."""
    tables: list[list[int]] = []
    inside = False
    for line in markdown.splitlines():
        if line.startswith("|"):
            if not inside:
                tables.append([])
            tables[-1].append(len(re.split(r"(?<!\\)\|", line.strip())[1:-1]))
        inside = line.startswith("|")
    return tables


@pytest.fixture
def hostile_run(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", readiness="system: hostile\nchecks: [checks]\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_hostile.py").write_text(CHECK, encoding="utf-8")
    pytester.runpytest("--readiness", "--readiness-suite", "hostile", "-p", "no:cacheprovider",
                       "--readiness-json", "out.json", "--readiness-report", "out.md",
                       "--readiness-html", "out.html", "--readiness-sarif", "out.sarif")
    return pytester


def test_markdown_tables_keep_their_columns(hostile_run: pytest.Pytester) -> None:
    markdown = (hostile_run.path / "out.md").read_text(encoding="utf-8")
    assert "hostile.banner" in markdown
    tables = _tables(markdown)
    assert len(tables) >= 2
    # Every row of a table has as many cells as its header.
    for table in tables:
        assert len(set(table)) == 1, f"a table lost its shape: {table}"
    assert "<script>" not in markdown and "\x1b" not in markdown
    assert HUGE not in markdown and len(markdown) < 60_000


def test_html_has_no_injected_element_and_is_bounded(hostile_run: pytest.Pytester) -> None:
    html = (hostile_run.path / "out.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert parser.tags.count("script") <= 1  # the report's own (filters), nothing else
    assert "\x1b" not in html and HUGE not in html


def test_terminal_and_record(hostile_run: pytest.Pytester) -> None:
    record = json.loads((hostile_run.path / "out.json").read_text(encoding="utf-8"))
    (check,) = record["checks"]
    assert check["outcome"] == "fail"
    assert len(check["message"]) <= 400  # one line, cut: the record is not a dump
    sarif = json.loads((hostile_run.path / "out.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"], "the finding is in SARIF"


def test_terminal_shows_no_escape_sequences(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness="system: hostile\nchecks: [checks]\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_hostile.py").write_text(CHECK, encoding="utf-8")
    result = pytester.runpytest_subprocess("--readiness", "--readiness-suite", "hostile",
                                           "-p", "no:cacheprovider", "-vv", "--color=no")
    out = result.stdout.str()
    assert "hostile.banner" in out
    assert "\x1b]0;" not in out and "\x1b[31m" not in out
    assert HUGE not in out
