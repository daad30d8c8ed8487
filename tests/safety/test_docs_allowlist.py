"""docs/safety.md lists exactly the host commands the guard allows, and their value kinds."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_readiness.probes.hosts.connect import HOST_COMMANDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "safety.md"


def test_allowlist_table_matches_the_code() -> None:
    rows = re.findall(r"^\| `([^`]+)` \| (.+) \| (\w+) \|$", DOC.read_text(encoding="utf-8"),
                      re.M)
    documented = {program: (None if cell == "any" else set(re.findall(r"`([^`]+)`", cell)), kind)
                  for program, cell, kind in rows}
    actual = {program: (None if allowed.first is None else set(allowed.first), allowed.values)
              for program, allowed in HOST_COMMANDS.items()}
    assert documented == actual
