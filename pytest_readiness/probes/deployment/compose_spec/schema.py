"""Validation against the official Compose specification schema (jsonschema).

``compose-spec.json`` is the schema of the compose-spec repository
(github.com/compose-spec/compose-spec, ``schema/compose-spec.json``, Apache-2.0, see
``LICENSE.compose-spec`` beside it), as vendored by check-jsonschema 0.39.0
(sha256 ``d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64``,
JSON Schema draft 2020-12). Messages name the key path and what was expected, never
the value found (it may be a secret).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from pytest_readiness.plumbing.yamlpos import line_of

if TYPE_CHECKING:  # jsonschema loads with the first Compose file validated (start-up cost)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "compose-spec.json"


@cache
def validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def _key_path(path: list[Any] | tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _what(error: ValidationError, failing: set[tuple[Any, ...]]) -> str:
    kind, expected = error.validator, error.validator_value
    if kind == "type":
        return f"must be {' or '.join(expected) if isinstance(expected, list) else expected}"
    if kind == "enum":
        return "must be one of " + ", ".join(map(str, expected))
    if kind in ("additionalProperties", "unevaluatedProperties"):
        unknown = _unknown_keys(error, failing)
        return f"has unknown key(s): {', '.join(unknown)}" if unknown else ""
    if kind == "required":
        return str(error.message)  # names keys, never values
    if kind in ("oneOf", "anyOf"):
        return "matches none of the allowed forms"
    if kind == "pattern" or kind == "format":
        return "does not have the expected form"
    if kind == "uniqueItems":
        return "has duplicate items"
    return f"fails the schema's {kind} rule"


def _unknown_keys(error: ValidationError, failing: set[tuple[Any, ...]]) -> list[str]:
    """Keys the schema does not define: those jsonschema names as unexpected, less those
    that merely fail their own rule (reported on their own)."""
    here = tuple(error.absolute_path)
    named = re.findall(r"'([^']*)'", error.message.partition("(")[2])
    return [k for k in named
            if not any(path[:len(here) + 1] == (*here, k) for path in failing)]


def _string_keys(data: Any) -> Any:
    """``data`` with every mapping key a string, as Compose reads YAML (``1:`` is "1",
    an empty key ``?`` is "null"): the schema's patterns only match strings."""
    if isinstance(data, dict):
        return {("null" if k is None else str(k).lower() if isinstance(k, bool) else str(k)):
                _string_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_string_keys(v) for v in data]
    return data


def problems(data: Any, raw: Any) -> list[tuple[str, int]]:
    """(message, line) for each place where ``data`` (plain) breaks the schema; ``raw``
    is the same document as loaded (LineDict/LineList) for the lines."""
    out = []
    errors = sorted(validator().iter_errors(_string_keys(data)),
                    key=lambda e: list(map(str, e.path)))
    failing = {tuple(e.absolute_path) for e in errors
               if e.validator not in ("additionalProperties", "unevaluatedProperties")}
    for error in errors:
        container, line = raw, getattr(raw, "line", 0)
        for part in error.absolute_path:
            line = line_of(container, part, line)
            try:
                container = container[part]
            except (KeyError, IndexError, TypeError):
                break
        what = _what(error, failing)
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            unknown = _unknown_keys(error, failing)
            if unknown:  # the first unknown key's own line
                line = line_of(container, unknown[0], line)
        if what:
            out.append((f"{_key_path(list(error.absolute_path))} {what}", line))
    return out
