"""Keep result records in a directory and read back the scores over time.

``--readiness-history DIR`` stores every run's record as
``DIR/readiness-<finished>.json`` (the whole record, so any old run can be
re-rendered or used as a baseline) and the HTML report draws the overall and
per-category scores of the last runs. A file in DIR that is not a record is
skipped and named in the report's notes, never fatal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_readiness.results import SCHEMA, Record, write_record

MAX_RUNS = 50


@dataclass
class History:
    runs: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    problems: list[str] = field(default_factory=list)


def record_filename(record: Record) -> str:
    stamp = re.sub(r"[^0-9A-Za-z]+", "", record.finished) or "unknown"
    return f"readiness-{stamp}.json"


def save(record: Record, directory: Path) -> Path:
    """Write the record into the history directory; never overwrites an earlier run."""
    directory.mkdir(parents=True, exist_ok=True)
    base = record_filename(record)
    path = directory / base
    counter = 1
    while path.exists():
        counter += 1
        path = directory / base.replace(".json", f"-{counter}.json")
    write_record(record, path)
    return path


def entry(data: dict[str, Any]) -> dict[str, Any]:
    """What the trend chart needs from one record."""
    card = data["scorecard"]
    finished = str(data.get("finished", ""))
    return {
        "finished": finished,
        "label": finished[:16].replace("T", " "),
        "overall": card.get("overall"),
        "verdict": card.get("verdict"),
        "categories": {c["name"]: c.get("score") for c in card.get("categories", [])},
    }


def load(directory: Path, limit: int = MAX_RUNS) -> History:
    history = History()
    if not directory.is_dir():
        return history
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("schema") != SCHEMA:
                raise ValueError(f"schema is {data.get('schema')!r}, expected {SCHEMA}")
            history.runs.append(entry(data))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            history.problems.append(f"{path.name}: skipped, not a readiness record ({exc})")
    history.runs.sort(key=lambda run: run["finished"])
    history.runs = history.runs[-limit:]
    return history
