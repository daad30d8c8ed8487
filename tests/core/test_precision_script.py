"""scripts/precision.py: matching labels, carrying them over, counting, honest scores.

Hand-made records and labels only; the corpus itself is measured by running the
script on purpose (docs/precision.md), never here.
"""

from __future__ import annotations

import io
import sys
import tarfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness import scoring
from pytest_readiness.vocabulary import SEVERITIES

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import precision  # noqa: E402  (scripts/precision.py)
import precision_render  # noqa: E402
from precision_compare import (  # noqa: E402
    ComposeFacts,
    Label,
    MustFind,
    adjusted_outcome,
    compare_tree,
    compose_carry,
    count,
    judge,
    must_find_hit,
    no_carry,
    overlay_base,
    record_results,
    strict_failures,
    total,
)

FACTS = ComposeFacts({"compose.yml": None, "compose.override.yml": None,
                      "compose.deploy.yml": None, "deploy/compose.yaml": "shop",
                      "deploy/compose.prod.yaml": None,
                      "docker-compose.test.yml": None,
                      "docker-compose.test.override.yml": None}, "app")


def carry(target: str) -> frozenset[str]:
    return compose_carry(target, FACTS)


def check(id: str, target: str, outcome: str, *, severity: str = "medium",
          category: str = "deployment", files: tuple[str, ...] = (),
          message: str = "", levels: tuple[str, ...] = ()) -> dict[str, Any]:
    findings = [{"file": f, "line": 1, "message": message, "snippet": "",
                 "level": levels[i] if levels else "error"} for i, f in enumerate(files)]
    return {"id": id, "target": target, "outcome": outcome, "severity": severity,
            "category": category, "message": message,
            "evidence": {"findings": findings} if findings else {}}


@pytest.mark.parametrize(("path", "base"), [
    ("compose.override.yml", "compose.yml"),
    ("compose.deploy.yml", "compose.yml"),
    ("docker-compose.test.override.yml", "docker-compose.test.yml"),
    ("deploy/compose.prod.yaml", "deploy/compose.yaml"),
    ("compose.yml", None),
    ("compose.staging.yml", "compose.yml"),
    ("other/compose.extra.yml", None),  # no base in its directory
    ("Dockerfile", None),
])
def test_overlay_base(path: str, base: str | None) -> None:
    assert overlay_base(path, FACTS.files) == base


def test_overlay_label_maps_onto_the_merged_project_of_its_base() -> None:
    assert carry("compose.override.yml") == {"compose.yml", ".", "app"}
    assert carry("compose.yml") == {".", "app"}
    assert carry("deploy/compose.prod.yaml") == {"deploy/compose.yaml", "deploy", "shop"}
    # the chain of bases: test overlay -> test file -> the root project (named variant)
    assert {"docker-compose.test.yml"} <= carry("docker-compose.test.override.yml")
    assert carry(".") == carry("local") == carry("Dockerfile") == frozenset()


def test_direct_and_carried_matches() -> None:
    labels = [Label("compose.healthcheck", "compose.yml", "true"),
              Label("compose.healthcheck", "compose.override.yml", "false"),
              Label("compose.restart-policy", "compose.override.yml", "false")]
    # the new model: one result per project, findings located in the files they come from
    results = record_results({"checks": [
        check("compose.healthcheck", "app", "fail", files=("compose.yml",)),
        check("compose.restart-policy", "app", "fail",
              files=("compose.yml", "compose.override.yml")),
    ]})
    judgement = judge(labels, results, carry)
    states = {(s.label.check, s.label.target): s for s in judgement.states}
    assert states["compose.healthcheck", "compose.yml"].outcome == "fail"
    assert states["compose.healthcheck", "compose.yml"].carried
    assert states["compose.healthcheck", "compose.yml"].via == ("compose.healthcheck[app]",)
    # the overlay's false label is not reported: no finding of that result is in it
    assert states["compose.healthcheck", "compose.override.yml"].outcome is None
    # here one is: the false label counts as reported
    assert states["compose.restart-policy", "compose.override.yml"].outcome == "fail"
    assert judgement.unlabelled == ()


def test_true_overlay_label_is_kept_by_the_merged_project() -> None:
    labels = [Label("compose.resource-limits", "compose.deploy.yml", "true"),
              Label("compose.resource-limits", "compose.override.yml", "false")]
    results = record_results({"checks": [
        check("compose.resource-limits", "compose.yml+compose.deploy.yml", "fail",
              files=("compose.yml",)),
        check("compose.resource-limits", "compose.yml+compose.override.yml", "pass"),
    ]})
    true, false = judge(labels, results, carry).states
    assert (true.outcome, true.carried) == ("fail", True)
    assert true.via == ("compose.resource-limits[compose.yml+compose.deploy.yml]",)
    assert false.outcome == "pass"  # its own variant passes; the other's findings are not its
    base = Label("compose.resource-limits", "compose.yml", "true")
    (state,) = judge([base], results, carry).states
    assert state.via == ("compose.resource-limits[compose.yml+compose.deploy.yml]",)
    unrelated = record_results({"checks": [
        check("compose.resource-limits", "other.yml+more.yml", "fail", files=("other.yml",))]})
    assert judge(labels, unrelated, carry).states[0].outcome is None


def test_carried_false_label_reads_the_level_of_its_own_file() -> None:
    labels = [Label("compose.resource-limits", "compose.full.yml", "false"),
              Label("compose.resource-limits", "compose.more.yml", "false"),
              Label("compose.resource-limits", "compose.yml", "true")]
    # the variant fails on an error in another file; its findings in full.yml are warnings
    results = record_results({"checks": [
        check("compose.resource-limits", "compose.yml+compose.full.yml+compose.more.yml",
              "fail", files=("compose.full.yml", "compose.more.yml", "compose.more.yml"),
              levels=("warning", "warning", "error"))]})
    full, more, base = judge(labels, results, carry).states
    assert (full.outcome, full.carried) == ("warn", True)
    assert more.outcome == "fail"  # an error of its own file
    assert base.outcome == "fail"  # a true label reads the project's outcome


def test_same_target_matches_directly_without_carrying() -> None:
    label = Label("compose.healthcheck", "compose.override.yml", "false")
    results = record_results({"checks": [
        check("compose.healthcheck", "compose.override.yml", "fail",
              files=("compose.override.yml",)),
        check("compose.healthcheck", "compose.yml", "pass"),
    ]})
    (state,) = judge([label], results, carry).states
    assert (state.outcome, state.carried, state.via) == ("fail", False, ())


def test_renamed_check_carries_its_labels() -> None:
    label = Label("compose.non-root", "compose.yml", "true")
    results = record_results({"checks": [check("containers.non-root", "compose.yml", "warn")]})
    assert judge([label], results, carry).states[0].outcome is None
    (state,) = judge([label], results, carry, {"compose.non-root": ("containers.non-root",)}).states
    assert (state.outcome, state.carried) == ("warn", True)


def test_note_findings_do_not_report_a_file() -> None:
    label = Label("compose.healthcheck", "compose.override.yml", "false")
    results = record_results({"checks": [
        check("compose.healthcheck", "app", "fail", files=("compose.yml", "compose.override.yml"),
              levels=("error", "note")),
    ]})
    assert judge([label], results, carry).states[0].outcome is None


RECORD = {"checks": [
    check("a.one", ".", "fail", severity="high", category="security"),           # true
    check("a.two", ".", "pass", severity="high", category="security"),           # true, missed
    check("b.one", "f.yml", "fail", severity="critical", category="security"),   # false blocker
    check("b.two", ".", "warn", severity="medium", category="deployment"),       # false
    check("c.one", ".", "fail", severity="medium", category="deployment"),       # debatable fail
    check("c.two", ".", "warn", severity="medium", category="deployment"),       # debatable warn
    check("d.one", ".", "fail", severity="low", category="deployment"),          # unlabelled
    check("e.one", ".", "error", severity="high", category="deployment"),        # error
], "scorecard": {"blockers": ["b.one[f.yml]"]}}
LABELS = [Label("a.one", ".", "true"), Label("a.two", ".", "true"),
          Label("b.one", "f.yml", "false"), Label("b.two", ".", "false"),
          Label("c.one", ".", "debatable"), Label("c.two", ".", "debatable"),
          Label("z.gone", ".", "false")]


def test_counting_per_check_and_in_total() -> None:
    judgement = judge(LABELS, record_results(RECORD), no_carry)
    per_check = count(judgement)
    assert per_check["a.one"].true_kept == 1 and per_check["a.two"].true_missed == 1
    assert per_check["d.one"].unlabelled == 1
    summed = total(per_check.values())
    assert (summed.true_kept, summed.true_missed, summed.false_reported, summed.false_gone,
            summed.debatable_fail, summed.debatable_warn,
            summed.unlabelled) == (1, 1, 2, 1, 1, 1, 1)
    assert summed.reported == 5
    assert summed.strict == pytest.approx(1 / 5, abs=1e-4)
    assert summed.acceptable == pytest.approx(2 / 5, abs=1e-4)
    assert summed.reviewer == pytest.approx(1 / 3, abs=1e-4)
    assert [r.check for r, _ in judgement.errors] == ["e.one"]


@pytest.mark.parametrize(("outcome", "labels", "expected"), [
    ("fail", ["false"], "pass"),
    ("warn", ["false"], "pass"),
    ("fail", ["debatable"], "warn"),
    ("warn", ["debatable"], "warn"),
    ("fail", ["false", "debatable"], "warn"),
    ("fail", ["false", "true"], "fail"),
    ("fail", [], "fail"),  # unlabelled: left as printed
    ("error", ["false"], "error"),
    ("pass", ["true"], "pass"),
])
def test_adjusted_outcome(outcome: str, labels: list[str], expected: str) -> None:
    assert adjusted_outcome(outcome, [Label("x", ".", k) for k in labels]) == expected


def test_scorecard_from_true_findings_only() -> None:
    row = compare_tree({"tree": "t", "labels": [
        {"check": label.check, "target": label.target, "label": label.label}
        for label in LABELS]}, RECORD, no_carry)
    expected = scoring.score([
        scoring.ScoredCheck("a.one", ".", "security", "high", "fail"),
        scoring.ScoredCheck("a.two", ".", "security", "high", "pass"),
        scoring.ScoredCheck("b.one", "f.yml", "security", "critical", "pass"),
        scoring.ScoredCheck("b.two", ".", "deployment", "medium", "pass"),
        scoring.ScoredCheck("c.one", ".", "deployment", "medium", "warn"),
        scoring.ScoredCheck("c.two", ".", "deployment", "medium", "warn"),
        scoring.ScoredCheck("d.one", ".", "deployment", "low", "fail"),
        scoring.ScoredCheck("e.one", ".", "deployment", "high", "error"),
    ], scoring.Policy(min_checks=0))  # a record that names no min_checks scored every category
    assert row["recomputed"] == scoring.scorecard_to_dict(expected)
    assert row["recomputed"]["blockers"] == []
    assert row["rescored"]["blockers"] == ["b.one[f.yml]"]
    assert row["blockers"] == [{"blocker": "b.one[f.yml]", "outcome": "fail",
                                "labels": ["false"]}]
    assert [r["check"] for r in row["missed"]] == ["a.two"]
    assert [r["check"] for r in row["false_reported"]] == ["b.one", "b.two"]
    assert [r["check"] for r in row["debatable_failing"]] == ["c.one"]
    assert [r["check"] for r in row["unlabelled"]] == ["d.one"]
    report = {"trees": [{**row, "must_find": [{"file": "x", "line": "1", "what": "w",
                                               "found": None}]}]}
    assert strict_failures(report) == [
        "t: false reported b.one[f.yml]", "t: false reported b.two[.]",
        "t: true missed a.two[.]", "t: must-find missed x:1 w"]


OUTCOMES = st.sampled_from(["pass", "warn", "fail", "error", "skip"])
KINDS = st.sampled_from(["true", "false", "debatable", None])


@given(st.lists(st.tuples(OUTCOMES, KINDS, st.sampled_from(list(SEVERITIES)),
                          st.sampled_from(["security", "deployment", "operations"])),
                min_size=1, max_size=12))
def test_removing_false_findings_never_lowers_a_score(
        rows: list[tuple[str, Any, str, str]]) -> None:
    record = {"checks": [check(f"c.{i}", ".", outcome, severity=severity, category=category)
                         for i, (outcome, _, severity, category) in enumerate(rows)]}
    labels = [{"check": f"c.{i}", "target": ".", "label": kind}
              for i, (_, kind, _, _) in enumerate(rows) if kind]
    row = compare_tree({"tree": "t", "labels": labels}, record, no_carry)
    before, after = row["rescored"], row["recomputed"]
    if before["overall"] is not None:
        assert after["overall"] >= before["overall"] - 1e-9
    assert set(after["blockers"]) <= set(before["blockers"])
    totals = row["totals"]
    for key in ("strict", "acceptable", "reviewer"):
        assert totals[key] is None or 0 <= totals[key] <= 1
    assert totals["strict"] is None or totals["strict"] <= totals["acceptable"]


def must(checks: tuple[str, ...] = ("compose.*",), pattern: str = r"docker\.sock") -> MustFind:
    return MustFind("t", "compose.yml", "7", checks, pattern, "socket mounted")


def test_must_find_needs_a_reported_finding_in_the_file() -> None:
    hit = record_results({"checks": [
        check("compose.host-access", "app", "fail", files=("compose.yml",),
              message="service proxy mounts /var/run/docker.sock")]})
    assert must_find_hit(must(), hit) == {"result": "compose.host-access[app]",
                                          "outcome": "fail", "how": "finding", "line": 1}
    assert must_find_hit(must(("secrets.*",)), hit) is None  # another rule family
    assert must_find_hit(must(pattern="hostfs"), hit) is None
    other_file = record_results({"checks": [
        check("compose.host-access", "app", "fail", files=("compose.override.yml",),
              message="mounts /var/run/docker.sock")]})
    assert must_find_hit(must(), other_file) is None
    as_note = record_results({"checks": [
        check("compose.host-access", "app", "pass", files=("compose.yml",),
              message="mounts /var/run/docker.sock", levels=("note",))]})
    assert must_find_hit(must(), as_note) is None
    unlocated = record_results({"checks": [
        check("compose.host-access", ".", "warn",
              message="compose.yml: proxy mounts the docker.sock")]})
    assert must_find_hit(must(), unlocated)["how"] == "message"  # type: ignore[index]


def test_code_read_after_all_meets_a_must_find_about_reading() -> None:
    unread = MustFind("t", "app/deps.py", "36", ("auth.*",), "not analysed", "newer syntax",
                      analysed="analysed through")
    read = record_results({"checks": [
        check("auth.tls-verification", ".", "pass", files=("app/deps.py",),
              message="analysed through LibCST, in syntax newer than this Python",
              levels=("note",))]})
    assert must_find_hit(unread, read) == {"result": "auth.tls-verification[.]",
                                           "outcome": "pass", "how": "analysed", "line": 1}
    assert must_find_hit(replace(unread, analysed=""), read) is None  # a report is needed
    elsewhere = record_results({"checks": [
        check("auth.tls-verification", ".", "pass", files=("app/other.py",),
              message="analysed through LibCST", levels=("note",))]})
    assert must_find_hit(unread, elsewhere) is None


def test_corpus_must_finds_are_well_formed() -> None:
    import re

    for item in precision.MUST_FIND:
        re.compile(item.pattern)
        assert item.checks and item.file and item.what
        assert item.tree in (precision.FASTAPI, precision.NETBOX, precision.OTEL)


def test_markdown_tables_replace_only_the_marked_block() -> None:
    begin, end = precision_render.BEGIN, precision_render.END
    old = f"# Title\n\nprose\n\n{begin}\nold tables\n{end}\n\nmore\n"
    new = precision_render.splice_markdown(old, "| new |\n")
    assert new.startswith("# Title\n\nprose\n\n") and new.endswith("\n\nmore\n")
    assert "old tables" not in new and "| new |" in new
    assert precision_render.splice_markdown("", "| t |\n").startswith(precision_render.BEGIN)


def _archive(path: Path, members: dict[str, bytes], commit: str) -> None:
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT,
                      pax_headers={"comment": commit}) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o664
            tar.addfile(info, io.BytesIO(data))


def test_extract_keeps_modes_and_checks_the_commit(tmp_path: Path) -> None:
    archive = tmp_path / "tree.tar.gz"
    _archive(archive, {"tree/.env": b"A=1\n", "tree/compose.yml": b"services: {}\n"}, "abc")
    root = precision.extract(archive, tmp_path / "out", "abc")
    assert root == tmp_path / "out" / "tree"
    assert (root / ".env").stat().st_mode & 0o777 == 0o664
    assert precision.compose_facts(root) == ComposeFacts({"compose.yml": None}, "tree")
    with pytest.raises(precision.PrecisionError, match="holds commit abc"):
        precision.extract(archive, tmp_path / "again", "def")
    bad = tmp_path / "bad.tar.gz"
    _archive(bad, {"tree/../../escape": b"x"}, "abc")
    with pytest.raises(precision.PrecisionError, match="unsafe member path"):
        precision.extract(bad, tmp_path / "bad", "abc")
