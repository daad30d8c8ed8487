"""Baselines (fixed, regressed, new, deltas) and the gates: fail-on, no-regressions."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness import baseline
from pytest_readiness.vocabulary import OUTCOMES
from tests.reports.conftest import check, make_record, run_audit


def test_compare_sorts_changes() -> None:
    before = make_record([check("c.fixed", "fail"), check("c.better", "fail"),
                          check("c.worse", "pass"), check("c.same", "warn"),
                          check("c.gone", "fail"), check("c.na", "skip")])
    after = make_record([check("c.fixed", "pass"), check("c.better", "warn"),
                         check("c.worse", "error"), check("c.same", "warn"),
                         check("c.na", "fail"), check("c.added", "pass")])
    result = baseline.compare(after, before, "b.json")
    assert result.fixed == ["c.fixed"]
    assert result.improved == ["c.better"]
    assert result.regressed == ["c.worse"]  # skip -> fail has no rank: not a regression
    assert result.new == ["c.added"] and result.removed == ["c.gone"]
    assert result.changes["c.worse"] == ("pass", "error")
    data = result.to_dict()
    assert data["overall"]["delta"] == round(after.scorecard.overall - before.scorecard.overall, 2)
    assert set(data["categories"]) == {"security"}


outcome = st.sampled_from(OUTCOMES)


@given(st.lists(st.tuples(outcome, outcome), min_size=1, max_size=12))
def test_compare_is_symmetric(pairs: list[tuple[str, str]]) -> None:
    a = make_record([check(f"p.c{i}", x) for i, (x, _) in enumerate(pairs)])
    b = make_record([check(f"p.c{i}", y) for i, (_, y) in enumerate(pairs)])
    forward, backward = baseline.compare(b, a, "a"), baseline.compare(a, b, "b")
    assert set(forward.regressed) <= set(backward.fixed) | set(backward.improved)
    assert set(backward.regressed) <= set(forward.fixed) | set(forward.improved)
    assert not baseline.compare(a, a, "a").regressed and not baseline.compare(a, a, "a").fixed


def test_baseline_in_every_report_and_no_regressions_gate(project: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_CRIT", "fail")
    run_audit(project, json_name="before.json")
    monkeypatch.setenv("DEMO_CRIT", "pass")
    monkeypatch.setenv("DEMO_BAD_BOX", "beta")
    result, record = run_audit(project, "--readiness-baseline", "before.json",
                               "--readiness-report", "out.md", "--readiness-html", "out.html",
                               "--readiness-no-regressions")
    base = record["baseline"]
    assert base["fixed"] == ["demo.crit"]
    assert base["regressed"] == ["demo.hosts[beta]"]  # parametrised, no target: the param id
    assert base["categories"]["security"]["delta"] == 100.0
    markdown = (project.path / "out.md").read_text()
    assert "- ~~demo.crit~~ fixed" in markdown and "**regressed**: demo.hosts\\[beta\\]" in markdown
    assert "<del>demo.crit</del> fixed" in (project.path / "out.html").read_text()
    result.stdout.fnmatch_lines(["since baseline *: 1 fixed, 1 regressed, 0 new",
                                 "  REGRESSED demo.hosts[[]beta]: pass -> fail",
                                 "gate no-regressions: NOT met (1 regressed: demo.hosts[[]beta])"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # a failed check fails the run anyway


def test_no_regressions_gate_alone_exits_6(project: pytest.Pytester,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_LOW", "pass")
    run_audit(project, json_name="before.json")
    # Same checks, one waived failure appears: nothing fails, but the score regressed? No:
    # waived ranks as pass. Make a check regress to a warning instead (no pytest failure).
    (project.path / "checks" / "test_demo.py").write_text(
        (project.path / "checks" / "test_demo.py").read_text().replace(
            '"""Retries configured."""', '"""Retries configured."""\n    readiness.warn("slow")'))
    result, record = run_audit(project, "--readiness-baseline", "before.json",
                               "--readiness-no-regressions")
    assert record["baseline"]["regressed"] == ["demo.high"]
    assert result.ret == 6
    result, _ = run_audit(project, "--readiness-baseline", "before.json")
    assert result.ret == 0  # no gate asked for


def test_fail_on_gates_by_severity(project: pytest.Pytester,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    result, _ = run_audit(project)  # demo.low fails by default
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result, _ = run_audit(project, "--readiness-fail-on", "high")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["gate fail-on high: met (1 lower-severity failure(s)*"])
    result, _ = run_audit(project, "--readiness-fail-on", "low")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    monkeypatch.setenv("DEMO_HIGH", "fail")
    result, _ = run_audit(project, "--readiness-fail-on", "high")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["gate fail-on high: NOT met (1 check(s): demo.high)"])


@pytest.mark.parametrize(("args", "message"), [
    (("--readiness-fail-on", "severe"), "*--readiness-fail-on: expected one of critical*"),
    (("--readiness-no-regressions",), "*needs --readiness-baseline*"),
    (("--readiness-baseline", "missing.json"), "*missing.json: cannot read a result record*"),
    (("--readiness-shard", "4/3"), "*expected 1 <= I <= N*"),
])
def test_bad_gate_options_are_usage_errors(project: pytest.Pytester, args: tuple[str, ...],
                                           message: str) -> None:
    result, _ = run_audit(project, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_history_keeps_records_and_draws_trends(project: pytest.Pytester,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for crit in ("fail", "pass", "pass"):
        monkeypatch.setenv("DEMO_CRIT", crit)
        run_audit(project, "--readiness-history", "hist", "--readiness-html", "out.html")
    (project.path / "hist" / "junk.json").write_text("{not json")
    shutil.copy(project.path / "out.json", project.path / "hist" / "copy.json")
    run_audit(project, "--readiness-history", "hist", "--readiness-html", "out.html")
    assert len(list((project.path / "hist").glob("readiness-*.json"))) == 4
    page = (project.path / "out.html").read_text()
    assert page.count('data-series="overall"') == 1 and 'data-series="security"' in page
    assert "junk.json: skipped, not a readiness record" in page
