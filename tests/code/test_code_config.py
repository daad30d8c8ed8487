"""readiness.yaml keys of the code suites: codebases[].ignore and config_files."""

from __future__ import annotations

import pytest

from pytest_readiness.config import ConfigError, parse_config


def test_rule_ignores_load() -> None:
    cfg = parse_config("codebases: [{path: ., ignore: [{rule: 'secret.*', paths: [vendor/*], "
                       "reason: third party}]}]", environ={})
    ignore = cfg.codebases[0].ignore[0]
    assert (ignore.rule, ignore.paths, ignore.reason) == ("secret.*", ["vendor/*"], "third party")


@pytest.mark.parametrize("entry,expected", [
    ("{rule: 'secret.*'}", "codebases[0].ignore[0].reason: required key is missing"),
    ("{rule: 'secret.*', reason: ''}", "codebases[0].ignore[0].reason"),
    ("{rule: x, reason: y, why: z}", "codebases[0].ignore[0].why: unknown key"),
])
def test_rule_ignore_needs_a_reason(entry: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        parse_config(f"codebases: [{{path: ., ignore: [{entry}]}}]", environ={})


def test_config_files_mode_is_octal() -> None:
    cfg = parse_config("codebases: [{path: ., config_files: [{path: a.yaml, required_keys: [a], "
                       "mode: 0600}]}]", environ={})
    assert cfg.codebases[0].config_files[0].mode == 0o600
