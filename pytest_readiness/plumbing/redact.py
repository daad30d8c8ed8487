"""Redaction: secrets are never shown whole, anywhere. Pure.

What a secret value looks like is known here once: the formats of real keys and tokens
(:data:`SECRET_PATTERNS`), how a placeholder differs from a real value, and how to hide
either in a line of code or free text. probes/code/secrets.py finds secrets in code with
these; every report passes through :func:`scrub`.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pytest_readiness.plumbing.names import SECRET_WORDS, SESSION_WORDS, words_pattern

_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?P<at>@)")


def redact(secret: str, keep: int = 4) -> str:
    """``sk-abcdef...`` -> ``sk-a…(40 chars)``: enough to find it, never enough to use it."""
    secret = str(secret)
    keep = min(keep, max(len(secret) // 4, 0))
    return f"{secret[:keep]}…({len(secret)} chars)"


def mask_url_password(text: str) -> str:
    """``postgres://app:s3cret@db/app`` -> ``postgres://app:***@db/app``."""
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['at']}", text)


def redact_in(text: str, secret: str) -> str:
    """Replace every occurrence of ``secret`` inside ``text`` by its redacted form."""
    return text.replace(secret, redact(secret)) if secret else text


# ``token=abc...``, ``Authorization: Bearer abc...``, ``session=abc...`` in free text
# (a response body, a header dump, a log line): unquoted, unlike source code.
_NAMED_VALUE = re.compile(
    rf"(?i)(?:\b(?:{words_pattern(SESSION_WORDS)})\s*[=:]\s*|\bbearer\s+)"
    r"(?P<value>[^\s'\"&;,<>${}()\\]{8,})")


def scrub(text: str) -> str:
    """``text`` with every secret-looking value and URL password redacted.

    The last line of defence before anything a check produced reaches a report or the
    terminal: messages, evidence, tracebacks and captured output all pass through here.
    """
    text = mask_url_password(text)
    text = _NAMED_VALUE.sub(
        lambda m: m.group(0)[: m.start("value") - m.start()] + redact(m["value"]), text)
    for value in sorted(set(pattern_values(text)), key=len, reverse=True):
        text = text.replace(value, redact(value))
    return text


# ``KEY: value`` / ``KEY=value`` / ``ENV KEY value`` where KEY names a credential.
_SECRET_ASSIGNMENT = re.compile(
    rf"""(?ix)^(?P<head>.*?\b[\w.-]*(?:{words_pattern()})[\w.-]*["']?\s*(?:[:=]|\s)\s*)
    (?P<value>[^\s#][^#]*?)(?P<tail>\s*(\#.*)?)$""")


def redact_assignment(line: str) -> str:
    """A config line with the value of a credential-named key redacted (``${VAR}`` kept)."""
    match = _SECRET_ASSIGNMENT.match(line)
    if not match:
        return line
    value = match["value"].strip().strip("'\"")
    if re.fullmatch(r"\$\{\w+\}|\$\w+|", value) or value.lower() in ("true", "false"):
        return line
    return f"{match['head']}{redact(value)}{match['tail']}"


# --- what a secret value looks like ---------------------------------------------------

@dataclass(frozen=True)
class SecretPattern:
    id: str
    title: str
    pattern: re.Pattern[str]
    group: int = 0  # the capture group holding the secret
    generic: bool = False  # a name=value match: needs a value that looks real
    # Literals every match contains (lower case when the pattern ignores case): a text
    # with none of them is not searched at all, and only lines holding one are matched.
    anchors: tuple[str, ...] = ()

    @property
    def ignores_case(self) -> bool:
        return bool(self.pattern.flags & re.IGNORECASE)


def _literal_head(word: str) -> str:
    """The letters a word regex always starts with: ``api[_-]?key`` -> ``api``,
    ``credentials?`` -> ``credential``."""
    head = re.match(r"[a-z0-9]*", word)
    literal = head.group(0) if head else ""
    return literal[:-1] if word[len(literal):][:1] in ("?", "*", "{") else literal


WORD_ANCHORS = tuple(dict.fromkeys(_literal_head(w) for w in SECRET_WORDS))

SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern("private-key", "private key",
         re.compile(r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?"
                    r"PRIVATE KEY(?: BLOCK)?-----"), anchors=("-----BEGIN ",)),
    SecretPattern("aws-access-key", "AWS access key id",
         re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), anchors=("AKIA", "ASIA")),
    SecretPattern("api-key", "API key (sk-...)",
         re.compile(r"(?<![A-Za-z0-9_-])sk-(?:proj-|live-|test-|ant-)?[A-Za-z0-9_-]{20,}"),
         anchors=("sk-",)),
    SecretPattern("stripe-key", "Stripe live key",
                  re.compile(r"\b[rs]k_live_[0-9A-Za-z]{16,}"), anchors=("k_live_",)),
    SecretPattern("github-token", "GitHub token",
         re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
         anchors=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    SecretPattern("slack-token", "Slack token",
                  re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), anchors=("xox",)),
    SecretPattern("google-api-key", "Google API key",
                  re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), anchors=("AIza",)),
    SecretPattern("jwt", "JSON Web Token",
         re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
         anchors=("eyJ",)),
    SecretPattern("dsn-password", "password inside a connection string",
         re.compile(r"\b[a-z][a-z0-9+.-]*://[^:/@\s'\"]+:([^@\s'\"/]{3,})@[\w.-]+"), group=1,
         generic=True, anchors=("://",)),
    SecretPattern("hardcoded-password", "hardcoded password or token",
         re.compile(rf"(?i)\b(?:{words_pattern()})\b['\"]?\s*[:=]\s*[rbuf]?['\"]"
                    r"([^'\"\s]{8,})['\"]"), group=1, generic=True, anchors=WORD_ANCHORS),
)
PLACEHOLDER_WORDS = ("xxx", "changeme", "change-me", "change_me", "example", "placeholder",
                     "redacted", "your_", "your-", "yourkey", "dummy", "fake", "sample", "todo",
                     "replace", "insert", "secret_here", "password", "passwd", "<", "${", "{{",
                     "%(", "****", "...", "…", "null", "none", "test")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def has_word(value: str, word: str) -> bool:
    """``word`` written in one case (xxx, XXX, Xxx): random keys hold "XxX" or "fAkE" by
    chance (about 1 in 1,300), placeholders never mix case inside a word."""
    return word in value or word.upper() in value or word.capitalize() in value


X_RUN = re.compile(r"[xX]{3,}")


def random_around_x(value: str) -> bool:
    """``C9xxxCY1uMsegZtkryau8a72`` is a key that holds "xxx" by chance: what is left
    without the x's is long and random. ``sk-xxx``, ``AKIAXXXXXXXXXXXXXXXX`` are not."""
    rest = X_RUN.sub("", value)
    return len(rest) >= 16 and entropy(rest) >= 3.5 and bool(re.search(r"\d", rest))


def is_placeholder(value: str) -> bool:
    lowered = value.lower()
    words = PLACEHOLDER_WORDS if not random_around_x(value) else \
        tuple(w for w in PLACEHOLDER_WORDS if w != "xxx")
    if any(has_word(value, word) for word in words):
        return True
    if len(set(lowered.replace("-", "").replace("_", ""))) <= 3:
        return True  # sk-aaaaaaaa..., 00000000
    return False


def looks_real(value: str) -> bool:
    """For name=value matches: not a placeholder, not an identifier, some entropy."""
    if is_placeholder(value):
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", value):  # an environment variable name
        return False
    if re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", value):
        return False  # settings.db_password, module.attr
    return entropy(value) >= 2.5


LONG_LINE = 4000  # characters of a line matched (a minified bundle's line is cut here)
# Non-ASCII letters a case-insensitive pattern matches to ASCII ones (İ ı ſ and the
# Kelvin sign): a text holding one is searched by the pattern itself, not its anchors.
_CASE_ODDITIES = re.compile("[\u0130\u0131\u017f\u212a]")


class _LineTable:
    """``text.splitlines()`` and where each line starts, to place an offset on its line."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.starts = [0]
        for piece in text.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(piece))
        self.end = len(text)

    def lines_holding(self, haystack: str, anchors: Iterable[str]) -> set[int]:
        """Indexes of the lines where any of ``anchors`` occurs in ``haystack`` (the text,
        or its case-folded twin of the same length)."""
        found: set[int] = set()
        for anchor in anchors:
            at = haystack.find(anchor)
            while at != -1:
                index = bisect_right(self.starts, at) - 1
                found.add(index)
                at = haystack.find(anchor, self.starts[index + 1]) \
                    if index + 1 < len(self.starts) else -1
        return found


def _folded(text: str) -> str | None:
    """``text`` in lower case with every offset unchanged, or None when a case-insensitive
    match could hold a letter lower-casing does not give (see _CASE_ODDITIES)."""
    if text.isascii():
        return text.lower()
    if _CASE_ODDITIES.search(text):
        return None
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else None


def _candidate_lines(text: str, rules: Iterable[SecretPattern]
                     ) -> tuple[_LineTable | None, list[tuple[SecretPattern, set[int] | None]]]:
    """The rules that may match ``text``, each with the lines it may match on (None: all).

    A rule's anchors are literals every match holds, so a line without one cannot hold a
    match: the whole buffer is searched for the literals (at memory speed) and the regex
    runs on the few lines that hold one. Where a line is cut at LONG_LINE the rule must
    also match the whole text, as it had to when every line was matched.
    """
    table: _LineTable | None = None
    folded: str | None | bool = False  # not computed yet
    active: list[tuple[SecretPattern, set[int] | None]] = []
    for rule in rules:
        haystack: str | None = text
        if rule.ignores_case:
            if folded is False:
                folded = _folded(text)
            haystack = folded if isinstance(folded, str) else None
        if not rule.anchors or haystack is None:
            if rule.pattern.search(text):
                active.append((rule, None))
            continue
        if not any(anchor in haystack for anchor in rule.anchors):
            continue
        table = table or _LineTable(text)
        lines = table.lines_holding(haystack, rule.anchors)
        if any(len(table.lines[i]) > LONG_LINE for i in lines) and not rule.pattern.search(text):
            continue
        active.append((rule, lines))
    return table, active


def pattern_hits(text: str, rules: Iterable[SecretPattern] = SECRET_PATTERNS
                  ) -> Iterator[tuple[int, str, SecretPattern, str]]:
    """(line number, line, rule, raw value) for every pattern match that looks like a secret.

    Matches are found line by line (a value never spans lines; a line is cut at
    LONG_LINE characters), but only on the lines a rule's literal anchors occur on, found
    over the whole buffer (:func:`_candidate_lines`): most files hold no anchor at all.
    """
    table, active = _candidate_lines(text, rules)
    if not active:
        return
    table = table or _LineTable(text)
    if any(lines is None for _, lines in active):
        indexes: Iterable[int] = range(len(table.lines))
    else:
        indexes = sorted(set().union(*(lines for _, lines in active if lines is not None)))
    hits = []
    for index in indexes:
        line = table.lines[index]
        number = index + 1
        if len(line) > LONG_LINE:
            line = line[:LONG_LINE]
        for rule, lines in active:
            if lines is not None and index not in lines:
                continue
            for match in rule.pattern.finditer(line):
                value = match.group(rule.group)
                if rule.generic and not looks_real(value):
                    continue
                if not rule.generic and is_placeholder(value[3:] if value.startswith("sk-") else
                                                       value) and rule.id != "private-key":
                    continue
                hits.append((number, line, rule, value))
    yield from hits


def pattern_values(text: str) -> set[str]:
    """Every secret-looking value in ``text`` (placeholders excluded)."""
    return {value for _, _, _, value in pattern_hits(text)}


_LITERAL = re.compile(r"""(?P<q>["'])(?P<value>[^"'\s\\]{8,})(?P=q)""")


def mask_literals(line: str) -> str:
    """A code line with every secret-looking string literal redacted.

    For snippets of findings that are not about secrets (``verify=False`` beside an
    ``auth=("u", "...")`` tuple): a quoted value with entropy that is not a URL, path,
    identifier or placeholder is shown redacted, and so are pattern hits.
    """
    def hide(match: re.Match[str]) -> str:
        value = match["value"]
        mixed = re.search(r"\d", value) and re.search(r"[A-Za-z]", value)
        if "://" in value or value.startswith(("/", ".")) or not looks_real(value) or \
                not (mixed and entropy(value) >= 3.0 or len(value) >= 20 and entropy(value) >= 4.0):
            return match.group(0)
        return f"{match['q']}{redact(value)}{match['q']}"

    line = _LITERAL.sub(hide, line)
    for value in sorted(pattern_values(line), key=len, reverse=True):
        line = line.replace(value, redact(value))
    return line


def redact_line(line: str, values: Iterable[str], fallback: str) -> str:
    """The line with every secret on it redacted; ``fallback`` if one cannot be found whole."""
    snippet = line.strip()
    for value in sorted(set(values), key=len, reverse=True):
        if value not in snippet:
            return fallback
        snippet = snippet.replace(value, redact(value))
    return snippet if len(snippet) <= 160 else snippet[:159] + "…"
