"""Write docs/catalogue.md from the live catalogue (``pytest --readiness --readiness-list``).

    python scripts/catalogue.py          # rewrite docs/catalogue.md
    python scripts/catalogue.py --check  # exit 1 when it is stale

Checks are grouped by area (the directory of their suite under suites/) and suite (the
module name without ``test_``, which is the prefix of every check id in it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from itertools import groupby
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "catalogue.md"
SUITES = ROOT / "suites"
AREAS = ("hosts", "network", "code", "deployment")


def entries() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "catalogue.json")
        subprocess.run([sys.executable, "-m", "pytest", "--readiness", "--readiness-list",
                        "--readiness-json", str(out), "-q", "-p", "no:cacheprovider"],
                       cwd=tmp, check=True, capture_output=True, timeout=300)
        return json.loads(out.read_text(encoding="utf-8"))


def area_of(suite: str) -> str:
    """The area directory holding ``test_<suite>.py`` (``other`` for a suite not bundled)."""
    found = [p.parent.name for p in SUITES.glob(f"*/test_{suite}.py")]
    return found[0] if found else "other"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules(row: dict[str, Any]) -> str:
    """The rule ids of a check with several rules (a single-rule check's is its id)."""
    ids = [i for i in row.get("rules", []) if i != row["id"]]
    return ", ".join(f"`{i}`" for i in ids) or "-"


def counts(rows: list[dict[str, Any]]) -> str:
    return f"{len(rows)} checks in {len({r['suite'] for r in rows})} suites"


def render(rows: list[dict[str, Any]]) -> str:
    lines = ["# Catalogue of checks", "",
             f"{counts(rows)}, generated from "
             "`pytest --readiness --readiness-list --readiness-json catalogue.json` by "
             "`python scripts/catalogue.py` (a test keeps this page in step with the code).",
             "Run one with `pytest --readiness --readiness-check ID`; a suite with "
             "`--readiness-suite SUITE`. A suite is `suites/AREA/test_SUITE.py`, its probes "
             "`pytest_readiness/probes/AREA/SUITE.py`, and SUITE is the prefix of its check ids.",
             "A finding's rule id is its check's id, or `<check id>:<rule>` for a check with "
             "several rules (listed): `# readiness: ignore[...]` and `ignore:` entries in "
             "readiness.yaml take either, or a glob.", ""]
    order = {area: i for i, area in enumerate(AREAS)}
    by_suite = sorted(rows, key=lambda r: (order.get(area_of(r["suite"]), 9), r["suite"],
                                           r["id"]))
    for area, in_area in groupby(by_suite, key=lambda r: area_of(r["suite"])):
        lines += [f"## {area.capitalize()}", ""]
        for suite, group in groupby(in_area, key=lambda r: r["suite"]):
            items = list(group)
            lines += [f"### {items[0]['section']} (`{suite}`)", "",
                      "| id | category | severity | checks that | fix | rules |",
                      "|---|---|---|---|---|---|"]
            lines += [f"| `{r['id']}` | {r['category']} | {r['severity']} | {cell(r['title'])} | "
                      f"{cell(r['fix'])} | {rules(r)} |" for r in items]
            lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    rows = entries()
    wanted = {DOC: render(rows)}
    if parser.parse_args().check:
        stale = [p for p, text in wanted.items()
                 if (p.read_text(encoding="utf-8") if p.exists() else "") != text]
        for path in stale:
            print(f"{path} is stale: run python scripts/catalogue.py", file=sys.stderr)
        return 1 if stale else 0
    for path, text in wanted.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
