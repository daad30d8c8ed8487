"""Labels against a result record: the pure half of scripts/precision.py.

A label names a (check id, target) of a corpus tree as true, false or debatable
(/work/shared/corpus/README.md). ``judge`` matches every label with the results that
report it, directly or carried over by meaning when a target changed (``compose_carry``:
a label for an overlay file maps onto the merged project of its base file); ``count``
tallies them per check; ``recomputed`` rescores the record as if no false finding had
been reported; ``must_find_hit`` looks for a real problem that must be reported.
No I/O here: tests/core/test_precision_script.py drives these with hand-made records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from typing import Any

from pytest_readiness import scoring

REPORTED = ("fail", "warn")
Renames = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Label:
    """One reviewed (check id, target) of a tree: true, false or debatable."""

    check: str
    target: str
    label: str


@dataclass(frozen=True)
class Result:
    """The part of a record's check result the comparison reads."""

    check: str
    target: str
    outcome: str
    severity: str
    category: str
    message: str = ""
    files: frozenset[str] = frozenset()  # files of its error/warning findings
    warn_only: frozenset[str] = frozenset()  # of those, files with warnings and no error
    evidence: Mapping[str, Any] = field(default_factory=dict)
    assessed: bool = True  # False: rests on what was not found (no evidence for a category)

    @property
    def name(self) -> str:
        return f"{self.check}[{self.target}]" if self.target else self.check


@dataclass(frozen=True)
class MustFind:
    """A real problem of the corpus README that some check must report (fail or warn).

    Found when a fail/warn result whose id matches one of ``checks`` (globs) has an
    error/warning finding in ``file`` whose message or snippet matches ``pattern``
    (a case-insensitive regex), or, without located findings, names ``file`` and
    matches ``pattern`` in its message or evidence. A problem of reading (code the
    running Python cannot parse) is also met when the file was read after all: a
    finding of a matching check in ``file`` whose message matches ``analysed``, at
    any level (the issue asks for analysis *or* a report, never silence).
    """

    tree: str
    file: str
    line: str
    checks: tuple[str, ...]
    pattern: str
    what: str
    analysed: str = ""


# --- carrying labels over when targets change -------------------------------------

COMPOSE_FILE = re.compile(r"^(?P<stem>(?:docker-)?compose)(?P<middle>(?:\.[\w-]+)*?)"
                          r"\.(?P<ext>ya?ml)$")


@dataclass(frozen=True)
class ComposeFacts:
    """Compose files of a tree (path -> top-level ``name:``) and the tree's directory name."""

    files: Mapping[str, str | None]
    tree_name: str


def overlay_base(path: str, compose_files: Collection[str]) -> str | None:
    """The file Compose merges ``path`` onto, or None when ``path`` is a base file.

    ``X.override.EXT`` overlays ``X.EXT`` (Compose's default pair, also
    ``docker-compose.test.override.yml`` onto ``docker-compose.test.yml``); a named
    variant ``compose.NAME.EXT`` overlays ``compose.EXT`` of the same directory
    (``-f compose.yaml -f compose.NAME.yaml``). Only a base present in the tree counts.
    """
    folder, name = posixpath_split(path)
    match = COMPOSE_FILE.match(name)
    if not match or not match["middle"]:
        return None
    parts = match["middle"].strip(".").split(".")
    kept = parts[:-1] if parts[-1] == "override" else []
    for ext in dict.fromkeys((match["ext"], "yaml", "yml")):
        candidate = ".".join([match["stem"], *kept, ext])
        joined = f"{folder}/{candidate}" if folder else candidate
        if joined in compose_files:
            return joined
    return None


def posixpath_split(path: str) -> tuple[str, str]:
    pure = PurePosixPath(path)
    folder = str(pure.parent)
    return ("" if folder == "." else folder), pure.name


def project_aliases(base: str, facts: ComposeFacts) -> frozenset[str]:
    """Names a merged Compose project may be reported under: its base file, its
    directory ("." at the root), its ``name:`` and, at the root, the tree's name."""
    folder, _ = posixpath_split(base)
    names = {base, folder or "."}
    if facts.files.get(base):
        names.add(str(facts.files[base]))
    names.add(PurePosixPath(folder).name if folder else facts.tree_name)
    return frozenset(names)


def compose_carry(target: str, facts: ComposeFacts) -> frozenset[str]:
    """New targets a label on ``target`` carries over to (the documented rule).

    A label for an overlay file maps onto the merged project of its base file:
    every name of that project (base file, directory, ``name:``, tree name), up
    the chain of bases. A base file's label maps onto its own project's names.
    Targets that are not compose files carry nowhere.
    """
    if target not in facts.files:
        return frozenset()
    carried: set[str] = set()
    seen: set[str] = set()
    current: str | None = target
    while current and current not in seen:
        seen.add(current)
        carried |= project_aliases(current, facts)
        current = overlay_base(current, facts.files)
    return frozenset(carried - {target})


CarryRule = Callable[[str], frozenset[str]]


def no_carry(target: str) -> frozenset[str]:
    return frozenset()


# --- matching labels and results ----------------------------------------------------

@dataclass(frozen=True)
class LabelState:
    """What the record says about one label: the worst outcome of its results."""

    label: Label
    outcome: str | None  # fail, warn, error, pass, skip, waived; None: no result at all
    via: tuple[str, ...] = ()  # results that carried it ("check[target]")
    carried: bool = False  # matched only through a changed target or id


TARGET_PARTS = re.compile(r"\s*[+,]\s*")


def match_kind(label: Label, result: Result, carry: CarryRule,
               renames: Renames | None = None) -> str | None:
    """"direct" (same id and target), "carried" (the target, or the id through
    ``renames`` (old id -> new ids), changed by meaning) or None.

    A result's target carries a label when it is one of the names ``carry`` gives for
    the label's target, or names several files (``compose.yml+compose.deploy.yml``,
    a variant) one of which is the label's target. A carried ``false`` or
    ``debatable`` label counts only when the result's error/warning findings include
    the label's file (or the result has no located findings): it judged that file's
    findings (``carried_outcome``: a ``warn`` when they are warnings only). A carried
    ``true`` label counts whenever the merged result reports: it
    named a problem of the deployment, which the project now reports once.
    """
    if result.check != label.check and result.check not in (renames or {}).get(label.check, ()):
        return None
    if result.target == label.target:
        return "direct" if result.check == label.check else "carried"
    parts = {p for p in TARGET_PARTS.split(result.target) if p}
    if len(parts) > 1 and label.target not in parts:
        return None
    if len(parts) <= 1 and result.target not in carry(label.target):
        return None
    if label.label == "true" or not result.files or label.target in result.files:
        return "carried"
    return None


def carried_outcome(label: Label, result: Result, kind: str) -> str:
    """The outcome a label reads from a result: a carried ``false``/``debatable`` label
    judged its own file's findings, so a failing project whose findings in that file are
    warnings only reports that file as ``warn``."""
    if (kind == "carried" and label.label != "true" and result.outcome == "fail"
            and label.target in result.warn_only):
        return "warn"
    return result.outcome


OUTCOME_ORDER = ("fail", "warn", "error", "waived", "pass", "skip")


def worst(outcomes: Iterable[str]) -> str | None:
    present = set(outcomes)
    return next((o for o in OUTCOME_ORDER if o in present), None)


@dataclass(frozen=True)
class Judgement:
    states: tuple[LabelState, ...]
    result_labels: Mapping[int, tuple[Label, ...]]  # index into results -> its labels
    results: tuple[Result, ...]

    def labels_of(self, index: int) -> tuple[Label, ...]:
        return self.result_labels.get(index, ())

    @property
    def unlabelled(self) -> tuple[Result, ...]:
        return tuple(r for i, r in enumerate(self.results)
                     if r.outcome in REPORTED and not self.labels_of(i))

    @property
    def errors(self) -> tuple[tuple[Result, tuple[Label, ...]], ...]:
        return tuple((r, self.labels_of(i)) for i, r in enumerate(self.results)
                     if r.outcome == "error")


def judge(labels: Sequence[Label], results: Sequence[Result], carry: CarryRule,
          renames: Renames | None = None) -> Judgement:
    """Match every label with the results that report it (directly or carried over)."""
    states = []
    result_labels: dict[int, list[Label]] = {}
    for label in labels:
        matched = [(i, r, kind) for i, r in enumerate(results)
                   if (kind := match_kind(label, r, carry, renames))]
        for i, _, _ in matched:
            result_labels.setdefault(i, []).append(label)
        outcome = worst(carried_outcome(label, r, kind) for _, r, kind in matched)
        reporting = [(r, kind) for _, r, kind in matched
                     if carried_outcome(label, r, kind) == outcome]
        states.append(LabelState(
            label=label, outcome=outcome,
            via=tuple(sorted({r.name for r, kind in reporting if kind == "carried"})),
            carried=bool(reporting) and all(kind == "carried" for _, kind in reporting),
        ))
    return Judgement(tuple(states), {i: tuple(v) for i, v in result_labels.items()},
                     tuple(results))


# --- counting ------------------------------------------------------------------------

@dataclass
class Counts:
    """Labels by what the record did with them, and fail/warn results nobody labelled."""

    true_kept: int = 0
    true_missed: int = 0
    false_reported: int = 0
    false_gone: int = 0
    debatable_fail: int = 0
    debatable_warn: int = 0
    debatable_gone: int = 0
    unlabelled: int = 0

    def add(self, other: Counts) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)

    @property
    def reported(self) -> int:
        """Labelled fail/warn results (the denominator of precision)."""
        return self.true_kept + self.false_reported + self.debatable_fail + self.debatable_warn

    @property
    def strict(self) -> float | None:
        """true / (true + false + debatable), of what is reported as fail or warn."""
        return _ratio(self.true_kept, self.reported)

    @property
    def acceptable(self) -> float | None:
        """As strict, with a debatable result reported at most as warn counted as right."""
        return _ratio(self.true_kept + self.debatable_warn, self.reported)

    @property
    def reviewer(self) -> float | None:
        """true / (true + false): how issue 13 quotes precision (debatable left out)."""
        return _ratio(self.true_kept, self.true_kept + self.false_reported)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reported": self.reported, "strict": self.strict,
                "acceptable": self.acceptable, "reviewer": self.reviewer}


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def tally(state: LabelState, counts: Counts) -> None:
    reported = state.outcome in REPORTED
    kind = state.label.label
    if kind == "true":
        counts.true_kept += reported
        counts.true_missed += not reported
    elif kind == "false":
        counts.false_reported += reported
        counts.false_gone += not reported
    else:
        counts.debatable_fail += state.outcome == "fail"
        counts.debatable_warn += state.outcome == "warn"
        counts.debatable_gone += not reported


def count(judgement: Judgement) -> dict[str, Counts]:
    """Counts per check id (of the label, or of an unlabelled result)."""
    per_check: dict[str, Counts] = {}
    for state in judgement.states:
        tally(state, per_check.setdefault(state.label.check, Counts()))
    for result in judgement.unlabelled:
        per_check.setdefault(result.check, Counts()).unlabelled += 1
    return dict(sorted(per_check.items()))


def total(counts: Iterable[Counts]) -> Counts:
    summed = Counts()
    for item in counts:
        summed.add(item)
    return summed


# --- scores from the true findings only -----------------------------------------------

def adjusted_outcome(outcome: str, labels: Iterable[Label]) -> str:
    """The outcome had no false finding moved it: a fail/warn whose labels are all false
    passes; a debatable fail (no true label) is a warn; the rest is unchanged."""
    kinds = {label.label for label in labels}
    if outcome not in REPORTED or not kinds or "true" in kinds:
        return outcome
    return "warn" if "debatable" in kinds else "pass"


def policy_of(record: Mapping[str, Any]) -> scoring.Policy:
    policy = (record.get("scorecard") or {}).get("policy") or {}
    default = scoring.Policy()
    return scoring.Policy(weights=policy.get("weights") or default.weights,
                          ready=policy.get("ready", default.ready),
                          conditional=policy.get("conditional", default.conditional),
                          min_checks=int(policy.get("min_checks", 0)))


def rescore(results: Sequence[Result], outcomes: Sequence[str],
            policy: scoring.Policy) -> dict[str, Any]:
    checks = [scoring.ScoredCheck(r.check, r.target or None, r.category, r.severity, o,
                                  r.assessed)
              for r, o in zip(results, outcomes, strict=True)]
    return scoring.scorecard_to_dict(scoring.score(checks, policy))


def recomputed(judgement: Judgement, policy: scoring.Policy) -> dict[str, Any]:
    outcomes = [adjusted_outcome(r.outcome, judgement.labels_of(i))
                for i, r in enumerate(judgement.results)]
    return rescore(judgement.results, outcomes, policy)


# --- must-find and blockers -----------------------------------------------------------

def must_find_hit(must: MustFind, results: Iterable[Result]) -> dict[str, Any] | None:
    """Where ``must`` is reported (result, how), or None."""
    pattern = re.compile(must.pattern, re.IGNORECASE)
    for result in results:
        if result.outcome not in REPORTED or not any(
                fnmatchcase(result.check, glob) for glob in must.checks):
            continue
        findings = [f for f in result.evidence.get("findings") or []
                    if isinstance(f, dict) and f.get("level") != "note"]
        for finding in findings:
            text = f"{finding.get('message', '')} {finding.get('snippet', '')}"
            if normalise(str(finding.get("file", ""))) == must.file and pattern.search(text):
                return {"result": result.name, "outcome": result.outcome, "how": "finding",
                        "line": finding.get("line")}
        if not findings:
            for how, text in (("message", result.message),
                              ("evidence", json.dumps(result.evidence, default=str))):
                if must.file in text and pattern.search(text):
                    return {"result": result.name, "outcome": result.outcome, "how": how}
    return _analysed_hit(must, results) if must.analysed else None


def _analysed_hit(must: MustFind, results: Iterable[Result]) -> dict[str, Any] | None:
    """Where a result says it read ``must.file`` with a parser that knows its syntax."""
    said = re.compile(must.analysed, re.IGNORECASE)
    for result in results:
        if not any(fnmatchcase(result.check, glob) for glob in must.checks):
            continue
        for finding in result.evidence.get("findings") or []:
            if (isinstance(finding, dict) and said.search(str(finding.get("message", "")))
                    and normalise(str(finding.get("file", ""))) == must.file):
                return {"result": result.name, "outcome": result.outcome, "how": "analysed",
                        "line": finding.get("line")}
    return None


def blocker_rows(record: Mapping[str, Any], judgement: Judgement) -> list[dict[str, Any]]:
    """Every printed blocker with its result's outcome and labels."""
    by_name = {r.name: i for i, r in enumerate(judgement.results)}
    rows = []
    for name in (record.get("scorecard") or {}).get("blockers") or []:
        index = by_name.get(name)
        labels = judgement.labels_of(index) if index is not None else ()
        rows.append({"blocker": name,
                     "outcome": judgement.results[index].outcome if index is not None else None,
                     "labels": sorted({label.label for label in labels}) or ["unlabelled"]})
    return rows


# --- the record and the labels ------------------------------------------------------

def normalise(path: str) -> str:
    return path[2:] if path.startswith("./") else path


def tree_labels(tree: Mapping[str, Any]) -> list[Label]:
    return [Label(str(item["check"]), normalise(str(item["target"])), str(item["label"]))
            for item in tree.get("labels") or []]


def record_results(record: Mapping[str, Any]) -> list[Result]:
    results = []
    for check in record.get("checks") or []:
        evidence = check.get("evidence") or {}
        findings = evidence.get("findings") if isinstance(evidence, dict) else None
        located = [(normalise(str(f["file"])), f.get("level")) for f in findings or []
                   if isinstance(f, dict) and f.get("file") and f.get("level") != "note"]
        files = frozenset(file for file, _ in located)
        errors = frozenset(file for file, level in located if level == "error")
        results.append(Result(
            check=str(check["id"]), target=normalise(str(check.get("target") or "")),
            outcome=str(check["outcome"]), severity=str(check.get("severity") or "info"),
            category=str(check.get("category") or ""), message=str(check.get("message") or ""),
            files=files, warn_only=files - errors,
            evidence=evidence if isinstance(evidence, dict) else {},
            assessed=check.get("assessed", True) is not False,
        ))
    return results


# --- one tree --------------------------------------------------------------------------

def compare_tree(tree: Mapping[str, Any], record: Mapping[str, Any], carry: CarryRule,
                 musts: Sequence[MustFind] = (), renames: Renames | None = None
                 ) -> dict[str, Any]:
    """Everything the tables show about one tree (plain, JSON-able)."""
    results = record_results(record)
    judgement = judge(tree_labels(tree), results, carry, renames)
    per_check = count(judgement)
    states = judgement.states
    scorecard = record.get("scorecard") or {}
    policy = policy_of(record)
    return {
        "tree": str(tree["tree"]), "commit": tree.get("commit"),
        "versions": record.get("versions") or {},
        "hosts": record.get("hosts") or [], "profile": record.get("profile"),
        "incomplete": bool(record.get("incomplete")),
        "totals": total(per_check.values()).to_dict(),
        "checks": {check: c.to_dict() for check, c in per_check.items()},
        "labels": [{**asdict(s.label), "outcome": s.outcome, "carried": s.carried,
                    "via": list(s.via)} for s in states],
        "missed": [_row(s) for s in states if s.label.label == "true"
                   and s.outcome not in REPORTED],
        "false_reported": [_row(s) for s in states if s.label.label == "false"
                           and s.outcome in REPORTED],
        "debatable_failing": [_row(s) for s in states if s.label.label == "debatable"
                              and s.outcome == "fail"],
        "carried": [_row(s) for s in states if s.carried],
        "unlabelled": [{"check": r.check, "target": r.target, "outcome": r.outcome,
                        "severity": r.severity, "message": r.message[:160]}
                       for r in judgement.unlabelled],
        "errors": [{"check": r.check, "target": r.target, "severity": r.severity,
                    "labels": sorted({x.label for x in labels}), "message": r.message[:160]}
                   for r, labels in judgement.errors],
        "blockers": blocker_rows(record, judgement),
        "must_find": [{**asdict(m), "checks": list(m.checks),
                       "found": must_find_hit(m, results)} for m in musts],
        "printed": {k: scorecard.get(k) for k in ("overall", "verdict", "blockers",
                                                   "categories")},
        "rescored": rescore(results, [r.outcome for r in results], policy),
        "recomputed": recomputed(judgement, policy),
    }


def _row(state: LabelState) -> dict[str, Any]:
    return {"check": state.label.check, "target": state.label.target,
            "label": state.label.label, "outcome": state.outcome,
            "carried": state.carried, "via": list(state.via)}


def summarise(trees: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals and per-check counts over every tree."""
    per_check: dict[str, Counts] = {}
    for tree in trees:
        for check, values in tree["checks"].items():
            per_check.setdefault(check, Counts()).add(Counts(**{
                k: v for k, v in values.items() if k in Counts.__dataclass_fields__}))
    return {"totals": total(per_check.values()).to_dict(),
            "checks": {k: v.to_dict() for k, v in sorted(per_check.items())}}


def strict_failures(report: Mapping[str, Any]) -> list[str]:
    """Why ``--strict`` fails: false results reported, true ones or must-finds missed."""
    reasons = []
    for tree in report["trees"]:
        reasons += [f"{tree['tree']}: false reported {r['check']}[{r['target']}]"
                    for r in tree["false_reported"]]
        reasons += [f"{tree['tree']}: true missed {r['check']}[{r['target']}]"
                    for r in tree["missed"]]
        reasons += [f"{tree['tree']}: must-find missed {m['file']}:{m['line']} {m['what']}"
                    for m in tree["must_find"] if not m["found"]]
    return reasons


# --- profiles ------------------------------------------------------------------------------

def outcome_distribution(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Check id -> outcome -> how many results had it, over every record."""
    out: dict[str, dict[str, int]] = {}
    for record in records:
        for check in record.get("checks") or []:
            outcomes = out.setdefault(str(check["id"]), {})
            outcome = str(check["outcome"])
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return dict(sorted(out.items()))


def profile_summary(trees: list[dict[str, Any]],
                    records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What one profile made of the corpus: outcomes per check, label counts per check and
    in total, and each tree's printed score."""
    return {"outcomes": outcome_distribution(records), **summarise(trees),
            "scores": {tree["tree"]: {k: tree["printed"].get(k) for k in ("overall", "verdict")}
                       for tree in trees}}

