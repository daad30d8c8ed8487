"""The catalogue of framework apps and flaws is consistent (no framework is imported)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from tests.frameworks import catalog
from tests.frameworks.catalog import APPS_DIR, FAMILIES, ITEMS, MARKER, App, Edit, Flaw
from tests.frameworks.variants import (
    PatchError,
    apply_edit_text,
    marker_line,
    marker_lines,
    materialize,
)

APPS = catalog.apps()
FLAWS = catalog.flaws()
HTTP_APPS = {"aiohttp", "fastapi", "flask", "django"}
ASYNC_APPS = {"aiohttp", "fastapi", "grpc_aio"}

HTTP_FACTS = {
    "health", "hsts", "login", "cookie_secure", "token_claims", "token_kid",
    "token_signed_with_configured_key", "default_admin_login", "api_auth", "api_anon",
    "http_redirect", "item", "create", "untrusted_upstream_reached", "admin_anon", "admin_user",
    "admin_admin", "metrics_anon", "metrics", "metrics_type", "health_details_anon",
    "health_details", "events_anon", "docs_anon", "debug_anon", "verbose_errors",
    "foreign_host", "cors_evil_origin", "cors_evil_credentials", "cors_console_origin",
    "logout", "revoked_token_reuse", "health_failing",
}
GRPC_FACTS = {
    "ports", "channels", "health", "login", "token_claims", "token_kid",
    "token_signed_with_configured_key", "default_admin_login", "api_auth", "api_anon", "item",
    "create", "admin_anon", "admin_user", "admin_admin", "login_as_anon", "metrics_anon",
    "metrics", "metrics_type", "logout", "revoked_token_reuse", "health_failing",
}
SESSION_FACTS = {"blocking_in_event_loop", "shared_state", "secret_in_logs"}


def by_id(flaw: Flaw) -> str:
    return flaw.id


def test_every_app_directory_is_catalogued() -> None:
    assert sorted(p.name for p in APPS_DIR.iterdir() if p.is_dir()) == sorted(a.name for a in APPS)
    for app in APPS:
        assert (app.root / app.package).is_dir(), app.root


def test_flaw_ids_are_unique_and_named_for_their_app() -> None:
    ids = [f.id for f in FLAWS]
    assert len(ids) == len(set(ids))
    for app in APPS:
        assert all(f.app == app.name for f in app.flaws)


@pytest.mark.parametrize("flaw", FLAWS, ids=by_id)
def test_flaw_names_an_item_and_a_family_of_that_item(flaw: Flaw) -> None:
    assert flaw.item in ITEMS
    assert FAMILIES[flaw.finding.family] == flaw.item
    assert flaw.runtime or flaw.unobservable
    facts = GRPC_FACTS if flaw.app.startswith("grpc") else HTTP_FACTS
    assert set(flaw.runtime) <= facts | SESSION_FACTS


@pytest.mark.parametrize("flaw", FLAWS, ids=by_id)
def test_flaw_applies_and_marks_its_finding_line(flaw: Flaw, tmp_path: Path) -> None:
    app = catalog.app(flaw.app)
    tree = materialize(app, flaw, tmp_path / "variant")
    line = marker_line(tree, flaw)
    assert MARKER + flaw.id in (tree / flaw.finding.file).read_text().splitlines()[line - 1]
    assert set(marker_lines(tree)) == {flaw.id}  # one flaw at a time
    for edit in flaw.edits:
        if edit.file.endswith(".py"):
            source = (tree / edit.file).read_text()
            ast.parse(source, edit.file)  # still Python (runtime behaviour: test_apps_run)


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_clean_app_has_no_marker_and_its_quiet_lines(app: App) -> None:
    assert marker_lines(app.root) == {}
    for quiet in app.quiet:
        assert quiet.text in (app.root / quiet.file).read_text(encoding="utf-8"), quiet


@pytest.mark.parametrize("flaw", [f for f in FLAWS if f.item == 6], ids=by_id)
def test_scale_out_flaws_come_with_replicas(flaw: Flaw, tmp_path: Path) -> None:
    tree = materialize(catalog.app(flaw.app), flaw, tmp_path / "variant")
    compose = yaml.safe_load((tree / "deploy" / "compose.yaml").read_text())
    (service,) = compose["services"].values()
    assert service["deploy"]["replicas"] == 3


def test_coverage_of_issue_15_items_per_framework() -> None:
    for app in APPS:
        items = {f.item for f in app.flaws}
        expected = {1, 3, 4, 6, 7, 8} | ({2} if app.name in HTTP_APPS else set()) | (
            {5} if app.name in ASYNC_APPS else set())
        assert items == expected, app.name


def test_an_edit_must_match_exactly_once() -> None:
    assert apply_edit_text("a = 1\n", "a = 1", "a = 2", "x.py") == "a = 2\n"
    assert apply_edit_text(None, None, "new\n", "x.py") == "new\n"
    for text, old in (("a = 1\n", "b = 1"), ("a\na\n", "a")):
        with pytest.raises(PatchError, match="not once"):
            apply_edit_text(text, old, "c", "x.py")
    with pytest.raises(PatchError, match="has one"):
        apply_edit_text("x", None, "y", "x.py")


def test_a_marker_in_the_wrong_file_is_reported(tmp_path: Path) -> None:
    flaw = Flaw("aiohttp/x", 1, "t", catalog.Finding("routes", "k", "inventory/auth.py"),
                (Edit("inventory/routes.py", "log = ", "{marker}\nlog = "),))
    tree = materialize(catalog.app("aiohttp"), flaw, tmp_path / "t")
    with pytest.raises(PatchError, match="marker expected once in inventory/auth.py"):
        marker_line(tree, flaw)


def test_readme_counts_are_current() -> None:
    readme = (Path(__file__).parent / "README.md").read_text()
    assert catalog.counts_table() in readme, "paste `python -m tests.frameworks.catalog`"
    assert f"and {len(FLAWS)} variants" in readme
    assert f"lists {sum(len(a.quiet) for a in APPS)} things" in readme
