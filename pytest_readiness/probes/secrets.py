"""Hardcoded secrets in a codebase, found by pattern and never returned whole.

A finding carries the rule, file, line, the redacted value and a snippet in
which every secret on the line is redacted: the raw value never leaves
:func:`scan_text`, so no report, traceback or ``--showlocals`` can show it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pytest_readiness.probes.codebase import Inventory, SourceFile, read_text
from pytest_readiness.redact import redact


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    pattern: re.Pattern[str]
    group: int = 0  # the capture group holding the secret
    generic: bool = False  # a name=value match: needs a value that looks real


RULES: tuple[Rule, ...] = (
    Rule("secret.private-key", "private key",
         re.compile(r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----")),
    Rule("secret.aws-access-key", "AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    Rule("secret.api-key", "API key (sk-...)",
         re.compile(r"(?<![A-Za-z0-9_-])sk-(?:proj-|live-|test-|ant-)?[A-Za-z0-9_-]{20,}")),
    Rule("secret.stripe-key", "Stripe live key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{16,}")),
    Rule("secret.github-token", "GitHub token",
         re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    Rule("secret.slack-token", "Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    Rule("secret.google-api-key", "Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    Rule("secret.jwt", "JSON Web Token",
         re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    Rule("secret.dsn-password", "password inside a connection string",
         re.compile(r"\b[a-z][a-z0-9+.-]*://[^:/@\s'\"]+:([^@\s'\"/]{3,})@[\w.-]+"), group=1,
         generic=True),
    Rule("secret.hardcoded-password", "hardcoded password or token",
         re.compile(r"(?i)\b(?:password|passwd|pwd|secret|secret_key|token|api_?key|access_?key|"
                    r"auth_?token|client_?secret|private_?key)\b['\"]?\s*[:=]\s*[rbuf]?['\"]"
                    r"([^'\"\s]{8,})['\"]"), group=1, generic=True),
)
PLACEHOLDER_WORDS = ("xxx", "changeme", "change-me", "change_me", "example", "placeholder",
                     "redacted", "your_", "your-", "yourkey", "dummy", "fake", "sample", "todo",
                     "replace", "insert", "secret_here", "password", "passwd", "<", "${", "{{",
                     "%(", "****", "...", "…", "null", "none", "test")
DOC_SUFFIXES = (".md", ".rst", ".txt", ".adoc", ".html")
TEST_DIRS = ("tests", "test", "testing", "fixtures", "testdata", "__tests__", "spec")
TEMPLATE_MARKERS = (".example", ".sample", ".template", ".tmpl", ".dist")


@dataclass(frozen=True)
class SecretFinding:
    rule: str
    title: str
    file: str
    line: int
    redacted: str
    snippet: str
    context: str  # code | docs | test | template

    @property
    def live(self) -> bool:
        return self.context == "code"


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def is_placeholder(value: str) -> bool:
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return True
    if len(set(lowered.replace("-", "").replace("_", ""))) <= 3:
        return True  # sk-aaaaaaaa..., 00000000
    return False


def _looks_real(value: str) -> bool:
    """For name=value matches: not a placeholder, not an identifier, some entropy."""
    if is_placeholder(value):
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", value):  # an environment variable name
        return False
    if re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", value):
        return False  # settings.db_password, module.attr
    return entropy(value) >= 2.5


def context_of(rel: str) -> str:
    lowered = rel.lower()
    parts = lowered.split("/")
    name = parts[-1]
    if any(marker in name for marker in TEMPLATE_MARKERS):
        return "template"
    if name.endswith(DOC_SUFFIXES) or parts[0] in ("docs", "doc"):
        return "docs"
    if any(p in TEST_DIRS for p in parts[:-1]) or name.startswith("test_") or \
            name.endswith(("_test.py", "_test.go", ".test.js", ".spec.ts", "conftest.py")):
        return "test"
    return "code"


def scan_text(text: str, rel: str, rules: Iterable[Rule] = RULES) -> Iterator[SecretFinding]:
    context = context_of(rel)
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > 4000:
            line = line[:4000]
        hits: list[tuple[Rule, str]] = []
        for rule in rules:
            for match in rule.pattern.finditer(line):
                value = match.group(rule.group)
                if rule.generic and not _looks_real(value):
                    continue
                if not rule.generic and is_placeholder(value[3:] if value.startswith("sk-") else
                                                       value) and rule.id != "secret.private-key":
                    continue
                if "readiness: ignore" in line:
                    continue
                hits.append((rule, value))
        if not hits:
            continue
        snippet = line.strip()
        for _, value in hits:
            snippet = snippet.replace(value, redact(value))
        snippet = snippet if len(snippet) <= 160 else snippet[:159] + "…"
        seen: set[str] = set()
        for rule, value in hits:
            if value in seen:
                continue
            seen.add(value)
            yield SecretFinding(rule.id, rule.title, rel, number, redact(value), snippet, context)


def scan_file(file: SourceFile) -> list[SecretFinding]:
    text = read_text(file)
    return [] if text is None else list(scan_text(text, file.rel))


def scan(inventory: Inventory) -> list[SecretFinding]:
    found: list[SecretFinding] = []
    for file in inventory.files:
        found.extend(scan_file(file))
    return found
