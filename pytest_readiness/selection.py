"""Which checks run: metadata, validation, --readiness-suite/-category/-check, catalogue."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_readiness.config import ReadinessConfig
from pytest_readiness.outcomes import CheckMeta, check_meta, validate_meta
from pytest_readiness.runtest import META_KEY, item_target


def _split(values: Iterable[str] | None) -> list[str]:
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def apply_overrides(meta: CheckMeta, config: ReadinessConfig) -> CheckMeta:
    for override in config.overrides:
        if fnmatch.fnmatchcase(meta.id, override.check):
            meta = replace(meta, severity=override.severity or meta.severity,
                           category=override.category or meta.category)
    return meta


def _selected_by_check(meta: CheckMeta, target: str | None, selectors: list[str]) -> bool:
    for selector in selectors:
        check, _, wanted = selector.partition("[")
        wanted = wanted.removesuffix("]")
        if fnmatch.fnmatchcase(meta.id, check) and (
                not wanted or (target is not None and fnmatch.fnmatchcase(target, wanted))):
            return True
    return False


def select(config: pytest.Config, items: list[pytest.Item], model: ReadinessConfig) -> None:
    """Attach metadata to every check and deselect what the options leave out."""
    suites = requested_suites(config)
    categories = {c.lower() for c in _split(config.getoption("readiness_category"))}
    checks = _split(config.getoption("readiness_check"))
    known = model.categories
    problems = []
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        meta = check_meta(item)
        if meta is None:  # not a readiness check: a plain test among the user's paths
            dropped.append(item)
            continue
        meta = apply_overrides(meta, model)
        problem = validate_meta(meta, known, item.nodeid)
        if problem:
            problems.append(problem)
            continue
        item.stash[META_KEY] = meta
        wanted = (not suites or meta.suite.lower() in suites or meta.section.lower() in suites)
        wanted = wanted and (not categories or meta.category.lower() in categories)
        if wanted and checks:
            wanted = _selected_by_check(meta, item_target(item)[0], checks)
        (keep if wanted else dropped).append(item)
    if problems:
        raise pytest.UsageError("invalid readiness marker: " + "; ".join(problems[:5]))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


_SECTION = re.compile(r"""section\s*=\s*["']([^"']+)["']""")


def suite_module_unwanted(path: Path, suites: set[str]) -> bool:
    """A bundled suite module that cannot hold a check of the requested suites.

    Read cheaply (its name, and the section titles written in it), so that
    ``--readiness-suite tls`` does not import and rewrite two dozen other modules.
    """
    if not suites or not path.name.startswith("test_") or path.suffix != ".py":
        return False
    if path.stem[len("test_"):].lower() in suites:
        return False
    try:
        sections = {s.lower() for s in _SECTION.findall(path.read_text(encoding="utf-8"))}
    except OSError:
        return False
    return not sections & suites


def requested_suites(config: pytest.Config) -> set[str]:
    return {s.lower() for s in _split(config.getoption("readiness_suite"))}


def catalogue_entries(items: Iterable[pytest.Item]) -> list[dict[str, str]]:
    """Every distinct check with its metadata, sorted by id (``--readiness-list`` as JSON)."""
    metas = {}
    for item in items:
        meta = item.stash.get(META_KEY, None)
        if meta is not None:
            metas[meta.id] = meta
    return [{"id": m.id, "section": m.section, "suite": m.suite, "category": m.category,
             "severity": m.severity, "title": m.title, "fix": m.fix}
            for _, m in sorted(metas.items())]


def catalogue(items: Iterable[pytest.Item]) -> list[tuple[str, str, str, str, str]]:
    """(id, section, category, severity, title) of every distinct check, sorted."""
    rows = {}
    for item in items:
        meta = item.stash.get(META_KEY, None)
        if meta is not None:
            rows[meta.id] = (meta.id, meta.section, meta.category, meta.severity, meta.title)
    return sorted(rows.values())
