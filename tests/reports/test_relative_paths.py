"""Reports are shared: none names the machine that made it by an absolute path.

The example shop, copied under a directory whose name would give it away, is
audited with every output; the directory appears in none of them (record,
Markdown, HTML, SARIF, Prometheus, the terminal scorecard), paths are relative
to the audited root, and the command line is the real one.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from pytest_readiness.results import display_path
from pytest_readiness.session import command_line

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
OUTPUTS = {"json": "r.json", "report": "r.md", "html": "r.html", "sarif": "r.sarif",
           "prometheus": "r.prom"}


@pytest.mark.slow
def test_no_report_holds_an_absolute_path_of_the_auditing_machine(
        pytester: pytest.Pytester) -> None:
    tree = pytester.path / "home-of-auditor" / "shop"
    shutil.copytree(SHOP, tree)
    with sqlite3.connect(tree / "shop.db") as db:
        db.execute("create table t (x)")
    config = (tree / "readiness.yaml").read_text()
    (tree / "readiness.yaml").write_text(
        config + "databases: [{name: local-db, sqlite: shop.db}]\n")
    out = pytester.path / "out"
    args = [f"--readiness-{kind}={out / name}" for kind, name in OUTPUTS.items()]
    baseline = out / "base.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tree)
        first = pytester.runpytest_inprocess("--readiness", f"--readiness-json={baseline}",
                                             "-p", "no:cacheprovider")
        result = pytester.runpytest_inprocess("--readiness", *args,
                                              f"--readiness-baseline={baseline}",
                                              "-p", "no:cacheprovider")
    assert first.ret == result.ret == pytest.ExitCode.TESTS_FAILED
    record = json.loads((out / "r.json").read_text())
    assert record["config"] == "readiness.yaml"
    assert record["command"].startswith("pytest --readiness '--readiness-json=…/r.json' ")
    assert record["baseline"]["compared_to"] == "…/base.json"
    integrity = next(c for c in record["checks"] if c["id"] == "db.sqlite-integrity")
    assert integrity["outcome"] == "pass" and integrity["evidence"]["path"] == "shop.db"
    # The scorecard; the lines naming where outputs went echo the paths the user gave.
    scorecard = "\n".join(line for line in result.stdout.str().split("readiness scorecard")[1]
                          .splitlines() if not line.startswith("readiness "))
    leaks = {name: str(pytester.path) in (out / name).read_text()
             for name in OUTPUTS.values()}
    leaks["terminal"] = str(pytester.path) in scorecard
    assert leaks == dict.fromkeys(leaks, False)
    findings = [f["file"] for c in record["checks"] for f in c["evidence"].get("findings", [])]
    assert findings and not any(f.startswith("/") for f in findings)
    assert "home-of-auditor" not in (out / "r.html").read_text()


def test_display_path_and_command_line(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    assert display_path(root / "docs" / "x.md", root) == "docs/x.md"
    assert display_path(root, root) == "."
    assert display_path("relative/y.yml", root) == "relative/y.yml"
    assert display_path(tmp_path / "elsewhere" / "out.json", root) == "…/out.json"
    command = command_line(["--readiness", f"--readiness-json={root / 'a b.json'}",
                            "--readiness-report", str(tmp_path / "r.md"),
                            "-k", "password=hunter2-hunter2"], root)
    assert command == ("pytest --readiness '--readiness-json=a b.json' --readiness-report "
                       "'…/r.md' -k 'password=hun…(15 chars)'")
