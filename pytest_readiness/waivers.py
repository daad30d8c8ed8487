"""Waivers: an accepted risk with a reason, an owner and an expiry. Pure."""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from pytest_readiness.config import Waiver
from pytest_readiness.results import AppliedWaiver
from pytest_readiness.vocabulary import WAIVABLE, Outcome


@dataclass(frozen=True)
class WaiverDecision:
    outcome: str
    waiver: AppliedWaiver | None


def matches(waiver: Waiver, check_id: str, target: str | None) -> bool:
    if not fnmatch.fnmatchcase(check_id, waiver.check):
        return False
    if waiver.target is None:
        return True
    return target is not None and fnmatch.fnmatchcase(target, waiver.target)


def apply_waivers(check_id: str, target: str | None, outcome: str,
                  waivers: Iterable[Waiver], today: dt.date) -> WaiverDecision:
    """A failing or warning check covered by an unexpired waiver becomes ``waived``.

    The check has still run: its real outcome is kept in the waiver record. An
    expired waiver no longer applies, and the record says so.
    """
    found = [w for w in waivers if matches(w, check_id, target)]
    if not found or outcome not in WAIVABLE:
        return WaiverDecision(outcome, _describe(found[0], today, outcome) if found else None)
    live = [w for w in found if w.expires is None or w.expires >= today]
    chosen = live[0] if live else found[0]
    info = _describe(chosen, today, outcome)
    return WaiverDecision(Outcome.WAIVED if live else outcome, info)


def _describe(waiver: Waiver, today: dt.date, real_outcome: str) -> AppliedWaiver:
    return AppliedWaiver(
        check=waiver.check,
        target=waiver.target,
        reason=waiver.reason,
        owner=waiver.owner,
        expires=waiver.expires.isoformat() if waiver.expires else None,
        expired=waiver.expires is not None and waiver.expires < today,
        real_outcome=str(real_outcome),
    )
