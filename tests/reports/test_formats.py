"""SARIF, Prometheus textfile metrics, JUnit XML properties and pytest-html columns."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pytest_readiness.report import prometheus, sarif
from tests.reports.conftest import hostile_record, run_audit


def test_sarif_has_every_located_finding() -> None:
    log = sarif.render(hostile_record())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pytest-readiness"
    rules = [r["id"] for r in driver["rules"]]
    assert rules == ["secret.api-key", "secret.env-file"]  # the finding without a file is out
    first, second = run["results"]
    assert first["ruleId"] == "secret.api-key" and first["level"] == "error"
    assert rules[first["ruleIndex"]] == first["ruleId"]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "app.py"
    assert location["region"] == {"startLine": 3, "snippet": {"text": "KEY = 'sk-a…(40 chars)'"}}
    assert first["message"]["text"] == "API key sk-a…(40 chars)"
    assert first["properties"]["check"] == "code.secrets"
    assert "region" not in second["locations"][0]["physicalLocation"]  # no line: no region
    assert driver["rules"][0]["properties"]["security-severity"] == "8.0"
    for result in run["results"]:  # the essential keys of the SARIF 2.1.0 schema
        assert set(result) >= {"ruleId", "level", "message", "locations"}
        assert result["level"] in ("error", "warning", "note", "none")


def test_sarif_written_by_the_plugin(project: pytest.Pytester) -> None:
    run_audit(project, "--readiness-sarif", "out.sarif")
    log = json.loads((project.path / "out.sarif").read_text())
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "demo.rule" and result["level"] == "warning"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    assert result["properties"]["outcome"] == "fail"


def test_prometheus_metrics_parse_back() -> None:
    record = hostile_record()
    families = {f.name: f for f in text_string_to_metric_families(prometheus.render(record))}
    scores = {s.labels["category"]: s.value for s in families["readiness_category_score"].samples}
    assert scores == {c.name: round(c.score, 2) for c in record.scorecard.categories
                      if c.score is not None}
    (overall,) = families["readiness_overall_score"].samples
    assert overall.value == round(record.scorecard.overall, 2)
    assert overall.labels == {"system": "Hand-built system"}
    checks = {s.labels["outcome"]: s.value for s in families["readiness_checks"].samples}
    assert checks == {"pass": 1, "warn": 1, "fail": 2, "error": 0, "skip": 1, "waived": 1}
    verdicts = {s.labels["verdict"]: s.value for s in families["readiness_verdict"].samples}
    assert verdicts == {"PRODUCTION READY": 0, "CONDITIONAL APPROVAL": 0, "NOT READY": 1,
                        "NOT ASSESSED": 0}
    assert families["readiness_blockers"].samples[0].value == 1
    assert families["readiness_partial"].samples[0].value == 0


def test_prometheus_file_from_the_plugin(project: pytest.Pytester) -> None:
    _, record = run_audit(project, "--readiness-prometheus", "metrics/readiness.prom")
    text = (project.path / "metrics" / "readiness.prom").read_text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["readiness_overall_score"].samples[0].value == \
        record["scorecard"]["overall"]
    result, _ = run_audit(project, "--readiness-prometheus", "metrics.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*only files ending in .prom*"])


def test_junit_properties(project: pytest.Pytester) -> None:
    run_audit(project, "--junitxml", "junit.xml")
    root = ET.parse(project.path / "junit.xml").getroot()
    props = {}
    for case in root.iter("testcase"):
        values = {p.get("name"): p.get("value") for p in case.iter("property")}
        props[values["readiness.id"] + "[" + str(values.get("readiness.target")) + "]"] = values
    crit = props["demo.crit[None]"]
    assert crit["readiness.category"] == "security"
    assert crit["readiness.severity"] == "critical"
    assert crit["readiness.outcome"] == "pass"
    assert json.loads(crit["readiness.evidence"]) == {"banner": "ok"}
    assert props["demo.low[None]"]["readiness.outcome"] == "fail"
    assert props["demo.warned[None]"]["readiness.outcome"] == "warn"


def test_pytest_html_summary_and_columns(project: pytest.Pytester,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_BANNER", "<script>alert(1)</script>")
    run_audit(project, "--html", "ph.html", "--self-contained-html")
    page = (project.path / "ph.html").read_text()
    assert 'class="readiness-summary"' in page and "scorecard-chart" in page
    assert "Production readiness: Demo system" in page
    for header in ("Category", "Severity", "Readiness"):
        assert f'data-column-type="{header.lower()}">{header}</th>' in page
    # The rows live in a JSON blob that pytest-html renders; our cells are escaped in it.
    assert "col-severity" in page and "critical" in page and "WARN" in page
    assert "<script>alert(1)</script>" not in page
    # escaped by us (&lt;), then once more by pytest-html for its JSON attribute (&amp;lt;)
    assert "banner: &amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;" in page
    assert "readiness-evidence" in page


def test_a_writer_that_fails_leaves_the_others(project: pytest.Pytester) -> None:
    (project.path / "taken").mkdir()  # the HTML report cannot be written over a directory
    result, record = run_audit(project, "--readiness-html", "taken", "--readiness-sarif",
                               "out.sarif", "--readiness-report", "out.md")
    assert (project.path / "out.sarif").is_file() and (project.path / "out.md").is_file()
    assert [n for n in record["notes"] if n.startswith("could not write the html report to "
                                                       "taken: IsADirectoryError")]
    result.stdout.fnmatch_lines(["note: could not write the html report to taken*"])
    assert "readiness html report:" not in result.stdout.str()
