"""Issue 15 item 5: blocking calls reached from async code (async.blocking-calls).

Every blocking variant gives exactly its catalogued finding, at its marker line, with
the path from an async function in the message; the clean apps give none (boto3 and
pymongo run through asyncio.to_thread there, Flask's time.sleep runs in a WSGI worker).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.plumbing import callgraph, pyast, tree
from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.probes.code import async_
from tests.frameworks import catalog
from tests.frameworks.variants import marker_line, materialize

BLOCKING = [f for f in catalog.flaws() if f.finding.family == "blocking"]


def blocking(root: Path) -> list[Finding]:
    index = tree.inventory(root)
    return async_.blocking_calls(pyast.modules(index), callgraph.of(index))


@pytest.mark.parametrize("flaw", BLOCKING, ids=lambda f: f.id)
def test_blocking_variant_gives_its_finding(flaw: catalog.Flaw, tmp_path: Path) -> None:
    root = materialize(catalog.app(flaw.app), flaw, tmp_path / "tree")
    found = blocking(root)
    assert [(f.file, f.line) for f in found] == [(flaw.finding.file, marker_line(root, flaw))]
    assert found[0].level == "error"


@pytest.mark.parametrize("flaw", [f for f in BLOCKING if "->" in f.title or "calls" in f.title
                                  and f.app == "fastapi"], ids=lambda f: f.id)
def test_path_findings_name_the_path(flaw: catalog.Flaw, tmp_path: Path) -> None:
    root = materialize(catalog.app(flaw.app), flaw, tmp_path / "tree")
    message = blocking(root)[0].message
    assert "reached from async def" in message or "in async def" in message
    if "reached from" in message:
        assert message.count(" -> ") >= 2, message


@pytest.mark.parametrize("app", catalog.apps(), ids=lambda a: a.name)
def test_clean_app_has_no_blocking_finding(app: catalog.App, tmp_path: Path) -> None:
    assert blocking(materialize(app, None, tmp_path / "tree")) == []
