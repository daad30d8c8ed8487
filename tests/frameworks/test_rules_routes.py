"""Issue 15 items 1, 2, 3 and 7 (routes, CORS, transport and TLS, endpoints that lie): every
variant gives exactly its catalogued finding at its marker line, every other variant and
every clean app gives none of these families' findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.frameworks import catalog
from tests.frameworks.rules import RULES, findings
from tests.frameworks.variants import marker_line, materialize

FAMILIES = tuple(RULES)


def _found(root: Path, family: str) -> list[tuple[str | None, int | None]]:
    return [(f.file, f.line) for f in findings(root, family)]


@pytest.mark.parametrize("flaw", catalog.flaws(), ids=lambda f: f.id)
def test_variant_gives_exactly_its_finding(flaw: catalog.Flaw, tmp_path: Path) -> None:
    root = materialize(catalog.app(flaw.app), flaw, tmp_path / "tree")
    for family in FAMILIES:
        expected = [(flaw.finding.file, marker_line(root, flaw))] \
            if flaw.finding.family == family else []
        assert _found(root, family) == expected, (family, [f.message for f in
                                                           findings(root, family)])


@pytest.mark.parametrize("app", catalog.apps(), ids=lambda a: a.name)
def test_clean_app_gives_none(app: catalog.App, tmp_path: Path) -> None:
    root = materialize(app, None, tmp_path / "tree")
    for family in FAMILIES:
        assert findings(root, family) == [], family


@pytest.mark.parametrize("app", catalog.apps(), ids=lambda a: a.name)
def test_inventory_lists_every_route(app: catalog.App, tmp_path: Path) -> None:
    """The clean app's inventory names its health, metrics and admin entry points, each
    with the guard a reader would name."""
    from pytest_readiness.plumbing import pyast, tree, webapps
    from pytest_readiness.probes.code import routes

    root = materialize(app, None, tmp_path / "tree")
    rows = routes.inventory(webapps.read(pyast.modules(tree.inventory(root))))
    paths = {str(r["path"]) for r in rows}
    if app.framework.startswith("grpc"):
        assert {"/Admin/*", "/grpc.health.v1.Health/*", "/metrics"} <= paths
    else:
        assert {"/health", "/metrics", "/admin/users", "/api/items"} <= paths
        admin = next(r for r in rows if r["path"] == "/admin/users")
        assert admin["auth"] != "none"


def test_paths_from_a_settings_class_read_its_defaults(tmp_path: Path) -> None:
    """``prefix=settings.API_V1_STR`` and ``f"{settings.ADMIN}/users"``: the keyword the
    settings call gives, else the class default; an unknown one stays ``{expression}``."""
    from pytest_readiness.plumbing import pyast, tree, webapps
    from pytest_readiness.probes.code import routes

    (tmp_path / "config.py").write_text(
        "from pydantic_settings import BaseSettings\n\n"
        "class Settings(BaseSettings):\n"
        "    API_V1_STR: str = '/api/v1'\n"
        "    ADMIN = '/admin'\n\n"
        "settings = Settings(ADMIN='/staff')\n")
    (tmp_path / "main.py").write_text(
        "from fastapi import APIRouter, FastAPI\n"
        "from config import settings\n\n"
        "app = FastAPI(openapi_url=f'{settings.API_V1_STR}/openapi.json')\n"
        "router = APIRouter()\n\n"
        "@router.get('/items')\ndef items(): ...\n\n"
        "@router.get(f'{settings.ADMIN}/users')\ndef users(): ...\n\n"
        "@router.get(f'/x/{settings.UNKNOWN}')\ndef x(): ...\n\n"
        "app.include_router(router, prefix=settings.API_V1_STR)\n")
    rows = routes.inventory(webapps.read(pyast.modules(tree.inventory(tmp_path))))
    paths = {str(r["path"]) for r in rows}
    assert {"/api/v1/items", "/api/v1/staff/users", "/api/v1/x/{settings.UNKNOWN}",
            "/api/v1/openapi.json"} <= paths, paths
