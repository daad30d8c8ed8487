"""Materialise app trees: the clean app, or the clean app with one flaw applied."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.frameworks.catalog import MARKER, App, Flaw


class PatchError(Exception):
    """A flaw's edit no longer fits the clean app (its ``old`` text moved or changed)."""


def apply_edit_text(text: str | None, old: str | None, new: str, where: str) -> str:
    if old is None:
        if text is not None:
            raise PatchError(f"{where}: a new file, but the clean app has one")
        return new
    if text is None:
        raise PatchError(f"{where}: no such file in the clean app")
    count = text.count(old)
    if count != 1:
        raise PatchError(f"{where}: the text to replace occurs {count} times, not once:\n{old}")
    return text.replace(old, new)


def materialize(app: App, flaw: Flaw | None, dest: Path) -> Path:
    """Copy the clean app to ``dest`` (created) and apply ``flaw``'s edits; return ``dest``."""
    shutil.copytree(app.root, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for edit in flaw.edits if flaw else ():
        path = dest / edit.file
        text = path.read_text(encoding="utf-8") if path.exists() else None
        new = edit.new.replace("{marker}", flaw.marker)  # type: ignore[union-attr]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(apply_edit_text(text, edit.old, new, f"{flaw.id}: {edit.file}"),  # type: ignore[union-attr]
                        encoding="utf-8")
    return dest


def marker_lines(tree: Path) -> dict[str, list[tuple[str, int]]]:
    """Every ``# flaw: <id>`` in ``tree``: id -> [(file, 1-based line)]."""
    found: dict[str, list[tuple[str, int]]] = {}
    for path in sorted(tree.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(lines, 1):
            if MARKER in line:
                flaw_id = line.split(MARKER, 1)[1].split()[0]
                found.setdefault(flaw_id, []).append((path.relative_to(tree).as_posix(), number))
    return found


def marker_line(tree: Path, flaw: Flaw) -> int:
    """The line of ``flaw``'s finding in its materialised tree."""
    places = marker_lines(tree).get(flaw.id, [])
    if len(places) != 1 or places[0][0] != flaw.finding.file:
        raise PatchError(f"{flaw.id}: marker expected once in {flaw.finding.file}, found {places}")
    return places[0][1]
