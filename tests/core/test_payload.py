"""The typed record a check result is across the worker boundary, and the shared gates."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness import gates
from pytest_readiness.results import AppliedWaiver, CheckPayload, CheckResult
from pytest_readiness.vocabulary import OUTCOMES, SEVERITIES

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=10)
waivers = st.none() | st.builds(AppliedWaiver, check=st.text(max_size=5),
                                target=st.none() | st.text(max_size=5), reason=st.text(max_size=5),
                                owner=st.none() | st.text(max_size=5),
                                expires=st.none() | st.just("2030-01-01"), expired=st.booleans(),
                                real_outcome=st.sampled_from(OUTCOMES))
payloads = st.builds(CheckPayload, id=st.text(max_size=8), title=st.text(max_size=8),
                     section=st.text(max_size=8), suite=st.text(max_size=8),
                     category=st.text(max_size=8), severity=st.sampled_from(SEVERITIES),
                     fix=st.text(max_size=8), target=st.none() | st.text(max_size=8),
                     outcome=st.sampled_from(OUTCOMES), message=st.text(max_size=8),
                     evidence=st.dictionaries(st.text(max_size=5), json_values, max_size=4),
                     waiver=waivers)


@given(payloads)
def test_payload_survives_the_trip_as_plain_json(payload: CheckPayload) -> None:
    wire = json.loads(json.dumps(payload.to_dict()))  # what xdist can carry
    assert CheckPayload.from_dict(wire) == payload
    result = payload.result("t.py::test[x]", 0.5)
    assert CheckResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert result.waiver == payload.waiver


def test_merge_and_audit_gate_alike() -> None:
    from tests.reports.conftest import check, make_record

    record = make_record([check("a.crit", "fail", severity="critical"),
                          check("b.low", "fail", severity="low"), check("c.ok", "pass")])
    assert gates.verdict_failures(record.scorecard, None) == ["blockers: a.crit"]
    assert [c.id for c in gates.fail_on(record.checks, "high")] == ["a.crit"]
    assert [c.id for c in gates.failing(record.checks)] == ["a.crit", "b.low"]
    assert gates.gate_failures(record, 99, "low", False) == [
        "blockers: a.crit", f"overall {record.scorecard.overall} < 99",
        "fail-on low: a.crit, b.low"]
    assert int(gates.Exit.GATE_FAILED) == int(gates.CliExit.GATE_FAILED) == 6


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=4),
       st.lists(st.dictionaries(st.text(max_size=5), json_values, max_size=3), max_size=4))
def test_record_text_is_the_indented_json_of_the_record(top: dict, checks: list) -> None:
    """One check per line (the C encoder), the rest indented: the same JSON data."""
    from pytest_readiness.results import record_text

    data = {**top, "checks": checks}
    text = record_text(data)
    assert json.loads(text) == json.loads(json.dumps(data, indent=2))
    lines = text.splitlines()
    for check in checks:
        assert "    " + json.dumps(check) in (line.removesuffix(",") for line in lines)
