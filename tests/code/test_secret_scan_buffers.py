"""The secret patterns of the code rules (CODE_PATTERNS; the redaction-only rows are matched
by scrub, never line by line) run over whole buffers (issue 17.2) and find exactly what they
found line by line: each rule's literal anchors are in every match it can make, and the buffer
scan gives the same hits, in the same order, as matching every line did."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_readiness.plumbing import redact
from pytest_readiness.plumbing.redact import (
    CODE_PATTERNS,
    SecretPattern,
    is_placeholder,
    looks_real,
    pattern_hits,
)


def line_by_line(text: str, rules: Iterable[SecretPattern] = CODE_PATTERNS
                 ) -> Iterator[tuple[int, str, SecretPattern, str]]:
    """The scan as it was before buffers: every line of every text a rule matches."""
    rules = [rule for rule in rules if rule.pattern.search(text)]
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > 4000:
            line = line[:4000]
        for rule in rules:
            for match in rule.pattern.finditer(line):
                value = match.group(rule.group)
                if rule.generic and not looks_real(value):
                    continue
                if not rule.generic and is_placeholder(value[3:] if value.startswith("sk-") else
                                                       value) and rule.id != "private-key":
                    continue
                yield number, line, rule, value


@pytest.mark.parametrize("rule", redact.SECRET_PATTERNS, ids=lambda r: r.id)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_match_holds_an_anchor(rule: SecretPattern, data: st.DataObject) -> None:
    match = data.draw(st.from_regex(rule.pattern, fullmatch=True))
    haystack = redact._folded(match) if rule.ignores_case else match
    if haystack is None:  # a letter lower-casing does not give: the regex itself is run
        return
    assert any(anchor in haystack for anchor in rule.anchors), (rule.id, match)


SEPARATORS = ["\n", "\r\n", "\r", "\x0b", "\x1c", "\x85", "\u2028", " ", "  ", "=", ": ", "'",
              '"', "://", "@", ".", "_", "-", "\t"]
WORDS = ["password", "PASSWORD", "api_key", "token", "Secret", "db", "postgres", "user",
         "sk-", "ghp_", "AKIA", "AIza", "eyJ", "xoxb-", "sk_live_", "-----BEGIN ",
         "PRIVATE KEY-----", "pa\u017fsword", "to\u212aen", "\u0130", "x" * 40,
         "Authorization", "Proxy-Authorization: ", "Bearer ", "sessionid", "Cookie", "--",
         "sshpass -p ", "SID"]
pieces = st.one_of(
    st.sampled_from(SEPARATORS), st.sampled_from(WORDS),
    st.text(alphabet="abcdefXYZ0123456789_-/+", min_size=1, max_size=40),
    *(st.from_regex(rule.pattern, fullmatch=True) for rule in CODE_PATTERNS),
)
texts = st.lists(pieces, max_size=40).map("".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
@example("password = 'Zq8vLm3xT9wR2pK'\n" + "x" * 3995 + "AKIA" + "Q" * 16 + "QQ\n")
@example("token:\n'Zq8vLm3xT9wR2pK'")
@example("TO\u212aEN = 'Zq8vLm3xT9wR2pK'")
def test_buffer_scan_finds_what_line_by_line_found(text: str) -> None:
    assert list(pattern_hits(text)) == list(line_by_line(text))


def test_long_lines_are_cut_as_before() -> None:
    # A key that ends exactly where a long line is cut: the cut line matches, the whole
    # text does not (a word character follows), so neither scan reports it.
    text = "x" * 3980 + " AKIA" + "Q" * 15 + "QZZZ\n"
    assert list(pattern_hits(text)) == list(line_by_line(text)) == []


def test_a_text_without_anchors_is_never_matched(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    rules = tuple(SecretPattern(r.id, r.title, _Spy(r.pattern, calls), r.group, r.generic,
                                anchors=r.anchors) for r in CODE_PATTERNS)
    assert list(pattern_hits("def handler(request):\n    return 204\n" * 1000, rules)) == []
    assert calls == []


class _Spy:
    """A compiled pattern that records every use."""

    def __init__(self, pattern: re.Pattern[str], calls: list[str]) -> None:
        self.pattern, self.calls = pattern, calls
        self.flags = pattern.flags

    def search(self, text: str) -> re.Match[str] | None:
        self.calls.append("search")
        return self.pattern.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        self.calls.append("finditer")
        return self.pattern.finditer(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
@example('{"case": 104}')
@example("Authorization: Basic dXNlcjpwYXNzd29yZA==")
@example("sessionid=Zq8vLm3xT9wR2pK; Path=/")
@example("run --db-password Zq8vLm3xT9wR2pK now")
def test_scrub_skips_by_anchors_only_what_cannot_match(text: str) -> None:
    """secret_spans (every row of the table, redaction-only rows too) finds the same with
    its anchor prefilters as every row's regex run on the whole text."""
    unfiltered = tuple(SecretPattern(r.id, r.title, r.pattern, r.group, r.generic, r.code)
                       for r in redact.SECRET_PATTERNS)
    expected = _spans_without_anchors(text, unfiltered)
    assert redact.secret_spans(text) == expected


def _spans_without_anchors(text: str, rows: tuple[SecretPattern, ...]) -> list[tuple[int, int]]:
    saved = (redact.SECRET_PATTERNS, redact._ANY_FOLDED, redact._ANY_EXACT)
    everything = re.compile("")
    try:
        redact.SECRET_PATTERNS, redact._ANY_FOLDED, redact._ANY_EXACT = (rows, everything,
                                                                         everything)
        return redact.secret_spans(text)
    finally:
        redact.SECRET_PATTERNS, redact._ANY_FOLDED, redact._ANY_EXACT = saved
