"""Walk a codebase once, and read each of its files once: the codebase index.

No pytest here: the plugin builds one :class:`Inventory` per codebase per run (under
xdist, the checks of one codebase run on one worker, see lifecycle.py) and every code
and deployment check reads from it: the files, by kind; each file's content, read
through the bounded reader (plumbing/reader.py: regular files inside the tree, capped,
once); what is derived from a file (a Python parse tree, a parsed compose file), once.

The walk is iterative (any depth of directories, bounded by ``max_depth``, reported when
hit), keeps names losslessly (a name that is not UTF-8 holds surrogate escapes, as
``os.fsdecode`` gives it; report writers escape it), skips version control, caches and
dependency directories by name and virtual environments by their marker (``pyvenv.cfg``,
``conda-meta/``), and notes what it leaves out: special files (FIFOs, sockets, devices)
and directories too deep to enter.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pytest_readiness.plumbing.reader import (
    DEFAULT_MAX_FILE_BYTES,
    OUTSIDE,
    Content,
    Reader,
    Unread,
    kind_of,
    too_big,
)

# Directories that are never part of what is deployed or reviewed. Virtual environments
# are known by their marker, not their name (a directory named ``env`` may hold the
# deployment's env files).
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".eggs", "site-packages", "dist", "build", ".idea",
    ".vscode", ".cache",
})
VENV_MARKERS = ("pyvenv.cfg", "conda-meta")  # a file / a directory inside the environment
MAX_DEPTH = 100  # directory levels below the root (real trees: < 30)
DOC_SUFFIXES = (".md", ".rst", ".txt", ".adoc", ".html")
TEST_DIRS = ("tests", "test", "testing", "fixtures", "testdata", "__tests__", "spec")
TEMPLATE_MARKERS = (".example", ".sample", ".template", ".tmpl", ".dist")
# Formats that are binary by construction: never read to be scanned as text.
BINARY_SUFFIXES = (
    ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".bmp", ".tif", ".tiff", ".woff",
    ".woff2", ".ttf", ".otf", ".eot", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z",
    ".jar", ".war", ".whl", ".so", ".dylib", ".dll", ".exe", ".o", ".a", ".class", ".pyc",
    ".mp3", ".mp4", ".webm", ".avi", ".mov", ".pdf", ".sqlite", ".db",
)
T = TypeVar("T")


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


@dataclass
class LeftOut:
    """What a walk did not take, and why (shown with the checks that read the tree)."""

    special: dict[str, str] = field(default_factory=dict)  # rel -> "a FIFO", "a socket"
    too_deep: list[str] = field(default_factory=list)  # directories not entered
    environments: list[str] = field(default_factory=list)  # virtual environments skipped

    def notes(self, max_depth: int = MAX_DEPTH) -> list[str]:
        return ([f"{rel}: not read: {kind}, not a regular file"
                 for rel, kind in self.special.items()]
                + [f"{rel}/: not walked: deeper than {max_depth} directory levels "
                   "(tree.max_depth)" for rel in self.too_deep])


def walk(root: Path, exclude: Iterable[str] = (), max_depth: int = MAX_DEPTH,
         left_out: LeftOut | None = None) -> Iterator[SourceFile]:
    """Every regular file (and link) under ``root``, sorted and stable, minus skipped
    directories and excludes; top-down, a directory's files before its subdirectories."""
    patterns = tuple(exclude)
    left_out = left_out if left_out is not None else LeftOut()
    root = root.resolve()
    pending: list[tuple[str, int]] = [("", 0)]  # (rel of the directory + "/", depth)
    while pending:
        rel_dir, depth = pending.pop()
        try:
            with os.scandir(os.path.join(root, rel_dir) if rel_dir else root) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        if rel_dir and any(e.name in VENV_MARKERS for e in entries):
            left_out.environments.append(rel_dir.rstrip("/"))
            continue
        subdirs: list[str] = []
        for entry in entries:
            rel = rel_dir + entry.name
            try:
                is_dir = entry.is_dir()  # a link to a directory is not walked, nor a file
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.is_symlink() and entry.name not in SKIP_DIRS and \
                        not entry.name.endswith(".egg-info") and not excluded(rel, patterns):
                    subdirs.append(rel)
                continue
            if excluded(rel, patterns):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            is_link = stat.S_ISLNK(info.st_mode)
            if not (stat.S_ISREG(info.st_mode) or is_link):
                left_out.special[rel] = kind_of(info.st_mode) or "not a regular file"
                continue
            yield SourceFile(Path(entry.path), rel, info.st_size, stat.S_IMODE(info.st_mode),
                             is_link)
        if depth >= max_depth:
            left_out.too_deep.extend(subdirs)
            continue
        pending.extend((d + "/", depth + 1) for d in reversed(subdirs))


def looks_binary(rel: str) -> bool:
    """A format that is binary by its name (images, fonts, archives, objects): not text."""
    return rel.lower().endswith(BINARY_SUFFIXES)


def read_text(file: SourceFile, limit: int = DEFAULT_MAX_FILE_BYTES) -> str | None:
    """The text of a file outside any index (a doc named in readiness.yaml): read through a
    reader rooted at its directory; None for links, binaries, oversize and special files."""
    if file.is_symlink or looks_binary(file.rel):
        return None
    try:
        content = Reader(file.path.parent, limit).read(file.path)
    except Unread:
        return None
    return None if content.binary else content.text


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
    """Everything found in one codebase, by kind: the codebase index.

    ``files`` is every file the walk took, in walk order (iterate it; other modules, such
    as the scope model's ``role_of(rel)``, key what they know by ``rel``). Each file is
    read once through ``reader`` (:meth:`content`, :meth:`text`, :meth:`lines`); what is
    derived from a file is computed once (:meth:`memo`). Files that could not be read, and
    what the walk left out, are listed by :meth:`not_read`.
    """

    root: Path
    files: list[SourceFile] = field(default_factory=list)
    reader: Reader | None = None
    left_out: LeftOut = field(default_factory=LeftOut)
    max_depth: int = MAX_DEPTH
    unread: dict[str, str] = field(default_factory=dict)  # rel -> why it was not read
    _by_rel: dict[str, SourceFile] | None = field(default=None, repr=False)
    _derived: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.reader is None:
            self.reader = Reader(self.root)

    def matching(self, predicate: Callable[[str], bool]) -> list[SourceFile]:
        return [f for f in self.files if predicate(f.rel)]

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
        if self._by_rel is None:
            self._by_rel = {f.rel: f for f in self.files}
        return self._by_rel.get(rel)

    # -- reading --------------------------------------------------------------------
    def content(self, file: SourceFile) -> Content | None:
        """The file's content; None for a link (what it points to in the tree is read on
        its own), a binary format, and a file the reader refused (noted in ``unread``)."""
        if file.is_symlink or looks_binary(file.rel):
            return None
        assert self.reader is not None
        try:
            return self.reader.read(file.path)
        except Unread as exc:
            self.unread[file.rel] = str(exc)
            return None

    def text(self, file: SourceFile) -> str | None:
        """The file's text (UTF-8, undecodable bytes replaced); None for binaries, links
        and files not read."""
        content = self.content(file)
        return None if content is None or content.binary else content.text

    def lines(self, rel: str) -> list[str]:
        """The lines of a file of the index (none for a file it does not have or read)."""
        file = self.get(rel)
        content = self.content(file) if file is not None else None
        return [] if content is None or content.binary else content.lines

    def memo(self, file: SourceFile, key: Any, make: Callable[[Content], T]) -> T | None:
        """``make(content)`` computed once per file and key; None when the file is not
        read (see :meth:`content`). An exception ``make`` raises is raised again."""
        content = self.content(file)
        if content is None or content.binary:
            return None
        return content.memo(key, lambda: make(content))

    def derive(self, key: Any, make: Callable[[], T]) -> T:
        """``make()`` computed once per index and key: what is derived from many files
        at once (the call graph, plumbing/callgraph.py)."""
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key]  # type: ignore[no-any-return]

    def _refusal(self, file: SourceFile) -> str | None:
        """Why the reader would refuse the file, from what the walk saw (links: where to)."""
        assert self.reader is not None
        size = file.size
        if file.is_symlink:
            if not self.reader.contains(file.path):
                return OUTSIDE
            try:
                info = os.stat(file.path)
            except OSError:
                return None  # a dangling link: nothing to read
            kind = kind_of(info.st_mode)
            if kind is not None:
                return f"not read: {kind}, not a regular file"
            size = info.st_size
        return too_big(size, self.reader.max_bytes) if size > self.reader.max_bytes else None

    def not_read(self, limit: int = 20) -> list[str]:
        """What the index does not read, and why (the first ``limit``, in walk order):
        special files, directories too deep, files over the size cap, links out of the
        tree, and any file the reader refused when it was asked for. The same list
        whichever checks ran before."""
        assert self.reader is not None
        refused: dict[str, str] = {}
        for file in self.files:
            why = self._refusal(file)
            if why:
                refused[file.rel] = why
        for rel, why in self.unread.items():
            refused.setdefault(rel, why)
        notes = self.left_out.notes(self.max_depth) + [f"{rel}: {why}" for rel, why in
                                                       refused.items()]
        return notes[:limit]


def inventory(root: Path, exclude: Iterable[str] = (), *, max_bytes: int = DEFAULT_MAX_FILE_BYTES,
              max_depth: int = MAX_DEPTH) -> Inventory:
    """Walk ``root`` into an index whose files are read through a reader bounded by
    ``max_bytes`` per file."""
    root = root.resolve()
    left_out = LeftOut()
    files = list(walk(root, exclude, max_depth, left_out))
    return Inventory(root, files, Reader(root, max_bytes), left_out, max_depth)
