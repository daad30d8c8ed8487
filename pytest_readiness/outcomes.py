"""How a check ends besides pass and fail: :func:`warn` and :class:`CheckError`. No pytest.

Warn is modelled the way pytest models xfail (``_pytest/skipping.py``): the test report
keeps one of pytest's three outcomes (a warned check is ``passed``), the readiness outcome
travels beside it (runtest.py) and ``pytest_report_teststatus`` shows ``W``. Probes may
raise :class:`CheckError` too (a host that cannot be reached), so this module imports
nothing from pytest.
"""

from __future__ import annotations


class WarnOutcome(Exception):
    """Raised by :func:`warn`; ends the check with a ``warn`` outcome."""

    __module__ = "pytest_readiness"


class CheckError(Exception):
    """Raised when a check cannot run (target unreachable, timeout, bad data).

    Any exception other than an assertion ends a check with ``error``; this one
    says so on purpose and its message is shown as is.
    """

    __module__ = "pytest_readiness"


def warn(message: str) -> None:
    """End the current check with a ``warn`` outcome and ``message``."""
    __tracebackhide__ = True
    raise WarnOutcome(message)


def first_line(text: str, limit: int = 300) -> str:
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
