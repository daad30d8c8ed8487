"""The audit's own configuration: credentials written into readiness.yaml. Pure.

readiness.yaml is committed next to the code it audits; a password written into
it is a leaked password. Values should come from the environment (``${DB_PASSWORD}``)
or a secret store. Only the text is read, before interpolation, so a ``${VAR}``
reference is never mistaken for a literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from pytest_readiness.plumbing import yamlpos
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.names import is_secret_name
from pytest_readiness.plumbing.redact import is_placeholder, pattern_values, redact
from pytest_readiness.vocabulary import Level

_REFERENCE = re.compile(r"^\$\{[^}]+\}$")
_URL_PASSWORD = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:(?P<pw>[^@\s]+)@")


@dataclass(frozen=True)
class LiteralSecret:
    key: str      # dotted key path: databases[0].dsn
    line: int     # 1-based
    shown: str    # redacted
    why: str


def _walk(node: yaml.Node, path: str) -> Iterator[tuple[str, str, yaml.ScalarNode]]:
    """(key path, last key, scalar node) for every scalar in the document."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value)
            yield from ((p, k, n) for p, k, n in _walk(value, f"{path}.{name}" if path else name))
            if isinstance(value, yaml.ScalarNode):
                yield (f"{path}.{name}" if path else name), name, value
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, f"{path}[{index}]")


def _judge(key: str, value: str) -> tuple[str, str] | None:
    """(redacted value, reason) when ``value`` is a literal credential."""
    if not value or _REFERENCE.match(value.strip()):
        return None
    url = _URL_PASSWORD.search(value)
    if url and not _REFERENCE.match(url["pw"]) and not is_placeholder(url["pw"]):
        return url["pw"], "a password inside a connection string"
    if is_secret_name(key) and not is_placeholder(value) and "${" not in value:
        return value, f"a literal value for '{key}'"
    hits = pattern_values(value)
    if hits:
        return max(hits, key=len), "a value that looks like a key or token"
    return None


def literal_secrets(text: str) -> list[LiteralSecret]:
    """Every credential written literally into a readiness.yaml text."""
    try:
        root = yamlpos.compose(text, "readiness.yaml")
    except yamlpos.ParseError:
        return []  # the config loader reports broken YAML, with its position
    if root is None:
        return []
    found = []
    for path, key, node in _walk(root, ""):
        if not isinstance(node.value, str) or node.tag != "tag:yaml.org,2002:str":
            continue
        judged = _judge(key, node.value)
        if judged:
            secret, why = judged
            found.append(LiteralSecret(path, node.start_mark.line + 1, redact(secret), why))
    return sorted(found, key=lambda f: f.line)


def literal_secret_findings(found: list[LiteralSecret], file: str) -> list[Finding]:
    """Each literal credential as a warning: the audit's own file is no deployment secret,
    but a committed password is one to rotate."""
    return [Finding("", f"{item.key}: {item.why} ({item.shown})", file, item.line,
                    f"{item.key}: {item.shown}", Level.WARNING) for item in found]
