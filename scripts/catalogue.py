"""Write docs/catalogue.md from the live catalogue (``pytest --readiness --readiness-list``).

    python scripts/catalogue.py          # rewrite docs/catalogue.md
    python scripts/catalogue.py --check  # exit 1 when docs/catalogue.md is stale
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from itertools import groupby
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "catalogue.md"


def entries() -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "catalogue.json")
        subprocess.run([sys.executable, "-m", "pytest", "--readiness", "--readiness-list",
                        "--readiness-json", str(out), "-q", "-p", "no:cacheprovider"],
                       cwd=tmp, check=True, capture_output=True, timeout=300)
        return json.loads(out.read_text(encoding="utf-8"))


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(rows: list[dict[str, str]]) -> str:
    lines = ["# Catalogue of checks", "",
             f"{len(rows)} checks in {len({r['suite'] for r in rows})} suites, generated from "
             "`pytest --readiness --readiness-list --readiness-json catalogue.json` by "
             "`python scripts/catalogue.py` (a test keeps this page in step with the code).",
             "Run one with `pytest --readiness --readiness-check ID`; a suite with "
             "`--readiness-suite SUITE`.", ""]
    by_suite = sorted(rows, key=lambda r: (r["suite"], r["id"]))
    for suite, group in groupby(by_suite, key=lambda r: r["suite"]):
        items = list(group)
        lines += [f"## {items[0]['section']} (`{suite}`)", "",
                  "| id | category | severity | checks that | fix |", "|---|---|---|---|---|"]
        lines += [f"| `{r['id']}` | {r['category']} | {r['severity']} | {cell(r['title'])} | "
                  f"{cell(r['fix'])} |" for r in items]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    text = render(entries())
    if parser.parse_args().check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is stale: run python scripts/catalogue.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
