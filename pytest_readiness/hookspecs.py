"""Hook specifications other plugins (or a conftest.py) can implement."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_readiness.scoring import Scorecard


@pytest.hookspec(firstresult=True)
def pytest_readiness_scorecard(scorecard: Scorecard, config: pytest.Config) -> Scorecard | None:
    """Adjust the scorecard before it is reported; return a new one, or None to keep it.

    Called once, in the controller process, after every check has run. A
    scorecard is immutable; ``rescored`` recomputes it from the same checks::

        def pytest_readiness_scorecard(scorecard, config):
            # Our platform team weighs resilience above everything else.
            return scorecard.rescored(weights={"resilience": 40}, ready=85)
    """
