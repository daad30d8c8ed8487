"""pytest-readiness: production-readiness audits as pytest suites.

What a check of your own needs (docs/writing-checks.md): the ``readiness`` fixture's
type (:class:`Recorder`), the targets fixtures hand to checks, the ways a check ends
(:func:`warn`, :class:`CheckError`), findings, file roles (:class:`Role`, :class:`Scope`:
what is production), and the words of the audit.
"""

from __future__ import annotations

from pytest_readiness._version import __version__
from pytest_readiness.outcomes import CheckError, WarnOutcome, warn  # noqa: E402
from pytest_readiness.plumbing.findings import Finding  # noqa: E402
from pytest_readiness.plumbing.scope import Role, Scope  # noqa: E402
from pytest_readiness.recorder import Recorder  # noqa: E402
from pytest_readiness.targets import (  # noqa: E402
    Artefact,
    CodebaseTarget,
    ComposeTarget,
    Context,
    HostFile,
    HostMount,
    HostService,
    ProtoGroup,
)
from pytest_readiness.vocabulary import Level, Outcome, Severity  # noqa: E402

__all__ = [
    "Artefact",
    "CheckError",
    "CodebaseTarget",
    "ComposeTarget",
    "Context",
    "Finding",
    "HostFile",
    "HostMount",
    "HostService",
    "Level",
    "Outcome",
    "ProtoGroup",
    "Recorder",
    "Role",
    "Scope",
    "Severity",
    "WarnOutcome",
    "__version__",
    "warn",
]
