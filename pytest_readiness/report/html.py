"""The standalone HTML report: one self-contained file a reviewer opens offline.

Inline CSS, inline SVG charts and a few lines of inline JavaScript (filters);
no external URL of any kind. A Content-Security-Policy allows only that one
script (by its hash), so even markup that slipped past escaping could not run.
Everything that comes from the record (targets, messages, evidence) is escaped
with ``escape.html`` (controls shown, ``<>&"'`` escaped) and oversize values are
truncated.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_readiness.baseline import fmt_delta
from pytest_readiness.escape import html as escape
from pytest_readiness.report.charts import scorecard_bars, series_from_history, trend_lines
from pytest_readiness.report.common import (
    MAX_VALUE,
    SCOPE_ROWS,
    action_items,
    basis_text,
    category_score_text,
    caveats,
    counts,
    finding_location,
    fmt_score,
    grading,
    scope_files,
    scope_intro,
    truncate,
    verdict_text,
)
from pytest_readiness.results import CheckResult, Record, rerun_command
from pytest_readiness.vocabulary import (
    PROBLEMS,
    SEVERITIES,
    Outcome,
    Verdict,
    is_blocker,
    priority_of,
)

MAX_FINDINGS = 50
MAX_MESSAGE = 2000
OUTCOME_ORDER = (Outcome.FAIL, Outcome.ERROR, Outcome.WARN, Outcome.WAIVED, Outcome.PASS,
                 Outcome.SKIP)
VERDICT_CLASS: dict[str, str] = {Verdict.PRODUCTION_READY: "ready",
                                  Verdict.CONDITIONAL: "conditional",
                                  Verdict.NOT_ASSESSED: "not-assessed"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
 max-width:1200px;padding:1em 2em;color:#222}
h1{margin:.2em 0}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.verdict{padding:1em 1.2em;border-radius:6px;color:#fff;font-size:1.3em;margin:.6em 0}
.verdict .score{font-size:1.6em;font-weight:700;margin-left:.6em}
.verdict.ready{background:#2e7d32}.verdict.conditional{background:#ef8f00}
.verdict.not-ready{background:#c62828}.verdict.not-assessed{background:#616161}
.badge{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;color:#fff;
 font-weight:600;font-size:.85em;padding:1px 4px}
.o-pass{background:#2e7d32}.o-warn{background:#ef8f00}.o-fail{background:#c62828}
.o-error{background:#6a1b9a}.o-skip{background:#9e9e9e}.o-waived{background:#00838f}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;
 overflow-wrap:anywhere}
#action-items td:last-child{min-width:12em}
.filters{display:flex;gap:1em;flex-wrap:wrap;align-items:end;background:#fafafa;
 padding:.6em;border:1px solid #eee;position:sticky;top:0}
.filters label{display:flex;flex-direction:column;font-size:.85em}
details>summary{cursor:pointer;color:#1565c0}dl{margin:.3em 0}
dt{font-weight:600}dd{margin:0 0 .3em 1em}
del{color:#666}.regressed{color:#c62828;font-weight:600}.notes li{color:#8a4b00}
.muted{color:#777}.chart text{font:12px system-ui,sans-serif;fill:#222}
@media print{.filters,.no-print{display:none!important}tr[hidden]{display:table-row!important}
 details>*{display:block!important}body{max-width:none;padding:0;font-size:11px}
 .verdict{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 tr{page-break-inside:avoid}h2{page-break-after:avoid}}
"""

SCRIPT = """
(function(){
 var selects=document.querySelectorAll('.filters select');
 var rows=document.querySelectorAll('tr.check');
 var shown=document.getElementById('shown-count');
 function apply(){
  var want={};
  selects.forEach(function(s){want[s.dataset.field]=s.value;});
  var n=0;
  rows.forEach(function(r){
   var ok=Object.keys(want).every(function(k){return !want[k]||r.dataset[k]===want[k];});
   r.hidden=!ok;if(ok){n++;}
  });
  shown.textContent=n;
 }
 selects.forEach(function(s){s.addEventListener('change',apply);});
 apply();
})();
"""


def _script_hash() -> str:
    digest = hashlib.sha256(SCRIPT.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def e(value: Any, limit: int = MAX_VALUE) -> str:
    """Untrusted text, truncated, then escaped (quotes too: safe in attributes)."""
    if isinstance(value, str) and len(value) <= _SHORT:
        return _e_short(value, limit)
    return escape(truncate(value, limit))


_SHORT = 200


@functools.lru_cache(maxsize=4096)
def _e_short(value: str, limit: int) -> str:
    # Ids, titles, sections, outcomes and targets repeat in every row of a large report.
    return escape(truncate(value, limit))


def render(record: Record, history: Sequence[Mapping[str, Any]] = ()) -> str:
    title = f"Production readiness: {record.system}"
    body: list[str] = [
        f"<h1>{e(title)}</h1>",
        *_banner(record),
        *_scorecard(record),
        *_baseline(record),
        *_trends(history),
        *_actions(record),
        *_waivers(record),
        *_checks(record),
        *_inventories(record),
        *_scope(record),
        _footer(record),
    ]
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
           f"script-src '{_script_hash()}'")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
        *body, f"<script>{SCRIPT}</script>", "</body></html>", ""])


def _banner(record: Record) -> list[str]:
    card = record.scorecard
    tally = counts(record.checks)
    critical = sum(1 for c in record.checks if is_blocker(c.severity, c.outcome))
    css = VERDICT_CLASS.get(card.verdict, "not-ready")
    out = [f'<div id="verdict" class="verdict {css}"><span class="verdict-text">'
           f'{e(verdict_text(record))}</span><span class="score" id="overall-score">'
           f'{fmt_score(card.overall)}</span><span class="muted" style="color:#fff"> / 100</span>'
           "</div>",
           '<p id="summary-counts">'
           f"Critical issues: <b>{critical}</b> · failing: <b>{tally.get(Outcome.FAIL, 0)}</b> · "
           f"errors: <b>{tally.get(Outcome.ERROR, 0)}</b> · "
           f"warnings: <b>{tally.get(Outcome.WARN, 0)}</b> · "
           f"passing: <b>{tally.get(Outcome.PASS, 0)}</b> · "
           f"waived: {tally.get(Outcome.WAIVED, 0)} · "
           f"not applicable: {tally.get(Outcome.SKIP, 0)}</p>",
           f'<p class="muted">Audited {e(record.started)} in {record.duration_s:.1f}s · hosts: '
           f"{e(', '.join(record.hosts) or '-')} · config: {e(record.config or '(none)')}</p>",
           f'<p class="muted" id="command">Command: <code>{e(record.command, 2000)}</code></p>',
           f'<p id="basis">{e(basis_text(record), 2000)}</p>',
           f'<p class="muted" id="profile">{e(grading(record), 2000)}</p>']
    if card.blockers:
        out.append('<p id="blockers"><b>Blockers:</b> '
                   + ", ".join(f"<code>{e(b)}</code>" for b in card.blockers) + "</p>")
    notes = caveats(record) + list(record.notes)
    if record.incomplete and record.not_run:
        notes.append(f"{len(record.not_run)} check(s) did not run")
    if notes:
        out.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    return out


def _scorecard(record: Record) -> list[str]:
    card = record.scorecard
    rows = []
    for cat in card.categories:
        if cat.score is None and not cat.counts:
            continue
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted(cat.counts.items())) or "-"
        rows.append(f'<tr data-category="{e(cat.name)}"><td>{e(cat.name)}</td>'
                    f'<td class="num cat-score">{category_score_text(cat)}</td>'
                    f'<td class="num">{cat.weight:g}</td><td class="num">{cat.weighted:.1f}</td>'
                    f"<td>{e(outcomes)}</td></tr>")
    rows.append(f'<tr><th>Overall</th><th class="num">{fmt_score(card.overall)}</th>'
                f"<th></th><th></th><th></th></tr>")
    out = ['<h2 id="scorecard">Scorecard</h2>', scorecard_bars(card),
           '<table id="scorecard-table"><thead><tr><th>Category</th><th>Score</th><th>Weight</th>'
           "<th>Weighted score</th><th>Outcomes</th></tr></thead><tbody>", *rows,
           "</tbody></table>",
           f'<p class="muted">Thresholds: production ready ≥ {card.policy.ready:g}, '
           f"conditional ≥ {card.policy.conditional:g}; a failed critical check blocks.</p>"]
    if card.absent:
        out.append(f'<p class="muted">Not assessed (no applicable checks): '
                   f"{e(', '.join(card.absent))}.</p>")
    return out


def _baseline(record: Record) -> list[str]:
    base = record.baseline
    if not base:
        return []
    overall = base.get("overall") or {}
    out = ['<h2 id="baseline">Since the baseline</h2>',
           f"<p>Compared to <code>{e(base.get('compared_to', ''))}</code>: overall "
           f"{e(overall.get('before'))} → {e(overall.get('after'))} "
           f"(<b>{fmt_delta(overall.get('delta'))}</b>)</p>",
           '<table id="baseline-deltas"><thead><tr><th>Category</th><th>Before</th><th>After</th>'
           "<th>Change</th></tr></thead><tbody>"]
    for name, delta in (base.get("categories") or {}).items():
        out.append(f"<tr><td>{e(name)}</td><td class='num'>{e(delta.get('before'))}</td>"
                   f"<td class='num'>{e(delta.get('after'))}</td>"
                   f"<td class='num'>{fmt_delta(delta.get('delta'))}</td></tr>")
    out.append("</tbody></table><ul id='baseline-changes'>")
    changes = base.get("changes") or {}
    for label in base.get("fixed", []):
        out.append(f'<li class="fixed"><del>{e(label)}</del> fixed</li>')
    for label in base.get("regressed", []):
        change = changes.get(label) or {}
        out.append(f'<li class="regressed">regressed: {e(label)} ({e(change.get("was"))} → '
                   f'{e(change.get("now"))})</li>')
    for label in base.get("new", []):
        out.append(f'<li class="new">new: {e(label)}</li>')
    return out + ["</ul>"]


def _trends(history: Sequence[Mapping[str, Any]]) -> list[str]:
    if len(history) < 1:
        return []
    labels, series = series_from_history(history)
    return ['<h2 id="trends">Scores over time</h2>', trend_lines(labels, series),
            f'<p class="muted">{len(history)} run(s) from the history directory.</p>']


def _actions(record: Record) -> list[str]:
    items = action_items(record)
    out = ['<h2 id="actions">Blockers and action items</h2>']
    if not items:
        return out + ["<p>Nothing to fix.</p>"]
    out.append('<table id="action-items"><thead><tr><th>Priority</th><th>Status</th><th>Check</th>'
               "<th>Impact</th><th>What was found</th><th>Fix</th><th>Re-run</th></tr></thead>"
               "<tbody>")
    for item in items:
        c = item.check
        out.append(f'<tr class="action {e(item.priority)}"><td><b>{e(item.priority)}</b></td>'
                   f"<td>{_badge(c.outcome)}</td><td><code>{e(c.label)}</code><br>{e(c.title)}"
                   f"</td><td>{e(item.impact)}</td><td>{e(c.message or c.outcome, MAX_MESSAGE)}"
                   f"</td><td>{e(c.fix or '-')}</td><td><code>{e(item.rerun)}</code></td></tr>")
    return out + ["</tbody></table>"]


def _waivers(record: Record) -> list[str]:
    waived = [c for c in record.checks if c.waiver]
    if not waived:
        return []
    out = ['<h2 id="waivers">Waivers</h2><table><thead><tr><th>Check</th><th>Real outcome</th>'
           "<th>Reason</th><th>Owner</th><th>Expires</th><th>Status</th></tr></thead><tbody>"]
    for c in waived:
        w = c.waiver
        if w is None:
            continue
        status = "EXPIRED (no longer applies)" if w.expired else "active"
        out.append(f"<tr><td><code>{e(c.label)}</code></td><td>{e(w.real_outcome)}</td>"
                   f"<td>{e(w.reason)}</td><td>{e(w.owner or '-')}</td>"
                   f"<td>{e(w.expires or 'never')}</td><td>{status}</td></tr>")
    return out + ["</tbody></table>"]


def _scope(record: Record) -> list[str]:
    """What is production: files by role, and the role and reason of each file with a
    finding."""
    if record.scope is None:
        return []
    files = scope_files(record)
    out = ['<h2 id="scope">Scope: what is production</h2>',
           f"<p>{e(scope_intro(record))}</p>"]
    if files:
        out.append("<table><thead><tr><th>File with findings</th><th>Role</th><th>Why</th>"
                   "</tr></thead><tbody>")
        out += [f"<tr><td><code>{e(f.file)}</code></td><td>{e(f.role)}</td><td>{e(f.reason)}"
                "</td></tr>" for f in files[:SCOPE_ROWS]]
        out.append("</tbody></table>")
        if len(files) > SCOPE_ROWS:
            out.append(f"<p>... and {len(files) - SCOPE_ROWS} more in the JSON record.</p>")
    return out


INVENTORY_SUFFIX = "_inventory"
INVENTORY_ROWS = 300


def _inventory_rows(value: Any) -> list[Mapping[str, Any]] | None:
    """A list of records (dicts of plain values): what an ``*_inventory`` evidence key holds."""
    if not isinstance(value, list) or not value or not all(isinstance(r, Mapping) for r in value):
        return None
    return value


def _inventories(record: Record) -> list[str]:
    """Evidence keys named ``*_inventory`` (the route inventory of ``routes.*``), each a
    table: generic, any check may add one; rows beyond the cap stay in the JSON record."""
    out: list[str] = []
    seen: set[str] = set()
    for c in sorted(record.checks, key=lambda c: (c.id, c.target or "")):
        for key, value in c.evidence.items():
            rows = _inventory_rows(value) if key.endswith(INVENTORY_SUFFIX) else None
            if rows is None:
                continue
            text = _text(rows)
            if text in seen:  # several checks of one suite carry the same inventory
                continue
            seen.add(text)
            columns = list(dict.fromkeys(k for r in rows for k in r))
            title = key[: -len(INVENTORY_SUFFIX)].replace("_", " ").capitalize()
            target = f" [{c.target}]" if c.target else ""
            if not out:
                out.append('<h2 id="inventories">Inventories</h2>')
            out.append(f"<h3>{e(title)} inventory{e(target)} <span class='muted'>(from "
                       f"<code>{e(c.id)}</code>)</span></h3>")
            out.append("<table class='inventory'><thead><tr>" + "".join(
                f"<th>{e(col, 100)}</th>" for col in columns) + "</tr></thead><tbody>")
            out += ["<tr>" + "".join(f"<td>{e(_text(r.get(col, '')), 300)}</td>"
                                     for col in columns) + "</tr>"
                    for r in rows[:INVENTORY_ROWS]]
            out.append("</tbody></table>")
            if len(rows) > INVENTORY_ROWS:
                out.append(f"<p>... and {len(rows) - INVENTORY_ROWS} more in the JSON record.</p>")
    return out


def _options(field: str, label: str, values: Iterable[str]) -> str:
    opts = "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)
    return (f'<label>{label}<select id="filter-{field}" data-field="{field}">'
            f'<option value="">all</option>{opts}</select></label>')


def _checks(record: Record) -> list[str]:
    checks = sorted(record.checks, key=lambda c: (OUTCOME_ORDER.index(c.outcome)
                                                  if c.outcome in OUTCOME_ORDER else 9,
                                                  priority_of(c.severity), c.section, c.label))
    present = {c.outcome for c in checks}
    filters = [
        _options("outcome", "Outcome", [o for o in OUTCOME_ORDER if o in present]),
        _options("category", "Category", sorted({c.category for c in checks})),
        _options("severity", "Severity", [s for s in SEVERITIES
                                          if any(c.severity == s for c in checks)]),
        _options("target", "Host / target", sorted({c.target for c in checks if c.target})),
    ]
    out = ['<h2 id="checks">Every check</h2>',
           '<div class="filters">' + "".join(filters)
           + f'<span><span id="shown-count">{len(checks)}</span> of {len(checks)} shown</span>'
           "</div>",
           '<table id="checks-table"><thead><tr><th>Status</th><th>Check</th><th>Section</th>'
           "<th>Severity</th><th>Category</th><th>Result and evidence</th></tr></thead><tbody>"]
    out += [_check_row(c) for c in checks]
    return out + ["</tbody></table>"]


def _check_row(c: CheckResult) -> str:
    target = f" <span class='target'>[{e(c.target)}]</span>" if c.target else ""
    return (f'<tr class="check" data-outcome="{e(c.outcome)}" data-category="{e(c.category)}" '
            f'data-severity="{e(c.severity)}" data-target="{e(c.target or "")}" '
            f'data-id="{e(c.id)}"><td>{_badge(c.outcome)}</td>'
            f"<td><code>{e(c.id)}</code>{target}<br>{e(c.title)}</td><td>{e(c.section)}</td>"
            f"<td>{e(c.severity)}</td><td>{e(c.category)}</td><td>{_details(c)}</td></tr>")


def _details(c: CheckResult) -> str:
    parts = [f'<div class="message">{e(c.message, MAX_MESSAGE)}</div>'] if c.message else []
    inner: list[str] = []
    pairs = [(k, v) for k, v in c.evidence.items() if k != "findings"
             and not (k.endswith(INVENTORY_SUFFIX) and _inventory_rows(v) is not None)]
    if pairs:
        inner.append('<dl class="evidence">' + "".join(
            f"<dt>{e(k, 200)}</dt><dd><code>{e(_text(v))}</code></dd>" for k, v in pairs)
            + "</dl>")
    if c.findings:
        inner.append(_findings(c.findings))
    if c.fix and c.outcome in (*PROBLEMS, Outcome.WAIVED):
        inner.append(f'<p class="fix"><b>Fix:</b> {e(c.fix)}</p>')
    if c.outcome in PROBLEMS:
        inner.append(f'<p class="rerun"><b>Re-run:</b> <code>{e(rerun_command(c))}</code></p>')
    if c.waiver:
        w = c.waiver
        inner.append(f'<p class="waiver"><b>Waiver:</b> {e(w.reason)} (owner '
                     f'{e(w.owner or "-")}, expires {e(w.expires or "never")})</p>')
    if inner:
        parts.append(f"<details><summary>evidence</summary>{''.join(inner)}</details>")
    return "".join(parts)


def _findings(findings: list[Mapping[str, Any]]) -> str:
    rows = []
    for f in findings[:MAX_FINDINGS]:
        snippet = f"<br><code>{e(f.get('snippet', ''), 300)}</code>" if f.get("snippet") else ""
        rows.append(f"<li><code>{e(finding_location(f))}</code> <b>{e(f.get('rule', ''))}</b>: "
                    f"{e(f.get('message', ''))}{snippet}</li>")
    more = (f"<li class='muted'>… {len(findings) - MAX_FINDINGS} more findings in the JSON "
            "record</li>" if len(findings) > MAX_FINDINGS else "")
    return f'<ul class="findings">{"".join(rows)}{more}</ul>'


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _badge(outcome: str) -> str:
    return f'<span class="badge o-{e(outcome)}">{e(outcome.upper())}</span>'


def _footer(record: Record) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in sorted(record.versions.items()))
    return (f'<p class="muted">Generated from the result record ({e(record.finished)}); '
            f"{e(versions)}.</p>")
