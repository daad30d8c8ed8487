"""Redaction: secrets are never shown whole, anywhere. Pure.

What a secret value looks like is known here once, in one table (:data:`SECRET_PATTERNS`):
the formats of real keys and tokens, ``name = value`` shapes whose name comes from the one
vocabulary of credential words (plumbing/names.py), free text ("the password is ..."),
``Authorization`` headers and command-line passwords. Rows marked ``code`` are also the
code rules of ``secrets.hardcoded`` (probes/code/secrets.py finds secrets in code with
them); every row redacts. Every text that leaves the process passes through :func:`scrub`
(pytest_readiness/boundary.py says where).
"""

from __future__ import annotations

import functools
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pytest_readiness.plumbing.names import (
    SECRET_WORDS,
    SESSION_WORDS,
    is_text_secret_name,
    name_containing_pattern,
    name_ending_pattern,
    words_pattern,
)

# ``scheme://user:PASSWORD@host``: the one shape of a password inside a URL.
# The password stops at "/", "?" or "#" (RFC 3986 percent-encodes them inside userinfo), so
# ``https://host:8443/mail?to=ops@example.com`` holds no password.
URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s\"'\\]*:)"
                          r"(?P<pw>[^@\s/?#\"'\\]+)(?P<at>@)")


def redact(secret: str, keep: int = 4) -> str:
    """``sk-abcdef...`` -> ``sk-a…(40 chars)``: enough to find it, never enough to use it."""
    secret = str(secret)
    keep = min(keep, max(len(secret) // 4, 0))
    return f"{secret[:keep]}…({len(secret)} chars)"


def mask_url_password(text: str) -> str:
    """``postgres://app:s3cret@db/app`` -> ``postgres://app:***@db/app``."""
    return URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['at']}", text)


def redact_in(text: str, secret: str) -> str:
    """Replace every occurrence of ``secret`` inside ``text`` by its redacted form."""
    return text.replace(secret, redact(secret)) if secret else text


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
    """One row of the table: what a secret looks like, and where it is looked for."""

    id: str
    title: str
    pattern: re.Pattern[str]
    group: int | str = 0  # the capture group holding the secret
    generic: bool = False  # a name=value match: needs a value that looks real
    code: bool = True  # also a code rule (secrets.hardcoded:<id>); False: redaction only
    # Literals every match contains (lower case when the pattern ignores case): a text
    # with none of them is not searched at all, and only lines holding one are matched.
    # A row without anchors is searched everywhere.
    anchors: tuple[str, ...] = ()

    @functools.cached_property
    def ignores_case(self) -> bool:  # read for every row of every text scrubbed: computed once
        return bool(self.pattern.flags & re.IGNORECASE)


def _literal_head(word: str) -> str:
    """The letters a word regex always starts with: ``api[_-]?key`` -> ``api``,
    ``credentials?`` -> ``credential``."""
    head = re.match(r"[a-z0-9]*", word)
    literal = head.group(0) if head else ""
    return literal[:-1] if word[len(literal):][:1] in ("?", "*", "{") else literal


WORD_ANCHORS = tuple(dict.fromkeys(_literal_head(w) for w in SECRET_WORDS))
NAME_ANCHORS = tuple(dict.fromkeys((*WORD_ANCHORS, *(_literal_head(w) for w in SESSION_WORDS))))

# A quote as it appears in text, JSON, or JSON inside JSON (``"``, ``\"``, ``\\\"``).
_QUOTE = r"\\*[\"']"
# A separator between a name and its value: ``=``, ``=>``, ``:`` before a space or a quote
# (``secrets.hardcoded:api-key`` is a rule id), or prose (``is``, ``was``).
_SEPARATOR = (r"(?P<sep>[ \t]*=>?[ \t]*|[ \t]*:(?:[ \t]+|(?=\\*[\"']))"
              r"|[ \t]+(?:is|was)[ \t]*:?[ \t]*)")
# A value: inside quotes, anything but a quote, a backslash or a line end (escaped line ends
# of a JSON string are part of it: a private key in a JSON body); unquoted, a run without
# space or delimiter. Never the "…" of a value already redacted.
_QUOTED = r"(?:[^\"'\\\n…]|\\+(?:[nrt/]|u(?!2026)))+"
_UNQUOTED = r"[^\s\"'`&;,<>{}\[\]()|\\…]+"
_VALUE = rf"(?P<open>{_QUOTE})?(?P<value>(?(open){_QUOTED}|{_UNQUOTED}))"

# The body of a PEM block, as text or inside a JSON string (escaped line ends), never
# ending on half an escape.
_PEM_BODY = r"(?:[A-Za-z0-9+/=\s,:-]|\\+[nrt])"
# The schemes of an Authorization header: the credential is what follows one.
_SCHEMES = r"(?:basic|bearer|token|digest|negotiate|ntlm|apikey|sso-key)"

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
                  re.compile(r"\b(?:[rs]k_live_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,})"),
                  anchors=("k_live_", "whsec_")),
    SecretPattern("github-token", "GitHub token",
         re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
         anchors=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    SecretPattern("gitlab-token", "GitLab token",
                  re.compile(r"\bgl(?:pat|dt|rt|ptt|cbt|oas)-[0-9A-Za-z_-]{20,}"),
                  anchors=("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-")),
    SecretPattern("slack-token", "Slack token",
                  re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), anchors=("xox",)),
    SecretPattern("slack-webhook", "Slack webhook URL",
                  re.compile(r"\bhooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/"
                             r"[A-Za-z0-9]{20,}"), anchors=("hooks.slack.com/services/",)),
    SecretPattern("google-api-key", "Google API key",
                  re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), anchors=("AIza",)),
    SecretPattern("npm-token", "npm access token",
                  re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), anchors=("npm_",)),
    SecretPattern("pypi-token", "PyPI API token",
                  re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{50,}"), anchors=("pypi-AgE",)),
    SecretPattern("sendgrid-key", "SendGrid API key",
                  re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"), anchors=("SG.",)),
    SecretPattern("jwt", "JSON Web Token",
         re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
         anchors=("eyJ",)),
    SecretPattern("dsn-password", "password inside a connection string",
         re.compile(r"\b[a-z][a-z0-9+.-]*://[^:/@\s'\"]+:([^@\s'\"/]{3,})@[\w.-]+"), group=1,
         generic=True, anchors=("://",)),
    # ``API_KEY = "..."``, ``"aws_secret_access_key": "..."``: a quoted value after a name
    # that ends with a credential word, wherever that name starts (no word boundary).
    SecretPattern("hardcoded-password", "hardcoded password or token",
         re.compile(rf"(?i){name_ending_pattern()}['\"]?\s*[:=]\s*[rbuf]?['\"]"
                    r"(?P<value>[^'\"\s]{8,})['\"]"), group="value", generic=True,
         anchors=WORD_ANCHORS),
    # -- redaction only: shapes of free text (a response body, a log line, a certificate field)
    SecretPattern("named-value", "credential after its name",
         re.compile(rf"(?i){name_containing_pattern()}(?P<close>{_QUOTE})?{_SEPARATOR}{_VALUE}"),
         group="value", generic=True, code=False, anchors=NAME_ANCHORS),
    SecretPattern("authorization", "Authorization header",
         re.compile(rf"(?i)\b(?:proxy-)?authorization(?P<close>{_QUOTE})?[ \t]*[:=][ \t]*"
                    rf"(?P<open>{_QUOTE})?(?:{_SCHEMES}[ \t]+)?(?!{_SCHEMES}\b)"
                    rf"(?P<value>(?(open){_QUOTED}|{_UNQUOTED}))"), group="value", generic=True,
         code=False, anchors=("authorization",)),
    SecretPattern("bearer", "bearer token",
         re.compile(r"(?i)\bbearer[ \t]+(?P<value>[A-Za-z0-9._~+/=-]{8,})"), group="value",
         code=False, anchors=("bearer",)),
    SecretPattern("command-line-password", "password on a command line",
         re.compile(rf"(?i)(?:\bsshpass[ \t]+-p[ \t]*|(?<![\w-])--(?:[\w-]*[_-])?"
                    rf"(?:{words_pattern()})[ \t]+){_VALUE}"), group="value", generic=True,
         code=False, anchors=("sshpass", *WORD_ANCHORS)),
    SecretPattern("private-key-block", "private key",
         re.compile(rf"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:{_PEM_BODY}*?"
                    rf"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|{_PEM_BODY}*)"),
         code=False, anchors=("-----BEGIN ",)),
)
CODE_PATTERNS = tuple(r for r in SECRET_PATTERNS if r.code)
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


def pattern_hits(text: str, rules: Iterable[SecretPattern] = CODE_PATTERNS
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
    """Every value the code rules find in ``text`` (placeholders excluded)."""
    return {value for _, _, _, value in pattern_hits(text)}


# --- scrub: the last line of defence --------------------------------------------------

# What a value after a credential name is when it is no secret: a state, a reference to
# where the secret lives, a mask, a value already redacted.
_NOT_SECRET_VALUES = frozenset({
    "true", "false", "null", "none", "nil", "yes", "no", "on", "off", "required", "optional",
    "missing", "set", "unset", "empty", "redacted", "hidden", "masked", "invalid", "expired",
    "disabled", "enabled", "present", "absent", "unknown", "undefined", "provided"})
_REFERENCE_VALUE = re.compile(r"\$\{|\$\(|\$[A-Za-z_]\w*$|\{\{|%\(|<[\w .-]*>?$")
_PROSE_WORD = re.compile(r"[A-Za-z][a-z]{0,15}")
_JSON_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def hides(value: str, *, quoted: bool = False, prose: bool = False) -> bool:
    """Whether :func:`scrub` hides ``value``, found after a name that names a credential.

    Redaction errs towards hiding (a hidden word costs a reader little; a shown password
    costs the password): everything is hidden but a state (``missing``, ``true``), a
    reference (``${DB_PASSWORD}``, ``<token>``), a mask (``***``), a short number, and,
    where the separator reads as prose (``password: required``, ``the token is expired``),
    one plain word with no digit or inner capital.
    """
    value = value.strip()
    if len(value) < 4 or value.lower() in _NOT_SECRET_VALUES or _REFERENCE_VALUE.match(value):
        return False
    if set(value) <= set("*xX•.-_") or value.isdigit() and len(value) < 6:
        return False
    return not (prose and not quoted and _PROSE_WORD.fullmatch(value))


def _after_name(match: re.Match[str], row: SecretPattern, value: str) -> bool:
    """For a name=value row: the name names a credential and ``value`` is worth hiding."""
    groups = match.groupdict()
    if row.id == "named-value" and not is_text_secret_name(groups["name"]):
        return False
    separator = (groups.get("sep") or "=").strip()
    quoted = bool(groups.get("open")) or row.id == "hardcoded-password"
    if groups.get("close") and not quoted and _JSON_NUMBER.fullmatch(value):
        return False  # "pin": 1234 is a JSON number; hiding it would break the JSON
    return hides(value, quoted=quoted, prose=separator not in ("=", "=>"))


# The "…" of a redacted value, as text or JSON-escaped (``\u2026``).
_ELLIPSIS = re.compile(r"…|\\+u2026")
_WORD = re.compile(r"[^\s\"'\\…]*")
_SENTENCE_END = ".,;:!?)]}>"


def _reads_as_prose(match: re.Match[str]) -> bool:
    """An unquoted value after ``:``, ``is`` or ``was``: text, not a query string."""
    return not match.group("open") and (match.group("sep") or "").strip() not in ("=", "=>")


def _word_end(text: str, start: int, end: int) -> int:
    """In prose a value is the whole word (``the password is Tr0ub&dor3``), not the run a
    query string's ``&`` ends; a full stop or a closing bracket after it is the sentence's."""
    stop = _WORD.match(text, end)
    last = stop.end() if stop else end
    while last > start + 1 and text[last - 1] in _SENTENCE_END:
        last -= 1
    return last


# Every row's anchors at once: a text with none of them (most texts scrubbed: ids, titles,
# small evidence) is done in one search instead of one per row.
_ANY_FOLDED = re.compile("|".join(re.escape(a) for row in SECRET_PATTERNS if row.ignores_case
                                  for a in row.anchors))
_ANY_EXACT = re.compile("|".join(re.escape(a) for row in SECRET_PATTERNS
                                 if not row.ignores_case for a in row.anchors))


def secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the secrets of ``text`` are, by every row of the table: sorted, merged."""
    spans = []
    folded = _folded(text)
    if folded is not None and not _ANY_FOLDED.search(folded) and not _ANY_EXACT.search(text):
        return []
    for row in SECRET_PATTERNS:
        if row.anchors:  # a text with none of a row's literals cannot match it
            haystack = folded if row.ignores_case else text
            if haystack is not None and not any(a in haystack for a in row.anchors):
                continue
        for match in row.pattern.finditer(text):
            if match.group(row.group) is None:
                continue
            start, end = match.span(row.group)
            if _ELLIPSIS.match(text, end):  # the visible head of a value already redacted
                continue
            if row.id == "named-value" and _reads_as_prose(match):
                end = _word_end(text, start, end)
            while end > start and text[end - 1] == "\\":  # never half an escape
                end -= 1
            if end > start and not (row.generic and not _after_name(match, row, text[start:end])):
                spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def scrub(text: str) -> str:
    """``text`` with every secret-looking value and URL password redacted.

    The last line of defence before anything a check produced reaches a report, a log or
    the terminal (pytest_readiness/boundary.py applies it at every boundary). A value found
    beside its name is hidden wherever else it appears in ``text`` too. Idempotent, and a
    JSON text stays the same JSON structure (quotes and escapes are never redacted).
    """
    # Short texts repeat (a check's id, title, fix and target in each of its reports):
    # each is scanned once (the cache lives in this process's memory, as the texts do).
    if len(text) <= _MEMO_CHARS:
        return _scrub_short(text)
    if text in _CLEAN:  # a recent result: scrub is idempotent
        return text
    scrubbed = _scrub(text)
    remember_clean(scrubbed)
    return scrubbed


_MEMO_CHARS = 512
# Recent long results of scrub (a check's evidence, redacted once, is shown again in
# JUnit XML and the terminal), oldest first; a few, as they can be megabytes.
_CLEAN: dict[str, None] = {}
_CLEAN_KEPT = 16


def remember_clean(text: str) -> None:
    """``text`` is what :func:`scrub` made (or the same data as such, re-serialised):
    scrubbing it again is not needed."""
    if len(text) <= _MEMO_CHARS:
        return
    _CLEAN.pop(text, None)
    _CLEAN[text] = None
    while len(_CLEAN) > _CLEAN_KEPT:
        del _CLEAN[next(iter(_CLEAN))]


@functools.lru_cache(maxsize=4096)
def _scrub_short(text: str) -> str:
    return _scrub(text)


def _scrub(text: str) -> str:
    text = mask_url_password(text)
    spans = secret_spans(text)
    if not spans:
        return text
    values = {text[start:end] for start, end in spans}
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], _redact_escaped(text[start:end])]
        last = end
    text = "".join(parts) + text[last:]
    for value in sorted((v for v in values if len(v) >= 8), key=len, reverse=True):
        text = text.replace(value, _redact_escaped(value))
    return text


def _redact_escaped(value: str) -> str:
    """:func:`redact` that never shows half an escape (``\\u001f`` inside a JSON string)."""
    shown = redact(value)
    head, _, tail = shown.partition("…")
    return shown if "\\" not in head else f"{head.split(chr(92), 1)[0]}…{tail}"


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
