"""systemd unit files in a codebase, read statically with their drop-ins (``NAME.d/*.conf``).

The rules that judge a unit are in plumbing/unitfile.py, shared with the units the
host checks read (probes/hosts/services.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_readiness.plumbing.findings import Finding
from pytest_readiness.plumbing.reader import Reader
from pytest_readiness.plumbing.unitfile import (
    Unit,
    UnitFacts,
    UnitSyntaxError,
    facts_from_unit,
    parse_unit,
)
from pytest_readiness.vocabulary import Level


class UnitFileError(Exception):
    """A unit file or drop-in that cannot be read or parsed; the message names it."""


@dataclass(frozen=True)
class UnitFile:
    facts: UnitFacts
    drop_ins: tuple[str, ...]  # names of the drop-ins applied, in order


def read_unit_file(path: Path, rel: str, reader: Reader | None = None) -> UnitFile:
    """The unit as systemd would load it from the tree: the file, then its drop-ins (read
    through ``reader``, default one rooted at the unit's directory)."""
    reader = reader or Reader(path.parent)
    paths = [path, *sorted(path.parent.joinpath(path.name + ".d").glob("*.conf"))]
    parsed: Unit = {}
    for each in paths:
        try:
            text = reader.read(each).text
        except OSError as exc:  # Unread: a FIFO, a link out of the tree, too big
            what = "" if each == path else f"{each.name}: "
            raise UnitFileError(f"{rel}: {what}{exc}") from None
        try:
            parsed = parse_unit(text, parsed)
        except (UnitSyntaxError, ValueError) as exc:
            raise UnitFileError(f"{rel}: cannot parse {each.name}: {exc}") from None
    return UnitFile(facts_from_unit(path.name, parsed, rel), tuple(p.name for p in paths[1:]))



def findings(rel: str, failures: Sequence[str], warnings: Sequence[str] = ()) -> list[Finding]:
    """The problems the unit-file rules found, as findings of the file (no line: the rules
    judge the unit as systemd merges it with its drop-ins)."""
    return ([Finding("", problem, rel) for problem in failures]
            + [Finding("", problem, rel, level=Level.WARNING) for problem in warnings])
