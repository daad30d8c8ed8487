"""Which checks run: metadata, validation, --readiness-suite/-category/-check, catalogue.

A name given to ``--readiness-suite`` selects a check when it is the check's
suite (its module name without ``test_``, which for the bundled suites is the
prefix of every check id in it: ``db`` for ``db.sqlite-integrity``) or its
section title. The names the suites had before they took their id prefix
(``databases``, ``operations``, ...) still work through one table,
:data:`OLD_SUITE_NAMES`. The section titles of a bundled module are read from
its source, so a suite that is not asked for is never imported.

A name, category or check id that selects nothing known is a usage error
(exit 4) naming the close matches and the valid choices, never a silent "no
tests ran". A check selector whose id matches but whose ``[target]`` part
matches no target gives a note ("no target matched") in the record and the
terminal: the target may legitimately not be configured yet.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import profiles
from pytest_readiness.config import ReadinessConfig
from pytest_readiness.fixtures import CONTEXT_KEY, result_target
from pytest_readiness.marker import META_KEY, CheckMeta, check_meta, rule_ids, validate_meta
from pytest_readiness.vocabulary import full_rule

# Notes on the selection for the record (a target selector that matched nothing): written
# by select(), read by the session when it builds the record.
NOTES_KEY = pytest.StashKey[list[str]]()

# Suite names before suites were named for their check-id prefix (issue 18) -> today's.
# ``services`` and ``fleet`` kept their names; their units.* and hosts.* checks moved to
# the ``units`` and ``hosts`` suites (the section titles still select all of them).
OLD_SUITE_NAMES: dict[str, str] = {
    "async_blocking": "async",
    "audit_config": "audit",
    "ci_pipeline": "ci",
    "databases": "db",
    "db_pools": "pools",
    "dockerfiles": "dockerfile",
    "file_permissions": "files",
    "http_headers": "http",
    "monitoring_config": "monitoring",
    "operations": "ops",
    "outbound_resilience": "resilience",
}


def _split(values: Iterable[str] | None) -> list[str]:
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def apply_overrides(meta: CheckMeta, config: ReadinessConfig) -> CheckMeta:
    for override in config.overrides:
        if fnmatch.fnmatchcase(meta.id, override.check):
            meta = replace(meta, severity=override.severity or meta.severity,
                           category=override.category or meta.category)
    return meta


def suite_names(meta: CheckMeta) -> set[str]:
    """Every name ``--readiness-suite`` accepts for this check (lower case)."""
    return {meta.suite.lower(), meta.section.lower()}


def _parse_selector(selector: str) -> tuple[str, str]:
    """``tls.*[api]`` -> (``tls.*``, ``api``); no target part -> (id glob, "")."""
    check, _, wanted = selector.partition("[")
    return check, wanted.removesuffix("]")


def _selected_by_check(meta: CheckMeta, target: str | None, selectors: list[str]) -> bool:
    for selector in selectors:
        check, wanted = _parse_selector(selector)
        if fnmatch.fnmatchcase(meta.id, check) and (
                not wanted or (target is not None and fnmatch.fnmatchcase(target, wanted))):
            return True
    return False


def select(config: pytest.Config, items: list[pytest.Item], model: ReadinessConfig,
           bundled: Path | None = None) -> list[str]:
    """Attach metadata to every check and deselect what the options leave out.

    Raises ``pytest.UsageError`` for an invalid marker or a selection that names
    nothing known; returns notes for the record (a target selector that matched
    no target).
    """
    suites = requested_suites(config)
    categories = {c.lower() for c in _split(_given(config, "readiness_category"))}
    checks = _split(config.getoption("readiness_check"))
    problems = []
    metas: list[tuple[pytest.Item, CheckMeta]] = []
    dropped: list[pytest.Item] = []
    memo: dict[Any, CheckMeta] = {}  # the targets of one check share its metadata
    applied: dict[int, tuple[CheckMeta, CheckMeta]] = {}  # id -> (it, kept alive; overridden)
    for item in items:
        meta = check_meta(item, memo)
        if meta is None:  # not a readiness check: a plain test among the user's paths
            dropped.append(item)
            continue
        if id(meta) not in applied:
            applied[id(meta)] = (meta, apply_overrides(meta, model))
        meta = applied[id(meta)][1]
        problem = validate_meta(meta, model.categories, item.nodeid)
        if problem:
            problems.append(problem)
            continue
        item.stash[META_KEY] = meta
        metas.append((item, meta))
    if problems:
        raise pytest.UsageError("invalid readiness marker: " + "; ".join(problems[:5]))
    unknown = unknown_selection(suites, categories, checks, [m for _, m in metas],
                                bundled_suite_names(bundled), model)
    if unknown:
        raise pytest.UsageError("; ".join(unknown))
    keep: list[pytest.Item] = []
    for item, meta in metas:
        wanted = not suites or bool(suite_names(meta) & suites)
        wanted = wanted and (not categories or meta.category.lower() in categories)
        if wanted and checks:
            wanted = _selected_by_check(meta, result_target(item), checks)
        (keep if wanted else dropped).append(item)
    notes = unmatched_targets(checks, [(m, result_target(i)) for i, m in metas])
    config.stash[NOTES_KEY] = notes
    mark_not_applicable(config, keep, model)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    return notes


def mark_not_applicable(config: pytest.Config, items: Iterable[pytest.Item],
                        model: ReadinessConfig) -> None:
    """Skip, with the reason, the checks the audit's profile and the system's kind rule out
    (an upstream library has no runbooks to audit: profiles.NOT_FOR_LIBRARY)."""
    context = config.stash.get(CONTEXT_KEY, None)
    profile = context.profile if context is not None else profiles.resolve(
        model.profile, model.levels, model.system.kind)
    for item in items:
        why = profiles.not_applicable(item.stash[META_KEY].id, profile)
        if why:
            item.add_marker(pytest.mark.skip(reason=why))


def _choices(word: str, choices: Iterable[str], label: str) -> str:
    ordered = sorted(set(choices))
    close = difflib.get_close_matches(word, ordered, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return f"{hint}{label}: {', '.join(ordered)}"


def unknown_selection(suites: set[str], categories: set[str], checks: list[str],
                      metas: list[CheckMeta], bundled: dict[str, frozenset[str]],
                      model: ReadinessConfig) -> list[str]:
    """One message per suite, category or check selector that names nothing known."""
    messages = []
    known_suites = set().union(*bundled.values(), *(suite_names(m) for m in metas))
    short = {n for n in known_suites if " " not in n}  # section titles are accepted, not listed
    for name in sorted(suites - known_suites):
        messages.append(f"--readiness-suite {name!r} is not a suite; "
                        + _choices(name, short, "suites (or a section title)"))
    known_categories = {c.lower() for c in model.categories}
    for name in sorted(categories - known_categories):
        messages.append(f"--readiness-category {name!r} is not a category; "
                        + _choices(name, known_categories, "categories"))
    ids = {m.id for m in metas}
    for selector in checks:
        check, _ = _parse_selector(selector)
        if not any(fnmatch.fnmatchcase(i, check) for i in ids):
            where = " (among the suites selected)" if suites else ""
            close = difflib.get_close_matches(check, sorted(ids), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            messages.append(f"--readiness-check {selector!r}: no check id matches "
                            f"{check!r}{where}{hint} (list them: pytest --readiness "
                            "--readiness-list)")
    return messages


def unmatched_targets(checks: list[str], found: list[tuple[CheckMeta, str | None]]) -> list[str]:
    """Notes for selectors whose id matched a check but whose target part matched none."""
    notes = []
    for selector in checks:
        check, wanted = _parse_selector(selector)
        if not wanted:
            continue
        targets = sorted({t for m, t in found if t and fnmatch.fnmatchcase(m.id, check)})
        if not any(fnmatch.fnmatchcase(t, wanted) for t in targets):
            notes.append(f"--readiness-check {selector!r}: no target matched {wanted!r} "
                         f"(targets of {check}: {', '.join(targets[:20]) or 'none configured'})")
    return notes


_SECTION = re.compile(r"""\bsection\s*=\s*["']([^"']+)["']""")


@functools.lru_cache(maxsize=256)
def module_suite_names(path: Path) -> frozenset[str]:
    """What ``--readiness-suite`` accepts for a suite module, read cheaply from its text:
    the module name without ``test_`` (and its old name) and its section titles."""
    suite = path.stem.removeprefix("test_").lower()
    names = {suite, *(old for old, new in OLD_SUITE_NAMES.items() if new == suite)}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return frozenset(names)
    names.update(s.lower() for s in _SECTION.findall(text))
    return frozenset(names)


def bundled_modules(directory: Path) -> list[Path]:
    """The bundled suite modules, in their area directories (hosts/, network/, ...)."""
    return sorted(directory.rglob("test_*.py"))


def bundled_suite_names(directory: Path | None) -> dict[str, frozenset[str]]:
    """Suite module name -> every name it answers to, for each bundled suite."""
    if directory is None:
        return {}
    return {p.stem.removeprefix("test_"): module_suite_names(p)
            for p in bundled_modules(directory)}


def suite_module_unwanted(path: Path, suites: set[str]) -> bool:
    """A bundled suite module that cannot hold a check of the requested suites.

    Read cheaply (its name and its section titles), so that
    ``--readiness-suite tls`` does not import and rewrite two dozen other modules.
    """
    if not suites or not path.name.startswith("test_") or path.suffix != ".py":
        return False
    return not module_suite_names(path) & suites


def _given(config: pytest.Config, name: str) -> list[str]:
    """A list option from the command line, else from its ini twin."""
    values = config.getoption(name, None)
    if not values:
        try:
            values = config.getini(name)
        except ValueError:
            values = []
    return list(values or [])


def requested_suites(config: pytest.Config) -> set[str]:
    """The suites asked for, and the bundled suite an old name stands for (``databases``:
    ``db``; a suite of your own of that name is still selected too)."""
    asked = {s.lower() for s in _split(_given(config, "readiness_suite"))}
    return asked | {OLD_SUITE_NAMES[name] for name in asked if name in OLD_SUITE_NAMES}


def _distinct(items: Iterable[pytest.Item]) -> list[CheckMeta]:
    metas = {}
    for item in items:
        meta = item.stash.get(META_KEY, None)
        if meta is not None:
            metas[meta.id] = meta
    return [m for _, m in sorted(metas.items())]


def catalogue_entries(items: Iterable[pytest.Item]) -> list[dict[str, Any]]:
    """Every distinct check with its metadata, sorted by id (``--readiness-list`` as JSON):
    its rules, the level each sets and when, and what each profile makes of them."""
    return [{"id": m.id, "section": m.section, "suite": m.suite, "category": m.category,
             "severity": m.severity, "title": m.title, "fix": m.fix, "rules": rule_ids(m),
             "levels": [{"rule": full_rule(m.id, lv.rule), "level": str(lv.level),
                         "when": lv.when} for lv in m.levels],
             "profiles": {name: profiles.table_for(m.id, rule_ids(m), profile)
                          for name, profile in profiles.PROFILES.items()}}
            for m in _distinct(items)]


def catalogue(items: Iterable[pytest.Item]) -> list[tuple[str, str, str, str, str, str]]:
    """(id, suite, section, category, severity, title) of every distinct check, sorted."""
    return [(m.id, m.suite, m.section, m.category, m.severity, m.title)
            for m in _distinct(items)]
