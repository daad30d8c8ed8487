"""Issue 15 items 4, 8, 9 on the framework apps: secrets in logs, token lifecycle, insecure
defaults, secret look-alikes. One audit runs every clean app and every variant (each a
codebase of its own); each variant of these items gives exactly its catalogued finding at
its marker line, and no other tree (clean apps, the other items' variants) gives any.

A finding is a location (file, line) at error or warning level among the checks below;
two checks that agree on one line (``auth.default-admin`` and ``secrets.hardcoded`` on
``ADMIN_PASSWORD = os.environ.get(..., "admin")``) are one finding seen twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests.frameworks import catalog
from tests.frameworks.variants import marker_line, materialize

pytestmark = pytest.mark.slow

# The catalogue's finding kind -> the check that reports it.
CHECK_OF_KIND = {
    "secret-in-log": "secrets.logged",
    "jwt-no-expiry": "tokens.jwt-expiry",
    "jwt-no-key-rotation": "tokens.jwt-key-rotation",
    "jwt-no-revocation": "tokens.jwt-revocation-checked",
    "jwt-weak-secret": "auth.jwt-secret-strength",
    "default-admin-credentials": "auth.default-admin",
    "debug-enabled": "defaults.debug",
    "allowed-hosts-wildcard": "defaults.allowed-hosts",
    "reload-in-production": "defaults.reload",
    "secret-key-fallback": "secrets.hardcoded",
}
CHECKS = frozenset(CHECK_OF_KIND.values())
FAMILIES = ("logging", "tokens", "defaults", "secrets")
Found = dict[str, dict[tuple[str, int], set[str]]]  # codebase -> (file, line) -> check ids


def _name(app: catalog.App, flaw: catalog.Flaw | None) -> str:
    return f"{app.name}--{flaw.id.split('/', 1)[1] if flaw else 'clean'}"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Found]:
    """Every tree materialised under one directory and audited once."""
    root = tmp_path_factory.mktemp("issue15")
    names = []
    for app in catalog.apps():
        for flaw in (None, *app.flaws):
            name = _name(app, flaw)
            materialize(app, flaw, root / name)
            names.append(name)
    (root / "readiness.yaml").write_text(
        "system: issue15\ncodebases:\n" + "".join(f"  - {{path: {n}, name: {n}}}\n"
                                                   for n in names), encoding="utf-8")
    suites = ",".join(sorted({c.split(".", 1)[0] for c in CHECKS}))
    run = subprocess.run([sys.executable, "-m", "pytest", "--readiness", "--readiness-suite",
                          suites, "--readiness-json", "out.json", "-p", "no:cacheprovider",
                          "-q", "-p", "no:randomly"], cwd=root, capture_output=True,
                         text=True, timeout=600)
    assert (root / "out.json").exists(), run.stdout[-3000:] + run.stderr[-3000:]
    found: Found = defaultdict(lambda: defaultdict(set))
    for check in json.loads((root / "out.json").read_text(encoding="utf-8"))["checks"]:
        if check["id"] not in CHECKS:
            continue
        for f in check["evidence"].get("findings", []):
            if f["level"] in ("error", "warning"):
                found[check["target"]][(f["file"], f.get("line"))].add(check["id"])
    return root, found


@pytest.mark.parametrize("flaw", [f for f in catalog.flaws() if f.finding.family in FAMILIES],
                         ids=lambda f: f.id)
def test_each_flaw_gives_exactly_its_finding(flaw: catalog.Flaw,
                                             audited: tuple[Path, Found]) -> None:
    root, found = audited
    name = _name(catalog.app(flaw.app), flaw)
    where = (flaw.finding.file, marker_line(root / name, flaw))
    assert dict(found[name]) == {where: found[name].get(where, set())}, "other findings"
    assert CHECK_OF_KIND[flaw.finding.kind] in found[name].get(where, set()), \
        f"{flaw.finding.kind} not reported at {where}"


@pytest.mark.parametrize("flaw", [f for f in catalog.flaws() if f.finding.family not in FAMILIES],
                         ids=lambda f: f.id)
def test_other_items_flaws_give_none_of_these_findings(flaw: catalog.Flaw,
                                                       audited: tuple[Path, Found]) -> None:
    _, found = audited
    assert dict(found[_name(catalog.app(flaw.app), flaw)]) == {}


@pytest.mark.parametrize("app", catalog.apps(), ids=lambda a: a.name)
def test_clean_apps_give_none(app: catalog.App, audited: tuple[Path, Found]) -> None:
    """The clean apps, quiet entries included (constants.py's look-alikes, the JWT key
    guard in settings, the vendored minified jQuery)."""
    _, found = audited
    assert dict(found[_name(app, None)]) == {}
