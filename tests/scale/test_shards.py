"""A fleet audit split across two "CI jobs" (``--readiness-shard 1/2`` and ``2/2``)
and merged with ``pytest-readiness merge``: each shard holds whole hosts and opens
connections only to its own hosts; the merged record scores exactly like the
unsharded run."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.scale.conftest import HOSTS, audit, outcomes, write_audit
from tests.servers.sshd import SshFleet

pytestmark = pytest.mark.slow  # the fast tier (-m 'not slow') leaves it out


def _hosts_of(record: dict) -> set[str]:
    return {c["target"] for c in record["checks"] if c["id"] == "scale.fact"}


def _merge(pytester: pytest.Pytester, *records: str) -> dict:
    cli = shutil.which("pytest-readiness")
    assert cli, "the pytest-readiness command is not installed"
    result = pytester.run(cli, "merge", "-o", "merged.json", "--report", "merged.md", *records)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    return json.loads((pytester.path / "merged.json").read_text())


def test_two_shards_merge_into_the_unsharded_scorecard(fleet: SshFleet,
                                                       pytester: pytest.Pytester) -> None:
    write_audit(pytester.path, fleet.host_entries(timeout=10))
    whole = audit(pytester, fleet, "whole.json")
    shards = [audit(pytester, fleet, f"shard{i}.json", "--readiness-shard", f"{i}/2")
              for i in (1, 2)]

    # Each shard holds whole hosts: every check of a host, and no other shard's host.
    first, second = (_hosts_of(s) for s in shards)
    assert first and second and not first & second and first | second == set(HOSTS)
    for shard in shards:
        per_host = [c["target"] for c in shard["checks"] if c["id"] == "scale.fact"]
        assert sorted(per_host) == sorted(h for h in _hosts_of(shard) for _ in range(4))
        # ... and connects to its own hosts only, once each.
        assert shard["_logins"] == {h: int(h in _hosts_of(shard)) for h in HOSTS}
    # The check without a host ran in exactly one shard.
    assert sorted(sum(c["id"] == "scale.system" for c in s["checks"]) for s in shards) == [0, 1]

    merged = _merge(pytester, "shard1.json", "shard2.json")
    assert outcomes(merged) == outcomes(whole)
    assert len(merged["checks"]) == len(whole["checks"]) == 8 * 4 + 1
    assert merged["scorecard"] == whole["scorecard"]
    assert whole["scorecard"] != shards[0]["scorecard"]  # a shard alone scores differently
    assert "planted failure" in (pytester.path / "merged.md").read_text()
