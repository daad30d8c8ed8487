"""The README's audit command: scripts/audit.sh audits the directory it is run from.

It makes (or reuses) its venv where a user's run would, under
${XDG_CACHE_HOME:-~/.cache}/pytest-readiness, with PYTHON or python3 from PATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.code.conftest import planted_key

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_audit_script_audits_the_current_directory_from_a_venv_outside_it(
        tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(f'KEY = "{planted_key()}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # python3 as the user has it, not this test venv's (scripts/test.sh puts it first)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                  if Path(p) != Path(sys.prefix, "bin"))
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "audit.sh"), "--readiness-suite", "secrets",
         "--readiness-json", "out.json", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "VERDICT: NOT READY" in result.stdout
    record = json.loads((project / "out.json").read_text())
    assert {c["id"]: c["outcome"] for c in record["checks"]}["secrets.hardcoded"] == "fail"
    assert sorted(p.name for p in project.iterdir()) == ["app.py", "out.json"]
