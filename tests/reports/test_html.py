"""The standalone HTML report, parsed: structure, escaping, truncation, no external URL."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from pytest_readiness import baseline
from pytest_readiness.report import html
from tests.reports.conftest import (
    HUGE,
    IMG_PAYLOAD,
    SCRIPT_PAYLOAD,
    check,
    hostile_record,
    make_record,
    run_audit,
)


class Tree(HTMLParser):
    """Elements with their attributes and text, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open_ids: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if "id" in attributes:
            self._open_ids.append((tag, attributes["id"]))
            self.text_by_id.setdefault(attributes["id"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if self._open_ids and self._open_ids[-1][0] == tag:
            self._open_ids.pop()

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        for _, element_id in self._open_ids:
            self.text_by_id[element_id] += data

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements
                if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


def parse(text: str) -> Tree:
    tree = Tree()
    tree.feed(text)
    tree.close()
    return tree


@pytest.fixture(scope="module")
def page() -> str:
    return html.render(hostile_record())


def test_banner_scorecard_and_chart(page: str) -> None:
    tree = parse(page)
    record = hostile_record()
    assert "NOT READY" in tree.text_by_id["verdict"]  # a failed critical check blocks
    assert tree.find("div", id="verdict")[0]["class"] == "verdict not-ready"
    assert tree.text_by_id["overall-score"] == f"{record.scorecard.overall:.1f}"
    assert "tls.expiry[api]" in tree.text_by_id["blockers"]
    bars = tree.find("g", **{"class": "bar"})
    assert {b["data-category"] for b in bars} == {"security", "resilience", "operations"}
    assert len(tree.find("rect", **{"class": "score-bar"})) == 3
    rows = [a for t, a in tree.elements if t == "tr" and "data-category" in a
            and a.get("class") != "check"]
    assert {r["data-category"] for r in rows} == {"security", "resilience", "operations"}


def test_every_check_has_a_row_with_filter_data(page: str) -> None:
    tree = parse(page)
    rows = tree.find("tr", **{"class": "check"})
    assert len(rows) == 6
    assert {r["data-outcome"] for r in rows} == {"fail", "warn", "pass", "skip", "waived"}
    assert {r["data-target"] for r in rows} == {"api", "web1", "db1", ".", ""}
    for field in ("outcome", "category", "severity", "target"):
        assert tree.find("select", id=f"filter-{field}"), field
    assert [o["value"] for o in tree.find("option") if o["value"]][:5] == \
        ["fail", "warn", "waived", "pass", "skip"]


def test_action_items_by_priority_with_rerun_command(page: str) -> None:
    tree = parse(page)
    actions = tree.find("tr")
    priorities = [a["class"].split()[1] for a in actions if a.get("class", "").startswith("action")]
    assert priorities == ["P0", "P1", "P2"]  # critical fail, high fail, medium warn
    assert "pytest --readiness --readiness-check &#x27;tls.expiry[api]&#x27;" in page


def test_target_markup_is_escaped_text(page: str) -> None:
    tree = parse(page)
    assert SCRIPT_PAYLOAD not in page and IMG_PAYLOAD not in page
    assert "&lt;script&gt;document.title=&#x27;pwned-script&#x27;&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=" in page
    assert len(tree.find("script")) == 1  # ours only
    assert not tree.find("img")
    assert not [a for _, a in tree.elements if any(k.startswith("on") for k in a)]


def test_oversize_values_are_truncated(page: str) -> None:
    assert HUGE not in page
    assert "… (+49500 chars)" in page
    assert len(page) < 60_000


def test_self_contained_and_script_allowed_only_by_hash(page: str) -> None:
    tree = parse(page)
    for tag, attrs in tree.elements:
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    assert "@import" not in page and "url(" not in page
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    csp = tree.find("meta", http_equiv="Content-Security-Policy")[0]["content"]
    digest = base64.b64encode(hashlib.sha256(tree.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp
    assert "@media print" in page


def test_findings_evidence_fix_and_waiver_shown(page: str) -> None:
    assert "app.py:3" in page and "secret.api-key" in page
    assert "fix tls.expiry" in page
    assert "written next sprint" in page and "2030-01-01" in page
    assert "&quot;overflow&quot;: 10" in page  # structured evidence as JSON text


def test_baseline_fixed_struck_through_and_deltas() -> None:
    before = make_record([check("a.one", "fail"), check("a.two", "pass"),
                          check("a.three", "warn", category="resilience")])
    after = make_record([check("a.one", "pass"), check("a.two", "fail"),
                         check("a.three", "warn", category="resilience"), check("a.new", "pass")])
    after.baseline = baseline.compare(after, before, "base.json").to_dict()
    tree = parse(html.render(after))
    assert "a.one" in tree.text_by_id["baseline-changes"]
    assert "<del>a.one</del> fixed" in html.render(after)
    assert "regressed: a.two (pass → fail)" in tree.text_by_id["baseline-changes"]
    assert "new: a.new" in tree.text_by_id["baseline-changes"]
    assert "+0.0" in tree.text_by_id["baseline-deltas"]  # resilience unchanged


def test_history_draws_one_line_per_series() -> None:
    runs = [{"label": f"run {i}", "finished": str(i), "overall": 50.0 + i,
             "categories": {"security": 40.0 + i, "monitoring": None}} for i in range(4)]
    tree = parse(html.render(hostile_record(), runs))
    series = tree.find("g", **{"class": "series"})
    assert [s["data-series"] for s in series] == ["overall", "security"]
    assert len(tree.find("polyline")) == 2
    assert len(tree.find("circle")) == 8


def test_written_by_the_plugin(project: pytest.Pytester) -> None:
    result, record = run_audit(project, "--readiness-html", "report/out.html")
    assert result.ret == 1
    page = (project.path / "report" / "out.html").read_text()
    tree = parse(page)
    assert len(tree.find("tr", **{"class": "check"})) == len(record["checks"]) == 10
    assert tree.text_by_id["overall-score"] == f"{record['scorecard']['overall']:.1f}"
    result.stdout.fnmatch_lines(["readiness html report: *out.html"])


def test_inventory_evidence_is_a_table_of_its_own() -> None:
    """An ``*_inventory`` evidence list (the route inventory) is rendered as a table in the
    Inventories section, escaped, once however many checks carry it."""
    rows = [{"method": "GET", "path": "/admin/users", "handler": "admin_users",
             "auth": "@require_role"},
            {"method": "GET", "path": SCRIPT_PAYLOAD, "handler": "debug", "auth": "none"}]
    record = make_record([
        check("routes.sensitive-unauthenticated", "warn", target=".",
              evidence={"route_inventory": rows}),
        check("routes.exclusion-prefix", "pass", target=".", evidence={"route_inventory": rows}),
        check("routes.other", "pass", target=".", evidence={"not_inventory": [1, 2]}),
    ])
    page = html.render(record)
    tree = Tree()
    tree.feed(page)
    assert tree.find("h2", id="inventories")
    assert page.count("<table class='inventory'>") == 1
    section = page[page.index('id="inventories"'):]
    assert "<th>method</th><th>path</th><th>handler</th><th>auth</th>" in section
    assert "/admin/users" in section and "@require_role" in section
    assert SCRIPT_PAYLOAD not in page  # the hostile path is text
    details = page[:page.index('id="inventories"')]
    assert "/admin/users" not in details  # not repeated as JSON in the check's evidence


def test_no_inventory_no_section() -> None:
    page = html.render(make_record([check("a.b", "pass", evidence={"x_inventory": []})]))
    assert 'id="inventories"' not in page
