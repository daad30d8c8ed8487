"""The result record: the one JSON document every report is rendered from.

Build it from check results, write and read it, merge shard records. Schema
``pytest-readiness/1``; see docs/results.md.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Self

from pytest_readiness._version import __version__
from pytest_readiness.escape import glob_literal, shell_word
from pytest_readiness.scoring import Policy, Scorecard, score, scorecard_to_dict

SCHEMA = "pytest-readiness/1"


@dataclass(frozen=True)
class AppliedWaiver:
    """The waiver that matched a check (waivers.py decides; the record keeps it)."""

    check: str
    target: str | None
    reason: str
    owner: str | None
    expires: str | None  # ISO date
    expired: bool  # an expired waiver no longer applies: the real outcome stands
    real_outcome: str  # what the check did, waived or not

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AppliedWaiver:
        return cls(check=str(data.get("check", "")), target=data.get("target"),
                   reason=str(data.get("reason", "")), owner=data.get("owner"),
                   expires=data.get("expires"), expired=bool(data.get("expired", False)),
                   real_outcome=str(data.get("real_outcome", "")))


class _Carried:
    """What :class:`CheckPayload` and :class:`CheckResult` share: JSON-able as a dict
    (evidence and waiver plain), and back (a waiver read as a mapping made typed)."""

    evidence: Mapping[str, Any]
    waiver: AppliedWaiver | None
    __dataclass_fields__: ClassVar[dict[str, Any]]  # the subclasses are dataclasses

    def to_dict(self) -> dict[str, Any]:
        # Field by field, not asdict: every field but these two is a plain value, and
        # asdict would deep-copy the evidence (megabytes on a large tree; it runs for
        # every check) only for it to be replaced by the shallow copy below.
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["evidence"] = dict(self.evidence)
        data["waiver"] = self.waiver.to_dict() if self.waiver else None
        return data

    def __post_init__(self) -> None:
        _typed_waiver(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        known = set(getattr(cls, "__dataclass_fields__", ()))
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class CheckPayload(_Carried):
    """What one check's result carries from the process that ran it (an xdist worker, or
    the only one) to the controller: built by runtest.py, read by session.py.

    It travels as :meth:`to_dict` (plain JSON-able values, which survive xdist) on the
    test report; JUnit XML gets the same fields as ``readiness.*`` properties.
    """

    id: str
    title: str
    section: str
    suite: str
    category: str
    severity: str
    fix: str
    target: str | None
    outcome: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)  # JSON-able, redacted
    waiver: AppliedWaiver | None = None
    assessed: bool = True  # False: rests on what was not found (Recorder.not_assessed)

    def result(self, nodeid: str, duration_s: float) -> CheckResult:
        fields = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return CheckResult(nodeid=nodeid, duration_s=duration_s, **fields)


@dataclass(frozen=True)
class CheckResult(_Carried):
    nodeid: str
    id: str
    title: str
    section: str
    suite: str
    category: str
    severity: str
    outcome: str
    target: str | None = None
    message: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fix: str = ""
    waiver: AppliedWaiver | None = None
    duration_s: float = 0.0
    assessed: bool = True  # False: rests on what was not found; no evidence for its category

    @property
    def label(self) -> str:
        return f"{self.id}[{self.target}]" if self.target else self.id

    @property
    def findings(self) -> list[Mapping[str, Any]]:
        found = self.evidence.get("findings") or []
        return [f for f in found if isinstance(f, Mapping)]



@dataclass(frozen=True)
class FileRole:
    """One audited file's role and why (plumbing/scope.py)."""

    file: str
    role: str
    reason: str


@dataclass(frozen=True)
class ScopeSummary:
    """The record's scope section: what is production. Files by role (all the audited
    codebases together), and the role and reason of every file that has a finding."""

    counts: dict[str, int]
    files: list[FileRole] = field(default_factory=list)

    @property
    def not_production(self) -> list[FileRole]:
        return [f for f in self.files if f.role != "production"]

    def to_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "files": [asdict(f) for f in self.files]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ScopeSummary | None:
        if not data:
            return None
        return cls(counts={str(k): int(v) for k, v in (data.get("counts") or {}).items()},
                   files=[FileRole(str(f.get("file", "")), str(f.get("role", "")),
                                   str(f.get("reason", ""))) for f in data.get("files") or ()])


def _typed_waiver(result: _Carried) -> None:
    """A waiver given as a mapping (read from JSON) becomes an :class:`AppliedWaiver`."""
    waiver: Any = result.waiver
    if isinstance(waiver, Mapping):
        object.__setattr__(result, "waiver", AppliedWaiver.from_dict(waiver) if waiver else None)


def display_path(path: str | Path, root: Path) -> str:
    """A path as a report shows it: relative to the audited root, never absolute.

    Reports are shared: an absolute path names the machine (and user) that made
    them. A path outside the root keeps only its name, after an ellipsis.
    """
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return f"…/{path.name}"


def output_path(path: Path, start: Path) -> str:
    """Where an output was written, as the user named it: relative to where pytest
    started when it is below it, else the path the user gave."""
    try:
        return path.relative_to(start).as_posix()
    except ValueError:
        return str(path)


def rerun_command(check: CheckResult) -> str:
    """The exact command that re-runs one check (stable across installs), safe to paste.

    The target is matched as a glob (``--readiness-check``), so its glob characters are
    bracketed and a character no command line carries (a line break, a control) matches
    as ``?``; the selector is one single-quoted shell word, whatever the target holds.
    """
    selector = f"{check.id}[{glob_literal(check.target)}]" if check.target else check.id
    return f"pytest --readiness --readiness-check {shell_word(selector, always=True)}"


@dataclass
class Record:
    system: str
    started: str
    finished: str
    duration_s: float
    checks: list[CheckResult]
    scorecard: Scorecard
    hosts: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    incomplete: bool = False
    not_run: list[str] = field(default_factory=list)
    config: str | None = None
    command: str = "pytest --readiness"
    baseline: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    shard: str | None = None  # "2/3": this record is one shard's part of the audit
    profile: str = "baseline"  # the policy profile that graded the findings (profiles.py)
    levels: dict[str, str] = field(default_factory=dict)  # readiness.yaml levels: overrides
    kind: str | None = None  # system.kind: deployment, library, or None (not declared)
    scope: ScopeSummary | None = None  # what is production, when codebases were audited

    @property
    def partial(self) -> bool:
        """One shard of a sharded run: its scorecard covers that shard's checks only."""
        return self.shard is not None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "system": self.system,
            "system_kind": self.kind,
            "profile": self.profile,
            "levels": self.levels,
            "started": self.started,
            "finished": self.finished,
            "duration_s": round(self.duration_s, 3),
            "hosts": self.hosts,
            "versions": self.versions,
            "config": self.config,
            "command": self.command,
            "partial": self.partial,
            "shard": self.shard,
            "incomplete": self.incomplete,
            "not_run": self.not_run,
            "notes": self.notes,
            "checks": [c.to_dict() for c in self.checks],
            "scorecard": scorecard_to_dict(self.scorecard),
        }
        if self.scope is not None:
            data["scope"] = self.scope.to_dict()
        if self.baseline is not None:
            data["baseline"] = self.baseline
        return data


def versions() -> dict[str, str]:
    return {"pytest": metadata.version("pytest"), "pytest-readiness": __version__,
            "python": platform.python_version()}


def build_record(system: str, checks: Iterable[CheckResult], policy: Policy, *,
                 started: str, finished: str, duration_s: float, **extra: Any) -> Record:
    ordered = sorted(checks, key=lambda c: (c.suite, c.id, c.target or "", c.nodeid))
    return Record(system=system, started=started, finished=finished, duration_s=duration_s,
                  checks=ordered, scorecard=score(ordered, policy), versions=versions(), **extra)


def policy_from_dict(data: Mapping[str, Any]) -> Policy:
    # A record written before insufficient evidence existed scored every category: 0.
    return Policy(weights=dict(data["weights"]), ready=float(data["ready"]),
                  conditional=float(data["conditional"]),
                  min_checks=int(data.get("min_checks", 0)))


def record_from_dict(data: Mapping[str, Any]) -> Record:
    if data.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} record (schema: {data.get('schema')!r})")
    checks = [CheckResult.from_dict(c) for c in data["checks"]]
    policy = policy_from_dict(data["scorecard"]["policy"])
    return Record(
        system=data["system"], started=data["started"], finished=data["finished"],
        duration_s=float(data["duration_s"]), checks=checks, scorecard=score(checks, policy),
        hosts=list(data.get("hosts", [])), versions=dict(data.get("versions", {})),
        incomplete=bool(data.get("incomplete", False)), not_run=list(data.get("not_run", [])),
        config=data.get("config"), command=data.get("command", "pytest --readiness"),
        baseline=data.get("baseline"), notes=list(data.get("notes", [])),
        shard=data.get("shard"), scope=ScopeSummary.from_dict(data.get("scope")),
        profile=str(data.get("profile") or "baseline"),
        levels=dict(data.get("levels") or {}), kind=data.get("system_kind"),
    )


def write_record(record: Record, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record_text(record.to_dict()) + "\n", encoding="utf-8")


def record_text(data: Mapping[str, Any]) -> str:
    """The record as JSON text: indented, one check per line. The same JSON as
    ``json.dumps(data, indent=2)`` (json.loads reads back equal data), but each check
    is written by the C encoder, which ``indent`` turns off: on a run of thousands of
    checks the pure-Python encoder cost more than rendering every report."""
    parts = []
    for key, value in data.items():
        name = json.dumps(key)
        if key == "checks" and isinstance(value, list) and value:
            rows = ",\n".join("    " + json.dumps(check) for check in value)
            parts.append(f"  {name}: [\n{rows}\n  ]")
        else:
            parts.append(f"  {name}: " + json.dumps(value, indent=2).replace("\n", "\n  "))
    return "{\n" + ",\n".join(parts) + "\n}"


def read_record(path: Path) -> Record:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read a result record: {exc}") from None
    return record_from_dict(data)


def merge_records(records: list[Record]) -> Record:
    """Merge shard records into one; its scorecard equals an unsharded run's.

    The merged record is not partial (no ``shard``); ``pytest-readiness merge``
    adds a note when the shards given are not all of the split.
    """
    if not records:
        raise ValueError("nothing to merge")
    by_node: dict[str, CheckResult] = {}
    for record in records:
        for check in record.checks:
            by_node[check.nodeid] = check
    first = records[0]
    return build_record(
        first.system, by_node.values(), first.scorecard.policy,
        started=min(r.started for r in records), finished=max(r.finished for r in records),
        duration_s=max(r.duration_s for r in records),
        hosts=sorted({h for r in records for h in r.hosts}),
        incomplete=any(r.incomplete for r in records),
        not_run=sorted({n for r in records for n in r.not_run}),
        config=first.config, command=first.command, scope=_merged_scope(records),
        profile=first.profile,
        levels=first.levels, kind=first.kind,
    )


def _merged_scope(records: list[Record]) -> ScopeSummary | None:
    """Shards audit the same files: counts from the first that has them, file roles joined."""
    scopes = [r.scope for r in records if r.scope is not None]
    if not scopes:
        return None
    files = {f.file: f for scope in scopes for f in scope.files}
    return ScopeSummary(scopes[0].counts, sorted(files.values(), key=lambda f: f.file))
