"""Issue 15 item 6: process-local state used as shared state (resilience.process-local-state).

Each scale variant adds ``deploy/compose.yaml`` with three replicas: the check fails with
exactly the catalogued finding at the state's definition. The clean apps give no finding
of the check at any level; a variant without its compose file gives a note only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.frameworks import catalog
from tests.frameworks.variants import marker_line, materialize

CHECK = "resilience.process-local-state"
SCALE = [f for f in catalog.flaws() if f.finding.family == "scale"]


def audit(pytester: pytest.Pytester, root: Path) -> dict[str, Any]:
    pytester.makefile(".yaml", readiness=f"system: t\ncodebases: [{{path: {root.name}}}]\n")
    pytester.runpytest("--readiness", "--readiness-suite", "resilience", "-k", "process_local",
                       "--readiness-json", "out.json", "-p", "no:cacheprovider")
    checks = json.loads((pytester.path / "out.json").read_text(encoding="utf-8"))["checks"]
    found = [c for c in checks if c["id"] == CHECK]
    assert len(found) == 1, [c["id"] for c in checks]
    return found[0]


@pytest.mark.parametrize("flaw", SCALE, ids=lambda f: f.id)
def test_scale_variant_fails_at_the_state(flaw: catalog.Flaw, pytester: pytest.Pytester) -> None:
    root = materialize(catalog.app(flaw.app), flaw, pytester.path / "code")
    check = audit(pytester, root)
    found = [(f["file"], f["line"], f["level"]) for f in check["evidence"]["findings"]]
    assert found == [(flaw.finding.file, marker_line(root, flaw), "error")]
    assert check["outcome"] == "fail"
    assert "3 processes" in check["evidence"]["processes"] or \
        "12 processes" in check["evidence"]["processes"]


@pytest.mark.parametrize("flaw", SCALE[:2], ids=lambda f: f.id)
def test_without_replicas_it_is_a_note(flaw: catalog.Flaw, pytester: pytest.Pytester) -> None:
    root = materialize(catalog.app(flaw.app), flaw, pytester.path / "code")
    (root / "deploy" / "compose.yaml").unlink()
    check = audit(pytester, root)
    assert check["outcome"] == "pass"
    assert [f["level"] for f in check["evidence"]["findings"]] == ["note"]
    assert "breaks at scale" in check["evidence"]["findings"][0]["message"]


@pytest.mark.parametrize("app", catalog.apps(), ids=lambda a: a.name)
def test_clean_app_has_no_process_local_state(app: catalog.App,
                                              pytester: pytest.Pytester) -> None:
    check = audit(pytester, materialize(app, None, pytester.path / "code"))
    assert check["outcome"] == "skip"
    assert check["evidence"].get("findings", []) == []
