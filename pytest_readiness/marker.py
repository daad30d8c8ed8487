"""The ``readiness`` marker: a check's identity (its id, written only there) and metadata.

Module ``pytestmark`` gives defaults, a function's marker overrides them; ``rules``
names the rules of a check that has several (their ids are ``<check id>:<rule>``);
``levels`` says which level each rule sets and when (the catalogue lists it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from pytest_readiness.plumbing.findings import RuleLevel
from pytest_readiness.vocabulary import SEVERITIES, Level, priority_of

# The item's CheckMeta, set by selection.select for every check it keeps.
META_KEY = pytest.StashKey["CheckMeta"]()


@dataclass(frozen=True)
class CheckMeta:
    """A check's metadata: module ``pytestmark`` defaults, function marker overrides."""

    id: str
    title: str
    section: str
    suite: str
    category: str
    severity: str
    fix: str
    rules: tuple[str, ...] = ()  # a check's rules, when it has several (and those levels name)
    levels: tuple[RuleLevel, ...] = ()  # the level each rule sets, and when (the catalogue)

    @property
    def priority(self) -> str:
        return priority_of(self.severity)


def suite_name(module_name: str) -> str:
    """``pytest_readiness.suites.test_tls_certificate`` -> ``tls_certificate``."""
    return module_name.rsplit(".", 1)[-1].removeprefix("test_")


def check_meta(item: pytest.Item, memo: dict[Any, CheckMeta] | None = None
               ) -> CheckMeta | None:
    """Merge every ``readiness`` marker of an item, closest last; None when unmarked.

    ``memo`` (one dict for one collection) shares the result between the items of one
    function that carry the same markers: the parametrised targets of one check.
    """
    markers = list(item.iter_markers("readiness"))
    if not markers:
        return None
    function = getattr(item, "function", None)
    if memo is None or function is None:
        return _merged(item, markers)
    key = (function, getattr(item, "module", None), *map(id, markers))
    if key not in memo:
        memo[key] = _merged(item, markers)
    return memo[key]


def _merged(item: pytest.Item, markers: list[pytest.Mark]) -> CheckMeta:
    merged: dict[str, Any] = {}
    for marker in reversed(markers):  # iter_markers yields closest first
        merged.update(marker.kwargs)
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    module = getattr(getattr(item, "module", None), "__name__", item.nodeid.split("::")[0])
    suite = suite_name(module)
    name = getattr(item, "originalname", item.name)
    levels = _levels(merged.get("levels", ()))
    # The rules a check has: those ``rules=`` names and those its ``levels`` name.
    rules = tuple(dict.fromkeys((*_names(merged.get("rules", ())), *(lv.rule for lv in levels))))
    if rules == ("",):
        rules = ()
    return CheckMeta(
        id=str(merged.get("id") or f"{suite}.{name.removeprefix('test_')}"),
        title=str(merged.get("title") or (doc.splitlines()[0] if doc else name)),
        section=str(merged.get("section") or suite.replace("_", " ").title()),
        suite=suite,
        category=str(merged.get("category", "operations")),
        severity=str(merged.get("severity", "medium")),
        fix=str(merged.get("fix", "")),
        rules=rules,
        levels=levels,
    )


def _levels(value: Any) -> tuple[RuleLevel, ...]:
    """``levels=`` as :class:`RuleLevel` items or ``(rule, level, when)`` triples."""
    return tuple(item if isinstance(item, RuleLevel) else
                 RuleLevel(str(item[0]), Level(item[1]), str(item[2])) for item in value)


def _names(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def rule_ids(meta: CheckMeta) -> list[str]:
    """The rule ids of a check: its id, or ``<id>:<rule>`` for each of its rules (``""``
    stands for the check's own rule, whose id is the check id)."""
    return [f"{meta.id}:{rule}" if rule else meta.id for rule in meta.rules] or [meta.id]


def validate_meta(meta: CheckMeta, categories: dict[str, float], where: str) -> str | None:
    """Return a problem with a check's metadata, or None."""
    if meta.severity not in SEVERITIES:
        return f"{where}: severity {meta.severity!r} is not one of {', '.join(SEVERITIES)}"
    if meta.category not in categories:
        return (f"{where}: category {meta.category!r} is not one of {', '.join(categories)} "
                "(declare new categories under scoring.weights in readiness.yaml)")
    return None
