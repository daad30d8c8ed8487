"""The framework apps and their flaw variants: what each exercises and what a rule must say.

An app is a small service under ``apps/<name>/clean/``, written as such services are
(factory, routes, middleware, settings from the environment, JWT login, database and
cache helpers, /health and /metrics). A flaw is a small patch to that tree
(``Edit``: exact text replaced once, or a new file) named ``<app>/<slug>``, tied to one
item of issue 15, with the finding a rule must report:

- ``finding.family``: the rule family (see FAMILIES), ``finding.kind`` what it says;
- ``finding.file``: the file, relative to the app root; the line is the one carrying
  the marker comment ``# flaw: <id>`` in the patched tree (``marker_line``);
- ``runtime``: the facts of the harness (harness/observe.py, harness/grpc_observe.py)
  that differ from the clean app's when the variant runs, and their values; empty when
  the flaw cannot be seen from outside (``unobservable`` says why).

Rule tests use it as: for every flaw, the rules find exactly ``finding`` in its tree;
the clean tree gives no finding at all (``quiet`` lists what must stay quiet there).
Nothing here imports a framework: the apps only ever run in a child process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APPS_DIR = Path(__file__).parent / "apps"
MARKER = "# flaw: "

ITEMS: dict[int, str] = {
    1: "route inventory: sensitive routes without auth, prefix exclusions, unregistered "
       "middleware",
    2: "CORS: wildcard or reflected origins with credentials",
    3: "transport: HTTPS/HSTS/secure cookies, gRPC insecure ports and channels, TLS "
       "verification off",
    4: "secrets flowing into logs",
    5: "blocking calls reached from async code",
    6: "scale-out blockers: process-local shared state with replicas",
    7: "endpoints that lie: JSON /metrics, health that cannot fail",
    8: "token lifecycle and insecure defaults",
    9: "secrets with fewer false alarms",
}

FAMILIES: dict[str, int] = {
    "routes": 1, "cors": 2, "transport": 3, "tls": 3, "logging": 4, "blocking": 5,
    "scale": 6, "endpoints": 7, "tokens": 8, "defaults": 8, "secrets": 9,
}


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (found exactly once) by ``new`` in ``file``; ``old=None``: a new file.

    ``{marker}`` in ``new`` becomes ``# flaw: <flaw id>``.
    """

    file: str
    old: str | None
    new: str


@dataclass(frozen=True)
class Finding:
    family: str
    kind: str
    file: str

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown rule family {self.family!r}; known: {sorted(FAMILIES)}")


@dataclass(frozen=True)
class Flaw:
    id: str
    item: int
    title: str
    finding: Finding
    edits: tuple[Edit, ...]
    runtime: Mapping[str, Any] = field(default_factory=dict)
    unobservable: str = ""

    @property
    def app(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def marker(self) -> str:
        return MARKER + self.id


@dataclass(frozen=True)
class Quiet:
    """Something in the clean app that looks like a finding and must not be one."""

    file: str
    text: str
    why: str


@dataclass(frozen=True)
class App:
    name: str  # directory under apps/, and the harness adapter
    framework: str
    package: str  # the importable package (or Django project) in the app root
    summary: str
    flaws: tuple[Flaw, ...]
    quiet: tuple[Quiet, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)  # extra environment for the harness

    @property
    def root(self) -> Path:
        return APPS_DIR / self.name / "clean"


def apps() -> tuple[App, ...]:
    from tests.frameworks.flaws import ALL_APPS

    return ALL_APPS


def app(name: str) -> App:
    found = [a for a in apps() if a.name == name]
    if not found:
        raise KeyError(f"no app {name!r}; known: {[a.name for a in apps()]}")
    return found[0]


def flaws() -> tuple[Flaw, ...]:
    return tuple(f for a in apps() for f in a.flaws)


def flaw(flaw_id: str) -> Flaw:
    found = [f for f in flaws() if f.id == flaw_id]
    if not found:
        raise KeyError(f"no flaw {flaw_id!r}")
    return found[0]


def counts_table() -> str:
    """Flaws per app and issue-15 item, as the Markdown table README.md shows."""
    items = sorted(ITEMS)
    lines = ["| app | " + " | ".join(str(i) for i in items) + " | flaws | seen at runtime |",
             "|---|" + "---|" * len(items) + "---|---|"]
    totals = dict.fromkeys(items, 0)
    for a in apps():
        per_item = {i: sum(1 for f in a.flaws if f.item == i) for i in items}
        for i in items:
            totals[i] += per_item[i]
        seen = sum(1 for f in a.flaws if f.runtime)
        lines.append(f"| {a.name} | " + " | ".join(str(per_item[i] or "") for i in items)
                     + f" | {len(a.flaws)} | {seen} |")
    lines.append("| all | " + " | ".join(str(totals[i] or "") for i in items)
                 + f" | {len(flaws())} | {sum(1 for f in flaws() if f.runtime)} |")
    return "\n".join(lines)


def listing() -> str:
    """Every flaw, one line each: id, item, family/kind, file, what the harness sees."""
    rows = []
    for f in flaws():
        seen = (", ".join(f"{k}={v!r}" for k, v in f.runtime.items()) if f.runtime
                else f"(not observable: {f.unobservable})")
        rows.append(f"{f.id:45} {f.item}  {f.finding.family}/{f.finding.kind:34} "
                    f"{f.finding.file:44} {seen}")
    return "\n".join(rows)


if __name__ == "__main__":
    print(counts_table() + "\n\n" + listing())
