"""pytest-readiness: production-readiness audits as pytest suites.

What a check of your own needs (docs/writing-checks.md): the ``readiness`` fixture's
type (:class:`Recorder`), the targets fixtures hand to checks, the ways a check ends
(:func:`warn`, :class:`CheckError`), findings, file roles (:class:`Role`, :class:`Scope`:
what is production), and the words of the audit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_readiness._version import __version__

if TYPE_CHECKING:
    from pytest_readiness.outcomes import CheckError, WarnOutcome, warn
    from pytest_readiness.plumbing.findings import Finding
    from pytest_readiness.plumbing.scope import Role, Scope
    from pytest_readiness.recorder import Recorder
    from pytest_readiness.targets import (
        Artefact,
        CodebaseTarget,
        ComposeTarget,
        Context,
        HostFile,
        HostMount,
        HostService,
        ProtoGroup,
    )
    from pytest_readiness.vocabulary import Level, Outcome, Severity

# Imported on first use (PEP 562): ``import pytest_readiness.plugin``, which every
# pytest run does, imports this package first and must stay cheap (docs/performance.md).
_LAZY = {
    "CheckError": "outcomes", "WarnOutcome": "outcomes", "warn": "outcomes",
    "Finding": "plumbing.findings", "Role": "plumbing.scope", "Scope": "plumbing.scope",
    "Recorder": "recorder", "Artefact": "targets", "CodebaseTarget": "targets",
    "ComposeTarget": "targets", "Context": "targets", "HostFile": "targets",
    "HostMount": "targets", "HostService": "targets", "ProtoGroup": "targets",
    "Level": "vocabulary", "Outcome": "vocabulary", "Severity": "vocabulary",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    # Not cached here: the module is the one source (pytester re-imports modules).
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


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
