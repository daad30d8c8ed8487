"""Tables of scripts/precision.py: plain text for the terminal, Markdown for docs/precision.md.

Both read only the report dictionary that ``precision.py --json`` writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

BEGIN = "<!-- precision-tables:begin (scripts/precision.py --markdown) -->"
END = "<!-- precision-tables:end -->"
COUNT_COLUMNS = (
    ("true_kept", "true kept"), ("true_missed", "true missed"),
    ("false_reported", "false reported"), ("false_gone", "false gone"),
    ("debatable_fail", "debatable fail"), ("debatable_warn", "debatable warn"),
    ("debatable_gone", "debatable gone"), ("unlabelled", "unlabelled"),
)
RATIO_COLUMNS = (("strict", "strict"), ("acceptable", "acceptable"),
                 ("reviewer", "true/(true+false)"))


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def score(card: Mapping[str, Any]) -> str:
    overall = card.get("overall")
    shown = "–" if overall is None else f"{overall:.1f}"
    return f"{shown} {card.get('verdict', '')}".strip()


def target(row: Mapping[str, Any]) -> str:
    name = f"{row['check']}[{row['target']}]"
    if row.get("carried"):
        name += f" (carried over via {', '.join(row['via']) or 'a renamed id'})"
    return name


def totals_rows(report: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for tree in report["trees"]:
        t = tree["totals"]
        false_blockers = sum("false" in b["labels"] for b in tree["blockers"])
        found = sum(bool(m["found"]) for m in tree["must_find"])
        rows.append([tree["tree"], str(t["reported"] + t["unlabelled"]),
                     *(str(t[key]) for key, _ in COUNT_COLUMNS),
                     *(pct(t[key]) for key, _ in RATIO_COLUMNS),
                     f"{false_blockers}/{len(tree['blockers'])}",
                     f"{found}/{len(tree['must_find'])}",
                     score(tree["printed"]), score(tree["recomputed"])])
    t = report["totals"]
    blockers = [b for tree in report["trees"] for b in tree["blockers"]]
    musts = [m for tree in report["trees"] for m in tree["must_find"]]
    rows.append(["all", str(t["reported"] + t["unlabelled"]),
                 *(str(t[key]) for key, _ in COUNT_COLUMNS),
                 *(pct(t[key]) for key, _ in RATIO_COLUMNS),
                 f"{sum('false' in b['labels'] for b in blockers)}/{len(blockers)}",
                 f"{sum(bool(m['found']) for m in musts)}/{len(musts)}", "", ""])
    return rows


TOTALS_HEADER = ["tree", "fail/warn", *(h for _, h in COUNT_COLUMNS),
                 *(h for _, h in RATIO_COLUMNS), "false blockers", "must-find",
                 "printed score", "true findings only"]
CHECK_HEADER = ["check", "labels t/f/d", *(h for _, h in COUNT_COLUMNS), "strict",
                "acceptable"]


def check_rows(checks: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    rows = []
    for check, c in checks.items():
        labels = (f"{c['true_kept'] + c['true_missed']}/{c['false_reported'] + c['false_gone']}/"
                  f"{c['debatable_fail'] + c['debatable_warn'] + c['debatable_gone']}")
        rows.append([check, labels, *(str(c[key]) for key, _ in COUNT_COLUMNS),
                     pct(c["strict"]), pct(c["acceptable"])])
    return rows


def must_rows(report: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for tree in report["trees"]:
        for m in tree["must_find"]:
            hit = m["found"]
            where = f"{hit['result']} {hit['outcome']} ({hit['how']})" if hit else "NOT FOUND"
            rows.append([tree["tree"], f"{m['file']}:{m['line']}", m["what"],
                         ", ".join(m["checks"]), where])
    return rows


def scorecard_rows(tree: Mapping[str, Any]) -> list[list[str]]:
    printed = {c["name"]: c for c in tree["printed"].get("categories") or []}
    rows = []
    for category in tree["recomputed"]["categories"]:
        before = printed.get(category["name"], {})
        rows.append([category["name"], str(category["weight"]), _num(before.get("score")),
                     _num(category["score"])])
    rows.append(["overall", "", _num(tree["printed"].get("overall")),
                 _num(tree["recomputed"]["overall"])])
    rows.append(["verdict", "", str(tree["printed"].get("verdict")),
                 str(tree["recomputed"]["verdict"])])
    rows.append(["blockers", "", str(len(tree["printed"].get("blockers") or [])),
                 str(len(tree["recomputed"]["blockers"]))])
    return rows


OUTCOME_ORDER = ("fail", "warn", "error", "pass", "waived", "skip")


def outcomes_cell(outcomes: Mapping[str, int]) -> str:
    """``fail 2, warn 3, pass 10`` (outcomes that occurred, worst first)."""
    return ", ".join(f"{o} {outcomes[o]}" for o in OUTCOME_ORDER if outcomes.get(o)) or "–"


def labelled_cell(counts: Mapping[str, Any] | None) -> str:
    """What a profile did with the labels of one check."""
    if not counts:
        return "–"
    true = counts["true_kept"] + counts["true_missed"]
    debatable = counts["debatable_fail"] + counts["debatable_warn"] + counts["debatable_gone"]
    false = counts["false_reported"] + counts["false_gone"]
    parts = []
    if true:
        parts.append(f"true {counts['true_kept']}/{true} kept")
    if false:
        parts.append(f"false {counts['false_reported']}/{false} reported")
    if debatable:
        parts.append(f"debatable {counts['debatable_fail']} fail, {counts['debatable_warn']} warn")
    return "; ".join(parts) or "–"


def profile_rows(report: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Outcomes per check under each profile, with what each did to the labels."""
    profiles = report.get("profiles") or {}
    names = list(profiles)
    header = ["check", *(f"{n}: {h}" for n in names for h in ("outcomes", "labels"))]
    # checks that were not applicable anywhere under any profile say nothing: left out
    checks = sorted({c for p in profiles.values() for c, o in p["outcomes"].items()
                     if set(o) - {"skip"}})
    rows = [[check, *(cell for n in names for cell in (
        outcomes_cell(profiles[n]["outcomes"].get(check, {})),
        labelled_cell(profiles[n]["checks"].get(check))))] for check in checks]
    return header, rows


def profile_score_rows(report: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for name, summary in (report.get("profiles") or {}).items():
        t = summary["totals"]
        for tree, printed in summary["scores"].items():
            rows.append([name, tree, score(printed)])
        rows.append([name, "all", f"true kept {t['true_kept']}, false reported "
                     f"{t['false_reported']}, debatable fail {t['debatable_fail']} / warn "
                     f"{t['debatable_warn']}"])
    return rows


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


# --- plain text -----------------------------------------------------------------------

def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    return [line.format(*header).rstrip(), *(line.format(*r).rstrip() for r in rows)]


def listing(title: str, items: Sequence[str], loud: bool = False) -> list[str]:
    if not items:
        return []
    head = f"{title} ({len(items)})"
    return [f"!!! {head.upper()} !!!" if loud else f"{head}:", *(f"  - {i}" for i in items)]


def host_note(report: Mapping[str, Any]) -> str:
    local = report["local_host"]
    if not local["option"]:
        return ("auditing machine: audited by default (this plugin has no "
                "--readiness-local-host); its host checks count against the labels")
    if local["passed"]:
        return "auditing machine: audited (--readiness-local-host passed)"
    return "auditing machine: not audited (the default; --local-host adds it)"


def render_text(report: Mapping[str, Any]) -> str:
    versions = report.get("versions") or {}
    out = [f"Precision of `pytest --readiness` (default config) on the corpus; labels "
           f"{report['labels']}",
           f"pytest-readiness {versions.get('pytest-readiness', '?')}, pytest "
           f"{versions.get('pytest', '?')}, python {versions.get('python', '?')}; "
           + host_note(report)]
    for tree in report["trees"]:
        out += ["", *tree_text(tree)]
    out += ["", "== per check, all trees", *text_table(CHECK_HEADER,
                                                       check_rows(report["checks"]))]
    out += ["", "== must-find (corpus README)", *text_table(
        ["tree", "where", "what", "checks", "reported by"], must_rows(report))]
    if len(report.get("profiles") or {}) > 1:
        header, rows = profile_rows(report)
        out += ["", "== outcomes per check under each profile", *text_table(header, rows),
                "", "== scores under each profile", *text_table(
                    ["profile", "tree", "printed score"], profile_score_rows(report))]
    out += ["", "== totals (strict = true/(true+false+debatable) of fail/warn; acceptable "
            "counts a debatable warn as right)", *text_table(TOTALS_HEADER, totals_rows(report))]
    return "\n".join(out)


def tree_text(tree: Mapping[str, Any]) -> list[str]:
    t = tree["totals"]
    code = tree.get("exit_code")
    out = [f"== {tree['tree']} @ {str(tree['commit'])[:8]} (audit {tree.get('seconds', 0)} s"
           + (f", exit {code}" if code is not None else ", kept record") + ")",
           f"precision: strict {pct(t['strict'])}, acceptable {pct(t['acceptable'])}, "
           f"true/(true+false) {pct(t['reviewer'])}; true kept {t['true_kept']}, false reported "
           f"{t['false_reported']}, debatable failing {t['debatable_fail']}, unlabelled "
           f"{t['unlabelled']}",
           f"score: printed {score(tree['printed'])}; from true findings only "
           f"{score(tree['recomputed'])}"]
    if tree.get("incomplete"):
        out.append("the record is marked incomplete")
    if tree["rescored"].get("overall") != tree["printed"].get("overall"):
        out.append(f"note: rescoring the record's own outcomes gives {score(tree['rescored'])}")
    out += listing("TRUE RESULTS NO LONGER REPORTED (misses)",
                   [f"{target(r)} now {r['outcome'] or 'absent'}" for r in tree["missed"]],
                   loud=True)
    out += listing("must-find not reported", [f"{m['file']}:{m['line']} {m['what']}"
                                              for m in tree["must_find"] if not m["found"]],
                   loud=True)
    out += listing("blockers", [f"{b['blocker']} {b['outcome']} ({', '.join(b['labels'])})"
                                for b in tree["blockers"]])
    out += listing("blockers from true findings only", list(tree["recomputed"]["blockers"]))
    out += listing("false reported", [f"{target(r)} {r['outcome']}"
                                      for r in tree["false_reported"]])
    out += listing("debatable failing (at most warn allowed)",
                   [target(r) for r in tree["debatable_failing"]])
    out += listing("unlabelled fail/warn (need a human label)",
                   [f"{r['check']}[{r['target']}] {r['outcome']}: {r['message']}"
                    for r in tree["unlabelled"]])
    out += listing("errors (the check could not run)",
                   [f"{r['check']}[{r['target']}] {r['severity']} "
                    f"({', '.join(r['labels']) or 'unlabelled'}): {r['message']}"
                    for r in tree["errors"]])
    out += listing("labels carried over to a new target or id",
                   [f"{target(r)} {r['label']} -> {r['outcome']}" for r in tree["carried"]])
    out += ["scorecard:", *("  " + line for line in text_table(
        ["category", "weight", "printed", "true findings only"], scorecard_rows(tree)))]
    return out


# --- Markdown -------------------------------------------------------------------------

def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(cell(h) for h in header) + " |",
            "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)]


def render_markdown(report: Mapping[str, Any]) -> str:
    versions = report.get("versions") or {}
    out = [f"Measured with pytest-readiness {versions.get('pytest-readiness', '?')}, "
           f"pytest {versions.get('pytest', '?')}, Python {versions.get('python', '?')}; "
           f"{host_note(report)}.", "", "### Totals", "",
           *md_table(TOTALS_HEADER, totals_rows(report)),
           "", "### Per check (all trees)", "", *md_table(CHECK_HEADER,
                                                          check_rows(report["checks"])),
           "", "### Must-find (corpus README)", "",
           *md_table(["tree", "where", "what", "checks", "reported by"], must_rows(report))]
    if len(report.get("profiles") or {}) > 1:
        header, rows = profile_rows(report)
        out += ["", "### Outcomes per check under each profile", "", *md_table(header, rows),
                "", "### Scores under each profile", "",
                *md_table(["profile", "tree", "printed score"], profile_score_rows(report))]
    for tree in report["trees"]:
        out += ["", f"### {tree['tree']}", "",
                *md_table(["category", "weight", "printed", "true findings only"],
                          scorecard_rows(tree)), ""]
        out += md_list("Blockers", [f"`{b['blocker']}` {b['outcome']} ({', '.join(b['labels'])})"
                                    for b in tree["blockers"]])
        out += md_list("Blockers from true findings only",
                       [f"`{b}`" for b in tree["recomputed"]["blockers"]])
        out += md_list("True results no longer reported", [f"`{target(r)}` now "
                                                           f"{r['outcome'] or 'absent'}"
                                                           for r in tree["missed"]])
        out += md_list("Unlabelled fail/warn", [f"`{r['check']}[{r['target']}]` {r['outcome']}"
                                                for r in tree["unlabelled"]])
        out += md_list("Errors", [f"`{r['check']}[{r['target']}]` ("
                                  f"{', '.join(r['labels']) or 'unlabelled'}): {cell(r['message'])}"
                                  for r in tree["errors"]])
        out += md_list("Labels carried over", [f"`{target(r)}` {r['label']} -> {r['outcome']}"
                                               for r in tree["carried"]])
        out += md_details("False results reported", [f"`{target(r)}` {r['outcome']}"
                                                      for r in tree["false_reported"]])
        out += md_details("Debatable results failing", [f"`{target(r)}`"
                                                        for r in tree["debatable_failing"]])
    return "\n".join(out).rstrip() + "\n"


def md_list(title: str, items: Sequence[str]) -> list[str]:
    if not items:
        return []
    return [f"{title} ({len(items)}):", "", *(f"- {i}" for i in items), ""]


def md_details(title: str, items: Sequence[str]) -> list[str]:
    if not items:
        return []
    return ["<details>", f"<summary>{title} ({len(items)})</summary>", "",
            *(f"- {i}" for i in items), "", "</details>", ""]


def splice_markdown(old: str, tables: str) -> str:
    """``old`` with the text between its markers replaced by ``tables``; the tables
    alone (between markers) when ``old`` has none."""
    block = f"{BEGIN}\n\n{tables}\n{END}"
    start, end = old.find(BEGIN), old.find(END)
    if start == -1 or end < start:
        return block + "\n"
    return old[:start] + block + old[end + len(END):]
