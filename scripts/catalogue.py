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
sys.path.insert(0, str(ROOT))
from pytest_readiness.profiles import NOT_FOR_LIBRARY, PROFILES  # noqa: E402

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


def level_rows(items: list[dict[str, Any]]) -> list[str]:
    """One row per (rule, level) a check declares, and what each profile makes of it; a
    check that declares none fails on any finding ("error")."""
    names = list(PROFILES)
    out = []
    for r in items:
        tables = r.get("profiles", {})
        declared = r.get("levels") or []
        rules = [(lv["rule"], lv["level"], lv["when"]) for lv in declared]
        if not rules and any(tables.get(n) for n in names):
            rules = [(rule, "error", "any finding") for rule in r.get("rules", [r["id"]])]
        for rule, level, when in rules:
            graded = [_graded(tables.get(n, {}), r["id"], rule, level) for n in names]
            out.append(f"| `{rule}` | {level} | {cell(when)} | " + " | ".join(graded) + " |")
    return out


def _graded(table: dict[str, str], check: str, rule: str, level: str) -> str:
    """The level a profile's table gives a rule (the rule's own id first, then its check's)."""
    graded = table.get(rule) or table.get(check)
    return level if graded is None or graded == level else f"**{graded}**"


def profiles_section() -> list[str]:
    """The profiles, and the checks a system's kind rules out."""
    lines = ["## Profiles and levels", "",
             "A rule sets the level of each finding from what it found (error fails the "
             "check, warning warns, note is shown and never fails); the policy profile "
             "(`--readiness-profile`, readiness.yaml `profile:`) re-grades rules, and "
             "readiness.yaml `levels:` overrides both ([scoring.md](scoring.md)). Each suite "
             "below lists the levels its rules set; in the profile columns a level in bold is "
             "the profile's re-grading. A check that lists none fails on any finding.", "",
             "| profile | what it asks for |", "|---|---|"]
    lines += [f"| `{name}` | {cell(p.summary)} |" for name, p in PROFILES.items()]
    lines += ["", "With `system: {kind: library}` these checks are not applicable: "
              + ", ".join(f"`{pattern}`" for pattern in NOT_FOR_LIBRARY) + ".", ""]
    return lines


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
             "readiness.yaml take either, or a glob.", "", *profiles_section()]
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
            graded = level_rows(items)
            if graded:
                lines += ["| rule | level | when | " + " | ".join(PROFILES) + " |",
                          "|---|---|---|" + "---|" * len(PROFILES), *graded, ""]
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
