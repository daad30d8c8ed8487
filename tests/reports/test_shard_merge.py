"""--readiness-shard I/N and `pytest-readiness merge`: shards merge into the unsharded run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness import cli
from pytest_readiness.sharding import parse_shard, shard_key, shard_of

HOSTS = ["alpha", "beta", "gamma", "delta", "epsilon"]
FLEET_CHECKS = '''
import pytest

pytestmark = pytest.mark.readiness(section="My fleet", category="operations")

@pytest.mark.readiness(id="fleet.kernel", severity="high")
def test_kernel(host_config, readiness):
    """Kernel current."""
    readiness.evidence(host=host_config.name)
    assert host_config.name != "beta", "old kernel"

@pytest.mark.readiness(id="fleet.disk", severity="medium", category="resilience")
def test_disk(host_config):
    """Disk space."""
    if host_config.name == "gamma":
        pytest_readiness_warn = __import__("pytest_readiness").warn
        pytest_readiness_warn("disk 85% full")

@pytest.mark.readiness(id="fleet.ntp", severity="critical", category="security")
def test_ntp(host_config):
    """Clock synchronised."""

@pytest.mark.readiness(id="fleet.na", severity="low")
def test_not_applicable(host_config):
    pytest.skip("not applicable")
'''


@pytest.fixture
def fleet(pytester: pytest.Pytester) -> pytest.Pytester:
    hosts = "".join(f"  - {{name: {h}, connection: 'local://'}}\n" for h in HOSTS)
    pytester.makefile(".yaml", readiness=f"system: Fleet\nchecks: [checks]\n"
                                          f"scoring: {{min_checks: 0}}\nhosts:\n{hosts}")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_myfleet.py").write_text(FLEET_CHECKS)
    (pytester.path / "checks" / "test_demo.py").write_text(
        (Path(__file__).parent / "conftest.py").read_text().split("CHECKS = '''")[1]
        .split("'''")[0])
    return pytester


def audit(pytester: pytest.Pytester, out: str, *args: str) -> dict:
    pytester.runpytest("--readiness", "--readiness-suite", "myfleet,demo", "--readiness-json", out,
                       "-p", "no:cacheprovider", *args)
    return json.loads((pytester.path / out).read_text())


def comparable(record: dict) -> list[dict]:
    return sorted(({k: v for k, v in c.items() if k != "duration_s"} for c in record["checks"]),
                  key=lambda c: c["nodeid"])


@pytest.mark.slow
def test_three_shards_merge_into_the_unsharded_scorecard(fleet: pytest.Pytester) -> None:
    whole = audit(fleet, "whole.json")
    shards = [audit(fleet, f"shard{i}.json", "--readiness-shard", f"{i}/3") for i in (1, 2)]
    shards.append(audit(fleet, "shard3.json", "--readiness-shard", "3/3", "-n", "2"))
    ids = [{c["nodeid"] for c in s["checks"]} for s in shards]
    assert all(ids) and sum(len(i) for i in ids) == len(whole["checks"]) == 30
    assert {c["suite"] for c in whole["checks"]} == {"myfleet", "demo"}
    assert set().union(*ids) == {c["nodeid"] for c in whole["checks"]}
    for host in HOSTS:  # one host's checks are in one shard
        holders = [i for i, s in enumerate(shards) if any(c["target"] == host for c in s["checks"])]
        assert len(holders) == 1, host

    paths = [str(fleet.path / f"shard{i}.json") for i in (1, 2, 3)]
    merged_path = fleet.path / "all.json"
    code = cli.main(["merge", *paths, "-o", str(merged_path), "--html",
                     str(fleet.path / "all.html"), "--report", str(fleet.path / "all.md")])
    merged = json.loads(merged_path.read_text())
    assert code == (cli.EXIT_GATE_FAILED if whole["scorecard"]["verdict"] == "NOT READY" else 0)
    assert [(s["partial"], s["shard"]) for s in shards] == [(True, f"{i}/3") for i in (1, 2, 3)]
    assert (merged["partial"], merged["shard"], whole["partial"]) == (False, None, False)
    assert merged["scorecard"] == whole["scorecard"]
    assert comparable(merged) == comparable(whole)
    assert "Production readiness: Fleet" in (fleet.path / "all.html").read_text()
    assert (fleet.path / "all.md").read_text().startswith("# Production readiness: Fleet")
    assert "PARTIAL" not in (fleet.path / "all.md").read_text()

    cli.main(["merge", *paths[:2], "-o", str(merged_path)])
    assert json.loads(merged_path.read_text())["notes"] == [
        "shard(s) 3/3 missing from the merge: their checks are not in this record"]


def test_merge_gates_and_errors(fleet: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    record = audit(fleet, "whole.json")
    path = str(fleet.path / "whole.json")
    out = str(fleet.path / "m.json")
    overall = record["scorecard"]["overall"]
    assert cli.gate_failures(cli.read_record(Path(path)), None, None, False) == []
    assert cli.main(["merge", path, "-o", out]) == 0
    assert cli.main(["merge", path, "-o", out, "--fail-under", str(overall + 1)]) == 6
    assert cli.main(["merge", path, "-o", out, "--fail-on", "high"]) == 6
    assert cli.main(["merge", path, "-o", out, "--fail-on", "critical"]) == 0
    assert "gate NOT met: fail-on high: fleet.kernel[beta]" in capsys.readouterr().err
    (fleet.path / "bad.json").write_text("{}")
    assert cli.main(["merge", path, str(fleet.path / "bad.json"), "-o", out]) == 2
    assert "not a pytest-readiness/1 record" in capsys.readouterr().err
    assert cli.main(["merge", str(fleet.path / "nope.json"), "-o", out]) == 2


@given(st.text(min_size=1, max_size=40), st.integers(min_value=1, max_value=64))
def test_every_key_lands_in_exactly_one_stable_shard(key: str, count: int) -> None:
    shard = shard_of(key, count)
    assert 1 <= shard <= count and shard == shard_of(key, count)


def test_shard_key_keeps_hosts_together() -> None:
    assert shard_key("a.one", "web1", "web1") == shard_key("b.two", "web1:/etc/x", "web1")
    assert shard_key("a.one", "api", None) == "a.one[api]"
    assert parse_shard(" 2 / 3 ") == (2, 3)
    for bad in ("0/3", "3", "a/b", "1/0", "4/3"):
        with pytest.raises(ValueError, match="--readiness-shard"):
            parse_shard(bad)


def test_merging_records_that_assessed_nothing_gives_no_verdict(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_readiness.results import CheckResult, build_record, write_record
    from pytest_readiness.scoring import Policy

    skipped = CheckResult(nodeid="t.py::a", id="x.a", title="A", section="X", suite="x",
                          category="security", severity="high", outcome="skip",
                          message="not applicable: nothing")
    record = build_record("S", [skipped], Policy(), started="2026-01-01T00:00:00+00:00",
                          finished="2026-01-01T00:00:01+00:00", duration_s=1.0, shard="1/2")
    write_record(record, tmp_path / "s1.json")
    code = cli.main(["merge", str(tmp_path / "s1.json"), "-o", str(tmp_path / "m.json"),
                     "--fail-under", "80"])
    assert code == cli.EXIT_NOTHING_ASSESSED == 5
    merged = json.loads((tmp_path / "m.json").read_text())
    assert merged["scorecard"]["verdict"] == "NOT ASSESSED" and merged["partial"] is False
    err = capsys.readouterr().err
    assert "nothing assessed" in err and "shard(s) 2/2 missing" in err
