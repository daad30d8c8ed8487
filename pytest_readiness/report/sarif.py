"""SARIF 2.1.0 for code-scanning UIs: every finding that has a file (and line).

Findings come from a check's ``evidence["findings"]`` (``readiness.conclude``),
already redacted by the probe. The SARIF rule id is the finding's own rule id (the
check id, or ``<check id>:<rule>``: ``secrets.hardcoded:fallback-default``); the check
it came from, its target and outcome are kept in the result's properties. Absolute
paths under ``root`` (the audited directory) become relative, so code-scanning UIs
can link them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_readiness._version import __version__
from pytest_readiness.report.common import truncate
from pytest_readiness.results import Record
from pytest_readiness.vocabulary import LEVELS, Level, sarif_score_of

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {*LEVELS, "none"}


def _uri(file: str, root: Path | None) -> str:
    path = Path(file)
    if path.is_absolute() and root is not None:
        try:
            path = path.relative_to(root)
        except ValueError:
            return path.as_uri()
    return str(PurePosixPath(*path.parts)) if path.parts else file


def _rule(rule_id: str, check: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": truncate(check.title or rule_id, 200)},
        "fullDescription": {"text": truncate(f"{check.section}: {check.title}", 1000)},
        "help": {"text": truncate(check.fix or "See the readiness report.", 1000)},
        "properties": {"category": check.category, "severity": check.severity,
                       "check": check.id, "security-severity": sarif_score_of(check.severity),
                       "tags": [check.category, check.severity]},
    }


def _result(finding: Mapping[str, Any], check: Any, rule_index: int, roles: Mapping[str, Any],
            root: Path | None) -> dict[str, Any]:
    level = str(finding.get("level", Level.ERROR))
    region: dict[str, Any] = {}
    line = finding.get("line")
    if isinstance(line, int) and line >= 1:
        region["startLine"] = line
    if finding.get("snippet"):
        region["snippet"] = {"text": truncate(str(finding["snippet"]), 300)}
    location: dict[str, Any] = {"artifactLocation": {"uri": _uri(str(finding["file"]), root)}}
    if region:
        location["region"] = region
    return {
        "ruleId": str(finding.get("rule") or check.id),
        "ruleIndex": rule_index,
        "level": level if level in SARIF_LEVELS else str(Level.WARNING),
        "message": {"text": truncate(str(finding.get("message") or check.title), 1000)},
        "locations": [{"physicalLocation": location}],
        "properties": {"check": check.id, "target": check.target, "outcome": check.outcome,
                       "category": check.category, "severity": check.severity,
                       **({"role": roles[file].role, "roleReason": roles[file].reason}
                          if (file := str(finding.get("file"))) in roles else {})},
    }


def render(record: Record, root: Path | None = None) -> dict[str, Any]:
    """The SARIF log (a dict) of every located finding in the record."""
    rules: dict[str, dict[str, Any]] = {}
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    roles = {f.file: f for f in record.scope.files} if record.scope else {}
    for check in record.checks:
        for finding in check.findings:
            if not finding.get("file"):
                continue
            rule_id = str(finding.get("rule") or check.id)
            if rule_id not in index:
                index[rule_id] = len(rules)
                rules[rule_id] = _rule(rule_id, check)
            results.append(_result(finding, check, index[rule_id], roles, root))
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "pytest-readiness", "version": __version__,
                                "informationUri": "https://pypi.org/project/pytest-readiness/",
                                "rules": list(rules.values())}},
            "automationDetails": {"id": f"pytest-readiness/{record.system}/"},
            "invocations": [{"executionSuccessful": not record.incomplete,
                             "commandLine": record.command,
                             "startTimeUtc": record.started, "endTimeUtc": record.finished,
                             "properties": {"verdict": record.scorecard.verdict,
                                            "profile": record.profile,
                                            "partial": record.partial, "shard": record.shard,
                                            "incomplete": record.incomplete,
                                            **({"filesByRole": record.scope.counts}
                                               if record.scope else {})}}],
            "results": results,
        }],
    }


def write(record: Record, path: Path, root: Path | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(render(record, root), indent=2) + "\n", encoding="utf-8")
