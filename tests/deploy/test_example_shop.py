"""The example system's audit finds exactly its documented flaws, with file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
SUITES = "compose,dockerfile,contracts,ci,monitoring,ops"

# (check id, target) -> (outcome, ["file:line" of error/warning findings])
EXPECTED = {
    ("compose.literal-secrets", "docker-compose.yml"): ("fail", ["docker-compose.yml:114"]),
    ("compose.exposed-datastores", "docker-compose.yml"): ("fail", ["docker-compose.yml:81"]),
    ("compose.images-pinned", "docker-compose.yml"): ("fail", ["docker-compose.yml:89"]),
    ("compose.depends-on-healthy", "docker-compose.yml"): ("warn", ["docker-compose.yml:58"]),
    ("monitoring.mounted-configs", "shop"): ("fail", ["docker-compose.yml:119"]),
    ("dockerfile.healthcheck", "api/Dockerfile"): ("fail", ["api/Dockerfile:19"]),
    ("dockerfile.multi-stage", "worker/Dockerfile"): ("fail", ["worker/Dockerfile:4"]),
    ("contracts.proto-copies", "proto/shop/v1/orders.proto"): (
        "fail", ["worker/proto/orders.proto:9"]),
    ("contracts.env-provided", "shop"): ("fail", ["api/shop/main.py:19"]),
    ("contracts.env-unused", "shop"): ("warn", ["docker-compose.yml:37"]),
    ("ci.dependencies-pinned", "shop"): ("fail", [".github/workflows/ci.yml:11"]),
    ("ci.security-scan", "shop"): ("warn", [".github/workflows/ci.yml:31"]),
    ("monitoring.alert-rules", "shop"): ("fail", ["monitoring/rules/shop.rules.yml:14"]),
    ("monitoring.health-can-fail", "shop"): ("warn", ["api/shop/main.py:34"]),
    ("ops.capacity-planning", "shop"): ("fail", ["docs/capacity.md:1"]),
    ("ops.doc-scripts-exist", "shop"): ("fail", ["docs/backup-restore.md:14"]),
}
SKIPPED = {"contracts.breaking-changes", "contracts.proto-copies-found"}


@pytest.fixture
def shop_record(pytester: pytest.Pytester) -> dict:
    tree = pytester.path / "shop"
    shutil.copytree(SHOP, tree)
    result = pytester.runpytest("--readiness", "--readiness-config", str(tree / "readiness.yaml"),
                                "--readiness-suite", SUITES, "--readiness-json", "out.json",
                                "--readiness-report", "report.md", "-p", "no:cacheprovider")
    path = pytester.path / "out.json"
    assert path.exists(), result.stdout.str()[-3000:]
    record = json.loads(path.read_text(encoding="utf-8"))
    record["_report"] = (pytester.path / "report.md").read_text(encoding="utf-8")
    return record


def test_audit_finds_exactly_the_documented_flaws(shop_record: dict) -> None:
    checks = shop_record["checks"]
    found = {}
    for c in checks:
        if c["outcome"] in ("fail", "warn", "error"):
            where = sorted(f"{f['file']}:{f.get('line', '-')}"
                           for f in c["evidence"].get("findings", [])
                           if f.get("level") in ("error", "warning"))
            found[(c["id"], c["target"])] = (c["outcome"], where)
    assert found == EXPECTED
    skipped = {c["id"] for c in checks if c["outcome"] == "skip"}
    assert skipped == SKIPPED
    passed = [c for c in checks if c["outcome"] == "pass"]
    assert len(passed) == len(checks) - len(EXPECTED) - len(SKIPPED) >= 30


def test_report_names_flaws_and_keeps_the_literal_password_redacted(shop_record: dict) -> None:
    report = shop_record["_report"]
    assert "compose.literal-secrets" in report and "docker-compose.yml:114" in report
    # Markdown escapes _ and parentheses; the value shows only redacted.
    assert r"GF\_SECURITY\_ADMIN\_PASSWORD is a literal credential \(a…\(5 chars\)\)" in report
    assert "=admin" not in report
    assert "PASSWORD=admin" not in json.dumps(shop_record)


@pytest.mark.slow
def test_same_findings_under_xdist(pytester: pytest.Pytester) -> None:
    tree = pytester.path / "shop"
    shutil.copytree(SHOP, tree)
    result = pytester.runpytest_subprocess(
        "--readiness", "--readiness-config", str(tree / "readiness.yaml"), "--readiness-suite",
        SUITES, "--readiness-json", "out.json", "-p", "no:cacheprovider", "-n", "2")
    path = pytester.path / "out.json"
    assert path.exists(), result.stdout.str()[-3000:]
    checks = json.loads(path.read_text(encoding="utf-8"))["checks"]
    found = {(c["id"], c["target"]): c["outcome"] for c in checks
             if c["outcome"] in ("fail", "warn", "error")}
    assert found == {key: outcome for key, (outcome, _) in EXPECTED.items()}
