"""Walk a codebase once and sort what is in it into the artefacts suites read.

No pytest here: the plugin builds one :class:`Inventory` per codebase per
session and every code and deployment suite reads from it.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Directories that are never part of what is deployed or reviewed.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", "__pycache__", ".tox",
    ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", "site-packages",
    "dist", "build", ".idea", ".vscode", ".cache",
})
MAX_TEXT_BYTES = 1024 * 1024
DOC_SUFFIXES = (".md", ".rst", ".txt", ".adoc", ".html")
TEST_DIRS = ("tests", "test", "testing", "fixtures", "testdata", "__tests__", "spec")
TEMPLATE_MARKERS = (".example", ".sample", ".template", ".tmpl", ".dist")


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    rel: str  # posix path relative to the codebase root
    size: int
    mode: int  # st_mode permission bits
    is_symlink: bool = False

    @property
    def name(self) -> str:
        return self.path.name


def excluded(rel: str, patterns: Iterable[str]) -> bool:
    parts = rel.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern + "/*"):
            return True
        if any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


def walk(root: Path, exclude: Iterable[str] = ()) -> Iterator[SourceFile]:
    """Every regular file under ``root`` (sorted, stable), minus skipped dirs and excludes."""
    patterns = tuple(exclude)
    root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        rel_dir = base.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIP_DIRS and not d.endswith(".egg-info")
            and not excluded(rel_dir + d, patterns)
        )
        for name in sorted(filenames):
            rel = rel_dir + name
            if excluded(rel, patterns):
                continue
            path = base / name
            try:
                info = path.lstat()
            except OSError:
                continue
            is_link = stat.S_ISLNK(info.st_mode)
            if not (stat.S_ISREG(info.st_mode) or is_link):
                continue
            yield SourceFile(path, rel, info.st_size, stat.S_IMODE(info.st_mode), is_link)


def read_text(file: SourceFile, limit: int = MAX_TEXT_BYTES) -> str | None:
    """The file's text, or None for binaries, links and oversize files."""
    if file.is_symlink or file.size > limit:
        return None
    try:
        data = file.path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


# --- what kind of artefact a file is -----------------------------------------


def context_of(rel: str) -> str:
    """code, docs, test or template: only code is live (the rest is shown, never failing)."""
    lowered = rel.lower()
    parts = lowered.split("/")
    name = parts[-1]
    if any(marker in name for marker in TEMPLATE_MARKERS):
        return "template"
    if name.endswith(DOC_SUFFIXES) or parts[0] in ("docs", "doc"):
        return "docs"
    if any(p in TEST_DIRS for p in parts[:-1]) or name.startswith("test_") or \
            name.endswith(("_test.py", "_test.go", ".test.js", ".spec.ts", "conftest.py")):
        return "test"
    return "code"


def is_compose(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1].lower()
    return name.endswith((".yml", ".yaml")) and (
        name.startswith(("docker-compose", "compose.", "compose-")) or name == "compose.yml"
    )


def is_dockerfile(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return (name in ("Dockerfile", "Containerfile") or name.startswith("Dockerfile.")
            or name.endswith(".Dockerfile") or name.endswith(".dockerfile"))


def is_unit(rel: str) -> bool:
    return rel.endswith((".service", ".timer", ".socket", ".mount", ".path"))


def is_workflow(rel: str) -> bool:
    return (rel.startswith(".github/workflows/") and rel.endswith((".yml", ".yaml"))) or \
        rel.rsplit("/", 1)[-1] == ".gitlab-ci.yml"


def is_doc(rel: str) -> bool:
    return rel.lower().endswith((".md", ".rst", ".adoc", ".txt")) and (
        rel.lower().startswith(("docs/", "doc/", "runbooks/")) or "/" not in rel
        or "/docs/" in rel.lower()
    )


@dataclass
class Inventory:
    """Everything found in one codebase, by kind."""

    root: Path
    files: list[SourceFile] = field(default_factory=list)

    def matching(self, predicate: object) -> list[SourceFile]:
        return [f for f in self.files if predicate(f.rel)]  # type: ignore[operator]

    @property
    def python(self) -> list[SourceFile]:
        return [f for f in self.files if f.rel.endswith(".py") and not f.is_symlink]

    @property
    def compose(self) -> list[SourceFile]:
        return self.matching(is_compose)

    @property
    def dockerfiles(self) -> list[SourceFile]:
        return self.matching(is_dockerfile)

    @property
    def units(self) -> list[SourceFile]:
        return self.matching(is_unit)

    @property
    def protos(self) -> list[SourceFile]:
        return [f for f in self.files if f.rel.endswith(".proto")]

    @property
    def workflows(self) -> list[SourceFile]:
        return self.matching(is_workflow)

    @property
    def docs(self) -> list[SourceFile]:
        return self.matching(is_doc)

    def get(self, rel: str) -> SourceFile | None:
        return next((f for f in self.files if f.rel == rel), None)


def inventory(root: Path, exclude: Iterable[str] = ()) -> Inventory:
    return Inventory(root.resolve(), list(walk(root, exclude)))
