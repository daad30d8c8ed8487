"""pytest-readiness: production-readiness audits as pytest suites."""

from __future__ import annotations

__version__ = "0.1.0"

from pytest_readiness.outcomes import CheckError, WarnOutcome, warn  # noqa: E402
from pytest_readiness.vocabulary import Outcome  # noqa: E402

__all__ = ["CheckError", "Outcome", "WarnOutcome", "__version__", "warn"]
