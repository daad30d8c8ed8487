"""Policy profiles: how much each finding counts, and which checks apply. Pure data and
pure functions, no pytest.

A rule sets the level of each finding from what it found (a root container published on
the internet: error; an internal one: the hardening rule ``compose.non-root:internal``).
A profile then grades the rules, like the Kubernetes Pod Security Standards grade pod
settings (privileged < baseline < restricted) and the CIS Docker Benchmark splits its
recommendations into levels:

- ``baseline`` (the default): what a production reviewer requires. Hardening extras
  (cap_drop ALL, read-only root filesystem, no-new-privileges, digest pins, CPU limits,
  non-root in internal services) are notes: shown, never failing.
- ``restricted``: hardening. Those extras are errors, and so is every finding a rule
  grades below error for a production reviewer (design choices such as token
  revocation, single instances, documents an upstream repository does not carry).

A profile's table maps a rule id (``compose.capabilities:not-dropped``), a check id
(every rule of the check) or a glob (``compose.*``, ``*:digest``) to the level its
findings count at; a rule the table does not name keeps the level it found. The
``levels:`` of readiness.yaml is a table of the same kind consulted first. The most
specific entry wins: the exact rule id, then the exact check id, then the first glob
that matches, in the order written.

What a profile never changes: findings in files that are not production (tests, docs,
templates, development overlays) are capped at note after the profile has spoken, so
no table can make a test fixture fail an audit.

Which checks apply depends on what the system is (``system.kind`` in readiness.yaml):
an upstream library is not a deployment, so its deployment and organisational checks
are not applicable (:data:`NOT_FOR_LIBRARY`). Nothing is inferred: without ``kind``
the tree is audited as a deployment, and the organisational checks say so.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from pytest_readiness.vocabulary import Level, full_rule

DEFAULT_PROFILE = "baseline"
GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Profile:
    """A named policy: the level each rule's findings count at, and the checks that do
    not apply (check id glob -> why). ``overrides`` are readiness.yaml's ``levels:``,
    consulted before ``levels``."""

    name: str
    summary: str
    levels: Mapping[str, Level] = field(default_factory=dict)
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, Level] = field(default_factory=dict)


# Hardening extras: what restricted requires and baseline shows as notes.
HARDENING: dict[str, str] = {
    "compose.capabilities:not-dropped": "cap_drop: [ALL] (CIS Docker 5.3, PSS restricted)",
    "compose.no-new-privileges": "security_opt no-new-privileges (CIS Docker 5.25, PSS "
                                 "restricted allowPrivilegeEscalation: false)",
    "compose.read-only-rootfs": "read_only: true (CIS Docker 5.12)",
    "compose.images-pinned:digest": "images pinned by digest, not only by tag (CIS Docker 5.27)",
    "dockerfile.base-pinned:digest": "base images pinned by digest (CIS Docker 4.2)",
    "compose.non-root:internal": "non-root also in services nothing outside reaches (PSS "
                                 "restricted runAsNonRoot; PSS baseline allows root; the "
                                 "image's USER is dockerfile.non-root-user's, CIS Docker 4.1)",
    "compose.resource-limits:cpu": "a CPU limit besides the memory limit (CIS Docker 5.11; "
                                   "CPU is compressible, memory is not: CIS 5.10 stays an "
                                   "error)",
}

BASELINE = Profile(
    name="baseline",
    summary="what a production reviewer requires; hardening extras (cap_drop ALL, read-only "
            "root filesystem, no-new-privileges, digest pins) are notes",
    levels={rule: Level.NOTE for rule in HARDENING},
)

RESTRICTED = Profile(
    name="restricted",
    summary="hardening: cap_drop ALL, read-only root filesystem, no-new-privileges and digest "
            "pins are required, and every finding baseline grades as a warning fails",
    levels={
        **{rule: Level.ERROR for rule in HARDENING},
        # the rest of the hardening rules' checks (unjustified cap_add, unset image tags)
        "compose.capabilities": Level.ERROR,
        "compose.images-pinned": Level.ERROR,
        "dockerfile.base-pinned": Level.ERROR,
        # warnings for a production reviewer, errors under hardening
        "compose.non-root": Level.ERROR,  # internal services and images of unknown user too
        "compose.depends-on-healthy": Level.ERROR,
        "compose.healthcheck": Level.ERROR,
        "compose.restart-policy": Level.ERROR,
        "compose.resource-limits": Level.ERROR,
        "dockerfile.healthcheck": Level.ERROR,
        "dockerfile.non-root-user": Level.ERROR,
        "auth.jwt-secret-strength": Level.ERROR,
        "auth.token-revocation": Level.ERROR,
        "auth.events-logged": Level.ERROR,
        "monitoring.structured-logging": Level.ERROR,
        "ops.runbooks": Level.ERROR,
        "ops.incident-response": Level.ERROR,
        "ops.backup-restore": Level.ERROR,
        "ops.rollback": Level.ERROR,
        "ops.capacity-planning": Level.ERROR,
        "ops.backups-scheduled": Level.ERROR,
        "ops.high-availability": Level.ERROR,
        "resilience.circuit-breaker": Level.ERROR,
        "resilience.retry-backoff": Level.ERROR,
        "resilience.grpc-keepalive": Level.ERROR,
    },
)

PROFILES: dict[str, Profile] = {p.name: p for p in (BASELINE, RESTRICTED)}

# What an upstream library (system.kind: library) is not audited for: how it is deployed
# and operated is its users' business, not the repository's.
NOT_FOR_LIBRARY: dict[str, str] = {
    pattern: "not applicable: system.kind is library (an upstream repository is not a "
             "deployment; its users deploy and operate it)"
    for pattern in ("ops.*", "compose.*", "dockerfile.*", "units.*", "contracts.env-*",
                    "monitoring.*")
}


def names() -> list[str]:
    return sorted(PROFILES)


def profile_named(name: str) -> Profile:
    """A built-in profile; ``ValueError`` naming the choices for any other name."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; expected one of "
                         f"{', '.join(names())}") from None


def resolve(name: str, overrides: Mapping[str, str] | None = None,
            kind: str | None = None) -> Profile:
    """The profile an audit runs under: a built-in one, the readiness.yaml ``levels:``
    on top, and the checks the system's kind rules out."""
    profile = profile_named(name)
    skipped = dict(profile.not_applicable)
    if kind == "library":
        skipped.update(NOT_FOR_LIBRARY)
    return replace(profile, not_applicable=skipped,
                   overrides={k: Level(v) for k, v in (overrides or {}).items()})


def _entry(table: Mapping[str, Level], check_id: str, full: str) -> Level | None:
    """The most specific entry of ``table`` for a rule: exact rule id, exact check id,
    then the first glob that matches either, in the table's order."""
    for exact in (full, check_id):
        if exact in table:
            return table[exact]
    for pattern, level in table.items():
        if GLOB_CHARS & set(pattern) and (fnmatch.fnmatchcase(full, pattern)
                                          or fnmatch.fnmatchcase(check_id, pattern)):
            return level
    return None


def graded(check_id: str, rule: str, found_level: str,
           profile: Profile) -> tuple[Level, str | None]:
    """The level a finding counts at and what set it: ``"readiness.yaml"`` (``levels:``),
    the profile's name, or None when the rule's own level stands."""
    full = full_rule(check_id, rule)
    override = _entry(profile.overrides, check_id, full)
    if override is not None:
        return override, "readiness.yaml"
    entry = _entry(profile.levels, check_id, full)
    if entry is not None:
        return entry, profile.name
    return Level(found_level), None


def level_for(check_id: str, rule: str, found_level: str, profile: Profile) -> Level:
    """The level a finding of ``rule`` (found at ``found_level``) counts at under
    ``profile``: the one place a profile re-grades findings (``Recorder.conclude``)."""
    return graded(check_id, rule, found_level, profile)[0]


def not_applicable(check_id: str, profile: Profile) -> str | None:
    """Why a check does not apply under ``profile`` (None: it applies)."""
    return next((why for pattern, why in profile.not_applicable.items()
                 if fnmatch.fnmatchcase(check_id, pattern)), None)


def table_for(check_id: str, rules: Iterable[str], profile: Profile) -> dict[str, str]:
    """Rule id -> the level ``profile`` sets for it (for the catalogue); rules the profile
    leaves alone are left out."""
    out = {}
    for rule in rules:
        full = full_rule(check_id, rule)
        entry = _entry(profile.levels, check_id, full)
        if entry is not None:
            out[full] = str(entry)
    return out
