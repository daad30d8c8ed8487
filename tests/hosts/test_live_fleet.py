"""Fleet clock outliers with two hosts (issue 16.9): without a majority, each host is
compared with the auditing machine's clock instead of naming the right one an outlier."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_readiness.probes.hosts import fleet
from tests.hosts.conftest import LiveLab, check_of, run_live

SHIFTED_DATE = ('#!/bin/sh\n# the clock of a host 5 s ahead (answers `date +%s.%N`)\n'
                's=$(/bin/date +%s); n=$(/bin/date +%N); echo "$((s + 5)).$n"\n')


def test_two_hosts_that_disagree_are_compared_with_our_clock() -> None:
    found = fleet.offset_outliers({"m1": 0.4, "m2": 5000.0}, 100)
    assert found.outliers == {"m2": 5000.0} and found.basis == fleet.OUR_CLOCK
    # The old median of two (the larger value) named m1, the right one.
    assert fleet.offset_outliers({"m1": -3.0, "m2": 2.0}, 100).outliers == {}


def test_a_majority_still_names_the_minority() -> None:
    found = fleet.offset_outliers({"a": 1.0, "b": 2.0, "c": 5000.0}, 100)
    assert found.outliers == {"c": 5000.0} and found.basis == fleet.ROLE_MEDIAN
    # A majority that is itself off: the minority close to our clock is the outlier of
    # the role, and the message shows every offset from our clock beside it.
    assert fleet.offset_outliers({"a": 900.0, "b": 950.0, "c": 0.0}, 100).outliers == {"c": 0.0}


@given(st.dictionaries(st.sampled_from("abcdefg"),
                       st.floats(-1e5, 1e5, allow_nan=False), min_size=1))
def test_outliers_are_far_from_their_basis(offsets: dict[str, float]) -> None:
    found = fleet.offset_outliers(offsets, 100)
    assert set(found.outliers) <= set(offsets)
    if found.basis == fleet.OUR_CLOCK:
        assert all(abs(v) > 100 for v in found.outliers.values())
    else:
        assert len(offsets) - len(found.outliers) > len(offsets) / 2


@pytest.fixture
def shifted_m2(live: LiveLab):
    stub = live.bin("m2") / "date"
    stub.write_text(SHIFTED_DATE)
    stub.chmod(0o755)
    yield
    stub.unlink()


def test_fleet_of_two_names_the_host_off_our_clock(live: LiveLab, shifted_m2,
                                                   pytester: pytest.Pytester) -> None:
    config = {"hosts": live.entries(), "fleet": {"facts": ["ntp_offset"]}}
    record = run_live(pytester, config, "fleet", "clock")
    check = check_of(record, "fleet.ntp-offset", "fleet")
    assert check["outcome"] == "warn", check["message"]
    assert "of the auditing machine's clock (no majority of the role agrees) on m2=+" in \
        check["message"]
    assert "on m1" not in check["message"]
    assert check["evidence"]["compared_with"] == {"all": fleet.OUR_CLOCK}
    offsets = check["evidence"]["offsets_ms"]["all"]
    assert abs(offsets["m1"]) < 100 and 4500 < offsets["m2"] < 5500
    assert check_of(record, "clock.host-drift", "m2")["outcome"] == "fail"
    assert check_of(record, "clock.host-drift", "m1")["outcome"] == "pass"
